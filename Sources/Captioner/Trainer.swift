// Mini-batch training with teacher forcing, Adam, gradient clipping, dropout, early stopping
// on the dev loss measured in optimiser steps, a learning-rate warm-up, and checkpoints that
// resume bit for bit (the article's recipe, with a training length that fits the data).
import Foundation
import Logging
import Tensor

/// One caption of a frame: token ids without `<bos>` / `<eos>` (the trainer adds them).
public struct CaptionExample: Sendable, Equatable, Codable {
    /// The row of the features tensor the caption belongs to.
    public var frame: Int
    /// The caption's token ids.
    public var tokens: [Int]
    /// The comments on screen before it (the conversation context), oldest first, each as
    /// token ids; read by models with context.
    public var context: [[Int]]

    public init(frame: Int, tokens: [Int], context: [[Int]] = []) {
        self.frame = frame
        self.tokens = tokens
        self.context = context
    }

    enum CodingKeys: String, CodingKey { case frame, tokens, context }

    /// Examples stored before the context existed have none.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(frame: try c.decode(Int.self, forKey: .frame), tokens: try c.decode([Int].self, forKey: .tokens),
                  context: try c.decodeIfPresent([[Int]].self, forKey: .context) ?? [])
    }
}

/// Features indexed by frame plus the captions written for them.
public struct CaptionDataset: Sendable {
    /// `[N, L, D]` annotations or `[N, G]` global vectors, one row per frame.
    public var features: Tensor
    /// The captions.
    public var examples: [CaptionExample]

    public init(features: Tensor, examples: [CaptionExample]) {
        self.features = features
        self.examples = examples
    }

    /// The same from `(frame, tokens)` pairs.
    public init(features: Tensor, examples: [(frame: Int, tokens: [Int])]) {
        self.init(features: features, examples: examples.map { CaptionExample(frame: $0.frame, tokens: $0.tokens) })
    }

    /// `indices` with the longest captions first (ties in their order): the order in which
    /// a batch's steps run only on the captions still going.
    public func longestFirst(_ indices: some Collection<Int>) -> [Int] {
        indices.enumerated().sorted { a, b in
            let (la, lb) = (examples[a.element].tokens.count, examples[b.element].tokens.count)
            return la != lb ? la > lb : a.offset < b.offset
        }.map(\.element)
    }

    /// The batch of `indices` (into `examples`), captions cut to `maxTokens`, holding each
    /// distinct frame once. Give the indices `longestFirst` so that padded steps cost nothing.
    ///
    /// - Parameters:
    ///   - spare: storage to gather the features into (moved into the batch; give back the
    ///     previous batch's `features` to avoid reallocating up to ~100 MB per batch).
    ///   - contextSource: given a position of `indices` and the caption's own example, the
    ///     example whose context the caption is shown with: its own, another's (context swap),
    ///     or nil for none (context dropout).
    public func batch(_ indices: some Collection<Int>, maxTokens: Int = .max, reusing spare: inout Tensor,
                      contextSource: (_ position: Int, _ own: Int) -> Int? = { _, own in own }) -> CaptionBatch {
        let frameSize = features.count / max(features.shape[0], 1)
        var distinct: [Int] = [], slot: [Int: Int] = [:]
        let frames = indices.map { i in
            let frame = examples[i].frame
            if let known = slot[frame] { return known }
            slot[frame] = distinct.count
            distinct.append(frame)
            return distinct.count - 1
        }
        var gathered = spare
        spare = Tensor(shape: [0])
        gathered.ensureShape([distinct.count] + features.shape.dropFirst())
        withUnsafeBuffers(&gathered.storage, features.storage) { out, f in
            for (row, frame) in distinct.enumerated() {
                (out.baseAddress! + row * frameSize).update(from: f.baseAddress! + frame * frameSize, count: frameSize)
            }
        }
        let sources = indices.enumerated().map { position, i in contextSource(position, i) }
        let contexts = sources.map { source in source.map { examples[$0].context } ?? [] }
        let own = zip(sources, indices).map { source, i in source.map { $0 == i } }
        return CaptionBatch(features: gathered, frames: frames, captions: indices.map { examples[$0].tokens }, contexts: contexts,
                            contextIsOwn: own, maxTokens: maxTokens)
    }

