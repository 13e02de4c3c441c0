// safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {string: string}}`, then the tensors' bytes, offsets counted from the end of the header.
import Foundation

/// The element types danmaku reads; all are converted to `Float` on load.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    /// IEEE 754 single precision.
    case f32 = "F32"
    /// IEEE 754 half precision.
    case f16 = "F16"
    /// bfloat16: the upper half of an F32.
    case bf16 = "BF16"
    /// IEEE 754 double precision (read only; narrowed to Float).
    case f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .f64: 8
        }
    }
}

/// A safetensors file that cannot be read as one, with what is wrong and where.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened or mapped (`reason` is the system's message).
    case unreadable(path: String, reason: String)
    /// The file ends before the 8-byte length, or before the header that length announces.
    case truncated(path: String, fileSize: Int, needed: Int)
    /// The header is not valid JSON of the expected form.
    case invalidHeader(path: String, reason: String)
    /// A tensor's element type is not one danmaku reads.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` point outside the data section.
    case outOfBounds(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlap(path: String, tensor: String, other: String)
    /// A tensor's byte range does not match its shape and element type.
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    /// A tensor asked for is not in the file.
    case missingTensor(path: String, tensor: String)
    /// Bytes after the last tensor: the file was damaged (as the reference reader, refused).
    case trailingBytes(path: String, dataSize: Int, used: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read safetensors file: \(reason)"
        case let .truncated(path, fileSize, needed):
            "\(path): truncated safetensors file: \(fileSize) bytes, the header needs \(needed)"
        case let .invalidHeader(path, reason):
            "\(path): invalid safetensors header: \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has unsupported dtype \(dtype) (supported: F32, F16, BF16, F64)"
        case let .outOfBounds(path, tensor, begin, end, dataSize):
            "\(path): tensor '\(tensor)' at bytes \(begin)..<\(end) lies outside the \(dataSize)-byte data section"
        case let .overlap(path, tensor, other):
            "\(path): tensors '\(other)' and '\(tensor)' overlap"
        case let .sizeMismatch(path, tensor, shape, dtype, bytes):
            "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(shape.reduce(1, *) * (SafeTensorsDType(rawValue: dtype)?.size ?? 0)) bytes, its offsets span \(bytes)"
        case let .missingTensor(path, tensor):
            "\(path): no tensor named '\(tensor)'"
        case let .trailingBytes(path, dataSize, used):
            "\(path): \(dataSize - used) byte\(dataSize - used == 1 ? "" : "s") after the last tensor, which ends at byte \(used) of the data section (a damaged file)"
        }
    }
}

