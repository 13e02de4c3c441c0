// `danmaku render --html`: the page is loaded in headless Chromium (Debian's `chromium`,
// installed by `make test`), seeked with `#t=`, and the comments the DOM shows are compared
// with the layout's ASS export of the same run.
import Foundation
import TestSupport
import Testing

@Suite struct RenderHTMLCLITests {
    static let chromium = "/usr/bin/chromium"

    /// The page's DOM after it has drawn the moment `seconds`.
    static func dom(_ page: String, at seconds: Double) throws -> String {
        let result = try runProcess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                                               "--dump-dom", "file://\(page)#t=\(seconds)"])
        try #require(result.status == 0, "chromium: \(result.stderr)")
        return result.stdout
    }

    /// The shown comments: text and the translation the page applies (the ASS anchor), from the DOM.
    static func shown(_ dom: String) throws -> [(text: String, x: Double, y: Double)] {
        let pattern = try Regex(#"<div class="comment" data-index="\d+" data-x="[-\d.]+" data-y="-?\d+" style="[^"]*transform: translate\(([-\d.]+)px, ([-\d.]+)px\);">([^<]*)</div>"#)
        return dom.matches(of: pattern).map { match in
            (String(match.output[3].substring!), Double(match.output[1].substring!)!, Double(match.output[2].substring!)!)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: chromium), "needs Debian's chromium (make test installs it)"))
    func thePageShowsTheLayoutsCommentsWhereItSays() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), thread = directory.file("thread.xml"), ass = directory.file("out.ass")
        let page = directory.file("player/page.html")
        try FileManager.default.createDirectory(atPath: directory.file("player"), withIntermediateDirectories: true)
        try makeGreyClip(clip, seconds: 12)
        try RenderOptionsCLITests.writeThread(thread, count: 120, seconds: 12)
        let result = try runDanmaku(["render", clip, "--comments", thread, "--ass", ass, "--html", page])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("html      \(page)") && !result.stdout.contains("output"), "--html alone encodes no video")
        #expect(!FileManager.default.fileExists(atPath: directory.file("clip.danmaku.mp4")))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains(#"src="../clip.mp4""#), "the video is linked relative to the page")
        #expect(html.contains("@font-face { font-family: \"danmaku\"; src: url(data:font/ttf;base64,"), "the bundled font is embedded")

        let events = ASSEvent.parse(try String(contentsOfFile: ass, encoding: .utf8))
        for time in [2.255, 6.505, 10.005] {
            let expected = events.filter { $0.start <= time && time < $0.end }
            let seen = try Self.shown(try Self.dom(page, at: time))
            try #require(expected.count >= 8, "t \(time): the moment must be busy")
            #expect(seen.count == expected.count, "t \(time): \(seen.count) comments shown, the layout has \(expected.count)")
            var unmatched = expected
            for comment in seen {
                let index = unmatched.firstIndex { $0.text == comment.text && abs($0.x(at: time) - comment.x) < 0.6 && abs($0.y0 - comment.y) < 1 }
                #expect(index != nil, "t \(time): \(comment) is not where the layout puts it")
                if let index { unmatched.remove(at: index) }
            }
        }
    }
}
