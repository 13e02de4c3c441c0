// Reading a comment file: the format is chosen by the bytes, never by the file name.
import Foundation
import Logging

/// The comment file formats the readers understand.
public enum CommentFormat: String, Sendable, Equatable, CaseIterable {
    /// Niconico's legacy `<packet><chat …>text</chat></packet>`.
    case niconicoXML
    /// Niconico JSON: the v1 threads reply, or yt-dlp's list of `{"chat": {…}}` objects.
    case niconicoJSON
    /// Bilibili's `<i><d p="time,mode,size,color,…">text</d></i>`.
    case bilibiliXML
}

/// Loads comment files of any supported format.
public enum CommentFile {
    /// Reads every comment of the file at `path`, deleted ones included, in file order.
    ///
    /// - Throws: `CommentsError.unreadable`, `.unrecognisedFormat`, `.invalidUTF8`,
    ///   `.malformedXML` (with line and column) or `.malformedJSON`; all name `path`.
    public static func load(path: String) throws(CommentsError) -> [Comment] {
        try parse(try read(path: path), path: path)
    }

    /// Parses the bytes of a comment file; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws(CommentsError) -> [Comment] {
        guard let format = detectFormat(data) else {
            throw .unrecognisedFormat(path: path, prefix: quotedPrefix(data))
        }
        if let offset = firstInvalidUTF8Offset(data) {
            throw .invalidUTF8(path: path, offset: offset)
        }
        switch format {
        case .niconicoXML, .bilibiliXML:
            return try CommentXMLReader.read(replacingControlCharacters(data, path: path), path: path)
        case .niconicoJSON:
            return try NiconicoJSONReader.read(data, path: path)
        }
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
    static func read(path: String) throws(CommentsError) -> Data {
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

    /// The format the bytes announce: after an optional UTF-8 BOM, whitespace, an XML
    /// declaration, comments and a doctype, the root element `packet` (Niconico) or `i`
    /// (Bilibili); or JSON starting with `{` or `[`. Nil when none fits.
    public static func detectFormat(_ data: Data) -> CommentFormat? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> CommentFormat? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            func skipWhitespace() {
                while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
            }
            skipWhitespace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") { return .niconicoJSON }
            // Skip the prolog: <?…?>, <!--…-->, <!DOCTYPE …>.
            while i + 1 < bytes.count, bytes[i] == UInt8(ascii: "<"),
                  bytes[i + 1] == UInt8(ascii: "?") || bytes[i + 1] == UInt8(ascii: "!") {
                let terminator: [UInt8] = bytes[i + 1] == UInt8(ascii: "?") ? Array("?>".utf8)
                    : bytes[i...].starts(with: Array("<!--".utf8)) ? Array("-->".utf8) : Array(">".utf8)
                guard let end = firstIndex(of: terminator, in: bytes, from: i + 2) else { return nil }
                i = end + terminator.count
                skipWhitespace()
            }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "<") else { return nil }
            var nameEnd = i + 1
            while nameEnd < bytes.count, !isNameTerminator(bytes[nameEnd]) { nameEnd += 1 }
            switch String(decoding: bytes[(i + 1)..<nameEnd], as: UTF8.self) {
            case "packet": return .niconicoXML
            case "i": return .bilibiliXML
            default: return nil
            }
        }
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
                let length: Int, lower: UInt8, upper: UInt8
                switch lead {
                case 0xC2...0xDF: (length, lower, upper) = (2, 0x80, 0xBF)
                case 0xE0: (length, lower, upper) = (3, 0xA0, 0xBF)
                case 0xED: (length, lower, upper) = (3, 0x80, 0x9F)
                case 0xE1...0xEF: (length, lower, upper) = (3, 0x80, 0xBF)
                case 0xF0: (length, lower, upper) = (4, 0x90, 0xBF)
                case 0xF4: (length, lower, upper) = (4, 0x80, 0x8F)
                case 0xF1...0xF3: (length, lower, upper) = (4, 0x80, 0xBF)
                default: return i
                }
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
