// `report.html` of a model bundle: loss curves as inline SVG, the dataset's statistics, and
// comments generated for a few development frames next to the real ones. One self-contained
// file, no scripts.
import Captioner
import Foundation
import Tensor

enum TrainingReport {
    /// Generated and real comments of one frame.
    struct Sample {
        var seconds: Double
        var video: Int
        var real: [String]
        var generated: [String]
    }

    /// Up to `frames` frames of `examples` (spread over time), each with its real comments and
    /// `perFrame` generated ones (the recipe's strategy, seed 1).
    static func samples(bundle: ModelBundle, examples: [AlignedComment], features: Tensor,
                        frames: Int = 4, perFrame: Int = 5) -> [Sample] {
        let byFrame = Dictionary(grouping: examples, by: \.frame)
        let ordered = byFrame.keys.sorted()
        guard !ordered.isEmpty else { return [] }
        let step = max(1, ordered.count / frames)
        let chosen = stride(from: 0, to: ordered.count, by: step).prefix(frames).map { ordered[$0] }
        let decoding = bundle.recipe.decoding
        let strategy = GeneratePipeline.decodingStrategy(decoding.strategy, decoding: decoding, bundle: bundle)
        let decoder = Decoder(model: bundle.model, maxLength: decoding.maxTokens)
        let frameSize = features.count / max(features.shape[0], 1)
        var generator = SplitMix64(seed: 1)
        return chosen.map { row in
            let frame = Tensor(shape: bundle.model.config.frameShape,
                               storage: Array(features.storage[(row * frameSize)..<((row + 1) * frameSize)]))
            let generated = (0..<perFrame).map { _ in
                bundle.vocabulary.decode(decoder.decode(frame, strategy: strategy, using: &generator).tokens).joined()
            }
            let real = byFrame[row]!.prefix(perFrame).map(\.comment.text)
            return Sample(seconds: byFrame[row]![0].seconds, video: byFrame[row]![0].video, real: Array(real), generated: generated)
        }
    }

    static func html(stats: BundleStats, recipe: Recipe, history: [EpochSummary], batchLosses: [(step: Int, loss: Double)],
                     vocabularySize: Int, samples: [Sample]) -> String {
        var out = """
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><title>danmaku training report</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}svg{background:#fafafa;border:1px solid #ddd}</style>
            </head><body>
            <h1>danmaku training report</h1>

            """
        out += "<p>Recipe <b>\(escape(recipe.name))</b> (version \(recipe.version)): \(escape(recipe.model.kind.rawValue)) on \(escape(stats.layer)) features at \(format(stats.fps)) fps, extractor \(escape(stats.extractorID)).</p>\n"
        out += "<h2>Loss</h2>\n"
        out += "<p>Per epoch: training (blue) and development (orange) cross-entropy per token. Best epoch \(stats.bestEpoch)"
        out += stats.bestDevLoss.map { ", dev loss \(format($0))" } ?? ""
        out += "; training ended: \(escape(stats.stop)).</p>\n"
        out += svg(series: [(history.map { (Double($0.epoch), $0.trainLoss) }, "#1f77b4"),
                            (history.map { (Double($0.epoch), $0.devLoss) }, "#ff7f0e")], xLabel: "epoch")
        out += "<p>Per batch (training loss):</p>\n"
        out += svg(series: [(batchLosses.map { (Double($0.step), $0.loss) }, "#1f77b4")], xLabel: "step")
        out += "<h2>Dataset</h2>\n<table>\n"
        let rows: [(String, String)] = [
            ("training comments / frames", "\(stats.trainExamples) / \(stats.trainFrames)"),
            ("development comments / frames", "\(stats.devExamples) / \(stats.devFrames)"),
            ("vocabulary", "\(vocabularySize) tokens (specials included)"),
            ("dropped", stats.dropped.isEmpty ? "none" : stats.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            ("comments per frame (frames with 0, 1, 2, …)", stats.commentsPerFrame.map(String.init).joined(separator: " ")),
            ("tokens per comment (comments with 0, 1, 2, …)", stats.lengths.map(String.init).joined(separator: " ")),
            ("most common first tokens", stats.firstTokens.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            ("positions", counts(stats.positions)), ("sizes", counts(stats.sizes)), ("colours", counts(stats.colors)),
        ]
        for (name, value) in rows { out += "<tr><th>\(escape(name))</th><td>\(escape(value))</td></tr>\n" }
        out += "</table>\n<h2>Development frames</h2>\n<table><tr><th>time</th><th>real comments</th><th>generated (\(escape(recipe.decoding.strategy.rawValue)))</th></tr>\n"
        for sample in samples {
            out += "<tr><td>video \(sample.video + 1), \(format(sample.seconds)) s</td><td>\(sample.real.map(escape).joined(separator: "<br>"))</td><td>\(sample.generated.map(escape).joined(separator: "<br>"))</td></tr>\n"
        }
        out += "</table>\n</body></html>\n"
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
