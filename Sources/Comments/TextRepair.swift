// Text repair, before anything else sees a comment's text: UTF-8 that a tool decoded as
// Latin-1 or CP1252 (`ã\u{81}\u{99}` for `す`), C0/C1 control characters, and U+FFFD runs.

/// Repairs one comment's text.
///
/// 1. **Mojibake.** Every character that Latin-1 or CP1252 (WHATWG's windows-1252: the five
///    undefined bytes stay C1 controls) could have made from one byte is mapped back to that
///    byte; wherever those bytes form a well-formed UTF-8 sequence, the sequence is decoded.
///    Three- and four-byte sequences (Japanese, Chinese, emoji: `ã\u{81}\u{99}`, `ð\u{9F}\u{98}\u{82}`)
///    are always decoded; two-byte ones only when they give a Latin, Greek or Cyrillic letter
///    (`Ã©` → `é`), because an accented capital before a symbol is otherwise legitimate
///    (`„Fuß“` holds the bytes DF 93). Characters outside those bytes (`す`, `café`'s context)
///    are never touched, so text that was never mis-decoded comes back unchanged, and a comment
///    mixing repaired and good text keeps the good part. Repeated up to three times, for text
///    mis-decoded twice.
/// 2. **Controls.** C0 (U+0000–U+001F except tab, LF and CR), DEL and C1 (U+0080–U+009F)
///    characters left after step 1 are removed. Tab is whitespace, not a control here: the
///    normaliser and the tokenizers treat it as a space.
/// 3. **Invalid text.** U+FFFD (what decoders leave for bad bytes and unpaired surrogates,
///    see `CommentFile`) is removed, runs included.
public enum TextRepair {
    /// What `repair` changed in one text.
    public struct Changes: Sendable, Equatable {
        /// Whether mis-decoded UTF-8 was decoded again.
        public var repairedMojibake = false
        /// Control characters removed.
        public var controlCharacters = 0
        /// U+FFFD characters removed.
        public var invalidCharacters = 0

        public init() {}

        /// Whether nothing changed.
        public var isEmpty: Bool { !repairedMojibake && controlCharacters == 0 && invalidCharacters == 0 }
    }

    /// Totals over many comments, as `tokenize --stats`, `stats.json` and the report show them.
    public struct Counts: Sendable, Equatable, Codable {
        /// Comments whose mis-decoded UTF-8 was repaired.
        public var mojibakeComments = 0
        /// Control characters stripped, and the comments they were stripped from.
        public var controlCharacters = 0
        public var controlComments = 0
        /// U+FFFD characters (bad bytes, unpaired surrogates) stripped, and from how many comments.
        public var invalidCharacters = 0
        public var invalidComments = 0

        public init() {}

        /// Adds one comment's changes.
        public mutating func add(_ changes: Changes) {
            if changes.repairedMojibake { mojibakeComments += 1 }
            if changes.controlCharacters > 0 {
                controlCharacters += changes.controlCharacters
                controlComments += 1
            }
            if changes.invalidCharacters > 0 {
                invalidCharacters += changes.invalidCharacters
                invalidComments += 1
            }
        }

        /// Adds another file's totals.
        public mutating func add(_ other: Counts) {
            mojibakeComments += other.mojibakeComments
            controlCharacters += other.controlCharacters
            controlComments += other.controlComments
            invalidCharacters += other.invalidCharacters
            invalidComments += other.invalidComments
        }

        /// The non-zero counts by name (`mojibake`, `control-characters`, …), for `stats.json`.
        public var byName: [String: Int] {
            let all = ["mojibake": mojibakeComments, "control-characters": controlCharacters,
                       "control-comments": controlComments, "invalid-characters": invalidCharacters,
                       "invalid-comments": invalidComments]
            return all.filter { $0.value > 0 }
        }

        /// Human-readable lines: `repaired (mojibake): 3 comments`, `stripped (…): N in M comments`.
        public var lines: [String] {
            var lines: [String] = []
            if mojibakeComments > 0 { lines.append("repaired (mojibake): \(mojibakeComments) comments") }
            if controlCharacters > 0 {
                lines.append("stripped (control characters): \(controlCharacters) in \(controlComments) comments")
            }
            if invalidCharacters > 0 {
                lines.append("stripped (U+FFFD, unpaired surrogates): \(invalidCharacters) in \(invalidComments) comments")
            }
            return lines
        }
    }

