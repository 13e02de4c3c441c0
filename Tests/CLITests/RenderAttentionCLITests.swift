// `danmaku render VIDEO -m MODEL --attention-dir DIR` on the built binary: a sheet for every
// comment burned in, the same comments as without the option, and the refusals.
import Comments
import Foundation
import Media
import Pipeline
import TestSupport
import Testing

@Suite(.serialized) struct RenderAttentionCLITests {
    @Test("--attention-dir: one decodable sheet and α JSON per comment of the XML, in index.html; the same comments as without it")
    func sheetsForEveryComment() throws {
        let directory = try TemporaryDirectory()
        let clip = Project.sample("other.mp4")
        let bundle = try quickCLIBundle(in: directory)
        let sheets = directory.file("sheets")
        let common = ["render", clip, "-m", bundle, "--seed", "3", "--density", "0.3"]
        let drawn = try runDanmaku(common + ["-o", directory.file("a.mp4"), "--attention-dir", sheets])
        try #require(drawn.status == 0, "\(drawn.stderr)")
        let plain = try runDanmaku(common + ["-o", directory.file("b.mp4")])
        try #require(plain.status == 0, "\(plain.stderr)")

        let generated = try CommentFile.load(path: directory.file("a.xml"))
        try #require(!generated.isEmpty)
        let without = try CommentFile.load(path: directory.file("b.xml"))
        #expect(generated.map(\.vpos) == without.map(\.vpos) && generated.map(\.text) == without.map(\.text),
                "--attention-dir changed the comments")
        #expect(drawn.stdout.contains("attention \(generated.count) sheets"), "\(drawn.stdout)")

        // index.html links, per comment in the XML's order, its α JSON and its sheet (twice: link and image).
        let html = try String(contentsOfFile: sheets + "/index.html", encoding: .utf8)
        let references = html.matches(of: /(?:href|src)="([^"]+)"/).map { String($0.1) }
        for reference in references { #expect(FileManager.default.fileExists(atPath: sheets + "/" + reference), "\(reference)") }
        let jsons = references.filter { $0.hasSuffix(".json") }
        let pngs = Set(references.filter { $0.hasSuffix(".png") })
        #expect(jsons.count == generated.count && pngs.count == generated.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: sheets)
        #expect(files.filter { $0.hasSuffix(".png") }.count == generated.count)
        for png in pngs {
            let image = try PNG.decode(path: sheets + "/" + png)
            #expect(image.width >= 224 && image.height > 224, "\(png)")
        }
        for (json, chat) in zip(jsons, generated) {
            let values = try JSONDecoder().decode(AttentionValues.self, from: Data(contentsOf: URL(fileURLWithPath: sheets + "/" + json)))
            #expect(values.text == chat.text && Int((values.time * 100).rounded()) == chat.vpos, "\(json): \(values.text) at \(values.time) s")
            #expect(html.contains(String(format: "%.2f s", values.time)))
            #expect(values.alphas.count >= values.tokens.count)
            for alpha in values.alphas {
                #expect(alpha.count == values.side * values.side)
                #expect(abs(alpha.reduce(0, +) - 1) < 1e-3, "\(json)")
            }
        }
    }

    @Test("--attention-dir is refused for a show_and_tell model before any work, and is a usage error with --comments")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let clip = Project.sample("other.mp4")
        let bundle = try quickCLIBundle(in: directory, name: "sat.danmaku", ["--pipeline", "show-and-tell"])
        let refused = try runDanmaku(["render", clip, "-m", bundle, "-o", directory.file("out.mp4"), "--attention-dir", directory.file("sheets")])
        #expect(refused.status == 1)
        let lines = errorLines(refused)
        #expect(lines.count == 1 && lines[0].contains("sat.danmaku: the model is show_and_tell and has no attention"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("generate"), "no comment is generated before the refusal: \(refused.stderr)")
        for file in ["out.mp4", "out.xml", "sheets"] { #expect(!FileManager.default.fileExists(atPath: directory.file(file)), "\(file)") }

        let usage = try runDanmaku(["render", clip, "--comments", Project.sample("other.xml"), "--attention-dir", directory.file("sheets")])
        #expect(usage.status == 64)
        let usageLines = errorLines(usage)
        #expect(usageLines.count == 1 && usageLines[0].contains("--attention-dir need -m MODEL"), "\(usage.stderr)")
    }
}
