// The convolution paths against a direct convolution in Double on small random weights.
// Errors are relative in the max norm (max|a − e| / max|e|). Tolerances: im2col 1e-5 (Float
// rounding of 9·in-term sums; measured 3e-7); Winograd F(2x2) 1e-5 (measured 1.5e-7) and
// F(4x4) 2e-5 for one layer (measured 2.3e-6): F(4x4)'s transforms add and subtract larger
// intermediate values (coefficients up to 8 and down to 1/24), so Float rounding grows; the
// 10-layer network allows 1e-5 / 1e-5 / 1e-4 (measured 6e-7 / 4e-7 / 9e-7).
@testable import Features
import Tensor
import TestSupport
import Testing

struct ConvolutionTests {
    /// One layer on an odd-sized map (partial Winograd tiles at the right and bottom edges),
    /// with channel counts that take the 8-lane transforms (multiples of 8) and the generic ones.
    @Test(arguments: [(ConvolutionAlgorithm.im2col, Float(1e-5)), (.winograd2x2, 1e-5), (.winograd4x4, 2e-5)])
    func oneLayerMatchesDirectConvolution(algorithm: ConvolutionAlgorithm, tolerance: Float) {
        var rng = SplitMix64(seed: 3)
        let (batch, height, width) = (2, 11, 9)
        for (inChannels, outChannels) in [(17, 24), (16, 20), (24, 16)] {
            let input = Tensor(shape: [batch, height, width, inChannels], uniform: -1...1, using: &rng)
            let weights = ConvolutionWeights(kernel: Tensor(shape: [3, 3, inChannels, outChannels], uniform: -0.3...0.3, using: &rng),
                                             bias: Tensor(shape: [outChannels], uniform: -0.5...0.5, using: &rng))
            let layer = Convolution3x3(weights, algorithm: algorithm)
            #expect(layer.algorithm == algorithm)
            var output = Tensor(shape: [batch, height, width, outChannels], repeating: .nan)
            input.storage.withUnsafeBufferPointer { source in
                output.storage.withUnsafeMutableBufferPointer { target in
                    layer.forward(source.baseAddress!, MapShape(batch: batch, height: height, width: width, channels: inChannels),
                                  into: target.baseAddress!, scratch: Scratch())
                }
            }
            let expected = Reference.conv3x3ReLU(input, kernel: weights.kernel, bias: weights.bias)
            let error = Reference.relativeError(output, expected)
            #expect(error < tolerance, "\(algorithm) \(inChannels)→\(outChannels): relative error \(error)")
        }
    }

    @Test func rgbLayerUsesIm2colWhateverIsAsked() {
        var rng = SplitMix64(seed: 1)
        let weights = VGGWeights.random(config: .vgg16, using: &rng)
        let layer = Convolution3x3(weights.convolutions[0], algorithm: .winograd4x4)
        #expect(layer.algorithm == .im2col)
    }

    @Test func maxPoolMatchesReference() {
        var rng = SplitMix64(seed: 5)
        let input = Tensor(shape: [2, 6, 4, 5], uniform: -1...1, using: &rng)
        var output = Tensor(shape: [2, 3, 2, 5], repeating: .nan)
        input.storage.withUnsafeBufferPointer { source in
            output.storage.withUnsafeMutableBufferPointer { target in
                maxPool2x2(source.baseAddress!, MapShape(batch: 2, height: 6, width: 4, channels: 5), into: target.baseAddress!)
            }
        }
        expectClose(output, Reference.maxPool(input), rtol: 0, atol: 0)
    }

    /// A small 5-block network whose later layers are wide enough for the Winograd path,
    /// at a size where the F(4x4) tiles overhang the 6x6 conv5 map.
    static let smallConfig = VGGConfig(name: "small", steps: [8, .pool, 16, .pool, 16, 16, .pool, 24, .pool, 24, 24, 16, .pool],
                                       fullyConnected: [12, 10], fullyConnectedInputSide: 3)

