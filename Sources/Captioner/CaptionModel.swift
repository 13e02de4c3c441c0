// The two captioning models as one parameter set: Show, Attend and Tell (Xu et al. 2015) and
// Show and Tell (Vinyals et al. 2015) share the embedding, the LSTM and the deep output; the
// first adds the initial-state MLP and soft attention, the second the image projection.
import Foundation
import Tensor

/// A captioning model's parameters. Stable checkpoint names (`parameterNames`):
///
/// | name | shape | |
/// |---|---|---|
/// | `embedding.weight` | `[V, E]` | word embedding |
/// | `init.weight`, `init.bias` | `[D, 2H]`, `[2H]` | h₀, c₀ from the mean annotation (attention) |
/// | `image.weight`, `image.bias` | `[G, E]`, `[E]` | global vector → first LSTM input (Show and Tell) |
/// | `attention.annotation.weight`, `.bias` | `[D, A]`, `[A]` | W_a, b |
/// | `attention.hidden.weight` | `[H, A]` | U_a |
/// | `attention.score.weight` | `[A]` | w |
/// | `attention.gate.weight`, `.bias` | `[H]`, `[1]` | β gate |
/// | `lstm.input.weight`, `lstm.hidden.weight`, `lstm.bias` | `[In, 4H]`, `[H, 4H]`, `[4H]` | gates i, f, g, o |
/// | `output.hidden.weight`, `.bias` | `[H + D + E, E]`, `[E]` | deep output layer 1 (`[H + E, E]` without attention) |
/// | `output.vocabulary.weight`, `.bias` | `[E, V]`, `[V]` | deep output layer 2 |
/// | `context.weight`, `context.bias` | `[E, C]`, `[C]` | the conversation context `q` (models with context) |
/// | `context.gate.weight`, `.bias` | `[D, C]`, `[C]` | `W_g`, `b_g` of the agreement gate (gated models; `[G, C]` without attention) |
///
/// With context the LSTM reads `[E y; z; g·q]` (`q` without the gate): `lstm.input.weight`
/// is `[E + D + C, 4H]`.
public struct CaptionModel: Sendable, Equatable {
    /// The sizes (training sets only `contextTrust`).
    public internal(set) var config: CaptionerConfig
    /// Word embedding.
    public var embedding: Embedding
    /// What the caption is conditioned on: the model variant.
    public var conditioning: Conditioning
    /// The recurrent cell.
    public var lstm: LSTMCell
    /// The 2-layer MLP to the vocabulary.
    public var output: DeepOutput
    /// The conversation context's encoder (`[E, 0]` without context).
    public var context: ContextEncoder

    /// A freshly initialised model.
    public init(config: CaptionerConfig, using generator: inout some RandomNumberGenerator) {
        precondition(config.vocabularySize > SpecialToken.count, "CaptionModel: vocabulary of \(config.vocabularySize)")
        self.config = config
        embedding = Embedding(vocabularySize: config.vocabularySize, size: config.embeddingSize, using: &generator)
        switch config.kind {
        case .showAttendTell:
            let initialState = InitialState(featureSize: config.featureSize, hiddenSize: config.hiddenSize, using: &generator)
            let attention = SoftAttention(featureSize: config.featureSize, hiddenSize: config.hiddenSize,
                                          attentionSize: config.attentionSize, using: &generator)
            conditioning = .attention(AttentionLayers(initialState: initialState, attention: attention))
        case .showAndTell:
            conditioning = .image(Linear(inputs: config.featureSize, outputs: config.embeddingSize, using: &generator))
        }
        lstm = LSTMCell(inputSize: config.lstmInputSize, hiddenSize: config.hiddenSize, using: &generator)
        output = DeepOutput(inputSize: config.deepOutputInputSize, hiddenSize: config.embeddingSize,
                            vocabularySize: config.vocabularySize, using: &generator)
        context = ContextEncoder(embeddingSize: config.embeddingSize, contextSize: config.contextSize, pictureSize: config.featureSize,
                                 gated: config.contextGate, using: &generator)
    }

