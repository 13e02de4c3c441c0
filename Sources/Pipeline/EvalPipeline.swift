// Evaluation of a bundle on one video's comments: perplexity, the LiveBot ranking protocol,
// BLEU and distinct-n of generated comments, in three conditions: the real frame with the real
// comments before it as context, the real frame with no context, and the features shuffled
// across frames with the real context. Real against shuffled is the visual grounding gain,
// real against no context the context gain. A context model is also measured shuffled with no
// context, which gives the grounding gain with nothing on screen.
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

/// The conditions: real picture and context, no context, shuffled picture (with the real
/// context, and with none).
public struct EvalReport: Codable, Sendable, Equatable {
    public var frames: Int
    public var comments: Int
    /// Candidates ranked per frame, on average (fewer than asked when the pool is small).
    public var candidatesPerFrame: Double
    /// The real frame, and the real comments before it as context (models with context).
    public var real: EvalMetrics
    /// The real frame with nothing on screen (for a model without context, `real` again).
    public var noContext: EvalMetrics
    /// Another frame's features, with the real context.
    public var shuffled: EvalMetrics
    /// Another frame's features with nothing on screen (for a model without context,
    /// `shuffled` again): with `noContext`, the picture's part alone.
    public var shuffledNoContext: EvalMetrics
    /// real.ranking.mrr − shuffled.ranking.mrr.
    public var groundingGainMRR: Double
    /// real.ranking.mrr − noContext.ranking.mrr.
    public var contextGainMRR: Double
    /// noContext.ranking.mrr − shuffledNoContext.ranking.mrr: the grounding gain with nothing
    /// on screen, which the real context cannot make up for.
    public var groundingGainNoContextMRR: Double

    /// The table's rows: (metric, real, no context, shuffled).
    public var rows: [(metric: String, real: Double, noContext: Double, shuffled: Double)] {
        func row(_ name: String, _ value: (EvalMetrics) -> Double) -> (String, Double, Double, Double) {
            (name, value(real), value(noContext), value(shuffled))
        }
        var rows = [row("perplexity", \.perplexity), row("recall@1", \.ranking.recallAt1), row("recall@5", \.ranking.recallAt5),
                    row("recall@10", \.ranking.recallAt10), row("mean rank", \.ranking.meanRank), row("MRR", \.ranking.mrr)]
        for n in 0..<min(real.bleu.count, noContext.bleu.count, shuffled.bleu.count) { rows.append(row("BLEU-\(n + 1)") { $0.bleu[n] }) }
        rows += [row("distinct-1", \.distinct1), row("distinct-2", \.distinct2)]
        return rows
    }

    /// The report as an aligned text table; the gains are real − shuffled (grounding) and
    /// real − no context (context), and for a context model a last line gives the grounding
    /// gain with nothing on screen.
    public var table: String {
        func pad(_ text: String) -> String { text.padding(toLength: 14, withPad: " ", startingAt: 0) }
        let header = ["frames \(frames), comments \(comments), candidates per frame \(String(format: "%.1f", candidatesPerFrame))",
                      pad("metric") + "      real no context   shuffled  grounding    context"]
        let footer = noContext == real && shuffledNoContext == shuffled ? [] :
            [String(format: "with nothing on screen: MRR %.4f, shuffled %.4f, grounding %+.4f", noContext.ranking.mrr,
                    shuffledNoContext.ranking.mrr, groundingGainNoContextMRR)]
        return (header + rows.map {
            pad($0.metric) + String(format: "%10.4f %10.4f %10.4f %+10.4f %+10.4f", $0.real, $0.noContext, $0.shuffled,
                                    $0.real - $0.shuffled, $0.real - $0.noContext)
        } + footer).joined(separator: "\n")
    }
}

public enum EvalPipeline {
    /// Evaluates `bundle` on `request.video` and its comments.
    ///
    /// - Throws: `CommentsError`, `MediaError`, `BundleError` when the features do not fit,
    ///   `PipelineError.invalidInput` when no comment is usable.
    public static func evaluate(_ request: EvalRequest, bundle: ModelBundle) throws -> EvalReport {
        let recipe = bundle.recipe
        let prepared = try CommentPreparation(recipe: recipe).prepare(files: [request.comments])

        let (features, extracted) = try bundle.frameFeatures(video: request.video, useCache: request.useCache)

        // Real comments per frame, as token lists.
        var perFrame: [Int: [[String]]] = [:]
        var thread: [(frame: Int, tokens: [String])] = []
        for (comment, tokens) in prepared.usable where Double(comment.vpos) / 100 + recipe.comments.lag <= extracted.duration {
            let frame = Alignment.frameIndex(vpos: comment.vpos, fps: extracted.fps, lag: recipe.comments.lag,
                                             frameCount: extracted.frameCount)
            perFrame[frame, default: []].append(tokens)
            thread.append((frame, tokens))
        }
        guard !perFrame.isEmpty else { throw PipelineError.invalidInput(path: request.comments, reason: "no usable comment within the video") }
        let contexts = ContextWindow(recipe: recipe).frameContexts(frames: Array(perFrame.keys), thread: thread, fps: extracted.fps)
        return evaluate(features: features, comments: perFrame, contexts: contexts, maximumFrames: request.maximumFrames,
                        candidates: request.candidates, seed: request.seed, bundle: bundle)
    }

