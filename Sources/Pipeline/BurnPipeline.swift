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
    /// Density, overlap, scrolling time, sizes, opacity, protected bottom strip.
    public var layout = LayoutOptions()
    /// Kinds of comments left out.
    public var block: [CommentBlock] = []
    /// Regular expressions: a comment whose text matches one is left out.
    public var filters: [String] = []
    /// A file of such expressions, one per line.
    public var filterFile: String?
    /// Seconds: the same normalised text again within this window is drawn once (0: off).
    public var mergeWindow: Double = 0
    public var mergeStyle: MergeStyle = .count
    /// The output frame rate (frames repeated, comments drawn at every output frame), or nil for the source's.
    public var fps: Double?
    /// Write the HTML player page here.
    public var htmlPath: String?
    /// Encode the video (false: only the ASS / HTML outputs).
    public var writesVideo = true

    public init() {}

    /// The options a recipe's render settings describe.
    public init(recipe: Recipe) {
        let render = recipe.render
        font = render.font == "default" ? nil : render.font
        crf = render.crf
        preset = render.preset
        layout.maxOnScreen = render.maxOnScreen > 0 ? render.maxOnScreen : nil
        layout.queue = render.queue
        layout.noOverlap = render.noOverlap
        layout.opacity = render.opacity
        layout.scrollSeconds = render.scrollSeconds
        layout.fontScale = render.fontScale
        layout.protectBottom = render.protectBottom
        block = render.block
        filters = render.filters
        filterFile = render.filterFile.isEmpty ? nil : render.filterFile
        mergeWindow = render.mergeDuplicates
        mergeStyle = render.mergeStyle
        fps = render.fps > 0 ? render.fps : nil
    }
}

/// What a burn did.
public struct BurnResult: Sendable {
    /// The video written (nil when only the ASS / HTML outputs were asked for).
    public var output: String?
    /// Frames decoded, drawn on and encoded (output frames: more than decoded with a raised `fps`).
    public var frames: Int
    /// Comments placed on screen at some time within the video.
    public var commentsShown: Int
    /// Comments read but never drawn (invisible, owner scripts, deleted, not text, empty, dropped).
    public var commentsHidden: Int
    /// Comments left out by the options and Bilibili modes, per reason.
    public var drops: [(reason: String, count: Int)] = []
    /// Features of drawn mode 7 comments not drawn, per feature.
    public var partial: [(reason: String, count: Int)] = []
    /// Comments `queue` delayed.
    public var delayed: Int = 0
    /// The HTML page written.
    public var html: String?
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

