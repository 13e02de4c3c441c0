// The token ↔ id table of a model, saved beside its weights as vocab.tsv.
import Foundation

/// Token ids for a captioning model.
///
/// Ids 0–3 are the specials `<pad>`, `<bos>`, `<eos>`, `<unk>` in that order (the Captioner
/// relies on these ids); then the most frequent tokens, most frequent first, ties broken by
/// the tokens' UTF-8 bytes so that the same counts always give the same ids.
public struct Vocabulary: Sendable, Equatable {
    public static let pad = "<pad>", bos = "<bos>", eos = "<eos>", unk = "<unk>"
    /// The special tokens, at ids 0, 1, 2, 3.
    public static let specials = [pad, bos, eos, unk]
    public static let padID = 0, bosID = 1, eosID = 2, unkID = 3

    /// Every token by id, specials first.
    public private(set) var tokens: [String]
    /// How often each token occurred in the training text (0 for the specials).
    public private(set) var counts: [Int]
    private var ids: [String: Int]

    /// The number of ids, specials included.
    public var count: Int { tokens.count }

    /// A vocabulary of the specials and `entries` (token, count), in that order.
    ///
    /// Precondition: no duplicate tokens and no special among `entries`.
    public init(entries: [(token: String, count: Int)]) {
        tokens = Self.specials + entries.map(\.token)
        counts = Array(repeating: 0, count: Self.specials.count) + entries.map(\.count)
        ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($0.element, $0.offset) })
    }

    /// Counts the tokens of `sentences` and keeps the most frequent ones.
    ///
    /// - Parameters:
    ///   - maximumSize: the most ids, specials included (default 30,000, the article's size).
    ///   - minimumCount: tokens seen fewer times become `<unk>` (default 2).
    public init(counting sentences: some Sequence<[String]>, maximumSize: Int = 30_000, minimumCount: Int = 2) {
        precondition(maximumSize >= Self.specials.count, "maximumSize must leave room for the \(Self.specials.count) specials")
        var frequency: [String: Int] = [:]
        for sentence in sentences {
            for token in sentence { frequency[token, default: 0] += 1 }
        }
        for special in Self.specials { frequency[special] = nil }
        let ranked = frequency.filter { $0.value >= max(minimumCount, 1) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .prefix(maximumSize - Self.specials.count)
        self.init(entries: ranked.map { (token: $0.key, count: $0.value) })
    }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The ids of `tokens`; unknown tokens become `unkID`.
    public func encode(_ tokens: [String]) -> [Int] {
        tokens.map { ids[$0] ?? Self.unkID }
    }

    /// The tokens of `ids`; ids outside the vocabulary become `<unk>`.
    public func decode(_ ids: [Int]) -> [String] {
        ids.map { tokens.indices.contains($0) ? tokens[$0] : Self.unk }
    }

    // MARK: - TSV

    /// The TSV text: one `token<TAB>count` line per id, in id order; `\`, tab, LF and CR in
    /// tokens are written `\\`, `\t`, `\n`, `\r`.
    public var tsv: String {
        var out = ""
        for (token, count) in zip(tokens, counts) {
            out += Self.escape(token) + "\t" + String(count) + "\n"
        }
        return out
    }

    /// Writes `tsv` to `path` atomically (a temporary name in the same directory, then a rename).
    ///
    /// - Throws: `CommentsError.unwritable` naming `path`.
    public func save(to path: String) throws(CommentsError) {
        try AtomicText.write(tsv, to: path)
    }

    /// Reads a vocabulary written by `save(to:)`.
    ///
    /// - Throws: `CommentsError.unreadable`, `.invalidUTF8`, or `.malformedVocabulary` with
    ///   the line when a line is not `token<TAB>count`, a token repeats, or the first four
    ///   lines are not the specials in order.
    public static func load(path: String) throws(CommentsError) -> Vocabulary {
        let data = try CommentFile.bytes(path: path)
        if let offset = CommentFile.firstInvalidUTF8Offset(data) { throw .invalidUTF8(path: path, offset: offset) }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if lines.last == "" { lines.removeLast() }
        var entries: [(token: String, count: Int)] = []
        var seen = Set<String>()
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let count = Int(fields[1]), count >= 0 else {
                throw .malformedVocabulary(path: path, line: index + 1, reason: "expected token<TAB>count")
            }
            let token = unescape(fields[0])
            if index < specials.count {
                guard token == specials[index] else {
                    throw .malformedVocabulary(path: path, line: index + 1,
                                               reason: "expected the special \(specials[index]), found \(token)")
                }
                continue
            }
            guard seen.insert(token).inserted, !specials.contains(token) else {
                throw .malformedVocabulary(path: path, line: index + 1, reason: "token \(token) appears twice")
            }
            entries.append((token, count))
        }
        guard lines.count >= specials.count else {
            throw .malformedVocabulary(path: path, line: lines.count + 1, reason: "missing the specials \(specials.joined(separator: " "))")
        }
        return Vocabulary(entries: entries)
    }

    static func escape(_ token: String) -> String {
        guard token.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return token }
        var out = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var out = ""
        var escaping = false
        for character in field {
            if escaping {
                switch character {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
