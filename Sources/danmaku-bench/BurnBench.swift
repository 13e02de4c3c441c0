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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-burn-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let clip = directory.appendingPathComponent("clip.mp4").path
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=60",
                        "-f", "lavfi", "-i", "sine=frequency=440:duration=60",
                        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip])
            let comments = RenderBench.comments(count: count, seconds: 60, seed: UInt64(count)).map { c in
                var mail = [c.position.rawValue, c.size.rawValue]
                if c.color != .white { mail.append(String(format: "#%02X%02X%02X", c.color.red, c.color.green, c.color.blue)) }
                return Comment(vpos: c.vpos, text: c.text, mail: mail)
            }
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
        } catch {
            FileHandle.standardError.write(Data("danmaku-bench: render_burn_\(count): \(error)\n".utf8))
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
