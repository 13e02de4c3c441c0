// The comment model: Niconico colour commands and line splitting.
import Render
import Tensor
import Testing

@Suite struct RenderCommentTests {
    @Test func colourCommandsNameTheHTML5PlayersColours() {
        #expect(RenderColor(niconicoCommand: "red")?.rgb == 0xFF0000)
        #expect(RenderColor(niconicoCommand: "Orange")?.rgb == 0xFFC000)
        #expect(RenderColor(niconicoCommand: "truered")?.rgb == 0xCC0033)
        #expect(RenderColor(niconicoCommand: "red2") == RenderColor(niconicoCommand: "truered"))
        #expect(RenderColor(niconicoCommand: "niconicowhite")?.rgb == 0xCCCC99)
        #expect(RenderColor(niconicoCommand: "black2")?.rgb == 0x666666)
        #expect(RenderColor(niconicoCommand: "#10C1D0")?.rgb == 0x10C1D0)
        #expect(RenderColor(niconicoCommand: "#10c1d0") == RenderColor(red: 0x10, green: 0xC1, blue: 0xD0))
        for notAColour in ["gray", "#12345", "#GGGGGG", "big", "", "#1234567"] {
            #expect(RenderColor(niconicoCommand: notAColour) == nil, "\(notAColour)")
        }
    }

    @Test func everyLineBreakSplitsLines() throws {
        var generator = SplitMix64(seed: 1)
        let layout = NiconicoLayout.place([RenderComment(vpos: 0, text: "一\r\n二\n三\r四\n\n六")], on: Stage(width: 640, height: 360),
                                          typesetter: try makeTypesetter(), using: &generator)
        #expect(layout.comments[0].lines == ["一", "二", "三", "四", "", "六"])
    }
}
