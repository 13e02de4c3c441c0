// `danmaku train`: videos and their comments → features, aligned token sequences, a
// time-block train/dev split, a vocabulary of the training split, a trained captioner, and
// the model bundle, written to a temporary directory and renamed into place when complete.
import Captioner
import Comments
import Foundation
import Logging
import Media
import Tensor

/// One video and the comment files written on it (several: an XML and a JSON dump, Bilibili
/// segments; a comment in more than one of them counts once, see `DuplicateFilter`).
public struct TrainingPair: Sendable, Equatable {
    public var video: String
    public var commentFiles: [String]

    public init(video: String, comments: String) {
        self.init(video: video, commentFiles: [comments])
    }

    public init(video: String, commentFiles: [String]) {
        precondition(!commentFiles.isEmpty, "TrainingPair needs at least one comment file")
        self.video = video
        self.commentFiles = commentFiles
    }

    /// The files named on the command line, grouped: the first is a video, and every file
    /// after a video up to the next video is one of its comment files. A file is a video when
    /// its first bytes are a container's signature (`VideoSignature`).
    ///
    /// - Throws: `PipelineError.invalidInput` naming a video no comment file follows.
    public static func group(_ files: [String]) throws -> [TrainingPair] {
        var pairs: [TrainingPair] = []
        var video: String?
        var comments: [String] = []
        func close() throws {
            guard let current = video else { return }
            guard !comments.isEmpty else {
                throw PipelineError.invalidInput(path: current, reason: "no comment file follows this video")
            }
            pairs.append(TrainingPair(video: current, commentFiles: comments))
        }
        for (index, file) in files.enumerated() {
            if index == 0 || VideoSignature.matches(path: file) {
                try close()
                video = file
                comments = []
            } else {
                comments.append(file)
            }
        }
        try close()
        return pairs
    }
}

/// Whether a file starts like a video container: MP4/MOV/3GP (`ftyp`, `moov`, `mdat`, `free`,
/// `wide` at byte 4), Matroska/WebM, AVI, FLV, Ogg, ASF/WMV, MPEG program or elementary
/// streams, MPEG-TS (sync bytes 188 apart) or Y4M. Comment files (XML, JSON, text, protobuf)
/// never start so.
enum VideoSignature {
    static func matches(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 189) else { return false }
        return matches([UInt8](head))
    }

    static func matches(_ b: [UInt8]) -> Bool {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + prefix.count && Array(b[offset..<(offset + prefix.count)]) == prefix
        }
        let boxes = ["ftyp", "moov", "mdat", "free", "wide", "skip"].map { Array($0.utf8) }
        if boxes.contains(where: { starts($0, at: 4) }) { return true }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) || starts(Array("FLV".utf8)) || starts(Array("OggS".utf8))
            || starts(Array("YUV4MPEG2".utf8)) || starts([0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11])
            || starts([0x00, 0x00, 0x01, 0xBA]) || starts([0x00, 0x00, 0x01, 0xB3]) {
            return true
        }
        if starts(Array("RIFF".utf8)) && starts(Array("AVI ".utf8), at: 8) { return true }
        return b.count > 188 && b[0] == 0x47 && b[188] == 0x47
    }
}

/// What to train.
public struct TrainRequest: Sendable {
    public var pairs: [TrainingPair]
    /// The resolved recipe (defaults, file, overrides).
    public var recipe: Recipe
    /// The bundle directory to write (`NAME.danmaku`).
    public var output: String
    /// Continue from the checkpoint in `output` instead of starting afresh.
    public var resume = false
    /// Read and write the feature cache.
    public var useCache = true

    public init(pairs: [TrainingPair], recipe: Recipe, output: String) {
        self.pairs = pairs
        self.recipe = recipe
        self.output = output
    }
}

/// What a training run produced.
public struct TrainSummary: Sendable {
    public var bundle: String
    public var stats: BundleStats
    public var vocabularySize: Int
    public var history: [EpochSummary]
    public var seconds: Double
}

