// One FreeType face with its glyph cache: advances, kerning, and fill + outline bitmaps
// rasterised once per (glyph, size, stroke).
internal import CFreeType
import Foundation

/// A coverage bitmap of one glyph: 8-bit alpha, `width × height`, row-major, placed with its
/// top-left corner at (`left`, `-top`) from the pen position on the baseline (y grows down).
struct GlyphBitmap {
    var left: Int
    var top: Int
    var width: Int
    var height: Int
    var pixels: [UInt8]

    static let empty = GlyphBitmap(left: 0, top: 0, width: 0, height: 0, pixels: [])
}

/// A rasterised glyph: its fill and, when stroked, the dilated shape its outline is drawn from.
struct RasterGlyph {
    var fill: GlyphBitmap
    var outline: GlyphBitmap
}

/// One face of a TrueType/OpenType font file (TTF, OTF, or one face of a TTC collection).
///
/// Sizes are in pixels (one point is one pixel: FreeType is told 72 dpi). The face caches
/// every advance and every rasterised glyph it produced, keyed by (glyph, size, stroke), so
/// repeated text is never rasterised twice. Not `Sendable`: a FreeType face is used by one
/// thread at a time.
public final class FontFace {
    /// The font file.
    public let path: String
    /// The face inside the file (0 for TTF/OTF; 0..<n for a TTC).
    public let faceIndex: Int
    /// The face's family name, as an ASS style names it (e.g. "IPAexGothic").
    public let familyName: String

    private let library: OpaquePointer
    private let face: FT_Face
    /// The size FreeType is set to, in 26.6 pixels (-1: none yet).
    private var currentSize = -1
    private var strokers: [Int: OpaquePointer] = [:]
    private var advances: [GlyphSizeKey: Int] = [:]
    private var glyphs: [GlyphKey: RasterGlyph] = [:]

    /// Opens `path` with FreeType.
    ///
    /// - Throws: `RenderError.fontNotFound`, `.fontUnreadable`, `.notAFont`, `.faceIndexOutOfRange`,
    ///   `.notScalable`, or `.freetype` for any other FreeType failure.
    ///   The corresponding C functions are `FT_Init_FreeType` and `FT_New_Face`.
    public init(path: String, faceIndex: Int = 0) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RenderError.fontNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw RenderError.fontUnreadable(path: path, reason: "is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RenderError.fontUnreadable(path: path, reason: "permission denied")
        }
        var libraryHandle: FT_Library?
        let initCode = FT_Init_FreeType(&libraryHandle)
        guard initCode == 0, let libraryHandle else {
            throw RenderError.freetype(path: path, call: "FT_Init_FreeType", code: initCode)
        }
        var faceHandle: FT_Face?
        let openCode = FT_New_Face(libraryHandle, path, FT_Long(faceIndex), &faceHandle)
        guard openCode == 0, let faceHandle else {
            FT_Done_FreeType(libraryHandle)
            throw Self.openError(code: openCode, path: path, faceIndex: faceIndex)
        }
        guard danmaku_ft_is_scalable(faceHandle) != 0 else {
            FT_Done_Face(faceHandle)
            FT_Done_FreeType(libraryHandle)
            throw RenderError.notScalable(path: path)
        }
        self.path = path
        self.faceIndex = faceIndex
        self.library = libraryHandle
        self.face = faceHandle
        self.familyName = faceHandle.pointee.family_name.map { String(cString: $0) }
            ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    deinit {
        for stroker in strokers.values { FT_Stroker_Done(stroker) }
        FT_Done_Face(face)
        FT_Done_FreeType(library)
    }

    /// The number of faces in the file (more than 1 for a TTC collection).
    public var faceCount: Int { Int(face.pointee.num_faces) }

    /// The file name, for messages.
    var fileName: String { URL(fileURLWithPath: path).lastPathComponent }

