// Reading a comment file: the format is chosen by the bytes, never by the file name.
import Foundation
import Logging

/// The comment file formats the readers understand; `CommentFile` tells them apart by content.
public enum CommentFormat: String, Sendable, Equatable, CaseIterable, Codable {
    /// Niconico's legacy `<packet><chat …>text</chat></packet>`, as the old API, niconicome and
    /// most archive tools save it.
    case niconicoXML
    /// Niconico's v1 threads reply `{"data": {"threads": [{"fork", "comments": […]}]}}`, with or
    /// without the `data` wrapper, or the bare `threads` array niconicomments' `v1` takes.
    case niconicoJSON
    /// yt-dlp's current `*.comments.json`: a flat list of v1 comments (`vposMs`, `body`, …).
    case ytDlpJSON
    /// The legacy API as JSON, `[{"ping"}, {"thread"}, {"chat": {…}}]`: yt-dlp's older form and
    /// niconicomments' `legacy`.
    case legacyJSON
    /// niconicomments' `formatted`: `[{id, vpos, content, date, date_usec, owner, premium, mail: […]}]`.
    case formattedJSON
    /// niconicomments' `owner` (the owner comment editor): `[{time: "1:23.45", command, comment}]`.
    case ownerJSON
    /// niconicomments' `legacyOwner` (the old owner comment editor): text lines `SECONDS:MAIL:TEXT`.
    case legacyOwnerText
    /// niconicomments' `xml2js`: legacy XML as xml2js turns it into JSON, `{"packet": {"chat": [{"_", "$"}]}}`.
    case xml2jsJSON
    /// Bilibili's `<i><d p="time,mode,size,color,…">text</d></i>`.
    case bilibiliXML
    /// A Bilibili protobuf segment (`seg.so`): `DmSegMobileReply` of `DanmakuElem`.
    case bilibiliProtobuf

    /// The name errors and `tokenize --stats` show.
    public var title: String {
        switch self {
        case .niconicoXML: "Niconico XML"
        case .niconicoJSON: "Niconico v1 JSON"
        case .ytDlpJSON: "yt-dlp comments JSON"
        case .legacyJSON: "Niconico legacy JSON"
        case .formattedJSON: "niconicomments formatted JSON"
        case .ownerJSON: "niconicomments owner JSON"
        case .legacyOwnerText: "niconicomments legacyOwner text"
        case .xml2jsJSON: "xml2js JSON"
        case .bilibiliXML: "Bilibili XML"
        case .bilibiliProtobuf: "Bilibili protobuf"
        }
    }

    /// Every format's title, in the order `CommentFile` tries them, for error messages.
    public static var triedList: String { allCases.map(\.title).joined(separator: ", ") }
}

/// A comment file as read: its format, its comments with repaired text, and what was repaired.
public struct CommentFileContents: Sendable {
    public var path: String
    public var format: CommentFormat
    /// Every comment, deleted ones included, in file order; text already repaired (`TextRepair`).
    public var comments: [Comment]
    /// What the text repair changed over the file.
    public var repairs: TextRepair.Counts
    /// Values the reader could not take as written: comments skipped, fields read as defaults.
    public var badValues = BadValues()
    /// Records of the file that are not comments (`<thread>`, `ping`, threads, …), for the
    /// warning about a file that holds no comment.
    public var otherRecords: Int
}

/// Loads comment files of any supported format.
public enum CommentFile {
    private static let logger = Logger(label: "danmaku.comments")

    /// Reads every comment of the file at `path`, deleted ones included, in file order.
    ///
    /// - Throws: `CommentsError.unreadable`, `.unrecognisedFormat`, `.unrecognisedJSON`,
    ///   `.invalidUTF8`, `.malformedXML` (with line and column) or `.malformedJSON`; all name `path`.
    public static func load(path: String) throws(CommentsError) -> [Comment] {
        try contents(path: path).comments
    }

    /// Reads the file at `path`: its format, comments and repair counts. Logs one warning
    /// with the counts of its bad values (`BadValues.summary`) when it has any, and one when
    /// its format is recognised but it holds no comment.
    ///
    /// - Throws: as `load(path:)`.
    public static func contents(path: String) throws(CommentsError) -> CommentFileContents {
        let contents = try parseContents(try bytes(path: path), path: path)
        if !contents.badValues.isEmpty {
            logger.warning("\(path): bad values: \(contents.badValues.summary)")
        }
        if contents.comments.isEmpty {
            logger.warning("\(path): read as \(contents.format.title), but it holds no comment (\(contents.otherRecords) other records)")
        }
        return contents
    }

