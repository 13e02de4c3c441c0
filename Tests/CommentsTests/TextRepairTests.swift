// Text repair: mis-decoded UTF-8 comes back as written, legitimate Latin text is never touched,
// control characters and U+FFFD runs are stripped and counted.
import Comments
import Foundation
import Tensor
import Testing

/// `text`'s UTF-8 bytes decoded one byte a character, as Latin-1 does.
func latin1Mojibake(_ text: String) -> String {
    String(String.UnicodeScalarView(text.utf8.map { Unicode.Scalar($0) }))
}

/// `text`'s UTF-8 bytes decoded as windows-1252 (WHATWG: the five undefined bytes become C1 controls).
func cp1252Mojibake(_ text: String) -> String {
    let high: [UInt32] = [0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
                          0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                          0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178]
    return String(String.UnicodeScalarView(text.utf8.map { byte in
        (0x80...0x9F).contains(byte) ? Unicode.Scalar(high[Int(byte) - 0x80])! : Unicode.Scalar(byte)
    }))
}

@Suite struct TextRepairTests {
    /// Words of comments in several scripts, legitimate Latin among them.
    static let japanese = ["す", "すごい", "草", "ハム太郎", "きれい", "海きた", "うぽつ", "悪霊退散", "ｗｗｗ", "８８８８", "頬袋ぱねえ", "遺影"]
    static let other = ["😂", "👍🏻", "哈哈哈", "太棒了", "привет", "Ελλάδα", "한국어"]
    static let latin = ["café", "Ñ", "Ñandú", "naïve", "Zürich", "¿Qué?", "„Fuß“", "Ça va", "Øre", "Ärger", "déjà vu",
                        "3×3", "50 €", "l’été", "São Paulo", "www", "8888", "±0", "½", "Straße"]

    /// A comment of two to six words drawn from every script, joined by spaces.
    static func comment(_ generator: inout SplitMix64) -> String {
        let pool = japanese + other + latin
        let count = Int.random(in: 2...6, using: &generator)
        return (0..<count).map { _ in pool[Int.random(in: 0..<pool.count, using: &generator)] }.joined(separator: " ")
    }

    @Test("Latin-1 and CP1252 mojibake of generated comments round-trips; the comments themselves stay unchanged")
    func roundTrip() {
        var generator = SplitMix64(seed: 14)
        for _ in 0..<500 {
            let original = Self.comment(&generator)
            let untouched = TextRepair.repair(original)
            #expect(untouched.text == original && untouched.changes.isEmpty, "\(original)")
            for broken in [latin1Mojibake(original), cp1252Mojibake(original)] where broken != original {
                let repaired = TextRepair.repair(broken)
                #expect(repaired.text == original, "\(broken.debugDescription) → \(repaired.text.debugDescription)")
                #expect(repaired.changes.repairedMojibake && repaired.changes.controlCharacters == 0)
            }
        }
    }

    @Test("legitimate Latin text is never taken for mojibake", arguments: latin + ["Ã", "SÃO PAULO", "Âme", "ÀÉÎÕÜ", "×÷"])
    func latinUnchanged(text: String) {
        let result = TextRepair.repair(text)
        #expect(result.text == text)
        #expect(result.changes.isEmpty)
    }

    @Test("a comment mixing good Latin text and mis-decoded Japanese keeps the good part")
    func mixedInOneComment() {
        let text = "café Ñ " + latin1Mojibake("すごい😂") + " naïve " + cp1252Mojibake("草")
        let result = TextRepair.repair(text)
        #expect(result.text == "café Ñ すごい😂 naïve 草")
        #expect(result.changes.repairedMojibake)
    }

    @Test("text mis-decoded twice is repaired")
    func doubleMojibake() {
        #expect(TextRepair.repair(latin1Mojibake(latin1Mojibake("ハム太郎"))).text == "ハム太郎")
    }

    @Test("C0 and C1 controls are stripped, line breaks and tabs kept, U+FFFD runs stripped")
    func controlsAndReplacement() {
        let result = TextRepair.repair("a\u{0}b\u{7}c\u{1B}d\u{7F}e\u{85}f\u{9F}\n\tg\r\nh\u{FFFD}\u{FFFD}\u{FFFD}i")
        #expect(result.text == "abcdef\n\tg\r\nhi")
        #expect(result.changes.controlCharacters == 6 && result.changes.invalidCharacters == 3 && !result.changes.repairedMojibake)
        var counts = TextRepair.Counts()
        counts.add(result.changes)
        counts.add(TextRepair.repair(latin1Mojibake("す")).changes)
        #expect(counts.lines == ["repaired (mojibake): 1 comments", "stripped (control characters): 6 in 1 comments",
                                 "stripped (U+FFFD, unpaired surrogates): 3 in 1 comments"])
        #expect(counts.byName == ["mojibake": 1, "control-characters": 6, "control-comments": 1, "invalid-characters": 3, "invalid-comments": 1])
    }

    @Test("a file's comments are repaired when read, and counted")
    func repairedWhenRead() throws {
        let scratch = try Scratch()
        let path = try scratch.file("dirty.xml", """
            <packet><chat no="1" vpos="100" user_id="u">\(latin1Mojibake("すごい"))</chat>\
            <chat no="2" vpos="200" user_id="u">café</chat>\
            <chat no="3" vpos="300" user_id="u">ok\u{85}\u{9F}</chat></packet>
            """)
        let file = try CommentFile.contents(path: path)
        #expect(file.comments.map(\.text) == ["すごい", "café", "ok"])
        #expect(file.repairs.mojibakeComments == 1 && file.repairs.controlCharacters == 2 && file.repairs.controlComments == 1)
    }

    @Test("JSON escapes of unpaired surrogates become U+FFFD and are stripped; pairs stay")
    func unpairedSurrogates() throws {
        let scratch = try Scratch()
        let path = try scratch.file("s.json", #"[{"no":1,"vposMs":0,"body":"a\ud83d"},{"no":2,"vposMs":10,"body":"\ude02b"},{"no":3,"vposMs":20,"body":"\ud83d\ude02"},{"no":4,"vposMs":30,"body":"\\ud83d"}]"#)
        let file = try CommentFile.contents(path: path)
        #expect(file.comments.map(\.text) == ["a", "b", "😂", "\\ud83d"])
        #expect(file.repairs.invalidCharacters == 2 && file.repairs.invalidComments == 2)
    }
}
