// `danmaku eval` on the built binary: the JSON report's shape and the usage errors.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct EvalCLITests {
    @Test("--json reports real and shuffled metrics within their ranges")
    func json() throws {
        let directory = try TemporaryDirectory()
        let bundle = try quickCLIBundle(in: directory)
        let result = try runDanmaku(["eval", Project.sample("other.mp4"), Project.sample("other.xml"), "-m", bundle, "--json",
                                     "--frames", "8", "--candidates", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["frames"] as? Int == 8)
        #expect(report["groundingGainMRR"] is Double)
        for condition in ["real", "shuffled"] {
            let metrics = try #require(report[condition] as? [String: Any])
            let ranking = try #require(metrics["ranking"] as? [String: Any])
            let mrr = try #require(ranking["mrr"] as? Double)
            let meanRank = try #require(ranking["meanRank"] as? Double)
            #expect(mrr > 0 && mrr <= 1)
            #expect(meanRank >= 1 && meanRank <= 30)
            #expect((metrics["bleu"] as? [Double])?.count == 4)
            #expect((metrics["perplexity"] as? Double).map { $0 > 1 } == true)
        }
        let table = try runDanmaku(["eval", Project.sample("other.mp4"), Project.sample("other.xml"), "-m", bundle, "--frames", "4", "--candidates", "20"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("MRR") && table.stdout.contains("shuffled"), "\(table.stdout)")
        // A model without context: the conditions without context are the ones with it.
        let blind = try quickCLIBundle(in: directory, name: "k0.danmaku", ["--set", "model.context_comments=0"])
        let k0 = try runDanmaku(["eval", Project.sample("other.mp4"), Project.sample("other.xml"), "-m", blind, "--json",
                                 "--frames", "4", "--candidates", "20"])
        let k0Report = try #require(try JSONSerialization.jsonObject(with: Data(k0.stdout.utf8)) as? [String: Any])
        let shuffledNoContext = try #require(k0Report["shuffledNoContext"] as? NSDictionary)
        #expect(shuffledNoContext == (try #require(k0Report["shuffled"] as? NSDictionary)))
        let gainNoContext = try #require(k0Report["groundingGainNoContextMRR"] as? Double)
        #expect(gainNoContext == (try #require(k0Report["groundingGainMRR"] as? Double)))
    }

    @Test("bad arguments are one usage line")
    func usage() throws {
        let result = try runDanmaku(["eval", "v.mp4", "c.xml", "-m", "m.danmaku", "--candidates", "1"])
        #expect(result.status == 64)
        #expect(errorLines(result).count == 1, "\(result.stderr)")
    }
}
