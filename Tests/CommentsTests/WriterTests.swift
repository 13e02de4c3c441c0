// Niconico XML round trips and the structure of the ASS output.
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

    @Test func assStructure() throws {
        var red = Comment(vpos: 150, text: "赤い{字}\\n", mail: ["shita", "red", "big"])
        red.number = 2
        let comments = [
            Comment(vpos: 50, text: "こんにちは", number: 1),
            red,
            Comment(vpos: 60, text: "二行\n目", mail: ["ue"], number: 3),
            Comment(vpos: 70, text: "黒", mail: ["black"], number: 4),
            Comment(vpos: 80, text: "長い", mail: ["@10"], number: 5),
        ]
        var deleted = Comment(vpos: 90, text: "gone", number: 6)
        deleted.isDeleted = true
        let ass = ASSWriter().document(comments + [deleted])
        let lines = ass.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        // Sections in libass's order, each Format line with as many fields as its rows.
        let sections = lines.filter { $0.hasPrefix("[") }
        #expect(sections == ["[Script Info]", "[V4+ Styles]", "[Events]"])
        #expect(lines.contains("ScriptType: v4.00+") && lines.contains("PlayResX: 683") && lines.contains("PlayResY: 384"))
        let styleFormat = try #require(lines.first { $0.hasPrefix("Format: Name,") })
        let style = try #require(lines.first { $0.hasPrefix("Style: ") })
        #expect(fields(styleFormat).count == 23 && fields(style).count == 23)
        let eventFormat = try #require(lines.first { $0.hasPrefix("Format: Layer,") })
        #expect(fields(eventFormat).count == 10)

        let dialogues = lines.filter { $0.hasPrefix("Dialogue: ") }
        #expect(dialogues.count == 5, "the deleted comment is not written")
        for line in dialogues {
            let parts = line.dropFirst("Dialogue: ".count).split(separator: ",", maxSplits: 9, omittingEmptySubsequences: false)
            #expect(parts.count == 10)
            let start = try #require(seconds(parts[1])), end = try #require(seconds(parts[2]))
            #expect(start < end)
            #expect(parts[3] == "Danmaku")
        }
        // naka at 0.5 s: on screen from 0 (clamped from -0.5) to 3.5 s, moving right to left.
        let hello = try #require(dialogues.first { $0.hasSuffix("こんにちは") })
        #expect(hello.hasPrefix("Dialogue: 2,0:00:00.00,0:00:03.50,Danmaku,,0,0,0,,{\\move("))
        // shita at 1.5 s for 3 s, centred, big and red (BGR order), escaped braces and backslash.
        let redLine = try #require(dialogues.first { $0.contains("赤い") })
        #expect(redLine.contains(",0:00:01.50,0:00:04.50,"))
        #expect(redLine.contains("\\an8\\pos(341.5,") && redLine.contains("\\fs39") && redLine.contains("\\c&H0000FF&"))
        #expect(redLine.hasSuffix("}赤い\\{字\\}\\\\n"))
        #expect(dialogues.contains { $0.hasSuffix("}二行\\N目") })
        #expect(dialogues.contains { $0.contains("\\3c&HFFFFFF&") && $0.hasSuffix("}黒") }, "black text gets a light outline")
        // @10: the crossing takes 10 s, starting a quarter before vpos.
        #expect(dialogues.contains { $0.contains(",0:00:00.00,0:00:08.30,") && $0.hasSuffix("長い") })
    }

    @Test func assStacksFixedCommentsAndKeepsScrollingOnesApart() throws {
        let comments = (0..<3).map { Comment(vpos: 100, text: "上\($0)", mail: ["ue"], number: $0) }
            + (0..<3).map { Comment(vpos: 100, text: "流れる\($0)", number: 10 + $0) }
        let ass = ASSWriter().document(comments)
        let tops = ass.split(separator: "\n").filter { $0.contains("\\pos(") }.map { line -> Double in
            Double(line.split(separator: "\\pos(")[1].split(separator: ")")[0].split(separator: ",")[1])!
        }
        #expect(tops == [0, 27.1, 54.3])
        let rows = ass.split(separator: "\n").filter { $0.contains("\\move(") }.map { line -> String in
            String(line.split(separator: "\\move(")[1].split(separator: ")")[0].split(separator: ",")[1])
        }
        #expect(Set(rows).count == 3, "simultaneous scrolling comments take different rows")
    }

    @Test func assSurvivesAbsurdTimes() {
        let ass = ASSWriter().document([Comment(vpos: Int.max, text: "遠い未来"), Comment(vpos: Int.min, text: "過去", mail: ["ue"]),
                                        Comment(vpos: Int.min, text: "過去"), Comment(vpos: -500, text: "前")])
        #expect(ass.split(separator: "\n").filter { $0.hasPrefix("Dialogue: ") }.count == 1, "comments gone before 0 s are not written")
    }

    private func fields(_ line: String) -> [Substring] {
        line.split(separator: ":", maxSplits: 1)[1].split(separator: ",")
    }

    /// Seconds of an ASS `H:MM:SS.cc` time.
    private func seconds(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]) else { return nil }
        return h * 3600 + m * 60 + s
    }
}
