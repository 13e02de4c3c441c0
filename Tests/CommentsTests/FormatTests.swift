// Every format users bring, written by the tests as the tools write them, read by content.
import Comments
import Foundation
import Testing

@Suite struct FormatTests {
    /// Writes `text` as `name` and reads it with `CommentFile.contents`.
    func read(_ text: String, name: String) throws -> CommentFileContents {
        let scratch = try Scratch()
        return try CommentFile.contents(path: try scratch.file(name, text))
    }

    @Test("niconicomments formatted: vpos, content, date, owner, premium, mail list")
    func formatted() throws {
        let file = try read("""
            [{"id":1,"vpos":150,"content":"うぽつ","date":1700000000,"date_usec":12,"owner":false,"premium":true,"mail":["184","big"],"user_id":3,"layer":-1,"is_my_post":false},
             {"id":2,"vpos":250.4,"content":"/nicoad {}","date":1700000001,"date_usec":0,"owner":true,"premium":true,"mail":[]}]
            """, name: "formatted.json")
        #expect(file.format == .formattedJSON)
        #expect(file.comments.count == 2)
        let first = file.comments[0]
        #expect(first.vpos == 150 && first.text == "うぽつ" && first.date == 1_700_000_000 && first.number == 1)
        #expect(first.isPremium && !first.isOwner && first.size == .big && first.isAnonymous && first.userID == "3")
        #expect(file.comments[1].vpos == 250 && file.comments[1].isOwnerScript)
    }

    @Test("legacy [{chat}] with ping/thread/leaf records (yt-dlp's older form)")
    func legacy() throws {
        let file = try read("""
            [{"ping":{"content":"rs:0"}},{"thread":{"resultcode":0,"thread":"1"}},{"leaf":{"thread":"1","count":1}},
             {"chat":{"thread":"1","no":5,"vpos":300,"date":1402132048,"mail":"shita","user_id":"abc","content":"ハム太郎"}}]
            """, name: "legacy.json")
        #expect(file.format == .legacyJSON && file.otherRecords == 3)
        #expect(file.comments.map(\.text) == ["ハム太郎"] && file.comments[0].position == .shita && file.comments[0].number == 5)
    }

    @Test("yt-dlp's current flat list of v1 comments")
    func ytDlp() throws {
        let file = try read("""
            [{"id":"1111","no":1,"vposMs":1234,"body":"すごい","commands":["184","red"],"userId":"nvc:a","isPremium":true,"score":-20,"postedAt":"2024-01-02T03:04:05+09:00","nicoruCount":3,"source":"leaf"},
             {"id":"1112","no":2,"vposMs":99999,"body":"草","commands":[],"userId":"nvc:b","isPremium":false,"score":0,"postedAt":"2024-01-02T03:04:06+09:00","nicoruCount":0,"source":"trunk"}]
            """, name: "video.comments.json")
        #expect(file.format == .ytDlpJSON)
        #expect(file.comments.map(\.vpos) == [123, 9999])
        let first = file.comments[0]
        #expect(first.color == RGBColor(r: 255, g: 0, b: 0) && first.isPremium && first.score == -20 && first.nicoruCount == 3)
        #expect(first.sourceID == "nico:1111" && first.date == 1_704_132_245)
    }

    @Test("niconicomments v1: the bare threads array with fork names")
    func v1Threads() throws {
        let file = try read("""
            [{"id":"1","fork":"owner","commentCount":1,"comments":[{"id":"a","no":1,"vposMs":0,"body":"/commentlock on","commands":[],"userId":"","isPremium":false,"score":0,"postedAt":"2024-01-01T00:00:00Z","nicoruCount":0,"source":"trunk","isMyPost":false}]},
             {"id":"1","fork":"main","commentCount":2,"comments":[{"id":"b","no":2,"vposMs":5000,"body":"a","commands":[]},{"id":"c","no":3,"vposMs":6000,"body":"b","commands":[]}]},
             {"id":"1","fork":"easy","commentCount":0,"comments":[]}]
            """, name: "threads.json")
        #expect(file.format == .niconicoJSON)
        #expect(file.comments.map(\.text) == ["/commentlock on", "a", "b"])
        #expect(file.comments[0].isOwnerScript && !file.comments[1].isOwner)
    }

    @Test("niconicomments owner: the owner editor's times M:S.FF, M:S, S.FF, S")
    func owner() throws {
        let file = try read("""
            [{"time":"1:23.45","command":"shita red","comment":"投稿者です"},{"time":"0:05","command":"","comment":"b"},
             {"time":"12.5","command":"","comment":"c"},{"time":"7","command":"ue","comment":"/jump sm9"}]
            """, name: "owner.json")
        #expect(file.format == .ownerJSON)
        #expect(file.comments.map(\.vpos) == [8345, 500, 1250, 700])
        #expect(file.comments.allSatisfy(\.isOwner) && file.comments[0].position == .shita && file.comments[3].isOwnerScript)
    }

