#!/bin/sh
# ctest entry point for the JavaScript-SDK interop scenario (rest_scenario.js).
# Fails loudly, never skips, when node or the npm packages are missing: CI
# installs them (setup.sh: node/npm; then `npm ci --prefix harness/interop`).
# Usage: run_interop.sh SANDBOX_BIN UPSTREAM_DIR [XML_FILE]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "interop: FAIL: node is not installed (setup.sh installs nodejs + npm)" >&2
  exit 1
fi
if [ ! -f "$here/node_modules/ably/package.json" ]; then
  echo "interop: FAIL: $here/node_modules is missing; install it with: npm ci --prefix harness/interop" >&2
  exit 1
fi
xml=""
[ $# -ge 3 ] && xml="--xml $3"
# shellcheck disable=SC2086
exec node "$here/rest_scenario.js" --sandbox "$1" --upstream "$2" $xml
