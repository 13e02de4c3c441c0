// The Niconico layout: when each comment is on screen, where, and how it moves.
//
// Rules (DESIGN.md, "Niconico facts"): a `naka` comment enters at the right edge 1 s before
// its vpos and leaves at the left edge D s after it (D = 3 s or `@N`), so its speed is
// (W + w) / (D + 1) s and longer comments move faster; `ue` / `shita` comments stay D s,
// centred, stacked from the top / bottom. Sizes are given at a stage height of 384 px and
// scale with the video's height. A comment takes the highest band (the lowest for `shita`)
// in which it overlaps no comment on screen at any moment of its lifetime — measured with the
// font's true widths, so a scrolling comment neither catches nor is caught; when nothing
// fits it goes to a random height.
import Logging

/// The picture comments are drawn on, in pixels.
public struct Stage: Sendable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "stage \(width)x\(height)")
        self.width = width
        self.height = height
    }

    /// The height Niconico's sizes are given at.
    public static let referenceHeight = 384.0

    /// Pixels per reference pixel.
    public var scale: Double { Double(height) / Self.referenceHeight }

    /// The style of a size on this stage. Font sizes at height 384: big 39, medium 27, small 18;
    /// line heights 42.45 / 27.14 / 16.95, but never less than the font size so that
    /// outlined lines of one comment do not overlap. The outline radius is 7 % of the font size.
    public func style(for size: RenderComment.Size) -> TextStyle {
        let (font, line): (Double, Double)
        switch size {
        case .big: (font, line) = (39, 42.45)
        case .medium: (font, line) = (27, 27.14)
        case .small: (font, line) = (18, 16.95)
        }
        let fontSize = max(1, font * scale)
        return TextStyle(fontSize: fontSize, lineHeight: max(line, font) * scale, strokeRadius: max(1, fontSize * 0.07))
    }
}

/// A comment laid out on a stage: its lifetime, its band and its motion.
public struct PlacedComment: Sendable, Hashable {
    /// The comment's index in the array given to `NiconicoLayout.place`.
    public var source: Int
    public var lines: [String]
    public var position: RenderComment.Position
    public var color: RenderColor
    public var style: TextStyle
    /// Seconds: the first moment the comment is on screen, and the moment it is gone.
    public var start: Double
    public var end: Double
    /// The box's top row and size in pixels (the outline reaches `style.padding` beyond it vertically).
    public var y: Int
    public var width: Int
    public var height: Int
    /// The box's left edge at `start` and at `end` (for `naka`: the stage width and `-width`).
    public var startX: Double
    public var endX: Double
    /// True when no band was free and the comment was put at a random height.
    public var overflowed: Bool

    /// The box's left edge at `time` (seconds), moving linearly from `startX` to `endX`.
    public func x(at time: Double) -> Double {
        startX + (endX - startX) * (time - start) / (end - start)
    }

    /// Horizontal speed in pixels per second (negative: leftwards).
    public var velocity: Double { (endX - startX) / (end - start) }

    /// Whether the comment is on screen at `time`.
    public func isActive(at time: Double) -> Bool { start <= time && time < end }
}

/// The whole layout of a comment file on one stage.
public struct CommentLayout: Sendable {
    public var stage: Stage
    /// The drawn comments, sorted by `start`.
    public var comments: [PlacedComment]
    /// The longest lifetime, seconds (bounds the search for comments on screen).
    public var longestLifetime: Double

    /// Whether any comment is on screen at some moment of `start..<end` (seconds): false means
    /// drawing changes no frame of a video of that span.
    public func hasComments(from start: Double, to end: Double) -> Bool {
        comments.contains { $0.start < end && $0.end > start }
    }

    /// Indices into `comments` of those on screen at `time`, in drawing order (earlier first).
    public func active(at time: Double) -> [Int] {
        // Every comment on screen started in (time - longestLifetime, time].
        var low = 0, high = comments.count
        while low < high {
            let middle = (low + high) / 2
            if comments[middle].start <= time - longestLifetime { low = middle + 1 } else { high = middle }
        }
        var result: [Int] = []
        var index = low
        while index < comments.count && comments[index].start <= time {
            if comments[index].end > time { result.append(index) }
            index += 1
        }
        return result
    }
}

/// Lays comments out the way Niconico's player does.
public enum NiconicoLayout {
    /// The default on-screen time of a fixed comment and of a scrolling comment after its vpos, seconds.
    public static let defaultDuration = 3.0
    /// How long a scrolling comment is on screen before its vpos, seconds.
    public static let lead = 1.0
    /// The longest `@N` current players honour, seconds.
    public static let maximumDuration = 120.0
    /// Multi-line comments with at least this many lines are set at half size unless `ender`.
    static func shrinkLineCount(_ size: RenderComment.Size) -> Int {
        switch size {
        case .big: 3
        case .medium: 5
        case .small: 7
        }
    }

