// Comment files → the token sequences the model learns from, by the recipe's `comments`
// settings. Training and evaluation prepare comments the same way, here.
import Comments

/// Reads, filters, normalises and tokenises the comments of one video's files.
struct CommentPreparation {
    /// One video's comments after preparation.
    struct Prepared {
        /// The comments the model may learn from, with their tokens, in file order.
        var usable: [(comment: Comment, tokens: [String])] = []
        /// Comments read, deleted ones included.
        var read = 0
        /// Comments left out, per reason (`DropReason` names, `no-tokens`, `too-many-tokens`).
        var dropped: [String: Int] = [:]
        /// What the text repair changed.
        var repairs = TextRepair.Counts()
    }

    private let settings: Recipe.Comments
    private let tokenizer: any Tokenizer
    private let normalizer: TextNormalizer
    private let filter: TrainingFilter

    /// - Throws: `CommentsError.tokenizerUnavailable` when MeCab's dictionary is missing.
    init(recipe: Recipe) throws {
        settings = recipe.comments
        tokenizer = try settings.tokenizer.make()
        normalizer = TextNormalizer(nfkc: settings.nfkc, maximumRun: settings.maxRun)
        filter = TrainingFilter(keepArt: settings.keepArt)
    }

    /// The comments of `files`, all of one video: a comment an earlier file already holds
    /// counts once (`DuplicateFilter`; within one file nothing is dropped as a duplicate).
    ///
    /// - Throws: `CommentsError` for a file that cannot be read.
    func prepare(files: [String]) throws -> Prepared {
        var prepared = Prepared()
        var duplicates = DuplicateFilter()
        for path in files {
            let file = try CommentFile.contents(path: path)
            prepared.repairs.add(file.repairs)
            add(file.comments, to: &prepared, duplicates: &duplicates)
        }
        return prepared
    }

    /// The comments of one file already read (`CommentFile.load`).
    func prepare(_ comments: [Comment]) -> Prepared {
        var prepared = Prepared()
        var duplicates = DuplicateFilter()
        add(comments, to: &prepared, duplicates: &duplicates)
        return prepared
    }

    /// Filters, drops what `duplicates` has seen, and tokenises `comments` into `prepared`.
    private func add(_ comments: [Comment], to prepared: inout Prepared, duplicates: inout DuplicateFilter) {
        prepared.read += comments.count
        let filtered = filter.apply(comments)
        for (reason, count) in filtered.dropped { prepared.dropped[reason.rawValue, default: 0] += count }
        let fresh = duplicates.add(filtered.kept)
        if fresh.count < filtered.kept.count {
            prepared.dropped[DropReason.duplicate.rawValue, default: 0] += filtered.kept.count - fresh.count
        }
        for comment in fresh {
            let tokens = tokenizer.tokenize(normalizer.normalize(comment.text))
            if tokens.isEmpty {
                prepared.dropped["no-tokens", default: 0] += 1
            } else if settings.maxTokens > 0 && tokens.count > settings.maxTokens {
                prepared.dropped["too-many-tokens", default: 0] += 1
            } else {
                prepared.usable.append((comment, tokens))
            }
        }
    }
}
