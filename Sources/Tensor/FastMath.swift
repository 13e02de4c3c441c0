// Vectorised exp, tanh and sigmoid for the hot loops of the models. libm's expf and tanhf are
// scalar calls (~5–20 ns each); a recurrent model applies them to hundreds of millions of
// elements per batch, so these SIMD versions (a few ulp from libm) replace them there.
import Foundation

extension Kernels {
    /// The vector width the kernels work in.
    public typealias Vector = SIMD16<Float>

    /// `e^x` lane by lane: Cody–Waite reduction `x = n·ln 2 + r`, the Cephes degree-6
    /// polynomial for `e^r`, then `2^n` built in the exponent bits. Relative error ≤ 2 ulp on
    /// [-87, 88]; inputs are clamped there (below it the result is ~1e-38, not 0).
    @inlinable
    public static func exp(_ x: Vector) -> Vector {
        let clamped = x.clamped(lowerBound: Vector(repeating: -87.3), upperBound: Vector(repeating: 88.3))
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        let bits = (SIMD16<Int32>(n) &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: Vector.self)
    }

    /// `tanh(x)` lane by lane: the rational minimax approximation Eigen uses (odd degree 13
    /// over even degree 6) on [-7.9053, 7.9053], where tanh rounds to ±1 in Float outside.
    /// Error a few ulp.
    @inlinable
    public static func tanh(_ x: Vector) -> Vector {
        let bound: Float = 7.905_311_107_635_498
        let c = x.clamped(lowerBound: Vector(repeating: -bound), upperBound: Vector(repeating: bound))
        let x2 = c * c
        var p = Vector(repeating: -2.760_768_477_423_55e-16)
        p = p * x2 + 2.000_187_904_824_77e-13
        p = p * x2 - 8.604_671_522_137_35e-11
        p = p * x2 + 5.122_297_090_371_14e-08
        p = p * x2 + 1.485_722_357_179_79e-05
        p = p * x2 + 6.372_619_288_754_36e-04
        p = p * x2 + 4.893_524_558_917_86e-03
        p = p * c
        var q = Vector(repeating: 1.198_258_394_667_02e-06)
        q = q * x2 + 1.185_347_056_866_54e-04
        q = q * x2 + 2.268_434_632_439_00e-03
        q = q * x2 + 4.893_525_185_543_85e-03
        return p / q
    }

    /// `1 / (1 + e^-x)` lane by lane, as `(1 + tanh(x/2)) / 2` (no overflow for any `x`).
    @inlinable
    public static func sigmoid(_ x: Vector) -> Vector {
        0.5 + 0.5 * tanh(0.5 * x)
    }

    /// Applies `body` to `x` in place, a `Vector` at a time; the tail is padded with zeros.
    @inlinable
    public static func apply(_ x: UnsafeMutableBufferPointer<Float>, _ body: (Vector) -> Vector) {
        guard let base = x.baseAddress else { return }
        let width = Vector.scalarCount
        var i = 0
        while i + width <= x.count {
            let raw = UnsafeMutableRawPointer(base + i)
            raw.storeBytes(of: body(raw.loadUnaligned(as: Vector.self)), as: Vector.self)
            i += width
        }
        if i < x.count {
            var tail = Vector()
            for j in i..<x.count { tail[j - i] = x[j] }
            let result = body(tail)
            for j in i..<x.count { x[j] = result[j - i] }
        }
    }

    /// Replaces every element with its hyperbolic tangent (vectorised; see `tanh(_:)`).
    public static func tanhInPlace(_ x: UnsafeMutableBufferPointer<Float>) { apply(x, tanh) }

    /// Replaces every element with its logistic sigmoid (vectorised; see `sigmoid(_:)`).
    public static func sigmoidInPlace(_ x: UnsafeMutableBufferPointer<Float>) { apply(x, sigmoid) }

    /// Replaces `x` with `e^(x - shift)` and returns the sum of the results (accumulated in
    /// Float lanes, then added up in Double).
    public static func expInPlace(_ x: UnsafeMutableBufferPointer<Float>, subtracting shift: Float) -> Double {
        guard let base = x.baseAddress else { return 0 }
        let width = Vector.scalarCount
        var lanes = Vector()
        var i = 0
        while i + width <= x.count {
            let raw = UnsafeMutableRawPointer(base + i)
            let e = exp(raw.loadUnaligned(as: Vector.self) - shift)
            raw.storeBytes(of: e, as: Vector.self)
            lanes += e
            i += width
        }
        var total = 0.0
        for j in 0..<width { total += Double(lanes[j]) }
        if i < x.count {
            var tail = Vector(repeating: -.infinity)
            for j in i..<x.count { tail[j - i] = x[j] }
            let e = exp(tail - shift)
            for j in i..<x.count {
                x[j] = e[j - i]
                total += Double(e[j - i])
            }
        }
        return total
    }

    /// The largest element (−∞ for an empty buffer), vectorised.
    public static func maximum(_ x: UnsafeBufferPointer<Float>) -> Float {
        guard let base = x.baseAddress else { return -.infinity }
        let width = Vector.scalarCount
        var lanes = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= x.count {
            lanes = pointwiseMax(lanes, UnsafeRawPointer(base + i).loadUnaligned(as: Vector.self))
            i += width
        }
        var m = lanes.max()
        while i < x.count {
            m = Swift.max(m, x[i])
            i += 1
        }
        return m
    }
}
