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
import Comments
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
    public var color: RGBColor
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
    /// 0…1, the comment's own opacity times the layout's.
    public var opacity: Double = 1
    /// The top row at the end of the motion (differs from `y` only for a positioned comment that moves).
    public var endY: Int
    /// Seconds: the motion runs from `moveStart` to `moveEnd` (for all but positioned comments,
    /// `start` and `end`); before it the comment is at its start, after it at its end.
    public var moveStart: Double
    public var moveEnd: Double
    /// Placed by its author (Bilibili's mode 7): not an obstacle for band allocation.
    public var isPositioned: Bool = false

    /// The share of the motion done at `time`, 0…1.
    func progress(at time: Double) -> Double {
        guard moveEnd > moveStart else { return time >= moveEnd ? 1 : 0 }
        return min(1, max(0, (time - moveStart) / (moveEnd - moveStart)))
    }

    /// The box's left edge at `time` (seconds), moving linearly from `startX` to `endX`.
    public func x(at time: Double) -> Double {
        guard isPositioned else { return startX + (endX - startX) * (time - start) / (end - start) }
        return startX + (endX - startX) * progress(at: time)
    }

    /// The box's top row at `time` (seconds): `y`, except for a positioned comment that moves,
    /// which moves by whole pairs of rows (so YUV 4:2:0 chroma stays aligned).
    public func top(at time: Double) -> Int {
        endY == y ? y : y + 2 * Int((Double(endY - y) * progress(at: time) / 2).rounded())
    }

    /// Horizontal speed in pixels per second while moving (negative: leftwards).
    public var velocity: Double { (endX - startX) / (moveEnd - moveStart) }

    /// Whether the comment is on screen at `time`.
    public func isActive(at time: Double) -> Bool { start <= time && time < end }

    /// The same comment `seconds` later.
    func delayed(by seconds: Double) -> PlacedComment {
        var copy = self
        copy.start += seconds
        copy.end += seconds
        copy.moveStart += seconds
        copy.moveEnd += seconds
        return copy
    }
}

/// The whole layout of a comment file on one stage.
public struct CommentLayout: Sendable {
    public var stage: Stage
    /// The drawn comments, sorted by `start`.
    public var comments: [PlacedComment]
    /// The longest lifetime, seconds (bounds the search for comments on screen).
    public var longestLifetime: Double
    /// Comments the options left out, per reason (none with `LayoutOptions()`).
    public var drops: [LayoutDrop: Int] = [:]
    /// Comments `queue` made wait for room.
    public var delayed: Int = 0

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
    /// characters (`Typesetter.reportMissingGlyphs`). `options` (default: Niconico's rules)
    /// may limit how many are on screen, drop those without a free band, scale the scrolling
    /// time and the sizes, and keep a strip at the bottom free; dropped comments are counted
    /// in `CommentLayout.drops`.
    ///
    /// - Parameter generator: the source of the random heights given when the screen is full.
    public static func place(_ comments: [RenderComment], on stage: Stage, typesetter: Typesetter,
                             options: LayoutOptions = LayoutOptions(),
                             using generator: inout some RandomNumberGenerator) -> CommentLayout {
        let order = comments.indices.filter { comments[$0].isDrawn }
            .sorted { (comments[$0].vpos, $0) < (comments[$1].vpos, $1) }
        // Rows 0..<usable take comments; the rest is the protected strip.
        let usable = max(1, Int((Double(stage.height) * (1 - options.protectBottom)).rounded(.down)))
        let leadSeconds = lead * options.scrollSeconds / LayoutOptions.niconicoScrollSeconds
        var placed: [PlacedComment] = []
        placed.reserveCapacity(order.count)
        var live: [Int] = []  // indices into `placed` that may still be on screen
        var drops: [LayoutDrop: Int] = [:]
        var delayed = 0
        for index in order {
            let base = box(for: comments[index], source: index, on: stage, typesetter: typesetter, options: options)
            // Anything placed earlier that ended before this comment starts can no longer be met:
            // later comments start no earlier than this one's vpos minus the lead.
            let horizon = Double(comments[index].vpos) / 100 - leadSeconds
            live.removeAll { placed[$0].end <= horizon }
            // With a queue, the comment may also start when a comment on screen leaves.
            var delays = [0.0]
            if options.queue && options.maxOnScreen != nil {
                delays += live.map { placed[$0].end - base.start }
                    .filter { $0 > 0 && $0 <= LayoutOptions.maximumDelay }.sorted()
            }
            var accepted: PlacedComment?
            var reason = LayoutDrop.maxOnScreen
            for delay in delays {
                var comment = delay == 0 ? base : base.delayed(by: delay)
                let overlapping = live.map { placed[$0] }.filter { $0.end > comment.start && $0.start < comment.end }
                if let limit = options.maxOnScreen, mostAtOnce(overlapping, during: comment) >= limit {
                    reason = .maxOnScreen
                    continue
                }
                if comment.isPositioned {
                    accepted = comment
                    break
                }
                if let y = freeBand(for: comment, among: overlapping.filter { !$0.isPositioned }, height: usable) {
                    comment.y = y
                } else if options.noOverlap {
                    reason = .noFreeBand
                    continue
                } else {
                    comment.y = Int.random(in: 0...max(0, usable - comment.height), using: &generator)
                    comment.overflowed = true
                }
                comment.endY = comment.y
                accepted = comment
                break
            }
            guard let accepted else {
                drops[reason, default: 0] += 1
                continue
            }
            if accepted.start != base.start { delayed += 1 }
            live.append(placed.count)
            placed.append(accepted)
        }
        typesetter.reportMissingGlyphs()
        placed.sort { ($0.start, $0.source) < ($1.start, $1.source) }
        let longest = placed.map { $0.end - $0.start }.max() ?? 0
        return CommentLayout(stage: stage, comments: placed, longestLifetime: longest, drops: drops, delayed: delayed)
    }

