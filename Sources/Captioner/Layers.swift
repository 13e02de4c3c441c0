// Layers of Show-and-Tell (Vinyals et al. 2015) and Show, Attend and Tell (Xu et al. 2015)
// with hand-written backward passes. Each `forward` returns (or fills) what `backward` needs;
// each `backward` returns the input gradients and adds the parameter gradients into a
// layer of the same type used as a gradient accumulator. Weights are stored `[In, Out]` so a
// forward pass is `x·W` on row-major batches. Annotations are treated as constants: no
// gradient flows into the image features.
import Tensor

/// Glorot-uniform initial weights `[inputs, outputs]`: U(±√(6 / (inputs + outputs))).
func glorot(_ inputs: Int, _ outputs: Int, using generator: inout some RandomNumberGenerator) -> Tensor {
    let bound = (6 / Float(max(inputs + outputs, 1))).squareRoot()
    return Tensor(shape: [inputs, outputs], uniform: -bound...bound, using: &generator)
}

// MARK: - Linear

/// A dense layer `y = x·W + b`. Layout: `x [N, In]` (any leading dimensions), `W [In, Out]`, `b [Out]`.
public struct Linear: Sendable, Equatable {
    /// `[In, Out]`.
    public var weight: Tensor
    /// `[Out]`.
    public var bias: Tensor

    /// Glorot-uniform weight, zero bias.
    public init(inputs: Int, outputs: Int, using generator: inout some RandomNumberGenerator) {
        weight = glorot(inputs, outputs, using: &generator)
        bias = Tensor(shape: [outputs])
    }

    /// A layer with the given parameters.
    public init(weight: Tensor, bias: Tensor) {
        precondition(weight.rank == 2 && bias.shape == [weight.shape[1]], "Linear: weight \(weight.shape), bias \(bias.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// `x·W + b`: `[N, In]` → `[N, Out]`.
    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(shape: [x.matrixShape.rows, weight.shape[1]])
        forward(x, into: &y)
        return y
    }

    /// `y ← x·W + b`, reusing `y`'s storage when it already has the shape `[N, Out]`.
    public func forward(_ x: Tensor, into y: inout Tensor) {
        y.ensureShape([x.matrixShape.rows, weight.shape[1]])
        y.multiply(x, weight)
        y.addRowVector(bias)
    }

    /// Adds `xᵀ·dy` to `gradient.weight` and the column sums of `dy` to `gradient.bias`;
    /// returns `dx = dy·Wᵀ` (`[N, In]`) unless `needsInputGradient` is false.
    @discardableResult
    public func backward(input x: Tensor, outputGradient dy: Tensor, gradient: inout Linear,
                         needsInputGradient: Bool = true) -> Tensor? {
        gradient.weight.multiply(x, dy, transposeA: true, beta: 1)
        gradient.bias.addColumnSums(of: dy)
        guard needsInputGradient else { return nil }
        return Tensor.product(dy, weight, transposeB: true)
    }
}

// MARK: - Embedding

/// A lookup table `[V, E]`: token ids `[N]` → rows `[N, E]`.
public struct Embedding: Sendable, Equatable {
    /// `[V, E]`.
    public var weight: Tensor

    /// Weights drawn from U(±0.1).
    public init(vocabularySize: Int, size: Int, using generator: inout some RandomNumberGenerator) {
        weight = Tensor(shape: [vocabularySize, size], uniform: -0.1...0.1, using: &generator)
    }

    /// A table with the given weight.
    public init(weight: Tensor) { self.weight = weight }

    /// The rows of `ids`: `[N]` → `[N, E]`.
    public func forward(_ ids: [Int]) -> Tensor {
        let size = weight.shape[1]
        var out = Tensor(shape: [ids.count, size])
        withUnsafeBuffers(&out.storage, weight.storage) { o, w in
            for (i, id) in ids.enumerated() {
                precondition(id >= 0 && id < weight.shape[0], "Embedding: token \(id) outside vocabulary \(weight.shape[0])")
                (o.baseAddress! + i * size).update(from: w.baseAddress! + id * size, count: size)
            }
        }
        return out
    }

