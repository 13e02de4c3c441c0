// Attention heatmaps: a small grid of weights upsampled smoothly to a picture's size, coloured
// with a perceptual colour map and laid over the dimmed picture.

/// The viridis colour map (matplotlib), 9 anchors interpolated linearly: perceptually uniform,
/// dark blue for 0 to yellow for 1.
public enum ColorMap {
    static let anchors: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// The colour of `value` in 0…1 (clamped) as (r, g, b) 0–255.
    public static func viridis(_ value: Double) -> (UInt8, UInt8, UInt8) {
        let x = min(max(value.isFinite ? value : 0, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ p: Double, _ q: Double) -> UInt8 { UInt8((p + (q - p) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// Painting attention maps.
public enum Heatmap {
    /// `grid` (`side × side` values, row-major) upsampled bilinearly to `width × height`: each
    /// grid value sits at the centre of its cell; edges are clamped.
    public static func upsample(_ grid: [Float], side: Int, width: Int, height: Int) -> [Float] {
        precondition(grid.count == side * side && side > 0, "grid of \(grid.count) values is not \(side)x\(side)")
        var out = [Float](repeating: 0, count: width * height)
        let sx = Double(side) / Double(width), sy = Double(side) / Double(height)
        for y in 0..<height {
            let gy = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(side - 1))
            let y0 = Int(gy), y1 = min(y0 + 1, side - 1)
            let fy = Float(gy - Double(y0))
            for x in 0..<width {
                let gx = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(side - 1))
                let x0 = Int(gx), x1 = min(x0 + 1, side - 1)
                let fx = Float(gx - Double(x0))
                let top = grid[y0 * side + x0] * (1 - fx) + grid[y0 * side + x1] * fx
                let bottom = grid[y1 * side + x0] * (1 - fx) + grid[y1 * side + x1] * fx
                out[y * width + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }

    /// The picture (`width × height × 3` RGB) dimmed, with `grid` upsampled over it in viridis,
    /// normalised by `maximum` (the grid's own maximum when nil): colour weight `opacity`.
    public static func overlay(_ grid: [Float], side: Int, on rgb: [UInt8], width: Int, height: Int,
                               maximum: Float? = nil, opacity: Double = 0.6) -> [UInt8] {
        precondition(rgb.count == width * height * 3, "RGB image of \(rgb.count) bytes is not \(width)x\(height)x3")
        let map = upsample(grid, side: side, width: width, height: height)
        let top = Double(max(maximum ?? grid.max() ?? 1, Float.leastNormalMagnitude))
        var out = rgb
        for p in 0..<(width * height) {
            let (r, g, b) = ColorMap.viridis(Double(map[p]) / top)
            for (c, colour) in [r, g, b].enumerated() {
                let dimmed = Double(rgb[p * 3 + c]) * 0.5
                out[p * 3 + c] = UInt8(min(255, (dimmed * (1 - opacity) + Double(colour) * opacity).rounded()))
            }
        }
        return out
    }

    /// A horizontal legend bar (`width × height × 3` RGB): viridis from 0 (left) to 1 (right).
    public static func legend(width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for x in 0..<width {
            let (r, g, b) = ColorMap.viridis(width > 1 ? Double(x) / Double(width - 1) : 0)
            for y in 0..<height {
                out[(y * width + x) * 3] = r
                out[(y * width + x) * 3 + 1] = g
                out[(y * width + x) * 3 + 2] = b
            }
        }
        return out
    }

    /// Copies `source` (`sourceWidth × sourceHeight × 3`) into `canvas` at (`x`, `y`), clipped.
    public static func blit(_ source: [UInt8], width sourceWidth: Int, height sourceHeight: Int,
                            into canvas: inout [UInt8], width: Int, height: Int, x: Int, y: Int) {
        // The source columns that land inside the canvas.
        let firstColumn = max(0, -x), endColumn = min(sourceWidth, width - x)
        guard firstColumn < endColumn else { return }
        let bytes = (endColumn - firstColumn) * 3
        for row in 0..<sourceHeight where y + row >= 0 && y + row < height {
            let s = (row * sourceWidth + firstColumn) * 3, d = ((y + row) * width + x + firstColumn) * 3
            canvas[d..<(d + bytes)] = source[s..<(s + bytes)]
        }
    }
}