/// Comments of one video turned into training examples.
struct AlignedComment {
    /// The row of the concatenated features tensor.
    var frame: Int
    var video: Int
    /// The frame's sample index in its video.
    var sample: Int
    /// The frame's time in its video, seconds.
    var seconds: Double
    var comment: Comment
    var tokens: [String]
    /// The tokens of the comments shown before it in the same video (`ContextWindow`), oldest first.
    var context: [[String]] = []
}

extension AlignedComment {
    /// The training example: the token ids and the context's.
    func example(_ vocabulary: Vocabulary) -> CaptionExample {
        CaptionExample(frame: frame, tokens: vocabulary.encode(tokens), context: context.map { vocabulary.encode($0) })
    }
}

/// Trains a model bundle from videos and their comments.
public enum TrainPipeline {
    private static let logger = Logger(label: "danmaku.pipeline")

    /// Runs the whole of `danmaku train`.
    ///
    /// - Parameters:
    ///   - progress: feature extraction and training progress.
    ///   - shouldStop: checked after every feature batch and training batch; during training
    ///     a stop ends training early and still writes the bundle with the best weights.
    /// - Throws: the error of the input that cannot be used (`MediaError`, `CommentsError`,
    ///   `PipelineError`, `RecipeError`, `BundleError`, `CaptionerError`).
    public static func train(_ request: TrainRequest, progress: (PipelineEvent) -> Void = { _ in },
                             shouldStop: () -> Bool = { false }) throws -> TrainSummary {
        let started = Date()
        precondition(!request.pairs.isEmpty, "TrainPipeline.train needs at least one (video, comments) pair")
        let previous = request.resume ? try ModelBundle.load(path: request.output) : nil

        // Comments first: they fail fast, features take minutes. The videos' sample times (from
        // their headers) place the comments and split them before the features are computed,
        // so that the feature pass keeps the pictures of the frames the report shows.
        let comments = try prepareComments(request)
        let timelines = try request.pairs.map { try timeline(of: $0.video, fps: request.recipe.video.fps) }
        let aligned = try align(comments.perVideo, to: timelines, request: request)
        let sides = try split(aligned, timelines: timelines, request: request)
        let vocabulary = try previous?.vocabulary ?? countVocabulary(sides, request: request)
        let shown = TrainingReport.frames(of: sides.dev.isEmpty ? sides.train : sides.dev)
        let features = try extractFeatures(request, timelines: timelines, pictures: sides.pictures(of: shown),
                                           progress: progress, shouldStop: shouldStop)
        let data = scale(sides, features: features, vocabulary: vocabulary, recipe: request.recipe, previous: previous)

        // The bundle is built in a temporary directory beside its final place.
        let temporary = try makeTemporaryDirectory(beside: request.output)
        var renamed = false
        defer { if !renamed { try? FileManager.default.removeItem(atPath: temporary) } }
        let fitted: (config: CaptionerConfig, result: TrainingResult, log: TrainingLog)
        do {
            fitted = try fit(data, recipe: request.recipe, previous: previous, in: temporary, progress: progress, shouldStop: shouldStop)
        } catch let error as CaptionerError {
            guard case .nonFinite = error else { throw error }
            throw PipelineError.diverged(bundle: request.output, reason: error.description, resumed: previous != nil)
        }

        var stats = statistics(recipe: request.recipe, features: features[0], trainFrames: data.trainFrames,
                               train: data.train, dev: data.dev, dropped: comments.dropped, result: fitted.result)
        stats.featureScale = data.scale
        stats.repaired = comments.repairs.byName
        try writeBundle(in: temporary, recipe: request.recipe, vocabulary: data.vocabulary, result: fitted.result, stats: stats,
                        log: fitted.log, train: data.train, dev: data.dev, features: data.features, shown: shown,
                        pictures: features.map(\.pictures), videos: request.pairs.map(\.video))
        try replace(request.output, with: temporary)
        renamed = true
        logger.debug("bundle \(request.output): \(data.train.count) training and \(data.dev.count) dev comments")
        return TrainSummary(bundle: request.output, stats: stats, vocabularySize: data.vocabulary.count, history: fitted.result.history,
                            seconds: Date().timeIntervalSince(started))
    }

