// `danmaku render --comments` with the options beyond Niconico's rules, on clips and comment
// files the tests write, checked through the `--ass` export of the same layout and ffprobe.
import Foundation
import TestSupport
import Testing

/// One ASS event as the tests read it back.
struct ASSEvent {
    var start: Double, end: Double
    var x0: Double, y0: Double, x1: Double, y1: Double
    var fontSize: Double
    var text: String

    /// Where the event's anchor is at `time` (a `\move` without times runs over the whole event).
    func x(at time: Double) -> Double { end > start ? x0 + (x1 - x0) * (time - start) / (end - start) : x0 }

    static func parse(_ script: String) -> [ASSEvent] {
        func seconds(_ text: Substring) -> Double {
            let parts = text.split(separator: ":")
            return Double(parts[0])! * 3600 + Double(parts[1])! * 60 + Double(parts[2])!
        }
        return script.split(separator: "\n").filter { $0.hasPrefix("Dialogue:") }.map { line in
            let fields = line.split(separator: ",", maxSplits: 9, omittingEmptySubsequences: false)
            let body = String(fields[9])
            let numbers = { (name: String) -> [Double] in
                guard let range = body.range(of: "\\\(name)(") else { return [] }
                let rest = body[range.upperBound...]
                return rest[..<rest.firstIndex(of: ")")!].split(separator: ",").map { Double($0)! }
            }
            let move = numbers("move"), pos = numbers("pos")
            let place = move.isEmpty ? [pos[0], pos[1], pos[0], pos[1]] : Array(move[0..<4])
            let size = body.range(of: "\\fs").map { range in Double(body[range.upperBound...].prefix { $0.isNumber || $0 == "." })! } ?? 0
            return ASSEvent(start: seconds(fields[1]), end: seconds(fields[2]), x0: place[0], y0: place[1], x1: place[2], y1: place[3],
                            fontSize: size, text: String(body[body.index(after: body.firstIndex(of: "}")!)...]))
        }
    }

    /// The most events on screen at one instant.
    static func mostAtOnce(_ events: [ASSEvent]) -> Int {
        let changes = events.flatMap { [($0.start, 1), ($0.end, -1)] }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var current = 0, most = 0
        for change in changes {
            current += change.1
            most = max(most, current)
        }
        return most
    }
}

@Suite struct RenderOptionsCLITests {
    static let texts = ["草", "www", "きたああああ", "ここすき", "8888", "かわいい", "この曲好きだったなあ", "神回", "初見です", "うぽつ"]

