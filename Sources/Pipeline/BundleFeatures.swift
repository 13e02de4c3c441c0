// The features of a video as a bundle's model needs them, checked against the bundle.
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
        var features = TrainPipeline.concatenate([extracted.features], globalVector: config.kind == .showAndTell)
        if let scale = stats.featureScale { features *= scale }
        guard Array(features.shape.dropFirst()) == config.frameShape else {
            throw BundleError.invalid(path: path, reason: "the model needs frames of shape \(config.frameShape), the video gave \(Array(features.shape.dropFirst()))")
        }
        return (features, extracted)
    }
}

extension Tensor {
    /// Row `index` of a `[N, …]` tensor, as a tensor of the remaining shape.
    func frameRow(_ index: Int) -> Tensor {
        let size = count / shape[0]
        return Tensor(shape: Array(shape.dropFirst()), storage: Array(storage[(index * size)..<((index + 1) * size)]))
    }

    /// The rows `indices` of a `[N, …]` tensor, in that order: `[indices.count, …]`.
    func frameRows(_ indices: [Int]) -> Tensor {
        let size = count / shape[0]
        var gathered = [Float]()
        gathered.reserveCapacity(indices.count * size)
        for index in indices { gathered += storage[(index * size)..<((index + 1) * size)] }
        return Tensor(shape: [indices.count] + shape.dropFirst(), storage: gathered)
    }
}
