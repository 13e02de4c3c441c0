// The three weight loaders and their one contract, on small files written by
// scripts/make-vgg-golden.py (HDF5) or by the tests themselves (safetensors).
import Features
import Foundation
import Tensor
import TestSupport
import Testing

struct WeightsTests {
    /// The tiny Keras 3 HED file gives the numpy reference's conv5_3 (HED preprocessing).
    @Test func hedKeras3FileMatchesTheReference() throws {
        let weights = try VGGWeights.load(path: resource("tiny-hed.h5"), config: tinyConfig)
        #expect(weights.source == .hedKeras3)
        #expect(weights.fullyConnected.isEmpty)
        #expect(weights.preprocessing == .hed)
        let extractor = try FeatureExtractor(weights: weights, layer: .conv5_3, imageSize: 64)
        let actual = try extractor.features(rgbBatch: [syntheticImage(side: 64)])
        let expected = try SafeTensorsFile(path: resource("tiny-expected.safetensors")).tensor("hed_conv5_3")
        #expect(Reference.relativeError(actual, expected.reshaped([1, 16, 8])) < 1e-5)
    }

    /// The tiny Keras application file (fc1, fc2, an ignored `predictions`) gives the reference relu7.
    @Test func kerasApplicationFileMatchesTheReference() throws {
        let weights = try VGGWeights.load(path: resource("tiny-keras-app.h5"), config: tinyConfig)
        #expect(weights.source == .kerasApplication)
        #expect(weights.fullyConnected.map(\.weight.shape) == [[32, 6], [6, 5]])
        let extractor = try FeatureExtractor(weights: weights, layer: .relu7, imageSize: 64)
        let actual = try extractor.features(rgbBatch: [syntheticImage(side: 64)])
        let expected = try SafeTensorsFile(path: resource("tiny-expected.safetensors")).tensor("keras_app_relu7")
        #expect(Reference.relativeError(actual, expected.reshaped([1, 5])) < 1e-5)
    }

    /// torchvision and timm files holding the Keras application parameters, converted here
    /// independently (OIHW kernels, `[out, in]` fc weights over a CHW-flattened map), load
    /// back to exactly the same parameters.
    @Test(arguments: [WeightsSource.torchvision, .timm])
    func safetensorsLayoutsLoadTheSameParameters(source: WeightsSource) throws {
        let keras = try VGGWeights.load(path: resource("tiny-keras-app.h5"), config: tinyConfig)
        let directory = try TemporaryDirectory()
        let path = directory.file("tiny.safetensors")
        var tensors = pytorchTensors(keras, timm: source == .timm)
        tensors[source == .timm ? "head.fc.weight" : "classifier.6.weight"] = Tensor(shape: [3, 5])
        try SafeTensors.write(tensors, to: path)

        let loaded = try VGGWeights.load(path: path, config: tinyConfig)
        #expect(loaded.source == source)
        #expect(loaded.preprocessing == .torchvision)
        for (a, b) in zip(loaded.convolutions, keras.convolutions) {
            expectClose(a.kernel, b.kernel, rtol: 0, atol: 0)
            expectClose(a.bias, b.bias, rtol: 0, atol: 0)
        }
        try #require(loaded.fullyConnected.count == 2)
        for (a, b) in zip(loaded.fullyConnected, keras.fullyConnected) {
            expectClose(a.weight, b.weight, rtol: 0, atol: 0)
            expectClose(a.bias, b.bias, rtol: 0, atol: 0)
        }
    }

    @Test func missingFileSaysHowToGetWeights() {
        let error = #expect(throws: WeightsError.self) { try FeatureExtractor(weights: "/nonexistent/vgg.h5") }
        #expect(error?.description == "/nonexistent/vgg.h5: no weights file: run `make weights` or pass `--weights FILE`")
    }

