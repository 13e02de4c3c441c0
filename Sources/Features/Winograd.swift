// Winograd minimal filtering for 3x3 convolutions (Lavin & Gray 2016, "Fast Algorithms for
// Convolutional Neural Networks"): Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per m x m output tile, with the
// elementwise products over channels batched as α² sgemms (α = m + 2). The transforms are
// written over channel vectors (NHWC keeps channels contiguous) so they vectorise.
import Tensor

/// The transform matrices of one F(m x m, 3 x 3) algorithm, with their nonzero entries listed
/// so the transforms skip the zeros.
struct WinogradTransform: Sendable {
    /// Output tile side.
    let m: Int
    /// Input tile side, `m + 2`.
    let alpha: Int
    /// `Bᵀ` (`α x α`), input transform.
    let bt: [[Float]]
    /// `G` (`α x 3`), kernel transform.
    let g: [[Double]]
    /// `Aᵀ` (`m x α`), output transform.
    let at: [[Float]]
    /// One nonzero matrix entry: its column and value.
    struct Term: Sendable {
        var index: Int
        var value: Float
    }
    /// Nonzero entries of each row of `Bᵀ`.
    let btRows: [[Term]]
    /// Nonzero entries of each row of `Aᵀ`.
    let atRows: [[Term]]

    init(m: Int, bt: [[Float]], g: [[Double]], at: [[Float]]) {
        self.m = m
        alpha = m + 2
        self.bt = bt
        self.g = g
        self.at = at
        btRows = bt.map { row in row.enumerated().filter { $0.element != 0 }.map { Term(index: $0.offset, value: $0.element) } }
        atRows = at.map { row in row.enumerated().filter { $0.element != 0 }.map { Term(index: $0.offset, value: $0.element) } }
    }

    /// F(2x2, 3x3), interpolation points 0, ±1, ∞.
    static let f2x2 = WinogradTransform(
        m: 2,
        bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        g: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
        at: [[1, 1, 1, 0], [0, 1, -1, -1]])

    /// F(4x4, 3x3), interpolation points 0, ±1, ±2, ∞.
    static let f4x4 = WinogradTransform(
        m: 4,
        bt: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
             [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        g: [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]],
        at: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
}

/// A convolution kernel in the Winograd domain, `U = G g Gᵀ`, stored `[α², in, out]`.
struct WinogradKernel: Sendable {
    let transform: WinogradTransform
    let inChannels: Int
    let outChannels: Int
    /// `[α², in, out]`: one `in x out` gemm operand per tile element.
    let u: [Float]

    /// Transforms an HWIO kernel (`[3, 3, in, out]`), in Double so the stored kernel is the
    /// correctly rounded `G g Gᵀ`.
    init(_ transform: WinogradTransform, kernel: [Float], inChannels: Int, outChannels: Int) {
        self.transform = transform
        self.inChannels = inChannels
        self.outChannels = outChannels
        let (alpha, o) = (transform.alpha, outChannels)
        var u = [Float](repeating: 0, count: alpha * alpha * inChannels * o)
        var left = [Double](repeating: 0, count: alpha * 3 * o)  // (G g)[i][l][out]
        for i in 0..<inChannels {
            for index in left.indices { left[index] = 0 }
            for r in 0..<alpha {
                for k in 0..<3 where transform.g[r][k] != 0 {
                    for l in 0..<3 {
                        let source = ((k * 3 + l) * inChannels + i) * o
                        for out in 0..<o { left[(r * 3 + l) * o + out] += transform.g[r][k] * Double(kernel[source + out]) }
                    }
                }
            }
            for component in 0..<(alpha * alpha) {
                let (r, s) = (component / alpha, component % alpha)
                let target = (component * inChannels + i) * o
                for out in 0..<o {
                    var sum = 0.0
                    for l in 0..<3 { sum += left[(r * 3 + l) * o + out] * transform.g[s][l] }
                    u[target + out] = Float(sum)
                }
            }
        }
        self.u = u
    }

