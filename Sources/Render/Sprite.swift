// A comment prepared for blending: per pixel, how much of the background stays (k) and what
// the comment adds (c), premultiplied, so drawing a pixel is one multiply-add.
//
// With fill coverage a_f and outline coverage a_o (times its opacity), the composite is
//     out = bg·(1 − a_o)(1 − a_f) + C_o·a_o·(1 − a_f) + C_f·a_f = (bg·k + c) / 256
// with k = 256·(1 − a_o)(1 − a_f) and c = 256·(C_o·a_o·(1 − a_f) + C_f·a_f). The result is linear
// in k and c, so averaging them (2×2 for chroma) and interpolating them (sub-pixel motion) is
// exact box filtering of the composite.
import Comments

/// One plane of a sprite: `k` and one `c` array per channel, rows of `stride = width + 2`
/// values (one transparent column on each side, so interpolation never reads outside), and
/// for each row the columns that are not transparent.
struct SpritePlane {
    var width: Int
    var height: Int
    var stride: Int { width + 2 }
    /// 0…256 per pixel.
    var keep: [UInt16]
    /// 0…65280 per pixel and channel.
    var add: [[UInt16]]
    /// Per row: first and last non-transparent column (unpadded), or first > last for none.
    var spans: [(first: Int32, last: Int32)]

    /// A plane from each pixel's kept share of the background (`keep`, 0…1, `width × height`)
    /// and the premultiplied value it adds per channel (`add`, 0…255, `width × height × channels`,
    /// channels interleaved).
    init(width: Int, height: Int, channels: Int, keep keepShare: [Float], add addValue: [Float]) {
        precondition(keepShare.count == width * height && addValue.count == width * height * channels, "sprite plane sizes")
        self.width = width
        self.height = height
        let stride = width + 2
        var keep = [UInt16](repeating: 256, count: stride * height)
        var add = [[UInt16]](repeating: [UInt16](repeating: 0, count: stride * height), count: channels)
        var spans: [(first: Int32, last: Int32)] = Array(repeating: (Int32(width), -1), count: height)
        for row in 0..<height {
            for column in 0..<width {
                let source = row * width + column
                let index = row * stride + column + 1
                let k = UInt16((256 * keepShare[source]).rounded())
                var touched = k != 256
                keep[index] = k
                for channel in 0..<channels {
                    // Capped so that pixel·k + c ≤ 255·256 after rounding: the blend never exceeds 255.
                    let c = min(UInt16((256 * addValue[source * channels + channel]).rounded()), 255 * (256 - k))
                    add[channel][index] = c
                    touched = touched || c != 0
                }
                guard touched else { continue }
                if spans[row].first > Int32(column) { spans[row].first = Int32(column) }
                spans[row].last = Int32(column)
            }
        }
        self.keep = keep
        self.add = add
        self.spans = spans
    }

    /// Blends channel `channel` onto `destination` (`destinationWidth × destinationHeight`
    /// samples, rows `destinationStride` bytes apart, samples `step` bytes apart) with the
    /// plane's top-left corner at (`originX`, `originY`); `originX` may be fractional.
    func blend(channel: Int, onto destination: UnsafeMutablePointer<UInt8>, destinationStride: Int, step: Int,
               destinationWidth: Int, destinationHeight: Int, originX: Double, originY: Int) {
        let whole = originX.rounded(.down)
        let xi = Int(whole)
        let fraction = UInt32(((originX - whole) * 256).rounded())
        // Screen column xi + m takes sprite columns m (weight 1 − f) and m − 1 (weight f):
        // m runs over 0…width when moving by a fraction, 0..<width otherwise.
        let (shift, reach) = fraction == 0 ? (xi, width - 1) : (fraction == 256 ? (xi + 1, width - 1) : (xi, width))
        let lowest = max(0, -shift), highest = min(reach, destinationWidth - 1 - shift)
        guard lowest <= highest else { return }
        let firstRow = max(0, -originY), endRow = min(height, destinationHeight - originY)
        guard firstRow < endRow else { return }
        let rows = firstRow..<endRow
        let stride = self.stride
        // A fractional move reaches one column past the span's last.
        let overhang = fraction == 0 || fraction == 256 ? 0 : 1
        // Row `row` of the plane, from the `keep` and `add` planes' first elements.
        @inline(__always) func blendSpan(_ row: Int, keep: UnsafePointer<UInt16>, add: UnsafePointer<UInt16>) {
            let span = spans[row]
            let first = max(lowest, Int(span.first)), last = min(highest, Int(span.last) + overhang)
            guard span.first <= span.last && first <= last else { return }
            let keepRow = keep + row * stride + 1, addRow = add + row * stride + 1
            let line = destination + (originY + row) * destinationStride + shift * step
            Self.blendRow(keep: keepRow + first, add: addRow + first, into: line + first * step, step: step,
                          count: last - first + 1, fraction: fraction)
        }
        keep.withUnsafeBufferPointer { keep in
            add[channel].withUnsafeBufferPointer { add in
                for row in rows { blendSpan(row, keep: keep.baseAddress!, add: add.baseAddress!) }
            }
        }
    }

