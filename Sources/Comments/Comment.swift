// The comment model: one on-screen comment with its time, author flags and mail commands.

/// Where a comment is drawn: scrolling right to left, or fixed at the top or bottom.
public enum Position: String, Sendable, Equatable, CaseIterable {
    /// Scrolls across the screen (the default).
    case naka
    /// Fixed, centred, stacked from the top.
    case ue
    /// Fixed, centred, stacked from the bottom.
    case shita
}

/// The font size class of a comment (small 18, medium 27, big 39 px at a height of 384 px).
public enum Size: String, Sendable, Equatable, CaseIterable {
    case big, medium, small
}

/// The typeface a comment asks for with `mincho`, `gothic` or `defont` (the default).
public enum Font: String, Sendable, Equatable, CaseIterable {
    case defont, mincho, gothic
}

/// An sRGB colour, 8 bits per channel.
public struct RGBColor: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// The colour of a packed `0xRRGGBB` value (higher bits ignored).
    public init(packed: Int) {
        self.init(r: UInt8((packed >> 16) & 0xFF), g: UInt8((packed >> 8) & 0xFF), b: UInt8(packed & 0xFF))
    }

    /// The colour written `#RRGGBB` (case-insensitive), or nil when `text` is not of that form.
    public init?(hex text: some StringProtocol) {
        guard text.utf8.count == 7, text.first == "#", let value = Int(text.dropFirst(), radix: 16) else { return nil }
        self.init(packed: value)
    }

    /// The colour as `0xRRGGBB`.
    public var packed: Int { Int(r) << 16 | Int(g) << 8 | Int(b) }

    /// The colour as `#RRGGBB`, upper-case.
    public var hex: String {
        let digits = String(packed, radix: 16, uppercase: true)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits
    }

    public var description: String { hex }

    /// Relative luminance 0…1 (Rec. 601 weights), to pick a contrasting outline.
    public var luminance: Double { (0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)) / 255 }

    public static let white = RGBColor(packed: 0xFFFFFF)
    public static let black = RGBColor(packed: 0x000000)
}

/// Which kind of file a comment came from; it decides how `mail` was read.
public enum CommentSource: String, Sendable, Equatable {
    case niconico
    case bilibili
}

/// One comment as the reader found it.
///
/// `vpos` is the exact time in centiseconds from the start of the video, as Niconico stores it
/// (Bilibili's float seconds are rounded to the nearest centisecond). It may be negative or
/// past the end of the video; nothing here clamps it. Every raw mail token is kept in `mail`
/// (unknown ones too); the typed fields are what the known tokens mean (see `MailCommands`).
public struct Comment: Sendable, Equatable {
    /// Time in centiseconds (1/100 s) from the start of the video.
    public var vpos: Int
    /// When the comment was posted, in Unix seconds (0 when the file does not say).
    public var date: Int
    /// The comment number in its thread (`no`; -1 and 0 occur in real files; Bilibili's row id).
    public var number: Int
    /// The format's own id of the comment (`nico:` + the v1 `id`, `bili:` + Bilibili's dmid);
    /// empty when the format has none. Duplicates across files are found by it.
    public var sourceID: String
    /// The poster's id (Niconico `user_id`, Bilibili's uid hash); empty when absent.
    public var userID: String
    /// Posted with `184` or `anonymity="1"`.
    public var isAnonymous: Bool
    /// Posted by a premium member.
    public var isPremium: Bool
    /// Posted by the video's owner (`fork="1"`, the v1 `owner` fork, or a chat without `user_id`).
    public var isOwner: Bool
    /// Deleted by the owner or a moderator (`deleted` attribute); the text is usually empty.
    public var isDeleted: Bool
    /// The NG score (0 or negative; real files go down to about -53,000).
    public var score: Int
    /// How many "nicoru" (likes) the comment received (v1 JSON only; 0 elsewhere).
    public var nicoruCount: Int

    public var position: Position
    public var size: Size
    public var color: RGBColor
    /// Seconds on screen requested with `@N` (at most `MailCommands.maximumDuration`), or nil.
    public var duration: Double?
    public var font: Font
    /// `full`: a fixed comment may use the full 16:9 width.
    public var isFull: Bool
    /// `ender`: no shrinking of a many-line comment.
    public var isEnder: Bool
    /// `invisible`: not drawn.
    public var isInvisible: Bool
    /// `patissier`: the "pâtissier" flag of premium commands (drawn without the shadow).
    public var isPatissier: Bool
    /// `ca`: comment art (fixed-pitch layout).
    public var isCommentArt: Bool
    /// `_live`: semi-transparent, as in live broadcasts.
    public var isLive: Bool
    /// Every mail token as written, empty ones dropped, unknown ones kept.
    public var mail: [String]
    /// The comment's text with its line breaks; entities already decoded.
    public var text: String

    /// Where the comment came from.
    public var source: CommentSource
    /// False for Bilibili comments whose text is not to be shown as is (modes 6/7/8: reverse,
    /// positioned JSON, code); true for every Niconico comment.
    public var isPlainText: Bool
    /// The Bilibili mode (1–8), or nil for Niconico.
    public var bilibiliMode: Int?

    /// A comment with the Niconico defaults: naka, medium, white, defont, no flags.
    public init(vpos: Int, text: String, mail: [String] = [], date: Int = 0, number: Int = 0, userID: String = "",
                source: CommentSource = .niconico) {
        self.vpos = vpos
        self.date = date
        self.number = number
        self.sourceID = ""
        self.userID = userID
        self.isAnonymous = false
        self.isPremium = false
        self.isOwner = false
        self.isDeleted = false
        self.score = 0
        self.nicoruCount = 0
        self.position = .naka
        self.size = .medium
        self.color = .white
        self.duration = nil
        self.font = .defont
        self.isFull = false
        self.isEnder = false
        self.isInvisible = false
        self.isPatissier = false
        self.isCommentArt = false
        self.isLive = false
        self.mail = mail
        self.text = text
        self.source = source
        self.isPlainText = true
        self.bilibiliMode = nil
        MailCommands.apply(mail, to: &self)
    }

    /// An owner comment whose text starts with `/` is a script (`/nicoad`, `/commentlock`, …),
    /// not speech: it is never drawn and never trained on.
    public var isOwnerScript: Bool { isOwner && text.hasPrefix("/") }

    /// The time in seconds.
    public var seconds: Double { Double(vpos) / 100 }
}
