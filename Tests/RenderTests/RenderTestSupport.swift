// Helpers of the Render tests: the bundled typesetter, a log handler that keeps warnings,
// and PGM images (the seeded generator is Tensor's SplitMix64).
import Foundation
import Logging
import Render
import TestSupport

/// The package's bundled font.
let bundledFontPath = (Project.root as NSString).appendingPathComponent("Fonts/ipaexg.ttf")

/// A typesetter on the bundled font whose warnings go to `log`.
func makeTypesetter(log: CapturedLog = CapturedLog(), fallback: FontFace? = nil) throws -> Typesetter {
    Typesetter(font: try FontFace(path: bundledFontPath), fallback: fallback, logger: log.logger)
}

/// Keeps the messages logged through `logger`. `@unchecked Sendable`: the lock guards `entries`.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Logger.Level, message: String)] = []

    var logger: Logger { Logger(label: "test.render") { _ in CapturingHandler(log: self) } }

    var warnings: [String] { lock.withLock { entries.filter { $0.level == .warning }.map(\.message) } }

    fileprivate func append(_ level: Logger.Level, _ message: String) {
        lock.withLock { entries.append((level, message)) }
    }
}

private struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append(event.level, event.message.description)
    }
}

/// A binary PGM (P5, 8-bit) image.
struct GrayImage: Equatable {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Reads a P5 file with maxval 255 and no comments (what `write` produces).
    init(pgm data: Data) throws {
        let bytes = [UInt8](data)
        var fields: [String] = []
        var index = 0
        while fields.count < 4 && index < bytes.count {
            while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x0A) { index += 1 }
            var field = ""
            while index < bytes.count && bytes[index] != 0x20 && bytes[index] != 0x0A {
                field.append(Character(Unicode.Scalar(bytes[index])))
                index += 1
            }
            fields.append(field)
        }
        index += 1
        guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255",
              bytes.count - index == width * height else {
            throw CocoaError(.fileReadCorruptFile)
        }
        self.init(width: width, height: height, pixels: Array(bytes[index...]))
    }

    var pgm: Data { Data("P5\n\(width) \(height)\n255\n".utf8) + Data(pixels) }
}
