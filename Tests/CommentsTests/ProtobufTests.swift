// Bilibili protobuf segments, written byte by byte from the published schema
// (bilibili.community.service.dm.v1: DmSegMobileReply { repeated DanmakuElem elems = 1; … }).
import Comments
import Foundation
import Testing

/// A minimal protobuf writer for the tests: varints and length-delimited fields.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A varint field (`int32`/`int64`/`uint32`; negative values sign-extended to 64 bits, as protobuf does).
    mutating func field(_ number: UInt64, _ value: Int64) {
        varint(number << 3 | 0)
        varint(UInt64(bitPattern: value))
    }

    /// A length-delimited field (`string`, embedded message).
    mutating func field(_ number: UInt64, bytes value: [UInt8]) {
        varint(number << 3 | 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func field(_ number: UInt64, _ text: String) { field(number, bytes: Array(text.utf8)) }
}

/// One `DanmakuElem` with every field of the schema up to `attr`, plus an unknown one (22, animation).
func danmakuElem(id: Int64, progress: Int32, mode: Int32 = 1, fontSize: Int32 = 25, color: UInt32 = 0xFFFFFF,
                 midHash: String = "5bd04b14", content: String, ctime: Int64 = 1_626_077_354) -> [UInt8] {
    var w = ProtobufWriter()
    w.field(1, id)
    w.field(2, Int64(progress))
    w.field(3, Int64(mode))
    w.field(4, Int64(fontSize))
    w.field(5, Int64(color))
    w.field(6, midHash)
    w.field(7, content)
    w.field(8, ctime)
    w.field(9, 10)          // weight
    w.field(10, "")         // action
    w.field(11, 0)          // pool
    w.field(12, String(id)) // idStr
    w.field(13, 0)          // attr
    w.field(22, "{}")       // animation: not read, skipped
    return w.bytes
}

/// A `DmSegMobileReply` of `elems`, with its `state` field.
func segment(_ elems: [[UInt8]]) -> [UInt8] {
    var w = ProtobufWriter()
    for elem in elems { w.field(1, bytes: elem) }
    w.field(2, 0)
    return w.bytes
}

@Suite struct ProtobufTests {
    @Test("a DmSegMobileReply reads as Bilibili comments: ms → vpos, mode, size, colour, dmid")
    func segmentReads() throws {
        let bytes = segment([
            danmakuElem(id: 51_870_527_213_010_951, progress: 12_345, mode: 4, fontSize: 18, color: 0xFF0000, content: "前方高能"),
            danmakuElem(id: 2, progress: 0, mode: 5, fontSize: 36, content: "哈哈/n哈"),
            danmakuElem(id: 3, progress: -500, mode: 7, content: #"[0,0,"1-1",4.5,"x"]"#),
        ])
        let scratch = try Scratch()
        let path = try scratch.file("seg.so", bytes: bytes)
        let file = try CommentFile.contents(path: path)
        #expect(file.format == .bilibiliProtobuf && file.comments.count == 3 && file.otherRecords == 1)
        let first = file.comments[0]
        #expect(first.vpos == 1235 && first.position == .shita && first.size == .small && first.color == RGBColor(packed: 0xFF0000))
        #expect(first.text == "前方高能" && first.userID == "5bd04b14" && first.date == 1_626_077_354)
        #expect(first.number == 51_870_527_213_010_951 && first.sourceID == "bili:51870527213010951" && first.source == .bilibili)
        #expect(file.comments[1].position == .ue && file.comments[1].size == .big)
        #expect(file.comments[2].vpos == -50 && !file.comments[2].isPlainText, "negative int32 and mode 7")
    }

    @Test("absent fields take proto3's defaults")
    func defaults() throws {
        var w = ProtobufWriter()
        w.field(7, "だけ")
        let scratch = try Scratch()
        let file = try CommentFile.contents(path: try scratch.file("min.bin", bytes: segment([w.bytes])))
        #expect(file.comments.count == 1 && file.comments[0].vpos == 0 && file.comments[0].text == "だけ")
        #expect(file.comments[0].color == .black && file.comments[0].position == .naka && file.comments[0].sourceID.isEmpty)
    }

    @Test("truncated or foreign bytes are not taken for a segment", arguments: [
        Array(segment([danmakuElem(id: 1, progress: 10, content: "途中")]).dropLast(5)),
        [0x0A, 0x05, 0x08, 0x01],         // an element longer than the file
        [0x0A, 0x02, 0x3A, 0x00],         // an element whose only content is empty
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        [0x0A, 0x03, 0x0B, 0x00, 0x00],   // wire type 3 (groups) inside
    ])
    func notASegment(bytes: [UInt8]) throws {
        let scratch = try Scratch()
        let path = try scratch.file("x.bin", bytes: bytes)
        guard case .unrecognisedFormat(let errorPath, _)? = commentsError({ _ = try CommentFile.load(path: path) }) else {
            Issue.record("expected unrecognisedFormat")
            return
        }
        #expect(errorPath == path)
    }

    @Test("XML and protobuf of the same Bilibili comments are duplicates of each other")
    func sameCommentsTwoFormats() throws {
        let scratch = try Scratch()
        let xml = try CommentFile.load(path: try scratch.file("a.xml", """
            <i><d p="1.5,1,25,16777215,1626077354,0,5bd04b14,11,10">一</d><d p="2.5,1,25,16777215,1626077354,0,5bd04b14,12,10">二</d></i>
            """))
        let proto = try CommentFile.load(path: try scratch.file("b.so", bytes: segment([
            danmakuElem(id: 12, progress: 2500, content: "二"), danmakuElem(id: 13, progress: 3500, content: "三"),
        ])))
        var filter = DuplicateFilter()
        #expect(filter.add(xml).map(\.text) == ["一", "二"])
        #expect(filter.add(proto).map(\.text) == ["三"])
        #expect(filter.dropped == 1)
    }
}
