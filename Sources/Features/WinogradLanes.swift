// The Winograd transforms of F(2x2, 3x3) and F(4x4, 3x3) written out for 8 channels at a time,
// with the matrices' coefficients folded into shared sums (Lavin & Gray 2016, section 4): the
// generic loops in Winograd.swift cost several passes over a temporary per tile, these keep
// one tile of 8 channels in registers and the L1 cache. Used when the channel count is a
// multiple of 8 (every VGG layer after the first).
import Tensor

/// Eight channels of one pixel.
typealias Lanes = SIMD8<Float>

extension WinogradKernel {
    /// `Bᵀd` for one column `d` of an F(4x4) input tile.
    @inline(__always)
    static func inputF4(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes, _ d4: Lanes, _ d5: Lanes)
        -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
    {
        let a = d3 + d4, b = d1 + d2, c = d4 - d3, e = d1 - d2, f = d4 - d2, g = d3 - d1
        return (4 * d0 - 5 * d2 + d4, a - 4 * b, c + 4 * e, f + 2 * g, f - 2 * g, 4 * d1 - 5 * d3 + d5)
    }

    /// `Aᵀm` for one column `m` of an F(4x4) product tile.
    @inline(__always)
    static func outputF4(_ m0: Lanes, _ m1: Lanes, _ m2: Lanes, _ m3: Lanes, _ m4: Lanes, _ m5: Lanes)
        -> (Lanes, Lanes, Lanes, Lanes)
    {
        let sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4
        return (m0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + m5)
    }

    /// `Bᵀd` for one column of an F(2x2) input tile.
    @inline(__always)
    static func inputF2(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes) -> (Lanes, Lanes, Lanes, Lanes) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// `Aᵀm` for one column of an F(2x2) product tile.
    @inline(__always)
    static func outputF2(_ m0: Lanes, _ m1: Lanes, _ m2: Lanes, _ m3: Lanes) -> (Lanes, Lanes) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// `V = Bᵀ d B` for one tile, 8 channels at a time (see `transformInput`); `temporary`
    /// holds `α²·8` floats.
    @inline(__always)
    func transformInputLanes(_ input: UnsafePointer<Float>, _ geometry: TileGeometry, tile: Int,
                             into target: UnsafeMutablePointer<Float>, componentStride: Int,
                             temporary: UnsafeMutablePointer<Float>) {
        let alpha = transform.alpha, c = inChannels
        let shape = geometry.shape
        let (b, y0, x0) = geometry.origin(tile)
        let columns = UnsafeMutableRawPointer(temporary)
        let rowBase = b * shape.height
        @inline(__always) func pixel(_ k: Int, _ x: Int, _ channel: Int) -> Lanes {
            let y = y0 - 1 + k
            guard y >= 0 && y < shape.height else { return Lanes() }
            return UnsafeRawPointer(input + ((rowBase + y) * shape.width + x) * c + channel).loadUnaligned(as: Lanes.self)
        }
        @inline(__always) func column(_ index: Int) -> Lanes { columns.load(fromByteOffset: index * 32, as: Lanes.self) }
        @inline(__always) func setColumn(_ index: Int, _ value: Lanes) { columns.storeBytes(of: value, toByteOffset: index * 32, as: Lanes.self) }
        @inline(__always) func emit(_ component: Int, _ channel: Int, _ value: Lanes) {
            UnsafeMutableRawPointer(target + component * componentStride + channel).storeBytes(of: value, as: Lanes.self)
        }
        // Column l of Bᵀd into columns[k·α + l].
        @inline(__always) func transformColumn(_ l: Int, _ channel: Int) {
            let x = x0 - 1 + l
            let inside = x >= 0 && x < shape.width
            if alpha == 6 {
                let r = inside
                    ? Self.inputF4(pixel(0, x, channel), pixel(1, x, channel), pixel(2, x, channel),
                                   pixel(3, x, channel), pixel(4, x, channel), pixel(5, x, channel))
                    : (Lanes(), Lanes(), Lanes(), Lanes(), Lanes(), Lanes())
                setColumn(l, r.0); setColumn(6 + l, r.1); setColumn(12 + l, r.2)
                setColumn(18 + l, r.3); setColumn(24 + l, r.4); setColumn(30 + l, r.5)
            } else {
                let r = inside
                    ? Self.inputF2(pixel(0, x, channel), pixel(1, x, channel), pixel(2, x, channel), pixel(3, x, channel))
                    : (Lanes(), Lanes(), Lanes(), Lanes())
                setColumn(l, r.0); setColumn(4 + l, r.1); setColumn(8 + l, r.2); setColumn(12 + l, r.3)
            }
        }
        // Row i of (Bᵀd)B into components iα…iα + α − 1.
        @inline(__always) func transformRow(_ i: Int, _ channel: Int) {
            let row = i * alpha
            if alpha == 6 {
                let r = Self.inputF4(column(row), column(row + 1), column(row + 2), column(row + 3), column(row + 4), column(row + 5))
                emit(row, channel, r.0); emit(row + 1, channel, r.1); emit(row + 2, channel, r.2)
                emit(row + 3, channel, r.3); emit(row + 4, channel, r.4); emit(row + 5, channel, r.5)
            } else {
                let r = Self.inputF2(column(row), column(row + 1), column(row + 2), column(row + 3))
                emit(row, channel, r.0); emit(row + 1, channel, r.1); emit(row + 2, channel, r.2); emit(row + 3, channel, r.3)
            }
        }

        for channel in stride(from: 0, to: c, by: 8) {
            for l in 0..<alpha { transformColumn(l, channel) }
            for i in 0..<alpha { transformRow(i, channel) }
        }
    }

