// Training speed of the captioning models at the article's sizes (vocabulary 30,000,
// embedding / LSTM / attention 256, annotations 196x512 or a 4096-d global vector, batch 256,
// 12 target tokens per caption), as tokens/s and matrix-product GFLOP/s against sgemm in the
// same run. Shapes follow ../shared/peers/bench_captioner.py. The real-length case trains on
// comment lengths drawn like a real Niconico thread, bucketed and not, and estimates one epoch
// of the article's 427,000 comments from its measured step time.
import Captioner
import Foundation
import Pipeline
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

    /// Token counts of real Niconico comments, as weights of lengths 1… (mean ≈ 4.3, a tail to
    /// 32): most comments are `wwww`, `8888`, `!?`, a few are long lines.
    static let realLengthWeights: [(lengths: ClosedRange<Int>, percent: Int)] = [
        (1...1, 28), (2...2, 20), (3...3, 14), (4...4, 9), (5...5, 6), (6...6, 5), (7...7, 4), (8...8, 3),
        (9...12, 5), (13...20, 4), (21...32, 2),
    ]

    /// One length drawn from `realLengthWeights`.
    static func realLength(using generator: inout SplitMix64) -> Int {
        var pick = Int.random(in: 0..<100, using: &generator)
        for (lengths, percent) in realLengthWeights {
            if pick < percent { return Int.random(in: lengths, using: &generator) }
            pick -= percent
        }
        return 1
    }

    /// Show, Attend and Tell at the article's sizes on `batches` batches of real-length
    /// comments, one epoch in each of three ways from the same initial weights: bucketed (the
    /// default), unbucketed, and unbucketed with every step run on the whole batch (`padded`,
    /// the computation before steps ran only on the captions still going). Reports real
    /// tokens/s (non-padding targets over wall time), padded-step share, peak RSS, and the
    /// estimate of one epoch of the article's dataset from a fit `batch seconds = fixed +
    /// per-row × rows computed` (the real tokens, or steps × B in the padded computation).
    static func realLengths(vocabulary: Int = 30_000, batch: Int = 256, batches: Int = 16) {
        let config = CaptionerConfig(kind: .showAttendTell, vocabularySize: vocabulary, annotationCount: 196, featureSize: 512)
        var generator = SplitMix64(seed: 3)
        let model = CaptionModel(config: config, using: &generator)
        var features = Tensor(shape: [batch] + config.frameShape)
        for i in features.storage.indices { features.storage[i] = max(0, generator.nextGaussian()) }
        let examples = (0..<(batch * batches)).map { n in
            CaptionExample(frame: n % batch, tokens: (0..<realLength(using: &generator)).map { _ in Int.random(in: 4..<vocabulary, using: &generator) })
        }
        let data = CaptionDataset(features: features, examples: examples)
        let meanLength = Double(examples.map(\.tokens.count).reduce(0, +)) / Double(examples.count)
        var rates: [String: Double] = [:]
        for (name, bucket, packs) in [("bucketed", true, true), ("unbucketed", false, true), ("padded", false, false)] {
            var records: [TrainingProgress] = []
            let trainer = Trainer(model: model, options: TrainerOptions(batchSize: batch, epochs: 1, seed: 1, bucketByLength: bucket))
            trainer.packsRows = packs
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try trainer.train(data, progress: { records.append($0) })
            } catch {
                FileHandle.standardError.write(Data("danmaku-bench: captioner real lengths: \(error)\n".utf8))
                return
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let tokens = records.reduce(0) { $0 + $1.tokens }
            let slots = records.reduce(0) { $0 + $1.steps } * batch
            let padded = 1 - Double(tokens) / Double(slots)
            let rate = Double(tokens) / seconds
            rates[name] = rate
            // A batch's time against the rows its steps compute: the real tokens when steps
            // run only on the captions still going, steps × B in the padded computation.
            let fit = fitBatchTime(records.map { (packs ? $0.tokens : $0.steps * batch, $0.seconds) })
            // The article: 427,000 comments of about 8 tokens (9 targets with <eos>), batch 256;
            // the padded computation pads as this run's unbucketed batches did.
            let articleBatches = (427_000 + batch - 1) / batch
            let articleRows = Double(9 * batch) / (packs ? 1 : 1 - padded)
            let epochSeconds = Double(articleBatches) * (fit.fixed + fit.perRow * articleRows)
            let arithmetic = String(format: "%d batches x (%.3f s + %.2f ms/row x %.0f rows) = %.0f s = %.1f min",
                                    articleBatches, fit.fixed, fit.perRow * 1000, articleRows, epochSeconds, epochSeconds / 60)
            Measure.report([
                "bench": "captioner_train_sat_real_lengths_" + name,
                "tokens_per_s": rate, "padded_share": padded,
                "mean_tokens": meanLength, "steps_total": slots / batch, "seconds": seconds,
                "batch_fixed_s": fit.fixed, "row_ms": fit.perRow * 1000,
                "article_epoch_min": epochSeconds / 60, "article_epoch_arithmetic": arithmetic,
                "peak_rss_mb": peakResidentMegabytes(), "vocab": vocabulary, "batch": batch, "batches": records.count,
            ])
        }
        if let bucketed = rates["bucketed"], let plain = rates["unbucketed"], let padded = rates["padded"] {
            Measure.report(["bench": "captioner_train_sat_real_lengths_speedup", "ratio": bucketed / padded,
                            "over_unbucketed": bucketed / plain, "bucketed_tokens_per_s": bucketed,
                            "unbucketed_tokens_per_s": plain, "padded_tokens_per_s": padded])
        }
    }

    /// The cost of reading the conversation: Show, Attend and Tell at the article's sizes on
    /// `batches` batches of real-length comments, each with 5 context comments of real lengths,
    /// trained one bucketed epoch with context (C = E = 256, the default; the recipe's gate,
    /// context dropout and swap) and without, from the same data. Reports both real tokens/s and their ratio (K = 0 over K = 5).
    static func context(vocabulary: Int = 30_000, batch: Int = 256, batches: Int = 8) {
        var generator = SplitMix64(seed: 4)
        func comment() -> [Int] { (0..<realLength(using: &generator)).map { _ in Int.random(in: 4..<vocabulary, using: &generator) } }
        let examples = (0..<(batch * batches)).map { n in CaptionExample(frame: n % batch, tokens: comment(), context: (0..<5).map { _ in comment() }) }
        var rates: [Int: Double] = [:]
        let recipe = Recipe()  // the product's gate, context dropout and swap
        for k in [0, 5] {
            let config = CaptionerConfig(kind: .showAttendTell, vocabularySize: vocabulary, annotationCount: 196, featureSize: 512,
                                         contextSize: k > 0 ? 256 : 0, contextGate: recipe.model.contextGate,
                                         contextMatch: Float(recipe.model.contextMatch))
            var initial = SplitMix64(seed: 3)
            let model = CaptionModel(config: config, using: &initial)
            var features = Tensor(shape: [batch] + config.frameShape)
            for i in features.storage.indices { features.storage[i] = max(0, initial.nextGaussian()) }
            let data = CaptionDataset(features: features, examples: k > 0 ? examples : examples.map { CaptionExample(frame: $0.frame, tokens: $0.tokens) })
            var tokens = 0
            let trainer = Trainer(model: model, options: TrainerOptions(batchSize: batch, epochs: 1, seed: 1,
                                                                        contextDropout: Float(recipe.training.contextDropout),
                                                                        contextSwap: Float(recipe.training.contextSwap)))
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try trainer.train(data, progress: { tokens += $0.tokens })
            } catch {
                FileHandle.standardError.write(Data("danmaku-bench: captioner context: \(error)\n".utf8))
                return
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            rates[k] = Double(tokens) / seconds
            Measure.report(["bench": "captioner_train_sat_context_k\(k)", "tokens_per_s": Double(tokens) / seconds, "seconds": seconds,
                            "context_comments": k, "vocab": vocabulary, "batch": batch, "batches": batches])
        }
        if let plain = rates[0], let context = rates[5] {
            Measure.report(["bench": "captioner_train_sat_context_cost", "ratio": plain / context,
                            "k0_tokens_per_s": plain, "k5_tokens_per_s": context, "target": 1.5])
        }
    }

    /// Least squares `seconds = fixed + perRow × rows` over the batches (the first, a warm-up, left out).
    static func fitBatchTime(_ batches: [(rows: Int, seconds: Double)]) -> (fixed: Double, perRow: Double) {
        let points = batches.dropFirst().map { (Double($0.rows), $0.seconds) }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
        let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        // Batches all but equally large: no slope to fit, the whole time is per row.
        guard sxx > 0.01 * mx * mx * n else { return (0, my / mx) }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
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

    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