    /// A model with the given parameters.
    ///
    /// - Parameter source: names the origin in errors (a file path).
    /// - Throws: `CaptionerError` for a missing or unused parameter or a shape mismatch,
    ///   naming the key and both shapes.
    public init(config: CaptionerConfig, parameters: [String: Tensor], source: String = "parameters") throws {
        var generator = SplitMix64(seed: 0)
        var model = CaptionModel(config: config.zeroSized, using: &generator)
        model = CaptionModel(replacingConfig: config, of: model)
        let paths = CaptionModel.parameterPaths(config)
        let expected = CaptionModel.parameterShapes(config)
        for (name, path) in paths {
            guard let tensor = parameters[name] else {
                throw CaptionerError.missingParameter(source: source, name: name, expectedShape: expected[name]!)
            }
            guard tensor.shape == expected[name]! else {
                throw CaptionerError.shapeMismatch(source: source, name: name, expected: expected[name]!, found: tensor.shape)
            }
            model[keyPath: path] = tensor
        }
        if let extra = parameters.keys.sorted().first(where: { expected[$0] == nil }) {
            throw CaptionerError.unusedParameter(source: source, name: extra, shape: parameters[extra]!.shape)
        }
        self = model
    }

    /// Loads the parameters from a safetensors file (see `init(config:parameters:source:)`).
    public init(config: CaptionerConfig, file: SafeTensorsFile) throws {
        try self.init(config: config, parameters: file.tensors(), source: file.path)
    }

    private init(replacingConfig config: CaptionerConfig, of model: CaptionModel) {
        self.config = config
        embedding = model.embedding
        conditioning = model.conditioning
        lstm = model.lstm
        output = model.output
        context = model.context
    }

    /// Every parameter by its checkpoint name.
    public var parameters: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: CaptionModel.parameterPaths(config).map { ($0.name, self[keyPath: $0.path]) })
    }

    /// The checkpoint names of the parameters of a `kind` model, with or without context and
    /// its gate, sorted.
    public static func parameterNames(_ kind: CaptionerKind, context: Bool = false, gate: Bool = false) -> [String] {
        parameterPaths(kind, context: context, gate: gate).map(\.name)
    }

    /// Writes the parameters as F32 safetensors, atomically.
    public func write(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(parameters, metadata: metadata, to: path)
    }

    /// The number of scalar parameters.
    public var parameterCount: Int { CaptionModel.parameterPaths(config).reduce(0) { $0 + self[keyPath: $1.path].count } }

    /// The names and key paths of `config`'s parameters, sorted by name.
    static func parameterPaths(_ config: CaptionerConfig) -> [(name: String, path: WritableKeyPath<CaptionModel, Tensor>)] {
        parameterPaths(config.kind, context: config.readsContext, gate: config.contextGate)
    }

    /// The names and key paths of a `kind` model's parameters, sorted by name.
    static func parameterPaths(_ kind: CaptionerKind, context: Bool, gate: Bool = false) -> [(name: String, path: WritableKeyPath<CaptionModel, Tensor>)] {
        var paths: [(name: String, path: WritableKeyPath<CaptionModel, Tensor>)] = [
            ("embedding.weight", \.embedding.weight),
            ("lstm.input.weight", \.lstm.inputWeight),
            ("lstm.hidden.weight", \.lstm.hiddenWeight),
            ("lstm.bias", \.lstm.bias),
            ("output.hidden.weight", \.output.hidden.weight),
            ("output.hidden.bias", \.output.hidden.bias),
            ("output.vocabulary.weight", \.output.vocabulary.weight),
            ("output.vocabulary.bias", \.output.vocabulary.bias),
        ]
        switch kind {
        case .showAttendTell:
            paths += [
                ("init.weight", \.attentionLayers.initialState.projection.weight),
                ("init.bias", \.attentionLayers.initialState.projection.bias),
                ("attention.annotation.weight", \.attentionLayers.attention.annotationWeight),
                ("attention.annotation.bias", \.attentionLayers.attention.annotationBias),
                ("attention.hidden.weight", \.attentionLayers.attention.hiddenWeight),
                ("attention.score.weight", \.attentionLayers.attention.scoreWeight),
                ("attention.gate.weight", \.attentionLayers.attention.gateWeight),
                ("attention.gate.bias", \.attentionLayers.attention.gateBias),
            ]
        case .showAndTell:
            paths += [("image.weight", \.imageLayer.weight), ("image.bias", \.imageLayer.bias)]
        }
        if context { paths += [("context.weight", \.context.projection.weight), ("context.bias", \.context.projection.bias)] }
        if gate { paths += [("context.gate.weight", \.context.gate.weight), ("context.gate.bias", \.context.gate.bias)] }
        return paths.sorted { $0.name < $1.name }
    }

    /// The shape every parameter of `config` must have.
    static func parameterShapes(_ config: CaptionerConfig) -> [String: [Int]] {
        let (v, e, h, a, d) = (config.vocabularySize, config.embeddingSize, config.hiddenSize, config.attentionSize, config.featureSize)
        var shapes: [String: [Int]] = [
            "embedding.weight": [v, e],
            "lstm.input.weight": [config.lstmInputSize, 4 * h], "lstm.hidden.weight": [h, 4 * h], "lstm.bias": [4 * h],
            "output.hidden.weight": [config.deepOutputInputSize, e], "output.hidden.bias": [e],
            "output.vocabulary.weight": [e, v], "output.vocabulary.bias": [v],
        ]
        switch config.kind {
        case .showAttendTell:
            shapes["init.weight"] = [d, 2 * h]
            shapes["init.bias"] = [2 * h]
            shapes["attention.annotation.weight"] = [d, a]
            shapes["attention.annotation.bias"] = [a]
            shapes["attention.hidden.weight"] = [h, a]
            shapes["attention.score.weight"] = [a]
            shapes["attention.gate.weight"] = [h]
            shapes["attention.gate.bias"] = [1]
        case .showAndTell:
            shapes["image.weight"] = [d, e]
            shapes["image.bias"] = [e]
        }
        if config.readsContext {
            shapes["context.weight"] = [e, config.contextSize]
            shapes["context.bias"] = [config.contextSize]
        }
        if config.contextGate {
            shapes["context.gate.weight"] = [d, config.contextSize]
            shapes["context.gate.bias"] = [config.contextSize]
        }
        return shapes
    }

    /// A model of the same configuration with every parameter zero: a gradient accumulator.
    public func zeros() -> CaptionModel {
        var copy = self
        for (_, path) in CaptionModel.parameterPaths(config) { copy[keyPath: path] = Tensor(shape: self[keyPath: path].shape) }
        return copy
    }

    /// Sets every parameter to zero in place (storage kept).
    mutating func zeroAll() {
        for (_, path) in CaptionModel.parameterPaths(config) { self[keyPath: path].zero() }
    }
}