    // MARK: Stages

    /// Every video's usable comments with their tokens, and what was dropped or repaired.
    private struct PreparedComments {
        var perVideo: [[(comment: Comment, tokens: [String])]] = []
        var dropped: [String: Int] = [:]
        var repairs = TextRepair.Counts()
    }

    /// The comments of every pair, prepared by the recipe.
    ///
    /// - Throws: `CommentsError`, or `PipelineError.invalidInput` for a video with no usable comment.
    private static func prepareComments(_ request: TrainRequest) throws -> PreparedComments {
        let preparation = try CommentPreparation(recipe: request.recipe)
        var comments = PreparedComments()
        for pair in request.pairs {
            let prepared = try preparation.prepare(files: pair.commentFiles)
            comments.repairs.add(prepared.repairs)
            for (reason, count) in prepared.dropped { comments.dropped[reason, default: 0] += count }
            guard !prepared.usable.isEmpty else {
                let reasons = prepared.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                throw PipelineError.invalidInput(path: pair.commentFiles.joined(separator: ", "),
                                                 reason: "no usable comment (\(prepared.read) read, \(prepared.read) dropped\(reasons.isEmpty ? "" : ": " + reasons))")
            }
            comments.perVideo.append(prepared.usable)
        }
        return comments
    }

    /// When a video's samples are, from its header: what aligning and splitting need before
    /// any feature is computed. `FeaturePipeline` yields one row per sample.
    private struct Timeline {
        var fps: Double
        /// Seconds.
        var duration: Double
        var frameCount: Int
    }

    /// - Throws: `MediaError` for the video, `PipelineError.noFrames` when it has no sample at `fps`.
    private static func timeline(of video: String, fps: Double) throws -> Timeline {
        let reader = try VideoReader(path: video)
        let count = reader.sampleCount(fps: fps)
        guard count > 0 else { throw PipelineError.noFrames(path: video, fps: fps) }
        return Timeline(fps: fps, duration: reader.probe.videoDuration, frameCount: count)
    }

    /// The features of every video, all from the same extractor, with the pictures of the
    /// samples `pictures[video]` names.
    private static func extractFeatures(_ request: TrainRequest, timelines: [Timeline], pictures: [Int: Set<Int>],
                                        progress: (PipelineEvent) -> Void, shouldStop: () -> Bool) throws -> [VideoFeatures] {
        var features: [VideoFeatures] = []
        for (index, pair) in request.pairs.enumerated() {
            var featureRequest = FeatureRequest(video: pair.video, recipe: request.recipe)
            featureRequest.useCache = request.useCache
            featureRequest.pictures = pictures[index] ?? []
            let result = try FeaturePipeline.extract(featureRequest, progress: { done, total in
                progress(.features(video: index, videos: request.pairs.count, done: done, total: total))
            }, shouldStop: shouldStop)
            if index > 0 && result.extractorID != features[0].extractorID {
                throw PipelineError.invalidInput(path: pair.video, reason: "features from \(result.extractorID), the first video's from \(features[0].extractorID)")
            }
            guard result.frameCount == timelines[index].frameCount else {
                throw PipelineError.invalidInput(path: pair.video, reason: "\(result.frameCount) feature rows for the \(timelines[index].frameCount) samples its header gives")
            }
            features.append(result)
        }
        return features
    }

