// Caption generation: the article's recipe (a first token drawn from the training
// distribution, then greedy), sampling with temperature and top-k, and beam search; plus the
// log-likelihood of given captions, used to rank candidates.
import Foundation
import Tensor

/// Weights over the vocabulary for the first token of `article` decoding.
public struct FirstTokenDistribution: Sendable, Equatable {
    /// `[V]` non-negative weights; zero means "never first". Special tokens are always zero.
    public private(set) var weights: [Float]

    /// Weights over the whole vocabulary (need not sum to 1).
    public init(weights: [Float]) {
        var weights = weights.map { $0.isFinite ? max($0, 0) : 0 }
        for id in 0..<min(SpecialToken.count, weights.count) { weights[id] = 0 }
        self.weights = weights
    }

    /// Weights from first-token counts, keeping only ids in `allowed` (the caller leaves
    /// symbols out) when given.
    public init(counts: [Int: Double], vocabularySize: Int, allowed: Set<Int>? = nil) {
        var weights = [Float](repeating: 0, count: vocabularySize)
        for (id, count) in counts where id >= 0 && id < vocabularySize && (allowed?.contains(id) ?? true) {
            weights[id] = Float(count)
        }
        self.init(weights: weights)
    }
}

/// How to choose tokens.
public enum DecodingStrategy: Sendable, Equatable {
    /// The most likely token at every step.
    case greedy
    /// The article's recipe: the first token drawn from `firstTokens`, then greedy.
    case article(firstTokens: FirstTokenDistribution)
    /// Every token drawn from `softmax(log p / temperature)` over the `topK` most likely (nil: all).
    case sample(temperature: Float, topK: Int?)
    /// Beam search keeping `width` hypotheses; finished ones are ranked by
    /// `log p / length^lengthNormalisation` (0: plain log p). With `firstStepTemperature`,
    /// the first step's hypotheses are drawn (without replacement) from
    /// `softmax(log p / temperature)` instead of taken best-first, for variety.
    case beam(width: Int, lengthNormalisation: Float, firstStepTemperature: Float?)

    /// A strategy by name, without its settings: what a recipe or the command line chooses.
    /// `greedy` has no name: it is what `article` becomes without first-token counts.
    public enum Name: String, Sendable, CaseIterable { case article, sample, beam }
}

/// A generated caption.
public struct DecodedCaption: Sendable, Equatable {
    /// The token ids, without `<bos>` / `<eos>`; never `<unk>`.
    public var tokens: [Int]
    /// `log p` of the tokens and of the `<eos>` that ended them (if one did) under the model.
    public var logProbability: Double
    /// For attention models, α (`L` values summing to 1) at the step of every token.
    public var attention: [[Float]]?
    /// Whether the caption ended with `<eos>` rather than at the maximum length.
    public var finished: Bool
}

/// Generates captions for single frames and scores given captions.
///
/// Every strategy obeys two constraints on top of the model: tokens in `bannedTokens` (and
/// `<pad>`, `<bos>`, `<unk>`) are never emitted, and with `maxRepeats` no n-gram of tokens
/// (n ≥ 1) occurs more than `maxRepeats` times in a row — the token that would complete one
/// more repetition is taken out of the step's choice (`<eos>` never is, so a caption can always end).
public struct Decoder: Sendable {
    /// The model.
    public let model: CaptionModel
    /// The most tokens a caption may have.
    public var maxLength: Int
    /// The most times in a row an n-gram may occur (nil: no limit).
    public var maxRepeats: Int?
    /// Ids never emitted (control characters, whitespace only; see `Decoder.unspeakable(_:)`),
    /// ascending. Empty: nothing besides the specials. A list, not a mask over the vocabulary,
    /// because it is applied at every step of every caption and holds a handful of ids.
    public var banned: [Int]

    /// - Parameters:
    ///   - maxRepeats: the repetition limit (`decoding.max_repeats`), nil for none.
    ///   - bannedTokens: ids never emitted, besides `<pad>`, `<bos>` and `<unk>`.
    public init(model: CaptionModel, maxLength: Int = 32, maxRepeats: Int? = nil, bannedTokens: Set<Int> = []) {
        precondition(maxRepeats.map { $0 >= 1 } ?? true, "Decoder: maxRepeats must be at least 1")
        self.model = model
        self.maxLength = maxLength
        self.maxRepeats = maxRepeats
        banned = bannedTokens.filter { $0 >= 0 && $0 < model.config.vocabularySize && $0 != SpecialToken.eos }.sorted()
    }

