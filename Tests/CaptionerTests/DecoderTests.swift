// Decoding strategies and caption log-likelihoods.
import Captioner
import Foundation
import Tensor
import Testing

/// A random tiny model of `kind` whose vocabulary layer strongly prefers `<unk>`.
func unkLovingModel(_ kind: CaptionerKind) throws -> CaptionModel {
    let config = tinyConfig(kind, vocabulary: 20, dropout: 0)
    var generator = SplitMix64(seed: 100)
    var parameters = CaptionModel(config: config, using: &generator).parameters
    parameters["output.vocabulary.bias"]!.storage[SpecialToken.unk] = 50
    parameters["output.vocabulary.bias"]!.storage[SpecialToken.eos] = -1
    return try CaptionModel(config: config, parameters: parameters)
}

@Suite struct DecoderTests {
    static let strategies: [DecodingStrategy] = [
        .greedy,
        .article(firstTokens: FirstTokenDistribution(counts: [5: 3, 6: 1, 7: 2], vocabularySize: 20, allowed: [5, 6])),
        .sample(temperature: 1.5, topK: 5),
        .sample(temperature: 1, topK: nil),
        .beam(width: 3, lengthNormalisation: 0.7, firstStepTemperature: nil),
        .beam(width: 4, lengthNormalisation: 0, firstStepTemperature: 2),
    ]

    @Test(arguments: CaptionerKind.allCases)
    func neverEmitsUnknownAndIsDeterministicWithASeed(kind: CaptionerKind) throws {
        let model = try unkLovingModel(kind)
        let decoder = Decoder(model: model, maxLength: 8)
        for (i, strategy) in Self.strategies.enumerated() {
            for n in 0..<3 {
                let frame = random(model.config.frameShape, seed: 200 + UInt64(n))
                var first = SplitMix64(seed: 7), second = SplitMix64(seed: 7)
                let a = decoder.decode(frame, strategy: strategy, using: &first)
                let b = decoder.decode(frame, strategy: strategy, using: &second)
                #expect(a == b, "strategy \(i) repeats with the same seed")
                #expect(!a.tokens.contains(SpecialToken.unk) && !a.tokens.contains(SpecialToken.pad) && !a.tokens.contains(SpecialToken.bos),
                        "strategy \(i): \(a.tokens)")
                #expect(a.tokens.count <= 8 && a.logProbability <= 0 && a.logProbability.isFinite)
                if kind == .showAttendTell {
                    #expect(a.attention?.count == a.tokens.count)
                    #expect(a.attention?.allSatisfy { $0.count == 3 && abs($0.reduce(0, +) - 1) < 1e-4 } == true)
                } else {
                    #expect(a.attention == nil)
                }
            }
        }
    }

    @Test func articleDrawsTheFirstTokenFromTheAllowedSet() throws {
        let model = try unkLovingModel(.showAttendTell)
        let decoder = Decoder(model: model, maxLength: 6)
        let strategy = DecodingStrategy.article(firstTokens: FirstTokenDistribution(counts: [5: 3, 6: 1, 7: 50, 3: 80],
                                                                                    vocabularySize: 20, allowed: [5, 6]))
        var generator = SplitMix64(seed: 8)
        var firsts: [Int: Int] = [:]
        let frame = random(model.config.frameShape, seed: 300)
        for _ in 0..<200 {
            let caption = decoder.decode(frame, strategy: strategy, using: &generator)
            firsts[caption.tokens.first ?? -1, default: 0] += 1
        }
        #expect(Set(firsts.keys) == [5, 6])
        #expect((firsts[5] ?? 0) > (firsts[6] ?? 0), "drawn in proportion to the counts: \(firsts)")
    }

    @Test(arguments: CaptionerKind.allCases)
    func beamIsNeverWorseThanGreedy(kind: CaptionerKind) throws {
        let config = tinyConfig(kind, vocabulary: 15, dropout: 0)
        var generator = SplitMix64(seed: 400)
        let decoder = Decoder(model: CaptionModel(config: config, using: &generator), maxLength: 6)
        var strictlyBetter = 0
        for n in 0..<10 {
            let frame = random(config.frameShape, seed: 500 + UInt64(n), scale: 3)
            let greedy = decoder.decode(frame, strategy: .greedy, using: &generator)
            let beam = decoder.decode(frame, strategy: .beam(width: 5, lengthNormalisation: 0, firstStepTemperature: nil),
                                      using: &generator)
            #expect(beam.logProbability >= greedy.logProbability - 1e-9)
            if beam.logProbability > greedy.logProbability + 1e-6 { strictlyBetter += 1 }
        }
        #expect(strictlyBetter > 0, "a random model gives beam search something to find")
    }

    @Test(arguments: CaptionerKind.allCases)
    func logLikelihoodAgreesWithDecoding(kind: CaptionerKind) throws {
        let config = tinyConfig(kind, vocabulary: 15, dropout: 0.5)
        var generator = SplitMix64(seed: 600)
        let decoder = Decoder(model: CaptionModel(config: config, using: &generator), maxLength: 12)
        let features = random([3] + config.frameShape, seed: 601)
        var captions: [CaptionExample] = [], expected: [Double] = []
        for frame in 0..<3 {
            for n in 0..<4 {
                let caption = decoder.decode(features.rows(frame..<(frame + 1)).reshaped(config.frameShape),
                                             strategy: .sample(temperature: 1, topK: nil), using: &generator)
                guard caption.finished else { continue }
                captions.append(CaptionExample(frame: frame, tokens: caption.tokens))
                expected.append(caption.logProbability)
                _ = n
            }
        }
        try #require(captions.count >= 4)
        let batched = decoder.logLikelihoods(features: features, captions: captions, batchSize: 5)
        for (got, want) in zip(batched, expected) {
            #expect(abs(got - want) < 1e-3 * max(1, abs(want)), "log-likelihood \(got) vs decoding's \(want)")
        }
    }
}
