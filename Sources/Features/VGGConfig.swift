// VGG (Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for Large-Scale Image
// Recognition") as data: a list of 3x3 convolution widths and 2x2 max pools, plus the widths
// of the fully connected layers fc6 and fc7. VGG16 and VGG19 differ only in the list.

/// A VGG network's architecture.
public struct VGGConfig: Sendable, Hashable {
    /// One step of the convolutional stack.
    public enum Step: Sendable, Hashable, ExpressibleByIntegerLiteral {
        /// A 3x3 convolution (stride 1, padding 1) to `n` channels, followed by ReLU.
        case conv(Int)
        /// A 2x2 max pool with stride 2.
        case pool

        public init(integerLiteral value: Int) { self = .conv(value) }
    }

    /// One convolution of the stack, with the names the weight files and the layers use.
    public struct Convolution: Sendable, Hashable {
        /// The block, counted from 1 (blocks end at a pool).
        public var block: Int
        /// The position inside the block, counted from 1 (`conv5_3` is block 5, index 3).
        public var index: Int
        /// Input channels.
        public var inChannels: Int
        /// Output channels.
        public var outChannels: Int
        /// The position of this convolution in torchvision's `features` sequence, where every
        /// convolution, ReLU and pool takes one index.
        public var torchvisionIndex: Int
        /// `convB_I`, as in the Caffe and the paper.
        public var name: String { "conv\(block)_\(index)" }
    }

    /// A short name for reports and cache keys (`vgg16`).
    public var name: String
    /// The convolutional stack, input first; it ends with the pool after the last convolution.
    public var steps: [Step]
    /// The widths of fc6 and fc7.
    public var fullyConnected: [Int]
    /// The side of the feature map fc6 reads (7 for the 224x224 ImageNet models).
    public var fullyConnectedInputSide: Int

    /// Input channels (RGB or BGR).
    public static let inputChannels = 3

    public init(name: String, steps: [Step], fullyConnected: [Int] = [4096, 4096], fullyConnectedInputSide: Int = 7) {
        self.name = name
        self.steps = steps
        self.fullyConnected = fullyConnected
        self.fullyConnectedInputSide = fullyConnectedInputSide
    }

    /// VGG16 (configuration D): 13 convolutions; the last is `conv5_3`.
    public static let vgg16 = VGGConfig(name: "vgg16", steps: [
        64, 64, .pool, 128, 128, .pool, 256, 256, 256, .pool, 512, 512, 512, .pool, 512, 512, 512, .pool,
    ])

    /// VGG19 (configuration E): 16 convolutions; the last is `conv5_4`.
    public static let vgg19 = VGGConfig(name: "vgg19", steps: [
        64, 64, .pool, 128, 128, .pool, 256, 256, 256, 256, .pool, 512, 512, 512, 512, .pool, 512, 512, 512, 512, .pool,
    ])

    /// Every convolution in order, with its block, index and channel counts.
    public var convolutions: [Convolution] {
        var result: [Convolution] = []
        var block = 1, index = 1, channels = Self.inputChannels, torchvisionIndex = 0
        for step in steps {
            switch step {
            case .conv(let width):
                result.append(Convolution(block: block, index: index, inChannels: channels, outChannels: width,
                                          torchvisionIndex: torchvisionIndex))
                channels = width
                index += 1
                torchvisionIndex += 2
            case .pool:
                block += 1
                index = 1
                torchvisionIndex += 1
            }
        }
        return result
    }

    /// The number of pools: the input side is divided by `2^poolCount` at pool5.
    public var poolCount: Int { steps.filter { $0 == .pool }.count }

    /// The channels of the last convolution (512 for VGG16 and VGG19).
    public var outputChannels: Int { convolutions.last?.outChannels ?? Self.inputChannels }

    /// The fc6 input width: `side² · channels` in height-width-channel order.
    public var fullyConnectedInputWidth: Int { fullyConnectedInputSide * fullyConnectedInputSide * outputChannels }
}
