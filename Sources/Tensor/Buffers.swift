// Several arrays' elements in one closure, so a kernel over two to four arrays takes one
// `withUnsafeBuffers` at its call site instead of a pyramid of nested `withUnsafe…` closures.
// As in llm.c's kernels, the arrays written come first (`inout`: made unique once, then written
// in place, never copied) and the arrays read follow. `@inlinable`, so each call specialises
// to the nested calls it replaces. No pointer may escape `body`.

/// Calls `body` with the elements of `a` and of `b`, to read.
@inlinable
public func withUnsafeBuffers<A, B, R>(_ a: [A], _ b: [B],
                                       _ body: (UnsafeBufferPointer<A>, UnsafeBufferPointer<B>) -> R) -> R {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in body(a, b) }
    }
}

/// Calls `body` with the elements of `output`, to write, and of `a`, to read.
@inlinable
public func withUnsafeBuffers<O, A, R>(_ output: inout [O], _ a: [A],
                                       _ body: (UnsafeMutableBufferPointer<O>, UnsafeBufferPointer<A>) -> R) -> R {
    a.withUnsafeBufferPointer { a in
        output.withUnsafeMutableBufferPointer { output in body(output, a) }
    }
}

/// Calls `body` with the elements of `output`, to write, and of `a` and `b`, to read.
@inlinable
public func withUnsafeBuffers<O, A, B, R>(
    _ output: inout [O], _ a: [A], _ b: [B],
    _ body: (UnsafeMutableBufferPointer<O>, UnsafeBufferPointer<A>, UnsafeBufferPointer<B>) -> R
) -> R {
    withUnsafeBuffers(a, b) { a, b in
        output.withUnsafeMutableBufferPointer { output in body(output, a, b) }
    }
}

/// Calls `body` with the elements of `first`, `second` and `third`, to write, and of `a`, to read.
@inlinable
public func withUnsafeBuffers<O1, O2, O3, A, R>(
    _ first: inout [O1], _ second: inout [O2], _ third: inout [O3], _ a: [A],
    _ body: (UnsafeMutableBufferPointer<O1>, UnsafeMutableBufferPointer<O2>, UnsafeMutableBufferPointer<O3>,
             UnsafeBufferPointer<A>) -> R
) -> R {
    withUnsafeBuffers(&first, a) { first, a in
        second.withUnsafeMutableBufferPointer { second in
            third.withUnsafeMutableBufferPointer { third in body(first, second, third, a) }
        }
    }
}
