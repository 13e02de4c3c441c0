// The conversation on screen as a second input (LiveBot, Ma et al. 2019): each caption is
// also conditioned on the comments shown before it. They are read as a bag of words, the
// mean over comments of each comment's mean word embedding (the model's own embedding),
// then `q = tanh(m·W_q + b_q)`, offered to the LSTM next to the picture's `z` at every step.
//
// A bag of words, not an encoder over word order, because what a thread passes on is mostly
// lexical (`8888` waves, `ｗｗｗ` after a joke, a meme repeated for minutes) and it costs one
// `[B, E]·[E, C]` product per batch; each comment counts once however long it is, so a
// line of comment art does not drown the rest. With no comment on screen, `m = 0` and `q =
// tanh(b_q)`: a learned "nothing yet", which context dropout trains.
import Foundation
import Tensor

/// The context comments of a batch's captions as a sparse `[B, V]` matrix of weights: row `b`
/// holds `1 / (K_b · |c_k|)` for each token of each of its `K_b` non-empty comments `c_k`.
public struct CaptionContext: Sendable, Equatable {
    /// The token ids, caption after caption.
    public private(set) var tokens: [Int] = []
    /// Each token's weight.
    public private(set) var weights: [Float] = []
    /// Caption `b`'s tokens are `offsets[b]..<offsets[b + 1]`; `B + 1` entries.
    public private(set) var offsets: [Int] = [0]

    /// The contexts of `comments.count` captions: for each, its comments' token ids, each
    /// cut to `maxTokens`. Empty comments are left out.
    public init(_ comments: [[[Int]]], maxTokens: Int = .max) {
        for caption in comments {
            let kept = caption.map { $0.prefix(maxTokens) }.filter { !$0.isEmpty }
            for comment in kept {
                let weight = 1 / Float(kept.count * comment.count)
                tokens += comment
                weights += [Float](repeating: weight, count: comment.count)
            }
            offsets.append(tokens.count)
        }
    }

    /// `B`.
    public var count: Int { offsets.count - 1 }

    /// Whether caption `b` has no context.
    public func isEmpty(_ b: Int) -> Bool { offsets[b] == offsets[b + 1] }

    /// The weighted sum of the embeddings: `[B, E]`.
    func mean(_ embedding: Embedding) -> Tensor {
        let size = embedding.weight.shape[1]
        var out = Tensor(shape: [count, size])
        withUnsafeBuffers(&out.storage, embedding.weight.storage) { o, w in
            forEachToken { b, i in
                let row = w.baseAddress! + tokens[i] * size, target = o.baseAddress! + b * size
                for j in 0..<size { target[j] += weights[i] * row[j] }
            }
        }
        return out
    }

    /// Adds the gradient of `mean` for `dMean [B, E]` to the embedding's.
    func meanBackward(_ dMean: Tensor, gradient: inout Embedding) {
        let size = gradient.weight.shape[1]
        withUnsafeBuffers(&gradient.weight.storage, dMean.storage) { g, d in
            forEachToken { b, i in
                let row = g.baseAddress! + tokens[i] * size, source = d.baseAddress! + b * size
                for j in 0..<size { row[j] += weights[i] * source[j] }
            }
        }
    }

    /// Calls `body(b, i)` for each token `i` of each caption `b`, in order (inlined, so the
    /// kernels above are plain loops).
    @inline(__always)
    private func forEachToken(_ body: (_ caption: Int, _ token: Int) -> Void) {
        for b in 0..<count {
            for i in offsets[b]..<offsets[b + 1] { body(b, i) }
        }
    }
}

/// What the context encoder computes for a batch; its backward pass reads it.
struct ContextActivations {
    /// `q = tanh(m·W_q + b_q)`, `[B, C]`.
    var encoded = Tensor(shape: [0])
    /// The picture's unit vectors `p̂`, `[B, D]` (gated models).
    var picture = Tensor(shape: [0])
    /// `p̂·W_g + b_g`, `[B, C]`: what the picture expects the thread to say.
    var expected = Tensor(shape: [0])
    /// `s = (p̂·W_g + b_g)·q` and `g = σ(s)`, one per caption.
    var score: [Float] = []
    var gate: [Float] = []
    /// The trust τ the LSTM follows the gate with, and the opening `o = 1 − τ(1 − g)`.
    var trust: Float = 1
    var opening: [Float] = []
    /// What the LSTM reads: `o·q`, or `q` without the gate, `[B, C]`.
    var output = Tensor(shape: [0])
}