    /// The batch of `indices` (into `examples`), captions cut to `maxTokens`.
    public func batch(_ indices: some Collection<Int>, maxTokens: Int = .max) -> CaptionBatch {
        var spare = Tensor(shape: [0])
        return batch(indices, maxTokens: maxTokens, reusing: &spare)
    }

    /// The examples' indices in a random order (one epoch without bucketing).
    public func shuffledOrder(using generator: inout some RandomNumberGenerator) -> [Int] {
        var order = Array(examples.indices)
        order.shuffle(using: &generator)
        return order
    }

    /// One epoch's order with length bucketing: shuffled, then sorted by token count (cut to
    /// `maxTokens`) within chunks of `chunkBatches` batches, cut into batches of `batchSize`,
    /// and the batches shuffled. A batch is padded to its longest caption, so batches of
    /// similar lengths waste few steps on `<pad>`; the chunks keep the order random across
    /// lengths. Consecutive slices of `batchSize` of the result are the batches; there are
    /// as many as without bucketing (only the last may be short, and it stays last).
    ///
    /// Deterministic given the generator: ties keep the shuffled order.
    public func bucketedOrder(batchSize: Int, maxTokens: Int = .max, chunkBatches: Int = 50,
                              using generator: inout some RandomNumberGenerator) -> [Int] {
        precondition(batchSize >= 1 && chunkBatches >= 1, "bucketedOrder: batch size \(batchSize), chunk \(chunkBatches)")
        let shuffled = shuffledOrder(using: &generator)
        let chunk = batchSize * chunkBatches
        var sorted: [Int] = []
        sorted.reserveCapacity(shuffled.count)
        var start = 0
        while start < shuffled.count {
            let end = min(shuffled.count, start + chunk)
            let keyed = shuffled[start..<end].enumerated().map { (length: min(examples[$0.element].tokens.count, maxTokens), rank: $0.offset, index: $0.element) }
            sorted += keyed.sorted { ($0.length, $0.rank) < ($1.length, $1.rank) }.map(\.index)
            start = end
        }
        // Full batches in a random order; a short last batch stays last, so every batch but
        // the last has `batchSize` captions, as without bucketing.
        let full = sorted.count / batchSize
        var batches = Array(0..<full)
        batches.shuffle(using: &generator)
        var order: [Int] = []
        order.reserveCapacity(sorted.count)
        for batch in batches { order += sorted[(batch * batchSize)..<((batch + 1) * batchSize)] }
        order += sorted[(full * batchSize)...]
        return order
    }

    /// The share of `<pad>` steps in batches of `batchSize` consecutive `order` entries:
    /// `1 − real targets / (B·T summed over batches)`, each caption's targets its tokens
    /// (cut to `maxTokens`) plus `<eos>`.
    public func paddedShare(order: [Int], batchSize: Int, maxTokens: Int = .max) -> Double {
        var real = 0, padded = 0
        var start = 0
        while start < order.count {
            let end = min(order.count, start + batchSize)
            let lengths = order[start..<end].map { min(examples[$0].tokens.count, maxTokens) + 1 }
            real += lengths.reduce(0, +)
            padded += (lengths.max() ?? 0) * lengths.count
            start = end
        }
        return padded == 0 ? 0 : 1 - Double(real) / Double(padded)
    }

    /// Checks the data against `config`; throws `CaptionerError.invalidData` naming the first problem.
    func validate(for config: CaptionerConfig, name: String) throws {
        guard Array(features.shape.dropFirst()) == config.frameShape else {
            throw CaptionerError.invalidData("\(name) features have shape \(features.shape), the model needs [N] + \(config.frameShape)")
        }
        for (i, example) in examples.enumerated() { try validate(example, number: i, for: config, name: name) }
    }

