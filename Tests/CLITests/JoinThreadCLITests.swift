// `danmaku render VIDEO -m MODEL --comments THREAD`: the model's comments join a real thread.
// Both are drawn and written to the XML, the generated ones marked; eval reports the three
// conditions of a model that reads context.
import Foundation
import TestSupport
import Testing

@Suite struct JoinThreadCLITests {
    @Test func generatedCommentsJoinTheRealThreadMarkedAndEvalReportsTheContextGain() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), thread = directory.file("thread.xml"), bundle = directory.file("tiny.danmaku")
        try makeGreyClip(clip, seconds: 12)
        try RenderOptionsCLITests.writeThread(thread, count: 200, seconds: 12)
        let trained = try runDanmaku(["train", clip, thread, "-o", bundle, "--epochs", "1"] + quickSettings)
        try #require(trained.status == 0, "\(trained.stderr)")
        let recipe = try String(contentsOfFile: bundle + "/recipe.yaml", encoding: .utf8)
        #expect(recipe.contains("context_comments: 5"), "the default model reads 5 comments of context")

        let xml = directory.file("joined.xml"), output = directory.file("joined.mp4")
        let joined = try runDanmaku(["render", clip, "-m", bundle, "--comments", thread, "--density", "2", "--xml", xml, "-o", output])
        try #require(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains("joined    200 comments of \(thread)"), "\(joined.stdout)")
        let written = try String(contentsOfFile: xml, encoding: .utf8)
        let chats = written.components(separatedBy: "<chat ").dropFirst()
        let generated = chats.filter { $0.contains("danmaku:generated") }
        #expect(chats.count - generated.count == 200, "every real comment is kept")
        #expect(!generated.isEmpty, "the model added comments")
        let shown = try #require(joined.stdout.firstMatch(of: /comments  (\d+) shown, (\d+) not drawn/))
        #expect(Int(shown.1)! + Int(shown.2)! == chats.count, "both are drawn: \(joined.stdout)")
        // Numbers continue after the thread's.
        let numbers = generated.compactMap { $0.firstMatch(of: /no="(\d+)"/).map { Int($0.1)! } }
        #expect(numbers.allSatisfy { $0 > 200 })

        let eval = try runDanmaku(["eval", clip, thread, "-m", bundle, "--json", "--frames", "10", "--candidates", "20"])
        try #require(eval.status == 0, "\(eval.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        for key in ["real", "noContext", "shuffled", "shuffledNoContext", "groundingGainMRR", "contextGainMRR", "groundingGainNoContextMRR"] {
            #expect(report[key] != nil, "\(key)")
        }
        func mrr(_ condition: String) -> Double? { ((report[condition] as? [String: Any])?["ranking"] as? [String: Any])?["mrr"] as? Double }
        let alone = try #require(mrr("noContext")), blindAlone = try #require(mrr("shuffledNoContext"))
        #expect(abs((report["groundingGainNoContextMRR"] as? Double ?? .nan) - (alone - blindAlone)) < 1e-9)
        let table = try runDanmaku(["eval", clip, thread, "-m", bundle, "--frames", "10", "--candidates", "20"])
        #expect(table.stdout.contains("real no context   shuffled  grounding    context"), "the table's columns: \(table.stdout)")
        #expect(table.stdout.contains("with nothing on screen: MRR"), "a context model's grounding with no context: \(table.stdout)")

        // Without -m, --density still needs a model.
        let refused = try runDanmaku(["render", clip, "--comments", thread, "--density", "2"])
        #expect(refused.status == 64)
    }
}
