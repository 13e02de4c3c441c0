// Whole-model gradient checks, shapes and weight loading for both model kinds.
import Captioner
import Foundation
import Tensor
import TestSupport
import Testing

/// A tiny configuration of `kind` for tests.
func tinyConfig(_ kind: CaptionerKind, vocabulary: Int = 9, dropout: Float = 0.5, penalty: Float = 0.5,
                context: Int = 0, gate: Bool = false, match: Float = 0.7, trust: Float = 1) -> CaptionerConfig {
    CaptionerConfig(kind: kind, vocabularySize: vocabulary, embeddingSize: 4, hiddenSize: 5, attentionSize: 18,
                    annotationCount: 3, featureSize: 4, dropout: dropout, attentionPenalty: penalty, contextSize: context,
                    contextGate: gate, contextMatch: gate ? match : 0, contextTrust: trust)
}

/// How a test model reads the thread. `halfTrusted` follows its gate with τ = 0.5; it has no
/// agreement loss, whose gradient on `q` is scaled by τ on purpose and so is not the loss's.
enum ContextVariant: String, CaseIterable, Sendable {
    case none, plain, gated, halfTrusted

    var size: Int { self == .none ? 0 : 3 }
    var isGated: Bool { self == .gated || self == .halfTrusted }
}

@Suite struct ModelTests {
    @Test(arguments: CaptionerKind.allCases, ContextVariant.allCases)
    func wholeModelGradient(kind: CaptionerKind, variant: ContextVariant) {
        let context = variant.size
        let config = tinyConfig(kind, context: context, gate: variant.isGated, match: variant == .gated ? 0.7 : 0,
                                trust: variant == .halfTrusted ? 0.5 : 1)
        var generator = SplitMix64(seed: 40)
        let model = CaptionModel(config: config, using: &generator)
        let features = random([3] + config.frameShape, seed: 41)
        // The second caption has nothing on screen; the first reads two comments, one repeated word.
        // With the gate, the first is its own context and the third another moment's.
        let batch = CaptionBatch(features: features, captions: [[4, 5, 6], [7], [8, 4]],
                                 contexts: context == 0 ? [] : [[[5, 6], [7, 7, 8]], [], [[4]]],
                                 contextIsOwn: variant.isGated ? [true, nil, false] : [])
        let graph = CaptionGraph()
        let dropoutSeed = SplitMix64(seed: 42)
        func loss(_ model: CaptionModel) -> Double {
            var dropout = dropoutSeed
            var scratch = model.zeros()
            return graph.lossAndGradient(model: model, batch: batch, gradient: &scratch, using: &dropout).total
        }
        var gradient = model.zeros()
        var dropout = dropoutSeed
        let value = graph.lossAndGradient(model: model, batch: batch, gradient: &gradient, using: &dropout)
        #expect(value.tokens == 3 + 1 + 2 + 1 + 3 - 1, "targets: tokens plus one <eos> per caption")
        if kind == .showAttendTell { #expect(value.penalty > 0) } else { #expect(value.penalty == 0) }
        if variant == .gated { #expect(value.match > 0) } else { #expect(value.match == 0) }
        let analytic = gradient.parameters
        for (name, tensor) in model.parameters.sorted(by: { $0.key < $1.key }) {
            let error = gradientError(tensor, analytic: analytic[name]!, samples: 12) { value in
                var parameters = model.parameters
                parameters[name] = value
                return loss(try! CaptionModel(config: config, parameters: parameters))
            }
            expectGradient("\(kind) context \(variant) \(name)", error)
        }
    }

    @Test func parameterShapesAtArticleSizes() {
        let config = CaptionerConfig(kind: .showAttendTell, vocabularySize: 2_000)
        var generator = SplitMix64(seed: 1)
        let model = CaptionModel(config: config, using: &generator)
        #expect(model.parameters["lstm.input.weight"]?.shape == [256 + 512, 1024])
        #expect(model.parameters["output.hidden.weight"]?.shape == [256 + 512 + 256, 256])
        #expect(model.parameters["output.vocabulary.weight"]?.shape == [256, 2_000])
        #expect(model.parameters["attention.annotation.weight"]?.shape == [512, 256])
        #expect(Set(model.parameters.keys) == Set(CaptionModel.parameterNames(.showAttendTell)))
        let plain = CaptionerConfig(kind: .showAndTell, vocabularySize: 100, featureSize: 4096)
        #expect(CaptionModel(config: plain, using: &generator).parameters["image.weight"]?.shape == [4096, 256])
    }

    @Test func configRoundTripsThroughJSON() throws {
        for config in [tinyConfig(.showAttendTell), tinyConfig(.showAndTell, context: 3), tinyConfig(.showAttendTell, context: 3, gate: true)] {
            let decoded = try JSONDecoder().decode(CaptionerConfig.self, from: JSONEncoder().encode(config))
            #expect(decoded == config)
        }
    }

    @Test func aConfigWrittenBeforeTheContextReadsAsNone() throws {
        let json = #"{"kind":"showAttendTell","vocabularySize":9,"embeddingSize":4,"hiddenSize":5,"attentionSize":18,"#
            + #""annotationCount":3,"featureSize":4,"dropout":0.5,"attentionPenalty":0.5}"#
        let decoded = try JSONDecoder().decode(CaptionerConfig.self, from: Data(json.utf8))
        #expect(decoded == tinyConfig(.showAttendTell))
        #expect(!decoded.readsContext)
        let beforeTheGate = String(json.dropLast()) + #","contextSize":3}"#
        #expect(try JSONDecoder().decode(CaptionerConfig.self, from: Data(beforeTheGate.utf8)) == tinyConfig(.showAttendTell, context: 3))
        #expect(!tinyConfig(.showAttendTell, gate: true).contextGate, "no context, nothing to gate")
    }

    @Test(arguments: CaptionerKind.allCases)
    func gateParametersAndShapes(kind: CaptionerKind) {
        let picture = kind == .showAttendTell ? 512 : 4096
        let config = CaptionerConfig(kind: kind, vocabularySize: 100, featureSize: picture, contextSize: 256, contextGate: true)
        var generator = SplitMix64(seed: 2)
        let model = CaptionModel(config: config, using: &generator)
        #expect(model.parameters["context.gate.weight"]?.shape == [picture, 256])
        #expect(model.parameters["context.gate.bias"]?.shape == [256])
        #expect(Set(model.parameters.keys) == Set(CaptionModel.parameterNames(kind, context: true, gate: true)))
        #expect(CaptionModel.parameterNames(kind, context: true).allSatisfy { !$0.hasPrefix("context.gate.") })
        // The gate is drawn last: the other parameters are those of the ungated model.
        var ungatedGenerator = SplitMix64(seed: 2)
        let ungated = CaptionModel(config: CaptionerConfig(kind: kind, vocabularySize: 100, featureSize: picture, contextSize: 256),
                                   using: &ungatedGenerator)
        for (name, tensor) in ungated.parameters { #expect(model.parameters[name] == tensor, "\(name)") }
    }

    @Test(arguments: CaptionerKind.allCases)
    func contextParametersAndShapes(kind: CaptionerKind) {
        let config = CaptionerConfig(kind: kind, vocabularySize: 100, contextSize: 256)
        var generator = SplitMix64(seed: 2)
        let model = CaptionModel(config: config, using: &generator)
        #expect(model.parameters["context.weight"]?.shape == [256, 256])
        #expect(model.parameters["context.bias"]?.shape == [256])
        #expect(model.parameters["lstm.input.weight"]?.shape == [256 + (kind == .showAttendTell ? 512 : 0) + 256, 1024])
        #expect(Set(model.parameters.keys) == Set(CaptionModel.parameterNames(kind, context: true)))
        #expect(CaptionModel.parameterNames(kind).allSatisfy { !$0.hasPrefix("context.") })
    }

    @Test func weightsRoundTripAndLoadingRefusesBadKeys() throws {
        let directory = try TemporaryDirectory()
        let config = tinyConfig(.showAndTell)
        var generator = SplitMix64(seed: 43)
        let model = CaptionModel(config: config, using: &generator)
        let path = directory.file("weights.safetensors")
        try model.write(to: path)
        let loaded = try CaptionModel(config: config, file: SafeTensorsFile(path: path))
        #expect(loaded == model)

        var parameters = model.parameters
        parameters["lstm.bias"] = nil
        #expect(throws: CaptionerError.missingParameter(source: "w", name: "lstm.bias", expectedShape: [20])) {
            try CaptionModel(config: config, parameters: parameters, source: "w")
        }
        parameters = model.parameters
        parameters["extra"] = Tensor(shape: [2])
        #expect(throws: CaptionerError.unusedParameter(source: "w", name: "extra", shape: [2])) {
            try CaptionModel(config: config, parameters: parameters, source: "w")
        }
        parameters = model.parameters
        parameters["embedding.weight"] = Tensor(shape: [9, 5])
        do {
            _ = try CaptionModel(config: config, parameters: parameters, source: "w.safetensors")
            Issue.record("a shape mismatch was accepted")
        } catch {
            #expect("\(error)" == "w.safetensors: parameter 'embedding.weight' has shape [9, 5], the model needs [9, 4]")
        }
    }
}
