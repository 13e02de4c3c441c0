// `danmaku render VIDEO -m MODEL` on the built binary: a model trained on the fetched clip and
// the project's Niconico fixture comments the same clip (5.1 audio kept), repeatably; bad bundles are one error line.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct RenderCLITests {
    @Test("a model trained on the fixture comments the clip; 5.1 audio kept; same seed, same comments")
    func fixtureRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let bundle = directory.file("bunny.danmaku")
        let clip = try TestMedia.bigBuckBunny()
        let trained = try runDanmaku(["train", clip, CommentFixtures.path("niconico-reply.xml"), "-o", bundle, "--epochs", "2",
                                      "--set", "decoding.strategy=sample"] + quickSettings)
        try #require(trained.status == 0, "\(trained.stderr)")

        let output = directory.file("bunny.mp4")
        let rendered = try runDanmaku(["render", clip, "-m", bundle, "-o", output, "--seed", "5", "--ass", directory.file("bunny.ass")])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stdout.contains("xml       \(directory.file("bunny.xml"))"), "\(rendered.stdout)")
        let xml = try String(contentsOfFile: directory.file("bunny.xml"), encoding: .utf8)
        let chats = xml.components(separatedBy: "<chat").count - 1
        #expect(chats > 0, "\(xml)")
        #expect(rendered.stdout.contains("generated \(chats) comments"))
        #expect(FileManager.default.fileExists(atPath: directory.file("bunny.ass")))

        let probe = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,channels,width,height",
                                                       "-of", "compact", output])
        #expect(probe.stdout.contains("codec_type=audio|channels=6"), "\(probe.stdout)")
        #expect(probe.stdout.contains("width=1280|height=720"), "\(probe.stdout)")

        let again = try runDanmaku(["render", clip, "-m", bundle, "-o", directory.file("again.mp4"), "--seed", "5",
                                    "--xml", directory.file("again-comments.xml")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: directory.file("again-comments.xml"), encoding: .utf8) == xml)
    }

    @Test("a missing, incomplete or other-version bundle, or no comment source, is one error line")
    func badBundles() throws {
        let directory = try TemporaryDirectory()
        let clip = Project.sample("other.mp4")
        let incomplete = directory.file("incomplete.danmaku")
        try FileManager.default.createDirectory(atPath: incomplete, withIntermediateDirectories: true)
        try "version: 1\n".write(toFile: incomplete + "/recipe.yaml", atomically: true, encoding: .utf8)
        let future = directory.file("future.danmaku")
        try FileManager.default.createDirectory(atPath: future, withIntermediateDirectories: true)
        for file in ["recipe.yaml", "vocab.tsv", "weights.safetensors"] {
            try "".write(toFile: future + "/" + file, atomically: true, encoding: .utf8)
        }
        try #"{"recipeVersion": 99}"#.write(toFile: future + "/stats.json", atomically: true, encoding: .utf8)

        let cases: [([String], String, Int32)] = [
            (["render", clip], "no model: model.danmaku is not in the current directory; make one with `danmaku train VIDEO COMMENTS`", 1),
            (["render", clip, "-m", directory.file("none.danmaku")], "none.danmaku: no such model bundle", 1),
            (["render", clip, "-m", incomplete], "incomplete.danmaku: not a complete model bundle: vocab.tsv is missing", 1),
            (["render", clip, "-m", future], "future.danmaku: written with recipe version 99, this danmaku reads version 1", 1),
        ]
        for (arguments, message, status) in cases {
            let result = try runDanmaku(arguments + ["-o", directory.file("out.mp4")], in: directory.path)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            let lines = errorLines(result)
            #expect(lines.count == 1 && lines[0].contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("out.mp4")))
    }
}