    /// Evaluates `bundle` on rows of `features` and their real comments: the protocol of
    /// `evaluate(_:bundle:)` for features already in memory (the training's development split).
    ///
    /// - Parameters:
    ///   - features: `[N, …]`, the rows the model takes.
    ///   - comments: the real comments (token lists) of the rows that have some; every one of
    ///     them is also in the candidate pool.
    ///   - contexts: the comments shown before each of those rows (`ContextWindow.frameContexts`).
    ///   - maximumFrames: rows evaluated at most, evenly spaced among those with comments.
    ///   - candidates: candidates per frame at most.
    /// - Precondition: `comments` is not empty and its keys are rows of `features`.
    static func evaluate(features: Tensor, comments perFrame: [Int: [[String]]], contexts: [Int: [[String]]], maximumFrames: Int,
                         candidates count: Int, seed: UInt64, bundle: ModelBundle) -> EvalReport {
        precondition(!perFrame.isEmpty && perFrame.keys.allSatisfy { (0..<features.shape[0]).contains($0) },
                     "evaluation needs comments on rows of the features")
        var frames = perFrame.keys.sorted()
        if frames.count > maximumFrames {
            let step = Double(frames.count) / Double(maximumFrames)
            frames = (0..<maximumFrames).map { frames[Int(Double($0) * step)] }
        }
        let all = perFrame.keys.sorted().flatMap { perFrame[$0]! }
        let candidateSets = candidates(frames: frames, perFrame: perFrame, all: all, count: count, seed: seed)

        // Shuffled features: every frame gets another frame's features (a seeded derangement
        // of all rows when there are two or more). Only the evaluated rows are gathered.
        var generator = SplitMix64(seed: seed ^ 0x5eed)
        var permutation = Array(0..<features.shape[0])
        if permutation.count > 1 {
            repeat { permutation.shuffle(using: &generator) } while zip(permutation, permutation.indices).contains { $0 == $1 }
        }
        let real = features.rows(frames)
        let shuffled = features.rows(frames.map { permutation[$0] })
        let comments = frames.map { perFrame[$0]! }
        let context = frames.map { contexts[$0] ?? [] }, nothing = [[[String]]](repeating: [], count: frames.count)

        func measure(_ features: Tensor, _ contexts: [[[String]]]) -> EvalMetrics {
            metrics(features: features, comments: comments, contexts: contexts, candidateSets: candidateSets, bundle: bundle, seed: seed)
        }
        let reads = bundle.model.config.readsContext
        let withReal = measure(real, context), blind = measure(shuffled, context)
        let alone = reads ? measure(real, nothing) : withReal, blindAlone = reads ? measure(shuffled, nothing) : blind
        return EvalReport(frames: frames.count, comments: comments.reduce(0) { $0 + $1.count },
                          candidatesPerFrame: Double(candidateSets.reduce(0) { $0 + $1.texts.count }) / Double(candidateSets.count),
                          real: withReal, noContext: alone, shuffled: blind, shuffledNoContext: blindAlone,
                          groundingGainMRR: withReal.ranking.mrr - blind.ranking.mrr,
                          contextGainMRR: withReal.ranking.mrr - alone.ranking.mrr,
                          groundingGainNoContextMRR: alone.ranking.mrr - blindAlone.ranking.mrr)
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

    /// The metrics of one condition: row i of `features` (`[F, …]`) is the frame whose real
    /// comments are `comments[i]`, shown after the comments `contexts[i]`, and whose
    /// candidates are `candidateSets[i]`.
    static func metrics(features: Tensor, comments: [[[String]]], contexts: [[[String]]],
                        candidateSets: [(texts: [[String]], correct: Set<Int>)], bundle: ModelBundle, seed: UInt64) -> EvalMetrics {
        let commenter = Commenter(bundle: bundle)
        let decoder = commenter.decoder
        let vocabulary = bundle.vocabulary
        // Perplexity of the real comments of the evaluated frames.
        let context = contexts.map { $0.map { vocabulary.encode($0) } }
        var examples: [CaptionExample] = []
        for (frame, texts) in comments.enumerated() {
            for text in texts { examples.append(CaptionExample(frame: frame, tokens: vocabulary.encode(text), context: context[frame])) }
        }
        let likelihoods = decoder.logLikelihoods(features: features, captions: examples)
        let perplexity = TextMetrics.perplexity(logLikelihoods: likelihoods, tokenCounts: examples.map { $0.tokens.count + 1 })
        // Ranking: every frame's candidates scored in one pass (full batches), then ranked per frame.
        let candidates = candidateSets.enumerated().flatMap { frame, set in
            set.texts.map { CaptionExample(frame: frame, tokens: vocabulary.encode($0), context: context[frame]) }
        }
        let allScores = decoder.logLikelihoods(features: features, captions: candidates)
        var ranks: [Int] = []
        var start = 0
        for set in candidateSets {
            let scores = Array(allScores[start..<(start + set.texts.count)])
            start += set.texts.count
            if let rank = RankingMetrics.rank(scores: scores, correct: set.correct) { ranks.append(rank) }
        }
        // Generated comments: one per frame, the recipe's strategy, the same seed for both conditions.
        var generator = SplitMix64(seed: seed)
        let generated = comments.indices.map { frame in
            commenter.comment(on: features.row(frame), sample: frame, time: 0, context: context[frame], using: &generator).tokens
        }
        return EvalMetrics(perplexity: perplexity, ranking: RankingMetrics(ranks: ranks),
                           bleu: TextMetrics.bleu(hypotheses: generated, references: comments),
                           distinct1: TextMetrics.distinct(generated, n: 1), distinct2: TextMetrics.distinct(generated, n: 2))
    }
}
