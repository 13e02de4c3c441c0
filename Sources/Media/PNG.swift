// PNG images through FFmpeg's PNG encoder and decoder (heatmaps, thumbnails, test checks).
import Foundation
internal import CFFmpeg

/// Encodes and decodes RGB24 images as PNG.
public enum PNG {
    /// The PNG bytes of an RGB image.
    ///
    /// - Parameter rgb: `[height, width, 3]` row-major RGB24 (`HWC`).
    /// - Throws: `MediaError.unsupportedCodec` when FFmpeg has no PNG encoder,
    ///   `.cannotEncode` when it fails.
    public static func encode(rgb: [UInt8], width: Int, height: Int) throws(MediaError) -> Data {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3,
                     "\(rgb.count) bytes for a \(width)x\(height) RGB image")
        let path = "png"
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else { throw .unsupportedCodec(path: path, codec: "png") }
        let encoder = try CodecContext(codec: codec, path: path)
        encoder.pointer.pointee.width = Int32(width)
        encoder.pointer.pointee.height = Int32(height)
        encoder.pointer.pointee.pix_fmt = AV_PIX_FMT_RGB24
        encoder.pointer.pointee.time_base = AVRational(num: 1, den: 1)
        try FFmpeg.check(avcodec_open2(encoder.pointer, codec, nil)) { .cannotEncode(path: path, message: $0) }

        let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_RGB24, path: path)
        let stride = Int(frame.pointer.pointee.linesize.0)
        let pixels = frame.pointer.pointee.data.0!
        rgb.withUnsafeBufferPointer { source in
            for row in 0..<height {
                (pixels + row * stride).update(from: source.baseAddress! + row * width * 3, count: width * 3)
            }
        }
        frame.pointer.pointee.pts = 0
        try FFmpeg.check(avcodec_send_frame(encoder.pointer, frame.pointer)) { .cannotEncode(path: path, message: $0) }
        try FFmpeg.check(avcodec_send_frame(encoder.pointer, nil)) { .cannotEncode(path: path, message: $0) }
        let packet = try Packet(path: path)
        var data = Data()
        while case .ok = try FFmpeg.check(avcodec_receive_packet(encoder.pointer, packet.pointer), {
            .cannotEncode(path: path, message: $0)
        }) {
            data.append(packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
            packet.unref()
        }
        return data
    }

    /// Writes an RGB image as a PNG file at `path`, atomically (a temporary file beside it,
    /// renamed into place).
    ///
    /// - Throws: `MediaError.cannotWrite` naming `path` with the system's message.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws(MediaError) {
        let data = try encode(rgb: rgb, width: width, height: height)
        let temporary = TemporaryName.beside(path)
        func failure() -> MediaError {
            let error = MediaError.cannotWrite(path: path, message: String(cString: strerror(errno)))
            unlink(temporary)
            return error
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, message: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { bytes in Foundation.write(fd, bytes.baseAddress, bytes.count) }
        guard written == data.count, fsync(fd) == 0 else {
            let error = failure()
            close(fd)
            throw error
        }
        guard close(fd) == 0, rename(temporary, path) == 0 else { throw failure() }
    }

    /// Reads an image file (PNG, or anything FFmpeg decodes) as RGB24.
    ///
    /// - Returns: `rgb` as `[height, width, 3]` row-major RGB24, and the size.
    /// - Throws: `MediaError.cannotOpen` / `.cannotDecode` naming `path`.
    public static func decode(path: String) throws(MediaError) -> (rgb: [UInt8], width: Int, height: Int) {
        let session = try DecodeSession(path: path)
        guard let decoded = session.nextFrame() else {
            throw .cannotDecode(path: path, message: "no image in the file")
        }
        let width = decoded.width, height = decoded.height
        let rgb = try Frame(width: width, height: height, format: AV_PIX_FMT_RGB24, path: path)
        try Scaler().scale(decoded, into: rgb, path: path)
        return (RGBConverter.packed(rgb), width, height)
    }
}
