import Comments
import Foundation
import Pipeline
import TestSupport
import Testing

/// The clips of `Samples/scenes.json`.
enum SampleScenes {
    static func clip(_ name: String) throws -> SceneClip {
        try #require(try SceneClip.load("scenes.json")[name], "Samples/scenes.json has no clip \(name)")
    }
}

/// The recipe of the learning test: the default model, small and quick (1 fps, a few epochs;
/// the features come from the cache after the first run).
func quickRecipe(epochs: Int = 25) throws -> Recipe {
    var recipe = Recipe.showAttendTell
    try recipe.apply(["video.fps=1", "training.epochs=\(epochs)", "training.batch_size=32", "training.patience=5",
                      "training.learning_rate=0.002", "model.embedding=64", "model.hidden=128", "model.attention=64",
                      "model.attention_penalty=0", "model.dropout=0.2", "decoding.strategy=sample",
                      "decoding.temperature=0.7"])
    return recipe
}

@Suite("Learning on the samples", .serialized)
struct LearningTests {
    @Test("trained on episode, the comments generated for other use their scene's words far above chance")
    func sceneWords() throws {
        let directory = try TemporaryDirectory()
        let bundlePath = directory.file("episode.danmaku")
        let started = Date()
        let summary = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("episode.mp4"), comments: Project.sample("episode.xml"))],
                                                           recipe: try quickRecipe(), output: bundlePath))
        let trained = Date()
        let bundle = try ModelBundle.load(path: bundlePath)
        var request = GenerateRequest(video: Project.sample("other.mp4"))
        request.seed = 7
        let generated = try GeneratePipeline.generate(request, bundle: bundle)

        // A scene-word comment uses the words of some scene kind; it is a hit when they are its
        // own scene's. With six kinds, a model blind to the picture hits 1/6 of the time.
        let (sceneWordComments, hits) = try SampleScenes.clip("other").sceneNaming(generated.comments.map { ($0.seconds, $0.text) })
        let share = Double(hits) / Double(max(sceneWordComments, 1))
        let chance = 1.0 / 6, threshold = 0.5
        print(String(format: "learning: %d epochs (%@, best %d, dev loss %.3f) in %.1f s; %d comments generated, %d with scene words, %d of them their scene's: %.2f (chance %.2f, threshold %.2f)",
                     summary.history.count, summary.stats.stop, summary.stats.bestEpoch, summary.stats.bestDevLoss ?? .nan,
                     trained.timeIntervalSince(started), generated.comments.count, sceneWordComments, hits, share, chance, threshold))
        #expect(sceneWordComments >= 30)
        #expect(share >= threshold, "share \(share) of scene-word comments use their scene's words; chance is \(chance)")

        // Same seed, same comments.
        let again = try GeneratePipeline.generate(request, bundle: bundle)
        #expect(again.comments == generated.comments)
        // No text twice within 4 s, unless the later one read the earlier on screen (a wave),
        // and waves no larger a share than in the training thread.
        #expect(generated.attention.count == generated.comments.count)
        for (i, a) in generated.comments.enumerated() {
            for j in (i + 1)..<generated.comments.count where generated.comments[j].vpos - a.vpos < GeneratePipeline.duplicateWindow {
                let b = generated.comments[j]
                #expect(a.text != b.text || generated.attention[j].context.contains(generated.attention[j].tokens),
                        "\(a.text) at \(a.vpos) and \(b.vpos), not read as context")
            }
        }
        let trainingShare = try #require(bundle.stats.repeatShare)
        #expect(trainingShare > 0 && trainingShare < 1, "episode.xml has waves: \(trainingShare)")
        let generatedShare = GeneratePipeline.repeatShare(generated.attention.map { (Int(($0.time * 100).rounded()), $0.tokens) })
        #expect(generatedShare <= trainingShare + 1e-9, "generated repeat share \(generatedShare), training thread's \(trainingShare)")
    }
}
