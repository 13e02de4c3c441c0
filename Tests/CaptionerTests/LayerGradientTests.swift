// Gradient checks by central differences for every layer, the loss and the penalty.
import Captioner
import Tensor
import Testing

@Suite struct LayerGradientTests {
    @Test func linear() {
        var generator = SplitMix64(seed: 1)
        let layer = Linear(inputs: 4, outputs: 5, using: &generator)
        let x = random([3, 4], seed: 2), r = random([3, 5], seed: 3)
        var gradient = Linear(weight: Tensor(shape: [4, 5]), bias: Tensor(shape: [5]))
        let dx = layer.backward(input: x, outputGradient: r, gradient: &gradient)!
        expectGradient("dW", gradientError(layer.weight, analytic: gradient.weight) { w in
            project(Linear(weight: w, bias: layer.bias).forward(x), r)
        })
        expectGradient("db", gradientError(layer.bias, analytic: gradient.bias) { b in
            project(Linear(weight: layer.weight, bias: b).forward(x), r)
        })
        expectGradient("dx", gradientError(x, analytic: dx) { project(layer.forward($0), r) })
    }

    @Test func embedding() {
        var generator = SplitMix64(seed: 1)
        let layer = Embedding(vocabularySize: 6, size: 3, using: &generator)
        let ids = [0, 2, 2, 5]
        let r = random([4, 3], seed: 4)
        var gradient = Embedding(weight: Tensor(shape: [6, 3]))
        layer.backward(ids, outputGradient: r, gradient: &gradient)
        expectGradient("dE", gradientError(layer.weight, analytic: gradient.weight) { w in
            project(Embedding(weight: w).forward(ids), r)
        })
    }

