// `danmaku probe FILE [--json]`: what a video file holds, as a table or as JSON.
import ArgumentParser
import Media

extension Danmaku {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a video's size, frame rate, codec, duration and audio streams.",
            discussion: "Reads the file with FFmpeg, as every other command does; exits 1 when it cannot.")

        @Argument(help: "The video file.")
        var file: String

        @Flag(help: "Print JSON (the keys of VideoProbe) instead of a table.")
        var json = false

        func run() throws {
            let probe = try VideoReader(path: file).probe
            print(json ? probe.json : probe.table(file: file))
        }
    }
}
