// Writing video: H.264 (libx264, else mpeg4) frames, the source's audio packets copied
// unchanged, written under a temporary name and renamed into place when finished.
import Foundation
internal import CFFmpeg
import Logging

/// Encodes yuv420p frames into a video file and copies the audio of a source file into it.
///
/// The file is written as `.NAME.tmp-PID-RANDOM.EXT` beside `path` and renamed to `path` by
/// `finish()`; after any error, or when the writer is released unfinished, the temporary
/// file is removed, so `path` appears whole or not at all.
///
/// Video: libx264 with the given CRF and preset (`encoder` picks another FFmpeg encoder by
/// name); when it is missing the writer falls back to FFmpeg's `mpeg4` with one warning.
/// Audio: every audio stream of `audioSource` is stream-copied (same codec, channels and
/// packets; timestamps rescaled), interleaved with the video as it is written.
public final class VideoWriter {
    /// The file that `finish()` creates.
    public let path: String
    /// The encoder in use (`libx264`, or `mpeg4` after a fallback).
    public let encoderName: String
    /// The number of frames written so far.
    public private(set) var framesWritten = 0

    private let output: OutputFile
    private let encoder: CodecContext
    private let stream: UnsafeMutablePointer<AVStream>
    private let packet: Packet
    private let staging: Frame
    private let audio: AudioCopier?
    /// The size of the frames written.
    private let width: Int
    private let height: Int
    /// The size encoded: the frames' rounded down to even numbers, which yuv420p needs (an
    /// odd last row or column is cropped, as `ffmpeg -vf crop=trunc(iw/2)*2:trunc(ih/2)*2`).
    private let encodedWidth: Int
    private let encodedHeight: Int
    private var lastTimestamp = Int64.min
    private var state = State.writing

    private enum State { case writing, finished, failed(MediaError) }

    /// Starts a file of `width`x`height` frames (an odd size is encoded one row or column
    /// smaller, with a warning).
    ///
    /// - Parameters:
    ///   - frameRate: the nominal frame rate (the stream's `avg_frame_rate`).
    ///   - timeBase: the unit of the stored timestamps (default 1/(1000·frame rate)); frame
    ///     times are rounded to it.
    ///   - audioSource: a media file whose audio streams are copied, or nil for no audio.
    ///   - audioOffset: seconds subtracted from the audio's timestamps (the source's start
    ///     time, so audio stays in step with frame times measured from the start).
    ///   - crf: libx264's constant rate factor (0–51, lower is better; 23 is x264's default).
    ///   - preset: libx264's speed preset (`ultrafast` … `veryslow`).
    /// - Throws: `MediaError.cannotWrite` when the directory is not writable or the format
    ///   is unknown, `.cannotEncode` when the encoder refuses the settings, `.cannotOpen`
    ///   when `audioSource` cannot be read, or the size or frame rate is not positive.
    public init(path: String, width: Int, height: Int, frameRate: Rational, timeBase: Rational? = nil,
                audioSource: String? = nil, audioOffset: Double = 0, crf: Int = 23, preset: String = "veryfast",
                encoder: String = "libx264", logger: Logger = Logger(label: "danmaku.media")) throws(MediaError) {
        guard width >= 2 && height >= 2 && frameRate.num > 0 && frameRate.den > 0 else {
            throw .cannotEncode(path: path, message: "cannot encode \(width)x\(height) frames at \(frameRate.num)/\(frameRate.den) fps")
        }
        FFmpeg.configureLogging
        self.path = path
        self.width = width
        self.height = height
        encodedWidth = width - width % 2
        encodedHeight = height - height % 2
        if (encodedWidth, encodedHeight) != (width, height) {
            logger.warning("\(path): \(width)x\(height) is encoded as \(encodedWidth)x\(encodedHeight) (H.264 in yuv420p needs an even size)")
        }
        let output = try OutputFile(path: path)
        self.output = output

        var codec = avcodec_find_encoder_by_name(encoder)
        if codec == nil {
            logger.warning("\(path): encoder '\(encoder)' is not available; using FFmpeg's mpeg4 (larger files, lower quality)")
            codec = avcodec_find_encoder_by_name("mpeg4")
        }
        guard let codec else { throw .unsupportedCodec(path: path, codec: encoder) }
        encoderName = String(cString: codec.pointee.name)
        self.encoder = try CodecContext(codec: codec, path: path)
        let context = self.encoder.pointer
        context.pointee.width = Int32(encodedWidth)
        context.pointee.height = Int32(encodedHeight)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.framerate = frameRate.av
        context.pointee.time_base = (timeBase ?? Rational(num: frameRate.den, den: frameRate.num * 1000)).av
        context.pointee.thread_count = 0
        if encoderName == "libx264" {
            av_opt_set(context.pointee.priv_data, "preset", preset, 0)
            av_opt_set(context.pointee.priv_data, "crf", String(crf), 0)
        } else {
            // mpeg4 has no CRF: a fixed quantiser of similar quality, and a 16-bit time base.
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(min(31, max(2, (crf - 3) / 4)))
            if context.pointee.time_base.den > 65535 {
                context.pointee.time_base = AVRational(num: Int32(frameRate.den), den: Int32(frameRate.num))
            }
        }
        if output.context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try FFmpeg.check(avcodec_open2(context, codec, nil)) { .cannotEncode(path: path, message: $0) }

        guard let stream = avformat_new_stream(output.context, nil) else { throw .outOfMemory(path: path, what: "a stream") }
        self.stream = stream
        try FFmpeg.check(avcodec_parameters_from_context(stream.pointee.codecpar, context)) {
            .cannotEncode(path: path, message: $0)
        }
        stream.pointee.time_base = context.pointee.time_base
        stream.pointee.avg_frame_rate = frameRate.av
        audio = try audioSource.map { source throws(MediaError) in
            try AudioCopier(source: source, offset: audioOffset, into: output, logger: logger)
        }
        packet = try Packet(path: path)
        staging = try Frame(path: path)
        try output.open()
    }

