// The streaming reader for Niconico legacy XML (`<chat>`) and Bilibili XML (`<d p="…">`).
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads `<chat>` and `<d>` elements with Foundation's SAX `XMLParser`; every other element
/// (`<thread>`, `<leaf>`, `<view_counter>`, `<chatserver>`, …) is skipped.
final class CommentXMLReader: NSObject, XMLParserDelegate {
    private let path: String
    private(set) var comments: [Comment] = []
    /// The attributes of the `<chat>` or `<d>` being read, nil outside one.
    private var open: (name: String, attributes: [String: String])?
    private var text = ""
    private var failure: (line: Int, column: Int, code: Int)?
    /// The values of the comments read so far that could not be taken as written.
    private var bad = BadValues()
    /// Elements under the root that are not comments (`<thread>`, `<chatid>`, …).
    private var otherRecords = 0
    private var depth = 0

    private init(path: String) {
        self.path = path
    }

    /// Parses `data`, already checked to be UTF-8; `path` names the file in errors. Returns the
    /// comments and how many other elements the root holds.
    static func read(_ data: Data, path: String) throws(CommentsError) -> (comments: [Comment], otherRecords: Int, bad: BadValues) {
        let reader = CommentXMLReader(path: path)
        // A stream feeds libxml2 in chunks; handed all of `data` at once it fails past 10 MB.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        let finished = parser.parse()
        if !finished || reader.failure != nil {
            let failure = reader.failure ?? (parser.lineNumber, parser.columnNumber, (parser.parserError as NSError?)?.code ?? 0)
            throw .malformedXML(path: path, line: failure.line, column: failure.column,
                                reason: describe(parserCode: failure.code))
        }
        return (reader.comments, reader.otherRecords, reader.bad)
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        depth += 1
        guard open == nil, elementName == "chat" || elementName == "d" else {
            if depth == 2 && open == nil { otherRecords += 1 }
            return
        }
        open = (elementName, attributes)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if open != nil { text += string }
    }

    func parser(_ parser: XMLParser, foundIgnorableWhitespace whitespaceString: String) {
        if open != nil { text += whitespaceString }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        depth -= 1
        guard let element = open, element.name == elementName else { return }
        open = nil
        let comment = elementName == "chat" ? Self.niconicoComment(element.attributes, text: text, bad: &bad)
            : Self.bilibiliComment(element.attributes["p"], text: text, bad: &bad)
        if let comment { comments.append(comment) }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if failure == nil {
            failure = (parser.lineNumber, parser.columnNumber, (parseError as NSError).code)
        }
    }

    /// A `<chat>`: `no vpos date mail user_id premium anonymity score deleted fork`; nil (and
    /// counted in `bad`) when `vpos` is missing, unreadable or beyond ±10^12 s. Other
    /// unreadable numbers are 0, counted.
    static func niconicoComment(_ attributes: [String: String], text: String, bad: inout BadValues) -> Comment? {
        guard let vposText = attributes["vpos"] else {
            bad.count("vpos", .missing, "skipped")
            return nil
        }
        let vpos: Int
        switch BadValues.readInteger(vposText, in: -BadValues.maximumVpos...BadValues.maximumVpos) {
        case .value(let value): vpos = value
        case .bad(let problem):
            bad.count("vpos", problem, "skipped")
            return nil
        }
        func integer(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) -> Int {
            bad.integer(attributes[name], field: name, in: range, fallback: 0)
        }
        let mail = MailCommands.tokens(attributes["mail"] ?? "")
        MailCommands.countBadValues(mail, into: &bad)
        // `no` is -1 or 0 in some real files; a date is Unix seconds, never negative.
        var comment = Comment(vpos: vpos, text: text, mail: mail, date: integer("date", in: 0...Int.max),
                              number: integer("no", in: -1...Int.max), userID: attributes["user_id"] ?? "")
        comment.isDeleted = integer("deleted") != 0
        comment.isPremium = integer("premium") != 0
        comment.isAnonymous = comment.isAnonymous || integer("anonymity") != 0
        comment.score = integer("score")
        // Owner comments carry fork="1"; old files mark them only by the missing user_id
        // (deleted chats lack it too, and say nothing about their author).
        comment.isOwner = integer("fork") == 1 || (attributes["user_id"] == nil && !comment.isDeleted)
        return comment
    }

    /// A `<d p="time,mode,size,color,timestamp,pool,uid,rowid[,weight]">`; nil (and counted in
    /// `bad`) when the time is missing, unreadable or beyond ±10^12 s.
    ///
    /// Times are float seconds (old files write `8.2299995422363`), rounded to centiseconds.
    /// Modes 1–3 scroll, 4 is bottom, 5 top; 6 (reverse), 7 (positioned, JSON text) and
    /// 8 (code) are kept with `isPlainText == false`. Literal `/n` is a line break, and
    /// entities escaped twice (`&amp;#128514;`) are decoded once more. A `p` of fewer than 8
    /// fields is counted once; its missing fields take the defaults of `applyBilibili`.
    static func bilibiliComment(_ p: String?, text: String, bad: inout BadValues) -> Comment? {
        guard let p else {
            bad.count("p", .missing, "skipped")
            return nil
        }
        let fields = p.split(separator: ",", omittingEmptySubsequences: false)
        guard let time = Double(fields[0]) else {
            bad.count("p time", fields[0].isEmpty ? .missing : .unreadable, "skipped")
            return nil
        }
        guard time.isFinite, abs(time * 100) <= Double(BadValues.maximumVpos) else {
            bad.count("p time", .outOfRange, "skipped")
            return nil
        }
        if fields.count < 8 { bad.count("p fields", .missing, "defaults used") }
        func field(_ index: Int) -> Substring? { index < fields.count ? fields[index] : nil }
        var comment = Comment(vpos: Int((time * 100).rounded()), text: decodeBilibiliText(text),
                              date: bad.integer(field(4), field: "p timestamp", in: 0...Int.max, fallback: 0),
                              number: bad.integer(field(7), field: "p rowid", fallback: 0),
                              userID: field(6).map(String.init) ?? "", source: .bilibili)
        if let rowid = field(7), !rowid.isEmpty { comment.sourceID = "bili:" + rowid }
        applyBilibili(mode: bad.integer(field(1), field: "p mode", fallback: 1),
                      fontSize: bad.integer(field(2), field: "p size", fallback: 25),
                      color: bad.integer(field(3), field: "p colour", fallback: 0xFFFFFF, shown: "white"),
                      to: &comment, field: "p ", bad: &bad)
        return comment
    }