    /// `Y = Aᵀ M A` + bias, ReLU, for one tile, 8 channels at a time (see `transformOutput`);
    /// `temporary` holds `m·α·8` floats.
    @inline(__always)
    func transformOutputLanes(_ product: UnsafePointer<Float>, componentStride: Int, _ geometry: TileGeometry, tile: Int,
                              bias: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                              temporary: UnsafeMutablePointer<Float>) {
        let (m, alpha, o) = (transform.m, transform.alpha, outChannels)
        let shape = geometry.shape
        let (b, y0, x0) = geometry.origin(tile)
        let rows = UnsafeMutableRawPointer(temporary)
        @inline(__always) func entry(_ component: Int, _ channel: Int) -> Lanes {
            UnsafeRawPointer(product + component * componentStride + channel).loadUnaligned(as: Lanes.self)
        }
        @inline(__always) func row(_ index: Int) -> Lanes { rows.load(fromByteOffset: index * 32, as: Lanes.self) }
        @inline(__always) func setRow(_ index: Int, _ value: Lanes) { rows.storeBytes(of: value, toByteOffset: index * 32, as: Lanes.self) }
        // rows[i·α + l] = Σ_k Aᵀ[i][k] · M[k][l]
        @inline(__always) func transformColumn(_ l: Int, _ channel: Int) {
            if alpha == 6 {
                let r = Self.outputF4(entry(l, channel), entry(6 + l, channel), entry(12 + l, channel),
                                      entry(18 + l, channel), entry(24 + l, channel), entry(30 + l, channel))
                setRow(l, r.0); setRow(6 + l, r.1); setRow(12 + l, r.2); setRow(18 + l, r.3)
            } else {
                let r = Self.outputF2(entry(l, channel), entry(4 + l, channel), entry(8 + l, channel), entry(12 + l, channel))
                setRow(l, r.0); setRow(4 + l, r.1)
            }
        }
        // Output row y0 + i: (Aᵀ M) A for row i, plus bias, ReLU, the pixels inside the map.
        @inline(__always) func writeRow(_ i: Int, _ channel: Int) {
            let base = i * alpha
            let pixels: (Lanes, Lanes, Lanes, Lanes)
            if alpha == 6 {
                pixels = Self.outputF4(row(base), row(base + 1), row(base + 2), row(base + 3), row(base + 4), row(base + 5))
            } else {
                let r = Self.outputF2(row(base), row(base + 1), row(base + 2), row(base + 3))
                pixels = (r.0, r.1, Lanes(), Lanes())
            }
            let out = output + ((b * shape.height + y0 + i) * shape.width + x0) * o + channel
            @inline(__always) func put(_ j: Int, _ value: Lanes) {
                guard x0 + j < shape.width else { return }
                let pixel = out + j * o
                UnsafeMutableRawPointer(pixel).storeBytes(of: value, as: Lanes.self)
                // ReLU(x + bias) as a fixed 8-element loop, which LLVM vectorises
                // (the generic `pointwiseMax` is not inlined).
                for k in 0..<8 { pixel[k] = max(0, pixel[k] + bias[channel + k]) }
            }
            put(0, pixels.0); put(1, pixels.1)
            if m == 4 { put(2, pixels.2); put(3, pixels.3) }
        }

        for channel in stride(from: 0, to: o, by: 8) {
            for l in 0..<alpha { transformColumn(l, channel) }
            for i in 0..<m where y0 + i < shape.height { writeRow(i, channel) }
        }
    }
}
