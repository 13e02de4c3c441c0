// Niconico-style comments drawn with FreeType. The only module that imports CFreeType.
//
// How the Pipeline uses it (Render draws onto Media's `YUVPlanes` in Comments' `RGBColor`s,
// and knows no comment file format: the Pipeline maps a `Comment` onto a `RenderComment`):
//
//     let typesetter = try Typesetter(fontPath: options.font)          // nil: bundled IPAex Gothic
//     var generator = SplitMix64(seed: options.seed)
//     let layout = NiconicoLayout.place(renderComments, on: Stage(width: w, height: h),
//                                       typesetter: typesetter, using: &generator)
//     if !layout.hasComments(from: 0, to: duration) { /* warn: nothing to draw */ }
//     let compositor = Compositor(layout: layout, typesetter: typesetter, matrix: h >= 720 ? .bt709 : .bt601)
//     for each decoded frame: try frame.withMutablePlanes { compositor.draw(at: frame.time, onto: $0) }
//     let ass = ASSWriter.script(for: layout, fontName: typesetter.font.familyName)
//
// Files: FontFace (FreeType face + glyph cache), BundledFont (where Fonts/ipaexg.ttf is found),
// Typesetter (clusters → glyphs, fallback face, missing-glyph warning, comment bitmaps),
// Layout (Niconico timing and band allocation), Sprite (premultiplied blend planes and the
// row kernels), Compositor (YUV 4:2:0 and RGB24 drawing), ASSWriter (soft subtitles).
