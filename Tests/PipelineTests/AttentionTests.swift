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
        var request = AttentionRequest(video: Project.sample("other.mp4"), times: [2, 9.4], output: output)
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
        _ = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("other.mp4"), comments: Project.sample("other.xml"))],
                                                 recipe: recipe, output: path))
        let bundle = try ModelBundle.load(path: path)
        #expect(throws: AttentionError.noAttention(path: bundle.path)) {
            try AttentionPipeline.draw(AttentionRequest(video: Project.sample("other.mp4"), times: [1], output: directory.file("a")), bundle: bundle)
        }
    }
}

/// The share of an α map (`side × side`, row-major over the picture the model saw) that lies
/// inside `box` (`[x0, y0, x1, y1]`, fractions of the frame): each cell counts with the part
/// of its area the box covers.
func attentionMass(_ alpha: [Float], side: Int, inside box: [Double]) -> Double {
    var mass = 0.0
    for row in 0..<side {
        for column in 0..<side {
            let width = max(0, min(box[2], Double(column + 1) / Double(side)) - max(box[0], Double(column) / Double(side)))
            let height = max(0, min(box[3], Double(row + 1) / Double(side)) - max(box[1], Double(row) / Double(side)))
            mass += Double(alpha[row * side + column]) * width * height * Double(side * side)
        }
    }
    return mass
}

@Suite("Where attention looks", .serialized)
struct AttentionMassTests {
    @Test("the mass inside a box: a uniform map gives the box's area, a one-cell map all or nothing")
    func massInsideBox() {
        let uniform = [Float](repeating: 1.0 / 196, count: 196)
        #expect(abs(attentionMass(uniform, side: 14, inside: [0.25, 0.5, 0.75, 1]) - 0.25) < 1e-5)
        var one = [Float](repeating: 0, count: 196)
        one[3 * 14 + 5] = 1   // the cell spanning x 5/14…6/14, y 3/14…4/14
        #expect(abs(attentionMass(one, side: 14, inside: [5.0 / 14, 3.0 / 14, 6.0 / 14, 4.0 / 14]) - 1) < 1e-5)
        #expect(abs(attentionMass(one, side: 14, inside: [5.5 / 14, 3.0 / 14, 1, 1]) - 0.5) < 1e-5)
        #expect(attentionMass(one, side: 14, inside: [0, 0, 0.3, 0.2]) == 0)
    }

    /// Trained on `Samples/objects` (one object per 4 s scene on clutter that changes every
    /// second), the model comments the unseen `objects-other`; a token that is one of its
    /// scene's object words should have put most of its attention on the object's region: its
    /// box grown by one cell of the 14x14 map on every side (the map cannot place it finer, and
    /// conv5_3 of these edge-tuned weights answers most at the object's outline).
    @Test("trained on the objects clip, an object word's attention lies mostly on the object (its box grown by one map cell) in an unseen clip")
    func looksAtTheObject() throws {
        let directory = try TemporaryDirectory()
        var recipe = Recipe.showAttendTell
        try recipe.apply(["video.fps=2", "training.epochs=80", "training.patience=20", "training.batch_size=32",
                          "training.learning_rate=0.002", "model.embedding=128", "model.hidden=256", "model.attention=256",
                          "model.attention_penalty=0", "model.dropout=0.5", "decoding.strategy=sample", "decoding.temperature=0.7"])
        let path = directory.file("objects.danmaku")
        _ = try TrainPipeline.train(TrainRequest(pairs: [TrainingPair(video: Project.sample("objects.mp4"), comments: Project.sample("objects.xml"))],
                                                 recipe: recipe, output: path))
        let bundle = try ModelBundle.load(path: path)
        var request = GenerateRequest(video: Project.sample("objects-other.mp4"))
        request.density = 2
        let generated = try GeneratePipeline.generate(request, bundle: bundle)

        let clip = try SampleScenes.clip("objects-other")
        let cell = 1.0 / 14
        func grown(_ box: [Double]) -> [Double] { [box[0] - cell, box[1] - cell, box[2] + cell, box[3] + cell] }
        func area(_ box: [Double]) -> Double {
            let width: Double = min(1, box[2]) - max(0, box[0])
            let height: Double = min(1, box[3]) - max(0, box[1])
            return width * height
        }
        let boxArea = clip.scenes.flatMap { $0.objectBoxes ?? [] }.map { area(grown($0)) }
        let chance = boxArea.reduce(0, +) / Double(max(boxArea.count, 1))
        var masses: [Double] = []
        for comment in generated.attention {
            guard let scene = clip.scene(at: comment.time),
                  let boxes = scene.objectBoxes, !boxes.isEmpty else { continue }
            let box = grown(boxes[min(Int(comment.time - scene.start), boxes.count - 1)])
            for (token, alpha) in zip(comment.tokens, comment.alphas) where scene.words.contains(token) {
                masses.append(attentionMass(alpha, side: 14, inside: box))
            }
        }
        let mean = masses.reduce(0, +) / Double(max(masses.count, 1))
        let overHalf = Double(masses.filter { $0 > 0.5 }.count) / Double(max(masses.count, 1))
        print(String(format: "attention: %d object-word tokens in %d comments; mean α mass inside the object's region %.3f (chance: its area, %.3f); %.0f %% of them above 0.5",
                     masses.count, generated.comments.count, mean, chance, 100 * overHalf))
        #expect(masses.count >= 20)
        #expect(mean > 0.5, "mean α mass inside the object's region \(mean); chance \(chance)")
    }
}
