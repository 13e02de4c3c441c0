// The comment model: line splitting.
import Render
import Tensor
import Testing

@Suite struct RenderCommentTests {
    @Test func everyLineBreakSplitsLines() throws {
        var generator = SplitMix64(seed: 1)
        let layout = NiconicoLayout.place([RenderComment(vpos: 0, text: "一\r\n二\n三\r四\n\n六")], on: Stage(width: 640, height: 360),
                                          typesetter: try makeTypesetter(), using: &generator)
        #expect(layout.comments[0].lines == ["一", "二", "三", "四", "", "六"])
    }
}
