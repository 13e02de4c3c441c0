// `danmaku tokenize`: how the comments of a file look to the model.
import ArgumentParser
import Comments
import Foundation

extension TokenizerKind: ExpressibleByArgument {}

extension Danmaku {
    struct Tokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the training tokens of a comment file (Niconico XML/JSON, yt-dlp, niconicomments, Bilibili XML/protobuf).",
            discussion: """
                Prints one kept comment per line: time in seconds, mail commands, tokens joined \
                by spaces (tab-separated). Text is repaired first (mojibake, control characters, \
                U+FFFD). Deleted comments, owner scripts, invisible, empty, non-text comments and \
                comment art are dropped; text is NFKC-normalised, newlines become spaces and runs \
                of one character are cut to 4.
                """)

        @Argument(help: "The comment file; the format is read from its content.")
        var file: String

        @Flag(help: "Print JSON lines (one object per comment, or the statistics as one object).")
        var json = false

        @Flag(help: "Print totals, kept/dropped by reason, what was repaired, distinct and most frequent tokens, and the comments-per-second histogram instead of the comments.")
        var stats = false

        @Option(help: "The tokenizer: mecab (Japanese words) or char (one token per character).")
        var tokenizer: TokenizerKind = .mecab

        func run() throws {
            let report = TokenizeReport(file: try CommentFile.contents(path: file), tokenizer: try tokenizer.make())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var out = ""
            switch (stats, json) {
            case (true, true): out = String(decoding: try encoder.encode(report.statistics), as: UTF8.self) + "\n"
            case (true, false): out = report.statistics.text + "\n"
            case (false, true):
                for comment in report.comments { out += String(decoding: try encoder.encode(comment), as: UTF8.self) + "\n" }
            case (false, false):
                for comment in report.comments { out += comment.line + "\n" }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