    @Test(arguments: [(ConvolutionAlgorithm.im2col, Float(1e-5)), (.winograd2x2, 1e-5), (.winograd4x4, 1e-4)])
    func networkMatchesReference(algorithm: ConvolutionAlgorithm, tolerance: Float) throws {
        var rng = SplitMix64(seed: 9)
        let weights = VGGWeights.random(config: Self.smallConfig, fullyConnected: true, using: &rng)
        let input = Tensor(shape: [2, 96, 96, 3], uniform: -100...100, using: &rng)
        let conv = try FeatureExtractor(weights: weights, layer: .conv5_3, imageSize: 96, algorithm: algorithm)
        let expected = Reference.network(weights, input: input)
        let actual = conv.features(preprocessed: input)
        #expect(actual.shape == [2, 36, 16])
        let error = Reference.relativeError(actual, expected)
        #expect(error < tolerance, "\(algorithm): conv5_3 relative error \(error)")

        let mean = try FeatureExtractor(weights: weights, layer: .pool5mean, imageSize: 96, algorithm: algorithm)
        var expectedMean = Tensor(shape: [2, 16])
        for b in 0..<2 {
            for c in 0..<16 {
                expectedMean[b, c] = (0..<36).map { expected[b, $0, c] }.reduce(0, +) / 36
            }
        }
        #expect(Reference.relativeError(mean.features(preprocessed: input), expectedMean) < tolerance)

        let relu7 = try FeatureExtractor(weights: weights, layer: .relu7, imageSize: 96, algorithm: algorithm)
        let expectedRelu7 = Reference.network(weights, input: input, throughFullyConnected: true)
        let actualRelu7 = relu7.features(preprocessed: input)
        #expect(actualRelu7.shape == [2, 10])
        #expect(Reference.relativeError(actualRelu7, expectedRelu7) < tolerance)
    }

    /// relu7 at twice the fc6 input side: pool5 is averaged 2x2 down to fc6's map first.
    @Test func relu7AveragesALargerPool5Map() throws {
        var rng = SplitMix64(seed: 10)
        let weights = VGGWeights.random(config: Self.smallConfig, fullyConnected: true, using: &rng)
        let input = Tensor(shape: [1, 192, 192, 3], uniform: -100...100, using: &rng)
        let extractor = try FeatureExtractor(weights: weights, layer: .relu7, imageSize: 192, algorithm: .im2col)
        var pool5 = Reference.network(weights, input: input, throughFullyConnected: false)  // [1, 144, 16] = 12x12 conv5
        pool5 = Reference.maxPool(pool5.reshaped([1, 12, 12, 16]))                       // [1, 6, 6, 16]
        var averaged = Tensor(shape: [1, 3, 3, 16])
        for y in 0..<6 { for x in 0..<6 { for c in 0..<16 { averaged[0, y / 2, x / 2, c] += pool5[0, y, x, c] / 4 } } }
        var x = averaged.reshaped([1, 144])
        for layer in weights.fullyConnected { x = Reference.denseReLU(x, layer) }
        #expect(Reference.relativeError(extractor.features(preprocessed: input), x) < 1e-5)
    }

