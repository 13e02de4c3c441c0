import Comments
import Foundation
import Pipeline
import TestSupport
import Testing

/// A tiny bundle trained for one epoch on `Samples/other` (features cached after the first run).
func tinyBundle(in directory: TemporaryDirectory, name: String = "tiny.danmaku") throws -> String {
    var recipe = try quickRecipe(epochs: 1)
    try recipe.apply(["model.embedding=16", "model.hidden=16", "model.attention=16"])
    let path = directory.file(name)
    let samples = Project.root + "/Samples/"
    _ = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: samples + "other.mp4", comments: samples + "other.xml")],
                                             recipe: recipe, output: path))
    return path
}

@Suite("Model bundles and bad input", .serialized)
struct BundleTests {
    @Test("a bundle holds every file, loads, and has the training statistics")
    func bundleFiles() throws {
        let directory = try TemporaryDirectory()
        let path = try tinyBundle(in: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: path)
        for file in ["recipe.yaml", "vocab.tsv", "weights.safetensors", "stats.json", "training-log.jsonl", "report.html",
                     ModelBundle.File.optimizer, ModelBundle.File.optimizerState] {
            #expect(files.contains(file), "\(file) missing from \(files)")
        }
        // Nothing temporary is left beside the bundle.
        #expect(try directory.contents() == ["tiny.danmaku"])
        let bundle = try ModelBundle.load(path: path)
        #expect(bundle.recipe.training.epochs == 1)
        #expect(bundle.stats.fps == 1 && bundle.stats.layer == "conv5_3")
        #expect(bundle.stats.trainExamples + bundle.stats.devExamples > 100)
        #expect(bundle.stats.commentsPerFrame.reduce(0, +) == bundle.stats.trainFrames)
        #expect(bundle.stats.firstTokens["!"] == nil && bundle.stats.firstTokens["！"] == nil)
        #expect(bundle.stats.positions["naka"]! > bundle.stats.positions["ue"] ?? 0)
        #expect(bundle.stats.weightsSHA256.count == 64)
        let report = try String(contentsOfFile: path + "/report.html", encoding: .utf8)
        #expect(report.contains("<svg") && report.contains("<polyline"))
    }

    @Test("a bundle of another recipe version or with a missing file is refused, naming it")
    func badBundles() throws {
        let directory = try TemporaryDirectory()
        let path = try tinyBundle(in: directory)
        let stats = path + "/stats.json"
        let text = try String(contentsOfFile: stats, encoding: .utf8)
        try text.replacingOccurrences(of: "\"recipeVersion\" : 1", with: "\"recipeVersion\" : 99")
            .write(toFile: stats, atomically: true, encoding: .utf8)
        #expect(throws: BundleError.wrongVersion(bundle: path, found: 99, expected: Recipe.currentVersion)) {
            try ModelBundle.load(path: path)
        }
        try text.write(toFile: stats, atomically: true, encoding: .utf8)
        _ = try ModelBundle.load(path: path)
        try FileManager.default.removeItem(atPath: path + "/vocab.tsv")
        let error = #expect(throws: BundleError.missingFile(bundle: path, file: "vocab.tsv")) { try ModelBundle.load(path: path) }
        #expect(error?.description.contains("vocab.tsv is missing") == true)
    }

    @Test("a comment file without a usable comment, or none in the video's time, is a one-line error")
    func badComments() throws {
        let directory = try TemporaryDirectory()
        let samples = Project.root + "/Samples/"
        let unusable = directory.file("unusable.xml")
        try NiconicoXMLWriter.write([Comment(vpos: 100, text: "   ", userID: "a"), Comment(vpos: 200, text: "消えた", mail: ["invisible"], userID: "b")],
                                    to: unusable)
        let recipe = try quickRecipe(epochs: 1)
        let error = #expect(throws: PipelineError.self) {
            try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: samples + "other.mp4", comments: unusable)],
                                                 recipe: recipe, output: directory.file("x.danmaku")))
        }
        #expect(error?.description.hasPrefix(unusable + ": no usable comment") == true)
        let late = directory.file("late.xml")
        try NiconicoXMLWriter.write([Comment(vpos: 600_000, text: "遅い", userID: "a")], to: late)
        let lateError = #expect(throws: PipelineError.self) {
            try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: samples + "other.mp4", comments: late)],
                                                 recipe: recipe, output: directory.file("x.danmaku")))
        }
        #expect(lateError?.description.contains("no comment falls within the video's 48.0 s") == true)
        #expect(lateError?.description.contains("\n") == false)
        #expect(!FileManager.default.fileExists(atPath: directory.file("x.danmaku")))
    }
}
