// What Render draws: one comment with its mail commands already interpreted. The Pipeline
// maps the Comments module's `Comment` onto it; Render knows no comment file format, only its
// `RGBColor`.
import Comments

/// One comment to draw, as Niconico's mail commands describe it.
public struct RenderComment: Sendable, Hashable {
    /// Where the comment appears: scrolling right to left, fixed at the top / bottom, or
    /// scrolling left to right (`reverse`, Bilibili's mode 6).
    public enum Position: String, Sendable, Hashable, CaseIterable {
        case naka, ue, shita, reverse

        /// Whether the comment moves across the screen.
        public var scrolls: Bool { self == .naka || self == .reverse }
    }

    /// A comment placed by its author rather than by the layout (Bilibili's mode 7): it stays
    /// at `from` for `moveDelay` seconds, moves linearly to `to` in `moveDuration` seconds, and
    /// stays there until `duration` seconds after its vpos. Coordinates are the box's top-left
    /// corner in pixels of a reference stage (`referenceWidth` × `referenceHeight`, Bilibili's
    /// 672×438 player), which is fitted into the stage (uniform scale, centred).
    public struct Positioned: Sendable, Hashable {
        public var fromX: Double
        public var fromY: Double
        public var toX: Double
        public var toY: Double
        /// Seconds on screen.
        public var duration: Double
        public var moveDelay: Double
        public var moveDuration: Double
        public var referenceWidth: Double
        public var referenceHeight: Double

        public init(fromX: Double, fromY: Double, toX: Double? = nil, toY: Double? = nil, duration: Double,
                    moveDelay: Double = 0, moveDuration: Double? = nil, referenceWidth: Double = 672, referenceHeight: Double = 438) {
            self.fromX = fromX
            self.fromY = fromY
            self.toX = toX ?? fromX
            self.toY = toY ?? fromY
            self.duration = duration
            self.moveDelay = moveDelay
            self.moveDuration = moveDuration ?? duration
            self.referenceWidth = referenceWidth
            self.referenceHeight = referenceHeight
        }
    }

    /// The three Niconico sizes.
    public enum Size: String, Sendable, Hashable, CaseIterable {
        case big, medium, small
    }

    /// Centiseconds from the start of the video at which the comment is said.
    public var vpos: Int
    /// The text; lines are separated by `\n` (or `\r\n`, `\r`).
    public var text: String
    public var position: Position
    public var size: Size
    public var color: RGBColor
    /// `@N`: seconds on screen instead of the default 3 s (capped at 120 s, as current players do).
    public var duration: Double?
    /// `full`: a fixed comment may use the whole width rather than the 4:3 area when it is shrunk to fit.
    public var full: Bool
    /// `ender`: multi-line comments keep their size instead of being shrunk.
    public var ender: Bool
    /// `invisible`: never drawn.
    public var invisible: Bool
    /// An owner script (owner comment starting with `/`): never drawn as text.
    public var isOwnerScript: Bool
    /// 0…1 (Bilibili's mode 7 alpha); multiplied by the layout's opacity.
    public var opacity: Double = 1
    /// Multiplies the font size (merged duplicates drawn larger).
    public var scale: Double = 1
    /// Set for a comment its author placed (mode 7): the layout then neither chooses its band
    /// nor counts it against other comments.
    public var positioned: Positioned?

    public init(vpos: Int, text: String, position: Position = .naka, size: Size = .medium,
                color: RGBColor = .white, duration: Double? = nil, full: Bool = false, ender: Bool = false,
                invisible: Bool = false, isOwnerScript: Bool = false) {
        self.vpos = vpos
        self.text = text
        self.position = position
        self.size = size
        self.color = color
        self.duration = duration
        self.full = full
        self.ender = ender
        self.invisible = invisible
        self.isOwnerScript = isOwnerScript
    }

    /// Whether the comment is drawn at all.
    var isDrawn: Bool {
        !invisible && !isOwnerScript && !text.allSatisfy { $0.isWhitespace }
    }

    /// The text split into lines (at `\n`, `\r\n`, `\r` and the Unicode line separators).
    var lines: [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).map(String.init)
    }
}
