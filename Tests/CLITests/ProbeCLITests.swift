// `danmaku probe` on the built binary: the table and the JSON of the fetched clip, and a file
// that is not a video.
import Foundation
import TestSupport
import Testing

@Suite struct ProbeCLITests {
    let clip: String

    init() throws {
        clip = try TestMedia.bigBuckBunny()
    }

    @Test func printsATable() throws {
        let result = try runDanmaku(["probe", clip])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "file      \(clip)")
        #expect(lines.contains("video     h264 1280x720 yuv420p, 25 fps (25/1), 132 frames, time base 1/12800"))
        #expect(lines.contains("audio #1  aac, 6 channels, 48000 Hz, 5.312 s"))
        #expect(lines.contains("duration  5.312 s (video 5.280 s, start 0.000 s)"))
    }

    @Test func printsJSON() throws {
        let result = try runDanmaku(["probe", "--json", clip])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["width"] as? Int == 1280 && object["height"] as? Int == 720)
        #expect(object["codec"] as? String == "h264" && object["pixelFormat"] as? String == "yuv420p")
        #expect((object["frameRate"] as? [String: Int]) == ["num": 25, "den": 1])
        #expect(object["duration"] as? Double == 5.312)
        let audio = try #require((object["audio"] as? [[String: Any]])?.first)
        #expect(audio["codec"] as? String == "aac" && audio["channels"] as? Int == 6 && audio["sampleRate"] as? Int == 48000)
    }

    @Test func aFileThatIsNotAVideoIsOneErrorLine() throws {
        let directory = try TemporaryDirectory()
        let text = directory.file("notes.mp4")
        try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: text))
        for (path, message) in [(text, "cannot open: Invalid data found when processing input"),
                                (directory.file("missing.mp4"), "cannot open: No such file or directory")] {
            let result = try runDanmaku(["probe", path])
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "danmaku: error: \(path): \(message)\n")
        }
    }

    @Test func aMissingArgumentIsAUsageError() throws {
        let result = try runDanmaku(["probe"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("danmaku: error: "))
    }
}