    /// Every comment on a sampled frame (its row in the videos' features one after another).
    ///
    /// - Throws: `PipelineError.invalidInput` for a video none of whose comments falls within it.
    private static func align(_ perVideo: [[(comment: Comment, tokens: [String])]], to timelines: [Timeline],
                              request: TrainRequest) throws -> [AlignedComment] {
        let lag = request.recipe.comments.lag
        var aligned: [AlignedComment] = []
        var offset = 0
        for (video, timeline) in timelines.enumerated() {
            let inRange = perVideo[video].filter { Double($0.comment.vpos) / 100 + lag <= timeline.duration }
            guard !inRange.isEmpty else {
                let first = perVideo[video].map(\.comment.vpos).min() ?? 0
                throw PipelineError.invalidInput(
                    path: request.pairs[video].commentFiles.joined(separator: ", "),
                    reason: "no comment falls within the video's \(String(format: "%.1f", timeline.duration)) s (\(request.pairs[video].video)); the first is at \(String(format: "%.1f", Double(first) / 100)) s")
            }
            let contexts = ContextWindow(recipe: request.recipe).contexts(times: perVideo[video].map { Double($0.comment.vpos) / 100 })
            for ((comment, tokens), context) in zip(perVideo[video], contexts) {
                let frame = Alignment.frameIndex(vpos: comment.vpos, fps: timeline.fps, lag: lag,
                                                 frameCount: timeline.frameCount)
                aligned.append(AlignedComment(frame: offset + frame, video: video, sample: frame, seconds: Double(frame) / timeline.fps,
                                              comment: comment, tokens: tokens, context: context.map { perVideo[video][$0].tokens }))
            }
            offset += timeline.frameCount
        }
        return aligned
    }

    /// The comments on training and development frames, and every training frame's row.
    private struct Sides {
        var trainFrames: [Int]
        var train: [AlignedComment]
        var dev: [AlignedComment]

        /// By video, the samples of `rows` (rows of the comments' frames).
        func pictures(of rows: [Int]) -> [Int: Set<Int>] {
            let wanted = Set(rows)
            var samples: [Int: Set<Int>] = [:]
            for example in train + dev where wanted.contains(example.frame) { samples[example.video, default: []].insert(example.sample) }
            return samples
        }
    }

    /// The training and development sides, the model's scaled frames and the vocabulary.
    private struct TrainingData {
        /// The frames the model takes (`[N, …]`, every video's rows), scaled by `scale`.
        var features: Tensor
        var scale: Float
        var trainFrames: [Int]
        var train: [AlignedComment]
        var dev: [AlignedComment]
        var vocabulary: Vocabulary
    }

    /// Splits by contiguous time blocks.
    ///
    /// - Throws: `PipelineError.invalidInput` when every comment fell into development blocks.
    private static func split(_ aligned: [AlignedComment], timelines: [Timeline], request: TrainRequest) throws -> Sides {
        let recipe = request.recipe
        let split = TimeBlockSplit(durations: timelines.map(\.duration), blockSeconds: recipe.dataset.blockSeconds,
                                   devFraction: recipe.dataset.devFraction, seed: recipe.dataset.seed)
        var trainFrames: [Int] = []
        var start = 0
        for (video, timeline) in timelines.enumerated() {
            for frame in 0..<timeline.frameCount where !split.isDev(video: video, seconds: Double(frame) / timeline.fps) {
                trainFrames.append(start + frame)
            }
            start += timeline.frameCount
        }
        let train = aligned.filter { !split.isDev(video: $0.video, seconds: $0.seconds) }
        let dev = aligned.filter { split.isDev(video: $0.video, seconds: $0.seconds) }
        guard !train.isEmpty else {
            throw PipelineError.invalidInput(path: request.pairs[0].commentFiles[0], reason: "every comment fell into the development blocks; lower dataset.dev_fraction")
        }
        return Sides(trainFrames: trainFrames, train: train, dev: dev)
    }

