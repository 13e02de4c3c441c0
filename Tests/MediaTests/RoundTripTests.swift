// Encode → decode round trips on clips the tests write: counts, times, colours, audio,
// sampling, scaling and seeking.
import Foundation
import Media
import TestSupport
import Testing

@Suite struct RoundTripTests {
    @Test func framesComeBackInOrderWithTheirTimesAndColours() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4")
        try writeClip(clip, frames: 20)

        let reader = try VideoReader(path: clip)
        #expect(reader.probe.width == 64 && reader.probe.height == 48)
        #expect(reader.probe.codec == "h264")
        #expect(reader.probe.pixelFormat == "yuv420p")
        #expect(reader.probe.frameRate == Rational(num: 10, den: 1))
        #expect(abs(reader.probe.videoDuration - 2.0) < 0.01)
        #expect(reader.probe.audio.isEmpty)

        var count = 0
        var progressSeen = (0, 0)
        try reader.forEachFrame(progress: { progressSeen = ($0, $1) }) { frame in
            #expect(abs(frame.time - Double(count) / 10) < 1e-3, "frame \(count) at \(frame.time) s")
            #expect(frame.width == 64 && frame.height == 48)
            let expected = clipColour(count)
            frame.withPlanes { planes in
                let mean = planes.meanYUV()
                #expect(abs(mean.y - Double(expected.y)) < 2, "frame \(count): Y \(mean.y) vs \(expected.y)")
                #expect(abs(mean.u - Double(expected.u)) < 2, "frame \(count): U \(mean.u) vs \(expected.u)")
                #expect(abs(mean.v - Double(expected.v)) < 2, "frame \(count): V \(mean.v) vs \(expected.v)")
            }
            count += 1
        }
        #expect(count == 20)
        #expect(progressSeen == (20, 20))
        #expect(reader.warnings.isEmpty)
    }

    @Test func audioPacketsAreCopiedUnchanged() throws {
        let directory = try TemporaryDirectory()
        let tone = directory.file("tone.m4a"), clip = directory.file("clip.mp4")
        try writeTone(tone, seconds: 2)
        try writeClip(clip, frames: 20, audio: tone)

        let probe = try VideoReader(path: clip).probe
        let audio = try #require(probe.audio.first)
        #expect(probe.audio.count == 1)
        #expect(audio.codec == "aac" && audio.channels == 1 && audio.sampleRate == 48000)
        #expect(abs((audio.duration ?? 0) - 2.0) < 0.05, "audio lasts \(audio.duration ?? 0) s")
        #expect(try audioPacketsMD5(clip) == audioPacketsMD5(tone))
        let frequency = try toneFrequency(clip)
        #expect(abs(frequency - 440) < 5, "tone at \(frequency) Hz")
    }

    @Test func variableFrameRateTimesSurviveTheRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("vfr.mp4")
        let times = [0, 0.1, 0.35, 0.4, 1.0, 1.05]
        let writer = try VideoWriter(path: clip, width: 32, height: 32, frameRate: Rational(num: 10, den: 1), crf: 18)
        for (i, time) in times.enumerated() {
            var frame = try VideoFrame(width: 32, height: 32, time: time)
            let colour = clipColour(i)
            try frame.withMutablePlanes { $0.fill(y: colour.y, u: colour.u, v: colour.v) }
            try writer.write(frame)
        }
        try writer.finish()

        let reader = try VideoReader(path: clip)
        var decoded: [Float] = []
        try reader.forEachFrame { decoded.append(Float($0.time)) }
        expectClose(decoded, times.map(Float.init), atol: 1e-3)
        // 4 fps: t = 0, 0.25, 0.5, 0.75 show the frames at 0, 0.1, 0.4, 0.4. (MP4 states this
        // stream's duration from its decoding times, 0.85 s here — ffprobe says the same — so
        // sampling stops there.)
        var shown: [Float] = []
        try reader.sampleFrames(fps: 4, size: 4, mode: .stretch) { shown.append(Float($0.frameTime)) }
        #expect(shown.count == reader.sampleCount(fps: 4) && shown.count >= 4)
        expectClose(Array(shown.prefix(4)), [0, 0.1, 0.4, 0.4], atol: 1e-3)
    }

    @Test func aNonZeroStartTimeIsSubtractedFromVideoAndAudio() throws {
        // MPEG-TS starts its clock at 1.4 s.
        let directory = try TemporaryDirectory()
        let source = directory.file("clip.ts"), output = directory.file("clip.mp4")
        _ = try ffmpeg(["-f", "lavfi", "-i", "color=c=red:size=32x24:rate=10:duration=2",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                        "-c:v", "libx264", "-c:a", "aac", source])
        let reader = try VideoReader(path: source)
        #expect(reader.probe.startTime > 1.3, "start time \(reader.probe.startTime)")
        var first: Double? = nil, count = 0
        try reader.forEachFrame { frame in
            if first == nil { first = frame.time }
            count += 1
        }
        #expect(count == 20)
        #expect(first.map { $0 >= 0 && $0 < 0.1 } == true, "first frame at \(first ?? -1) s")

        try VideoWriter.transcode(from: source, to: output) { _ in }
        let probe = try VideoReader(path: output).probe
        #expect(abs(probe.startTime) < 0.1, "output starts at \(probe.startTime) s")
        #expect(abs(probe.duration - 2) < 0.15, "output lasts \(probe.duration) s")
        #expect(abs((probe.audio.first?.duration ?? 0) - 2) < 0.1)
        let frequency = try toneFrequency(output)
        #expect(abs(frequency - 440) < 5)
    }

    @Test func anOddSizedClipWithSurroundAudioProbesAndSamples() throws {
        // 4:4:4, because H.264 in 4:2:0 needs even sizes; AAC 5.1 as the fetched clip has.
        let directory = try TemporaryDirectory()
        let source = directory.file("odd.mp4")
        _ = try ffmpeg(["-f", "lavfi", "-i", "color=c=green:size=99x57:rate=10:duration=1,format=yuv444p",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
                        "-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "aac", "-ac", "6", source])
        let reader = try VideoReader(path: source)
        #expect(reader.probe.width == 99 && reader.probe.height == 57 && reader.probe.pixelFormat == "yuv444p")
        #expect(reader.probe.audio.first?.channels == 6 && reader.probe.audio.first?.sampleRate == 48000)
        var times: [Double] = []
        try reader.sampleFrames(fps: 2, size: 16, mode: .crop) { times.append($0.frameTime) }
        expectClose(times.map(Float.init), [0, 0.5], atol: 1e-3)
        #expect(reader.warnings.isEmpty)
    }

    @Test func oddSizedFramesAreEncodedOneRowAndColumnSmaller() throws {
        // H.264 in 4:2:0 needs an even size: the odd last row and column are cropped.
        let directory = try TemporaryDirectory()
        let clip = directory.file("odd.mp4")
        try writeClip(clip, frames: 5, width: 99, height: 57)
        let reader = try VideoReader(path: clip)
        #expect(reader.probe.width == 98 && reader.probe.height == 56)
        var count = 0
        try reader.forEachFrame { frame in
            let expected = clipColour(count)
            frame.withPlanes { planes in
                let mean = planes.meanYUV()
                #expect(abs(mean.y - Double(expected.y)) < 2 && abs(mean.u - Double(expected.u)) < 2
                        && abs(mean.v - Double(expected.v)) < 2, "frame \(count): \(mean) vs \(expected)")
            }
            count += 1
        }
        #expect(count == 5)
    }

    @Test func aSizeOrFrameRateThatCannotBeEncodedIsAnError() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("bad.mp4")
        for (width, height, rate) in [(64, 48, Rational(num: 0, den: 1)), (1, 48, Rational(num: 10, den: 1)), (64, 0, Rational(num: 10, den: 1))] {
            #expect(throws: MediaError.self) {
                _ = try VideoWriter(path: clip, width: width, height: height, frameRate: rate)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: clip))
    }

    @Test func opusAudioFromMatroskaIsCopiedIntoMP4() throws {
        let directory = try TemporaryDirectory()
        let source = directory.file("source.mkv"), output = directory.file("out.mp4")
        _ = try ffmpeg(["-f", "lavfi", "-i", "color=c=blue:size=32x24:rate=10:duration=1",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
                        "-c:v", "libx264", "-c:a", "libopus", "-ac", "2", source])
        try VideoWriter.transcode(from: source, to: output) { _ in }
        let probe = try VideoReader(path: output).probe
        #expect(probe.audio.map(\.codec) == ["opus"] && probe.audio.first?.channels == 2)
        #expect(try audioPacketsMD5(output) == audioPacketsMD5(source))
    }

    @Test func samplingGivesOneFramePerSampleTime() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4")
        try writeClip(clip, frames: 53)  // 5.3 s at 10 fps
        let reader = try VideoReader(path: clip)
        #expect(reader.sampleCount(fps: 2) == 11)

        var samples: [SampledFrame] = []
        var progressSeen = (0, 0)
        try reader.sampleFrames(fps: 2, size: 8, mode: .stretch, progress: { progressSeen = ($0, $1) }) { samples.append($0) }
        #expect(samples.map(\.index) == Array(0..<11))
        #expect(progressSeen == (11, 11))
        for sample in samples {
            #expect(abs(sample.time - Double(sample.index) * 0.5) < 1e-9)
            #expect(sample.frameTime <= sample.time + 1e-6 && sample.frameTime > sample.time - 0.1 + 1e-6,
                    "sample at \(sample.time) s shows the frame at \(sample.frameTime) s")
            #expect(sample.rgb.count == 8 * 8 * 3)
            // The frame shown at t = k/2 is frame 5k; its colour must come through the RGB conversion.
            let c = clipColour(sample.index * 5), expected = rgb(ofY: c.y, u: c.u, v: c.v)
            let pixel = Array(sample.rgb[(4 * 8 + 4) * 3..<(4 * 8 + 4) * 3 + 3]).map(Double.init)
            #expect(abs(pixel[0] - expected.r) < 6 && abs(pixel[1] - expected.g) < 6 && abs(pixel[2] - expected.b) < 6,
                    "sample \(sample.index): \(pixel) vs \(expected)")
        }

        // Sparser than the frames, and denser: 0.7 fps → t = 0, 1.43, 2.86, 4.29; 25 fps → 133 samples.
        var sparse: [Double] = []
        try reader.sampleFrames(fps: 0.7, size: 4, mode: .crop) { sparse.append($0.frameTime) }
        #expect(sparse.count == 4)
        expectClose(sparse.map(Float.init), [0, 1.4, 2.8, 4.2], atol: 1e-3)
        var dense = 0
        try reader.sampleFrames(fps: 25, size: 4, mode: .stretch) { _ in dense += 1 }
        #expect(dense == reader.sampleCount(fps: 25) && dense == 133)
    }

    @Test func cropTakesTheCentredSquareAndStretchTheWholeFrame() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("wide.mp4")
        // 96x48: white 24-pixel bands left and right, dark grey in the centred 48x48 square.
        let writer = try VideoWriter(path: clip, width: 96, height: 48, frameRate: Rational(num: 5, den: 1), crf: 10)
        var frame = try VideoFrame(width: 96, height: 48, time: 0)
        try frame.withMutablePlanes { planes in
            planes.fill(y: 235, u: 128, v: 128)
            for row in 0..<48 { for x in 24..<72 { planes.y[row * planes.yStride + x] = 40 } }
        }
        try writer.write(frame)
        try writer.finish()

        let reader = try VideoReader(path: clip)
        var cropped: [UInt8] = [], stretched: [UInt8] = []
        try reader.sampleFrames(fps: 5, size: 16, mode: .crop) { cropped = $0.rgb }
        try reader.sampleFrames(fps: 5, size: 16, mode: .stretch) { stretched = $0.rgb }
        let dark = rgb(ofY: 40, u: 128, v: 128).r
        // Crop: every pixel away from the border is the centre's grey.
        let inner = (2..<14).flatMap { y in (2..<14).map { x in Double(cropped[(y * 16 + x) * 3]) } }
        #expect(inner.allSatisfy { abs($0 - dark) < 8 }, "cropped picture is not the centre square")
        // Stretch: the left column is white, the centre column grey.
        #expect(Double(stretched[(8 * 16 + 0) * 3]) > 240)
        #expect(abs(Double(stretched[(8 * 16 + 8) * 3]) - dark) < 8)
    }

    @Test func seekLandsOnTheFrameShownAtThatTime() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4")
        let writer = try VideoWriter(path: clip, width: 64, height: 48, frameRate: Rational(num: 10, den: 1), crf: 18)
        for i in 0..<50 {
            var frame = try VideoFrame(width: 64, height: 48, time: Double(i) / 10)
            let colour = clipColour(i)
            try frame.withMutablePlanes { $0.fill(y: colour.y, u: colour.u, v: colour.v) }
            try writer.write(frame)
        }
        try writer.finish()

        let reader = try VideoReader(path: clip)
        for (time, index) in [(3.25, 32), (0.0, 0), (4.95, 49), (1.0, 10), (0.05, 0), (99.0, 49), (2.999, 29)] {
            let frame = try reader.frame(at: time)
            #expect(abs(frame.time - Double(index) / 10) < 1e-3, "at \(time) s got the frame at \(frame.time) s")
            let luma = frame.withPlanes { $0.meanYUV().y }
            #expect(frameIndex(luma: luma) == index, "at \(time) s: luma \(luma)")
        }
        // A full pass after seeking still starts at the first frame.
        var first: Double? = nil
        try reader.forEachFrame { frame in if first == nil { first = frame.time } }
        #expect(first == 0)
    }

    @Test func framesCanBeDrawnOnInPlaceAndReencoded() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4"), drawn = directory.file("drawn.mp4")
        try writeClip(clip, frames: 10)
        var times: [Double] = []
        let written = try VideoWriter.transcode(from: clip, to: drawn) { frame in
            times.append(frame.time)
            try frame.withMutablePlanes { planes in
                for row in 0..<16 { for x in 0..<16 { planes.y[row * planes.yStride + x] = 235 } }
            }
        }
        #expect(written == 10)
        #expect(try directory.contents() == ["clip.mp4", "drawn.mp4"])
        let reader = try VideoReader(path: drawn)
        var index = 0
        try reader.forEachFrame { frame in
            #expect(abs(frame.time - times[index]) < 1e-3)
            frame.withPlanes { planes in
                #expect(planes.y[8 * planes.yStride + 8] > 225, "the square was not drawn on frame \(index)")
                let untouched = Double(planes.y[40 * planes.yStride + 50])
                #expect(abs(untouched - Double(clipColour(index).y)) < 4)
            }
            index += 1
        }
        #expect(index == 10)
    }

    @Test func copiesOfAFrameDoNotShareDrawing() throws {
        var a = try VideoFrame(width: 8, height: 8, time: 0)
        let b = a
        try a.withMutablePlanes { $0.fill(y: 200, u: 128, v: 128) }
        #expect(b.withPlanes { $0.y[0] } == 16)
        #expect(a.withPlanes { $0.y[0] } == 200)
    }

    @Test func otherPixelFormatsAreConvertedToYUV420p() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("rgb.mkv")
        _ = try ffmpeg(["-f", "lavfi", "-i", "color=c=0xff0000:size=32x16:rate=5:duration=1",
                        "-c:v", "ffv1", "-pix_fmt", "bgr0", clip])
        let reader = try VideoReader(path: clip)
        #expect(reader.probe.pixelFormat == "bgr0")
        var count = 0
        try reader.forEachFrame { frame in
            frame.withPlanes { planes in
                let mean = planes.meanYUV()  // pure red: Y 81, U 90, V 240
                #expect(abs(mean.y - 81) < 3 && abs(mean.u - 90) < 3 && abs(mean.v - 240) < 3, "\(mean)")
            }
            count += 1
        }
        #expect(count == 5)
    }

    @Test func aBT709TaggedClipConvertsToRGBWithItsOwnMatrix() throws {
        // Pure colours encoded with the BT.709 matrix and tagged so: they must come back pure.
        let directory = try TemporaryDirectory()
        let clip = directory.file("hd.mp4")
        _ = try ffmpeg(["-f", "lavfi", "-i", "color=c=0xff0000:size=64x32:rate=5:duration=0.4",
                        "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                        "-colorspace", "bt709", "-color_range", "tv", "-c:v", "libx264", "-crf", "10", clip])
        let reader = try VideoReader(path: clip)
        var pixel: [Double] = []
        try reader.sampleFrames(fps: 5, size: 8, mode: .stretch) { pixel = $0.rgb[(4 * 8 + 4) * 3..<(4 * 8 + 4) * 3 + 3].map(Double.init) }
        #expect(pixel.count == 3 && pixel[0] > 245 && pixel[1] < 10 && pixel[2] < 10, "red came back as \(pixel)")
    }

    @Test func aMissingEncoderFallsBackToMPEG4() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.file("clip.mp4")
        let writer = try VideoWriter(path: clip, width: 64, height: 48, frameRate: Rational(num: 10, den: 1),
                                     encoder: "no-such-encoder")
        #expect(writer.encoderName == "mpeg4")
        for i in 0..<5 { try writer.write(try VideoFrame(width: 64, height: 48, time: Double(i) / 10)) }
        try writer.finish()
        let reader = try VideoReader(path: clip)
        #expect(reader.probe.codec == "mpeg4")
        var count = 0
        try reader.forEachFrame { _ in count += 1 }
        #expect(count == 5)
    }
}