    /// A Niconico XML thread of `count` comments over `seconds`, some top, bottom and red, many repeated.
    static func writeThread(_ path: String, count: Int, seconds: Double) throws {
        var xml = "<packet>\n"
        for index in 0..<count {
            let mail = index % 10 == 3 ? "ue" : index % 10 == 7 ? "shita" : index % 13 == 5 ? "red" : ""
            let vpos = Int(Double(index) / Double(count) * seconds * 100)
            xml += "<chat no=\"\(index + 1)\" vpos=\"\(vpos)\" mail=\"\(mail)\" user_id=\"u\(index)\">\(texts[index * 7 % texts.count])</chat>\n"
        }
        try Data((xml + "</packet>\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Renders `arguments` over a 20 s thread of 300 comments and returns the summary and the ASS events.
    static func render(_ arguments: [String], in directory: TemporaryDirectory) throws -> (stdout: String, events: [ASSEvent]) {
        let clip = directory.file("clip.mp4"), thread = directory.file("thread.xml"), ass = directory.file("out-\(UUID().uuidString).ass")
        if !FileManager.default.fileExists(atPath: clip) {
            try makeGreyClip(clip, seconds: 20)
            try writeThread(thread, count: 300, seconds: 20)
        }
        let result = try runDanmaku(["render", clip, "--comments", thread, "--ass", ass, "--html", directory.file("page.html")] + arguments)
        try #require(result.status == 0, "\(result.stderr)")
        return (result.stdout, ASSEvent.parse(try String(contentsOfFile: ass, encoding: .utf8)))
    }

    @Test func maxOnScreenNeverShowsMoreAndCountsTheDropped() throws {
        let directory = try TemporaryDirectory()
        let plain = try Self.render([], in: directory)
        try #require(ASSEvent.mostAtOnce(plain.events) > 15, "the thread must be crowded")
        let limited = try Self.render(["--max-on-screen", "10"], in: directory)
        #expect(ASSEvent.mostAtOnce(limited.events) <= 10)
        let dropped = plain.events.count - limited.events.count
        #expect(dropped > 0 && limited.stdout.contains("dropped   \(dropped) max-on-screen"), "\(limited.stdout)")
        let queued = try Self.render(["--max-on-screen", "10", "--queue"], in: directory)
        #expect(ASSEvent.mostAtOnce(queued.events) <= 10 && queued.events.count > limited.events.count)
        #expect(queued.stdout.contains("comments waited for room (--queue)"))
        #expect(!plain.stdout.contains("dropped"), "nothing is dropped by default")
    }

    @Test func protectBottomAndStyleOptions() throws {
        let directory = try TemporaryDirectory()
        let plain = try Self.render([], in: directory)
        #expect(plain.events.contains { $0.y0 + $0.fontSize > 180 * 0.8 })
        let protected = try Self.render(["--protect-bottom", "0.2"], in: directory)
        #expect(protected.events.count == plain.events.count)
        #expect(protected.events.allSatisfy { $0.y0 + $0.fontSize <= 180 * 0.8 + 0.5 }, "no text box in the bottom 20 %")
        let styled = try Self.render(["--opacity", "0.5", "--scroll-seconds", "6", "--font-scale", "1.5", "--no-overlap"], in: directory)
        let scrolling = styled.events.filter { $0.x0 != $0.x1 }
        #expect(scrolling.allSatisfy { abs($0.end - $0.start - 6) < 0.02 || $0.start == 0 }, "scrolling comments stay 6 s")
        #expect(styled.events.map(\.fontSize).max()! > plain.events.map(\.fontSize).max()! * 1.4)
        #expect(try String(contentsOfFile: directory.file("page.html"), encoding: .utf8).contains("\"o\":0.5"))
        #expect(styled.stdout.contains("no free band"), "a crowded thread at 1.5× size without overlap drops comments: \(styled.stdout)")
    }

    @Test func mergeDuplicatesDrawsOnceWithTheCount() throws {
        let directory = try TemporaryDirectory()
        let plain = try Self.render([], in: directory)
        let merged = try Self.render(["--merge-duplicates", "4"], in: directory)
        #expect(merged.events.count < plain.events.count / 2)
        #expect(merged.events.contains { $0.text.contains("×") })
        #expect(merged.stdout.contains("dropped   \(plain.events.count - merged.events.count) merged duplicates"), "\(merged.stdout)")
        let grown = try Self.render(["--merge-duplicates", "4", "--merge-style", "grow"], in: directory)
        #expect(!grown.events.contains { $0.text.contains("×") } && grown.events.map(\.fontSize).max()! > plain.events.map(\.fontSize).max()!)
    }

    @Test func blockAndFiltersCountEachReason() throws {
        let directory = try TemporaryDirectory()
        let list = directory.file("block.txt")
        try Data("# my block list\n^www$\n\nうぽつ\n".utf8).write(to: URL(fileURLWithPath: list))
        let plain = try Self.render([], in: directory)
        let filtered = try Self.render(["--block", "top,colour", "--filter", "草", "--filter-file", list], in: directory)
        #expect(!filtered.events.contains { ["草", "www", "うぽつ"].contains($0.text) })
        #expect(!filtered.events.contains { $0.x0 == $0.x1 && $0.y0 < 20 }, "no top comment")
        #expect(filtered.stdout.contains("filtered") && filtered.stdout.contains("blocked (top)") && filtered.stdout.contains("blocked (colour)"))
        let reasons = filtered.stdout.split(separator: "\n").first { $0.hasPrefix("dropped") }!
        let total = reasons.dropFirst(10).split(separator: ",").map { Int($0.split(separator: " ")[0])! }.reduce(0, +)
        #expect(total == plain.events.count - filtered.events.count, "\(reasons)")

        let bad = try runDanmaku(["render", directory.file("clip.mp4"), "--comments", directory.file("thread.xml"), "--filter", "(unclosed"])
        #expect(bad.status == 64 && bad.stderr.contains("--filter '(unclosed' is not a regular expression"), "\(bad.stderr)")
        let missing = try runDanmaku(["render", directory.file("clip.mp4"), "--comments", directory.file("thread.xml"),
                                      "--filter-file", directory.file("none.txt"), "--html", directory.file("x.html")])
        #expect(missing.status == 1 && missing.stderr.contains("none.txt"), "\(missing.stderr)")
        let kind = try runDanmaku(["render", directory.file("clip.mp4"), "--comments", directory.file("thread.xml"), "--block", "top,side"])
        #expect(kind.status == 64 && kind.stderr.contains("unknown kind 'side'"), "\(kind.stderr)")
    }

    @Test func bilibiliModesFourToSevenAreDrawnAndScriptsCounted() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), file = directory.file("bili.xml"), ass = directory.file("bili.ass")
        try makeGreyClip(clip, seconds: 6)
        let rows = [
            #"<d p="1.0,1,25,16777215,0,0,a,1">普通</d>"#,
            #"<d p="1.0,4,25,16777215,0,0,a,2">下です</d>"#,
            #"<d p="1.0,5,25,16777215,0,0,a,3">上です</d>"#,
            #"<d p="1.0,6,25,16777215,0,0,a,4">逆走</d>"#,
            #"<d p="1.5,7,25,16711680,0,0,a,5">[100,50,"0.8-0.8",3,"高級",0,0,400,250,2000,500]</d>"#,
            #"<d p="1.5,7,25,16777215,0,0,a,6">[0.5,0.5,"1-0",2,"回る",30,0]</d>"#,
            #"<d p="2.0,7,25,16777215,0,0,a,7">not json</d>"#,
            #"<d p="2.0,8,25,16777215,0,0,a,8">var a = 1;</d>"#,
            #"<d p="2.0,9,25,16777215,0,0,a,9">code</d>"#,
        ]
        try Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><i>" + rows.joined() + "</i>").utf8).write(to: URL(fileURLWithPath: file))
        let result = try runDanmaku(["render", clip, "--comments", file, "--ass", ass, "--html", directory.file("bili.html")])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("dropped   1 mode 7 unreadable, 1 mode 8 script, 1 mode 9 script"), "\(result.stdout)")
        #expect(result.stdout.contains("mode 7    not drawn: 1 fade (drawn at its starting alpha), 1 rotation"), "\(result.stdout)")
        let events = ASSEvent.parse(try String(contentsOfFile: ass, encoding: .utf8))
        let byText = Dictionary(events.map { ($0.text, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(events.count == 6)
        let bottom = try #require(byText["下です"]), top = try #require(byText["上です"])
        #expect(bottom.x0 == bottom.x1 && bottom.y0 > 140 && top.x0 == top.x1 && top.y0 < 60, "mode 4 at the bottom, 5 at the top")
        let reverse = try #require(byText["逆走"]), normal = try #require(byText["普通"])
        #expect(reverse.x0 < 0 && reverse.x1 > 300 && normal.x0 > 300 && normal.x1 < 0, "mode 6 runs left to right")
        let positioned = try #require(byText["高級"])
        // 672x438 fitted into 320x180: zoom 180/438, centred: x offset (320 − 672·zoom)/2.
        let zoom = 180.0 / 438, left = (320 - 672 * zoom) / 2
        #expect(abs(positioned.x0 - (left + 100 * zoom)) < 3 && abs(positioned.x1 - (left + 400 * zoom)) < 3)
        #expect(positioned.y1 > positioned.y0 + 70 && abs(positioned.end - positioned.start - 3) < 0.02)
        let script = try String(contentsOfFile: ass, encoding: .utf8)
        #expect(script.contains(",500,2500)") && script.contains("\\alpha&H33&"), "move after 0.5 s for 2 s; alpha 0.8")
    }

    @Test func fps60RepeatsFramesKeepsDurationAndAudioPackets() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), thread = directory.file("thread.xml"), output = directory.file("out60.mp4")
        try makeGreyClip(clip, seconds: 4, fps: 30)
        try Self.writeThread(thread, count: 20, seconds: 4)
        let result = try runDanmaku(["render", clip, "--comments", thread, "-o", output, "--fps", "60", "--preset", "ultrafast"])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("frames    240"))
        func probe(_ path: String) throws -> [[String: Any]] {
            let out = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
            return try #require(json["streams"] as? [[String: Any]])
        }
        let source = try probe(clip), burned = try probe(output)
        #expect(burned[0]["r_frame_rate"] as? String == "60/1" && burned[0]["nb_read_frames"] as? String == "240")
        #expect(source[0]["nb_read_frames"] as? String == "120")
        let sourceDuration = Double(source[0]["duration"] as? String ?? "") ?? 0, burnedDuration = Double(burned[0]["duration"] as? String ?? "") ?? -1
        #expect(abs(sourceDuration - burnedDuration) < 0.02, "video duration \(burnedDuration) s vs \(sourceDuration) s")
        func audioPackets(_ path: String) throws -> String {
            try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "a", "-show_packets", "-show_data_hash", "md5",
                                                "-show_entries", "packet=pts,dts,duration,size,data_hash", "-of", "csv", path]).stdout
        }
        let audio = try audioPackets(clip)
        let copied = try audioPackets(output)
        #expect(!audio.isEmpty && audio == copied, "audio packets are copied unchanged")
        // The comments move on every output frame: consecutive 60 fps frames differ.
        func frameHash(_ index: Int) throws -> String {
            try ffmpeg(["-i", output, "-vf", "select=eq(n\\,\(index))", "-frames:v", "1", "-f", "md5", "-"]).stdout
        }
        #expect(try frameHash(60) != (try frameHash(61)), "frames 60 and 61 (one source frame) differ by the comments' motion")
    }
}
