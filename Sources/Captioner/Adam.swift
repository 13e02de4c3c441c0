// Adam (Kingma & Ba 2015) with global-norm gradient clipping (Pascanu et al. 2013).
import Foundation
import Tensor

/// Adam's moments and step count for one model.
///
/// `θ ← θ − lr·m̂ / (√v̂ + ε)`, with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`.
public struct Adam: Sendable {
    /// The learning rate (article: 4e-4).
    public var learningRate: Float
    /// β₁ = 0.9.
    public var beta1: Float = 0.9
    /// β₂ = 0.999.
    public var beta2: Float = 0.999
    /// ε = 1e-8.
    public var epsilon: Float = 1e-8
    /// Updates made so far (`t`).
    public internal(set) var step = 0
    /// The first moments, one per parameter (same names and shapes as the model).
    var firstMoment: CaptionModel
    /// The second moments.
    var secondMoment: CaptionModel

    /// Zero moments for `model`.
    public init(for model: CaptionModel, learningRate: Float) {
        self.learningRate = learningRate
        firstMoment = model.zeros()
        secondMoment = firstMoment
    }

    /// One update of `model` with `gradient`.
    public mutating func update(_ model: inout CaptionModel, gradient: CaptionModel) {
        step += 1
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(step))
        let rate = Float(Double(learningRate) * correction2.squareRoot() / correction1)
        let epsilonHat = epsilon * Float(correction2.squareRoot())
        let (b1, b2) = (beta1, beta2)
        for (_, path) in CaptionModel.parameterPaths(model.config) {
            withUnsafeBuffers(&firstMoment[keyPath: path].storage, &secondMoment[keyPath: path].storage,
                              &model[keyPath: path].storage, gradient[keyPath: path].storage) { m, v, p, g in
                adamStep(m: m, v: v, parameter: p, gradient: g, beta1: b1, beta2: b2, rate: rate, epsilon: epsilonHat)
            }
        }
    }

    /// The moments by name: `adam.m/NAME`, `adam.v/NAME`.
    var tensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in firstMoment.parameters { out["adam.m/" + name] = tensor }
        for (name, tensor) in secondMoment.parameters { out["adam.v/" + name] = tensor }
        return out
    }

    /// Restores the moments from `tensors` (as written by `tensors`).
    mutating func restore(from tensors: [String: Tensor], step: Int, source: String) throws {
        func moments(_ prefix: String) throws -> CaptionModel {
            var subset: [String: Tensor] = [:]
            for (name, tensor) in tensors where name.hasPrefix(prefix) { subset[String(name.dropFirst(prefix.count))] = tensor }
            return try CaptionModel(config: firstMoment.config, parameters: subset, source: source)
        }
        firstMoment = try moments("adam.m/")
        secondMoment = try moments("adam.v/")
        self.step = step
    }
}

extension CaptionModel {
    /// The global L2 norm of every parameter together (accumulated in Double).
    func globalNorm() -> Double {
        var total = 0.0
        for (_, path) in CaptionModel.parameterPaths(config) {
            self[keyPath: path].storage.withUnsafeBufferPointer { p in
                var lanes: Float = 0
                for x in p { lanes += x * x }
                total += Double(lanes)
            }
        }
        return total.squareRoot()
    }

    /// Multiplies every parameter by `factor`.
    mutating func scale(by factor: Float) {
        for (_, path) in CaptionModel.parameterPaths(config) { self[keyPath: path] *= factor }
    }
}

/// One Adam step over one parameter's elements: the moments `m`, `v` and the parameter updated
/// in place from its gradient `g`, with the bias corrections folded into `rate` and `epsilon`
/// (`Adam.update`).
@inline(__always)
private func adamStep(m: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
                      parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                      beta1 b1: Float, beta2 b2: Float, rate: Float, epsilon epsilonHat: Float) {
    for i in 0..<p.count {
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        p[i] -= rate * m[i] / (v[i].squareRoot() + epsilonHat)
    }
}