    /// The vocabulary of the training side, before any feature is computed.
    ///
    /// - Throws: `PipelineError.invalidInput` naming the comment files when no word occurs
    ///   often enough to be kept: there would be nothing to learn.
    private static func countVocabulary(_ sides: Sides, request: TrainRequest) throws -> Vocabulary {
        let settings = request.recipe.vocabulary
        let vocabulary = Vocabulary(counting: sides.train.map(\.tokens), maximumSize: settings.maxSize, minimumCount: settings.minCount)
        guard vocabulary.count > Vocabulary.specials.count else {
            throw PipelineError.invalidInput(
                path: request.pairs.flatMap(\.commentFiles).joined(separator: ", "),
                reason: "no word occurs \(settings.minCount) or more times (vocabulary.min_count) in the \(sides.train.count) training comment\(sides.train.count == 1 ? "" : "s"), so there is nothing to learn")
        }
        return vocabulary
    }

    /// The model's frames scaled, measured on the training side only (kept from the bundle when
    /// resuming).
    private static func scale(_ sides: Sides, features: [VideoFeatures], vocabulary: Vocabulary, recipe: Recipe,
                              previous: ModelBundle?) -> TrainingData {
        var frames = recipe.model.kind.frames(from: features.map(\.features))
        let scale = previous?.stats.featureScale ?? featureScale(frames, rows: sides.trainFrames)
        frames *= scale
        return TrainingData(features: frames, scale: scale, trainFrames: sides.trainFrames, train: sides.train, dev: sides.dev,
                            vocabulary: vocabulary)
    }

    /// Trains a new model, or the bundle's one further, checkpointing into `directory`.
    ///
    /// - Throws: `BundleError` when the bundle's model does not fit the recipe and data, `CaptionerError`.
    private static func fit(_ data: TrainingData, recipe: Recipe, previous: ModelBundle?, in directory: String,
                            progress: (PipelineEvent) -> Void,
                            shouldStop: () -> Bool) throws -> (config: CaptionerConfig, result: TrainingResult, log: TrainingLog) {
        let vocabulary = data.vocabulary
        let trainSet = CaptionDataset(features: data.features, examples: data.train.map { $0.example(vocabulary) })
        let devSet = CaptionDataset(features: data.features, examples: data.dev.map { $0.example(vocabulary) })
        let config = captionerConfig(recipe: recipe, features: data.features, vocabularySize: vocabulary.count)
        let options = trainerOptions(recipe: recipe, checkpoints: directory)
        let trainer: Trainer
        if let previous {
            trainer = try Trainer.resume(from: previous.path, options: options)
            guard trainer.model.config == config else {
                throw BundleError.invalid(path: previous.path, reason: "its model does not fit this recipe and data; train without --resume")
            }
        } else {
            var generator = SplitMix64(seed: recipe.training.seed)
            trainer = Trainer(model: CaptionModel(config: config, using: &generator), options: options)
        }
        progress(.trainingStarted(firstEpoch: (previous?.stats.epochsTrained ?? 0) + 1,
                                  batchesPerEpoch: (data.train.count + options.batchSize - 1) / max(options.batchSize, 1)))
        var log = TrainingLog(previous: previous.map { ModelBundle.join($0.path, ModelBundle.File.log) })
        let result = try trainer.train(trainSet, dev: data.dev.isEmpty ? nil : devSet, progress: { step in
            log.batch(step)
            progress(.batch(step))
        }, shouldStop: shouldStop)
        if let previous {
            // No epoch finished in this run (already trained that far, or stopped at once): keep the old checkpoint.
            for file in [ModelBundle.File.optimizer, ModelBundle.File.optimizerState]
            where !FileManager.default.fileExists(atPath: ModelBundle.join(directory, file)) {
                try FileManager.default.copyItem(atPath: ModelBundle.join(previous.path, file), toPath: ModelBundle.join(directory, file))
            }
        }
        for summary in result.history { log.epoch(summary) }
        log.stop(result.stop)
        return (config, result, log)
    }

    // MARK: Pieces

