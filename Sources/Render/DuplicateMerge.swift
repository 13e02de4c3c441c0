// Merging repeated comments ("8888", "草"): the same text said again within a window is drawn
// once, as the first occurrence, showing how many said it.
import Foundation

/// How a merged comment shows its count.
public enum MergeStyle: String, Codable, Sendable, Hashable, CaseIterable {
    /// `×N` appended to the text (the default: the count is readable and the size stays Niconico's).
    case count
    /// The font grows with log N, as Pakku.js and uosc_danmaku do: ×1 up to 5 copies, then
    /// log N / log 5 (10 → 1.43, 25 → 2), at most ×2.5.
    case grow
}

public enum DuplicateMerge {
    /// `comments` with every comment whose `key` (the normalised text) equals that of an
    /// earlier kept one said at most `window` seconds before it removed, and the kept one
    /// marked with the count. Positioned comments and comments that are never drawn stay as
    /// they are. Order is kept.
    ///
    /// - Returns: the comments and how many were merged away.
    public static func merge(_ comments: [RenderComment], window: Double, style: MergeStyle,
                             key: (String) -> String) -> (comments: [RenderComment], merged: Int) {
        guard window > 0 else { return (comments, 0) }
        let order = comments.indices.sorted { (comments[$0].vpos, $0) < (comments[$1].vpos, $1) }
        var groups: [String: (first: Int, vpos: Int)] = [:]
        var counts = [Int](repeating: 1, count: comments.count)
        var removed = [Bool](repeating: false, count: comments.count)
        let windowCentiseconds = Int((window * 100).rounded())
        for index in order {
            let comment = comments[index]
            guard comment.isDrawn, comment.positioned == nil else { continue }
            let text = key(comment.text)
            // Position kind is part of the key: a top comment is not a copy of a scrolling one.
            let groupKey = comment.position.rawValue + "\u{0}" + text
            if let group = groups[groupKey], comment.vpos - group.vpos <= windowCentiseconds {
                counts[group.first] += 1
                removed[index] = true
            } else {
                groups[groupKey] = (index, comment.vpos)
            }
        }
        var result: [RenderComment] = []
        result.reserveCapacity(comments.count)
        for (index, var comment) in comments.enumerated() where !removed[index] {
            let count = counts[index]
            if count > 1 {
                switch style {
                case .count: comment.text += "×\(count)"
                case .grow: comment.scale *= growth(count)
                }
            }
            result.append(comment)
        }
        return (result, removed.filter { $0 }.count)
    }

    /// The font scale of a comment said `count` times with `MergeStyle.grow`.
    public static func growth(_ count: Int) -> Double {
        count <= 5 ? 1 : min(2.5, log(Double(count)) / log(5))
    }
}
