import Pipeline
import Testing

@Suite("Alignment and split")
struct DatasetTests {
    @Test("a comment goes to the nearest sampled frame, clamped to the video")
    func alignment() {
        // 2 fps, 10 frames (0 … 4.5 s).
        #expect(Alignment.frameIndex(vpos: 0, fps: 2, frameCount: 10) == 0)
        #expect(Alignment.frameIndex(vpos: 124, fps: 2, frameCount: 10) == 2)  // 1.24 s → 2.48 → 2
        #expect(Alignment.frameIndex(vpos: 126, fps: 2, frameCount: 10) == 3)  // 1.26 s → 2.52 → 3
        #expect(Alignment.frameIndex(vpos: 100_000_000, fps: 2, frameCount: 10) == 9)
        #expect(Alignment.frameIndex(vpos: -500, fps: 2, frameCount: 10) == 0)
        #expect(Alignment.frameIndex(vpos: 300, fps: 2, lag: -1, frameCount: 10) == 4)  // 2 s → 4
    }

    @Test("the split holds out whole blocks, about the asked share, repeatably")
    func split() {
        let split = TimeBlockSplit(durations: [600, 300], blockSeconds: 10, devFraction: 0.1, seed: 3)
        #expect(split.devBlocks.count == 9)  // 90 blocks × 0.1
        #expect(split == TimeBlockSplit(durations: [600, 300], blockSeconds: 10, devFraction: 0.1, seed: 3))
        #expect(split != TimeBlockSplit(durations: [600, 300], blockSeconds: 10, devFraction: 0.1, seed: 4))
        // Every second of a block goes to the same side.
        for block in split.devBlocks {
            for offset in stride(from: 0.0, to: 10, by: 0.5) {
                #expect(split.isDev(video: block.video, seconds: Double(block.index) * 10 + offset))
            }
        }
    }

    @Test("short material still keeps a development block and a training block")
    func smallSplits() {
        #expect(TimeBlockSplit(durations: [25], blockSeconds: 10, devFraction: 0.1, seed: 1).devBlocks.count == 1)
        #expect(TimeBlockSplit(durations: [5], blockSeconds: 10, devFraction: 0.5, seed: 1).devBlocks.isEmpty)
        #expect(TimeBlockSplit(durations: [100], blockSeconds: 10, devFraction: 0, seed: 1).devBlocks.isEmpty)
    }
}