    @Test func layerAndSizeAreCheckedBeforeAnyWork() {
        var rng = SplitMix64(seed: 2)
        let weights = VGGWeights.random(config: Self.smallConfig, using: &rng)
        #expect(throws: FeaturesError.layerNotInNetwork(layer: "conv5_4", network: "small", lastConvolution: "conv5_3")) {
            try FeatureExtractor(weights: weights, layer: .conv5_4, imageSize: 96)
        }
        #expect(throws: FeaturesError.unsupportedImageSize(100)) {
            try FeatureExtractor(weights: weights, layer: .conv5_3, imageSize: 100)
        }
        #expect(throws: WeightsError.noFullyConnectedLayers(path: "weights")) {
            try FeatureExtractor(weights: weights, layer: .relu7, imageSize: 96)
        }
        let withFC = VGGWeights.random(config: Self.smallConfig, fullyConnected: true, using: &rng)
        #expect(throws: FeaturesError.self) { try FeatureExtractor(weights: withFC, layer: .relu7, imageSize: 64) }
        #expect(throws: FeaturesError.layerNotInNetwork(layer: "conv5_3", network: "vgg19", lastConvolution: "conv5_4")) {
            try FeatureExtractor(weights: "/nonexistent.h5", config: .vgg19, layer: .conv5_3)
        }
    }

    /// Concurrent calls on one extractor (each takes its own pooled buffers and enters and
    /// leaves BLAS's single-threaded mode at its own time) agree with lone calls. Repeated:
    /// overlapping regions that restored the thread count early gave wrong sums about one
    /// time in five.
    @Test func concurrentCallsAgree() async throws {
        var rng = SplitMix64(seed: 12)
        let extractor = try FeatureExtractor(weights: VGGWeights.random(config: Self.smallConfig, using: &rng), imageSize: 64)
        let inputs = (0..<6).map { _ in Tensor(shape: [2, 64, 64, 3], uniform: -100...100, using: &rng) }
        let alone = inputs.map { extractor.features(preprocessed: $0) }
        for _ in 0..<20 {
            let together = await withTaskGroup(of: (Int, Tensor).self) { group in
                for (index, input) in inputs.enumerated() { group.addTask { (index, extractor.features(preprocessed: input)) } }
                var results = [Tensor?](repeating: nil, count: inputs.count)
                for await (index, features) in group { results[index] = features }
                return results
            }
            for (a, b) in zip(together, alone) { expectClose(try #require(a), b, rtol: 1e-6, atol: 0) }
        }
    }

    @Test func framesOfTheWrongSizeAreRejected() throws {
        var rng = SplitMix64(seed: 4)
        let extractor = try FeatureExtractor(weights: VGGWeights.random(config: Self.smallConfig, using: &rng), imageSize: 32)
        #expect(throws: FeaturesError.frameSize(index: 1, bytes: 10, expected: 32 * 32 * 3)) {
            try extractor.features(rgbBatch: [[UInt8](repeating: 0, count: 32 * 32 * 3), [UInt8](repeating: 0, count: 10)])
        }
        #expect(extractor.featureShape == [4, 16])
        #expect(try extractor.features(rgbBatch: []).shape == [0, 4, 16])
    }

    @Test func preprocessingFollowsEachConvention() {
        let pixel: [UInt8] = [255, 0, 128]  // R, G, B
        func apply(_ p: Preprocessing) -> [Float] {
            var out = [Float](repeating: 0, count: 3)
            pixel.withUnsafeBufferPointer { source in out.withUnsafeMutableBufferPointer { p.apply(source, to: $0) } }
            return out
        }
        expectClose(apply(.caffeImageNet), [128 - 103.939, 0 - 116.779, 255 - 123.68], rtol: 1e-6)
        expectClose(apply(.hed), [128 - 104.00699, 0 - 116.66877, 255 - 122.67892], rtol: 1e-6)
        expectClose(apply(.torchvision), [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128.0 / 255 - 0.406) / 0.225], rtol: 1e-5)
    }

    /// A cheap shape test of the real architectures (random weights, 32x32 frames).
    @Test(arguments: [(VGGConfig.vgg16, FeatureLayer.conv5_3), (.vgg19, .conv5_4)])
    func realArchitecturesGiveTheirShapes(config: VGGConfig, layer: FeatureLayer) throws {
        var rng = SplitMix64(seed: 6)
        let weights = VGGWeights.random(config: config, using: &rng)
        let frames = [[UInt8]](repeating: syntheticImage(side: 32), count: 2)
        let map = try FeatureExtractor(weights: weights, layer: layer, imageSize: 32).features(rgbBatch: frames)
        #expect(map.shape == [2, 4, 512])
        #expect(map.maxAbs() > 0)
        let mean = try FeatureExtractor(weights: weights, layer: .pool5mean, imageSize: 32).features(rgbBatch: frames)
        #expect(mean.shape == [2, 512])
    }

    @Test func configsDescribeVGG16AndVGG19() {
        #expect(VGGConfig.vgg16.convolutions.count == 13)
        #expect(VGGConfig.vgg19.convolutions.count == 16)
        #expect(VGGConfig.vgg16.convolutions.last?.name == "conv5_3")
        #expect(VGGConfig.vgg19.convolutions.last?.name == "conv5_4")
        #expect(VGGConfig.vgg16.convolutions.map(\.torchvisionIndex) == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])
        #expect(VGGConfig.vgg16.fullyConnectedInputWidth == 25088)
    }
}
