// The whole captioner against PyTorch, as llm.c's test_gpt2.c checks GPT-2: the same weights
// and batch, the forward loss and every parameter's gradient. The reference files are
// written by scripts/make-captioner-reference.py (autograd in float64) and committed.
import Captioner
import Foundation
import Tensor
import TestSupport
import Testing

@Suite struct ReferenceTests {
    private struct Reference {
        var model: CaptionModel
        var batch: CaptionBatch
        var crossEntropy: Double
        var penalty: Double
        var match: Double
        var gradients: [String: Tensor]
    }

    private func load(_ kind: CaptionerKind, context: Bool, gate: Bool, halfTrusted: Bool, longestFirst: Bool) throws -> Reference {
        let name = (kind == .showAttendTell ? "show_attend_tell" : "show_and_tell") + (context ? "_context" : "") + (gate ? "_gate" : "")
            + (halfTrusted ? "_trust" : "")
        let file = try SafeTensorsFile(path: Project.root + "/Tests/Fixtures/reference/\(name).safetensors")
        let meta = file.metadata
        func number(_ key: String) throws -> Int { try #require(meta[key].flatMap { Int($0) }, "metadata \(key)") }
        let config = CaptionerConfig(kind: kind, vocabularySize: try number("vocabulary"), embeddingSize: try number("embedding"),
                                     hiddenSize: try number("hidden"), attentionSize: try number("attention"),
                                     annotationCount: try number("annotations"), featureSize: try number("feature_size"),
                                     dropout: 0, attentionPenalty: try #require(meta["penalty_weight"].flatMap { Float($0) }),
                                     contextSize: context ? try number("context_size") : 0, contextGate: gate,
                                     contextMatch: gate ? try #require(meta["context_match"].flatMap { Float($0) }) : 0,
                                     contextTrust: halfTrusted ? try #require(meta["context_trust"].flatMap { Float($0) }) : 1)
        #expect(!halfTrusted || config.contextTrust == 0.5)
        let tensors = try file.tensors()
        let model = try CaptionModel(config: config, parameters: tensors.filter { !$0.key.hasPrefix("grad.") && $0.key != "features" },
                                     source: file.path)
        let captions = try JSONDecoder().decode([[Int]].self, from: Data(try #require(meta["captions"]).utf8))
        let frames = try JSONDecoder().decode([Int].self, from: Data(try #require(meta["frames"]).utf8))
        let features = try #require(tensors["features"])
        var order = Array(captions.indices)
        if longestFirst { order.sort { (captions[$0].count, -$0) > (captions[$1].count, -$1) } }
        let contexts = context ? try JSONDecoder().decode([[[Int]]].self, from: Data(try #require(meta["contexts"]).utf8)) : []
        let own = gate ? try JSONDecoder().decode([Bool?].self, from: Data(try #require(meta["own"]).utf8)) : []
        let batch = CaptionBatch(features: features, frames: order.map { frames[$0] }, captions: order.map { captions[$0] },
                                 contexts: context ? order.map { contexts[$0] } : [], contextIsOwn: gate ? order.map { own[$0] } : [])
        var gradients: [String: Tensor] = [:]
        for (key, value) in tensors where key.hasPrefix("grad.") { gradients[String(key.dropFirst(5))] = value }
        return Reference(model: model, batch: batch, crossEntropy: try #require(meta["cross_entropy"].flatMap { Double($0) }),
                         penalty: try #require(meta["penalty"].flatMap { Double($0) }),
                         match: gate ? try #require(meta["match"].flatMap { Double($0) }) : 0, gradients: gradients)
    }

    @Test("loss and every gradient agree with PyTorch, with and without context comments and their gate, followed fully or half",
          arguments: CaptionerKind.allCases,
          [(context: false, gate: false, halfTrusted: false, longestFirst: false), (false, false, false, true), (true, false, false, false),
           (true, false, false, true), (true, true, false, false), (true, true, false, true), (true, true, true, false), (true, true, true, true)])
    func matchesPyTorch(kind: CaptionerKind, variant: (context: Bool, gate: Bool, halfTrusted: Bool, longestFirst: Bool)) throws {
        let reference = try load(kind, context: variant.context, gate: variant.gate, halfTrusted: variant.halfTrusted,
                                 longestFirst: variant.longestFirst)
        #expect(reference.batch.features.shape[0] < reference.batch.size, "captions share frames")
        var gradient = reference.model.zeros()
        var generator = SplitMix64(seed: 1)
        let loss = CaptionGraph().lossAndGradient(model: reference.model, batch: reference.batch, gradient: &gradient, using: &generator)
        #expect(abs(loss.crossEntropy - reference.crossEntropy) < 1e-5, "cross-entropy \(loss.crossEntropy) vs \(reference.crossEntropy)")
        #expect(abs(loss.penalty - reference.penalty) < 1e-5, "penalty \(loss.penalty) vs \(reference.penalty)")
        #expect(abs(loss.match - reference.match) < 1e-5, "agreement loss \(loss.match) vs \(reference.match)")
        if variant.gate { #expect(reference.match > 0) }
        let names = CaptionModel.parameterNames(kind, context: variant.context, gate: variant.gate)
        #expect(Set(reference.gradients.keys) == Set(names))
        let ours = gradient.parameters
        for name in names {
            let expected = try #require(reference.gradients[name])
            // float32 against float64: relative to the tensor's largest entry.
            expectClose(try #require(ours[name]), expected, rtol: 1e-3, atol: 1e-5 * max(1, expected.maxAbs()))
            #expect(expected.maxAbs() > 0 || name.hasSuffix("bias"), "\(name): the reference gradient is all zeros")
        }
    }
}