    /// `text` repaired, and what changed.
    public static func repair(_ text: String) -> (text: String, changes: Changes) {
        var changes = Changes()
        guard text.unicodeScalars.contains(where: needsLook) else { return (text, changes) }
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<3 {
            guard let decoded = decodeMisreadUTF8(scalars) else { break }
            scalars = decoded
            changes.repairedMojibake = true
        }
        var kept = String.UnicodeScalarView()
        for scalar in scalars {
            if isStrippedControl(scalar.value) {
                changes.controlCharacters += 1
            } else if scalar.value == 0xFFFD {
                changes.invalidCharacters += 1
            } else {
                kept.append(scalar)
            }
        }
        return (changes.isEmpty ? text : String(kept), changes)
    }

    /// Whether a scalar may take part in mojibake or be stripped: the fast path skips texts without any.
    private static func needsLook(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (0x7F...0xFF).contains(v) || v == 0xFFFD || ((0x152...0x2122).contains(v) && cp1252Byte[v] != nil)
    }

    /// C0 but tab, LF, CR; DEL; C1.
    static func isStrippedControl(_ v: UInt32) -> Bool {
        (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v)
    }

    /// The byte a single-byte decoder turned into `scalar`, or nil when none could have.
    static func misreadByte(_ scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v <= 0xFF { return UInt8(v) }
        return cp1252Byte[v]
    }

    /// The scalars with every misread UTF-8 sequence decoded, or nil when there was none.
    static func decodeMisreadUTF8(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var changed = false
        var i = 0
        while i < scalars.count {
            if let (scalar, length) = sequence(at: i, in: scalars) {
                output.append(scalar)
                i += length
                changed = true
            } else {
                output.append(scalars[i])
                i += 1
            }
        }
        return changed ? output : nil
    }

    /// The scalar a well-formed UTF-8 sequence of misread bytes starting at `i` encodes, and its length.
    private static func sequence(at i: Int, in scalars: [Unicode.Scalar]) -> (Unicode.Scalar, Int)? {
        guard let lead = misreadByte(scalars[i]), let (length, lower, upper) = CommentFile.utf8Sequence(lead: lead) else { return nil }
        guard i + length <= scalars.count else { return nil }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length {
            guard let byte = misreadByte(scalars[i + k]) else { return nil }
            let (low, high) = k == 1 ? (lower, upper) : (0x80, 0xBF)
            guard (low...high).contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        if length == 2 && !isPlausibleTwoByte(value) { return nil }
        return (scalar, length)
    }

    /// Latin-1 Supplement (C1 included: text mis-decoded twice passes through them, `Â\u{83}`),
    /// Latin Extended-A/B, Greek, Cyrillic: what two-byte UTF-8 in comments mostly is. Anything
    /// else (NKo, Syriac, …) from two bytes is far more likely legitimate Latin text next to a
    /// symbol than mojibake.
    private static func isPlausibleTwoByte(_ v: UInt32) -> Bool {
        (0x80...0x24F).contains(v) || (0x370...0x4FF).contains(v)
    }

    /// CP1252's characters for the bytes 0x80–0x9F it defines (the others decode to C1 controls).
    static let cp1252Byte: [UInt32: UInt8] = [
        0x20AC: 0x80, 0x201A: 0x82, 0x0192: 0x83, 0x201E: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87,
        0x02C6: 0x88, 0x2030: 0x89, 0x0160: 0x8A, 0x2039: 0x8B, 0x0152: 0x8C, 0x017D: 0x8E, 0x2018: 0x91,
        0x2019: 0x92, 0x201C: 0x93, 0x201D: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02DC: 0x98,
        0x2122: 0x99, 0x0161: 0x9A, 0x203A: 0x9B, 0x0153: 0x9C, 0x017E: 0x9E, 0x0178: 0x9F,
    ]
}
