// MeCab through its C API: surface forms and features with the system IPA dictionary.
internal import CMeCab
import Foundation

/// One word as MeCab analysed it.
public struct Morpheme: Sendable, Equatable {
    /// The word as written in the input.
    public var surface: String
    /// The comma-separated feature fields: 9 for dictionary words (part of speech ×4,
    /// conjugation type and form, base form, reading, pronunciation), 7 for unknown words
    /// (no reading or pronunciation).
    public var features: [String]
    /// True when the word is not in the dictionary.
    public var isUnknown: Bool

    /// The main part of speech (`名詞`, `助詞`, …).
    public var partOfSpeech: String { features.first ?? "" }
    /// The dictionary form, or nil when MeCab gives `*`.
    public var baseForm: String? { features.count > 6 && features[6] != "*" ? features[6] : nil }
    /// The katakana reading, or nil (unknown words have none).
    public var reading: String? { features.count > 7 && features[7] != "*" ? features[7] : nil }
}

/// Tokenises with MeCab and the system dictionary (`mecab-ipadic-utf8`).
///
/// Owns one MeCab tagger, which is not thread-safe: make one `MeCabTokenizer` per thread.
/// The dictionary is memory-mapped, so further taggers are cheap.
/// The corresponding C functions are `mecab_new`, `mecab_sparse_tonode2`, `mecab_destroy`.
public final class MeCabTokenizer: Tokenizer {
    private let tagger: OpaquePointer
    /// The dictionary directory in use.
    public let dictionaryDirectory: String

    /// Where the UTF-8 IPA dictionary is looked for, in order, after `$DANMAKU_MECAB_DICDIR`
    /// and before the `dicdir` of the mecabrc (`$MECABRC`, `/etc/mecabrc`, `/usr/local/etc/mecabrc`).
    public static let dictionaryCandidates = [
        "/var/lib/mecab/dic/ipadic-utf8",
        "/usr/lib/x86_64-linux-gnu/mecab/dic/ipadic-utf8",
        "/usr/lib/aarch64-linux-gnu/mecab/dic/ipadic-utf8",
        "/usr/lib/mecab/dic/ipadic-utf8",
        "/usr/local/lib/mecab/dic/ipadic-utf8",
        "/opt/homebrew/lib/mecab/dic/ipadic",
        "/usr/local/lib/mecab/dic/ipadic",
    ]

    /// A tagger on `dictionaryDirectory`, or on the first UTF-8 dictionary found.
    ///
    /// - Throws: `CommentsError.tokenizerUnavailable` naming the directory when no dictionary
    ///   is found, MeCab cannot open it, or it is not UTF-8 (the EUC-JP `mecab-ipadic`).
    public init(dictionaryDirectory: String? = nil) throws(CommentsError) {
        guard let directory = dictionaryDirectory ?? Self.findDictionary() else {
            throw .tokenizerUnavailable(path: Self.dictionaryCandidates[0],
                                        reason: "no MeCab dictionary found (install mecab-ipadic-utf8, or set DANMAKU_MECAB_DICDIR)")
        }
        guard FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("sys.dic")) else {
            throw .tokenizerUnavailable(path: directory, reason: "no sys.dic in the dictionary directory")
        }
        // An empty rc file: the dictionary is given here, so no mecabrc needs to exist.
        let arguments = ["mecab", "--rcfile=/dev/null", "--dicdir=\(directory)"]
        var cArguments = arguments.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        guard let tagger = mecab_new(Int32(cArguments.count), &cArguments) else {
            throw .tokenizerUnavailable(path: directory, reason: String(cString: mecab_strerror(nil)))
        }
        if let info = mecab_dictionary_info(tagger), let charset = info.pointee.charset {
            let name = String(cString: charset).lowercased()
            if name != "utf-8" && name != "utf8" {
                mecab_destroy(tagger)
                throw .tokenizerUnavailable(path: directory, reason: "the dictionary is \(name), not UTF-8 (install mecab-ipadic-utf8)")
            }
        }
        self.tagger = tagger
        self.dictionaryDirectory = directory
    }

    deinit { mecab_destroy(tagger) }

    /// The first existing UTF-8 dictionary of `$DANMAKU_MECAB_DICDIR`, the candidates, or a mecabrc.
    public static func findDictionary(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let exists = { (path: String) in FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("sys.dic")) }
        if let path = environment["DANMAKU_MECAB_DICDIR"] { return path }
        if let found = dictionaryCandidates.first(where: exists) { return found }
        let rcFiles = [environment["MECABRC"], "/etc/mecabrc", "/usr/local/etc/mecabrc"].compactMap { $0 }
        for rc in rcFiles {
            guard let text = try? String(contentsOfFile: rc, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == "dicdir", exists(parts[1]) { return parts[1] }
            }
        }
        return nil
    }

    /// The surface forms of `text`, whitespace dropped.
    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        walk(text, features: false) { surface, _, _ in tokens.append(surface) }
        return tokens
    }

    /// Every word of `text` with its features.
    public func analyze(_ text: String) -> [Morpheme] {
        var morphemes: [Morpheme] = []
        walk(text, features: true) { surface, feature, stat in
            let fields = feature.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            morphemes.append(Morpheme(surface: surface, features: fields, isUnknown: stat == Int32(MECAB_UNK_NODE)))
        }
        return morphemes
    }

    /// Calls `body(surface, feature, stat)` for each word node (BOS and EOS skipped); the
    /// feature string is empty unless `features` is set (tokens need only the surface).
    private func walk(_ text: String, features: Bool, _ body: (String, String, Int32) -> Void) {
        var text = text
        text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, utf8.count > 0 else { return }
            let start = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            Self.visitWords(from: mecab_sparse_tonode2(tagger, start, utf8.count), features: features, body)
        }
    }

    /// `walk` over the lattice from `first`, while the text it was parsed from is alive.
    private static func visitWords(from first: UnsafePointer<mecab_node_t>?, features: Bool, _ body: (String, String, Int32) -> Void) {
        let normal = Int32(MECAB_NOR_NODE), unknown = Int32(MECAB_UNK_NODE)
        var node = first
        while let current = node {
            let stat = Int32(current.pointee.stat)
            if stat == normal || stat == unknown, current.pointee.length > 0, let surface = current.pointee.surface {
                let bytes = UnsafeRawBufferPointer(start: surface, count: Int(current.pointee.length))
                let feature = features ? current.pointee.feature.map { String(cString: $0) } ?? "" : ""
                body(String(decoding: bytes, as: UTF8.self), feature, stat)
            }
            node = UnsafePointer(current.pointee.next)
        }
    }
}
