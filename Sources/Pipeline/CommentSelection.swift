// Which comments of a file are drawn, and how Comments' model becomes Render's: block rules
// (`--block`), keyword filters (`--filter`, `--filter-file`), Bilibili's special modes
// (6 reverse, 7 positioned, 8/9 scripts) and merged duplicates. Every comment left out is
// counted under its reason for the summary.
import Comments
import Foundation
import Render

/// A kind of comment `--block` leaves out.
public enum CommentBlock: String, Codable, CaseIterable, Sendable {
    /// Fixed at the top (`ue`, Bilibili mode 5).
    case top
    /// Fixed at the bottom (`shita`, Bilibili mode 4).
    case bottom
    /// Scrolling, either way (`naka`, Bilibili modes 1–3 and 6).
    case scroll
    /// Any colour but white.
    case colour
}

/// The comments to draw and why the others are not drawn.
public struct CommentSelection: Sendable {
    public var comments: [RenderComment] = []
    /// Comments left out, per reason, in the order the reasons first occurred.
    public var drops: [(reason: String, count: Int)] = []
    /// What could not be drawn of mode 7 comments that are drawn (rotation, fades), per feature.
    public var partial: [(reason: String, count: Int)] = []

    mutating func drop(_ reason: String, count: Int = 1) { Self.add(reason, count, to: &drops) }
    mutating func skipFeature(_ reason: String) { Self.add(reason, 1, to: &partial) }

    static func add(_ reason: String, _ count: Int, to list: inout [(reason: String, count: Int)]) {
        guard count > 0 else { return }
        if let index = list.firstIndex(where: { $0.reason == reason }) { list[index].count += count } else { list.append((reason, count)) }
    }

    /// Selects from `comments` with `options`' block rules, filters and duplicate merging.
    ///
    /// - Throws: `PipelineError.invalidInput` naming the filter file (unreadable) or the
    ///   pattern (not a regular expression) with its line number.
    public static func select(_ comments: [Comment], options: BurnOptions) throws -> CommentSelection {
        var selection = CommentSelection()
        let patterns = try patterns(options)
        for comment in comments {
            guard !comment.isDeleted else { continue }
            guard let render = renderComment(comment, selection: &selection) else { continue }
            if let reason = blockReason(render, options.block) {
                selection.drop("blocked (\(reason.rawValue))")
                continue
            }
            // What is drawn: for a Bilibili mode 7 comment, the text inside its JSON array.
            if patterns.contains(where: { render.text.contains($0) }) {
                selection.drop("filtered")
                continue
            }
            selection.comments.append(render)
        }
        if options.mergeWindow > 0 {
            let normalizer = TextNormalizer()
            let merged = DuplicateMerge.merge(selection.comments, window: options.mergeWindow, style: options.mergeStyle,
                                              key: { normalizer.normalize($0) })
            selection.comments = merged.comments
            selection.drop("merged duplicates", count: merged.merged)
        }
        return selection
    }

    /// `options`' block list compiled: the `--filter` patterns, then the filter file's.
    ///
    /// - Throws: `PipelineError.invalidInput` naming the filter file (unreadable) or the
    ///   pattern (not a regular expression) with its line number.
    public static func patterns(_ options: BurnOptions) throws -> [Regex<AnyRegexOutput>] {
        try compile(options.filters, source: "--filter") + (try options.filterFile.map(loadFilterFile) ?? [])
    }

    static func blockReason(_ comment: RenderComment, _ blocked: [CommentBlock]) -> CommentBlock? {
        guard !blocked.isEmpty else { return nil }
        if blocked.contains(.colour) && comment.color != .white { return .colour }
        switch comment.position {
        case .ue: if blocked.contains(.top) { return .top }
        case .shita: if blocked.contains(.bottom) { return .bottom }
        case .naka, .reverse: if blocked.contains(.scroll) && comment.positioned == nil { return .scroll }
        }
        return nil
    }

    /// One regex per pattern.
    static func compile(_ patterns: [String], source: String) throws -> [Regex<AnyRegexOutput>] {
        try patterns.enumerated().map { index, pattern in
            do { return try Regex(pattern) } catch {
                throw PipelineError.invalidInput(path: source, reason: "pattern \(index + 1) '\(pattern)' is not a regular expression: \(error)")
            }
        }
    }

