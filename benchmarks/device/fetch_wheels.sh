#!/usr/bin/env bash
# Here, before a GPU run: download benchmarks/device/wheels.txt for the GPU machine's
# Python 3.12 into .whl/ (git-ignored locally), which the run carries (carry: [".whl"]).
# Packages published as sources only (deepspeed, sqlitedict, word2number, rouge_score) are
# built here into pure-Python wheels; DeepSpeed's ops compile there at first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
mkdir -p .whl
for pin in $(grep -v '^#' benchmarks/device/wheels.txt) deepspeed==0.19.8; do
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$pin" 2>/dev/null ||
        DS_BUILD_OPS=0 .venv/bin/python -m pip wheel --quiet --no-deps --no-build-isolation -w .whl "$pin"
done
ls .whl
du -sh .whl
