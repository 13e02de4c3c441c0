// Soft deterministic attention of Xu et al. 2015 ("Show, Attend and Tell", §3.1.2 and §4.2):
// e_i = w·tanh(W_a a_i + U_a h + b), α = softmax(e), z = β·Σ_i α_i a_i, β = sigmoid(h·w_β + b_β).
import Foundation
import Tensor

/// What one attention step keeps for its backward pass.
public struct AttentionStep: Sendable {
    /// `tanh(W_a a_i + U_a h + b)`, `[B, L, A]`.
    public var activations = Tensor(shape: [0])
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

    /// One step: fills `step` from `annotations [B, L, D]`, their projection `[B, L, A]` and
    /// the previous hidden state `hidden [B, H]`.
    public func forward(annotations: Tensor, projected: Tensor, hidden: Tensor, into step: inout AttentionStep) {
        let (batch, count, size) = (annotations.shape[0], annotations.shape[1], annotations.shape[2])
        let width = attentionSize
        let hiddenProjection = Tensor.product(hidden, hiddenWeight)
        step.activations.ensureShape([batch, count, width])
        step.alpha.ensureShape([batch, count])
        step.context.ensureShape([batch, size])
        step.gate.ensureShape([batch])
        step.output.ensureShape([batch, size])
        let hiddenSize = hiddenWeight.shape[0]
        projected.storage.withUnsafeBufferPointer { p in
        hiddenProjection.storage.withUnsafeBufferPointer { hu in
        scoreWeight.storage.withUnsafeBufferPointer { w in
        annotations.storage.withUnsafeBufferPointer { a in
        step.activations.storage.withUnsafeMutableBufferPointer { t in
        step.alpha.storage.withUnsafeMutableBufferPointer { alpha in
        step.context.storage.withUnsafeMutableBufferPointer { ctx in
            forEachPart(batch) { _, rows in
                for b in rows {
                    for l in 0..<count {
                        let row = (b * count + l) * width
                        alpha[b * count + l] = tanhAndScore(p.baseAddress! + row, hu.baseAddress! + b * width,
                                                            w.baseAddress!, t.baseAddress! + row, width)
                    }
                    Kernels.softmaxInPlace(UnsafeMutableBufferPointer(rebasing: alpha[(b * count)..<((b + 1) * count)]))
                    // context = Σ_l α_l a_l
                    let c = ctx.baseAddress! + b * size
                    c.update(repeating: 0, count: size)
                    for l in 0..<count {
                        let weight = alpha[b * count + l]
                        let annotation = a.baseAddress! + (b * count + l) * size
                        for d in 0..<size { c[d] += weight * annotation[d] }
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        hidden.storage.withUnsafeBufferPointer { h in
            gateWeight.storage.withUnsafeBufferPointer { wb in
                for b in 0..<batch {
                    var s = gateBias.storage[0]
                    for j in 0..<hiddenSize { s += h[b * hiddenSize + j] * wb[j] }
                    step.gate.storage[b] = 1 / (1 + expf(-s))
                }
            }
        }
        step.context.storage.withUnsafeBufferPointer { ctx in
            step.output.storage.withUnsafeMutableBufferPointer { z in
                for b in 0..<batch {
                    let beta = step.gate.storage[b]
                    for d in 0..<size { z[b * size + d] = beta * ctx[b * size + d] }
                }
            }
        }
    }

    /// Backward through one step.
    ///
    /// - Parameters:
    ///   - outputGradient: `dz`, `[B, D]`.
    ///   - alphaGradient: an extra gradient on α (`[B, L]`, from the attention penalty), if any.
    ///   - gradient: receives `dU_a`, `dw`, `dw_β`, `db_β`.
    ///   - projectedGradient: `[B, L, A]`; the gradient of the projection is added to it
    ///     (pass it to `projectionBackward` after the last step).
    /// - Returns: the gradient of the previous hidden state, `[B, H]`.
    public func backward(annotations: Tensor, hidden: Tensor, step: AttentionStep, outputGradient dz: Tensor,
                         alphaGradient: Tensor?, gradient: inout SoftAttention, projectedGradient: inout Tensor) -> Tensor {
        let (batch, count, size) = (annotations.shape[0], annotations.shape[1], annotations.shape[2])
        let width = attentionSize, hiddenSize = hiddenWeight.shape[0]
        projectedGradient.ensureShape([batch, count, width])
        var dGatePre = Tensor(shape: [batch])              // d(h·w_β + b_β), [B]
        var dHiddenProjection = Tensor(shape: [batch, width])
        let parts = max(1, min(BLAS.threadCount, batch))
        var partialScoreWeight = [Float](repeating: 0, count: parts * width)   // dw per part, summed in order
        let noAlphaGradient = Tensor(shape: [0])
        annotations.storage.withUnsafeBufferPointer { a in
        dz.storage.withUnsafeBufferPointer { dzp in
        step.context.storage.withUnsafeBufferPointer { ctx in
        step.alpha.storage.withUnsafeBufferPointer { alpha in
        step.gate.storage.withUnsafeBufferPointer { gate in
        step.activations.storage.withUnsafeBufferPointer { t in
        scoreWeight.storage.withUnsafeBufferPointer { w in
        (alphaGradient ?? noAlphaGradient).storage.withUnsafeBufferPointer { extra in
        dGatePre.storage.withUnsafeMutableBufferPointer { dGate in
        projectedGradient.storage.withUnsafeMutableBufferPointer { dp in
        dHiddenProjection.storage.withUnsafeMutableBufferPointer { dhu in
        partialScoreWeight.withUnsafeMutableBufferPointer { dwAll in
            forEachPart(batch, parts: parts) { part, rows in
                let dw = dwAll.baseAddress! + part * width
                var dContext = [Float](repeating: 0, count: size)
                var de = [Float](repeating: 0, count: count)
                for b in rows {
                    let beta = gate[b]
                    var dBeta: Float = 0
                    for d in 0..<size {
                        dBeta += dzp[b * size + d] * ctx[b * size + d]
                        dContext[d] = beta * dzp[b * size + d]
                    }
                    dGate[b] = dBeta * beta * (1 - beta)
                    // dα_l = a_l·dcontext (+ the penalty's), then back through the softmax.
                    dContext.withUnsafeBufferPointer { dc in
                        for l in 0..<count {
                            de[l] = BLAS.dot(UnsafeBufferPointer(start: a.baseAddress! + (b * count + l) * size, count: size), dc)
                            if !extra.isEmpty { de[l] += extra[b * count + l] }
                        }
                    }
                    var weighted: Float = 0
                    for l in 0..<count { weighted += alpha[b * count + l] * de[l] }
                    for l in 0..<count {
                        let row = (b * count + l) * width
                        scoreBackward(t.baseAddress! + row, w.baseAddress!, alpha[b * count + l] * (de[l] - weighted),
                                      dp.baseAddress! + row, dhu.baseAddress! + b * width, dw, width)
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        var dScoreWeight = [Float](repeating: 0, count: width)
        for part in 0..<parts {
            for j in 0..<width { dScoreWeight[j] += partialScoreWeight[part * width + j] }
        }
        for j in 0..<width { gradient.scoreWeight.storage[j] += dScoreWeight[j] }
        gradient.hiddenWeight.multiply(hidden, dHiddenProjection, transposeA: true, beta: 1)
        var dHidden = Tensor.product(dHiddenProjection, hiddenWeight, transposeB: true)
        for b in 0..<batch {
            let g = dGatePre.storage[b]
            gradient.gateBias.storage[0] += g
            for j in 0..<hiddenSize {
                gradient.gateWeight.storage[j] += g * hidden.storage[b * hiddenSize + j]
                dHidden.storage[b * hiddenSize + j] += g * gateWeight.storage[j]
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

/// `t = tanh(p + u)` into `out` and returns `w·t`, over `count` elements.
@inline(__always)
private func tanhAndScore(_ p: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                          _ out: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
    for i in 0..<count { out[i] = Kernels.tanh(p[i] + u[i]) }
    return BLAS.dot(UnsafeBufferPointer(start: out, count: count), UnsafeBufferPointer(start: w, count: count))
}

/// Backward of `e = w·tanh(p + u)` for one annotation with score gradient `g`:
/// `dp += g·w⊙(1 − t²)` (also added to `du`), `dw += g·t`.
@inline(__always)
private func scoreBackward(_ t: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: Float,
                           _ dp: UnsafeMutablePointer<Float>, _ du: UnsafeMutablePointer<Float>,
                           _ dw: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count {
        let d = g * w[i] * (1 - t[i] * t[i])
        dp[i] += d
        du[i] += d
        dw[i] += g * t[i]
    }
}
