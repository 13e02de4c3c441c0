// Niconico JSON comment files: the v1 threads reply and yt-dlp's legacy list.
import Foundation

/// Reads, with Foundation's `JSONDecoder`:
/// - the v1 threads reply `{"data": {"threads": [{"fork": "owner|main|easy", "comments":
///   [{"no", "vposMs", "body", "commands", "postedAt", "userId", "isPremium", "score",
///   "nicoruCount"}]}]}}` (the `data` wrapper optional);
/// - yt-dlp's list `[{"ping": …}, {"thread": …}, {"chat": {"vpos", "content", "mail", …}}]`,
///   whose `chat` objects carry the legacy XML attributes; list items that are v1 comments
///   are read too.
enum NiconicoJSONReader {
    static func read(_ data: Data, path: String) throws(CommentsError) -> [Comment] {
        let decoder = JSONDecoder()
        do {
            if data.first(where: { $0 > 0x20 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }) == UInt8(ascii: "[") {
                return try decoder.decode([ListItem].self, from: data).compactMap(\.comment)
            }
            let reply = try decoder.decode(Reply.self, from: data)
            guard let threads = reply.data?.threads ?? reply.threads else {
                throw CommentsError.malformedJSON(path: path, reason: "no data.threads array")
            }
            return threads.flatMap { thread in thread.comments.map { $0.comment(fork: thread.fork) } }
        } catch let error as CommentsError {
            throw error
        } catch let error as DecodingError {
            throw .malformedJSON(path: path, reason: describe(error))
        } catch {
            throw .malformedJSON(path: path, reason: error.localizedDescription)
        }
    }

    /// One line: the coding path and what was wrong there.
    static func describe(_ error: DecodingError) -> String {
        func where_(_ context: DecodingError.Context) -> String {
            let key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return key.isEmpty ? "" : "at \(key): "
        }
        switch error {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return where_(context) + (underlying ?? context.debugDescription)
        case .keyNotFound(let key, let context): return where_(context) + "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return where_(context) + context.debugDescription
        @unknown default: return String(describing: error)
        }
    }

    struct Reply: Decodable {
        struct Payload: Decodable { var threads: [Thread]? }
        var data: Payload?
        var threads: [Thread]?
    }

    struct Thread: Decodable {
        var fork: String?
        var comments: [V1Comment]
    }

    /// A comment of the v1 API.
    struct V1Comment: Decodable {
        var no: Int?
        var vposMs: Int?
        var body: String?
        var commands: [String]?
        var userId: String?
        var isPremium: Bool?
        var score: Int?
        var postedAt: String?
        var nicoruCount: Int?

        func comment(fork: String?) -> Comment {
            var comment = Comment(vpos: Int((Double(vposMs ?? 0) / 10).rounded(.down)), text: body ?? "",
                                  mail: (commands ?? []).filter { !$0.isEmpty },
                                  date: postedAt.flatMap(ISO8601.unixSeconds) ?? 0, number: no ?? 0, userID: userId ?? "")
            comment.isPremium = isPremium ?? false
            comment.score = score ?? 0
            comment.nicoruCount = nicoruCount ?? 0
            comment.isOwner = fork == "owner"
            return comment
        }
    }

    /// An item of yt-dlp's list: a `chat`, some other record (`thread`, `leaf`, `ping`), or a v1 comment.
    struct ListItem: Decodable {
        var chat: LegacyChat?
        var v1: V1Comment?

        init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            if keys.contains(AnyKey("chat")) {
                chat = try keys.decode(LegacyChat.self, forKey: AnyKey("chat"))
            } else if keys.contains(AnyKey("vposMs")) {
                v1 = try V1Comment(from: decoder)
            }
        }

        var comment: Comment? { chat?.comment ?? v1?.comment(fork: nil) }
    }

    /// A legacy chat as JSON: the XML attributes as keys (numbers or strings), the text in `content`.
    struct LegacyChat: Decodable {
        var attributes: [String: String] = [:]
        var content = ""

        init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            for key in keys.allKeys {
                if let text = try? keys.decode(String.self, forKey: key) {
                    if key.stringValue == "content" { content = text } else { attributes[key.stringValue] = text }
                } else if let number = try? keys.decode(Int.self, forKey: key) {
                    attributes[key.stringValue] = String(number)
                } else if let number = try? keys.decode(Double.self, forKey: key) {
                    attributes[key.stringValue] = String(number)
                }
            }
        }

        var comment: Comment { CommentXMLReader.niconicoComment(attributes, text: content) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Timestamps of the form `2023-04-01T12:34:56(.fff)(Z|±HH:MM)`.
enum ISO8601 {
    /// Unix seconds (fractions dropped), or nil when `text` is not of that form.
    static func unixSeconds(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard i < b.count, (0x30...0x39).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
        }
        var offset = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let hours = number((i + 1)..<(i + 3)) else { return nil }
            let minutesStart = i + 3 < b.count && b[i + 3] == UInt8(ascii: ":") ? i + 4 : i + 3
            let minutes = number(minutesStart..<(minutesStart + 2)) ?? 0
            offset = (hours * 3600 + minutes * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        }
        // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return days * 86400 + hour * 3600 + minute * 60 + second - offset
    }
}
