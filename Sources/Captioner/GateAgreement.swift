// Whether the agreement gate judges threads on pictures it has not trained on. Training
// asks after every epoch: on the development blocks, each caption is shown its own thread
// and then the thread of the caption halfway round the blocks, and the gate's values for the
// two are compared as a Mann–Whitney AUC. A gate that learnt the pictures (what a scene
// makes people say) ranks own threads higher; one that only learnt the training pictures by
// heart, as on a stand-in video whose picture has nothing to do with its thread, is at
// chance there, and the model then reads the thread with the gate open (trust τ = 0).
import Foundation
import Tensor

/// The gate's values for captions shown their own thread and for captions shown another's.
public struct GateAgreement: Sendable, Equatable {
    /// `g` of each caption shown its own (non-empty) context.
    public var own: [Float]
    /// `g` of each caption shown another example's (non-empty) context.
    public var other: [Float]

    public init(own: [Float], other: [Float]) {
        self.own = own
        self.other = other
    }

    /// P(g_own > g_other) over all pairs, ties counting half (Mann–Whitney U / pairs);
    /// 0.5 is chance. Nil without a value on each side.
    public var auc: Double? {
        guard !own.isEmpty && !other.isEmpty else { return nil }
        // ranks of the pooled values, tied values sharing their mean rank
        let pooled = (own.map { ($0, true) } + other.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var ownRanks = 0.0, start = 0
        while start < pooled.count {
            var end = start
            while end + 1 < pooled.count && pooled[end + 1].0 == pooled[start].0 { end += 1 }
            let rank = Double(start + end) / 2 + 1
            ownRanks += rank * Double(pooled[start...end].filter(\.1).count)
            start = end + 1
        }
        let n = Double(own.count), m = Double(other.count)
        return (ownRanks - n * (n + 1) / 2) / (n * m)
    }

    /// Whether the AUC is above chance at the one-sided 5 % level: at least 1.645 standard
    /// errors of the AUC under "the gate cannot tell" (`√((n + m + 1) / (12·n·m))`) above
    /// 0.5, so that a few development captions do not switch the gate on by luck.
    public var beatsChance: Bool {
        guard let auc else { return false }
        let n = Double(own.count), m = Double(other.count)
        return auc - 0.5 >= 1.645 * ((n + m + 1) / (12 * n * m)).squareRoot()
    }
}

extension CaptionModel {
    /// The gate's values on `data`'s examples, each shown its own context and then the context
    /// of the example `count / 2` places further round, its comments cut to `maxTokens` as in
    /// training (nil for a model without the gate or fewer than 2 examples). Captions whose
    /// context is empty either way have no value.
    public func gateAgreement(on data: CaptionDataset, batchSize: Int = 256, maxTokens: Int = 32) -> GateAgreement? {
        let count = data.examples.count
        guard context.isGated && count >= 2 else { return nil }
        // Only the gate: the captions' pictures (once per frame) and the context encoder, not the rest of `start`.
        let framePictures = pictures(data.features, frames: Array(0..<data.features.shape[0]))
        var agreement = GateAgreement(own: [], other: [])
        let size = max(1, batchSize)
        for chunk in stride(from: 0, to: count, by: size) {
            let indices = Array(chunk..<min(count, chunk + size))
            let picture = framePictures.rows(indices.map { data.examples[$0].frame })
            for swapped in [false, true] {
                let comments = CaptionContext(indices.map { data.examples[swapped ? ($0 + count / 2) % count : $0].context },
                                              maxTokens: maxTokens)
                var a = ContextActivations()
                context.forward(mean: comments.mean(embedding), picture: picture, into: &a)
                for b in indices.indices where !comments.isEmpty(b) {
                    if swapped { agreement.other.append(a.gate[b]) } else { agreement.own.append(a.gate[b]) }
                }
            }
        }
        return agreement
    }
}
