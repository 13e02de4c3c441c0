import Foundation
import Tensor
import TestSupport
import Testing

/// Writes a safetensors file byte by byte, as the published format describes it: an 8-byte
/// little-endian header length, the JSON header, then the data.
private func writeRaw(header: String, data: [UInt8], headerLength: UInt64? = nil, to path: String) throws {
    var bytes: [UInt8] = []
    let json = Array(header.utf8)
    let length = headerLength ?? UInt64(json.count)
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((length >> UInt64(shift)) & 0xFF)) }
    bytes += json + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

private func littleEndianBytes(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

@Suite("safetensors")
struct SafeTensorsTests {
    @Test("F32 round trip keeps names, shapes, values and metadata")
    func roundTripF32() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("weights.safetensors")
        var rng = SplitMix64(seed: 9)
        let tensors = [
            "embedding.weight": Tensor(shape: [5, 3], uniform: -2...2, using: &rng),
            "lstm.bias": Tensor(shape: [7], uniform: -1...1, using: &rng),
            "scalar": Tensor(shape: [], storage: [3.5]),
            "empty": Tensor(shape: [0, 4]),
        ]
        try SafeTensors.write(tensors, metadata: ["format": "danmaku", "step": "12"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == tensors.keys.sorted())
        #expect(file.metadata == ["format": "danmaku", "step": "12"])
        for (name, tensor) in tensors {
            #expect(try file.tensor(name) == tensor, "tensor \(name)")
        }
        // The data section starts 8-byte aligned.
        let headerLength = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8)
            .enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        #expect(headerLength % 8 == 0)
        #expect(try directory.contents() == ["weights.safetensors"], "no temporary file is left behind")
    }

    @Test("F16 storage round trip stays within half precision")
    func roundTripF16() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("half.safetensors")
        var rng = SplitMix64(seed: 2)
        let tensor = Tensor(shape: [4, 16], uniform: -100...100, using: &rng)
        try SafeTensors.write(["x": tensor], as: .f16, to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.entries["x"]?.dtype == .f16)
        expectClose(try file.tensor("x"), tensor, rtol: 1e-3, atol: 1e-3)
    }

    @Test("reads F16 and BF16 written by hand")
    func readsHalfFormats() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("halves.safetensors")
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800. BF16: 1.0 = 0x3F80, -3.0 = 0xC040.
        let f16 = [0x3C00, 0xC000, 0x3800].flatMap { littleEndianBytes(UInt16($0)) }
        let bf16 = [0x3F80, 0xC040].flatMap { littleEndianBytes(UInt16($0)) }
        let header = #"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[6,10]}}"#
        try writeRaw(header: header, data: f16 + bf16, to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("a").storage == [1, -2, 0.5])
        #expect(try file.tensor("b") == Tensor(shape: [1, 2], storage: [1, -3]))
    }

    @Test("rejects a file shorter than its length prefix")
    func rejectsTinyFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("tiny.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensorsError.truncated(path: path, fileSize: 3, needed: 8)) { try SafeTensorsFile(path: path) }
    }

    @Test("rejects a header that runs past the end of the file")
    func rejectsTruncatedHeader() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.safetensors")
        try writeRaw(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [], headerLength: 500, to: path)
        let size = Int(try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64)
        #expect(throws: SafeTensorsError.truncated(path: path, fileSize: size, needed: 508)) { try SafeTensorsFile(path: path) }
    }

    /// A file of one tensor `x` of 8 floats (32 data bytes) at `name`, its bytes then changed by `edit`.
    private func damagedFile(_ name: String, in directory: TemporaryDirectory, _ edit: (inout Data) -> Void) throws -> String {
        let path = directory.file(name)
        try SafeTensors.write(["x": Tensor(shape: [8], repeating: 1)], to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        edit(&data)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("rejects a truncated data section")
    func rejectsTruncatedData() throws {
        let directory = try TemporaryDirectory()
        let path = try damagedFile("short.safetensors", in: directory) { $0 = $0.prefix($0.count - 4) }
        #expect {
            try SafeTensorsFile(path: path)
        } throws: { error in
            guard case let .outOfBounds(p, tensor, begin, end, dataSize) = error as? SafeTensorsError else { return false }
            return p == path && tensor == "x" && begin == 0 && end == 32 && dataSize == 28
        }
    }

    @Test("rejects bytes after the last tensor (fuzz seed 79 of train: one inserted byte shifted a checkpoint's tensors)")
    func rejectsTrailingBytes() throws {
        let directory = try TemporaryDirectory()
        let path = try damagedFile("long.safetensors", in: directory) { $0.insert(0x2A, at: $0.count - 9) }
        let expected = SafeTensorsError.trailingBytes(path: path, dataSize: 33, used: 32)
        #expect(throws: expected) { try SafeTensorsFile(path: path) }
        #expect(expected.description == path + ": 1 byte after the last tensor, which ends at byte 32 of the data section (a damaged file)")
    }

    @Test("rejects offsets outside the data section")
    func rejectsOutOfBounds() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outside.safetensors")
        try writeRaw(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: [UInt8](repeating: 0, count: 8), to: path)
        #expect(throws: SafeTensorsError.outOfBounds(path: path, tensor: "a", begin: 4, end: 12, dataSize: 8)) {
            try SafeTensorsFile(path: path)
        }
    }

    @Test("rejects a byte range that does not match shape × dtype")
    func rejectsSizeMismatch() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("mismatch.safetensors")
        try writeRaw(header: #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: [UInt8](repeating: 0, count: 24), to: path)
        let expected = SafeTensorsError.sizeMismatch(path: path, tensor: "a", shape: [2, 3], dtype: "F32", bytes: 20)
        #expect(throws: expected) { try SafeTensorsFile(path: path) }
        #expect(expected.description.contains("needs 24 bytes, its offsets span 20"))
    }

    @Test("rejects overlapping tensors")
    func rejectsOverlap() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("overlap.safetensors")
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try writeRaw(header: header, data: [UInt8](repeating: 0, count: 12), to: path)
        #expect(throws: SafeTensorsError.overlap(path: path, tensor: "b", other: "a")) { try SafeTensorsFile(path: path) }
    }

    @Test("rejects headers that are not JSON or miss fields, and unknown dtypes")
    func rejectsBadHeaders() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("bad.safetensors")
        try writeRaw(header: "not json", data: [], to: path)
        #expect { try SafeTensorsFile(path: path) } throws: { error in
            guard case .invalidHeader(path, _) = error as? SafeTensorsError else { return false }
            return true
        }
        try writeRaw(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0], to: path)
        #expect { try SafeTensorsFile(path: path) } throws: { error in
            guard case .invalidHeader(path, let reason) = error as? SafeTensorsError else { return false }
            return reason.contains("'a'")
        }
        try writeRaw(header: #"{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#, data: [0], to: path)
        #expect(throws: SafeTensorsError.unsupportedDType(path: path, tensor: "a", dtype: "I8")) { try SafeTensorsFile(path: path) }
    }

    @Test("a missing file and a missing tensor are named")
    func missing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("absent.safetensors")
        #expect(throws: SafeTensorsError.unreadable(path: path, reason: "No such file or directory")) {
            try SafeTensorsFile(path: path)
        }
        try SafeTensors.write(["x": Tensor(shape: [1])], to: path)
        #expect(throws: SafeTensorsError.missingTensor(path: path, tensor: "y")) { try SafeTensorsFile(path: path).tensor("y") }
    }

    @Test("an unwritable directory gives an error naming the file, and nothing is left")
    func unwritable() throws {
        let path = "/proc/danmaku-cannot-write-here/x.safetensors"
        #expect { try SafeTensors.write(["x": Tensor(shape: [1])], to: path) } throws: { error in
            (error as? AtomicFile.WriteError)?.path == path
        }
    }
}
