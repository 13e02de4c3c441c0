// Attention sheets: where the model looked while writing each token of a generated comment.
import Captioner
import Foundation
import Media
import Render
import Tensor

/// What to draw.
public struct AttentionRequest: Sendable {
    public var video: String
    /// Times in seconds; each uses the feature sample nearest to it.
    public var times: [Double]
    /// When set, a time every this many seconds from 0 to the end instead of `times`.
    public var every: Double?
    /// The output folder (created).
    public var output: String
    /// Comments generated per time.
    public var comments: Int = 3
    public var seed: UInt64 = 1
    /// Read and write the feature cache.
    public var useCache = true

    public init(video: String, times: [Double], output: String) {
        self.video = video
        self.times = times
        self.output = output
    }
}

/// One generated comment and its files.
public struct AttentionSheet: Codable, Sendable, Equatable {
    /// The sample's time in seconds.
    public var time: Double
    public var text: String
    public var tokens: [String]
    /// The sheet PNG and the α JSON, relative to the output folder.
    public var image: String
    public var alphas: String
    /// The comments on screen the model read as context, oldest first.
    public var context: [String] = []
}

/// The α values of one comment as written to JSON: `alphas[t]` is the `side × side` map
/// (row-major, summing to 1) at token t.
public struct AttentionValues: Codable, Sendable, Equatable {
    public var time: Double
    public var text: String
    public var tokens: [String]
    public var side: Int
    public var alphas: [[Float]]
    /// The comments on screen the model read as context, oldest first.
    public var context: [String] = []
}

public enum AttentionError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The bundle's model has no attention (show-and-tell).
    case noAttention(path: String)
    /// The grid is not square.
    case notSquare(path: String, locations: Int)
    /// A requested time (seconds) is at or past the end of the video (its duration, seconds),
    /// where it has no frame.
    case timePastEnd(path: String, time: Double, duration: Double)

    public var description: String {
        switch self {
        case .noAttention(let path):
            "\(path): the model is show_and_tell and has no attention to draw; train with the show_attend_tell recipe"
        case .notSquare(let path, let locations):
            "\(path): \(locations) attention locations do not form a square grid"
        case let .timePastEnd(path, time, duration):
            "\(path): --at \(String(format: "%.2f", time)) s is past the end of the video (\(String(format: "%.2f", duration)) s long)"
        }
    }

    public var errorDescription: String? { description }
}

/// A comment the model wrote for one sampled frame, with where it looked for each token.
public struct CommentAttention: Sendable, Equatable {
    /// The sample k of the video the comment was written for (at k / fps).
    public var sample: Int
    /// The sample's time in seconds.
    public var time: Double
    public var tokens: [String]
    /// α at every decoding step, `[T + 1][L]` (the last step ends the comment), each summing
    /// to 1; empty for a show_and_tell model.
    public var alphas: [[Float]]
    /// The comments on screen the model read as context, oldest first, as tokens.
    public var context: [[String]]

    public init(sample: Int, time: Double, tokens: [String], alphas: [[Float]], context: [[String]] = []) {
        self.sample = sample
        self.time = time
        self.tokens = tokens
        self.alphas = alphas
        self.context = context
    }

    /// The comment as shown: its tokens joined without spaces.
    public var text: String { tokens.joined() }
}

/// Draws attention sheets for generated comments.
public enum AttentionPipeline {
    /// Sheet geometry in pixels.
    static let labelHeight = 36, legendHeight = 44, columns = 5

    /// The side of the bundle's square attention grid (14 for conv5_3 of a 224 picture).
    /// Cheap: call it before any heavy work to refuse a model without attention at once.
    ///
    /// - Throws: `AttentionError.noAttention` for a show_and_tell model, `.notSquare` when the
    ///   locations do not form a square.
    public static func gridSide(of bundle: ModelBundle) throws -> Int {
        let config = bundle.model.config
        guard config.kind == .showAttendTell else { throw AttentionError.noAttention(path: bundle.path) }
        let side = Int(Double(config.annotationCount).squareRoot().rounded())
        guard side * side == config.annotationCount else {
            throw AttentionError.notSquare(path: bundle.path, locations: config.annotationCount)
        }
        return side
    }