    /// A plain comment as the Render stage sees it, or nil when it is never drawn as plain
    /// text (deleted, or a Bilibili special: `CommentSelection` draws modes 6 and 7).
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
                             color: comment.color,
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
    ///   - progress: `render` with the frames done and the frames expected.
    ///   - shouldStop: checked after every frame; true stops with `PipelineError.interrupted`.
    /// - Throws: `MediaError`, `RenderError` (fonts), `AtomicFile.WriteError` (ASS),
    ///   `PipelineError.interrupted`.
    public static func burn(video: String, comments: [Comment], output: String, options: BurnOptions = BurnOptions(),
                            progress: @escaping (PipelineEvent) -> Void = { _ in },
                            shouldStop: @escaping () -> Bool = { false }) throws -> BurnResult {
        let reader = try VideoReader(path: video)
        let probe = reader.probe
        let typesetter = try Typesetter(fontPath: options.font, fallbackPath: options.fallbackFont)
        let selection = try CommentSelection.select(comments, options: options)
        var generator = SplitMix64(seed: options.seed)
        let layout = NiconicoLayout.place(selection.comments, on: Stage(width: probe.width, height: probe.height),
                                          typesetter: typesetter, options: options.layout, using: &generator)
        typesetter.reportMissingGlyphs()
        let duration = probe.videoDuration
        let shown = layout.comments.filter { $0.end > 0 && $0.start < duration }.count
        var drops = selection.drops
        for reason in LayoutDrop.allCases { CommentSelection.add(reason.rawValue, layout.drops[reason] ?? 0, to: &drops) }
        var result = BurnResult(output: nil, frames: 0, commentsShown: shown, commentsHidden: comments.count - shown,
                                drops: drops, partial: selection.partial, delayed: layout.delayed)
        if !layout.hasComments(from: 0, to: duration) {
            logger.warning("\(video): no comment is on screen within the video's \(String(format: "%.2f", duration)) s; re-encoding it unchanged")
        }
        if let assPath = options.assPath {
            try AtomicFile.write(Data(ASSWriter.script(for: layout, fontName: typesetter.font.familyName).utf8), to: assPath)
        }
        if let htmlPath = options.htmlPath {
            try HTMLPlayer.write(layout: layout, video: video, fontPath: typesetter.font.path, to: htmlPath)
            result.html = htmlPath
        }
        guard options.writesVideo else { return result }
        let compositor = Compositor(layout: layout, typesetter: typesetter, matrix: probe.height >= 720 ? .bt709 : .bt601)
        // --fps: a writer at that rate, fed by a repeater; otherwise the source's timing.
        let rate = options.fps.map(outputRate)
        let writer = try rate.map {
            try VideoWriter(path: output, width: probe.width, height: probe.height, frameRate: $0, audioSource: reader.path,
                            audioOffset: probe.startTime, crf: options.crf, preset: options.preset)
        } ?? VideoWriter(path: output, source: reader, crf: options.crf, preset: options.preset)
        let expected = rate.map { Int((duration * $0.value).rounded()) } ?? probe.estimatedFrameCount
        var frames = 0
        let emit = { (frame: inout VideoFrame) throws in
            let time = frame.time
            try frame.withMutablePlanes { planes in compositor.draw(at: time, onto: planes) }
            try writer.write(frame)
            frames += 1
            progress(.render(done: frames, total: expected))
            if shouldStop() { throw PipelineError.interrupted(stage: "rendering") }
        }
        if let rate {
            var repeater = FrameRepeater(fps: rate.value)
            try reader.forEachFrame { frame in try repeater.add(frame, emit: emit) }
            let sourceRate = probe.frameRate.value > 0 ? probe.frameRate.value : rate.value
            try repeater.finish(frameDuration: 1 / sourceRate, emit: emit)
        } else {
            try reader.forEachFrame { frame in
                var frame = frame
                try emit(&frame)
            }
        }
        try writer.finish()
        result.output = output
        result.frames = frames
        return result
    }

    /// A frame rate as a fraction: whole rates over 1, others in thousandths.
    static func outputRate(_ fps: Double) -> Rational {
        fps == fps.rounded() ? Rational(num: Int(fps), den: 1) : Rational(num: Int((fps * 1000).rounded()), den: 1000)
    }
}

/// Turns source frames into frames at another rate: output frame k (at k / fps seconds) is
/// the last source frame shown at that time, so the comments can be drawn anew on every
/// output frame. Frames share their pixels until drawn on (`VideoFrame` is copy-on-write, and
/// a held decoder frame keeps its buffer), so each output frame costs the one copy drawing makes.
struct FrameRepeater {
    let fps: Double
    /// The last source frame.
    private var held: VideoFrame?
    private var nextTick: Int?

    init(fps: Double) {
        self.fps = fps
    }

    /// Emits the output frames shown before `frame`, then holds `frame`.
    mutating func add(_ frame: VideoFrame, emit: (inout VideoFrame) throws -> Void) throws {
        if held != nil {
            try flush(until: frame.time, emit: emit)
        } else {
            nextTick = Int((frame.time * fps - 1e-6).rounded(.up))
        }
        held = frame
    }

    /// Emits the output frames of the last source frame, shown for `frameDuration` seconds.
    mutating func finish(frameDuration: Double, emit: (inout VideoFrame) throws -> Void) throws {
        guard let held else { return }
        try flush(until: held.time + frameDuration, emit: emit)
    }

    /// Emits the held frame, retimed, for every tick before `time`.
    private mutating func flush(until time: Double, emit: (inout VideoFrame) throws -> Void) throws {
        guard let held, var tick = nextTick else { return }
        while Double(tick) / fps < time - 1e-6 {
            var frame = held
            frame.time = Double(tick) / fps
            try emit(&frame)
            tick += 1
        }
        nextTick = tick
    }
}
