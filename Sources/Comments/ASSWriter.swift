// Writing comments as ASS subtitles that scroll and stack the way Niconico draws them.
import Foundation

/// Writes Advanced SubStation Alpha (v4.00+) subtitles with Niconico timings (DESIGN.md):
/// a `naka` comment enters at the right edge 1 s before its vpos and leaves at the left edge
/// 3 s after it (`\move`, so longer comments move faster); `ue` / `shita` comments stay 3 s,
/// centred (`\pos`), stacked from the top / bottom. `@N` sets the time on screen (naka: the
/// whole crossing). Each comment takes the highest free band of rows; when the screen is full
/// it goes to a height chosen from its number (deterministic).
///
/// Deleted, invisible and not-plain-text comments, owner scripts and comments that leave
/// the screen before 0 s are not written.
public struct ASSWriter: Sendable, Equatable {
    /// The script resolution (`PlayResX` × `PlayResY`), default the HTML5 player's 683 × 384.
    public var width: Int
    public var height: Int
    /// The font family libass asks fontconfig for.
    public var fontName: String

    public init(width: Int = 683, height: Int = 384, fontName: String = "sans-serif") {
        precondition(width > 0 && height > 0, "the script resolution must be positive")
        self.width = width
        self.height = height
        self.fontName = fontName
    }

    /// Font size in pixels at this height: small 18, medium 27, big 39 at 384 px.
    public func fontSize(_ size: Size) -> Double {
        let scale = Double(height) / 384
        switch size {
        case .small: return 18 * scale
        case .medium: return 27 * scale
        case .big: return 39 * scale
        }
    }

    /// Height of one text line in pixels at this height (16.95 / 27.14 / 42.45 at 384 px).
    func lineHeight(_ size: Size) -> Double {
        let scale = Double(height) / 384
        switch size {
        case .small: return 16.95 * scale
        case .medium: return 27.14 * scale
        case .big: return 42.45 * scale
        }
    }

    /// The whole `.ass` file.
    public func document(_ comments: [Comment]) -> String {
        var out = """
            [Script Info]
            ; Written by danmaku
            ScriptType: v4.00+
            PlayResX: \(width)
            PlayResY: \(height)
            WrapStyle: 2
            ScaledBorderAndShadow: yes

            [V4+ Styles]
            Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
            Style: Danmaku,\(fontName),\(Int(fontSize(.medium).rounded())),&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,\(Self.decimal(Double(height) / 384)),0,7,0,0,0,1

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text

            """
        var layout = Layout(width: Double(width), height: Double(height))
        let drawable = comments.filter { !$0.isDeleted && !$0.isInvisible && $0.isPlainText && !$0.isOwnerScript }
            .sorted { ($0.vpos, $0.number) < ($1.vpos, $1.number) }
        for comment in drawable {
            if let line = dialogue(for: comment, layout: &layout) { out += line + "\n" }
        }
        return out
    }

    /// Writes `document(comments)` to `path` atomically.
    ///
    /// - Throws: `CommentsError.unwritable` naming `path`.
    public func write(_ comments: [Comment], to path: String) throws(CommentsError) {
        try AtomicText.write(document(comments), to: path)
    }

    /// One `Dialogue:` line, placing the comment in `layout`; nil when it leaves before time 0.
    private func dialogue(for comment: Comment, layout: inout Layout) -> String? {
        let lines = comment.text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let size = fontSize(comment.size)
        let textWidth = lines.map { Self.estimatedWidth($0, fontSize: size) }.max() ?? 0
        let bandHeight = max(size, lineHeight(comment.size) * Double(lines.count))
        let time = comment.seconds
        var tags = ""
        let start: Double, end: Double
        switch comment.position {
        case .naka:
            // Enters 1 s before vpos, leaves 3 s after: the whole crossing takes 4 s (or @N).
            let lifetime = comment.duration ?? 4
            start = time - lifetime / 4
            end = start + lifetime
            let y = layout.place(.scrolling(start: start, lifetime: lifetime, width: textWidth), height: bandHeight,
                                 fallback: comment.number)
            // x of the left edge at `start`: the right edge of the screen; at `end`: -width.
            let speed = (Double(width) + textWidth) / lifetime
            let shownStart = max(start, 0)
            let x1 = Double(width) - speed * (shownStart - start)
            tags = "\\move(\(Self.decimal(x1)),\(Self.decimal(y)),\(Self.decimal(-textWidth)),\(Self.decimal(y)))"
        case .ue, .shita:
            start = time
            end = time + (comment.duration ?? 3)
            let top = layout.place(.fixed(start: start, end: end, fromBottom: comment.position == .shita),
                                   height: bandHeight, fallback: comment.number)
            tags = "\\an8\\pos(\(Self.decimal(Double(width) / 2)),\(Self.decimal(top)))"
        }
        guard end > 0 else { return nil }
        if comment.size != .medium { tags += "\\fs\(Self.decimal(size))" }
        if comment.color != .white { tags += "\\c" + Self.assColor(comment.color) }
        // Dark text gets a light outline so it stays readable, as Niconico draws it.
        if Int(comment.color.r) + Int(comment.color.g) + Int(comment.color.b) < 0x60 { tags += "\\3c&HFFFFFF&" }
        if comment.isLive { tags += "\\alpha&H80&" }
        let layer = comment.position == .naka ? 2 : 3
        return "Dialogue: \(layer),\(Self.timestamp(max(start, 0))),\(Self.timestamp(max(end, 0))),Danmaku,,0,0,0,,{\(tags)}\(Self.escape(comment.text))"
    }

