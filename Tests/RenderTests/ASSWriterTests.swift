// The ASS export: one event per placed comment, at the layout's positions and times.
import Comments
import Foundation
import Render
import Tensor
import Testing

@Suite struct ASSWriterTests {
    @Test func eventsFollowTheLayout() throws {
        var generator = SplitMix64(seed: 1)
        let typesetter = try makeTypesetter()
        let comments = [
            RenderComment(vpos: 50, text: "最初{だよ}"),
            RenderComment(vpos: 6123, text: "上\n二行", position: .ue, color: RGBColor(packed: 0x10C1D0)),
            RenderComment(vpos: 300, text: "見えない", invisible: true),
            RenderComment(vpos: 400, text: "黒", position: .shita, color: .black),
        ]
        let layout = NiconicoLayout.place(comments, on: Stage(width: 640, height: 360), typesetter: typesetter, using: &generator)
        let script = ASSWriter.script(for: layout, fontName: typesetter.font.familyName)
        #expect(script.contains("PlayResX: 640\nPlayResY: 360"))
        #expect(script.contains("Style: Danmaku,IPAexGothic,"))
        let events = script.split(separator: "\n").filter { $0.hasPrefix("Dialogue:") }
        #expect(events.count == 4)  // the two-line comment is two events

        // The first comment is said at 0.5 s: it starts at 0 s already half a second into its move.
        let first = layout.comments.first { $0.source == 0 }!
        let padding = first.style.padding
        let x0 = first.x(at: 0) + Double(padding)
        #expect(events[0].hasPrefix("Dialogue: 0,0:00:00.00,0:00:03.50,Danmaku,,0,0,0,,{\\an7\\move("))
        #expect(events[0].contains("\\move(\(String(format: "%.2f", x0).trimmingZeros),"))
        #expect(events[0].contains(",\(-first.width + padding),"))
        #expect(events[0].hasSuffix("}最初\\{だよ\\}"))

        // Fixed comments sit where the layout centred them, one event per line a line height apart, in their colour.
        let fixed = layout.comments.first { $0.source == 1 }!
        let left = String(format: "%.2f", fixed.startX + Double(fixed.style.padding)).trimmingZeros
        let top = Double(fixed.y) + (fixed.style.lineHeight - fixed.style.fontSize) / 2
        #expect(events[2].hasPrefix("Dialogue: 1,0:01:01.23,0:01:04.23,Danmaku,,0,0,0,,{\\an7\\pos(\(left),\(String(format: "%.2f", top).trimmingZeros))"))
        #expect(events[3].contains("\\pos(\(left),\(String(format: "%.2f", top + fixed.style.lineHeight).trimmingZeros))"))
        #expect(events[2].contains("\\c&HD0C110&"))
        #expect(events[2].hasSuffix("}上") && events[3].hasSuffix("}二行"))
        // A black comment gets a light outline.
        #expect(events[1].contains("\\3c&HFFFFFF&"))
    }
}

private extension String {
    var trimmingZeros: String {
        var text = self
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
        return text
    }
}