    /// Adds each row of `dy` (`[N, E]`) to row `ids[i]` of `gradient.weight`.
    public func backward(_ ids: [Int], outputGradient dy: Tensor, gradient: inout Embedding) {
        let size = weight.shape[1]
        precondition(dy.count == ids.count * size, "Embedding.backward: \(dy.shape) for \(ids.count) ids")
        gradient.weight.addRows(dy, at: ids)
    }
}

// MARK: - LSTM

/// The hidden and cell state of an LSTM, `[B, H]` each.
public struct LSTMState: Sendable, Equatable {
    /// The hidden state `h`.
    public var hidden: Tensor
    /// The cell state `c`.
    public var cell: Tensor

    /// A state of zeros for `batch` rows.
    public init(batch: Int, size: Int) {
        hidden = Tensor(shape: [batch, size])
        cell = Tensor(shape: [batch, size])
    }

    /// A state with the given tensors.
    public init(hidden: Tensor, cell: Tensor) {
        self.hidden = hidden
        self.cell = cell
    }
}

/// What one LSTM step keeps for its backward pass.
public struct LSTMStep: Sendable {
    /// The activated gates `[B, 4H]`, in the order `i, f, g, o`.
    public var gates = Tensor(shape: [0])
    /// `tanh(c)` of the new cell state, `[B, H]`.
    public var cellTanh = Tensor(shape: [0])
    /// The new state.
    public var state = LSTMState(batch: 0, size: 0)

    public init() {}
}

/// An LSTM cell with the four gates fused in one weight.
///
/// Gate order along the `4H` axis: input `i`, forget `f`, candidate `g`, output `o`:
/// `[i f g o] = [σ, σ, tanh, σ](x·W_x + h·W_h + b)`, `c' = f⊙c + i⊙g`, `h' = o⊙tanh(c')`.
/// The forget-gate bias starts at 1 (Jozefowicz et al. 2015) so early gradients flow.
public struct LSTMCell: Sendable, Equatable {
    /// `[In, 4H]`.
    public var inputWeight: Tensor
    /// `[H, 4H]`.
    public var hiddenWeight: Tensor
    /// `[4H]`.
    public var bias: Tensor

    /// The hidden size `H`.
    public var hiddenSize: Int { hiddenWeight.shape[0] }

    /// Glorot-uniform weights; bias 0 except the forget gate's, 1.
    public init(inputSize: Int, hiddenSize: Int, using generator: inout some RandomNumberGenerator) {
        inputWeight = glorot(inputSize, 4 * hiddenSize, using: &generator)
        hiddenWeight = glorot(hiddenSize, 4 * hiddenSize, using: &generator)
        bias = Tensor(shape: [4 * hiddenSize])
        for j in hiddenSize..<(2 * hiddenSize) { bias.storage[j] = 1 }
    }

    /// A cell with the given parameters.
    public init(inputWeight: Tensor, hiddenWeight: Tensor, bias: Tensor) {
        self.inputWeight = inputWeight
        self.hiddenWeight = hiddenWeight
        self.bias = bias
    }

    /// One step: input `x [B, In]` and `previous` → `step.state`, filling `step` (its storage
    /// is reused when the batch size is unchanged).
    public func forward(_ x: Tensor, previous: LSTMState, into step: inout LSTMStep) {
        let h = hiddenSize
        let batch = x.matrixShape.rows
        step.gates.ensureShape([batch, 4 * h])
        step.gates.multiply(x, inputWeight)
        step.gates.multiply(previous.hidden, hiddenWeight, beta: 1)
        step.gates.addRowVector(bias)
        step.cellTanh.ensureShape([batch, h])
        step.state.cell.ensureShape([batch, h])
        step.state.hidden.ensureShape([batch, h])
        lstmPointwiseForward(gates: &step.gates.storage, cell: &step.state.cell.storage, cellTanh: &step.cellTanh.storage,
                             hidden: &step.state.hidden.storage, previousCell: previous.cell.storage, B: batch, H: h)
    }

