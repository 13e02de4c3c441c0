// Render + encode end to end: N comments burned into a 60 s 640x360 30 fps clip by
// `BurnPipeline` (decode, layout, composite every frame, x264 veryfast, audio copy), next to
// today's path for a user measured in the same run: an ASS file burned by
// `ffmpeg -vf ass=… -c:v libx264 -preset veryfast` (libass). danmaku2ass is not packaged here,
// so the peer's ASS is our own export of the same layout, which gives libass the same work.
import Comments
import Foundation
import Pipeline
import Render
import Tensor

enum BurnBench {
    static func run(comments count: Int) {
        withClip("render_burn_\(count)", comments: count) { clip, comments, directory in
            let ass = directory.appendingPathComponent("comments.ass").path
            var options = BurnOptions()
            options.assPath = ass
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try BurnPipeline.burn(video: clip, comments: comments,
                                               output: directory.appendingPathComponent("ours.mp4").path, options: options)
            let ours = Double(result.frames) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)

            let fonts = (try BundledFont.path() as NSString).deletingLastPathComponent
            let peerStart = DispatchTime.now().uptimeNanoseconds
            try ffmpeg(["-i", clip, "-vf", "ass=\(ass):fontsdir=\(fonts)", "-c:v", "libx264", "-preset", "veryfast",
                        "-crf", "23", "-c:a", "copy", directory.appendingPathComponent("peer.mp4").path])
            let peer = Double(result.frames) / (Double(DispatchTime.now().uptimeNanoseconds - peerStart) / 1e9)
            Measure.report(["bench": "render_burn_\(count)_640x360", "fps": ours, "peer_ffmpeg_ass_fps": peer,
                            "ratio": ours / peer, "frames": result.frames, "shown": result.commentsShown])
        }
    }

    /// What each `render` option costs: the same 600-comment burn with one option at a time,
    /// `fps` and `time_ratio` = its wall time / the default burn's, timed in the same run
    /// (the default burned first and last, its mean the reference).
    static func runOptions(comments count: Int) {
        withClip("render_burn_\(count)_options", comments: count) { clip, comments, directory in
            let output = directory.appendingPathComponent("out.mp4").path
            func time(_ options: BurnOptions) throws -> (seconds: Double, result: BurnResult) {
                let start = DispatchTime.now().uptimeNanoseconds
                let result = try BurnPipeline.burn(video: clip, comments: comments, output: output, options: options)
                return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, result)
            }
            var variants: [(String, (inout BurnOptions) -> Void)] = [
                ("max_on_screen_20", { $0.layout.maxOnScreen = 20 }),
                ("max_on_screen_20_queue", { $0.layout.maxOnScreen = 20; $0.layout.queue = true }),
                ("no_overlap", { $0.layout.noOverlap = true }),
                ("opacity_0.5", { $0.layout.opacity = 0.5 }),
                ("scroll_seconds_6", { $0.layout.scrollSeconds = 6 }),
                ("font_scale_1.5", { $0.layout.fontScale = 1.5 }),
                ("protect_bottom_0.2", { $0.layout.protectBottom = 0.2 }),
                ("block_top_bottom_colour", { $0.block = [.top, .bottom, .colour] }),
                ("filter_3", { $0.filters = ["^w+$", "8{4,}", "草"] }),
                ("merge_duplicates_4", { $0.mergeWindow = 4 }),
                ("fps_60", { $0.fps = 60 }),
            ]
            let html = directory.appendingPathComponent("page.html").path
            variants.append(("html_only", { $0.htmlPath = html; $0.writesVideo = false }))
            let first = try time(BurnOptions())
            var timed: [(String, Double, BurnResult)] = []
            for (name, change) in variants {
                var options = BurnOptions()
                change(&options)
                let (seconds, result) = try time(options)
                timed.append((name, seconds, result))
            }
            let last = try time(BurnOptions())
            let reference = (first.seconds + last.seconds) / 2
            Measure.report(["bench": "render_burn_\(count)_options_default", "fps": Double(first.result.frames) / reference,
                            "seconds": reference, "shown": first.result.commentsShown])
            for (name, seconds, result) in timed {
                Measure.report(["bench": "render_burn_\(count)_option_\(name)", "fps": Double(max(result.frames, 1)) / seconds,
                                "frames": result.frames, "seconds": seconds, "time_ratio": seconds / reference,
                                "shown": result.commentsShown, "dropped": result.drops.map(\.count).reduce(0, +)])
            }
        }
    }

    /// Runs the case `name` on the bench's clip and a `count`-comment thread in a new
    /// temporary folder, removed afterwards; an error is reported on stderr, not thrown.
    private static func withClip(_ name: String, comments count: Int,
                                 _ body: (_ clip: String, _ comments: [Comment], _ directory: URL) throws -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try body(try makeClip(in: directory), thread(count: count), directory)
        } catch {
            FileHandle.standardError.write(Data("danmaku-bench: \(name): \(error)\n".utf8))
        }
    }

    /// The bench's clip in a new `directory`: 60 s of 640x360 at 30 fps with a tone.
    static func makeClip(in directory: URL) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clip = directory.appendingPathComponent("clip.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=60",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=60",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip])
        return clip
    }

    /// The bench's synthetic thread as Niconico comments.
    static func thread(count: Int) -> [Comment] {
        RenderBench.comments(count: count, seconds: 60, seed: UInt64(count)).map { c in
            var mail = [c.position.rawValue, c.size.rawValue]
            if c.color != .white { mail.append(String(format: "#%02X%02X%02X", c.color.r, c.color.g, c.color.b)) }
            return Comment(vpos: c.vpos, text: c.text, mail: mail)
        }
    }

    private static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineError.invalidInput(path: "ffmpeg", reason: "exit status \(process.terminationStatus) for \(arguments.joined(separator: " "))")
        }
    }
}