    /// Generates `request.comments` comments at every time and writes one sheet PNG and one α
    /// JSON per comment plus `index.html` into `request.output` (see `writeSheets`).
    ///
    /// - Throws: `AttentionError` for a model without attention or a time at or past the end of
    ///   the video (before any feature is computed), `MediaError` for the video, `BundleError`
    ///   when the features do not fit, `RenderError` without a font.
    public static func draw(_ request: AttentionRequest, bundle: ModelBundle) throws -> [AttentionSheet] {
        _ = try gridSide(of: bundle)
        let duration = try VideoReader(path: request.video).probe.videoDuration
        if request.every == nil, let late = request.times.first(where: { !($0 < duration) }) {
            throw AttentionError.timePastEnd(path: request.video, time: late, duration: duration)
        }
        let (features, extracted) = try bundle.frameFeatures(video: request.video, useCache: request.useCache)
        var times = request.times
        if let every = request.every, every > 0 {
            times = stride(from: 0, to: max(extracted.duration, 1 / extracted.fps), by: every).map { $0 }
        }
        let rows = times.map { min(max(Int(($0 * extracted.fps).rounded()), 0), extracted.frameCount - 1) }
        let commenter = Commenter(bundle: bundle)
        var generator = SplitMix64(seed: request.seed)
        var written: [CommentAttention] = []
        for row in rows {
            let frame = features.row(row), time = Double(row) / extracted.fps
            for _ in 0..<request.comments {
                // As in `render -m`: the comments already written for this or earlier times are on screen.
                let shown = written.enumerated().filter { $0.element.time <= time }.sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
                    .map { (time: $0.element.time, tokens: bundle.vocabulary.encode($0.element.tokens)) }
                written.append(commenter.comment(on: frame, sample: row, time: time, context: commenter.window.onScreen(shown, at: time),
                                                 using: &generator))
            }
        }
        return try writeSheets(written, video: request.video, bundle: bundle, output: request.output)
    }

    /// `writeSheets(_:pictures:video:bundle:output:)` with the pictures of the comments'
    /// samples read in one pass over `video`.
    ///
    /// - Throws: also `MediaError` for the video.
    public static func writeSheets(_ comments: [CommentAttention], video: String, bundle: ModelBundle,
                                   output: String) throws -> [AttentionSheet] {
        _ = try gridSide(of: bundle)
        let settings = bundle.recipe.video
        let pictures = try FeaturePipeline.pictures(Set(comments.map(\.sample)), of: try VideoReader(path: video),
                                                    fps: settings.fps, size: settings.imageSize, mode: settings.scaleMode)
        return try writeSheets(comments, pictures: pictures, video: video, bundle: bundle, output: output)
    }

    /// Writes, for every comment, a sheet PNG (`tSSSS.SS-NN.png`, NN counting the comments of
    /// one sample) and its α JSON, plus `index.html` linking them all with each comment's time
    /// and text, into `output` (created).
    ///
    /// - Parameters:
    ///   - pictures: by sample index, the RGB24 pictures the model saw (the recipe's fps, image
    ///     size and scale mode), as `FeaturePipeline` samples them.
    ///   - video: the video the comments were written for, named in the index and in errors.
    /// - Returns: the sheets, in the order of `comments`.
    /// - Throws: `AttentionError` for a model without attention, `PipelineError.invalidInput`
    ///   when `pictures` lacks a comment's sample (another video than the comments were written
    ///   for), `RenderError` without a font, and the file system's error when a file cannot be written.
    public static func writeSheets(_ comments: [CommentAttention], pictures: [Int: [UInt8]], video: String,
                                   bundle: ModelBundle, output: String) throws -> [AttentionSheet] {
        let side = try gridSide(of: bundle)
        let settings = bundle.recipe.video
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let typesetter = try Typesetter()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var perSample: [Int: Int] = [:]
        var sheets: [AttentionSheet] = []
        for comment in comments {
            guard let picture = pictures[comment.sample] else {
                throw PipelineError.invalidInput(path: video, reason: "has no sample \(comment.sample) at \(settings.fps) fps; the comments were written for another video")
            }
            perSample[comment.sample, default: 0] += 1
            let stem = String(format: "t%07.2f-%02d", comment.time, perSample[comment.sample]!)
            let context = comment.context.map { $0.joined() }
            let values = AttentionValues(time: comment.time, text: comment.text, tokens: comment.tokens, side: side, alphas: comment.alphas,
                                         context: context)
            let sheet = AttentionSheet(time: comment.time, text: values.text, tokens: comment.tokens,
                                       image: stem + ".png", alphas: stem + ".json", context: context)
            let (rgb, width, height) = paintSheet(picture: picture, size: settings.imageSize, values: values, typesetter: typesetter)
            try PNG.write(rgb: rgb, width: width, height: height, to: output + "/" + sheet.image)
            try AtomicFile.write(encoder.encode(values), to: output + "/" + sheet.alphas)
            sheets.append(sheet)
        }
        try AtomicFile.write(Data(indexHTML(sheets: sheets, video: video).utf8), to: output + "/index.html")
        return sheets
    }

