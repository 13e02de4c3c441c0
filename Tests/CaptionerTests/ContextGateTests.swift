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

    @Test func withoutTheGateTheThreadIsReadAsItIs() {
        let encoder = encoder(gated: false)
        #expect(!encoder.isGated && encoder.gate.weight.count == 0)
        var activations = ContextActivations()
        encoder.forward(mean: random([2, 4], seed: 12), picture: random([2, 5], seed: 13), into: &activations)
        #expect(activations.output == activations.encoded)
        #expect(activations.gate.isEmpty)
    }
}
