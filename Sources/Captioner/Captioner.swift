// Show-and-Tell and Show, Attend and Tell with hand-written backprop (issue: Captioner).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
