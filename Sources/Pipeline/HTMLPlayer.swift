// A player in the browser: one self-contained HTML page that plays the original video (a
// relative link) and draws danmaku's own layout over it in sync with playback — the same
// bands, timing, colours and motion as the burned video, in the bundled font embedded with
// @font-face. Nothing is re-encoded.
import Comments
import Foundation
import Render
import Tensor

/// Writes the HTML player page of a layout.
public enum HTMLPlayer {
    /// The page's text.
    ///
    /// Each comment is one absolutely positioned element of a stage the size of the layout
    /// (scaled to the displayed video); on every animation frame the comments on screen at the
    /// video's `currentTime` are shown at the layout's positions, so pause and seek need
    /// nothing more. `page.html#t=SECONDS` seeks there and shows that moment's comments even
    /// before the video can play (the browser test uses it). Shown elements carry
    /// `data-index` (the comment's index in the layout), `data-x` and `data-y` (its box's
    /// top-left corner in stage pixels at that moment).
    ///
    /// - Parameters:
    ///   - videoLink: the video's address relative to the page.
    ///   - font: the font file's bytes and its format (`truetype`, `opentype`, `collection`).
    public static func page(for layout: CommentLayout, videoLink: String, font: (data: Data, format: String), title: String) -> String {
        let stage = layout.stage
        let comments = layout.comments.map { comment -> [String: Any] in
            let ink = comment.color.luminance < 0.2 ? "#FFFFFF" : "#000000"
            return ["s": round3(comment.start), "e": round3(comment.end), "x0": round3(comment.startX), "x1": round3(comment.endX),
                    "y0": comment.y, "y1": comment.endY, "m0": round3(comment.moveStart), "m1": round3(comment.moveEnd),
                    "w": comment.width, "h": comment.height, "f": round3(comment.style.fontSize), "l": round3(comment.style.lineHeight),
                    "p": comment.style.padding, "r": round3(comment.style.strokeRadius), "o": round3(comment.opacity),
                    "c": String(format: "#%02X%02X%02X", comment.color.r, comment.color.g, comment.color.b),
                    "k": ink, "t": comment.lines.joined(separator: "\n")]
        }
        let json = (try? JSONSerialization.data(withJSONObject: comments, options: [.sortedKeys]))
            .flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        // `</` inside a script element would end it.
        let data = json.replacingOccurrences(of: "</", with: "<\\/")
        return """
        <!DOCTYPE html>
        <html lang="ja"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        \(fontFace(font))
        html, body { margin: 0; background: #000; height: 100%; }
        #player { position: relative; width: 100vw; height: 100vh; overflow: hidden; }
        #video { position: absolute; left: 0; top: 0; width: 100%; height: 100%; object-fit: contain; }
        #stage { position: absolute; left: 0; top: 0; width: \(stage.width)px; height: \(stage.height)px;
                 transform-origin: 0 0; pointer-events: none; overflow: hidden; }
        .comment { position: absolute; left: 0; top: 0; white-space: pre; font-family: "danmaku", sans-serif;
                   will-change: transform; }
        #controls { position: absolute; left: 8px; bottom: 8px; color: #fff; font: 13px sans-serif; }
        </style></head>
        <body><div id="player">
        <video id="video" src="\(escape(videoLink))" controls preload="auto"></video>
        <div id="stage" data-width="\(stage.width)" data-height="\(stage.height)"></div>
        </div>
        <script id="layout" type="application/json">\(data)</script>
        <script>
        "use strict";
        const comments = JSON.parse(document.getElementById("layout").textContent);
        const W = \(stage.width), H = \(stage.height);
        const video = document.getElementById("video"), stage = document.getElementById("stage");
        const shown = new Map();
        let fixedTime = null;
        function progress(c, t) {
          if (c.m1 > c.m0) return Math.min(1, Math.max(0, (t - c.m0) / (c.m1 - c.m0)));
          return t >= c.m1 ? 1 : 0;
        }
        function element(i) {
          const c = comments[i], div = document.createElement("div");
          div.className = "comment";
          div.dataset.index = i;
          div.textContent = c.t;
          const r = c.r, k = c.k;
          const shadow = [];
          for (let a = 0; a < 16; a++) {
            const dx = (r * Math.cos(a * Math.PI / 8)).toFixed(2), dy = (r * Math.sin(a * Math.PI / 8)).toFixed(2);
            shadow.push(`${dx}px ${dy}px 0 ${k}`);
          }
          div.style.cssText = `font-size:${c.f}px;line-height:${c.l}px;color:${c.c};opacity:${c.o};` +
            `text-shadow:${shadow.join(",")};`;
          return div;
        }
        // The comments by start time, and the longest any stays: those on screen at t started
        // in (t - longest, t], so a frame looks at those only, however long the thread.
        const byStart = comments.map((c, i) => i).sort((a, b) => comments[a].s - comments[b].s);
        const longest = comments.reduce((m, c) => Math.max(m, c.e - c.s), 0);
        function startedBy(t) {
          let lo = 0, hi = byStart.length;
          while (lo < hi) { const mid = (lo + hi) >> 1; if (comments[byStart[mid]].s <= t) lo = mid + 1; else hi = mid; }
          return lo;
        }
        function draw(t) {
          const visible = new Set();
          for (let j = startedBy(t) - 1; j >= 0 && comments[byStart[j]].s > t - longest; j--) {
            if (t < comments[byStart[j]].e) visible.add(byStart[j]);
          }
          for (const [i, div] of shown) if (!visible.has(i)) { div.remove(); shown.delete(i); }
          for (const i of visible) {
            const c = comments[i];
            let div = shown.get(i);
            if (!div) { div = element(i); shown.set(i, div); stage.appendChild(div); }
            const p = progress(c, t);
            const x = c.x0 + (c.x1 - c.x0) * p, y = c.y0 + 2 * Math.round((c.y1 - c.y0) * p / 2);
            div.dataset.x = x.toFixed(2);
            div.dataset.y = y;
            div.style.transform = `translate(${(x + c.p).toFixed(2)}px, ${y}px)`;
          }
          document.body.dataset.time = t;
        }
        function fit() {
          const box = video.getBoundingClientRect();
          const scale = Math.min(box.width / W, box.height / H);
          stage.style.transform = `translate(${(box.width - W * scale) / 2}px, ${(box.height - H * scale) / 2}px) scale(${scale})`;
        }
        function frame() {
          draw(fixedTime ?? video.currentTime);
          requestAnimationFrame(frame);
        }
        const match = /t=([0-9.]+)/.exec(location.hash);
        if (match) {
          fixedTime = parseFloat(match[1]);
          video.addEventListener("loadedmetadata", () => { video.currentTime = fixedTime; });
          video.addEventListener("play", () => { fixedTime = null; });
        }
        video.addEventListener("seeked", () => draw(video.currentTime));
        window.addEventListener("resize", fit);
        video.addEventListener("loadedmetadata", fit);
        fit();
        draw(fixedTime ?? 0);
        requestAnimationFrame(frame);
        </script>
        </body></html>

        """
    }

