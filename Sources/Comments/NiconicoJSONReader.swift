// JSON comment files: Niconico's v1 threads reply, yt-dlp's lists (current and older), and
// niconicomments' formatted, owner and xml2js inputs. The shape decides the format.
import Foundation
import Logging
import Tensor

/// Reads, with Foundation's `JSONDecoder`, every JSON shape `CommentFormat` lists:
/// - an object: `{"data": {"threads": […]}}` or `{"threads": […]}` (v1), `{"packet": {"chat": […]}}` (xml2js);
/// - a list, item by item: `{"chat": {…}}` with `ping`/`thread`/`leaf` records (legacy), a v1
///   comment with `vposMs` (yt-dlp), a v1 thread with `comments` (niconicomments' `v1`), a
///   formatted comment (`vpos`, `content`, `mail` as a list), an owner-editor line (`time`, `comment`).
///
/// The file's format is the kind most of its comment items have. Items of no known kind are
/// skipped; a list with no item of a known kind is `CommentsError.unrecognisedJSON`.
enum NiconicoJSONReader {
    static func read(_ data: Data, path: String) throws(CommentsError) -> (format: CommentFormat, comments: [Comment], otherRecords: Int, bad: BadValues) {
        let decoder = JSONDecoder()
        do {
            if data.first(where: { $0 > 0x20 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }) == UInt8(ascii: "[") {
                return try readList(decoder.decode([ListItem].self, from: data), path: path)
            }
            let top = try decoder.decode(TopLevel.self, from: data)
            var bad = BadValues()
            if let packet = top.packet {
                return (.xml2jsJSON, packet.chat.compactMap { $0.comment(bad: &bad) }, 0, bad)
            }
            guard top.hasThreads || top.hasData else {
                throw CommentsError.unrecognisedJSON(path: path, shape: "an object with keys \(quotedKeys(top.keys))")
            }
            guard let threads = top.threads else {
                throw CommentsError.malformedJSON(path: path, reason: "no data.threads array")
            }
            return (.niconicoJSON, comments(of: threads, bad: &bad), threads.count, bad)
        } catch let error as CommentsError {
            throw error
        } catch let error as DecodingError {
            throw .malformedJSON(path: path, reason: error.summary(of: data))
        } catch {
            throw .malformedJSON(path: path, reason: error.localizedDescription)
        }
    }

    /// The comments of v1 threads, owner fork first as the reply lists it.
    static func comments(of threads: [Thread], bad: inout BadValues) -> [Comment] {
        var comments: [Comment] = []
        for thread in threads {
            for item in thread.comments {
                if let comment = item.comment(fork: thread.fork, bad: &bad) { comments.append(comment) }
            }
        }
        return comments
    }

