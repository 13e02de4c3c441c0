// The stages joined: recipes, datasets, train, render, attention and eval (issue: End to end).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
