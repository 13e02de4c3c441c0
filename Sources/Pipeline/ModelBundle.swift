// The model bundle `NAME.danmaku/`: everything `render` needs from `train` — the resolved
// recipe, the vocabulary, the weights and the training statistics — plus the optimiser state
// for `--resume`, the training log and a human-readable report.
import Captioner
import Comments
import Foundation
import Tensor

/// The statistics of the training comments that generation imitates (`stats.json`).
public struct BundleStats: Codable, Equatable, Sendable {
    /// The recipe version the bundle was written with.
    public var recipeVersion: Int
    /// Frames sampled per second.
    public var fps: Double
    /// The feature layer (`conv5_3`, `pool5mean`, …).
    public var layer: String
    /// The extractor (network and weights) the features came from.
    public var extractorID: String
    /// SHA-256 of the weights file.
    public var weightsSHA256: String
    /// The captioning model's sizes.
    public var captioner: CaptionerConfig
    /// `commentsPerFrame[k]` = how many training frames carry exactly k comments (k capped at
    /// `BundleStats.maximumPerFrame`).
    public var commentsPerFrame: [Int]
    /// How often each token starts a training comment (symbols excluded).
    public var firstTokens: [String: Int]
    /// `lengths[n]` = how many training comments have n tokens.
    public var lengths: [Int]
    /// Mail position (`naka`, `ue`, `shita`) → count.
    public var positions: [String: Int]
    /// Mail size (`small`, `medium`, `big`) → count.
    public var sizes: [String: Int]
    /// Colour as `#RRGGBB` → count.
    public var colors: [String: Int]
    /// Training and development examples (comments) and frames.
    public var trainExamples: Int
    public var devExamples: Int
    public var trainFrames: Int
    public var devFrames: Int
    /// Comments left out, by reason (`deleted`, `art`, `duplicate`, `too-many-tokens`, …).
    public var dropped: [String: Int]
    /// What the text repair changed in the comments read (`mojibake` comments,
    /// `control-characters`, `invalid-characters` and the comments they came from; see
    /// `TextRepair.Counts.byName`). Bundles written before it existed have none.
    public var repaired: [String: Int]?
    /// Epochs finished (including those of runs resumed from).
    public var epochsTrained: Int
    /// Optimiser steps made in all (bundles written before it was recorded have none).
    public var steps: Int?
    /// The epoch whose weights were kept, its development loss, and why training ended.
    public var bestEpoch: Int
    public var bestDevLoss: Double?
    public var stop: String
    /// Every feature value is multiplied by this before it reaches the model: 1 / the RMS of
    /// the training frames' features. VGG's conv5_3 under Caffe preprocessing has values up to
    /// several hundred (a location's vector has a norm of ~200), which saturates the tanh of
    /// the attention scores and the LSTM's gates from the first step so that attention cannot
    /// learn where to look; scaled, each value has RMS 1. Bundles written before it existed
    /// have none (1).
    public var featureScale: Float?
    /// The share of training comments that repeat the tokens of one less than
    /// `GeneratePipeline.duplicateWindow` before them: how much of the thread is waves
    /// (`8888`, `ｗｗｗ`). Generation keeps a repeat the model read on screen only while its own
    /// share stays within this. Bundles written before it existed have none (no repeat kept).
    public var repeatShare: Double?

    /// The largest count the comments-per-frame histogram tells apart.
    public static let maximumPerFrame = 64

    /// A gated model's context gate at the kept epoch: its AUC on the development blocks
    /// (from `history`) and whether the model follows it (nil without the gate or the AUC).
    public func contextGate(in history: [EpochSummary]) -> (agreement: Double, followed: Bool)? {
        guard captioner.contextGate, let auc = history.first(where: { $0.epoch == bestEpoch })?.gateAgreement else { return nil }
        return (auc, captioner.contextTrust > 0)
    }
}

