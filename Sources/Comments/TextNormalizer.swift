// Text normalisation before tokenising: one canonical spelling for what people type many ways.
import Foundation

/// Normalises comment text for training and tokenising.
///
/// In order: NFKC (full-width `ｗ` → `w`, half-width katakana → full-width), line breaks
/// (LF, CR, U+2028/2029) to spaces, runs of one character longer than `maximumRun` shortened
/// to `maximumRun` (`ｗｗｗｗｗｗｗ` → `wwww`), then leading and trailing whitespace trimmed.
public struct TextNormalizer: Sendable, Equatable {
    /// Apply Unicode NFKC.
    public var nfkc: Bool
    /// Replace line breaks with spaces.
    public var newlinesToSpaces: Bool
    /// The longest run of one repeated character kept (default 4); nil keeps every run.
    public var maximumRun: Int?
    /// Trim whitespace at both ends.
    public var trims: Bool

    public init(nfkc: Bool = true, newlinesToSpaces: Bool = true, maximumRun: Int? = 4, trims: Bool = true) {
        precondition(maximumRun.map { $0 >= 1 } ?? true, "maximumRun must be at least 1")
        self.nfkc = nfkc
        self.newlinesToSpaces = newlinesToSpaces
        self.maximumRun = maximumRun
        self.trims = trims
    }

    /// The normalised form of `text`.
    public func normalize(_ text: String) -> String {
        var result = text
        if nfkc, !result.utf8.allSatisfy({ $0 < 0x80 }) {
            result = result.precomposedStringWithCompatibilityMapping
        }
        if newlinesToSpaces {
            result = String(result.map { $0.isNewline ? " " : $0 })
        }
        if let maximumRun {
            result = Self.shortenRuns(result, to: maximumRun)
        }
        if trims {
            result = result.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return result
    }

    /// `text` with every run of one character longer than `limit` cut to `limit` characters.
    static func shortenRuns(_ text: String, to limit: Int) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var previous: Character?
        var run = 0
        for character in text {
            run = character == previous ? run + 1 : 1
            previous = character
            if run <= limit { output.append(character) }
        }
        return output
    }
}