    /// Checks example `number` against `config`: its frame exists and every token is in the vocabulary.
    private func validate(_ example: CaptionExample, number i: Int, for config: CaptionerConfig, name: String) throws {
        guard example.frame >= 0 && example.frame < features.shape[0] else {
            throw CaptionerError.invalidData("\(name) example \(i) refers to frame \(example.frame) of \(features.shape[0])")
        }
        if let bad = example.tokens.first(where: { $0 < SpecialToken.unk || $0 >= config.vocabularySize }) {
            throw CaptionerError.invalidData("\(name) example \(i) has token id \(bad) (allowed: 3..<\(config.vocabularySize))")
        }
    }
}

/// How to train.
///
/// Training ends at the first of: `epochs` epochs, `maxSteps` optimiser steps, `maxSeconds`
/// of wall-clock time, or early stopping. Early stopping is measured in steps, not epochs,
/// because an epoch is 2 steps for a few hundred comments and 1,650 for the article's 427,000:
/// after an epoch, training stops when the best development loss is at least `patienceSteps`
/// steps and at least `patience` evaluations old, once `minSteps` steps have been made.
public struct TrainerOptions: Codable, Sendable, Equatable {
    /// Captions per batch (article: 256).
    public var batchSize = 256
    /// Adam's learning rate after the warm-up (article: 4e-4).
    public var learningRate: Float = 4e-4
    /// The largest global gradient norm; larger gradients are scaled down to it.
    public var clipNorm: Float = 5
    /// The last epoch to train (counting from 1): an upper bound.
    public var epochs = 20
    /// Evaluations (one per epoch) without a better dev loss before stopping.
    public var patience = 3
    /// Seeds initialisation-independent randomness: shuffling and dropout.
    public var seed: UInt64 = 0
    /// Where checkpoints go (`checkpoint.safetensors` + `checkpoint.json`), or nil for none.
    public var checkpointDirectory: String?
    /// Captions are cut to this many tokens.
    public var maxTokens = 32
    /// Steps since the best dev loss before stopping (0: `patience` alone decides).
    public var patienceSteps = 0
    /// No early stop before this many steps.
    public var minSteps = 0
    /// The most optimiser steps: an upper bound.
    public var maxSteps = Int.max
    /// The most seconds of training in one run (wall clock; resumed runs count afresh).
    public var maxSeconds = Double.infinity
    /// The learning rate rises linearly from `learningRate / warmupSteps` to `learningRate`
    /// over this many steps (0: none).
    public var warmupSteps = 0
    /// Batches hold captions of similar length (`CaptionDataset.bucketedOrder`), so few
    /// steps are padding; false: plain shuffled batches, each padded to its longest caption.
    public var bucketByLength = true
    /// The probability that a training caption is shown without its context comments, so a
    /// model with context also writes well with nothing on screen yet (0.25).
    public var contextDropout: Float = 0.25
    /// The probability that a training caption not dropped from its context is shown with the
    /// context of a caption drawn from the whole set (so mostly another moment's): the
    /// picture and the conversation then disagree and only the picture tells the caption, so
    /// the model learns to trust the picture over what is on screen when the two conflict.
    public var contextSwap: Float = 0
    /// The most bytes training may take (`CaptionGraph.trainingBytes` plus the datasets'
    /// features); nil: 80 % of the memory this process may use (the cgroup's limit or the
    /// machine's RAM). Not saved in checkpoints: a property of the machine.
    public var memoryBudget: Int?

    public init(batchSize: Int = 256, learningRate: Float = 4e-4, clipNorm: Float = 5, epochs: Int = 20, patience: Int = 3,
                seed: UInt64 = 0, checkpointDirectory: String? = nil, maxTokens: Int = 32, patienceSteps: Int = 0,
                minSteps: Int = 0, maxSteps: Int = .max, maxSeconds: Double = .infinity, warmupSteps: Int = 0,
                bucketByLength: Bool = true, contextDropout: Float = 0.25, contextSwap: Float = 0) {
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.clipNorm = clipNorm
        self.epochs = epochs
        self.patience = patience
        self.seed = seed
        self.checkpointDirectory = checkpointDirectory
        self.maxTokens = maxTokens
        self.patienceSteps = patienceSteps
        self.minSteps = minSteps
        self.maxSteps = maxSteps
        self.maxSeconds = maxSeconds
        self.warmupSteps = warmupSteps
        self.bucketByLength = bucketByLength
        self.contextDropout = contextDropout
        self.contextSwap = contextSwap
    }

