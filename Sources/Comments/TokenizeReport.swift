// What `danmaku tokenize` shows: each kept comment's tokens, and statistics over the file.
import Foundation

/// One kept comment, normalised and tokenised.
public struct TokenizedComment: Sendable, Equatable, Codable {
    /// Time in centiseconds.
    public var vpos: Int
    /// The raw mail tokens.
    public var mail: [String]
    /// The normalised text.
    public var text: String
    public var tokens: [String]

    /// `SECONDS<TAB>MAIL<TAB>TOKENS`: time with two decimals, mail tokens (or `-`), tokens
    /// joined by spaces.
    public var line: String {
        let sign = vpos < 0 ? "-" : ""
        let magnitude = abs(vpos)
        let fraction = magnitude % 100
        let time = "\(sign)\(magnitude / 100)." + (fraction < 10 ? "0\(fraction)" : "\(fraction)")
        return time + "\t" + (mail.isEmpty ? "-" : mail.joined(separator: " ")) + "\t" + tokens.joined(separator: " ")
    }
}

/// Totals over a tokenised file.
public struct TokenizeStatistics: Sendable, Equatable, Codable {
    /// Comments in the file.
    public var read: Int
    /// Comments kept by the training filter.
    public var kept: Int
    /// Dropped comments by reason (`DropReason.rawValue`).
    public var dropped: [String: Int]
    /// Tokens over the kept comments.
    public var tokens: Int
    /// Distinct tokens.
    public var distinctTokens: Int
    /// The most frequent tokens, most frequent first (ties by UTF-8 bytes), at most 30.
    public var topTokens: [TokenCount]
    /// `histogram[k]` = how many whole seconds of the video hold exactly k kept comments,
    /// counted from second 0 (or the earliest comment when earlier) to the last comment.
    public var commentsPerSecondHistogram: [Int]
    /// What the text repair changed (mojibake repaired, characters stripped), over all comments read.
    public var repaired = TextRepair.Counts()
    /// The file's format (`CommentFormat.rawValue`), when known.
    public var format: String?
    /// Bad values by `BadValues.Reason.name` (`vpos unreadable, skipped`): comments the reader
    /// skipped (not in `read`) and fields it read as defaults.
    public var badValues: [String: Int] = [:]

    public struct TokenCount: Sendable, Equatable, Codable {
        public var token: String
        public var count: Int
    }

    /// Several human-readable lines.
    public var text: String {
        var lines = ["comments read: \(read)", "kept: \(kept)"]
        for reason in DropReason.allCases {
            if let count = dropped[reason.rawValue] { lines.append("dropped (\(reason.rawValue)): \(count)") }
        }
        lines += repaired.lines
        for (name, count) in badValues.sorted(by: { $0.key < $1.key }) { lines.append("bad values (\(name)): \(count)") }
        if let format, let known = CommentFormat(rawValue: format) { lines.append("format: \(known.title)") }
        lines.append("tokens: \(tokens)")
        lines.append("distinct tokens: \(distinctTokens)")
        lines.append("most frequent tokens: " + topTokens.map { "\($0.token) \($0.count)" }.joined(separator: ", "))
        lines.append("comments per second (comments: seconds):")
        for (comments, seconds) in commentsPerSecondHistogram.enumerated() where seconds > 0 {
            lines.append("  \(comments): \(seconds)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Filters, normalises and tokenises a file's comments.
public struct TokenizeReport: Sendable {
    public var comments: [TokenizedComment]
    public var statistics: TokenizeStatistics

    /// - Parameters:
    ///   - comments: every comment of a file, as `CommentFile.load` returns them.
    ///   - topCount: how many of the most frequent tokens the statistics list (default 30).
    public init(comments all: [Comment], tokenizer: any Tokenizer, normalizer: TextNormalizer = TextNormalizer(),
                filter: TrainingFilter = TrainingFilter(), topCount: Int = 30) {
        self.init(comments: all, repairs: TextRepair.Counts(), badValues: BadValues(), format: nil, tokenizer: tokenizer,
                  normalizer: normalizer, filter: filter, topCount: topCount)
    }

    /// The report of a file as `CommentFile.contents` read it: its comments, repair counts and format.
    public init(file: CommentFileContents, tokenizer: any Tokenizer, normalizer: TextNormalizer = TextNormalizer(),
                filter: TrainingFilter = TrainingFilter(), topCount: Int = 30) {
        self.init(comments: file.comments, repairs: file.repairs, badValues: file.badValues, format: file.format, tokenizer: tokenizer,
                  normalizer: normalizer, filter: filter, topCount: topCount)
    }

    private init(comments all: [Comment], repairs: TextRepair.Counts, badValues: BadValues, format: CommentFormat?, tokenizer: any Tokenizer,
                 normalizer: TextNormalizer, filter: TrainingFilter, topCount: Int) {
        let filtered = filter.apply(all)
        var frequency: [String: Int] = [:]
        var tokenTotal = 0
        comments = filtered.kept.map { comment in
            let text = normalizer.normalize(comment.text)
            let tokens = tokenizer.tokenize(text)
            for token in tokens { frequency[token, default: 0] += 1 }
            tokenTotal += tokens.count
            return TokenizedComment(vpos: comment.vpos, mail: comment.mail, text: text, tokens: tokens)
        }
        let top = frequency.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .prefix(topCount).map { TokenizeStatistics.TokenCount(token: $0.key, count: $0.value) }
        statistics = TokenizeStatistics(
            read: all.count, kept: filtered.kept.count,
            dropped: Dictionary(uniqueKeysWithValues: filtered.dropped.map { ($0.key.rawValue, $0.value) }),
            tokens: tokenTotal, distinctTokens: frequency.count, topTokens: Array(top),
            commentsPerSecondHistogram: Self.histogram(filtered.kept.map(\.vpos)), repaired: repairs, format: format?.rawValue,
            badValues: badValues.byName)
    }

    /// How many seconds hold 0, 1, 2, … comments, over the seconds from min(0, first) to the last.
    /// Counts only the occupied seconds, so absurd times (vpos near `Int.max`) cost nothing.
    static func histogram(_ vpos: [Int]) -> [Int] {
        guard let low = vpos.min(), let high = vpos.max() else { return [] }
        let second = { (v: Int) in v >= 0 ? v / 100 : -((-(v + 1)) / 100) - 1 }
        var perSecond: [Int: Int] = [:]
        for v in vpos { perSecond[second(v), default: 0] += 1 }
        var histogram = [Int](repeating: 0, count: (perSecond.values.max() ?? 0) + 1)
        for count in perSecond.values { histogram[count] += 1 }
        // Seconds lie within ±Int.max / 100, so the span cannot overflow.
        histogram[0] = second(high) - min(0, second(low)) + 1 - perSecond.count
        return histogram
    }
}
