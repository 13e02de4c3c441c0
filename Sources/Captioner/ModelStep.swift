// One step of the recurrence, written once for the training graph and the decoder (llm.c's
// layer calls in a plain list): `start` reads the picture once per caption, `step` feeds one
// word, `stepBackward` undoes `step`. Rows are the first `n` of the batch: a step runs on the
// captions that are still going, so padded steps cost nothing.
import Tensor

/// What `CaptionModel.start` computes once per batch; `step` and the backward pass read it.
struct StartActivations {
    /// `a·W_a + b`, `[F, L, A]`, once per frame (attention models).
    var projected = Tensor(shape: [0])
    /// Each caption's mean annotation `[B, D]` (attention) or global vector `[B, G]`.
    var rowFeatures = Tensor(shape: [0])
    /// `tanh(mean(a)·W_init + b_init)`, `[B, 2H]`: h₀ then c₀ (attention models).
    var initial = Tensor(shape: [0])
    /// `[G·W_img + b; q]`, `[B, E + C]`: the image read as the first LSTM input (Show and Tell).
    var imageInput = Tensor(shape: [0])
    /// The LSTM step that reads `imageInput` (Show and Tell).
    var imageStep = LSTMStep()
    /// The batch's context comments (models with context).
    var comments = CaptionContext([])
    /// Their mean embedding `m`, `[B, E]`.
    var contextMean = Tensor(shape: [0])
    /// `q = tanh(m·W_q + b_q)` and its gate; `context.output` `[B, C]` is what the LSTM reads.
    var context = ContextActivations()
}

/// What one step keeps for its backward pass, for the step's `n` rows.
struct StepActivations {
    /// The state the step started from, `[n, H]` each.
    var previous = LSTMState(batch: 0, size: 0)
    /// The LSTM's input `[E y; z; q]`, `[n, E + D + C]` (no `z` without attention, no `q`
    /// without context).
    var input = Tensor(shape: [0])
    /// α `[n, L]`, the context and gate, and `z` `[n, D]` (attention models).
    var attention = AttentionStep()
    /// The gates `[n, 4H]`, `tanh(c')` and the new state `[n, H]`.
    var lstm = LSTMStep()

    /// The new state.
    var state: LSTMState { lstm.state }
}

extension CaptionModel {
    /// Each caption's picture: the mean annotation `[B, D]` of its frame, or its global vector `[B, G]`.
    func pictures(_ features: Tensor, frames: [Int]) -> Tensor {
        switch conditioning {
        case .attention: InitialState.meanAnnotation(features).rows(frames)
        case .image: features.rows(frames)
        }
    }

    /// The state before the first word, `[B, H]`, for `features` `[F, L, D]` or `[F, G]`,
    /// caption `b` belonging to frame `frames[b]` and reading the comments `context[b]`.
    func start(_ features: Tensor, frames: [Int], context: CaptionContext, into start: inout StartActivations) -> LSTMState {
        start.rowFeatures = pictures(features, frames: frames)
        if config.readsContext {
            // q = tanh(m·W_q + b_q), m the mean embedding of the comments on screen; g·q with
            // g = σ((p̂·W_g + b_g)·q), p̂ the picture, in a gated model
            precondition(context.count == frames.count, "CaptionModel: \(context.count) contexts for \(frames.count) captions")
            start.comments = context
            start.contextMean = context.mean(embedding)
            self.context.forward(mean: start.contextMean, picture: start.rowFeatures, trust: config.contextTrust, into: &start.context)
        }
        switch conditioning {
        case let .attention(layers):
            // P = a·W_a + b, per frame
            layers.attention.project(features, into: &start.projected)
            // (h₀, c₀) = tanh(mean(a)·W_init + b_init), per caption
            let initial = layers.initialState.forward(mean: start.rowFeatures)
            start.initial = initial.activations
            return initial.state
        case let .image(image):
            // (h₀, c₀) = LSTM([G·W_img + b; q], 0)
            start.imageInput.ensureShape([frames.count, config.lstmInputSize])
            start.imageInput.setColumns(0, from: image.forward(start.rowFeatures))
            if config.readsContext { start.imageInput.setColumns(config.embeddingSize, from: start.context.output) }
            lstm.forward(start.imageInput, previous: LSTMState(batch: frames.count, size: config.hiddenSize), into: &start.imageStep)
            return start.imageStep.state
        }
    }

