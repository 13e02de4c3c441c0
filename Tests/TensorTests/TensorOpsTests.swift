import Tensor
import TestSupport
import Testing

@Suite("Tensor row and axis operations")
struct TensorOpsTests {
    /// `[3, 2, 2]` holding 0…11.
    let x = Tensor(shape: [3, 2, 2], storage: (0..<12).map(Float.init))

    @Test("rows(_:) gathers rows in the order given, repeats included")
    func gather() {
        let picked = x.rows([2, 0, 2])
        #expect(picked.shape == [3, 2, 2])
        #expect(picked.storage == [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
        #expect(x.rows([]).shape == [0, 2, 2])
        #expect(x.row(1) == Tensor(shape: [2, 2], storage: [4, 5, 6, 7]))
    }

    @Test("concatenatingRows joins along the first dimension")
    func concatenate() {
        let joined = Tensor(concatenatingRows: [x.rows(0..<1), x.rows(1..<3)])
        #expect(joined == x)
    }

    @Test("mean(axis:) removes the axis and averages over it")
    func mean() {
        expectClose(x.mean(axis: 1), Tensor(shape: [3, 2], storage: [1, 2, 5, 6, 9, 10]), rtol: 0, atol: 1e-6)
        expectClose(x.mean(axis: 0), Tensor(shape: [2, 2], storage: [4, 5, 6, 7]), rtol: 0, atol: 1e-6)
        expectClose(x.mean(axis: 2), Tensor(shape: [3, 2], storage: [0.5, 2.5, 4.5, 6.5, 8.5, 10.5]), rtol: 0, atol: 1e-6)
    }
}

@Suite("withUnsafeBuffers")
struct BuffersTests {
    /// The address of an array's first element, as a number to compare.
    private func address(_ array: [Float]) -> UInt {
        array.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    @Test("reads every array and writes the inout ones in place, without copying them")
    func writesInPlace() {
        var (m, v, p) = ([Float](repeating: 1, count: 4), [Float](repeating: 2, count: 4), [Float](repeating: 3, count: 4))
        let g: [Float] = [1, 2, 3, 4]
        let before = (address(m), address(v), address(p))
        withUnsafeBuffers(&m, &v, &p, g) { m, v, p, g in
            for i in 0..<g.count { (m[i], v[i], p[i]) = (m[i] + g[i], v[i] * g[i], p[i] - g[i]) }
        }
        #expect(m == [2, 3, 4, 5] && v == [2, 4, 6, 8] && p == [2, 1, 0, -1])
        #expect(address(m) == before.0 && address(v) == before.1 && address(p) == before.2)

        var out = [Float](repeating: 0, count: 4)
        let outAddress = address(out)
        withUnsafeBuffers(&out, g, p) { out, a, b in
            for i in 0..<out.count { out[i] = a[i] * b[i] }
        }
        #expect(out == [2, 2, 0, -4] && address(out) == outAddress)
        #expect(withUnsafeBuffers(g, out) { a, b in a[3] + b[3] } == 0)
    }
}