    /// Blends every channel onto interleaved samples (`add.count` a pixel, `destinationWidth`
    /// pixels a row), each as `blend(channel:…)` does.
    func blendInterleaved(onto destination: UnsafeMutablePointer<UInt8>, destinationWidth: Int, destinationHeight: Int,
                          originX: Double, originY: Int) {
        let channels = add.count
        for channel in 0..<channels {
            blend(channel: channel, onto: destination + channel, destinationStride: channels * destinationWidth, step: channels,
                  destinationWidth: destinationWidth, destinationHeight: destinationHeight, originX: originX, originY: originY)
        }
    }

    /// One row of `blend`: at a whole-pixel position when `fraction` (in 256ths of a pixel)
    /// is 0 or 256, else interpolated between each column and the one before it.
    @inline(__always)
    private static func blendRow(keep: UnsafePointer<UInt16>, add: UnsafePointer<UInt16>, into pixels: UnsafeMutablePointer<UInt8>,
                                 step: Int, count: Int, fraction: UInt32) {
        if fraction == 0 || fraction == 256 {
            blendRow(keep: keep, add: add, into: pixels, step: step, count: count)
        } else {
            blendRow(keep: keep, add: add, into: pixels, step: step, count: count, current: 256 - fraction, previous: fraction)
        }
    }

    /// `pixel = (pixel·k + c + 128) / 256` over `count` samples `step` bytes apart. Wrapping
    /// arithmetic cannot overflow here (pixel·k + c ≤ 255·256) and lets the loop vectorise.
    @inline(__always)
    private static func blendRow(keep: UnsafePointer<UInt16>, add: UnsafePointer<UInt16>, into pixels: UnsafeMutablePointer<UInt8>,
                                 step: Int, count: Int) {
        @inline(__always) func blended(_ pixel: UInt8, _ i: Int) -> UInt8 {
            UInt8(truncatingIfNeeded: (UInt32(pixel) &* UInt32(keep[i]) &+ UInt32(add[i]) &+ 128) &>> 8)
        }
        // The contiguous case on its own, so that it vectorises.
        if step == 1 {
            for i in 0..<count { pixels[i] = blended(pixels[i], i) }
        } else {
            for i in 0..<count { pixels[i &* step] = blended(pixels[i &* step], i) }
        }
    }

    /// The same with k and c interpolated between each column and the one before it
    /// (weights `current` + `previous` = 256), for sub-pixel positions; ≤ 2·255·65536, no overflow.
    @inline(__always)
    private static func blendRow(keep: UnsafePointer<UInt16>, add: UnsafePointer<UInt16>, into pixels: UnsafeMutablePointer<UInt8>,
                                 step: Int, count: Int, current: UInt32, previous: UInt32) {
        let keepBefore = keep - 1, addBefore = add - 1
        @inline(__always) func blended(_ pixel: UInt8, _ i: Int) -> UInt8 {
            let k = UInt32(keep[i]) &* current &+ UInt32(keepBefore[i]) &* previous
            let c = UInt32(add[i]) &* current &+ UInt32(addBefore[i]) &* previous
            return UInt8(truncatingIfNeeded: (UInt32(pixel) &* k &+ c &+ 32768) &>> 16)
        }
        if step == 1 {
            for i in 0..<count { pixels[i] = blended(pixels[i], i) }
        } else {
            for i in 0..<count { pixels[i &* step] = blended(pixels[i &* step], i) }
        }
    }
}

/// Y'CbCr conversion of the comment colours (limited range, as H.264 video is).
public enum YUVMatrix: String, Sendable, CaseIterable {
    /// Rec. 601 (standard definition; what FFmpeg assumes for untagged video below 720 lines).
    case bt601
    /// Rec. 709 (HD).
    case bt709

