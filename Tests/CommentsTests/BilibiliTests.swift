// Bilibili XML: one test per quirk of ../shared/fixtures/README.md.
import Comments
import Testing

@Suite struct BilibiliTests {
    @Test func oldEightFieldFloatTimes() throws {
        let comments = try Scratch().load("""
            <?xml version="1.0" encoding="UTF-8"?><i><chatserver>chat.bilibili.com</chatserver><chatid>1</chatid>\
            <d p="8.2299995422363,1,25,16777215,1312863760,0,eff85771,42759017">前方高能</d>\
            <d p="12.5,5,36,16711680,1312863761,0,a,42759018,10">九字段</d></i>
            """)
        #expect(comments.map(\.vpos) == [823, 1250])
        #expect(comments[0].date == 1_312_863_760 && comments[0].userID == "eff85771" && comments[0].number == 42_759_017)
        #expect(comments[1].position == .ue && comments[1].size == .big && comments[1].color == RGBColor(r: 255, g: 0, b: 0))
    }

    @Test func slashNIsALineBreak() throws {
        let comments = try Scratch().load("<i><d p=\"1,1,25,16777215,0,0,a,1\">第一行/n第二行</d></i>")
        #expect(comments.first?.text == "第一行\n第二行")
    }

    @Test func modesAndPlainText() throws {
        let comments = try Scratch().load("""
            <i><d p="1,1,25,16777215,0,0,a,1">滚动</d><d p="1,4,25,16777215,0,0,a,2">底部</d>\
            <d p="1,5,25,16777215,0,0,a,3">顶部</d><d p="1,6,25,16777215,0,0,a,4">逆向</d>\
            <d p="1,7,25,16777215,0,0,a,5">[0,0,"1-1",4.5,"高级弹幕",0,0,0,0,500,0,true,"黑体",1]</d>\
            <d p="1,8,25,16777215,0,2,a,6">Player.seek(0)</d></i>
            """)
        #expect(comments.map(\.position) == [.naka, .shita, .ue, .naka, .naka, .naka])
        #expect(comments.map(\.isPlainText) == [true, true, true, false, false, false])
        #expect(comments.map(\.bilibiliMode) == [1, 4, 5, 6, 7, 8])
        #expect(comments[4].text.hasPrefix("[0,0,\"1-1\""), "mode 7 keeps its JSON text")
        let result = TrainingFilter().apply(comments)
        #expect(result.dropped == [.notPlainText: 3])
    }

    @Test func crlfLineEnds() throws {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<i>\r\n<d p=\"1,1,25,16777215,0,0,a,1\">一</d>\r\n<d p=\"2,1,25,16777215,0,0,a,2\">二</d>\r\n</i>\r\n"
        let comments = try Scratch().load(text)
        #expect(comments.map(\.text) == ["一", "二"])
    }

    @Test func doubleEscapedEntities() throws {
        let comments = try Scratch().load("""
            <i><d p="1,1,25,16777215,0,0,a,1">笑&amp;#128514;&amp;#x1F602;&amp;amp;&amp;#55357;&amp;#56836;&amp;unknown;</d></i>
            """)
        #expect(comments.first?.text == "笑😂😂&😄&unknown;")
    }

    @Test func fakeFirstEntry() throws {
        let comments = try Scratch().load("""
            <i><d p="0,1,25,16777215,0,0,000000,0">000000</d><d p="3.5,1,25,16777215,1600000000,0,abc,7,10">真的</d></i>
            """)
        #expect(comments.count == 2, "the placeholder entry is read, not an error")
        #expect(comments[0].userID == "000000" && comments[0].date == 0 && comments[0].number == 0)
        #expect(comments[1].vpos == 350)
    }

    @Test func timesBeyondADay() throws {
        let comments = try Scratch().load("<i><d p=\"365683.123,1,25,16777215,0,0,a,1\">101 小时</d></i>")
        #expect(comments.first?.vpos == 36_568_312)
    }

    @Test func entriesWithoutTimeAreSkipped() throws {
        let comments = try Scratch().load("<i><d p=\"\">空</d><d>无 p</d><d p=\"1e300,1\">太远</d><d p=\"nan,1\">非数</d><d p=\"2,1\">短</d></i>")
        #expect(comments.map(\.text) == ["短"])
        #expect(comments.first?.color == RGBColor(packed: 0xFFFFFF) && comments.first?.size == .medium)
    }

    @Test func controlCharactersBecomeSpaces() throws {
        let comments = try Scratch().load("<i><d p=\"1,1,25,16777215,0,0,a,1\">退格\u{08}字符\u{1B}</d></i>")
        #expect(comments.map(\.text) == ["退格 字符 "])
    }
}