    @Test func hdf5WithoutWeightsIsNamed() {
        let error = #expect(throws: WeightsError.self) { try VGGWeights.load(path: resource("not-weights.h5")) }
        guard case .notWeights(let path, let reason) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path.hasSuffix("not-weights.h5"))
        #expect(reason.contains("'experiment/data'"))
    }

    @Test func fileOfNeitherFormatIsUnreadable() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("weights.h5")
        try Data("not a weights file at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: WeightsError.unreadable(path: path, reason: "neither HDF5 nor safetensors")) {
            try VGGWeights.load(path: path)
        }
    }

    @Test func shapeMismatchNamesTheKeyAndBothShapes() {
        var steps = tinyConfig.steps
        steps[4] = 12  // block3_conv1: 12 channels where the file has 8
        let config = VGGConfig(name: "other", steps: steps, fullyConnected: [6, 5], fullyConnectedInputSide: 2)
        let error = #expect(throws: WeightsError.self) { try VGGWeights.load(path: resource("tiny-hed.h5"), config: config) }
        #expect(error == .shapeMismatch(path: resource("tiny-hed.h5"), key: "block3/layers/conv2d/vars/0",
                                        expected: [3, 3, 4, 12], actual: [3, 3, 4, 8]))
        #expect(error?.description.contains("has shape [3, 3, 4, 8], the network expects [3, 3, 4, 12]") == true)
    }

    @Test func missingAndUnusedKeysAreNamed() {
        let longer = VGGConfig(name: "longer", steps: [4, .pool, 4, .pool, 8, .pool, 8, .pool, 8, 8, 8, 8, .pool])
        #expect(throws: WeightsError.missingKey(path: resource("tiny-keras-app.h5"), key: "block5_conv4/block5_conv4/kernel:0",
                                                expected: [3, 3, 8, 8])) {
            try VGGWeights.load(path: resource("tiny-keras-app.h5"), config: longer)
        }
        let shorter = VGGConfig(name: "shorter", steps: [4, .pool, 4, .pool, 8, .pool, 8, .pool, 8, 8, .pool])
        #expect(throws: WeightsError.unusedKey(path: resource("tiny-hed.h5"), key: "block5/layers/conv2d_2/vars/0",
                                               shape: [3, 3, 8, 8])) {
            try VGGWeights.load(path: resource("tiny-hed.h5"), config: shorter)
        }
    }

    @Test func unknownTensorInSafetensorsIsUnused() throws {
        let keras = try VGGWeights.load(path: resource("tiny-keras-app.h5"), config: tinyConfig)
        let directory = try TemporaryDirectory()
        let path = directory.file("extra.safetensors")
        var tensors = pytorchTensors(keras, timm: false)
        tensors["features.99.weight"] = Tensor(shape: [2, 2])
        try SafeTensors.write(tensors, to: path)
        #expect(throws: WeightsError.unusedKey(path: path, key: "features.99.weight", shape: [2, 2])) {
            try VGGWeights.load(path: path, config: tinyConfig)
        }
    }

    @Test func partialFullyConnectedLayersAreMissingKeys() throws {
        let keras = try VGGWeights.load(path: resource("tiny-keras-app.h5"), config: tinyConfig)
        let directory = try TemporaryDirectory()
        let path = directory.file("partial.safetensors")
        var tensors = pytorchTensors(keras, timm: false)
        tensors["classifier.3.bias"] = nil
        try SafeTensors.write(tensors, to: path)
        #expect(throws: WeightsError.missingKey(path: path, key: "classifier.3.bias", expected: [5])) {
            try VGGWeights.load(path: path, config: tinyConfig)
        }
    }

    /// The Keras parameters in torchvision's (or timm's) names and layouts.
    private func pytorchTensors(_ weights: VGGWeights, timm: Bool) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (spec, conv) in zip(weights.config.convolutions, weights.convolutions) {
            let (i, o) = (spec.inChannels, spec.outChannels)
            var oihw = Tensor(shape: [o, i, 3, 3])
            for ky in 0..<3 { for kx in 0..<3 { for a in 0..<i { for b in 0..<o { oihw[b, a, ky, kx] = conv.kernel[ky, kx, a, b] } } } }
            tensors["features.\(spec.torchvisionIndex).weight"] = oihw
            tensors["features.\(spec.torchvisionIndex).bias"] = conv.bias
        }
        let (side, channels) = (weights.config.fullyConnectedInputSide, weights.config.outputChannels)
        let fc6 = weights.fullyConnected[0], fc7 = weights.fullyConnected[1]
        var w6 = Tensor(shape: [6, channels, side, side])
        for o in 0..<6 {
            for c in 0..<channels {
                for y in 0..<side { for x in 0..<side { w6[o, c, y, x] = fc6.weight[(y * side + x) * channels + c, o] } }
            }
        }
        var w7 = Tensor(shape: [5, 6])
        for o in 0..<5 { for i in 0..<6 { w7[o, i] = fc7.weight[i, o] } }
        if timm {
            tensors["pre_logits.fc1.weight"] = w6
            tensors["pre_logits.fc2.weight"] = w7.reshaped([5, 6, 1, 1])
            tensors["pre_logits.fc1.bias"] = fc6.bias
            tensors["pre_logits.fc2.bias"] = fc7.bias
        } else {
            tensors["classifier.0.weight"] = w6.reshaped([6, channels * side * side])
            tensors["classifier.3.weight"] = w7
            tensors["classifier.0.bias"] = fc6.bias
            tensors["classifier.3.bias"] = fc7.bias
        }
        return tensors
    }
}

