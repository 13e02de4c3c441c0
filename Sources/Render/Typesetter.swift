// Text to pixels: grapheme clusters to glyphs (primary face, then the fallback), kerning,
// line boxes, and the fill + outline coverage bitmap of a whole comment.
import Logging

/// A comment's coverage: the fill and the outline (dilated fill), 8-bit alpha each,
/// `width × height`, row-major. Its top-left corner is drawn `padding` pixels above the
/// comment's box, so the outline may reach into the bands around it.
struct TextBitmap {
    var width: Int
    var height: Int
    /// Rows above the box (the outline's reach).
    var padding: Int
    var fill: [UInt8]
    var outline: [UInt8]
}

/// How a comment's text is set: size, line height and outline, all in pixels of the video.
public struct TextStyle: Sendable, Hashable {
    /// The em size in pixels.
    public var fontSize: Double
    /// The distance between baselines of consecutive lines, in pixels.
    public var lineHeight: Double
    /// The outline's radius in pixels (0: no outline).
    public var strokeRadius: Double

    public init(fontSize: Double, lineHeight: Double, strokeRadius: Double) {
        precondition(fontSize >= 1 && lineHeight > 0 && strokeRadius >= 0, "text style \(fontSize)/\(lineHeight)/\(strokeRadius)")
        self.fontSize = fontSize
        self.lineHeight = lineHeight
        self.strokeRadius = strokeRadius
    }

    /// Every size scaled by `factor`; the outline keeps at least one pixel.
    func scaled(by factor: Double) -> TextStyle {
        TextStyle(fontSize: max(1, fontSize * factor), lineHeight: lineHeight * factor,
                  strokeRadius: strokeRadius == 0 ? 0 : max(1, strokeRadius * factor))
    }

    var size26: Int { Int((fontSize * 64).rounded()) }
    var stroke26: Int { Int((strokeRadius * 64).rounded()) }
    /// The outline's margin in whole pixels: added on both sides of the text's width, and how far
    /// the drawing reaches above and below the box.
    public var padding: Int { strokeRadius == 0 ? 0 : Int(strokeRadius.rounded(.up)) + 1 }
}

/// Sets text in a primary face, falling back to a second face for characters it lacks.
/// Characters neither face has are skipped and remembered; `reportMissingGlyphs` logs them
/// once. Not `Sendable` (it owns FreeType faces).
public final class Typesetter {
    /// The face most text is set in.
    public let font: FontFace
    /// The face for characters `font` lacks.
    public let fallback: FontFace?
    private let logger: Logger
    private var missing: [Character] = []
    private var missingSet: Set<Character> = []
    private var reportedCount = 0

    /// - Parameters:
    ///   - font: the primary face.
    ///   - fallback: a face for characters `font` lacks.
    ///   - logger: where the missing-glyph warning goes.
    public init(font: FontFace, fallback: FontFace? = nil, logger: Logger = Logger(label: "danmaku.render")) {
        self.font = font
        self.fallback = fallback
        self.logger = logger
    }

    /// Opens `fontPath` (default: the bundled IPAex Gothic) and the optional fallback.
    ///
    /// - Throws: `RenderError` when a font cannot be found or used.
    public convenience init(fontPath: String? = nil, fallbackPath: String? = nil,
                            logger: Logger = Logger(label: "danmaku.render")) throws {
        let primary = try FontFace(path: fontPath ?? BundledFont.path())
        let second = try fallbackPath.map { try FontFace(path: $0) }
        self.init(font: primary, fallback: second, logger: logger)
    }

    /// Every character met so far that neither face can draw, in the order first met.
    public var missingCharacters: [Character] { missing }

    /// Logs one warning listing the characters found missing since the last report, if any.
    public func reportMissingGlyphs() {
        guard reportedCount < missing.count else { return }
        let fresh = missing[reportedCount...]
        reportedCount = missing.count
        let listed = fresh.prefix(20).map { character in
            "\"\(character)\" (" + character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
                .joined(separator: " ") + ")"
        }
        let more = fresh.count > 20 ? ", and \(fresh.count - 20) more" : ""
        let faces = [font.fileName] + (fallback.map { [$0.fileName] } ?? [])
        logger.warning("\(faces.joined(separator: " and ")) lack \(fresh.count) character\(fresh.count == 1 ? "" : "s"), not drawn: \(listed.joined(separator: ", "))\(more)")
    }

    // MARK: Shaping

    /// One glyph of a set line: which face, which glyph, and the pen's x (26.6 px).
    private struct PlacedGlyph {
        var usesFallback: Bool
        var glyph: UInt32
        var penX: Int
    }

    /// The glyphs of a cluster in the face that has all of them, primary first.
    private func glyphs(for cluster: Character) -> (usesFallback: Bool, glyphs: [UInt32])? {
        let scalars = cluster.unicodeScalars.filter {
            !$0.properties.isDefaultIgnorableCodePoint && $0.properties.generalCategory != .control
        }
        guard !scalars.isEmpty else { return (false, []) }
        func lookup(_ face: FontFace) -> [UInt32]? {
            var found: [UInt32] = []
            for scalar in scalars {
                guard let glyph = face.glyphIndex(for: scalar) else { return nil }
                found.append(glyph)
            }
            return found
        }
        if let found = lookup(font) { return (false, found) }
        if let fallback, let found = lookup(fallback) { return (true, found) }
        // Spaces the font lacks (no-break space, en quad, …) are set as a plain space.
        if scalars.allSatisfy({ $0.properties.isWhitespace }), let space = font.glyphIndex(for: " ") {
            return (false, [space])
        }
        return nil
    }

