// Aligning comments to sampled frames and splitting them into training and development sets
// by contiguous time blocks.
import Tensor

/// Where a comment's time lands among a video's sampled frames.
public enum Alignment {
    /// The sampled frame for a comment at `vpos` centiseconds: `round((vpos/100 + lag) × fps)`,
    /// clamped to the video — past the end goes to the last frame, negative to the first, as
    /// the article did.
    ///
    /// - Precondition: `frameCount > 0` and `fps > 0`.
    public static func frameIndex(vpos: Int, fps: Double, lag: Double = 0, frameCount: Int) -> Int {
        precondition(frameCount > 0 && fps > 0, "frameIndex needs frames (\(frameCount)) and a positive fps (\(fps))")
        let position = ((Double(vpos) / 100 + lag) * fps).rounded()
        guard position.isFinite else { return position > 0 ? frameCount - 1 : 0 }
        if position <= 0 { return 0 }
        if position >= Double(frameCount - 1) { return frameCount - 1 }
        return Int(position)
    }
}

/// A split of time blocks into training and development sets.
///
/// Neighbouring sampled frames are nearly identical, so a random split by frame would put
/// copies of training pictures in the development set (the article's own complaint). Here
/// every block of `blockSeconds` goes wholly to one side.
public struct TimeBlockSplit: Equatable, Sendable {
    /// A block: which video, and which `blockSeconds`-long stretch of it.
    public struct Block: Hashable, Sendable, Comparable {
        public var video: Int
        public var index: Int

        public init(video: Int, index: Int) {
            self.video = video
            self.index = index
        }

        public static func < (a: Block, b: Block) -> Bool { (a.video, a.index) < (b.video, b.index) }
    }

    /// The blocks held out for development.
    public let devBlocks: Set<Block>
    /// The length of a block in seconds.
    public let blockSeconds: Double

    /// Chooses `round(devFraction × blocks)` development blocks at random (seeded) among the
    /// blocks of the given video durations; at least one when `devFraction > 0` and there are
    /// two blocks or more, and never all of them.
    public init(durations: [Double], blockSeconds: Double, devFraction: Double, seed: UInt64) {
        precondition(blockSeconds > 0 && (0..<1).contains(devFraction), "blockSeconds \(blockSeconds), devFraction \(devFraction)")
        var blocks: [Block] = []
        for (video, duration) in durations.enumerated() {
            let count = max(1, Int((duration / blockSeconds).rounded(.up)))
            blocks += (0..<count).map { Block(video: video, index: $0) }
        }
        var wanted = Int((devFraction * Double(blocks.count)).rounded())
        if devFraction > 0 && blocks.count >= 2 { wanted = max(wanted, 1) }
        wanted = min(wanted, blocks.count - 1)
        var rng = SplitMix64(seed: seed)
        blocks.shuffle(using: &rng)
        self.devBlocks = Set(blocks.prefix(max(0, wanted)))
        self.blockSeconds = blockSeconds
    }

    /// The block holding time `seconds` of video `video`.
    public func block(video: Int, seconds: Double) -> Block {
        Block(video: video, index: max(0, Int((seconds / blockSeconds).rounded(.down))))
    }

    /// Whether time `seconds` of video `video` belongs to the development set.
    public func isDev(video: Int, seconds: Double) -> Bool {
        devBlocks.contains(block(video: video, seconds: seconds))
    }
}
