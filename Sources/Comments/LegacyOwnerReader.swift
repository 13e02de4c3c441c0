// niconicomments' `legacyOwner`: the old owner comment editor's text, one `SECONDS:MAIL:TEXT` a line.
import Foundation

/// Reads `SECONDS:MAIL:TEXT` lines (`12.5:shita red:こんにちは`; the text may hold more colons).
/// Every comment is an owner comment.
enum LegacyOwnerReader {
    /// The comments, or nil when the bytes are not of this form: some line that is not blank
    /// lacks a leading decimal number of seconds and two colons, or there is no such line.
    /// `data` is UTF-8 (checked by the caller). Mail tokens that are bad values are counted.
    static func read(_ data: Data) -> (comments: [Comment], bad: BadValues)? {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var comments: [Comment] = []
        var bad = BadValues()
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let firstColon = line.firstIndex(of: ":") else { return nil }
            let afterFirst = line.index(after: firstColon)
            guard let secondColon = line[afterFirst...].firstIndex(of: ":") else { return nil }
            let time = line[..<firstColon]
            guard !time.isEmpty, time.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let seconds = Double(time), seconds.isFinite, seconds < 1e12 else { return nil }
            let mail = MailCommands.tokens(String(line[afterFirst..<secondColon]))
            MailCommands.countBadValues(mail, into: &bad)
            var comment = Comment(vpos: Int((seconds * 100).rounded()), text: String(line[line.index(after: secondColon)...]),
                                  mail: mail, number: comments.count + 1)
            comment.isOwner = true
            comments.append(comment)
        }
        return comments.isEmpty ? nil : (comments, bad)
    }
}
