// FFmpeg wrappers: reading, sampling, scaling and encoding video (issue: Media).
// See ../shared/DESIGN.md for where this module sits; it grows as its issue is built.
internal import CFFmpeg
