// Every kind of bad input gives one CommentsError naming the file, never a crash.
import Comments
import Foundation
import Testing

@Suite struct BadInputTests {
    @Test func unclosedTagGivesLineAndColumn() throws {
        let scratch = try Scratch()
        let path = try scratch.file("broken.xml", "<packet>\n<chat vpos=\"1\" user_id=\"u\">a</chat>\n<chat vpos=\"2\">b\n</packet>\n")
        let error = commentsError { _ = try CommentFile.load(path: path) }
        guard case .malformedXML(let errorPath, let line, let column, let reason)? = error else {
            Issue.record("expected malformedXML, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path && line == 4 && column > 1)
        #expect(reason == "end tag does not match the open element")
        #expect(error?.description == "\(path):4:\(column): malformed XML: \(reason)")
    }

    @Test func truncatedFile() throws {
        let scratch = try Scratch()
        let path = try scratch.file("cut.xml", "<packet><chat vpos=\"1\" user_id=\"u\">a</chat><chat vpos=\"2\"")
        guard case .malformedXML(_, let line, _, _)? = commentsError({ _ = try CommentFile.load(path: path) }) else {
            Issue.record("expected malformedXML")
            return
        }
        #expect(line == 1)
    }

    @Test func unrecognisedFormatShowsFirstBytes() throws {
        let scratch = try Scratch()
        let png = try scratch.file("image.xml", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D])
        #expect(commentsError { _ = try CommentFile.load(path: png) }?.description
                == "\(png): unrecognised comment format (starts with \"\\x89PNG\\x0D\\x0A\\x1A\\x0A\\x00\\x00\\x00\\x0D\"); tried \(CommentFormat.triedList)")
        let html = try scratch.file("page.xml", "<html><body>not comments</body></html>")
        #expect(commentsError { _ = try CommentFile.load(path: html) } == .unrecognisedFormat(path: html, prefix: "\"<html><body>not …\""))
        let empty = try scratch.file("empty.xml", "")
        #expect(commentsError { _ = try CommentFile.load(path: empty) }?.description.contains("unrecognised comment format") == true)
    }

    @Test func invalidUTF8NamesTheOffset() throws {
        let scratch = try Scratch()
        let bytes = Array("<packet><chat vpos=\"1\" user_id=\"u\">ab".utf8) + [0xE3, 0x81] + Array("</chat></packet>".utf8)
        let path = try scratch.file("bad.xml", bytes: bytes)
        #expect(commentsError { _ = try CommentFile.load(path: path) } == .invalidUTF8(path: path, offset: 37))
        #expect(commentsError { _ = try CommentFile.load(path: path) }?.description == "\(path): invalid UTF-8 at byte offset 37")
        // Overlong forms and surrogates are not UTF-8 either.
        #expect(CommentFile.firstInvalidUTF8Offset(Data([0x3C, 0xC0, 0xAF])) == 1)
        #expect(CommentFile.firstInvalidUTF8Offset(Data([0x3C, 0x3C, 0xED, 0xA0, 0x80])) == 2)
        #expect(CommentFile.firstInvalidUTF8Offset(Data("ハム太郎😂".utf8)) == nil)
    }

    @Test func unreadableFiles() throws {
        let scratch = try Scratch()
        let missing = scratch.directory.file("missing.xml")
        #expect(commentsError { _ = try CommentFile.load(path: missing) } == .unreadable(path: missing, reason: "no such file"))
        #expect(commentsError { _ = try CommentFile.load(path: scratch.directory.path) }
                == .unreadable(path: scratch.directory.path, reason: "is a directory"))
        if getuid() != 0 {
            let locked = try scratch.file("locked.xml", "<packet></packet>")
            chmod(locked, 0)
            #expect(commentsError { _ = try CommentFile.load(path: locked) } == .unreadable(path: locked, reason: "permission denied"))
        }
    }

    @Test func emptyPacketIsNoComments() throws {
        #expect(try Scratch().load("<packet/>").isEmpty)
        #expect(try Scratch().load("<i></i>").isEmpty)
    }
}
