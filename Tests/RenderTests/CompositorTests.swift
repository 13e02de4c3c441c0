// Compositing: comments change exactly their band while on screen, YUV and RGB agree,
// strides and chroma parity are respected, and bitmaps are dropped when comments leave.
import Comments
import Media
import Render
import Tensor
import Testing

/// A YUV 4:2:0 frame in three arrays, rows `padding` bytes wider than the picture.
struct YUVFrame {
    var width: Int, height: Int, yStride: Int, uvStride: Int
    var y: [UInt8], u: [UInt8], v: [UInt8]

    init(width: Int, height: Int, padding: Int = 0, luma: UInt8 = 60, sentinel: UInt8 = 77) {
        self.width = width
        self.height = height
        yStride = width + padding
        uvStride = (width + 1) / 2 + padding
        y = [UInt8](repeating: sentinel, count: yStride * height)
        u = [UInt8](repeating: sentinel, count: uvStride * ((height + 1) / 2))
        v = u
        for row in 0..<height { for column in 0..<width { y[row * yStride + column] = luma } }
        for row in 0..<(height + 1) / 2 { for column in 0..<(width + 1) / 2 { u[row * uvStride + column] = 128; v[row * uvStride + column] = 128 } }
    }

    mutating func draw(_ compositor: Compositor, at time: Double) {
        let (width, height, yStride, uvStride) = (self.width, self.height, self.yStride, self.uvStride)
        y.withUnsafeMutableBufferPointer { yp in
            u.withUnsafeMutableBufferPointer { up in
                v.withUnsafeMutableBufferPointer { vp in
                    compositor.draw(at: time, onto: YUVPlanes(y: yp, u: up, v: vp, yStride: yStride, uvStride: uvStride,
                                                              width: width, height: height))
                }
            }
        }
    }
}

@Suite struct CompositorTests {
    static let stage = Stage(width: 640, height: 360)

    static func compositor(_ comments: [RenderComment]) throws -> Compositor {
        var generator = SplitMix64(seed: 1)
        let typesetter = try makeTypesetter()
        return Compositor(layout: NiconicoLayout.place(comments, on: stage, typesetter: typesetter, using: &generator),
                          typesetter: typesetter)
    }

    @Test func aCommentChangesItsBandOnlyWhileOnScreen() throws {
        let compositor = try Self.compositor([RenderComment(vpos: 200, text: "弾幕テスト", color: MailCommands.colors["red"]!)])
        let comment = compositor.layout.comments[0]
        let blank = YUVFrame(width: 640, height: 360)
        for time in [0.0, 0.99, 5.0, 7.0] {
            var frame = blank
            frame.draw(compositor, at: time)
            #expect(frame.y == blank.y && frame.u == blank.u && frame.v == blank.v, "changed at \(time) s")
        }
        #expect(compositor.cachedCommentCount == 0)
        for time in [1.05, 2.0, 3.5, 4.8] {
            var frame = blank
            frame.draw(compositor, at: time)
            let x = comment.x(at: time)
            var changedInside = 0, changedOutside = 0
            for row in 0..<360 {
                for column in 0..<640 where frame.y[row * 640 + column] != blank.y[row * 640 + column] {
                    let inside = row >= comment.y - comment.style.padding && row < comment.y + comment.height + comment.style.padding
                        && Double(column) >= x.rounded(.down) && Double(column) <= x + Double(comment.width)
                    if inside { changedInside += 1 } else { changedOutside += 1 }
                }
            }
            #expect(changedInside > 100, "at \(time) s")
            #expect(changedOutside == 0, "at \(time) s")
            // Red raises Cr.
            #expect(frame.v.contains { $0 > 160 })
            #expect(compositor.cachedCommentCount == 1)
        }
    }