/// `q = tanh(m·W_q + b_q)`: the context mean `[B, E]` → `[B, C]`, then, in a gated model,
/// `o·q` with the agreement gate `g = σ((p̂·W_g + b_g)·q)`, `p̂` the caption's picture
/// (mean annotation or global vector) as a unit vector, followed with trust τ:
/// `o = 1 − τ(1 − g)`.
///
/// The gate lets the model read a thread less when it does not fit the picture. Without it
/// the thread is a second, independent source of the words: with a wrong picture and the
/// right thread the model still guesses well, so the picture's share of the result (the
/// grounding gain) falls. Context swap trains the gate on threads from elsewhere in the
/// video; `p̂` is a unit vector so that the gate does not depend on the features' scale.
/// Where the picture says nothing about the thread (a stand-in video), the gate can still
/// learn the training pictures by heart and then close on new ones; training measures that
/// on the development blocks and sets τ = 0 there, which opens the gate.
public struct ContextEncoder: Sendable, Equatable {
    /// `E` → `C`; `[0, 0]` in a model without context.
    public var projection: Linear
    /// `D` → `C`: `W_g`, `b_g`; `[0, 0]` without the gate.
    public var gate: Linear

    public init(embeddingSize: Int, contextSize: Int, pictureSize: Int, gated: Bool,
                using generator: inout some RandomNumberGenerator) {
        projection = contextSize == 0 ? .empty : Linear(inputs: embeddingSize, outputs: contextSize, using: &generator)
        gate = contextSize == 0 || !gated ? .empty : Linear(inputs: pictureSize, outputs: contextSize, using: &generator)
    }

    /// Whether `q` is gated.
    var isGated: Bool { gate.weight.count > 0 }

    /// `o·q` (or `q`) for `mean [B, E]`, the captions' pictures `[B, D]` and trust τ.
    func forward(mean: Tensor, picture: Tensor, trust: Float = 1, into a: inout ContextActivations) {
        var q = projection.forward(mean)
        q.storage.withUnsafeMutableBufferPointer { Kernels.tanhInPlace($0) }
        a.encoded = q
        guard isGated else {
            a.output = q
            return
        }
        a.picture = picture.rowsAsUnitVectors()
        a.expected = gate.forward(a.picture)
        a.score = a.expected.rowDots(q)
        a.gate = a.score.map { 1 / (1 + Foundation.exp(-$0)) }
        a.trust = trust
        a.opening = a.gate.map { 1 - trust * (1 - $0) }
        a.output = q
        a.output.scaleRows(by: a.opening)
    }

    /// The agreement loss `λ/N·Σ_b BCE(g_b, own_b)` over the `N` captions with a label, and
    /// its gradient on each score `s_b` (0 for those without).
    static func matchLoss(_ a: ContextActivations, own: [Bool?], weight: Float) -> (loss: Double, scoreGradient: [Float]) {
        precondition(own.count == a.score.count, "ContextEncoder: \(own.count) labels for \(a.score.count) captions")
        let labelled = own.compactMap { $0 }.count
        guard weight > 0 && labelled > 0 else { return (0, [Float](repeating: 0, count: a.score.count)) }
        let scale = weight / Float(labelled)
        var loss = 0.0
        let gradient = zip(a.score, zip(a.gate, own)).map { s, pair -> Float in
            let (g, label) = pair
            guard let label else { return 0 }
            // BCE(σ(s), y) = softplus(s) − y·s, written so that it cannot overflow
            let y: Float = label ? 1 : 0
            loss += Double(max(s, 0) + Foundation.log1p(Foundation.exp(-abs(s))) - y * s)
            return scale * (g - y)
        }
        return (Double(scale) * loss, gradient)
    }

    /// Adds the gradients for `dOutput [B, C]`, and `scoreGradient` on `s` (the agreement
    /// loss's) if given; returns `dm [B, E]`. The agreement loss trains the gate fully but
    /// reaches `q` only as far as the LSTM follows the gate (τ): an untrusted gate keeps
    /// learning to judge without reshaping the thread it does not pass on.
    func backward(mean: Tensor, activations a: ContextActivations, outputGradient dOutput: Tensor, scoreGradient: [Float] = [],
                  gradient: inout ContextEncoder) -> Tensor {
        var dq = dOutput
        if isGated {
            // o·q, o = 1 − τ(1 − g), g = σ(s), s = e·q, e = p̂·W_g + b_g:
            // dq = o·dOut + (ds + τ·ds_match)·e, de = (ds + ds_match)·q, ds = τ·g(1 − g)·(dOut·q)
            let ds = zip(dOutput.rowDots(a.encoded), a.gate).map { a.trust * $0 * $1 * (1 - $1) }
            var dsGate = ds, dsThread = ds
            for (b, extra) in scoreGradient.enumerated() {
                dsGate[b] += extra
                dsThread[b] += a.trust * extra
            }
            dq.scaleRows(by: a.opening)
            var dExpected = a.expected
            dExpected.scaleRows(by: dsThread)
            dq.add(dExpected)
            var dE = a.encoded
            dE.scaleRows(by: dsGate)
            gate.backward(input: a.picture, outputGradient: dE, gradient: &gradient.gate, needsInputGradient: false)
        }
        // q = tanh(m·W_q + b_q)
        dq.multiplyByTanhDerivative(a.encoded)
        return projection.backward(input: mean, outputGradient: dq, gradient: &gradient.projection)!
    }
}
