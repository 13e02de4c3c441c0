// 3x3 convolutions (stride 1, padding 1) with bias and ReLU, and 2x2 max pooling, on NHWC
// activations in raw buffers. The direct path is im2col + one sgemm per chunk of pixels; the
// Winograd paths are in Winograd.swift.
import Dispatch
import Foundation
import Tensor

/// How a 3x3 convolution is computed.
public enum ConvolutionAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// im2col + sgemm: `2·9·in·out` flops per output pixel, at the sgemm ceiling at best.
    case im2col
    /// Winograd F(2x2, 3x3) (Lavin & Gray 2016): 16 sgemms per 2x2 output tile, 2.25x fewer
    /// multiplications than direct convolution; errors stay near Float rounding.
    case winograd2x2
    /// Winograd F(4x4, 3x3): 36 sgemms per 4x4 tile, 4x fewer multiplications; its transforms
    /// have larger coefficients, so Float results drift by about 1e-4 relative per layer.
    case winograd4x4

    /// The algorithm `FeatureExtractor` uses unless told otherwise (the fastest on the bench).
    public static let fastest: ConvolutionAlgorithm = .winograd4x4
}

/// Runs `body(part, parts)` once per BLAS thread, concurrently, and returns when all are done.
///
/// The parts must write disjoint memory: callers give each part its own `slice` of the work.
func parallelParts(_ body: (_ part: Int, _ parts: Int) -> Void) {
    let parts = BLAS.threadCount
    if parts == 1 { body(0, 1); return }
    withoutActuallyEscaping(body) { body in
        let shared = PartsBody(body: body)
        DispatchQueue.concurrentPerform(iterations: parts) { shared.body($0, parts) }
    }
}

/// `@unchecked Sendable`: `concurrentPerform` returns only after every iteration, so the body
/// never outlives `parallelParts`, and the parts touch disjoint memory by contract.
private struct PartsBody: @unchecked Sendable {
    let body: (Int, Int) -> Void
}

/// The slice `part` of `0..<count` split into `parts` near-equal ranges.
@inline(__always)
func slice(_ count: Int, part: Int, parts: Int) -> Range<Int> {
    (count * part / parts)..<(count * (part + 1) / parts)
}

/// Hands out the starts of fixed-size chunks of `0..<total` to whichever thread asks next.
/// `@unchecked Sendable`: `next` is only touched under `lock`.
final class ChunkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let total: Int
    private let chunk: Int

    init(total: Int, chunk: Int) {
        precondition(chunk > 0, "ChunkQueue: chunk \(chunk)")
        self.total = total
        self.chunk = chunk
    }

    /// The start of the next chunk, or nil when every chunk has been taken.
    func take() -> Int? {
        lock.withLock {
            guard next < total else { return nil }
            defer { next += chunk }
            return next
        }
    }
}

/// Runs `body(part, chunk)` for every chunk of `0..<total` (`size` indices each, the last
/// shorter), the BLAS threads taking chunks from a shared `ChunkQueue`; BLAS calls inside are
/// single-threaded. `part` names the thread, so each can own a slice of scratch.
func forEachChunk(of total: Int, size: Int, _ body: (_ part: Int, _ chunk: Range<Int>) -> Void) {
    let chunks = ChunkQueue(total: total, chunk: size)
    BLAS.withSingleThreadedCalls {
        parallelParts { part, _ in
            while let start = chunks.take() { body(part, start..<min(start + size, total)) }
        }
    }
}

/// Scratch memory reused across layers of one forward pass; grows to the largest request.
final class Scratch {
    private(set) var buffer: UnsafeMutableBufferPointer<Float> = .init(start: nil, count: 0)

    /// At least `count` floats of uninitialised scratch (valid until the next call).
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
        }
        return buffer.baseAddress!
    }

    deinit { buffer.deallocate() }
}

/// The shape of an NHWC activation: `[batch, height, width, channels]`.
struct MapShape: Equatable {
    var batch: Int, height: Int, width: Int, channels: Int
    var count: Int { batch * height * width * channels }
    var pixels: Int { batch * height * width }
}

/// A 3x3 convolution, stride 1, padding 1, then bias and ReLU, prepared for one algorithm.
struct Convolution3x3: Sendable {
    let inChannels: Int
    let outChannels: Int
    let algorithm: ConvolutionAlgorithm
    /// `[9·in, out]`: the HWIO kernel seen as the right-hand matrix of im2col.
    let kernel: [Float]
    /// `[out]`.
    let bias: [Float]
    /// The kernel transformed for the Winograd path (nil for im2col).
    let winograd: WinogradKernel?

    /// Bytes of scratch one thread's chunk may take: bounds memory at large batches and keeps
    /// both threads' working sets in the 32 MB last-level cache (2, 8 and 32 MB were tried;
    /// 8 MB took the least CPU time).
    static let chunkBytes = 8 << 20

