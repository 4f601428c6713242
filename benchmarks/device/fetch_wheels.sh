#!/usr/bin/env bash
# Here, before a GPU run: download benchmarks/device/wheels.txt for the GPU machine's
# Python 3.12 into .whl/ (git-ignored locally), which the run carries (carry: [".whl"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
mkdir -p .whl
grep -v '^#' benchmarks/device/wheels.txt | xargs python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl
ls -l .whl
