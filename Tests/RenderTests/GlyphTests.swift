// Glyphs: a golden image of outlined Japanese text, the glyph cache, grapheme clusters and
// sub-pixel placement.
import Foundation
import Render
import TestSupport
import Testing

@Suite struct GlyphTests {
    static let goldenPath = (Project.root as NSString).appendingPathComponent("Tests/RenderTests/Resources/glyphs-golden.pgm")
    static let style = TextStyle(fontSize: 32, lineHeight: 34, strokeRadius: 2.5)

    /// "弾幕コメント" in white with its dark outline on mid grey, 208x48, as a grey image.
    static func renderGoldenText(x: Double = 4, style: TextStyle = style) throws -> GrayImage {
        let typesetter = try makeTypesetter()
        let (width, height) = (208, 48)
        var rgb = [UInt8](repeating: 128, count: width * height * 3)
        typesetter.drawText("弾幕コメント", x: x, y: 7, style: style, onto: &rgb, width: width, height: height)
        return GrayImage(width: width, height: height, pixels: stride(from: 0, to: rgb.count, by: 3).map { rgb[$0] })
    }

    /// Mean absolute difference, and the share of pixels that differ by more than 40 levels.
    static func difference(_ a: GrayImage, _ b: GrayImage) -> (mean: Double, largeShare: Double) {
        precondition(a.width == b.width && a.height == b.height)
        var sum = 0, large = 0
        for (p, q) in zip(a.pixels, b.pixels) {
            let d = abs(Int(p) - Int(q))
            sum += d
            if d > 40 { large += 1 }
        }
        return (Double(sum) / Double(a.pixels.count), Double(large) / Double(a.pixels.count))
    }

    static func withinTolerance(_ d: (mean: Double, largeShare: Double)) -> Bool { d.mean <= 1.5 && d.largeShare <= 0.005 }

    @Test func outlinedJapaneseTextMatchesTheGoldenImage() throws {
        let image = try Self.renderGoldenText()
        if ProcessInfo.processInfo.environment["DANMAKU_RECORD_GOLDEN"] == "1" {
            try image.pgm.write(to: URL(fileURLWithPath: Self.goldenPath))
            Issue.record("recorded \(Self.goldenPath); run again without DANMAKU_RECORD_GOLDEN")
            return
        }
        let golden = try GrayImage(pgm: Data(contentsOf: URL(fileURLWithPath: Self.goldenPath)))
        try #require(golden.width == image.width && golden.height == image.height)
        let difference = Self.difference(image, golden)
        #expect(Self.withinTolerance(difference), "mean \(difference.mean), share off by > 40: \(difference.largeShare)")

        // The picture has white fill, dark outline and untouched background.
        #expect(image.pixels.filter { $0 >= 250 }.count > 500)
        #expect(image.pixels.filter { $0 <= 40 }.count > 500)
        #expect(image.pixels[0] == 128 && image.pixels.last == 128)
    }

    @Test func theGoldenComparisonNoticesASmallShift() throws {
        // The tolerance is tight enough that the same text moved by 2 px fails it.
        let difference = Self.difference(try Self.renderGoldenText(x: 4), try Self.renderGoldenText(x: 6))
        #expect(!Self.withinTolerance(difference))
    }

    @Test func subPixelPositionsMoveTheInkBySubPixels() throws {
        // Without the outline the ink (pixel − background) is linear in the coverage, so its centroid moves exactly.
        let fillOnly = TextStyle(fontSize: 32, lineHeight: 34, strokeRadius: 0)
        func centroid(_ image: GrayImage) -> Double {
            var weighted = 0.0, total = 0.0
            for (index, pixel) in image.pixels.enumerated() {
                let ink = abs(Double(pixel) - 128)
                weighted += ink * Double(index % image.width)
                total += ink
            }
            return weighted / total
        }
        let base = centroid(try Self.renderGoldenText(x: 4, style: fillOnly))
        for shift in [0.25, 0.5, 0.75, 1.0] {
            let moved = centroid(try Self.renderGoldenText(x: 4 + shift, style: fillOnly))
            #expect(abs(moved - base - shift) < 0.05, "shift \(shift): centroid moved \(moved - base)")
        }
    }

    @Test func repeatedTextIsRasterisedOnce() throws {
        let typesetter = try makeTypesetter()
        var rgb = [UInt8](repeating: 0, count: 300 * 60 * 3)
        typesetter.drawText("わわわわわ", x: 0, y: 0, style: Self.style, onto: &rgb, width: 300, height: 60)
        #expect(typesetter.font.cachedGlyphCount == 1)
        typesetter.drawText("わわ\nわ", x: 10, y: 0, style: Self.style, onto: &rgb, width: 300, height: 60)
        #expect(typesetter.font.cachedGlyphCount == 1)
        typesetter.drawText("わ", x: 0, y: 0, style: TextStyle(fontSize: 20, lineHeight: 20, strokeRadius: 2.5), onto: &rgb, width: 300, height: 60)
        typesetter.drawText("わ", x: 0, y: 0, style: TextStyle(fontSize: 32, lineHeight: 34, strokeRadius: 1), onto: &rgb, width: 300, height: 60)
        #expect(typesetter.font.cachedGlyphCount == 3)
    }

    @Test func graphemeClustersAndIgnorablesAreSetAsOneCharacter() throws {
        let typesetter = try makeTypesetter()
        let style = Self.style
        let plain = typesetter.boxSize(lines: ["葛城"], style: style)
        // An ideographic variation selector selects a glyph variant and takes no room of its own.
        #expect(typesetter.boxSize(lines: ["葛\u{E0100}城"], style: style).width == plain.width)
        // A zero-width joiner draws nothing.
        #expect(typesetter.boxSize(lines: ["葛\u{200D}城"], style: style).width == plain.width)
        #expect(typesetter.missingCharacters.isEmpty)
        // Proportional Latin text is narrower than the same number of full-width characters.
        #expect(typesetter.boxSize(lines: ["iiii"], style: style).width < typesetter.boxSize(lines: ["ｗｗｗｗ"], style: style).width)
    }
}

extension GlyphTests {
    @Test  // DejaVu Sans comes from fonts-dejavu-core, which `make deps` installs.
    func kerningPullsPairsTogether() throws {
        let typesetter = Typesetter(font: try FontFace(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
        let style = TextStyle(fontSize: 40, lineHeight: 40, strokeRadius: 0)
        let pair = typesetter.boxSize(lines: ["AV"], style: style).width
        let apart = typesetter.boxSize(lines: ["A"], style: style).width + typesetter.boxSize(lines: ["V"], style: style).width
        #expect(pair < apart - 1)
    }
}
