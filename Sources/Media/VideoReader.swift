// Reading video: probe, decode every frame in order, sample at an fps, scale to RGB, seek.
import Foundation
internal import CFFmpeg
import Logging

/// How a frame becomes a square picture of the requested size.
public enum ScaleMode: String, Codable, Sendable, CaseIterable {
    /// Squeeze the whole frame into the square (what the article did: 640x480 → 224x224).
    case stretch
    /// Take the centred square of the frame, then scale it.
    case crop
}

/// One picture sampled at a fixed rate, scaled to a square RGB image.
public struct SampledFrame: Sendable {
    /// The sample's number k; its time is k / fps.
    public var index: Int
    /// The sample time t = k / fps in seconds from the start of the video.
    public var time: Double
    /// The time of the decoded frame shown at `time` (the last one at or before it).
    public var frameTime: Double
    /// Side of the square in pixels.
    public var size: Int
    /// Pixels, `[size, size, 3]` row-major RGB24 (`HWC`, 0–255).
    public var rgb: [UInt8]
}

/// Reads one video file with FFmpeg: its probe, its frames in order, samples at a fixed
/// rate, and the frame shown at any time.
///
/// Decoding streams (memory does not grow with the video's length) and uses FFmpeg's frame
/// and slice threads. Damaged packets and files that end early are not errors: the frames
/// that decode are delivered and the problem is logged once as a warning (and kept in
/// `warnings`).
public final class VideoReader {
    /// The file being read.
    public let path: String
    /// What the file holds.
    public let probe: VideoProbe
    /// The warnings of the passes so far, one line each, naming the file.
    public private(set) var warnings: [String] = []

    private var session: DecodeSession
    private var sessionIsFresh = true
    private let logger: Logger

    /// Opens `path` and its first video stream's decoder.
    ///
    /// - Throws: `MediaError.cannotOpen` (missing file, not a media file, with FFmpeg's
    ///   message), `.noVideoStream`, `.unsupportedCodec`.
    public init(path: String, logger: Logger = Logger(label: "danmaku.media")) throws(MediaError) {
        self.path = path
        self.logger = logger
        let session = try DecodeSession(path: path)
        self.session = session
        self.probe = VideoProbe(input: session.input, videoIndex: session.streamIndex)
    }

    // MARK: Every frame

    /// Decodes every frame from the start, in presentation order, as yuv420p (converted with
    /// libswscale when the file holds another format), and hands each to `body`, which may
    /// draw on it in place (see `VideoFrame.withMutablePlanes`) and pass it to a `VideoWriter`.
    ///
    /// - Parameter progress: called after each frame with (frames done, frames expected).
    /// - Throws: `MediaError` when decoding cannot go on, `.cannotDecode` when not one frame
    ///   decodes; rethrows what `body` throws.
    public func forEachFrame(progress: ((Int, Int) -> Void)? = nil,
                             _ body: (inout VideoFrame) throws -> Void) throws {
        try rewind()
        let total = probe.estimatedFrameCount
        var done = 0
        while let decoded = session.nextFrame() {
            var frame = VideoFrame(storage: try session.yuv420p(decoded), time: session.time(of: decoded), path: path)
            decoded.unref()
            try body(&frame)
            done += 1
            progress?(done, max(total, done))
        }
        endPass(framesDecoded: done)
        if done == 0 { throw MediaError.cannotDecode(path: path, message: "no frame could be decoded") }
    }

    // MARK: Sampling

    /// The number of samples `sampleFrames(fps:…)` yields (see `VideoProbe.sampleCount`).
    public func sampleCount(fps: Double) -> Int { probe.sampleCount(fps: fps) }

    /// Yields exactly one picture per sample time t = k/fps with t < `probe.videoDuration`:
    /// the last frame shown at or before t (the first frame for times before it), scaled to
    /// `size`x`size` RGB24 with libswscale (bilinear).
    ///
    /// Decodes the file once, in order; only the frames that are sampled are scaled.
    /// - Parameters:
    ///   - fps: samples per second (> 0).
    ///   - size: side of the square picture in pixels (224 for VGG).
    ///   - mode: `stretch` the whole frame or `crop` its centred square.
    ///   - progress: called after each sample with (samples done, `sampleCount(fps:)`).
    /// - Throws: `MediaError` when decoding cannot go on; rethrows what `body` throws.
    public func sampleFrames(fps: Double, size: Int, mode: ScaleMode, progress: ((Int, Int) -> Void)? = nil,
                             _ body: (SampledFrame) throws -> Void) throws {
        precondition(size > 0, "sample size \(size)")
        let count = sampleCount(fps: fps)
        try rewind()
        let converter = try RGBConverter(size: size, mode: mode, path: path)
        var previous: (frame: Frame, time: Double)? = nil
        var k = 0, decodedCount = 0
        func emit(_ frame: Frame, frameTime: Double) throws {
            try body(SampledFrame(index: k, time: Double(k) / fps, frameTime: frameTime, size: size,
                                  rgb: try converter.convert(frame)))
            k += 1
            progress?(k, count)
        }
        while k < count {
            guard let decoded = session.nextFrame() else { break }
            decodedCount += 1
            let time = session.time(of: decoded)
            // Samples before this frame's time show the previous frame (or this one if none came before).
            while k < count, Double(k) / fps < time - 1e-6 {
                try emit(previous?.frame ?? decoded, frameTime: previous?.time ?? time)
            }
            previous = (try Frame(referencing: decoded, path: path), time)
            decoded.unref()
        }
        let reachedEnd = k < count  // decoding ended before the last sample time
        while k < count, let last = previous {
            try emit(last.frame, frameTime: last.time)
        }
        if reachedEnd {
            endPass(framesDecoded: decodedCount)
        } else {
            session.flushWarnings().forEach(warn)
        }
        if decodedCount == 0 && count > 0 {
            throw MediaError.cannotDecode(path: path, message: "no frame could be decoded")
        }
    }

