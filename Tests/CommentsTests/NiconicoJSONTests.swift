// Niconico JSON: the v1 threads reply and yt-dlp's list of chat objects.
import Comments
import Testing

@Suite struct NiconicoJSONTests {
    @Test func v1ThreadsReply() throws {
        let comments = try Scratch().load("""
            {"meta":{"status":200},"data":{"globalComments":[{"count":3}],"threads":[
              {"id":"1","fork":"owner","commentCount":1,"comments":[
                {"id":"a","no":1,"vposMs":0,"body":"/commentlock on","commands":["shita"],"userId":"","isPremium":false,"score":0,"postedAt":"2024-01-01T00:00:00+09:00","nicoruCount":0,"source":"trunk","isMyPost":false}]},
              {"id":"1","fork":"main","commentCount":2,"comments":[
                {"id":"b","no":2,"vposMs":12345,"body":"うぽつ","commands":["184","big",""],"userId":"nvc:xyz","isPremium":true,"score":-1200,"postedAt":"2024-01-02T03:04:05.123+09:00","nicoruCount":7,"nicoruId":null,"source":"leaf","isMyPost":false}]},
              {"id":"1","fork":"easy","commentCount":1,"comments":[
                {"id":"c","no":3,"vposMs":990,"body":"かわいい","commands":[],"userId":"nvc:e","isPremium":false,"score":0,"postedAt":"2024-01-02T00:00:00Z","nicoruCount":0}]}]}}
            """, name: "comments.json")
        #expect(comments.count == 3)
        #expect(comments[0].isOwner && comments[0].isOwnerScript && comments[0].position == .shita)
        let b = comments[1]
        #expect(b.vpos == 1234 && b.number == 2 && b.text == "うぽつ" && b.mail == ["184", "big"])
        #expect(b.isAnonymous && b.size == .big && b.isPremium && b.score == -1200 && b.nicoruCount == 7)
        #expect(b.userID == "nvc:xyz" && !b.isOwner)
        #expect(b.date == 1_704_132_245, "2024-01-02T03:04:05+09:00 is 2024-01-01T18:04:05Z")
        #expect(comments[2].vpos == 99 && comments[2].date == 1_704_153_600)
    }

    @Test func threadsWithoutDataWrapper() throws {
        let comments = try Scratch().load("""
            {"threads":[{"fork":"main","comments":[{"no":1,"vposMs":500,"body":"a","commands":[]}]}]}
            """, name: "c.json")
        #expect(comments.map(\.vpos) == [50])
    }

    @Test func ytDlpList() throws {
        let comments = try Scratch().load("""
            [{"ping":{"content":"rs:0"}},{"thread":{"resultcode":0,"thread":"1","ticket":"0x1"}},\
            {"leaf":{"thread":"1","count":2}},\
            {"chat":{"thread":"1","no":1,"vpos":76,"date":1402132048,"mail":"184 shita","user_id":"abc","anonymity":1,"premium":1,"content":"ハム太郎"}},\
            {"chat":{"thread":"1","no":2,"vpos":90,"date":1402132050,"deleted":1}},\
            {"chat":{"thread":"1","no":3,"vpos":"100","date":1402132051,"fork":1,"content":"/hidden"}},\
            {"ping":{"content":"rf:0"}}]
            """, name: "c.json")
        #expect(comments.count == 3)
        #expect(comments[0].text == "ハム太郎" && comments[0].vpos == 76 && comments[0].position == .shita)
        #expect(comments[0].isAnonymous && comments[0].isPremium && comments[0].userID == "abc")
        #expect(comments[1].isDeleted && comments[1].text.isEmpty)
        #expect(comments[2].vpos == 100 && comments[2].isOwnerScript)
    }

    @Test func malformedJSON() throws {
        let scratch = try Scratch()
        let truncated = try scratch.file("t.json", "{\"data\":{\"threads\":[{\"comments\":[")
        guard case .malformedJSON(let path, _)? = commentsError({ _ = try CommentFile.load(path: truncated) }) else {
            Issue.record("expected malformedJSON")
            return
        }
        #expect(path == truncated)
        let wrongShape = try scratch.file("w.json", "{\"data\":{}}")
        let error = commentsError { _ = try CommentFile.load(path: wrongShape) }
        #expect(error?.description == "\(wrongShape): malformed JSON: no data.threads array")
        let wrongType = try scratch.file("x.json", "{\"threads\":[{\"comments\":[{\"vposMs\":\"soon\"}]}]}")
        #expect(commentsError { _ = try CommentFile.load(path: wrongType) }?.description.contains("vposMs") == true)
    }
}
