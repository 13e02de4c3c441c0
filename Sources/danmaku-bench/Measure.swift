// Timing helpers: median of several runs after a warm-up, and an optimisation barrier.
import Foundation

enum Measure {
    /// Runs `body` once to warm up, then `runs` times; returns the median wall time in seconds.
    static func median(runs: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Prints one JSON object on its own line to stdout.
    static func report(_ fields: KeyValuePairs<String, Any>) {
        let object = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let keys = ["bench"] + fields.map(\.key).filter { $0 != "bench" }
        let parts = keys.map { key -> String in
            let value = object[key]!
            let text: String
            switch value {
            case let s as String: text = "\"\(s)\""
            case let d as Double: text = String(format: "%.3f", d)
            default: text = "\(value)"
            }
            return "\"\(key)\": \(text)"
        }
        FileHandle.standardOutput.write(Data(("{" + parts.joined(separator: ", ") + "}\n").utf8))
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
