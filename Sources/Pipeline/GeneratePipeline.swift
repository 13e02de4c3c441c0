// Generation: a trained bundle writes comments for a new video — for every sampled frame, in
// time order, a number of comments drawn from the training histogram, decoded with the
// recipe's strategy after the comments already on screen (those generated so far, and the
// real thread being joined), dressed in positions, sizes and colours drawn from the training
// frequencies.
import Captioner
import Comments
import Foundation
import Tensor

/// What to generate.
public struct GenerateRequest: Sendable {
    public var video: String
    /// Scales the comments-per-frame histogram (nil: the recipe's `render.density`).
    public var density: Double?
    /// The decoding strategy (nil: the recipe's).
    public var strategy: DecodingStrategy.Name?
    public var seed: UInt64 = 1
    /// Read and write the feature cache.
    public var useCache = true
    /// The comments of the video's real thread to join (nil: none), as read from its file:
    /// they are on screen as context, and the generated ones are marked `danmaku:generated`.
    public var thread: [Comment]?

    public init(video: String) { self.video = video }
}

/// Generated comments and where they came from.
public struct GeneratedComments: Sendable {
    /// Sorted by vpos; vpos is the sampled frame's time in centiseconds.
    public var comments: [Comment]
    /// Frames sampled and frames that received at least one comment.
    public var frames: Int
    /// Duplicates (same text within `GeneratePipeline.duplicateWindow`, not read as context) that were dropped.
    public var duplicatesDropped: Int
    /// `attention[i]`: the tokens of `comments[i]`, its sample and the model's α at every
    /// step (no α for show_and_tell), for `AttentionPipeline.writeSheets`.
    public var attention: [CommentAttention]
}

/// Writes comments for a video with a trained bundle.
public enum GeneratePipeline {
    /// The same text twice within this many centiseconds is dropped (4 s), unless the model
    /// read the earlier one as context and the training thread has waves to spare
    /// (`BundleStats.repeatShare`): then the repeat joins a wave.
    public static let duplicateWindow = 400

    /// The share of `comments` (vpos in centiseconds, tokens; any order) whose tokens repeat
    /// those of a comment less than `duplicateWindow` before them (0 for none).
    public static func repeatShare(_ comments: [(vpos: Int, tokens: [String])]) -> Double {
        let sorted = comments.sorted { $0.vpos < $1.vpos }
        var lastSeen: [[String]: Int] = [:], repeats = 0
        for comment in sorted {
            if let seen = lastSeen[comment.tokens], comment.vpos - seen < duplicateWindow { repeats += 1 }
            lastSeen[comment.tokens] = comment.vpos
        }
        return sorted.isEmpty ? 0 : Double(repeats) / Double(sorted.count)
    }
    /// The mail token that marks a generated comment joining a real thread.
    public static let generatedMark = "danmaku:generated"

    /// Generates comments for `request.video`.
    ///
    /// - Parameters:
    ///   - progress: `features` of the video, then `generate` per sampled frame.
    ///   - shouldStop: checked after every feature batch and every frame.
    /// - Throws: `MediaError` for the video, `PipelineError.interrupted` on a stop,
    ///   `BundleError` when the video's features do not fit the bundle.
    public static func generate(_ request: GenerateRequest, bundle: ModelBundle,
                                progress: (PipelineEvent) -> Void = { _ in },
                                shouldStop: () -> Bool = { false }) throws -> GeneratedComments {
        let thread = try request.thread.map { comments in
            try CommentPreparation(recipe: bundle.recipe).prepare(comments).usable
                .map { (time: Double($0.comment.vpos) / 100, tokens: bundle.vocabulary.encode($0.tokens), number: $0.comment.number) }
        } ?? []
        let (features, extracted) = try bundle.frameFeatures(video: request.video, useCache: request.useCache,
                                                             progress: { progress(.features(video: 0, videos: 1, done: $0, total: $1)) },
                                                             shouldStop: shouldStop)
        return try generate(features: features, fps: extracted.fps, request: request, bundle: bundle, thread: thread,
                            progress: { progress(.generate(done: $0, total: $1)) }, shouldStop: shouldStop)
    }

