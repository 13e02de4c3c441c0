// The agreement gate on the thread: o·q with o = 1 − τ(1 − g), g = σ((p̂·W_g + b_g)·q), by
// hand, and how training decides τ from the gate's agreement on the dev blocks.
@testable import Captioner
import Foundation
import Tensor
import TestSupport
import Testing

@Suite struct ContextGateTests {
    private func encoder(gated: Bool) -> ContextEncoder {
        var generator = SplitMix64(seed: 7)
        return ContextEncoder(embeddingSize: 4, contextSize: 3, pictureSize: 5, gated: gated, using: &generator)
    }

    @Test func theGateScalesEachCaptionsThreadByItsAgreementWithThePicture() {
        let encoder = encoder(gated: true)
        let mean = random([2, 4], seed: 8), picture = random([2, 5], seed: 9)
        var activations = ContextActivations()
        encoder.forward(mean: mean, picture: picture, into: &activations)
        for b in 0..<2 {
            var q = [Float](repeating: 0, count: 3)
            for j in 0..<3 {
                var x = encoder.projection.bias[j]
                for i in 0..<4 { x += mean[b, i] * encoder.projection.weight[i, j] }
                q[j] = tanh(x)
            }
            let length = (0..<5).map { picture[b, $0] * picture[b, $0] }.reduce(0, +).squareRoot()
            var s: Float = 0
            for j in 0..<3 {
                var e = encoder.gate.bias[j]
                for i in 0..<5 { e += picture[b, i] / length * encoder.gate.weight[i, j] }
                s += e * q[j]
            }
            let g = 1 / (1 + exp(-s))
            #expect(abs(activations.gate[b] - g) < 1e-6)
            expectClose((0..<3).map { activations.output[b, $0] }, q.map { g * $0 }, rtol: 1e-5, atol: 1e-6)
        }
    }

    @Test func theGateReadsThePicturesDirectionNotItsScale() {
        let encoder = encoder(gated: true)
        let mean = random([3, 4], seed: 10), picture = random([3, 5], seed: 11)
        var scaled = picture
        scaled.storage = scaled.storage.map { $0 * 40 }
        var small = ContextActivations(), large = ContextActivations()
        encoder.forward(mean: mean, picture: picture, into: &small)
        encoder.forward(mean: mean, picture: scaled, into: &large)
        expectClose(large.output, small.output, rtol: 1e-5, atol: 1e-6)
        #expect(small.gate.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func theAgreementLossIsTheMeanCrossEntropyOfTheLabelledCaptions() {
        var activations = ContextActivations()
        activations.score = [2, -1, 0.5, 30]
        activations.gate = activations.score.map { 1 / (1 + exp(-$0)) }
        let (loss, gradient) = ContextEncoder.matchLoss(activations, own: [true, false, nil, false], weight: 0.5)
        let g = activations.gate
        let expected = 0.5 * (-log(Double(g[0])) - log(1 - Double(g[1])) + 30) / 3   // BCE(σ(30), 0) = 30 + log(1 + e⁻³⁰)
        #expect(abs(loss - expected) < 1e-5)
        expectClose(gradient, [0.5 / 3 * (g[0] - 1), 0.5 / 3 * g[1], 0, 0.5 / 3 * g[3]], rtol: 1e-5, atol: 1e-7)
        #expect(ContextEncoder.matchLoss(activations, own: [nil, nil, nil, nil], weight: 1).loss == 0)
        #expect(ContextEncoder.matchLoss(activations, own: [true, false, nil, false], weight: 0).scoreGradient == [0, 0, 0, 0])
    }

    @Test func aBatchTellsWhichCaptionsAreShownTheirOwnContext() {
        let examples = [CaptionExample(frame: 0, tokens: [4], context: [[5]]), CaptionExample(frame: 1, tokens: [5], context: [[6, 7]]),
                        CaptionExample(frame: 1, tokens: [6], context: []), CaptionExample(frame: 0, tokens: [7], context: [[4]])]
        let data = CaptionDataset(features: random([2, 3, 4], seed: 14), examples: examples)
        var spare = Tensor(shape: [0])
        // own, swapped, dropped, swapped to an empty context
        let sources = [0: 0, 1: 3, 3: 2] as [Int: Int]
        let batch = data.batch([0, 1, 2, 3], reusing: &spare) { _, own in sources[own] }
        #expect(batch.contextIsOwn == [true, false, nil, nil])
        #expect(data.batch([0, 1, 2, 3]).contextIsOwn == [true, true, nil, true], "without swap every context is its own")
    }

    @Test func theTrustSetsHowFarTheThreadFollowsTheGate() {
        let encoder = encoder(gated: true)
        let mean = random([3, 4], seed: 15), picture = random([3, 5], seed: 16)
        var full = ContextActivations(), open = ContextActivations(), half = ContextActivations()
        encoder.forward(mean: mean, picture: picture, into: &full)
        encoder.forward(mean: mean, picture: picture, trust: 0, into: &open)
        encoder.forward(mean: mean, picture: picture, trust: 0.5, into: &half)
        #expect(open.output == open.encoded, "an untrusted gate is open")
        #expect(open.gate == full.gate, "the gate judges the same whatever its trust")
        var expected = half.encoded
        expected.scaleRows(by: half.gate.map { (1 + $0) / 2 })
        expectClose(half.output, expected, rtol: 1e-6, atol: 1e-7)
    }