    @Test("niconicomments legacyOwner: SECONDS:MAIL:TEXT lines, colons in the text kept")
    func legacyOwner() throws {
        let file = try read("3.5:shita:開始\n10:big red:時刻 12:00\n\n20::/nicoad\n", name: "owner.txt")
        #expect(file.format == .legacyOwnerText)
        #expect(file.comments.map(\.vpos) == [350, 1000, 2000])
        #expect(file.comments.map(\.text) == ["開始", "時刻 12:00", "/nicoad"])
        #expect(file.comments[1].size == .big && file.comments.allSatisfy(\.isOwner))
    }

    @Test("niconicome XML: <Packet> in any case, date_usec, thread attributes")
    func niconicome() throws {
        let file = try read("""
            <?xml version="1.0" encoding="utf-8"?>
            <Packet>
              <thread resultcode="0" thread="1" server_time="1700000000" />
              <chat thread="1" no="1" vpos="120" date="1700000000" date_usec="5" anonymity="1" user_id="x" mail="184">わこつ</chat>
              <chat thread="1" no="2" vpos="240" date="1700000001" date_usec="6" user_id="y" premium="1">8888</chat>
            </Packet>
            """, name: "niconicome.xml")
        #expect(file.format == .niconicoXML && file.otherRecords == 1)
        #expect(file.comments.map(\.text) == ["わこつ", "8888"] && file.comments[1].isPremium && file.comments[0].isAnonymous)
    }

    @Test("xml2js: {packet: {chat: [{_, $}]}}")
    func xml2js() throws {
        let file = try read("""
            {"packet":{"chat":[{"_":"きた","$":{"no":"1","vpos":"100","date":"1700000000","mail":"184 ue","user_id":"u","premium":"1"}},
                                {"$":{"no":"2","vpos":"200","deleted":"1"}},
                                {"_":"/hidden","$":{"no":"3","vpos":"300","fork":"1"}}]}}
            """, name: "xml2js.json")
        #expect(file.format == .xml2jsJSON)
        #expect(file.comments.count == 3 && file.comments[0].position == .ue && file.comments[0].isPremium)
        #expect(file.comments[1].isDeleted && file.comments[2].isOwnerScript)
    }

    @Test("Bilibili XML keeps the dmid as the source id")
    func bilibiliXML() throws {
        let file = try read("<i><chatid>1</chatid><d p=\"12.5,5,25,16711680,1626077354,0,5bd04b14,51870527213010951,10\">顶</d></i>",
                            name: "bili.xml")
        #expect(file.format == .bilibiliXML && file.otherRecords == 1)
        #expect(file.comments[0].vpos == 1250 && file.comments[0].sourceID == "bili:51870527213010951" && file.comments[0].position == .ue)
    }

    @Test("unknown JSON is one error naming the file, the shape and the formats tried", arguments: [
        (#"[{"foo":1,"bar":2}]"#, #"a list of objects with keys "bar", "foo""#),
        ("[1, 2, 3]", "a list of 3 items that are not objects"),
        (#"{"comments":[{"text":"a"}]}"#, #"an object with keys "comments""#),
    ])
    func unknownJSON(text: String, shape: String) throws {
        let scratch = try Scratch()
        let path = try scratch.file("unknown.json", text)
        let error = commentsError { _ = try CommentFile.load(path: path) }
        #expect(error == .unrecognisedJSON(path: path, shape: shape))
        let description = error?.description ?? ""
        #expect(description.hasPrefix("\(path): unrecognised comment format") && !description.contains("\n"))
        #expect(CommentFormat.allCases.allSatisfy { description.contains($0.title) })
    }

    @Test("a recognised file with no comment reads as empty (the CLI warns with its counts)")
    func recognisedButEmpty() throws {
        let legacy = try read(#"[{"ping":{"content":"rs:0"}},{"thread":{"resultcode":0}}]"#, name: "empty.json")
        #expect(legacy.format == .legacyJSON && legacy.comments.isEmpty && legacy.otherRecords == 2)
        let threads = try read(#"{"data":{"threads":[{"fork":"main","comments":[]}]}}"#, name: "empty-v1.json")
        #expect(threads.format == .niconicoJSON && threads.comments.isEmpty && threads.otherRecords == 1)
        let xml = try read("<packet><thread thread=\"1\"/></packet>", name: "empty.xml")
        #expect(xml.format == .niconicoXML && xml.comments.isEmpty && xml.otherRecords == 1)
    }
}
