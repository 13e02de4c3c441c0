// Ctrl-C: the first one asks the running stage to stop at its next safe point (after the
// current batch, or frame); a second one ends the process at once.
import Dispatch
import Foundation
import Synchronization

/// Watches SIGINT for the lifetime of one long command.
final class Interrupt {
    /// Set by the signal handler, read by the running stage.
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private let requested = Flag()
    private let source: DispatchSourceSignal

    /// Starts watching; SIGINT no longer kills the process until `stop()` is called.
    init(message: String) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        self.source = source
        source.setEventHandler { [requested] in
            if requested.value.exchange(true, ordering: .relaxed) {
                Diagnostics.emit("interrupted again: stopping now")
                exit(130)
            }
            Diagnostics.emit(message)
        }
        source.resume()
    }

    /// Whether Ctrl-C has been pressed.
    var isRequested: Bool { requested.value.load(ordering: .relaxed) }

    /// Restores the default SIGINT behaviour.
    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
