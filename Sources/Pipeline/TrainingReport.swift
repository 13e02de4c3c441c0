// `report.html` of a model bundle: loss curves as inline SVG, the dataset's statistics, the
// evaluation on the development split (real against shuffled features), comments generated
// for a few development frames next to the real ones, and the attention sheets of some of
// them. One file, no scripts; the sheets are PNGs in the bundle's `attention/` folder.
import Captioner
import Foundation
import Logging
import Render
import Tensor

enum TrainingReport {
    /// `a 1, b 2` by name, or `none`.
    static func countList(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private static let logger = Logger(label: "danmaku.pipeline")

    /// The development evaluation is kept cheap (a few seconds at the end of training): this
    /// many frames at most, and this many candidates per frame.
    static let evaluationFrames = 30, evaluationCandidates = 20

    /// Generated and real comments of one frame.
    struct Sample {
        var seconds: Double
        var video: Int
        var real: [String]
        var generated: [String]
        /// The first generated comment, with its attention.
        var attention: CommentAttention
    }

    /// The report's attention sheets (paths relative to the bundle), or why there are none.
    struct AttentionFigures {
        var sheets: [(image: String, caption: String)] = []
        /// The sheets' index pages, relative to the bundle.
        var indexes: [String] = []
        var note: String?
    }

    /// The rows the report shows: up to `count` frames of `examples`, spread over time. Chosen
    /// before the features are computed, so that their pass keeps these frames' pictures.
    static func frames(of examples: [AlignedComment], count: Int = 4) -> [Int] {
        let ordered = Set(examples.map(\.frame)).sorted()
        guard !ordered.isEmpty else { return [] }
        let step = max(1, ordered.count / count)
        return stride(from: 0, to: ordered.count, by: step).prefix(count).map { ordered[$0] }
    }

    /// The frames `rows` of `examples`, each with its real comments and `perFrame` generated
    /// ones (the recipe's strategy, seed 1).
    static func samples(bundle: ModelBundle, examples: [AlignedComment], rows chosen: [Int], features: Tensor,
                        perFrame: Int = 5) -> [Sample] {
        let byFrame = Dictionary(grouping: examples, by: \.frame)
        let commenter = Commenter(bundle: bundle)
        var generator = SplitMix64(seed: 1)
        return chosen.map { row in
            let frame = features.row(row)
            let first = byFrame[row]![0]
            let context = earliest(byFrame[row]!).context.map { bundle.vocabulary.encode($0) }
            let generated = (0..<perFrame).map { _ in
                commenter.comment(on: frame, sample: first.sample, time: first.seconds, context: context, using: &generator)
            }
            let real = byFrame[row]!.prefix(perFrame).map(\.comment.text)
            return Sample(seconds: first.seconds, video: first.video, real: Array(real), generated: generated.map(\.text),
                          attention: generated[0])
        }
    }

    /// The evaluation of `EvalPipeline` on the development comments (`examples`, rows of
    /// `features`), capped at `evaluationFrames` frames; nil without development comments.
    static func evaluation(bundle: ModelBundle, examples: [AlignedComment], features: Tensor) -> EvalReport? {
        guard !examples.isEmpty else { return nil }
        let started = Date()
        let byFrame = Dictionary(grouping: examples, by: \.frame)
        let report = EvalPipeline.evaluate(features: features, comments: byFrame.mapValues { $0.map(\.tokens) },
                                           contexts: byFrame.mapValues { earliest($0).context }, maximumFrames: evaluationFrames,
                                           candidates: evaluationCandidates, seed: 1, bundle: bundle)
        logger.debug("report: evaluation of \(report.frames) development frames in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        return report
    }

    /// The first of a frame's comments in time: what was on screen before it is the frame's context.
    private static func earliest(_ comments: [AlignedComment]) -> AlignedComment {
        comments.min { $0.comment.vpos < $1.comment.vpos }!
    }

    /// Writes one attention sheet per sample (its first generated comment) into the bundle's
    /// `attention/videoN/` folders, on `pictures[N]` (by sample index, as the feature pass kept
    /// them; the videos are not read again). Never throws: a model without attention, or a
    /// missing picture, leaves the sheets out with a note (and, for the picture, a warning).
    static func attentionSheets(samples: [Sample], pictures: [[Int: [UInt8]]], videos: [String],
                                bundle: ModelBundle) -> AttentionFigures {
        guard bundle.model.config.kind == .showAttendTell else {
            return AttentionFigures(note: "The model is show_and_tell: it has no attention, so there are no attention sheets.")
        }
        guard !samples.isEmpty else { return AttentionFigures(note: "No frame had comments to draw the attention of.") }
        let started = Date()
        let folder = ModelBundle.join(bundle.path, ModelBundle.File.attention)
        var figures = AttentionFigures()
        do {
            for (video, group) in Dictionary(grouping: samples, by: \.video).sorted(by: { $0.key < $1.key }) {
                let relative = ModelBundle.File.attention + "/video\(video + 1)"
                let sheets = try AttentionPipeline.writeSheets(group.map(\.attention), pictures: pictures[video], video: videos[video],
                                                               bundle: bundle, output: ModelBundle.join(bundle.path, relative))
                figures.indexes.append(relative + "/index.html")
                figures.sheets += sheets.map { (relative + "/" + $0.image, "video \(video + 1), " + String(format: "%.1f", $0.time) + " s: \($0.text)") }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            let reason = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            logger.warning("the training report has no attention sheets: \(reason)")
            return AttentionFigures(note: "The attention sheets could not be drawn: \(reason)")
        }
        logger.debug("report: \(figures.sheets.count) attention sheets in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        return figures
    }

    /// The `@font-face` rule embedding the bundled font, so that browsers without a Japanese
    /// font show the comments; empty (with a warning) when the font cannot be found.
    static func bundledFontFace() -> String {
        do {
            return HTMLPlayer.fontFace(try HTMLPlayer.loadFont(try BundledFont.path()))
        } catch {
            logger.warning("the training report uses the browser's fonts: \((error as? LocalizedError)?.errorDescription ?? String(describing: error))")
            return ""
        }
    }

    /// Why training ended, in words, with the step it ended at (`stats.stop` names the rule).
    static func stopReason(stats: BundleStats, training: Recipe.Training) -> String {
        let at = "after \(stats.epochsTrained) epoch\(stats.epochsTrained == 1 ? "" : "s")" + (stats.steps.map { " (\($0) optimiser steps)" } ?? "")
        let why = switch stats.stop {
        case "earlyStopped":
            "the development loss had not improved for \(training.patienceSteps) steps and \(training.patience) epoch\(training.patience == 1 ? "" : "s") (not before step \(training.minSteps))"
        case "stepLimit": "the step limit, training.max_steps = \(training.maxSteps)"
        case "timeLimit": "the time limit, training.max_minutes = \(format(training.maxMinutes))"
        case "finished": "the epoch limit, training.epochs = \(training.epochs)"
        case "cancelled": "it was interrupted (Ctrl-C); the best weights so far were kept"
        default: stats.stop
        }
        return "\(at): \(why) [\(stats.stop)]"
    }

    static func html(stats: BundleStats, recipe: Recipe, history: [EpochSummary], batchLosses: [(step: Int, loss: Double)],
                     vocabularySize: Int, samples: [Sample], evaluation: EvalReport?, attention: AttentionFigures,
                     fontFace: String = "") -> String {
        var out = """
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><title>danmaku training report</title>
            <style>\(fontFace)
            body{font-family:"danmaku",sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}svg{background:#fafafa;border:1px solid #ddd}</style>
            </head><body>
            <h1>danmaku training report</h1>

            """
        out += "<p>Recipe <b>\(escape(recipe.name))</b> (version \(recipe.version)): \(escape(recipe.model.kind.recipeName)) on \(escape(stats.layer)) features at \(format(stats.fps)) fps, extractor \(escape(stats.extractorID)).</p>\n"
        out += "<h2>Loss</h2>\n"
        out += "<p>Per epoch: training (blue) and development (orange) cross-entropy per token. Best epoch \(stats.bestEpoch)"
        out += stats.bestDevLoss.map { ", dev loss \(format($0))" } ?? ""
        out += "; training ended \(escape(stopReason(stats: stats, training: recipe.training))).</p>\n"
        out += svg(series: [(history.map { (Double($0.epoch), $0.trainLoss) }, "#1f77b4"),
                            (history.map { (Double($0.epoch), $0.devLoss) }, "#ff7f0e")], xLabel: "epoch")
        if let gate = stats.contextGate(in: history) {
            out += "<p>Context gate at the best epoch: on the development blocks it ranks a comment's own thread above another moment's "
            out += "with AUC \(format(gate.agreement)) (0.5 is chance), so the model "
            out += gate.followed ? "follows it.</p>\n" : "reads the thread with the gate open.</p>\n"
        }
        out += "<p>Per batch (training loss):</p>\n"
        out += svg(series: [(batchLosses.map { (Double($0.step), $0.loss) }, "#1f77b4")], xLabel: "step")
        out += "<h2>Dataset</h2>\n<table>\n"
        let rows: [(String, String)] = [
            ("training comments / frames", "\(stats.trainExamples) / \(stats.trainFrames)"),
            ("development comments / frames", "\(stats.devExamples) / \(stats.devFrames)"),
            ("vocabulary", "\(vocabularySize) tokens (specials included)"),
            ("dropped", countList(stats.dropped)),
            ("repaired", countList(stats.repaired ?? [:])),
            ("comments per frame (frames with 0, 1, 2, …)", stats.commentsPerFrame.map(String.init).joined(separator: " ")),
            ("tokens per comment (comments with 0, 1, 2, …)", stats.lengths.map(String.init).joined(separator: " ")),
            ("most common first tokens", stats.firstTokens.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            ("positions", counts(stats.positions)), ("sizes", counts(stats.sizes)), ("colours", counts(stats.colors)),
        ]
        for (name, value) in rows { out += "<tr><th>\(escape(name))</th><td>\(escape(value))</td></tr>\n" }
        out += "</table>\n<h2>Evaluation on the development split</h2>\n"
        if let evaluation {
            out += "<p>\(evaluation.frames) development frames (at most \(evaluationFrames)) with \(evaluation.comments) comments; each ranks "
            out += String(format: "%.1f", evaluation.candidatesPerFrame) + " candidates on average (at most \(evaluationCandidates)) drawn from the development comments. "
            out += "The protocol of <code>danmaku eval</code>; the numbers are also in <code>\(ModelBundle.File.evaluation)</code>. "
            out += "Real: the frame, and the real comments shown before it as context; no context: the frame alone; "
            out += "shuffled: another frame's features with the real context. The grounding gain is real − shuffled, the context gain real − no context.</p>\n"
            out += "<table id=\"evaluation\"><tr><th>metric</th><th>real</th><th>no context</th><th>shuffled</th><th>grounding gain</th><th>context gain</th></tr>\n"
            for row in evaluation.rows {
                out += "<tr><th>\(escape(row.metric))</th>" + [row.real, row.noContext, row.shuffled, row.real - row.shuffled, row.real - row.noContext]
                    .map { String(format: "<td>%.4f</td>", $0) }.joined() + "</tr>\n"
            }
            out += "</table>\n"
        } else {
            out += "<p>No development comments: nothing to evaluate.</p>\n"
        }
        out += "<h2>Development frames</h2>\n<table><tr><th>time</th><th>on screen before (context)</th><th>real comments</th>"
        out += "<th>generated (\(escape(recipe.decoding.strategy.recipeName)))</th></tr>\n"
        for sample in samples {
            let context = sample.attention.context.map { escape($0.joined()) }.joined(separator: "<br>")
            out += "<tr><td>video \(sample.video + 1), \(format(sample.seconds)) s</td><td>\(context.isEmpty ? "—" : context)</td>"
            out += "<td>\(sample.real.map(escape).joined(separator: "<br>"))</td><td>\(sample.generated.map(escape).joined(separator: "<br>"))</td></tr>\n"
        }
        out += "</table>\n<h2>Attention</h2>\n"
        if let note = attention.note {
            out += "<p>\(escape(note))</p>\n"
        } else {
            out += "<p>Where the model looked for each token of the first comment generated above, α in viridis scaled to the comment's largest weight "
            out += "(" + attention.indexes.map { "<a href=\"\(escape($0))\">\(escape($0))</a>" }.joined(separator: ", ") + " with the α values).</p>\n"
            for (image, caption) in attention.sheets {
                out += "<figure><img src=\"\(escape(image))\" alt=\"\(escape(caption))\" style=\"max-width:100%\"><figcaption>\(escape(caption))</figcaption></figure>\n"
            }
        }
        out += "</body></html>\n"
        return out
    }

    /// A line chart of the series (x, y) with its y range written at the left.
    static func svg(series: [([(Double, Double)], String)], xLabel: String, width: Double = 640, height: Double = 240) -> String {
        let points = series.flatMap(\.0).filter { $0.1.isFinite }
        guard let xMin = points.map(\.0).min(), let xMax = points.map(\.0).max(),
              let yMin = points.map(\.1).min(), let yMax = points.map(\.1).max() else {
            return "<p>(no data)</p>\n"
        }
        let margin = 40.0
        func x(_ v: Double) -> Double { margin + (xMax > xMin ? (v - xMin) / (xMax - xMin) : 0.5) * (width - 2 * margin) }
        func y(_ v: Double) -> Double { height - margin - (yMax > yMin ? (v - yMin) / (yMax - yMin) : 0.5) * (height - 2 * margin) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\n"
        out += "<text x=\"2\" y=\"\(Int(margin))\" font-size=\"11\">\(format(yMax))</text>"
        out += "<text x=\"2\" y=\"\(Int(height - margin))\" font-size=\"11\">\(format(yMin))</text>"
        out += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 8))\" font-size=\"11\">\(xLabel) \(format(xMin))–\(format(xMax))</text>\n"
        for (values, colour) in series where !values.isEmpty {
            let path = values.filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
        }
        return out + "</svg>\n"
    }

    private static func counts(_ table: [String: Int]) -> String {
        table.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private static func format(_ value: Double) -> String { String(format: "%.3g", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
