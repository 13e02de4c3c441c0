// Inputs that are not what they claim, and outputs that cannot be written: one clear
// error naming the file (with FFmpeg's message), no crash, no leftover file.
import Foundation
import Media
import Tensor
import TestSupport
import Testing

@Suite struct BadInputTests {
    func openError(_ path: String) -> MediaError? {
        do {
            _ = try VideoReader(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMissingFile() throws {
        let error = try #require(openError("/nonexistent/clip.mp4"))
        #expect(error == .cannotOpen(path: "/nonexistent/clip.mp4", message: "No such file or directory"))
        #expect(error.description == "/nonexistent/clip.mp4: cannot open: No such file or directory")
    }

    @Test func text() throws {
        let directory = try TemporaryDirectory()
        let text = directory.file("notes.txt")
        try Data("hello\nthis is not a video\n".utf8).write(to: URL(fileURLWithPath: text))
        let error = try #require(openError(text))
        #expect(error == .cannotOpen(path: text, message: "Invalid data found when processing input"))
    }

    @Test func randomBytes() throws {
        // FFmpeg's probe takes some random buffers for a raw audio format, so either refusal
        // is right; what matters is an error naming the file, never a crash or a video.
        let directory = try TemporaryDirectory()
        for seed in UInt64(0)..<16 {
            var generator = SplitMix64(seed: seed)
            let random = directory.file("random-\(seed).mp4")
            try Data((0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
                .write(to: URL(fileURLWithPath: random))
            let error = try #require(openError(random), "seed \(seed)")
            switch error {
            case .cannotOpen, .noVideoStream: #expect(error.path == random, "seed \(seed)")
            default: Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test func noVideoStream() throws {
        let directory = try TemporaryDirectory()
        let tone = directory.file("tone.m4a")
        try writeTone(tone, seconds: 0.5)
        #expect(openError(tone) == .noVideoStream(path: tone))
    }

    @Test func theFirst200KBOfTheClipHoldNoIndex() throws {
        // The clip keeps its index (moov) at the end, so its head alone cannot be opened.
        let directory = try TemporaryDirectory()
        let head = directory.file("head.mp4")
        let data = try Data(contentsOf: URL(fileURLWithPath: TestMedia.bigBuckBunny()))
        try data.prefix(200 * 1024).write(to: URL(fileURLWithPath: head))
        #expect(openError(head) == .cannotOpen(path: head, message: "Invalid data found when processing input"))
    }

    @Test func aTruncatedFileYieldsTheFramesThatDecodeAndAWarning() throws {
        // The same clip with its index first (as streaming sites serve it), cut at 200 KB.
        let directory = try TemporaryDirectory()
        let faststart = directory.file("faststart.mp4"), cut = directory.file("cut.mp4")
        _ = try ffmpeg(["-i", TestMedia.bigBuckBunny(), "-c", "copy", "-movflags", "+faststart", faststart])
        try Data(contentsOf: URL(fileURLWithPath: faststart)).prefix(200 * 1024).write(to: URL(fileURLWithPath: cut))

        let reader = try VideoReader(path: cut)
        var frames = 0
        var lastTime = -1.0
        try reader.forEachFrame { frame in
            #expect(frame.time > lastTime)
            lastTime = frame.time
            frames += 1
        }
        #expect(frames > 5 && frames < 132, "\(frames) frames decoded")
        #expect(!reader.warnings.isEmpty)
        #expect(reader.warnings.allSatisfy { $0.hasPrefix(cut + ": ") })
        #expect(reader.warnings.contains { $0.contains("truncated") }, "\(reader.warnings)")

        // Sampling the cut file: every sample time still gets a picture (the last that decoded).
        var samples = 0
        try reader.sampleFrames(fps: 2, size: 8, mode: .stretch) { _ in samples += 1 }
        #expect(samples == 11)

        // Cut just after the index: the header reads, but not one frame decodes.
        let data = try Data(contentsOf: URL(fileURLWithPath: faststart))
        let mdat = try #require(data.range(of: Data("mdat".utf8)))
        let headerOnly = directory.file("header-only.mp4")
        try data.prefix(mdat.upperBound + 100).write(to: URL(fileURLWithPath: headerOnly))
        let empty = try VideoReader(path: headerOnly)
        #expect(empty.probe.width == 1280)
        #expect(throws: MediaError.cannotDecode(path: headerOnly, message: "no frame could be decoded")) {
            try empty.forEachFrame { _ in }
        }
        #expect(throws: MediaError.cannotDecode(path: headerOnly, message: "no frame could be decoded")) {
            try empty.sampleFrames(fps: 1, size: 8, mode: .stretch) { _ in }
        }
    }

    @Test func anUnwritableOutputLeavesNothingBehind() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for path in [directory.file("missing/out.mp4"), file + "/out.mp4"] {
            #expect(throws: MediaError.self) {
                _ = try VideoWriter(path: path, width: 64, height: 48, frameRate: Rational(num: 10, den: 1))
            }
            do {
                _ = try VideoWriter(path: path, width: 64, height: 48, frameRate: Rational(num: 10, den: 1))
            } catch {
                #expect(error.path == path)
                #expect(error.description.hasPrefix(path + ": cannot write: "), "\(error)")
            }
        }
        #expect(try directory.contents() == ["file"])
    }

    @Test func aFailedOrAbandonedWriteLeavesNothingBehind() throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("out.mp4")
        do {
            let writer = try VideoWriter(path: output, width: 64, height: 48, frameRate: Rational(num: 10, den: 1))
            try writer.write(try VideoFrame(width: 64, height: 48, time: 0))
            #expect(try directory.contents().count == 1, "the temporary file exists while writing")
            #expect(throws: MediaError.frameMismatch(path: output, expected: "64x48", actual: "32x32")) {
                try writer.write(try VideoFrame(width: 32, height: 32, time: 0.1))
            }
            #expect(try directory.contents().isEmpty)
            #expect(throws: MediaError.self) { try writer.finish() }
        }
        do {
            let writer = try VideoWriter(path: output, width: 64, height: 48, frameRate: Rational(num: 10, den: 1))
            try writer.write(try VideoFrame(width: 64, height: 48, time: 0))
        }
        let left = try directory.contents()
        #expect(left.isEmpty, "an unfinished writer left \(left)")
        // An unknown container is refused before anything is created.
        #expect(throws: MediaError.self) {
            _ = try VideoWriter(path: directory.file("out.nosuchformat"), width: 64, height: 48,
                                frameRate: Rational(num: 10, den: 1))
        }
        #expect(try directory.contents().isEmpty)
    }
}

@Suite struct PNGTests {
    @Test func encodeThenDecodeIsLossless() throws {
        let width = 37, height = 21
        let rgb = (0..<width * height * 3).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 3) }
        let data = try PNG.encode(rgb: rgb, width: width, height: height)
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))

        let directory = try TemporaryDirectory()
        let path = directory.file("image.png")
        try PNG.write(rgb: rgb, width: width, height: height, to: path)
        #expect(try directory.contents() == ["image.png"])
        let decoded = try PNG.decode(path: path)
        #expect(decoded.width == width && decoded.height == height)
        #expect(decoded.rgb == rgb)
    }

    @Test func writingIntoAMissingDirectoryFailsCleanly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("missing/image.png")
        #expect(throws: MediaError.cannotWrite(path: path, message: "No such file or directory")) {
            try PNG.write(rgb: [0, 0, 0], width: 1, height: 1, to: path)
        }
        #expect(try directory.contents().isEmpty)
    }
}
