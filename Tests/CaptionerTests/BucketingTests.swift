// Length bucketing: the epoch order is a permutation with the same batches per epoch, padded
// steps are few on real comment lengths, and a batch's loss and gradient do not depend on how
// much padding it carries.
import Captioner
import Foundation
import Tensor
import TestSupport
import Testing

/// Token counts drawn like a real Niconico thread: mostly 1–3 tokens (`wwww`, `8888`), mean
/// about 4, a tail to 32.
func realLengths(_ count: Int, seed: UInt64) -> [Int] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let u = Double.random(in: 0..<1, using: &generator)
        switch u {
        case ..<0.30: return 1
        case ..<0.50: return 2
        case ..<0.65: return 3
        case ..<0.90: return Int.random(in: 4...8, using: &generator)
        case ..<0.98: return Int.random(in: 9...16, using: &generator)
        default: return Int.random(in: 17...32, using: &generator)
        }
    }
}

@Suite struct BucketingTests {
    private func data(lengths: [Int]) -> CaptionDataset {
        CaptionDataset(features: Tensor(shape: [1, 1]),
                       examples: lengths.map { CaptionExample(frame: 0, tokens: [Int](repeating: 4, count: $0)) })
    }

    @Test("the bucketed order is a permutation, as many batches as without, seeded")
    func bucketedOrderIsASeededPermutation() {
        let data = data(lengths: realLengths(1_000, seed: 1))
        var g1 = SplitMix64(seed: 5), g2 = SplitMix64(seed: 5), g3 = SplitMix64(seed: 6)
        let order = data.bucketedOrder(batchSize: 64, chunkBatches: 4, using: &g1)
        #expect(order.sorted() == Array(0..<1_000))
        #expect(order == data.bucketedOrder(batchSize: 64, chunkBatches: 4, using: &g2))
        #expect(order != data.bucketedOrder(batchSize: 64, chunkBatches: 4, using: &g3))
        #expect(g1.state == g2.state, "the generator advances the same way")
    }

    @Test("padded steps: under 15 % bucketed on real lengths, most steps unbucketed")
    func paddedShareOnRealLengths() {
        let data = data(lengths: realLengths(20_000, seed: 2))
        let mean = Double(data.examples.map(\.tokens.count).reduce(0, +)) / 20_000
        #expect(mean > 3 && mean < 5.5, "mean length \(mean)")
        var generator = SplitMix64(seed: 3)
        let bucketed = data.paddedShare(order: data.bucketedOrder(batchSize: 256, using: &generator), batchSize: 256)
        let plain = data.paddedShare(order: data.shuffledOrder(using: &generator), batchSize: 256)
        #expect(bucketed < 0.15, "bucketed padded share \(bucketed)")
        #expect(plain > 0.6, "unbucketed padded share \(plain)")
    }

    /// The loss and gradient of `batch` on `graph` (`packsRows` as given), dropout seeded alike.
    private func lossAndGradient(_ model: CaptionModel, _ batch: CaptionBatch, packsRows: Bool = true,
                                 on graph: CaptionGraph = CaptionGraph()) -> (BatchLoss, [String: Tensor]) {
        graph.packsRows = packsRows
        var gradient = model.zeros()
        var dropout = SplitMix64(seed: 1)
        let loss = graph.lossAndGradient(model: model, batch: batch, gradient: &gradient, using: &dropout)
        return (loss, gradient.parameters)
    }

