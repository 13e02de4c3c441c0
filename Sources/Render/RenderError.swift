// Errors of the Render module: fonts that cannot be found, opened or used.
import Foundation

/// Why a font could not be used. Every description is one line naming the file and the problem.
public enum RenderError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The font file does not exist.
    case fontNotFound(path: String)
    /// The file exists but cannot be read (permissions, a directory, I/O error).
    case fontUnreadable(path: String, reason: String)
    /// FreeType does not recognise the file as a font (`FT_Err_Unknown_File_Format`).
    case notAFont(path: String)
    /// A face index past the last face of a font collection (TTC).
    case faceIndexOutOfRange(path: String, index: Int, faceCount: Int)
    /// A bitmap-only font: it can be neither scaled nor outlined.
    case notScalable(path: String)
    /// The bundled font was not found in any of the places searched.
    case bundledFontMissing(searched: [String])
    /// Any other FreeType failure: the call and its error code.
    case freetype(path: String, call: String, code: Int32)

    public var description: String {
        switch self {
        case .fontNotFound(let path):
            return "\(path): font not found"
        case .fontUnreadable(let path, let reason):
            return "\(path): cannot read font: \(reason)"
        case .notAFont(let path):
            return "\(path): not a font (FreeType knows no TrueType, OpenType or collection format in it)"
        case .faceIndexOutOfRange(let path, let index, let count):
            return "\(path): font face \(index) does not exist (the file holds \(count))"
        case .notScalable(let path):
            return "\(path): bitmap-only font; an outline (TrueType/OpenType) font is needed"
        case .bundledFontMissing(let searched):
            return "\(BundledFont.fileName): bundled font not found (searched \(searched.joined(separator: ", "))); pass --font FILE"
        case .freetype(let path, let call, let code):
            return "\(path): \(call) failed with FreeType error 0x\(String(code, radix: 16))"
        }
    }

    public var errorDescription: String? { description }
}