    /// The gradients of the gate pre-activations `[B, 4H]` and of the previous cell state,
    /// given `dh` and `dc` (the gradients reaching `h'` and `c'`).
    public func gateGradients(previous: LSTMState, step: LSTMStep, dh: Tensor, dc: Tensor) -> (gates: Tensor, cell: Tensor) {
        let h = hiddenSize
        let batch = dh.matrixShape.rows
        var dGates = Tensor(shape: [batch, 4 * h])
        var dcPrevious = Tensor(shape: [batch, h])
        lstmPointwiseBackward(gatesGradient: &dGates.storage, previousCellGradient: &dcPrevious.storage,
                              hiddenGradient: dh.storage, cellGradient: dc.storage, gates: step.gates.storage,
                              cellTanh: step.cellTanh.storage, previousCell: previous.cell.storage, B: batch, H: h)
        return (dGates, dcPrevious)
    }

    /// Backward through one step: adds the parameter gradients to `gradient` and returns the
    /// gradients of the input `[B, In]`, the previous hidden state and the previous cell state.
    public func backward(input x: Tensor, previous: LSTMState, step: LSTMStep, dh: Tensor, dc: Tensor,
                         gradient: inout LSTMCell) -> (input: Tensor, hidden: Tensor, cell: Tensor) {
        let (dGates, dcPrevious) = gateGradients(previous: previous, step: step, dh: dh, dc: dc)
        gradient.inputWeight.multiply(x, dGates, transposeA: true, beta: 1)
        gradient.hiddenWeight.multiply(previous.hidden, dGates, transposeA: true, beta: 1)
        gradient.bias.addColumnSums(of: dGates)
        return (Tensor.product(dGates, inputWeight, transposeB: true),
                Tensor.product(dGates, hiddenWeight, transposeB: true), dcPrevious)
    }
}

// MARK: LSTM kernels (llm.c style: outputs first, then inputs, then sizes)

/// The pointwise part of an LSTM step, after `gates = x·W_x + h·W_h + b` (`[B, 4H]`, gate
/// order i, f, g, o): activates the gates in place and writes `cell`, `cellTanh`, `hidden`
/// (`[B, H]` each) from `previousCell [B, H]`.
private func lstmPointwiseForward(gates: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>,
                                  cellTanh: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                                  previousCell: UnsafePointer<Float>, B: Int, H: Int) {
    for b in 0..<B {
        let i_b = gates + b * 4 * H, f_b = i_b + H, g_b = i_b + 2 * H, o_b = i_b + 3 * H
        let c0_b = previousCell + b * H, c_b = cell + b * H, tc_b = cellTanh + b * H, h_b = hidden + b * H
        // i, f = σ(·); g = tanh(·); o = σ(·)
        Kernels.sigmoidInPlace(UnsafeMutableBufferPointer(start: i_b, count: 2 * H))
        Kernels.tanhInPlace(UnsafeMutableBufferPointer(start: g_b, count: H))
        Kernels.sigmoidInPlace(UnsafeMutableBufferPointer(start: o_b, count: H))
        // c' = f ⊙ c + i ⊙ g
        for j in 0..<H { c_b[j] = f_b[j] * c0_b[j] + i_b[j] * g_b[j] }
        // h' = o ⊙ tanh(c')
        for j in 0..<H { tc_b[j] = c_b[j] }
        Kernels.tanhInPlace(UnsafeMutableBufferPointer(start: tc_b, count: H))
        for j in 0..<H { h_b[j] = o_b[j] * tc_b[j] }
    }
}

/// Backward of `lstmPointwiseForward`: the gate pre-activation gradients `[B, 4H]` and the
/// previous cell's `[B, H]` from `dh`, `dc` (`[B, H]`, reaching `h'` and `c'`) and the
/// forward's activated gates, `tanh(c')` and previous cell.
private func lstmPointwiseBackward(gatesGradient: UnsafeMutablePointer<Float>, previousCellGradient: UnsafeMutablePointer<Float>,
                                   hiddenGradient: UnsafePointer<Float>, cellGradient: UnsafePointer<Float>,
                                   gates: UnsafePointer<Float>, cellTanh: UnsafePointer<Float>, previousCell: UnsafePointer<Float>,
                                   B: Int, H: Int) {
    for b in 0..<B {
        let i_b = gates + b * 4 * H, f_b = i_b + H, g_b = i_b + 2 * H, o_b = i_b + 3 * H
        let di_b = gatesGradient + b * 4 * H, df_b = di_b + H, dg_b = di_b + 2 * H, do_b = di_b + 3 * H
        let dh_b = hiddenGradient + b * H, dc_b = cellGradient + b * H, tc_b = cellTanh + b * H
        let c0_b = previousCell + b * H, dc0_b = previousCellGradient + b * H
        for j in 0..<H {
            let t = tc_b[j]
            // h' = o ⊙ tanh(c'): dc' gets dh ⊙ o ⊙ (1 − tanh²)
            let dcTotal = dc_b[j] + dh_b[j] * o_b[j] * (1 - t * t)
            // c' = f ⊙ c + i ⊙ g, through i = σ, f = σ, g = tanh
            di_b[j] = dcTotal * g_b[j] * i_b[j] * (1 - i_b[j])
            df_b[j] = dcTotal * c0_b[j] * f_b[j] * (1 - f_b[j])
            dg_b[j] = dcTotal * i_b[j] * (1 - g_b[j] * g_b[j])
            // o = σ(·)
            do_b[j] = dh_b[j] * t * o_b[j] * (1 - o_b[j])
            dc0_b[j] = dcTotal * f_b[j]
        }
    }
}

// MARK: - Dropout

/// Inverted dropout: each unit is kept with probability `1 − rate` and scaled by `1 / (1 − rate)`,
/// so nothing changes at inference.
public struct Dropout: Sendable, Equatable {
    /// The probability of dropping a unit, in [0, 1).
    public var rate: Float

    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate \(rate) outside [0, 1)")
        self.rate = rate
    }