    /// Starts a file like `source`: same size, frame rate and time base, with `source`'s
    /// audio copied.
    public convenience init(path: String, source: VideoReader, crf: Int = 23, preset: String = "veryfast",
                            encoder: String = "libx264", logger: Logger = Logger(label: "danmaku.media")) throws(MediaError) {
        let probe = source.probe
        try self.init(path: path, width: probe.width, height: probe.height, frameRate: probe.frameRate,
                      timeBase: probe.timeBase.num > 0 ? probe.timeBase : nil, audioSource: source.path,
                      audioOffset: probe.startTime, crf: crf, preset: preset, encoder: encoder, logger: logger)
    }

    /// Encodes `frame` at `frame.time` (rounded to the time base; a time not after the
    /// previous frame's moves one tick after it).
    ///
    /// - Throws: `MediaError.frameMismatch` for a frame of another size, `.cannotEncode`,
    ///   `.cannotWrite`. After an error the writer is spent and its temporary file removed.
    public func write(_ frame: VideoFrame) throws(MediaError) {
        try whileWriting { () throws(MediaError) in
            guard frame.width == width, frame.height == height else {
                throw .frameMismatch(path: path, expected: "\(width)x\(height)", actual: "\(frame.width)x\(frame.height)")
            }
            try FFmpeg.check(av_frame_ref(staging.pointer, frame.storage.pointer)) { _ in
                .outOfMemory(path: path, what: "a frame reference")
            }
            defer { staging.unref() }
            staging.pointer.pointee.width = Int32(encodedWidth)  // the planes' pointers and strides stay valid
            staging.pointer.pointee.height = Int32(encodedHeight)
            var timestamp = Int64((frame.time / FFmpeg.seconds(encoder.pointer.pointee.time_base)).rounded())
            if lastTimestamp != .min, timestamp <= lastTimestamp { timestamp = lastTimestamp + 1 }
            lastTimestamp = timestamp
            staging.pointer.pointee.pts = timestamp
            staging.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE  // let the encoder choose, not the source
            try FFmpeg.check(avcodec_send_frame(encoder.pointer, staging.pointer)) { .cannotEncode(path: path, message: $0) }
            try drainEncoder()
            framesWritten += 1
        }
    }

    /// Flushes the encoder, copies the rest of the audio, writes the trailer and renames the
    /// file into place.
    ///
    /// - Throws: `MediaError.cannotEncode` or `.cannotWrite`; the temporary file is removed.
    public func finish() throws(MediaError) {
        try whileWriting { () throws(MediaError) in
            try FFmpeg.check(avcodec_send_frame(encoder.pointer, nil)) { .cannotEncode(path: path, message: $0) }
            try drainEncoder()
            try audio?.copy(through: .infinity)
            try output.close()
        }
        state = .finished
    }

