// `danmaku train` on the built binary: the fetched clip with the project's Niconico fixture,
// --resume, and bad input as one line.
import Foundation
import TestSupport
import Testing

/// Small, quick settings for CLI runs (the features come from the cache after the first run).
let quickSettings = ["--set", "video.fps=2", "--set", "model.embedding=32", "--set", "model.hidden=32",
                     "--set", "model.attention=32", "--set", "training.batch_size=32"]

@Suite(.serialized) struct TrainCLITests {
    @Test("trains on the fixture (vpos past the end and negative, deleted comments, owner scripts) and resumes")
    func fixtureAndResume() throws {
        let directory = try TemporaryDirectory()
        let bundle = directory.file("bunny.danmaku")
        let clip = try TestMedia.bigBuckBunny(), comments = CommentFixtures.path("niconico-reply.xml")
        let result = try runDanmaku(["train", clip, comments,
                                     "-o", bundle, "--epochs", "1", "--lag", "-0.5", "--seed", "3"] + quickSettings)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("bundle    \(bundle)"))
        #expect(result.stdout.contains("loss      epoch 1 (step "), "\(result.stdout)")
        #expect(result.stderr.contains("epoch 1/1"), "a progress bar on stderr")
        let recipe = try String(contentsOfFile: bundle + "/recipe.yaml", encoding: .utf8)
        #expect((recipe.contains("lag: -0.5") || recipe.contains("lag: -5e-1")) && recipe.contains("epochs: 1"), "\(recipe)")

        let resumed = try runDanmaku(["train", clip, comments, "-o", bundle, "--resume", "--epochs", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("loss      epoch 2 (step "), "\(resumed.stdout)")
        #expect(!resumed.stderr.contains("epoch 1/2"), "epoch 1 is not trained again")
        let log = try String(contentsOfFile: bundle + "/training-log.jsonl", encoding: .utf8)
        #expect(log.components(separatedBy: "\"event\":\"epoch\"").count - 1 == 2)
    }

    @Test("bad input is one error line naming the problem", arguments: [
        (["train", "only-one.mp4"], "pairs of VIDEO COMMENTS", Int32(64)),
        (["train", "a.mp4", "a.xml", "--resume", "--pipeline", "show-and-tell"], "leave out --pipeline", Int32(64)),
        (["train", "Samples/other.mp4", "Samples/other.xml", "--set", "training.epoch=3"], "unknown key 'training.epoch'", Int32(1)),
        (["train", "Samples/other.mp4", "Samples/other.xml", "--pipeline", "nope"], "no recipe named 'nope'", Int32(1)),
        (["train", "Samples/other.mp4", "missing.xml"], "missing.xml", Int32(1)),
        (["train", "Samples/other.mp4", "Samples/other.xml", "--resume", "-o", "/nonexistent/m.danmaku"], "no such model bundle", Int32(1)),
    ])
    func badInput(arguments: [String], message: String, status: Int32) throws {
        let result = try runDanmaku(arguments.map { $0.hasPrefix("Samples/") ? Project.root + "/" + $0 : $0 })
        #expect(result.status == status, "\(result.stderr)")
        let lines = errorLines(result)
        #expect(lines.count == 1 && lines[0].contains(message), "\(result.stderr)")
    }

    @Test("training that diverges is one error line naming the bundle, and writes none")
    func divergence() throws {
        let directory = try TemporaryDirectory()
        let bundle = directory.file("m.danmaku")
        // Steps this large overflow the weights within a few epochs.
        let result = try runDanmaku(["train", Project.sample("other.mp4"), Project.sample("other.xml"), "-o", bundle, "--epochs", "20"]
                                    + quickSettings + ["--set", "training.learning_rate=1e38", "--set", "training.clip_norm=1e30"])
        #expect(result.status == 1)
        let lines = errorLines(result)
        #expect(lines.count == 1 && lines[0].hasPrefix("danmaku: error: \(bundle): training diverged at step ")
                && lines[0].hasSuffix(" is not finite; no bundle was written"), "\(result.stderr)")
        #expect(try directory.contents().isEmpty, "nothing is left beside the bundle's place")
    }

    @Test("without dev comments (a clip shorter than a time block) the summary says so, not the training loss as dev")
    func noDevComments() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), comments = directory.file("clip.xml")
        try makeGreyClip(clip, seconds: 2)
        let chats = (0..<12).map { #"<chat vpos="\#($0 * 15)" user_id="u">\#(["草", "きれい"][$0 % 2])</chat>"# }
        try ("<packet>" + chats.joined() + "</packet>").write(toFile: comments, atomically: true, encoding: .utf8)
        let result = try runDanmaku(["train", clip, comments, "-o", directory.file("m.danmaku"), "--epochs", "1"] + quickSettings)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(", 0 dev comments on 0 frames"), "\(result.stdout)")
        #expect(result.stdout.contains("loss      epoch 1 (step 1): train ") && result.stdout.contains(", no dev comments; best epoch 1"),
                "\(result.stdout)")
    }

    @Test("a comment file with no usable comment is one error line naming it")
    func noUsableComment() throws {
        let directory = try TemporaryDirectory()
        let comments = directory.file("owner.xml")
        try """
            <?xml version="1.0" encoding="UTF-8"?>
            <packet><chat vpos="100" fork="1" mail="184">/nicoad {}</chat><chat vpos="200" user_id="x" deleted="1">消</chat></packet>
            """.write(toFile: comments, atomically: true, encoding: .utf8)
        let result = try runDanmaku(["train", Project.sample("other.mp4"), comments, "-o", directory.file("m.danmaku")])
        #expect(result.status == 1)
        let lines = errorLines(result)
        #expect(lines == ["danmaku: error: \(comments): no usable comment (2 read, 2 dropped: deleted 1, owner-script 1)"],
                "\(result.stderr)")
    }
}