/// A bundle that cannot be used, naming the bundle and the problem.
public enum BundleError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case missingFile(bundle: String, file: String)
    case wrongVersion(bundle: String, found: Int, expected: Int)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(bundle, file): "\(bundle): not a complete model bundle: \(file) is missing"
        case let .wrongVersion(bundle, found, expected):
            "\(bundle): written with recipe version \(found), this danmaku reads version \(expected); train it again"
        case let .invalid(path, reason): "\(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// A trained model bundle, loaded.
public struct ModelBundle: Sendable {
    /// The file names inside a bundle.
    public enum File {
        public static let recipe = "recipe.yaml"
        public static let vocabulary = "vocab.tsv"
        public static let weights = "weights.safetensors"
        public static let stats = "stats.json"
        public static let log = "training-log.jsonl"
        public static let report = "report.html"
        /// The report's evaluation on the development split (`EvalReport` as JSON).
        public static let evaluation = "eval.json"
        /// The report's attention sheets, one folder per training video (`attention/video1/`).
        public static let attention = "attention"
        /// The trainer's checkpoint (weights, best weights and Adam state), for `--resume`.
        public static let optimizer = Trainer.checkpointFiles.tensors
        public static let optimizerState = Trainer.checkpointFiles.state
        /// The files `load` requires.
        public static let required = [recipe, vocabulary, weights, stats]
    }

    public var path: String
    public var recipe: Recipe
    public var vocabulary: Vocabulary
    public var model: CaptionModel
    public var stats: BundleStats

    /// Loads the bundle at `path`.
    ///
    /// - Throws: `BundleError.missingFile` naming the first missing file, `.wrongVersion` for a
    ///   bundle of another recipe version, `.invalid` for weights holding NaN or infinity, or the
    ///   error of the file that does not parse.
    public static func load(path: String) throws -> ModelBundle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw BundleError.invalid(path: path, reason: "no such model bundle")
        }
        guard isDirectory.boolValue else { throw BundleError.invalid(path: path, reason: "not a model bundle (not a directory)") }
        for file in File.required where !FileManager.default.fileExists(atPath: join(path, file)) {
            throw BundleError.missingFile(bundle: path, file: file)
        }
        let stats: BundleStats
        do {
            stats = try JSONFile.decode(BundleStats.self, path: join(path, File.stats))
        } catch {
            if let version = try? recipeVersion(in: join(path, File.stats)), version != Recipe.currentVersion {
                throw BundleError.wrongVersion(bundle: path, found: version, expected: Recipe.currentVersion)
            }
            throw BundleError.invalid(path: join(path, File.stats), reason: "cannot read: \(error.reason)")
        }
        guard stats.recipeVersion == Recipe.currentVersion else {
            throw BundleError.wrongVersion(bundle: path, found: stats.recipeVersion, expected: Recipe.currentVersion)
        }
        let recipe = try Recipe.load(path: join(path, File.recipe))
        let vocabulary = try Vocabulary.load(path: join(path, File.vocabulary))
        guard vocabulary.count == stats.captioner.vocabularySize else {
            throw BundleError.invalid(path: join(path, File.vocabulary),
                                      reason: "\(vocabulary.count) tokens, the model has \(stats.captioner.vocabularySize)")
        }
        if let scale = stats.featureScale, !(scale.isFinite && scale > 0) {
            throw BundleError.invalid(path: join(path, File.stats), reason: "featureScale \(scale) is not a positive number")
        }
        let weights = try SafeTensorsFile(path: join(path, File.weights))
        let parameters = try weights.tensors()
        if let name = parameters.firstNonFinite {
            throw BundleError.invalid(path: weights.path, reason: "tensor \(name) holds NaN or infinity")
        }
        let model = try CaptionModel(config: stats.captioner, parameters: parameters, source: weights.path)
        return ModelBundle(path: path, recipe: recipe, vocabulary: vocabulary, model: model, stats: stats)
    }

    /// The `recipe_version` field of a stats file that does not decode.
    private static func recipeVersion(in statsPath: String) throws -> Int? {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statsPath)))
        return (object as? [String: Any])?["recipeVersion"] as? Int
    }

    static func join(_ directory: String, _ file: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(file).path
    }
}