    /// Convolution + bias + ReLU of an NHWC map (see `Convolution3x3.forward`).
    ///
    /// Each BLAS thread takes chunks of tiles from a shared queue and runs on each the input
    /// transform, the α² single-threaded sgemms and the output transform: no hand-off between
    /// threads inside a chunk, each chunk's transformed tiles stay in cache for its sgemms, and
    /// a thread the system preempts holds up no more than one chunk.
    func forward(_ input: UnsafePointer<Float>, _ shape: MapShape, bias: [Float],
                 into output: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let (m, alpha) = (transform.m, transform.alpha)
        let components = alpha * alpha
        let (tilesHigh, tilesWide) = ((shape.height + m - 1) / m, (shape.width + m - 1) / m)
        let tiles = shape.batch * tilesHigh * tilesWide
        let perTile = components * (inChannels + outChannels)
        let parts = BLAS.threadCount
        let chunk = max(1, min((tiles + parts - 1) / parts, Convolution3x3.chunkBytes / (4 * perTile)))
        let perPart = chunk * perTile + components * max(inChannels, outChannels)
        let base = scratch.floats(parts * perPart)
        let geometry = TileGeometry(shape: shape, m: m, tilesHigh: tilesHigh, tilesWide: tilesWide)

        withUnsafeBuffers(u, bias) { u, bias in
            forEachChunk(of: tiles, size: chunk) { part, tileRange in
                let v = base + part * perPart
                let product = v + chunk * components * inChannels
                forwardChunk(tileRange, input, geometry, kernel: u, bias: bias.baseAddress!, into: output,
                             transformed: v, product: product, temporary: product + chunk * components * outChannels)
            }
        }
    }

    /// `forward` for one chunk of tiles: the input transforms into `transformed`
    /// (`[α², tiles.count, in]`), the α² sgemms by `kernel` (`u`) into `product`
    /// (`[α², tiles.count, out]`), then the output transforms into `output`.
    @inline(__always)
    private func forwardChunk(_ tiles: Range<Int>, _ input: UnsafePointer<Float>, _ geometry: TileGeometry,
                              kernel u: UnsafeBufferPointer<Float>, bias: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                              transformed v: UnsafeMutablePointer<Float>, product: UnsafeMutablePointer<Float>,
                              temporary: UnsafeMutablePointer<Float>) {
        let (start, count) = (tiles.lowerBound, tiles.count)
        let components = transform.alpha * transform.alpha
        for t in 0..<count {
            if inChannels % 8 == 0 {
                transformInputLanes(input, geometry, tile: start + t, into: v + t * inChannels,
                                    componentStride: count * inChannels, temporary: temporary)
            } else {
                transformInput(input, geometry, tile: start + t, into: v + t * inChannels,
                               componentStride: count * inChannels, temporary: temporary)
            }
        }
        for component in 0..<components {
            let kernelSize = inChannels * outChannels
            BLAS.gemm(.none, .none, m: count, n: outChannels, k: inChannels,
                      a: UnsafeBufferPointer(start: v + component * count * inChannels, count: count * inChannels),
                      lda: inChannels,
                      b: UnsafeBufferPointer(rebasing: u[(component * kernelSize)..<((component + 1) * kernelSize)]),
                      ldb: outChannels,
                      c: UnsafeMutableBufferPointer(start: product + component * count * outChannels, count: count * outChannels),
                      ldc: outChannels)
        }
        for t in 0..<count {
            if outChannels % 8 == 0 {
                transformOutputLanes(product + t * outChannels, componentStride: count * outChannels, geometry,
                                     tile: start + t, bias: bias, into: output, temporary: temporary)
            } else {
                transformOutput(product + t * outChannels, componentStride: count * outChannels, geometry,
                                tile: start + t, bias: bias, into: output, temporary: temporary)
            }
        }
    }

    /// Where tiles sit in the map.
    struct TileGeometry {
        var shape: MapShape, m: Int, tilesHigh: Int, tilesWide: Int

