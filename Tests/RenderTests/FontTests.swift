// Fonts: the bundled face, errors for files that are not usable fonts, the fallback face and
// the one warning for characters no face has.
import Foundation
import Render
import Tensor
import TestSupport
import Testing

@Suite struct FontTests {
    @Test func bundledFontIsFoundAndOpens() throws {
        let path = try BundledFont.path()
        #expect(path.hasSuffix("/ipaexg.ttf"))
        let face = try FontFace(path: path)
        #expect(face.familyName.contains("IPAex"))
        #expect(face.faceCount == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: bundledFontPath)[.size] as? Int ?? 0 <= 10_000_000)
    }

    @Test func bundledFontSearchHonoursTheEnvironmentFirst() throws {
        let directory = try TemporaryDirectory()
        let candidates = BundledFont.candidates(environment: ["DANMAKU_FONTS": directory.path])
        #expect(candidates.first == directory.file("ipaexg.ttf"))
        #expect(candidates.contains(bundledFontPath))
    }

    @Test func missingFontIsAClearError() throws {
        let path = "/nonexistent/font.ttf"
        #expect(throws: RenderError.fontNotFound(path: path)) { try FontFace(path: path) }
        #expect(RenderError.fontNotFound(path: path).description == "/nonexistent/font.ttf: font not found")
        #expect(throws: RenderError.fontNotFound(path: path)) { try Typesetter(fontPath: path) }
    }

    @Test func aFileThatIsNotAFontIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.ttf")
        try Data("this is not a font\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RenderError.notAFont(path: path)) { try FontFace(path: path) }
        #expect(RenderError.notAFont(path: path).description.hasPrefix("\(path): not a font"))
        #expect(throws: RenderError.fontUnreadable(path: directory.path, reason: "is a directory")) {
            try FontFace(path: directory.path)
        }
    }

    @Test func aFaceIndexPastTheLastFaceIsAClearError() {
        #expect(throws: RenderError.faceIndexOutOfRange(path: bundledFontPath, index: 3, faceCount: 1)) {
            try FontFace(path: bundledFontPath, faceIndex: 3)
        }
    }

    @Test func missingGlyphsAreSkippedWithOneWarningListingThem() throws {
        let log = CapturedLog()
        let typesetter = try makeTypesetter(log: log)
        let comments = [
            RenderComment(vpos: 100, text: "こんにちは😀"),
            RenderComment(vpos: 200, text: "𐌰😀 next"),  // Gothic letter ahsa and the same emoji again
            RenderComment(vpos: 300, text: "普通のコメント"),
        ]
        var generator = SplitMix64(seed: 1)
        let layout = NiconicoLayout.place(comments, on: Stage(width: 640, height: 360), typesetter: typesetter, using: &generator)
        #expect(layout.comments.count == 3)
        #expect(typesetter.missingCharacters == ["😀", "𐌰"])
        let warnings = log.warnings
        try #require(warnings.count == 1)
        #expect(warnings[0].contains("ipaexg.ttf lack 2 characters"))
        #expect(warnings[0].contains("U+1F600") && warnings[0].contains("U+10330"))

        // The skipped characters take no room: the box is as wide as the text without them.
        let without = typesetter.boxSize(lines: ["こんにちは"], style: Stage(width: 640, height: 360).style(for: .medium))
        #expect(layout.comments[0].width == without.width)

        // Drawing the comments meets the same characters again and warns no more.
        let compositor = Compositor(layout: layout, typesetter: typesetter)
        var rgb = [UInt8](repeating: 0, count: 640 * 360 * 3)
        compositor.draw(at: 1.5, onto: &rgb, width: 640, height: 360)
        typesetter.reportMissingGlyphs()
        #expect(log.warnings.count == 1)
    }

    @Test  // DejaVu Sans comes from fonts-dejavu-core, which `make deps` installs.
    func aFallbackFaceDrawsWhatThePrimaryLacks() throws {
        let log = CapturedLog()
        let latin = try FontFace(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        let typesetter = Typesetter(font: latin, fallback: try FontFace(path: bundledFontPath), logger: log.logger)
        let style = Stage(width: 640, height: 360).style(for: .medium)
        let withJapanese = typesetter.boxSize(lines: ["AB弾幕"], style: style)
        let latinOnly = typesetter.boxSize(lines: ["AB"], style: style)
        #expect(withJapanese.width > latinOnly.width + Int(style.fontSize * 1.5))
        typesetter.reportMissingGlyphs()
        #expect(typesetter.missingCharacters.isEmpty)
        #expect(log.warnings.isEmpty)
    }
}
