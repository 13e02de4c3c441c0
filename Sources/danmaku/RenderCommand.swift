// `danmaku render VIDEO --comments FILE`: comments burned into the video, Niconico style.
import ArgumentParser
import Comments
import Foundation
import Pipeline

extension Danmaku {
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Burn comments into a video, scrolling the way Niconico draws them.",
            discussion: """
                Reads the comments (Niconico XML or JSON, Bilibili XML; the format is read from \
                the content), lays them out by Niconico's rules with the font's true text \
                widths, draws them with an outline onto every frame at the video's own \
                resolution, and re-encodes with x264. The frame rate, the size and the audio \
                (copied unchanged) are kept. The output is written under a temporary name and \
                renamed when complete; Ctrl-C stops and leaves nothing behind.
                """)

        @Argument(help: "The video file.")
        var video: String

        @Option(help: "The comment file to burn in.")
        var comments: String

        @Option(name: .shortAndLong, help: "The output video (default: VIDEO.danmaku.mp4 beside the input).")
        var output: String?

        @Option(help: "A font file (TTF/OTF/TTC); default: the bundled IPAex Gothic.")
        var font: String?

        @Option(name: .customLong("fallback-font"), help: "A second font for characters the first one lacks.")
        var fallbackFont: String?

        @Option(help: "x264 constant rate factor, 0–51 (lower: better and bigger).")
        var crf: Int = 23

        @Option(help: "x264 preset (ultrafast … veryslow).")
        var preset: String = "veryfast"

        @Option(help: "Also write the same layout as ASS subtitles to this file.")
        var ass: String?

        @Option(help: "Seeds the heights chosen when the screen is full.")
        var seed: UInt64 = 1

        func validate() throws {
            guard (0...51).contains(crf) else { throw ValidationError("--crf must be in 0...51, got \(crf)") }
        }

        func run() throws {
            let loaded = try CommentFile.load(path: comments)
            var options = BurnOptions()
            options.font = font
            options.fallbackFont = fallbackFont
            options.crf = crf
            options.preset = preset
            options.seed = seed
            options.assPath = ass
            let target = output ?? BurnPipeline.defaultOutput(for: video)
            let interrupt = Interrupt(message: "stopping after the current frame (Ctrl-C again to quit now)")
            defer { interrupt.stop() }
            var bar: ProgressBar?
            let result = try BurnPipeline.burn(video: video, comments: loaded, output: target, options: options,
                                               progress: { done, expected in
                                                   if bar == nil { bar = ProgressBar("render", unit: "frames", total: expected) }
                                                   bar?.update(done)
                                               },
                                               shouldStop: { interrupt.isRequested })
            bar?.finish(result.frames)
            var lines = ["output    \(result.output)",
                         "frames    \(result.frames)",
                         "comments  \(result.commentsShown) shown, \(result.commentsHidden) not drawn"]
            if let ass { lines.append("ass       \(ass)") }
            print(lines.joined(separator: "\n"))
        }
    }
}
