// An independent reference for the tests: direct convolution, pooling and dense layers in
// Double, one output element at a time, written straight from the definitions.
import Features
import Foundation
import Tensor
import TestSupport

enum Reference {
    /// Direct 3x3 cross-correlation, padding 1, plus bias and ReLU.
    /// `input` is `[B, H, W, I]`, `kernel` `[3, 3, I, O]`; the result is `[B, H, W, O]`.
    static func conv3x3ReLU(_ input: Tensor, kernel: Tensor, bias: Tensor) -> Tensor {
        let (b, h, w, i) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let o = kernel.shape[3]
        var out = Tensor(shape: [b, h, w, o])
        for n in 0..<b {
            for y in 0..<h {
                for x in 0..<w {
                    for co in 0..<o {
                        var sum = Double(bias.storage[co])
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let (sy, sx) = (y + ky - 1, x + kx - 1)
                                guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                for ci in 0..<i {
                                    sum += Double(input.storage[((n * h + sy) * w + sx) * i + ci])
                                        * Double(kernel.storage[((ky * 3 + kx) * i + ci) * o + co])
                                }
                            }
                        }
                        out.storage[((n * h + y) * w + x) * o + co] = Float(max(0, sum))
                    }
                }
            }
        }
        return out
    }

    /// 2x2 max pool, stride 2: `[B, H, W, C] → [B, H/2, W/2, C]`.
    static func maxPool(_ input: Tensor) -> Tensor {
        let (b, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        var out = Tensor(shape: [b, h / 2, w / 2, c])
        for n in 0..<b {
            for y in 0..<(h / 2) {
                for x in 0..<(w / 2) {
                    for k in 0..<c {
                        var m = -Float.infinity
                        for dy in 0..<2 { for dx in 0..<2 { m = max(m, input[n, 2 * y + dy, 2 * x + dx, k]) } }
                        out[n, y, x, k] = m
                    }
                }
            }
        }
        return out
    }

    /// `relu(x·W + b)` for `x` `[B, In]`, `W` `[In, Out]`.
    static func denseReLU(_ x: Tensor, _ layer: DenseWeights) -> Tensor {
        let (b, n, o) = (x.shape[0], x.shape[1], layer.weight.shape[1])
        var out = Tensor(shape: [b, o])
        for r in 0..<b {
            for j in 0..<o {
                var sum = Double(layer.bias.storage[j])
                for k in 0..<n { sum += Double(x.storage[r * n + k]) * Double(layer.weight.storage[k * o + j]) }
                out.storage[r * o + j] = Float(max(0, sum))
            }
        }
        return out
    }

    /// The whole stack up to the last convolution (`[B, L, D]`), or through pool5, fc6 and fc7.
    static func network(_ weights: VGGWeights, input: Tensor, throughFullyConnected: Bool = false) -> Tensor {
        var x = input
        var convs = weights.convolutions[...]
        let lastConv = weights.config.steps.lastIndex { $0 != .pool }!
        for (index, step) in weights.config.steps.enumerated() {
            if !throughFullyConnected && index > lastConv { break }
            switch step {
            case .conv: let c = convs.removeFirst(); x = conv3x3ReLU(x, kernel: c.kernel, bias: c.bias)
            case .pool: x = maxPool(x)
            }
        }
        guard throughFullyConnected else { return x.reshaped([x.shape[0], x.shape[1] * x.shape[2], x.shape[3]]) }
        x = x.reshaped([x.shape[0], x.count / x.shape[0]])
        for layer in weights.fullyConnected { x = denseReLU(x, layer) }
        return x
    }

    /// `max|actual − expected| / max|expected|`: the relative error in the max norm.
    static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
        precondition(actual.shape == expected.shape, "shapes \(actual.shape) and \(expected.shape)")
        return (actual - expected).maxAbs() / max(expected.maxAbs(), .leastNormalMagnitude)
    }
}

/// The synthetic test image of scripts/make-vgg-golden.py, `synthetic_image(side)`: RGB24.
func syntheticImage(side: Int) -> [UInt8] {
    var pixels: [UInt8] = []
    pixels.reserveCapacity(side * side * 3)
    let c = side / 2
    for y in 0..<side {
        for x in 0..<side {
            let disc = (x - c) * (x - c) + (y - c) * (y - c) < (side / 4) * (side / 4)
            pixels += [UInt8(x * 255 / (side - 1)), UInt8(y * 255 / (side - 1)),
                       UInt8(disc ? 250 : ((x / 16 + y / 16) % 2) * 160 + 40)]
        }
    }
    return pixels
}

/// Files of Tests/FeaturesTests/Resources (written by scripts/make-vgg-golden.py).
func resource(_ name: String) -> String {
    "\(Project.root)/Tests/FeaturesTests/Resources/\(name)"
}

/// The 5-block network of the tiny fixture files (`TINY` in the script).
let tinyConfig = VGGConfig(name: "tiny", steps: [4, .pool, 4, .pool, 8, .pool, 8, .pool, 8, 8, 8, .pool],
                           fullyConnected: [6, 5], fullyConnectedInputSide: 2)
