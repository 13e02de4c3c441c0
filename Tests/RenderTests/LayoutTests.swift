// The Niconico layout: lifetimes, motion, stacking, sizes and the band allocation that keeps
// comments from overlapping.
import Render
import Tensor
import Testing

@Suite struct LayoutTests {
    static let stage = Stage(width: 640, height: 360)
    static let fps = 30.0
    static let texts = ["草", "www", "きたああああ", "ここすき", "8888888888", "かわいい", "この曲好きだったなあ",
                        "神回", "初見です", "懐かしい！！！", "ｗｗｗｗｗｗｗｗｗｗｗｗ", "ここ何回見ても笑う",
                        "これは名作", "もう一回", "うぽつ", "あと3分", "Nice!", "全力で見てる人がいる"]

    static func layout(_ comments: [RenderComment], seed: UInt64 = 7) throws -> CommentLayout {
        var generator = SplitMix64(seed: seed)
        return NiconicoLayout.place(comments, on: stage, typesetter: try makeTypesetter(), using: &generator)
    }

    /// `count` comments over a minute: mostly scrolling, some fixed, of all sizes.
    static func minute(count: Int, seed: UInt64) -> [RenderComment] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let roll = Int.random(in: 0..<20, using: &generator)
            let position: RenderComment.Position = roll < 16 ? .naka : (roll < 18 ? .ue : .shita)
            let sizeRoll = Int.random(in: 0..<10, using: &generator)
            let size: RenderComment.Size = sizeRoll < 7 ? .medium : (sizeRoll < 9 ? .small : .big)
            return RenderComment(vpos: Int.random(in: 100..<5700, using: &generator),
                                 text: texts.randomElement(using: &generator)!, position: position, size: size)
        }
    }

    /// The part of a comment's box on the stage at `time`.
    static func visibleBox(_ comment: PlacedComment, at time: Double) -> (x: ClosedRange<Double>, y: Range<Int>)? {
        let left = max(0, comment.x(at: time)), right = min(Double(stage.width), comment.x(at: time) + Double(comment.width))
        guard comment.isActive(at: time), right > left else { return nil }
        return (left...right, comment.y..<(comment.y + comment.height))
    }

    @Test func noTwoCommentsOverlapInAnyFrameOfAMinuteWhenThereIsRoom() throws {
        let layout = try Self.layout(Self.minute(count: 240, seed: 3))
        #expect(layout.comments.count == 240)
        let overflowed = layout.comments.filter(\.overflowed).count
        try #require(overflowed == 0, "the stage was full: the test needs room")
        var framesWithComments = 0, mostOnScreen = 0
        for frame in 0..<Int(60 * Self.fps) {
            let time = Double(frame) / Self.fps
            let boxes = layout.active(at: time).compactMap { Self.visibleBox(layout.comments[$0], at: time) }
            framesWithComments += boxes.isEmpty ? 0 : 1
            mostOnScreen = max(mostOnScreen, boxes.count)
            for i in boxes.indices {
                #expect(boxes[i].y.lowerBound >= 0 && boxes[i].y.upperBound <= Self.stage.height)
                for j in boxes.indices where j > i {
                    let overlapX = min(boxes[i].x.upperBound, boxes[j].x.upperBound) - max(boxes[i].x.lowerBound, boxes[j].x.lowerBound)
                    let overlapY = boxes[i].y.overlaps(boxes[j].y)
                    #expect(!(overlapX > 1e-6 && overlapY), "frame \(frame): two comments overlap")
                }
            }
        }
        #expect(framesWithComments > 1600)
        #expect(mostOnScreen >= 12)
    }

    @Test func scrollingCommentsEnterAndLeaveWithinAFrameOfTheRule() throws {
        let comments = Self.minute(count: 60, seed: 5).map { var comment = $0; comment.position = .naka; return comment }
        let layout = try Self.layout(comments)
        let frames = (0..<Int(61 * Self.fps)).map { Double($0) / Self.fps }
        for comment in layout.comments {
            let visible = frames.filter { Self.visibleBox(comment, at: $0) != nil }
            let said = Double(comments[comment.source].vpos) / 100
            let first = try #require(visible.first), last = try #require(visible.last)
            #expect(first - (said - 1) > 0 && first - (said - 1) <= 1 / Self.fps + 1e-9, "enters at \(first) for vpos \(said)")
            #expect((said + 3) - last > 0 && (said + 3) - last <= 1 / Self.fps + 1e-9, "leaves at \(last) for vpos \(said)")
            // It enters at the right edge and leaves at the left edge.
            #expect(abs(comment.x(at: said - 1) - Double(Self.stage.width)) < 1e-9)
            #expect(abs(comment.x(at: said + 3) + Double(comment.width)) < 1e-9)
        }
    }

    @Test func longerCommentsScrollFaster() throws {
        let layout = try Self.layout([RenderComment(vpos: 100, text: "草"), RenderComment(vpos: 100, text: "とても長いコメントがここを流れていきます")])
        let short = try #require(layout.comments.first { $0.lines == ["草"] })
        let long = try #require(layout.comments.first { $0.lines != ["草"] })
        #expect(long.width > 10 * short.width)
        for comment in [short, long] {
            #expect(abs(comment.velocity + Double(Self.stage.width + comment.width) / 4) < 1e-9)
        }
        #expect(-long.velocity > -short.velocity * 1.5)
    }

    @Test func aFasterCommentDoesNotCatchASlowerOneInItsBand() throws {
        let layout = try Self.layout([
            RenderComment(vpos: 100, text: "短い"),
            RenderComment(vpos: 110, text: "後から来たとても長いコメントは速い"),
            RenderComment(vpos: 400, text: "短い"),
        ])
        let comments = layout.comments.sorted { $0.source < $1.source }
        #expect(comments[0].y == 0)
        #expect(comments[1].y == comments[0].height)  // it would catch the first in band 0
        #expect(comments[2].y == 0)  // band 0 is free again once the first has gone
    }

    @Test func fixedCommentsStackFromTheTopAndTheBottom() throws {
        let layout = try Self.layout([
            RenderComment(vpos: 500, text: "上一", position: .ue),
            RenderComment(vpos: 500, text: "上二はもう少し長い", position: .ue, size: .big),
            RenderComment(vpos: 520, text: "上三", position: .ue, size: .small),
            RenderComment(vpos: 500, text: "下一", position: .shita),
            RenderComment(vpos: 510, text: "下二", position: .shita, size: .big),
        ])
        let bySource = layout.comments.sorted { $0.source < $1.source }
        #expect(bySource[0].y == 0)
        #expect(bySource[1].y == bySource[0].height)
        #expect(bySource[2].y == bySource[0].height + bySource[1].height)
        #expect(bySource[3].y + bySource[3].height == Self.stage.height)
        #expect(bySource[4].y + bySource[4].height == bySource[3].y)
        for comment in bySource {
            #expect(abs(comment.x(at: comment.start + 1) - Double(Self.stage.width - comment.width) / 2) < 1e-9)
            #expect(abs(comment.end - comment.start - 3) < 1e-9)
            #expect(comment.velocity == 0)
        }
    }

    @Test func durationsFromAtN() throws {
        let layout = try Self.layout([
            RenderComment(vpos: 100, text: "長居", duration: 10),
            RenderComment(vpos: 100, text: "上", position: .ue, duration: 10),
            RenderComment(vpos: 100, text: "永遠", position: .shita, duration: 999),
        ])
        let bySource = layout.comments.sorted { $0.source < $1.source }
        #expect(abs(bySource[0].start - 0) < 1e-9 && abs(bySource[0].end - 11) < 1e-9)
        #expect(abs(bySource[1].start - 1) < 1e-9 && abs(bySource[1].end - 11) < 1e-9)
        #expect(abs(bySource[2].end - bySource[2].start - 120) < 1e-9)
    }

    @Test func invisibleCommentsAndOwnerScriptsAreNotDrawn() throws {
        let layout = try Self.layout([
            RenderComment(vpos: 100, text: "見える"),
            RenderComment(vpos: 100, text: "見えない", invisible: true),
            RenderComment(vpos: 100, text: "/commentColor 0xFF0000", isOwnerScript: true),
            RenderComment(vpos: 100, text: "  "),
        ])
        #expect(layout.comments.map(\.source) == [0])
    }

    @Test func sizesScaleWithTheStageHeightAndLinesStack() throws {
        let layout = try Self.layout([
            RenderComment(vpos: 100, text: "大", size: .big),
            RenderComment(vpos: 100, text: "中\n二行目\n三行目"),
            RenderComment(vpos: 100, text: "小", size: .small),
            RenderComment(vpos: 100, text: "大\n大\n大", size: .big),
            RenderComment(vpos: 100, text: "大\n大\n大", size: .big, ender: true),
        ])
        let bySource = layout.comments.sorted { $0.source < $1.source }
        let scale = 360.0 / 384
        #expect(abs(bySource[0].style.fontSize - 39 * scale) < 1e-9)
        #expect(abs(bySource[1].style.fontSize - 27 * scale) < 1e-9)
        #expect(abs(bySource[2].style.fontSize - 18 * scale) < 1e-9)
        #expect(bySource[1].lines == ["中", "二行目", "三行目"])
        #expect(bySource[1].height == Int((3 * 27.14 * scale).rounded()))
        // Three big lines are set at half size unless `ender`.
        #expect(abs(bySource[3].style.fontSize - 39 * scale / 2) < 1e-9)
        #expect(abs(bySource[4].style.fontSize - 39 * scale) < 1e-9)
    }

    @Test func fixedCommentsWiderThanTheirAreaAreShrunk() throws {
        let text = String(repeating: "広い", count: 20)
        let layout = try Self.layout([
            RenderComment(vpos: 100, text: text, position: .ue),
            RenderComment(vpos: 100, text: text, position: .shita, full: true),
        ])
        let bySource = layout.comments.sorted { $0.source < $1.source }
        #expect(bySource[0].width <= 480 + 2 && bySource[0].width > 440)
        #expect(bySource[1].width <= 640 + 2 && bySource[1].width > 600)
    }

    @Test func aFullStageSendsCommentsToSeededRandomHeights() throws {
        let comments = (0..<40).map { RenderComment(vpos: 300, text: "満員 \($0)", position: .ue) }
        let first = try Self.layout(comments, seed: 11), again = try Self.layout(comments, seed: 11), other = try Self.layout(comments, seed: 12)
        let overflowed = first.comments.filter(\.overflowed)
        #expect(first.comments.count - overflowed.count == Self.stage.height / first.comments[0].height)
        #expect(overflowed.allSatisfy { $0.y >= 0 && $0.y + $0.height <= Self.stage.height })
        #expect(first.comments.map(\.y) == again.comments.map(\.y))
        #expect(first.comments.map(\.y) != other.comments.map(\.y))
    }

    @Test func commentsOutsideTheVideoAreNoticed() throws {
        let layout = try Self.layout([RenderComment(vpos: 9000, text: "遅すぎ"), RenderComment(vpos: 9500, text: "上", position: .ue)])
        #expect(!layout.hasComments(from: 0, to: 60))
        #expect(layout.hasComments(from: 0, to: 89.5))
    }

    @Test func activeFindsExactlyTheCommentsOnScreen() throws {
        let layout = try Self.layout(Self.minute(count: 200, seed: 9))
        for time in stride(from: 0.0, to: 61, by: 0.37) {
            let expected = layout.comments.indices.filter { layout.comments[$0].isActive(at: time) }
            #expect(layout.active(at: time) == expected)
        }
    }
}

extension LayoutTests {
    @Test func degenerateInputStillLaysOut() throws {
        // A burst of identical-time comments, a zero, a negative and a NaN duration, a tiny stage.
        var comments = (0..<2000).map { RenderComment(vpos: 500, text: "同時 \($0)") }
        comments += [RenderComment(vpos: 100, text: "零", duration: 0), RenderComment(vpos: 100, text: "負", duration: -3),
                     RenderComment(vpos: 100, text: "非数", duration: .nan)]
        let layout = try Self.layout(comments)
        #expect(layout.comments.count == 2003)
        #expect(layout.comments.filter { !$0.overflowed }.count >= 13)
        for comment in layout.comments where comment.source >= 2000 {
            #expect(abs(comment.end - comment.start - 4) < 1e-9)
        }
        var generator = SplitMix64(seed: 1)
        let tiny = NiconicoLayout.place([RenderComment(vpos: 0, text: "小さい", size: .small)], on: Stage(width: 16, height: 9),
                                        typesetter: try makeTypesetter(), using: &generator)
        #expect(tiny.comments[0].style.fontSize >= 1)
    }
}
