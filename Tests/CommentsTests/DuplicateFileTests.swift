// Several comment files for one video: the same comment in two of them counts once.
import Comments
import Foundation
import Testing

@Suite struct DuplicateFileTests {
    @Test("an XML and a v1 JSON dump of the same thread: duplicates by (no, vpos, text) and by id")
    func xmlAndJSON() throws {
        let scratch = try Scratch()
        let xml = try CommentFile.load(path: try scratch.file("a.xml", """
            <packet><chat no="1" vpos="100" user_id="u">うぽつ</chat><chat no="2" vpos="200" user_id="u">草</chat></packet>
            """))
        let json = try CommentFile.load(path: try scratch.file("b.json", """
            {"data":{"threads":[{"fork":"main","comments":[
              {"id":"9","no":2,"vposMs":2000,"body":"草","commands":[]},
              {"id":"10","no":3,"vposMs":3000,"body":"新しい","commands":[]}]}]}}
            """))
        let again = try CommentFile.load(path: try scratch.file("c.json", """
            [{"id":"10","no":3,"vposMs":3005,"body":"新しい","commands":[]}]
            """))
        var filter = DuplicateFilter()
        #expect(filter.add(xml).count == 2)
        #expect(filter.add(json).map(\.text) == ["新しい"])
        #expect(filter.add(again).isEmpty, "the same v1 id, even with another vpos")
        #expect(filter.dropped == 2)
    }

    @Test("within one file nothing is dropped")
    func sameFile() throws {
        let comments = try Scratch().load("""
            <packet><chat no="-1" vpos="100" user_id="u">8888</chat><chat no="-1" vpos="100" user_id="v">8888</chat></packet>
            """)
        var filter = DuplicateFilter()
        #expect(filter.add(comments).count == 2)
    }

    @Test("the mojibake and the clean copy of a comment are duplicates (repair comes first)")
    func repairedBeforeComparing() throws {
        let scratch = try Scratch()
        let clean = try Scratch().load("<packet><chat no=\"1\" vpos=\"1\" user_id=\"u\">すごい</chat></packet>")
        let dirty = try CommentFile.load(path: try scratch.file("d.xml",
            "<packet><chat no=\"1\" vpos=\"1\" user_id=\"u\">\(latin1Mojibake("すごい"))</chat></packet>"))
        var filter = DuplicateFilter()
        _ = filter.add(clean)
        #expect(filter.add(dirty).isEmpty)
    }
}
