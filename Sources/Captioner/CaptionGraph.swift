// Forward and backward passes of a whole captioning model over a batch with teacher forcing,
// as plain lists of layer calls (llm.c's gpt2_forward / gpt2_backward): `forward` runs the
// recurrence with `CaptionModel.step` and the deep output's hidden layer over all steps at
// once, `loss` the vocabulary layer in row chunks (its gradient taken chunk by chunk, so the
// [P, V] logits never exist whole), `backward` the recurrence in reverse. Rows are packed:
// step t runs on the captions still going, the first n_t of a batch sorted longest first, so
// padded steps cost nothing and memory follows the batch's true lengths.
import Foundation
import Tensor

/// A batch of captions with teacher forcing, laid out time-major.
public struct CaptionBatch: Sendable {
    /// `[F, L, D]` annotations or `[F, G]` global vectors: the batch's distinct frames.
    public var features: Tensor
    /// `[B]`: the row of `features` that caption `b` belongs to. Captions of the same
    /// frame share it, so the attention's `a·W_a` is computed once per frame.
    public var frames: [Int]
    /// `[T·B]`, time-major: `<bos>`, the tokens, then `<pad>`.
    public var inputs: [Int]
    /// `[T·B]`, time-major: the tokens, `<eos>`, then `<pad>`.
    public var targets: [Int]
    /// `T`: the longest caption's token count plus one.
    public var steps: Int
    /// Each caption's context comments (read by models with context; empty rows otherwise).
    public var context: CaptionContext
    /// For each caption, whether the context it is shown is its own (true) or another
    /// moment's (false, context swap); nil for none, and for a context with nothing in it.
    /// The gate's agreement loss reads it; empty: no labels.
    public var contextIsOwn: [Bool?]
    /// `B`.
    public var size: Int { frames.count }

    /// A batch from `captions` (token ids without `<bos>` / `<eos>`, each cut to
    /// `maxTokens`) and their features (row `i` belongs to caption `i`).
    public init(features: Tensor, captions: [[Int]], contexts: [[[Int]]] = [], contextIsOwn: [Bool?] = [], maxTokens: Int = .max) {
        self.init(features: features, frames: Array(0..<captions.count), captions: captions, contexts: contexts,
                  contextIsOwn: contextIsOwn, maxTokens: maxTokens)
    }

    /// A batch from `captions` (token ids without `<bos>` / `<eos>`, each cut to
    /// `maxTokens`), caption `i` belonging to row `frames[i]` of `features` and reading the
    /// comments `contexts[i]` (each cut to `maxTokens`; none given: no context), which are its
    /// own or not as `contextIsOwn[i]` tells (none given: unlabelled).
    public init(features: Tensor, frames: [Int], captions: [[Int]], contexts: [[[Int]]] = [], contextIsOwn: [Bool?] = [],
                maxTokens: Int = .max) {
        precondition(contexts.isEmpty || contexts.count == captions.count, "CaptionBatch: \(contexts.count) contexts for \(captions.count) captions")
        precondition(contextIsOwn.isEmpty || contextIsOwn.count == captions.count,
                     "CaptionBatch: \(contextIsOwn.count) context labels for \(captions.count) captions")
        precondition(frames.count == captions.count && frames.allSatisfy { $0 >= 0 && $0 < features.shape[0] },
                     "CaptionBatch: \(captions.count) captions, frames \(frames.min() ?? 0)…\(frames.max() ?? 0) for features \(features.shape)")
        self.features = features
        self.frames = frames
        let batch = captions.count
        let steps = (captions.map { min($0.count, maxTokens) }.max() ?? 0) + 1
        var inputs = [Int](repeating: SpecialToken.pad, count: steps * batch)
        var targets = inputs
        for (b, caption) in captions.enumerated() {
            let tokens = caption.prefix(maxTokens)
            inputs[b] = SpecialToken.bos
            for (t, token) in tokens.enumerated() {
                targets[t * batch + b] = token
                inputs[(t + 1) * batch + b] = token
            }
            targets[tokens.count * batch + b] = SpecialToken.eos
        }
        self.inputs = inputs
        self.targets = targets
        self.steps = steps
        let context = CaptionContext(contexts.isEmpty ? [[[Int]]](repeating: [], count: batch) : contexts, maxTokens: maxTokens)
        self.context = context
        // Nothing on screen: nothing to tell apart.
        self.contextIsOwn = contextIsOwn.enumerated().map { b, own in context.isEmpty(b) ? nil : own }
    }

