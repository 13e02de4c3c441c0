// The agreement gate on the thread: g·q with g = σ((p̂·W_g + b_g)·q), by hand.
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

    @Test func withoutTheGateTheThreadIsReadAsItIs() {
        let encoder = encoder(gated: false)
        #expect(!encoder.isGated && encoder.gate.weight.count == 0)
        var activations = ContextActivations()
        encoder.forward(mean: random([2, 4], seed: 12), picture: random([2, 5], seed: 13), into: &activations)
        #expect(activations.output == activations.encoded)
        #expect(activations.gate.isEmpty)
    }
}
