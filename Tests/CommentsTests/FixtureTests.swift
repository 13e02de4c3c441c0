// The project's own comment fixtures (Tests/Fixtures/comments, written by
// scripts/make-comment-fixtures.py with every quirk of real files): each file read back
// through the public loader gives what the generator's manifest says it put in.
import Comments
import Foundation
import Testing
import TestSupport

@Suite struct FixtureTests {
    @Test(arguments: try CommentFixtures.all())
    func countsAsTheManifestSays(_ expected: CommentFixtures.Expected) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: expected.path))
        #expect(CommentFile.detectFormat(data)?.rawValue == expected.format)
        let comments = try CommentFile.load(path: expected.path)
        #expect(comments.count == expected.read)
        #expect(comments.filter(\.isDeleted).count == expected.deleted)
        #expect(comments.filter(\.isDeleted).allSatisfy { $0.text.isEmpty })
        #expect(comments.filter(\.isOwner).count == expected.owner)
        #expect(comments.map(\.vpos).min() == expected.vposMin)
        #expect(comments.map(\.vpos).max() == expected.vposMax)
        let positions = Dictionary(grouping: comments, by: \.position.rawValue).mapValues(\.count)
        #expect(positions.filter { $0.value > 0 } == expected.positions.filter { $0.value > 0 })

        let result = TrainingFilter().apply(comments)
        #expect(result.kept.count == expected.kept)
        #expect(Dictionary(uniqueKeysWithValues: result.dropped.map { ($0.key.rawValue, $0.value) }) == expected.dropped)
    }

    @Test(arguments: try CommentFixtures.all())
    func probedCommentsHaveTheirFields(_ expected: CommentFixtures.Expected) throws {
        let comments = try CommentFile.load(path: expected.path)
        for probe in [expected.firstKept] + expected.probes {
            let comment = try #require(probe.index < comments.count ? comments[probe.index] : nil, "\(probe.why)")
            #expect(comment.vpos == probe.vpos, "\(probe.why): \(comment)")
            #expect(comment.text == probe.text, "\(probe.why)")
            #expect(comment.number == probe.number && comment.date == probe.date && comment.userID == probe.userID,
                    "\(probe.why): \(comment)")
            #expect(comment.isDeleted == probe.isDeleted && comment.isOwner == probe.isOwner, "\(probe.why): \(comment)")
            #expect(comment.position.rawValue == probe.position, "\(probe.why)")
            #expect(TrainingFilter().reason(for: comment)?.rawValue == probe.dropReason, "\(probe.why)")
            if let mail = probe.mail { #expect(comment.mail == mail, "\(probe.why)") }
            if let mode = probe.bilibiliMode { #expect(comment.bilibiliMode == mode, "\(probe.why)") }
            if let score = probe.score { #expect(comment.score == score, "\(probe.why)") }
        }
        #expect(expected.firstKept.index == comments.firstIndex { TrainingFilter().reason(for: $0) == nil })
    }

    @Test func theCommittedFilesAreWhatTheScriptWrites() throws {
        let result = try runProcess("/usr/bin/env", ["python3", Project.root + "/scripts/make-comment-fixtures.py", "--check"])
        #expect(result.status == 0, "\(result.stderr)")
        for expected in try CommentFixtures.all() {
            let size = try FileManager.default.attributesOfItem(atPath: expected.path)[.size] as? Int
            #expect(size == expected.bytes, "\(expected.name)")
        }
    }
}
