// Owners of FFmpeg's C objects: each a final class with a non-optional pointer, a throwing
// init when allocation fails and a deinit that frees. Frames, packets and codec contexts share
// one generic owner; files and scalers have more to own.
import Foundation
internal import CFFmpeg

/// An FFmpeg C object type with its own free function (`av_frame_free`, …).
protocol FFmpegFreeable {
    /// Frees `object` and sets it to nil.
    static func free(_ object: inout UnsafeMutablePointer<Self>?)
}

extension AVFrame: FFmpegFreeable {
    static func free(_ object: inout UnsafeMutablePointer<AVFrame>?) { av_frame_free(&object) }
}

extension AVPacket: FFmpegFreeable {
    static func free(_ object: inout UnsafeMutablePointer<AVPacket>?) { av_packet_free(&object) }
}

extension AVCodecContext: FFmpegFreeable {
    static func free(_ object: inout UnsafeMutablePointer<AVCodecContext>?) { avcodec_free_context(&object) }
}

/// Owns one of FFmpeg's allocated C objects: a non-optional pointer, a throwing init when
/// allocation fails, and the type's own free function called when the owner goes.
final class FFmpegObject<Object: FFmpegFreeable> {
    let pointer: UnsafeMutablePointer<Object>

    /// Takes what `allocate` returns; nil becomes `MediaError.outOfMemory` naming `what`.
    init(_ what: String, path: String, allocate: () -> UnsafeMutablePointer<Object>?) throws(MediaError) {
        guard let object = allocate() else { throw .outOfMemory(path: path, what: what) }
        pointer = object
    }

    deinit {
        var object: UnsafeMutablePointer<Object>? = pointer
        Object.free(&object)
    }
}

/// Owns an `AVFrame` (the struct; its buffers are reference-counted by FFmpeg).
typealias Frame = FFmpegObject<AVFrame>
/// Owns an `AVPacket`.
typealias Packet = FFmpegObject<AVPacket>
/// Owns an `AVCodecContext` (a decoder or an encoder).
typealias CodecContext = FFmpegObject<AVCodecContext>

extension FFmpegObject where Object == AVFrame {
    /// An empty frame. The corresponding C function is `av_frame_alloc`.
    convenience init(path: String) throws(MediaError) {
        try self.init("a frame", path: path, allocate: { av_frame_alloc() })
    }

    /// A new reference to `other`'s buffers (no pixel copy). The corresponding C function is `av_frame_ref`.
    convenience init(referencing other: Frame, path: String) throws(MediaError) {
        try self.init(path: path)
        try FFmpeg.check(av_frame_ref(pointer, other.pointer)) { _ in .outOfMemory(path: path, what: "a frame reference") }
    }

    /// A frame with its own zeroed buffers of `format` and size `width`x`height`.
    /// The corresponding C function is `av_frame_get_buffer`.
    convenience init(width: Int, height: Int, format: AVPixelFormat, path: String) throws(MediaError) {
        try self.init(path: path)
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.format = format.rawValue
        try FFmpeg.check(av_frame_get_buffer(pointer, 0)) { _ in
            .outOfMemory(path: path, what: "a \(width)x\(height) frame")
        }
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var format: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }

    /// Drops the buffers, keeping the struct for reuse. The corresponding C function is `av_frame_unref`.
    func unref() { av_frame_unref(pointer) }
}

extension FFmpegObject where Object == AVPacket {
    /// An empty packet. The corresponding C function is `av_packet_alloc`.
    convenience init(path: String) throws(MediaError) {
        try self.init("a packet", path: path, allocate: { av_packet_alloc() })
    }

    func unref() { av_packet_unref(pointer) }
}

extension FFmpegObject where Object == AVCodecContext {
    /// A context for `codec`, not yet opened. The corresponding C function is `avcodec_alloc_context3`.
    convenience init(codec: UnsafePointer<AVCodec>, path: String) throws(MediaError) {
        try self.init("a codec context", path: path, allocate: { avcodec_alloc_context3(codec) })
    }
}

/// Owns an `AVFormatContext` opened for reading, with its stream information read.
final class InputFile {
    let path: String
    let context: UnsafeMutablePointer<AVFormatContext>

    /// Opens `path` and reads enough of it to know its streams.
    /// The corresponding C functions are `avformat_open_input` and `avformat_find_stream_info`.
    ///
    /// - Throws: `MediaError.cannotOpen` with FFmpeg's message (missing file, not a media file).
    init(path: String) throws(MediaError) {
        FFmpeg.configureLogging
        self.path = path
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpeg.check(avformat_open_input(&context, path, nil, nil)) { .cannotOpen(path: path, message: $0) }
        guard let context else { throw .cannotOpen(path: path, message: "no format context") }
        self.context = context
        try FFmpeg.check(avformat_find_stream_info(context, nil)) { .cannotOpen(path: path, message: $0) }
    }

    /// The file's streams, in file order.
    var streams: [UnsafeMutablePointer<AVStream>] {
        (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0] }
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&context)
    }
}

/// Owns an `SwsContext` that is rebuilt only when the conversion it does changes.
final class Scaler {
    private var context: OpaquePointer?

    init() {}

