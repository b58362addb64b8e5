#!/bin/sh
# Driver of the tool_install ctest test (see tests/install/CMakeLists.txt, which sets
# the environment below). Each check is one JUnit test case in $ABLY_TEST_XML.
#   ABLY_BUILD           the configured and built libably build tree
#   ABLY_WORK            scratch directory (wiped first): prefix/, builds, logs
#   ABLY_CONSUMER_SRC    tests/install/consumer (consumer.c + its CMakeLists.txt)
#   ABLY_CC, ABLY_CMAKE  the compiler and cmake the build used
#   ABLY_CONSUMER_FLAGS  extra compile+link flags (the sanitizer flags under ASan)
#   ABLY_VERSION         the project version find_package must report
set -u
: "${ABLY_BUILD:?}" "${ABLY_WORK:?}" "${ABLY_CONSUMER_SRC:?}" "${ABLY_CC:?}" "${ABLY_CMAKE:?}"
FLAGS="${ABLY_CONSUMER_FLAGS:-}"
WARN="-std=c11 -Wall -Wextra -Werror"
prefix="$ABLY_WORK/prefix"
rm -rf "$ABLY_WORK"
mkdir -p "$ABLY_WORK/logs"
cases="$ABLY_WORK/cases.xml"
: >"$cases"
failed=0
total=0

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

# check NAME FUNCTION: runs FUNCTION with its output in logs/NAME.log; a non-zero
# status fails the case, with the log's tail as the message.
check() {
  name=$1 fn=$2 log="$ABLY_WORK/logs/$1.log"
  total=$((total + 1))
  if (set -e; "$fn") >"$log" 2>&1; then
    echo "ok   $name"
    printf '<testcase name="%s" time="0"></testcase>\n' "$name" >>"$cases"
  else
    failed=$((failed + 1))
    echo "FAIL $name (log: $log)"
    tail -n 30 "$log" | sed 's/^/     /'
    { printf '<testcase name="%s" time="0"><failure message="%s failed">' "$name" "$name"
      tail -n 30 "$log" | xml_escape
      printf '</failure></testcase>\n'; } >>"$cases"
  fi
}

write_xml() {
  [ -n "${ABLY_TEST_XML:-}" ] || return 0
  mkdir -p "$(dirname "$ABLY_TEST_XML")"
  { printf '<?xml version="1.0" encoding="UTF-8" ?>\n<testsuites>\n'
    printf '<testsuite name="install" time="0" tests="%d" failures="%d" errors="0" skipped="0">\n' \
      "$total" "$failed"
    cat "$cases"
    printf '</testsuite>\n</testsuites>\n'; } >"$ABLY_TEST_XML"
}

die() { echo "$*" >&2; exit 1; }

# The libdir GNUInstallDirs chose (lib, or lib/<multiarch> when configured for /usr).
find_libdir() { dirname "$(find "$prefix" -name ably.pc -path '*/pkgconfig/*' | head -n 1)" | sed 's,/pkgconfig$,,'; }

# Shared-library dependencies of an executable or library.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# ---- the checks

do_install() {
  "$ABLY_CMAKE" --install "$ABLY_BUILD" --prefix "$prefix"
}

do_layout() {
  libdir=$(find_libdir)
  [ -d "$libdir" ] || die "no ably.pc installed"
  for f in include/ably/ably.h include/ably/error.h include/ably/gen/types.h include/ably/gen/errors.h \
           bin/ably-sandbox bin/ably; do
    [ -e "$prefix/$f" ] || die "missing $f"
  done
  for f in libably.a libably.so pkgconfig/ably.pc pkgconfig/ably-static.pc \
           cmake/ably/ablyConfig.cmake cmake/ably/ablyConfigVersion.cmake cmake/ably/ablyTargets.cmake; do
    [ -e "$libdir/$f" ] || die "missing $libdir/$f"
  done
  # The SONAME and its symlink chain: libably.so -> libably.so.N -> libably.so.N.x.y.
  soname=$(readelf -d "$libdir/libably.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "SONAME $soname"
  case "$soname" in libably.so.[0-9]*) ;; *) die "bad SONAME '$soname'" ;; esac
  [ -L "$libdir/libably.so" ] && [ -L "$libdir/$soname" ] || die "libably.so / $soname are not symlinks"
  [ -f "$libdir/libably.so.$ABLY_VERSION" ] || die "missing libably.so.$ABLY_VERSION"
  # Only the products in bin/ (the ably CLI and ably-sandbox): no test, bench or harness binaries.
  extra=$(ls "$prefix/bin" | grep -vx -e ably-sandbox -e ably || true)
  [ -z "$extra" ] || die "unexpected programs installed: $extra"
  # Exactly the public headers: none of runtime/src's internal headers.
  find "$prefix/include" -type f | sed "s,^$prefix/include/,," | sort >"$ABLY_WORK/headers.txt"
  cat "$ABLY_WORK/headers.txt"
  grep -v '^ably/' "$ABLY_WORK/headers.txt" && die "headers outside include/ably/"
  grep -e '_internal\.h$' -e '\.c$' "$ABLY_WORK/headers.txt" && die "internal files installed"
  return 0
}