    /// 1 / the root mean square of the values of `rows` of `features` (1 when they are all zero):
    /// the factor that gives the model inputs of RMS 1 (see `BundleStats.featureScale`).
    static func featureScale(_ features: Tensor, rows: [Int]) -> Float {
        let rowSize = features.count / max(features.shape[0], 1)
        var sum = 0.0
        features.storage.withUnsafeBufferPointer { p in
            for row in rows {
                var part: Float = 0
                for x in p[(row * rowSize)..<((row + 1) * rowSize)] { part += x * x }
                sum += Double(part)
            }
        }
        let rms = (sum / Double(max(rows.count * rowSize, 1))).squareRoot()
        return rms > 0 && rms.isFinite ? Float(1 / rms) : 1
    }

    static func captionerConfig(recipe: Recipe, features: Tensor, vocabularySize: Int) -> CaptionerConfig {
        let attention = recipe.model.kind == .showAttendTell
        return CaptionerConfig(kind: recipe.model.kind, vocabularySize: vocabularySize,
                               embeddingSize: recipe.model.embedding, hiddenSize: recipe.model.hidden,
                               attentionSize: recipe.model.attention,
                               annotationCount: attention ? features.shape[1] : 1,
                               featureSize: features.shape[features.shape.count - 1],
                               dropout: Float(recipe.model.dropout), attentionPenalty: Float(recipe.model.attentionPenalty),
                               contextSize: recipe.model.contextComments > 0 ? recipe.model.embedding : 0,
                               contextGate: recipe.model.contextGate, contextMatch: Float(recipe.model.contextMatch))
    }

    static func trainerOptions(recipe: Recipe, checkpoints: String) -> TrainerOptions {
        let training = recipe.training
        return TrainerOptions(batchSize: training.batchSize, learningRate: Float(training.learningRate),
                              clipNorm: Float(training.clipNorm), epochs: training.epochs > 0 ? training.epochs : .max,
                              patience: training.patience, seed: training.seed, checkpointDirectory: checkpoints,
                              maxTokens: recipe.comments.maxTokens > 0 ? recipe.comments.maxTokens : 1_000,
                              patienceSteps: training.patienceSteps, minSteps: training.minSteps,
                              maxSteps: training.maxSteps > 0 ? training.maxSteps : .max,
                              maxSeconds: training.maxMinutes > 0 ? training.maxMinutes * 60 : .infinity,
                              warmupSteps: training.warmupSteps, bucketByLength: training.bucketByLength,
                              contextDropout: Float(training.contextDropout), contextSwap: Float(training.contextSwap))
    }

