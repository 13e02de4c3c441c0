// Soft deterministic attention of Xu et al. 2015 ("Show, Attend and Tell", §3.1.2 and §4.2):
// e_i = w·tanh(W_a a_i + U_a h + b), α = softmax(e), z = β·Σ_i α_i a_i, β = sigmoid(h·w_β + b_β).
import Foundation
import Tensor

/// What one attention step keeps for its backward pass: `O(B·(L + D + A))` floats.
///
/// The `[B, L, A]` activations `tanh(W_a a_i + U_a h + b)` are not kept: backward recomputes
/// them row by row from the batch's projection and `hiddenProjection` (one tanh per element,
/// the forward's own cost), which at the article's sizes saves 51 MB per step (1.7 GB for a
/// batch of 32-token comments).
public struct AttentionStep: Sendable {
    /// `U_a h`, `[B, A]`.
    public var hiddenProjection = Tensor(shape: [0])
    /// The attention weights α, `[B, L]`; each row sums to 1.
    public var alpha = Tensor(shape: [0])
    /// `Σ_i α_i a_i`, `[B, D]`.
    public var context = Tensor(shape: [0])
    /// The gate β, `[B]`.
    public var gate = Tensor(shape: [0])
    /// `z = β·context`, `[B, D]`: the attention's output.
    public var output = Tensor(shape: [0])

    public init() {}
}

/// Soft attention over annotations `[B, L, D]` given the LSTM's previous hidden state `[B, H]`.
///
/// The annotation projection `a·W_a + b` does not depend on the step, so it is computed once
/// per batch (`project`) and its gradient accumulated over the steps (`projectionBackward`).
public struct SoftAttention: Sendable, Equatable {
    /// `W_a`, `[D, A]`.
    public var annotationWeight: Tensor
    /// `b`, `[A]`.
    public var annotationBias: Tensor
    /// `U_a`, `[H, A]`.
    public var hiddenWeight: Tensor
    /// `w`, `[A]`.
    public var scoreWeight: Tensor
    /// `w_β`, `[H]`.
    public var gateWeight: Tensor
    /// `b_β`, `[1]`.
    public var gateBias: Tensor

    /// Glorot-uniform weights, zero biases.
    public init(featureSize: Int, hiddenSize: Int, attentionSize: Int, using generator: inout some RandomNumberGenerator) {
        annotationWeight = glorot(featureSize, attentionSize, using: &generator)
        annotationBias = Tensor(shape: [attentionSize])
        hiddenWeight = glorot(hiddenSize, attentionSize, using: &generator)
        scoreWeight = glorot(attentionSize, 1, using: &generator).reshaped([attentionSize])
        gateWeight = glorot(hiddenSize, 1, using: &generator).reshaped([hiddenSize])
        gateBias = Tensor(shape: [1])
    }

    /// The attention size `A`.
    public var attentionSize: Int { annotationWeight.shape[1] }

    /// `a·W_a + b` for `annotations [B, L, D]`, as `[B, L, A]` in `projected` (storage reused).
    public func project(_ annotations: Tensor, into projected: inout Tensor) {
        projected.ensureShape([annotations.shape[0], annotations.shape[1], attentionSize])
        projected.multiply(annotations, annotationWeight)
        projected.addRowVector(annotationBias)
    }

    /// One step for the first `B` rows: fills `step` from `annotations [F, L, D]`, their
    /// projection `[F, L, A]` and the previous hidden state `hidden [B, H]`, row `b` reading
    /// frame `frames[b]` (all rows frame `b` when `frames` is nil). A step of the training
    /// graph runs only on the captions still going, a prefix of the batch.
    public func forward(annotations: Tensor, projected: Tensor, hidden: Tensor, frames: [Int]? = nil, into step: inout AttentionStep) {
        let (l, d) = (annotations.shape[1], annotations.shape[2])
        let (a, h) = (attentionSize, hiddenWeight.shape[0])
        let b = hidden.shape[0]
        let frames = frames ?? Array(0..<b)
        precondition(projected.shape == [annotations.shape[0], l, a] && hidden.shape == [b, h] && frames.count >= b
                     && frames.prefix(b).allSatisfy { $0 >= 0 && $0 < annotations.shape[0] },
                     "SoftAttention.forward: projected \(projected.shape), hidden \(hidden.shape), \(frames.count) frames for annotations \(annotations.shape)")
        step.hiddenProjection.ensureShape([b, a])
        step.hiddenProjection.multiply(hidden, hiddenWeight)
        step.alpha.ensureShape([b, l])
        step.context.ensureShape([b, d])
        step.gate.ensureShape([b])
        step.output.ensureShape([b, d])
        attentionForward(alpha: &step.alpha.storage, context: &step.context.storage, gate: &step.gate.storage,
                         output: &step.output.storage, annotations: annotations.storage, projected: projected.storage,
                         frames: frames, hiddenProjection: step.hiddenProjection.storage, hidden: hidden.storage,
                         scoreWeight: scoreWeight.storage, gateWeight: gateWeight.storage, gateBias: gateBias.storage[0],
                         B: b, L: l, D: d, A: a, H: h)
    }

