// Training end to end on tiny synthetic data: overfitting, attention learning where to look,
// bitwise resume, early stopping, cancellation and divergence.
import Captioner
import Foundation
import Tensor
import TestSupport
import Testing

/// Four frames with one caption each, of different lengths and sharing tokens.
func overfitData(_ config: CaptionerConfig) -> CaptionDataset {
    let features = random([4] + config.frameShape, seed: 50)
    let captions = [[4, 5, 6, 7], [8, 9], [10, 4, 11, 5, 6], [7, 7, 9]]
    return CaptionDataset(features: features, examples: captions.enumerated().map { (frame: $0.offset, tokens: $0.element) })
}

/// The marker task: annotation `l` is a one-hot position code plus noise; one position also
/// carries a marker vector, and the caption is the single token `4 + l` of that position.
/// Only attention to the marked annotation can tell which token is right.
func markerData(count: Int, positions: Int, seed: UInt64) -> (data: CaptionDataset, marked: [Int]) {
    var generator = SplitMix64(seed: seed)
    let size = positions + 4
    var features = Tensor(shape: [count, positions, size])
    var examples: [CaptionExample] = [], marked: [Int] = []
    for n in 0..<count {
        let p = Int.random(in: 0..<positions, using: &generator)
        for l in 0..<positions {
            let row = (n * positions + l) * size
            features.storage[row + l] = 1
            for d in positions..<size { features.storage[row + d] = 0.2 * generator.nextGaussian() }
            if l == p { for d in positions..<size { features.storage[row + d] += 1 } }
        }
        examples.append(CaptionExample(frame: n, tokens: [4 + p]))
        marked.append(p)
    }
    return (CaptionDataset(features: features, examples: examples), marked)
}

