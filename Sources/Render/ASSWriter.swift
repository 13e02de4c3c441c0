// Soft subtitles from the same layout as the burned video: one ASS event per comment,
// `\move` for scrolling comments and `\pos` for fixed ones, at the stage's own resolution.
import Comments

/// Writes a `CommentLayout` as an Advanced SubStation Alpha script.
public enum ASSWriter {
    /// The script's text.
    ///
    /// `PlayResX/Y` is the stage size, so positions are the layout's pixels. Each line of a comment
    /// is an event anchored at its top-left corner (`\an7`), inside the outline's margin, moving
    /// (`\move`) or fixed (`\pos`); its font size, outline and colour are the layout's.
    /// Comments said before 0 s start at 0 s, already on their way.
    ///
    /// - Parameter fontName: the font family players should use (`FontFace.familyName`).
    public static func script(for layout: CommentLayout, fontName: String, title: String = "danmaku") -> String {
        let stage = layout.stage
        var text = """
        [Script Info]
        ; Written by danmaku from its Niconico layout
        Title: \(title)
        ScriptType: v4.00+
        PlayResX: \(stage.width)
        PlayResY: \(stage.height)
        WrapStyle: 2
        ScaledBorderAndShadow: yes

        [V4+ Styles]
        Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
        Style: Danmaku,\(fontName),\(format(stage.style(for: .medium).fontSize)),&H00FFFFFF,&H00FFFFFF,\(color(.black, opacity: Ink.outlineOpacity)),&H00000000,0,0,0,0,100,100,0,0,1,\(format(stage.style(for: .medium).strokeRadius)),0,7,0,0,0,1

        [Events]
        Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text

        """
        for comment in layout.comments.sorted(by: { ($0.start, $0.source) < ($1.start, $1.source) }) {
            for event in events(comment) { text += event + "\n" }
        }
        return text
    }

    /// One event per line, so lines keep the layout's line height (ASS has no line spacing of
    /// its own) and stay left-aligned within the comment, as Niconico draws multi-line comments.
    private static func events(_ comment: PlacedComment) -> [String] {
        let start = max(0, comment.start)
        let padding = Double(comment.style.padding)
        let ink = Ink(fill: comment.color)
        var style = "\\fs\(format(comment.style.fontSize))\\bord\(format(comment.style.strokeRadius))"
        if comment.color != .white { style += "\\c\(color(comment.color, opacity: 1))" }
        if ink.outline != .black { style += "\\3c\(color(ink.outline, opacity: 1))" }
        if comment.opacity < 1 { style += "\\alpha&H\(hex(UInt8(((1 - comment.opacity) * 255).rounded())))&" }
        let layer = comment.position.scrolls && !comment.isPositioned ? 0 : 1
        return comment.lines.enumerated().compactMap { row, line in
            guard !line.isEmpty else { return nil }
            let offset = Double(row) * comment.style.lineHeight + (comment.style.lineHeight - comment.style.fontSize) / 2
            let top = format(Double(comment.y) + offset)
            let placement: String
            if comment.isPositioned {
                let endTop = format(Double(comment.endY) + offset)
                if comment.startX == comment.endX && comment.y == comment.endY {
                    placement = "\\pos(\(format(comment.startX + padding)),\(top))"
                } else {
                    // \move's times are milliseconds from the event's start.
                    let from = Int(((comment.moveStart - start) * 1000).rounded()), to = Int(((comment.moveEnd - start) * 1000).rounded())
                    placement = "\\move(\(format(comment.startX + padding)),\(top),\(format(comment.endX + padding)),\(endTop),\(max(0, from)),\(max(0, to)))"
                }
            } else if comment.velocity == 0 {
                placement = "\\pos(\(format(comment.startX + padding)),\(top))"
            } else {
                placement = "\\move(\(format(comment.x(at: start) + padding)),\(top),\(format(comment.endX + padding)),\(top))"
            }
            return "Dialogue: \(layer),\(timestamp(start)),\(timestamp(comment.end)),Danmaku,,0,0,0,,{\\an7\(placement)\(style)}\(escape(line))"
        }
    }

    private static func hex(_ value: UInt8) -> String { String(value, radix: 16, uppercase: true).leftPadded(to: 2) }

    /// `&HAABBGGRR` (ASS alpha is transparency: 0 is opaque); `\c` overrides take `&HBBGGRR&`.
    private static func color(_ color: RGBColor, opacity: Double) -> String {
        let hex = { (value: UInt8) in String(value, radix: 16, uppercase: true).leftPadded(to: 2) }
        let bgr = hex(color.b) + hex(color.g) + hex(color.r)
        if opacity >= 1 { return "&H\(bgr)&" }
        return "&H" + hex(UInt8(((1 - opacity) * 255).rounded())) + bgr
    }

    /// `H:MM:SS.cc`.
    static func timestamp(_ seconds: Double) -> String {
        let centiseconds = Int((max(0, seconds) * 100).rounded())
        let hours = centiseconds / 360_000, minutes = centiseconds / 6000 % 60, secs = centiseconds / 100 % 60
        return "\(hours):\(String(minutes).leftPadded(to: 2)):\(String(secs).leftPadded(to: 2)).\(String(centiseconds % 100).leftPadded(to: 2))"
    }

    /// Text with ASS's special characters neutralised: braces escaped, a backslash kept from
    /// forming an override (`\N`, `\h`) by a word joiner.
    static func escape(_ line: String) -> String {
        var escaped = ""
        for character in line {
            switch character {
            case "{": escaped += "\\{"
            case "}": escaped += "\\}"
            case "\\": escaped += "\\\u{2060}"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

private extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
