// Elementwise kernels on Tensor and on raw buffers. Loops are written over unsafe buffers so
// the optimiser can vectorise them; shapes are checked once, up front.
import Foundation

extension Tensor {
    /// Elementwise `self + other`; shapes must be equal.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out += rhs
        return out
    }

    /// Elementwise `self - other`; shapes must be equal.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "subtract: shapes \(lhs.shape) and \(rhs.shape)")
        var out = lhs
        withUnsafeBuffers(&out.storage, rhs.storage) { o, r in
            for i in 0..<o.count { o[i] -= r[i] }
        }
        return out
    }

    /// Adds `other` elementwise; shapes must be equal.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        precondition(lhs.shape == rhs.shape, "add: shapes \(lhs.shape) and \(rhs.shape)")
        withUnsafeBuffers(&lhs.storage, rhs.storage) { o, r in
            for i in 0..<o.count { o[i] += r[i] }
        }
    }

    /// Every element times `scalar`.
    public static func * (lhs: Tensor, scalar: Float) -> Tensor {
        var out = lhs
        out *= scalar
        return out
    }

    /// Multiplies every element by `scalar`, in place.
    public static func *= (lhs: inout Tensor, scalar: Float) {
        lhs.storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count { o[i] *= scalar }
        }
    }

    /// Adds `bias` (shape `[N]`) to every row of a `[…, N]` tensor.
    public mutating func addRowVector(_ bias: Tensor) {
        let n = bias.count
        precondition(rank >= 1 && shape[rank - 1] == n, "addRowVector: bias \(bias.shape) for \(shape)")
        guard n > 0 else { return }
        withUnsafeBuffers(&storage, bias.storage) { o, b in
            var base = 0
            while base < o.count {
                for j in 0..<n { o[base + j] += b[j] }
                base += n
            }
        }
    }

    /// `max(0, x)` elementwise.
    public func relu() -> Tensor { map { $0 > 0 ? $0 : 0 } }

    /// The sum of all elements, accumulated in `Double`.
    public func sum() -> Double {
        storage.withUnsafeBufferPointer { p in
            var total = 0.0
            for x in p { total += Double(x) }
            return total
        }
    }

    /// The largest absolute value (0 for an empty tensor).
    public func maxAbs() -> Float {
        storage.withUnsafeBufferPointer { p in
            var m: Float = 0
            for x in p { m = Swift.max(m, Swift.abs(x)) }
            return m
        }
    }

    /// A tensor of the same shape with `transform` applied to every element.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        var out = self
        out.storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count { o[i] = transform(o[i]) }
        }
        return out
    }
}

/// Kernels on raw buffers for the hot loops of later stages.
public enum Kernels {
    /// Replaces `x` with `softmax(x)`, subtracting the maximum first so `exp` cannot overflow.
    @inlinable
    public static func softmaxInPlace(_ x: UnsafeMutableBufferPointer<Float>) {
        guard !x.isEmpty else { return }
        var m = -Float.infinity
        for v in x { m = max(m, v) }
        var total: Float = 0
        for i in 0..<x.count {
            let e = expf(x[i] - m)
            x[i] = e
            total += e
        }
        let inverse = 1 / total
        for i in 0..<x.count { x[i] *= inverse }
    }
}
