// Writing comments as Niconico legacy XML, the format other players and converters load.
import Foundation

/// Writes `<packet><chat …>text</chat>…</packet>`; reading the output back gives equal
/// Niconico comments (`CommentFile.load(path:)` → `write` → `load` round trips).
///
/// Characters XML 1.0 cannot carry (controls other than tab, LF and CR) are dropped.
public enum NiconicoXMLWriter {
    /// The document as a string, one `<chat>` per line.
    public static func document(_ comments: [Comment]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<packet>\n"
        out.reserveCapacity(64 + comments.count * 128)
        for comment in comments {
            out += "<chat"
            attribute("no", String(comment.number), to: &out)
            attribute("vpos", String(comment.vpos), to: &out)
            attribute("date", String(comment.date), to: &out)
            let mail = comment.mail.isEmpty ? MailCommands.canonicalTokens(for: comment) : comment.mail
            if !mail.isEmpty { attribute("mail", mail.joined(separator: " "), to: &out) }
            // Always present: a missing user_id marks an owner comment in old files.
            attribute("user_id", comment.userID, to: &out)
            if comment.isPremium { attribute("premium", "1", to: &out) }
            if comment.isAnonymous { attribute("anonymity", "1", to: &out) }
            if comment.score != 0 { attribute("score", String(comment.score), to: &out) }
            if comment.isOwner { attribute("fork", "1", to: &out) }
            if comment.isDeleted { attribute("deleted", "1", to: &out) }
            out += ">"
            escape(comment.text, inAttribute: false, to: &out)
            out += "</chat>\n"
        }
        out += "</packet>\n"
        return out
    }

    /// Writes the document to `path` atomically (a temporary file renamed into place).
    ///
    /// - Throws: `CommentsError.unwritable` naming `path`.
    public static func write(_ comments: [Comment], to path: String) throws(CommentsError) {
        try AtomicText.write(document(comments), to: path)
    }

    private static func attribute(_ name: String, _ value: String, to out: inout String) {
        out += " " + name + "=\""
        escape(value, inAttribute: true, to: &out)
        out += "\""
    }

    /// Escapes `& < >` (and `"`, tab and line breaks in attributes, CR everywhere, since XML
    /// parsers normalise them away).
    static func escape(_ text: String, inAttribute: Bool, to out: inout String) {
        for scalar in text.unicodeScalars { escape(scalar, inAttribute: inAttribute, to: &out) }
    }

    /// `escape` for one scalar.
    private static func escape(_ scalar: Unicode.Scalar, inAttribute: Bool, to out: inout String) {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"" where inAttribute: out += "&quot;"
        case "\r": out += "&#13;"
        case "\n" where inAttribute: out += "&#10;"
        case "\t" where inAttribute: out += "&#9;"
        case "\t", "\n": out.unicodeScalars.append(scalar)
        default:
            // XML 1.0 allows no other C0 control and no U+FFFE/U+FFFF.
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { return }
            out.unicodeScalars.append(scalar)
        }
    }
}

/// Atomic text output: written beside the target under a temporary name, then renamed.
enum AtomicText {
    static func write(_ text: String, to path: String) throws(CommentsError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = ((directory.isEmpty ? "." : directory) as NSString)
            .appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw CommentsError.unwritable(path: path, reason: reason)
            }
        } catch let error as CommentsError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .unwritable(path: path, reason: error.localizedDescription)
        }
    }
}