    /// A list's comments and its format, by the kinds of its items.
    private static func readList(_ items: [ListItem], path: String) throws(CommentsError) -> (format: CommentFormat, comments: [Comment], otherRecords: Int, bad: BadValues) {
        var kinds: [CommentFormat: Int] = [:]
        var bad = BadValues()
        var comments: [Comment] = []
        comments.reserveCapacity(items.count)
        var other = 0
        var unknownKeys: [String]?
        for item in items {
            switch item.kind {
            case .comment(let format, let record):
                kinds[format, default: 0] += 1
                if let comment = record.comment(bad: &bad) { comments.append(comment) }
            case .thread(let thread):
                kinds[.niconicoJSON, default: 0] += 1
                comments += Self.comments(of: [thread], bad: &bad)
                other += 1
            case .record:
                kinds[.legacyJSON] = kinds[.legacyJSON] ?? 0
                other += 1
            case .unknown(let keys):
                if unknownKeys == nil { unknownKeys = keys }
                other += 1
            }
        }
        if items.isEmpty { return (.ytDlpJSON, [], 0, bad) }
        guard let format = kinds.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key.rawValue > $1.key.rawValue })?.key else {
            let keys = unknownKeys ?? []
            throw .unrecognisedJSON(path: path, shape: keys.isEmpty ? "a list of \(items.count) items that are not objects"
                                        : "a list of objects with keys \(quotedKeys(keys))")
        }
        if let unknownKeys, other > 0 {
            Logger(label: "danmaku.comments").warning("\(path): skipped list items of unknown shape (keys \(quotedKeys(unknownKeys)))")
        }
        return (format, comments, other, bad)
    }

    /// `"a", "b", "c"`, at most eight, sorted.
    static func quotedKeys(_ keys: [String]) -> String {
        let sorted = keys.sorted()
        let shown = sorted.prefix(8).map { "\"\($0)\"" }.joined(separator: ", ")
        return sorted.count > 8 ? shown + ", …" : shown.isEmpty ? "none" : shown
    }

    /// The top-level object: v1 (`data.threads` or `threads`) or xml2js (`packet`).
    struct TopLevel: Decodable {
        struct Payload: Decodable { var threads: [Thread]? }
        var keys: [String]
        var hasData: Bool
        var hasThreads: Bool
        var threads: [Thread]?
        var packet: Xml2jsPacket?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            keys = container.allKeys.map(\.stringValue)
            hasData = container.contains(AnyKey("data"))
            hasThreads = container.contains(AnyKey("threads"))
            if hasThreads {
                threads = try container.decode([Thread].self, forKey: AnyKey("threads"))
            } else if hasData {
                threads = try? container.decode(Payload.self, forKey: AnyKey("data")).threads
            }
            if container.contains(AnyKey("packet")) {
                packet = try container.decode(Xml2jsPacket.self, forKey: AnyKey("packet"))
            }
        }
    }

    struct Thread: Decodable {
        var fork: String?
        var comments: [V1Comment]
    }

    /// A comment of the v1 API (and of yt-dlp's current list).
    struct V1Comment: Decodable, CommentRecord {
        var id: String?
        var no: Int?
        var vposMs: Int?
        var body: String?
        var commands: [String]?
        var userId: String?
        var isPremium: Bool?
        var score: Int?
        var postedAt: String?
        var nicoruCount: Int?

        func comment(bad: inout BadValues) -> Comment? { comment(fork: nil, bad: &bad) }

        /// The comment of thread `fork`; nil (counted in `bad`) without a `vposMs` within ±10^12 s.
        /// A `postedAt` that is not an ISO 8601 time is date 0, counted.
        func comment(fork: String?, bad: inout BadValues) -> Comment? {
            guard let vposMs else {
                bad.count("vposMs", .missing, "skipped")
                return nil
            }
            guard vposMs.magnitude / 10 <= BadValues.maximumVpos.magnitude else {
                bad.count("vposMs", .outOfRange, "skipped")
                return nil
            }
            var date = 0
            if let postedAt {
                if let seconds = ISO8601.unixSeconds(postedAt) { date = seconds } else { bad.count("postedAt", .unreadable, "read as 0") }
            }
            let mail = (commands ?? []).filter { !$0.isEmpty }
            MailCommands.countBadValues(mail, into: &bad)
            var comment = Comment(vpos: Int((Double(vposMs) / 10).rounded(.down)), text: body ?? "", mail: mail,
                                  date: date, number: no ?? 0, userID: userId ?? "")
            comment.isPremium = isPremium ?? false
            comment.score = score ?? 0
            comment.nicoruCount = nicoruCount ?? 0
            comment.isOwner = fork == "owner"
            if let id, !id.isEmpty { comment.sourceID = "nico:" + id }
            return comment
        }
    }

    /// A list item, by its keys.
    struct ListItem: Decodable {
        enum Kind {
            /// A comment of that format, its values not yet checked.
            case comment(CommentFormat, any CommentRecord)
            case thread(Thread)
            /// A known record that is not a comment (`ping`, `thread`, `leaf`, `global_num_res`).
            case record
            /// No known kind; its keys (empty when it is not an object).
            case unknown([String])
        }

        var kind: Kind

        init(from decoder: any Decoder) throws {
            guard let keys = try? decoder.container(keyedBy: AnyKey.self) else {
                kind = .unknown([])
                return
            }
            func has(_ name: String) -> Bool { keys.contains(AnyKey(name)) }
            if has("chat") {
                kind = .comment(.legacyJSON, try keys.decode(LegacyChat.self, forKey: AnyKey("chat")))
            } else if has("vposMs") {
                kind = .comment(.ytDlpJSON, try V1Comment(from: decoder))
            } else if has("comments") && (has("fork") || has("id")) {
                kind = .thread(try Thread(from: decoder))
            } else if has("vpos") && has("content") && has("mail") {
                kind = .comment(.formattedJSON, try FormattedComment(from: decoder))
            } else if has("time") && has("comment") {
                kind = .comment(.ownerJSON, try OwnerComment(from: decoder))
            } else if has("ping") || has("thread") || has("leaf") || has("global_num_res") {
                kind = .record
            } else {
                kind = .unknown(keys.allKeys.map(\.stringValue))
            }
        }
    }

    /// A legacy chat as JSON: the XML attributes as keys (numbers or strings), the text in `content`.
    struct LegacyChat: Decodable, CommentRecord {
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

        func comment(bad: inout BadValues) -> Comment? { CommentXMLReader.niconicoComment(attributes, text: content, bad: &bad) }
    }

    /// niconicomments' formatted comment: `vpos` in centiseconds, `date` in seconds, `mail` a list.
    struct FormattedComment: Decodable, CommentRecord {
        var id: Double?
        var vpos: Double
        var content: String
        var date: Double?
        var owner: Bool?
        var premium: Bool?
        var mail: [String]
        /// niconicomments' own index of the poster (a number, not Niconico's user id).
        var userIndex: Double?

        enum CodingKeys: String, CodingKey {
            case id, vpos, content, date, owner, premium, mail, userIndex = "user_id"
        }

        /// The comment; nil (counted in `bad`) when `vpos` is beyond ±10^12 s. A `date` or
        /// `id` beyond 10^15 is 0, counted.
        func comment(bad: inout BadValues) -> Comment? {
            guard abs(vpos) <= Double(BadValues.maximumVpos) else {
                bad.count("vpos", .outOfRange, "skipped")
                return nil
            }
            func integer(_ value: Double?, _ field: String) -> Int {
                guard let value else { return 0 }
                guard abs(value) < 1e15 else {
                    bad.count(field, .outOfRange, "read as 0")
                    return 0
                }
                return Int(value.rounded())
            }
            let mail = mail.filter { !$0.isEmpty }
            MailCommands.countBadValues(mail, into: &bad)
            var comment = Comment(vpos: Int(vpos.rounded()), text: content, mail: mail, date: integer(date, "date"),
                                  number: integer(id, "id"), userID: userIndex.map { String(integer($0, "user_id")) } ?? "")
            comment.isOwner = owner ?? false
            comment.isPremium = premium ?? false
            return comment
        }
    }

    /// A line of the owner comment editor: `time` as `M:S.FF`, `M:S`, `S.FF` or `S`.
    struct OwnerComment: Decodable, CommentRecord {
        var time: String
        var command: String?
        var comment: String

        /// The line as an owner comment; nil (counted in `bad`) when `time` has none of the four forms.
        func comment(bad: inout BadValues) -> Comment? {
            guard let vpos = Self.vpos(time), vpos <= BadValues.maximumVpos else {
                bad.count("time", .unreadable, "skipped")
                return nil
            }
            let mail = MailCommands.tokens(command ?? "")
            MailCommands.countBadValues(mail, into: &bad)
            var result = Comment(vpos: vpos, text: comment, mail: mail)
            result.isOwner = true
            return result
        }

        /// Centiseconds of an owner-editor time, or nil when it has none of the four forms.
        static func vpos(_ time: String) -> Int? {
            let parts = time.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { return nil }
            var minutes = 0
            if parts.count == 2 {
                guard let m = Int(parts[0]), m >= 0 else { return nil }
                minutes = m
            }
            let secondsText = parts[parts.count - 1]
            let pieces = secondsText.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count), let whole = Int(pieces[0]), whole >= 0,
                  pieces[0].allSatisfy(\.isASCII) else { return nil }
            // Beyond 10^12 s no time is real, and the centiseconds would overflow Int (fuzz seed 101748).
            guard minutes <= BadValues.maximumVpos / 6000, whole <= BadValues.maximumVpos / 100 else { return nil }
            var centiseconds = 0
            if pieces.count == 2 {
                guard !pieces[1].isEmpty, pieces[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                      let fraction = Double("0." + pieces[1]) else { return nil }
                centiseconds = Int((fraction * 100).rounded())
            }
            return (minutes * 60 + whole) * 100 + centiseconds
        }
    }

    /// xml2js's `{"packet": {"chat": [{"_": text, "$": {attributes}}]}}` (one chat may be an object).
    struct Xml2jsPacket: Decodable {
        var chat: [Xml2jsChat]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            if let list = try? container.decode([Xml2jsChat].self, forKey: AnyKey("chat")) {
                chat = list
            } else {
                chat = [try container.decode(Xml2jsChat.self, forKey: AnyKey("chat"))]
            }
        }
    }

    struct Xml2jsChat: Decodable, CommentRecord {
        var text: String
        var attributes: [String: String]

        enum CodingKeys: String, CodingKey {
            case text = "_"
            case attributes = "$"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
            attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        }

        func comment(bad: inout BadValues) -> Comment? { CommentXMLReader.niconicoComment(attributes, text: text, bad: &bad) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A decoded list item or chat that becomes a comment once its values are checked.
protocol CommentRecord {
    /// The comment; nil when its time cannot be read, which `bad` counts with the other bad values.
    func comment(bad: inout BadValues) -> Comment?
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
