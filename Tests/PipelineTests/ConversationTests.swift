// Which comments a comment reads as its context: the last K before it within the window,
// never itself, whatever order the thread comes in.
@testable import Pipeline
import Tensor
import Testing

@Suite struct ConversationTests {
    @Test func theLastKBeforeWithinTheWindowOldestFirst() {
        let window = ContextWindow(count: 2, seconds: 10)
        //            0    1    2     3     4    5
        let times = [5.0, 1.0, 5.0, 30.0, 3.0, 14.0]
        let contexts = window.contexts(times: times)
        #expect(contexts[1] == [])            // the first in time
        #expect(contexts[4] == [1])           // 3 s: only 1 s before it
        #expect(contexts[0] == [1, 4])        // 5 s: ties keep the given order, so 2 comes after 0
        #expect(contexts[2] == [4, 0])
        #expect(contexts[5] == [0, 2])        // 14 s: 1 s and 3 s are more than 10 s before
        #expect(contexts[3] == [])            // 30 s: nothing within 10 s
        #expect(ContextWindow(count: 0, seconds: 10).contexts(times: times).allSatisfy { $0.isEmpty })
    }

    @Test("for every shuffled thread, a context holds at most K comments, each earlier and within the window, and the K latest of them")
    func propertiesOnRandomThreads() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let count = Int.random(in: 0...40, using: &generator)
            let times = (0..<count).map { _ in Double(Int.random(in: 0...600, using: &generator)) / 10 }
            let window = ContextWindow(count: Int.random(in: 1...6, using: &generator), seconds: Double.random(in: 1...20, using: &generator))
            for (i, context) in window.contexts(times: times).enumerated() {
                #expect(context.count <= window.count && !context.contains(i))
                #expect(context.allSatisfy { times[$0] <= times[i] && times[$0] >= times[i] - window.seconds })
                #expect(zip(context, context.dropFirst()).allSatisfy { times[$0] <= times[$1] })
                let eligible = times.indices.filter { j in j != i && (times[j], j) < (times[i], i) && times[j] >= times[i] - window.seconds }
                #expect(context.count == min(window.count, eligible.count))
            }
        }
    }

    @Test func onScreenIsTheLastKOfTheWindowOldestFirst() {
        let shown: [(time: Double, tokens: [Int])] = [(1, [4]), (2, [5]), (9, [6]), (10, [7]), (10, [8])]
        #expect(ContextWindow(count: 3, seconds: 5).onScreen(shown, at: 10) == [[6], [7], [8]])
        #expect(ContextWindow(count: 5, seconds: 5).onScreen(shown, at: 10) == [[6], [7], [8]], "1 s and 2 s are more than 5 s before")
        #expect(ContextWindow(count: 5, seconds: 5).onScreen(shown, at: 20) == [])
        #expect(ContextWindow(count: 0, seconds: 5).onScreen(shown, at: 10) == [])
    }

    @Test func aFramesContextIsTheCommentsOfEarlierFramesOnly() {
        let window = ContextWindow(count: 5, seconds: 10)
        let thread: [(frame: Int, tokens: [String])] = [(3, ["a"]), (1, ["b"]), (3, ["c"]), (0, ["d"]), (30, ["e"])]
        let contexts = window.frameContexts(frames: [3, 30, 0], thread: thread, fps: 1)
        #expect(contexts[3] == [["d"], ["b"]])
        #expect(contexts[0] == [])
        #expect(contexts[30] == [])
    }

    @Test func theRepeatShareCountsRepeatsWithinTheDuplicateWindowInTimeOrder() {
        let w = GeneratePipeline.duplicateWindow
        // 8888 three times within the window (two repeats), once more after it (none), ｗ once.
        let thread: [(vpos: Int, tokens: [String])] = [(w + 10, ["8888"]), (0, ["8888"]), (10, ["ｗ"]), (w - 1, ["8888"]),
                                                      (3 * w, ["8888"])]
        #expect(GeneratePipeline.repeatShare(thread) == 2.0 / 5)
        #expect(GeneratePipeline.repeatShare([]) == 0)
        #expect(GeneratePipeline.repeatShare([(0, ["a"]), (w, ["a"])]) == 0, "exactly the window apart is not a repeat")
    }
}