    /// The number of non-padding targets.
    public var tokenCount: Int { targets.reduce(0) { $0 + ($1 == SpecialToken.pad ? 0 : 1) } }
}

/// The loss of one batch.
public struct BatchLoss: Sendable, Equatable {
    /// Mean cross-entropy per non-padding token (nats).
    public var crossEntropy: Double
    /// The attention penalty (0 without attention).
    public var penalty: Double
    /// Non-padding tokens.
    public var tokens: Int
    /// The context gate's agreement loss (0 without the gate or its labels).
    public var match: Double = 0

    /// What training minimises: `crossEntropy + penalty + match`.
    public var total: Double { crossEntropy + penalty + match }
}

/// What a batch's forward pass keeps for the loss and the backward pass. Rows are packed:
/// step `t`'s are the first `n_t` captions, from row `offsets[t]`; `P = Σ n_t`.
struct Activations {
    /// `n_t`: the captions still going at step `t` (never growing; `n_0 = B`).
    var rowCounts: [Int] = []
    /// The first packed row of each step.
    var offsets: [Int] = []
    /// The inputs (`<bos>`, the tokens), packed `[P]`.
    var inputs: [Int] = []
    /// The targets (the tokens, `<eos>`), packed `[P]`; `<pad>` only for a caption that
    /// ended inside the step's rows (batches not sorted longest first).
    var targets: [Int] = []
    /// `E y` of every input, `[P, E]`.
    var embedded = Tensor(shape: [0])
    /// The projection `[B, L, A]` and initial state `[B, 2H]`, or the image step.
    var start = StartActivations()
    /// The agreement loss's gradient on the gate's scores, `[B]` (empty: none).
    var matchGradient: [Float] = []
    /// One per step: its state, LSTM input, attention and LSTM activations (`[n_t, …]`).
    var steps: [StepActivations] = []
    /// `[h'; z; E y]`, `[P, H + D + E]`.
    var deepInput = Tensor(shape: [0])
    /// `tanh([h'; z; E y]·W_d + b_d)`, `[P, E]`.
    var hidden = Tensor(shape: [0])
    /// The dropout mask on `hidden`, `[P, E]` (empty without dropout).
    var dropoutMask = Tensor(shape: [0])
    /// `hidden` after dropout, `[P, E]`: the vocabulary layer's input.
    var dropped = Tensor(shape: [0])
    /// `−log p(target)` of each packed row (0 for `<pad>`), `[P]`.
    var rowLosses: [Double] = []

    /// `P`.
    var rows: Int { inputs.count }

    /// Lays out `batch`'s inputs and targets packed, step by step; unless `packed`, every
    /// step keeps all `B` rows (the padded computation, for reference).
    mutating func pack(_ batch: CaptionBatch, packed: Bool) {
        let b = batch.size
        rowCounts = (0..<batch.steps).map { t in
            guard packed else { return b }
            return (0..<b).last(where: { batch.targets[t * b + $0] != SpecialToken.pad }).map { $0 + 1 } ?? 0
        }
        while rowCounts.last == 0 { rowCounts.removeLast() }
        offsets = rowCounts.indices.map { rowCounts[..<$0].reduce(0, +) }
        inputs = rowCounts.indices.flatMap { t in batch.inputs[(t * b)..<(t * b + rowCounts[t])] }
        targets = rowCounts.indices.flatMap { t in batch.targets[(t * b)..<(t * b + rowCounts[t])] }
    }

    /// Packed rows `range` of step `t` (all of them by default).
    func stepRows(_ t: Int) -> Range<Int> { offsets[t]..<(offsets[t] + rowCounts[t]) }
}

/// Runs a model forward and backward over batches, keeping its buffers from one batch to the
/// next (the large ones, `[B, L, A]`, dominate training memory).
///
/// Not thread-safe: one graph per training loop.
public final class CaptionGraph {
    private var activations = Activations()
    private var projectedGradient = Tensor(shape: [0])
    private var frameProjectedGradient = Tensor(shape: [0])
    private var contextGradient = Tensor(shape: [0])
    /// One chunk of logits, `[n, V]`, kept from batch to batch (~120 MB).
    private var logits = Tensor(shape: [0])