    /// One step for rows `0..<n`: `word` `[n, E]` (the embedded previous token) and `previous`
    /// `[n, H]`; row `b` attends to frame `frames[b]` of `features`. Fills `step`.
    func step(word: Tensor, previous: LSTMState, features: Tensor, frames: [Int], start: StartActivations,
              into step: inout StepActivations) {
        let rows = word.matrixShape.rows
        step.previous = previous
        guard config.lstmInputSize > config.embeddingSize else {
            step.input = word
            lstm.forward(step.input, previous: previous, into: &step.lstm)
            return
        }
        // [E y; z; q]
        step.input.ensureShape([rows, config.lstmInputSize])
        step.input.setColumns(0, from: word)
        if case let .attention(layers) = conditioning {
            // z = attention(a, h)
            layers.attention.forward(annotations: features, projected: start.projected, hidden: previous.hidden, frames: frames,
                                     into: &step.attention)
            step.input.setColumns(config.embeddingSize, from: step.attention.output)
        }
        if config.readsContext { step.input.setColumns(config.lstmInputSize - config.contextSize, from: start.context.output.rows(0..<rows)) }
        // (h', c') = LSTM([E y; z; q], (h, c))
        lstm.forward(step.input, previous: previous, into: &step.lstm)
    }

    /// Writes the deep output's input `[h'; z; E y]` of `step` into rows `row…` of `deepInput`.
    func writeDeepInput(_ step: StepActivations, word: Tensor, into deepInput: inout Tensor, row: Int) {
        deepInput.setColumns(0, from: step.state.hidden, row: row)
        if config.kind == .showAttendTell { deepInput.setColumns(config.hiddenSize, from: step.attention.output, row: row) }
        deepInput.setColumns(config.deepOutputInputSize - config.embeddingSize, from: word, row: row)
    }

    /// Backward through `step` for its `n` rows.
    ///
    /// - Parameters:
    ///   - dh, dc: the gradients reaching the new state, `[n, H]`.
    ///   - dDeep: the gradient of the step's deep-output input `[h'; z; E y]`, `[n, H + D + E]`
    ///     (the `h'` part already added to `dh`).
    ///   - alphaGradient: the attention penalty's gradient on α, `[n, L]`, if any.
    ///   - projectedGradient: `[B, L, A]`, one block per caption; the step's share is added
    ///     to its first `n` blocks.
    ///   - contextGradient: `[B, C]`, one row per caption; the step's share of `dq` is added
    ///     to its first `n` rows (models with context).
    /// - Returns: the gradients of the word `[n, E]` and of the previous state `[n, H]`.
    func stepBackward(_ step: StepActivations, features: Tensor, frames: [Int], start: StartActivations, dh: Tensor, dc: Tensor,
                      dDeep: Tensor, alphaGradient: Tensor?, gradient: inout CaptionModel,
                      projectedGradient: inout Tensor, contextGradient: inout Tensor) -> (word: Tensor, hidden: Tensor, cell: Tensor) {
        let (e, h) = (config.embeddingSize, config.hiddenSize)
        let rows = dh.matrixShape.rows
        // (h', c') = LSTM([E y; z; q], (h, c))
        let back = lstm.backward(input: step.input, previous: step.previous, step: step.lstm, dh: dh, dc: dc, gradient: &gradient.lstm)
        // [E y; z; q], and E y in [h'; z; E y]
        var dWord = dDeep.columns(config.deepOutputInputSize - e, width: e, rows: 0..<rows)
        dWord.add(back.input.columns(0, width: e, rows: 0..<rows))
        if config.readsContext {
            contextGradient.addRows(back.input.columns(config.lstmInputSize - config.contextSize, width: config.contextSize, rows: 0..<rows))
        }
        guard case let .attention(layers) = conditioning else { return (dWord, back.hidden, back.cell) }
        // z = attention(a, h), z reaching both the LSTM and the deep output
        var dz = back.input.columns(e, width: config.featureSize, rows: 0..<rows)
        dz.add(dDeep.columns(h, width: config.featureSize, rows: 0..<rows))
        var dHidden = layers.attention.backward(annotations: features, projected: start.projected, hidden: step.previous.hidden,
                                                frames: frames, step: step.attention, outputGradient: dz, alphaGradient: alphaGradient,
                                                gradient: &gradient.attentionLayers.attention, projectedGradient: &projectedGradient)
        dHidden.add(back.hidden)
        return (dWord, dHidden, back.cell)
    }

