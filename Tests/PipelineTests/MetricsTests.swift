import Foundation
@testable import Pipeline
import Testing

@Suite("Evaluation metrics")
struct MetricsTests {
    @Test("ranks of a hand-made ranking: ties count against the model")
    func ranks() {
        // Candidate 2 is the best correct one with score 0.7; 0.9 and 0.8 (wrong) beat it.
        #expect(RankingMetrics.rank(scores: [0.9, 0.8, 0.7, 0.1, 0.5], correct: [2, 3]) == 3)
        #expect(RankingMetrics.rank(scores: [0.1, 0.2, 0.3], correct: [2]) == 1)
        #expect(RankingMetrics.rank(scores: [0.5, 0.5], correct: [1]) == 2)
        #expect(RankingMetrics.rank(scores: [0.5], correct: []) == nil)
    }

    @Test("Recall@1/5/10, mean rank and MRR of known ranks")
    func rankingMetrics() {
        let metrics = RankingMetrics(ranks: [1, 3, 7, 20])
        #expect(abs(metrics.recallAt1 - 0.25) < 1e-12)
        #expect(abs(metrics.recallAt5 - 0.5) < 1e-12)
        #expect(abs(metrics.recallAt10 - 0.75) < 1e-12)
        #expect(abs(metrics.meanRank - 7.75) < 1e-12)
        #expect(abs(metrics.mrr - (1 + 1.0 / 3 + 1.0 / 7 + 1.0 / 20) / 4) < 1e-12)
        #expect(metrics.queries == 4)
    }

    @Test("BLEU: identical text is 1, the textbook clipped-precision case, brevity penalty")
    func bleu() {
        let sentence = ["a", "b", "c", "d", "e"]
        let perfect = TextMetrics.bleu(hypotheses: [sentence], references: [[sentence]])
        for value in perfect { #expect(abs(value - 1) < 1e-12) }
        // Papineni et al.: "the the the the the the the" against "the cat is on the mat": 2/7.
        let clipped = TextMetrics.bleu(hypotheses: [Array(repeating: "the", count: 7)],
                                       references: [[["the", "cat", "is", "on", "the", "mat"]]], maxOrder: 1)
        #expect(abs(clipped[0] - 2.0 / 7) < 1e-12)
        // A 2-token hypothesis of a 4-token reference: precision 1, brevity exp(1 - 4/2).
        let short = TextMetrics.bleu(hypotheses: [["a", "b"]], references: [[["a", "b", "c", "d"]]], maxOrder: 2)
        #expect(abs(short[0] - exp(-1.0)) < 1e-12)
        #expect(abs(short[1] - exp(-1.0)) < 1e-12)
        let none = TextMetrics.bleu(hypotheses: [["x", "y"]], references: [[["a", "b"]]])
        #expect(none.allSatisfy { $0 == 0 })
    }

    @Test("distinct-1/2 and perplexity")
    func distinctAndPerplexity() {
        let texts = [["a", "b", "a"], ["a", "b"]]
        #expect(abs(TextMetrics.distinct(texts, n: 1) - 2.0 / 5) < 1e-12)
        #expect(abs(TextMetrics.distinct(texts, n: 2) - 2.0 / 3) < 1e-12)
        #expect(TextMetrics.distinct([], n: 1) == 0)
        // Every token at p = 1/4: perplexity 4.
        let perplexity = TextMetrics.perplexity(logLikelihoods: [3 * log(0.25), 2 * log(0.25)], tokenCounts: [3, 2])
        #expect(abs(perplexity - 4) < 1e-9)
    }
}

@Suite("LiveBot candidates")
struct CandidateTests {
    @Test("real comments first and marked, unique, popular ones included, capped at the count")
    func candidates() {
        let all: [[String]] = [["a"], ["a"], ["a"], ["b"], ["c", "d"], ["e"], ["f"], ["g"]]
        let perFrame: [Int: [[String]]] = [3: [["c", "d"], ["x"]]]
        let sets = EvalPipeline.candidates(frames: [3], perFrame: perFrame, all: all, count: 5, seed: 1)
        #expect(sets.count == 1)
        #expect(sets[0].texts.count == 5)
        #expect(Set(sets[0].texts).count == 5)
        #expect(Array(sets[0].texts.prefix(2)) == [["c", "d"], ["x"]])
        #expect(sets[0].correct == [0, 1])
        #expect(sets[0].texts[2] == ["a"], "the most popular comes next")
    }
}
