// `danmaku features` on the built binary: real weights, the sample clip, the cache, bad input.
import Foundation
import Tensor
import TestSupport
import Testing

@Suite struct FeaturesCLITests {
    let clip = Project.sample("other.mp4")
    let weights = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].map { $0 + "/danmaku/weights/hed_bsds500.weights.h5" }
        ?? NSHomeDirectory() + "/.cache/danmaku/weights/hed_bsds500.weights.h5"

    private func environment(cache: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cache
        return environment
    }

    private static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for (x, y) in zip(a, b) { dot += x * y; na += x * x; nb += y * y }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func extractsWritesAndCaches() throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("other.safetensors")
        let arguments = ["features", clip, "--fps", "0.25", "--layer", "pool5mean", "--weights", weights, "-o", output]
        let first = try runDanmaku(arguments, environment: environment(cache: directory.path))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("features  pool5mean [12, 512], computed"))
        #expect(first.stderr.contains("12/12 frames"), "a progress bar on stderr")

        let file = try SafeTensorsFile(path: output)
        let features = try file.tensor("features")
        #expect(features.shape == [12, 512])
        let expectedTimes: [Float] = (0..<12).map { Float($0) * 4 }
        #expect(try file.tensor("times").storage == expectedTimes)
        #expect(file.metadata["extractor"] == "vgg16-hed-keras3-4502df9d0a888739")

        // Samples at 0 and 4 s share a scene (8 s long); 0 and 8 s do not. The picture must
        // show in the features: same-scene frames are more alike than frames of two scenes.
        // Cosines of the rows centred on their mean (ReLU features are all positive, so raw
        // cosines sit near 1 for any two pictures).
        var mean = [Float](repeating: 0, count: 512)
        for i in 0..<12 { for c in 0..<512 { mean[c] += features.storage[i * 512 + c] / 12 } }
        let rows = (0..<12).map { i in ArraySlice((0..<512).map { features.storage[i * 512 + $0] - mean[$0] }) }
        var sameScene: [Float] = [], otherScene: [Float] = []
        for i in stride(from: 0, to: 12, by: 2) {
            sameScene.append(Self.cosine(rows[i], rows[i + 1]))
            if i + 2 < 12 { otherScene.append(Self.cosine(rows[i], rows[i + 2])) }
        }
        let sameMean: Float = sameScene.reduce(0, +) / Float(sameScene.count)
        let otherMean: Float = otherScene.reduce(0, +) / Float(otherScene.count)
        #expect(sameMean > otherMean + 0.3, "same scene \(sameScene), other scenes \(otherScene)")

        let second = try runDanmaku(arguments, environment: environment(cache: directory.path))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("features  pool5mean [12, 512], from the cache"))
        let again = try SafeTensorsFile(path: output).tensor("features")
        expectClose(again, features, rtol: 1e-3, atol: 1e-6)
        let cached = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/danmaku/features")
        #expect(cached.count == 1 && cached[0].hasSuffix(".safetensors"), "\(cached)")
    }

    @Test func conv5_3GivesAnnotationMaps() throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("maps.safetensors")
        let result = try runDanmaku(["features", clip, "--fps", "0.05", "--weights", weights, "--no-cache", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try SafeTensorsFile(path: output).tensor("features").shape == [3, 196, 512])
    }

    @Test func badInputIsOneErrorLine() throws {
        let directory = try TemporaryDirectory()
        let cases: [([String], [String: String]?, Int32, String)] = [
            (["features", directory.file("missing.mp4"), "--weights", weights], nil, 1, "missing.mp4: cannot open"),
            (["features", clip], environment(cache: directory.path), 1, "run `make weights` or pass `--weights"),
            (["features", clip, "--weights", Project.sample("other.xml")], nil, 1, "other.xml: cannot read weights"),
            (["features", clip, "--weights", weights, "--layer", "relu7"], nil, 1, "relu7 is unavailable"),
            (["features", clip, "--image-size", "300"], nil, 64, "--image-size must be 224 or 448"),
            (["features", clip, "--layer", "fc8"], nil, 64, "fc8"),
        ]
        for (arguments, environment, status, message) in cases {
            let result = try runDanmaku(arguments, environment: environment)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("danmaku: error: ") && lines[0].contains(message),
                    "\(arguments): \(result.stderr)")
        }
    }
}
