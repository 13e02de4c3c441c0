// Real comment files as they come, on the built binary: every format's counts in
// `tokenize --stats`, repairs and art counted, unknown files one error line, several comment
// files for one video in `train`.
import Foundation
import TestSupport
import Testing

@Suite struct CommentFormatsCLITests {
    /// The statistics `tokenize FILE --stats --json` prints for `bytes` written as `name`.
    func stats(_ name: String, _ bytes: [UInt8]) throws -> [String: Any] {
        let directory = try TemporaryDirectory()
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try runDanmaku(["tokenize", path, "--stats", "--json", "--tokenizer", "char"])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// A Bilibili segment of one `DanmakuElem { progress = 1000; content = "草" }`.
    static let segment: [UInt8] = [0x0A, 0x08, 0x10, 0xE8, 0x07, 0x3A, 0x03, 0xE8, 0x8D, 0x89]

    @Test("tokenize --stats reads every format with the expected counts", arguments: [
        ("formatted.json", Array(#"[{"id":1,"vpos":100,"content":"草","date":0,"owner":false,"premium":false,"mail":[]},{"id":2,"vpos":200,"content":"/a","date":0,"owner":true,"premium":false,"mail":[]}]"#.utf8), "formattedJSON", 2, 1),
        ("legacy.json", Array(#"[{"thread":{"resultcode":0}},{"chat":{"no":1,"vpos":100,"user_id":"u","content":"草"}}]"#.utf8), "legacyJSON", 1, 1),
        ("owner.json", Array(#"[{"time":"0:01","command":"","comment":"草"}]"#.utf8), "ownerJSON", 1, 1),
        ("owner.txt", Array("1:shita:草\n2::/nicoad\n".utf8), "legacyOwnerText", 2, 1),
        ("v1.json", Array(#"[{"id":"1","fork":"main","comments":[{"id":"a","no":1,"vposMs":1000,"body":"草","commands":[]}]}]"#.utf8), "niconicoJSON", 1, 1),
        ("v.comments.json", Array(#"[{"id":"a","no":1,"vposMs":1000,"body":"草","commands":[],"userId":"u","isPremium":false,"score":0,"postedAt":"2024-01-01T00:00:00Z","nicoruCount":0,"source":"leaf"}]"#.utf8), "ytDlpJSON", 1, 1),
        ("xml2js.json", Array(#"{"packet":{"chat":[{"_":"草","$":{"no":"1","vpos":"100","user_id":"u"}}]}}"#.utf8), "xml2jsJSON", 1, 1),
        ("niconicome.xml", Array("<Packet><chat no=\"1\" vpos=\"100\" date_usec=\"1\" user_id=\"u\">草</chat></Packet>".utf8), "niconicoXML", 1, 1),
        ("bili.xml", Array("<i><d p=\"1.0,1,25,16777215,0,0,u,1\">草</d><d p=\"2.0,7,25,16777215,0,0,u,2\">[]</d></i>".utf8), "bilibiliXML", 2, 1),
        ("seg.so", segment, "bilibiliProtobuf", 1, 1),
    ])
    func everyFormat(name: String, bytes: [UInt8], format: String, read: Int, kept: Int) throws {
        let object = try stats(name, bytes)
        #expect(object["format"] as? String == format)
        #expect(object["read"] as? Int == read && object["kept"] as? Int == kept, "\(object)")
    }

    @Test("mojibake, controls, U+FFFD and art are counted in --stats")
    func dirtyFile() throws {
        let mojibake = String(String.UnicodeScalarView("すごい".utf8.map { Unicode.Scalar($0) }))
        let text = """
            <packet><chat no="1" vpos="100" user_id="u">\(mojibake)</chat><chat no="2" vpos="200" user_id="u">café\u{85}</chat>\
            <chat no="3" vpos="300" user_id="u">\u{FFFD}\u{FFFD}草</chat><chat no="4" vpos="400" user_id="u">███▇▆▅▃▁</chat>\
            <chat no="5" vpos="500" user_id="u">∧＿∧&#10;（´∀｀）</chat></packet>
            """
        let object = try stats("dirty.xml", Array(text.utf8))
        #expect(object["read"] as? Int == 5 && object["kept"] as? Int == 3)
        #expect((object["dropped"] as? [String: Int]) == ["art": 2])
        let repaired = try #require(object["repaired"] as? [String: Int])
        #expect(repaired["mojibakeComments"] == 1 && repaired["controlCharacters"] == 1 && repaired["invalidCharacters"] == 2)

        let directory = try TemporaryDirectory()
        let path = directory.file("dirty.xml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let lines = try runDanmaku(["tokenize", path, "--stats"]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("dropped (art): 2"))
        #expect(lines.contains("repaired (mojibake): 1 comments"))
        #expect(lines.contains("stripped (control characters): 1 in 1 comments"))
        #expect(lines.contains("stripped (U+FFFD, unpaired surrogates): 2 in 1 comments"))
    }

    @Test("an unrecognised file: exit 1, one line naming the file and the formats tried", arguments: [
        ("unknown.json", #"[{"foo":1}]"#), ("notes.txt", "just some notes"), ("page.xml", "<html></html>"),
    ])
    func unrecognised(name: String, text: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runDanmaku(["tokenize", path])
        #expect(result.status == 1 && result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("danmaku: error: \(path): unrecognised comment format") == true)
        #expect(result.stderr.contains("tried Niconico XML") && result.stderr.contains("Bilibili protobuf"))
    }

    @Test("a recognised file without comments: a warning with counts, exit 0")
    func emptyButRecognised() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.json")
        try #"[{"ping":{"content":"rs:0"}},{"thread":{"resultcode":0}}]"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runDanmaku(["tokenize", path, "--stats"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("danmaku: warning: \(path): read as Niconico legacy JSON, but it holds no comment (2 other records)"),
                "\(result.stderr)")
    }

    @Test("train: several comment files after a video; duplicates across them and art are dropped and counted")
    func trainWithSeveralFiles() throws {
        let directory = try TemporaryDirectory()
        let extra = directory.file("more.json")
        // Two comments of Samples/other.xml again (no 1 at vpos 81, no 2 at vpos 120), one new, one art.
        try """
            [{"id":"x1","no":1,"vposMs":810,"body":"青いと海","commands":["184"]},
             {"id":"x2","no":2,"vposMs":1200,"body":"海きれい","commands":["184"]},
             {"id":"x3","no":900,"vposMs":3000,"body":"新しい海","commands":[]},
             {"id":"x4","no":901,"vposMs":4000,"body":"░▒▓█\\n░▒▓█","commands":[]}]
            """.write(toFile: extra, atomically: true, encoding: .utf8)
        let bundle = directory.file("m.danmaku")
        let result = try runDanmaku(["train", Project.sample("other.mp4"), Project.sample("other.xml"), extra, "-o", bundle, "--epochs", "1"]
                                    + quickSettings)
        #expect(result.status == 0, "\(result.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/stats.json"))) as? [String: Any])
        let dropped = try #require(stats["dropped"] as? [String: Int])
        #expect(dropped["duplicate"] == 2 && dropped["art"] == 1, "\(dropped)")
        let alone = try #require(try JSONSerialization.jsonObject(with: Data(
            try runDanmaku(["tokenize", Project.sample("other.xml"), "--stats", "--json"]).stdout.utf8)) as? [String: Any])
        #expect((stats["trainExamples"] as? Int ?? 0) + (stats["devExamples"] as? Int ?? 0) == (alone["kept"] as? Int ?? 0) + 1,
                "other.xml's comments and the one new")

        let orphan = try runDanmaku(["train", Project.sample("other.mp4"), Project.sample("other.xml"), Project.sample("episode.mp4"), "-o", bundle])
        #expect(orphan.status == 1)
        #expect(errorLines(orphan) == ["danmaku: error: \(Project.sample("episode.mp4")): no comment file follows this video"], "\(orphan.stderr)")
    }
}