    /// The learning rate of optimiser step `step` (from 1).
    public func learningRate(atStep step: Int) -> Float {
        guard warmupSteps > 0, step < warmupSteps else { return learningRate }
        return learningRate * Float(step) / Float(warmupSteps)
    }

    enum CodingKeys: String, CodingKey {
        case batchSize, learningRate, clipNorm, epochs, patience, seed, checkpointDirectory, maxTokens
        case patienceSteps, minSteps, maxSteps, maxSeconds, warmupSteps, bucketByLength, contextDropout, contextSwap
    }

    /// Checkpoints written before the step limits (or bucketing) existed have none of them.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(batchSize: try c.decode(Int.self, forKey: .batchSize), learningRate: try c.decode(Float.self, forKey: .learningRate),
                  clipNorm: try c.decode(Float.self, forKey: .clipNorm), epochs: try c.decode(Int.self, forKey: .epochs),
                  patience: try c.decode(Int.self, forKey: .patience), seed: try c.decode(UInt64.self, forKey: .seed),
                  checkpointDirectory: try c.decodeIfPresent(String.self, forKey: .checkpointDirectory),
                  maxTokens: try c.decode(Int.self, forKey: .maxTokens),
                  patienceSteps: try c.decodeIfPresent(Int.self, forKey: .patienceSteps) ?? 0,
                  minSteps: try c.decodeIfPresent(Int.self, forKey: .minSteps) ?? 0,
                  maxSteps: try c.decodeIfPresent(Int.self, forKey: .maxSteps) ?? .max,
                  // JSON has no infinity: an unlimited time is written as no key.
                  maxSeconds: try c.decodeIfPresent(Double.self, forKey: .maxSeconds) ?? .infinity,
                  warmupSteps: try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0,
                  // Checkpoints from before bucketing trained without it.
                  bucketByLength: try c.decodeIfPresent(Bool.self, forKey: .bucketByLength) ?? false,
                  contextDropout: try c.decodeIfPresent(Float.self, forKey: .contextDropout) ?? 0.25,
                  // Checkpoints from before the swap trained without it.
                  contextSwap: try c.decodeIfPresent(Float.self, forKey: .contextSwap) ?? 0)
    }

    public func encode(to encoder: any Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(clipNorm, forKey: .clipNorm)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(patience, forKey: .patience)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(checkpointDirectory, forKey: .checkpointDirectory)
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(patienceSteps, forKey: .patienceSteps)
        try c.encode(minSteps, forKey: .minSteps)
        try c.encode(maxSteps, forKey: .maxSteps)
        if maxSeconds.isFinite { try c.encode(maxSeconds, forKey: .maxSeconds) }
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(bucketByLength, forKey: .bucketByLength)
        try c.encode(contextDropout, forKey: .contextDropout)
        try c.encode(contextSwap, forKey: .contextSwap)
    }
}

/// Reported after every batch.
public struct TrainingProgress: Sendable {
    /// The epoch being trained, from 1.
    public var epoch: Int
    /// The batch just finished, from 1.
    public var batch: Int
    /// Batches per epoch.
    public var batchesPerEpoch: Int
    /// The batch's training loss (cross-entropy + penalty).
    public var loss: Double
    /// Updates made so far.
    public var step: Int
    /// The batch's steps `T` (its longest caption plus `<eos>`): what its time grows with.
    public var steps: Int = 0
    /// The batch's non-padding target tokens.
    public var tokens: Int = 0
    /// The batch's wall-clock seconds.
    public var seconds: Double = 0

    /// Target tokens per second of this batch.
    public var tokensPerSecond: Double { Double(tokens) / max(seconds, 1e-9) }
}