    /// Backward through one step of `B` rows (`hidden`'s).
    ///
    /// - Parameters:
    ///   - projected: the batch's `a·W_a + b`, `[F, L, A]`, as given to `forward`, and `frames` likewise.
    ///   - outputGradient: `dz`, `[B, D]`.
    ///   - alphaGradient: an extra gradient on α (`[B, L]`, from the attention penalty), if any.
    ///   - gradient: receives `dU_a`, `dw`, `dw_β`, `db_β`.
    ///   - projectedGradient: `[≥B, L, A]`, one block per row (not per frame); the gradient
    ///     of row `b`'s projection is added to block `b`. Sum the blocks of each frame and
    ///     pass them to `projectionBackward` after the last step.
    /// - Returns: the gradient of the previous hidden state, `[B, H]`.
    public func backward(annotations: Tensor, projected: Tensor, hidden: Tensor, frames: [Int]? = nil, step: AttentionStep,
                         outputGradient dz: Tensor, alphaGradient: Tensor?, gradient: inout SoftAttention,
                         projectedGradient: inout Tensor) -> Tensor {
        let (l, d) = (annotations.shape[1], annotations.shape[2])
        let (a, h) = (attentionSize, hiddenWeight.shape[0])
        let b = hidden.shape[0]
        let frames = frames ?? Array(0..<b)
        precondition(dz.shape == [b, d] && alphaGradient.map { $0.shape == [b, l] } ?? true && frames.count >= b
                     && projectedGradient.shape.count == 3 && projectedGradient.shape[0] >= b
                     && Array(projectedGradient.shape.dropFirst()) == [l, a],
                     "SoftAttention.backward: dz \(dz.shape), dα \(alphaGradient?.shape ?? []), dP \(projectedGradient.shape) for annotations \(annotations.shape)")
        var dGatePre = Tensor(shape: [b])                 // d(h·w_β + b_β), [B]
        var dHiddenProjection = Tensor(shape: [b, a])     // d(U_a h), [B, A]
        let parts = max(1, min(BLAS.threadCount, b))
        var partialScoreWeight = [Float](repeating: 0, count: parts * a)   // dw per part, summed in order
        attentionBackward(projectedGradient: &projectedGradient.storage, hiddenProjectionGradient: &dHiddenProjection.storage,
                          gatePreGradient: &dGatePre.storage, scoreWeightGradient: &partialScoreWeight,
                          outputGradient: dz.storage, alphaGradient: (alphaGradient ?? Tensor(shape: [b, l])).storage,
                          annotations: annotations.storage, projected: projected.storage, frames: frames,
                          hiddenProjection: step.hiddenProjection.storage, alpha: step.alpha.storage,
                          context: step.context.storage, gate: step.gate.storage, scoreWeight: scoreWeight.storage,
                          B: b, L: l, D: d, A: a, parts: parts)
        for part in 0..<parts {
            for j in 0..<a { gradient.scoreWeight.storage[j] += partialScoreWeight[part * a + j] }
        }
        // u = U_a h
        gradient.hiddenWeight.multiply(hidden, dHiddenProjection, transposeA: true, beta: 1)
        var dHidden = Tensor.product(dHiddenProjection, hiddenWeight, transposeB: true)
        // β = σ(h·w_β + b_β)
        for row in 0..<b {
            let g = dGatePre.storage[row]
            gradient.gateBias.storage[0] += g
            for j in 0..<h {
                gradient.gateWeight.storage[j] += g * hidden.storage[row * h + j]
                dHidden.storage[row * h + j] += g * gateWeight.storage[j]
            }
        }
        return dHidden
    }

