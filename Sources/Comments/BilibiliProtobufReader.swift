// Bilibili protobuf segments (`/x/v2/dm/web/seg.so`), read with a small reader of the protobuf
// wire format for the two messages involved (no protobuf package):
//
//     message DmSegMobileReply { repeated DanmakuElem elems = 1; int32 state = 2; … }
//     message DanmakuElem {
//         int64 id = 1; int32 progress = 2; int32 mode = 3; int32 fontsize = 4; uint32 color = 5;
//         string midHash = 6; string content = 7; int64 ctime = 8; int32 weight = 9;
//         string action = 10; int32 pool = 11; string idStr = 12; int32 attr = 13; …
//     }
//
// (bilibili.community.service.dm.v1, as biliass and the published dm.proto give it). Fields
// not listed are skipped by their wire type.
import Foundation

/// The protobuf wire format: varints, fixed 32/64-bit values and length-delimited fields.
/// Every read checks the bounds; a malformed message gives nil, never a crash.
struct ProtobufWire {
    /// A wire type (`tag & 7`).
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// One field: its number, and the value as an integer (varint, fixed) or bytes (length-delimited).
    struct Field {
        var number: UInt64
        var integer: UInt64
        var bytes: Range<Int>
        var type: WireType
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// A base-128 varint of at most 10 bytes, or nil when it runs past the end or is longer.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 70 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The next field, or nil at a malformed one (unknown wire type, field number 0, past the end).
    mutating func field() -> Field? {
        guard let tag = varint(), let type = WireType(rawValue: tag & 7), tag >> 3 != 0 else { return nil }
        var field = Field(number: tag >> 3, integer: 0, bytes: 0..<0, type: type)
        switch type {
        case .varint:
            guard let value = varint() else { return nil }
            field.integer = value
        case .fixed64, .fixed32:
            let size = type == .fixed64 ? 8 : 4
            guard end - position >= size else { return nil }
            for k in 0..<size { field.integer |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
            position += size
        case .lengthDelimited:
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            field.bytes = position..<(position + Int(length))
            position += Int(length)
        }
        return field
    }

    /// The field's bytes as UTF-8 text (bad bytes become U+FFFD, which `TextRepair` strips).
    func string(_ field: Field) -> String {
        String(decoding: bytes[field.bytes], as: UTF8.self)
    }
}

/// Reads a `DmSegMobileReply`.
enum BilibiliProtobufReader {
    /// The comments of the segment, and its other fields; nil unless every byte parses as a
    /// `DmSegMobileReply` holding at least one `DanmakuElem` with content — so that no text or
    /// other binary is taken for one.
    static func read(_ data: Data) -> (comments: [Comment], otherRecords: Int, bad: BadValues)? {
        let bytes = [UInt8](data)
        var reply = ProtobufWire(bytes)
        var comments: [Comment] = []
        var other = 0
        var bad = BadValues()
        while !reply.isAtEnd {
            guard let field = reply.field() else { return nil }
            if field.number == 1 {
                guard field.type == .lengthDelimited, let comment = element(bytes, range: field.bytes, bad: &bad) else { return nil }
                comments.append(comment)
            } else {
                other += 1
            }
        }
        guard comments.contains(where: { !$0.text.isEmpty }) else { return nil }
        return (comments, other, bad)
    }

    /// One `DanmakuElem`; nil when it is malformed or a known field has the wrong wire type.
    /// Out-of-range values (see `CommentXMLReader.applyBilibili`; a negative `ctime`) take the
    /// defaults, counted in `bad`.
    static func element(_ bytes: [UInt8], range: Range<Int>, bad: inout BadValues) -> Comment? {
        var message = ProtobufWire(bytes, range: range)
        // Absent fields are 0 in proto3 (black for color); mode and font size fall back to scrolling and medium.
        var id: Int64 = 0, progress: Int32 = 0, mode: Int32 = 1, fontSize: Int32 = 25, color: UInt32 = 0
        var ctime: Int64 = 0  // Unix seconds; never negative
        var midHash = "", content = "", idString = ""
        while !message.isAtEnd {
            guard let field = message.field() else { return nil }
            let expectsString = [6, 7, 10, 12].contains(field.number)
            let expectsVarint = (1...13).contains(field.number) && !expectsString
            if expectsString && field.type != .lengthDelimited || expectsVarint && field.type != .varint { return nil }
            switch field.number {
            case 1: id = Int64(bitPattern: field.integer)
            case 2: progress = Int32(truncatingIfNeeded: field.integer)
            case 3: mode = Int32(truncatingIfNeeded: field.integer)
            case 4: fontSize = Int32(truncatingIfNeeded: field.integer)
            case 5: color = UInt32(truncatingIfNeeded: field.integer)
            case 6: midHash = message.string(field)
            case 7: content = message.string(field)
            case 8: ctime = Int64(bitPattern: field.integer)
            case 12: idString = message.string(field)
            default: break  // weight, action, pool, attr and later fields: not used
            }
        }
        if ctime < 0 {
            bad.count("ctime", .outOfRange, "read as 0")
            ctime = 0
        }
        var comment = Comment(vpos: Int((Double(progress) / 10).rounded()), text: content, date: Int(ctime),
                              number: Int(id), userID: midHash, source: .bilibili)
        let dmid = idString.isEmpty ? (id != 0 ? String(id) : "") : idString
        if !dmid.isEmpty { comment.sourceID = "bili:" + dmid }
        CommentXMLReader.applyBilibili(mode: Int(mode), fontSize: Int(fontSize), color: Int(color), to: &comment, bad: &bad)
        return comment
    }
}
