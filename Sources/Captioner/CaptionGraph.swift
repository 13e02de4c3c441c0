// Forward and backward passes of a whole captioning model over a batch with teacher forcing.
// The recurrence runs step by step; everything that does not feed back into it is batched
// over all steps: the deep output's hidden layer is one product, the vocabulary projection a
// few large products over row chunks (its gradient is taken chunk by chunk, so the [T·B, V]
// logits never exist whole), and the attention's W_a·a is computed once per batch.
import Foundation
import Tensor

/// A batch of captions with teacher forcing, laid out time-major.
public struct CaptionBatch: Sendable {
    /// `[B, L, D]` annotations or `[B, G]` global vectors, one row per caption.
    public var features: Tensor
    /// `[T·B]`, time-major: `<bos>`, the tokens, then `<pad>`.
    public var inputs: [Int]
    /// `[T·B]`, time-major: the tokens, `<eos>`, then `<pad>`.
    public var targets: [Int]
    /// `T`: the longest caption's token count plus one.
    public var steps: Int
    /// `B`.
    public var size: Int { features.shape[0] }

    /// A batch from `captions` (token ids without `<bos>` / `<eos>`, each cut to
    /// `maxTokens`) and their features (row `i` belongs to caption `i`).
    public init(features: Tensor, captions: [[Int]], maxTokens: Int = .max) {
        precondition(features.shape[0] == captions.count, "CaptionBatch: \(captions.count) captions for features \(features.shape)")
        self.features = features
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

    /// What training minimises: `crossEntropy + penalty`.
    public var total: Double { crossEntropy + penalty }
}

/// Runs a model forward and backward over batches, keeping its buffers from one batch to the
/// next (the large ones, `[B, L, A]` per step, dominate training memory).
///
/// Not thread-safe: one graph per training loop.
public final class CaptionGraph {
    private var projected = Tensor(shape: [0])
    private var projectedGradient = Tensor(shape: [0])
    private var initialActivations = Tensor(shape: [0])
    private var embedded = Tensor(shape: [0])
    private var imageInput = Tensor(shape: [0])
    private var imageStep = LSTMStep()
    private var lstmInputs: [Tensor] = []
    private var previousStates: [LSTMState] = []
    private var lstmSteps: [LSTMStep] = []
    private var attentionSteps: [AttentionStep] = []
    private var deepInput = Tensor(shape: [0])
    private var hidden = Tensor(shape: [0])
    private var dropoutMask = Tensor(shape: [0])
    private var logits = Tensor(shape: [0])
    private var rowLosses: [Double] = []

    /// Rows of logits computed at once: bounds the `[rows, V]` buffer (~120 MB at V = 30,000).
    public var outputChunkRows = 1024

    public init() {}

    /// About how many bytes training `config` takes with batches of `b` captions and `t` steps,
    /// beyond the dataset: the batch's features (and the spare kept for the next), the
    /// `[B, L, A]` projection and its gradient, what every step keeps for backward, the deep
    /// output's `[T·B, …]` rows, one chunk of logits, and the model, its gradient, the best
    /// weights and Adam's two moments. Measured peaks stay within 10 % of it plus the
    /// process's ~100 MB of code and libraries.
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
        var accumulator: CaptionModel? = consume gradient   // moved, so updates stay in place
        let loss = run(model: model, batch: batch, dropout: true, gradient: &accumulator, generator: &generator)
        gradient = accumulator.take()!
        return loss
    }

    /// The loss of `batch` without dropout and without gradients (dev loss).
    public func loss(model: CaptionModel, batch: CaptionBatch) -> BatchLoss {
        var none: CaptionModel? = nil
        var generator = SplitMix64(seed: 0)
        return run(model: model, batch: batch, dropout: false, gradient: &none, generator: &generator)
    }

    /// `log p(target)` of every target of `batch` (time-major `[T·B]`, 0 for `<pad>`), without dropout.
    public func targetLogProbabilities(model: CaptionModel, batch: CaptionBatch) -> [Double] {
        var none: CaptionModel? = nil
        var generator = SplitMix64(seed: 0)
        _ = run(model: model, batch: batch, dropout: false, gradient: &none, generator: &generator)
        return rowLosses.prefix(batch.targets.count).map { -$0 }
    }

