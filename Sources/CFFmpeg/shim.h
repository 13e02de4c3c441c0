// FFmpeg headers for the Media module, and the macros Swift cannot import re-exposed as functions.
#ifndef DANMAKU_CFFMPEG_SHIM_H
#define DANMAKU_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

/// `AVERROR(e)`: the negative FFmpeg error code for a POSIX errno value.
static inline int danmaku_averror(int posixError) { return AVERROR(posixError); }
/// `AVERROR(EAGAIN)`: send/receive wants more input or output first (a result, not an error).
static inline int danmaku_averror_eagain(void) { return AVERROR(EAGAIN); }
/// `AVERROR_EOF`: the end of a stream.
static inline int danmaku_averror_eof(void) { return AVERROR_EOF; }
/// `AVERROR_INVALIDDATA`: corrupt input.
static inline int danmaku_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// `AVERROR_ENCODER_NOT_FOUND`.
static inline int danmaku_averror_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
/// `AVERROR_DECODER_NOT_FOUND`.
static inline int danmaku_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
/// `AV_NOPTS_VALUE`: a timestamp that is not known.
static inline int64_t danmaku_av_nopts_value(void) { return AV_NOPTS_VALUE; }
/// `AV_TIME_BASE`: the internal time base's denominator (microseconds).
static inline int danmaku_av_time_base(void) { return AV_TIME_BASE; }
/// `AV_TIME_BASE_Q`: the internal time base as a rational.
static inline AVRational danmaku_av_time_base_q(void) { AVRational q = {1, AV_TIME_BASE}; return q; }
/// `AV_ERROR_MAX_STRING_SIZE`: the buffer size `av_strerror` needs.
static inline int danmaku_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }

#endif