    /// Runs `body` while the writer is usable; on an error, removes the temporary file and
    /// remembers the error for later calls.
    private func whileWriting(_ body: () throws(MediaError) -> Void) throws(MediaError) {
        switch state {
        case .finished: preconditionFailure("\(path): the writer is finished")
        case .failed(let error): throw error
        case .writing: break
        }
        do {
            try body()
        } catch {
            output.discard()
            state = .failed(error)
            throw error
        }
    }

    /// Writes every packet the encoder has ready, audio up to each packet's time first.
    private func drainEncoder() throws(MediaError) {
        while case .ok = try FFmpeg.check(avcodec_receive_packet(encoder.pointer, packet.pointer), {
            .cannotEncode(path: path, message: $0)
        }) {
            av_packet_rescale_ts(packet.pointer, encoder.pointer.pointee.time_base, stream.pointee.time_base)
            if packet.pointer.pointee.duration <= 0 {
                // One nominal frame, so the last frame counts in the stream's duration (as ffmpeg does).
                packet.pointer.pointee.duration = av_rescale_q(1, av_inv_q(encoder.pointer.pointee.framerate),
                                                               stream.pointee.time_base)
            }
            packet.pointer.pointee.stream_index = stream.pointee.index
            let dts = packet.pointer.pointee.dts
            try audio?.copy(through: Double(dts == danmaku_av_nopts_value() ? packet.pointer.pointee.pts : dts)
                                    * FFmpeg.seconds(stream.pointee.time_base))
            try output.write(packet)
        }
    }

    deinit {
        if case .writing = state { output.discard() }
    }
}

// MARK: - Transcoding

extension VideoWriter {
    /// Decodes every frame of `input`, lets `transform` change it (draw on its planes; pass
    /// `{ _ in }` to re-encode unchanged), and encodes it into `output` with `input`'s size, frame rate, time base and audio.
    ///
    /// - Parameter progress: called after each frame with (frames done, frames expected).
    /// - Returns: the number of frames written.
    /// - Throws: `MediaError` for the input or the output; rethrows what `transform` throws.
    ///   On any error `output` is not created.
    @discardableResult
    public static func transcode(from input: String, to output: String, crf: Int = 23, preset: String = "veryfast",
                                 logger: Logger = Logger(label: "danmaku.media"),
                                 progress: ((Int, Int) -> Void)? = nil,
                                 transform: (inout VideoFrame) throws -> Void) throws -> Int {
        let reader = try VideoReader(path: input, logger: logger)
        let writer = try VideoWriter(path: output, source: reader, crf: crf, preset: preset, logger: logger)
        try reader.forEachFrame(progress: progress) { frame in
            try transform(&frame)
            try writer.write(frame)
        }
        try writer.finish()
        return writer.framesWritten
    }
}

// MARK: - The output file

/// Owns an output `AVFormatContext` and its temporary file.
final class OutputFile {
    let path: String
    let temporaryPath: String
    let context: UnsafeMutablePointer<AVFormatContext>
    private var isOpen = false
    private var headerWritten = false

    /// Picks the container from `path`'s extension. The corresponding C function is
    /// `avformat_alloc_output_context2`.
    init(path: String) throws(MediaError) {
        self.path = path
        temporaryPath = TemporaryName.beside(path)
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpeg.check(avformat_alloc_output_context2(&context, nil, nil, path)) {
            .cannotWrite(path: path, message: "unknown output format (\($0))")
        }
        guard let context else { throw .cannotWrite(path: path, message: "unknown output format") }
        self.context = context
    }

    /// Creates the temporary file and writes the header (after every stream is added).
    func open() throws(MediaError) {
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try FFmpeg.check(avio_open(&context.pointee.pb, temporaryPath, AVIO_FLAG_WRITE)) {
                .cannotWrite(path: path, message: $0)
            }
            isOpen = true
        }
        do {
            try FFmpeg.check(avformat_write_header(context, nil)) { .cannotWrite(path: path, message: $0) }
        } catch {
            discard()
            throw error
        }
        headerWritten = true
    }

    /// Hands `packet` to the muxer, which interleaves the streams and takes the packet's data.
    func write(_ packet: Packet) throws(MediaError) {
        try FFmpeg.check(av_interleaved_write_frame(context, packet.pointer)) { .cannotWrite(path: path, message: $0) }
    }

    /// Writes the trailer, closes the temporary file and renames it to `path`.
    func close() throws(MediaError) {
        try FFmpeg.check(av_write_trailer(context)) { .cannotWrite(path: path, message: $0) }
        if isOpen {
            try FFmpeg.check(avio_closep(&context.pointee.pb)) { .cannotWrite(path: path, message: $0) }
            isOpen = false
        }
        guard rename(temporaryPath, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .cannotWrite(path: path, message: message)
        }
    }

    /// Closes and removes the temporary file (after an error, or unfinished).
    func discard() {
        if isOpen {
            avio_closep(&context.pointee.pb)
            isOpen = false
            unlink(temporaryPath)
        }
    }

    deinit {
        discard()
        avformat_free_context(context)
    }
}

