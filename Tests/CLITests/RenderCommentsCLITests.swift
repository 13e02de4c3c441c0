// `danmaku render VIDEO --comments FILE` on the built binary: comments burned onto clips the
// test makes with the ffmpeg command line, checked frame by frame with ffmpeg.
import Foundation
import TestSupport
import Testing

@Suite struct RenderCommentsCLITests {
    /// The luma plane of the frame shown at `seconds`, as ffmpeg decodes it.
    private static func luma(_ path: String, at seconds: Double) throws -> [UInt8] {
        [UInt8](try ffmpeg(["-ss", "\(seconds)", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]).output)
    }

    /// Mean absolute difference of rows `rows` of two 320-wide luma planes.
    private static func difference(_ a: [UInt8], _ b: [UInt8], rows: Range<Int>) -> Double {
        var total = 0
        for i in (rows.lowerBound * 320)..<(rows.upperBound * 320) { total += abs(Int(a[i]) - Int(b[i])) }
        return Double(total) / Double(rows.count * 320)
    }

    private static func probe(_ path: String) throws -> [String: Any] {
        let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func aCommentChangesItsBandOnlyWhileOnScreen() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("grey.mp4"), comments = directory.file("one.xml")
        try makeGreyClip(clip, seconds: 4)
        // Said at 2.0 s: a scrolling comment enters at 1.0 s and leaves at 5.0 s, in the top band.
        try Data(#"<packet><chat vpos="200" mail="big red">弾幕テスト</chat></packet>"#.utf8)
            .write(to: URL(fileURLWithPath: comments))
        let result = try runDanmaku(["render", clip, "--comments", comments])
        #expect(result.status == 0, "\(result.stderr)")
        let output = directory.file("grey.danmaku.mp4")
        #expect(result.stdout.contains("output    \(output)"), "the default output sits beside the input")
        #expect(try directory.contents() == ["grey.danmaku.mp4", "grey.mp4", "one.xml"], "no temporary file is left")

        let band = 0..<30  // big text at height 180: 39·180/384 ≈ 18 px, plus outline
        let before = Self.difference(try Self.luma(output, at: 0.5), try Self.luma(clip, at: 0.5), rows: band)
        let during = Self.difference(try Self.luma(output, at: 2.0), try Self.luma(clip, at: 2.0), rows: band)
        let elsewhere = Self.difference(try Self.luma(output, at: 2.0), try Self.luma(clip, at: 2.0), rows: 100..<180)
        #expect(before < 1.5, "nothing is drawn before the comment enters (difference \(before))")
        #expect(during > 8, "the comment's band changes while it is on screen (difference \(during))")
        #expect(elsewhere < 1.5, "the rest of the picture is unchanged (difference \(elsewhere))")
    }

    @Test func theFixtureKeepsFramesRateAndAudio() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), output = directory.file("out.mp4"), ass = directory.file("out.ass")
        try makeGreyClip(clip, seconds: 6)
        let result = try runDanmaku(["render", clip, "--comments", CommentFixtures.path("niconico-reply.xml"),
                                     "-o", output, "--ass", ass, "--preset", "ultrafast"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("frames    60"))
        let streams = try #require(try Self.probe(output)["streams"] as? [[String: Any]])
        let source = try #require(try Self.probe(clip)["streams"] as? [[String: Any]])
        #expect(streams.count == 2)
        #expect(streams[0]["nb_read_frames"] as? String == source[0]["nb_read_frames"] as? String)
        #expect(streams[0]["r_frame_rate"] as? String == "10/1")
        #expect(streams[1]["codec_name"] as? String == "aac")
        #expect(streams[1]["nb_read_frames"] as? String == source[1]["nb_read_frames"] as? String, "audio packets are copied")
        let script = try String(contentsOfFile: ass, encoding: .utf8)
        #expect(script.contains("[Events]") && script.contains("\\move("))
    }

    @Test func commentsOutsideTheVideoLeaveItUnchangedWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), comments = directory.file("late.xml"), output = directory.file("out.mp4")
        try makeGreyClip(clip, seconds: 2)
        try Data(#"<packet><chat vpos="90000">遅すぎ</chat></packet>"#.utf8).write(to: URL(fileURLWithPath: comments))
        let result = try runDanmaku(["render", clip, "--comments", comments, "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("danmaku: warning: \(clip): no comment is on screen"))
        let difference = Self.difference(try Self.luma(output, at: 1.0), try Self.luma(clip, at: 1.0), rows: 0..<180)
        #expect(difference < 1.5)
    }

    @Test func badInputIsOneErrorLine() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), broken = directory.file("broken.xml"), notFont = directory.file("font.ttf")
        try makeGreyClip(clip, seconds: 1)
        try Data("<packet><chat vpos=\"1\">x</packet>".utf8).write(to: URL(fileURLWithPath: broken))
        try Data("not a font".utf8).write(to: URL(fileURLWithPath: notFont))
        let fixture = CommentFixtures.path("niconico-reply.xml")
        let cases: [([String], Int32, String)] = [
            (["render", clip, "--comments", broken], 1, "broken.xml"),
            (["render", clip, "--comments", directory.file("none.xml")], 1, "none.xml"),
            (["render", directory.file("none.mp4"), "--comments", fixture], 1, "none.mp4: cannot open"),
            (["render", clip, "--comments", fixture, "--font", notFont], 1, "font.ttf"),
            (["render", clip, "--comments", fixture, "--font", directory.file("missing.otf")], 1, "missing.otf"),
            (["render", clip, "--comments", fixture, "-o", directory.file("no/such/dir/out.mp4")], 1, "out.mp4"),
            (["render", clip, "--comments", fixture, "--crf", "99"], 64, "--crf"),
            // Both: the model would join the thread, but there is no such bundle.
            (["render", clip, "--comments", fixture, "-m", "x.danmaku"], 1, "x.danmaku"),
            // Neither: the default bundle, absent from the (empty) working directory.
            (["render", clip], 1, "model.danmaku is not in the current directory"),
        ]
        for (arguments, status, message) in cases {
            let result = try runDanmaku(arguments, in: directory.path)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.contains("warning") }
            #expect(lines.count == 1 && lines[0].hasPrefix("danmaku: error: ") && lines[0].contains(message),
                    "\(arguments): \(result.stderr)")
        }
        #expect(try directory.contents() == ["broken.xml", "clip.mp4", "font.ttf"], "no output or temporary file is left")
    }
}
