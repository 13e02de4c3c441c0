// The conversation on screen: which comments a comment reads as its context. Training takes
// them from the same video's real comments, evaluation from the real comments before the
// frame, generation from what it has generated so far or from the thread it joins.
import Captioner
import Comments

/// Up to `count` comments shown within `seconds` before a time, oldest first.
public struct ContextWindow: Sendable, Equatable {
    /// K (`model.context_comments`); 0: no context.
    public var count: Int
    /// The window (`model.context_seconds`).
    public var seconds: Double

    public init(count: Int, seconds: Double) {
        self.count = count
        self.seconds = seconds
    }

    public init(recipe: Recipe) {
        self.init(count: recipe.model.contextComments, seconds: recipe.model.contextSeconds)
    }

    /// For each of a thread's comments at `times` (seconds, any order), the indices of its
    /// context: the last `count` comments before it in time (ties in the given order) and no
    /// more than `seconds` earlier, never itself, oldest first.
    public func contexts(times: [Double]) -> [[Int]] {
        guard count > 0 else { return [[Int]](repeating: [], count: times.count) }
        let order = times.indices.sorted { (times[$0], $0) < (times[$1], $1) }
        var out = [[Int]](repeating: [], count: times.count)
        for (position, index) in order.enumerated() {
            var chosen: [Int] = []
            var before = position - 1
            while before >= 0 && chosen.count < count && times[order[before]] >= times[index] - seconds {
                chosen.append(order[before])
                before -= 1
            }
            out[index] = chosen.reversed()
        }
        return out
    }

    /// The context at time `seconds` of a thread at `times` (the comments shown before it):
    /// the last `count` of those in `[seconds − window, seconds)`, oldest first.
    public func context(at time: Double, times: [Double]) -> [Int] {
        guard count > 0 else { return [] }
        let earlier = times.indices.filter { times[$0] < time && times[$0] >= time - seconds }
            .sorted { (times[$0], $0) < (times[$1], $1) }
        return Array(earlier.suffix(count))
    }

    /// The context of a comment written at `time` after the comments `shown` (in time order,
    /// none later than `time`; generated so far, or a thread's): the last `count` of them no
    /// more than `seconds` before it, oldest first.
    public func onScreen(_ shown: [(time: Double, tokens: [Int])], at time: Double) -> [[Int]] {
        var out: [[Int]] = []
        for entry in shown.reversed() {
            guard out.count < count, entry.time >= time - seconds else { break }
            out.append(entry.tokens)
        }
        return out.reversed()
    }

    /// The context of each of `frames`: the comments of `thread` aligned to earlier frames
    /// (never the frame's own, which are what is evaluated) within the window, oldest first.
    func frameContexts(frames: [Int], thread: [(frame: Int, tokens: [String])], fps: Double) -> [Int: [[String]]] {
        let times = thread.map { Double($0.frame) / fps }
        var out: [Int: [[String]]] = [:]
        for frame in frames { out[frame] = context(at: Double(frame) / fps, times: times).map { thread[$0].tokens } }
        return out
    }
}