/// A safetensors file mapped into memory; tensors are converted to `Float` when asked for.
///
/// Sendable because the mapping is read-only and never changes after `init`; it is unmapped
/// in `deinit`.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where one tensor lives in the file.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name in the header.
        public var name: String
        /// Its element type.
        public var dtype: SafeTensorsDType
        /// Its shape, outermost first.
        public var shape: [Int]
        /// Its bytes, counted from the start of the data section.
        public var byteRange: Range<Int>
    }

    /// The path the file was opened from.
    public let path: String
    /// The `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// Every tensor's entry, by name.
    public let entries: [String: Entry]

    private let base: UnsafeRawPointer
    private let mappedSize: Int
    private let dataOffset: Int

    /// The tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Maps the file at `path` and validates its header: every offset inside the data
    /// section, no two tensors overlapping, every byte range matching shape × dtype.
    ///
    /// - Throws: `SafeTensorsError` naming `path` and the problem.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafeTensorsError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size >= 8 else { throw SafeTensorsError.truncated(path: path, fileSize: size, needed: 8) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let base = UnsafeRawPointer(mapped)
        do {
            let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
            guard headerLength <= UInt64(size - 8) else {
                throw SafeTensorsError.truncated(path: path, fileSize: size,
                                                 needed: headerLength > UInt64(Int.max - 8) ? Int.max : 8 + Int(headerLength))
            }
            let headerBytes = UnsafeRawBufferPointer(start: base + 8, count: Int(headerLength))
            let (entries, metadata) = try Self.parseHeader(Data(headerBytes), path: path,
                                                           dataSize: size - 8 - Int(headerLength))
            self.entries = entries
            self.metadata = metadata
            self.dataOffset = 8 + Int(headerLength)
        } catch {
            munmap(mapped, size)
            throw error
        }
        self.base = base
        self.mappedSize = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedSize)
    }

    /// The tensor `name`, converted to `Float`.
    ///
    /// - Throws: `SafeTensorsError.missingTensor` when the file has no such tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw SafeTensorsError.missingTensor(path: path, tensor: name) }
        return withRawBytes(of: entry) { Self.decode($0, dtype: entry.dtype, shape: entry.shape) }
    }

    /// Every tensor in the file, converted to `Float`.
    public func tensors() throws -> [String: Tensor] {
        try Dictionary(uniqueKeysWithValues: names.map { ($0, try tensor($0)) })
    }

    /// Calls `body` with the raw, still-mapped bytes of `entry`; the pointer must not escape.
    public func withRawBytes<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base + dataOffset + entry.byteRange.lowerBound,
                                        count: entry.byteRange.count))
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, dtype: SafeTensorsDType, shape: [Int]) -> Tensor {
        let count = Tensor.elementCount(shape)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            case .bf16:
                for i in 0..<count {
                    let high = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(high) << 16)
                }
            case .f64:
                for i in 0..<count {
                    out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
            initialized = count
        }
        return Tensor(shape: shape, storage: values)
    }

    private static func parseHeader(_ header: Data, path: String, dataSize: Int) throws
        -> (entries: [String: Entry], metadata: [String: String])
    {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw SafeTensorsError.invalidHeader(path: path, reason: "not JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else {
            throw SafeTensorsError.invalidHeader(path: path, reason: "not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let strings = value as? [String: Any] else {
                    throw SafeTensorsError.invalidHeader(path: path, reason: "__metadata__ is not an object")
                }
                for (key, item) in strings {
                    guard let text = item as? String else {
                        throw SafeTensorsError.invalidHeader(path: path, reason: "__metadata__ value for '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [Any],
                  let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2
            else {
                throw SafeTensorsError.invalidHeader(path: path, reason: "tensor '\(name)' needs dtype, shape and two data_offsets")
            }
            let shape = try shapeValues.map { try integer($0, path: path, what: "shape of '\(name)'") }
            let begin = try integer(offsetValues[0], path: path, what: "data_offsets of '\(name)'")
            let end = try integer(offsetValues[1], path: path, what: "data_offsets of '\(name)'")
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard begin <= end, end <= dataSize else {
                throw SafeTensorsError.outOfBounds(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
            }
            var elements = 1, overflow = false
            for n in shape {
                let product = elements.multipliedReportingOverflow(by: n)
                elements = product.partialValue
                overflow = overflow || product.overflow
            }
            let bytes = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, !bytes.overflow, bytes.partialValue == end - begin else {
                throw SafeTensorsError.sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtypeName, bytes: end - begin)
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        let ordered = entries.values.sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.byteRange.lowerBound < previous.byteRange.upperBound && !next.byteRange.isEmpty && !previous.byteRange.isEmpty {
            throw SafeTensorsError.overlap(path: path, tensor: next.name, other: previous.name)
        }
        let used = ordered.map(\.byteRange.upperBound).max() ?? 0
        guard used == dataSize else { throw SafeTensorsError.trailingBytes(path: path, dataSize: dataSize, used: used) }
        return (entries, metadata)
    }

    private static func integer(_ value: Any, path: String, what: String) throws -> Int {
        guard let number = value as? NSNumber, number.int64Value >= 0,
              number.doubleValue == Double(number.int64Value)
        else {
            throw SafeTensorsError.invalidHeader(path: path, reason: "\(what) is not a non-negative integer")
        }
        return Int(number.int64Value)
    }
}

/// Writing safetensors files.
public enum SafeTensors {
    /// The element types danmaku writes.
    public enum StorageType: Sendable {
        /// Exact.
        case f32
        /// Half the size; relative error up to 2⁻¹¹ and a range of ±65504.
        case f16
    }

    /// Writes `tensors` to `path` atomically (temporary name, then rename), sorted by name,
    /// the header padded with spaces to a multiple of 8 bytes so the data is aligned.
    ///
    /// - Throws: `AtomicFile.WriteError` naming `path`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                             as storage: StorageType = .f32, to path: String) throws {
        let dtype: SafeTensorsDType = storage == .f32 ? .f32 : .f16
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            let bytes = tensor.count * dtype.size
            header[name] = ["dtype": dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        try AtomicFile.write(to: path) { writer in
            var length = UInt64(json.count).littleEndian
            try withUnsafeBytes(of: &length) { try writer.write($0) }
            try writer.write(json)
            for name in names {
                try writeElements(tensors[name]!.storage, as: dtype, to: writer)
            }
        }
    }

    private static func writeElements(_ values: [Float], as dtype: SafeTensorsDType, to writer: FileDescriptorWriter) throws {
        switch dtype {
        case .f16:
            let chunk = 1 << 16
            var start = 0
            while start < values.count {
                let end = min(start + chunk, values.count)
                let halves = values[start..<end].map { Float16($0).bitPattern.littleEndian }
                try halves.withUnsafeBytes { try writer.write($0) }
                start = end
            }
        default:
            #if _endian(little)
            try values.withUnsafeBytes { try writer.write($0) }
            #else
            try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try writer.write($0) }
            #endif
        }
    }
}

extension [String: Tensor] {
    /// The first name, in sorted order, of a tensor holding NaN or infinity: what damaged bytes
    /// of a weights file decode to, and would poison every result silently.
    public var firstNonFinite: String? { keys.sorted().first { self[$0]!.storage.contains { !$0.isFinite } } }
}
