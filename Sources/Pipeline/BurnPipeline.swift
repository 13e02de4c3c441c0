// Comments burned into a video: Comments' model → Render's layout and compositor → every
// decoded frame (Media) → H.264 with the source's audio copied through.
import Comments
import Foundation
import Logging
import Media
import Render
import Tensor

/// How comments are drawn and the video encoded.
public struct BurnOptions: Sendable {
    /// A font file (TTF/OTF/TTC), or nil for the bundled IPAex Gothic.
    public var font: String?
    /// A second font for characters the first lacks.
    public var fallbackFont: String?
    /// x264 constant rate factor.
    public var crf: Int = 23
    /// x264 preset.
    public var preset: String = "veryfast"
    /// Seeds the random heights used when the screen is full.
    public var seed: UInt64 = 1
    /// Also write the same layout as ASS subtitles here.
    public var assPath: String?

    public init() {}

    /// The options a recipe's render settings describe.
    public init(recipe: Recipe) {
        font = recipe.render.font == "default" ? nil : recipe.render.font
        crf = recipe.render.crf
        preset = recipe.render.preset
    }
}

/// What a burn did.
public struct BurnResult: Sendable {
    /// The video written.
    public var output: String
    /// Frames decoded, drawn on and encoded.
    public var frames: Int
    /// Comments placed on screen at some time within the video.
    public var commentsShown: Int
    /// Comments read but never drawn (invisible, owner scripts, deleted, not text, empty).
    public var commentsHidden: Int
}

/// Draws comments onto every frame of a video, the way Niconico shows them.
public enum BurnPipeline {
    private static let logger = Logger(label: "danmaku.pipeline")

    /// The default output beside the input: `dir/clip.mp4` → `dir/clip.danmaku.mp4`.
    public static func defaultOutput(for video: String) -> String {
        let url = URL(fileURLWithPath: video)
        let base = url.deletingPathExtension().lastPathComponent
        let name = base + ".danmaku.mp4"
        let directory = (video as NSString).deletingLastPathComponent
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// A comment as the Render stage sees it, or nil when it is never drawn as text
    /// (deleted, or a Bilibili special such as mode 7/8).
    public static func renderComment(_ comment: Comment) -> RenderComment? {
        guard !comment.isDeleted, comment.isPlainText else { return nil }
        let position: RenderComment.Position = switch comment.position {
        case .naka: .naka
        case .ue: .ue
        case .shita: .shita
        }
        let size: RenderComment.Size = switch comment.size {
        case .big: .big
        case .medium: .medium
        case .small: .small
        }
        return RenderComment(vpos: comment.vpos, text: comment.text, position: position, size: size,
                             color: RenderColor(red: comment.color.r, green: comment.color.g, blue: comment.color.b),
                             duration: comment.duration, full: comment.isFull, ender: comment.isEnder,
                             invisible: comment.isInvisible, isOwnerScript: comment.isOwnerScript)
    }

    /// Burns `comments` into `video`, writing `output` (temporary name, renamed when
    /// complete; removed on any error or interruption).
    ///
    /// Comments entirely outside the video's time range give one warning; the video is then
    /// re-encoded unchanged.
    ///
    /// - Parameters:
    ///   - progress: (frames done, frames expected).
    ///   - shouldStop: checked after every frame; true stops with `PipelineError.interrupted`.
    /// - Throws: `MediaError`, `RenderError` (fonts), `AtomicFile.WriteError` (ASS),
    ///   `PipelineError.interrupted`.
    public static func burn(video: String, comments: [Comment], output: String, options: BurnOptions = BurnOptions(),
                            progress: @escaping (Int, Int) -> Void = { _, _ in },
                            shouldStop: @escaping () -> Bool = { false }) throws -> BurnResult {
        let reader = try VideoReader(path: video)
        let probe = reader.probe
        let typesetter = try Typesetter(fontPath: options.font, fallbackPath: options.fallbackFont)
        let drawable = comments.compactMap(renderComment)
        var generator = SplitMix64(seed: options.seed)
        let layout = NiconicoLayout.place(drawable, on: Stage(width: probe.width, height: probe.height),
                                          typesetter: typesetter, using: &generator)
        typesetter.reportMissingGlyphs()
        let duration = probe.videoDuration
        let shown = layout.comments.filter { $0.end > 0 && $0.start < duration }.count
        if !layout.hasComments(from: 0, to: duration) {
            logger.warning("\(video): no comment is on screen within the video's \(String(format: "%.2f", duration)) s; re-encoding it unchanged")
        }
        if let assPath = options.assPath {
            try AtomicFile.write(Data(ASSWriter.script(for: layout, fontName: typesetter.font.familyName).utf8), to: assPath)
        }
        let compositor = Compositor(layout: layout, typesetter: typesetter, matrix: probe.height >= 720 ? .bt709 : .bt601)
        let expected = probe.estimatedFrameCount
        let writer = try VideoWriter(path: output, source: reader, crf: options.crf, preset: options.preset)
        var frames = 0
        try reader.forEachFrame { frame in
            let time = frame.time
            try frame.withMutablePlanes { planes in
                compositor.draw(at: time, onto: RenderPlanes(y: planes.y, u: planes.u, v: planes.v,
                                                                    yStride: planes.yStride, uvStride: planes.uvStride,
                                                                    width: planes.width, height: planes.height))
            }
            try writer.write(frame)
            frames += 1
            progress(frames, expected)
            if shouldStop() { throw PipelineError.interrupted(stage: "rendering") }
        }
        try writer.finish()
        return BurnResult(output: output, frames: frames, commentsShown: shown, commentsHidden: comments.count - shown)
    }
}
