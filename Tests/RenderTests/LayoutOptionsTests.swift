// The layout's options beyond Niconico's rules: a limit on comments on screen (dropped or
// queued), no overlap, scrolling time, font scale, a protected bottom strip, opacity, the
// reverse and positioned Bilibili motions, and merged duplicates.
import Foundation
import Render
import Tensor
import Testing

@Suite struct LayoutOptionsTests {
    static let stage = LayoutTests.stage

    static func layout(_ comments: [RenderComment], _ options: LayoutOptions, seed: UInt64 = 7) throws -> CommentLayout {
        var generator = SplitMix64(seed: seed)
        return NiconicoLayout.place(comments, on: stage, typesetter: try makeTypesetter(), options: options, using: &generator)
    }

    /// The most comments on screen at one instant, sampled at 100 Hz over the comments' span.
    static func mostOnScreen(_ layout: CommentLayout) -> Int {
        let last = layout.comments.map(\.end).max() ?? 0
        return stride(from: -2.0, through: last, by: 0.01).map { layout.active(at: $0).count }.max() ?? 0
    }

    @Test func maxOnScreenDropsTheRestAndCountsThem() throws {
        let comments = LayoutTests.minute(count: 600, seed: 11)
        let free = try Self.layout(comments, LayoutOptions())
        try #require(Self.mostOnScreen(free) > 25, "the test needs a crowded minute")
        var options = LayoutOptions()
        options.maxOnScreen = 12
        let limited = try Self.layout(comments, options)
        #expect(Self.mostOnScreen(limited) <= 12)
        let dropped = limited.drops[.maxOnScreen] ?? 0
        #expect(dropped > 0 && limited.comments.count + dropped == 600)
        #expect(limited.delayed == 0)
    }

    @Test func queueDelaysInsteadOfDropping() throws {
        let comments = LayoutTests.minute(count: 150, seed: 12)
        var options = LayoutOptions()
        options.maxOnScreen = 8
        options.queue = true
        let queued = try Self.layout(comments, options)
        #expect(Self.mostOnScreen(queued) <= 8)
        #expect(queued.delayed > 0)
        let dropped = queued.drops[.maxOnScreen] ?? 0
        #expect(queued.comments.count + dropped == 150)
        options.queue = false
        let plain = try Self.layout(comments, options)
        #expect(queued.comments.count > plain.comments.count, "waiting keeps comments the plain limit drops")
        // A delayed comment keeps its lifetime's length and starts no earlier than it would have.
        for comment in queued.comments {
            let said = Double(comments[comment.source].vpos) / 100
            let undelayed = comment.position == .naka ? said - 1 : said
            #expect(comment.start >= undelayed - 1e-9 && comment.start <= undelayed + LayoutOptions.maximumDelay + 1e-9)
            #expect(abs((comment.end - comment.start) - (comment.position == .naka ? 4 : 3)) < 1e-9)
        }
    }

