// Shared helpers for the test targets: closeness checks for tensors, temporary directories,
// the package root and the built binary (the test inputs are in Fixtures.swift).
import Foundation
import Tensor
import Testing

/// Expects `actual` to have `expected`'s shape and every element within
/// `atol + rtol·|expected|`; reports the worst element and its index otherwise.
public func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("shapes differ: \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    expectClose(actual.storage, expected.storage, rtol: rtol, atol: atol, sourceLocation: sourceLocation)
}

/// Expects two equally long arrays to agree within `atol + rtol·|expected|` element by element.
public func expectClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("lengths differ: \(actual.count) vs expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, excess: Float)? = nil
    for i in actual.indices {
        let tolerance = atol + rtol * abs(expected[i])
        let error = abs(actual[i] - expected[i])
        if !(error <= tolerance), (worst == nil || error - tolerance > worst!.excess) {
            worst = (i, error - tolerance)
        }
    }
    if let worst {
        Issue.record("element \(worst.index): \(actual[worst.index]) vs expected \(expected[worst.index]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

/// The largest relative error `|a - e| / max(|e|, floor)` over two equally long arrays.
public func maxRelativeError(_ actual: [Float], _ expected: [Float], floor: Float = 1e-6) -> Float {
    precondition(actual.count == expected.count, "lengths \(actual.count) and \(expected.count)")
    var worst: Float = 0
    for i in actual.indices {
        worst = max(worst, abs(actual[i] - expected[i]) / max(abs(expected[i]), floor))
    }
    return worst
}

/// A fresh temporary directory, removed when the returned value is released.
public final class TemporaryDirectory: Sendable {
    /// The directory's path.
    public let path: String

    public init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The names in the directory, sorted (hidden ones included, so leftovers are seen).
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Paths in the project.
public enum Project {
    /// The package root (the directory holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The path of `name` in `Samples/` (`"other.mp4"`, `"lavfi/scenes.json"`).
    public static func sample(_ name: String) -> String { root + "/Samples/" + name }

    /// The built `danmaku` executable: `$DANMAKU_BIN`, else the one beside the test binary.
    public static var danmakuBinary: String {
        if let path = ProcessInfo.processInfo.environment["DANMAKU_BIN"] { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // Swift Testing may run from inside the .xctest bundle on some platforms.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("danmaku")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate.path
            }
            directory.deleteLastPathComponent()
        }
        return executable.deletingLastPathComponent().appendingPathComponent("danmaku").path
    }
}

/// What a finished process printed and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// Standard output as bytes (raw video, PCM).
    public var output: Data
    public var stderr: String

    /// Standard output as UTF-8 text.
    public var stdout: String { String(decoding: output, as: UTF8.self) }
}

/// Runs `executable` with `arguments`, no standard input, and waits for it.
///
/// - Parameter directory: the working directory (default: this process's).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes concurrently so neither fills and blocks the child.
    let errors = DataBox()
    let group = DispatchGroup()
    let errorHandle = err.fileHandleForReading
    DispatchQueue.global().async(group: group) { errors.data = errorHandle.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         output: outData,
                         stderr: String(decoding: errors.data, as: UTF8.self))
}

/// Runs the `ffmpeg` command line quietly (`-hide_banner -loglevel error -y` first), for
/// making inputs and checking outputs; a failed run fails the test, with ffmpeg's message.
@discardableResult
public func ffmpeg(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
    let result = try runProcess("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments)
    try #require(result.status == 0, "ffmpeg \(arguments.joined(separator: " ")): \(result.stderr)",
                 sourceLocation: sourceLocation)
    return result
}

/// Writes a grey 320x180 H.264 clip at `fps` with a 440 Hz AAC tone, `seconds` long.
public func makeGreyClip(_ path: String, seconds: Double, fps: Int = 10,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    try ffmpeg(["-f", "lavfi", "-i", "color=c=gray:size=320x180:rate=\(fps):duration=\(seconds)",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=\(seconds)",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path],
               sourceLocation: sourceLocation)
}

/// The `danmaku: error` lines a run printed on stderr (progress bars excluded).
public func errorLines(_ result: ProcessResult) -> [String] {
    result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("danmaku: error") }
}

/// Runs the built `danmaku` with `arguments`.
public func runDanmaku(_ arguments: [String], environment: [String: String]? = nil, in directory: String? = nil) throws -> ProcessResult {
    try runProcess(Project.danmakuBinary, arguments, environment: environment, in: directory)
}

/// Holds what the stderr reader read. `@unchecked Sendable`: one task writes it, and the
/// reader waits on the dispatch group before it reads.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