/// One finished epoch.
public struct EpochSummary: Codable, Sendable, Equatable {
    /// From 1.
    public var epoch: Int
    /// Token-weighted mean training loss.
    public var trainLoss: Double
    /// Mean cross-entropy per dev token (the training loss when there is no dev set).
    public var devLoss: Double
    /// Optimiser steps made when the epoch ended.
    public var step: Int
    /// The gate's AUC on the dev blocks, own threads against others (gated models with a
    /// dev set; see `GateAgreement`).
    public var gateAgreement: Double?

    public init(epoch: Int, trainLoss: Double, devLoss: Double, step: Int, gateAgreement: Double? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.devLoss = devLoss
        self.step = step
        self.gateAgreement = gateAgreement
    }

    enum CodingKeys: String, CodingKey { case epoch, trainLoss, devLoss, step, gateAgreement }

    /// Checkpoints written before steps were recorded have none (0), and before the gate's
    /// agreement no agreement.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epoch: try c.decode(Int.self, forKey: .epoch), trainLoss: try c.decode(Double.self, forKey: .trainLoss),
                  devLoss: try c.decode(Double.self, forKey: .devLoss), step: try c.decodeIfPresent(Int.self, forKey: .step) ?? 0,
                  gateAgreement: try c.decodeIfPresent(Double.self, forKey: .gateAgreement))
    }
}

/// Why training ended.
public enum TrainingStop: String, Codable, Sendable {
    /// All `epochs` epochs ran.
    case finished
    /// `maxSteps` steps were made.
    case stepLimit
    /// `maxSeconds` passed.
    case timeLimit
    /// The dev loss stopped improving (`patienceSteps` steps and `patience` evaluations).
    case earlyStopped
    /// The cancellation closure asked to stop.
    case cancelled
}

/// What training produced.
public struct TrainingResult: Sendable {
    /// The weights with the best dev loss (the current ones if no epoch finished).
    public var model: CaptionModel
    /// The epoch of `model` (0 if none finished).
    public var bestEpoch: Int
    /// Optimiser steps made in all, including those of a run resumed from.
    public var steps: Int
    /// Its dev loss (∞ if none finished).
    public var bestDevLoss: Double
    /// Every finished epoch, including those of a run resumed from.
    public var history: [EpochSummary]
    /// Why it ended.
    public var stop: TrainingStop
}

/// Trains a `CaptionModel`; everything random comes from one `SplitMix64` saved in checkpoints.
public final class Trainer {
    /// The model being trained.
    public private(set) var model: CaptionModel
    /// How to train (the epoch count may be raised when resuming).
    public var options: TrainerOptions
    private var adam: Adam
    private var generator: SplitMix64
    private var best: CaptionModel?
    /// One entry per finished epoch: everything below derives from it.
    private var history: [EpochSummary] = []
    private var completedEpochs: Int { history.last?.epoch ?? 0 }
    /// The first epoch with the lowest dev loss (nil before the first epoch).
    private var bestSummary: EpochSummary? { history.min { $0.devLoss < $1.devLoss } }
    private var bestEpoch: Int { bestSummary?.epoch ?? 0 }
    private var bestStep: Int { bestSummary?.step ?? 0 }
    private var bestDevLoss: Double { bestSummary?.devLoss ?? .infinity }
    private var epochsWithoutImprovement: Int { completedEpochs - bestEpoch }
    private let graph = CaptionGraph()
    private let logger = Logger(label: "danmaku.captioner")

    /// Whether a batch's steps run only on the captions still going (`CaptionGraph.packsRows`;
    /// off only for the benchmark's padded reference).
    public var packsRows: Bool {
        get { graph.packsRows }
        set { graph.packsRows = newValue }
    }

    /// A trainer starting from `model`.
    public init(model: CaptionModel, options: TrainerOptions) {
        self.model = model
        self.options = options
        adam = Adam(for: model, learningRate: options.learningRate)
        generator = SplitMix64(seed: options.seed)
    }