    /// Backward through `start`, given the gradients reaching the initial state `[B, H]`, the
    /// projection's, `[F, L, A]` (per frame: each frame's captions' blocks summed), and the
    /// context's `[B, C]` (models with context), and the agreement loss's on the gate's scores.
    func startBackward(_ start: StartActivations, features: Tensor, frames: [Int], dh: Tensor, dc: Tensor,
                       projectedGradient: Tensor, contextGradient: Tensor, contextScoreGradient: [Float] = [],
                       gradient: inout CaptionModel) {
        var dContext = contextGradient
        switch conditioning {
        case let .attention(layers):
            // P = a·W_a + b
            layers.attention.projectionBackward(annotations: features, projectedGradient: projectedGradient,
                                                gradient: &gradient.attentionLayers.attention)
            // (h₀, c₀) = tanh(mean(a)·W_init + b_init)
            layers.initialState.backward(mean: start.rowFeatures, activations: start.initial, dh: dh, dc: dc,
                                         gradient: &gradient.attentionLayers.initialState)
        case let .image(image):
            // (h₀, c₀) = LSTM([G·W_img + b; q], 0)
            let back = lstm.backward(input: start.imageInput, previous: LSTMState(batch: frames.count, size: config.hiddenSize),
                                     step: start.imageStep, dh: dh, dc: dc, gradient: &gradient.lstm)
            let e = config.embeddingSize
            image.backward(input: start.rowFeatures, outputGradient: back.input.columns(0, width: e, rows: 0..<frames.count),
                           gradient: &gradient.imageLayer, needsInputGradient: false)
            if config.readsContext { dContext.add(back.input.columns(e, width: config.contextSize, rows: 0..<frames.count)) }
        }
        guard config.readsContext else { return }
        // q = tanh(m·W_q + b_q), m the comments' mean embedding, and its gate
        let dMean = context.backward(mean: start.contextMean, activations: start.context, outputGradient: dContext,
                                     scoreGradient: contextScoreGradient, gradient: &gradient.context)
        start.comments.meanBackward(dMean, gradient: &gradient.embedding)
    }
}

extension LSTMState {
    /// The first `n` rows, or the rows followed by zero rows up to `n`.
    func withRows(_ n: Int) -> LSTMState {
        n == hidden.shape[0] ? self : LSTMState(hidden: hidden.withRows(n), cell: cell.withRows(n))
    }
}

extension Tensor {
    /// The first `n` rows of this `[N, C]` matrix, or its rows followed by zero rows up to `n`.
    func withRows(_ n: Int) -> Tensor {
        let (have, width) = matrixShape
        if n == have { return self }
        if n < have { return rows(0..<n) }
        var out = Tensor(shape: [n, width])
        out.storage.replaceSubrange(0..<(have * width), with: storage)
        return out
    }
}
