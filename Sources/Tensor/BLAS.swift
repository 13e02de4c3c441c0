// The only file that calls cblas_*: every product in danmaku goes through these wrappers,
// which check dimensions before handing pointers to OpenBLAS.
internal import CBLAS
import Foundation

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored: `op(X) = X`.
    case none
    /// Use the transpose: `op(X) = Xᵀ`.
    case transpose

    fileprivate var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Matrix products on OpenBLAS.
///
/// The thread count is set once, the first time any routine runs, from the environment
/// variable `DANMAKU_THREADS` (default: every core OpenBLAS sees).
public enum BLAS {
    /// The number of threads OpenBLAS uses, fixed on first use.
    public static let threadCount: Int = {
        let requested = ProcessInfo.processInfo.environment["DANMAKU_THREADS"].flatMap { Int($0) }
        let count = max(1, requested ?? Int(openblas_get_num_procs()))
        openblas_set_num_threads(Int32(count))
        return count
    }()

    /// The name of the BLAS library and its build options, for reports.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: text)
    }

    /// Runs `body` with every BLAS call single-threaded, for callers that split work across
    /// `threadCount` threads of their own (many small gemms: no hand-off to OpenBLAS's
    /// workers, and no worker left spinning while the caller's threads compute).
    ///
    /// The thread count is process-wide: regions may overlap (on several threads), and the
    /// count returns to `threadCount` when the last one ends; BLAS calls made meanwhile
    /// outside any region also run on one thread (slower, never wrong).
    /// The corresponding C function is `openblas_set_num_threads`.
    public static func withSingleThreadedCalls<R>(_ body: () throws -> R) rethrows -> R {
        guard threadCount > 1 else { return try body() }
        singleThreadedRegions.enter()
        defer { singleThreadedRegions.leave() }
        return try body()
    }

    private static let singleThreadedRegions = RegionCount(
        first: { openblas_set_num_threads(1) },
        last: { openblas_set_num_threads(Int32(threadCount)) })

    /// The name of the kernels OpenBLAS runs (`Haswell`, `SkylakeX`, …), for reports.
    public static var coreName: String {
        _ = threadCount
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// `C ← α·op(A)·op(B) + β·C` on row-major matrices held in buffers.
    ///
    /// Shapes: `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`. `A` is stored
    /// `[m, k]` (or `[k, m]` when transposed) with row stride `lda`; likewise `B` and `C`.
    /// The corresponding C function is `cblas_sgemm`.
    ///
    /// - Precondition: the leading dimensions cover the rows and each buffer holds the
    ///   elements its shape and stride address.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafeBufferPointer<Float>, lda: Int,
        b: UnsafeBufferPointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutableBufferPointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m \(m) n \(n) k \(k)")
        let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
        let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
        checkOperand("A", rows: aRows, cols: aCols, ld: lda, count: a.count)
        checkOperand("B", rows: bRows, cols: bCols, ld: ldb, count: b.count)
        checkOperand("C", rows: m, cols: n, ld: ldc, count: c.count)
        guard m > 0, n > 0 else { return }
        _ = threadCount
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    blasint(m), blasint(n), blasint(k), alpha,
                    a.baseAddress, blasint(max(lda, 1)), b.baseAddress, blasint(max(ldb, 1)),
                    beta, c.baseAddress, blasint(max(ldc, 1)))
    }

    /// `y ← α·op(A)·x + β·y` for a row-major `A` stored `[rows, cols]` with row stride `lda`.
    ///
    /// `x` has `cols` elements (`rows` when transposed) and `y` the other count.
    /// The corresponding C function is `cblas_sgemv`.
    public static func gemv(
        _ trans: Transpose, rows: Int, cols: Int,
        alpha: Float = 1,
        a: UnsafeBufferPointer<Float>, lda: Int,
        x: UnsafeBufferPointer<Float>,
        beta: Float = 0,
        y: UnsafeMutableBufferPointer<Float>
    ) {
        checkOperand("A", rows: rows, cols: cols, ld: lda, count: a.count)
        let (xCount, yCount) = trans == .none ? (cols, rows) : (rows, cols)
        precondition(x.count >= xCount, "gemv: x has \(x.count) elements, needs \(xCount)")
        precondition(y.count >= yCount, "gemv: y has \(y.count) elements, needs \(yCount)")
        guard rows > 0, cols > 0 else { return }
        _ = threadCount
        cblas_sgemv(CblasRowMajor, trans.cblas, blasint(rows), blasint(cols), alpha,
                    a.baseAddress, blasint(max(lda, 1)), x.baseAddress, 1, beta, y.baseAddress, 1)
    }

    /// `y ← α·x + y` over `x.count` elements. The corresponding C function is `cblas_saxpy`.
    public static func axpy(alpha: Float, x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == y.count, "axpy: x has \(x.count) elements, y \(y.count)")
        guard !x.isEmpty else { return }
        cblas_saxpy(blasint(x.count), alpha, x.baseAddress, 1, y.baseAddress, 1)
    }

    /// The dot product `x·y`. The corresponding C function is `cblas_sdot`.
    public static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == y.count, "dot: x has \(x.count) elements, y \(y.count)")
        guard !x.isEmpty else { return 0 }
        return cblas_sdot(blasint(x.count), x.baseAddress, 1, y.baseAddress, 1)
    }

    /// `Σ|x_i|`, the sum of absolute values (for non-negative `x`, the plain sum).
    /// The corresponding C function is `cblas_sasum`.
    public static func absoluteSum(_ x: UnsafeBufferPointer<Float>) -> Float {
        guard !x.isEmpty else { return 0 }
        return cblas_sasum(blasint(x.count), x.baseAddress, 1)
    }

    private static func checkOperand(_ name: String, rows: Int, cols: Int, ld: Int, count: Int) {
        precondition(ld >= max(cols, 1), "gemm: leading dimension of \(name) is \(ld), below its \(cols) columns")
        let needed = rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols
        precondition(count >= needed, "gemm: \(name) [\(rows), \(cols)] with stride \(ld) needs \(needed) elements, buffer has \(count)")
    }
}

extension Tensor {
    /// The matrix product `op(a)·op(b)` of two rank-2 tensors.
    ///
    /// Shapes: `op(a)` is `[m, k]`, `op(b)` is `[k, n]`; the result is `[m, n]`.
    public static func matmul(_ a: Tensor, _ b: Tensor,
                              transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: ranks \(a.rank) and \(b.rank), need 2 and 2")
        let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(ka == kb, "matmul: inner dimensions differ, \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        var c = Tensor(shape: [m, n])
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(transposeA ? .transpose : .none, transposeB ? .transpose : .none,
                              m: m, n: n, k: ka,
                              a: ap, lda: a.shape[1], b: bp, ldb: b.shape[1], c: cp, ldc: n)
                }
            }
        }
        return c
    }
}

/// Counts overlapping regions, running `first` when the count leaves zero and `last` when it
/// returns to zero. `@unchecked Sendable`: `depth` is only touched under `lock`, and the
/// actions run under it too, so a region never starts while the previous last one restores.
private final class RegionCount: @unchecked Sendable {
    private let lock = NSLock()
    private var depth = 0
    private let first: @Sendable () -> Void
    private let last: @Sendable () -> Void

    init(first: @escaping @Sendable () -> Void, last: @escaping @Sendable () -> Void) {
        self.first = first
        self.last = last
    }

    func enter() {
        lock.withLock {
            if depth == 0 { first() }
            depth += 1
        }
    }

    func leave() {
        lock.withLock {
            depth -= 1
            if depth == 0 { last() }
        }
    }
}
