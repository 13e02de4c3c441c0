// The training filter, text normalisation, the tokenizers and the vocabulary.
import Comments
import Foundation
import Testing

@Suite struct FilterAndNormalizerTests {
    @Test func filterCountsEachReason() {
        var deleted = Comment(vpos: 0, text: "x")
        deleted.isDeleted = true
        var script = Comment(vpos: 0, text: "/commentlock")
        script.isOwner = true
        var code = Comment(vpos: 0, text: "Player.seek(0)", source: .bilibili)
        code.isPlainText = false
        let comments = [deleted, script, Comment(vpos: 0, text: "消える", mail: ["invisible"]), code,
                        Comment(vpos: 0, text: " \u{3000}\n"), Comment(vpos: 0, text: ""),
                        Comment(vpos: 0, text: "長すぎるコメント"), Comment(vpos: 1, text: "残る")]
        let result = TrainingFilter(maximumLength: 5).apply(comments)
        #expect(result.kept.map(\.text) == ["残る"])
        #expect(result.dropped == [.deleted: 1, .ownerScript: 1, .invisible: 1, .notPlainText: 1, .empty: 2, .tooLong: 1])
        #expect(result.droppedCount == 7)
        #expect(TrainingFilter().apply(comments).kept.count == 2, "no length limit by default")
    }

    @Test func normalizerDefaults() {
        let normalizer = TextNormalizer()
        #expect(normalizer.normalize("ｗｗｗｗｗｗｗ") == "wwww")
        #expect(normalizer.normalize("ﾊﾑ太郎！！") == "ハム太郎!!")
        #expect(normalizer.normalize(" 一行目\n二行目\r\n三 ") == "一行目 二行目 三")
        #expect(normalizer.normalize("88888888うおおおおおおお") == "8888うおおおお")
        #expect(normalizer.normalize("😂😂😂😂😂😂") == "😂😂😂😂")
    }

    @Test func normalizerIsConfigurable() {
        #expect(TextNormalizer(maximumRun: 2).normalize("ｗｗｗｗ") == "ww")
        #expect(TextNormalizer(nfkc: false).normalize("ｗｗｗｗｗｗ") == "ｗｗｗｗ")
        #expect(TextNormalizer(maximumRun: nil).normalize("ｗｗｗｗｗｗ") == "wwwwww")
        #expect(TextNormalizer(newlinesToSpaces: false).normalize("a\nb") == "a\nb")
        #expect(TextNormalizer(trims: false).normalize(" a ") == " a ")
    }
}

@Suite struct TokenizeReportTests {
    @Test func statisticsAndHistogram() {
        var deleted = Comment(vpos: 0, text: "x")
        deleted.isDeleted = true
        // Seconds -1: 1 comment, 0: 2, 1: 0, 2: 1 (the last comment).
        let comments = [deleted, Comment(vpos: -50, text: "ｗｗｗｗｗ"), Comment(vpos: 0, text: "草 草"),
                        Comment(vpos: 99, text: "草"), Comment(vpos: 250, text: "w")]
        let report = TokenizeReport(comments: comments, tokenizer: CharacterTokenizer(), topCount: 2)
        #expect(report.statistics.read == 5 && report.statistics.kept == 4 && report.statistics.dropped == ["deleted": 1])
        #expect(report.statistics.tokens == 8 && report.statistics.distinctTokens == 2)
        #expect(report.statistics.topTokens.map(\.token) == ["w", "草"] && report.statistics.topTokens.map(\.count) == [5, 3])
        #expect(report.statistics.commentsPerSecondHistogram == [1, 2, 1])
        #expect(report.comments.map(\.line) == ["-0.50\t-\tw w w w", "0.00\t-\t草 草", "0.99\t-\t草", "2.50\t-\tw"])
    }

    @Test func absurdTimesDoNotExhaustMemory() {
        let comments = [Comment(vpos: Int.max, text: "a"), Comment(vpos: Int.min, text: "b")]
        let report = TokenizeReport(comments: comments, tokenizer: CharacterTokenizer())
        #expect(report.statistics.commentsPerSecondHistogram.count == 2)
        #expect(report.statistics.commentsPerSecondHistogram[1] == 2)
    }
}

@Suite struct TokenizerTests {
    @Test func knownSentences() throws {
        let mecab = try MeCabTokenizer()
        #expect(mecab.tokenize("ご注文はうさぎですか").joined(separator: " ") == "ご 注文 は うさぎ です か")
        #expect(mecab.tokenize("すもももももももものうち") == ["すもも", "も", "もも", "も", "もも", "の", "うち"])
        #expect(mecab.tokenize("ハム太郎 かわいい") == ["ハム", "太郎", "かわいい"], "spaces are not tokens")
        #expect(mecab.tokenize("").isEmpty && mecab.tokenize("   ").isEmpty)
    }

    @Test func featuresOfKnownAndUnknownWords() throws {
        let mecab = try MeCabTokenizer()
        let known = mecab.analyze("注文")
        #expect(known.count == 1 && known[0].features.count == 9 && !known[0].isUnknown)
        #expect(known[0].partOfSpeech == "名詞" && known[0].reading == "チュウモン" && known[0].baseForm == "注文")
        let unknown = try #require(mecab.analyze("ぽよぽよぴゅぴゅーん").first { $0.isUnknown } ?? mecab.analyze("Zxqwv").first)
        #expect(unknown.features.count == 7 && unknown.isUnknown)
        #expect(unknown.reading == nil)
    }

    @Test func missingDictionaryIsAClearError() throws {
        let scratch = try Scratch()
        let error = commentsError { _ = try MeCabTokenizer(dictionaryDirectory: scratch.directory.path) }
        #expect(error == .tokenizerUnavailable(path: scratch.directory.path, reason: "no sys.dic in the dictionary directory"))
        #expect(MeCabTokenizer.findDictionary(environment: ["DANMAKU_MECAB_DICDIR": "/x"]) == "/x")
    }

