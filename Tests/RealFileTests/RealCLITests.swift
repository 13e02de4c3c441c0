// The real-file suite on the built binary: `danmaku tokenize` on the third-party comment files,
// and the shared clip against the one `make test` fetches.
import Foundation
import Testing
import TestSupport

@Suite(RealFixtures.available) struct RealCLITests {
    @Test("tokenize prints one kept comment per line: time, mail, tokens")
    func tokenizeLines() throws {
        let result = try runDanmaku(["tokenize", RealFixtures.path("niconico-sm23726371.xml")])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 181)
        #expect(lines.first == "0.76\t-\t1")
        #expect(lines.contains("15.63\t184\tハム 太郎"))
        #expect(lines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 3 })
    }

    @Test("tokenize --stats counts the real files")
    func tokenizeStats() throws {
        let result = try runDanmaku(["tokenize", RealFixtures.path("niconico-sm23726371.xml"), "--stats"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(3) == ["comments read: 184", "kept: 181", "dropped (deleted): 3"])

        let json = try runDanmaku(["tokenize", RealFixtures.path("bilibili-danmaku01.xml"), "--stats", "--json", "--tokenizer", "char"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["read"] as? Int == 1200)
        let histogram = try #require(object["commentsPerSecondHistogram"] as? [Int])
        #expect(histogram.enumerated().map { $0.offset * $0.element }.reduce(0, +) == object["kept"] as? Int)
    }

    @Test("the shared clip is, byte for byte, the one make test fetches")
    func sharedClipIsTheFetchedOne() throws {
        let shared = try Data(contentsOf: URL(fileURLWithPath: RealFixtures.path("bigbuckbunny-5s.mp4")))
        let fetched = try Data(contentsOf: URL(fileURLWithPath: TestMedia.bigBuckBunny()))
        #expect(shared == fetched)
    }
}
