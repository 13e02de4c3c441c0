// Niconico mail commands: the space-separated tokens of a chat's `mail` attribute.

/// What each Niconico mail token means (see DESIGN.md, "Mail commands").
///
/// Tokens are case-sensitive as on Niconico. For position, size, colour and font the first
/// recognised token wins, as in Niconico's player. Unknown tokens (`W34`, typos such as
/// `patisser`, `middle`, `gray`, Japanese words) change nothing: they stay in `Comment.mail`.
public enum MailCommands {
    /// The longest `@N` duration current players honour, in seconds.
    public static let maximumDuration: Double = 120

    /// The named colours, the premium set included.
    public static let colors: [String: RGBColor] = [
        "white": RGBColor(packed: 0xFFFFFF), "red": RGBColor(packed: 0xFF0000),
        "pink": RGBColor(packed: 0xFF8080), "orange": RGBColor(packed: 0xFFC000),
        "yellow": RGBColor(packed: 0xFFFF00), "green": RGBColor(packed: 0x00FF00),
        "cyan": RGBColor(packed: 0x00FFFF), "blue": RGBColor(packed: 0x0000FF),
        "purple": RGBColor(packed: 0xC000FF), "black": RGBColor(packed: 0x000000),
        "white2": RGBColor(packed: 0xCCCC99), "niconicowhite": RGBColor(packed: 0xCCCC99),
        "red2": RGBColor(packed: 0xCC0033), "truered": RGBColor(packed: 0xCC0033),
        "pink2": RGBColor(packed: 0xFF33CC),
        "orange2": RGBColor(packed: 0xFF6600), "passionorange": RGBColor(packed: 0xFF6600),
        "yellow2": RGBColor(packed: 0x999900), "madyellow": RGBColor(packed: 0x999900),
        "green2": RGBColor(packed: 0x00CC66), "elementalgreen": RGBColor(packed: 0x00CC66),
        "cyan2": RGBColor(packed: 0x00CCCC),
        "blue2": RGBColor(packed: 0x3399FF), "marineblue": RGBColor(packed: 0x3399FF),
        "purple2": RGBColor(packed: 0x6633CC), "nobleviolet": RGBColor(packed: 0x6633CC),
        "black2": RGBColor(packed: 0x666666),
    ]

    /// Splits a raw `mail` attribute into tokens, dropping the empty ones that doubled or
    /// leading spaces leave (ASCII and ideographic spaces both separate tokens).
    public static func tokens(_ mail: String) -> [String] {
        mail.split(whereSeparator: { $0 == " " || $0 == "\u{3000}" || $0 == "\t" }).map(String.init)
    }

    /// Sets the typed fields of `comment` from `tokens`; the tokens themselves are not stored.
    public static func apply(_ tokens: [String], to comment: inout Comment) {
        var position: Position?, size: Size?, color: RGBColor?, font: Font?, duration: Double?
        for token in tokens {
            switch token {
            case "184": comment.isAnonymous = true
            case "full": comment.isFull = true
            case "ender": comment.isEnder = true
            case "invisible": comment.isInvisible = true
            case "patissier": comment.isPatissier = true
            case "ca": comment.isCommentArt = true
            case "_live": comment.isLive = true
            default:
                if let value = Position(rawValue: token) {
                    position = position ?? value
                } else if let value = Size(rawValue: token) {
                    size = size ?? value
                } else if let value = Font(rawValue: token) {
                    font = font ?? value
                } else if let value = colors[token] ?? RGBColor(hex: token) {
                    color = color ?? value
                } else if token.hasPrefix("@"), let seconds = Double(token.dropFirst()), seconds > 0, seconds.isFinite {
                    duration = duration ?? min(seconds, maximumDuration)
                }
                // Anything else (`local`, `iPhone`, `device:3DS`, typos, words) has no effect.
            }
        }
        if let position { comment.position = position }
        if let size { comment.size = size }
        if let color { comment.color = color }
        if let font { comment.font = font }
        if let duration { comment.duration = duration }
    }

    /// Counts in `bad` the tokens that look like a colour or a duration but are not one, which
    /// `apply` ignores (`#12345G`, `@x`, `@0`), and `@N` beyond `maximumDuration`, which it
    /// shortens. Other unknown tokens are words, not bad values.
    public static func countBadValues(_ tokens: [String], into bad: inout BadValues) {
        for token in tokens {
            if token.hasPrefix("#"), colors[token] == nil, RGBColor(hex: token) == nil {
                bad.count("mail colour", .unreadable, "ignored")
            } else if token.hasPrefix("@") {
                countBadDuration(token.dropFirst(), into: &bad)
            }
        }
    }

    /// `countBadValues` for the `N` of an `@N` token.
    private static func countBadDuration(_ value: Substring, into bad: inout BadValues) {
        guard let seconds = Double(value) else {
            bad.count("mail @N", .unreadable, "ignored")
            return
        }
        if !(seconds > 0 && seconds.isFinite) {
            bad.count("mail @N", .outOfRange, "ignored")
        } else if seconds > maximumDuration {
            bad.count("mail @N", .outOfRange, "read as @\(Int(maximumDuration))")
        }
    }

    /// Mail tokens that say what the typed fields of `comment` say, for comments that have no
    /// raw tokens (Bilibili, generated): only what differs from the defaults, in the order
    /// position, size, colour (a basic name when one fits, else `#RRGGBB`), font, `@N`, flags.
    /// Anonymity is left out: the XML writer keeps it in the `anonymity` attribute.
    public static func canonicalTokens(for comment: Comment) -> [String] {
        var tokens: [String] = []
        if comment.position != .naka { tokens.append(comment.position.rawValue) }
        if comment.size != .medium { tokens.append(comment.size.rawValue) }
        if comment.color != .white {
            let basic = ["red", "pink", "orange", "yellow", "green", "cyan", "blue", "purple", "black"]
            tokens.append(basic.first { colors[$0] == comment.color } ?? comment.color.hex)
        }
        if comment.font != .defont { tokens.append(comment.font.rawValue) }
        if let duration = comment.duration {
            tokens.append("@" + (duration == duration.rounded() ? String(Int(duration)) : String(duration)))
        }
        let flags: [(Bool, String)] = [(comment.isFull, "full"), (comment.isEnder, "ender"), (comment.isInvisible, "invisible"),
                                       (comment.isPatissier, "patissier"), (comment.isCommentArt, "ca"), (comment.isLive, "_live")]
        tokens += flags.filter(\.0).map(\.1)
        return tokens
    }
}
