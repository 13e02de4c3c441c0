// Splitting comment text into tokens: MeCab words for Japanese, graphemes for the rest.

/// Splits one normalised comment into tokens.
///
/// Implementations need not be thread-safe: make one tokenizer per thread.
public protocol Tokenizer {
    /// The tokens of `text`, in order; whitespace is never a token.
    func tokenize(_ text: String) -> [String]
}

/// The tokenizers the command line offers.
public enum TokenizerKind: String, Sendable, CaseIterable {
    /// MeCab words with the IPA dictionary (Japanese).
    case mecab
    /// One token per grapheme (Chinese, or anything MeCab does not serve).
    case char

    /// A new tokenizer of this kind (one per thread).
    ///
    /// - Throws: `CommentsError.tokenizerUnavailable` when MeCab's dictionary is missing.
    public func make() throws(CommentsError) -> any Tokenizer {
        switch self {
        case .mecab: try MeCabTokenizer()
        case .char: CharacterTokenizer()
        }
    }
}

/// One token per extended grapheme cluster, whitespace dropped: `草ｗ` → `草 ｗ`,
/// and an emoji with modifiers stays one token.
public struct CharacterTokenizer: Tokenizer, Sendable {
    public init() {}

    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        tokens.reserveCapacity(text.utf8.count / 2)
        for character in text where !character.isWhitespace {
            tokens.append(String(character))
        }
        return tokens
    }
}