    /// A mask of `shape` whose elements are 0 or `1 / (1 − rate)`.
    public func mask(shape: [Int], using generator: inout some RandomNumberGenerator) -> Tensor {
        var mask = Tensor(shape: shape)
        fillMask(&mask, using: &generator)
        return mask
    }

    /// Refills `mask` (same shape) with a fresh draw.
    public func fillMask(_ mask: inout Tensor, using generator: inout some RandomNumberGenerator) {
        let keep = 1 / (1 - rate)
        let threshold = UInt64(Double(rate) * 0x1p32)
        mask.storage.withUnsafeMutableBufferPointer { m in
            var i = 0
            while i < m.count {
                let bits = generator.next()
                m[i] = (bits >> 32) < threshold ? 0 : keep
                if i + 1 < m.count { m[i + 1] = (bits & 0xFFFF_FFFF) < threshold ? 0 : keep }
                i += 2
            }
        }
    }

    /// `x ⊙ mask`; the backward pass is the same product with the output gradient.
    public static func apply(_ x: Tensor, mask: Tensor) -> Tensor {
        precondition(x.count == mask.count, "Dropout: \(x.shape) and mask \(mask.shape)")
        var out = x
        withUnsafeBuffers(&out.storage, mask.storage) { o, m in
            for i in 0..<o.count { o[i] *= m[i] }
        }
        return out
    }
}

// MARK: - Deep output

/// The deep output of Xu et al. (§3.1.2), as the article's 2-layer MLP to the vocabulary:
/// `u = tanh([h; z; E y]·W_d + b_d)` (`[N, E]`), dropout, then `logits = u·W_o + b_o` (`[N, V]`).
public struct DeepOutput: Sendable, Equatable {
    /// `[h; z; Ey]` → `E`.
    public var hidden: Linear
    /// `E` → `V`.
    public var vocabulary: Linear

    public init(inputSize: Int, hiddenSize: Int, vocabularySize: Int, using generator: inout some RandomNumberGenerator) {
        hidden = Linear(inputs: inputSize, outputs: hiddenSize, using: &generator)
        vocabulary = Linear(inputs: hiddenSize, outputs: vocabularySize, using: &generator)
    }

    public init(hidden: Linear, vocabulary: Linear) {
        self.hidden = hidden
        self.vocabulary = vocabulary
    }

    /// The hidden layer `tanh(x·W_d + b_d)`: `[N, In]` → `[N, E]`.
    public func hiddenForward(_ x: Tensor, into u: inout Tensor) {
        hidden.forward(x, into: &u)
        u.storage.withUnsafeMutableBufferPointer { Kernels.tanhInPlace($0) }
    }