    /// The ids of `tokens` (the vocabulary, by id) a comment must never hold: a token with a
    /// control character (general category Cc: C0, DEL, C1) or one that is empty or only whitespace.
    public static func unspeakable(_ tokens: [String]) -> Set<Int> {
        var ids: Set<Int> = []
        for (id, token) in tokens.enumerated() where id >= SpecialToken.count {
            if token.allSatisfy(\.isWhitespace) || token.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                ids.insert(id)
            }
        }
        return ids
    }

    /// Tokens that, appended to `tokens`, would make some n-gram occur more than `limit` times
    /// in a row at the end. For each n the only such token is `tokens[m - n]`, and only when the
    /// last `n·(limit+1) − 1` tokens already have period n.
    public static func repeatingTokens(after tokens: [Int], limit: Int) -> [Int] {
        let m = tokens.count
        var out: [Int] = []
        var n = 1
        while n * (limit + 1) - 1 <= m {
            var periodic = true
            for i in 1..<(n * limit) where tokens[m - i] != tokens[m - i - n] {
                periodic = false
                break
            }
            if periodic { out.append(tokens[m - n]) }
            n += 1
        }
        return out
    }

    /// `scores` (log-probabilities over the vocabulary) with banned and repeating tokens at −∞.
    private func constrain(_ scores: inout [Float], after tokens: [Int]) {
        for id in banned { scores[id] = -.infinity }
        if let maxRepeats {
            for id in Self.repeatingTokens(after: tokens, limit: maxRepeats) where id != SpecialToken.eos { scores[id] = -.infinity }
        }
    }

    /// One caption for `frame` (`[L, D]` annotations or `[G]`), with the comments `context`
    /// on screen (token ids, oldest first; read by a model with context).
    public func decode(_ frame: Tensor, context: [[Int]] = [], strategy: DecodingStrategy,
                       using generator: inout some RandomNumberGenerator) -> DecodedCaption {
        precondition(frame.shape == model.config.frameShape, "Decoder: frame \(frame.shape), the model needs \(model.config.frameShape)")
        switch strategy {
        case .greedy:
            return run(frame, context: context) { logp, _ in argmax(logp) }
        case let .article(firstTokens):
            precondition(firstTokens.weights.count == model.config.vocabularySize,
                         "Decoder: first-token weights for \(firstTokens.weights.count) tokens, vocabulary \(model.config.vocabularySize)")
            var weights = firstTokens.weights
            for id in banned { weights[id] = 0 }
            return run(frame, context: context) { logp, step in
                step == 0 ? (draw(weights, using: &generator) ?? argmax(logp)) : argmax(logp)
            }
        case let .sample(temperature, topK):
            return run(frame, context: context) { logp, _ in
                draw(Self.temperatureWeights(logp, temperature: temperature, topK: topK), using: &generator) ?? argmax(logp)
            }
        case let .beam(width, lengthNormalisation, firstStepTemperature):
            let beams = beamSearch(frame, context: context, width: max(1, width), lengthNormalisation: lengthNormalisation,
                                   firstStepTemperature: firstStepTemperature, using: &generator)
            let greedy = run(frame, context: context) { logp, _ in argmax(logp) }
            // Beam search can miss the greedy path; never return worse than it.
            guard let best = beams.first,
                  score(best, lengthNormalisation) >= score(greedy, lengthNormalisation) || firstStepTemperature != nil
            else { return greedy }
            return best
        }
    }

    /// `log p(caption | frame)` (tokens then `<eos>`) for each example, in batches.
    ///
    /// - Parameters:
    ///   - features: `[N, L, D]` or `[N, G]`, indexed by the examples' frames.
    public func logLikelihoods(features: Tensor, captions: [CaptionExample], batchSize: Int = 256) -> [Double] {
        let data = CaptionDataset(features: features, examples: captions)
        let graph = CaptionGraph()
        var out: [Double] = []
        out.reserveCapacity(captions.count)
        var start = 0
        while start < captions.count {
            let end = min(captions.count, start + max(1, batchSize))
            let order = data.longestFirst(start..<end)
            let batch = data.batch(order, maxTokens: .max)
            let logp = graph.targetLogProbabilities(model: model, batch: batch)
            var totals = [Double](repeating: 0, count: end - start)
            for (b, example) in order.enumerated() {
                for t in 0..<batch.steps { totals[example - start] += logp[t * batch.size + b] }
            }
            out += totals
            start = end
        }
        return out
    }

    // MARK: Stepping

    /// The recurrent state of `k` hypotheses over one frame.
    private struct State {
        /// `[k, H]` each.
        var lstm: LSTMState
        /// The frame, `[1, L, D]` or `[1, G]`, which every hypothesis reads.
        var features: Tensor
        /// The frame's projection for attention, `[1, L, A]`.
        var start: StartActivations
    }

    /// The state of one hypothesis; its context `q` is repeated for up to `rows` of them.
    private func start(_ frame: Tensor, context: [[Int]], rows: Int) -> State {
        let features = frame.reshaped([1] + frame.shape)
        var start = StartActivations()
        let lstm = model.start(features, frames: [0], context: CaptionContext([context], maxTokens: maxLength), into: &start)
        if model.config.readsContext && rows > 1 { start.context.output = start.context.output.rows([Int](repeating: 0, count: rows)) }
        return State(lstm: lstm, features: features, start: start)
    }

    /// Feeds `tokens` (one per row); returns log-probabilities `[k, V]` with `<pad>`, `<bos>`
    /// and `<unk>` at −∞, and α `[k, L]` for attention models.
    private func step(_ state: inout State, tokens: [Int]) -> (logp: Tensor, alpha: Tensor?) {
        let config = model.config
        let rows = tokens.count
        let word = model.embedding.forward(tokens)
        var step = StepActivations()
        model.step(word: word, previous: state.lstm, features: state.features,
                   frames: [Int](repeating: 0, count: rows), start: state.start, into: &step)
        state.lstm = step.state
        var deepInput = Tensor(shape: [rows, config.deepOutputInputSize])
        model.writeDeepInput(step, word: word, into: &deepInput, row: 0)
        var logp = model.output.forward(deepInput)
        logp.storage.withUnsafeMutableBufferPointer { all in
            let v = config.vocabularySize
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: all[(r * v)..<((r + 1) * v)])
                logSoftmaxInPlace(row)
                for id in [SpecialToken.pad, SpecialToken.bos, SpecialToken.unk] { row[id] = -.infinity }
            }
        }
        return (logp, config.kind == .showAttendTell ? step.attention.alpha : nil)
    }

    /// Decodes one hypothesis, `choose` picking each token from the step's log-probabilities
    /// (constrained: banned and repeating tokens at −∞).
    private func run(_ frame: Tensor, context: [[Int]], choose: ([Float], Int) -> Int) -> DecodedCaption {
        var state = start(frame, context: context, rows: 1)
        var tokens: [Int] = [], alphas: [[Float]] = []
        var logProbability = 0.0
        var previous = SpecialToken.bos
        for t in 0...maxLength {
            if t == maxLength {
                return DecodedCaption(tokens: tokens, logProbability: logProbability, attention: attentionOrNil(alphas), finished: false)
            }
            let (logp, alpha) = step(&state, tokens: [previous])
            var scores = logp.storage
            constrain(&scores, after: tokens)
            let token = choose(scores, t)
            logProbability += Double(logp.storage[token])
            if token == SpecialToken.eos { break }
            tokens.append(token)
            if let alpha { alphas.append(alpha.storage) }
            previous = token
        }
        return DecodedCaption(tokens: tokens, logProbability: logProbability, attention: attentionOrNil(alphas), finished: true)
    }

    private func attentionOrNil(_ alphas: [[Float]]) -> [[Float]]? {
        model.config.kind == .showAttendTell ? alphas : nil
    }

    private struct Hypothesis {
        var tokens: [Int]
        var logProbability: Double
        var alphas: [[Float]]
    }

    /// Finished hypotheses, best first.
    private func beamSearch(_ frame: Tensor, context: [[Int]], width: Int, lengthNormalisation: Float, firstStepTemperature: Float?,
                            using generator: inout some RandomNumberGenerator) -> [DecodedCaption] {
        let vocabulary = model.config.vocabularySize
        var state = start(frame, context: context, rows: width)
        var alive = [Hypothesis(tokens: [], logProbability: 0, alphas: [])]
        var finished: [DecodedCaption] = []
        for t in 0..<maxLength where !alive.isEmpty && finished.count < width {
            let (logp, alpha) = step(&state, tokens: alive.map { $0.tokens.last ?? SpecialToken.bos })
            var candidates: [(row: Int, token: Int, logProbability: Double)] = []
            for (row, hypothesis) in alive.enumerated() {
                var scores = Array(logp.storage[(row * vocabulary)..<((row + 1) * vocabulary)])
                constrain(&scores, after: hypothesis.tokens)
                let picks: [Int]
                if t == 0, let temperature = firstStepTemperature {
                    picks = gumbelTopK(Self.temperatureWeights(scores, temperature: temperature, topK: nil), width, using: &generator)
                } else {
                    picks = topK(scores, width)
                }
                for token in picks where scores[token] > -.infinity {
                    candidates.append((row, token, hypothesis.logProbability + Double(scores[token])))
                }
            }
            if t > 0 || firstStepTemperature == nil { candidates.sort { $0.logProbability > $1.logProbability } }
            var next: [Hypothesis] = [], rows: [Int] = []
            for candidate in candidates where next.count < width - finished.count {
                var hypothesis = alive[candidate.row]
                hypothesis.logProbability = candidate.logProbability
                if candidate.token == SpecialToken.eos {
                    finished.append(DecodedCaption(tokens: hypothesis.tokens, logProbability: hypothesis.logProbability,
                                                   attention: attentionOrNil(hypothesis.alphas), finished: true))
                    continue
                }
                hypothesis.tokens.append(candidate.token)
                if let alpha { hypothesis.alphas.append(Array(alpha.storage[(candidate.row * alpha.shape[1])..<((candidate.row + 1) * alpha.shape[1])])) }
                next.append(hypothesis)
                rows.append(candidate.row)
            }
            alive = next
            state.lstm = LSTMState(hidden: state.lstm.hidden.rows(rows), cell: state.lstm.cell.rows(rows))
        }
        if finished.count < width {
            finished += alive.map {
                DecodedCaption(tokens: $0.tokens, logProbability: $0.logProbability, attention: attentionOrNil($0.alphas), finished: false)
            }
        }
        return finished.sorted { score($0, lengthNormalisation) > score($1, lengthNormalisation) }
    }

    private func score(_ caption: DecodedCaption, _ lengthNormalisation: Float) -> Double {
        guard lengthNormalisation != 0 else { return caption.logProbability }
        let length = Double(caption.tokens.count + (caption.finished ? 1 : 0))
        return caption.logProbability / Foundation.pow(max(length, 1), Double(lengthNormalisation))
    }

    /// `softmax(logp / temperature)` restricted to the `topK` largest (unnormalised weights).
    static func temperatureWeights(_ logp: [Float], temperature: Float, topK: Int?) -> [Float] {
        let t = max(temperature, 1e-4)
        var allowed: Set<Int>?
        if let topK { allowed = Set(Captioner.topK(logp, max(1, topK))) }
        let top = logp.max() ?? 0
        return logp.indices.map { i in
            guard logp[i] > -.infinity, allowed?.contains(i) ?? true else { return 0 }
            return expf((logp[i] - top) / t)
        }
    }
}

