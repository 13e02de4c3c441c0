// The ground truth of the scene clips: `Samples/scenes.json` (scripts/make-samples.py) and
// `Samples/lavfi/scenes.json` (scripts/make-lavfi-scenes.py), clip name → its scenes.
import Foundation

/// One clip of a scene set.
public struct SceneClip: Decodable, Sendable {
    public var duration: Double
    public var scenes: [Scene]

    public struct Scene: Decodable, Sendable {
        public var start: Double
        public var end: Double
        public var kind: String
        /// The words the clip's comments use for this scene.
        public var words: [String]
        /// The object's box `[x0, y0, x1, y1]` (fractions of the frame) at every whole second
        /// of the scene; `objects` clips only.
        public var objectBoxes: [[Double]]?

        enum CodingKeys: String, CodingKey {
            case start, end, kind, words
            case objectBoxes = "object_boxes"
        }
    }

    /// The scene on screen at `seconds`, if any.
    public func scene(at seconds: Double) -> Scene? {
        scenes.first { seconds >= $0.start && seconds < $0.end }
    }

    /// Of `comments` (time in seconds, text), those that use some scene's words, and how many
    /// of them use the words of the scene on screen at their time.
    public func sceneNaming(_ comments: [(seconds: Double, text: String)]) -> (naming: Int, right: Int) {
        let allWords = Set(scenes.flatMap(\.words))
        var naming = 0, right = 0
        for comment in comments {
            guard let scene = scene(at: comment.seconds), allWords.contains(where: { comment.text.contains($0) }) else { continue }
            naming += 1
            if scene.words.contains(where: { comment.text.contains($0) }) { right += 1 }
        }
        return (naming, right)
    }

    /// The clips of a `scenes.json` below `Samples/` (`"scenes.json"` or `"lavfi/scenes.json"`).
    public static func load(_ file: String) throws -> [String: SceneClip] {
        try JSONDecoder().decode([String: SceneClip].self,
                                 from: Data(contentsOf: URL(fileURLWithPath: Project.sample("") + file)))
    }
}
