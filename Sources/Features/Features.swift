// VGG features on OpenBLAS with pretrained weights (issue: Features).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
internal import CHDF5
