import Foundation
import Tensor
import TestSupport
import Testing

/// `op(A)·op(B)` by the definition, in Double, for checking the BLAS path.
private func naiveProduct(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let n = transposeB ? b.shape[0] : b.shape[1]
    var c = Tensor(shape: [m, n])
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0
            for p in 0..<k {
                let x = transposeA ? a[p, i] : a[i, p]
                let y = transposeB ? b[j, p] : b[p, j]
                total += Double(x) * Double(y)
            }
            c[i, j] = Float(total)
        }
    }
    return c
}

@Suite("BLAS wrappers")
struct BLASTests {
    @Test("gemm matches a naive triple loop", arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gemmAgainstNaive(transposeA: Bool, transposeB: Bool) {
        var rng = SplitMix64(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 13, 31), (64, 1, 9), (1, 33, 65)] {
            let a = Tensor(shape: transposeA ? [k, m] : [m, k], uniform: -1...1, using: &rng)
            let b = Tensor(shape: transposeB ? [n, k] : [k, n], uniform: -1...1, using: &rng)
            let product = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
            expectClose(product, naiveProduct(a, b, transposeA: transposeA, transposeB: transposeB), rtol: 1e-5, atol: 1e-5)
        }
    }

    @Test("gemm honours alpha, beta and leading dimensions wider than the rows")
    func gemmStridesAndScaling() {
        var rng = SplitMix64(seed: 11)
        let (m, n, k, lda, ldb, ldc) = (5, 3, 4, 6, 5, 7)
        let a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(k * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
        let before = c
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(.none, .none, m: m, n: n, k: k, alpha: 2, a: ap, lda: lda, b: bp, ldb: ldb,
                              beta: 0.5, c: cp, ldc: ldc)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<ldc {
                if j < n {
                    var total: Float = 0
                    for p in 0..<k { total += a[i * lda + p] * b[p * ldb + j] }
                    let expected = 2 * total + 0.5 * before[i * ldc + j]
                    #expect(abs(c[i * ldc + j] - expected) <= 1e-5 * max(1, abs(expected)))
                } else {
                    // Padding columns past n are left untouched.
                    #expect(c[i * ldc + j] == before[i * ldc + j])
                }
            }
        }
    }

    @Test("gemv matches gemm with one column, both orientations")
    func gemvAgainstGemm() {
        var rng = SplitMix64(seed: 3)
        let a = Tensor(shape: [7, 5], uniform: -1...1, using: &rng)
        let x5 = Tensor(shape: [5, 1], uniform: -1...1, using: &rng)
        let x7 = Tensor(shape: [7, 1], uniform: -1...1, using: &rng)
        var y7 = [Float](repeating: 0, count: 7)
        var y5 = [Float](repeating: 0, count: 5)
        a.storage.withUnsafeBufferPointer { ap in
            x5.storage.withUnsafeBufferPointer { xp in
                y7.withUnsafeMutableBufferPointer { BLAS.gemv(.none, rows: 7, cols: 5, a: ap, lda: 5, x: xp, y: $0) }
            }
            x7.storage.withUnsafeBufferPointer { xp in
                y5.withUnsafeMutableBufferPointer { BLAS.gemv(.transpose, rows: 7, cols: 5, a: ap, lda: 5, x: xp, y: $0) }
            }
        }
        expectClose(y7, Tensor.matmul(a, x5).storage, rtol: 1e-5, atol: 1e-6)
        expectClose(y5, Tensor.matmul(a, x7, transposeA: true).storage, rtol: 1e-5, atol: 1e-6)
    }

    @Test("axpy and dot")
    func axpyAndDot() {
        let x: [Float] = [1, 2, 3, 4]
        var y: [Float] = [10, 20, 30, 40]
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { BLAS.axpy(alpha: -2, x: xp, y: $0) } }
        #expect(y == [8, 16, 24, 32])
        let d = x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { BLAS.dot(xp, $0) } }
        #expect(d == 8 + 32 + 72 + 128)
    }

    @Test("the thread count comes from DANMAKU_THREADS, else every core")
    func threadCount() {
        let requested = ProcessInfo.processInfo.environment["DANMAKU_THREADS"].flatMap { Int($0) }
        #expect(BLAS.threadCount == max(1, requested ?? ProcessInfo.processInfo.activeProcessorCount))
    }
}

@Suite("Elementwise kernels")
struct KernelTests {
    @Test("softmax sums to one and survives large inputs")
    func softmax() {
        var small: [Float] = [1, 2, 3], large: [Float] = [1000, 1000, -1000]
        small.withUnsafeMutableBufferPointer { Kernels.softmaxInPlace($0) }
        large.withUnsafeMutableBufferPointer { Kernels.softmaxInPlace($0) }
        #expect(abs(small.reduce(0, +) - 1) < 1e-6)
        expectClose(small, [0.09003057, 0.24472847, 0.66524096], rtol: 1e-5)
        expectClose(large, [0.5, 0.5, 0], atol: 1e-7)
    }

    @Test("row-vector addition, arithmetic and maps")
    func arithmetic() {
        var t = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        t.addRowVector(Tensor(shape: [2], storage: [10, 20]))
        #expect(t.storage == [11, 22, 13, 24])
        #expect((t - t).maxAbs() == 0)
        #expect((t * 2).storage == [22, 44, 26, 48])
        #expect(Tensor(shape: [3], storage: [-1, 0, 2]).relu().storage == [0, 0, 2])
        #expect(t.sum() == 70)
    }

    @Test("indexing and reshaping")
    func indexing() {
        var t = Tensor(shape: [2, 3, 4])
        t[1, 2, 3] = 5
        #expect(t.storage[23] == 5)
        #expect(t.reshaped([6, 4])[5, 3] == 5)
        #expect(t.rows(1..<2).shape == [1, 3, 4])
    }
}

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("known outputs for seed 0 (reference sequence of the published algorithm)")
    func referenceSequence() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }

    @Test("equal seeds give equal streams; Gaussian draws have mean 0 and variance 1")
    func determinismAndMoments() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        var rng = SplitMix64(seed: 5)
        let samples = (0..<20000).map { _ in Double(rng.nextGaussian()) }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }
}
