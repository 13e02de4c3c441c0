// The ceiling every later stage states its speed against: OpenBLAS sgemm in this run.
import Tensor

enum SgemmBench {
    /// Times `C[m,n] = A[m,k]·B[k,n]` and reports GFLOP/s (2·m·n·k per product).
    static func run(name: String, m: Int, n: Int, k: Int, runs: Int = 5) {
        var rng = SplitMix64(seed: 1)
        let a = Tensor(shape: [m, k], uniform: -1...1, using: &rng)
        let b = Tensor(shape: [k, n], uniform: -1...1, using: &rng)
        var c = [Float](repeating: 0, count: m * n)
        let seconds = Measure.median(runs: runs) {
            a.storage.withUnsafeBufferPointer { ap in
                b.storage.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        BLAS.gemm(.none, .none, m: m, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, c: cp, ldc: n)
                    }
                }
            }
            blackHole(c)
        }
        Measure.report(["bench": name, "gflops": 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9,
                        "seconds": seconds, "threads": BLAS.threadCount, "runs": runs])
    }
}
