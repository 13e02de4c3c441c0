// Training speed of the captioning models at the article's sizes (vocabulary 30,000,
// embedding / LSTM / attention 256, annotations 196x512 or a 4096-d global vector, batch 256,
// 12 target tokens per caption), as tokens/s and matrix-product GFLOP/s against sgemm in the
// same run. Shapes follow ../shared/peers/bench_captioner.py.
import Captioner
import Foundation
import Tensor

enum CaptionerBench {
    /// Trains `batches` batches (the first a warm-up) and reports the median tokens/s.
    static func run(kind: CaptionerKind, vocabulary: Int = 30_000, batch: Int = 256, tokens: Int = 11, batches: Int = 4) {
        let sgemm = sgemmGFLOPs()
        let config = CaptionerConfig(kind: kind, vocabularySize: vocabulary, annotationCount: 196,
                                     featureSize: kind == .showAttendTell ? 512 : 4096)
        var generator = SplitMix64(seed: 1)
        let model = CaptionModel(config: config, using: &generator)
        let frames = batch
        var features = Tensor(shape: [frames] + config.frameShape)
        for i in features.storage.indices { features.storage[i] = max(0, generator.nextGaussian()) }
        let examples = (0..<(batch * batches)).map { n in
            CaptionExample(frame: n % frames, tokens: (0..<tokens).map { _ in Int.random(in: 4..<vocabulary, using: &generator) })
        }
        var rates: [Double] = []
        let trainer = Trainer(model: model, options: TrainerOptions(batchSize: batch, epochs: 1, seed: 1))
        do {
            _ = try trainer.train(CaptionDataset(features: features, examples: examples), progress: { rates.append($0.tokensPerSecond) })
        } catch {
            FileHandle.standardError.write(Data("danmaku-bench: captioner: \(error)\n".utf8))
            return
        }
        let measured = rates.dropFirst().sorted()
        let median = measured[measured.count / 2]
        let flops = matrixFLOPs(config, batch: batch, steps: tokens + 1)
        let secondsPerBatch = Double(batch * (tokens + 1)) / median
        Measure.report([
            "bench": kind == .showAttendTell ? "captioner_train_show_attend_tell" : "captioner_train_show_and_tell",
            "tokens_per_s": median, "gflops": flops / secondsPerBatch / 1e9, "sgemm_gflops": sgemm,
            "batch_s": secondsPerBatch, "vocab": vocabulary, "batch": batch, "tokens": tokens + 1,
            "peak_rss_mb": peakResidentMegabytes(), "threads": BLAS.threadCount, "blas_core": BLAS.coreName, "runs": measured.count,
        ])
    }

    /// Matrix-product FLOPs of one training batch (forward and backward; elementwise work not counted).
    static func matrixFLOPs(_ c: CaptionerConfig, batch b: Int, steps t: Int) -> Double {
        let v = Double(c.vocabularySize), e = Double(c.embeddingSize), h = Double(c.hiddenSize)
        let a = Double(c.attentionSize), d = Double(c.featureSize), l = Double(c.annotationCount)
        let bd = Double(b), td = Double(t)
        let rows: Double = bd * td
        let deepInput: Double = h + e + (c.kind == .showAttendTell ? d : 0)
        var flops: Double = 6 * rows * e * v                         // vocabulary projection
        flops += 6 * rows * deepInput * e                            // deep output layer
        if c.kind == .showAttendTell {
            flops += 6 * rows * (e + d + h) * 4 * h                  // LSTM
            flops += 4 * bd * l * d * a                              // W_a·a and its weight gradient, once
            let perStep: Double = 6 * bd * h * a + 4 * bd * l * d    // U_a·h, Σα·a and its gradient
            flops += td * perStep
        } else {
            flops += 6 * (rows + bd) * (e + h) * 4 * h               // LSTM, image step included
            flops += 4 * bd * d * e                                  // image projection
        }
        return flops
    }

    private static func sgemmGFLOPs() -> Double {
        let n = 1024
        var generator = SplitMix64(seed: 2)
        let a = Tensor(shape: [n, n], uniform: -1...1, using: &generator)
        var c = Tensor(shape: [n, n])
        let seconds = Measure.median(runs: 5) {
            c = Tensor.matmul(a, a)
            blackHole(c)
        }
        return 2 * Double(n * n * n) / seconds / 1e9
    }

    private static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
