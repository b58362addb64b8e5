#!/bin/sh
# ctest entry point for the JavaScript-SDK realtime interop scenario
# (realtime_scenario.mjs): ably-js against ably-sandbox, with ably-proxy in
# between for the dropped-transport step. Fails loudly, never skips, when node
# or the npm packages are missing (set-up: `npm ci --prefix harness/interop`).
# Usage: run_realtime_interop.sh SANDBOX_BIN PROXY_BIN UPSTREAM_DIR [XML_FILE]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "realtime interop: FAIL: node is not installed (setup.sh installs nodejs + npm)" >&2
  exit 1
fi
if [ ! -f "$here/node_modules/ably/package.json" ]; then
  echo "realtime interop: FAIL: $here/node_modules is missing; install it with: npm ci --prefix harness/interop" >&2
  exit 1
fi
xml=""
[ $# -ge 4 ] && xml="--xml $4"
# shellcheck disable=SC2086
exec node "$here/realtime_scenario.mjs" --sandbox "$1" --proxy "$2" --upstream "$3" $xml
