// Niconico legacy XML: one test per quirk of ../shared/fixtures/README.md.
import Comments
import Testing

@Suite struct NiconicoXMLTests {
    @Test func extraElementsAreIgnored() throws {
        let comments = try Scratch().load("""
            <packet><thread resultcode="0" thread="1" last_res="2"/><leaf thread="1" count="2"/>\
            <num_click thread="1" no="1" count="3"/><view_counter video="1" id="sm1"/>\
            <global_num_res thread="1" num_res="2"/>\
            <chat thread="1" no="1" vpos="100" date="1" user_id="a">一</chat>\
            <chat thread="1" no="2" vpos="200" date="2" user_id="b">二</chat></packet>
            """)
        #expect(comments.map(\.text) == ["一", "二"])
        #expect(comments.map(\.vpos) == [100, 200])
    }

    @Test func ownerScriptWithEntities() throws {
        let script = "/commentlock on " + String(repeating: "&lt;b&gt;&amp;&quot;台本&quot;", count: 130)
        let comments = try Scratch().load("""
            <packet><chat thread="1" no="1" vpos="0" date="1" mail="shita" fork="1">\(script)</chat>\
            <chat thread="1" no="2" vpos="10" date="2">/nicoad {"totalAdPoint":1}</chat>\
            <chat thread="1" no="3" vpos="20" date="3" fork="1">うp主です</chat>\
            <chat thread="1" no="4" vpos="30" date="4" user_id="x">/これは視聴者</chat></packet>
            """)
        #expect(comments.count == 4)
        #expect(comments[0].isOwner && comments[0].isOwnerScript)
        #expect(comments[0].text.count > 1000)
        #expect(comments[0].text.hasSuffix("<b>&\"台本\""))
        #expect(comments[1].isOwner && comments[1].isOwnerScript, "no user_id marks the owner")
        #expect(comments[2].isOwner && !comments[2].isOwnerScript, "owner speech is not a script")
        #expect(!comments[3].isOwner && !comments[3].isOwnerScript)
        let result = TrainingFilter().apply(comments)
        #expect(result.dropped == [.ownerScript: 2])
        #expect(result.kept.map(\.number) == [3, 4])
    }