    @Test func theAgreementLossReachesTheThreadOnlyAsFarAsTheGateIsTrusted() {
        let encoder = encoder(gated: true)
        let mean = random([2, 4], seed: 17), picture = random([2, 5], seed: 18)
        func gradients(trust: Float, output: Tensor, score: [Float]) -> ContextEncoder {
            var a = ContextActivations(), gradient = encoder
            gradient.projection.weight.storage = gradient.projection.weight.storage.map { _ in 0 }
            gradient.projection.bias.storage = gradient.projection.bias.storage.map { _ in 0 }
            gradient.gate.weight.storage = gradient.gate.weight.storage.map { _ in 0 }
            gradient.gate.bias.storage = gradient.gate.bias.storage.map { _ in 0 }
            encoder.forward(mean: mean, picture: picture, trust: trust, into: &a)
            _ = encoder.backward(mean: mean, activations: a, outputGradient: output, scoreGradient: score, gradient: &gradient)
            return gradient
        }
        func norm(_ t: Tensor) -> Float { t.storage.map { $0 * $0 }.reduce(0, +) }
        let none = Tensor(shape: [2, 3]), some = random([2, 3], seed: 19)
        let untrustedLoss = gradients(trust: 0, output: none, score: [0.3, -0.2])
        #expect(norm(untrustedLoss.projection.weight) == 0, "an untrusted gate's loss leaves q alone")
        #expect(norm(untrustedLoss.gate.weight) > 0, "but still trains the gate")
        #expect(norm(gradients(trust: 1, output: none, score: [0.3, -0.2]).projection.weight) > 0)
        let untrustedCaptions = gradients(trust: 0, output: some, score: [])
        #expect(norm(untrustedCaptions.gate.weight) == 0, "the captions do not train a gate the LSTM does not follow")
        #expect(norm(untrustedCaptions.projection.weight) > 0)
    }

    @Test func theAgreementAUCCountsPairsAndTies() {
        // 0.9 and 0.8 against 0.1 and 0.85: 3 of 4 pairs in order
        #expect(GateAgreement(own: [0.9, 0.8], other: [0.1, 0.85]).auc == 0.75)
        #expect(GateAgreement(own: [0.5, 0.5], other: [0.5]).auc == 0.5)
        #expect(GateAgreement(own: [0.2], other: [0.2, 0.7]).auc == 0.25)
        #expect(GateAgreement(own: [], other: [0.3]).auc == nil)
        #expect(!GateAgreement(own: [], other: [0.3]).beatsChance)
    }

    @Test func theGateBeatsChanceOnlyWithEnoughCaptionsInOrder() {
        // Perfect order of 2 against 2 is not enough (0.5 above chance, 1.645 standard errors are 0.53)
        #expect(GateAgreement(own: [0.9, 0.8], other: [0.1, 0.2]).auc == 1)
        #expect(!GateAgreement(own: [0.9, 0.8], other: [0.1, 0.2]).beatsChance)
        let high = (0..<30).map { 0.5 + Float($0) / 100 }, low = (0..<30).map { 0.3 + Float($0) / 100 }
        let agreement = GateAgreement(own: high, other: low)
        #expect(agreement.auc! > 0.8 && agreement.beatsChance)
        #expect(!GateAgreement(own: low, other: low).beatsChance, "the same values are chance")
        #expect(!GateAgreement(own: low, other: high).beatsChance, "a gate that ranks backwards is not trusted")
    }

    @Test func aModelsAgreementShowsEachCaptionItsOwnThreadAndTheOneHalfwayRound() {
        var generator = SplitMix64(seed: 20)
        let model = CaptionModel(config: tinyConfig(.showAttendTell, context: 3, gate: true), using: &generator)
        // The third has nothing on screen, so it has no own value, and it is the first's partner.
        let examples = [CaptionExample(frame: 0, tokens: [4], context: [[5]]), CaptionExample(frame: 1, tokens: [5], context: [[6, 7]]),
                        CaptionExample(frame: 1, tokens: [6], context: []), CaptionExample(frame: 0, tokens: [7], context: [[4]])]
        let data = CaptionDataset(features: random([2, 3, 4], seed: 21), examples: examples)
        /// The gate of example `caption`'s picture with example `thread`'s whole context.
        func gate(_ caption: Int, reading thread: Int) -> Float {
            var a = ContextActivations()
            let batch = data.batch([caption], reusing: &spare) { _, _ in thread }
            model.context.forward(mean: batch.context.mean(model.embedding), picture: InitialState.meanAnnotation(batch.features),
                                  into: &a)
            return a.gate[0]
        }
        var spare = Tensor(shape: [0])
        for batchSize in [1, 3, 256] {
            let agreement = model.gateAgreement(on: data, batchSize: batchSize)!
            #expect(agreement.own.count == 3 && agreement.other.count == 3, "batch size \(batchSize)")
            #expect(abs(agreement.own[2] - gate(3, reading: 3)) < 1e-6, "the fourth with its own thread")
            // every token of the comments counts, as in training
            #expect(abs(agreement.other[2] - gate(3, reading: 1)) < 1e-6, "the fourth with the second's two-token thread")
        }
        let ungated = CaptionModel(config: tinyConfig(.showAttendTell, context: 3), using: &generator)
        #expect(ungated.gateAgreement(on: data) == nil)
    }

    @Test func withoutTheGateTheThreadIsReadAsItIs() {
        let encoder = encoder(gated: false)
        #expect(!encoder.isGated && encoder.gate.weight.count == 0)
        var activations = ContextActivations()
        encoder.forward(mean: random([2, 4], seed: 12), picture: random([2, 5], seed: 13), into: &activations)
        #expect(activations.output == activations.encoded)
        #expect(activations.gate.isEmpty)
    }
}
