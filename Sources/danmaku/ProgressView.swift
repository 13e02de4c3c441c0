// A pipeline's progress on stderr: one bar per stage, made when the stage first reports (so
// its clock starts with its work) and finished when the next stage starts.
import Pipeline

/// Draws `PipelineEvent`s as progress bars: `features` (in training one bar per video,
/// `features 2/3`), `generate`, `render`, and one bar per training epoch (`epoch 3/30`).
final class ProgressView {
    /// Training's epoch limit, for the epoch bars' labels (0: none); nil outside training.
    private let epochLimit: Int?
    /// The bar of the stage that reports now, its label and what it last showed.
    private var current: (label: String, bar: ProgressBar, done: Int)?
    /// The next epoch's bar, made when the previous epoch ends so its clock starts there.
    private var pending: (epoch: Int, bar: ProgressBar)?

    /// - Parameter epochLimit: `training.epochs` when the events come from training, else nil.
    init(epochLimit: Int? = nil) { self.epochLimit = epochLimit }

    /// Shows `event`.
    func report(_ event: PipelineEvent) {
        switch event {
        case let .features(video, videos, done, total):
            advance(epochLimit == nil ? "features" : "features \(video + 1)/\(videos)", unit: "frames", done: done, total: total)
        case let .generate(done, total):
            advance("generate", unit: "frames", done: done, total: total)
        case let .render(done, total):
            advance("render", unit: "frames", done: done, total: total)
        case let .trainingStarted(firstEpoch, batchesPerEpoch):
            finish()
            pending = (firstEpoch, ProgressBar(epochLabel(firstEpoch), unit: "batches", total: batchesPerEpoch))
        case let .batch(step):
            var justCreated = false
            let label = epochLabel(step.epoch)
            if current?.label != label {
                finish()
                if let pending, pending.epoch == step.epoch {
                    current = (label, pending.bar, 0)
                } else {
                    current = (label, ProgressBar(label, unit: "batches", total: step.batchesPerEpoch), 0)
                    justCreated = true
                }
                pending = nil
            }
            current?.done = step.batch
            // A bar made after its first batch has no time to measure a rate by.
            if !justCreated || step.batch == step.batchesPerEpoch {
                current?.bar.update(step.batch, detail: String(format: "loss %.3f, %.0f tokens/s", step.loss, step.tokensPerSecond))
            }
            let limit = epochLimit ?? 0
            if step.batch == step.batchesPerEpoch && (limit == 0 || step.epoch < limit) {
                pending = (step.epoch + 1, ProgressBar(epochLabel(step.epoch + 1), unit: "batches", total: step.batchesPerEpoch))
            }
        }
    }

    /// Finishes the bar of the stage that reported last.
    func finish() {
        if let current { current.bar.finish(current.done) }
        current = nil
    }

    private func advance(_ label: String, unit: String, done: Int, total: Int) {
        if current?.label != label {
            finish()
            current = (label, ProgressBar(label, unit: unit, total: total), done)
        }
        current?.done = done
        current?.bar.update(done)
    }

    /// `epoch 3/30` under an epoch limit, `epoch 3` without one.
    private func epochLabel(_ epoch: Int) -> String {
        let limit = epochLimit ?? 0
        return limit > 0 ? "epoch \(epoch)/\(limit)" : "epoch \(epoch)"
    }
}