    private static func openError(code: FT_Error, path: String, faceIndex: Int) -> RenderError {
        if code == danmaku_ft_err_unknown_file_format() { return .notAFont(path: path) }
        if code == danmaku_ft_err_cannot_open_resource() { return .fontUnreadable(path: path, reason: "FreeType cannot open it") }
        if code == danmaku_ft_err_invalid_argument() && faceIndex > 0 {
            // Ask face -1, which only reports the number of faces.
            var library: FT_Library?
            var probe: FT_Face?
            guard FT_Init_FreeType(&library) == 0, let library else { return .freetype(path: path, call: "FT_New_Face", code: code) }
            defer { FT_Done_FreeType(library) }
            if FT_New_Face(library, path, -1, &probe) == 0, let probe {
                defer { FT_Done_Face(probe) }
                return .faceIndexOutOfRange(path: path, index: faceIndex, faceCount: Int(probe.pointee.num_faces))
            }
        }
        return .freetype(path: path, call: "FT_New_Face", code: code)
    }

    // MARK: Glyph look-up and metrics

    /// The glyph for `scalar`, or nil when the face has none. The corresponding C function is `FT_Get_Char_Index`.
    func glyphIndex(for scalar: Unicode.Scalar) -> UInt32? {
        let index = FT_Get_Char_Index(face, FT_ULong(scalar.value))
        return index == 0 ? nil : UInt32(index)
    }

    /// Sets the pixel size (26.6 fixed point) if it is not already set. The corresponding C
    /// function is `FT_Set_Char_Size`; it fails only for sizes a scalable face cannot have,
    /// which the callers' sizes (≥ 1 px) never are.
    private func setSize(_ size: Int) {
        guard size != currentSize else { return }
        let code = FT_Set_Char_Size(face, 0, FT_F26Dot6(size), 72, 72)
        precondition(code == 0, "FT_Set_Char_Size(\(size)/64 px) failed on \(path): \(code)")
        currentSize = size
    }

    /// Ascender and descender (descender ≤ 0) at `size` (26.6 px), in 26.6 px.
    func verticalMetrics(size: Int) -> (ascender: Int, descender: Int) {
        setSize(size)
        let metrics = face.pointee.size.pointee.metrics
        return (Int(metrics.ascender), Int(metrics.descender))
    }

    private var loadFlags: FT_Int32 { danmaku_ft_load_no_bitmap() | danmaku_ft_load_target_light() }

    /// The horizontal advance of `glyph` at `size`, both 26.6 px; cached.
    func advance(glyph: UInt32, size: Int) -> Int {
        let key = GlyphSizeKey(glyph: glyph, size: Int32(size))
        if let cached = advances[key] { return cached }
        setSize(size)
        let advance = FT_Load_Glyph(face, FT_UInt(glyph), loadFlags) == 0 ? Int(face.pointee.glyph.pointee.advance.x) : 0
        advances[key] = advance
        return advance
    }

    /// The kerning between two glyphs at `size` (26.6 px); 0 when the face has no kerning table.
    /// The corresponding C function is `FT_Get_Kerning`.
    func kerning(left: UInt32, right: UInt32, size: Int) -> Int {
        guard danmaku_ft_has_kerning(face) != 0 else { return 0 }
        setSize(size)
        var delta = FT_Vector()
        guard FT_Get_Kerning(face, FT_UInt(left), FT_UInt(right), FT_UInt(FT_KERNING_DEFAULT.rawValue), &delta) == 0 else { return 0 }
        return Int(delta.x)
    }

    // MARK: Rasterisation