    /// (Y, Cb, Cr) of an sRGB colour, as real numbers in 16…235 / 16…240.
    func convert(_ color: RGBColor) -> [Double] {
        let r = Double(color.r) / 255, g = Double(color.g) / 255, b = Double(color.b) / 255
        let (kr, kb): (Double, Double) = self == .bt601 ? (0.299, 0.114) : (0.2126, 0.0722)
        let y = kr * r + (1 - kr - kb) * g + kb * b
        return [16 + 219 * y, 128 + 224 * (b - y) / (2 * (1 - kb)), 128 + 224 * (r - y) / (2 * (1 - kr))]
    }
}

/// How a comment is drawn onto frames: the colours of its fill and its outline.
struct Ink {
    /// The outline's opacity where its coverage is full.
    static let outlineOpacity = 0.85
    var fill: RGBColor
    /// The whole comment's opacity, 0…1.
    var opacity: Double = 1
    /// Dark for every colour but the darkest, which get a light outline to stay readable.
    var outline: RGBColor { fill.luminance < 0.2 ? .white : .black }

    /// Per pixel of `bitmap`: the share of the background kept (0…1) and the premultiplied value
    /// added per channel (channels interleaved), for the channel values of the fill and outline colours.
    func composite(_ bitmap: TextBitmap, fillValues: [Double], outlineValues: [Double]) -> (keep: [Float], add: [Float]) {
        let channels = fillValues.count
        var keep = [Float](repeating: 1, count: bitmap.fill.count)
        var add = [Float](repeating: 0, count: bitmap.fill.count * channels)
        let fillColor = fillValues.map(Float.init), outlineColor = outlineValues.map(Float.init)
        let opacity = Float(Self.outlineOpacity * self.opacity), fillOpacity = Float(self.opacity)
        for index in bitmap.fill.indices where bitmap.fill[index] != 0 || bitmap.outline[index] != 0 {
            let af = Float(bitmap.fill[index]) / 255 * fillOpacity, ao = Float(bitmap.outline[index]) / 255 * opacity
            keep[index] = (1 - ao) * (1 - af)
            for channel in 0..<channels {
                add[index * channels + channel] = outlineColor[channel] * ao * (1 - af) + fillColor[channel] * af
            }
        }
        return (keep, add)
    }
}

/// A comment ready for YUV 4:2:0 frames: a luma plane and a half-resolution chroma plane.
/// The chroma grid is aligned with even luma rows of the frame, so it depends on the parity
/// of the row the bitmap is drawn at.
struct YUVSprite {
    var luma: SpritePlane
    var chroma: SpritePlane
    /// Frame row of the bitmap's first luma row.
    var top: Int

    init(bitmap: TextBitmap, ink: Ink, matrix: YUVMatrix, top: Int) {
        let (keep, add) = ink.composite(bitmap, fillValues: matrix.convert(ink.fill), outlineValues: matrix.convert(ink.outline))
        let width = bitmap.width, height = bitmap.height
        luma = SpritePlane(width: width, height: height, channels: 1, keep: keep,
                           add: (0..<width * height).map { add[3 * $0] })
        // Chroma sample (i, j) covers luma rows 2i − shift, 2i − shift + 1 and columns 2j, 2j + 1 of the bitmap.
        let shift = top & 1
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + shift + 1) / 2
        var chromaKeep = [Float](repeating: 1, count: chromaWidth * chromaHeight)
        var chromaAdd = [Float](repeating: 0, count: chromaWidth * chromaHeight * 2)
        for row in 0..<chromaHeight {
            for column in 0..<chromaWidth {
                var k: Float = 0, cb: Float = 0, cr: Float = 0
                for dy in 0..<2 {
                    for dx in 0..<2 {
                        let y = 2 * row - shift + dy, x = 2 * column + dx
                        guard y >= 0 && y < height && x < width else { k += 1; continue }
                        let source = y * width + x
                        k += keep[source]
                        cb += add[3 * source + 1]
                        cr += add[3 * source + 2]
                    }
                }
                let index = row * chromaWidth + column
                chromaKeep[index] = k / 4
                chromaAdd[2 * index] = cb / 4
                chromaAdd[2 * index + 1] = cr / 4
            }
        }
        chroma = SpritePlane(width: chromaWidth, height: chromaHeight, channels: 2, keep: chromaKeep, add: chromaAdd)
        self.top = top
    }
}