    /// Writes the page for `layout` to `path`, linking `video` relative to the page's folder
    /// and embedding the font at `fontPath`.
    ///
    /// - Throws: `PipelineError.invalidInput` when the font cannot be read, `AtomicFile.WriteError`.
    public static func write(layout: CommentLayout, video: String, fontPath: String, to path: String) throws {
        let page = page(for: layout, videoLink: relativeLink(from: path, to: video), font: try loadFont(fontPath),
                        title: (video as NSString).lastPathComponent)
        try AtomicFile.write(Data(page.utf8), to: path)
    }

    /// `target`'s path relative to the folder of `page`, percent-encoded for a URL.
    static func relativeLink(from page: String, to target: String) -> String {
        let base = URL(fileURLWithPath: page).standardizedFileURL.deletingLastPathComponent().pathComponents
        let destination = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        var common = 0
        while common < base.count && common < destination.count - 1 && base[common] == destination[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + destination[common...]
        return parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? $0 }
            .joined(separator: "/")
    }

    /// The CSS rule that makes `font` the family `danmaku`, embedded as a data URL.
    static func fontFace(_ font: (data: Data, format: String)) -> String {
        #"@font-face { font-family: "danmaku"; src: url(data:font/ttf;base64,\#(font.data.base64EncodedString())) format("\#(font.format)"); }"#
    }

    /// The font at `path` and its CSS format name.
    ///
    /// - Throws: `PipelineError.invalidInput` when the font cannot be read.
    static func loadFont(_ path: String) throws -> (data: Data, format: String) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PipelineError.invalidInput(path: path, reason: "cannot read the font to embed: \((error as NSError).localizedDescription)")
        }
        let ext = (path as NSString).pathExtension.lowercased()
        return (data, ext == "otf" ? "opentype" : ext == "ttc" ? "collection" : "truetype")
    }

    private static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
