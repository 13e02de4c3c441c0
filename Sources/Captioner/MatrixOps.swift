// Small helpers over Tensor storage used by the layers: products of tensors seen as matrices,
// column blocks, row sums. They keep the layers free of nested `withUnsafe…` plumbing.
import Tensor

extension Tensor {
    /// The tensor seen as a matrix `[rows, columns]`: the last dimension is the columns.
    var matrixShape: (rows: Int, columns: Int) {
        let columns = shape.last ?? 1
        return (columns == 0 ? 0 : count / columns, columns)
    }

    /// `self ← α·op(a)·op(b) + β·self`, each tensor seen as a matrix (`matrixShape`).
    ///
    /// - Precondition: the inner dimensions agree and `self` holds `m·n` elements whose
    ///   last dimension is `n`.
    mutating func multiply(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                           alpha: Float = 1, beta: Float = 0) {
        let transA: Transpose = transposeA ? .transpose : .none, transB: Transpose = transposeB ? .transpose : .none
        let (aRows, aColumns) = a.matrixShape
        let (bRows, bColumns) = b.matrixShape
        let (m, k) = transA == .none ? (aRows, aColumns) : (aColumns, aRows)
        let (k2, n) = transB == .none ? (bRows, bColumns) : (bColumns, bRows)
        precondition(k == k2, "multiply: inner dimensions of \(a.shape) and \(b.shape) differ")
        precondition(matrixShape.columns == n && count == m * n, "multiply: result \(shape) for [\(m), \(n)]")
        withUnsafeBuffers(&storage, a.storage, b.storage) { cp, ap, bp in
            BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: ap, lda: aColumns,
                      b: bp, ldb: bColumns, beta: beta, c: cp, ldc: n)
        }
    }

    /// `op(a)·op(b)` as a new tensor `[m, n]`.
    static func product(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let m = transposeA ? a.matrixShape.columns : a.matrixShape.rows
        let n = transposeB ? b.matrixShape.rows : b.matrixShape.columns
        var c = Tensor(shape: [m, n])
        c.multiply(a, b, transposeA: transposeA, transposeB: transposeB)
        return c
    }

    /// Gives the tensor `newShape`, zero-filled, unless it already has that shape. The storage
    /// is kept when it is large enough: buffers whose row count changes from batch to batch
    /// (frames, packed rows) then touch no fresh pages.
    mutating func ensureShape(_ newShape: [Int]) {
        guard shape != newShape else { return }
        let count = newShape.reduce(1, *)
        var kept: [Float] = []
        swap(&kept, &storage)
        guard kept.capacity >= count else {
            self = Tensor(shape: newShape)
            return
        }
        kept.removeAll(keepingCapacity: true)
        kept.append(contentsOf: repeatElement(0, count: count))
        self = Tensor(shape: newShape, storage: kept)
    }

    /// Gives the tensor `newShape` with every element zero (storage kept when large enough).
    mutating func zero(shape newShape: [Int]) {
        if shape == newShape { zero() } else { ensureShape(newShape) }
    }

    /// Sets every element to zero, keeping the storage.
    mutating func zero() {
        storage.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { base.update(repeating: 0, count: p.count) }
        }
    }

    /// Adds the column sums of `x` (seen as a matrix `[N, C]`) to `self` (`[C]`).
    mutating func addColumnSums(of x: Tensor) {
        let (rows, columns) = x.matrixShape
        precondition(count == columns, "addColumnSums: \(shape) for \(x.shape)")
        withUnsafeBuffers(&storage, x.storage) { out, xp in
            for r in 0..<rows {
                let row = r * columns
                for c in 0..<columns { out[c] += xp[row + c] }
            }
        }
    }

    /// Copies `source` (`[N, w]`) into columns `column..<column + w` of `self` (`[N', C]`),
    /// starting at row `row`.
    mutating func setColumns(_ column: Int, from source: Tensor, row: Int = 0) {
        let (rows, width) = source.matrixShape
        let columns = matrixShape.columns
        precondition(column + width <= columns && (row + rows) * columns <= count,
                     "setColumns: \(source.shape) at row \(row), column \(column) of \(shape)")
        withUnsafeBuffers(&storage, source.storage) { d, s in
            for r in 0..<rows {
                (d.baseAddress! + (row + r) * columns + column).update(from: s.baseAddress! + r * width, count: width)
            }
        }
    }

    /// Columns `column..<column + width` of rows `rows` of `self` (seen as a matrix), as `[rows.count, width]`.
    func columns(_ column: Int, width: Int, rows: Range<Int>) -> Tensor {
        let columns = matrixShape.columns
        precondition(column + width <= columns && rows.upperBound <= matrixShape.rows, "columns: out of range of \(shape)")
        var out = Tensor(shape: [rows.count, width])
        withUnsafeBuffers(&out.storage, storage) { d, s in
            for (i, r) in rows.enumerated() {
                (d.baseAddress! + i * width).update(from: s.baseAddress! + r * columns + column, count: width)
            }
        }
        return out
    }

    /// Adds `alpha·other` elementwise (same element count).
    mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(count == other.count, "add: \(shape) and \(other.shape)")
        withUnsafeBuffers(&storage, other.storage) { s, o in
            for i in 0..<s.count { s[i] += alpha * o[i] }
        }
    }

    /// Adds `other` (`[n, C]`) to the first `n` rows of `self` (`[N, C]`, `n ≤ N`).
    mutating func addRows(_ other: Tensor) {
        precondition(other.count <= count && other.matrixShape.columns == matrixShape.columns, "addRows: \(other.shape) into \(shape)")
        withUnsafeBuffers(&storage, other.storage) { s, o in
            for i in 0..<o.count { s[i] += o[i] }
        }
    }

    /// Adds block `i` of `other` (`[n, …]`) to block `indices[i]` of `self` (`[N, …]`, the same
    /// inner shape), in order; an index may repeat (a scatter-add, the gradient of a gather).
    mutating func addRows(_ other: Tensor, at indices: [Int]) {
        let size = count / max(shape[0], 1)
        precondition(other.count == indices.count * size, "addRows: \(other.shape) at \(indices.count) rows of \(shape)")
        withUnsafeBuffers(&storage, other.storage) { g, d in
            for (i, id) in indices.enumerated() {
                let row = id * size, from = i * size
                for j in 0..<size { g[row + j] += d[from + j] }
            }
        }
    }

    /// The dot product of each row of this `[N, C]` matrix with the same row of `other`: `N` values.
    func rowDots(_ other: Tensor) -> [Float] {
        precondition(other.shape == shape, "rowDots: \(shape) and \(other.shape)")
        let (rows, columns) = matrixShape
        return withUnsafeBuffers(storage, other.storage) { a, b in
            (0..<rows).map { r in
                var sum: Float = 0
                for j in r * columns..<(r + 1) * columns { sum += a[j] * b[j] }
                return sum
            }
        }
    }

    /// Multiplies row `r` of this `[N, C]` matrix by `factors[r]`.
    mutating func scaleRows(by factors: [Float]) {
        let (rows, columns) = matrixShape
        precondition(factors.count == rows, "scaleRows: \(factors.count) factors for \(shape)")
        storage.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                for j in r * columns..<(r + 1) * columns { s[j] *= factors[r] }
            }
        }
    }

    /// Each row divided by its Euclidean length (a zero row stays zero).
    func rowsAsUnitVectors() -> Tensor {
        var out = self
        let lengths = rowDots(self).map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        out.scaleRows(by: lengths)
        return out
    }

    /// `self ⊙ (1 − t²)`: a gradient through `t = tanh(x)`, given `t` of the same shape.
    mutating func multiplyByTanhDerivative(_ t: Tensor) {
        precondition(t.count == count, "multiplyByTanhDerivative: \(t.shape) for \(shape)")
        withUnsafeBuffers(&storage, t.storage) { d, t in
            for i in 0..<d.count { d[i] *= 1 - t[i] * t[i] }
        }
    }

    /// Whether every element is finite.
    var isFinite: Bool {
        storage.withUnsafeBufferPointer { p in
            var bad = false
            for x in p where !x.isFinite { bad = true }
            return !bad
        }
    }
}