# Every installed header compiles alone, seeing only the installed include dir:
# no public header may include one from runtime/src.
do_headers_standalone() {
  mkdir -p "$ABLY_WORK/headers"
  while read -r h; do
    src="$ABLY_WORK/headers/$(echo "$h" | tr '/.' '__').c"
    printf '#include <%s>\n#include <%s> /* twice: include guards */\n' "$h" "$h" >"$src"
    echo "compile $h"
    # shellcheck disable=SC2086
    "$ABLY_CC" $WARN -I"$prefix/include" -fsyntax-only "$src"
  done <"$ABLY_WORK/headers.txt"
}

# pkg-config: a fresh pkg-config path holding only the installed ably*.pc first.
pc() { PKG_CONFIG_PATH="$(find_libdir)/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config "$@"; }

do_pkgconfig_shared() {
  flags=$(pc --cflags --libs ably)
  echo "pkg-config --cflags --libs ably: $flags"
  out="$ABLY_WORK/pc_shared"
  # shellcheck disable=SC2086
  "$ABLY_CC" $WARN $FLAGS -o "$out" "$ABLY_CONSUMER_SRC/consumer.c" $flags -Wl,-rpath,"$(find_libdir)"
  needed "$out" | grep -qx 'libably\.so\.[0-9]*' || die "not linked to libably.so: $(needed "$out")"
  "$out"
}

do_pkgconfig_static() {
  # The static metadata of ably.pc: every dependency module and the system libraries.
  requires=$(pc --print-requires-private ably | tr '\n' ' ')
  echo "Requires.private: $requires"
  for m in libcurl libwebsockets libcjson msgpack libsodium openssl; do
    echo " $requires" | grep -q " $m\( \|$\)" || die "ably.pc Requires.private lacks $m"
  done
  static=$(pc --static --libs ably)
  echo "pkg-config --static --libs ably: $static"
  for l in -lably -lpthread -lm -lcurl -lwebsockets -lcjson -lsodium -lssl; do
    echo " $static " | grep -q -- " $l " || die "--static --libs ably lacks $l"
  done
  # The link itself: libably.a with shared dependencies (ably-static.pc), since
  # Debian ships no static archive of some of libcurl's dependencies.
  flags=$(pc --cflags --libs ably-static)
  echo "pkg-config --cflags --libs ably-static: $flags"
  out="$ABLY_WORK/pc_static"
  # shellcheck disable=SC2086
  "$ABLY_CC" $WARN $FLAGS -o "$out" "$ABLY_CONSUMER_SRC/consumer.c" $flags
  if needed "$out" | grep -q '^libably'; then die "linked to the shared libably"; fi
  "$out"
}

do_cmake_package() {
  bin="$ABLY_WORK/cmake_consumer"
  "$ABLY_CMAKE" -S "$ABLY_CONSUMER_SRC" -B "$bin" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER="$ABLY_CC" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $FLAGS" \
      -DCMAKE_EXE_LINKER_FLAGS="$FLAGS" -DABLY_EXPECTED_VERSION="$ABLY_VERSION"
  "$ABLY_CMAKE" --build "$bin"
  needed "$bin/consumer_shared" | grep -qx 'libably\.so\.[0-9]*' || die "consumer_shared not linked to libably.so"
  if needed "$bin/consumer_static" | grep -q '^libably'; then die "consumer_static linked to libably.so"; fi
  "$bin/consumer_shared"
  "$bin/consumer_static"
}

start=$(date +%s)
check install do_install
if [ "$failed" -eq 0 ]; then
  check layout do_layout
  check headers_standalone do_headers_standalone
  check pkgconfig_shared do_pkgconfig_shared
  check pkgconfig_static do_pkgconfig_static
  check cmake_package do_cmake_package
fi
write_xml
echo "tool_install: $((total - failed))/$total checks passed in $(($(date +%s) - start)) s"
[ "$failed" -eq 0 ]
