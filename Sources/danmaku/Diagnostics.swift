// How the command line talks to a person: one `danmaku: …` line per message on stderr.
import ArgumentParser
import Foundation
import Logging

enum Diagnostics {
    /// Sends every library's log through one stderr handler (once per process).
    static func bootstrap() {
        let level: Logger.Level = ProcessInfo.processInfo.environment["DANMAKU_LOG"]
            .flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { _ in
            var handler = StderrLogHandler()
            handler.logLevel = level
            return handler
        }
    }

    /// Writes `danmaku: MESSAGE` as one line on stderr.
    static func emit(_ message: String) {
        let line = "danmaku: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The one-line message of a usage error (a parse or validation failure), or nil when
    /// `error` came from the run itself.
    static func usageMessage(for error: Error, commandMessage: String) -> String? {
        guard error is ValidationError || Danmaku.exitCode(for: error) == .validationFailure else { return nil }
        let firstLine = commandMessage.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init)
        return (firstLine ?? commandMessage).replacingOccurrences(of: "Error: ", with: "")
    }

    /// A one-line description of a run failure: the error's own description when it has one.
    static func describe(_ error: Error) -> String {
        if let error = error as? LocalizedError, let text = error.errorDescription { return text }
        return String(describing: error)
    }
}

/// A log handler that writes `danmaku: LEVEL: message` lines to stderr.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "\(event.level): " : ""
        Diagnostics.emit(prefix + event.message.description)
    }
}
