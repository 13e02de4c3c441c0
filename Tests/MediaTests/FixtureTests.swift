// The clip `make test` fetches (Big Buck Bunny, H.264 1280x720 25 fps, AAC 5.1): probe against
// ffprobe, and one decode → re-encode.
import Foundation
import Media
import TestSupport
import Testing

@Suite struct FixtureTests {
    let clip: String

    init() throws {
        clip = try TestMedia.bigBuckBunny()
    }

    @Test func probeEqualsFFprobe() throws {
        let probe = try VideoReader(path: clip).probe
        let json = try ffprobe(clip, ["-show_format", "-show_streams"])
        let format = try #require(json["format"] as? [String: Any])
        let streams = try #require(json["streams"] as? [[String: Any]])
        let video = try #require(streams.first { $0["codec_type"] as? String == "video" })
        let audio = streams.filter { $0["codec_type"] as? String == "audio" }

        #expect(probe.width == video["width"] as? Int)
        #expect(probe.height == video["height"] as? Int)
        #expect(probe.codec == video["codec_name"] as? String)
        #expect(probe.pixelFormat == video["pix_fmt"] as? String)
        #expect(probe.frameRate.description == video["r_frame_rate"] as? String)
        #expect(probe.timeBase.description == video["time_base"] as? String)
        #expect(probe.frameCount.map(String.init) == video["nb_frames"] as? String)
        #expect(probe.format == format["format_name"] as? String)
        let seconds = { (value: Any?) in Double(value as? String ?? "") ?? -1 }
        #expect(abs(probe.duration - seconds(format["duration"])) < 1e-6)
        #expect(abs(probe.videoDuration - seconds(video["duration"])) < 1e-6)
        #expect(abs(probe.startTime - seconds(format["start_time"])) < 1e-6)
        #expect(probe.audio.count == audio.count)
        for (ours, theirs) in zip(probe.audio, audio) {
            #expect(ours.codec == theirs["codec_name"] as? String)
            #expect(ours.channels == theirs["channels"] as? Int)
            #expect(String(ours.sampleRate) == theirs["sample_rate"] as? String)
            #expect(abs((ours.duration ?? -1) - seconds(theirs["duration"])) < 1e-6)
        }
        // The facts the fetch script's clip has, so a changed clip is noticed.
        #expect(probe.width == 1280 && probe.height == 720 && probe.frameRate == Rational(num: 25, den: 1))
        #expect(probe.audio.first?.channels == 6 && probe.audio.first?.sampleRate == 48000)
    }

    @Test func reencodingKeepsFramesRateAndTheSurroundAudio() throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("bunny.mp4")
        var lastProgress = (0, 0)
        let written = try VideoWriter.transcode(from: clip, to: output, progress: { lastProgress = ($0, $1) }) { _ in }
        #expect(abs(written - 133) <= 1, "\(written) frames written")
        #expect(lastProgress.0 == written)
        #expect(try directory.contents() == ["bunny.mp4"])

        let source = try VideoReader(path: clip).probe
        let probe = try VideoReader(path: output).probe
        #expect(probe.codec == "h264" && probe.width == 1280 && probe.height == 720)
        #expect(probe.frameRate == Rational(num: 25, den: 1))
        #expect(abs(probe.videoDuration - source.videoDuration) < 0.041,
                "video lasts \(probe.videoDuration) s, the source's \(source.videoDuration) s")
        #expect(abs((probe.frameCount ?? 0) - 133) <= 1, "\(probe.frameCount ?? 0) frames in the output")
        let audio = try #require(probe.audio.first)
        #expect(audio.codec == "aac" && audio.channels == 6 && audio.sampleRate == 48000)
        let sourceAudio = try #require(source.audio.first)
        #expect(abs((audio.duration ?? 0) - (sourceAudio.duration ?? -1)) < 0.03,
                "audio lasts \(audio.duration ?? 0) s, the source's \(sourceAudio.duration ?? 0) s")
        #expect(try audioPacketsMD5(output) == audioPacketsMD5(clip))
    }

    @Test func samplingTheFixtureAtTwoFPS() throws {
        let reader = try VideoReader(path: clip)
        var times: [Double] = []
        try reader.sampleFrames(fps: 2, size: 32, mode: .crop) { times.append($0.frameTime) }
        // Frames are 40 ms apart: the sample at 0.5 s shows the frame at 0.48 s.
        let shown = (0..<11).map { k in Float((Double(k) * 0.5 * 25 + 1e-6).rounded(.down) / 25) }
        expectClose(times.map(Float.init), shown, atol: 1e-3)
        #expect(reader.warnings.isEmpty)
    }
}
