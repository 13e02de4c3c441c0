// Which VGG activation the extractor returns, and the errors of feature extraction itself.
import Foundation

/// The VGG activation a `FeatureExtractor` returns.
public enum FeatureLayer: String, Sendable, Hashable, CaseIterable, Codable {
    /// The last convolution of VGG16 after its ReLU: `[B, L, D]` with `L = (S/16)²`
    /// locations (row-major over y, x) and `D = 512` channels; `L = 196` at `S = 224`.
    case conv5_3
    /// The same for VGG19, whose last convolution is `conv5_4`.
    case conv5_4
    /// fc7 after its ReLU: `[B, 4096]`. Needs weights with fc layers; the pool5 map is
    /// averaged down to 7x7 first when the image is larger than 224 (as torchvision does).
    case relu7
    /// The mean over locations of the last convolution (the `mean(a)` of Show, Attend and
    /// Tell): `[B, 512]`. Works with every weights file.
    case pool5mean

    /// Whether the layer returns one vector per image (`[B, G]`) rather than a map.
    public var isGlobal: Bool { self == .relu7 || self == .pool5mean }
}

/// A request the extractor cannot serve, or input of the wrong form.
public enum FeaturesError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The layer does not exist in the architecture (`conv5_4` of VGG16).
    case layerNotInNetwork(layer: String, network: String, lastConvolution: String)
    /// The image side is not a positive multiple of 32 (five 2x2 pools).
    case unsupportedImageSize(Int)
    /// fc6 cannot read the pool5 map of this image size.
    case imageSizeNotForFullyConnected(imageSize: Int, needed: String)
    /// A frame has the wrong number of bytes for `side x side` RGB24.
    case frameSize(index: Int, bytes: Int, expected: Int)

    public var description: String {
        switch self {
        case let .layerNotInNetwork(layer, network, last):
            "layer \(layer) is not in \(network): its last convolution is \(last) (layers: \(last), relu7, pool5mean)"
        case let .unsupportedImageSize(size):
            "image size \(size) is not a positive multiple of 32 (use 224 or 448)"
        case let .imageSizeNotForFullyConnected(size, needed):
            "layer relu7 cannot run at image size \(size): fc6 needs \(needed)"
        case let .frameSize(index, bytes, expected):
            "frame \(index) has \(bytes) bytes, expected \(expected) (RGB24 at the image size)"
        }
    }

    public var errorDescription: String? { description }
}
