#!/bin/sh
# One command from a fresh Debian 12 machine: install what libably needs,
# configure, build, and run the demo (demo.sh) against the local sandbox.
# Idempotent; quiet when nothing is missing.
# (chromium: the conformance report's HTML page is checked in a real browser;
# doxygen: the API reference, cmake --build build --target docs.)
# Environment: ABLY_BUILD_DIR (default build), ABLY_SANITIZE=ON for ASan+UBSan,
# ABLY_SETUP_DEMO=0 to skip the demo.
set -eu
cd "$(dirname "$0")"

DEPS="build-essential cmake pkg-config libcurl4-openssl-dev libwebsockets-dev libcjson-dev
libmsgpack-dev libsodium-dev libssl-dev libcmocka-dev python3 python3-jinja2 python3-yaml
chromium doxygen"

missing=""
for pkg in $DEPS; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
# Node.js runs the official JavaScript SDK for interop tests. Any install will do
# (some images ship NodeSource's nodejs, which bundles npm and conflicts with
# Debian's npm package), so only install Debian's when there is none.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The official JavaScript SDK, pinned by harness/interop/package-lock.json, for
# the interop tests (a second client we did not write).
if [ ! -d harness/interop/node_modules/ably ]; then
  echo "setup: installing the JavaScript SDK for interop tests (npm ci)"
  npm ci --prefix harness/interop --no-audit --no-fund --loglevel=error >/dev/null
fi

BUILD_DIR="${ABLY_BUILD_DIR:-build}"
SANITIZE="${ABLY_SANITIZE:-OFF}"
mkdir -p "$BUILD_DIR"
log="$BUILD_DIR/build.log"
if ! { cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DABLY_SANITIZE="$SANITIZE" &&
       cmake --build "$BUILD_DIR" -j "$(nproc)"; } >"$log" 2>&1; then
  cat "$log"
  echo "setup: build failed (log above, also in $log)" >&2
  exit 1
fi
echo "setup: built libably in $BUILD_DIR/"

# The main job: publish, subscribe and history end to end through the `ably`
# CLI against the local sandbox, which it starts (and stops) by itself.
# test.sh sets ABLY_SETUP_DEMO=0 because its tests start their own sandboxes.
if [ "${ABLY_SETUP_DEMO:-1}" != 0 ]; then
  ABLY_BUILD_DIR="$BUILD_DIR" ./demo.sh
fi
