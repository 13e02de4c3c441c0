// Central-difference gradient checks: perturb a few elements of a tensor by ±ε, compare the
// change of a scalar loss with the analytic gradient.
import Tensor
import Testing

/// The largest relative error `|a − n| / max(|a|, |n|, floor)` between the analytic gradient
/// and central differences, over up to `samples` elements of `x` picked by a fixed generator.
func gradientError(_ x: Tensor, analytic: Tensor, epsilon: Float = 1e-2, samples: Int = 24, floor: Double = 1e-3,
                   loss: (Tensor) -> Double) -> Double {
    precondition(x.shape == analytic.shape, "gradientError: \(x.shape) vs \(analytic.shape)")
    var generator = SplitMix64(seed: 99)
    let indices = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in Int.random(in: 0..<x.count, using: &generator) }
    var worst = 0.0
    for i in indices {
        var plus = x, minus = x
        plus.storage[i] += epsilon
        minus.storage[i] -= epsilon
        let numeric = (loss(plus) - loss(minus)) / Double(2 * epsilon)
        let exact = Double(analytic.storage[i])
        worst = max(worst, abs(numeric - exact) / max(abs(numeric), abs(exact), floor))
    }
    return worst
}

/// `Σ r ⊙ y` in Double: a scalar loss whose gradient with respect to `y` is `r`.
func project(_ y: Tensor, _ r: Tensor) -> Double {
    var total = 0.0
    for i in 0..<y.count { total += Double(y.storage[i]) * Double(r.storage[i]) }
    return total
}

/// A tensor of `shape` with elements from U(±scale) drawn from `seed`.
func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = SplitMix64(seed: seed)
    return Tensor(shape: shape, uniform: -scale...scale, using: &generator)
}

/// Records an issue when `error` is not below `limit`, naming `what`.
func expectGradient(_ what: String, _ error: Double, below limit: Double = 1e-2,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(error < limit, "\(what): max relative error \(error)", sourceLocation: sourceLocation)
}
