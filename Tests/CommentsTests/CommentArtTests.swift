// Comment art: the classifier on generated speech and art, and its thresholds in the gap between them.
import Comments
import Foundation
import Tensor
import Testing

@Suite struct CommentArtTests {
    /// Single-line speech, decorated the way viewers decorate it.
    static func speech(_ g: inout SplitMix64) -> String {
        let words = ["草", "すごい", "かわいい", "ここ好き", "うぽつ", "8888", "wwww", "海きた", "悪霊退散悪霊退散悪霊退散", "哈哈哈"]
        let word = words[Int.random(in: 0..<words.count, using: &g)]
        switch Int.random(in: 0..<6, using: &g) {
        case 0:
            let bars = String(repeating: "━", count: Int.random(in: 1...4, using: &g))
            return "キタ" + bars + "(ﾟ∀ﾟ)" + bars + "!!"
        case 1: return word + "█" + word
        case 2: return "■" + word + "■"
        case 3: return word + "\u{00A0}" + word
        case 4:
            // Up to Bilibili's 100 characters of ordinary text.
            let length = Int.random(in: 1...100, using: &g)
            return String(String(repeating: word, count: length).prefix(length))
        default: return word
        }
    }

    /// Single-line rows of art: bars of blocks around a word, braille, NBSP-padded blocks.
    static func artRow(_ g: inout SplitMix64) -> String {
        let blocks = Array("█▇▆▅▄▃▂▁░▒▓▀▐▌")
        let width = Int.random(in: 6...40, using: &g)
        let row = String((0..<width).map { _ in blocks[Int.random(in: 0..<blocks.count, using: &g)] })
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return row
        case 1: return String(row.prefix(width / 2)) + "ここ" + String(row.suffix(width / 2))
        case 2: return String((0..<width).map { _ in Character(Unicode.Scalar(0x2800 + UInt32.random(in: 0...255, using: &g))!) })
        default: return String(repeating: "\u{00A0}", count: width / 2) + String(row.prefix(max(2, width / 2)))
        }
    }

    @Test("thresholds lie in the gap between generated speech and generated art rows")
    func thresholdsInTheGap() {
        let classifier = ArtClassifier()
        var g = SplitMix64(seed: 41)
        let speech = (0..<2000).map { _ in Self.speech(&g) }
        let art = (0..<2000).map { _ in Self.artRow(&g) }
        let speechShare = speech.map(classifier.artShare).max() ?? 1
        let artShare = art.map(classifier.artShare).min() ?? 0
        #expect(speechShare < classifier.maximumArtShare && classifier.maximumArtShare < artShare,
                "speech reaches \(speechShare), art starts at \(artShare)")
        #expect(speech.map(\.count).max()! <= classifier.maximumLength)
        #expect(speech.allSatisfy { !classifier.isArt(text: $0) })
        #expect(art.allSatisfy { classifier.isArt(text: $0) })
    }

    @Test("multi-line, very long and ca comments are art; line breaks at the ends are not lines")
    func otherRules() {
        let classifier = ArtClassifier()
        #expect(classifier.isArt(text: "　∧＿∧\n（　´∀｀）\n（　　　）"))
        #expect(classifier.isArt(text: "うぽつ\nです"))
        #expect(!classifier.isArt(text: "\nうぽつ\n"))
        #expect(classifier.isArt(text: String(repeating: "あ", count: 101)))
        #expect(!classifier.isArt(text: String(repeating: "あ", count: 100)))
        #expect(classifier.isArt(Comment(vpos: 0, text: "|", mail: ["ca"])))
        #expect(!classifier.isArt(Comment(vpos: 0, text: "|")))
    }

    @Test("art is a drop reason unless kept")
    func dropReason() throws {
        let comments = try Scratch().load("""
            <packet><chat vpos="1" user_id="u">草</chat><chat vpos="2" user_id="u">████▇▆▅▃▁▁▂▃▅▆▇████</chat>\
            <chat vpos="3" user_id="u">░▒▒▓▓▓▓&#10;░▒▒▓▓▓▓</chat><chat vpos="4" user_id="u">\u{00A0}\u{00A0}\u{00A0}\u{00A0}██</chat></packet>
            """)
        let dropped = TrainingFilter().apply(comments)
        #expect(dropped.kept.map(\.text) == ["草"])
        #expect(dropped.dropped == [.art: 3])
        #expect(TrainingFilter(keepArt: true).apply(comments).kept.count == 4)
        #expect(comments[2].text == "░▒▒▓▓▓▓\n░▒▒▓▓▓▓", "the text keeps its lines for rendering")
    }
}
