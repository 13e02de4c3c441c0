// training-log.jsonl: Codable events, and the lines the hand-written log wrote still read.
@testable import Captioner
import Foundation
@testable import Pipeline
import TestSupport
import Testing

@Suite struct TrainingLogTests {
    @Test("a resumed log keeps the old batches (the hand-written format included) and drops its epochs and stop")
    func resumeReadsTheOldFormat() throws {
        let directory = try TemporaryDirectory()
        let old = directory.file("training-log.jsonl")
        try """
            {"event":"batch","epoch":1,"batch":1,"step":1,"loss":4.12345,"tokens_per_s":1234.5}
            {"event":"epoch","epoch":1,"step":1,"train_loss":4.12345,"dev_loss":4.00000}
            {"event":"stop","reason":"epochs"}

            """.write(toFile: old, atomically: true, encoding: .utf8)
        var log = TrainingLog(previous: old)
        #expect(log.events == [.batch(epoch: 1, batch: 1, step: 1, loss: 4.12345, tokensPerSecond: 1234.5)])
        #expect(log.batchLosses.isEmpty, "the report's curve shows this run's batches")
        log.batch(TrainingProgress(epoch: 2, batch: 1, batchesPerEpoch: 1, loss: 3.5000049, step: 2, tokens: 9996, seconds: 100))
        log.epoch(EpochSummary(epoch: 2, trainLoss: 3.5, devLoss: .nan, step: 2))
        log.stop(.finished)
        let lines = try log.text().split(separator: "\n").map(String.init)
        #expect(lines == [
            #"{"batch":1,"epoch":1,"event":"batch","loss":4.12345,"step":1,"tokens_per_s":1234.5}"#,
            #"{"batch":1,"epoch":2,"event":"batch","loss":3.5,"step":2,"tokens_per_s":100}"#,
            #"{"dev_loss":"nan","epoch":2,"event":"epoch","step":2,"train_loss":3.5}"#,
            #"{"event":"stop","reason":"finished"}"#,
        ])
        #expect(log.batchLosses.map(\.step) == [2])
        try log.text().write(toFile: old, atomically: true, encoding: .utf8)
        #expect(TrainingLog(previous: old).events.count == 2, "its own output reads back")
    }
}
