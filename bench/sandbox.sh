#!/bin/sh
# bench/sandbox.sh: how much the local ably-sandbox itself holds and fans out on this machine.
# Not a test: prints numbers (also to $BUILD/bench/sandbox.txt). See harness/sandbox/README.md.
#
#   bench/sandbox.sh [BUILD_DIR]        default build-bench; configured Release here
#   N_FAN=2000 SUBS="1 10 50" N_HOLD="500 2000" bench/sandbox.sh
#
# Fan-out: one libably publisher bursts N_FAN messages of 100 bytes to S libably subscribers on
# one channel (each its own connection and loop thread); throughput is deliveries per second.
# Held connections: N libably clients connect (app-driven, one loop) and stay idle; the
# sandbox's memory per connection is its peak RSS (VmHWM) over its RSS before, divided by N.
# The clients run on the same 2 cores as the server, so these are lower bounds.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
N_FAN=${N_FAN:-2000}
SUBS=${SUBS:-"1 10 50"}
N_HOLD=${N_HOLD:-"500 2000"}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target ably-sandbox bench_realtime >/dev/null
mkdir -p "$BUILD/bench"
results="$BUILD/bench/sandbox.txt"
: >"$results"
. bench/sandbox_lib.sh

# A fresh sandbox per measurement, so one run's leftovers (peak RSS, channels) do not count
# in the next. Sets ABLY_PORT and ABLY_KEY.
new_sandbox() {
    start_sandbox "$BUILD"
    ABLY_KEY=$(curl -sf -X POST -H 'Content-Type: application/json' --data '{"keys":[{}]}' \
        "http://127.0.0.1:$ABLY_PORT/apps" | sed -n 's/.*"keyStr":"\([^"]*\)".*/\1/p')
    export ABLY_KEY
}
kb_of() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$sbx_pid/status"; }

export ABLY_ENDPOINT=127.0.0.1
C="$BUILD/bench/bench_realtime"
echo "# ably-sandbox (Release) on $(nproc) cores, clients on the same machine" | tee -a "$results"
for proto in json msgpack; do
    for s in $SUBS; do
        new_sandbox
        "$C" fanout "$N_FAN" "$proto" "$s" 2>&1 | grep -v "\] N: " | tee -a "$results"
    done
done
for n in $N_HOLD; do
    new_sandbox
    before=$(kb_of VmRSS)
    "$C" idle "$n" app_driven >/dev/null 2>&1
    peak=$(kb_of VmHWM)
    echo "impl=sandbox test=hold n=$n rss_before_kb=$before peak_rss_kb=$peak" \
        "kb_per_conn=$(( (peak - before) / n ))" | tee -a "$results"
done
