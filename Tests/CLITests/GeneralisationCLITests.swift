// The product card typed as written, on a scene set danmaku's defaults were not chosen on:
// `Samples/lavfi/` (scripts/make-lavfi-scenes.py) draws its scenes with FFmpeg's generators,
// with other words, other scene lengths and another order than `Samples/`. No flag and no
// --set: if the defaults stop learning too early or decode blind to the picture, this fails.
import Comments
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct GeneralisationCLITests {
    @Test("train, render and eval with no flags: the unseen clip's scene-naming comments name the right scene")
    func productCardOnAnUnseenSceneSet() throws {
        let directory = try TemporaryDirectory()
        let lavfi = Project.sample("lavfi") + "/"
        // The videos are linked into the working directory, so the default outputs (beside the
        // video) land there too.
        for name in ["train.mp4", "train.xml", "test.mp4", "test.xml"] {
            try FileManager.default.createSymbolicLink(atPath: directory.file(name), withDestinationPath: lavfi + name)
        }
        let started = Date()
        let train = try runDanmaku(["train", "train.mp4", "train.xml"], in: directory.path)
        try #require(train.status == 0, "\(train.stderr)")
        let trained = Date()
        let render = try runDanmaku(["render", "test.mp4"], in: directory.path)
        try #require(render.status == 0, "\(render.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.file("test.danmaku.mp4")))

        let generated = try CommentFile.load(path: directory.file("test.danmaku.xml"))
        let test = try #require(try SceneClip.load("lavfi/scenes.json")["test"])
        let (naming, right) = test.sceneNaming(generated.map { (Double($0.vpos) / 100, $0.text) })
        let share = Double(right) / Double(max(naming, 1))

        let eval = try runDanmaku(["eval", "test.mp4", "test.xml", "--json"], in: directory.path)
        try #require(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let gain = try #require(report["groundingGainMRR"] as? Double)
        let stats = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory.file("model.danmaku/stats.json")))) as? [String: Any])
        print(String(format: "generalisation: trained in %.0f s (%@ after %d steps, best epoch %d); %d comments, %d name a scene, %d the right one: %.2f (chance 0.17); MRR gain %.3f",
                     trained.timeIntervalSince(started), stats["stop"] as? String ?? "?", stats["steps"] as? Int ?? -1,
                     stats["bestEpoch"] as? Int ?? -1, generated.count, naming, right, share, gain))
        #expect(naming >= 40, "only \(naming) of \(generated.count) generated comments name a scene")
        #expect(share >= 0.9, "\(right) of \(naming) scene-naming comments name the right scene")
        #expect(gain >= 0.05, "MRR grounding gain \(gain)")
        #expect(stats["stop"] as? String == "earlyStopped", "training should end because the dev loss stopped improving")
    }

    @Test("render and attention with no bundle in the directory: one line naming how to make one, exit 1")
    func noBundle() throws {
        let directory = try TemporaryDirectory()
        let video = Project.sample("other.mp4")
        for arguments in [["render", video], ["attention", video, "--at", "1:23"], ["eval", video, Project.sample("other.xml")]] {
            let result = try runDanmaku(arguments, in: directory.path)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            let lines = errorLines(result)
            #expect(lines.count == 1 && lines[0].contains("model.danmaku") && lines[0].contains("danmaku train VIDEO COMMENTS"),
                    "\(arguments): \(result.stderr)")
        }
    }

    @Test("--at takes SS, M:SS and H:MM:SS with decimals; anything else is a usage error naming the value",
          arguments: ["1:60", "1:60:00", "1::2", "a", "1:23:", "+1:00", "nan", "1:2:3:4"])
    func badTimes(value: String) throws {
        let result = try runDanmaku(["attention", Project.sample("other.mp4"), "--at", value, "-m", "none.danmaku"])
        #expect(result.status == 64, "\(value): \(result.stderr)")
        #expect(errorLines(result).count == 1 && result.stderr.contains(value), "\(value): \(result.stderr)")
    }

    @Test("--at accepts the forms people write", arguments: ["83", "83.5", "1:23", "1:23.25", "0:01:23.5", "10:00:00"])
    func goodTimes(value: String) throws {
        // Parsed, the command goes on to the missing bundle: a run error (1), not a usage error (64).
        let result = try runDanmaku(["attention", Project.sample("other.mp4"), "--at", value, "-m", "none.danmaku"])
        #expect(result.status == 1 && result.stderr.contains("none.danmaku"), "\(value): \(result.stderr)")
    }
}