/// Temporary names beside a target, on the same file system so `rename(2)` is atomic.
enum TemporaryName {
    /// `.NAME.tmp-PID-RANDOM.EXT` in `path`'s directory (the extension kept so FFmpeg and
    /// people still see the format).
    static func beside(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let ext = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.deletingPathExtension().lastPathComponent).tmp-\(getpid())-\(suffix)\(ext)").path
    }
}

// MARK: - Audio stream copy

/// Reads the audio packets of a source file and writes them, unchanged, into an output.
final class AudioCopier {
    private let input: InputFile
    private let output: OutputFile
    /// Input stream index → output stream.
    private var mapping: [Int: UnsafeMutablePointer<AVStream>] = [:]
    private let packet: Packet
    private var pending = false
    private var ended = false
    private let offset: Double

    /// Adds one output stream per audio stream of `source`, with the same codec parameters.
    /// A stream whose header names no codec, channels or sample rate (a damaged file) is not
    /// copied, with a warning: the muxer would refuse the whole output for it.
    init(source: String, offset: Double, into output: OutputFile, logger: Logger) throws(MediaError) {
        input = try InputFile(path: source)
        self.output = output
        self.offset = offset
        packet = try Packet(path: source)
        for (index, stream) in input.streams.enumerated()
        where stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
            let parameters = stream.pointee.codecpar.pointee
            guard parameters.codec_id != AV_CODEC_ID_NONE, parameters.ch_layout.nb_channels > 0, parameters.sample_rate > 0 else {
                logger.warning("\(source): audio stream \(index) has no usable codec, channels or sample rate; not copied")
                continue
            }
            guard let copy = avformat_new_stream(output.context, nil) else {
                throw .outOfMemory(path: output.path, what: "a stream")
            }
            try FFmpeg.check(avcodec_parameters_copy(copy.pointee.codecpar, stream.pointee.codecpar)) {
                .cannotWrite(path: output.path, message: $0)
            }
            copy.pointee.codecpar.pointee.codec_tag = 0  // let the muxer pick its own tag
            copy.pointee.time_base = stream.pointee.time_base
            mapping[index] = copy
        }
        if mapping.isEmpty { ended = true }
    }

    /// Writes the source's audio packets whose time (seconds, less the offset) is at most
    /// `seconds`.
    func copy(through seconds: Double) throws(MediaError) {
        while !ended {
            if !pending {
                let read = av_read_frame(input.context, packet.pointer)
                if read < 0 {
                    ended = true  // the end, or a damaged tail: the audio that was read is kept
                    return
                }
                pending = true
            }
            let index = Int(packet.pointer.pointee.stream_index)
            guard let target = mapping[index] else {
                packet.unref()
                pending = false
                continue
            }
            let source = input.context.pointee.streams[index]!
            let base = source.pointee.time_base
            let shift = Int64((offset / FFmpeg.seconds(base)).rounded())
            let stamp = packet.pointer.pointee.dts == danmaku_av_nopts_value() ? packet.pointer.pointee.pts : packet.pointer.pointee.dts
            if stamp != danmaku_av_nopts_value(), Double(stamp - shift) * FFmpeg.seconds(base) > seconds { return }
            if packet.pointer.pointee.pts != danmaku_av_nopts_value() { packet.pointer.pointee.pts -= shift }
            if packet.pointer.pointee.dts != danmaku_av_nopts_value() { packet.pointer.pointee.dts -= shift }
            av_packet_rescale_ts(packet.pointer, base, target.pointee.time_base)
            packet.pointer.pointee.stream_index = target.pointee.index
            packet.pointer.pointee.pos = -1
            pending = false
            try output.write(packet)
        }
    }
}