    /// Prepares `weights` (`[3, 3, in, out]`) for `algorithm`. Layers with fewer than 16 input
    /// channels (the RGB layer) always use im2col: Winograd's gemms would be too thin.
    init(_ weights: ConvolutionWeights, algorithm: ConvolutionAlgorithm) {
        inChannels = weights.kernel.shape[2]
        outChannels = weights.kernel.shape[3]
        kernel = weights.kernel.storage
        bias = weights.bias.storage
        let chosen: ConvolutionAlgorithm = inChannels < 16 ? .im2col : algorithm
        self.algorithm = chosen
        switch chosen {
        case .im2col: winograd = nil
        case .winograd2x2: winograd = WinogradKernel(.f2x2, kernel: kernel, inChannels: inChannels, outChannels: outChannels)
        case .winograd4x4: winograd = WinogradKernel(.f4x4, kernel: kernel, inChannels: inChannels, outChannels: outChannels)
        }
    }

    /// `output[b, y, x, o] = relu(bias[o] + Σ input[b, y+ky-1, x+kx-1, i]·kernel[ky, kx, i, o])`.
    ///
    /// - Parameters: `input` holds `shape` (NHWC, `channels == inChannels`); `output` holds the
    ///   same map with `outChannels`.
    func forward(_ input: UnsafePointer<Float>, _ shape: MapShape, into output: UnsafeMutablePointer<Float>, scratch: Scratch) {
        precondition(shape.channels == inChannels, "conv: input has \(shape.channels) channels, kernel \(inChannels)")
        if let winograd {
            winograd.forward(input, shape, bias: bias, into: output, scratch: scratch)
        } else {
            forwardIm2col(input, shape, into: output, scratch: scratch)
        }
    }

    /// im2col + sgemm, each BLAS thread taking chunks of pixels from a shared queue.
    private func forwardIm2col(_ input: UnsafePointer<Float>, _ shape: MapShape, into output: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let rowWidth = 9 * inChannels
        let parts = BLAS.threadCount
        let chunk = max(1, min((shape.pixels + parts - 1) / parts, Self.chunkBytes / (4 * rowWidth)))
        let base = scratch.floats(parts * chunk * rowWidth)
        withUnsafeBuffers(kernel, bias) { kernel, bias in
            forEachChunk(of: shape.pixels, size: chunk) { part, pixels in
                let columns = base + part * chunk * rowWidth
                let (start, count) = (pixels.lowerBound, pixels.count)
                for p in 0..<count { im2colRow(input, shape, pixel: start + p, into: columns + p * rowWidth) }
                BLAS.gemm(.none, .none, m: count, n: outChannels, k: rowWidth,
                          a: UnsafeBufferPointer(start: columns, count: count * rowWidth), lda: rowWidth,
                          b: kernel, ldb: outChannels,
                          c: UnsafeMutableBufferPointer(start: output + start * outChannels, count: count * outChannels),
                          ldc: outChannels)
                addBiasReLU(output + start * outChannels, rows: count, bias: bias.baseAddress!)
            }
        }
    }

    /// Row `pixel` of the im2col matrix: the 3x3 neighbourhood of `pixel` (`[9, inChannels]`,
    /// zeros outside the map) from `input` (`shape`, NHWC).
    @inline(__always)
    private func im2colRow(_ input: UnsafePointer<Float>, _ shape: MapShape, pixel: Int, into row: UnsafeMutablePointer<Float>) {
        let (h, w, c) = (shape.height, shape.width, inChannels)
        let (b, y, x) = (pixel / (h * w), pixel / w % h, pixel % w)
        for k in 0..<9 {   // k = 3·ky + kx
            let target = row + k * c
            let (sy, sx) = (y + k / 3 - 1, x + k % 3 - 1)
            if sy >= 0 && sy < h && sx >= 0 && sx < w {
                target.update(from: input + ((b * h + sy) * w + sx) * c, count: c)
            } else {
                target.update(repeating: 0, count: c)
            }
        }
    }

    /// `x ← max(0, x + bias)` over `rows` rows of `outChannels`.
    private func addBiasReLU(_ x: UnsafeMutablePointer<Float>, rows: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * outChannels
            for o in 0..<outChannels { row[o] = max(0, row[o] + bias[o]) }
        }
    }
}

/// 2x2 max pooling with stride 2 over an NHWC map with even sides: `[B, H, W, C] → [B, H/2, W/2, C]`.
func maxPool2x2(_ input: UnsafePointer<Float>, _ shape: MapShape, into output: UnsafeMutablePointer<Float>) {
    precondition(shape.height % 2 == 0 && shape.width % 2 == 0, "maxPool2x2: odd map \(shape)")
    let rows = shape.batch * (shape.height / 2)
    parallelParts { part, parts in
        for r in slice(rows, part: part, parts: parts) { maxPoolRow(input, shape, row: r, into: output) }
    }
}

/// Output row `row` (`b·H/2 + y`) of `maxPool2x2`.
@inline(__always)
private func maxPoolRow(_ input: UnsafePointer<Float>, _ shape: MapShape, row r: Int, into output: UnsafeMutablePointer<Float>) {
    let (h, w, c) = (shape.height / 2, shape.width / 2, shape.channels)
    let (b, y) = (r / h, r % h)
    for x in 0..<w {
        let top = input + ((b * shape.height + 2 * y) * shape.width + 2 * x) * c
        let bottom = top + shape.width * c
        let out = output + ((b * h + y) * w + x) * c
        for k in 0..<c { out[k] = max(max(top[k], top[c + k]), max(bottom[k], bottom[c + k])) }
    }
}
