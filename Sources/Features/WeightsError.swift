// The one contract of every weights loader: each expected key present with the expected shape,
// no key left unused, and errors that name the file, the key and both shapes.
import Foundation

/// A weights file that cannot give the network its parameters.
public enum WeightsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// No file at the path (the default weights have not been fetched).
    case noWeightsFile(path: String)
    /// The file exists but cannot be read as HDF5 or safetensors.
    case unreadable(path: String, reason: String)
    /// The file is HDF5 or safetensors but holds no VGG weights in a known layout.
    case notWeights(path: String, reason: String)
    /// A parameter the network needs is not in the file (`shape` is the one expected).
    case missingKey(path: String, key: String, expected: [Int])
    /// A tensor in the file that the network would not use (the file is of another architecture).
    case unusedKey(path: String, key: String, shape: [Int])
    /// A parameter has another shape than the network needs.
    case shapeMismatch(path: String, key: String, expected: [Int], actual: [Int])
    /// A dataset does not hold numbers.
    case notFloat(path: String, key: String)
    /// `relu7` was asked of weights without fc6/fc7.
    case noFullyConnectedLayers(path: String)

    public var description: String {
        switch self {
        case let .noWeightsFile(path):
            "\(path): no weights file: run `make weights` or pass `--weights FILE`"
        case let .unreadable(path, reason):
            "\(path): cannot read weights: \(reason)"
        case let .notWeights(path, reason):
            "\(path): not VGG weights: \(reason)"
        case let .missingKey(path, key, expected):
            "\(path): missing key '\(key)' (expected shape \(expected))"
        case let .unusedKey(path, key, shape):
            "\(path): unused key '\(key)' of shape \(shape): the file does not match the network"
        case let .shapeMismatch(path, key, expected, actual):
            "\(path): key '\(key)' has shape \(actual), the network expects \(expected)"
        case let .notFloat(path, key):
            "\(path): key '\(key)' does not hold numbers"
        case let .noFullyConnectedLayers(path):
            "\(path): has no fc6/fc7 weights, so layer relu7 is unavailable: use conv5_3 or pool5mean, or weights with fc layers"
        }
    }

    public var errorDescription: String? { description }
}