    /// Sets one line: glyphs by grapheme cluster, advances and kerning; returns the glyphs and the line's advance (26.6 px).
    private func setLine(_ line: String, size: Int) -> (glyphs: [PlacedGlyph], advance: Int) {
        var placed: [PlacedGlyph] = []
        var pen = 0
        var previous: (usesFallback: Bool, glyph: UInt32)? = nil
        for cluster in line {
            guard let (usesFallback, clusterGlyphs) = glyphs(for: cluster) else {
                if missingSet.insert(cluster).inserted { missing.append(cluster) }
                continue
            }
            let face = usesFallback ? fallback! : font
            for glyph in clusterGlyphs {
                if let previous, previous.usesFallback == usesFallback {
                    pen += face.kerning(left: previous.glyph, right: glyph, size: size)
                }
                placed.append(PlacedGlyph(usesFallback: usesFallback, glyph: glyph, penX: pen))
                pen += face.advance(glyph: glyph, size: size)
                previous = (usesFallback, glyph)
            }
        }
        return (placed, pen)
    }

    // MARK: Measuring and rasterising

    /// The size of the box `lines` take in `style`, in whole pixels: the widest line's advance
    /// plus the outline's margin on both sides, by the lines' total line height.
    public func boxSize(lines: [String], style: TextStyle) -> (width: Int, height: Int) {
        let widest = lines.map { setLine($0, size: style.size26).advance }.max() ?? 0
        return (Int((Double(widest) / 64).rounded(.up)) + 2 * style.padding, boxHeight(lineCount: lines.count, style: style))
    }

    private func boxHeight(lineCount: Int, style: TextStyle) -> Int {
        max(1, Int((style.lineHeight * Double(lineCount)).rounded()))
    }

    /// The coverage bitmap of `lines` in `style`: the box of `boxSize` widened by the outline's
    /// reach above and below. Lines are left-aligned; each baseline is centred vertically in its line.
    func rasterise(lines: [String], style: TextStyle) -> TextBitmap {
        let size = style.size26, stroke = style.stroke26, padding = style.padding
        let set = lines.map { setLine($0, size: size) }
        let widest = set.map(\.advance).max() ?? 0
        let width = Int((Double(widest) / 64).rounded(.up)) + 2 * padding
        let height = boxHeight(lineCount: lines.count, style: style) + 2 * padding
        var bitmap = TextBitmap(width: width, height: height, padding: padding,
                                fill: [UInt8](repeating: 0, count: width * height),
                                outline: [UInt8](repeating: 0, count: width * height))
        let (ascender, descender) = font.verticalMetrics(size: size)
        let textHeight = Double(ascender - descender) / 64
        for (row, line) in set.enumerated() {
            let lineTop = Double(padding) + Double(row) * style.lineHeight
            let baseline = Int((lineTop + (style.lineHeight - textHeight) / 2 + Double(ascender) / 64).rounded())
            for glyph in line.glyphs {
                let face = glyph.usesFallback ? fallback! : font
                let raster = face.raster(glyph: glyph.glyph, size: size, stroke: stroke)
                let penX = padding + Int((Double(glyph.penX) / 64).rounded())
                if stroke > 0 { Self.stamp(raster.outline, into: &bitmap.outline, width: width, height: height, penX: penX, baseline: baseline) }
                Self.stamp(raster.fill, into: &bitmap.fill, width: width, height: height, penX: penX, baseline: baseline)
            }
        }
        return bitmap
    }

    /// Copies a glyph's coverage into a bitmap at (penX, baseline), keeping the larger coverage where glyphs overlap.
    private static func stamp(_ glyph: GlyphBitmap, into pixels: inout [UInt8], width: Int, height: Int, penX: Int, baseline: Int) {
        let x0 = penX + glyph.left, y0 = baseline - glyph.top
        let firstColumn = max(0, -x0), endColumn = min(glyph.width, width - x0)
        let firstRow = max(0, -y0), endRow = min(glyph.height, height - y0)
        guard firstColumn < endColumn, firstRow < endRow else { return }
        maximum(into: &pixels, width: width, at: (x0, y0), from: glyph.pixels, width: glyph.width,
                rows: firstRow..<endRow, columns: firstColumn..<endColumn)
    }
}

/// `destination[y + row][x + column] = max(itself, source[row][column])` for `rows` × `columns`
/// of `source`; the rows are `destinationWidth` and `sourceWidth` samples long.
private func maximum(into destination: UnsafeMutablePointer<UInt8>, width destinationWidth: Int, at origin: (x: Int, y: Int),
                     from source: UnsafePointer<UInt8>, width sourceWidth: Int, rows: Range<Int>, columns: Range<Int>) {
    for row in rows {
        let target = destination + (origin.y + row) * destinationWidth + origin.x, from = source + row * sourceWidth
        for column in columns { target[column] = max(target[column], from[column]) }
    }
}