/// The real default weights. `make test` fetches them first (`make weights`); without them
/// these tests fail rather than skip, so a run can never pass silently without the real model.
@Suite
struct DefaultWeightsTests {
    init() throws {
        try #require(FileManager.default.fileExists(atPath: FeatureExtractor.defaultWeightsPath),
                     "the default weights are missing at \(FeatureExtractor.defaultWeightsPath): run `make weights`")
    }

    /// conv5_3 of one synthetic frame against the numpy float64 reference of
    /// scripts/make-vgg-golden.py: channels 0..<64 at all 196 locations, and pool5mean.
    @Test(arguments: [ConvolutionAlgorithm.im2col, .winograd4x4])
    func conv5_3MatchesTheGoldenSlice(algorithm: ConvolutionAlgorithm) throws {
        let golden = try SafeTensorsFile(path: resource("vgg16-hed-golden.safetensors"))
        let extractor = try FeatureExtractor(layer: .conv5_3, imageSize: 224, algorithm: algorithm)
        #expect(extractor.weightsSHA256 == golden.metadata["weights_sha256"])
        #expect(extractor.extractorID == "vgg16-hed-keras3-4502df9d0a888739")
        let features = try extractor.features(rgbBatch: [syntheticImage(side: 224)])
        #expect(features.shape == [1, 196, 512])
        var slice = Tensor(shape: [196, 64])
        for l in 0..<196 { for c in 0..<64 { slice[l, c] = features[0, l, c] } }
        let error = Reference.relativeError(slice, try golden.tensor("conv5_3_channels_0_64"))
        #expect(error < 1e-3, "\(algorithm): conv5_3 relative error \(error)")

        var mean = Tensor(shape: [512])
        for l in 0..<196 { for c in 0..<512 { mean[c] += features[0, l, c] / 196 } }
        #expect(Reference.relativeError(mean, try golden.tensor("pool5mean")) < 1e-3)
    }

    @Test func defaultWeightsAreNotVGG19() {
        #expect(throws: WeightsError.missingKey(path: FeatureExtractor.defaultWeightsPath, key: "block3/layers/conv2d_3/vars/0",
                                                expected: [3, 3, 256, 256])) {
            try VGGWeights.load(path: FeatureExtractor.defaultWeightsPath, config: .vgg19)
        }
    }
}