    /// Converts `source` into `destination` (both allocated), taking the rectangle `crop`
    /// (x, y, width, height in source pixels; x and y even so chroma planes stay aligned) of
    /// the source. Bilinear filter.
    /// The corresponding C functions are `sws_getCachedContext` and `sws_scale`.
    func scale(_ source: Frame, crop: (x: Int, y: Int, width: Int, height: Int)? = nil,
               into destination: Frame, path: String) throws(MediaError) {
        let src = source.pointer.pointee
        let region = crop ?? (0, 0, source.width, source.height)
        let format = AVPixelFormat(rawValue: src.format)
        context = sws_getCachedContext(context, Int32(region.width), Int32(region.height), format,
                                       destination.pointer.pointee.width, destination.pointer.pointee.height,
                                       destination.format, SWS_BILINEAR, nil, nil, nil)
        guard let context else {
            throw .cannotDecode(path: path, message: "cannot convert \(region.width)x\(region.height) "
                                + "\(pixelFormatName(format)) to \(pixelFormatName(destination.format))")
        }
        applyColourMatrix(of: source, to: context, destination: destination.format)
        // Offset the source planes to the crop's top-left corner (chroma planes subsampled).
        var planes = [UnsafePointer<UInt8>?](repeating: nil, count: 4)
        var strides = [Int32](repeating: 0, count: 4)
        let descriptor = av_pix_fmt_desc_get(format)
        let log2w = Int(descriptor?.pointee.log2_chroma_w ?? 0), log2h = Int(descriptor?.pointee.log2_chroma_h ?? 0)
        withUnsafeBytes(of: src.data) { data in
            withUnsafeBytes(of: src.linesize) { linesize in
                let pointers = data.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
                let sizes = linesize.bindMemory(to: Int32.self)
                for plane in 0..<4 {
                    guard let base = pointers[plane] else { continue }
                    let chroma = plane == 1 || plane == 2
                    let x = chroma ? region.x >> log2w : region.x, y = chroma ? region.y >> log2h : region.y
                    planes[plane] = UnsafePointer(base + y * Int(sizes[plane]) + x * pixelStep(descriptor, plane: plane))
                    strides[plane] = sizes[plane]
                }
            }
        }
        let dst = destination.pointer
        let rows = withUnsafeBytes(of: dst.pointee.data) { data in
            withUnsafeBytes(of: dst.pointee.linesize) { linesize in
                sws_scale(context, planes, strides, 0, Int32(region.height),
                          data.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).baseAddress,
                          linesize.bindMemory(to: Int32.self).baseAddress)
            }
        }
        try FFmpeg.check(rows) { .cannotDecode(path: path, message: "scaling failed: \($0)") }
    }

    /// The context and colour space the YUV → RGB matrix was last set for.
    private var matrixSet: (context: OpaquePointer, colourSpace: Int32)?

    /// Uses the source's own YUV → RGB matrix (BT.709 for most HD video) when the frame states
    /// it; libswscale otherwise assumes BT.601, as it does for untagged frames.
    /// The corresponding C function is `sws_setColorspaceDetails`.
    private func applyColourMatrix(of source: Frame, to context: OpaquePointer, destination: AVPixelFormat) {
        let colourSpace = source.pointer.pointee.colorspace
        let isRGB = { (format: AVPixelFormat) in
            (av_pix_fmt_desc_get(format)?.pointee.flags ?? 0) & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
        }
        guard colourSpace != AVCOL_SPC_UNSPECIFIED, colourSpace != AVCOL_SPC_RGB,
              !isRGB(source.format), isRGB(destination) else { return }
        if let matrixSet, matrixSet.context == context, matrixSet.colourSpace == Int32(colourSpace.rawValue) { return }
        var inverse: UnsafeMutablePointer<Int32>? = nil, table: UnsafeMutablePointer<Int32>? = nil
        var sourceRange: Int32 = 0, destinationRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0,
            saturation: Int32 = 0
        guard sws_getColorspaceDetails(context, &inverse, &sourceRange, &table, &destinationRange,
                                       &brightness, &contrast, &saturation) >= 0 else { return }
        let coefficients = sws_getCoefficients(Int32(colourSpace.rawValue))
        sws_setColorspaceDetails(context, coefficients, sourceRange, table, destinationRange,
                                 brightness, contrast, saturation)
        matrixSet = (context, Int32(colourSpace.rawValue))
    }

    deinit { sws_freeContext(context) }
}

/// The byte step between horizontally adjacent pixels of `plane`.
private func pixelStep(_ descriptor: UnsafePointer<AVPixFmtDescriptor>?, plane: Int) -> Int {
    guard let descriptor else { return 1 }
    var step = 1
    withUnsafeBytes(of: descriptor.pointee.comp) { components in
        for component in components.bindMemory(to: AVComponentDescriptor.self).prefix(Int(descriptor.pointee.nb_components))
        where Int(component.plane) == plane {
            step = max(step, Int(component.step))
        }
    }
    return step
}

/// FFmpeg's name of a pixel format (`yuv420p`), or `unknown`.
func pixelFormatName(_ format: AVPixelFormat) -> String {
    av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "unknown"
}
