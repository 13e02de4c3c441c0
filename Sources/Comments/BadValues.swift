// Values a reader could not take as written: which field, what was wrong, what was done, how often.

/// The bad values of one comment file, counted per field, problem and outcome, for the one
/// warning line `CommentFile.contents` logs per file and for `tokenize --stats`.
///
/// A reader never invents a value. A comment whose time is missing, unreadable or out of range
/// is skipped; any other field that cannot be read falls back to its documented default (date
/// and number 0: unknown; Bilibili mode 1: scrolling; size 25: medium; colour white; a flag
/// 0) and is counted here. A field the format lets a file leave out (a `<chat>` without
/// `date`) is not a bad value.
public struct BadValues: Sendable, Equatable {
    /// What was wrong with a value.
    public enum Problem: String, Sendable, Comparable {
        case missing
        /// Not a number (or not of the field's form: `#RRGGBB`, `M:SS.FF`, an ISO 8601 time).
        case unreadable
        /// A number, but outside the field's range (a time beyond 10^12 s, a colour above 0xFFFFFF).
        case outOfRange = "out of range"

        public static func < (a: Problem, b: Problem) -> Bool { a.rawValue < b.rawValue }
    }

    /// One kind of bad value.
    public struct Reason: Hashable, Sendable, Comparable {
        /// The field as the file names it: `vpos`, `date`, `no`, `p time`, `p colour`, `vposMs`, …
        public var field: String
        public var problem: Problem
        /// What the reader did instead: `skipped` (the comment) or `read as 0`, `read as white`, …
        public var outcome: String

        public static func < (a: Reason, b: Reason) -> Bool {
            (a.field, a.problem, a.outcome) < (b.field, b.problem, b.outcome)
        }

        /// `vpos unreadable, skipped`.
        public var name: String { "\(field) \(problem.rawValue), \(outcome)" }
    }

    /// How many comments had each kind of bad value.
    public private(set) var counts: [Reason: Int] = [:]

    public init() {}

    /// Counts one comment whose `field` had `problem`, handled by `outcome`.
    public mutating func count(_ field: String, _ problem: Problem, _ outcome: String) {
        counts[Reason(field: field, problem: problem, outcome: outcome), default: 0] += 1
    }

    /// Adds another file's counts.
    public mutating func add(_ other: BadValues) {
        for (reason, count) in other.counts { counts[reason, default: 0] += count }
    }

    public var isEmpty: Bool { counts.isEmpty }

    /// The counts by `Reason.name`, for `tokenize --stats --json`.
    public var byName: [String: Int] {
        Dictionary(uniqueKeysWithValues: counts.map { ($0.key.name, $0.value) })
    }

    /// The counts in one line, sorted by field:
    /// `vpos unreadable in 2 comments (skipped); date unreadable in 1 comment (read as 0)`.
    public var summary: String {
        counts.sorted { $0.key < $1.key }.map { reason, count in
            "\(reason.field) \(reason.problem.rawValue) in \(count) comment\(count == 1 ? "" : "s") (\(reason.outcome))"
        }.joined(separator: "; ")
    }

    /// The largest time a comment may have, in centiseconds (10^12 s): beyond it no time is
    /// real, and centiseconds and milliseconds would near `Int`'s range.
    public static let maximumVpos = 100_000_000_000_000

    /// An integer field as read: its value, or why it has none.
    enum Reading {
        case value(Int)
        case bad(Problem)
    }

    /// An integer field as written (`12`, or `12.5` rounded: some tools write floats), or why
    /// it is not one; `range` bounds it.
    static func readInteger(_ text: some StringProtocol, in range: ClosedRange<Int>) -> Reading {
        let value: Int
        if let exact = Int(text) {
            value = exact
        } else if let real = Double(text), real.isFinite, abs(real) < 1e18 {
            value = Int(real.rounded())
        } else {
            return .bad(Double(text) != nil ? .outOfRange : .unreadable)
        }
        return range.contains(value) ? .value(value) : .bad(.outOfRange)
    }

    /// `field`'s value read as an integer in `range`; when it cannot be, `fallback`, counted
    /// with the outcome `read as FALLBACK`. A missing field (`text` nil) is `fallback` uncounted.
    mutating func integer(_ text: (some StringProtocol)?, field: String, in range: ClosedRange<Int> = Int.min...Int.max,
                          fallback: Int, shown: String? = nil) -> Int {
        guard let text else { return fallback }
        switch Self.readInteger(text, in: range) {
        case .value(let value): return value
        case .bad(let problem):
            count(field, problem, "read as \(shown ?? String(fallback))")
            return fallback
        }
    }
}
