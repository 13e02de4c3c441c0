// `danmaku tokenize` on the built binary: outputs, statistics and every kind of bad input.
import Comments
import Foundation
import TestSupport
import Testing

@Suite("danmaku tokenize")
struct TokenizeCLITests {
    @Test("prints one kept comment per line: time, mail, tokens")
    func lines() throws {
        let expected = try CommentFixtures.expected("niconico-reply.xml")
        let result = try runDanmaku(["tokenize", expected.path])
        #expect(result.status == 0)
        // The fixture's only bad values: `@N` durations past 120 s, as real files hold them, shortened and said.
        #expect(result.stderr == "danmaku: warning: \(expected.path): bad values: mail @N out of range in 6 comments (read as @120)\n")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == expected.kept)
        // The first kept comment is a lone "1", one token for any tokenizer.
        let first = expected.firstKept
        let firstLine = String(format: "%d.%02d", first.vpos / 100, first.vpos % 100) + "\t-\t" + first.text
        #expect(lines.first.map(String.init) == firstLine)
        #expect(lines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 3 })
    }

    @Test("--json prints one object per comment")
    func json() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("c.xml")
        try Data("<packet><chat vpos=\"150\" mail=\"184 shita\" user_id=\"u\">ご注文はうさぎですかｗｗｗｗｗｗ</chat></packet>".utf8)
            .write(to: URL(fileURLWithPath: path))
        let result = try runDanmaku(["tokenize", path, "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["vpos"] as? Int == 150)
        #expect(object["mail"] as? [String] == ["184", "shita"])
        #expect(object["tokens"] as? [String] == ["ご", "注文", "は", "うさぎ", "です", "か", "wwww"])
    }

    @Test("--stats prints totals, drops by reason, top tokens and the histogram")
    func stats() throws {
        let niconico = try CommentFixtures.expected("niconico-reply.xml")
        let result = try runDanmaku(["tokenize", niconico.path, "--stats"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let drops = DropReason.allCases.compactMap { reason in
            niconico.dropped[reason.rawValue].map { "dropped (\(reason.rawValue)): \($0)" }
        }
        #expect(Array(lines.prefix(2 + drops.count)) == ["comments read: \(niconico.read)", "kept: \(niconico.kept)"] + drops)
        #expect(lines.contains { $0.hasPrefix("distinct tokens: ") })
        let top = try #require(lines.first { $0.hasPrefix("most frequent tokens: ") })
        #expect(top.split(separator: ",").count == 30)
        #expect(lines.contains("comments per second (comments: seconds):"))

        let bilibili = try CommentFixtures.expected("bilibili-old.xml")
        let json = try runDanmaku(["tokenize", bilibili.path, "--stats", "--json", "--tokenizer", "char"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["read"] as? Int == bilibili.read)
        #expect(object["kept"] as? Int == bilibili.kept)
        let histogram = try #require(object["commentsPerSecondHistogram"] as? [Int])
        #expect(histogram.enumerated().map { $0.offset * $0.element }.reduce(0, +) == object["kept"] as? Int)
    }

    @Test("bad input: exit 1 and one error line naming the file", arguments: [
        ("missing.xml", nil as [UInt8]?, "cannot read: no such file"),
        ("broken.xml", Array("<packet>\n<chat vpos=\"1\">a\n</packet>".utf8), "broken.xml:3:"),
        ("notes.txt", Array("just some notes".utf8), "unrecognised comment format (starts with \"just some notes\")"),
        ("latin1.xml", Array("<packet><chat vpos=\"1\">caf".utf8) + [0xE9] + Array("</chat></packet>".utf8), "invalid UTF-8 at byte offset 26"),
        ("bad.json", Array("{\"threads\": [".utf8), "malformed JSON"),
    ])
    func badInput(name: String, bytes: [UInt8]?, message: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file(name)
        if let bytes { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        let result = try runDanmaku(["tokenize", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("danmaku: error: \(path)") == true)
        #expect(result.stderr.contains(message))
    }

    @Test("an unknown tokenizer is a usage error")
    func unknownTokenizer() throws {
        let result = try runDanmaku(["tokenize", CommentFixtures.path("niconico-reply.xml"), "--tokenizer", "sentencepiece"])
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
