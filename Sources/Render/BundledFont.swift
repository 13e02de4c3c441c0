// Where the bundled font (Fonts/ipaexg.ttf, IPAex Gothic) is found at run time.
import Foundation

/// Finds the font shipped in the package's `Fonts/` directory.
public enum BundledFont {
    /// The bundled font's file name.
    public static let fileName = "ipaexg.ttf"

    /// The places searched, in order:
    /// 1. `$DANMAKU_FONTS/ipaexg.ttf` (an installation may point it anywhere);
    /// 2. `Fonts/` and `share/danmaku/Fonts/` in the running executable's directory and each
    ///    directory above it (covers `.build/release/danmaku` inside the package and a
    ///    `prefix/bin` + `prefix/share` installation);
    /// 3. `Fonts/` of the package this module was compiled from;
    /// 4. Debian's copy, `/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf`.
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var paths: [String] = []
        if let directory = environment["DANMAKU_FONTS"], !directory.isEmpty {
            paths.append(URL(fileURLWithPath: directory).appendingPathComponent(fileName).path)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for directory in ancestors(of: executable) {
            paths.append(directory.appendingPathComponent("Fonts").appendingPathComponent(fileName).path)
            paths.append(directory.appendingPathComponent("share/danmaku/Fonts").appendingPathComponent(fileName).path)
        }
        for directory in ancestors(of: URL(fileURLWithPath: #filePath)) {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                paths.append(directory.appendingPathComponent("Fonts").appendingPathComponent(fileName).path)
                break
            }
        }
        paths.append("/usr/share/fonts/opentype/ipaexfont-gothic/\(fileName)")
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// The first candidate that exists.
    ///
    /// - Throws: `RenderError.bundledFontMissing` listing every place searched.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let searched = candidates(environment: environment)
        guard let found = searched.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw RenderError.bundledFontMissing(searched: searched)
        }
        return found
    }

    /// `url`'s directory and every directory above it, nearest first.
    private static func ancestors(of url: URL) -> [URL] {
        var directories: [URL] = []
        var directory = url.deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            directories.append(directory)
            directory.deleteLastPathComponent()
        }
        return directories
    }
}