    /// Expects the same token count, loss and every parameter's gradient.
    private func expectSame(_ a: (BatchLoss, [String: Tensor]), _ b: (BatchLoss, [String: Tensor]), _ kind: CaptionerKind,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.0.tokens == b.0.tokens, sourceLocation: sourceLocation)
        #expect(abs(a.0.total - b.0.total) < 1e-6 * max(1, abs(b.0.total)), "loss \(a.0.total) vs \(b.0.total)",
                sourceLocation: sourceLocation)
        for name in CaptionModel.parameterNames(kind) {
            expectClose(a.1[name]!, b.1[name]!, rtol: 1e-4, atol: 1e-6, sourceLocation: sourceLocation)
        }
    }

    @Test("a batch's loss and gradient are those of the same batch with extra padding steps", arguments: CaptionerKind.allCases)
    func paddingDoesNotChangeLossOrGradient(kind: CaptionerKind) {
        let config = tinyConfig(kind, vocabulary: 12, dropout: 0)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 90)
        let model = CaptionModel(config: config, using: &generator)
        let batch = data.batch([1, 3, 0])   // lengths 2, 3, 4: T = 5
        var padded = batch
        let extra = 6
        padded.steps += extra
        padded.inputs += [Int](repeating: SpecialToken.pad, count: extra * batch.size)
        padded.targets += [Int](repeating: SpecialToken.pad, count: extra * batch.size)
        let graph = CaptionGraph()   // one graph: its buffers are reused across the two shapes
        expectSame(lossAndGradient(model, batch, on: graph), lossAndGradient(model, padded, on: graph), kind)
    }

    @Test("steps run only on the captions still going: the padded computation's loss and gradients",
          arguments: CaptionerKind.allCases, [true, false])
    func packedRowsMatchThePaddedComputation(kind: CaptionerKind, longestFirst: Bool) {
        let config = tinyConfig(kind, vocabulary: 12, dropout: 0)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 93)
        let model = CaptionModel(config: config, using: &generator)
        let indices = longestFirst ? data.longestFirst([1, 3, 0, 2]) : [1, 3, 0, 2]
        if longestFirst { #expect(indices == [2, 0, 3, 1]) }
        let batch = data.batch(indices)
        let packed = lossAndGradient(model, batch)
        #expect(packed.0.penalty > 0 || kind == .showAndTell)
        expectSame(packed, lossAndGradient(model, batch, packsRows: false), kind)
    }

    @Test("a batch holds each frame once: the loss and gradients of one features row per caption",
          arguments: CaptionerKind.allCases)
    func sharedFramesMatchOneRowPerCaption(kind: CaptionerKind) {
        let config = tinyConfig(kind, vocabulary: 12, dropout: 0)
        let base = overfitData(config)
        // Six captions over two frames.
        let data = CaptionDataset(features: base.features, examples: base.examples.enumerated().map { n, example in
            CaptionExample(frame: n % 2, tokens: example.tokens)
        } + base.examples.prefix(2).map { CaptionExample(frame: 1, tokens: $0.tokens) })
        let indices = data.longestFirst(data.examples.indices)
        let shared = data.batch(indices)
        #expect(shared.features.shape[0] == 2 && shared.size == 6)
        let unshared = CaptionBatch(features: data.features.rows(indices.map { data.examples[$0].frame }),
                                    captions: indices.map { data.examples[$0].tokens })
        var generator = SplitMix64(seed: 94)
        let model = CaptionModel(config: config, using: &generator)
        expectSame(lossAndGradient(model, shared), lossAndGradient(model, unshared), kind)
    }

    @Test("bucketed and unbucketed training make as many batches per epoch")
    func bucketedTrainingMatchesTheBatchCount() throws {
        let config = tinyConfig(.showAttendTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 91)
        let initial = CaptionModel(config: config, using: &generator)
        var seen: [Set<Int>] = [[], []]
        for (n, bucket) in [true, false].enumerated() {
            let options = TrainerOptions(batchSize: 3, learningRate: 1e-2, epochs: 2, seed: 7, bucketByLength: bucket)
            _ = try Trainer(model: initial, options: options).train(data, progress: { seen[n].insert($0.batchesPerEpoch) })
        }
        #expect(seen[0] == [2] && seen[1] == [2])
    }

    @Test func optionsWithoutTheBucketKeyDecodeAsUnbucketed() throws {
        let json = #"{"batchSize":4,"learningRate":0.001,"clipNorm":5,"epochs":2,"patience":1,"seed":1,"maxTokens":32}"#
        let options = try JSONDecoder().decode(TrainerOptions.self, from: Data(json.utf8))
        #expect(!options.bucketByLength)
        let roundTrip = try JSONDecoder().decode(TrainerOptions.self, from: JSONEncoder().encode(TrainerOptions()))
        #expect(roundTrip.bucketByLength)
    }

    @Test("over the memory budget, training stops before the first batch and names a batch size that fits")
    func memoryBudgetNamesABatchSizeThatFits() throws {
        let config = tinyConfig(.showAttendTell, vocabulary: 12)
        let data = overfitData(config)   // longest caption 5 tokens: 6 steps
        var generator = SplitMix64(seed: 92)
        let model = CaptionModel(config: config, using: &generator)
        var options = TrainerOptions(batchSize: 4, epochs: 1)
        options.memoryBudget = data.features.count * 4 + CaptionGraph.trainingBytes(config: config, batch: 2, steps: 6)
        var batches = 0
        #expect {
            _ = try Trainer(model: model, options: options).train(data, progress: { _ in batches += 1 })
        } throws: { error in
            guard case let .memoryBudget(_, _, batchSize, steps, fitting)? = error as? CaptionerError else { return false }
            return batchSize == 4 && steps == 6 && fitting == 2 && "\(error)".contains("training.batch_size=2")
        }
        #expect(batches == 0)
        options.batchSize = 2
        _ = try Trainer(model: model, options: options).train(data)
    }

    @Test("the estimate grows with the batch's true length, not with the cut")
    func trainingBytesFollowTheSteps() {
        let config = CaptionerConfig(kind: .showAttendTell, vocabularySize: 30_000, annotationCount: 196, featureSize: 512)
        let short = CaptionGraph.trainingBytes(config: config, batch: 256, steps: 5)
        let long = CaptionGraph.trainingBytes(config: config, batch: 256, steps: 33)
        #expect(short < long)
        #expect(long < 1_400 << 20, "batch 256 of 32-token comments: \(long >> 20) MB")
    }
}
