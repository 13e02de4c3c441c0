// `danmaku train VIDEO COMMENTS [COMMENTS …] [VIDEO COMMENTS …]`: learns to comment, writes a model bundle.
import ArgumentParser
import Foundation
import Pipeline

extension Danmaku {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn to write comments from videos and their comment files; writes a model bundle.",
            discussion: """
                Samples every video at the recipe's fps and computes VGG features (cached), reads, \
                filters, normalises and tokenises the comments, puts each on the sampled frame at \
                its time (plus --lag), splits by contiguous time blocks into training and \
                development sets, and trains the recipe's captioner. The bundle (recipe.yaml, \
                vocab.tsv, weights.safetensors, the optimiser checkpoint, stats.json, \
                training-log.jsonl, report.html) is written to a temporary directory and renamed \
                into place when complete. Ctrl-C stops after the current batch and writes the \
                bundle with the best weights so far; --resume continues from its checkpoint. \
                A video may have several comment files: every file after a video up to the next \
                video (told by its content) is one of its comment files; a comment in more than \
                one of them counts once.
                """)

        @Argument(help: "VIDEO COMMENTS [COMMENTS …] [VIDEO COMMENTS …] (comments: Niconico XML/JSON, yt-dlp, niconicomments, Bilibili XML/protobuf).")
        var files: [String]

        @Option(name: .shortAndLong, help: "The model bundle to write.")
        var output: String = "model.danmaku"

        @Option(help: "A built-in recipe (show-attend-tell, show-and-tell) or a recipe YAML file.")
        var pipeline: String?

        @Option(name: .customLong("set"), help: ArgumentHelp("Override one recipe setting (repeatable).", valueName: "key=value"))
        var overrides: [String] = []

        @Option(parsing: .unconditional, help: "The most epochs to train (sets training.epochs; by default the development loss decides when to stop).")
        var epochs: Int?

        @Option(parsing: .unconditional, help: "Seconds added to each comment's time before it is matched to a frame, may be negative (sets comments.lag).")
        var lag: Double?

        @OptionGroup var seed: SeedOption

        @Flag(help: "Continue training the bundle at --output from its checkpoint (its recipe is kept; --epochs raises the total).")
        var resume = false

        @OptionGroup var cache: CacheOption

        func validate() throws {
            guard files.count >= 2 else {
                throw ValidationError("expected pairs of VIDEO COMMENTS (a video may be followed by several comment files), got \(files.count) file\(files.count == 1 ? "" : "s")")
            }
            try OptionRange.check(epochs, "--epochs", in: 1...Int.max)
            // A lag of a day is no lag any comment file has.
            try OptionRange.check(lag, "--lag", in: -86_400...86_400, shown: "in -86400...86400 seconds")
            if resume && pipeline != nil { throw ValidationError("--resume keeps the bundle's recipe; leave out --pipeline") }
        }

        func run() throws {
            var recipe = resume ? try ModelBundle.load(path: output).recipe : try Recipe.resolve(pipeline, overrides: [])
            var all = overrides
            if let epochs { all.append("training.epochs=\(epochs)") }
            if let lag { all.append("comments.lag=\(lag)") }
            if let seed = seed.seed { all += ["training.seed=\(seed)", "dataset.seed=\(seed)"] }
            try recipe.apply(all)
            var request = TrainRequest(pairs: try TrainingPair.group(files), recipe: recipe, output: output)
            request.resume = resume
            request.useCache = cache.useCache

            let interrupt = Interrupt(message: "stopping after the current batch (Ctrl-C again to quit now)")
            defer { interrupt.stop() }
            let view = ProgressView(epochLimit: recipe.training.epochs)
            let summary = try TrainPipeline.train(request, progress: view.report, shouldStop: { interrupt.isRequested })
            view.finish()
            let stats = summary.stats
            var lines = [
                "bundle    \(summary.bundle)",
                "recipe    \(recipe.name): \(recipe.model.kind.recipeName) on \(stats.layer) at \(recipe.video.fps) fps",
                "data      \(stats.trainExamples) training comments on \(stats.trainFrames) frames, \(stats.devExamples) dev comments on \(stats.devFrames) frames, vocabulary \(summary.vocabularySize)",
            ]
            if let last = summary.history.last {
                // Without dev comments the training loss picks the best epoch; no dev loss is shown.
                let dev = stats.devExamples > 0 ? String(format: "dev %.3f", last.devLoss) : "no dev comments"
                lines.append(String(format: "loss      epoch %d (step %d): train %.3f, %@; best epoch %d; stopped: %@",
                                    last.epoch, last.step, last.trainLoss, dev, stats.bestEpoch, stats.stop))
            }
            if let gate = stats.contextGate(in: summary.history) {
                let use = gate.followed ? "followed" : "left open (no better than chance on pictures it has not seen)"
                lines.append(String(format: "gate      own thread against another's on the dev blocks: AUC %.2f (0.5 is chance); %@", gate.agreement, use))
            }
            lines.append(String(format: "time      %.1f s", summary.seconds))
            lines.append("report    \(summary.bundle)/report.html")
            print(lines.joined(separator: "\n"))
        }
    }
}