    // MARK: Seeking

    /// The frame shown at `time` seconds: the last one at or before it (the first frame for
    /// earlier times, the last for later ones).
    ///
    /// Seeks to the keyframe before `time` and decodes forward, so the answer is exact.
    /// - Throws: `MediaError.cannotDecode` when no frame decodes.
    public func frame(at time: Double) throws(MediaError) -> VideoFrame {
        let seeked = session.seek(to: time + probe.startTime)
        if !seeked { try reopen() }
        sessionIsFresh = false
        var best: (frame: Frame, time: Double)? = nil
        while let decoded = session.nextFrame() {
            let frameTime = session.time(of: decoded)
            if frameTime > time + 1e-6 && best != nil {
                decoded.unref()
                break
            }
            best = (try Frame(referencing: decoded, path: path), frameTime)
            decoded.unref()
            if frameTime > time + 1e-6 { break }
        }
        guard let best else { throw .cannotDecode(path: path, message: "no frame at \(time) s") }
        return VideoFrame(storage: try session.yuv420p(best.frame), time: best.time, path: path)
    }

    // MARK: Passes

    /// Starts the next pass at the first frame: a fresh decoder on a freshly opened file
    /// (cheaper to get right than seeking to the start of every kind of file).
    private func rewind() throws(MediaError) {
        if !sessionIsFresh { try reopen() }
        sessionIsFresh = false
    }

    private func reopen() throws(MediaError) {
        session = try DecodeSession(path: path)
    }

    /// Reports what went wrong during a pass that reached the end of the file.
    private func endPass(framesDecoded: Int) {
        var messages = session.flushWarnings()
        let expectedEnd = probe.videoDuration - 2 / max(probe.frameRate.value, 1)
        if session.lastTime < expectedEnd - 1e-6, framesDecoded > 0 {
            messages.append(String(format: "%@: video ends at %.2f s of %.2f s (truncated or damaged file)",
                                   path, session.lastTime, probe.videoDuration))
        }
        messages.forEach(warn)
    }

    private func warn(_ message: String) {
        warnings.append(message)
        logger.warning("\(message)")
    }
}

/// An open file, its video decoder and the state of one decoding pass.
final class DecodeSession {
    let input: InputFile
    let streamIndex: Int
    private let stream: UnsafeMutablePointer<AVStream>
    private let decoder: CodecContext
    private let packet: Packet
    private let decoded: Frame
    private let converter = Scaler()
    private let startTimestamp: Int64
    private let frameDuration: Double
    private var draining = false
    private var drainingErrors = 0
    private var damagedPackets = 0
    private var firstDamage: String?
    private var readFailure: String?
    /// The time of the last frame `time(of:)` gave, in seconds.
    private(set) var lastTime = -Double.infinity

    var path: String { input.path }

