// Tensor: a shape and a row-major buffer of Float. Copy-on-write comes with `[Float]`.

/// An n-dimensional array of `Float` in row-major order.
///
/// Layouts are written as letter codes in the documentation of each operation
/// (`[B, L, D]`: batch, location, channel). The storage is a plain `[Float]`, so a copy is
/// cheap until one side writes.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// Wraps `storage` with `shape`.
    ///
    /// - Precondition: `storage.count` is the product of `shape` and no dimension is negative.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(storage.count == Tensor.elementCount(shape),
                     "storage has \(storage.count) elements, shape \(shape) needs \(Tensor.elementCount(shape))")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` with every element `value` (zero by default).
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: Tensor.elementCount(shape))
    }

    /// A tensor of `shape` whose elements are drawn uniformly from `range`.
    public init(shape: [Int], uniform range: ClosedRange<Float>, using generator: inout some RandomNumberGenerator) {
        self.init(shape: shape)
        for i in storage.indices { storage[i] = Float.random(in: range, using: &generator) }
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The product of `shape`: how many elements a tensor of that shape holds.
    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The same elements seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The flat row-major offset of a multi-index.
    @inlinable
    public func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of bounds for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// The element at a multi-index.
    public subscript(_ index: Int...) -> Float {
        get { storage[offset(index)] }
        set { storage[offset(index)] = newValue }
    }

    /// Rows `range` of the outermost dimension, as a new tensor `[range.count, …]`.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) of shape \(shape)")
        let inner = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [range.count] + shape.dropFirst(),
                      storage: Array(storage[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// Rows `indices` of the outermost dimension, in that order (a gather):
    /// `[N, …]` → `[indices.count, …]`. An index may repeat.
    public func rows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "rows of a scalar")
        let inner = shape.dropFirst().reduce(1, *)
        var gathered = [Float]()
        gathered.reserveCapacity(indices.count * inner)
        for index in indices {
            precondition(index >= 0 && index < shape[0], "row \(index) of shape \(shape)")
            gathered += storage[(index * inner)..<((index + 1) * inner)]
        }
        return Tensor(shape: [indices.count] + shape.dropFirst(), storage: gathered)
    }

    /// Row `index` of the outermost dimension, without it: `[N, …]` → `[…]`.
    public func row(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "row \(index) of shape \(shape)")
        let inner = shape.dropFirst().reduce(1, *)
        return Tensor(shape: Array(shape.dropFirst()), storage: Array(storage[(index * inner)..<((index + 1) * inner)]))
    }

    /// `parts` one after another along the outermost dimension: `[N_i, …]` → `[Σ N_i, …]`.
    ///
    /// - Precondition: `parts` is not empty and the parts agree on every other dimension.
    public init(concatenatingRows parts: [Tensor]) {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let inner = Array(parts[0].shape.dropFirst())
        var storage: [Float] = []
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts {
            precondition(part.rank >= 1 && Array(part.shape.dropFirst()) == inner,
                         "cannot concatenate shape \(part.shape) after rows of shape \(inner)")
            storage += part.storage
        }
        self.init(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner, storage: storage)
    }

    /// The mean over dimension `axis`, which is removed: `[N, L, D]` with `axis: 1` → `[N, D]`
    /// (the mean over locations). Summed in `Float` in index order, then divided by the count.
    public func mean(axis: Int) -> Tensor {
        precondition(axis >= 0 && axis < rank, "axis \(axis) of shape \(shape)")
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: outer * inner)
        withUnsafeBuffers(&out, storage) { y, x in
            for o in 0..<outer {
                for i in 0..<n {
                    let base = (o * n + i) * inner
                    for j in 0..<inner { y[o * inner + j] += x[base + j] }
                }
                for j in 0..<inner { y[o * inner + j] /= Float(n) }
            }
        }
        var reduced = shape
        reduced.remove(at: axis)
        return Tensor(shape: reduced, storage: out)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = storage.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(storage.count > 8 ? ", …" : "")])"
    }
}