    @Test func taggersPerThreadAgree() async throws {
        let texts = ["ご注文はうさぎですか", "キンクマでけええ", "そこまでしなくてもよかろう"]
        let expected = try texts.map(MeCabTokenizer().tokenize)
        let results = try await withThrowingTaskGroup(of: [[String]].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let tokenizer = try MeCabTokenizer()
                    return (0..<50).flatMap { _ in texts.map(tokenizer.tokenize) }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result == Array((0..<50).flatMap { _ in expected }))
        }
    }

    @Test func characterTokenizer() {
        let tokenizer = CharacterTokenizer()
        #expect(tokenizer.tokenize("前方高能！ 好") == ["前", "方", "高", "能", "！", "好"])
        #expect(tokenizer.tokenize("👍🏽が") == ["👍🏽", "が"], "a grapheme cluster is one token")
    }

    @Test func tokenizerKinds() throws {
        #expect(try TokenizerKind.char.make().tokenize("草") == ["草"])
        #expect(try TokenizerKind.mecab.make().tokenize("ご注文は") == ["ご", "注文", "は"])
    }
}

@Suite struct VocabularyTests {
    let sentences = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"], ["a", "b"], ["うさぎ", "うさぎ", "f"]]

    @Test func specialsAndOrder() {
        let vocabulary = Vocabulary(counting: sentences)
        #expect(Array(vocabulary.tokens.prefix(4)) == ["<pad>", "<bos>", "<eos>", "<unk>"])
        #expect(Vocabulary.padID == 0 && Vocabulary.bosID == 1 && Vocabulary.eosID == 2 && Vocabulary.unkID == 3)
        // b 3, c 3, a 2, d 2, うさぎ 2; e and f are seen once (below the minimum count 2).
        #expect(Array(vocabulary.tokens.dropFirst(4)) == ["b", "c", "a", "d", "うさぎ"])
        #expect(Array(vocabulary.counts.dropFirst(4)) == [3, 3, 2, 2, 2])
        #expect(vocabulary.encode(["a", "e", "<eos>"]) == [6, 3, 2])
        #expect(vocabulary.decode([4, 5, 3, 99, -1]) == ["b", "c", "<unk>", "<unk>", "<unk>"])
    }

    @Test func deterministicWhateverTheInputOrder() {
        let forward = Vocabulary(counting: sentences, minimumCount: 1)
        let backward = Vocabulary(counting: sentences.reversed().map { $0.reversed() }, minimumCount: 1)
        #expect(forward == backward)
        #expect(forward.tokens.count == 4 + 7)
    }

    @Test func maximumSize() {
        let vocabulary = Vocabulary(counting: sentences, maximumSize: 6, minimumCount: 1)
        #expect(vocabulary.tokens == ["<pad>", "<bos>", "<eos>", "<unk>", "b", "c"])
        let small = Vocabulary(counting: sentences.map { $0 + ["<unk>", "<pad>"] }, maximumSize: 30_000, minimumCount: 1)
        #expect(small.tokens.filter { $0 == "<unk>" }.count == 1, "specials in the text are not counted twice")
    }

    @Test func tsvRoundTripIsAtomic() throws {
        let scratch = try Scratch()
        let vocabulary = Vocabulary(counting: sentences + [["tab\there", "back\\slash"], ["tab\there", "back\\slash"]])
        let path = scratch.directory.file("vocab.tsv")
        try vocabulary.save(to: path)
        #expect(try scratch.directory.contents() == ["vocab.tsv"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("<pad>\t0\n<bos>\t0\n<eos>\t0\n<unk>\t0\nb\t3\n"))
        #expect(text.contains("tab\\there\t2\n"))
        #expect(try Vocabulary.load(path: path) == vocabulary)
    }

    @Test func malformedFiles() throws {
        let scratch = try Scratch()
        let noCount = try scratch.file("a.tsv", "<pad>\t0\n<bos>\t0\n<eos>\t0\n<unk>\t0\nword\n")
        #expect(commentsError { _ = try Vocabulary.load(path: noCount) }
                == .malformedVocabulary(path: noCount, line: 5, reason: "expected token<TAB>count"))
        let wrongSpecials = try scratch.file("b.tsv", "<bos>\t0\n<pad>\t0\n<eos>\t0\n<unk>\t0\n")
        #expect(commentsError { _ = try Vocabulary.load(path: wrongSpecials) }?.description
                == "\(wrongSpecials):1: malformed vocabulary: expected the special <pad>, found <bos>")
        let duplicate = try scratch.file("c.tsv", "<pad>\t0\n<bos>\t0\n<eos>\t0\n<unk>\t0\nx\t2\nx\t2\n")
        #expect(commentsError { _ = try Vocabulary.load(path: duplicate) }
                == .malformedVocabulary(path: duplicate, line: 6, reason: "token x appears twice"))
        let short = try scratch.file("d.tsv", "<pad>\t0\n")
        #expect(commentsError { _ = try Vocabulary.load(path: short) }?.description.contains("missing the specials") == true)
        let missing = scratch.directory.file("none.tsv")
        #expect(commentsError { _ = try Vocabulary.load(path: missing) } == .unreadable(path: missing, reason: "no such file"))
        let unwritable = scratch.directory.file("no/such/dir/vocab.tsv")
        guard case .unwritable(let path, _)? = commentsError({ try Vocabulary(counting: sentences).save(to: unwritable) }) else {
            Issue.record("expected unwritable")
            return
        }
        #expect(path == unwritable)
    }
}
