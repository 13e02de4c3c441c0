// Small files written by the tests, read back through the public loader.
import Comments
import Foundation
import TestSupport

/// A temporary directory that keeps the files one test writes.
final class Scratch {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// Writes `bytes` as `name` and returns its path.
    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `text` as UTF-8 and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        try file(name, bytes: Array(text.utf8))
    }

    /// Writes `text` and loads it as a comment file.
    func load(_ text: String, name: String = "comments.xml") throws -> [Comment] {
        try CommentFile.load(path: file(name, text))
    }
}

/// The `CommentsError` `body` throws, or nil (also when it throws another error, so the
/// comparison that follows fails).
func commentsError(_ body: () throws -> Void) -> CommentsError? {
    do {
        try body()
        return nil
    } catch {
        return error as? CommentsError
    }
}
