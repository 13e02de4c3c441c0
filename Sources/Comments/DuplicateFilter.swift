// Several comment files for one video (an XML and a JSON dump of the same thread, two Bilibili
// segments that overlap): the same comment must count once.

/// Drops the comments of later files that an earlier file of the same video already holds.
///
/// Two comments are the same when both have the format's own id and it is equal (`sourceID`:
/// the v1 `id`, Bilibili's dmid), or when their number, vpos and (repaired) text are equal —
/// which finds the same comment in an XML and a JSON dump. Within one file nothing is dropped:
/// real files repeat `no="-1"` and the same `8888` at the same time.
public struct DuplicateFilter: Sendable {
    private struct Key: Hashable {
        var number: Int
        var vpos: Int
        var text: String
    }

    private var ids: Set<String> = []
    private var keys: Set<Key> = []
    /// Comments dropped so far.
    public private(set) var dropped = 0

    public init() {}

    /// The comments of the next file that no earlier file held; remembers them for the files after.
    public mutating func add(_ comments: [Comment]) -> [Comment] {
        var kept: [Comment] = []
        kept.reserveCapacity(comments.count)
        var newIDs: [String] = [], newKeys: [Key] = []
        for comment in comments {
            let key = Key(number: comment.number, vpos: comment.vpos, text: comment.text)
            if (!comment.sourceID.isEmpty && ids.contains(comment.sourceID)) || keys.contains(key) {
                dropped += 1
                continue
            }
            if !comment.sourceID.isEmpty { newIDs.append(comment.sourceID) }
            newKeys.append(key)
            kept.append(comment)
        }
        ids.formUnion(newIDs)
        keys.formUnion(newKeys)
        return kept
    }
}
