#!/usr/bin/env bash
# The Python package's tests, as a user meets the package: build the wheel with
# maturin, install it into a FRESH virtual environment (nothing else of the workspace on
# its path), then run the pytest suite and mypy --strict on typed usage against it.
#
#     bash bindings/python/test.sh
#
# Needs python3 (>= 3.9) with venv and network access to PyPI (maturin, pytest, mypy,
# at the pinned versions below). tests/run-all.sh runs it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

MATURIN_VERSION=1.16.0
PYTEST_VERSION=8.3.5
MYPY_VERSION=1.15.0

python3 -c 'import sys; assert sys.version_info >= (3, 9), sys.version' || {
    echo "bindings/python: python3 >= 3.9 is needed" >&2
    exit 1
}

# The build environment (kept between runs in target/: maturin only).
build_env="$target/python-build-env"
if [[ "$("$build_env/bin/maturin" --version 2>/dev/null)" != "maturin $MATURIN_VERSION" ]]; then
    rm -rf "$build_env"
    python3 -m venv "$build_env"
    "$build_env/bin/pip" install -q "maturin==$MATURIN_VERSION"
fi
wheels="$(mktemp -d)"
test_env="$(mktemp -d)/venv"
trap 'rm -rf "$wheels" "$(dirname "$test_env")"' EXIT

# A debug-profile wheel: the workspace's dev build is already there, so only the
# extension module is compiled; the wheel is the same abi3 package a release builds.
(cd "$here" && CARGO_TARGET_DIR="$target" "$build_env/bin/maturin" build --quiet -o "$wheels")
wheel="$(ls "$wheels"/polc-*-abi3-*.whl)"
echo "built $(basename "$wheel")"

python3 -m venv "$test_env"
"$test_env/bin/pip" install -q "$wheel" "pytest==$PYTEST_VERSION" "mypy==$MYPY_VERSION"
# Run from a directory without a `polc` package, so the installed wheel is what is tested.
cd "$here/tests"
# A hang (a lock never released, a child never reaped) fails the run instead of stalling it.
POLC_ROOT="$root" timeout 600 "$test_env/bin/python" -m pytest -q -p no:cacheprovider .
"$test_env/bin/python" -m mypy --strict --no-incremental typed_usage.py
