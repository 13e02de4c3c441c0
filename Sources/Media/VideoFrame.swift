// A decoded picture in YUV 4:2:0 (yuv420p) that stages can read, draw on and hand to a writer.
import Foundation
internal import CFFmpeg

/// The three planes of a yuv420p picture, as memory a caller may write.
///
/// Layout: `y` holds `height` rows of `yStride` bytes (the first `width` of each row are
/// pixels); `u` and `v` hold `(height + 1) / 2` rows of `uvStride` bytes, one chroma sample
/// per 2x2 block of luma pixels. Values are limited range (Y 16–235, U/V 16–240, 128 = grey).
/// The pointers are valid only inside the closure that received them. Render's `Compositor`
/// draws onto these planes.
public struct YUVPlanes {
    public var y: UnsafeMutableBufferPointer<UInt8>
    public var u: UnsafeMutableBufferPointer<UInt8>
    public var v: UnsafeMutableBufferPointer<UInt8>
    public var yStride: Int
    public var uvStride: Int
    public var width: Int
    public var height: Int

    /// Planes over memory the caller owns (a frame's, or a test's buffers). Traps when the
    /// strides are shorter than the rows or a plane is too small for them.
    public init(y: UnsafeMutableBufferPointer<UInt8>, u: UnsafeMutableBufferPointer<UInt8>, v: UnsafeMutableBufferPointer<UInt8>,
                yStride: Int, uvStride: Int, width: Int, height: Int) {
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        precondition(width > 0 && height > 0 && yStride >= width && uvStride >= chromaWidth, "planes \(width)x\(height)")
        precondition(y.count >= yStride * (height - 1) + width, "luma plane too small")
        precondition(u.count >= uvStride * (chromaHeight - 1) + chromaWidth && v.count >= uvStride * (chromaHeight - 1) + chromaWidth,
                     "chroma planes too small")
        (self.y, self.u, self.v) = (y, u, v)
        (self.yStride, self.uvStride, self.width, self.height) = (yStride, uvStride, width, height)
    }

    /// The width and height of the chroma planes.
    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }

    /// Sets every pixel to one colour (Y, U, V).
    public func fill(y luma: UInt8, u cb: UInt8, v cr: UInt8) {
        for row in 0..<height {
            let start = row * yStride
            UnsafeMutableBufferPointer(rebasing: y[start..<start + width]).update(repeating: luma)
        }
        for row in 0..<chromaHeight {
            let start = row * uvStride
            UnsafeMutableBufferPointer(rebasing: u[start..<start + chromaWidth]).update(repeating: cb)
            UnsafeMutableBufferPointer(rebasing: v[start..<start + chromaWidth]).update(repeating: cr)
        }
    }

    /// The mean of the Y, U and V samples over the picture (0–255 each).
    public func meanYUV() -> (y: Double, u: Double, v: Double) {
        func mean(_ plane: UnsafeMutableBufferPointer<UInt8>, _ stride: Int, _ w: Int, _ h: Int) -> Double {
            var sum = 0
            for row in 0..<h { for x in 0..<w { sum += Int(plane[row * stride + x]) } }
            return Double(sum) / Double(max(1, w * h))
        }
        return (mean(y, yStride, width, height), mean(u, uvStride, chromaWidth, chromaHeight),
                mean(v, uvStride, chromaWidth, chromaHeight))
    }
}

/// One picture of a video in yuv420p, with its presentation time.
///
/// A value type over a reference-counted FFmpeg frame: copies share pixels until one of
/// them is written through `withMutablePlanes`, which makes the pixels its own first
/// (copy-on-write; a frame fresh from the decoder is copied once, since the decoder keeps
/// it as a reference picture).
public struct VideoFrame {
    /// Seconds from the start of the video (the container's start time is subtracted).
    public var time: Double
    var storage: Frame
    let path: String

    /// Width and height in pixels.
    public var width: Int { storage.width }
    public var height: Int { storage.height }

    init(storage: Frame, time: Double, path: String) {
        self.storage = storage
        self.time = time
        self.path = path
    }

    /// A black frame of `width`x`height` (Y 16, U and V 128) shown at `time` seconds.
    ///
    /// - Throws: `MediaError.outOfMemory` when the buffers cannot be allocated.
    public init(width: Int, height: Int, time: Double) throws(MediaError) {
        precondition(width > 0 && height > 0, "frame size \(width)x\(height)")
        let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_YUV420P, path: "frame")
        self.init(storage: frame, time: time, path: "frame")
        planes(of: frame).fill(y: 16, u: 128, v: 128)  // fresh buffers: writable and not shared
    }

    /// Calls `body` with the planes to read. `body` must not write through them (other
    /// copies of the frame may share the pixels); use `withMutablePlanes` to draw.
    public func withPlanes<R>(_ body: (YUVPlanes) throws -> R) rethrows -> R {
        try body(planes(of: storage))
    }

    /// Calls `body` with the planes to read and write in place.
    ///
    /// - Throws: `MediaError.outOfMemory` when the pixels must be copied first and cannot
    ///   be; rethrows what `body` throws. The corresponding C function is `av_frame_make_writable`.
    public mutating func withMutablePlanes<R>(_ body: (inout YUVPlanes) throws -> R) throws -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = try Frame(referencing: storage, path: path)
        }
        try FFmpeg.check(av_frame_make_writable(storage.pointer)) { [path] _ in
            .outOfMemory(path: path, what: "a writable frame")
        }
        var planes = planes(of: storage)
        return try body(&planes)
    }

    private func planes(of frame: Frame) -> YUVPlanes {
        let f = frame.pointer.pointee
        let height = Int(f.height), chromaHeight = (height + 1) / 2
        let yStride = Int(f.linesize.0), uvStride = Int(f.linesize.1)
        return YUVPlanes(y: UnsafeMutableBufferPointer(start: f.data.0, count: yStride * height),
                         u: UnsafeMutableBufferPointer(start: f.data.1, count: uvStride * chromaHeight),
                         v: UnsafeMutableBufferPointer(start: f.data.2, count: uvStride * chromaHeight),
                         yStride: yStride, uvStride: uvStride, width: Int(f.width), height: height)
    }
}