    /// `H:MM:SS.cc`, rounded to centiseconds (clamped to 0…10^9 s, beyond any real video).
    static func timestamp(_ seconds: Double) -> String {
        let centiseconds = Int((min(max(seconds, 0), 1e9) * 100).rounded())
        let h = centiseconds / 360_000, m = centiseconds / 6000 % 60, s = centiseconds / 100 % 60, cs = centiseconds % 100
        return "\(h):" + [m, s].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":") + "." + (cs < 10 ? "0\(cs)" : "\(cs)")
    }

    /// `&HBBGGRR&`, as ASS writes colours.
    static func assColor(_ color: RGBColor) -> String {
        let packed = Int(color.b) << 16 | Int(color.g) << 8 | Int(color.r)
        let digits = String(packed, radix: 16, uppercase: true)
        return "&H" + String(repeating: "0", count: 6 - digits.count) + digits + "&"
    }

    /// Text safe for a Dialogue line: `\` → `\\`, `{` → `\{`, `}` → `\}`, line breaks → `\N`,
    /// and leading spaces of a line → U+00A0 (libass would drop them).
    static func escape(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { line -> String in
            var escaped = ""
            var leading = true
            for character in line {
                if leading, character == " " { escaped.append("\u{00A0}"); continue }
                leading = false
                switch character {
                case "\\": escaped += "\\\\"
                case "{": escaped += "\\{"
                case "}": escaped += "\\}"
                default: escaped.append(character)
                }
            }
            return escaped
        }.joined(separator: "\\N")
    }

    /// Width in pixels: half the font size for half-width characters, the full size otherwise.
    static func estimatedWidth(_ line: Substring, fontSize: Double) -> Double {
        line.reduce(0) { width, character in
            let halfWidth = character.unicodeScalars.first.map { $0.value < 0x1100 || (0xFF61...0xFFDC).contains($0.value) } ?? true
            return width + (halfWidth ? 0.5 : 1) * fontSize
        }
    }

    static func decimal(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }

    /// The comments on screen, for choosing each new comment's band of rows.
    struct Layout {
        enum Kind {
            case scrolling(start: Double, lifetime: Double, width: Double)
            case fixed(start: Double, end: Double, fromBottom: Bool)
        }

        struct Placed {
            var kind: Kind
            var top: Double
            var height: Double
            var end: Double
        }

        let width: Double
        let height: Double
        private var placed: [Placed] = []

        init(width: Double, height: Double) {
            self.width = width
            self.height = height
        }

        /// The top y of the band a new comment takes (comments arrive in time order).
        mutating func place(_ kind: Kind, height band: Double, fallback: Int) -> Double {
            let start: Double, end: Double, fromBottom: Bool
            switch kind {
            case let .scrolling(s, lifetime, _): (start, end, fromBottom) = (s, s + lifetime, false)
            case let .fixed(s, e, bottom): (start, end, fromBottom) = (s, e, bottom)
            }
            placed.removeAll { $0.end <= start }
            let colliding = placed.filter { collide($0.kind, kind) }
            // Candidate offsets from the stacking edge: the edge itself and just past each colliding band.
            let edges: [Double] = colliding.map { other in fromBottom ? height - other.top : other.top + other.height }
            let offsets = ([0] + edges).sorted()
            var chosen: Double?
            for offset in offsets where offset + band <= height {
                let top = fromBottom ? height - offset - band : offset
                if !colliding.contains(where: { top < $0.top + $0.height && $0.top < top + band }) {
                    chosen = top
                    break
                }
            }
            let spread = UInt64(max(1, Int(height - band)))
            let top = chosen ?? Double(UInt64(truncatingIfNeeded: fallback &* 2_654_435_761) % spread)
            placed.append(Placed(kind: kind, top: top, height: band, end: end))
            return top
        }

        /// Whether two comments on overlapping rows would touch during their lifetimes.
        private func collide(_ a: Kind, _ b: Kind) -> Bool {
            switch (a, b) {
            case let (.fixed(s1, e1, bottom1), .fixed(s2, e2, bottom2)):
                return bottom1 == bottom2 && s1 < e2 && s2 < e1
            case let (.scrolling(s1, l1, w1), .scrolling(s2, l2, w2)):
                guard s2 < s1 + l1 else { return false }
                // a's right edge at b's start must have left the right edge of the screen…
                let speed1 = (width + w1) / l1, speed2 = (width + w2) / l2
                if width - speed1 * (s2 - s1) + w1 > width { return true }
                // …and b must not reach a's right edge before a has left the screen.
                let end1 = s1 + l1
                let bLeftAtEnd1 = width - speed2 * (end1 - s2)
                return bLeftAtEnd1 < 0
            default:
                return false
            }
        }
    }
}
