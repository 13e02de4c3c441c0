// Outputs are written under a temporary name beside their target and renamed when complete,
// so an interrupted run never leaves a half-written file.
import Foundation

/// Writes a file so that it appears whole or not at all.
///
/// The bytes go to `.NAME.tmp-PID-RANDOM` in the target's directory (the same file system,
/// so `rename(2)` is atomic); the temporary file is removed if anything fails.
public enum AtomicFile {
    /// A failure to create, write or rename the file.
    public struct WriteError: Error, CustomStringConvertible {
        /// The file that was being written.
        public var path: String
        /// What went wrong, with the system's message.
        public var reason: String
        public var description: String { "\(path): cannot write: \(reason)" }
    }

    /// A fresh temporary path in the directory of `path`.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(suffix)"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Writes the file by handing `body` a descriptor open on a temporary file, then
    /// syncing and renaming it onto `path`.
    ///
    /// - Throws: `WriteError` naming `path` when the directory is not writable or a write
    ///   fails, and rethrows what `body` throws; either way no temporary file is left.
    public static func write(to path: String, _ body: (FileDescriptorWriter) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var closed = false
        do {
            try body(FileDescriptorWriter(fd: fd, path: path))
            guard fsync(fd) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
            closed = true
            guard close(fd) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
            guard rename(temporary, path) == 0 else {
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: some DataProtocol, to path: String) throws {
        try write(to: path) { writer in try writer.write(data) }
    }
}

/// Writes bytes to an open file descriptor, retrying short writes.
public struct FileDescriptorWriter {
    let fd: Int32
    let path: String

    /// Writes every byte of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFile.WriteError(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }

    /// Writes every byte of `data`.
    public func write(_ data: some DataProtocol) throws {
        for region in data.regions {
            try region.withUnsafeBytes { try write($0) }
        }
    }
}
