// The one error type of the Media module, and the one place FFmpeg return codes become errors.
import Foundation
internal import CFFmpeg

/// A failure to read, decode, encode or write a media file.
///
/// Every case names the file and, where FFmpeg reported the problem, carries FFmpeg's own
/// message (`av_strerror`), so the description is one line a person can act on:
/// `clip.mp4: cannot open: Invalid data found when processing input`.
public enum MediaError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or its streams could not be read (`avformat_open_input`,
    /// `avformat_find_stream_info`).
    case cannotOpen(path: String, message: String)
    /// The file opened but holds no video stream.
    case noVideoStream(path: String)
    /// No decoder or encoder for `codec` is available in this FFmpeg build.
    case unsupportedCodec(path: String, codec: String)
    /// Decoding failed in a way that is not a damaged packet (those become warnings).
    case cannotDecode(path: String, message: String)
    /// The output file could not be created, written or renamed into place.
    case cannotWrite(path: String, message: String)
    /// The encoder refused its settings or a frame (`avcodec_open2`, `avcodec_send_frame`).
    case cannotEncode(path: String, message: String)
    /// A frame handed to a writer does not match the stream it writes.
    case frameMismatch(path: String, expected: String, actual: String)
    /// FFmpeg could not allocate `what`.
    case outOfMemory(path: String, what: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .noVideoStream(let path), .unsupportedCodec(let path, _),
             .cannotDecode(let path, _), .cannotWrite(let path, _), .cannotEncode(let path, _),
             .frameMismatch(let path, _, _), .outOfMemory(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message): "\(path): cannot open: \(message)"
        case .noVideoStream(let path): "\(path): no video stream"
        case .unsupportedCodec(let path, let codec): "\(path): codec '\(codec)' is not available in this FFmpeg"
        case .cannotDecode(let path, let message): "\(path): cannot decode: \(message)"
        case .cannotWrite(let path, let message): "\(path): cannot write: \(message)"
        case .cannotEncode(let path, let message): "\(path): cannot encode: \(message)"
        case .frameMismatch(let path, let expected, let actual):
            "\(path): frame is \(actual), the stream expects \(expected)"
        case .outOfMemory(let path, let what): "\(path): out of memory allocating \(what)"
        }
    }
}

extension MediaError: LocalizedError {
    public var errorDescription: String? { description }
}

/// What an FFmpeg call that did not fail returned.
enum FFStatus: Equatable {
    /// Success; the call's non-negative return value.
    case ok(Int32)
    /// `AVERROR(EAGAIN)`: the codec wants input (receive) or output (send) first.
    case again
    /// `AVERROR_EOF`: the stream or codec is drained.
    case endOfFile
}

enum FFmpeg {
    /// FFmpeg's message for an error code. The corresponding C function is `av_strerror`.
    static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(danmaku_av_error_max_string_size()))
        if av_strerror(code, &buffer, buffer.count) < 0 { return "FFmpeg error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Turns an FFmpeg return code into a status, or throws the error `fail` builds from
    /// FFmpeg's message. EAGAIN and EOF are results, not errors.
    @discardableResult
    static func check(_ code: Int32, _ fail: (_ message: String) -> MediaError) throws(MediaError) -> FFStatus {
        if code >= 0 { return .ok(code) }
        if code == danmaku_averror_eagain() { return .again }
        if code == danmaku_averror_eof() { return .endOfFile }
        throw fail(message(for: code))
    }

    /// Silences FFmpeg's own logging (it would print unprefixed lines on stderr); every
    /// problem reaches the user as a `MediaError` or a logged warning instead.
    /// `DANMAKU_FFMPEG_LOG=1` keeps FFmpeg's log for debugging. Runs once per process.
    static let configureLogging: Void = {
        if getenv("DANMAKU_FFMPEG_LOG") == nil { av_log_set_level(AV_LOG_QUIET) }
    }()

    /// A timestamp in `base` units as seconds (multiplying before dividing, so 254976/48000
    /// gives 5.312 and not 5.311999…).
    static func seconds(_ timestamp: Int64, _ base: AVRational) -> Double {
        base.den == 0 ? 0 : Double(timestamp) * Double(base.num) / Double(base.den)
    }

    /// A rational as a Double, 0 when the denominator is 0.
    static func seconds(_ q: AVRational) -> Double { q.den == 0 ? 0 : Double(q.num) / Double(q.den) }
}
