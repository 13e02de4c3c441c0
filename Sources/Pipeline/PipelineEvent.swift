// What a pipeline reports while it runs: one event type for train, generate and burn, so the
// command line draws every pipeline's progress the same way.
import Captioner

/// A step of progress in a pipeline.
public enum PipelineEvent: Sendable {
    /// Feature extraction of video `video` (0-based) of `videos`: `done` of `total` sampled frames.
    case features(video: Int, videos: Int, done: Int, total: Int)
    /// Comments generated for `done` of `total` sampled frames.
    case generate(done: Int, total: Int)
    /// `done` of about `total` video frames drawn and encoded.
    case render(done: Int, total: Int)
    /// Training begins at epoch `firstEpoch` (later than 1 when resuming), `batchesPerEpoch` batches each.
    case trainingStarted(firstEpoch: Int, batchesPerEpoch: Int)
    /// A training batch finished.
    case batch(TrainingProgress)
}
