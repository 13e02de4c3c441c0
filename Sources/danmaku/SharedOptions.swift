// Options more than one command takes, one `ParsableArguments` per concern: the model bundle
// (with the product card's default), the seed, the feature cache, the video encoding, and
// times written as a person writes them (`83.5`, `1:23`, `0:01:23.5`).
import ArgumentParser
import Foundation
import Pipeline

/// `-m MODEL`: the model bundle to use, by default `model.danmaku` in the current directory —
/// the bundle `danmaku train` writes when it is given no `-o`.
struct ModelOption: ParsableArguments {
    /// What `danmaku train` writes by default, and what the other commands read by default.
    static let defaultBundle = "model.danmaku"

    @Option(name: [.customShort("m"), .customLong("model")],
            help: "A model bundle (NAME.danmaku); default: \(ModelOption.defaultBundle) in the current directory, as `danmaku train` writes it.")
    var model: String?

    /// The bundle's path: the one given, or the default when it exists.
    ///
    /// - Throws: `ModelOptionError.noDefaultBundle` when no `-m` is given and there is no
    ///   `model.danmaku` here (a run error, exit status 1: the fix is to train, not to retype).
    func resolve() throws -> String { try Self.resolve(model) }

    /// `model`, or the default bundle when it exists (see `resolve()`).
    static func resolve(_ model: String?) throws -> String {
        if let model { return model }
        guard FileManager.default.fileExists(atPath: defaultBundle) else { throw ModelOptionError.noDefaultBundle }
        return defaultBundle
    }
}

/// `--seed N`: makes a run repeatable.
struct SeedOption: ParsableArguments {
    @Option(help: "Seeds everything random in the run: the same seed gives the same output (default 1; train: the recipe's training.seed and dataset.seed).")
    var seed: UInt64?

    /// The seed given, or 1.
    var value: UInt64 { seed ?? 1 }
}

/// `--no-cache`: neither read nor write the feature cache.
struct CacheOption: ParsableArguments {
    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the feature cache.")
    var noCache = false

    var useCache: Bool { !noCache }
}

/// `--font`, `--crf`, `--preset`: how the video is drawn and encoded, each over the recipe's
/// `render` section (the default recipe with --comments, the model's with -m).
struct EncodingOptions: ParsableArguments {
    @Option(help: "A font file (TTF/OTF/TTC); default: the bundled IPAex Gothic.")
    var font: String?

    @Option(parsing: .unconditional, help: "x264 constant rate factor, 0–51 (lower: better and bigger; default: the recipe's render.crf, 23).")
    var crf: Int?

    @Option(help: "x264 preset (ultrafast … veryslow; default: the recipe's render.preset, veryfast).")
    var preset: String?

    func validate() throws {
        try OptionRange.check(crf, "--crf", in: 0...51)
    }

    /// `options` (made from a recipe) with the values given here in place of the recipe's.
    func apply(to options: inout BurnOptions) {
        if let font { options.font = font }
        if let crf { options.crf = crf }
        if let preset { options.preset = preset }
    }
}

/// The model bundle cannot be found.
enum ModelOptionError: Error, LocalizedError {
    case noDefaultBundle

    var errorDescription: String? {
        "no model: \(ModelOption.defaultBundle) is not in the current directory; make one with `danmaku train VIDEO COMMENTS` or give -m MODEL"
    }
}

/// A time in a video, in seconds: `SS`, `M:SS` or `H:MM:SS`, each with optional decimals
/// (`83`, `1:23`, `1:23.5`, `0:01:23.5`).
struct Timestamp: ExpressibleByArgument, Equatable, CustomStringConvertible {
    var seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let last = Double(parts[parts.count - 1]), last.isFinite, last >= 0 else { return nil }
        // Minutes and hours are whole numbers; the seconds after a colon are below 60.
        var seconds = last
        if parts.count > 1 {
            guard last < 60, !parts[parts.count - 1].hasPrefix("+") else { return nil }
            var scale = 60.0
            for (i, part) in parts.dropLast().reversed().enumerated() {
                guard let value = Int(part), value >= 0, !part.hasPrefix("+"), i == parts.count - 2 || value < 60 else { return nil }
                seconds += Double(value) * scale
                scale *= 60
            }
        }
        self.seconds = seconds
    }

    static var defaultCompletionKind: CompletionKind { .default }

    var description: String { String(format: "%.2f s", seconds) }
}

/// Range checks of numeric options, for `validate()`: each throws a `ValidationError` (a usage
/// error, exit status 64) naming the option and the value given. NaN and infinities are out of
/// every range.
enum OptionRange {
    /// `value`, when given, lies in `range`; `shown` is the range as the message writes it.
    static func check(_ value: Double?, _ option: String, in range: ClosedRange<Double>, shown: String) throws {
        if let value, !(value.isFinite && range.contains(value)) {
            throw ValidationError("\(option) must be \(shown), got \(value)")
        }
    }

    /// `value`, when given, is finite and above 0 (and at most `maximum`).
    static func positive(_ value: Double?, _ option: String, maximum: Double = .greatestFiniteMagnitude) throws {
        if let value, !(value.isFinite && value > 0 && value <= maximum) {
            let upper = maximum == maximum.rounded() ? String(Int(maximum)) : String(maximum)
            let shown = maximum == .greatestFiniteMagnitude ? "positive" : "in (0, \(upper)]"
            throw ValidationError("\(option) must be \(shown), got \(value)")
        }
    }

    /// `value`, when given, is finite and not negative.
    static func nonNegative(_ value: Double?, _ option: String) throws {
        try check(value, option, in: 0 ... .greatestFiniteMagnitude, shown: "a finite number, not negative")
    }

    /// `value`, when given, lies in `range`.
    static func check(_ value: Int?, _ option: String, in range: ClosedRange<Int>) throws {
        if let value, !range.contains(value) {
            let shown = range.upperBound == .max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw ValidationError("\(option) must be \(shown), got \(value)")
        }
    }
}
