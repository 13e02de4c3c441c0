// `training-log.jsonl`: one JSON object per line, `{"event": "batch" | "epoch" | "stop", …}`.
import Captioner
import Foundation

/// The events of training, in order; a resumed run continues the batches of the run before.
struct TrainingLog {
    /// One line of the log.
    enum Event: Codable, Equatable {
        /// A batch finished: its loss and speed.
        case batch(epoch: Int, batch: Int, step: Int, loss: Double, tokensPerSecond: Double)
        /// An epoch finished: the mean training loss and the development loss.
        case epoch(epoch: Int, step: Int, trainLoss: Double, devLoss: Double)
        /// Why training ended (`TrainingStop`).
        case stop(reason: String)

        private enum Kind: String, Codable { case batch, epoch, stop }

        private enum CodingKeys: String, CodingKey {
            case event, epoch, batch, step, loss, tokensPerSecond = "tokens_per_s", trainLoss = "train_loss",
                 devLoss = "dev_loss", reason
        }

        init(from decoder: any Swift.Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            switch try c.decode(Kind.self, forKey: .event) {
            case .batch:
                self = .batch(epoch: try c.decode(Int.self, forKey: .epoch), batch: try c.decode(Int.self, forKey: .batch),
                              step: try c.decode(Int.self, forKey: .step), loss: try c.decode(Double.self, forKey: .loss),
                              tokensPerSecond: try c.decode(Double.self, forKey: .tokensPerSecond))
            case .epoch:
                self = .epoch(epoch: try c.decode(Int.self, forKey: .epoch), step: try c.decode(Int.self, forKey: .step),
                              trainLoss: try c.decode(Double.self, forKey: .trainLoss), devLoss: try c.decode(Double.self, forKey: .devLoss))
            case .stop:
                self = .stop(reason: try c.decode(String.self, forKey: .reason))
            }
        }

        func encode(to encoder: any Swift.Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .batch(epoch, batch, step, loss, tokensPerSecond):
                try c.encode(Kind.batch, forKey: .event)
                try c.encode(epoch, forKey: .epoch)
                try c.encode(batch, forKey: .batch)
                try c.encode(step, forKey: .step)
                try c.encode(loss, forKey: .loss)
                try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
            case let .epoch(epoch, step, trainLoss, devLoss):
                try c.encode(Kind.epoch, forKey: .event)
                try c.encode(epoch, forKey: .epoch)
                try c.encode(step, forKey: .step)
                try c.encode(trainLoss, forKey: .trainLoss)
                try c.encode(devLoss, forKey: .devLoss)
            case let .stop(reason):
                try c.encode(Kind.stop, forKey: .event)
                try c.encode(reason, forKey: .reason)
            }
        }
    }

    private(set) var events: [Event] = []
    /// How many events came from the run before (a resumed run).
    private let resumedCount: Int

    /// A log continuing the batches of `previous` (a resumed run: its epochs and stop are
    /// written again from the trainer's history), or a new one. Lines that are not events are left out.
    init(previous: String?) {
        if let previous, let text = try? String(contentsOfFile: previous, encoding: .utf8) {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = Self.nonFinite
            events = text.split(separator: "\n").compactMap { try? decoder.decode(Event.self, from: Data($0.utf8)) }
                .filter { if case .batch = $0 { true } else { false } }
        }
        resumedCount = events.count
    }

    /// (step, loss) of every batch of this run, for the report's curve.
    var batchLosses: [(step: Int, loss: Double)] {
        events[resumedCount...].compactMap { if case let .batch(_, _, step, loss, _) = $0 { (step, loss) } else { nil } }
    }

    mutating func batch(_ step: TrainingProgress) {
        events.append(.batch(epoch: step.epoch, batch: step.batch, step: step.step, loss: Self.rounded(step.loss, 5),
                             tokensPerSecond: Self.rounded(step.tokensPerSecond, 1)))
    }

    mutating func epoch(_ summary: EpochSummary) {
        events.append(.epoch(epoch: summary.epoch, step: summary.step, trainLoss: Self.rounded(summary.trainLoss, 5),
                             devLoss: Self.rounded(summary.devLoss, 5)))
    }

    mutating func stop(_ stop: TrainingStop) {
        events.append(.stop(reason: stop.rawValue))
    }

    /// The JSON Lines text, keys sorted.
    func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try events.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    /// A diverged loss is written as the string `"nan"` (or `"inf"`), not as invalid JSON.
    private static let nonFinite = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// `value` to `places` decimals, as the log has always written it (a shorter file; the
    /// report's curves need no more).
    private static func rounded(_ value: Double, _ places: Int) -> Double {
        guard value.isFinite else { return value }
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
