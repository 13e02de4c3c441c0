// The decoder's constraints: banned tokens are never emitted, and no n-gram repeats more than
// the limit in a row, in every strategy.
import Captioner
import Foundation
import Tensor
import Testing

/// A random tiny model whose vocabulary layer strongly prefers `loop` and never wants to stop.
func loopingModel(_ kind: CaptionerKind, loop: Int, also: Int? = nil) throws -> CaptionModel {
    let config = tinyConfig(kind, vocabulary: 20, dropout: 0)
    var generator = SplitMix64(seed: 140)
    var parameters = CaptionModel(config: config, using: &generator).parameters
    parameters["output.vocabulary.bias"]!.storage[loop] = 40
    if let also { parameters["output.vocabulary.bias"]!.storage[also] = 39 }
    parameters["output.vocabulary.bias"]!.storage[SpecialToken.eos] = -20
    return try CaptionModel(config: config, parameters: parameters)
}

/// The most times in a row any n-gram occurs anywhere in `tokens`.
func longestRepeat(_ tokens: [Int]) -> Int {
    var best = tokens.isEmpty ? 0 : 1
    for n in 1...max(1, tokens.count / 2) {
        for start in 0..<tokens.count {
            var count = 1
            while start + (count + 1) * n <= tokens.count,
                  Array(tokens[(start + count * n)..<(start + (count + 1) * n)]) == Array(tokens[start..<(start + n)]) {
                count += 1
            }
            best = max(best, count)
        }
    }
    return best
}

@Suite struct DecoderConstraintTests {
    @Test("the tokens that would exceed the limit")
    func repeatingTokens() {
        #expect(Decoder.repeatingTokens(after: [5, 5, 5], limit: 3) == [5])
        #expect(Decoder.repeatingTokens(after: [5, 5], limit: 3).isEmpty)
        #expect(Decoder.repeatingTokens(after: [1, 2, 1, 2, 1, 2, 1], limit: 3) == [2])
        #expect(Decoder.repeatingTokens(after: [1, 2, 1, 2, 1], limit: 3).isEmpty)
        #expect(Decoder.repeatingTokens(after: [7, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2], limit: 3) == [3])
        #expect(Decoder.repeatingTokens(after: [4], limit: 1) == [4])
        #expect(Decoder.repeatingTokens(after: [], limit: 1).isEmpty)
    }

    @Test("tokens of control characters or only whitespace are unspeakable")
    func unspeakable() {
        let vocabulary = ["<pad>", "<bos>", "<eos>", "<unk>", "草", " ", "\u{3000}", "a\u{85}", "\u{7}", "w", ""]
        #expect(Decoder.unspeakable(vocabulary) == [5, 6, 7, 8, 10])
    }

    @Test("every strategy obeys the repetition limit and the banned tokens", arguments: CaptionerKind.allCases)
    func everyStrategy(kind: CaptionerKind) throws {
        let model = try loopingModel(kind, loop: 5, also: 6)
        let strategies: [DecodingStrategy] = [
            .greedy,
            .article(firstTokens: FirstTokenDistribution(counts: [5: 3, 7: 1], vocabularySize: 20)),
            .sample(temperature: 1, topK: 3),
            .beam(width: 3, lengthNormalisation: 0, firstStepTemperature: nil),
            .beam(width: 3, lengthNormalisation: 0.7, firstStepTemperature: 1.5),
        ]
        let unconstrained = Decoder(model: model, maxLength: 20)
        let limited = Decoder(model: model, maxLength: 20, maxRepeats: 3, bannedTokens: [7])
        for strategy in strategies {
            for n in 0..<4 {
                let frame = random(model.config.frameShape, seed: 700 + UInt64(n))
                var g1 = SplitMix64(seed: 9), g2 = SplitMix64(seed: 9)
                let loose = unconstrained.decode(frame, strategy: strategy, using: &g1)
                let tight = limited.decode(frame, strategy: strategy, using: &g2)
                if case .sample = strategy {} else {
                    #expect(longestRepeat(loose.tokens) > 3, "the model loops without the limit: \(loose.tokens)")
                }
                #expect(longestRepeat(tight.tokens) <= 3, "\(strategy): \(tight.tokens)")
                #expect(!tight.tokens.contains(7) && !tight.tokens.contains(SpecialToken.unk), "\(strategy): \(tight.tokens)")
            }
        }
    }

    @Test("memes that repeat up to the limit are still possible")
    func upToTheLimit() throws {
        let model = try loopingModel(.showAndTell, loop: 5)
        var generator = SplitMix64(seed: 1)
        let caption = Decoder(model: model, maxLength: 20, maxRepeats: 3)
            .decode(random(model.config.frameShape, seed: 3), strategy: .greedy, using: &generator)
        #expect(Array(caption.tokens.prefix(3)) == [5, 5, 5] && caption.tokens.dropFirst(3).first != 5)
    }
}
