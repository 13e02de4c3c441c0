// `danmaku render -m` with the recipe's render section: a tiny model trained on a clip and a
// thread the test writes keeps its recipe's crf, preset and density limit unless the command
// line overrides them, and its generated comments can go to the HTML player.
import Foundation
import TestSupport
import Testing

@Suite struct RenderModelOptionsCLITests {
    /// x264's settings as it writes them into the stream (its SEI user data).
    static func x264Options(_ path: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let marker = Data("options: ".utf8)
        let start = try #require(bytes.range(of: marker))
        return String(decoding: bytes[start.upperBound...].prefix(2000).prefix { $0 != 0 }, as: UTF8.self)
    }

    @Test func theBundlesRenderSettingsApplyUnlessTheCommandLineOverridesThem() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), thread = directory.file("thread.xml"), bundle = directory.file("tiny.danmaku")
        try makeGreyClip(clip, seconds: 12)
        try RenderOptionsCLITests.writeThread(thread, count: 200, seconds: 12)
        let trained = try runDanmaku(["train", clip, thread, "-o", bundle, "--epochs", "1",
                                      "--set", "render.crf=40", "--set", "render.preset=ultrafast",
                                      "--set", "render.max_on_screen=3", "--set", "render.density=4"] + quickSettings)
        try #require(trained.status == 0, "\(trained.stderr)")

        let recipeOutput = directory.file("recipe.mp4"), ass = directory.file("recipe.ass")
        let rendered = try runDanmaku(["render", clip, "-m", bundle, "-o", recipeOutput, "--ass", ass])
        try #require(rendered.status == 0, "\(rendered.stderr)")
        let options = try Self.x264Options(recipeOutput)
        #expect(options.contains("crf=40.0") && options.contains("subme=0"), "the recipe's crf 40 and ultrafast: \(options)")
        let events = ASSEvent.parse(try String(contentsOfFile: ass, encoding: .utf8))
        #expect(!events.isEmpty && ASSEvent.mostAtOnce(events) <= 3, "the recipe's max_on_screen")

        let overridden = directory.file("override.mp4")
        let again = try runDanmaku(["render", clip, "-m", bundle, "-o", overridden, "--crf", "20", "--max-on-screen", "50"])
        try #require(again.status == 0, "\(again.stderr)")
        #expect(try Self.x264Options(overridden).contains("crf=20.0"))
        #expect(try Self.x264Options(overridden).contains("subme=0"), "the preset not given stays the recipe's")
        let preset = directory.file("preset.mp4")
        let fast = try runDanmaku(["render", clip, "-m", bundle, "-o", preset, "--preset", "veryfast"])
        try #require(fast.status == 0, "\(fast.stderr)")
        let presetOptions = try Self.x264Options(preset)
        #expect(presetOptions.contains("subme=2") && presetOptions.contains("crf=40.0"), "--preset veryfast, the recipe's crf: \(presetOptions)")

        let page = directory.file("generated.html")
        let html = try runDanmaku(["render", clip, "-m", bundle, "--html", page, "--xml", directory.file("generated.xml")])
        try #require(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.contains("html      \(page)") && html.stdout.contains("generated "))
        let text = try String(contentsOfFile: page, encoding: .utf8)
        #expect(text.contains(#"src="clip.mp4""#) && text.contains(#""t":"#), "the page plays the clip with the generated comments")
    }
}