    /// Whether a token is punctuation or symbols only (left out of the first-token distribution).
    static func isSymbol(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
                 .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
                 .spaceSeparator, .control, .format:
                true
            default:
                false
            }
        }
    }

    /// - Parameter trainFrames: the rows of every frame in the training blocks, with or
    ///   without comments (the histogram counts the silent ones too).
    static func statistics(recipe: Recipe, features: VideoFeatures, trainFrames: [Int], train: [AlignedComment],
                           dev: [AlignedComment], dropped: [String: Int], result: TrainingResult) -> BundleStats {
        var perFrame: [Int: Int] = [:]
        for example in train { perFrame[example.frame, default: 0] += 1 }
        var histogram = [Int](repeating: 0, count: BundleStats.maximumPerFrame + 1)
        for frame in trainFrames { histogram[min(perFrame[frame] ?? 0, BundleStats.maximumPerFrame)] += 1 }
        while histogram.count > 1 && histogram.last == 0 { histogram.removeLast() }
        var firstTokens: [String: Int] = [:]
        var lengths: [Int] = []
        var positions: [String: Int] = [:], sizes: [String: Int] = [:], colors: [String: Int] = [:]
        for example in train {
            if let first = example.tokens.first, !isSymbol(first) { firstTokens[first, default: 0] += 1 }
            let n = example.tokens.count
            if lengths.count <= n { lengths += [Int](repeating: 0, count: n + 1 - lengths.count) }
            lengths[n] += 1
            positions[example.comment.position.rawValue, default: 0] += 1
            sizes[example.comment.size.rawValue, default: 0] += 1
            colors[example.comment.color.hex, default: 0] += 1
        }
        var stats = BundleStats(recipeVersion: recipe.version, fps: recipe.video.fps, layer: recipe.features.layer.rawValue,
                           extractorID: features.extractorID, weightsSHA256: features.weightsSHA256, captioner: result.model.config,
                           commentsPerFrame: histogram, firstTokens: firstTokens, lengths: lengths, positions: positions,
                           sizes: sizes, colors: colors, trainExamples: train.count, devExamples: dev.count,
                           trainFrames: trainFrames.count, devFrames: Set(dev.map(\.frame)).count, dropped: dropped,
                           epochsTrained: result.history.count, steps: result.steps, bestEpoch: result.bestEpoch, bestDevLoss: result.bestDevLoss.isFinite ? result.bestDevLoss : nil,
                           stop: result.stop.rawValue)
        stats.repeatShare = GeneratePipeline.repeatShare(train.map { ($0.comment.vpos, $0.tokens) })
        return stats
    }

    /// Writes every file of the bundle into `directory`; the report evaluates the model on the
    /// development comments and draws attention sheets of the frames `shown` on the pictures the
    /// feature pass kept (`pictures[video]`, by sample; when a sheet cannot be drawn the report
    /// says so and the bundle is written all the same).
    private static func writeBundle(in directory: String, recipe: Recipe, vocabulary: Vocabulary, result: TrainingResult,
                                    stats: BundleStats, log: TrainingLog, train: [AlignedComment], dev: [AlignedComment],
                                    features: Tensor, shown: [Int], pictures: [[Int: [UInt8]]], videos: [String]) throws {
        func path(_ file: String) -> String { ModelBundle.join(directory, file) }
        try AtomicFile.write(Data(recipe.yaml().utf8), to: path(ModelBundle.File.recipe))
        try vocabulary.save(to: path(ModelBundle.File.vocabulary))
        try result.model.write(to: path(ModelBundle.File.weights), metadata: ["recipe_version": String(recipe.version)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(stats), to: path(ModelBundle.File.stats))
        try AtomicFile.write(Data(log.text().utf8), to: path(ModelBundle.File.log))
        let bundle = ModelBundle(path: directory, recipe: recipe, vocabulary: vocabulary, model: result.model, stats: stats)
        let samples = TrainingReport.samples(bundle: bundle, examples: dev.isEmpty ? train : dev, rows: shown, features: features)
        let evaluation = TrainingReport.evaluation(bundle: bundle, examples: dev, features: features)
        if let evaluation { try AtomicFile.write(encoder.encode(evaluation), to: path(ModelBundle.File.evaluation)) }
        let attention = TrainingReport.attentionSheets(samples: samples, pictures: pictures, videos: videos, bundle: bundle)
        let html = TrainingReport.html(stats: stats, recipe: recipe, history: result.history, batchLosses: log.batchLosses,
                                       vocabularySize: vocabulary.count, samples: samples, evaluation: evaluation, attention: attention,
                                       fontFace: TrainingReport.bundledFontFace())
        try AtomicFile.write(Data(html.utf8), to: path(ModelBundle.File.report))
    }

    /// A fresh directory `.NAME.partial-PID` beside `path`.
    static func makeTemporaryDirectory(beside path: String) throws -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let parent = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        return temporary
    }

    /// Puts the complete directory `temporary` at `path`, replacing what was there.
    static func replace(_ path: String, with temporary: String) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let old = temporary + ".old"
            try? manager.removeItem(atPath: old)
            try manager.moveItem(atPath: path, toPath: old)
            try manager.moveItem(atPath: temporary, toPath: path)
            try? manager.removeItem(atPath: old)
        } else {
            try manager.moveItem(atPath: temporary, toPath: path)
        }
    }
}