    /// Adds `aᵀ·dP` to `dW_a` and the sums of `dP` to `db`, where `dP [B, L, A]` is the
    /// projection gradient accumulated over every step: one product per batch.
    public func projectionBackward(annotations: Tensor, projectedGradient: Tensor, gradient: inout SoftAttention) {
        gradient.annotationWeight.multiply(annotations, projectedGradient, transposeA: true, beta: 1)
        gradient.annotationBias.addColumnSums(of: projectedGradient)
    }
}

// MARK: Kernels (llm.c style: outputs first, then inputs, then sizes; one pass per label)

/// The forward pass of one attention step over rows `b` in parallel, fused over `[L, A]`:
/// the tanh, the score, the softmax and the context are one sweep of the batch row, and the
/// tanh activations live only in a row of scratch (backward recomputes them).
///
/// - Parameters: `alpha [B, L]`, `context [B, D]`, `gate [B]`, `output [B, D]` (written);
///   `annotations [F, L, D]`, `projected [F, L, A]` (`a·W_a + b`), `frames [B]` (row `b`
///   reads frame `frames[b]`), `hiddenProjection [B, A]` (`U_a h`), `hidden [B, H]`,
///   `scoreWeight [A]`, `gateWeight [H]`.
private func attentionForward(alpha: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                              gate: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                              annotations: UnsafePointer<Float>, projected: UnsafePointer<Float>, frames: UnsafePointer<Int>,
                              hiddenProjection: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                              scoreWeight w: UnsafePointer<Float>, gateWeight: UnsafePointer<Float>, gateBias: Float,
                              B: Int, L: Int, D: Int, A: Int, H: Int) {
    forEachPart(B) { _, rows in
        let t = UnsafeMutablePointer<Float>.allocate(capacity: A)   // tanh(p_bl + u_b), one row of [L, A]
        defer { t.deallocate() }
        for b in rows {
            let u_b = hiddenProjection + b * A
            let alpha_b = alpha + b * L
            let p_b = projected + frames[b] * L * A, a_b = annotations + frames[b] * L * D
            // e_l = w · tanh(p_l + u)
            for l in 0..<L {
                let p_bl = p_b + l * A
                for j in 0..<A { t[j] = Kernels.tanh(p_bl[j] + u_b[j]) }
                alpha_b[l] = BLAS.dot(UnsafeBufferPointer(start: t, count: A), UnsafeBufferPointer(start: w, count: A))
            }
            // α = softmax(e)
            Kernels.softmaxInPlace(UnsafeMutableBufferPointer(start: alpha_b, count: L))
            // context = Σ_l α_l a_l
            let context_b = context + b * D
            context_b.update(repeating: 0, count: D)
            for l in 0..<L {
                let weight = alpha_b[l]
                let a_bl = a_b + l * D
                for i in 0..<D { context_b[i] += weight * a_bl[i] }
            }
            // β = σ(h·w_β + b_β)
            let h_b = hidden + b * H
            var s = gateBias
            for j in 0..<H { s += h_b[j] * gateWeight[j] }
            let beta = 1 / (1 + expf(-s))
            gate[b] = beta
            // z = β·context
            let output_b = output + b * D
            for i in 0..<D { output_b[i] = beta * context_b[i] }
        }
    }
}

