// Compositing speed: N comments over a 60 s 640x360 30 fps clip drawn onto blank YUV 4:2:0
// frames (no decoder, no encoder), against libass drawing the same layout through
// `ffmpeg -vf ass` (our ASS export) when ffmpeg has libass.
import Comments
import Foundation
import Media
import Render
import Tensor

enum RenderBench {
    static let texts = ["草", "www", "きたああああ", "ここすき", "8888888888", "かわいい", "この曲好きだったなあ", "神回",
                        "初見です", "懐かしい！！！", "ｗｗｗｗｗｗｗｗｗｗｗｗ", "ここ何回見ても笑う", "これは名作", "もう一回",
                        "うぽつ", "あと3分", "Nice!", "全力で見てる人がいる", "弾幕薄いよ何やってんの", "ｷﾀ━━━(ﾟ∀ﾟ)━━━!!"]

    /// `count` comments spread uniformly over `seconds`: 80 % scrolling, 10 % top, 10 % bottom; mostly medium.
    static func comments(count: Int, seconds: Double, seed: UInt64) -> [RenderComment] {
        var generator = SplitMix64(seed: seed)
        let colors: [RGBColor] = [.white, .white, .white, .white, RGBColor(packed: 0xFF0000), RGBColor(packed: 0xFFFF00)]
        return (0..<count).map { _ in
            let roll = Int.random(in: 0..<10, using: &generator)
            let sizeRoll = Int.random(in: 0..<10, using: &generator)
            return RenderComment(vpos: Int.random(in: 0..<Int(seconds * 100), using: &generator),
                                 text: texts.randomElement(using: &generator)!,
                                 position: roll < 8 ? .naka : (roll == 8 ? .ue : .shita),
                                 size: sizeRoll < 8 ? .medium : (sizeRoll == 8 ? .small : .big),
                                 color: colors.randomElement(using: &generator)!)
        }
    }

    static func run(comments count: Int, width: Int = 640, height: Int = 360, fps: Double = 30, seconds: Double = 60) {
        let stage = Stage(width: width, height: height)
        let typesetter: Typesetter
        do { typesetter = try Typesetter() } catch {
            FileHandle.standardError.write(Data("danmaku-bench: render: \(error)\n".utf8))
            return
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var generator = SplitMix64(seed: 42)
        let layout = NiconicoLayout.place(comments(count: count, seconds: seconds, seed: UInt64(count)), on: stage,
                                          typesetter: typesetter, using: &generator)
        let layoutSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // Blank frames: each frame starts as a copy of a mid-grey picture, as a decoded frame would.
        let chromaSize = ((width + 1) / 2) * ((height + 1) / 2)
        let blankY = [UInt8](repeating: 126, count: width * height), blankC = [UInt8](repeating: 128, count: chromaSize)
        var y = blankY, u = blankC, v = blankC
        let compositor = Compositor(layout: layout, typesetter: typesetter)
        let frames = Int(seconds * fps)
        var mostOnScreen = 0
        let drawStart = DispatchTime.now().uptimeNanoseconds
        for frame in 0..<frames {
            let time = Double(frame) / fps
            y.withUnsafeMutableBufferPointer { yp in
                u.withUnsafeMutableBufferPointer { up in
                    v.withUnsafeMutableBufferPointer { vp in
                        _ = blankY.withUnsafeBufferPointer { yp.update(fromContentsOf: $0) }
                        _ = blankC.withUnsafeBufferPointer { up.update(fromContentsOf: $0) }
                        _ = blankC.withUnsafeBufferPointer { vp.update(fromContentsOf: $0) }
                        compositor.draw(at: time, onto: YUVPlanes(y: yp, u: up, v: vp, yStride: width,
                                                                  uvStride: (width + 1) / 2, width: width, height: height))
                    }
                }
            }
            mostOnScreen = max(mostOnScreen, compositor.cachedCommentCount)
        }
        let drawSeconds = Double(DispatchTime.now().uptimeNanoseconds - drawStart) / 1e9
        blackHole(y)
        let overflowed = layout.comments.filter(\.overflowed).count
        let libass = libassFPS(layout: layout, fontName: typesetter.font.familyName, fontPath: typesetter.font.path,
                               width: width, height: height, fps: fps, seconds: seconds)
        Measure.report(["bench": "render_composite_\(count)", "fps": Double(frames) / drawSeconds,
                        "ms_per_frame": drawSeconds / Double(frames) * 1000, "layout_s": layoutSeconds,
                        "libass_fps": libass.map { String(format: "%.1f", $0) } ?? "unavailable",
                        "most_on_screen": mostOnScreen, "overflowed": overflowed, "frames": frames,
                        "size": "\(width)x\(height)"])
    }

    /// Frames per second of `ffmpeg -vf ass` drawing our ASS export of `layout` onto a
    /// generated grey clip, without encoding; nil when ffmpeg (with libass) is not available.
    static func libassFPS(layout: CommentLayout, fontName: String, fontPath: String,
                          width: Int, height: Int, fps: Double, seconds: Double) -> Double? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("danmaku-bench-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("comments.ass")
        guard (try? ASSWriter.script(for: layout, fontName: fontName).write(to: script, atomically: true, encoding: .utf8)) != nil else {
            return nil
        }
        let fontsDirectory = URL(fileURLWithPath: fontPath).deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                             "-f", "lavfi", "-i", "color=c=gray:s=\(width)x\(height):r=\(Int(fps)):d=\(Int(seconds))",
                             "-vf", "ass=\(script.path):fontsdir=\(fontsDirectory)", "-f", "null", "-"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return seconds * fps / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
