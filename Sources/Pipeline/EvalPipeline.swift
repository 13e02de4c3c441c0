// Evaluation of a bundle on one video's comments: perplexity, the LiveBot ranking protocol,
// BLEU and distinct-n of generated comments — with the real frame features and with the
// features shuffled across frames, whose difference is the visual grounding gain.
import Captioner
import Comments
import Foundation
import Tensor

/// What to evaluate.
public struct EvalRequest: Sendable {
    public var video: String
    public var comments: String
    /// Frames (with at least one comment) evaluated at most, evenly spaced.
    public var maximumFrames = 60
    /// Candidates per frame (LiveBot: 100).
    public var candidates = 100
    public var seed: UInt64 = 1
    public var useCache = true

    public init(video: String, comments: String) {
        self.video = video
        self.comments = comments
    }
}

/// The metrics of one condition (real or shuffled features).
public struct EvalMetrics: Codable, Sendable, Equatable {
    public var perplexity: Double
    public var ranking: RankingMetrics
    /// BLEU-1…4 of one generated comment per frame against that frame's real comments.
    public var bleu: [Double]
    public var distinct1: Double
    public var distinct2: Double
}

/// Real against shuffled features.
public struct EvalReport: Codable, Sendable, Equatable {
    public var frames: Int
    public var comments: Int
    public var real: EvalMetrics
    public var shuffled: EvalMetrics
    /// real.ranking.mrr − shuffled.ranking.mrr.
    public var groundingGainMRR: Double

    /// The report as an aligned text table.
    public var table: String {
        func row(_ name: String, _ a: Double, _ b: Double) -> String {
            name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: "%10.4f %10.4f %+10.4f", a, b, a - b)
        }
        var lines = ["frames \(frames), comments \(comments)",
                     "metric".padding(toLength: 14, withPad: " ", startingAt: 0) + "      real   shuffled       gain"]
        lines.append(row("perplexity", real.perplexity, shuffled.perplexity))
        lines.append(row("recall@1", real.ranking.recallAt1, shuffled.ranking.recallAt1))
        lines.append(row("recall@5", real.ranking.recallAt5, shuffled.ranking.recallAt5))
        lines.append(row("recall@10", real.ranking.recallAt10, shuffled.ranking.recallAt10))
        lines.append(row("mean rank", real.ranking.meanRank, shuffled.ranking.meanRank))
        lines.append(row("MRR", real.ranking.mrr, shuffled.ranking.mrr))
        for n in 0..<min(real.bleu.count, shuffled.bleu.count) {
            lines.append(row("BLEU-\(n + 1)", real.bleu[n], shuffled.bleu[n]))
        }
        lines.append(row("distinct-1", real.distinct1, shuffled.distinct1))
        lines.append(row("distinct-2", real.distinct2, shuffled.distinct2))
        return lines.joined(separator: "\n")
    }
}

public enum EvalPipeline {
    /// Evaluates `bundle` on `request.video` and its comments.
    ///
    /// - Throws: `CommentsError`, `MediaError`, `BundleError` when the features do not fit,
    ///   `PipelineError.invalidInput` when no comment is usable.
    public static func evaluate(_ request: EvalRequest, bundle: ModelBundle) throws -> EvalReport {
        let recipe = bundle.recipe
        let tokenizer = try (recipe.comments.tokenizer == .mecab ? TokenizerKind.mecab : .char).make()
        let normalizer = TextNormalizer(nfkc: recipe.comments.nfkc, maximumRun: recipe.comments.maxRun)
        let kept = TrainingFilter().apply(try CommentFile.load(path: request.comments)).kept

        let (features, extracted) = try bundle.frameFeatures(video: request.video, useCache: request.useCache)

        // Real comments per frame, as token lists.
        var perFrame: [Int: [[String]]] = [:]
        var all: [[String]] = []
        for comment in kept where Double(comment.vpos) / 100 + recipe.comments.lag <= extracted.duration {
            let tokens = tokenizer.tokenize(normalizer.normalize(comment.text))
            guard !tokens.isEmpty, recipe.comments.maxTokens == 0 || tokens.count <= recipe.comments.maxTokens else { continue }
            let frame = Alignment.frameIndex(vpos: comment.vpos, fps: extracted.fps, lag: recipe.comments.lag,
                                             frameCount: extracted.frameCount)
            perFrame[frame, default: []].append(tokens)
            all.append(tokens)
        }
        guard !all.isEmpty else { throw PipelineError.invalidInput(path: request.comments, reason: "no usable comment within the video") }
        var frames = perFrame.keys.sorted()
        if frames.count > request.maximumFrames {
            let step = Double(frames.count) / Double(request.maximumFrames)
            frames = (0..<request.maximumFrames).map { frames[Int(Double($0) * step)] }
        }
        let candidateSets = candidates(frames: frames, perFrame: perFrame, all: all, count: request.candidates, seed: request.seed)

        // Shuffled features: every frame gets another frame's features (a seeded derangement
        // when there are two frames or more).
        var generator = SplitMix64(seed: request.seed ^ 0x5eed)
        var permutation = Array(0..<features.shape[0])
        if permutation.count > 1 {
            repeat { permutation.shuffle(using: &generator) } while zip(permutation, permutation.indices).contains { $0 == $1 }
        }
        let rowSize = features.count / features.shape[0]
        var shuffledStorage = [Float](repeating: 0, count: features.count)
        for (row, source) in permutation.enumerated() {
            shuffledStorage[(row * rowSize)..<((row + 1) * rowSize)] = features.storage[(source * rowSize)..<((source + 1) * rowSize)]
        }
        let shuffled = Tensor(shape: features.shape, storage: shuffledStorage)

        let real = metrics(features: features, frames: frames, perFrame: perFrame, candidateSets: candidateSets, bundle: bundle, seed: request.seed)
        let blind = metrics(features: shuffled, frames: frames, perFrame: perFrame, candidateSets: candidateSets, bundle: bundle, seed: request.seed)
        return EvalReport(frames: frames.count, comments: frames.reduce(0) { $0 + perFrame[$1]!.count }, real: real, shuffled: blind,
                          groundingGainMRR: real.ranking.mrr - blind.ranking.mrr)
    }

