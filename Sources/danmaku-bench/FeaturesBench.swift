// VGG16 → conv5_3 at batch 8, 224x224, on each convolution path, against an sgemm measured in
// the same run. Throughput is stated as images/s and as direct-convolution GFLOP/s (the
// 30.7 GFLOP per image a direct convolution needs, whatever the algorithm does), so the
// Winograd paths can exceed the sgemm ceiling.
import Features
import Foundation
import Tensor

enum FeaturesBench {
    /// One JSON line per algorithm: images/s, equivalent GFLOP/s, its fraction of the sgemm
    /// GFLOP/s, CPU seconds per image (all threads), and the peak RSS so far.
    static func run(batch: Int = 8, imageSize: Int = 224, runs: Int = 3) {
        let sgemm = sgemmGFLOPS(m: 2048, n: 2048, k: 2048)
        let weights = loadWeights()
        var rng = SplitMix64(seed: 1)
        let frames = (0..<batch).map { _ in (0..<(imageSize * imageSize * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let flopsPerImage = directFLOPs(VGGConfig.vgg16, imageSize: imageSize)
        for algorithm in ConvolutionAlgorithm.allCases {
            guard let extractor = try? FeatureExtractor(weights: weights.weights, layer: .conv5_3, imageSize: imageSize, algorithm: algorithm)
            else { continue }
            let cpuBefore = cpuSeconds()
            let seconds = Measure.median(runs: runs) { blackHole(try? extractor.features(rgbBatch: frames)) }
            let cpuPerImage = (cpuSeconds() - cpuBefore) / Double((runs + 1) * batch)
            let imagesPerSecond = Double(batch) / seconds
            let gflops = imagesPerSecond * flopsPerImage / 1e9
            Measure.report(["bench": "vgg16_conv5_3_b\(batch)_\(imageSize)_\(algorithm.rawValue)",
                            "images_per_s": imagesPerSecond, "direct_gflops": gflops,
                            "sgemm_gflops": sgemm, "fraction_of_sgemm": gflops / sgemm,
                            "cpu_seconds_per_image": cpuPerImage,
                            "peak_rss_mb": peakRSSMegabytes(), "weights": weights.name,
                            "threads": BLAS.threadCount, "runs": runs])
        }
    }

    /// The default weights when fetched (`make weights`), else random ones (speed is the same).
    private static func loadWeights() -> (weights: VGGWeights, name: String) {
        if let weights = try? VGGWeights.load(path: FeatureExtractor.defaultWeightsPath) { return (weights, "hed") }
        var rng = SplitMix64(seed: 2)
        return (VGGWeights.random(config: .vgg16, using: &rng), "random")
    }

    /// `Σ 2·9·in·out·H·W` over the convolutions up to the last one.
    static func directFLOPs(_ config: VGGConfig, imageSize: Int) -> Double {
        var side = imageSize, total = 0.0
        var convolutions = config.convolutions[...]
        for step in config.steps {
            switch step {
            case .conv:
                let c = convolutions.removeFirst()
                total += 18 * Double(c.inChannels * c.outChannels * side * side)
            case .pool: side /= 2
            }
        }
        return total
    }

    /// GFLOP/s of `C[m,n] = A[m,k]·B[k,n]`, median of 5 (the reference line is `sgemm`'s own case).
    private static func sgemmGFLOPS(m: Int, n: Int, k: Int) -> Double {
        var rng = SplitMix64(seed: 1)
        let a = Tensor(shape: [m, k], uniform: -1...1, using: &rng), b = Tensor(shape: [k, n], uniform: -1...1, using: &rng)
        let seconds = Measure.median(runs: 5) { blackHole(Tensor.matmul(a, b)) }
        return 2 * Double(m * n * k) / seconds / 1e9
    }

    /// User + system CPU seconds of this process so far (every thread): unlike wall time, it
    /// barely moves when other processes share the cores.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The largest resident set of this process so far, in MiB (`getrusage`'s `ru_maxrss`, KiB on Linux).
    private static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