    /// Trains until `options.epochs`, early stopping or cancellation.
    ///
    /// - Parameters:
    ///   - progress: called after every batch.
    ///   - shouldStop: checked after every batch; `true` ends training after that batch,
    ///     returning the best weights (Ctrl-C).
    /// - Throws: `CaptionerError.invalidData` for data that does not fit the model,
    ///   `.nonFinite` when the loss or gradient stops being finite (the checkpoint of the last
    ///   finished epoch is kept), and checkpoint write errors.
    public func train(_ data: CaptionDataset, dev: CaptionDataset? = nil,
                      progress: (TrainingProgress) -> Void = { _ in },
                      shouldStop: () -> Bool = { false }) throws -> TrainingResult {
        try data.validate(for: model.config, name: "training")
        try dev?.validate(for: model.config, name: "dev")
        guard !data.examples.isEmpty else { throw CaptionerError.invalidData("no training examples") }
        if let directory = options.checkpointDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let batchSize = max(1, options.batchSize)
        try checkMemory(data, dev: dev, batchSize: batchSize)
        let batchesPerEpoch = (data.examples.count + batchSize - 1) / batchSize
        var gradient = model.zeros()
        var spareFeatures = Tensor(shape: [0])
        var stop = TrainingStop.finished
        let runStarted = DispatchTime.now().uptimeNanoseconds
        /// The upper bound (`maxSteps`, `maxSeconds`) that the steps made so far reach, if any.
        func boundReached() -> TrainingStop? {
            if adam.step >= options.maxSteps { return .stepLimit }
            if Double(DispatchTime.now().uptimeNanoseconds - runStarted) / 1e9 >= options.maxSeconds { return .timeLimit }
            return nil
        }
        epochs: while completedEpochs < options.epochs {
            let epoch = completedEpochs + 1
            let order = options.bucketByLength
                ? data.bucketedOrder(batchSize: batchSize, maxTokens: options.maxTokens, using: &generator)
                : data.shuffledOrder(using: &generator)
            var lossSum = 0.0, tokenSum = 0
            for batchIndex in 0..<batchesPerEpoch {
                let started = DispatchTime.now().uptimeNanoseconds
                let indices = order[(batchIndex * batchSize)..<min(order.count, (batchIndex + 1) * batchSize)]
                let ordered = data.longestFirst(indices)
                let contextSources = drawContextSources(data, indices: ordered)
                let batch = data.batch(ordered, maxTokens: options.maxTokens, reusing: &spareFeatures,
                                       contextSource: { position, _ in contextSources[position] })
                defer { spareFeatures = batch.features }
                gradient.zeroAll()
                let loss = graph.lossAndGradient(model: model, batch: batch, gradient: &gradient, using: &generator)
                guard loss.total.isFinite else {
                    throw CaptionerError.nonFinite(step: adam.step + 1, epoch: epoch, what: "the loss")
                }
                let norm = gradient.globalNorm()
                guard norm.isFinite else {
                    throw CaptionerError.nonFinite(step: adam.step + 1, epoch: epoch, what: "the gradient norm")
                }
                if norm > Double(options.clipNorm) { gradient.scale(by: Float(Double(options.clipNorm) / norm)) }
                adam.learningRate = options.learningRate(atStep: adam.step + 1)
                adam.update(&model, gradient: gradient)
                lossSum += loss.total * Double(loss.tokens)
                tokenSum += loss.tokens
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                progress(TrainingProgress(epoch: epoch, batch: batchIndex + 1, batchesPerEpoch: batchesPerEpoch,
                                          loss: loss.total, step: adam.step, steps: batch.steps, tokens: loss.tokens, seconds: seconds))
                if shouldStop() {
                    stop = .cancelled
                    break epochs
                }
                // A bound reached at the epoch's last batch is seen after its evaluation, below.
                if batchIndex + 1 < batchesPerEpoch, let bound = boundReached() {
                    stop = bound
                    break epochs
                }
            }
            let trainLoss = lossSum / Double(max(tokenSum, 1))
            // The LSTM follows the gate (τ = 1) only while it judges the dev blocks' threads better than chance.
            let agreement = dev.flatMap { model.gateAgreement(on: $0, batchSize: batchSize, maxTokens: options.maxTokens) }
            if let agreement { model.config.contextTrust = agreement.beatsChance ? 1 : 0 }
            let devLoss = dev.map { evaluate($0) } ?? trainLoss
            if devLoss < bestDevLoss { best = model }
            history.append(EpochSummary(epoch: epoch, trainLoss: trainLoss, devLoss: devLoss, step: adam.step,
                                        gateAgreement: agreement?.auc))
            logger.debug("epoch \(epoch) (step \(adam.step)): train loss \(trainLoss), dev loss \(devLoss)")
            if let directory = options.checkpointDirectory { try saveCheckpoint(in: directory) }
            if epochsWithoutImprovement >= options.patience && adam.step - bestStep >= options.patienceSteps && adam.step >= options.minSteps {
                stop = .earlyStopped
                break
            }
            if let bound = boundReached() {
                stop = bound
                break
            }
        }
        return TrainingResult(model: best ?? model, bestEpoch: bestEpoch, steps: adam.step, bestDevLoss: bestDevLoss, history: history, stop: stop)
    }

