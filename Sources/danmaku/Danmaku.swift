// The danmaku command line: parses arguments, calls Pipeline, shows progress on stderr and
// maps errors to exit codes. No maths lives here.
import ArgumentParser
import Foundation
import Logging

@main
struct Danmaku: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "danmaku",
        abstract: "Learn to write Niconico-style scrolling comments for video, and burn them in.",
        discussion: """
            The workflow:
              danmaku train EPISODE.mp4 COMMENTS.xml    learn from a video's comments (writes model.danmaku)
              danmaku render OTHER.mp4                  comment an unseen video (OTHER.danmaku.mp4, .xml)
              danmaku attention OTHER.mp4 --at 1:23     where the model looked, per word

            Logs and progress go to stderr; results go to stdout or to files.
            Exit status: 0 success, 1 bad input or a failed run, 64 usage error.
            """,
        version: DanmakuVersion.string,
        subcommands: [Probe.self, Tokenize.self, Features.self, Train.self, Render.self, Attention.self, Eval.self]
    )

    static func main() {
        Diagnostics.bootstrap()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withFailure: error)
        }
    }

    /// Prints help and version requests to stdout, and every failure as one line on stderr.
    static func exit(withFailure error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        if let usage = Diagnostics.usageMessage(for: error, commandMessage: message(for: error)) {
            Diagnostics.emit("error: \(usage) (see 'danmaku --help')")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        Diagnostics.emit("error: \(Diagnostics.describe(error))")
        Foundation.exit(code == .validationFailure ? ExitCode.validationFailure.rawValue : 1)
    }
}

/// The version `danmaku --version` prints.
enum DanmakuVersion {
    static let string = "0.1.0"
}
