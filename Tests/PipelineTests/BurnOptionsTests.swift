// The recipe's render section becomes the burn's options (so `render -m` keeps the bundle's
// crf and preset unless the command line says otherwise), and its new keys parse and validate.
@testable import Pipeline
import Render
import TestSupport
import Testing

@Suite struct BurnOptionsTests {
    @Test func theRecipesRenderSectionBecomesTheOptions() throws {
        var recipe = Recipe()
        for (key, value) in [("render.crf", "30"), ("render.preset", "ultrafast"), ("render.max_on_screen", "20"),
                             ("render.queue", "true"), ("render.no_overlap", "true"), ("render.opacity", "0.6"),
                             ("render.scroll_seconds", "5"), ("render.font_scale", "1.2"), ("render.protect_bottom", "0.2"),
                             ("render.block", "[top, colour]"), ("render.filters", "['^w+$']"), ("render.merge_duplicates", "4"),
                             ("render.merge_style", "grow"), ("render.fps", "60")] {
            try recipe.set(key, to: value)
        }
        let options = BurnOptions(recipe: recipe)
        #expect(options.crf == 30 && options.preset == "ultrafast")
        #expect(options.layout.maxOnScreen == 20 && options.layout.queue && options.layout.noOverlap)
        #expect(options.layout.opacity == 0.6 && options.layout.scrollSeconds == 5 && options.layout.fontScale == 1.2)
        #expect(options.layout.protectBottom == 0.2 && options.block == [.top, .colour] && options.filters == ["^w+$"])
        #expect(options.mergeWindow == 4 && options.mergeStyle == .grow && options.fps == 60)
        let defaults = BurnOptions(recipe: Recipe())
        #expect(defaults.layout == LayoutOptions() && defaults.fps == nil && defaults.mergeWindow == 0 && defaults.filterFile == nil)
    }

    @Test func badRenderValuesNameTheKey() {
        var recipe = Recipe()
        #expect(throws: RecipeError.badValue(path: "--set render.opacity=2", key: "render.opacity", reason: "must be in [0, 1]")) {
            try recipe.set("render.opacity", to: "2")
        }
        #expect(throws: RecipeError.self) { try recipe.set("render.block", to: "[side]") }
        #expect(throws: RecipeError.badValue(path: "--set render.protect_bottom=1", key: "render.protect_bottom", reason: "must be in [0, 1)")) {
            try recipe.set("render.protect_bottom", to: "1")
        }
    }
}

@Suite struct HTMLFontTests {
    @Test func theTrainingReportEmbedsTheBundledFont() throws {
        let rule = TrainingReport.bundledFontFace()
        #expect(rule.hasPrefix("@font-face { font-family: \"danmaku\"; src: url(data:font/ttf;base64,") && rule.count > 1_000_000)
        let directory = try TemporaryDirectory()
        let bundle = try ModelBundle.load(path: try tinyBundle(in: directory))
        let page = TrainingReport.html(stats: bundle.stats, recipe: bundle.recipe, history: [], batchLosses: [], vocabularySize: 4,
                                       samples: [], evaluation: nil, attention: TrainingReport.AttentionFigures(note: ""), fontFace: rule)
        #expect(page.contains(rule) && page.contains(#"font-family:"danmaku",sans-serif"#))
    }

    @Test func theVideoIsLinkedRelativeToThePage() {
        #expect(HTMLPlayer.relativeLink(from: "/a/b/page.html", to: "/a/b/clip.mp4") == "clip.mp4")
        #expect(HTMLPlayer.relativeLink(from: "/a/b/out/page.html", to: "/a/c/my clip.mp4") == "../../c/my%20clip.mp4")
    }
}