@Suite struct TrainingTests {
    @Test(arguments: CaptionerKind.allCases)
    func overfitsFourCaptions(kind: CaptionerKind) throws {
        let config = CaptionerConfig(kind: kind, vocabularySize: 12, embeddingSize: 16, hiddenSize: 32, attentionSize: 16,
                                     annotationCount: 4, featureSize: 8, dropout: 0, attentionPenalty: 0.01)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 51)
        let trainer = Trainer(model: CaptionModel(config: config, using: &generator),
                              options: TrainerOptions(batchSize: 4, learningRate: 1e-2, epochs: 300, patience: 300, seed: 1))
        let result = try trainer.train(data)
        let loss = Trainer.crossEntropy(of: result.model, on: data)
        #expect(loss < 0.05, "\(kind): training cross-entropy \(loss)")
        let decoder = Decoder(model: result.model, maxLength: 10)
        for example in data.examples {
            let frame = data.features.rows(example.frame..<(example.frame + 1)).reshaped(config.frameShape)
            let caption = decoder.decode(frame, strategy: .greedy, using: &generator)
            #expect(caption.tokens == example.tokens, "\(kind): frame \(example.frame)")
            #expect(caption.finished)
        }
    }

    @Test func attentionLearnsToLook() throws {
        let positions = 6
        let config = CaptionerConfig(kind: .showAttendTell, vocabularySize: 4 + positions, embeddingSize: 8, hiddenSize: 16,
                                     attentionSize: 16, annotationCount: positions, featureSize: positions + 4,
                                     dropout: 0, attentionPenalty: 0)
        let train = markerData(count: 512, positions: positions, seed: 60)
        let heldOut = markerData(count: 100, positions: positions, seed: 61)
        var generator = SplitMix64(seed: 62)
        let trainer = Trainer(model: CaptionModel(config: config, using: &generator),
                              options: TrainerOptions(batchSize: 32, learningRate: 1e-2, epochs: 30, patience: 30, seed: 2))
        let result = try trainer.train(train.data)
        let decoder = Decoder(model: result.model, maxLength: 3)
        var looked = 0, correct = 0
        for (n, p) in heldOut.marked.enumerated() {
            let frame = heldOut.data.features.rows(n..<(n + 1)).reshaped(config.frameShape)
            let caption = decoder.decode(frame, strategy: .greedy, using: &generator)
            let alpha = try #require(caption.attention?.first)
            #expect(alpha.count == positions)
            if alpha[p] > 0.5 { looked += 1 }
            if caption.tokens == [4 + p] { correct += 1 }
        }
        #expect(looked > 90, "α > 0.5 on the marked position for \(looked) of 100 held-out frames")
        #expect(correct > 90, "\(correct) of 100 held-out captions right")
    }

    @Test("a model with context learns to answer the thread: the caption is the word the comments on screen repeat, which the picture does not show",
          arguments: CaptionerKind.allCases)
    func contextLearnsTheThread(kind: CaptionerKind) throws {
        let words = 6
        func threadData(count: Int, seed: UInt64, config: CaptionerConfig) -> (data: CaptionDataset, words: [Int]) {
            var generator = SplitMix64(seed: seed)
            let features = Tensor(shape: [count] + config.frameShape, uniform: -1...1, using: &generator)
            var examples: [CaptionExample] = [], answers: [Int] = []
            for n in 0..<count {
                let word = 4 + Int.random(in: 0..<words, using: &generator), other = 4 + Int.random(in: 0..<words, using: &generator)
                // The wave, with an unrelated comment before it.
                examples.append(CaptionExample(frame: n, tokens: [word], context: [[other, 4 + words], [word, word, word]]))
                answers.append(word)
            }
            return (CaptionDataset(features: features, examples: examples), answers)
        }
        var accuracy: [Int: Int] = [:]
        for context in [0, 16] {
            let config = CaptionerConfig(kind: kind, vocabularySize: 5 + words, embeddingSize: 16, hiddenSize: 32, attentionSize: 16,
                                         annotationCount: 4, featureSize: 8, dropout: 0, attentionPenalty: 0, contextSize: context)
            let train = threadData(count: 512, seed: 70, config: config), heldOut = threadData(count: 100, seed: 71, config: config)
            var generator = SplitMix64(seed: 72)
            let trainer = Trainer(model: CaptionModel(config: config, using: &generator),
                                  options: TrainerOptions(batchSize: 32, learningRate: 1e-2, epochs: 20, patience: 20, seed: 3))
            let decoder = Decoder(model: try trainer.train(train.data).model, maxLength: 3)
            accuracy[context] = heldOut.data.examples.indices.filter { n in
                let frame = heldOut.data.features.rows(n..<(n + 1)).reshaped(config.frameShape)
                let example = heldOut.data.examples[n]
                return decoder.decode(frame, context: example.context, strategy: .greedy, using: &generator).tokens == [heldOut.words[n]]
            }.count
        }
        #expect(accuracy[16]! > 90, "\(kind) with context: \(accuracy[16]!) of 100 held-out captions right")
        #expect(accuracy[0]! < 40, "\(kind) without context: \(accuracy[0]!) of 100 (chance: 1 in \(words))")
    }

    @Test("context swap teaches the picture to win: trained where picture and thread always agree, only a model that was also shown other captions' contexts follows the picture when they disagree")
    func contextSwapTeachesThePictureToWin() throws {
        let words = 6
        // The caption is the word the picture shows (a noisy one-hot) and the thread repeats.
        func agreeing(count: Int, seed: UInt64, conflicting: Bool) -> (data: CaptionDataset, words: [Int]) {
            var generator = SplitMix64(seed: seed)
            var features = Tensor(shape: [count, words + 2])
            var examples: [CaptionExample] = [], shown: [Int] = []
            for n in 0..<count {
                let word = Int.random(in: 0..<words, using: &generator)
                var spoken = word
                while conflicting && spoken == word { spoken = Int.random(in: 0..<words, using: &generator) }
                for d in 0..<(words + 2) { features.storage[n * (words + 2) + d] = 0.2 * generator.nextGaussian() }
                features.storage[n * (words + 2) + word] += 1
                examples.append(CaptionExample(frame: n, tokens: [4 + word], context: [[4 + spoken, 4 + spoken]]))
                shown.append(4 + word)
            }
            return (CaptionDataset(features: features, examples: examples), shown)
        }
        let train = agreeing(count: 512, seed: 73, conflicting: false), heldOut = agreeing(count: 100, seed: 74, conflicting: true)
        var followsPicture: [Float: Int] = [:]
        for swap: Float in [0, 0.5] {
            let config = CaptionerConfig(kind: .showAndTell, vocabularySize: 4 + words, embeddingSize: 16, hiddenSize: 32,
                                         attentionSize: 16, annotationCount: 1, featureSize: words + 2, dropout: 0,
                                         attentionPenalty: 0, contextSize: 16)
            var generator = SplitMix64(seed: 75)
            let trainer = Trainer(model: CaptionModel(config: config, using: &generator),
                                  options: TrainerOptions(batchSize: 32, learningRate: 1e-2, epochs: 20, patience: 20, seed: 4,
                                                          contextDropout: 0, contextSwap: swap))
            let decoder = Decoder(model: try trainer.train(train.data).model, maxLength: 3)
            followsPicture[swap] = heldOut.data.examples.indices.filter { n in
                let frame = heldOut.data.features.rows(n..<(n + 1)).reshaped(config.frameShape)
                return decoder.decode(frame, context: heldOut.data.examples[n].context, strategy: .greedy, using: &generator).tokens
                    == [heldOut.words[n]]
            }.count
        }
        #expect(followsPicture[0.5]! > 90, "with swap: \(followsPicture[0.5]!) of 100 conflicting captions follow the picture")
        #expect(followsPicture[0]! < 75, "without swap: \(followsPicture[0]!) of 100 follow the picture (the thread is the easier cue)")
    }

    @Test("the model follows its gate only where the gate judges unseen dev captions' threads better than chance: where the thread says what the picture shows, not where the two are unrelated")
    func theGateIsTrustedOnlyWhereItJudgesTheDevBlocks() throws {
        let words = 6
        // The caption is the word the picture shows; the thread repeats it, or a word of its own.
        func data(count: Int, seed: UInt64, related: Bool) -> CaptionDataset {
            var generator = SplitMix64(seed: seed)
            var features = Tensor(shape: [count, words + 2])
            var examples: [CaptionExample] = []
            for n in 0..<count {
                let word = Int.random(in: 0..<words, using: &generator), spoken = Int.random(in: 0..<words, using: &generator)
                for d in 0..<(words + 2) { features.storage[n * (words + 2) + d] = 0.2 * generator.nextGaussian() }
                features.storage[n * (words + 2) + word] += 1
                let thread = related ? word : spoken
                examples.append(CaptionExample(frame: n, tokens: [4 + word], context: [[4 + thread, 4 + thread]]))
            }
            return CaptionDataset(features: features, examples: examples)
        }
        for related in [true, false] {
            let config = CaptionerConfig(kind: .showAndTell, vocabularySize: 4 + words, embeddingSize: 16, hiddenSize: 32,
                                         attentionSize: 16, annotationCount: 1, featureSize: words + 2, dropout: 0,
                                         attentionPenalty: 0, contextSize: 16, contextGate: true, contextMatch: 1)
            var generator = SplitMix64(seed: 76)
            let trainer = Trainer(model: CaptionModel(config: config, using: &generator),
                                  options: TrainerOptions(batchSize: 32, learningRate: 1e-2, epochs: 15, patience: 15, seed: 5,
                                                          contextDropout: 0, contextSwap: 0.5))
            let result = try trainer.train(data(count: 512, seed: 77, related: related), dev: data(count: 120, seed: 78, related: related))
            let best = result.history.first { $0.epoch == result.bestEpoch }!
            let auc = try #require(best.gateAgreement)
            if related {
                #expect(auc > 0.8 && result.model.config.contextTrust == 1, "related: dev AUC \(auc)")
            } else {
                #expect(auc < 0.6 && result.model.config.contextTrust == 0, "unrelated: dev AUC \(auc)")
            }
        }
    }

    @Test(arguments: CaptionerKind.allCases)
    func resumeIsBitwiseEqualToAnUninterruptedRun(kind: CaptionerKind) throws {
        let config = tinyConfig(kind, vocabulary: 12)
        let data = overfitData(config)
        let dev = CaptionDataset(features: data.features, examples: Array(data.examples.prefix(2)))
        var generator = SplitMix64(seed: 70)
        let initial = CaptionModel(config: config, using: &generator)
        let options = TrainerOptions(batchSize: 3, learningRate: 1e-2, epochs: 3, patience: 10, seed: 7)

        let straight = try Trainer(model: initial, options: options).train(data, dev: dev)
        let directory = try TemporaryDirectory()
        var first = options
        first.epochs = 2
        first.checkpointDirectory = directory.path
        _ = try Trainer(model: initial, options: first).train(data, dev: dev)
        #expect(try directory.contents() == ["checkpoint.json", "checkpoint.safetensors"])
        let resumed = try Trainer.resume(from: directory.path, options: { var o = first; o.epochs = 3; return o }())
        let finished = try resumed.train(data, dev: dev)

        #expect(finished.history == straight.history)
        #expect(resumed.model.config == config)
        let a = finished.model.parameters, b = straight.model.parameters
        for name in CaptionModel.parameterNames(kind) {
            #expect(a[name]!.storage.map(\.bitPattern) == b[name]!.storage.map(\.bitPattern), "\(kind) \(name) differs after resume")
        }
    }

    @Test("a checkpoint whose tensors hold NaN, infinity or a negative second moment is refused, naming the tensor")
    func damagedCheckpointIsRefused() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 71)
        let directory = try TemporaryDirectory()
        _ = try Trainer(model: CaptionModel(config: config, using: &generator),
                        options: TrainerOptions(batchSize: 3, epochs: 1, checkpointDirectory: directory.path)).train(data)
        let path = directory.file("checkpoint.safetensors")
        let file = try SafeTensorsFile(path: path)
        let saved = try file.tensors(), metadata = file.metadata
        _ = try Trainer.resume(from: directory.path)  // the undamaged checkpoint resumes
        for (name, value) in [("adam.m/image.weight", Float.nan), ("best/image.weight", .infinity), ("adam.v/image.weight", -1)] {
            var tensors = saved
            tensors[name]!.storage[0] = value
            try SafeTensors.write(tensors, metadata: metadata, to: path)
            let reason = value < 0 ? "tensor \(name), a second moment, holds a negative value" : "tensor \(name) holds NaN or infinity"
            #expect(throws: CaptionerError.badCheckpoint(path: path, reason: reason)) { try Trainer.resume(from: directory.path) }
        }
    }

    @Test func stopsEarlyAndKeepsTheBestWeights() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12, dropout: 0)
        let data = overfitData(config)
        // A dev set the training data cannot help with: its loss rises as training overfits.
        let dev = CaptionDataset(features: random([4, 4], seed: 80),
                                 examples: [(frame: 0, tokens: [11, 11, 11]), (frame: 1, tokens: [8, 8]), (frame: 2, tokens: [9])])
        var generator = SplitMix64(seed: 81)
        let result = try Trainer(model: CaptionModel(config: config, using: &generator),
                                 options: TrainerOptions(batchSize: 4, learningRate: 3e-2, epochs: 200, patience: 3, seed: 3))
            .train(data, dev: dev)
        #expect(result.stop == .earlyStopped)
        #expect(result.history.count == result.bestEpoch + 3)
        let bestDev = try #require(result.history.map(\.devLoss).min())
        #expect(abs(Trainer.crossEntropy(of: result.model, on: dev) - bestDev) < 1e-6, "the returned weights are the best epoch's")
    }

    @Test("early stopping counts optimiser steps: not before min_steps, and only once the best is patience_steps old")
    func stopsEarlyByStepsAndNotBeforeTheMinimum() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12, dropout: 0)
        let data = overfitData(config)
        let dev = CaptionDataset(features: random([4, 4], seed: 80),
                                 examples: [(frame: 0, tokens: [11, 11, 11]), (frame: 1, tokens: [8, 8]), (frame: 2, tokens: [9])])
        var generator = SplitMix64(seed: 81)
        let model = CaptionModel(config: config, using: &generator)
        // overfitData has 4 captions: 2 steps per epoch at batch 2.
        let options = TrainerOptions(batchSize: 2, learningRate: 3e-2, epochs: 500, patience: 1, seed: 3,
                                     patienceSteps: 20, minSteps: 90)
        let result = try Trainer(model: model, options: options).train(data, dev: dev)
        #expect(result.stop == .earlyStopped)
        #expect(result.history.map(\.step) == result.history.indices.map { 2 * ($0 + 1) })
        let best = try #require(result.history.first { $0.epoch == result.bestEpoch })
        #expect(result.steps >= 90, "stopped at step \(result.steps), before min_steps")
        // The first epoch end at which both rules hold: 20 steps past the best, and step 90.
        #expect(result.steps - best.step >= 20 && result.steps < max(90, best.step + 20) + 2,
                "stopped at step \(result.steps), the best at \(best.step); patience is 20 steps, the minimum 90, an epoch 2")
        // Without the minimum the same run ends sooner (the dev loss rises from early on).
        let unbounded = try Trainer(model: model, options: { var o = options; o.minSteps = 0; return o }()).train(data, dev: dev)
        #expect(unbounded.steps < result.steps)
    }

    @Test("max_steps ends training mid-epoch at exactly that step; the warm-up ramps the learning rate")
    func stepLimitAndWarmUp() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 82)
        var steps: [Int] = []
        let result = try Trainer(model: CaptionModel(config: config, using: &generator),
                                 options: TrainerOptions(batchSize: 1, epochs: 50, seed: 5, maxSteps: 7))
            .train(data, progress: { steps.append($0.step) })
        #expect(result.stop == .stepLimit && result.steps == 7 && steps.last == 7)
        #expect(result.history.count == 1, "one whole epoch of 4 steps before the limit")
        let warm = TrainerOptions(learningRate: 1e-3, warmupSteps: 4)
        #expect([1, 2, 4, 5].map { warm.learningRate(atStep: $0) } == [2.5e-4, 5e-4, 1e-3, 1e-3])
    }

    @Test("max_seconds counts from the start of the run and ends training mid-epoch, after the batch that reaches it")
    func timeLimitEndsTrainingMidEpoch() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 83)
        let model = CaptionModel(config: config, using: &generator)
        // 4 steps an epoch; any time at all exceeds the cap, so the first batch reaches it.
        let capped = try Trainer(model: model, options: TrainerOptions(batchSize: 1, epochs: 50, seed: 6, maxSeconds: 1e-12))
            .train(data)
        #expect(capped.stop == .timeLimit && capped.steps == 1 && capped.history.isEmpty)
        // A cap far away never binds.
        let free = try Trainer(model: model, options: TrainerOptions(batchSize: 1, epochs: 2, seed: 6, maxSeconds: 3_600)).train(data)
        #expect(free.stop == .finished && free.steps == 8)
    }

    @Test func cancellationStopsAfterTheCurrentBatch() throws {
        let config = tinyConfig(.showAttendTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 90)
        var seen: [TrainingProgress] = []
        let result = try Trainer(model: CaptionModel(config: config, using: &generator),
                                 options: TrainerOptions(batchSize: 1, epochs: 5, seed: 4))
            .train(data, progress: { seen.append($0) }, shouldStop: { seen.count == 6 })
        #expect(result.stop == .cancelled)
        #expect(seen.count == 6)
        #expect(seen.last.map { ($0.epoch, $0.batch, $0.batchesPerEpoch, $0.step) } ?? (0, 0, 0, 0) == (2, 2, 4, 6))
        #expect(seen.allSatisfy { $0.loss.isFinite && $0.tokensPerSecond > 0 })
        #expect(result.bestEpoch == 1, "the best finished epoch's weights are kept")
    }

    @Test func divergenceStopsWithTheStepAndKeepsTheCheckpoint() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12)
        let data = overfitData(config)
        var generator = SplitMix64(seed: 91)
        var model = CaptionModel(config: config, using: &generator)
        var parameters = model.parameters
        parameters["image.weight"]!.storage[0] = .nan
        model = try CaptionModel(config: config, parameters: parameters)
        let directory = try TemporaryDirectory()
        let trainer = Trainer(model: model, options: TrainerOptions(batchSize: 4, epochs: 2, checkpointDirectory: directory.path))
        // The vectorised tanh clamps its input, so a NaN weight may reach the loss as a finite
        // value; the gradient norm catches it either way.
        do {
            _ = try trainer.train(data)
            Issue.record("training with a NaN weight succeeded")
        } catch let CaptionerError.nonFinite(step, epoch, _) {
            #expect(step == 1 && epoch == 1)
        }
        #expect(try directory.contents().isEmpty, "no checkpoint is written from a diverged step")
    }

    @Test func rejectsDataThatDoesNotFit() throws {
        let config = tinyConfig(.showAndTell, vocabulary: 12)
        var generator = SplitMix64(seed: 92)
        let trainer = Trainer(model: CaptionModel(config: config, using: &generator), options: TrainerOptions())
        let features = random([2, 4], seed: 93)
        #expect(throws: CaptionerError.invalidData("training example 1 refers to frame 5 of 2")) {
            try trainer.train(CaptionDataset(features: features, examples: [(frame: 0, tokens: [4]), (frame: 5, tokens: [4])]))
        }
        #expect(throws: CaptionerError.invalidData("training example 0 has token id 2 (allowed: 3..<12)")) {
            try trainer.train(CaptionDataset(features: features, examples: [(frame: 0, tokens: [4, 2])]))
        }
    }
}
