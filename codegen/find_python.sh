#!/bin/sh
# Prints the path of a python3 that can import jinja2 and yaml, or explains in
# one line why there is none and exits 1. The python3 first on PATH may be a
# pyenv build without Debian's modules, so Debian's own is preferred.
for py in "${ABLY_PYTHON:-}" /usr/bin/python3 python3; do
  [ -n "$py" ] || continue
  if "$py" -c 'import jinja2, yaml' >/dev/null 2>&1; then
    command -v "$py"
    exit 0
  fi
done
echo "codegen: no python3 with jinja2 and yaml found (install python3-jinja2 python3-yaml, or set ABLY_PYTHON)" >&2
exit 1
