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

        @Option(help: "The most epochs to train (sets training.epochs; by default the development loss decides when to stop).")
        var epochs: Int?

        @Option(parsing: .unconditional, help: "Seconds added to each comment's time before it is matched to a frame, may be negative (sets comments.lag).")
        var lag: Double?

        @Option(help: "Seeds initialisation, shuffling, dropout and the split (sets training.seed and dataset.seed).")
        var seed: UInt64?

        @Flag(help: "Continue training the bundle at --output from its checkpoint (its recipe is kept; --epochs raises the total).")
        var resume = false

        @Flag(name: .customLong("no-cache"), help: "Neither read nor write the feature cache.")
        var noCache = false

        func validate() throws {
            guard files.count >= 2 else {
                throw ValidationError("expected pairs of VIDEO COMMENTS (a video may be followed by several comment files), got \(files.count) file\(files.count == 1 ? "" : "s")")
            }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
            if resume && pipeline != nil { throw ValidationError("--resume keeps the bundle's recipe; leave out --pipeline") }
        }

        func run() throws {
            var recipe = resume ? try ModelBundle.load(path: output).recipe : try Recipe.resolve(pipeline, overrides: [])
            var all = overrides
            if let epochs { all.append("training.epochs=\(epochs)") }
            if let lag { all.append("comments.lag=\(lag)") }
            if let seed { all += ["training.seed=\(seed)", "dataset.seed=\(seed)"] }
            try recipe.apply(all)
            var request = TrainRequest(pairs: try TrainingPair.group(files), recipe: recipe, output: output)
            request.resume = resume
            request.useCache = !noCache

            let interrupt = Interrupt(message: "stopping after the current batch (Ctrl-C again to quit now)")
            defer { interrupt.stop() }
            var featureBar: ProgressBar?
            var featureVideo = -1
            var trainBar: ProgressBar?
            var trainEpoch = 0
            var nextBar: (epoch: Int, bar: ProgressBar)?
            var lastBatch = 0
            var featureDone = 0
            let summary = try TrainPipeline.train(request, progress: { event in
                switch event {
                case let .features(index, count, done, total):
                    if index != featureVideo {
                        featureBar?.finish(featureDone)
                        featureVideo = index
                        featureBar = ProgressBar("features \(index + 1)/\(count)", unit: "frames", total: total)
                    }
                    featureDone = done
                    featureBar?.update(done)
                case let .trainingStarted(firstEpoch, batchesPerEpoch):
                    featureBar?.finish(featureDone)
                    nextBar = (firstEpoch, ProgressBar(epochLabel(firstEpoch, of: recipe), unit: "batches",
                                                       total: batchesPerEpoch))
                case let .batch(step):
                    var justCreated = false
                    if step.epoch != trainEpoch {
                        featureBar?.finish(featureDone)
                        trainBar?.finish(lastBatch)
                        trainEpoch = step.epoch
                        // The next epoch's bar starts its clock when the previous epoch ends.
                        if let next = nextBar, next.epoch == step.epoch {
                            trainBar = next.bar
                        } else {
                            trainBar = ProgressBar(epochLabel(step.epoch, of: recipe), unit: "batches", total: step.batchesPerEpoch)
                            justCreated = true
                        }
                        nextBar = nil
                    }
                    lastBatch = step.batch
                    // A bar made after its first batch has no time to measure a rate by.
                    if !justCreated || step.batch == step.batchesPerEpoch {
                        trainBar?.update(step.batch, detail: String(format: "loss %.3f, %.0f tokens/s", step.loss, step.tokensPerSecond))
                    }
                    if step.batch == step.batchesPerEpoch && (recipe.training.epochs == 0 || step.epoch < recipe.training.epochs) {
                        nextBar = (step.epoch + 1, ProgressBar(epochLabel(step.epoch + 1, of: recipe), unit: "batches",
                                                               total: step.batchesPerEpoch))
                    }
                }
            }, shouldStop: { interrupt.isRequested })
            featureBar?.finish(featureDone)
            trainBar?.finish(lastBatch)
            let stats = summary.stats
            var lines = [
                "bundle    \(summary.bundle)",
                "recipe    \(recipe.name): \(recipe.model.kind.recipeName) on \(stats.layer) at \(recipe.video.fps) fps",
                "data      \(stats.trainExamples) training comments on \(stats.trainFrames) frames, \(stats.devExamples) dev comments on \(stats.devFrames) frames, vocabulary \(summary.vocabularySize)",
            ]
            if let last = summary.history.last {
                lines.append(String(format: "loss      epoch %d (step %d): train %.3f, dev %.3f; best epoch %d; stopped: %@",
                                    last.epoch, last.step, last.trainLoss, last.devLoss, stats.bestEpoch, stats.stop))
            }
            lines.append(String(format: "time      %.1f s", summary.seconds))
            lines.append("report    \(summary.bundle)/report.html")
            print(lines.joined(separator: "\n"))
        }
    }
}

/// The training bar's label: `epoch 3/30` under an epoch limit, `epoch 3` without one.
private func epochLabel(_ epoch: Int, of recipe: Recipe) -> String {
    recipe.training.epochs > 0 ? "epoch \(epoch)/\(recipe.training.epochs)" : "epoch \(epoch)"
}
