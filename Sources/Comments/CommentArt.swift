// Comment art (AA, CA): pictures drawn with text. Players draw it; a model must not learn it as speech.

/// Tells comment art from speech.
///
/// A comment is art when any of these holds:
/// - it has the `ca` mail command (its poster said so);
/// - it has more than one line (line breaks inside the text, after trimming those at its ends);
/// - more than `maximumArtShare` of its characters, spaces (U+0020, U+3000) left out, are
///   box-drawing (U+2500–257F), block (U+2580–259F) or braille (U+2800–28FF) characters or the
///   blanks art is padded with (NBSP, U+2000–200B, U+202F, U+205F, the Hangul fillers);
/// - it is longer than `maximumLength` characters.
///
/// How the thresholds were chosen, without looking at any real file: `maximumLength` is the
/// longest comment the platforms let a viewer post (Niconico 75 characters, Bilibili 100), so
/// only owners' and tools' texts exceed it. `maximumArtShare` sits in the gap between speech and
/// art that `CommentArtTests` generates: speech with decoration (`キタ━━━━(ﾟ∀ﾟ)━━━━!!` with up
/// to four bars a side, a `█` or a `■` inside a sentence, NBSP between words) reaches a share of
/// 0.47; single-line art rows (bars of blocks with a word inside, braille rows, NBSP-padded
/// blocks) start at 0.75. 0.5 — "mostly" — lies between, and the test fails if a threshold moves
/// out of the gap.
public struct ArtClassifier: Sendable, Equatable {
    /// Longer texts (in characters) are art (default 100: Bilibili's limit, above Niconico's 75).
    public var maximumLength: Int
    /// A larger share of art characters makes art (default 0.5).
    public var maximumArtShare: Double

    public init(maximumLength: Int = 100, maximumArtShare: Double = 0.5) {
        self.maximumLength = maximumLength
        self.maximumArtShare = maximumArtShare
    }

    /// Whether `comment` is art (its text, or its `ca` command).
    public func isArt(_ comment: Comment) -> Bool {
        comment.isCommentArt || isArt(text: comment.text)
    }

    /// Whether `text` alone is art.
    public func isArt(text: String) -> Bool {
        isMultiLine(text) || artShare(text) > maximumArtShare || text.count > maximumLength
    }

    /// Whether `text` holds a line break between non-blank text.
    public func isMultiLine(_ text: String) -> Bool {
        let inner = text.drop { $0.isNewline }.reversed().drop { $0.isNewline }
        return inner.contains { $0.isNewline }
    }

    /// The share of art characters among the characters other than spaces (0 for blank text).
    public func artShare(_ text: String) -> Double {
        var art = 0, counted = 0
        for scalar in text.unicodeScalars where scalar.value != 0x20 && scalar.value != 0x3000 {
            counted += 1
            if Self.isArtScalar(scalar.value) { art += 1 }
        }
        return counted == 0 ? 0 : Double(art) / Double(counted)
    }

    /// Box drawing, blocks, braille and the padding blanks of art.
    static func isArtScalar(_ v: UInt32) -> Bool {
        switch v {
        case 0x2500...0x259F, 0x2800...0x28FF: true
        case 0x00A0, 0x2000...0x200B, 0x202F, 0x205F, 0x115F, 0x1160, 0x3164, 0xFFA0: true
        default: false
        }
    }
}