    @Test func yuvAndRGBPathsAgree() throws {
        let compositor = try Self.compositor([
            RenderComment(vpos: 100, text: "白いコメント"),
            RenderComment(vpos: 120, text: "黄色", position: .ue, size: .big, color: MailCommands.colors["yellow"]!),
            RenderComment(vpos: 150, text: "黒", position: .shita, color: .black),
        ])
        let time = 2.013
        var frame = YUVFrame(width: 640, height: 360, luma: 126)
        frame.draw(compositor, at: time)
        // RGB grey 128 is Y' 126 in limited-range Rec. 601.
        var rgb = [UInt8](repeating: 128, count: 640 * 360 * 3)
        compositor.draw(at: time, onto: &rgb, width: 640, height: 360)
        var sum = 0.0, changed = 0
        for pixel in 0..<(640 * 360) {
            let r = Double(rgb[3 * pixel]), g = Double(rgb[3 * pixel + 1]), b = Double(rgb[3 * pixel + 2])
            let luma = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
            guard frame.y[pixel] != 126 else { continue }
            sum += abs(luma - Double(frame.y[pixel]))
            changed += 1
        }
        #expect(changed > 2000)
        #expect(sum / Double(changed) < 1.5, "mean luma difference over changed pixels \(sum / Double(changed))")
    }

    @Test func stridesAndOddRowsAreRespected() throws {
        // A stage of odd size, rows wider than the picture, comments at odd and even rows, entering and leaving.
        var generator = SplitMix64(seed: 2)
        let stage = Stage(width: 321, height: 181)
        let typesetter = try makeTypesetter()
        let comments = (0..<12).map { RenderComment(vpos: 100 + 7 * $0, text: "奇数の行 \($0)", position: $0 % 3 == 1 ? .ue : .naka) }
        let layout = NiconicoLayout.place(comments, on: stage, typesetter: typesetter, using: &generator)
        #expect(Set(layout.comments.map { $0.y & 1 }).count == 2)
        let compositor = Compositor(layout: layout, typesetter: typesetter)
        let blank = YUVFrame(width: 321, height: 181, padding: 13)
        for time in stride(from: 0.0, to: 5.5, by: 0.25) {
            var frame = blank
            frame.draw(compositor, at: time)
            for row in 0..<181 { #expect(frame.y[(row * blank.yStride + 321)..<((row + 1) * blank.yStride)].allSatisfy { $0 == 77 }) }
            for row in 0..<91 {
                #expect(frame.u[(row * blank.uvStride + 161)..<((row + 1) * blank.uvStride)].allSatisfy { $0 == 77 })
                #expect(frame.v[(row * blank.uvStride + 161)..<((row + 1) * blank.uvStride)].allSatisfy { $0 == 77 })
            }
        }
    }

    @Test func drawTextClipsAtTheImageEdges() throws {
        let typesetter = try makeTypesetter()
        var rgb = [UInt8](repeating: 0, count: 50 * 20 * 3)
        let style = TextStyle(fontSize: 30, lineHeight: 30, strokeRadius: 2)
        for (x, y) in [(-20.5, -10), (40.25, 12), (-200.0, 0), (0.0, 100)] {
            typesetter.drawText("はみ出し", x: x, y: y, style: style, onto: &rgb, width: 50, height: 20)
        }
        #expect(rgb.contains { $0 != 0 })
    }
}

extension CompositorTests {
    @Test func whiteOnWhiteNeverWrapsAround() throws {
        // pixel·k + c reaches its largest value, 255·256, here: rounding must neither wrap nor darken.
        let typesetter = try makeTypesetter()
        var rgb = [UInt8](repeating: 255, count: 200 * 50 * 3)
        for x in [3.0, 3.3, 3.5, 3.77] {
            typesetter.drawText("白地に白い文字", x: x, y: 5, style: TextStyle(fontSize: 27, lineHeight: 28, strokeRadius: 0),
                                onto: &rgb, width: 200, height: 50)
        }
        #expect(rgb.allSatisfy { $0 == 255 })
    }
}
