# Sourced by bench/run.sh and bench/sandbox.sh: one quiet Release ably-sandbox at a time.
# start_sandbox BUILD: stops the previous one, starts a new one on a free port, sets
# sbx_pid, sbx_out and ABLY_PORT. stop_sandbox: stops it (also on exit).
sbx_pid=
sbx_out=
stop_sandbox() {
    [ -n "$sbx_pid" ] && kill "$sbx_pid" 2>/dev/null && wait "$sbx_pid" 2>/dev/null || true
    sbx_pid=
    [ -n "$sbx_out" ] && rm -f "$sbx_out"
    sbx_out=
}
trap stop_sandbox EXIT INT TERM

start_sandbox() {
    stop_sandbox
    sbx_out=$(mktemp)
    "$1/harness/ably-sandbox" --port 0 --log-level error >"$sbx_out" 2>/dev/null &
    sbx_pid=$!
    tries=0
    until grep -q "listening on" "$sbx_out"; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && { echo "bench: the sandbox did not start" >&2; exit 1; }
        sleep 0.1
    done
    ABLY_PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$sbx_out")
    export ABLY_PORT
}
