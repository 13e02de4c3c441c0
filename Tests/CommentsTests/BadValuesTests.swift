// Bad values in comment files: a comment without a readable time is skipped, any other field
// takes its documented default, and each is counted per field, problem and outcome.
import Comments
import Foundation
import TestSupport
import Testing

@Suite struct BadValuesTests {
    /// The contents of `text` parsed as a comment file.
    func read(_ text: String) throws -> CommentFileContents {
        try CommentFile.parseContents(Data(text.utf8), path: "c")
    }

    /// `contents.badValues` by `Reason.name`.
    func counts(_ contents: CommentFileContents) -> [String: Int] { contents.badValues.byName }

    @Test("<chat>: vpos unreadable, missing or out of range skips the comment; date, no, flags read as 0")
    func niconicoXML() throws {
        let file = try read("""
            <packet><chat no="1" vpos="x" user_id="u">a</chat><chat no="2" user_id="u">b</chat>\
            <chat no="3" vpos="1e300" user_id="u">c</chat><chat no="zz" vpos="150" date="-5" premium="yes" user_id="u">d</chat>\
            <chat no="5" vpos="-20" date="1700000000" user_id="u">e</chat></packet>
            """)
        #expect(file.comments.map(\.text) == ["d", "e"])
        #expect(file.comments[0].vpos == 150 && file.comments[0].number == 0 && file.comments[0].date == 0 && !file.comments[0].isPremium)
        #expect(file.comments[1].vpos == -20 && file.comments[1].date == 1_700_000_000, "negative times are real and kept")
        #expect(counts(file) == ["vpos unreadable, skipped": 1, "vpos missing, skipped": 1, "vpos out of range, skipped": 1,
                                 "no unreadable, read as 0": 1, "date out of range, read as 0": 1, "premium unreadable, read as 0": 1])
        #expect(file.badValues.summary.hasPrefix("date out of range in 1 comment (read as 0); no unreadable in 1 comment (read as 0)"),
                "\(file.badValues.summary)")
    }

    @Test("mail: a malformed #RRGGBB or @N is ignored and counted, @N past 120 s shortened and counted; words are not bad values")
    func mail() throws {
        let file = try read(##"<packet><chat vpos="1" mail="#12345G @x @0 @500 red #FF0000 patisser 184" user_id="u">a</chat></packet>"##)
        let comment = try #require(file.comments.first)
        #expect(comment.color == RGBColor(packed: 0xFF0000) && comment.duration == 120)
        #expect(counts(file) == ["mail colour unreadable, ignored": 1, "mail @N unreadable, ignored": 1,
                                 "mail @N out of range, ignored": 1, "mail @N out of range, read as @120": 1])
    }

    @Test("Bilibili p: a bad time skips; mode, size, colour, timestamp, rowid take their defaults; short p counted")
    func bilibiliXML() throws {
        let file = try read("""
            <i><d p="x,1,25,16777215,0,0,u,1">a</d><d p="">b</d><d p="1e20,1,25,16777215,0,0,u,2">c</d>\
            <d p="1.5,99,abc,99999999,-1,0,u,zz">d</d><d p="2">e</d><d p="3,5,40,255,1600000000,0,u,7">f</d></i>
            """)
        #expect(file.comments.map(\.text) == ["d", "e", "f"])
        let d = file.comments[0]
        #expect(d.vpos == 150 && d.bilibiliMode == 1 && d.position == .naka && d.size == .medium && d.color == .white
                && d.date == 0 && d.number == 0)
        #expect(file.comments[2].position == .ue && file.comments[2].size == .big && file.comments[2].color == RGBColor(packed: 255))
        #expect(counts(file) == ["p time unreadable, skipped": 1, "p time missing, skipped": 1, "p time out of range, skipped": 1,
                                 "p mode out of range, read as 1": 1, "p size unreadable, read as 25": 1,
                                 "p colour out of range, read as white": 1, "p timestamp out of range, read as 0": 1,
                                 "p rowid unreadable, read as 0": 1, "p fields missing, defaults used": 1])
    }

    @Test("Bilibili protobuf: mode, size and colour out of range take the defaults, counted")
    func protobuf() throws {
        // DanmakuElem { progress 1000; mode 99; fontsize 0; color 0x1FFFFFF; content "草" }
        let element: [UInt8] = [0x10, 0xE8, 0x07, 0x18, 0x63, 0x20, 0x00, 0x28, 0xFF, 0xFF, 0xFF, 0x0F, 0x3A, 0x03, 0xE8, 0x8D, 0x89]
        let file = try CommentFile.parseContents(Data([0x0A, UInt8(element.count)] + element), path: "seg.so")
        #expect(file.format == .bilibiliProtobuf)
        let comment = try #require(file.comments.first)
        #expect(comment.bilibiliMode == 1 && comment.size == .medium && comment.color == .white)
        #expect(counts(file) == ["mode out of range, read as 1": 1, "size out of range, read as 25": 1, "colour out of range, read as white": 1])
    }

    @Test("JSON: a v1 comment without vposMs, an owner line without a time and a formatted vpos out of range are skipped")
    func json() throws {
        let v1 = try read(#"{"threads":[{"fork":"main","comments":[{"no":1,"body":"a"},{"no":2,"vposMs":100,"body":"b","postedAt":"yesterday"}]}]}"#)
        #expect(v1.comments.map(\.text) == ["b"] && v1.comments[0].date == 0)
        #expect(counts(v1) == ["vposMs missing, skipped": 1, "postedAt unreadable, read as 0": 1])
        let owner = try read(#"[{"time":"1:xx","command":"","comment":"a"},{"time":"0:01","command":"","comment":"b"}]"#)
        #expect(owner.comments.map(\.text) == ["b"] && counts(owner) == ["time unreadable, skipped": 1])
        // Fuzz seed 101748: minutes this large overflowed Int and trapped.
        let huge = try read(#"[{"time":"99999999999999999:00","command":"","comment":"a"},{"time":"1","command":"","comment":"b"}]"#)
        #expect(huge.comments.map(\.text) == ["b"] && counts(huge) == ["time unreadable, skipped": 1])
        let formatted = try read(#"[{"vpos":1e300,"content":"a","mail":[]},{"vpos":5,"content":"b","mail":[],"date":1e300}]"#)
        #expect(formatted.comments.map(\.text) == ["b"])
        #expect(counts(formatted) == ["vpos out of range, skipped": 1, "date out of range, read as 0": 1])
    }

    @Test("the fixtures have no bad value but durations past 120 s, which real files hold")
    func fixtures() throws {
        var all = BadValues()
        for name in ["niconico-reply.xml", "niconico-pretty.xml", "bilibili-old.xml", "bilibili-new.xml"] {
            all.add(try CommentFile.contents(path: CommentFixtures.path(name)).badValues)
        }
        #expect(Set(all.byName.keys) == ["mail @N out of range, read as @120"], "\(all.summary)")
    }
}