    /// Logits `[N, V]` for inputs `[N, In]`, with an optional dropout mask `[N, E]` on the hidden layer.
    public func forward(_ x: Tensor, dropoutMask: Tensor? = nil) -> Tensor {
        var u = Tensor(shape: [0])
        hiddenForward(x, into: &u)
        if let dropoutMask { u = Dropout.apply(u, mask: dropoutMask) }
        return vocabulary.forward(u)
    }

    /// Backward from `dLogits [N, V]`; adds parameter gradients and returns `dx [N, In]`.
    public func backward(input x: Tensor, dropoutMask: Tensor?, logitsGradient: Tensor, gradient: inout DeepOutput) -> Tensor {
        var u = Tensor(shape: [0])
        hiddenForward(x, into: &u)
        let dropped = dropoutMask.map { Dropout.apply(u, mask: $0) } ?? u
        var du = vocabulary.backward(input: dropped, outputGradient: logitsGradient, gradient: &gradient.vocabulary)!
        if let dropoutMask { du = Dropout.apply(du, mask: dropoutMask) }
        return hiddenBackward(input: x, output: u, outputGradient: du, gradient: &gradient)
    }

    /// Backward through the hidden layer given its tanh output `u` and `du`; returns `dx`.
    func hiddenBackward(input x: Tensor, output u: Tensor, outputGradient du: Tensor, gradient: inout DeepOutput) -> Tensor {
        var dPre = du
        dPre.multiplyByTanhDerivative(u)
        return hidden.backward(input: x, outputGradient: dPre, gradient: &gradient.hidden)!
    }
}

// MARK: - Initial state

/// Xu et al. §3.1.2: `h₀ = tanh(mean(a)·W_h + b_h)`, `c₀ = tanh(mean(a)·W_c + b_c)`, the two
/// projections fused in one `[D, 2H]` weight (`h` columns first).
public struct InitialState: Sendable, Equatable {
    /// `D` → `2H`.
    public var projection: Linear

    public init(featureSize: Int, hiddenSize: Int, using generator: inout some RandomNumberGenerator) {
        projection = Linear(inputs: featureSize, outputs: 2 * hiddenSize, using: &generator)
    }

    public init(projection: Linear) { self.projection = projection }

    /// The mean annotation `[B, D]` of `annotations [B, L, D]`.
    public static func meanAnnotation(_ annotations: Tensor) -> Tensor { annotations.mean(axis: 1) }

    /// `(h₀, c₀)` for `annotations [B, L, D]`; also returns the `[B, 2H]` activations backward needs.
    public func forward(_ annotations: Tensor) -> (state: LSTMState, activations: Tensor) {
        forward(mean: Self.meanAnnotation(annotations))
    }

    /// `(h₀, c₀)` for mean annotations `[B, D]`, and the `[B, 2H]` activations backward needs.
    public func forward(mean: Tensor) -> (state: LSTMState, activations: Tensor) {
        var s = projection.forward(mean)
        s.storage.withUnsafeMutableBufferPointer { Kernels.tanhInPlace($0) }
        let h = s.shape[1] / 2, batch = s.shape[0]
        return (LSTMState(hidden: s.columns(0, width: h, rows: 0..<batch), cell: s.columns(h, width: h, rows: 0..<batch)), s)
    }

    /// Adds the parameter gradients for `dh₀`, `dc₀`.
    public func backward(_ annotations: Tensor, activations s: Tensor, dh: Tensor, dc: Tensor, gradient: inout InitialState) {
        backward(mean: Self.meanAnnotation(annotations), activations: s, dh: dh, dc: dc, gradient: &gradient)
    }

    /// Adds the parameter gradients for `dh₀`, `dc₀` given the mean annotations `[B, D]`.
    public func backward(mean: Tensor, activations s: Tensor, dh: Tensor, dc: Tensor, gradient: inout InitialState) {
        var dPre = Tensor(shape: s.shape)
        dPre.setColumns(0, from: dh)
        dPre.setColumns(dh.shape[1], from: dc)
        dPre.multiplyByTanhDerivative(s)
        projection.backward(input: mean, outputGradient: dPre, gradient: &gradient.projection, needsInputGradient: false)
    }
}
