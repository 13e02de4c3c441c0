// Video → sampled frames (Media) → VGG features (Features), through the on-disk cache.
import Features
import Foundation
import Media
import Tensor

/// What to extract from one video.
public struct FeatureRequest: Sendable {
    /// The video file.
    public var video: String
    /// Frames sampled per second.
    public var fps: Double = 2
    public var network: Recipe.Features.Network = .vgg16
    public var layer: FeatureLayer = .conv5_3
    public var imageSize: Int = 224
    public var scaleMode: ScaleMode = .stretch
    /// A weights file, or nil for the default weights (`make weights`).
    public var weights: String?
    /// Read and write the feature cache.
    public var useCache: Bool = true
    /// Images per VGG batch.
    public var batchSize: Int = 8
    /// Samples whose pictures are kept in `VideoFeatures.pictures` (the training report's
    /// frames): taken from the one decoding pass, or read in one pass when the features come
    /// from the cache.
    public var pictures: Set<Int> = []

    public init(video: String) { self.video = video }

    /// The request a recipe describes for `video`.
    public init(video: String, recipe: Recipe) {
        self.video = video
        fps = recipe.video.fps
        network = recipe.features.network
        layer = recipe.features.layer
        imageSize = recipe.video.imageSize
        scaleMode = recipe.video.scaleMode
        weights = recipe.features.weights == "default" ? nil : recipe.features.weights
    }
}

/// The features of one video.
public struct VideoFeatures: Sendable {
    /// `[N, L, D]` for conv layers, `[N, G]` for global ones; row k is the frame at k / fps.
    public var features: Tensor
    /// The sample rate the rows were taken at.
    public var fps: Double
    /// The video's duration in seconds.
    public var duration: Double
    /// Names the network and its weights (`vgg16-hed-keras3-4502df9d0a888739`).
    public var extractorID: String
    /// The SHA-256 of the weights file.
    public var weightsSHA256: String
    /// Whether the rows came from the cache (nothing was computed).
    public var cached: Bool
    /// The cache file holding them (nil when the cache was not used).
    public var cachePath: String?
    /// The RGB24 pictures (`imageSize² × 3` bytes) of the samples `FeatureRequest.pictures` names.
    public var pictures: [Int: [UInt8]] = [:]

    /// The number of sampled frames.
    public var frameCount: Int { features.shape[0] }
}

/// Failures of a pipeline stage that are not any one module's.
public enum PipelineError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The video has no frame to sample at the requested rate.
    case noFrames(path: String, fps: Double)
    /// The user pressed Ctrl-C; nothing half-done was written.
    case interrupted(stage: String)
    /// A generic problem with one file.
    case invalidInput(path: String, reason: String)
    /// Training stopped being finite (`reason`); a bundle resumed from is left as it was.
    case diverged(bundle: String, reason: String, resumed: Bool)

    public var description: String {
        switch self {
        case let .noFrames(path, fps): "\(path): no frame to sample at \(fps) fps"
        case let .interrupted(stage): "interrupted during \(stage); nothing partial was written"
        case let .invalidInput(path, reason): "\(path): \(reason)"
        case let .diverged(bundle, reason, resumed):
            "\(bundle): \(reason); \(resumed ? "the bundle is left as it was" : "no bundle was written")"
        }
    }

    public var errorDescription: String? { description }
}

