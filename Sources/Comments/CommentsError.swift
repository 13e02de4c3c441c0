// Everything that can go wrong reading, writing or tokenising comments.
import Foundation

/// A failure of the Comments module. Every description is one line naming the file.
public enum CommentsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be read (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The bytes are not UTF-8; `offset` is the first bad byte, counted from 0.
    case invalidUTF8(path: String, offset: Int)
    /// No reader recognises the bytes; `prefix` shows the first bytes. The description lists
    /// the formats that were tried.
    case unrecognisedFormat(path: String, prefix: String)
    /// Well-formed JSON of a shape no reader knows; `shape` says what it holds
    /// (`a list of objects with keys "a", "b"`).
    case unrecognisedJSON(path: String, shape: String)
    /// The XML parser stopped; line and column are 1-based, as the parser reports them.
    case malformedXML(path: String, line: Int, column: Int, reason: String)
    /// The JSON could not be parsed or does not have the expected shape.
    case malformedJSON(path: String, reason: String)
    /// A file could not be written.
    case unwritable(path: String, reason: String)
    /// A vocabulary file line is not `token<TAB>count`; `line` is 1-based.
    case malformedVocabulary(path: String, line: Int, reason: String)
    /// MeCab's dictionary was not found or the tagger could not be created; `path` is the
    /// dictionary directory (or the mecabrc) that was tried.
    case tokenizerUnavailable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read: \(reason)"
        case let .invalidUTF8(path, offset):
            "\(path): invalid UTF-8 at byte offset \(offset)"
        case let .unrecognisedFormat(path, prefix):
            "\(path): unrecognised comment format (starts with \(prefix)); tried \(CommentFormat.triedList)"
        case let .unrecognisedJSON(path, shape):
            "\(path): unrecognised comment format: JSON holding \(shape); tried \(CommentFormat.triedList)"
        case let .malformedXML(path, line, column, reason):
            "\(path):\(line):\(column): malformed XML: \(reason)"
        case let .malformedJSON(path, reason):
            "\(path): malformed JSON: \(reason)"
        case let .unwritable(path, reason):
            "\(path): cannot write: \(reason)"
        case let .malformedVocabulary(path, line, reason):
            "\(path):\(line): malformed vocabulary: \(reason)"
        case let .tokenizerUnavailable(path, reason):
            "\(path): cannot start MeCab: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
