// Comment parsing and tokenising speed: 100,000 synthetic comments per case, one core.
import Comments
import Foundation

enum CommentsBench {
    /// Every case of the group: parsing each format, then each tokenizer.
    static func run() {
        for format in [CommentFormat.niconicoXML, .niconicoJSON, .bilibiliXML] { parse(format: format) }
        for kind in TokenizerKind.allCases { tokenize(kind: kind) }
    }

    static let texts = ["ご注文はうさぎですか", "ｗｗｗｗｗｗｗｗ", "キンクマでけええ", "そこまでしなくてもよかろう",
                        "8888888", "かわいい", "頬袋ぱねえｗ", "これは草", "来たあああああ", "うぽつ"]

    /// `count` comments with varied text, times and mail commands.
    static func comments(_ count: Int) -> [Comment] {
        let mails = [["184"], ["naka", "medium", "184"], ["shita", "big", "red"], ["ue", "#10C1D0", "@7"], []]
        return (0..<count).map { i in
            Comment(vpos: (i * 37) % 540_000, text: texts[i % texts.count] + String(i % 97), mail: mails[i % mails.count],
                    date: 1_400_000_000 + i, number: i + 1, userID: "user\(i % 5000)")
        }
    }

    /// Times `CommentFile.parse` on the bytes of `format` and reports comments/s.
    static func parse(format: CommentFormat, count: Int = 100_000, runs: Int = 3) {
        let data = Data(document(format, comments(count)).utf8)
        var parsed = 0
        let seconds = Measure.median(runs: runs) {
            parsed = (try? CommentFile.parse(data, path: "bench"))?.count ?? -1
        }
        Measure.report(["bench": "comments_parse_\(format.rawValue)", "comments_per_s": Double(count) / seconds,
                        "seconds": seconds, "comments": parsed, "megabytes": Double(data.count) / 1e6])
    }

    /// Times one tokenizer over `count` comment texts on the calling thread.
    static func tokenize(kind: TokenizerKind, count: Int = 100_000, runs: Int = 3) {
        let texts = comments(count).map(\.text)
        guard let tokenizer = try? kind.make() else {
            Measure.report(["bench": "comments_tokenize_\(kind.rawValue)", "error": "tokenizer unavailable"])
            return
        }
        var tokens = 0
        let seconds = Measure.median(runs: runs) {
            tokens = 0
            for text in texts { tokens += tokenizer.tokenize(text).count }
        }
        Measure.report(["bench": "comments_tokenize_\(kind.rawValue)", "comments_per_s": Double(count) / seconds,
                        "tokens_per_s": Double(tokens) / seconds, "seconds": seconds, "comments": count])
    }

    static func document(_ format: CommentFormat, _ comments: [Comment]) -> String {
        switch format {
        case .niconicoXML:
            return NiconicoXMLWriter.document(comments)
        case .bilibiliXML:
            let rows = comments.map { c in
                "<d p=\"\(Double(c.vpos) / 100),1,25,16777215,\(c.date),0,\(c.userID),\(c.number),10\">\(c.text)</d>"
            }
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><i><chatid>1</chatid>" + rows.joined(separator: "\n") + "</i>"
        case .niconicoJSON:
            let rows = comments.map { c in
                "{\"no\":\(c.number),\"vposMs\":\(c.vpos * 10),\"body\":\"\(c.text)\",\"commands\":[\(c.mail.map { "\"\($0)\"" }.joined(separator: ","))],"
                    + "\"userId\":\"\(c.userID)\",\"isPremium\":false,\"score\":0,\"postedAt\":\"2024-01-02T03:04:05+09:00\",\"nicoruCount\":0}"
            }
            return "{\"meta\":{\"status\":200},\"data\":{\"threads\":[{\"id\":\"1\",\"fork\":\"main\",\"comments\":[" + rows.joined(separator: ",") + "]}]}}"
        default:
            preconditionFailure("CommentsBench writes no \(format.rawValue) file")
        }
    }

    /// A one-hour dense thread, as a live recording or a popular video gives it: 300,000
    /// comments over 3,600 s (83 a second), 2 % of them mojibake, 1 % art, 1 % loops, written as
    /// Niconico XML to a temporary file, then read (parse and text repair), filtered and
    /// tokenised with MeCab as `train` does. Reports the time of each step and the peak resident
    /// memory above what the process held before.
    static func denseHour(count: Int = 300_000) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-bench-hour-\(getpid()).xml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generated = comments(count)
        for i in generated.indices {
            generated[i].vpos = Int(Double(i) / Double(count) * 360_000)
            switch i % 100 {
            case 0, 1: generated[i].text = String(String.UnicodeScalarView(generated[i].text.utf8.map { Unicode.Scalar($0) }))
            case 2: generated[i].text = "░▒▒▓▓▓▓\n░▒▒▓▓▓▓"
            case 3: generated[i].text = String(repeating: "遺影", count: 20)
            default: break
            }
        }
        guard (try? NiconicoXMLWriter.write(generated, to: path)) != nil, let tokenizer = try? TokenizerKind.mecab.make() else {
            Measure.report(["bench": "comments_hour_dense_300k", "error": "cannot write \(path) or start MeCab"])
            return
        }
        generated = []
        let megabytes = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1e6
        MediaBench.resetPeakMemory()
        let before = MediaBench.peakMemoryMB()
        let start = DispatchTime.now().uptimeNanoseconds
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        guard let file = try? CommentFile.contents(path: path) else {
            Measure.report(["bench": "comments_hour_dense_300k", "error": "cannot read \(path)"])
            return
        }
        let read = seconds(since: start)
        let tokenizeStart = DispatchTime.now().uptimeNanoseconds
        let kept = TrainingFilter().apply(file.comments).kept
        let normalizer = TextNormalizer()
        var tokens = 0
        for comment in kept { tokens += tokenizer.tokenize(normalizer.normalize(comment.text)).count }
        let tokenize = seconds(since: tokenizeStart)
        blackHole(tokens)
        Measure.report(["bench": "comments_hour_dense_300k", "comments": file.comments.count, "kept": kept.count,
                        "mojibake_repaired": file.repairs.mojibakeComments, "megabytes": megabytes, "read_s": read,
                        "filter_tokenize_s": tokenize, "total_s": read + tokenize, "tokens": tokens,
                        "peak_rss_mb": MediaBench.peakMemoryMB(), "rss_before_mb": before])
    }
}
