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
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = storage.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(storage.count > 8 ? ", …" : "")])"
    }
}
