// Never silent on bad values, on the built binary: a comment file's bad values are one counted
// warning, numeric options out of range one usage error naming the value.
import Foundation
import TestSupport
import Testing

@Suite struct BadValuesCLITests {
    @Test("<chat vpos=\"x\"> is skipped and said in one warning line with the counts, not read as vpos 0")
    func unreadableVpos() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("c.xml")
        try #"<packet><chat no="1" vpos="x" user_id="u">早い</chat><chat no="2" vpos="250" date="soon" user_id="u">遅い</chat></packet>"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runDanmaku(["tokenize", path, "--tokenizer", "char"])
        #expect(result.status == 0)
        #expect(result.stdout == "2.50\t-\t遅 い\n")
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("danmaku: warning:") }
        #expect(warnings == ["danmaku: warning: \(path): bad values: date unreadable in 1 comment (read as 0); vpos unreadable in 1 comment (skipped)"],
                "\(result.stderr)")
        let stats = try runDanmaku(["tokenize", path, "--tokenizer", "char", "--stats"]).stdout
        #expect(stats.contains("bad values (vpos unreadable, skipped): 1\n") && stats.contains("comments read: 1\n"), "\(stats)")
    }

    @Test("numeric options out of range, NaN or infinite: exit 64, one line naming the option and the value", arguments: [
        (["render", "v.mp4", "-m", "m.danmaku", "--density", "-1"], "--density must be in 0...100, got -1.0"),
        (["render", "v.mp4", "--comments", "c.xml", "--fps", "0"], "--fps must be in (0, 240], got 0.0"),
        (["render", "v.mp4", "--comments", "c.xml", "--scroll-seconds", "inf"], "--scroll-seconds must be in (0, 3600], got inf"),
        (["render", "v.mp4", "--comments", "c.xml", "--opacity", "nan"], "--opacity must be in 0...1, got nan"),
        (["render", "v.mp4", "--comments", "c.xml", "--crf", "-3"], "--crf must be in 0...51, got -3"),
        (["attention", "v.mp4", "-m", "m.danmaku", "--every", "0"], "--every must be at least 0.01 seconds, got 0.0"),
        (["attention", "v.mp4", "-m", "m.danmaku", "--at", "1", "--comments", "0"], "--comments must be in 1...100, got 0"),
        (["eval", "v.mp4", "c.xml", "--frames", "-2"], "--frames must be at least 1, got -2"),
        (["features", "v.mp4", "--fps", "-0.5"], "--fps must be in (0, 60], got -0.5"),
        (["train", "v.mp4", "c.xml", "--lag", "nan"], "--lag must be in -86400...86400 seconds, got nan"),
    ])
    func optionsOutOfRange(arguments: [String], message: String) throws {
        let result = try runDanmaku(arguments)
        #expect(result.status == 64)
        #expect(errorLines(result) == ["danmaku: error: \(message) (see 'danmaku --help')"], "\(result.stderr)")
    }
}
