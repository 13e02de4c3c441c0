// Draws the comments of a layout onto frames: YUV 4:2:0 planes for video, RGB24 for images.
import Comments
import Media

/// Draws a `CommentLayout` onto frames at any time, smoothly (sub-pixel positions).
///
/// A comment's bitmap is made when it first appears and kept while it is on screen, then
/// dropped, so memory depends on how many comments are on screen, not on the video's length.
/// Not `Sendable` (it owns the typesetter's FreeType faces and its caches).
public final class Compositor {
    public let layout: CommentLayout
    public let typesetter: Typesetter
    /// The colour matrix of the frames `draw(at:onto:)` is given.
    public let matrix: YUVMatrix
    private var yuvSprites: [Int: YUVSprite] = [:]
    private var rgbSprites: [Int: SpritePlane] = [:]

    public init(layout: CommentLayout, typesetter: Typesetter, matrix: YUVMatrix = .bt601) {
        self.layout = layout
        self.typesetter = typesetter
        self.matrix = matrix
    }

    /// How many comment bitmaps are cached (those on screen at the last drawn time).
    public var cachedCommentCount: Int { yuvSprites.count + rgbSprites.count }

    /// The comments on screen at `time` with their sprites: cached ones reused, new ones made
    /// from the comment's bitmap, and those of comments no longer on screen dropped.
    private func onScreen<Sprite>(at time: Double, cache: inout [Int: Sprite],
                                  make: (PlacedComment, TextBitmap) -> Sprite) -> [(comment: PlacedComment, sprite: Sprite)] {
        let active = layout.active(at: time)
        let activeSet = Set(active)
        cache = cache.filter { activeSet.contains($0.key) }
        var result: [(comment: PlacedComment, sprite: Sprite)] = []
        result.reserveCapacity(active.count)
        for index in active {
            let comment = layout.comments[index]
            if let cached = cache[index] {
                result.append((comment, cached))
            } else {
                let sprite = make(comment, typesetter.rasterise(lines: comment.lines, style: comment.style))
                cache[index] = sprite
                result.append((comment, sprite))
            }
        }
        return result
    }

    /// Draws every comment on screen at `time` (seconds) onto a frame's planes, in place.
    /// The frame should be the layout's stage size; comments are clipped to the planes.
    public func draw(at time: Double, onto planes: YUVPlanes) {
        let matrix = self.matrix
        let visible = onScreen(at: time, cache: &yuvSprites) { comment, bitmap in
            YUVSprite(bitmap: bitmap, ink: Ink(fill: comment.color, opacity: comment.opacity), matrix: matrix,
                      top: comment.y - bitmap.padding)
        }
        let chromaWidth = (planes.width + 1) / 2, chromaHeight = (planes.height + 1) / 2
        for (comment, sprite) in visible {
            let x = comment.x(at: time)
            // A positioned comment moving vertically moves by even rows (`top(at:)`), so the sprite's chroma parity holds.
            let top = sprite.top + comment.top(at: time) - comment.y
            sprite.luma.blend(channel: 0, onto: planes.y.baseAddress!, destinationStride: planes.yStride, step: 1,
                              destinationWidth: planes.width, destinationHeight: planes.height, originX: x, originY: top)
            let chromaTop = (top - (top & 1)) / 2
            for (channel, plane) in [planes.u, planes.v].enumerated() {
                sprite.chroma.blend(channel: channel, onto: plane.baseAddress!, destinationStride: planes.uvStride, step: 1,
                                    destinationWidth: chromaWidth, destinationHeight: chromaHeight, originX: x / 2, originY: chromaTop)
            }
        }
    }

    /// Draws every comment on screen at `time` (seconds) onto an RGB24 image (`width × height × 3`, row-major).
    public func draw(at time: Double, onto rgb: inout [UInt8], width: Int, height: Int) {
        precondition(rgb.count == width * height * 3, "RGB image of \(rgb.count) bytes is not \(width)x\(height)x3")
        let visible = onScreen(at: time, cache: &rgbSprites) { comment, bitmap in
            Self.rgbSprite(bitmap, color: comment.color, opacity: comment.opacity)
        }
        for (comment, sprite) in visible {
            Self.blendRGB(sprite, onto: &rgb, width: width, height: height, x: comment.x(at: time),
                          y: comment.top(at: time) - comment.style.padding)
        }
    }

    static func rgbSprite(_ bitmap: TextBitmap, color: RGBColor, opacity: Double = 1) -> SpritePlane {
        let ink = Ink(fill: color, opacity: opacity)
        func channels(_ color: RGBColor) -> [Double] { [Double(color.r), Double(color.g), Double(color.b)] }
        let (keep, add) = ink.composite(bitmap, fillValues: channels(ink.fill), outlineValues: channels(ink.outline))
        return SpritePlane(width: bitmap.width, height: bitmap.height, channels: 3, keep: keep, add: add)
    }

    static func blendRGB(_ sprite: SpritePlane, onto rgb: inout [UInt8], width: Int, height: Int, x: Double, y: Int) {
        rgb.withUnsafeMutableBufferPointer { pixels in
            sprite.blendInterleaved(onto: pixels.baseAddress!, destinationWidth: width, destinationHeight: height, originX: x, originY: y)
        }
    }
}

extension Typesetter {
    /// Draws `text` (lines separated by newlines) onto an RGB24 image (`width × height × 3`,
    /// row-major) with its box's top-left corner at (`x`, `y`) pixels, outlined like a comment.
    /// Characters the fonts lack are skipped and reported by `reportMissingGlyphs`.
    public func drawText(_ text: String, x: Double, y: Int, style: TextStyle, color: RGBColor = .white,
                         onto rgb: inout [UInt8], width: Int, height: Int) {
        precondition(rgb.count == width * height * 3, "RGB image of \(rgb.count) bytes is not \(width)x\(height)x3")
        let lines = RenderComment(vpos: 0, text: text).lines
        let sprite = Compositor.rgbSprite(rasterise(lines: lines, style: style), color: color)
        Compositor.blendRGB(sprite, onto: &rgb, width: width, height: height, x: x, y: y - style.padding)
    }
}