    /// The sheet: the picture, then one panel per token (dimmed picture + α in viridis, scaled to
    /// the comment's largest α), the token under each panel, a legend at the bottom, and under
    /// it the context the comment read, if any.
    static func paintSheet(picture: [UInt8], size: Int, values: AttentionValues,
                           typesetter: Typesetter) -> (rgb: [UInt8], width: Int, height: Int) {
        let panels = 1 + values.alphas.count
        let columns = min(panels, Self.columns)
        let rowsOfPanels = (panels + columns - 1) / columns
        let cellHeight = size + labelHeight
        let contextHeight = values.context.isEmpty ? 0 : labelHeight
        let width = columns * size, height = rowsOfPanels * cellHeight + legendHeight + contextHeight
        var canvas = [UInt8](repeating: 24, count: width * height * 3)
        let style = TextStyle(fontSize: 20, lineHeight: 24, strokeRadius: 1.5)
        let maximum = values.alphas.flatMap { $0 }.max() ?? 1
        for panel in 0..<panels {
            let x = (panel % columns) * size, y = (panel / columns) * cellHeight
            let image: [UInt8]
            let label: String
            if panel == 0 {
                image = picture
                label = String(format: "%.2f s", values.time)
            } else {
                image = Heatmap.overlay(values.alphas[panel - 1], side: values.side, on: picture, width: size, height: size,
                                        maximum: maximum)
                label = panel - 1 < values.tokens.count ? values.tokens[panel - 1] : "<eos>"
            }
            Heatmap.blit(image, width: size, height: size, into: &canvas, width: width, height: height, x: x, y: y)
            typesetter.drawText(label, x: Double(x + 6), y: y + size + 6, style: style, onto: &canvas, width: width, height: height)
        }
        let barWidth = min(size, width - 120)
        Heatmap.blit(Heatmap.legend(width: barWidth, height: 12), width: barWidth, height: 12,
                     into: &canvas, width: width, height: height, x: 40, y: height - contextHeight - legendHeight + 16)
        typesetter.drawText("0", x: 14, y: height - contextHeight - legendHeight + 10, style: style, onto: &canvas, width: width, height: height)
        typesetter.drawText(String(format: "%.3f", maximum), x: Double(48 + barWidth), y: height - contextHeight - legendHeight + 10,
                            style: style, onto: &canvas, width: width, height: height)
        if !values.context.isEmpty {
            typesetter.drawText("on screen: " + values.context.joined(separator: " / "), x: 14, y: height - contextHeight + 6,
                                style: style, onto: &canvas, width: width, height: height)
        }
        return (canvas, width, height)
    }

    /// `index.html`: every sheet with its time and comment text.
    static func indexHTML(sheets: [AttentionSheet], video: String) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>attention: \(escape((video as NSString).lastPathComponent))</title></head><body>\n"
        html += "<h1>Attention of \(escape((video as NSString).lastPathComponent))</h1>\n"
        for sheet in sheets {
            html += "<h2>\(String(format: "%.2f", sheet.time)) s — \(escape(sheet.text))</h2>\n"
            if !sheet.context.isEmpty { html += "<p>on screen before: \(sheet.context.map(escape).joined(separator: " / "))</p>\n" }
            html += "<p><a href=\"\(escape(sheet.alphas))\">α values (JSON)</a></p>\n"
            html += "<a href=\"\(escape(sheet.image))\"><img src=\"\(escape(sheet.image))\" alt=\"\(escape(sheet.text))\" style=\"max-width:100%\"></a>\n"
        }
        return html + "</body></html>\n"
    }
}