    /// The fill and outline bitmaps of `glyph` at `size` with an outline of `stroke` (both 26.6 px;
    /// stroke 0: no outline). Rasterised on first use, then served from the cache. A glyph
    /// FreeType cannot load is drawn as nothing.
    ///
    /// The outline bitmap is the glyph dilated by `stroke` (the outer border of `FT_Glyph_StrokeBorder`),
    /// so it covers the fill too and no background shows between fill and outline.
    func raster(glyph: UInt32, size: Int, stroke: Int) -> RasterGlyph {
        let key = GlyphKey(glyph: glyph, size: Int32(size), stroke: Int32(stroke))
        if let cached = glyphs[key] { return cached }
        let raster = rasterise(glyph: glyph, size: size, stroke: stroke)
        glyphs[key] = raster
        return raster
    }

    /// How many distinct (glyph, size, stroke) rasters the cache holds.
    public var cachedGlyphCount: Int { glyphs.count }

    private func rasterise(glyph: UInt32, size: Int, stroke: Int) -> RasterGlyph {
        setSize(size)
        guard FT_Load_Glyph(face, FT_UInt(glyph), loadFlags) == 0 else { return RasterGlyph(fill: .empty, outline: .empty) }
        var outlineGlyph: FT_Glyph?
        guard FT_Get_Glyph(face.pointee.glyph, &outlineGlyph) == 0, let source = outlineGlyph else {
            return RasterGlyph(fill: .empty, outline: .empty)
        }
        var fillGlyph: FT_Glyph?
        let fill = FT_Glyph_Copy(source, &fillGlyph) == 0 ? Self.bitmap(of: &fillGlyph) : .empty
        var outline = GlyphBitmap.empty
        if stroke > 0, let stroker = stroker(radius: stroke), FT_Glyph_StrokeBorder(&outlineGlyph, stroker, 0, 1) == 0 {
            outline = Self.bitmap(of: &outlineGlyph)
        } else {
            FT_Done_Glyph(outlineGlyph)
        }
        return RasterGlyph(fill: fill, outline: outline)
    }

    /// A round-capped, round-joined stroker of `radius` (26.6 px), made once per radius.
    /// The corresponding C functions are `FT_Stroker_New` and `FT_Stroker_Set`.
    private func stroker(radius: Int) -> OpaquePointer? {
        if let stroker = strokers[radius] { return stroker }
        var handle: FT_Stroker?
        guard FT_Stroker_New(library, &handle) == 0, let handle else { return nil }
        FT_Stroker_Set(handle, FT_Fixed(radius), FT_STROKER_LINECAP_ROUND, FT_STROKER_LINEJOIN_ROUND, 0)
        strokers[radius] = handle
        return handle
    }

    /// Renders an outline glyph to an 8-bit coverage bitmap and frees the glyph.
    /// The corresponding C function is `FT_Glyph_To_Bitmap`.
    private static func bitmap(of glyph: inout FT_Glyph?) -> GlyphBitmap {
        defer { FT_Done_Glyph(glyph) }
        guard glyph != nil, FT_Glyph_To_Bitmap(&glyph, FT_RENDER_MODE_NORMAL, nil, 1) == 0, let rendered = glyph else {
            return .empty
        }
        let bitmapGlyph = UnsafeMutableRawPointer(rendered).assumingMemoryBound(to: FT_BitmapGlyphRec.self).pointee
        let bitmap = bitmapGlyph.bitmap
        let width = Int(bitmap.width), height = Int(bitmap.rows), pitch = Int(bitmap.pitch)
        guard width > 0, height > 0, let buffer = bitmap.buffer,
              bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) else { return .empty }
        var pixels = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeMutableBufferPointer { destination in
            for row in 0..<height {
                let source = pitch >= 0 ? buffer + row * pitch : buffer + (height - 1 - row) * -pitch
                (destination.baseAddress! + row * width).update(from: source, count: width)
            }
        }
        return GlyphBitmap(left: Int(bitmapGlyph.left), top: Int(bitmapGlyph.top), width: width, height: height, pixels: pixels)
    }
}

private struct GlyphSizeKey: Hashable {
    var glyph: UInt32
    var size: Int32
}

private struct GlyphKey: Hashable {
    var glyph: UInt32
    var size: Int32
    var stroke: Int32
}
