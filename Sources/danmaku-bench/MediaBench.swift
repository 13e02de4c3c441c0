// Media speed against the `ffmpeg` command line doing the same work on the same clip in the
// same run: decode + scale to 224x224 RGB, and decode + x264 veryfast encode (+ audio copy).
// Also the peak memory of decoding a long clip, to show that it does not grow with length.
import Foundation
import Media

enum MediaBench {
    /// The Big Buck Bunny clip (1280x720 H.264 25 fps, 5.3 s) `make fetch-test-media` puts
    /// in the user cache.
    static let fixture: String = {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache"
        return cache + "/danmaku/test-media/bigbuckbunny.mp4"
    }()

    /// A scratch directory for the clips a case makes; each case removes it when done.
    static func scratch() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-bench-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The fixture played `loops` times in a row, stream-copied (no re-encode) into `scratch`.
    static func loopedClip(loops: Int) -> String {
        let path = scratch() + "/looped-\(loops).mp4"
        if !FileManager.default.fileExists(atPath: path) {
            _ = ffmpeg(["-stream_loop", String(loops - 1), "-i", fixture, "-c", "copy", path])
        }
        return path
    }

    /// Runs the `ffmpeg` command line quietly; returns its wall time in seconds.
    @discardableResult
    static func ffmpeg(_ arguments: [String]) -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            FileHandle.standardError.write(Data("danmaku-bench: cannot run ffmpeg: \(error)\n".utf8))
            return .nan
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Wall and CPU seconds of one side of a comparison (medians over the runs).
    struct Timing {
        var wall: Double
        var cpu: Double
    }

    /// Times `ours` (in this process) and `theirs` (an `ffmpeg` child) alternately, `runs`
    /// times each after one warm-up of both, so that load drifting on a shared machine hits
    /// both alike. CPU time (this process's, the children's) is reported too: on a busy
    /// machine it compares the work done better than wall time does.
    static func interleaved(runs: Int, ours: () -> Void, theirs: () -> Void) -> (ours: Timing, theirs: Timing) {
        func wallClock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        func processCPU() -> Double {
            var spec = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        }
        func childrenCPU() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        func time(_ body: () -> Void, cpu: () -> Double) -> Timing {
            let (wall0, cpu0) = (wallClock(), cpu())
            body()
            return Timing(wall: wallClock() - wall0, cpu: cpu() - cpu0)
        }
        func median(_ timings: [Timing]) -> Timing {
            Timing(wall: timings.map(\.wall).sorted()[runs / 2], cpu: timings.map(\.cpu).sorted()[runs / 2])
        }
        ours()
        theirs()
        var a: [Timing] = [], b: [Timing] = []
        for _ in 0..<runs {
            a.append(time(ours, cpu: processCPU))
            b.append(time(theirs, cpu: childrenCPU))
        }
        return (median(a), median(b))
    }

    /// One report line: fps by wall time for both, their ratio, and the CPU seconds per frame.
    static func report(_ name: String, frames: Int, ours: Timing, theirs: Timing, runs: Int) {
        Measure.report(["bench": name, "fps": Double(frames) / ours.wall, "ffmpeg_fps": Double(frames) / theirs.wall,
                        "ratio": theirs.wall / ours.wall, "cpu_ms_per_frame": ours.cpu / Double(frames) * 1000,
                        "ffmpeg_cpu_ms_per_frame": theirs.cpu / Double(frames) * 1000,
                        "cpu_ratio": theirs.cpu / ours.cpu, "frames": frames, "runs": runs])
    }

    /// Decode + scale every frame to 224x224 RGB24 (bilinear, stretch), against
    /// `ffmpeg -vf scale=224:224:flags=bilinear -pix_fmt rgb24 -f null`.
    static func decodeScale(loops: Int = 4, runs: Int = 5) {
        let clip = loopedClip(loops: loops)
        defer { clean() }
        guard let reader = try? VideoReader(path: clip) else { return fail("decode_scale", clip) }
        let fps = reader.probe.frameRate.value
        var frames = 0
        let (ours, theirs) = interleaved(runs: runs, ours: {
            frames = 0
            try? reader.sampleFrames(fps: fps, size: 224, mode: .stretch) { sample in
                blackHole(sample.rgb)
                frames += 1
            }
        }, theirs: {
            ffmpeg(["-i", clip, "-an", "-vf", "scale=224:224:flags=bilinear", "-pix_fmt", "rgb24", "-f", "null", "-"])
        })
        report("media_decode_scale_224_rgb", frames: frames, ours: ours, theirs: theirs, runs: runs)
    }

    /// Decode + libx264 veryfast CRF 23 encode + audio stream copy, against the same
    /// `ffmpeg -c:v libx264 -preset veryfast -crf 23 -c:a copy`.
    static func encode(loops: Int = 1, runs: Int = 3) {
        let clip = loopedClip(loops: loops)
        defer { clean() }
        let directory = scratch()
        var frames = 0
        let (ours, theirs) = interleaved(runs: runs, ours: {
            frames = (try? VideoWriter.transcode(from: clip, to: directory + "/ours.mp4") { _ in }) ?? 0
        }, theirs: {
            ffmpeg(["-i", clip, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "copy",
                    directory + "/theirs.mp4"])
        })
        guard frames > 0 else { return fail("encode", clip) }
        report("media_encode_x264_veryfast", frames: frames, ours: ours, theirs: theirs, runs: runs)
    }

    /// Peak resident memory while sampling a clip of `loops` × 5.3 s at 1 fps to 224x224
    /// (every frame is decoded), measured from a reset of the process's peak.
    static func peakMemory(name: String, loops: Int) {
        let clip = loopedClip(loops: loops)
        defer { clean() }
        guard let reader = try? VideoReader(path: clip) else { return fail("rss", clip) }
        resetPeakMemory()
        let start = DispatchTime.now().uptimeNanoseconds
        var samples = 0
        try? reader.sampleFrames(fps: 1, size: 224, mode: .stretch) { _ in samples += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        Measure.report(["bench": "media_peak_rss_\(name)_1280x720",
                        "peak_rss_mb": peakMemoryMB(), "video_s": reader.probe.duration,
                        "decode_fps": reader.probe.duration * reader.probe.frameRate.value / seconds, "samples": samples])
    }

    /// Removes the scratch directory and its clips.
    private static func clean() {
        try? FileManager.default.removeItem(atPath: scratch())
    }

    private static func fail(_ name: String, _ clip: String) {
        FileHandle.standardError.write(Data("danmaku-bench: media \(name): cannot read \(clip)\n".utf8))
    }

    /// Resets the kernel's peak-RSS counter of this process (`/proc/self/clear_refs`, value 5).
    static func resetPeakMemory() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// `VmHWM` of `/proc/self/status` (peak resident set) in MB.
    static func peakMemoryMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ")[1]) else { return .nan }
        return kilobytes / 1024
    }
}