    /// Per frame, up to `count` unique candidates: the real comments, then the 20 most popular,
    /// the 20 most similar to the real ones (TF-IDF cosine), then random ones. The index set
    /// marks the real comments.
    static func candidates(frames: [Int], perFrame: [Int: [[String]]], all: [[String]], count: Int,
                           seed: UInt64) -> [(texts: [[String]], correct: Set<Int>)] {
        var popularity: [[String]: Int] = [:]
        for text in all { popularity[text, default: 0] += 1 }
        let unique = popularity.keys.sorted { popularity[$0]! != popularity[$1]! ? popularity[$0]! > popularity[$1]! : $0.joined() < $1.joined() }
        var documentFrequency: [String: Int] = [:]
        for text in unique { for token in Set(text) { documentFrequency[token, default: 0] += 1 } }
        func vector(_ text: [String]) -> [String: Double] {
            var v: [String: Double] = [:]
            for token in text { v[token, default: 0] += log(Double(unique.count + 1) / Double(documentFrequency[token, default: 0] + 1)) + 1 }
            let norm = v.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? v.mapValues { $0 / norm } : v
        }
        let vectors = unique.map(vector)
        var generator = SplitMix64(seed: seed)
        return frames.map { frame in
            var texts: [[String]] = []
            var seen = Set<[String]>()
            func add(_ text: [String]) { if texts.count < count, seen.insert(text).inserted { texts.append(text) } }
            for text in perFrame[frame]! { add(text) }
            let correct = Set(texts.indices)
            for text in unique.prefix(20) { add(text) }
            let real = perFrame[frame]!.map(vector)
            let similarity = vectors.map { v in real.map { r in r.reduce(0) { $0 + $1.value * (v[$1.key] ?? 0) } }.max() ?? 0 }
            var added = 0
            for index in unique.indices.sorted(by: { similarity[$0] > similarity[$1] }) where added < 20 {
                if !seen.contains(unique[index]) { add(unique[index]); added += 1 }
            }
            for text in unique.shuffled(using: &generator) { add(text) }
            return (texts, correct)
        }
    }

    static func metrics(features: Tensor, frames: [Int], perFrame: [Int: [[String]]],
                        candidateSets: [(texts: [[String]], correct: Set<Int>)], bundle: ModelBundle, seed: UInt64) -> EvalMetrics {
        let decoder = Decoder(model: bundle.model, maxLength: bundle.recipe.decoding.maxTokens)
        let vocabulary = bundle.vocabulary
        // Perplexity of the real comments of the evaluated frames.
        var examples: [CaptionExample] = []
        for frame in frames { for text in perFrame[frame]! { examples.append(CaptionExample(frame: frame, tokens: vocabulary.encode(text))) } }
        let likelihoods = decoder.logLikelihoods(features: features, captions: examples)
        let perplexity = TextMetrics.perplexity(logLikelihoods: likelihoods, tokenCounts: examples.map { $0.tokens.count + 1 })
        // Ranking.
        var ranks: [Int] = []
        for (frame, set) in zip(frames, candidateSets) {
            let scores = decoder.logLikelihoods(features: features, captions: set.texts.map { CaptionExample(frame: frame, tokens: vocabulary.encode($0)) })
            if let rank = RankingMetrics.rank(scores: scores, correct: set.correct) { ranks.append(rank) }
        }
        // Generated comments: one per frame, the recipe's strategy, the same seed for both conditions.
        var generator = SplitMix64(seed: seed)
        let decoding = bundle.recipe.decoding
        let strategy = GeneratePipeline.decodingStrategy(decoding.strategy, decoding: decoding, bundle: bundle)
        let rowSize = features.count / features.shape[0]
        let frameShape = Array(features.shape.dropFirst())
        let generated = frames.map { frame in
            let row = Tensor(shape: frameShape, storage: Array(features.storage[(frame * rowSize)..<((frame + 1) * rowSize)]))
            return vocabulary.decode(decoder.decode(row, strategy: strategy, using: &generator).tokens)
        }
        return EvalMetrics(perplexity: perplexity, ranking: RankingMetrics(ranks: ranks),
                           bleu: TextMetrics.bleu(hypotheses: generated, references: frames.map { perFrame[$0]! }),
                           distinct1: TextMetrics.distinct(generated, n: 1), distinct2: TextMetrics.distinct(generated, n: 2))
    }
}