/// Extracts VGG features from a video's sampled frames.
public enum FeaturePipeline {
    /// The features of `request.video`: from the cache when the same video, weights, layer,
    /// image size, scale mode and fps were seen before, else computed (and stored).
    ///
    /// - Parameters:
    ///   - progress: called with (frames done, frames in all) while computing.
    ///   - shouldStop: checked after every batch; when true the run stops with
    ///     `PipelineError.interrupted` and nothing is cached.
    /// - Throws: `MediaError` for the video, `WeightsError`/`FeaturesError` for the weights,
    ///   `PipelineError` when there is no frame or the run was interrupted.
    public static func extract(_ request: FeatureRequest,
                               progress: (Int, Int) -> Void = { _, _ in },
                               shouldStop: () -> Bool = { false }) throws -> VideoFeatures {
        let reader = try VideoReader(path: request.video)
        let total = reader.sampleCount(fps: request.fps)
        guard total > 0 else { throw PipelineError.noFrames(path: request.video, fps: request.fps) }
        let extractor = try FeatureExtractor(weights: request.weights, config: request.network.config,
                                             layer: request.layer,
                                             imageSize: request.imageSize)
        var result = VideoFeatures(features: Tensor(shape: [0]), fps: request.fps, duration: reader.probe.videoDuration,
                                   extractorID: extractor.extractorID, weightsSHA256: extractor.weightsSHA256,
                                   cached: false, cachePath: nil)
        if request.useCache {
            let key = FeatureCacheKey(videoSHA256: try SHA256.hash(fileAt: request.video),
                                      weightsSHA256: extractor.weightsSHA256, layer: extractor.layer,
                                      imageSize: request.imageSize, scaleMode: request.scaleMode.rawValue, fps: request.fps)
            let cache = FeatureCache()
            let (features, cached) = try cache.features(for: key) {
                try computeFeatures(reader: reader, extractor: extractor, request: request, total: total,
                                    pictures: &result.pictures, progress: progress, shouldStop: shouldStop)
            }
            result.features = features
            result.cached = cached
            result.cachePath = cache.path(for: key)
            if cached && !request.pictures.isEmpty {
                result.pictures = try pictures(request.pictures, of: reader, fps: request.fps, size: request.imageSize,
                                               mode: request.scaleMode)
            }
        } else {
            result.features = try computeFeatures(reader: reader, extractor: extractor, request: request, total: total,
                                                  pictures: &result.pictures, progress: progress, shouldStop: shouldStop)
        }
        return result
    }

    /// The RGB24 pictures of `samples` (sample k at k / `fps` seconds), read in one pass.
    ///
    /// - Throws: `MediaError` for the video.
    static func pictures(_ samples: Set<Int>, of reader: VideoReader, fps: Double, size: Int,
                         mode: ScaleMode) throws -> [Int: [UInt8]] {
        var pictures: [Int: [UInt8]] = [:]
        guard !samples.isEmpty else { return pictures }
        try reader.sampleFrames(fps: fps, size: size, mode: mode) { frame in
            if samples.contains(frame.index) { pictures[frame.index] = frame.rgb }
        }
        return pictures
    }

    private static func computeFeatures(reader: VideoReader, extractor: FeatureExtractor, request: FeatureRequest,
                                        total: Int, pictures: inout [Int: [UInt8]], progress: (Int, Int) -> Void,
                                        shouldStop: () -> Bool) throws -> Tensor {
        let rowShape = extractor.featureShape
        let rowSize = Tensor.elementCount(rowShape)
        var storage = [Float]()
        storage.reserveCapacity(total * rowSize)
        var batch: [[UInt8]] = []
        var done = 0
        progress(0, total)
        func flush() throws {
            guard !batch.isEmpty else { return }
            let features = try extractor.features(rgbBatch: batch)
            storage += features.storage
            done += batch.count
            batch.removeAll(keepingCapacity: true)
            progress(done, total)
            if shouldStop() { throw PipelineError.interrupted(stage: "feature extraction") }
        }
        try reader.sampleFrames(fps: request.fps, size: request.imageSize,
                                mode: request.scaleMode) { frame in
            if request.pictures.contains(frame.index) { pictures[frame.index] = frame.rgb }
            batch.append(frame.rgb)
            if batch.count == request.batchSize { try flush() }
        }
        try flush()
        return Tensor(shape: [done] + rowShape, storage: storage)
    }
}

extension VideoFeatures {
    /// Writes the features as safetensors (atomically): `features` (`[N, …]`) and `times`
    /// (`[N]`, seconds), with the extractor, weights hash and fps as metadata.
    public func write(to path: String) throws {
        let times = Tensor(shape: [frameCount], storage: (0..<frameCount).map { Float(Double($0) / fps) })
        try SafeTensors.write(["features": features, "times": times],
                              metadata: ["extractor": extractorID, "weights_sha256": weightsSHA256,
                                         "fps": String(fps), "duration": String(duration)],
                              to: path)
    }
}