    /// Rows of logits computed at once: bounds the `[rows, V]` buffer (~120 MB at V = 30,000).
    public var outputChunkRows = 1024

    /// Whether a step runs only on the captions still going (the default). Off, every step
    /// runs on the whole batch, as a padded implementation would: the same loss and
    /// gradients, for tests and the benchmark's reference.
    public var packsRows = true

    public init() {}

    /// About how many bytes training `config` takes with batches of `b` captions and `t` steps
    /// at most, beyond the dataset: the batch's features (and the spare kept for the next), the
    /// `[B, L, A]` projection and its gradient, what every step keeps for backward, the deep
    /// output's `[P, …]` rows, one chunk of logits, and the model, its gradient, the best
    /// weights and Adam's two moments. Every caption `t − 1` tokens long is the worst case;
    /// real batches, packed by length, take less.
    public static func trainingBytes(config: CaptionerConfig, batch b: Int, steps t: Int, outputChunkRows: Int = 1024) -> Int {
        let (e, h, a, d, l) = (config.embeddingSize, config.hiddenSize, config.attentionSize, config.featureSize, config.annotationCount)
        let attends = config.kind == .showAttendTell
        let frame = config.frameShape.reduce(1, *)
        let rows = b * t
        var floats = 2 * b * frame                                          // features + spare
        if attends { floats += 2 * b * l * a }                              // projection and its gradient
        let lstmInput = config.lstmInputSize
        floats += t * b * (lstmInput + 2 * h + 6 * h)                       // per step: input, previous state, gates and state
        if attends { floats += t * b * (a + l + 2 * d + 1) }                // per step: U_a h, α, context, output, β
        floats += rows * (2 * config.deepOutputInputSize + 4 * e)           // deep input and its gradient, hidden, dropout, gradients
        floats += min(rows, outputChunkRows) * (config.vocabularySize + e)  // one chunk of logits
        let parameters = CaptionModel.parameterShapes(config).values.reduce(0) { $0 + $1.reduce(1, *) }
        floats += 5 * parameters                                            // model, gradient, best, Adam m and v
        return floats * MemoryLayout<Float>.size + rows * MemoryLayout<Double>.size
    }

    /// The training loss of `batch` with dropout drawn from `generator`; adds its gradient to `gradient`.
    public func lossAndGradient(model: CaptionModel, batch: CaptionBatch, gradient: inout CaptionModel,
                                using generator: inout some RandomNumberGenerator) -> BatchLoss {
        forward(model: model, batch: batch, dropout: true, using: &generator)
        var dropped = Tensor(shape: [0])
        let (loss, dAlpha) = self.loss(model: model, batch: batch, gradient: &gradient, droppedGradient: &dropped)
        backward(model: model, batch: batch, droppedGradient: dropped, alphaGradients: dAlpha, gradient: &gradient)
        return loss
    }

    /// The loss of `batch` without dropout and without gradients (dev loss).
    public func loss(model: CaptionModel, batch: CaptionBatch) -> BatchLoss {
        var generator = SplitMix64(seed: 0)
        forward(model: model, batch: batch, dropout: false, using: &generator)
        return crossEntropy(model: model, batch: batch)
    }

    /// `log p(target)` of every target of `batch` (time-major `[T·B]`, 0 for `<pad>`), without dropout.
    public func targetLogProbabilities(model: CaptionModel, batch: CaptionBatch) -> [Double] {
        _ = loss(model: model, batch: batch)
        let b = batch.size
        var out = [Double](repeating: 0, count: batch.targets.count)
        for t in activations.rowCounts.indices {
            for (i, row) in activations.stepRows(t).enumerated() { out[t * b + i] = -activations.rowLosses[row] }
        }
        return out
    }

    // MARK: The passes

