// Which comments a model may learn from, and why the others were dropped.

/// Why a comment was left out of training.
public enum DropReason: String, Sendable, CaseIterable, Comparable, Codable {
    case deleted
    case ownerScript = "owner-script"
    case invisible
    case notPlainText = "not-plain-text"
    case empty
    /// Comment art (see `ArtClassifier`), unless the recipe keeps it (`comments.keep_art`).
    case art
    case tooLong = "too-long"
    /// The same comment in an earlier file of the same video (see `DuplicateFilter`).
    case duplicate

    public static func < (a: DropReason, b: DropReason) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Drops comments that are not speech: deleted ones, owner scripts (`/nicoad …`), `invisible`
/// ones, Bilibili modes 6–8 (code and positioned JSON), empty or whitespace-only text, comment
/// art (unless `keepArt`) and, optionally, texts longer than `maximumLength` characters. Each comment is counted under
/// the first reason that applies, in the order of `DropReason.allCases`.
public struct TrainingFilter: Sendable, Equatable {
    /// The longest text kept, in characters (grapheme clusters); nil keeps every length.
    public var maximumLength: Int?
    /// Keep comment art (the recipe's `comments.keep_art`, default false).
    public var keepArt: Bool
    /// What counts as art.
    public var art: ArtClassifier

    public init(maximumLength: Int? = nil, keepArt: Bool = false, art: ArtClassifier = ArtClassifier()) {
        self.maximumLength = maximumLength
        self.keepArt = keepArt
        self.art = art
    }

    /// What the filter kept and how many it dropped for each reason.
    public struct Result: Sendable, Equatable {
        /// The kept comments, in input order.
        public var kept: [Comment]
        /// How many comments each reason dropped (reasons that dropped none are absent).
        public var dropped: [DropReason: Int]

        /// All dropped comments.
        public var droppedCount: Int { dropped.values.reduce(0, +) }
    }

    /// The reason `comment` is dropped, or nil when it is kept.
    public func reason(for comment: Comment) -> DropReason? {
        if comment.isDeleted { return .deleted }
        if comment.isOwnerScript { return .ownerScript }
        if comment.isInvisible { return .invisible }
        if !comment.isPlainText { return .notPlainText }
        if comment.text.allSatisfy(\.isWhitespace) { return .empty }
        if !keepArt && art.isArt(comment) { return .art }
        if let maximumLength, comment.text.count > maximumLength { return .tooLong }
        return nil
    }

    /// Splits `comments` into kept ones and per-reason drop counts.
    public func apply(_ comments: [Comment]) -> Result {
        var result = Result(kept: [], dropped: [:])
        result.kept.reserveCapacity(comments.count)
        for comment in comments {
            if let reason = reason(for: comment) {
                result.dropped[reason, default: 0] += 1
            } else {
                result.kept.append(comment)
            }
        }
        return result
    }
}