    /// The Bilibili modes: 1–3 scroll, 4 bottom, 5 top, 6 reverse, 7 positioned, 8 code, 9 BAS.
    static let bilibiliModes = 1...9

    /// A Bilibili mode, font size and colour, as the XML `p` and the protobuf `DanmakuElem` give
    /// them. Out of range (a mode not in 1–9, a size not in 1–1000, a colour not in
    /// 0–0xFFFFFF) takes the default (mode 1, size 25: medium, white), counted in `bad` under
    /// the field names `mode`, `size` and `colour` after `field` (`p ` for the XML attribute).
    static func applyBilibili(mode: Int, fontSize: Int, color: Int, to comment: inout Comment, field: String = "",
                              bad: inout BadValues) {
        var mode = mode, fontSize = fontSize, color = color
        if !bilibiliModes.contains(mode) {
            bad.count(field + "mode", .outOfRange, "read as 1")
            mode = 1
        }
        if !(1...1000).contains(fontSize) {
            bad.count(field + "size", .outOfRange, "read as 25")
            fontSize = 25
        }
        if !(0...0xFFFFFF).contains(color) {
            bad.count(field + "colour", .outOfRange, "read as white")
            color = 0xFFFFFF
        }
        comment.bilibiliMode = mode
        comment.isPlainText = (1...5).contains(mode)
        comment.position = mode == 4 ? .shita : mode == 5 ? .ue : .naka
        comment.size = fontSize < 22 ? .small : fontSize < 31 ? .medium : .big
        comment.color = RGBColor(packed: color)
    }

    /// `/n` → line break; numeric character references (`&#128514;`, `&#x1F602;`, surrogate
    /// pairs) and the five XML entities left over from double escaping → their characters.
    static func decodeBilibiliText(_ text: String) -> String {
        var result = text.contains("/n") ? text.replacingOccurrences(of: "/n", with: "\n") : text
        if result.contains("&") { result = decodeEntities(result) }
        return result
    }

    /// Decodes `&#N;`, `&#xH;`, `&amp; &lt; &gt; &quot; &apos;`; anything else stays as written.
    static func decodeEntities(_ text: String) -> String {
        let named: [Substring: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
        var output = String.UnicodeScalarView()
        var pendingHighSurrogate: UInt32?
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            output.append(contentsOf: rest[..<ampersand].unicodeScalars)
            let afterAmpersand = rest.index(after: ampersand)
            guard let semicolon = rest[afterAmpersand...].prefix(12).firstIndex(of: ";") else {
                output.append("&")
                rest = rest[afterAmpersand...]
                continue
            }
            let body = rest[afterAmpersand..<semicolon]
            var value: UInt32?
            if body.hasPrefix("#x") || body.hasPrefix("#X") {
                value = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                value = UInt32(body.dropFirst())
            }
            if let value, (0xD800...0xDBFF).contains(value) {
                pendingHighSurrogate = value
            } else if let value, (0xDC00...0xDFFF).contains(value), let high = pendingHighSurrogate,
                      let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00)) {
                output.append(scalar)
                pendingHighSurrogate = nil
            } else if let value, let scalar = Unicode.Scalar(value) {
                output.append(scalar)
            } else if let replacement = named[body] {
                output.append(contentsOf: replacement.unicodeScalars)
            } else {
                output.append(contentsOf: rest[ampersand...semicolon].unicodeScalars)
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        output.append(contentsOf: rest.unicodeScalars)
        return String(output)
    }

    /// A short reason for a parser error code. The codes are libxml2's `xmlParserErrors`
    /// (Linux passes them through; Apple's `NSXMLParserError` uses the same numbers).
    static func describe(parserCode code: Int) -> String {
        switch code {
        case 4: "no root element"
        case 5: "unexpected end of file, or content after the root element"
        case 6, 7, 8, 10: "malformed character reference"
        case 9: "a character XML does not allow"
        case 23: "entity reference without a semicolon"
        case 26: "undefined entity"
        case 38...42: "malformed attribute"
        case 64: "misplaced XML declaration"
        case 68: "a name is missing"
        case 72: "'<' expected"
        case 73: "'>' expected: a tag is not closed"
        case 74: "'</' expected"
        case 76: "end tag does not match the open element"
        case 65, 77: "a tag is not finished"
        default: "parser error \(code)"
        }
    }
}