    /// Lays out `comments` on `stage` with the widths `typesetter` measures.
    ///
    /// Invisible comments, owner scripts and empty text are left out. Comments are placed in
    /// vpos order (ties keep their order in the array). Logs one warning if the font lacks
    /// characters (`Typesetter.reportMissingGlyphs`).
    ///
    /// - Parameter generator: the source of the random heights given when the screen is full.
    public static func place(_ comments: [RenderComment], on stage: Stage, typesetter: Typesetter,
                             using generator: inout some RandomNumberGenerator) -> CommentLayout {
        let order = comments.indices.filter { comments[$0].isDrawn }
            .sorted { (comments[$0].vpos, $0) < (comments[$1].vpos, $1) }
        var placed: [PlacedComment] = []
        placed.reserveCapacity(order.count)
        var live: [Int] = []  // indices into `placed` that may still be on screen
        for index in order {
            var comment = box(for: comments[index], source: index, on: stage, typesetter: typesetter)
            // Anything placed earlier that ended before this comment starts can no longer be met:
            // later comments start no earlier than this one's vpos minus the lead.
            let horizon = Double(comments[index].vpos) / 100 - lead
            live.removeAll { placed[$0].end <= horizon }
            let obstacles = live.map { placed[$0] }.filter { $0.end > comment.start && $0.start < comment.end }
            if let y = freeBand(for: comment, among: obstacles, stage: stage) {
                comment.y = y
            } else {
                comment.y = Int.random(in: 0...max(0, stage.height - comment.height), using: &generator)
                comment.overflowed = true
            }
            live.append(placed.count)
            placed.append(comment)
        }
        typesetter.reportMissingGlyphs()
        placed.sort { ($0.start, $0.source) < ($1.start, $1.source) }
        let longest = placed.map { $0.end - $0.start }.max() ?? 0
        return CommentLayout(stage: stage, comments: placed, longestLifetime: longest)
    }

    /// The comment's lifetime, size and motion, with `y` still to be chosen.
    static func box(for comment: RenderComment, source: Int, on stage: Stage, typesetter: Typesetter) -> PlacedComment {
        let lines = comment.lines
        var style = stage.style(for: comment.size)
        if lines.count >= shrinkLineCount(comment.size) && !comment.ender {
            style = style.scaled(by: 0.5)
        }
        var (width, height) = typesetter.boxSize(lines: lines, style: style)
        if comment.position != .naka {
            // Fixed comments wider than their area are shrunk to fit it: the 4:3 area, or the full width with `full`.
            let area = comment.full ? Double(stage.width) : min(Double(stage.width), Double(stage.height) * 4 / 3)
            // Widths are not quite proportional to the size (hinting, whole-pixel margins): repeat until it fits.
            var attempts = 0
            while Double(width) > area && attempts < 8 {
                style = style.scaled(by: area / Double(width) * (attempts == 0 ? 1 : 0.99))
                (width, height) = typesetter.boxSize(lines: lines, style: style)
                attempts += 1
            }
        }
        let duration = comment.duration.flatMap { $0.isFinite && $0 > 0 ? min($0, maximumDuration) : nil } ?? defaultDuration
        let said = Double(comment.vpos) / 100
        let start: Double, end: Double, startX: Double, endX: Double
        switch comment.position {
        case .naka:
            (start, end) = (said - lead, said + duration)
            (startX, endX) = (Double(stage.width), Double(-width))
        case .ue, .shita:
            (start, end) = (said, said + duration)
            startX = (Double(stage.width) - Double(width)) / 2
            endX = startX
        }
        return PlacedComment(source: source, lines: lines, position: comment.position, color: comment.color, style: style,
                             start: start, end: end, y: 0, width: width, height: height,
                             startX: startX, endX: endX, overflowed: false)
    }

    /// The first band, from the top (from the bottom for `shita`), where `comment` meets none of
    /// `obstacles`; nil when none fits on the stage.
    ///
    /// Only obstacles that would meet the comment at some height matter; each forbids an interval
    /// of top rows, and one sweep over the intervals sorted by their start finds the first gap,
    /// in O(n log n) for n obstacles.
    static func freeBand(for comment: PlacedComment, among obstacles: [PlacedComment], stage: Stage) -> Int? {
        let fromBottom = comment.position == .shita
        let height = comment.height
        // Work in rows counted from the edge the comment stacks from.
        let blocked = obstacles.filter { meet(comment, $0) }.map { obstacle -> (first: Int, last: Int) in
            let near = fromBottom ? stage.height - (obstacle.y + obstacle.height) : obstacle.y
            return (near - height + 1, near + obstacle.height - 1)
        }.sorted { $0.first < $1.first }
        var candidate = 0
        for interval in blocked {
            if interval.first > candidate { break }
            candidate = max(candidate, interval.last + 1)
        }
        guard candidate + height <= stage.height else { return nil }
        return fromBottom ? stage.height - height - candidate : candidate
    }

    /// Whether two comments would overlap at some moment if they were in the same band. Both move
    /// linearly, so the gap between them is linear in time and checking the ends of the shared
    /// interval decides it.
    static func meet(_ a: PlacedComment, _ b: PlacedComment) -> Bool {
        let from = max(a.start, b.start), to = min(a.end, b.end)
        guard from < to else { return false }
        let tolerance = 1e-6
        func gap(_ left: PlacedComment, _ right: PlacedComment, _ time: Double) -> Double {
            right.x(at: time) - (left.x(at: time) + Double(left.width))
        }
        let aLeftOfB = gap(a, b, from) >= -tolerance && gap(a, b, to) >= -tolerance
        let bLeftOfA = gap(b, a, from) >= -tolerance && gap(b, a, to) >= -tolerance
        return !(aLeftOfB || bLeftOfA)
    }
}
