// The options of `render` that change what is drawn and how, beyond Niconico's rules: density
// and overlap, style, filters, merged duplicates, output frame rate, the HTML player. Each
// overrides the recipe's `render` section only when given.
import ArgumentParser
import Foundation
import Pipeline
import Render

extension CommentBlock: ExpressibleByArgument {}
extension MergeStyle: ExpressibleByArgument {}

struct RenderStyleOptions: ParsableArguments {
    @Option(name: .customLong("max-on-screen"), parsing: .unconditional, help: ArgumentHelp("At most N comments on screen at once; later ones are dropped (or, with --queue, delayed).", valueName: "n"))
    var maxOnScreen: Int?

    @Flag(help: "With --max-on-screen: delay a comment (up to 10 s) until a comment leaves instead of dropping it.")
    var queue = false

    @Flag(name: .customLong("no-overlap"), help: "Drop a comment that finds no free band instead of placing it at a random height.")
    var noOverlap = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Opacity of every comment, 0…1.", valueName: "x"))
    var opacity: Double?

    @Option(name: .customLong("scroll-seconds"), parsing: .unconditional, help: ArgumentHelp("Seconds a scrolling comment is on screen (Niconico: 4).", valueName: "seconds"))
    var scrollSeconds: Double?

    @Option(name: .customLong("font-scale"), parsing: .unconditional, help: ArgumentHelp("Multiplies every font size.", valueName: "x"))
    var fontScale: Double?

    @Option(name: .customLong("protect-bottom"), parsing: .unconditional, help: ArgumentHelp("Keep this share of the height at the bottom free of comments (0…<1), e.g. 0.2 for subtitles.", valueName: "fraction"))
    var protectBottom: Double?

    @Option(help: ArgumentHelp("Comma-separated kinds of comments not to draw: top, bottom, scroll, colour (any non-white colour).",
                               valueName: "kinds"),
            transform: RenderStyleOptions.blocks)
    var block: [CommentBlock]?

    @Option(name: .customLong("filter"), help: ArgumentHelp("A regular expression; comments whose text matches are not drawn (repeatable).", valueName: "regex"))
    var filters: [String] = []

    @Option(name: .customLong("filter-file"), help: ArgumentHelp("A file of regular expressions, one per line (# comments), like --filter.", valueName: "file"))
    var filterFile: String?

    @Option(name: .customLong("merge-duplicates"), parsing: .unconditional, help: ArgumentHelp("Draw the same normalised text said again within SECONDS once, with its count.", valueName: "seconds"))
    var mergeDuplicates: Double?

    @Option(name: .customLong("merge-style"), help: "How a merged comment shows its count: count (×N appended, default) or grow (font grows with log N).")
    var mergeStyle: MergeStyle?

    @Option(parsing: .unconditional, help: ArgumentHelp("Output frame rate: frames are repeated and the comments move on every output frame (e.g. 60).", valueName: "rate"))
    var fps: Double?

    @Option(help: ArgumentHelp("Write an HTML page that plays the original video with these comments over it (no video is encoded unless -o is given).", valueName: "out.html"))
    var html: String?

    static func blocks(_ text: String) throws -> [CommentBlock] {
        try text.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let block = CommentBlock(rawValue: trimmed == "color" ? "colour" : trimmed) else {
                throw ValidationError("--block: unknown kind '\(trimmed)' (known: \(CommentBlock.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return block
        }
    }

    func validate() throws {
        try OptionRange.check(maxOnScreen, "--max-on-screen", in: 1...Int.max)
        try OptionRange.check(opacity, "--opacity", in: 0...1, shown: "in 0...1")
        // A comment on screen for more than an hour, or drawn 100 times larger, is no use.
        try OptionRange.positive(scrollSeconds, "--scroll-seconds", maximum: 3600)
        try OptionRange.positive(fontScale, "--font-scale", maximum: 100)
        try OptionRange.check(protectBottom, "--protect-bottom", in: 0...(1.0).nextDown, shown: "in [0, 1)")
        try OptionRange.nonNegative(mergeDuplicates, "--merge-duplicates")
        try OptionRange.positive(fps, "--fps", maximum: 240)
        for pattern in filters where (try? Regex(pattern)) == nil {
            throw ValidationError("--filter '\(pattern)' is not a regular expression")
        }
    }

    /// `options` (from the recipe) with every option given here applied over it.
    func apply(to options: inout BurnOptions, videoOutputGiven: Bool) {
        if let maxOnScreen { options.layout.maxOnScreen = maxOnScreen }
        if queue { options.layout.queue = true }
        if noOverlap { options.layout.noOverlap = true }
        if let opacity { options.layout.opacity = opacity }
        if let scrollSeconds { options.layout.scrollSeconds = scrollSeconds }
        if let fontScale { options.layout.fontScale = fontScale }
        if let protectBottom { options.layout.protectBottom = protectBottom }
        if let block { options.block = block }
        if !filters.isEmpty { options.filters = filters }
        if let filterFile { options.filterFile = filterFile }
        if let mergeDuplicates { options.mergeWindow = mergeDuplicates }
        if let mergeStyle { options.mergeStyle = mergeStyle }
        if let fps { options.fps = fps }
        options.htmlPath = html
        options.writesVideo = html == nil || videoOutputGiven
    }

    /// The summary lines about what the options left out.
    static func summary(_ result: BurnResult) -> [String] {
        var lines: [String] = []
        func list(_ items: [(reason: String, count: Int)]) -> String { items.map { "\($0.count) \($0.reason)" }.joined(separator: ", ") }
        if !result.drops.isEmpty { lines.append("dropped   \(list(result.drops))") }
        if result.delayed > 0 { lines.append("delayed   \(result.delayed) comments waited for room (--queue)") }
        if !result.partial.isEmpty { lines.append("mode 7    not drawn: \(list(result.partial))") }
        if let html = result.html { lines.append("html      \(html)") }
        return lines
    }
}