    @Test func noOverlapDropsWhatDoesNotFit() throws {
        // Twenty long comments said at once: the stage holds 360 / height bands of them.
        let comments = (0..<20).map { RenderComment(vpos: 100, text: "全力で見てる人がいる\($0)") }
        let plain = try Self.layout(comments, LayoutOptions())
        try #require(plain.comments.contains { $0.overflowed })
        var options = LayoutOptions()
        options.noOverlap = true
        let strict = try Self.layout(comments, options)
        #expect(!strict.comments.contains { $0.overflowed })
        #expect(strict.comments.count == plain.comments.filter { !$0.overflowed }.count)
        #expect(strict.drops[.noFreeBand] == 20 - strict.comments.count)
        let rows = strict.comments.map { $0.y..<($0.y + $0.height) }
        for i in rows.indices { for j in rows.indices where j > i { #expect(!rows[i].overlaps(rows[j])) } }
    }

    @Test func protectBottomKeepsEveryBoxAboveTheStrip() throws {
        var options = LayoutOptions()
        options.protectBottom = 0.25
        let layout = try Self.layout(LayoutTests.minute(count: 600, seed: 13), options)
        let limit = Int(Double(Self.stage.height) * 0.75)
        #expect(layout.comments.count == 600, "nothing is dropped: full screens still go to random heights, above the strip")
        #expect(layout.comments.allSatisfy { $0.y >= 0 && $0.y + $0.height <= limit })
        let alone = try Self.layout([RenderComment(vpos: 100, text: "下", position: .shita)], options)
        #expect(alone.comments[0].y + alone.comments[0].height == limit, "bottom comments stack from the strip")
    }

    @Test func scrollSecondsAndFontScale() throws {
        var options = LayoutOptions()
        options.scrollSeconds = 6
        options.fontScale = 1.5
        let comments = [RenderComment(vpos: 1000, text: "草"), RenderComment(vpos: 1000, text: "上", position: .ue)]
        let normal = try Self.layout(comments, LayoutOptions()), changed = try Self.layout(comments, options)
        let scroll = try #require(changed.comments.first { $0.position == .naka })
        #expect(abs(scroll.start - 8.5) < 1e-9 && abs(scroll.end - 14.5) < 1e-9, "6 s on screen, a quarter of it before the vpos")
        let fixed = try #require(changed.comments.first { $0.position == .ue })
        #expect(abs(fixed.end - fixed.start - 3) < 1e-9, "fixed comments keep their 3 s")
        let before = try #require(normal.comments.first { $0.position == .naka })
        #expect(abs(scroll.style.fontSize / before.style.fontSize - 1.5) < 1e-9)
        #expect(scroll.height > before.height)
    }

    @Test func opacityReachesTheAssAndTheFrame() throws {
        var options = LayoutOptions()
        options.opacity = 0.5
        let comments = [RenderComment(vpos: 100, text: "弾幕テスト", position: .ue)]
        let typesetter = try makeTypesetter()
        var generator = SplitMix64(seed: 1)
        let faint = NiconicoLayout.place(comments, on: Self.stage, typesetter: typesetter, options: options, using: &generator)
        let solid = NiconicoLayout.place(comments, on: Self.stage, typesetter: typesetter, using: &generator)
        #expect(faint.comments[0].opacity == 0.5)
        #expect(ASSWriter.script(for: faint, fontName: "IPAexGothic").contains("\\alpha&H80&"))
        #expect(!ASSWriter.script(for: solid, fontName: "IPAexGothic").contains("\\alpha"))
        func change(_ layout: CommentLayout) -> Int {
            var frame = YUVFrame(width: 640, height: 360)
            let blank = frame.y
            frame.draw(Compositor(layout: layout, typesetter: typesetter), at: 2)
            return zip(frame.y, blank).map { abs(Int($0) - Int($1)) }.reduce(0, +)
        }
        let ratio = Double(change(faint)) / Double(change(solid))
        #expect(ratio > 0.4 && ratio < 0.6, "half opacity changes the frame about half as much (\(ratio))")
    }

    @Test func reverseCommentsScrollLeftToRightWithoutMeetingOthers() throws {
        let comments = (0..<30).map { RenderComment(vpos: 100 + 10 * $0, text: LayoutTests.texts[$0 % LayoutTests.texts.count],
                                                    position: $0 % 2 == 0 ? .reverse : .naka) }
        let layout = try Self.layout(comments, LayoutOptions())
        let reverse = layout.comments.filter { $0.position == .reverse }
        #expect(reverse.count == 15 && reverse.allSatisfy { $0.startX == -Double($0.width) && $0.endX == Double(Self.stage.width) && $0.velocity > 0 })
        try #require(!layout.comments.contains { $0.overflowed })
        for time in stride(from: 0.0, through: 8, by: 1.0 / 30) {
            let boxes = layout.active(at: time).compactMap { LayoutTests.visibleBox(layout.comments[$0], at: time) }
            for i in boxes.indices { for j in boxes.indices where j > i {
                let overlapX = min(boxes[i].x.upperBound, boxes[j].x.upperBound) - max(boxes[i].x.lowerBound, boxes[j].x.lowerBound)
                #expect(!(overlapX > 1e-6 && boxes[i].y.overlaps(boxes[j].y)), "t \(time): two comments overlap")
            } }
        }
    }

    @Test func positionedCommentsMoveWhereTheirAuthorSaid() throws {
        // Bilibili's 672x438 player fitted into 640x360: zoom 360/438, centred horizontally.
        var comment = RenderComment(vpos: 200, text: "ここ")
        comment.positioned = RenderComment.Positioned(fromX: 100, fromY: 50, toX: 400, toY: 250, duration: 5, moveDelay: 1, moveDuration: 2)
        comment.opacity = 0.8
        let layout = try Self.layout([comment, RenderComment(vpos: 200, text: "普通")], LayoutOptions())
        let placed = try #require(layout.comments.first { $0.isPositioned })
        let zoom = 360.0 / 438, left = (640 - 672 * zoom) / 2
        #expect(abs(placed.start - 2) < 1e-9 && abs(placed.end - 7) < 1e-9)
        #expect(abs(placed.x(at: 2.5) - (left + 100 * zoom)) < 1e-6, "still during the delay")
        #expect(abs(placed.x(at: 4) - (left + 250 * zoom)) < 1e-6, "half way at the middle of the move")
        #expect(abs(placed.x(at: 6) - (left + 400 * zoom)) < 1e-6, "at the end after the move")
        let endTop = Double(placed.top(at: 6)), startTop = (50 * zoom).rounded()
        #expect(abs(endTop - startTop - 200 * zoom) <= 2)
        #expect((placed.top(at: 4) - placed.y) % 2 == 0)
        #expect(placed.opacity == 0.8)
        let normal = try #require(layout.comments.first { !$0.isPositioned })
        #expect(normal.y == 0, "a positioned comment takes no band")
        let ass = ASSWriter.script(for: layout, fontName: "IPAexGothic")
        #expect(ass.contains(",1000,3000)"), "\\move with the delay and the move's end in ms: \(ass)")
    }

    @Test func mergedDuplicatesAreDrawnOnceWithTheirCount() throws {
        let texts = ["8888", "８８８８", "草", "8888", "8888", "別", "8888", "8888", "8888"]
        let comments = texts.enumerated().map { RenderComment(vpos: 100 + 50 * $0.offset, text: $0.element) }
        // Said at 1.0, 1.5, …, 5.0 s; the key (Pipeline passes NFKC) makes the full-width copy the same text.
        let normalise = { (text: String) in text.replacingOccurrences(of: "８", with: "8") }
        let counted = DuplicateMerge.merge(comments, window: 4, style: .count, key: normalise)
        #expect(counted.merged == 6)
        #expect(counted.comments.map(\.text) == ["8888×7", "草", "別"])
        let grown = DuplicateMerge.merge(comments, window: 4, style: .grow, key: normalise)
        #expect(grown.comments.map(\.text) == ["8888", "草", "別"])
        #expect(abs(grown.comments[0].scale - DuplicateMerge.growth(7)) < 1e-12 && grown.comments[0].scale > 1.2)
        #expect(DuplicateMerge.growth(5) == 1 && abs(DuplicateMerge.growth(25) - 2) < 1e-12 && DuplicateMerge.growth(10_000) == 2.5)
        let short = DuplicateMerge.merge(comments, window: 1, style: .count, key: normalise)
        #expect(short.comments.map(\.text) == ["8888×2", "草", "8888×2", "別", "8888×3"], "a later copy outside the window starts a new group")
        let layout = try Self.layout(counted.comments, LayoutOptions())
        #expect(layout.comments.first { $0.lines == ["8888×7"] } != nil)
    }
}