    init(path: String) throws(MediaError) {
        input = try InputFile(path: path)
        var codec: UnsafePointer<AVCodec>? = nil
        let index = av_find_best_stream(input.context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard index >= 0 else {
            if index == danmaku_averror_decoder_not_found(),
               let video = input.streams.first(where: { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO }) {
                throw .unsupportedCodec(path: path, codec: String(cString: avcodec_get_name(video.pointee.codecpar.pointee.codec_id)))
            }
            throw .noVideoStream(path: path)
        }
        guard let codec else { throw .noVideoStream(path: path) }
        streamIndex = Int(index)
        stream = input.context.pointee.streams[streamIndex]!
        decoder = try CodecContext(codec: codec, path: path)
        try FFmpeg.check(avcodec_parameters_to_context(decoder.pointer, stream.pointee.codecpar)) {
            .cannotDecode(path: path, message: $0)
        }
        decoder.pointer.pointee.pkt_timebase = stream.pointee.time_base
        decoder.pointer.pointee.thread_count = 0
        decoder.pointer.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        try FFmpeg.check(avcodec_open2(decoder.pointer, codec, nil)) { .cannotDecode(path: path, message: $0) }
        packet = try Packet(path: path)
        decoded = try Frame(path: path)
        let start = input.context.pointee.start_time
        startTimestamp = start == danmaku_av_nopts_value() ? 0
            : av_rescale_q(start, danmaku_av_time_base_q(), stream.pointee.time_base)
        let rate = av_guess_frame_rate(input.context, stream, nil)
        frameDuration = rate.num > 0 ? Double(rate.den) / Double(rate.num) : 1.0 / 25
    }

    /// The next decoded frame in presentation order, or nil at the end. The frame is
    /// borrowed: it is valid until the next call; `unref()` it when done.
    ///
    /// Damaged packets are skipped and counted; a read error ends the stream (both become
    /// warnings in `flushWarnings`).
    func nextFrame() -> Frame? {
        while true {
            let received = avcodec_receive_frame(decoder.pointer, decoded.pointer)
            if received >= 0 { return decoded }
            if received == danmaku_averror_eof() { return nil }
            if received != danmaku_averror_eagain() {
                // A damaged frame: note it and go on (with the next packet, or while draining,
                // with the frames the decoder still holds — a bounded number of them).
                noteDamage(FFmpeg.message(for: received))
                drainingErrors += draining ? 1 : 0
                if draining && drainingErrors < 64 { continue }
            }
            if draining { return nil }
            let read = av_read_frame(input.context, packet.pointer)
            if read < 0 {
                if read != danmaku_averror_eof() { readFailure = FFmpeg.message(for: read) }
                draining = true
                let flushed = avcodec_send_packet(decoder.pointer, nil)
                if flushed < 0 && flushed != danmaku_averror_eof() { noteDamage(FFmpeg.message(for: flushed)) }
                continue
            }
            defer { packet.unref() }
            guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
            let sent = avcodec_send_packet(decoder.pointer, packet.pointer)
            if sent < 0 && sent != danmaku_averror_eagain() { noteDamage(FFmpeg.message(for: sent)) }
        }
    }

    /// The presentation time of `frame` in seconds from the container's start.
    func time(of frame: Frame) -> Double {
        let timestamp = frame.pointer.pointee.best_effort_timestamp
        let time = timestamp == danmaku_av_nopts_value()
            ? (lastTime.isFinite ? lastTime + frameDuration : 0)
            : FFmpeg.seconds(timestamp - startTimestamp, stream.pointee.time_base)
        lastTime = time
        return time
    }

    /// `frame` itself when it is yuv420p, else a converted copy (libswscale).
    func yuv420p(_ frame: Frame) throws(MediaError) -> Frame {
        if frame.format == AV_PIX_FMT_YUV420P { return try Frame(referencing: frame, path: path) }
        let converted = try Frame(width: frame.width, height: frame.height, format: AV_PIX_FMT_YUV420P, path: path)
        try converter.scale(frame, into: converted, path: path)
        return converted
    }

    /// Moves to the keyframe at or before `seconds` (container time) and resets the decoder.
    /// Returns false when the file cannot seek. The corresponding C function is `av_seek_frame`.
    func seek(to seconds: Double) -> Bool {
        let timestamp = Int64((seconds / FFmpeg.seconds(stream.pointee.time_base)).rounded(.down))
        guard av_seek_frame(input.context, Int32(streamIndex), timestamp, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(decoder.pointer)
        draining = false
        drainingErrors = 0
        lastTime = -.infinity
        return true
    }

    /// The problems seen since the last call, one line each, and forgets them.
    func flushWarnings() -> [String] {
        var lines: [String] = []
        if damagedPackets > 0 {
            lines.append("\(path): skipped \(damagedPackets) damaged packet(s): \(firstDamage ?? "")")
        }
        if let readFailure { lines.append("\(path): stopped reading early: \(readFailure)") }
        damagedPackets = 0
        firstDamage = nil
        readFailure = nil
        return lines
    }

    private func noteDamage(_ message: String) {
        damagedPackets += 1
        if firstDamage == nil { firstDamage = message }
    }
}

/// Scales frames to a square RGB24 picture and packs it row-major without padding.
final class RGBConverter {
    private let size: Int
    private let mode: ScaleMode
    private let path: String
    private let scaler = Scaler()
    private let target: Frame

    init(size: Int, mode: ScaleMode, path: String) throws(MediaError) {
        self.size = size
        self.mode = mode
        self.path = path
        target = try Frame(width: size, height: size, format: AV_PIX_FMT_RGB24, path: path)
    }

    /// `[size, size, 3]` RGB24 of `frame`, stretched or centre-cropped.
    func convert(_ frame: Frame) throws(MediaError) -> [UInt8] {
        let crop: (x: Int, y: Int, width: Int, height: Int)?
        switch mode {
        case .stretch:
            crop = nil
        case .crop:
            let side = min(frame.width, frame.height)
            crop = (((frame.width - side) / 2) & ~1, ((frame.height - side) / 2) & ~1, side, side)
        }
        try scaler.scale(frame, crop: crop, into: target, path: path)
        return RGBConverter.packed(target)
    }

    /// The pixels of an RGB24 frame without row padding.
    static func packed(_ frame: Frame) -> [UInt8] {
        let width = frame.width, height = frame.height
        let stride = Int(frame.pointer.pointee.linesize.0)
        let source = frame.pointer.pointee.data.0!
        return [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            for row in 0..<height {
                (buffer.baseAddress! + row * width * 3).update(from: source + row * stride, count: width * 3)
            }
            count = width * height * 3
        }
    }
}
