import Foundation
import Media
import Pipeline
import Render
import TestSupport
import Testing

@Suite("Attention sheets", .serialized)
struct AttentionTests {
    @Test("bilinear upsampling keeps cell centres and stays within the grid's range")
    func upsample() {
        let grid: [Float] = [0, 1, 2, 3]
        let up = Heatmap.upsample(grid, side: 2, width: 4, height: 4)
        // Pixel 1 (centre 1.5 of 4) maps to grid 0.25: between cells 0 and 1.
        #expect(abs(up[0] - 0) < 1e-6)
        #expect(abs(up[15] - 3) < 1e-6)
        #expect(abs(up[1] - 0.25) < 1e-6)
        #expect(up.allSatisfy { $0 >= 0 && $0 <= 3 })
        #expect(ColorMap.viridis(0) == (68, 1, 84))
        #expect(ColorMap.viridis(1) == (253, 231, 37))
    }

    @Test("sheets decode, the JSON has one side×side map per token, index.html links only files that exist")
    func sheets() throws {
        let directory = try TemporaryDirectory()
        let bundle = try ModelBundle.load(path: try tinyBundle(in: directory))
        let output = directory.file("attention")
        var request = AttentionRequest(video: Project.root + "/Samples/other.mp4", times: [2, 9.4], output: output)
        request.comments = 2
        let sheets = try AttentionPipeline.draw(request, bundle: bundle)
        #expect(sheets.count == 4)
        for sheet in sheets {
            let image = try PNG.decode(path: output + "/" + sheet.image)
            #expect(image.width >= 224 && image.height > 224)
            let values = try JSONDecoder().decode(AttentionValues.self, from: Data(contentsOf: URL(fileURLWithPath: output + "/" + sheet.alphas)))
            #expect(values.side == 14)
            #expect(values.alphas.count >= values.tokens.count)
            for alpha in values.alphas {
                #expect(alpha.count == 196)
                #expect(abs(alpha.reduce(0, +) - 1) < 1e-3)
            }
        }
        #expect(sheets.map(\.time) == [2, 2, 9, 9])
        let html = try String(contentsOfFile: output + "/index.html", encoding: .utf8)
        let references = html.matches(of: /(?:href|src)="([^"]+)"/).map { String($0.1) }
        #expect(references.count == 3 * sheets.count)
        for reference in references { #expect(FileManager.default.fileExists(atPath: output + "/" + reference)) }
    }

    @Test("a show_and_tell model has no attention: one clear error")
    func noAttention() throws {
        let directory = try TemporaryDirectory()
        var recipe = Recipe.showAndTell
        try recipe.apply(["video.fps=1", "training.epochs=1", "model.embedding=16", "model.hidden=16"])
        let path = directory.file("sat.danmaku")
        let samples = Project.root + "/Samples/"
        _ = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: samples + "other.mp4", comments: samples + "other.xml")],
                                                 recipe: recipe, output: path))
        let bundle = try ModelBundle.load(path: path)
        #expect(throws: AttentionError.noAttention(path: bundle.path)) {
            try AttentionPipeline.draw(AttentionRequest(video: samples + "other.mp4", times: [1], output: directory.file("a")), bundle: bundle)
        }
    }
}
