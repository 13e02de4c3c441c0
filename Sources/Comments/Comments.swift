// Comment files, mail commands, MeCab tokens and the vocabulary (issue: Comments).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
internal import CMeCab
