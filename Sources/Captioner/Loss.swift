// The training objective of Xu et al. 2015 (eq. 14): the cross-entropy of the caption plus the
// doubly stochastic attention penalty λ·Σ_i(1 − Σ_t α_ti)², both masked for padding.
import Foundation
import Tensor

/// Softmax cross-entropy over the vocabulary, ignoring rows whose target is `<pad>`.
public enum SoftmaxCrossEntropy {
    /// The mean of `−log softmax(logits)[target]` over non-padding rows, and its gradient.
    ///
    /// Shapes: `logits [N, V]`, `targets [N]`; the gradient is `[N, V]`.
    public static func evaluate(logits: Tensor, targets: [Int]) -> (loss: Double, gradient: Tensor) {
        let tokens = targets.filter { $0 != SpecialToken.pad }.count
        var gradient = logits
        var losses = [Double](repeating: 0, count: targets.count)
        var noBiasGradient = Tensor(shape: [0])
        apply(&gradient, targets: targets, gradientScale: 1 / Float(max(tokens, 1)), rowLosses: &losses,
              biasGradient: &noBiasGradient)
        return (losses.reduce(0, +) / Double(max(tokens, 1)), gradient)
    }

    /// Replaces each row of `logits [N, V]` with `gradientScale·(softmax − onehot(target))`
    /// (zero for `<pad>` targets; without `gradientScale` the rows are left as scratch) and
    /// writes each row's `−log p(target)` (0 for `<pad>`) into `rowLosses[rowOffset + i]`.
    ///
    /// `bias [V]`, when given, is first added to every row, and with `gradientScale` the
    /// rows' gradients are added to `biasGradient [V]`: one pass over each row while it is in
    /// cache instead of two more over the whole `[N, V]` block. Rows are split over the cores;
    /// each part sums its own bias gradient and the parts are added in order, so the result
    /// does not depend on scheduling.
    static func apply(_ logits: inout Tensor, targets: some Collection<Int>, gradientScale: Float?,
                      rowLosses: inout [Double], rowOffset: Int = 0,
                      bias: Tensor? = nil, biasGradient: inout Tensor) {
        let (rows, vocabulary) = logits.matrixShape
        precondition(targets.count == rows, "SoftmaxCrossEntropy: \(targets.count) targets for \(logits.shape)")
        precondition(bias.map { $0.count == vocabulary } ?? true, "SoftmaxCrossEntropy: bias for \(logits.shape)")
        precondition(rowLosses.count >= rowOffset + rows, "SoftmaxCrossEntropy: \(rowLosses.count) row losses for \(rows) rows at \(rowOffset)")
        let targets = Array(targets)
        let accumulate = gradientScale != nil && biasGradient.count == vocabulary
        let parts = max(1, min(BLAS.threadCount, rows))
        var partials = [Float](repeating: 0, count: accumulate ? parts * vocabulary : 0)
        softmaxCrossEntropyRows(logits: &logits.storage, rowLosses: &rowLosses, biasGradients: &partials,
                                targets: targets, bias: bias?.storage ?? [], hasBias: bias != nil,
                                gradientScale: gradientScale, accumulate: accumulate, rowOffset: rowOffset,
                                N: rows, V: vocabulary, parts: parts)
        for part in 0..<parts where accumulate {
            biasGradient.add(Tensor(shape: [vocabulary], storage: Array(partials[(part * vocabulary)..<((part + 1) * vocabulary)])))
        }
    }
}

/// The rows of `SoftmaxCrossEntropy.apply`, split in `parts` over the cores (llm.c style:
/// outputs first, then inputs, then sizes).
///
/// - Parameters: `logits [N, V]` (replaced by the gradient, or scratch), `rowLosses`
///   (written from `rowOffset`), `biasGradients [parts, V]` (with `accumulate`, each part adds
///   its rows' gradients to its own row); `targets [N]`, `bias [V]` (when `hasBias`).
private func softmaxCrossEntropyRows(logits: UnsafeMutablePointer<Float>, rowLosses: UnsafeMutablePointer<Double>,
                                     biasGradients: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int>,
                                     bias: UnsafePointer<Float>, hasBias: Bool, gradientScale: Float?, accumulate: Bool,
                                     rowOffset: Int, N: Int, V: Int, parts: Int) {
    forEachPart(N, parts: parts) { part, range in
        let db = biasGradients + part * V
        for i in range {
            let target = targets[i]
            let row = UnsafeMutableBufferPointer(start: logits + i * V, count: V)
            // logits += b
            if hasBias { for j in 0..<V { row[j] += bias[j] } }
            if target == SpecialToken.pad {
                if gradientScale != nil { row.update(repeating: 0) }
                rowLosses[rowOffset + i] = 0
                continue
            }
            // loss = log Σ exp(logits − max) − (logits[target] − max)
            let shift = Kernels.maximum(UnsafeBufferPointer(row))
            let targetLogit = row[target]
            let logSum = Foundation.log(Kernels.expInPlace(row, subtracting: shift))
            rowLosses[rowOffset + i] = logSum - Double(targetLogit - shift)
            guard let gradientScale else { continue }
            // dlogits = scale·(softmax − onehot(target)); db += dlogits
            let scale = gradientScale / Float(Foundation.exp(logSum))
            for j in 0..<V { row[j] *= scale }
            row[target] -= gradientScale
            if accumulate { for j in 0..<V { db[j] += row[j] } }
        }
    }
}

/// The doubly stochastic regularisation of Xu et al. §4.2.1: `λ/B·Σ_b Σ_i (1 − Σ_t α_bti)²`,
/// pushing the model to look at every location over the caption; padded steps do not count.
public struct AttentionPenalty: Sendable, Equatable {
    /// λ.
    public var weight: Float

    public init(weight: Float) { self.weight = weight }

    /// The penalty and its gradient with respect to each step's α.
    ///
    /// - Parameters:
    ///   - alphas: one `[n_t, L]` tensor per step: the first `n_t` captions of the batch,
    ///     those still going (`n_0 = B`, the counts never grow).
    ///   - mask: one entry per row of every step, in step order: 1 for a real step, 0 for padding.
    public func evaluate(alphas: [Tensor], mask: [Float]) -> (loss: Double, gradients: [Tensor]) {
        guard let first = alphas.first else { return (0, []) }
        let (batch, count) = (first.shape[0], first.shape[1])
        let rows = alphas.map { $0.shape[0] }
        precondition(alphas.allSatisfy { $0.shape[0] <= batch && $0.shape[1] == count } && mask.count == rows.reduce(0, +),
                     "AttentionPenalty: mask \(mask.count) for steps of \(rows) rows")
        let offsets = rows.indices.map { rows[..<$0].reduce(0, +) }
        var totals = [Float](repeating: 0, count: batch * count)
        for (t, alpha) in alphas.enumerated() {
            for b in 0..<rows[t] where mask[offsets[t] + b] != 0 {
                for l in 0..<count { totals[b * count + l] += alpha.storage[b * count + l] }
            }
        }
        var loss = 0.0
        for s in totals { loss += Double((1 - s) * (1 - s)) }
        let scale = weight / Float(batch)
        let gradients = alphas.indices.map { t in
            var g = Tensor(shape: [rows[t], count])
            for b in 0..<rows[t] where mask[offsets[t] + b] != 0 {
                for l in 0..<count { g.storage[b * count + l] = -2 * scale * (1 - totals[b * count + l]) }
            }
            return g
        }
        return (loss * Double(scale), gradients)
    }
}
