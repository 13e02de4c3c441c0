// The captioning models of Vinyals et al. 2015 ("Show and Tell") and Xu et al. 2015 ("Show,
// Attend and Tell"), with the sizes of the article "machine learns Niconico comments".
import Foundation

/// Token ids every vocabulary reserves (the Comments module's `Vocabulary` uses the same).
public enum SpecialToken {
    /// Padding after the end of a caption; never a target.
    public static let pad = 0
    /// The first input of every caption.
    public static let bos = 1
    /// The last target of every caption.
    public static let eos = 2
    /// Words outside the vocabulary; never emitted by decoding.
    public static let unk = 3
    /// How many ids are reserved (ordinary tokens start here).
    public static let count = 4
}

/// Which of the two models.
public enum CaptionerKind: String, Codable, Sendable, CaseIterable {
    /// Xu et al. 2015: soft attention over annotation vectors `[L, D]`.
    case showAttendTell
    /// Vinyals et al. 2015: a global image vector `[G]` fed as the first LSTM input.
    case showAndTell
}

/// The sizes of a captioning model; stored with the weights in the model bundle.
public struct CaptionerConfig: Codable, Sendable, Equatable {
    /// Which model.
    public var kind: CaptionerKind
    /// Vocabulary size `V`, special tokens included.
    public var vocabularySize: Int
    /// Word embedding size `E` (article: 256); also the width of the deep output's hidden layer.
    public var embeddingSize: Int
    /// LSTM hidden size `H` (article: 256).
    public var hiddenSize: Int
    /// Attention MLP size `A` (article: 256; unused by Show and Tell).
    public var attentionSize: Int
    /// Annotation count `L` (196 for conv5_3 of a 224x224 image; Show and Tell: 1).
    public var annotationCount: Int
    /// Feature size: annotation dimension `D` (512) or the global vector's `G` (4096 / 512).
    public var featureSize: Int
    /// Dropout rate before the vocabulary projection while training (0.5).
    public var dropout: Float
    /// λ of the doubly stochastic attention penalty λ·Σ_i(1 − Σ_t α_ti)² (Xu et al.: 1).
    public var attentionPenalty: Float
    /// Width `C` of the conversation context `q` read next to the picture at every step
    /// (0: no context, the article's model).
    public var contextSize: Int
    /// Whether `q` passes through the agreement gate `g = σ((p̂·W_g + b_g)·q)`, `p̂` the
    /// picture's unit vector, so that a thread that does not fit the picture is read less.
    public var contextGate: Bool
    /// λ of the gate's agreement loss while training: the gate is also told, for every
    /// caption shown a context, whether that context is its own (1) or another moment's
    /// (0, context swap), as λ·mean BCE(g, own) (0: the gate learns from the captions alone).
    public var contextMatch: Float
    /// τ ∈ [0, 1], how far the LSTM follows the gate: it reads `(1 − τ(1 − g))·q`. Training
    /// sets it after every epoch from the development blocks: 1 while the gate tells a
    /// caption's own thread from another moment's there better than chance, else 0 (the gate
    /// stays open), so that a gate which only learnt the training pictures by heart does not
    /// mute the thread on pictures it has not seen. The first epoch follows the gate, which
    /// learns to judge sooner so (README); without dev blocks it stays followed. 1 in bundles
    /// written before it.
    public var contextTrust: Float

    /// A configuration with the article's sizes unless told otherwise.
    public init(kind: CaptionerKind, vocabularySize: Int, embeddingSize: Int = 256, hiddenSize: Int = 256,
                attentionSize: Int = 256, annotationCount: Int = 196, featureSize: Int = 512,
                dropout: Float = 0.5, attentionPenalty: Float = 1, contextSize: Int = 0, contextGate: Bool = false,
                contextMatch: Float = 0, contextTrust: Float = 1) {
        self.kind = kind
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.attentionSize = attentionSize
        self.annotationCount = kind == .showAndTell ? 1 : annotationCount
        self.featureSize = featureSize
        self.dropout = dropout
        self.attentionPenalty = attentionPenalty
        self.contextSize = contextSize
        self.contextGate = contextSize > 0 && contextGate
        self.contextMatch = self.contextGate ? contextMatch : 0
        self.contextTrust = min(max(contextTrust, 0), 1)
    }

