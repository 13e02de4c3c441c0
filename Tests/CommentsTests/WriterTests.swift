// Niconico XML round trips (the ASS output is Render's, tested in RenderTests).
import Comments
import Foundation
import Testing
import TestSupport

@Suite struct WriterTests {
    @Test(arguments: ["niconico-reply.xml", "niconico-pretty.xml"])
    func fixtureRoundTrip(_ name: String) throws {
        let scratch = try Scratch()
        let original = try CommentFile.load(path: CommentFixtures.path(name))
        let path = scratch.directory.file("out.xml")
        try NiconicoXMLWriter.write(original, to: path)
        let again = try CommentFile.load(path: path)
        #expect(again.count == original.count)
        for (a, b) in zip(original, again) where a != b {
            Issue.record("comment \(a.number) differs after the round trip:\n\(a)\n\(b)")
        }
        #expect(try scratch.directory.contents() == ["out.xml"], "no temporary file is left behind")
    }

    @Test func quirkyCommentsRoundTrip() throws {
        var owner = Comment(vpos: -5, text: "/nicoad {\"x\":\"<&>\"}", mail: ["shita", "@7"], date: 12, number: -1)
        owner.isOwner = true
        var styled = Comment(vpos: 123_456_789, text: "  前に空白\n\u{00A0}█▀▀█\r\ttab", mail: ["184", "#10C1D0", "W34", "赤"],
                             date: 1_400_000_000, number: 7, userID: "a\"b<c>")
        styled.isPremium = true
        styled.score = -53080
        var deleted = Comment(vpos: 10, text: "", number: 8)
        deleted.isDeleted = true
        let plain = Comment(vpos: 0, text: "&amp; は文字通り", userID: "")
        let comments = [owner, styled, deleted, plain]
        let scratch = try Scratch()
        let path = scratch.directory.file("quirks.xml")
        try NiconicoXMLWriter.write(comments, to: path)
        #expect(try CommentFile.load(path: path) == comments)
    }

    @Test func generatedCommentsGetCanonicalMail() throws {
        var comment = Comment(vpos: 100, text: "生成")
        comment.position = .ue
        comment.color = RGBColor(packed: 0xFF0000)
        comment.size = .small
        comment.duration = 5
        let xml = NiconicoXMLWriter.document([comment])
        #expect(xml.contains("mail=\"ue small red @5\""))
        let scratch = try Scratch()
        let back = try scratch.load(xml).first
        #expect(back?.position == .ue && back?.color == comment.color && back?.size == .small && back?.duration == 5)
    }
}
