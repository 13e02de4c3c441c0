// The arithmetic-only exp / tanh / sigmoid the layers use, against libm.
import Foundation
import Tensor
import Testing

@Suite struct FastMathTests {
    @Test func agreesWithLibm() {
        var worst = (exp: 0.0, tanh: 0.0)
        for i in -40_000...40_000 {
            let x = Float(i) * 0.002   // [-80, 80]
            let e = Double(Foundation.exp(Double(x)))
            worst.exp = max(worst.exp, abs(Double(Kernels.exp(x)) - e) / e)
            let t = Foundation.tanh(Double(x))
            worst.tanh = max(worst.tanh, abs(Double(Kernels.tanh(x)) - t) / max(abs(t), 1e-30))
        }
        #expect(worst.exp < 1e-6, "exp: max relative error \(worst.exp)")
        #expect(worst.tanh < 1e-6, "tanh: max relative error \(worst.tanh)")
        // The sigmoid is (1 + tanh(x/2)) / 2: accurate in absolute terms (it reaches 0 below about −17).
        var tiny = 0.0
        for i in -2_000...2_000 {
            let x = Float(i) * 0.01
            tiny = max(tiny, abs(Double(Kernels.sigmoid(x)) - 1 / (1 + Foundation.exp(-Double(x)))))
        }
        #expect(tiny < 1e-6, "sigmoid: max absolute error \(tiny) on [-20, 20]")
        var row: [Float] = [1, 2, 3, -1, 0.5]
        let total = row.withUnsafeMutableBufferPointer { Kernels.expInPlace($0, subtracting: 3) }
        let expected = [1, 2, 3, -1, 0.5].reduce(0.0) { $0 + Foundation.exp($1 - 3) }
        #expect(abs(total - expected) < 1e-6 * expected)
        #expect(row.withUnsafeBufferPointer { Kernels.maximum($0) } == Foundation.exp(Float(0)))
    }
}
