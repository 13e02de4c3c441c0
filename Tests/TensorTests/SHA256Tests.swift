// SHA-256 against the FIPS 180-4 examples and the system's `sha256sum`.
import Foundation
import Tensor
import TestSupport
import Testing

struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hash(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func piecesGiveTheSameDigestAsOneUpdate() {
        var rng = SplitMix64(seed: 7)
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var digest = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 0, 127, 300] {
            digest.update(Data(bytes[start..<(start + size)]))
            start += size
        }
        digest.update(Data(bytes[start...]))
        #expect(digest.finalize() == SHA256.hash(Data(bytes)))
    }

    @Test func fileDigestMatchesSha256sum() throws {
        let directory = try TemporaryDirectory()
        var rng = SplitMix64(seed: 11)
        // Longer than one 1 MiB read and not a multiple of the 64-byte block.
        let bytes = (0..<(1 << 20) + 4_321).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = directory.file("blob.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try runProcess("/usr/bin/sha256sum", [path])
        try #require(result.status == 0)
        let expected = String(result.stdout.prefix(64))
        #expect(try SHA256.hash(fileAt: path) == expected)
    }

    @Test func missingFileNamesThePath() {
        let error = #expect(throws: SHA256.ReadError.self) { try SHA256.hash(fileAt: "/nonexistent/video.mp4") }
        #expect(error?.description.hasPrefix("/nonexistent/video.mp4: cannot hash:") == true)
    }
}
