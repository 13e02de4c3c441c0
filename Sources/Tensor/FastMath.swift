// Exp, tanh and sigmoid for the hot loops of the models. libm's expf and tanhf are scalar
// calls (~5–20 ns each) and a recurrent model applies them to hundreds of millions of elements
// per batch, so these versions use only arithmetic, comparisons and bit casts: loops over them
// are vectorised by the compiler. Accuracy: a few ulp from libm.
import Foundation

extension Kernels {
    /// `e^x`: Cody–Waite reduction `x = n·ln 2 + r`, the Cephes degree-6 polynomial for
    /// `e^r`, then `2^n` built in the exponent bits. Relative error ≤ 2 ulp on [-87.3, 88.3];
    /// inputs are clamped there (so below it the result is ~1e-38, not 0).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let c = x < -87.3 ? -87.3 : (x > 88.3 ? 88.3 : x)
        // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
        let shifted = c * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        var r = c - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return y * scale
    }

    /// `tanh(x)`: the rational minimax approximation Eigen uses (odd degree 13 over even
    /// degree 6) on [-7.9053, 7.9053], outside which tanh rounds to ±1 in Float. Error a few ulp.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let bound: Float = 7.905_311_107_635_498
        let c = x < -bound ? -bound : (x > bound ? bound : x)
        let x2 = c * c
        var p: Float = -2.760_768_477_423_55e-16
        p = p * x2 + 2.000_187_904_824_77e-13
        p = p * x2 - 8.604_671_522_137_35e-11
        p = p * x2 + 5.122_297_090_371_14e-08
        p = p * x2 + 1.485_722_357_179_79e-05
        p = p * x2 + 6.372_619_288_754_36e-04
        p = p * x2 + 4.893_524_558_917_86e-03
        var q: Float = 1.198_258_394_667_02e-06
        q = q * x2 + 1.185_347_056_866_54e-04
        q = q * x2 + 2.268_434_632_439_00e-03
        q = q * x2 + 4.893_525_185_543_85e-03
        return p * c / q
    }

    /// `1 / (1 + e^-x)`, as `(1 + tanh(x/2)) / 2` (no overflow for any `x`).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        0.5 + 0.5 * tanh(0.5 * x)
    }

    /// Replaces every element with its hyperbolic tangent (see `tanh(_:)`).
    public static func tanhInPlace(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let p = x.baseAddress else { return }
        for i in 0..<x.count { p[i] = tanh(p[i]) }
    }

    /// Replaces every element with its logistic sigmoid (see `sigmoid(_:)`).
    public static func sigmoidInPlace(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let p = x.baseAddress else { return }
        for i in 0..<x.count { p[i] = sigmoid(p[i]) }
    }

    /// Replaces `x` with `e^(x - shift)` and returns the sum of the results.
    public static func expInPlace(_ x: UnsafeMutableBufferPointer<Float>, subtracting shift: Float) -> Double {
        guard let p = x.baseAddress else { return 0 }
        for i in 0..<x.count { p[i] = exp(p[i] - shift) }
        return Double(BLAS.absoluteSum(UnsafeBufferPointer(x)))
    }

    /// The largest element (−∞ for an empty buffer; NaN elements are skipped).
    public static func maximum(_ x: UnsafeBufferPointer<Float>) -> Float {
        guard let p = x.baseAddress else { return -.infinity }
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var i = 0
        while i + 4 <= x.count {
            m0 = p[i] > m0 ? p[i] : m0
            m1 = p[i + 1] > m1 ? p[i + 1] : m1
            m2 = p[i + 2] > m2 ? p[i + 2] : m2
            m3 = p[i + 3] > m3 ? p[i + 3] : m3
            i += 4
        }
        while i < x.count {
            m0 = p[i] > m0 ? p[i] : m0
            i += 1
        }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }
}
