#!/bin/sh
# Protocol change in one command: re-import the features spec, regenerate
# generated/, rebuild, rerun every test, report coverage (with the gate), and
# list the spec IDs that are new, removed or changed since the committed spec/,
# with the tests that name them (build/report/spec-diff.md).
#
#   harness/update_spec.sh [path/to/features.md]
#
# Default source: ../shared/upstream/specification/specifications/features.md.
# Environment: ABLY_BUILD_DIR (default build). Writes spec/ and generated/ in the
# work tree; review and commit them (and refresh the baseline: see harness/README.md).
# Exit status: non-zero when a step fails or the tests/gate fail; the diff is
# written either way.
set -eu
cd "$(dirname "$0")/.."
PY="$(sh codegen/find_python.sh)"
BUILD_DIR="${ABLY_BUILD_DIR:-build}"
old="$(mktemp)"
trap 'rm -f "$old"' EXIT INT TERM

# "Committed" is HEAD when this is a git checkout, else the file as it is now.
if git rev-parse --verify -q HEAD:spec/features.json >/dev/null 2>&1; then
  git show HEAD:spec/features.json >"$old"
else
  cp spec/features.json "$old"
fi

echo "== re-import the features spec"
if [ $# -gt 0 ]; then
  "$PY" codegen/import_spec.py --source "$1"
else
  "$PY" codegen/import_spec.py
fi

echo "== regenerate generated/"
"$PY" codegen/generate.py

echo "== rebuild and rerun"
status=0
cmake -S . -B "$BUILD_DIR" >/dev/null && cmake --build "$BUILD_DIR" -j "$(nproc)" || status=1
rm -rf "$BUILD_DIR/test-results"
mkdir -p "$BUILD_DIR/test-results"
if [ $status -eq 0 ]; then
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" || status=1
  "$PY" harness/report.py --results "$BUILD_DIR/test-results" --out "$BUILD_DIR/report" --gate || status=1
fi

echo "== spec items new, removed or changed since the committed spec/"
"$PY" harness/spec_diff.py --old "$old" --out "$BUILD_DIR/report/spec-diff.md"
exit $status
