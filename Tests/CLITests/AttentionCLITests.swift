// `danmaku attention` on the built binary: sheets and index.html, and the refusals.
import Foundation
import TestSupport
import Testing

/// A one-epoch bundle trained on Samples/other through the CLI (extra arguments appended).
func quickCLIBundle(in directory: TemporaryDirectory, name: String = "m.danmaku", _ extra: [String] = []) throws -> String {
    let bundle = directory.file(name)
    let trained = try runDanmaku(["train", Project.sample("other.mp4"), Project.sample("other.xml"), "-o", bundle, "--epochs", "1"] + extra + quickSettings)
    #expect(trained.status == 0, "\(trained.stderr)")
    return bundle
}

@Suite(.serialized) struct AttentionCLITests {
    @Test("writes sheets, α JSON and an index.html that references only existing files")
    func sheets() throws {
        let directory = try TemporaryDirectory()
        let bundle = try quickCLIBundle(in: directory)
        let output = directory.file("att")
        let result = try runDanmaku(["attention", Project.sample("other.mp4"), "-m", bundle, "--at", "1", "5", "-o", output, "--comments", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("4 sheets"), "\(result.stdout)")
        let html = try String(contentsOfFile: output + "/index.html", encoding: .utf8)
        let references = html.matches(of: /(?:href|src)="([^"]+)"/).map { String($0.1) }
        #expect(references.filter { $0.hasSuffix(".png") }.count == 8)
        #expect(references.filter { $0.hasSuffix(".json") }.count == 4)
        for reference in references { #expect(FileManager.default.fileExists(atPath: output + "/" + reference), "\(reference)") }
        // Each comment read those written before it within 10 s: 0, 1, 2 and 3 comments.
        let contexts = try ["t0001.00-01", "t0001.00-02", "t0005.00-01", "t0005.00-02"].map { stem in
            let values = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/\(stem).json"))) as? [String: Any]
            return (values?["context"] as? [String])?.count ?? -1
        }
        #expect(contexts == [0, 1, 2, 3], "context sizes \(contexts)")

        let sat = try quickCLIBundle(in: directory, name: "sat.danmaku", ["--pipeline", "show-and-tell"])
        let refused = try runDanmaku(["attention", Project.sample("other.mp4"), "-m", sat, "--at", "1", "-o", directory.file("x")])
        #expect(refused.status == 1)
        #expect(errorLines(refused).count == 1)
        #expect(refused.stderr.contains("show_and_tell and has no attention"), "\(refused.stderr)")
    }

    @Test("--at and --every are exclusive; one of them is needed", arguments: [
        ["attention", "v.mp4", "-m", "m.danmaku"],
        ["attention", "v.mp4", "-m", "m.danmaku", "--at", "1", "--every", "2"],
        ["attention", "v.mp4", "-m", "m.danmaku", "--every", "0"],
    ])
    func usage(arguments: [String]) throws {
        let result = try runDanmaku(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(errorLines(result).count == 1, "\(result.stderr)")
    }
}
