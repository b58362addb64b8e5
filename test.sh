#!/bin/sh
# The whole test suite: build (via setup.sh), run every test tier, then report
# spec coverage from the results and apply the conformance gate. Exit status
# is non-zero if anything failed.
# Environment: ABLY_BUILD_DIR (default build), ABLY_SANITIZE=ON for ASan+UBSan.
set -eu
cd "$(dirname "$0")"
ABLY_SETUP_DEMO=0 ./setup.sh
BUILD_DIR="${ABLY_BUILD_DIR:-build}"
# cmocka will not overwrite an existing XML result file: start clean.
rm -rf "$BUILD_DIR/test-results"
mkdir -p "$BUILD_DIR/test-results"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" || status=$?
PY="$(sh codegen/find_python.sh)"
if [ -f harness/report.py ]; then
  # --gate: fail on a regression against harness/baseline.json, an unlisted
  # failure, a stale known failure, or coverage below the baseline.
  "$PY" harness/report.py --results "$BUILD_DIR/test-results" --out "$BUILD_DIR/report" --gate || status=1
fi
exit $status
