// Evaluation metrics: the LiveBot ranking protocol (Recall@k, mean rank, MRR), BLEU-1…4,
// distinct-n and perplexity.
import Foundation

/// Ranking metrics over queries: each query ranks candidates by score (higher first) and has a
/// set of correct candidates; its rank is the best (1-based) rank of a correct one.
public struct RankingMetrics: Codable, Sendable, Equatable {
    public var recallAt1: Double
    public var recallAt5: Double
    public var recallAt10: Double
    public var meanRank: Double
    /// Mean reciprocal rank.
    public var mrr: Double
    public var queries: Int

    /// The 1-based rank of the best-ranked correct candidate; ties count against the model
    /// (a correct candidate tied with a wrong one ranks after it).
    public static func rank(scores: [Double], correct: Set<Int>) -> Int? {
        guard let best = correct.filter({ scores.indices.contains($0) }).max(by: { scores[$0] < scores[$1] }) else { return nil }
        let target = scores[best]
        return 1 + scores.indices.filter { !correct.contains($0) && scores[$0] >= target }.count
    }

    /// The metrics of the given ranks (1-based).
    public init(ranks: [Int]) {
        let n = Double(max(ranks.count, 1))
        func recall(_ k: Int) -> Double { Double(ranks.filter { $0 <= k }.count) / n }
        recallAt1 = recall(1)
        recallAt5 = recall(5)
        recallAt10 = recall(10)
        meanRank = Double(ranks.reduce(0, +)) / n
        mrr = ranks.map { 1 / Double($0) }.reduce(0, +) / n
        queries = ranks.count
    }
}

/// Text metrics.
public enum TextMetrics {
    /// Corpus BLEU-n (n = 1…4, uniform weights, brevity penalty, no smoothing) of `hypotheses`
    /// (token lists) against their reference sets; the closest reference length is used.
    /// Returns [BLEU-1, …, BLEU-`maxOrder`].
    public static func bleu(hypotheses: [[String]], references: [[[String]]], maxOrder: Int = 4) -> [Double] {
        precondition(hypotheses.count == references.count, "\(hypotheses.count) hypotheses, \(references.count) reference sets")
        var matches = [Double](repeating: 0, count: maxOrder), totals = [Double](repeating: 0, count: maxOrder)
        var hypothesisLength = 0.0, referenceLength = 0.0
        for (hypothesis, refs) in zip(hypotheses, references) {
            hypothesisLength += Double(hypothesis.count)
            let closest = refs.map(\.count).min { abs($0 - hypothesis.count) < abs($1 - hypothesis.count) || (abs($0 - hypothesis.count) == abs($1 - hypothesis.count) && $0 < $1) }
            referenceLength += Double(closest ?? 0)
            for n in 1...maxOrder {
                let counts = ngramCounts(hypothesis, n)
                var maxReference: [[String]: Int] = [:]
                for reference in refs {
                    for (gram, count) in ngramCounts(reference, n) { maxReference[gram] = max(maxReference[gram] ?? 0, count) }
                }
                for (gram, count) in counts { matches[n - 1] += Double(min(count, maxReference[gram] ?? 0)) }
                totals[n - 1] += Double(max(hypothesis.count - n + 1, 0))
            }
        }
        let brevity = hypothesisLength == 0 ? 0 : (hypothesisLength >= referenceLength ? 1 : exp(1 - referenceLength / hypothesisLength))
        var logSum = 0.0
        return (1...maxOrder).map { n in
            let precision = totals[n - 1] > 0 ? matches[n - 1] / totals[n - 1] : 0
            logSum += precision > 0 ? log(precision) : -Double.infinity
            return brevity * exp(logSum / Double(n))
        }
    }

    /// Distinct-n: unique n-grams over all n-grams of the texts (0 when there is none).
    public static func distinct(_ texts: [[String]], n: Int) -> Double {
        var unique = Set<[String]>(), total = 0
        for text in texts where text.count >= n {
            for i in 0...(text.count - n) {
                unique.insert(Array(text[i..<(i + n)]))
                total += 1
            }
        }
        return total == 0 ? 0 : Double(unique.count) / Double(total)
    }

    /// Perplexity exp(−Σ log p / Σ tokens) of sequences with total natural-log likelihoods
    /// `logLikelihoods` and `tokenCounts` predicted tokens each.
    public static func perplexity(logLikelihoods: [Double], tokenCounts: [Int]) -> Double {
        let tokens = tokenCounts.reduce(0, +)
        guard tokens > 0 else { return .nan }
        return exp(-logLikelihoods.reduce(0, +) / Double(tokens))
    }

    static func ngramCounts(_ tokens: [String], _ n: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        guard tokens.count >= n else { return counts }
        for i in 0...(tokens.count - n) { counts[Array(tokens[i..<(i + n)]), default: 0] += 1 }
        return counts
    }
}