    /// The recurrence, then the deep output's hidden layer and dropout over every packed row.
    private func forward(model: CaptionModel, batch: CaptionBatch, dropout: Bool, using generator: inout some RandomNumberGenerator) {
        let config = model.config
        precondition(Array(batch.features.shape.dropFirst()) == config.frameShape,
                     "CaptionGraph: features \(batch.features.shape) for frames \(config.frameShape)")
        activations.pack(batch, packed: packsRows)
        let steps = activations.rowCounts.count
        if activations.steps.count < steps { activations.steps += (activations.steps.count..<steps).map { _ in StepActivations() } }
        activations.embedded = model.embedding.forward(activations.inputs)                  // [P, E]
        var state = model.start(batch.features, frames: batch.frames, context: batch.context,
                                into: &activations.start)                                   // [B, H]
        activations.deepInput.ensureShape([activations.rows, config.deepOutputInputSize])  // [P, H + D + E]
        for t in 0..<steps {
            let rows = activations.stepRows(t)
            let word = activations.embedded.rows(rows)                                       // [n_t, E]
            model.step(word: word, previous: state.withRows(rows.count), features: batch.features, frames: batch.frames,
                       start: activations.start, into: &activations.steps[t])
            model.writeDeepInput(activations.steps[t], word: word, into: &activations.deepInput, row: rows.lowerBound)
            state = activations.steps[t].state
        }
        model.output.hiddenForward(activations.deepInput, into: &activations.hidden)       // [P, E]
        activations.dropped = activations.hidden
        if dropout && config.dropout > 0 {
            activations.dropoutMask.ensureShape(activations.hidden.shape)
            Dropout(rate: config.dropout).fillMask(&activations.dropoutMask, using: &generator)
            activations.dropped = Dropout.apply(activations.hidden, mask: activations.dropoutMask)
        } else {
            activations.dropoutMask = Tensor(shape: [0])
        }
    }

    /// The cross-entropy and the attention penalty of the forward pass. Adds the vocabulary
    /// layer's gradients to `gradient`; returns the gradient of `dropped` (`[P, E]`, in
    /// `droppedGradient`) and the penalty's on each step's α.
    private func loss(model: CaptionModel, batch: CaptionBatch, gradient: inout CaptionModel,
                      droppedGradient: inout Tensor) -> (BatchLoss, [Tensor]) {
        var loss = crossEntropy(model: model, batch: batch, gradientScale: 1 / Float(max(batch.tokenCount, 1)),
                                gradient: &gradient, droppedGradient: &droppedGradient)
        let config = model.config
        activations.matchGradient = []
        if config.contextGate && !batch.contextIsOwn.isEmpty {
            let match = ContextEncoder.matchLoss(activations.start.context, own: batch.contextIsOwn, weight: config.contextMatch)
            (loss.match, activations.matchGradient) = match
        }
        guard config.kind == .showAttendTell && config.attentionPenalty != 0 else { return (loss, []) }
        let mask = activations.targets.map { $0 == SpecialToken.pad ? Float(0) : 1 }
        let (penalty, dAlpha) = AttentionPenalty(weight: config.attentionPenalty)
            .evaluate(alphas: activations.steps.prefix(activations.rowCounts.count).map(\.attention.alpha), mask: mask)
        loss.penalty = penalty
        return (loss, dAlpha)
    }

    /// The cross-entropy of the forward pass, without gradients.
    private func crossEntropy(model: CaptionModel, batch: CaptionBatch) -> BatchLoss {
        var untouched = model, noGradient = Tensor(shape: [0])   // never written without a gradient scale
        return crossEntropy(model: model, batch: batch, gradientScale: nil, gradient: &untouched, droppedGradient: &noGradient)
    }

