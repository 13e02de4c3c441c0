import Foundation
import TestSupport
import Testing

@Suite("danmaku root command")
struct RootCLITests {
    @Test("--help describes the workflow and exits 0")
    func help() throws {
        let result = try runDanmaku(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: danmaku"))
        #expect(result.stdout.contains("danmaku train EPISODE.mp4 COMMENTS.xml"))
        #expect(result.stdout.contains("danmaku attention"))
    }

    @Test("--version prints the version")
    func version() throws {
        let result = try runDanmaku(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test("a usage error is one line on stderr with exit status 64")
    func usageError() throws {
        let result = try runDanmaku(["--no-such-option"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("danmaku: error: ") == true)
        #expect(result.stderr.contains("--no-such-option"))
    }
}