    /// For each of `indices`, the example whose context it is shown with: none with
    /// probability `contextDropout`, else a random example's with probability `contextSwap`,
    /// else its own. A model without context draws nothing (each its own), so it trains as
    /// before.
    private func drawContextSources(_ data: CaptionDataset, indices: [Int]) -> [Int?] {
        guard model.config.readsContext && options.contextDropout + options.contextSwap > 0 else { return indices }
        return indices.map { own in
            let draw = Float.random(in: 0..<1, using: &generator)
            if draw < options.contextDropout { return nil }
            if draw < options.contextDropout + (1 - options.contextDropout) * options.contextSwap {
                return Int.random(in: data.examples.indices, using: &generator)
            }
            return own
        }
    }

    /// Throws `CaptionerError.memoryBudget` with a batch size that fits when training `data`
    /// in batches of `batchSize` would exceed `options.memoryBudget`.
    private func checkMemory(_ data: CaptionDataset, dev: CaptionDataset?, batchSize: Int) throws {
        let longest = min(options.maxTokens, (data.examples + (dev?.examples ?? [])).map(\.tokens.count).max() ?? 0) + 1
        let held = (data.features.count + (dev?.features.count ?? 0)) * MemoryLayout<Float>.size
        func needed(_ batch: Int) -> Int {
            held + CaptionGraph.trainingBytes(config: model.config, batch: batch, steps: longest, outputChunkRows: graph.outputChunkRows)
        }
        let budget = options.memoryBudget ?? Self.defaultMemoryBudget()
        guard needed(batchSize) > budget else { return }
        var fitting = batchSize
        while fitting > 0 && needed(fitting) > budget { fitting /= 2 }
        throw CaptionerError.memoryBudget(neededMB: needed(batchSize) >> 20, budgetMB: budget >> 20, batchSize: batchSize,
                                          steps: longest, fittingBatchSize: fitting)
    }