        /// The image and the top-left output pixel of tile `t`.
        @inline(__always)
        func origin(_ t: Int) -> (b: Int, y: Int, x: Int) {
            let perImage = tilesHigh * tilesWide
            let (b, r) = (t / perImage, t % perImage)
            return (b, r / tilesWide * m, r % tilesWide * m)
        }
    }

    /// `V = Bᵀ d B` for one tile; `V[ξν]` goes to `target + (ξα + ν)·componentStride`.
    @inline(__always)
    private func transformInput(_ input: UnsafePointer<Float>, _ geometry: TileGeometry, tile: Int,
                                into target: UnsafeMutablePointer<Float>, componentStride: Int,
                                temporary: UnsafeMutablePointer<Float>) {
        let (alpha, c) = (transform.alpha, inChannels)
        let shape = geometry.shape
        let (b, y0, x0) = geometry.origin(tile)
        // temporary[i][l] = Σ_k Bᵀ[i][k] · d[k][l], d being rows y0-1… and columns x0-1… (zero outside).
        for i in 0..<alpha {
            for l in 0..<alpha {
                let row = temporary + (i * alpha + l) * c
                row.update(repeating: 0, count: c)
                let x = x0 - 1 + l
                guard x >= 0 && x < shape.width else { continue }
                for term in transform.btRows[i] {
                    let (k, coefficient) = (term.index, term.value)
                    let y = y0 - 1 + k
                    guard y >= 0 && y < shape.height else { continue }
                    let source = input + ((b * shape.height + y) * shape.width + x) * c
                    for ch in 0..<c { row[ch] += coefficient * source[ch] }
                }
            }
        }
        // V[i][j] = Σ_l temporary[i][l] · Bᵀ[j][l], component ij = iα + j.
        for component in 0..<(alpha * alpha) {
            let (i, j) = (component / alpha, component % alpha)
            let out = target + component * componentStride
            let terms = transform.btRows[j]
            let first = temporary + (i * alpha + terms[0].index) * c
            for ch in 0..<c { out[ch] = terms[0].value * first[ch] }
            for term in terms.dropFirst() {
                let source = temporary + (i * alpha + term.index) * c
                for ch in 0..<c { out[ch] += term.value * source[ch] }
            }
        }
    }

    /// `Y = Aᵀ M A` for one tile, plus bias, ReLU, written where the tile lies inside the map.
    @inline(__always)
    private func transformOutput(_ product: UnsafePointer<Float>, componentStride: Int, _ geometry: TileGeometry, tile: Int,
                                 bias: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                                 temporary: UnsafeMutablePointer<Float>) {
        let (m, alpha, o) = (transform.m, transform.alpha, outChannels)
        let shape = geometry.shape
        let (b, y0, x0) = geometry.origin(tile)
        // temporary[i][l] = Σ_k Aᵀ[i][k] · M[k][l].
        for i in 0..<m {
            let terms = transform.atRows[i]
            for l in 0..<alpha {
                let row = temporary + (i * alpha + l) * o
                let first = product + (terms[0].index * alpha + l) * componentStride
                for ch in 0..<o { row[ch] = terms[0].value * first[ch] }
                for term in terms.dropFirst() {
                    let source = product + (term.index * alpha + l) * componentStride
                    for ch in 0..<o { row[ch] += term.value * source[ch] }
                }
            }
        }
        // Y[i][j] = bias + Σ_l temporary[i][l] · Aᵀ[j][l], then ReLU, for the pixels inside the map.
        for pixel in 0..<(m * m) {
            let (i, j) = (pixel / m, pixel % m)
            guard y0 + i < shape.height && x0 + j < shape.width else { continue }
            let out = output + ((b * shape.height + y0 + i) * shape.width + x0 + j) * o
            for ch in 0..<o { out[ch] = bias[ch] }
            for term in transform.atRows[j] {
                let source = temporary + (i * alpha + term.index) * o
                for ch in 0..<o { out[ch] += term.value * source[ch] }
            }
            for ch in 0..<o { out[ch] = max(0, out[ch]) }
        }
    }
}