/// What a caption is conditioned on: the model variant as a type.
public enum Conditioning: Sendable, Equatable {
    /// Show, Attend and Tell: h₀, c₀ from the mean annotation, and soft attention at every step.
    case attention(AttentionLayers)
    /// Show and Tell: the global vector's projection, read as the first LSTM input.
    case image(Linear)
}

/// Show, Attend and Tell's conditioning layers.
public struct AttentionLayers: Sendable, Equatable {
    /// h₀, c₀ from the mean annotation.
    public var initialState: InitialState
    /// Soft attention over the annotations.
    public var attention: SoftAttention
}

extension CaptionModel {
    /// The attention layers, for parameter key paths and in-place gradient updates. Only an
    /// attention model has them: reaching for them in another is a programming error.
    var attentionLayers: AttentionLayers {
        get {
            guard case let .attention(layers) = conditioning else { preconditionFailure("CaptionModel: \(config.kind) has no attention") }
            return layers
        }
        _modify {
            guard case var .attention(layers) = conditioning else { preconditionFailure("CaptionModel: \(config.kind) has no attention") }
            conditioning = .image(.empty)   // drops the payload's references, so `layers` updates in place
            defer { conditioning = .attention(layers) }
            yield &layers
        }
    }

    /// The image projection (Show and Tell), likewise.
    var imageLayer: Linear {
        get {
            guard case let .image(layer) = conditioning else { preconditionFailure("CaptionModel: \(config.kind) has no image layer") }
            return layer
        }
        _modify {
            guard case var .image(layer) = conditioning else { preconditionFailure("CaptionModel: \(config.kind) has no image layer") }
            conditioning = .image(.empty)
            defer { conditioning = .image(layer) }
            yield &layer
        }
    }
}

extension Linear {
    /// A layer of no weights: a placeholder while a model's conditioning is updated in place.
    static let empty = Linear(weight: Tensor(shape: [0, 0]), bias: Tensor(shape: [0]))
}

extension CaptionerConfig {
    /// The same kind with every size minimal, for building a model whose parameters are
    /// replaced at once (no large random initialisation).
    var zeroSized: CaptionerConfig {
        CaptionerConfig(kind: kind, vocabularySize: SpecialToken.count + 1, embeddingSize: 1, hiddenSize: 1,
                        attentionSize: 1, annotationCount: 1, featureSize: 1, dropout: dropout, attentionPenalty: attentionPenalty,
                        contextSize: readsContext ? 1 : 0, contextGate: contextGate,
                        contextMatch: contextMatch)
    }
}