    /// 80 % of the cgroup's memory limit (`/sys/fs/cgroup/memory.max`) or of the machine's RAM.
    static func defaultMemoryBudget() -> Int {
        var limit = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let cgroup = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            limit = min(limit, cgroup)
        }
        return limit / 5 * 4
    }

    /// Mean cross-entropy per token of `data` under the current weights, without dropout.
    public func evaluate(_ data: CaptionDataset) -> Double {
        Self.crossEntropy(of: model, on: data, batchSize: max(1, options.batchSize), maxTokens: options.maxTokens, graph: graph)
    }

    /// Mean cross-entropy per token of `data` under `model`, without dropout.
    public static func crossEntropy(of model: CaptionModel, on data: CaptionDataset, batchSize: Int = 256,
                                    maxTokens: Int = 32, graph: CaptionGraph = CaptionGraph()) -> Double {
        var total = 0.0, tokens = 0
        var start = 0
        while start < data.examples.count {
            let end = min(data.examples.count, start + batchSize)
            let loss = graph.loss(model: model, batch: data.batch(data.longestFirst(start..<end), maxTokens: maxTokens))
            total += loss.crossEntropy * Double(loss.tokens)
            tokens += loss.tokens
            start = end
        }
        return total / Double(max(tokens, 1))
    }

    // MARK: Checkpoints

    /// What a checkpoint's JSON holds besides the tensors. The epoch count and the best
    /// epoch derive from `history` (older checkpoints also stored them; they are ignored).
    private struct CheckpointState: Codable {
        var config: CaptionerConfig
        var options: TrainerOptions
        var step: Int
        var generatorState: UInt64
        var history: [EpochSummary]
    }

    /// The file names of a checkpoint inside its directory.
    public static let checkpointFiles = (tensors: "checkpoint.safetensors", state: "checkpoint.json")

    /// Writes weights, best weights, Adam moments (safetensors) and step, epoch, RNG state
    /// and history (JSON), each file atomically; the step in both files ties them together.
    private func saveCheckpoint(in directory: String) throws {
        var tensors = adam.tensors
        for (name, tensor) in model.parameters { tensors["weights/" + name] = tensor }
        for (name, tensor) in (best ?? model).parameters { tensors["best/" + name] = tensor }
        let directoryURL = URL(fileURLWithPath: directory)
        try SafeTensors.write(tensors, metadata: ["step": String(adam.step)],
                              to: directoryURL.appendingPathComponent(Self.checkpointFiles.tensors).path)
        let state = CheckpointState(config: model.config, options: options, step: adam.step,
                                    generatorState: generator.state, history: history)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(state), to: directoryURL.appendingPathComponent(Self.checkpointFiles.state).path)
    }

    /// A trainer that continues from the checkpoint in `directory` exactly where it stopped.
    ///
    /// - Parameter options: replaces the saved options (e.g. to train more epochs); nil keeps them.
    /// - Throws: `CaptionerError.badCheckpoint` when the files are missing, disagree or do not fit.
    public static func resume(from directory: String, options: TrainerOptions? = nil) throws -> Trainer {
        let directoryURL = URL(fileURLWithPath: directory)
        let statePath = directoryURL.appendingPathComponent(checkpointFiles.state).path
        let tensorPath = directoryURL.appendingPathComponent(checkpointFiles.tensors).path
        let state: CheckpointState
        do { state = try JSONFile.decode(CheckpointState.self, path: statePath) } catch {
            throw CaptionerError.badCheckpoint(path: statePath, reason: error.reason)
        }
        let file = try SafeTensorsFile(path: tensorPath)
        guard file.metadata["step"] == String(state.step) else {
            throw CaptionerError.badCheckpoint(path: tensorPath, reason: "written at step \(file.metadata["step"] ?? "?"), \(checkpointFiles.state) says \(state.step)")
        }
        let all = try file.tensors()
        // Damaged bytes decode to NaN, infinity or a negative second moment, any of which would
        // make the first resumed step diverge.
        if let name = all.firstNonFinite {
            throw CaptionerError.badCheckpoint(path: tensorPath, reason: "tensor \(name) holds NaN or infinity")
        }
        if let name = all.keys.sorted().first(where: { $0.hasPrefix("adam.v/") && all[$0]!.storage.contains { $0 < 0 } }) {
            throw CaptionerError.badCheckpoint(path: tensorPath, reason: "tensor \(name), a second moment, holds a negative value")
        }
        func subset(_ prefix: String) -> [String: Tensor] {
            var out: [String: Tensor] = [:]
            for (name, tensor) in all where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = tensor }
            return out
        }
        let model = try CaptionModel(config: state.config, parameters: subset("weights/"), source: tensorPath)
        var resumedOptions = options ?? state.options
        resumedOptions.checkpointDirectory = resumedOptions.checkpointDirectory ?? directory
        let trainer = Trainer(model: model, options: resumedOptions)
        try trainer.adam.restore(from: all.filter { $0.key.hasPrefix("adam.") }, step: state.step, source: tensorPath)
        trainer.generator = SplitMix64(seed: state.generatorState)
        trainer.best = try CaptionModel(config: state.config, parameters: subset("best/"), source: tensorPath)
        trainer.history = state.history
        return trainer
    }
}