    @Test func lstmCell() {
        var generator = SplitMix64(seed: 5)
        let cell = LSTMCell(inputSize: 3, hiddenSize: 4, using: &generator)
        #expect(cell.bias.storage[4..<8].allSatisfy { $0 == 1 } && cell.bias.storage[0..<4].allSatisfy { $0 == 0 },
                "forget-gate bias starts at 1, the others at 0")
        let x = random([2, 3], seed: 6)
        let previous = LSTMState(hidden: random([2, 4], seed: 7), cell: random([2, 4], seed: 8))
        let rh = random([2, 4], seed: 9), rc = random([2, 4], seed: 10)
        func loss(_ cell: LSTMCell, _ x: Tensor, _ previous: LSTMState) -> Double {
            var step = LSTMStep()
            cell.forward(x, previous: previous, into: &step)
            return project(step.state.hidden, rh) + project(step.state.cell, rc)
        }
        var step = LSTMStep()
        cell.forward(x, previous: previous, into: &step)
        var gradient = LSTMCell(inputWeight: Tensor(shape: [3, 16]), hiddenWeight: Tensor(shape: [4, 16]), bias: Tensor(shape: [16]))
        let back = cell.backward(input: x, previous: previous, step: step, dh: rh, dc: rc, gradient: &gradient)
        expectGradient("dW_x", gradientError(cell.inputWeight, analytic: gradient.inputWeight) { w in
            loss(LSTMCell(inputWeight: w, hiddenWeight: cell.hiddenWeight, bias: cell.bias), x, previous)
        })
        expectGradient("dW_h", gradientError(cell.hiddenWeight, analytic: gradient.hiddenWeight) { w in
            loss(LSTMCell(inputWeight: cell.inputWeight, hiddenWeight: w, bias: cell.bias), x, previous)
        })
        expectGradient("db", gradientError(cell.bias, analytic: gradient.bias) { b in
            loss(LSTMCell(inputWeight: cell.inputWeight, hiddenWeight: cell.hiddenWeight, bias: b), x, previous)
        })
        expectGradient("dx", gradientError(x, analytic: back.input) { loss(cell, $0, previous) })
        expectGradient("dh", gradientError(previous.hidden, analytic: back.hidden) {
            loss(cell, x, LSTMState(hidden: $0, cell: previous.cell))
        })
        expectGradient("dc", gradientError(previous.cell, analytic: back.cell) {
            loss(cell, x, LSTMState(hidden: previous.hidden, cell: $0))
        })
    }

    /// `A = 20`: not a multiple of any vector width, so loop tails are exercised too.
    @Test func softAttention() {
        var generator = SplitMix64(seed: 11)
        var layer = SoftAttention(featureSize: 4, hiddenSize: 5, attentionSize: 20, using: &generator)
        layer.annotationBias = random([20], seed: 12, scale: 0.5)
        layer.gateBias = Tensor(shape: [1], storage: [0.3])
        let annotations = random([2, 3, 4], seed: 13)
        let hidden = random([2, 5], seed: 14)
        let rz = random([2, 4], seed: 15), ra = random([2, 3], seed: 16)
        func loss(_ layer: SoftAttention, _ hidden: Tensor) -> Double {
            var projected = Tensor(shape: [0])
            layer.project(annotations, into: &projected)
            var step = AttentionStep()
            layer.forward(annotations: annotations, projected: projected, hidden: hidden, into: &step)
            return project(step.output, rz) + project(step.alpha, ra)
        }
        var projected = Tensor(shape: [0])
        layer.project(annotations, into: &projected)
        var step = AttentionStep()
        layer.forward(annotations: annotations, projected: projected, hidden: hidden, into: &step)
        for b in 0..<2 {
            let total = step.alpha.storage[(b * 3)..<(b * 3 + 3)].reduce(0, +)
            #expect(abs(total - 1) < 1e-5, "α of row \(b) sums to \(total)")
        }
        var gradient = SoftAttention(featureSize: 4, hiddenSize: 5, attentionSize: 20, using: &generator)
        for path: WritableKeyPath<SoftAttention, Tensor> in [\.annotationWeight, \.annotationBias, \.hiddenWeight,
                                                             \.scoreWeight, \.gateWeight, \.gateBias] {
            gradient[keyPath: path] = Tensor(shape: gradient[keyPath: path].shape)
        }
        var projectedGradient = Tensor(shape: projected.shape)
        let dh = layer.backward(annotations: annotations, projected: projected, hidden: hidden, step: step, outputGradient: rz, alphaGradient: ra,
                                gradient: &gradient, projectedGradient: &projectedGradient)
        layer.projectionBackward(annotations: annotations, projectedGradient: projectedGradient, gradient: &gradient)
        let names: [(String, WritableKeyPath<SoftAttention, Tensor>)] = [
            ("W_a", \.annotationWeight), ("b", \.annotationBias), ("U_a", \.hiddenWeight),
            ("w", \.scoreWeight), ("w_β", \.gateWeight), ("b_β", \.gateBias),
        ]
        for (name, path) in names {
            expectGradient(name, gradientError(layer[keyPath: path], analytic: gradient[keyPath: path]) { value in
                var changed = layer
                changed[keyPath: path] = value
                return loss(changed, hidden)
            })
        }
        expectGradient("dh", gradientError(hidden, analytic: dh) { loss(layer, $0) })
    }

    @Test func initialState() {
        var generator = SplitMix64(seed: 17)
        let layer = InitialState(featureSize: 4, hiddenSize: 3, using: &generator)
        let annotations = random([2, 5, 4], seed: 18)
        let rh = random([2, 3], seed: 19), rc = random([2, 3], seed: 20)
        func loss(_ projection: Linear) -> Double {
            let state = InitialState(projection: projection).forward(annotations).state
            return project(state.hidden, rh) + project(state.cell, rc)
        }
        let forward = layer.forward(annotations)
        var gradient = InitialState(projection: Linear(weight: Tensor(shape: [4, 6]), bias: Tensor(shape: [6])))
        layer.backward(annotations, activations: forward.activations, dh: rh, dc: rc, gradient: &gradient)
        expectGradient("dW", gradientError(layer.projection.weight, analytic: gradient.projection.weight) {
            loss(Linear(weight: $0, bias: layer.projection.bias))
        })
        expectGradient("db", gradientError(layer.projection.bias, analytic: gradient.projection.bias) {
            loss(Linear(weight: layer.projection.weight, bias: $0))
        })
    }

    @Test func deepOutputWithDropout() {
        var generator = SplitMix64(seed: 21)
        let layer = DeepOutput(inputSize: 5, hiddenSize: 4, vocabularySize: 7, using: &generator)
        let mask = Dropout(rate: 0.5).mask(shape: [3, 4], using: &generator)
        #expect(mask.storage.allSatisfy { $0 == 0 || $0 == 2 } && mask.storage.contains(0) && mask.storage.contains(2))
        let x = random([3, 5], seed: 22), r = random([3, 7], seed: 23)
        var gradient = DeepOutput(hidden: Linear(weight: Tensor(shape: [5, 4]), bias: Tensor(shape: [4])),
                                  vocabulary: Linear(weight: Tensor(shape: [4, 7]), bias: Tensor(shape: [7])))
        let dx = layer.backward(input: x, dropoutMask: mask, logitsGradient: r, gradient: &gradient)
        let names: [(String, WritableKeyPath<DeepOutput, Tensor>)] = [
            ("W_d", \.hidden.weight), ("b_d", \.hidden.bias), ("W_o", \.vocabulary.weight), ("b_o", \.vocabulary.bias),
        ]
        for (name, path) in names {
            expectGradient(name, gradientError(layer[keyPath: path], analytic: gradient[keyPath: path]) { value in
                var changed = layer
                changed[keyPath: path] = value
                return project(changed.forward(x, dropoutMask: mask), r)
            })
        }
        expectGradient("dx", gradientError(x, analytic: dx) { project(layer.forward($0, dropoutMask: mask), r) })
    }

    @Test func dropout() {
        var generator = SplitMix64(seed: 24)
        let mask = Dropout(rate: 0.25).mask(shape: [1000], using: &generator)
        let kept = mask.storage.filter { $0 != 0 }.count
        #expect(abs(Double(kept) / 1000 - 0.75) < 0.05, "kept \(kept) of 1000 at rate 0.25")
        let x = random([1000], seed: 25), r = random([1000], seed: 26)
        let analytic = Dropout.apply(r, mask: mask)
        expectGradient("dx", gradientError(x, analytic: analytic) { project(Dropout.apply($0, mask: mask), r) })
    }

    @Test func softmaxCrossEntropy() {
        let logits = random([4, 6], seed: 27, scale: 2)
        let targets = [5, 0, 4, 2]   // the second row is padding
        let (loss, gradient) = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
        #expect(gradient.storage[6..<12].allSatisfy { $0 == 0 }, "a padding row has no gradient")
        #expect(loss > 0)
        expectGradient("dlogits", gradientError(logits, analytic: gradient, epsilon: 1e-3) {
            SoftmaxCrossEntropy.evaluate(logits: $0, targets: targets).loss
        })
    }

    @Test func attentionPenalty() {
        let penalty = AttentionPenalty(weight: 0.7)
        let alphas = (0..<3).map { random([2, 4], seed: 30 + UInt64($0)) }
        let mask: [Float] = [1, 1, 1, 0, 1, 0]   // [T·B]: the second caption ends after step 1
        let (_, gradients) = penalty.evaluate(alphas: alphas, mask: mask)
        #expect(gradients[2].storage[4..<8].allSatisfy { $0 == 0 }, "padded steps have no gradient")
        for t in 0..<3 {
            expectGradient("dα_\(t)", gradientError(alphas[t], analytic: gradients[t]) { value in
                var changed = alphas
                changed[t] = value
                return penalty.evaluate(alphas: changed, mask: mask).loss
            })
        }
    }
}
