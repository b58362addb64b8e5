#!/bin/sh
# demo.sh: libably end to end with no account and no network. The `ably` tool
# starts a local ably-sandbox, provisions a test app, and then: a subscriber
# streams a channel in the background while three messages are published, and
# history reads them back. Needs a built tree in ${ABLY_BUILD_DIR:-build}.
# Exits 0 on success; stops the sandbox it started (one already running is left).
set -eu

BUILD=${ABLY_BUILD_DIR:-build}
ABLY="$BUILD/cli/ably"
if [ ! -x "$ABLY" ]; then
    echo "demo.sh: $ABLY not found; build first: cmake -S . -B $BUILD && cmake --build $BUILD" >&2
    exit 1
fi
# The demo talks to the local sandbox only, whatever the environment says.
unset ABLY_KEY

started=0
"$ABLY" sandbox status | grep -q "no local sandbox" && started=1
sub_out=$(mktemp)
sub_pid=
cleanup() {
    [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null || true
    rm -f "$sub_out"
    if [ "$started" = 1 ]; then "$ABLY" sandbox stop >/dev/null || true; fi
}
trap cleanup EXIT INT TERM

channel="demo-$$"
step() { printf '\n== %s\n' "$*"; }

step "ably time   (starts the local sandbox on first use)"
"$ABLY" time

step "ably subscribe $channel   (in the background, until 3 messages arrive)"
"$ABLY" subscribe "$channel" --count 3 --duration 20 >"$sub_out" 2>&1 &
sub_pid=$!
tries=0
until grep -q "channel $channel: attached" "$sub_out"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$sub_pid" 2>/dev/null; then
        echo "demo.sh: the subscriber did not attach:" >&2
        cat "$sub_out" >&2
        exit 1
    fi
    sleep 0.1
done

step "ably publish $channel greeting ...   (three messages)"
for word in hello from libably; do
    "$ABLY" publish "$channel" greeting "$word"
done

step "what the subscriber saw"
sub_status=0
wait "$sub_pid" || sub_status=$?
sub_pid=
cat "$sub_out"
if [ "$sub_status" -ne 0 ] || [ "$(grep -c 'greeting' "$sub_out")" -ne 3 ]; then
    echo "demo.sh: the subscriber did not receive the three messages (status $sub_status)" >&2
    exit 1
fi

step "ably history $channel --direction forwards"
history=$("$ABLY" history "$channel" --direction forwards)
echo "$history"
[ "$(echo "$history" | grep -c greeting)" -eq 3 ] || { echo "demo.sh: history is incomplete" >&2; exit 1; }

step "done: publish, subscribe and history work end to end"