    /// Parses the bytes of a comment file; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws(CommentsError) -> [Comment] {
        try parseContents(data, path: path).comments
    }

    /// Parses the bytes of a comment file into its contents; `path` only names the file in errors.
    ///
    /// The format is chosen by the bytes: after an optional BOM and whitespace, `<` is XML (the
    /// root element decides), `{` or `[` JSON (the keys decide), text whose every line is
    /// `SECONDS:MAIL:TEXT` the legacyOwner format, and bytes that parse completely as a
    /// `DmSegMobileReply` holding a comment a Bilibili protobuf segment.
    public static func parseContents(_ data: Data, path: String) throws(CommentsError) -> CommentFileContents {
        let raw: (format: CommentFormat, comments: [Comment], otherRecords: Int, bad: BadValues)
        // A segment starts with field 1's tag, 0x0A, which text readers skip as a line feed; its
        // length byte may then look like `<`, `[` or `{`. So a segment is tried first.
        if data.first == 0x0A, let segment = BilibiliProtobufReader.read(data) {
            return repaired(CommentFileContents(path: path, format: .bilibiliProtobuf, comments: segment.comments,
                                                repairs: TextRepair.Counts(), badValues: segment.bad,
                                                otherRecords: segment.otherRecords))
        }
        switch detectSyntax(data) {
        case .xml(let format):
            if let offset = firstInvalidUTF8Offset(data) { throw .invalidUTF8(path: path, offset: offset) }
            let read = try CommentXMLReader.read(replacingControlCharacters(data, path: path), path: path)
            raw = (format, read.comments, read.otherRecords, read.bad)
        case .json:
            if let offset = firstInvalidUTF8Offset(data) { throw .invalidUTF8(path: path, offset: offset) }
            raw = try NiconicoJSONReader.read(replacingUnpairedSurrogateEscapes(data), path: path)
        case .other:
            if firstInvalidUTF8Offset(data) == nil, let text = LegacyOwnerReader.read(data) {
                raw = (.legacyOwnerText, text.comments, 0, text.bad)
            } else if let segment = BilibiliProtobufReader.read(data) {
                raw = (.bilibiliProtobuf, segment.comments, segment.otherRecords, segment.bad)
            } else {
                throw .unrecognisedFormat(path: path, prefix: quotedPrefix(data))
            }
        }
        return repaired(CommentFileContents(path: path, format: raw.format, comments: raw.comments, repairs: TextRepair.Counts(),
                                            badValues: raw.bad, otherRecords: raw.otherRecords))
    }

    /// `contents` with every comment's text repaired (`TextRepair`) and the changes counted.
    private static func repaired(_ contents: CommentFileContents) -> CommentFileContents {
        var result = contents
        for i in result.comments.indices {
            let (text, changes) = TextRepair.repair(result.comments[i].text)
            if !changes.isEmpty {
                result.comments[i].text = text
                result.repairs.add(changes)
            }
        }
        return result
    }

    /// `data` with the C0 controls XML 1.0 forbids (all but tab, LF, CR; real Bilibili files
    /// carry backspaces and the like) replaced by spaces, one byte for one, so that line,
    /// column and byte offsets stay true. Logs a warning with the count when it replaces any.
    static func replacingControlCharacters(_ data: Data, path: String) -> Data {
        let isForbidden = { (byte: UInt8) in byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D }
        guard data.withUnsafeBytes({ $0.contains(where: isForbidden) }) else { return data }
        var cleaned = data
        var replaced = 0
        cleaned.withUnsafeMutableBytes { (bytes: UnsafeMutableRawBufferPointer) in
            for i in bytes.indices where isForbidden(bytes[i]) {
                bytes[i] = 0x20
                replaced += 1
            }
        }
        Logger(label: "danmaku.comments").warning("\(path): replaced \(replaced) control characters XML does not allow with spaces")
        return cleaned
    }

    /// The whole file's bytes.
    static func bytes(path: String) throws(CommentsError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "is a directory") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoPermission {
            throw .unreadable(path: path, reason: "permission denied")
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// What the first bytes announce.
    enum Syntax: Equatable {
        /// XML whose root element names the format.
        case xml(CommentFormat)
        /// JSON: an object or a list.
        case json
        /// Neither: text or binary, or XML with an unknown root.
        case other
    }

    /// The format the bytes announce, when the first bytes decide it (XML by its root element);
    /// nil for JSON and everything else, which need reading.
    public static func detectFormat(_ data: Data) -> CommentFormat? {
        if case .xml(let format) = detectSyntax(data) { return format }
        return nil
    }

    /// After an optional UTF-8 BOM, whitespace, an XML declaration, comments and a doctype, the
    /// root element `packet` (Niconico, any case: niconicome and others write `Packet`) or `i`
    /// (Bilibili); or JSON starting with `{` or `[`.
    static func detectSyntax(_ data: Data) -> Syntax {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Syntax in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            func skipWhitespace() {
                while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
            }
            skipWhitespace()
            guard i < bytes.count else { return .other }
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") { return .json }
            // Skip the prolog: <?…?>, <!--…-->, <!DOCTYPE …>.
            while i + 1 < bytes.count, bytes[i] == UInt8(ascii: "<"),
                  bytes[i + 1] == UInt8(ascii: "?") || bytes[i + 1] == UInt8(ascii: "!") {
                let terminator: [UInt8] = bytes[i + 1] == UInt8(ascii: "?") ? Array("?>".utf8)
                    : bytes[i...].starts(with: Array("<!--".utf8)) ? Array("-->".utf8) : Array(">".utf8)
                guard let end = firstIndex(of: terminator, in: bytes, from: i + 2) else { return .other }
                i = end + terminator.count
                skipWhitespace()
            }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "<") else { return .other }
            var nameEnd = i + 1
            while nameEnd < bytes.count, !isNameTerminator(bytes[nameEnd]) { nameEnd += 1 }
            switch String(decoding: bytes[(i + 1)..<nameEnd], as: UTF8.self).lowercased() {
            case "packet": return .xml(.niconicoXML)
            case "i": return .xml(.bilibiliXML)
            default: return .other
            }
        }
    }

    /// JSON `\uD83D` escapes not followed by a low surrogate, and low ones not preceded by a
    /// high one, replaced by `\uFFFD` (six bytes for six): JSON parsers refuse them, real
    /// files cut in the middle of an emoji have them, and `TextRepair` strips the U+FFFD.
    static func replacingUnpairedSurrogateEscapes(_ data: Data) -> Data {
        guard data.count >= 6, data.firstRange(of: Data("\\u".utf8)) != nil else { return data }
        var bytes = [UInt8](data)
        func surrogate(at i: Int) -> (high: Bool, low: Bool) {
            guard i + 6 <= bytes.count, bytes[i] == 0x5C, bytes[i + 1] == UInt8(ascii: "u"),
                  bytes[i + 2] | 0x20 == UInt8(ascii: "d") else { return (false, false) }
            switch bytes[i + 3] | 0x20 {
            case UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b"): return (true, false)
            case UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "e"), UInt8(ascii: "f"): return (false, true)
            default: return (false, false)
            }
        }
        var changed = false
        var i = 0
        while i + 6 <= bytes.count {
            guard bytes[i] == 0x5C else { i += 1; continue }
            if bytes[i + 1] != UInt8(ascii: "u") { i += 2; continue }
            let kind = surrogate(at: i)
            if kind.high && surrogate(at: i + 6).low {
                i += 12
            } else if kind.high || kind.low {
                bytes.replaceSubrange((i + 2)..<(i + 6), with: Array("FFFD".utf8))
                changed = true
                i += 6
            } else {
                i += 6
            }
        }
        return changed ? Data(bytes) : data
    }

    private static func isNameTerminator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/")
    }

    private static func firstIndex(of needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The first 16 bytes, quoted, printable ASCII as is and everything else as `\xNN`.
    static func quotedPrefix(_ data: Data) -> String {
        if data.isEmpty { return "nothing: the file is empty" }
        var text = "\""
        for byte in data.prefix(16) {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): text += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F: text.unicodeScalars.append(UnicodeScalar(byte))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return text + (data.count > 16 ? "…\"" : "\"")
    }

    /// The length of the UTF-8 sequence `lead` starts and the range its second byte must lie
    /// in (the later ones lie in 0x80–0xBF); nil for a byte no sequence starts with. Overlong
    /// forms, surrogates and scalars past U+10FFFF are excluded, as `String(validating:)` does.
    static func utf8Sequence(lead: UInt8) -> (length: Int, lower: UInt8, upper: UInt8)? {
        switch lead {
        case 0xC2...0xDF: (2, 0x80, 0xBF)
        case 0xE0: (3, 0xA0, 0xBF)
        case 0xED: (3, 0x80, 0x9F)
        case 0xE1...0xEF: (3, 0x80, 0xBF)
        case 0xF0: (4, 0x90, 0xBF)
        case 0xF4: (4, 0x80, 0x8F)
        case 0xF1...0xF3: (4, 0x80, 0xBF)
        default: nil
        }
    }

    /// The offset of the first byte that does not belong to well-formed UTF-8, or nil.
    /// Rejects overlong forms, surrogates and scalars past U+10FFFF, as `String(validating:)` does.
    public static func firstInvalidUTF8Offset(_ data: Data) -> Int? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            var i = 0
            while i < n {
                let lead = bytes[i]
                if lead < 0x80 { i += 1; continue }
                guard let (length, lower, upper) = utf8Sequence(lead: lead) else { return i }
                guard i + 1 < n, (lower...upper).contains(bytes[i + 1]) else { return i }
                for k in 2..<length {
                    guard i + k < n, bytes[i + k] & 0xC0 == 0x80 else { return i }
                }
                i += length
            }
            return nil
        }
    }
}
