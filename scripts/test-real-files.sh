#!/usr/bin/env bash
# Runs the real-file suite, the command given as arguments, when ../shared/fixtures (the
# third-party files the suite reads) stands beside the package. Without it the suite is not
# run, and one line says so; with DANMAKU_REQUIRE_REAL_FIXTURES=1 (CI) that is an error.
set -euo pipefail

folder="$(cd "$(dirname "$0")/.." && pwd)/../shared/fixtures"
if [[ -d "$folder" ]]; then
    exec "$@"
fi
folder="../shared/fixtures ($(realpath -m "$folder"))"
if [[ "${DANMAKU_REQUIRE_REAL_FIXTURES:-}" == 1 ]]; then
    echo "danmaku: error: the real-file suite needs $folder, which is absent (DANMAKU_REQUIRE_REAL_FIXTURES=1)" >&2
    exit 1
fi
echo "danmaku: the real-file suite was not run: $folder is absent"
