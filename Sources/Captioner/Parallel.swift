// Splitting per-row work of the recurrence over the cores: the attention step streams the
// `[B, L, D]` annotations and `[B, L, A]` activations each step, work that OpenBLAS's own
// threads do not cover.
import Dispatch
import Tensor

/// Runs `body(part, rows)` for `parts` contiguous slices of `0..<count`, each on its own thread.
///
/// The split depends only on `count` and `parts`, never on scheduling, so results that are
/// combined per part (in part order) are the same on every run.
func forEachPart(_ count: Int, parts: Int = BLAS.threadCount, _ body: (_ part: Int, _ rows: Range<Int>) -> Void) {
    let parts = max(1, min(parts, count))
    guard parts > 1 else {
        body(0, 0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = SharedBody(run: body)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            shared.run(part, (count * part / parts)..<(count * (part + 1) / parts))
        }
    }
}

/// The body of `forEachPart`, handed to the worker threads. `@unchecked Sendable` because its
/// callers give each part disjoint rows of the buffers it captures (or per-part scratch), and
/// `forEachPart` returns only after every part has finished.
private struct SharedBody: @unchecked Sendable {
    let run: (Int, Range<Int>) -> Void
}
