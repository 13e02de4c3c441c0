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
