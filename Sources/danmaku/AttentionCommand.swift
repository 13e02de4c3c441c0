import ArgumentParser
import Pipeline

extension Danmaku {
    struct Attention: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw where an attention model looked while writing comments.",
            discussion: """
                For each time (--at, or every --every seconds) the model writes --comments \
                comments for the sampled frame; each comment gets a sheet PNG (the frame as the \
                model saw it, then one panel per token with its attention map upsampled \
                bilinearly and coloured with viridis, scaled to the comment's largest weight), \
                the raw attention weights as JSON, and index.html links them all. Models \
                trained with show_and_tell have no attention and are refused.
                """)

        @Argument(help: "The video file.")
        var video: String

        @OptionGroup var model: ModelOption

        @Option(parsing: .upToNextOption, help: "Times in the video, one or more: SS, M:SS or H:MM:SS, with decimals (83.5, 1:23, 0:01:23.5).")
        var at: [Timestamp] = []

        @Option(parsing: .unconditional, help: "A time every this many seconds instead of --at.")
        var every: Double?

        @Option(name: [.customShort("o"), .customLong("output")], help: "The output folder.")
        var output = "attention"

        @Option(parsing: .unconditional, help: "Comments generated per time.")
        var comments = 3

        @OptionGroup var seed: SeedOption

        func validate() throws {
            guard at.isEmpty != (every == nil) else { throw ValidationError("give either --at TIME … or --every SECONDS") }
            // Times are centiseconds; a finer step only repeats sheets.
            try OptionRange.check(every, "--every", in: 0.01 ... .greatestFiniteMagnitude, shown: "at least 0.01 seconds")
            try OptionRange.check(comments, "--comments", in: 1...100)
        }

        func run() throws {
            let bundle = try ModelBundle.load(path: model.resolve())
            var request = AttentionRequest(video: video, times: at.map(\.seconds), output: output)
            request.every = every
            request.comments = comments
            request.seed = seed.value
            let sheets = try AttentionPipeline.draw(request, bundle: bundle)
            print("\(sheets.count) sheets in \(output)/index.html")
        }
    }
}