    private func run(model: CaptionModel, batch: CaptionBatch, dropout: Bool, gradient: inout CaptionModel?,
                     generator: inout some RandomNumberGenerator) -> BatchLoss {
        let config = model.config
        let (b, steps) = (batch.size, batch.steps)
        let rows = b * steps
        precondition(Array(batch.features.shape.dropFirst()) == config.frameShape,
                     "CaptionGraph: features \(batch.features.shape) for frames \(config.frameShape)")
        let attends = config.kind == .showAttendTell
        let (e, h, d) = (config.embeddingSize, config.hiddenSize, config.featureSize)

        // The recurrence.
        embedded = model.embedding.forward(batch.inputs)
        var state: LSTMState
        if attends {
            model.attention!.project(batch.features, into: &projected)
            let initial = model.initialState!.forward(batch.features)
            state = initial.state
            initialActivations = initial.activations
        } else {
            model.image!.forward(batch.features, into: &imageInput)
            model.lstm.forward(imageInput, previous: LSTMState(batch: b, size: h), into: &imageStep)
            state = imageStep.state
        }
        if lstmSteps.count < steps {
            lstmSteps += (lstmSteps.count..<steps).map { _ in LSTMStep() }
            attentionSteps += (attentionSteps.count..<steps).map { _ in AttentionStep() }
        }
        lstmInputs = []
        previousStates = []
        deepInput.ensureShape([rows, config.deepOutputInputSize])
        for t in 0..<steps {
            let word = embedded.columns(0, width: e, rows: (t * b)..<((t + 1) * b))
            var input = word
            if attends {
                model.attention!.forward(annotations: batch.features, projected: projected, hidden: state.hidden,
                                         into: &attentionSteps[t])
                input = Tensor(shape: [b, e + d])
                input.setColumns(0, from: word)
                input.setColumns(e, from: attentionSteps[t].output)
                deepInput.setColumns(h, from: attentionSteps[t].output, row: t * b)
            }
            model.lstm.forward(input, previous: state, into: &lstmSteps[t])
            lstmInputs.append(input)
            previousStates.append(state)
            state = lstmSteps[t].state
            deepInput.setColumns(0, from: state.hidden, row: t * b)
            deepInput.setColumns(config.deepOutputInputSize - e, from: word, row: t * b)
        }

        // Deep output, loss and (chunk by chunk) the vocabulary layer's backward pass.
        model.output.hiddenForward(deepInput, into: &hidden)
        let training = gradient != nil
        var dropped = hidden
        if dropout && config.dropout > 0 {
            dropoutMask.ensureShape(hidden.shape)
            Dropout(rate: config.dropout).fillMask(&dropoutMask, using: &generator)
            dropped = Dropout.apply(hidden, mask: dropoutMask)
        }
        let tokens = batch.tokenCount
        if rowLosses.count < rows { rowLosses = [Double](repeating: 0, count: rows) }
        for i in 0..<rows { rowLosses[i] = 0 }
        var droppedGradient = training ? Tensor(shape: hidden.shape) : Tensor(shape: [0])
        let vocabulary = config.vocabularySize
        // Only rows with a real target reach the vocabulary layer: a <pad> row has no loss and
        // no gradient, and the [rows, E]·[E, V] product is most of a batch's work, so padded
        // steps cost it nothing.
        let realRows = (0..<rows).filter { batch.targets[$0] != SpecialToken.pad }
        var chunkLosses = [Double](repeating: 0, count: min(realRows.count, outputChunkRows))
        var start = 0
        while start < realRows.count {
            let end = min(realRows.count, start + outputChunkRows)
            let picked = realRows[start..<end]
            let chunk = gatherRows(dropped, picked)                          // [n, E]
            logits.ensureShape([end - start, vocabulary])
            logits.multiply(chunk, model.output.vocabulary.weight)
            var biasGradient = training ? gradient!.output.vocabulary.bias : Tensor(shape: [0])
            if training { gradient!.output.vocabulary.bias = Tensor(shape: [0]) }   // moved out, updated in place
            SoftmaxCrossEntropy.apply(&logits, targets: picked.map { batch.targets[$0] },
                                      gradientScale: training ? 1 / Float(max(tokens, 1)) : nil,
                                      rowLosses: &chunkLosses, rowOffset: 0,
                                      bias: model.output.vocabulary.bias, biasGradient: &biasGradient)
            for (i, row) in picked.enumerated() { rowLosses[row] = chunkLosses[i] }
            if training {
                gradient!.output.vocabulary.bias = biasGradient
                gradient!.output.vocabulary.weight.multiply(chunk, logits, transposeA: true, beta: 1)
                scatterRows(Tensor.product(logits, model.output.vocabulary.weight, transposeB: true), picked, into: &droppedGradient)
            }
            start = end
        }
        let crossEntropy = rowLosses.prefix(rows).reduce(0, +) / Double(max(tokens, 1))
        var penaltyLoss = 0.0
        var alphaGradients: [Tensor] = []
        if attends && config.attentionPenalty != 0 {
            let mask = batch.targets.map { $0 == SpecialToken.pad ? Float(0) : 1 }
            (penaltyLoss, alphaGradients) = AttentionPenalty(weight: config.attentionPenalty)
                .evaluate(alphas: attentionSteps.prefix(steps).map(\.alpha), mask: mask)
        }
        let loss = BatchLoss(crossEntropy: crossEntropy, penalty: penaltyLoss, tokens: tokens)
        guard training else { return loss }

        // Backward through the deep output's hidden layer, then the recurrence in reverse.
        if dropout && config.dropout > 0 { droppedGradient = Dropout.apply(droppedGradient, mask: dropoutMask) }
        let dDeepInput = model.output.hiddenBackward(input: deepInput, output: hidden, outputGradient: droppedGradient,
                                                     gradient: &gradient!.output)
        var dEmbedded = Tensor(shape: [rows, e])
        var dh = Tensor(shape: [b, h]), dc = Tensor(shape: [b, h])
        if attends { projectedGradient.ensureShape(projected.shape); projectedGradient.zero() }
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let range = (t * b)..<((t + 1) * b)
            dh.add(dDeepInput.columns(0, width: h, rows: range))
            var dWord = dDeepInput.columns(config.deepOutputInputSize - e, width: e, rows: range)
            let previous = previousStates[t]
            let back = model.lstm.backward(input: lstmInputs[t], previous: previous, step: lstmSteps[t], dh: dh, dc: dc,
                                           gradient: &gradient!.lstm)
            dWord.add(back.input.columns(0, width: e, rows: 0..<b))
            dEmbedded.setColumns(0, from: dWord, row: t * b)
            dh = back.hidden
            dc = back.cell
            if attends {
                var dz = back.input.columns(e, width: d, rows: 0..<b)
                dz.add(dDeepInput.columns(h, width: d, rows: range))
                let dHidden = model.attention!.backward(
                    annotations: batch.features, projected: projected, hidden: previous.hidden, step: attentionSteps[t], outputGradient: dz,
                    alphaGradient: alphaGradients.isEmpty ? nil : alphaGradients[t],
                    gradient: &gradient!.attention!, projectedGradient: &projectedGradient)
                dh.add(dHidden)
            }
        }
        if attends {
            model.attention!.projectionBackward(annotations: batch.features, projectedGradient: projectedGradient,
                                                gradient: &gradient!.attention!)
            model.initialState!.backward(batch.features, activations: initialActivations, dh: dh, dc: dc,
                                         gradient: &gradient!.initialState!)
        } else {
            let back = model.lstm.backward(input: imageInput, previous: LSTMState(batch: b, size: h), step: imageStep,
                                           dh: dh, dc: dc, gradient: &gradient!.lstm)
            model.image!.backward(input: batch.features, outputGradient: back.input, gradient: &gradient!.image!,
                                  needsInputGradient: false)
        }
        model.embedding.backward(batch.inputs, outputGradient: dEmbedded, gradient: &gradient!.embedding)
        return loss
    }
}

/// Rows `rows` of `source [N, C]`, in order, as `[rows.count, C]`.
private func gatherRows(_ source: Tensor, _ rows: some Collection<Int>) -> Tensor {
    let width = source.matrixShape.columns
    var out = Tensor(shape: [rows.count, width])
    for (i, row) in rows.enumerated() {
        for j in 0..<width { out.storage[i * width + j] = source.storage[row * width + j] }
    }
    return out
}

/// Writes row `i` of `rows [n, C]` into row `rows[i]` of `target [N, C]`.
private func scatterRows(_ source: Tensor, _ rows: some Collection<Int>, into target: inout Tensor) {
    let width = source.matrixShape.columns
    for (i, row) in rows.enumerated() {
        for j in 0..<width { target.storage[row * width + j] = source.storage[i * width + j] }
    }
}