    /// Generates comments for the rows of `features` (`[N, …]`, row k at k / fps), joining
    /// the real comments `thread` (time in seconds, token ids, number) when given.
    public static func generate(features: Tensor, fps: Double, request: GenerateRequest, bundle: ModelBundle,
                                thread: [(time: Double, tokens: [Int], number: Int)] = [],
                                progress: (Int, Int) -> Void = { _, _ in },
                                shouldStop: () -> Bool = { false }) throws -> GeneratedComments {
        let config = bundle.model.config
        guard Array(features.shape.dropFirst()) == config.frameShape else {
            throw BundleError.invalid(path: bundle.path, reason: "the model needs frames of shape \(config.frameShape), the video gave \(Array(features.shape.dropFirst()))")
        }
        var generator = SplitMix64(seed: request.seed)
        let commenter = Commenter(bundle: bundle, strategy: request.strategy)
        let density = request.density ?? bundle.recipe.render.density
        let perFrame = bundle.stats.commentsPerFrame.map(Float.init)
        let dress = Dress(stats: bundle.stats)
        let frameCount = features.shape[0]
        var comments: [Comment] = []
        var attention: [CommentAttention] = []
        var lastSeen: [String: Int] = [:]
        var duplicates = 0, repeats = 0
        let repeatShare = bundle.stats.repeatShare ?? 0
        // What is on screen, in time order: the thread's comments up to now and those generated so far.
        let real = thread.sorted { $0.time < $1.time }
        var shown: [(time: Double, tokens: [Int])] = [], nextReal = 0
        let firstNumber = (thread.map(\.number).max() ?? 0) + 1
        for row in 0..<frameCount {
            let time = Double(row) / fps
            while nextReal < real.count && real[nextReal].time <= time {
                shown.append((real[nextReal].time, real[nextReal].tokens))
                nextReal += 1
            }
            let count = commentCount(histogram: perFrame, density: density, using: &generator)
            if count > 0 {
                let frame = features.row(row)
                let vpos = Int((time * 100).rounded())
                for _ in 0..<count {
                    let context = commenter.window.onScreen(shown, at: time)
                    let written = commenter.comment(on: frame, sample: row, time: time, context: context,
                                                    using: &generator)
                    let text = written.text
                    guard !text.isEmpty else { continue }
                    let ids = bundle.vocabulary.encode(written.tokens)
                    if let seen = lastSeen[text], vpos - seen < duplicateWindow {
                        // A repeat of a comment the model read on screen joins a wave (`8888`,
                        // `ｗｗｗ`) and stays while the waves are no larger a share than in the
                        // training thread; any other repeat is the model's favourite line again.
                        guard context.contains(ids), Double(repeats + 1) <= repeatShare * Double(comments.count + 1) else {
                            duplicates += 1
                            continue
                        }
                        repeats += 1
                    }
                    lastSeen[text] = vpos
                    shown.append((time, ids))
                    let mail = dress.mail(using: &generator) + (request.thread == nil ? [] : [generatedMark])
                    comments.append(Comment(vpos: vpos, text: text, mail: mail, number: firstNumber + comments.count, userID: "danmaku"))
                    attention.append(written)
                }
            }
            progress(row + 1, frameCount)
            if shouldStop() { throw PipelineError.interrupted(stage: "generation") }
        }
        return GeneratedComments(comments: comments, frames: frameCount, duplicatesDropped: duplicates, attention: attention)
    }

    /// k drawn from the histogram, times `density`, rounded at random (so 0.5 × 1 is 0 or 1
    /// with equal odds).
    static func commentCount(histogram: [Float], density: Double, using generator: inout SplitMix64) -> Int {
        guard density > 0, let k = Captioner.draw(histogram, using: &generator) else { return 0 }
        let scaled = Double(k) * density
        let whole = scaled.rounded(.down)
        return Int(whole) + (Double.random(in: 0..<1, using: &generator) < scaled - whole ? 1 : 0)
    }

    /// Positions, sizes and colours drawn from the training frequencies.
    struct Dress {
        let positions: [(String, Float)]
        let sizes: [(String, Float)]
        let colors: [(String, Float)]

        init(stats: BundleStats) {
            func table(_ counts: [String: Int]) -> [(String, Float)] {
                counts.sorted { $0.key < $1.key }.map { ($0.key, Float($0.value)) }
            }
            positions = table(stats.positions)
            sizes = table(stats.sizes)
            colors = table(stats.colors)
        }

        /// Mail commands for one comment; defaults (naka, medium, white) are left out.
        func mail(using generator: inout SplitMix64) -> [String] {
            var mail: [String] = []
            if let position = Self.draw(positions, using: &generator), position != "naka" { mail.append(position) }
            if let size = Self.draw(sizes, using: &generator), size != "medium" { mail.append(size) }
            if let color = Self.draw(colors, using: &generator), color.uppercased() != "#FFFFFF" { mail.append(color) }
            return mail
        }

        /// Counts are exact as `Float` up to 2^24, so the draws are those of the `Double` counts.
        static func draw(_ table: [(String, Float)], using generator: inout SplitMix64) -> String? {
            Captioner.draw(table.map(\.1), using: &generator).map { table[$0].0 }
        }
    }
}
