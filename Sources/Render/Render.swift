// Niconico-style comments drawn with FreeType (issue: Render).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
internal import CFreeType