/// The backward pass of one attention step over rows `b` in parallel (`parts` of them, as
/// `forEachPart` splits), each pass undoing the forward line it quotes.
///
/// - Parameters: `projectedGradient [B, L, A]` (added to), `hiddenProjectionGradient [B, A]`,
///   `gatePreGradient [B]` (written), `scoreWeightGradient [parts, A]` (added to, one row per
///   part so the sum is the same on every run); `outputGradient [B, D]`, `alphaGradient [B, L]`
///   (zeros without the penalty), and the forward's inputs and outputs. `projectedGradient`
///   has one block per row, so no two parts write the same memory.
private func attentionBackward(projectedGradient: UnsafeMutablePointer<Float>, hiddenProjectionGradient: UnsafeMutablePointer<Float>,
                               gatePreGradient: UnsafeMutablePointer<Float>, scoreWeightGradient: UnsafeMutablePointer<Float>,
                               outputGradient: UnsafePointer<Float>, alphaGradient: UnsafePointer<Float>,
                               annotations: UnsafePointer<Float>, projected: UnsafePointer<Float>, frames: UnsafePointer<Int>,
                               hiddenProjection: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                               context: UnsafePointer<Float>, gate: UnsafePointer<Float>, scoreWeight w: UnsafePointer<Float>,
                               B: Int, L: Int, D: Int, A: Int, parts: Int) {
    forEachPart(B, parts: parts) { part, rows in
        let dw = scoreWeightGradient + part * A
        let dContext = UnsafeMutablePointer<Float>.allocate(capacity: D)
        let de = UnsafeMutablePointer<Float>.allocate(capacity: L)
        let t = UnsafeMutablePointer<Float>.allocate(capacity: A)
        defer { dContext.deallocate(); de.deallocate(); t.deallocate() }
        for b in rows {
            let dz_b = outputGradient + b * D, context_b = context + b * D
            let alpha_b = alpha + b * L
            let u_b = hiddenProjection + b * A, du_b = hiddenProjectionGradient + b * A
            let p_b = projected + frames[b] * L * A, a_b = annotations + frames[b] * L * D
            // z = β·context
            let beta = gate[b]
            var dBeta: Float = 0
            for i in 0..<D {
                dBeta += dz_b[i] * context_b[i]
                dContext[i] = beta * dz_b[i]
            }
            // β = σ(h·w_β + b_β)
            gatePreGradient[b] = dBeta * beta * (1 - beta)
            // context = Σ_l α_l a_l   (plus the penalty's gradient on α)
            for l in 0..<L {
                de[l] = BLAS.dot(UnsafeBufferPointer(start: a_b + l * D, count: D),
                                 UnsafeBufferPointer(start: dContext, count: D))
                de[l] += alphaGradient[b * L + l]
            }
            // α = softmax(e)
            var weighted: Float = 0
            for l in 0..<L { weighted += alpha_b[l] * de[l] }
            // e_l = w · tanh(p_l + u), the tanh recomputed
            scoreBackward(projectedGradient: projectedGradient + b * L * A, hiddenProjectionGradient: du_b, scoreWeightGradient: dw,
                          alpha: alpha_b, alphaGradient: de, weightedAlphaGradient: weighted, projected: p_b,
                          hiddenProjection: u_b, scoreWeight: w, tanhRow: t, L: L, A: A)
        }
    }
}

/// `α = softmax(e)` and `e_l = w · tanh(p_l + u)` undone for one batch row (a pass of
/// `attentionBackward`): `de_l = α_l·(dα_l − Σ_k α_k dα_k)`, the tanh recomputed.
///
/// - Parameters: `projectedGradient [L, A]`, `hiddenProjectionGradient [A]`,
///   `scoreWeightGradient [A]` (added to); `alpha [L]`, `alphaGradient [L]` (`dα`),
///   `weightedAlphaGradient` (`Σ_k α_k dα_k`), `projected [L, A]`, `hiddenProjection [A]`,
///   `scoreWeight [A]`; `tanhRow` is `A` floats of scratch.
@inline(__always)
private func scoreBackward(projectedGradient: UnsafeMutablePointer<Float>, hiddenProjectionGradient du_b: UnsafeMutablePointer<Float>,
                           scoreWeightGradient dw: UnsafeMutablePointer<Float>,
                           alpha alpha_b: UnsafePointer<Float>, alphaGradient de: UnsafePointer<Float>,
                           weightedAlphaGradient weighted: Float, projected p_b: UnsafePointer<Float>,
                           hiddenProjection u_b: UnsafePointer<Float>, scoreWeight w: UnsafePointer<Float>,
                           tanhRow t: UnsafeMutablePointer<Float>, L: Int, A: Int) {
    for l in 0..<L {
        let g = alpha_b[l] * (de[l] - weighted)
        let p_bl = p_b + l * A, dp_bl = projectedGradient + l * A
        for j in 0..<A { t[j] = Kernels.tanh(p_bl[j] + u_b[j]) }
        for j in 0..<A {
            let dpre = g * w[j] * (1 - t[j] * t[j])
            dp_bl[j] += dpre
            du_b[j] += dpre
            dw[j] += g * t[j]
        }
    }
}