    /// The most of `others` on screen at one instant of `comment`'s lifetime (lifetimes are
    /// half-open: one that ends as another starts does not count twice).
    static func mostAtOnce(_ others: [PlacedComment], during comment: PlacedComment) -> Int {
        var events: [(time: Double, change: Int)] = []
        events.reserveCapacity(others.count * 2)
        for other in others {
            let from = max(other.start, comment.start), to = min(other.end, comment.end)
            guard from < to else { continue }
            events.append((from, 1))
            events.append((to, -1))
        }
        events.sort { ($0.time, $0.change) < ($1.time, $1.change) }
        var current = 0, most = 0
        for event in events {
            current += event.change
            most = max(most, current)
        }
        return most
    }

    /// The comment's lifetime, size and motion, with `y` still to be chosen (set for a positioned comment).
    static func box(for comment: RenderComment, source: Int, on stage: Stage, typesetter: Typesetter,
                    options: LayoutOptions = LayoutOptions()) -> PlacedComment {
        let lines = comment.lines
        var style = stage.style(for: comment.size)
        if options.fontScale != 1 || comment.scale != 1 { style = style.scaled(by: options.fontScale * comment.scale) }
        if lines.count >= shrinkLineCount(comment.size) && !comment.ender {
            style = style.scaled(by: 0.5)
        }
        var (width, height) = typesetter.boxSize(lines: lines, style: style)
        if !comment.position.scrolls && comment.positioned == nil {
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
        let opacity = min(1, max(0, comment.opacity * options.opacity))
        let said = Double(comment.vpos) / 100
        if let positioned = comment.positioned {
            let w = Double(stage.width), h = Double(stage.height)
            let zoom = min(w / positioned.referenceWidth, h / positioned.referenceHeight)
            let left = (w - positioned.referenceWidth * zoom) / 2, top = (h - positioned.referenceHeight * zoom) / 2
            let duration = max(0.01, positioned.duration)
            let moveStart = said + max(0, positioned.moveDelay)
            let fromY = Int((top + positioned.fromY * zoom).rounded())
            // Vertical motion goes by pairs of rows (see `top(at:)`).
            let toY = fromY + 2 * Int(((positioned.toY - positioned.fromY) * zoom / 2).rounded())
            return PlacedComment(source: source, lines: lines, position: comment.position, color: comment.color, style: style,
                                 start: said, end: said + duration, y: fromY,
                                 width: width, height: height, startX: left + positioned.fromX * zoom, endX: left + positioned.toX * zoom,
                                 overflowed: false, opacity: opacity, endY: toY,
                                 moveStart: moveStart, moveEnd: moveStart + max(0, positioned.moveDuration), isPositioned: true)
        }
        let duration = comment.duration.flatMap { $0.isFinite && $0 > 0 ? min($0, maximumDuration) : nil } ?? defaultDuration
        let start: Double, end: Double, startX: Double, endX: Double
        switch comment.position {
        case .naka, .reverse:
            let factor = options.scrollSeconds / LayoutOptions.niconicoScrollSeconds
            (start, end) = (said - lead * factor, said + duration * factor)
            (startX, endX) = comment.position == .naka ? (Double(stage.width), Double(-width)) : (Double(-width), Double(stage.width))
        case .ue, .shita:
            (start, end) = (said, said + duration)
            startX = (Double(stage.width) - Double(width)) / 2
            endX = startX
        }
        return PlacedComment(source: source, lines: lines, position: comment.position, color: comment.color, style: style,
                             start: start, end: end, y: 0, width: width, height: height,
                             startX: startX, endX: endX, overflowed: false, opacity: opacity, endY: 0,
                             moveStart: start, moveEnd: end)
    }

    /// The first band, from the top (from the bottom of rows `0..<height` for `shita`), where
    /// `comment` meets none of `obstacles`; nil when none fits in those rows.
    ///
    /// Only obstacles that would meet the comment at some height matter; each forbids an interval
    /// of top rows, and one sweep over the intervals sorted by their start finds the first gap,
    /// in O(n log n) for n obstacles.
    static func freeBand(for comment: PlacedComment, among obstacles: [PlacedComment], height rows: Int) -> Int? {
        let fromBottom = comment.position == .shita
        let height = comment.height
        // Work in rows counted from the edge the comment stacks from.
        let blocked = obstacles.filter { meet(comment, $0) }.map { obstacle -> (first: Int, last: Int) in
            let near = fromBottom ? rows - (obstacle.y + obstacle.height) : obstacle.y
            return (near - height + 1, near + obstacle.height - 1)
        }.sorted { $0.first < $1.first }
        var candidate = 0
        for interval in blocked {
            if interval.first > candidate { break }
            candidate = max(candidate, interval.last + 1)
        }
        guard candidate + height <= rows else { return nil }
        return fromBottom ? rows - height - candidate : candidate
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
