import Comments
import Foundation
import Media
@testable import Pipeline
import TestSupport
import Testing

/// A tiny bundle trained for one epoch on `Samples/other` (features cached after the first run).
func tinyBundle(in directory: TemporaryDirectory, name: String = "tiny.danmaku", recipe base: Recipe? = nil) throws -> String {
    var recipe = try base ?? quickRecipe(epochs: 1)
    try recipe.apply(["training.epochs=1", "model.embedding=16", "model.hidden=16", "model.attention=16"])
    let path = directory.file(name)
    _ = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("other.mp4"), comments: Project.sample("other.xml"))],
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
                     "eval.json", "attention", ModelBundle.File.optimizer, ModelBundle.File.optimizerState] {
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
        // The model is the one training kept, with the trust in its gate that training set (one epoch: the last is the best).
        let checkpoint = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/" + ModelBundle.File.optimizerState)))
        let trained = try #require(((checkpoint as? [String: Any])?["config"] as? [String: Any])?["contextTrust"] as? Double)
        #expect(bundle.stats.captioner.contextGate && Double(bundle.stats.captioner.contextTrust) == trained)
        #expect(trained == 0, "one epoch of a tiny model does not tell own threads from others on the dev blocks")
        let report = try String(contentsOfFile: path + "/report.html", encoding: .utf8)
        #expect(report.contains("<svg") && report.contains("<polyline"))
        // One epoch of the tiny set: the epoch limit ended it, and the report and stats say after how many steps.
        let steps = try #require(bundle.stats.steps)
        #expect(bundle.stats.stop == "finished" && steps >= 1)
        #expect(report.contains("after 1 epoch (\(steps) optimiser steps): the epoch limit, training.epochs = 1 [finished]"), "\(report)")
    }

    @Test("report.html has the development evaluation (as in eval.json) and attention sheets that exist and decode")
    func reportEvaluationAndSheets() throws {
        let directory = try TemporaryDirectory()
        let path = try tinyBundle(in: directory)
        let bundle = try ModelBundle.load(path: path)
        let report = try String(contentsOfFile: path + "/report.html", encoding: .utf8)
        let evaluation = try JSONDecoder().decode(EvalReport.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/eval.json")))
        #expect(evaluation.frames == min(bundle.stats.devFrames, TrainingReport.evaluationFrames) && evaluation.frames > 0)
        #expect(evaluation.candidatesPerFrame > 1 && evaluation.candidatesPerFrame <= Double(TrainingReport.evaluationCandidates))
        let mrr = try #require(report.firstMatch(of: /<tr><th>MRR<\/th><td>([0-9.]+)<\/td><td>([0-9.]+)<\/td><td>([0-9.]+)<\/td><td>(-?[0-9.]+)<\/td><td>(-?[0-9.]+)<\/td><\/tr>/),
                               "no MRR row in report.html")
        #expect(abs(Double(mrr.1)! - evaluation.real.ranking.mrr) < 1e-4)
        #expect(abs(Double(mrr.2)! - evaluation.noContext.ranking.mrr) < 1e-4)
        #expect(abs(Double(mrr.3)! - evaluation.shuffled.ranking.mrr) < 1e-4)
        #expect(abs(Double(mrr.5)! - evaluation.contextGainMRR) < 1e-4)
        for (metric, _, _, _) in evaluation.rows { #expect(report.contains("<tr><th>\(metric)</th><td>"), "\(metric) row") }

        // Every relative src/href names a file of the bundle; the sheets decode.
        let references = report.matches(of: /(?:src|href)="([^"]+)"/).map { String($0.1) }
            .filter { !$0.contains(":") && !$0.hasPrefix("/") && !$0.hasPrefix("#") }
        for reference in references { #expect(FileManager.default.fileExists(atPath: path + "/" + reference), "\(reference)") }
        let sheets = references.filter { $0.hasSuffix(".png") }
        #expect((2...4).contains(sheets.count), "\(references)")
        for sheet in sheets {
            #expect(sheet.hasPrefix("attention/"))
            let image = try PNG.decode(path: path + "/" + sheet)
            #expect(image.width >= 224 && image.height > 224)
        }
    }

    @Test("a show_and_tell report has the evaluation and says it has no attention sheets")
    func showAndTellReport() throws {
        let directory = try TemporaryDirectory()
        var recipe = Recipe.showAndTell
        try recipe.apply(["video.fps=1"])
        let path = try tinyBundle(in: directory, name: "sat.danmaku", recipe: recipe)
        let report = try String(contentsOfFile: path + "/report.html", encoding: .utf8)
        #expect(report.contains("<tr><th>MRR</th><td>"))
        #expect(report.contains("show_and_tell: it has no attention, so there are no attention sheets"))
        #expect(!report.contains("<img"))
        #expect(!FileManager.default.fileExists(atPath: path + "/attention"))
    }

    @Test("attention sheets that cannot be drawn (no picture of the sample) are left out with a note, never an error")
    func sheetsLeftOut() throws {
        let directory = try TemporaryDirectory()
        let bundle = try ModelBundle.load(path: try tinyBundle(in: directory))
        let missing = directory.file("gone.mp4")
        let alphas = [[Float](repeating: 1.0 / 196, count: 196)]
        let sample = TrainingReport.Sample(seconds: 2, video: 0, real: ["海"], generated: ["海"],
                                           attention: CommentAttention(sample: 2, time: 2, tokens: ["海"], alphas: alphas))
        let figures = TrainingReport.attentionSheets(samples: [sample], pictures: [[:]], videos: [missing], bundle: bundle)
        #expect(figures.sheets.isEmpty)
        #expect(figures.note?.contains("could not be drawn") == true && figures.note?.contains(missing) == true, "\(figures.note ?? "")")
        #expect(!FileManager.default.fileExists(atPath: bundle.path + "/attention"))
        let html = TrainingReport.html(stats: bundle.stats, recipe: bundle.recipe, history: [], batchLosses: [], vocabularySize: 4,
                                       samples: [sample], evaluation: nil, attention: figures)
        #expect(html.contains("could not be drawn") && !html.contains("<img"))
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

    @Test("a comment file without a usable comment, none in the video's time, or no word common enough to learn is a one-line error")
    func badComments() throws {
        let directory = try TemporaryDirectory()
        let unusable = directory.file("unusable.xml")
        try NiconicoXMLWriter.write([Comment(vpos: 100, text: "   ", userID: "a"), Comment(vpos: 200, text: "消えた", mail: ["invisible"], userID: "b")],
                                    to: unusable)
        let recipe = try quickRecipe(epochs: 1)
        let error = #expect(throws: PipelineError.self) {
            try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("other.mp4"), comments: unusable)],
                                                 recipe: recipe, output: directory.file("x.danmaku")))
        }
        #expect(error?.description.hasPrefix(unusable + ": no usable comment") == true)
        let late = directory.file("late.xml")
        try NiconicoXMLWriter.write([Comment(vpos: 600_000, text: "遅い", userID: "a")], to: late)
        let lateError = #expect(throws: PipelineError.self) {
            try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("other.mp4"), comments: late)],
                                                 recipe: recipe, output: directory.file("x.danmaku")))
        }
        #expect(lateError?.description.contains("no comment falls within the video's 48.0 s") == true)
        #expect(lateError?.description.contains("\n") == false)
        // Fuzz seed 42 (train): no word reached vocabulary.min_count (there, one usable comment),
        // and the model was built with the specials alone and trapped.
        let lone = directory.file("lone.xml")
        let words = ["草", "猫", "空", "海", "山", "川", "星", "月", "花", "雪", "雨", "風"]
        try NiconicoXMLWriter.write(words.enumerated().map { Comment(vpos: 100 + 400 * $0.offset, text: $0.element, userID: "a") }, to: lone)
        let loneError = #expect(throws: PipelineError.self) {
            try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("other.mp4"), comments: lone)],
                                                 recipe: recipe, output: directory.file("x.danmaku")))
        }
        #expect(loneError?.description.hasPrefix(lone + ": no word occurs 2 or more times (vocabulary.min_count) in the ") == true)
        #expect(loneError?.description.hasSuffix(" training comments, so there is nothing to learn") == true)
        #expect(!FileManager.default.fileExists(atPath: directory.file("x.danmaku")))
    }
}
