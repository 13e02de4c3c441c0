import ArgumentParser
import Foundation
import Pipeline

extension Danmaku {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on a video's comments: real frame and context, no context, shuffled frames.",
            discussion: """
                Perplexity of the real comments; the LiveBot ranking protocol (per frame up to \
                --candidates unique candidates: the frame's real comments, the 20 most popular, \
                the 20 nearest by TF-IDF, random fill; ranked by log-likelihood; a frame's rank \
                is its best real comment's): Recall@1/5/10, mean rank, MRR; BLEU-1…4 and \
                distinct-1/2 of one generated comment per frame. The model reads the real \
                comments shown before each frame as its context (models trained with \
                model.context_comments > 0). Everything again with no context (noContext; the \
                difference is contextGainMRR) and with the frame features shuffled across frames \
                and the real context (the difference is the visual grounding gain).
                """)

        @Argument(help: "The video file.")
        var video: String

        @Argument(help: "Its comment file.")
        var comments: String

        @OptionGroup var model: ModelOption

        @Option(parsing: .unconditional, help: "Frames evaluated at most (evenly spaced among those with comments).")
        var frames = 60

        @Option(parsing: .unconditional, help: "Candidates per frame.")
        var candidates = 100

        @OptionGroup var seed: SeedOption

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func validate() throws {
            try OptionRange.check(frames, "--frames", in: 1...Int.max)
            try OptionRange.check(candidates, "--candidates", in: 2...Int.max)
        }

        func run() throws {
            let bundle = try ModelBundle.load(path: model.resolve())
            var request = EvalRequest(video: video, comments: comments)
            request.maximumFrames = frames
            request.candidates = candidates
            request.seed = seed.value
            let report = try EvalPipeline.evaluate(request, bundle: bundle)
            guard json else {
                print(report.table)
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
