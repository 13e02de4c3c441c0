// Features computed once per (video, weights, layer, image size, scale mode, fps), kept as
// safetensors in the user cache so training the same video again computes nothing.
import Foundation
import Logging
import Tensor

/// Everything a cached feature tensor depends on; a change in any field is another entry.
public struct FeatureCacheKey: Sendable, Hashable {
    /// SHA-256 of the video file's bytes (`SHA256.hash(fileAt:)`).
    public var videoSHA256: String
    /// SHA-256 of the weights file (`FeatureExtractor.weightsSHA256`).
    public var weightsSHA256: String
    /// The layer extracted.
    public var layer: FeatureLayer
    /// The side of the square frames fed to the network, in pixels.
    public var imageSize: Int
    /// How frames were brought to the square (named by the caller: `stretch`, `crop`, …).
    public var scaleMode: String
    /// Frames sampled per second of video.
    public var fps: Double

    public init(videoSHA256: String, weightsSHA256: String, layer: FeatureLayer, imageSize: Int, scaleMode: String, fps: Double) {
        self.videoSHA256 = videoSHA256
        self.weightsSHA256 = weightsSHA256
        self.layer = layer
        self.imageSize = imageSize
        self.scaleMode = scaleMode
        self.fps = fps
    }

    /// The key as metadata strings, stored in the file and compared on every read.
    var metadata: [String: String] {
        ["video_sha256": videoSHA256, "weights_sha256": weightsSHA256, "layer": layer.rawValue,
         "image_size": String(imageSize), "scale_mode": scaleMode, "fps": String(fps)]
    }

    /// `<first 16 hex digits of the video hash>-<16 of the hash of the whole key>.safetensors`.
    var fileName: String {
        let canonical = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        return "\(videoSHA256.prefix(16))-\(SHA256.hash(Data(canonical.utf8)).prefix(16)).safetensors"
    }
}

/// A cache directory that cannot be created.
public struct FeatureCacheError: Error, CustomStringConvertible, LocalizedError {
    /// The directory.
    public var path: String
    /// The system's message.
    public var reason: String
    public var description: String { "\(path): cannot create the feature cache: \(reason)" }
    public var errorDescription: String? { description }
}

/// Feature tensors on disk, one safetensors file per key, written atomically and read back
/// memory-mapped.
public struct FeatureCache: Sendable {
    /// The directory holding the files.
    public let directory: String

    private static let logger = Logger(label: "danmaku.features")

    /// `$XDG_CACHE_HOME/danmaku/features` (`~/.cache/danmaku/features` by default).
    public static var defaultDirectory: String {
        (userCacheDirectory as NSString).appendingPathComponent("danmaku/features")
    }

    /// A cache in `directory` (created on the first store).
    public init(directory: String = FeatureCache.defaultDirectory) {
        self.directory = directory
    }

    /// The file that holds (or would hold) the features of `key`.
    public func path(for key: FeatureCacheKey) -> String {
        (directory as NSString).appendingPathComponent(key.fileName)
    }

    /// The cached features of `key`, or nil when there are none. A damaged file, or one whose
    /// stored key differs, counts as missing (with a warning) and is replaced on the next store.
    public func load(_ key: FeatureCacheKey) -> Tensor? {
        let path = path(for: key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let file = try SafeTensorsFile(path: path)
            guard file.metadata == key.metadata else {
                Self.logger.warning("\(path): cached features were made for another key; recomputing")
                return nil
            }
            return try file.tensor("features")
        } catch {
            Self.logger.warning("\(error); recomputing")
            return nil
        }
    }

    /// Writes `features` for `key` atomically, as float16 when that changes no value by more
    /// than 1e-3 relative (else float32).
    ///
    /// - Returns: the storage type used.
    /// - Throws: `FeatureCacheError` when the directory cannot be created, `AtomicFile.WriteError`
    ///   when the file cannot be written.
    @discardableResult
    public func store(_ features: Tensor, for key: FeatureCacheKey) throws -> SafeTensors.StorageType {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FeatureCacheError(path: directory, reason: (error as NSError).localizedDescription)
        }
        let storage: SafeTensors.StorageType = Self.survivesFloat16(features) ? .f16 : .f32
        try SafeTensors.write(["features": features], metadata: key.metadata, as: storage, to: path(for: key))
        return storage
    }

    /// The features of `key`: read from the cache, or made by `compute` and stored.
    ///
    /// - Returns: the features and whether they came from the cache.
    public func features(for key: FeatureCacheKey, compute: () throws -> Tensor) throws -> (features: Tensor, cached: Bool) {
        if let cached = load(key) { return (cached, true) }
        let features = try compute()
        try store(features, for: key)
        return (features, false)
    }

    /// Whether every value keeps `|float16(x) − x| ≤ 1e-3·|x|` (zero stays zero; values beyond
    /// float16's range or deep in its subnormals do not).
    static func survivesFloat16(_ tensor: Tensor) -> Bool {
        tensor.storage.withUnsafeBufferPointer { $0.allSatisfy(survivesFloat16(value:)) }
    }

    /// Whether `|float16(x) − x| ≤ 1e-3·|x|`.
    private static func survivesFloat16(value x: Float) -> Bool {
        abs(Float(Float16(x)) - x) <= 1e-3 * abs(x)
    }
}
