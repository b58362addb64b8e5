#!/bin/sh
# bench/run.sh: libably vs ably-js on one local ably-sandbox (Release build, loopback).
# Not a test: prints numbers (also to $BUILD/bench/results.txt). See bench/README.md.
#
#   bench/run.sh [BUILD_DIR]            default build-bench; configured Release here
#   N=5000 N_REST=2000 N_IDLE=100 REPEAT=3 CALLGRIND=1 bench/run.sh
# REPEAT runs every measurement that many times (alternating C and JS), for noisy hosts.
#
# Needs node and harness/interop/node_modules (npm ci --prefix harness/interop), curl,
# and valgrind when CALLGRIND=1.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
N=${N:-5000}
N_REST=${N_REST:-2000}
N_IDLE=${N_IDLE:-100}
N_CG=${N_CG:-2000}
REPEAT=${REPEAT:-1}
UPSTREAM=${ABLY_SHARED_UPSTREAM:-../shared/upstream}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target ably-sandbox bench_realtime bench_codec >/dev/null

out_dir="$BUILD/bench"
results="$out_dir/results.txt"
. bench/sandbox_lib.sh
start_sandbox "$BUILD" # Release, quiet: its logging costs nothing
setup="$UPSTREAM/ably-common/test-resources/test-app-setup.json"
if [ -f "$setup" ]; then
    body=$(node -e 'console.log(JSON.stringify(require(process.argv[1]).post_apps))' "$(realpath "$setup")")
else
    body='{"keys":[{}]}'
fi
ABLY_KEY=$(curl -sf -X POST -H 'Content-Type: application/json' --data "$body" \
    "http://127.0.0.1:$ABLY_PORT/apps" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).keys[0].keyStr))')
ABLY_ENDPOINT=127.0.0.1
export ABLY_KEY ABLY_ENDPOINT ABLY_PORT

C="$BUILD/bench/bench_realtime"
JS="node --expose-gc bench/js/bench.mjs"
: >"$results"
run() { "$@" 2>/dev/null | tee -a "$results"; }

echo "# sandbox 127.0.0.1:$ABLY_PORT, N=$N N_REST=$N_REST N_IDLE=$N_IDLE" | tee -a "$results"
for rep in $(seq "$REPEAT"); do
for proto in json msgpack; do
    run $C ack "$N" $proto
    run $JS ack "$N" $proto
    run $C e2e "$N" $proto
    run $JS e2e "$N" $proto
    run $C rest "$N_REST" $proto
    run $JS rest "$N_REST" $proto
done
run $C idle "$N_IDLE" thread
run $C idle "$N_IDLE" app_driven
run $JS idle "$N_IDLE"
done
run "$BUILD/bench/bench_codec"

# Instruction counts of the C hot paths (msgpack), steady state only: collected inside the
# loop threads and the publish calls, not during client creation (which loads the CA store).
# Prints the inclusive cost of the publish and receive paths and the top functions by
# self cost; divide by the messages (2 x N_CG: a sequential and a burst pass).
if [ "${CALLGRIND:-0}" = 1 ]; then
    for what in ack e2e; do
        cg="$out_dir/callgrind.$what.out"
        valgrind --tool=callgrind --collect-atstart=no --toggle-collect=service_thread \
            --toggle-collect=ably_realtime_channel_publish_messages \
            --callgrind-out-file="$cg" $C $what "$N_CG" msgpack >/dev/null 2>&1
        echo "# callgrind $what $N_CG msgpack: $cg" | tee -a "$results"
        callgrind_annotate --inclusive=yes "$cg" 2>/dev/null | grep -E \
            ':(ably_realtime_channel_publish_messages|run_publish|send_frame|ably_protocol_message_to_msgpack|ev_message|ably_protocol_message_from_msgpack|ably_protocol_message_clear|lws_cb) ' \
            | head -20 | tee -a "$results"
        callgrind_annotate "$cg" 2>/dev/null | sed -n '/^Ir/,$p' | head -25 | tee -a "$results"
    done
fi
