// Synthetic clips for the Media tests: solid colours that name their frame, and a tone.
import Foundation
import Media
import TestSupport
import Testing

/// The colour of synthetic frame `i`: Y steps by 3 so the decoded luma names the frame.
func clipColour(_ i: Int) -> (y: UInt8, u: UInt8, v: UInt8) {
    (UInt8(20 + 3 * i), UInt8(90 + (i % 4) * 20), UInt8(170 - (i % 3) * 25))
}

/// The frame index a decoded mean luma stands for.
func frameIndex(luma: Double) -> Int { Int(((luma - 20) / 3).rounded()) }

/// BT.601 limited-range YUV → RGB, as libswscale converts by default.
func rgb(ofY y: UInt8, u: UInt8, v: UInt8) -> (r: Double, g: Double, b: Double) {
    let c = 1.164 * (Double(y) - 16), d = Double(u) - 128, e = Double(v) - 128
    func clamp(_ x: Double) -> Double { min(255, max(0, x)) }
    return (clamp(c + 1.596 * e), clamp(c - 0.392 * d - 0.813 * e), clamp(c + 2.017 * d))
}

/// Writes a clip of `frames` solid frames (colour `clipColour(i)`) at `fps`, with the audio
/// of `audio` copied in when given.
func writeClip(_ path: String, frames: Int, fps: Int = 10, width: Int = 64, height: Int = 48,
               audio: String? = nil) throws {
    let writer = try VideoWriter(path: path, width: width, height: height, frameRate: Rational(num: fps, den: 1),
                                 audioSource: audio, crf: 18)
    for i in 0..<frames {
        var frame = try VideoFrame(width: width, height: height, time: Double(i) / Double(fps))
        let colour = clipColour(i)
        try frame.withMutablePlanes { planes in planes.fill(y: colour.y, u: colour.u, v: colour.v) }
        try writer.write(frame)
    }
    try writer.finish()
}

/// Writes `seconds` of a 440 Hz sine tone as AAC (mono, 48 kHz).
func writeTone(_ path: String, seconds: Double) throws {
    _ = try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)",
                    "-c:a", "aac", "-b:a", "64k", path])
}

/// The dominant frequency of a file's first audio stream, from zero crossings of its mono PCM.
func toneFrequency(_ path: String) throws -> Double {
    let directory = try TemporaryDirectory()
    let raw = directory.file("tone.s16")
    _ = try ffmpeg(["-i", path, "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "s16le", raw])
    let data = try Data(contentsOf: URL(fileURLWithPath: raw))
    let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    // Skip the encoder's ramp at each end.
    let body = samples.dropFirst(4800).dropLast(4800)
    var crossings = 0
    var previous = body.first ?? 0
    for sample in body {
        if (previous < 0) != (sample < 0) { crossings += 1 }
        previous = sample
    }
    return Double(crossings) / 2 / (Double(body.count) / 48000)
}

/// The MD5 of a file's audio packets as stored (`ffmpeg -c copy -f md5`).
func audioPacketsMD5(_ path: String) throws -> String {
    try ffmpeg(["-i", path, "-map", "0:a", "-c", "copy", "-f", "md5", "-"]).stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// `ffprobe -of json` of `path` as a dictionary.
func ffprobe(_ path: String, _ arguments: [String]) throws -> [String: Any] {
    let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-of", "json"] + arguments + [path])
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    return try #require(object as? [String: Any], "ffprobe: \(result.stderr)")
}