    @Test func byteOrderMarkAndDeclaration() throws {
        let scratch = try Scratch()
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<packet><chat vpos=\"5\" user_id=\"u\">BOM</chat></packet>"
        let path = try scratch.file("bom.xml", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let comments = try CommentFile.load(path: path)
        #expect(comments.map(\.text) == ["BOM"])
    }

    @Test func prettyPrintedWithTabs() throws {
        let comments = try Scratch().load("<packet>\n\t<thread thread=\"1\"/>\n\t<chat\tthread=\"1\"\n\t\tno=\"1\" vpos=\"7\" user_id=\"u\">タブ</chat>\n\t<chat thread=\"1\" no=\"2\" vpos=\"9\" user_id=\"u\">二行目</chat>\n</packet>\n")
        #expect(comments.map(\.text) == ["タブ", "二行目"])
        #expect(comments.map(\.number) == [1, 2])
    }

    @Test func unusualNumbers() throws {
        let comments = try Scratch().load("""
            <packet><chat no="-1" vpos="123456789" date="1" user_id="u" score="-53080">live</chat>\
            <chat no="2" vpos="-150" user_id="u">before start</chat>\
            <chat no="3" vpos="99999999" user_id="u">past the end</chat></packet>
            """)
        #expect(comments.map(\.number) == [-1, 2, 3])
        #expect(comments.map(\.vpos) == [123_456_789, -150, 99_999_999])
        #expect(comments[0].score == -53080)
        #expect(comments[1].date == 0, "a missing date is 0")
    }

    @Test func asciiArtKeepsSpacesAndLines() throws {
        let art = "\u{00A0}\u{00A0}■■\u{00A0}\n\u{00A0}█▀▀█\n\u{00A0}\u{00A0}▓▓"
        let comments = try Scratch().load("<packet><chat vpos=\"1\" mail=\"ca shita\" user_id=\"u\">\(art)</chat></packet>")
        #expect(comments.first?.text == art)
        #expect(comments.first?.isCommentArt == true)
        #expect(TextNormalizer(nfkc: false, maximumRun: nil, trims: false).normalize(art).contains("\n") == false)
    }

    @Test func mailTokens() throws {
        let comments = try Scratch().load("""
            <packet>\
            <chat vpos="1" user_id="u" mail="@7 local #10C1D0 ca full ender patissier mincho _live">a</chat>\
            <chat vpos="2" user_id="u" mail="@999 iPhone docomo softbank device:Switch invisible">b</chat>\
            <chat vpos="3" user_id="u" mail="patisser middle gray W34 c9 赤">c</chat>\
            <chat vpos="4" user_id="u" mail="  184   big  ">d</chat>\
            <chat vpos="5" user_id="u" mail="niconicowhite gothic ue red">e</chat>\
            <chat vpos="6" user_id="u" mail="">f</chat>\
            </packet>
            """)
        let a = comments[0], b = comments[1], c = comments[2], d = comments[3], e = comments[4], f = comments[5]
        #expect(a.duration == 7 && a.color == RGBColor(r: 0x10, g: 0xC1, b: 0xD0) && a.font == .mincho)
        #expect(a.isCommentArt && a.isFull && a.isEnder && a.isPatissier && a.isLive && !a.isInvisible)
        #expect(a.mail == ["@7", "local", "#10C1D0", "ca", "full", "ender", "patissier", "mincho", "_live"])
        #expect(b.duration == MailCommands.maximumDuration, "@999 is capped at 120 s")
        #expect(b.isInvisible && b.mail.count == 6 && b.color == .white)
        // Typos and unknown tokens change nothing and are kept.
        #expect(!c.isPatissier && c.size == .medium && c.color == .white && c.position == .naka)
        #expect(c.mail == ["patisser", "middle", "gray", "W34", "c9", "赤"])
        // Empty tokens are dropped.
        #expect(d.mail == ["184", "big"] && d.isAnonymous && d.size == .big)
        // The first colour wins; premium names are known.
        #expect(e.color == RGBColor(packed: 0xCCCC99) && e.font == .gothic && e.position == .ue)
        #expect(f.mail.isEmpty)
    }

    @Test func colourCommandsNameTheHTML5PlayersColours() {
        #expect(MailCommands.colors["red"]?.packed == 0xFF0000)
        #expect(MailCommands.colors["orange"]?.packed == 0xFFC000)
        #expect(MailCommands.colors["truered"]?.packed == 0xCC0033)
        #expect(MailCommands.colors["red2"] == MailCommands.colors["truered"])
        #expect(MailCommands.colors["niconicowhite"]?.packed == 0xCCCC99)
        #expect(MailCommands.colors["black2"]?.packed == 0x666666)
        #expect(RGBColor(hex: "#10c1d0") == RGBColor(r: 0x10, g: 0xC1, b: 0xD0))
        for notAColour in ["#12345", "#GGGGGG", "", "#1234567"] {
            #expect(RGBColor(hex: notAColour) == nil, "\(notAColour)")
        }
        #expect(MailCommands.colors["gray"] == nil)
    }

    @Test func deletedSelfClosingChats() throws {
        let comments = try Scratch().load("""
            <packet><chat thread="1" no="1" vpos="10" date="1" deleted="2" anonymity="1"/>\
            <chat thread="1" no="2" vpos="20" date="2" deleted="1" user_id="u"></chat>\
            <chat thread="1" no="3" vpos="30" date="3" user_id="u">残る</chat></packet>
            """)
        #expect(comments.map(\.isDeleted) == [true, true, false])
        #expect(!comments[0].isOwner, "a deleted chat without user_id is not taken for the owner's")
        #expect(comments[0].isAnonymous)
        #expect(TrainingFilter().apply(comments).kept.map(\.text) == ["残る"])
    }

    @Test func entitiesAndCharacterReferences() throws {
        let comments = try Scratch().load(
            "<packet><chat vpos=\"1\" user_id=\"u\">&lt;3 &amp; &#x1F602; &#12354; &quot;x&apos;</chat></packet>")
        #expect(comments.first?.text == "<3 & 😂 あ \"x'")
    }

    @Test func premiumOwnerAndAnonymityAttributes() throws {
        let comments = try Scratch().load("""
            <packet><chat vpos="1" user_id="u" premium="1" anonymity="1" leaf="3" date_usec="12">a</chat>\
            <chat vpos="2" user_id="owner" premium="3" fork="1">b</chat></packet>
            """)
        #expect(comments[0].isPremium && comments[0].isAnonymous && !comments[0].isOwner)
        #expect(comments[1].isOwner && comments[1].userID == "owner")
    }
}