    /// The vocabulary layer and softmax cross-entropy over the packed rows, `outputChunkRows`
    /// at a time. With `gradientScale`, adds `dW_o`, `db_o` to `gradient` and writes the
    /// gradient of `dropped` into `droppedGradient`.
    private func crossEntropy(model: CaptionModel, batch: CaptionBatch, gradientScale: Float?, gradient: inout CaptionModel,
                              droppedGradient: inout Tensor) -> BatchLoss {
        let rows = activations.rows
        let training = gradientScale != nil
        if activations.rowLosses.count < rows { activations.rowLosses = [Double](repeating: 0, count: rows) }
        if training { droppedGradient = Tensor(shape: activations.dropped.shape) }
        var chunkLosses = [Double](repeating: 0, count: min(rows, outputChunkRows))
        var biasGradient = training ? gradient.output.vocabulary.bias : Tensor(shape: [0])
        if training { gradient.output.vocabulary.bias = Tensor(shape: [0]) }   // moved out, updated in place
        let vocabulary = model.output.vocabulary
        var start = 0
        while start < rows {
            let end = min(rows, start + outputChunkRows)
            let chunk = activations.dropped.rows(start..<end)                                // [n, E]
            // logits = u·W_o + b_o, then softmax cross-entropy (the bias added inside)
            logits.ensureShape([end - start, vocabulary.weight.shape[1]])
            logits.multiply(chunk, vocabulary.weight)
            SoftmaxCrossEntropy.apply(&logits, targets: activations.targets[start..<end], gradientScale: gradientScale,
                                      rowLosses: &chunkLosses, bias: vocabulary.bias, biasGradient: &biasGradient)
            for i in 0..<(end - start) { activations.rowLosses[start + i] = chunkLosses[i] }
            if training {
                gradient.output.vocabulary.weight.multiply(chunk, logits, transposeA: true, beta: 1)
                droppedGradient.setColumns(0, from: Tensor.product(logits, vocabulary.weight, transposeB: true), row: start)
            }
            start = end
        }
        if training { gradient.output.vocabulary.bias = biasGradient }
        let tokens = batch.tokenCount
        let crossEntropy = activations.rowLosses.prefix(rows).reduce(0, +) / Double(max(tokens, 1))
        return BatchLoss(crossEntropy: crossEntropy, penalty: 0, tokens: tokens)
    }

    /// Backward through dropout and the deep output's hidden layer, then the recurrence in
    /// reverse, then the start and the embedding.
    private func backward(model: CaptionModel, batch: CaptionBatch, droppedGradient: Tensor, alphaGradients: [Tensor],
                          gradient: inout CaptionModel) {
        let config = model.config
        let h = config.hiddenSize
        var dHidden = droppedGradient                                                      // [P, E]
        if !activations.dropoutMask.storage.isEmpty { dHidden = Dropout.apply(dHidden, mask: activations.dropoutMask) }
        let dDeep = model.output.hiddenBackward(input: activations.deepInput, output: activations.hidden,
                                                outputGradient: dHidden, gradient: &gradient.output)  // [P, H + D + E]
        var dEmbedded = Tensor(shape: [activations.rows, config.embeddingSize])            // [P, E]
        if config.kind == .showAttendTell {
            projectedGradient.zero(shape: [batch.size, config.annotationCount, config.attentionSize])  // [B, L, A]
        }
        contextGradient.zero(shape: [batch.size, config.contextSize])                        // [B, C]
        var dh = Tensor(shape: [0, h]), dc = Tensor(shape: [0, h])
        for t in stride(from: activations.rowCounts.count - 1, through: 0, by: -1) {
            let rows = activations.stepRows(t)
            // Captions that ended at step t get no gradient from later steps.
            dh = dh.withRows(rows.count)
            dc = dc.withRows(rows.count)
            let dDeepStep = dDeep.rows(rows)                                               // [n_t, H + D + E]
            dh.add(dDeepStep.columns(0, width: h, rows: 0..<rows.count))
            let back = model.stepBackward(activations.steps[t], features: batch.features, frames: batch.frames,
                                          start: activations.start, dh: dh, dc: dc,
                                          dDeep: dDeepStep, alphaGradient: alphaGradients.isEmpty ? nil : alphaGradients[t],
                                          gradient: &gradient, projectedGradient: &projectedGradient,
                                          contextGradient: &contextGradient)
            dEmbedded.setColumns(0, from: back.word, row: rows.lowerBound)
            (dh, dc) = (back.hidden, back.cell)
        }
        // The projection's gradient per frame: the blocks of each frame's captions summed.
        let frameCount = batch.features.shape[0]
        let sharesFrames = config.kind == .showAttendTell && batch.frames != Array(0..<frameCount)
        if sharesFrames {
            frameProjectedGradient.zero(shape: [frameCount, config.annotationCount, config.attentionSize])  // [F, L, A]
            frameProjectedGradient.addRows(projectedGradient, at: batch.frames)
        }
        model.startBackward(activations.start, features: batch.features, frames: batch.frames,
                            dh: dh.withRows(batch.size), dc: dc.withRows(batch.size),
                            projectedGradient: sharesFrames ? frameProjectedGradient : projectedGradient,
                            contextGradient: contextGradient, contextScoreGradient: activations.matchGradient, gradient: &gradient)
        model.embedding.backward(activations.inputs, outputGradient: dEmbedded, gradient: &gradient.embedding)
    }
}