    enum CodingKeys: String, CodingKey {
        case kind, vocabularySize, embeddingSize, hiddenSize, attentionSize, annotationCount, featureSize, dropout
        case attentionPenalty, contextSize, contextGate, contextMatch, contextTrust
    }

    /// Bundles written before the context existed have no `contextSize`, and those written
    /// before the gate no `contextGate`: they have neither. Those written before the trust
    /// follow their gate fully.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(CaptionerKind.self, forKey: .kind), vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
                  embeddingSize: try c.decode(Int.self, forKey: .embeddingSize), hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
                  attentionSize: try c.decode(Int.self, forKey: .attentionSize),
                  annotationCount: try c.decode(Int.self, forKey: .annotationCount), featureSize: try c.decode(Int.self, forKey: .featureSize),
                  dropout: try c.decode(Float.self, forKey: .dropout), attentionPenalty: try c.decode(Float.self, forKey: .attentionPenalty),
                  contextSize: try c.decodeIfPresent(Int.self, forKey: .contextSize) ?? 0,
                  contextGate: try c.decodeIfPresent(Bool.self, forKey: .contextGate) ?? false,
                  contextMatch: try c.decodeIfPresent(Float.self, forKey: .contextMatch) ?? 0,
                  contextTrust: try c.decodeIfPresent(Float.self, forKey: .contextTrust) ?? 1)
    }

    /// Whether the model reads the conversation context.
    public var readsContext: Bool { contextSize > 0 }

    /// The shape of one frame's features: `[L, D]` or `[G]`.
    public var frameShape: [Int] { kind == .showAttendTell ? [annotationCount, featureSize] : [featureSize] }

    /// The LSTM's input width `[E y; z; q]`: `E + D + C` with attention, `E + C` without.
    var lstmInputSize: Int { embeddingSize + (kind == .showAttendTell ? featureSize : 0) + contextSize }

    /// The deep output's input width: `[h; z; E y]` or `[h; E y]`.
    var deepOutputInputSize: Int { hiddenSize + embeddingSize + (kind == .showAttendTell ? featureSize : 0) }
}

/// A failure of the captioner: bad weights, bad data, a diverging or interrupted run.
public enum CaptionerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A parameter the model needs is not in the weights.
    case missingParameter(source: String, name: String, expectedShape: [Int])
    /// The weights hold a parameter the model does not use.
    case unusedParameter(source: String, name: String, shape: [Int])
    /// A parameter has the wrong shape.
    case shapeMismatch(source: String, name: String, expected: [Int], found: [Int])
    /// Features or examples that do not fit the model.
    case invalidData(String)
    /// The loss or a gradient became NaN or infinite.
    case nonFinite(step: Int, epoch: Int, what: String)
    /// A checkpoint that cannot be resumed from.
    case badCheckpoint(path: String, reason: String)
    /// Training would need more memory than the budget: the batch size that would fit
    /// (0: none) is the hint.
    case memoryBudget(neededMB: Int, budgetMB: Int, batchSize: Int, steps: Int, fittingBatchSize: Int)

    public var description: String {
        switch self {
        case let .missingParameter(source, name, shape):
            "\(source): missing parameter '\(name)' of shape \(shape)"
        case let .unusedParameter(source, name, shape):
            "\(source): unused parameter '\(name)' of shape \(shape)"
        case let .shapeMismatch(source, name, expected, found):
            "\(source): parameter '\(name)' has shape \(found), the model needs \(expected)"
        case let .invalidData(reason):
            "invalid training data: \(reason)"
        case let .nonFinite(step, epoch, what):
            "training diverged at step \(step) (epoch \(epoch)): \(what) is not finite"
        case let .badCheckpoint(path, reason):
            "\(path): cannot resume: \(reason)"
        case let .memoryBudget(needed, budget, batchSize, steps, fitting):
            "training batches of \(batchSize) captions of up to \(steps) steps need about \(needed) MB, over the memory budget of \(budget) MB; "
                + (fitting > 0 ? "a batch size of \(fitting) fits (--set training.batch_size=\(fitting)), or cut comments.max_tokens"
                               : "even one caption per batch does not fit: use fewer frames or a smaller model")
        }
    }

    public var errorDescription: String? { description }
}
