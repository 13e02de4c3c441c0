// What a viewer may change about Niconico's layout: how many comments share the screen, what
// happens when no band is free, how long scrolling comments take, their size and opacity, and
// a strip at the bottom kept free for subtitles. `LayoutOptions()` is Niconico's behaviour.

/// Settings of `NiconicoLayout.place` beyond Niconico's rules. The defaults change nothing.
public struct LayoutOptions: Sendable, Hashable {
    /// At most this many comments on screen at any instant; nil: no limit (Niconico).
    public var maxOnScreen: Int?
    /// With `maxOnScreen`: a comment that would exceed it waits (its whole lifetime shifted
    /// later) until a comment leaves, at most `maximumDelay` seconds, instead of being dropped.
    public var queue: Bool = false
    /// A comment that finds no free band is dropped instead of going to a random height.
    public var noOverlap: Bool = false
    /// Seconds a scrolling comment of the default duration is on screen (Niconico: 4, of which
    /// 1 s before its vpos). Its whole lifetime, `@N` included, is scaled by `scrollSeconds / 4`.
    public var scrollSeconds: Double = 4
    /// Multiplies every font size (and line height and outline).
    public var fontScale: Double = 1
    /// The share of the height at the bottom (0…<1) where no comment is placed, for subtitles:
    /// bands, bottom comments and random heights all stay above it.
    public var protectBottom: Double = 0
    /// Multiplies every comment's opacity (0…1).
    public var opacity: Double = 1

    /// The longest wait `queue` allows, seconds; a comment that would wait longer is dropped.
    public static let maximumDelay = 10.0

    public init() {}

    /// Niconico's default on-screen time of a scrolling comment, seconds (1 s lead + 3 s).
    public static let niconicoScrollSeconds = 4.0
}

/// Why a comment given to the layout is not in it.
public enum LayoutDrop: String, Sendable, Hashable, CaseIterable {
    /// `maxOnScreen` comments were already on screen (or, with `queue`, for longer than `LayoutOptions.maximumDelay`).
    case maxOnScreen = "max-on-screen"
    /// `noOverlap` and no band was free.
    case noFreeBand = "no free band"
}