/// The index of the largest value.
func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

/// The indices of the `k` largest values, largest first.
func topK(_ values: [Float], _ k: Int) -> [Int] {
    var heap: [(value: Float, index: Int)] = []
    for (i, v) in values.enumerated() where heap.count < k || v > heap[heap.count - 1].value {
        let position = heap.firstIndex { $0.value < v } ?? heap.count
        heap.insert((v, i), at: position)
        if heap.count > k { heap.removeLast() }
    }
    return heap.map(\.index)
}

/// An index drawn with probability proportional to `weights` (summed in `Double`; one
/// `Double.random` per draw); nil when every weight is zero. Public for the Pipeline, which
/// draws comment counts and mail commands from the training frequencies with it.
public func draw(_ weights: [Float], using generator: inout some RandomNumberGenerator) -> Int? {
    let total = weights.reduce(0.0) { $0 + Double($1) }
    guard total > 0 else { return nil }
    var u = Double.random(in: 0..<total, using: &generator)
    for (i, w) in weights.enumerated() where w > 0 {
        u -= Double(w)
        if u < 0 { return i }
    }
    return weights.lastIndex { $0 > 0 }
}

/// `k` indices drawn without replacement with probability proportional to `weights`
/// (Gumbel top-k), most likely first.
func gumbelTopK(_ weights: [Float], _ k: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
    let keys: [Float] = weights.map { w in
        guard w > 0 else { return -.infinity }
        let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
        return Float(Foundation.log(Double(w)) - Foundation.log(-Foundation.log(u)))
    }
    return topK(keys, k).filter { weights[$0] > 0 }
}

/// `x ← x − log Σ exp(x)` over one row.
func logSoftmaxInPlace(_ row: UnsafeMutableBufferPointer<Float>) {
    let shift = Kernels.maximum(UnsafeBufferPointer(row))
    var scratch = Array(row)
    let logSum = Float(Foundation.log(scratch.withUnsafeMutableBufferPointer { Kernels.expInPlace($0, subtracting: shift) }))
    for i in 0..<row.count { row[i] = row[i] - shift - logSum }
}