    /// A block list: one regular expression per line; empty lines and lines starting with `#` are ignored.
    static func loadFilterFile(_ path: String) throws -> [Regex<AnyRegexOutput>] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PipelineError.invalidInput(path: path, reason: "cannot read the filter file: \((error as NSError).localizedDescription)")
        }
        var result: [Regex<AnyRegexOutput>] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let pattern = String(line)
            if pattern.trimmingCharacters(in: .whitespaces).isEmpty || pattern.hasPrefix("#") { continue }
            do { result.append(try Regex(pattern)) } catch {
                throw PipelineError.invalidInput(path: path, reason: "line \(number + 1): '\(pattern)' is not a regular expression: \(error)")
            }
        }
        return result
    }

    /// A comment as the Render stage sees it, or nil (counted in `selection`) when it is not
    /// drawn as text: Bilibili modes 8 (code) and 9 (script), mode 7 whose JSON cannot be read.
    static func renderComment(_ comment: Comment, selection: inout CommentSelection) -> RenderComment? {
        if comment.isPlainText { return BurnPipeline.renderComment(comment) }
        var plain = comment
        plain.isPlainText = true
        guard var render = BurnPipeline.renderComment(plain) else { return nil }
        switch comment.bilibiliMode {
        case 6:
            render.position = .reverse
            return render
        case 7:
            guard let positioned = BilibiliPositioned(json: comment.text) else {
                selection.drop("mode 7 unreadable")
                return nil
            }
            render.text = positioned.text
            render.positioned = positioned.placement
            render.opacity = positioned.startAlpha
            render.position = .naka
            if positioned.fades { selection.skipFeature("fade (drawn at its starting alpha)") }
            if positioned.rotates { selection.skipFeature("rotation") }
            return render
        case let mode?:
            selection.drop("mode \(mode) script")
            return nil
        case nil:
            return nil
        }
    }
}

/// The JSON array text of a Bilibili mode 7 comment:
/// `[x, y, "alpha-from-alpha-to", duration s, text, rotZ, rotY, x2, y2, move ms, delay ms, …]`;
/// numbers may be written as strings; x and y at most 1 with a decimal point are shares of the
/// 672×438 player, larger ones its pixels.
struct BilibiliPositioned {
    var text: String
    var placement: RenderComment.Positioned
    var startAlpha: Double
    var fades: Bool
    var rotates: Bool

    static let player = (width: 672.0, height: 438.0)

    init?(json: String) {
        // The reader turned Bilibili's `/n` into line breaks, which JSON strings may not hold raw.
        func parse(_ text: String) -> [Any]? {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [Any]
        }
        guard let array = parse(json) ?? parse(json.replacingOccurrences(of: "\n", with: "\\n")), array.count >= 5 else { return nil }
        func raw(_ index: Int) -> String? {
            guard index < array.count else { return nil }
            if let string = array[index] as? String { return string }
            if let number = array[index] as? NSNumber { return number.stringValue }
            return nil
        }
        func number(_ index: Int) -> Double? { raw(index).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        func coordinate(_ index: Int, extent: Double) -> Double? {
            guard let text = raw(index), let value = Double(text) else { return nil }
            return value <= 1 && text.contains(".") ? value * extent : value
        }
        guard let x = coordinate(0, extent: Self.player.width), let y = coordinate(1, extent: Self.player.height),
              let text = raw(4) else { return nil }
        let duration = number(3) ?? 4.5
        let alphas = (raw(2) ?? "1").split(separator: "-").compactMap { Double($0) }
        startAlpha = min(1, max(0, alphas.first ?? 1))
        fades = alphas.count > 1 && abs(alphas[1] - alphas[0]) > 1e-6
        rotates = (number(5) ?? 0) != 0 || (number(6) ?? 0) != 0
        let toX = coordinate(7, extent: Self.player.width) ?? x, toY = coordinate(8, extent: Self.player.height) ?? y
        let moveDuration = number(9).map { $0 / 1000 } ?? duration
        let delay = (number(10) ?? 0) / 1000
        self.text = text.replacingOccurrences(of: "/n", with: "\n")
        placement = RenderComment.Positioned(fromX: x, fromY: y, toX: toX, toY: toY, duration: duration,
                                             moveDelay: delay, moveDuration: moveDuration,
                                             referenceWidth: Self.player.width, referenceHeight: Self.player.height)
    }
}
