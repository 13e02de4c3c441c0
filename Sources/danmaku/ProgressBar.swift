// A progress bar on stderr: done/total, a rate, and the time left. Redrawn in place on a
// terminal; on a pipe or file it prints a line at most every few seconds instead.
import Foundation

/// Shows the progress of one long operation on stderr.
final class ProgressBar {
    private let label: String
    private let unit: String
    private let total: Int?
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interactive: Bool
    private let minimumInterval: TimeInterval
    private var finished = false
    private var lastDrawn: Int?

    /// - Parameters:
    ///   - label: what is being done ("features", "render").
    ///   - unit: what the count counts, used in the rate ("frames" → "frames/s").
    ///   - total: how many there will be, when known.
    init(_ label: String, unit: String, total: Int?) {
        self.label = label
        self.unit = unit
        self.total = total
        interactive = isatty(STDERR_FILENO) != 0
        minimumInterval = interactive ? 0.1 : 5
    }

    /// Reports that `done` units are complete; redraws at most every 0.1 s on a terminal.
    func update(_ done: Int, detail: String = "") {
        let now = Date()
        guard !finished, now.timeIntervalSince(lastDraw) >= minimumInterval || done == total else { return }
        lastDraw = now
        draw(done, detail: detail, elapsed: now.timeIntervalSince(start))
    }

    /// Draws the final state and ends the line.
    func finish(_ done: Int, detail: String = "") {
        guard !finished else { return }
        if lastDrawn != done || !detail.isEmpty { draw(done, detail: detail, elapsed: Date().timeIntervalSince(start)) }
        finished = true
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(_ done: Int, detail: String, elapsed: TimeInterval) {
        lastDrawn = done
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(label) "
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            text += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            text += "\(done)/\(total) \(unit)"
            if rate > 0 && done < total {
                text += ", ETA " + Self.clock(Double(total - done) / rate)
            }
        } else {
            text += "\(done) \(unit)"
        }
        text += String(format: ", %.1f %@/s", rate, unit)
        if !detail.isEmpty { text += ", " + detail }
        let line = interactive ? "\r\u{1B}[K" + text : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// `seconds` as `M:SS` or `H:MM:SS`.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
