// The real-file suite: the third-party files of ../shared/fixtures (see its README), read as
// they are. It runs where that folder is (`make test-real`, and `make test` when it can); the
// project's own suite faces the same quirks in Tests/Fixtures, files the project wrote.
import Comments
import Foundation
import Testing
import TestSupport

@Suite(RealFixtures.available) struct RealCommentFileTests {
    @Test func niconicoFile() throws {
        let comments = try CommentFile.load(path: RealFixtures.path("niconico-sm23726371.xml"))
        #expect(comments.count == 184)
        #expect(comments.filter(\.isDeleted).count == 3)
        #expect(comments.filter(\.isDeleted).allSatisfy { $0.text.isEmpty })
        let result = TrainingFilter().apply(comments)
        #expect(result.kept.count == 181)
        #expect(result.dropped == [.deleted: 3])
        #expect(comments.map(\.vpos).min() == 19)
        #expect(comments.map(\.vpos).max() == 5418)

        let first = try #require(comments.first)
        #expect(first.number == 1 && first.vpos == 76 && first.date == 1_402_132_048 && first.userID == "752789")
        #expect(first.text == "1" && first.mail.isEmpty && !first.isOwner && !first.isAnonymous)

        let styled = try #require(comments.first { $0.mail == ["184", "shita", "big", "red"] })
        #expect(styled.position == .shita && styled.size == .big && styled.color == RGBColor(r: 255, g: 0, b: 0))
        #expect(styled.isAnonymous)
        #expect(comments.contains { $0.mail == ["184", "device:3DS"] && $0.position == .naka && $0.size == .medium })
        #expect(comments.contains { $0.mail == ["ue", "small", "184"] && $0.position == .ue && $0.size == .small })
    }

    @Test func bilibiliFile() throws {
        let comments = try CommentFile.load(path: RealFixtures.path("bilibili-danmaku01.xml"))
        #expect(comments.count == 1200)
        #expect(comments.allSatisfy { $0.source == .bilibili && $0.vpos >= 0 })
        let first = try #require(comments.first)
        // p="0.47900,4,25,15138834,1626077354,0,5bd04b14,51870527213010951,10"
        #expect(first.vpos == 48 && first.position == .shita && first.size == .medium)
        #expect(first.color == RGBColor(packed: 15_138_834) && first.date == 1_626_077_354)
        #expect(first.userID == "5bd04b14" && first.number == 51_870_527_213_010_951)
        #expect(first.text == "才发现歌是喵酱自己唱的啊啊太棒了")
        #expect(comments.contains { $0.position == .ue } && comments.contains { $0.position == .naka })
        #expect(comments.contains { $0.size == .small })
    }

    @Test func niconicoFileRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let original = try CommentFile.load(path: RealFixtures.path("niconico-sm23726371.xml"))
        let path = directory.file("out.xml")
        try NiconicoXMLWriter.write(original, to: path)
        let again = try CommentFile.load(path: path)
        #expect(again.count == original.count)
        for (a, b) in zip(original, again) where a != b {
            Issue.record("comment \(a.number) differs after the round trip:\n\(a)\n\(b)")
        }
        #expect(try directory.contents() == ["out.xml"], "no temporary file is left behind")
    }
}
