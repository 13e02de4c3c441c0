// What a video file holds, as `danmaku probe` shows it and as later stages plan with it.
import Foundation
internal import CFFmpeg

/// An exact ratio of two integers (a frame rate `25/1`, `30000/1001`, or a time base `1/12800`).
public struct Rational: Codable, Sendable, Equatable, CustomStringConvertible {
    public var num: Int
    public var den: Int

    public init(num: Int, den: Int) {
        self.num = num
        self.den = den
    }

    init(_ q: AVRational) { self.init(num: Int(q.num), den: Int(q.den)) }

    /// The value as a Double; 0 when the denominator is 0 (FFmpeg's "unknown").
    public var value: Double { den == 0 ? 0 : Double(num) / Double(den) }

    public var description: String { "\(num)/\(den)" }

    var av: AVRational { AVRational(num: Int32(num), den: Int32(den)) }
}

/// One audio stream of a file.
public struct AudioStreamInfo: Codable, Sendable, Equatable {
    /// FFmpeg's codec name, e.g. `aac`.
    public var codec: String
    /// The number of channels (6 for 5.1).
    public var channels: Int
    /// Samples per second, e.g. 48000.
    public var sampleRate: Int
    /// The stream's duration in seconds, when the file states it.
    public var duration: Double?
}

/// The facts about a video file that the stages need: its size, rate, codec, duration and audio.
public struct VideoProbe: Codable, Sendable, Equatable {
    /// FFmpeg's name of the container format, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    public var format: String
    /// The container's duration in seconds (what `ffprobe` shows as the format duration).
    public var duration: Double
    /// The video stream's own duration in seconds (the container's when the stream has none);
    /// frames and samples exist for times below it.
    public var videoDuration: Double
    /// The container's start time in seconds; frame times are measured from it.
    public var startTime: Double
    /// Frames per second as FFmpeg guesses it (`av_guess_frame_rate`; ffprobe's `r_frame_rate`
    /// for constant-rate files).
    public var frameRate: Rational
    /// The video stream's time base (the unit of its timestamps).
    public var timeBase: Rational
    /// The number of frames the header states, or nil when it does not.
    public var frameCount: Int?
    /// Picture size in pixels.
    public var width: Int
    public var height: Int
    /// FFmpeg's name of the decoded pixel format, e.g. `yuv420p`.
    public var pixelFormat: String
    /// FFmpeg's name of the video codec, e.g. `h264`.
    public var codec: String
    /// Every audio stream, in file order.
    public var audio: [AudioStreamInfo]

    /// The number of frames to expect: the header's count, else duration × frame rate.
    public var estimatedFrameCount: Int {
        frameCount ?? Int((videoDuration * frameRate.value).rounded())
    }

    /// The number of samples `VideoReader.sampleFrames(fps:…)` yields: one per t = k/fps
    /// with t < `videoDuration` (2 fps over 5.3 s: 11, at 0, 0.5, …, 5.0).
    public func sampleCount(fps: Double) -> Int {
        precondition(fps > 0, "sample rate \(fps) fps")
        return max(0, Int((videoDuration * fps - 1e-9).rounded(.up)))
    }
}

extension VideoProbe {
    /// Reads the probe of `input`'s stream number `videoIndex`.
    init(input: InputFile, videoIndex: Int) {
        let context = input.context
        let stream = context.pointee.streams[videoIndex]!
        let parameters = stream.pointee.codecpar.pointee
        let timeBase = stream.pointee.time_base
        let noValue = danmaku_av_nopts_value()
        let microseconds = Double(danmaku_av_time_base())
        let start = context.pointee.start_time == noValue ? 0 : Double(context.pointee.start_time) / microseconds
        let duration = context.pointee.duration == noValue ? 0 : Double(context.pointee.duration) / microseconds
        let streamDuration = stream.pointee.duration == noValue ? nil
            : FFmpeg.seconds(stream.pointee.duration, timeBase)
        self.format = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        self.duration = duration
        self.videoDuration = streamDuration ?? duration
        self.startTime = start
        self.frameRate = Rational(av_guess_frame_rate(context, stream, nil))
        self.timeBase = Rational(timeBase)
        self.frameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        self.width = Int(parameters.width)
        self.height = Int(parameters.height)
        self.pixelFormat = pixelFormatName(AVPixelFormat(rawValue: parameters.format))
        self.codec = String(cString: avcodec_get_name(parameters.codec_id))
        self.audio = input.streams.filter { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }.map { audio in
            let p = audio.pointee.codecpar.pointee
            return AudioStreamInfo(codec: String(cString: avcodec_get_name(p.codec_id)),
                                   channels: Int(p.ch_layout.nb_channels), sampleRate: Int(p.sample_rate),
                                   duration: audio.pointee.duration == noValue ? nil
                                       : FFmpeg.seconds(audio.pointee.duration, audio.pointee.time_base))
        }
    }
}

extension VideoProbe {
    /// The probe as aligned `label  value` lines, for people (`danmaku probe`), headed by a
    /// `file` line when `file` is given.
    public func table(file: String? = nil) -> String {
        func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
        let rate = frameRate.den == 1 ? "\(frameRate.num)" : String(format: "%.3f", frameRate.value)
        var rows: [(String, String)] = file.map { [("file", $0)] } ?? []
        rows += [
            ("format", format),
            ("duration", "\(seconds(duration)) (video \(seconds(videoDuration)), start \(seconds(startTime)))"),
            ("video", "\(codec) \(width)x\(height) \(pixelFormat), \(rate) fps (\(frameRate))"
                + (frameCount.map { ", \($0) frames" } ?? "") + ", time base \(timeBase)"),
        ]
        for (number, stream) in audio.enumerated() {
            rows.append(("audio #\(number + 1)", "\(stream.codec), \(stream.channels) channels, \(stream.sampleRate) Hz"
                + (stream.duration.map { ", " + seconds($0) } ?? "")))
        }
        if audio.isEmpty { rows.append(("audio", "none")) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
            .joined(separator: "\n")
    }

    /// The probe as pretty-printed JSON with sorted keys, for programs (`danmaku probe --json`).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain numbers and strings cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
