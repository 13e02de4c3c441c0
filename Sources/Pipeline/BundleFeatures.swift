// The features of a video as a bundle's model needs them, checked against the bundle.
import Captioner
import Foundation
import Tensor

extension ModelBundle {
    /// The features of `video` at the bundle's recipe (`[N, L, D]`, or `[N, G]` for
    /// show_and_tell), scaled as in training (`BundleStats.featureScale`), and the extraction
    /// they came from.
    ///
    /// - Throws: `MediaError` for the video, `BundleError` when the weights or shapes differ.
    func frameFeatures(video: String, useCache: Bool, progress: (Int, Int) -> Void = { _, _ in },
                       shouldStop: () -> Bool = { false }) throws -> (features: Tensor, extracted: VideoFeatures) {
        var request = FeatureRequest(video: video, recipe: recipe)
        request.useCache = useCache
        // The recipe names the weights the bundle was trained on; a missing one is the bundle's fault.
        if let weights = request.weights, !FileManager.default.fileExists(atPath: weights) {
            throw BundleError.invalid(path: ModelBundle.join(path, ModelBundle.File.recipe), reason: "features.weights: no such file \(weights)")
        }
        let extracted = try FeaturePipeline.extract(request, progress: progress, shouldStop: shouldStop)
        if extracted.weightsSHA256 != stats.weightsSHA256 {
            throw BundleError.invalid(path: path, reason: "trained on features of \(stats.extractorID), these weights are \(extracted.extractorID)")
        }
        let config = model.config
        var features = config.kind.frames(from: [extracted.features])
        if let scale = stats.featureScale { features *= scale }
        guard Array(features.shape.dropFirst()) == config.frameShape else {
            throw BundleError.invalid(path: path, reason: "the model needs frames of shape \(config.frameShape), the video gave \(Array(features.shape.dropFirst()))")
        }
        return (features, extracted)
    }
}

extension CaptionerKind {
    /// The rows of several videos as one tensor of this model's frames: conv maps `[N, L, D]`
    /// as they are for attention, averaged over the L locations to `[N, D]` for a model that
    /// takes a global vector (a global layer's `[N, G]` is left as it is).
    func frames(from parts: [Tensor]) -> Tensor {
        let joined = Tensor(concatenatingRows: parts)
        return self == .showAndTell && joined.rank == 3 ? joined.mean(axis: 1) : joined
    }
}
