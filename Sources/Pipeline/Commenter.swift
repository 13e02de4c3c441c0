// A bundle's model as a writer of comments for frames: the decoder and the decoding strategy
// its recipe describes. Generation, attention sheets, evaluation and the training report all
// write comments through it.
import Captioner
import Tensor

/// Writes comments for frames with a bundle's model.
struct Commenter {
    let bundle: ModelBundle
    /// The decoder the recipe describes: its length and repetition limits
    /// (`decoding.max_tokens`, `decoding.max_repeats`), and no token of the vocabulary that
    /// holds a control character or only whitespace.
    let decoder: Decoder
    let strategy: DecodingStrategy
    /// The comments the model reads as context (`model.context_comments` within
    /// `model.context_seconds`); none for a model trained without context.
    let window: ContextWindow

    /// - Parameter strategy: the strategy to use instead of the recipe's `decoding.strategy`.
    init(bundle: ModelBundle, strategy: DecodingStrategy.Name? = nil) {
        self.bundle = bundle
        let decoding = bundle.recipe.decoding
        decoder = Decoder(model: bundle.model, maxLength: decoding.maxTokens, maxRepeats: decoding.maxRepeats,
                          bannedTokens: Decoder.unspeakable(bundle.vocabulary.tokens))
        window = ContextWindow(count: bundle.model.config.readsContext ? bundle.recipe.model.contextComments : 0,
                               seconds: bundle.recipe.model.contextSeconds)
        self.strategy = Self.decodingStrategy(strategy ?? decoding.strategy, bundle: bundle)
    }

    /// One comment for `frame` (a row of the bundle's features, `config.frameShape`), the
    /// frame of sample `sample` at `time` seconds, after the comments `context` (token ids,
    /// oldest first; read by a model with context), with its attention.
    func comment(on frame: Tensor, sample: Int, time: Double, context: [[Int]] = [], using generator: inout SplitMix64) -> CommentAttention {
        let caption = decoder.decode(frame, context: context, strategy: strategy, using: &generator)
        return CommentAttention(sample: sample, time: time, tokens: bundle.vocabulary.decode(caption.tokens),
                                alphas: caption.attention ?? [], context: context.map { bundle.vocabulary.decode($0) })
    }

    private static func decodingStrategy(_ strategy: DecodingStrategy.Name, bundle: ModelBundle) -> DecodingStrategy {
        let decoding = bundle.recipe.decoding
        switch strategy {
        case .article:
            var counts: [Int: Double] = [:]
            for (token, count) in bundle.stats.firstTokens {
                if let id = bundle.vocabulary.id(of: token) { counts[id, default: 0] += Double(count) }
            }
            let first = FirstTokenDistribution(counts: counts, vocabularySize: bundle.vocabulary.count)
            return first.weights.contains { $0 > 0 } ? .article(firstTokens: first) : .greedy
        case .sample:
            return .sample(temperature: Float(decoding.temperature), topK: decoding.topK > 0 ? decoding.topK : nil)
        case .beam:
            return .beam(width: decoding.beamWidth, lengthNormalisation: 0, firstStepTemperature: Float(decoding.temperature))
        }
    }
}
