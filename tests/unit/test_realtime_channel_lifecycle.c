/* A realtime channel's life: attributes (RTL23, RTL24), state events (RTL2, TH),
 * whenState (RTL25), properties (RTL15), server-initiated DETACHED (RTL13), connection
 * state effects (RTL3) and detach from SUSPENDED (RTL5j), on the mock WebSocket with the
 * mock clock (uts/realtime/unit/channels/{channel_attributes,channel_state_events,
 * channel_when_state_test,channel_properties,channel_server_initiated_detach,
 * channel_connection_state,channel_detach}.md). */
#include "test_realtime_channel_fixture.h"

/* ---- a scripted server ---- */

#define ATTACHED_FRAME "{\"action\":11,\"channel\":\"%s\"}"
#define DETACHED_FRAME "{\"action\":13,\"channel\":\"%s\"}"
#define NO_REPLY NULL

/* Answers the client's frames the way each UTS case's onMessageFromClient does. Reply
 * templates are printf formats given the channel name (%s) and the 1-based count of the
 * ATTACH (or DETACH) frames so far (%d). */
typedef struct {
    chan_fx f;
    int attaches, detaches;
    const char *attach_replies[8]; /* for ATTACH n (n <= count); NO_REPLY: silence */
    size_t attach_replies_count;
    const char *attach_default;    /* for the ATTACH frames after those */
    const char *detach_reply;      /* NULL: silence */
    char attach_channels[16][64];  /* channel of each ATTACH */
    char attach_serials[16][64];   /* channelSerial of each ATTACH ("" when none) */
    bool refuse_connections;       /* for reconnection attempts (after the first) */
} script;

static void reply(script *s, mock_ws *m, size_t attempt, const char *tmpl, const char *channel, int n)
{
    if (!tmpl)
        return;
    char frame[512];
    snprintf(frame, sizeof frame, tmpl, channel, n);
    mock_ws_send(m, attempt, frame);
    (void)s;
}

static void script_on_frame(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    script *s = ctx;
    switch (pm->action) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH: {
        int n = ++s->attaches;
        if (n <= 16) {
            snprintf(s->attach_channels[n - 1], sizeof s->attach_channels[0], "%s", pm->channel);
            snprintf(s->attach_serials[n - 1], sizeof s->attach_serials[0], "%s",
                     pm->channel_serial ? pm->channel_serial : "");
        }
        const char *tmpl = (size_t)n <= s->attach_replies_count ? s->attach_replies[n - 1] : s->attach_default;
        reply(s, m, attempt, tmpl, pm->channel, n);
        break;
    }
    case ABLY_PROTOCOL_MESSAGE_ACTION_DETACH:
        reply(s, m, attempt, s->detach_reply, pm->channel, ++s->detaches);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE:
        mock_ws_send(m, attempt, "{\"action\":8}"); /* CLOSED */
        break;
    default:
        break;
    }
}

static void script_on_attempt(void *ctx, mock_ws *m, size_t attempt)
{
    script *s = ctx;
    if (s->refuse_connections)
        mock_ws_respond_refused(m, attempt);
    else
        mock_ws_respond_success(m, attempt, mock_ws_connected_json("connection-id", "connection-key", 15000, 120000));
}

/* Every ATTACH answered with ATTACHED, every DETACH with DETACHED unless changed. */
static void script_init(script *s)
{
    memset(s, 0, sizeof *s);
    fx_init(&s->f);
    mock_ws_on_message(s->f.t.m, script_on_frame, s);
    s->attach_default = ATTACHED_FRAME;
    s->detach_reply = DETACHED_FRAME;
}

/* The replies to the first ATTACH frames, in order (NO_REPLY: silence); attach_default after. */
#define SCRIPT_REPLIES(s, ...)                                                                                   \
    script_replies((s), (const char *[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))

static void script_replies(script *s, const char **replies, size_t n)
{
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        s->attach_replies[i] = replies[i];
    s->attach_replies_count = n;
}

/* realtimeRequestTimeout and channelRetryTimeout, in ms. */
static void script_timeouts(script *s, int64_t request_ms, int64_t channel_retry_ms)
{
    s->f.t.o.realtime_request_timeout_ms = request_ms;
    s->f.t.o.channel_retry_timeout_ms = channel_retry_ms;
}

/* Creates the client; set options on s->f.t.o before. */
static void script_start(script *s) { fx_start(&s->f); }

/* Connects, then answers reconnection attempts by itself (script_on_attempt). */
static void script_connect(script *s)
{
    fx_connect(&s->f);
    mock_ws_on_attempt(s->f.t.m, script_on_attempt, s);
}

static void script_free(script *s) { fx_free(&s->f); }

static void pump(script *s) { fx_pump(&s->f); }
static void advance(script *s, int64_t ms) { fx_advance(&s->f, ms); }
static void server(script *s, const char *json) { fx_server(&s->f, json); }
static ably_realtime_channel *channel(script *s, const char *name) { return fx_channel(&s->f, name, NULL); }

/* Attach / detach reporting into *r (which must outlive a pending operation). */
static void attach_into(script *s, ably_realtime_channel *ch, op_result *r)
{
    *r = (op_result){0};
    ably_realtime_channel_attach(ch, fx_on_result, r);
    pump(s);
}

static void detach_into(script *s, ably_realtime_channel *ch, op_result *r)
{
    *r = (op_result){0};
    ably_realtime_channel_detach(ch, fx_on_result, r);
    pump(s);
}

/* A detach that completes (DETACHED or error) before this returns: its code. */
static int64_t detach_code(script *s, ably_realtime_channel *ch)
{
    op_result r;
    detach_into(s, ch, &r);
    assert_int_equal(r.calls, 1);
    return r.code;
}

static void attach_ok(script *s, ably_realtime_channel *ch)
{
    op_result r;
    attach_into(s, ch, &r);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
}

/* An attach that fails before this returns: its code. */
static int64_t attach_fails(script *s, ably_realtime_channel *ch)
{
    op_result r;
    attach_into(s, ch, &r);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    return r.code;
}

/* Creates the client and channel `name`, then connects (options set on s->f.t.o before). */
static ably_realtime_channel *connected_channel(script *s, const char *name)
{
    script_start(s);
    ably_realtime_channel *ch = channel(s, name);
    script_connect(s);
    return ch;
}

/* connected_channel, then attaches it. */
static ably_realtime_channel *attached_channel(script *s, const char *name)
{
    ably_realtime_channel *ch = connected_channel(s, name);
    attach_ok(s, ch);
    return ch;
}

/* ---- a recorder keeping every field of ChannelStateChange ---- */

typedef struct {
    ably_channel_state previous, current;
    ably_channel_event event;
    bool has_reason;
    int64_t reason_code, reason_status;
    char reason_message[64];
    bool resumed, has_backlog;
    bool is_null; /* whenState's immediate call (RTL25a) */
} change;

typedef struct {
    change items[32];
    size_t count;
} changes;

static void on_change(void *ctx, const ably_channel_state_change *c)
{
    changes *r = ctx;
    if (r->count >= 32)
        return;
    change *x = &r->items[r->count++];
    memset(x, 0, sizeof *x);
    if (!c) {
        x->is_null = true;
        return;
    }
    x->previous = c->previous;
    x->current = c->current;
    x->event = c->event;
    x->resumed = c->resumed;
    x->has_backlog = c->has_backlog;
    if (c->reason) {
        x->has_reason = true;
        x->reason_code = c->reason->code;
        x->reason_status = c->reason->status_code;
        snprintf(x->reason_message, sizeof x->reason_message, "%s", c->reason->message ? c->reason->message : "");
    }
}

static void record(ably_realtime_channel *ch, changes *r)
{
    memset(r, 0, sizeof *r);
    assert_true(ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ANY, on_change, r) != 0);
}

/* The server drops the current transport; the client reacts. */
static void drop_transport(script *s)
{
    mock_ws_simulate_disconnect(s->f.t.m, mock_rt_last_attempt(&s->f.t));
    pump(s);
}

static const change *find_current(const changes *r, ably_channel_state s)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].current == s)
            return &r->items[i];
    return NULL;
}

/* True when r's current states contain seq in order (not necessarily adjacent). */
static bool contains_in_order(const changes *r, const ably_channel_state *seq, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < r->count && k < n; i++)
        if (r->items[i].current == seq[k])
            k++;
    return k == n;
}

/* errorReason, copied; code 0 when there is none. */
typedef struct {
    bool set;
    int64_t code, status;
    char message[64];
} reason;

static reason error_reason(ably_realtime_channel *ch)
{
    reason r = {0};
    ably_error e = {0};
    if (ably_realtime_channel_error_reason(ch, &e) == 1) {
        r.set = true;
        r.code = e.code;
        r.status = e.status_code;
        snprintf(r.message, sizeof r.message, "%s", e.message ? e.message : "");
        ably_error_clear(&e);
    }
    return r;
}

/* properties.attachSerial / channelSerial compared with want (NULL: unset). */
static void assert_attach_serial(ably_realtime_channel *ch, const char *want)
{
    char *s = ably_realtime_channel_attach_serial(ch);
    if (want)
        assert_string_equal(s, want);
    else
        assert_null(s);
    free(s);
}

static void assert_channel_serial(ably_realtime_channel *ch, const char *want)
{
    char *s = ably_realtime_channel_serial(ch);
    if (want)
        assert_string_equal(s, want);
    else
        assert_null(s);
    free(s);
}

/* ==== channel_attributes.md ==== */

static void name_attribute(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    assert_string_equal(ably_realtime_channel_name(channel(&s, "my-channel")), "my-channel");
    assert_string_equal(ably_realtime_channel_name(channel(&s, "namespace:channel-name")), "namespace:channel-name");
    script_free(&s);
}

static void error_reason_set_by_channel_error(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL24-error");
    assert_false(error_reason(ch).set);
    server(&s, "{\"action\":9,\"channel\":\"test-RTL24-error\",\"error\":{\"message\":\"Channel error occurred\","
               "\"code\":90001,\"statusCode\":500}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    reason r = error_reason(ch);
    assert_true(r.set);
    assert_int_equal(r.code, 90001);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.message, "Channel error occurred");
    script_free(&s);
}

static void error_reason_set_by_rejected_attach(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":13,\"channel\":\"%s\",\"error\":{\"message\":\"Permission denied\","
                       "\"code\":40160,\"statusCode\":401}}";
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL24-attach-fail");
    attach_fails(&s, ch);
    reason e = error_reason(ch);
    assert_true(e.set);
    assert_int_equal(e.code, 40160);
    assert_int_equal(e.status, 401);
    script_free(&s);
}

static void error_reason_cleared_by_successful_attach(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, "{\"action\":13,\"channel\":\"%s\",\"error\":{\"message\":\"Temporary error\","
                       "\"code\":50000,\"statusCode\":500}}");
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL24-clear-attach");
    attach_fails(&s, ch);
    assert_int_equal(error_reason(ch).code, 50000);
    attach_ok(&s, ch);
    assert_false(error_reason(ch).set);
    script_free(&s);
}

static void error_reason_cleared_by_attach_stays_cleared_by_detach(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL24-clear-detach");
    server(&s, "{\"action\":9,\"channel\":\"test-RTL24-clear-detach\",\"error\":{\"message\":\"Channel error\","
               "\"code\":90002,\"statusCode\":500}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(error_reason(ch).code, 90002);
    attach_ok(&s, ch);
    assert_false(error_reason(ch).set);
    op_result d;
    detach_into(&s, ch, &d);
    assert_int_equal(d.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_false(error_reason(ch).set);
    script_free(&s);
}

/* ==== channel_state_events.md ==== */

static void state_starts_initialized(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2b");
    ably_channel_state st = ably_realtime_channel_state(ch);
    assert_int_equal(st, ABLY_CHANNEL_INITIALIZED);
    assert_string_equal(ably_channel_state_name(st), "initialized");
    script_free(&s);
}

static void every_state_change_is_emitted(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2a");
    changes rec;
    record(ch, &rec);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_true(rec.count >= 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_ATTACHING);
    assert_int_equal(rec.items[0].previous, ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(rec.items[1].current, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(rec.items[1].previous, ABLY_CHANNEL_ATTACHING);
    script_free(&s);
}

static void state_change_carries_current_previous_and_event(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2d");
    changes rec;
    record(ch, &rec);
    script_connect(&s);
    attach_ok(&s, ch);
    const change *c = find_current(&rec, ABLY_CHANNEL_ATTACHING);
    assert_non_null(c);
    assert_int_equal(c->current, ABLY_CHANNEL_ATTACHING);
    assert_int_equal(c->previous, ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(c->event, ABLY_CHANNEL_EVENT_ATTACHING);
    assert_false(c->has_reason);
    script_free(&s);
}

static void state_change_carries_the_error(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":9,\"channel\":\"%s\",\"error\":{\"code\":40160,\"statusCode\":401,"
                       "\"message\":\"Channel denied\"}}";
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2d-error");
    changes failed = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_FAILED, on_change, &failed);
    script_connect(&s);
    op_result r;
    attach_into(&s, ch, &r);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40160);
    assert_int_equal(failed.count, 1);
    assert_int_equal(failed.items[0].current, ABLY_CHANNEL_FAILED);
    assert_true(failed.items[0].has_reason);
    assert_int_equal(failed.items[0].reason_code, 40160);
    assert_string_equal(failed.items[0].reason_message, "Channel denied");
    script_free(&s);
}

static void listener_for_one_event_gets_only_that_event(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2-filtered");
    changes attached = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ATTACHED, on_change, &attached);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_int_equal(attached.count, 1);
    assert_int_equal(attached.items[0].current, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(attached.items[0].event, ABLY_CHANNEL_EVENT_ATTACHED);
    script_free(&s);
}

static void unresumed_attached_while_attached_emits_update(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2g");
    changes updates = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_UPDATE, on_change, &updates);
    script_connect(&s);
    attach_ok(&s, ch);
    server(&s, "{\"action\":11,\"channel\":\"test-RTL2g\"}"); /* no RESUMED: continuity lost */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(updates.count, 1);
    assert_int_equal(updates.items[0].event, ABLY_CHANNEL_EVENT_UPDATE);
    assert_int_equal(updates.items[0].current, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(updates.items[0].previous, ABLY_CHANNEL_ATTACHED);
    assert_false(updates.items[0].resumed);
    script_free(&s);
}

static void no_state_event_repeats_the_state(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2g-nodup");
    changes all;
    record(ch, &all);
    script_connect(&s);
    attach_ok(&s, ch);
    size_t initial = all.count;
    server(&s, "{\"action\":11,\"channel\":\"test-RTL2g-nodup\"}");
    assert_int_equal(all.count, initial + 1); /* the UPDATE */
    int attached_state_events = 0;
    for (size_t i = 0; i < all.count; i++)
        attached_state_events +=
            all.items[i].current == ABLY_CHANNEL_ATTACHED && all.items[i].event == ABLY_CHANNEL_EVENT_ATTACHED;
    assert_int_equal(attached_state_events, 1);
    script_free(&s);
}

static void has_backlog_follows_the_flag(void **state, const char *flags_json, bool want)
{
    (void)state;
    script s;
    script_init(&s);
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "{\"action\":11,\"channel\":\"%%s\"%s}", flags_json);
    s.attach_default = tmpl;
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2i");
    changes attached = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ATTACHED, on_change, &attached);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_int_equal(attached.count, 1);
    assert_int_equal(attached.items[0].has_backlog, want);
    script_free(&s);
}

static void has_backlog_true_with_the_flag(void **state) { has_backlog_follows_the_flag(state, ",\"flags\":2", true); }
static void has_backlog_false_without_the_flag(void **state) { has_backlog_follows_the_flag(state, "", false); }

static void resumed_follows_the_flag(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":11,\"channel\":\"%s\",\"flags\":4}"; /* RESUMED */
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL2d-resumed");
    changes attached = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ATTACHED, on_change, &attached);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_int_equal(attached.count, 1);
    assert_true(attached.items[0].resumed);
    script_free(&s);
}

static void error_reason_populated_when_failed(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":9,\"channel\":\"%s\",\"error\":{\"code\":40160,\"statusCode\":401,"
                       "\"message\":\"Not authorized\"}}";
    ably_realtime_channel *ch = connected_channel(&s, "test-errorReason");
    attach_fails(&s, ch);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    reason e = error_reason(ch);
    assert_int_equal(e.code, 40160);
    assert_string_equal(e.message, "Not authorized");
    script_free(&s);
}

static void error_reason_cleared_by_attach_after_failure(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, "{\"action\":9,\"channel\":\"%s\",\"error\":{\"code\":40160,\"message\":\"Denied\"}}");
    ably_realtime_channel *ch = connected_channel(&s, "test-errorReason-clear");
    attach_fails(&s, ch);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_true(error_reason(ch).set);
    attach_ok(&s, ch);
    assert_false(error_reason(ch).set);
    script_free(&s);
}

/* ==== channel_when_state_test.md ==== */

static void when_state_already_there_calls_with_null(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL25a-immediate");
    changes result = {0};
    assert_true(ably_realtime_channel_when_state(ch, ABLY_CHANNEL_ATTACHED, on_change, &result) != 0);
    pump(&s);
    assert_int_equal(result.count, 1);
    assert_true(result.items[0].is_null);
    script_free(&s);
}

static void when_state_waits_for_the_state(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL25b-deferred");
    changes result = {0};
    ably_realtime_channel_when_state(ch, ABLY_CHANNEL_ATTACHED, on_change, &result);
    pump(&s);
    assert_int_equal(result.count, 0); /* INITIALIZED: waiting */
    attach_ok(&s, ch);
    assert_int_equal(result.count, 1);
    assert_false(result.items[0].is_null);
    assert_int_equal(result.items[0].current, ABLY_CHANNEL_ATTACHED);
    assert_true(result.items[0].previous == ABLY_CHANNEL_INITIALIZED ||
                result.items[0].previous == ABLY_CHANNEL_ATTACHING);
    script_free(&s);
}

static int once_count;
static void count_once(void *ctx, const ably_channel_state_change *c)
{
    (void)ctx;
    (void)c;
    once_count++;
}

static void when_state_fires_once(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL25b-once");
    once_count = 0;
    ably_realtime_channel_once(ch, ABLY_CHANNEL_EVENT_ATTACHED, count_once, NULL);
    changes result = {0};
    ably_realtime_channel_when_state(ch, ABLY_CHANNEL_ATTACHED, on_change, &result);
    attach_ok(&s, ch);
    assert_int_equal(result.count, 1);
    assert_false(result.items[0].is_null);
    assert_int_equal(once_count, 1);
    assert_int_equal(detach_code(&s, ch), 0);
    attach_ok(&s, ch);
    advance(&s, 50);
    assert_int_equal(once_count, 1);
    assert_int_equal(result.count, 1); /* whenState too was consumed */
    script_free(&s);
}

static void when_state_for_a_past_state_waits(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL25a-past");
    changes result = {0};
    ably_realtime_channel_when_state(ch, ABLY_CHANNEL_ATTACHING, on_change, &result);
    pump(&s);
    advance(&s, 200);
    assert_int_equal(result.count, 0);
    script_free(&s);
}

/* ==== channel_properties.md ==== */

#define ATTACHED_SERIAL_N "{\"action\":11,\"channel\":\"%s\",\"channelSerial\":\"attach-serial-%d\"}"

static void attach_serial_from_each_attach(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_N;
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL15c");
    assert_attach_serial(ch, NULL);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_attach_serial(ch, "attach-serial-1");
    assert_int_equal(detach_code(&s, ch), 0);
    attach_ok(&s, ch);
    assert_attach_serial(ch, "attach-serial-2");
    script_free(&s);
}

static void attach_serial_from_unsolicited_unresumed_attached(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":11,\"channel\":\"%s\",\"channelSerial\":\"initial-serial\"}";
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15c-update");
    assert_attach_serial(ch, "initial-serial");
    server(&s, "{\"action\":11,\"channel\":\"test-RTL15c-update\",\"channelSerial\":\"updated-serial\"}");
    assert_attach_serial(ch, "updated-serial");
    script_free(&s);
}

static void attach_serial_kept_on_resumed_attached(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = "{\"action\":11,\"channel\":\"%s\",\"channelSerial\":\"initial-serial\"}";
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15c-resumed");
    assert_attach_serial(ch, "initial-serial");
    server(&s, "{\"action\":11,\"channel\":\"test-RTL15c-resumed\",\"channelSerial\":\"resumed-serial\",\"flags\":4}");
    assert_channel_serial(ch, "resumed-serial"); /* RTL15b: the frame was handled */
    assert_attach_serial(ch, "initial-serial");
    script_free(&s);
}

#define ATTACHED_SERIAL_001 "{\"action\":11,\"channel\":\"%s\",\"channelSerial\":\"serial-001\"}"

static void channel_serial_from_attached(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL15b-attached");
    assert_channel_serial(ch, NULL);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_channel_serial(ch, "serial-001");
    script_free(&s);
}

static void channel_serial_from_message_and_presence(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    script_start(&s);
    ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    ably_realtime_channel *ch = fx_channel(&s.f, "test-RTL15b-messages", &o);
    script_connect(&s);
    attach_ok(&s, ch);
    assert_channel_serial(ch, "serial-001");
    server(&s, "{\"action\":15,\"channel\":\"test-RTL15b-messages\",\"channelSerial\":\"serial-002\","
               "\"messages\":[{\"name\":\"event\",\"data\":\"data\"}]}");
    assert_channel_serial(ch, "serial-002");
    server(&s, "{\"action\":14,\"channel\":\"test-RTL15b-messages\",\"channelSerial\":\"serial-003\"}");
    assert_channel_serial(ch, "serial-003");
    script_free(&s);
}

static void channel_serial_kept_when_absent(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15b-noupdate");
    server(&s, "{\"action\":15,\"channel\":\"test-RTL15b-noupdate\",\"messages\":[{\"name\":\"event\","
               "\"data\":\"data\"}]}");
    assert_channel_serial(ch, "serial-001");
    script_free(&s);
}

static void channel_serial_ignores_other_actions(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15b-irrelevant");
    assert_channel_serial(ch, "serial-001");
    server(&s, "{\"action\":13,\"channel\":\"test-RTL15b-irrelevant\",\"channelSerial\":\"serial-should-not-apply\","
               "\"error\":{\"code\":90198,\"statusCode\":500,\"message\":\"Detached\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED); /* RTL13a reattached */
    assert_int_equal(s.attaches, 2);
    assert_string_equal(s.attach_serials[1], "serial-001"); /* the DETACHED's serial was not taken */
    assert_channel_serial(ch, "serial-001");
    script_free(&s);
}

static void channel_serial_cleared_on_detached(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15b2-detached");
    assert_channel_serial(ch, "serial-001");
    assert_int_equal(detach_code(&s, ch), 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_channel_serial(ch, NULL);
    script_free(&s);
}

/* The UTS case (written for the replaced RTL15b1) expects the serial cleared here;
 * RTL15b2 (spec 6.1.1) says SUSPENDED must keep it, which is what this checks. */
static void channel_serial_kept_on_suspended(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, ATTACHED_SERIAL_001);
    s.attach_default = NO_REPLY;
    s.f.t.o.realtime_request_timeout_ms = 100;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15b2-suspended");
    server(&s, "{\"action\":13,\"channel\":\"test-RTL15b2-suspended\",\"error\":{\"code\":90198,"
               "\"statusCode\":500,\"message\":\"Detached\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    advance(&s, 150);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    assert_channel_serial(ch, "serial-001");
    script_free(&s);
}

static void channel_serial_cleared_on_failed(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL15b2-failed");
    assert_channel_serial(ch, "serial-001");
    server(&s, "{\"action\":9,\"channel\":\"test-RTL15b2-failed\",\"error\":{\"code\":40160,\"statusCode\":401,"
               "\"message\":\"Not permitted\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_channel_serial(ch, NULL);
    script_free(&s);
}

/* ==== channel_server_initiated_detach.md ==== */

#define SERVER_DETACHED(name, code, msg)                                                                       \
    "{\"action\":13,\"channel\":\"" name "\",\"error\":{\"code\":" #code ",\"statusCode\":500,\"message\":\"" msg \
    "\"}}"

static void server_detached_on_attached_reattaches(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL13a-attached");
    assert_int_equal(s.attaches, 1);
    changes rec;
    record(ch, &rec);
    server(&s, SERVER_DETACHED("test-RTL13a-attached", 90198, "Server detached channel"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(s.attaches, 2);
    assert_true(rec.count >= 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_ATTACHING);
    assert_int_equal(rec.items[0].previous, ABLY_CHANNEL_ATTACHED);
    assert_true(rec.items[0].has_reason);
    assert_int_equal(rec.items[0].reason_code, 90198);
    assert_int_equal(rec.items[1].current, ABLY_CHANNEL_ATTACHED);
    script_free(&s);
}

static void server_detached_on_suspended_reattaches(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, ATTACHED_FRAME, NO_REPLY);
    script_timeouts(&s, 100, 60000);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL13a-suspended");
    server(&s, SERVER_DETACHED("test-RTL13a-suspended", 90198, "Detach 1"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    advance(&s, 150);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    server(&s, SERVER_DETACHED("test-RTL13a-suspended", 90199, "Detach 2"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(s.attaches, 3);
    script_free(&s);
}

/* Advances in small steps until the channel is in `want` (at most `limit` ms). */
static void advance_until(script *s, ably_realtime_channel *ch, ably_channel_state want, int64_t limit)
{
    for (int64_t t = 0; t < limit && ably_realtime_channel_state(ch) != want; t += 10)
        advance(s, 10);
    assert_int_equal(ably_realtime_channel_state(ch), want);
}

static void failed_reattach_suspends_then_retries(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, ATTACHED_FRAME, NO_REPLY);
    script_timeouts(&s, 100, 200);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL13b");
    changes rec;
    record(ch, &rec);
    server(&s, SERVER_DETACHED("test-RTL13b", 90198, "Server detached"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(s.attaches, 2);
    advance(&s, 150);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    advance(&s, 250); /* channelRetryTimeout 200 with jitter below 1 */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(s.attaches, 3);
    const ably_channel_state seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_SUSPENDED, ABLY_CHANNEL_ATTACHING,
                                      ABLY_CHANNEL_ATTACHED};
    assert_true(contains_in_order(&rec, seq, 4));
    script_free(&s);
}

static void server_detached_while_attaching_suspends_at_once(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, NO_REPLY);
    script_timeouts(&s, 500, 200);
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL13b-attaching");
    ably_realtime_channel_attach(ch, NULL, NULL);
    pump(&s);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    changes rec;
    record(ch, &rec);
    server(&s, SERVER_DETACHED("test-RTL13b-attaching", 90198, "Server detached"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    assert_int_equal(s.attaches, 1);
    advance(&s, 250);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(s.attaches, 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_SUSPENDED);
    assert_int_equal(rec.items[0].previous, ABLY_CHANNEL_ATTACHING);
    assert_true(rec.items[0].has_reason);
    assert_int_equal(rec.items[0].reason_code, 90198);
    script_free(&s);
}

static void repeated_failures_cycle(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, ATTACHED_FRAME, NO_REPLY, NO_REPLY);
    script_timeouts(&s, 100, 200);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL13b-repeat");
    changes rec;
    record(ch, &rec);
    server(&s, SERVER_DETACHED("test-RTL13b-repeat", 90198, "Detach"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    advance_until(&s, ch, ABLY_CHANNEL_SUSPENDED, 150);
    /* The retry comes within channelRetryTimeout (jitter below 1); stepping in small
     * increments sees each state rather than jumping past the next timeout. */
    advance_until(&s, ch, ABLY_CHANNEL_ATTACHING, 250);
    assert_int_equal(s.attaches, 3);
    advance_until(&s, ch, ABLY_CHANNEL_SUSPENDED, 150);
    /* the second retry waits longer: RTB1 backoff (4/3 of 200 ms, with jitter) */
    advance_until(&s, ch, ABLY_CHANNEL_ATTACHED, 300);
    assert_int_equal(s.attaches, 4);
    const ably_channel_state seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_SUSPENDED, ABLY_CHANNEL_ATTACHING,
                                      ABLY_CHANNEL_SUSPENDED, ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(contains_in_order(&rec, seq, 6));
    script_free(&s);
}

static void retry_cancelled_when_disconnected(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    SCRIPT_REPLIES(&s, ATTACHED_FRAME);
    s.attach_default = NO_REPLY;
    script_timeouts(&s, 100, 200);
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL13c");
    s.refuse_connections = true; /* stay disconnected */
    attach_ok(&s, ch);
    server(&s, SERVER_DETACHED("test-RTL13c", 90198, "Detach"));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    advance(&s, 150);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    drop_transport(&s);
    assert_int_not_equal(mock_rt_state(&s.f.t), ABLY_CONN_CONNECTED);
    int after_disconnect = s.attaches;
    advance(&s, 500);
    assert_int_equal(s.attaches, after_disconnect);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    script_free(&s);
}

static void detached_while_detaching_completes_the_detach(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL13-detaching");
    assert_int_equal(detach_code(&s, ch), 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(s.attaches, 1);
    script_free(&s);
}

/* ==== channel_connection_state.md ==== */

static void disconnected_leaves_channel_alone(void **state, bool attached)
{
    (void)state;
    script s;
    script_init(&s);
    if (!attached)
        s.attach_default = NO_REPLY;
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL3e");
    s.refuse_connections = true;
    if (attached) {
        attach_ok(&s, ch);
    } else {
        ably_realtime_channel_attach(ch, NULL, NULL);
        pump(&s);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    }
    changes rec;
    record(ch, &rec);
    size_t conn_before = s.f.t.rec.count;
    drop_transport(&s);
    bool saw_disconnected = false;
    for (size_t i = conn_before; i < s.f.t.rec.count; i++)
        saw_disconnected |= s.f.t.rec.items[i].current == ABLY_CONN_DISCONNECTED;
    assert_true(saw_disconnected);
    assert_int_equal(ably_realtime_channel_state(ch), attached ? ABLY_CHANNEL_ATTACHED : ABLY_CHANNEL_ATTACHING);
    assert_int_equal(rec.count, 0);
    script_free(&s);
}

static void disconnected_leaves_attached_channel(void **state) { disconnected_leaves_channel_alone(state, true); }
static void disconnected_leaves_attaching_channel(void **state) { disconnected_leaves_channel_alone(state, false); }

#define FATAL_ERROR "{\"action\":9,\"error\":{\"code\":40198,\"statusCode\":403,\"message\":\"Account disabled\"}}"

/* The server sends FATAL_ERROR and closes: the connection is FAILED. */
static void fail_connection(script *s)
{
    mock_ws_send_and_close(s->f.t.m, mock_rt_last_attempt(&s->f.t), FATAL_ERROR);
    pump(s);
    assert_int_equal(mock_rt_state(&s->f.t), ABLY_CONN_FAILED);
}

static void connection_failed_fails_attached_channel(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL3a-attached");
    changes rec;
    record(ch, &rec);
    fail_connection(&s);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(error_reason(ch).code, 40198);
    const change *c = find_current(&rec, ABLY_CHANNEL_FAILED);
    assert_non_null(c);
    assert_int_equal(c->previous, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(c->reason_code, 40198);
    script_free(&s);
}

static void connection_failed_fails_attaching_channel(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = NO_REPLY;
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL3a-attaching");
    op_result r;
    attach_into(&s, ch, &r);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    changes rec;
    record(ch, &rec);
    fail_connection(&s);
    assert_int_equal(r.calls, 1); /* the pending attach fails */
    assert_true(r.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_true(error_reason(ch).set);
    const change *c = find_current(&rec, ABLY_CHANNEL_FAILED);
    assert_non_null(c);
    assert_int_equal(c->previous, ABLY_CHANNEL_ATTACHING);
    script_free(&s);
}

static void connection_failed_leaves_other_channels(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *init = channel(&s, "test-RTL3a-init");
    ably_realtime_channel *det = channel(&s, "test-RTL3a-detached");
    script_connect(&s);
    assert_int_equal(ably_realtime_channel_state(init), ABLY_CHANNEL_INITIALIZED);
    attach_ok(&s, det);
    assert_int_equal(detach_code(&s, det), 0);
    assert_int_equal(ably_realtime_channel_state(det), ABLY_CHANNEL_DETACHED);
    changes init_rec, det_rec;
    record(init, &init_rec);
    record(det, &det_rec);
    fail_connection(&s);
    assert_int_equal(ably_realtime_channel_state(init), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(ably_realtime_channel_state(det), ABLY_CHANNEL_DETACHED);
    assert_int_equal(init_rec.count, 0);
    assert_int_equal(det_rec.count, 0);
    script_free(&s);
}

static void connection_closed_detaches_channel(void **state, bool attached)
{
    (void)state;
    script s;
    script_init(&s);
    if (!attached)
        s.attach_default = NO_REPLY;
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL3b");
    op_result r;
    attach_into(&s, ch, &r);
    assert_int_equal(ably_realtime_channel_state(ch), attached ? ABLY_CHANNEL_ATTACHED : ABLY_CHANNEL_ATTACHING);
    changes rec;
    record(ch, &rec);
    ably_connection_close(s.f.t.rt);
    pump(&s);
    assert_int_equal(mock_rt_state(&s.f.t), ABLY_CONN_CLOSED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    const change *c = find_current(&rec, ABLY_CHANNEL_DETACHED);
    assert_non_null(c);
    assert_int_equal(c->previous, attached ? ABLY_CHANNEL_ATTACHED : ABLY_CHANNEL_ATTACHING);
    assert_int_equal(r.calls, 1);
    if (!attached)
        assert_true(r.code != 0); /* the pending attach fails */
    script_free(&s);
}

static void connection_closed_detaches_attached_channel(void **state) { connection_closed_detaches_channel(state, true); }
static void connection_closed_detaches_attaching_channel(void **state)
{
    connection_closed_detaches_channel(state, false);
}

/* Refuses every reconnection and advances until the connection is SUSPENDED. */
static void suspend_connection(script *s)
{
    s->refuse_connections = true;
    drop_transport(s);
    for (int i = 0; i < 30 && mock_rt_state(&s->f.t) != ABLY_CONN_SUSPENDED; i++)
        advance(s, 5000);
    assert_int_equal(mock_rt_state(&s->f.t), ABLY_CONN_SUSPENDED);
}

static void connection_suspended_suspends_channel(void **state, bool attached)
{
    (void)state;
    script s;
    script_init(&s);
    if (!attached)
        s.attach_default = NO_REPLY;
    static const char *const no_fallbacks[] = {NULL};
    s.f.t.o.fallback_hosts = no_fallbacks;
    s.f.t.o.fallback_hosts_count = 0;
    s.f.t.o.fallback_hosts_set = true;
    s.f.t.o.disconnected_retry_timeout_ms = 1000;
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL3c");
    ably_realtime_channel_attach(ch, NULL, NULL);
    pump(&s);
    assert_int_equal(ably_realtime_channel_state(ch), attached ? ABLY_CHANNEL_ATTACHED : ABLY_CHANNEL_ATTACHING);
    changes rec;
    record(ch, &rec);
    suspend_connection(&s);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    const change *c = find_current(&rec, ABLY_CHANNEL_SUSPENDED);
    assert_non_null(c);
    assert_int_equal(c->previous, attached ? ABLY_CHANNEL_ATTACHED : ABLY_CHANNEL_ATTACHING);
    script_free(&s);
}

static void connection_suspended_suspends_attached_channel(void **state)
{
    connection_suspended_suspends_channel(state, true);
}
static void connection_suspended_suspends_attaching_channel(void **state)
{
    connection_suspended_suspends_channel(state, false);
}

static void reconnect_reattaches_with_channel_serial(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = ATTACHED_SERIAL_001;
    s.f.t.o.disconnected_retry_timeout_ms = 100;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL3d-attached");
    assert_int_equal(s.attaches, 1);
    changes rec;
    record(ch, &rec);
    drop_transport(&s);
    assert_int_equal(mock_rt_state(&s.f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(s.attaches, 2);
    assert_string_equal(s.attach_serials[1], "serial-001"); /* RTL4c1 */
    const ably_channel_state seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(contains_in_order(&rec, seq, 2));
    script_free(&s);
}

static void reconnect_reattaches_suspended_channel(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    static const char *const no_fallbacks[] = {NULL};
    s.f.t.o.fallback_hosts = no_fallbacks;
    s.f.t.o.fallback_hosts_set = true;
    s.f.t.o.disconnected_retry_timeout_ms = 1000;
    s.f.t.o.suspended_retry_timeout_ms = 2000;
    ably_realtime_channel *ch = attached_channel(&s, "test-RTL3d-suspended");
    assert_int_equal(s.attaches, 1);
    suspend_connection(&s);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    changes rec;
    record(ch, &rec);
    s.refuse_connections = false;
    for (int i = 0; i < 10 && mock_rt_state(&s.f.t) != ABLY_CONN_CONNECTED; i++)
        advance(&s, 2500);
    assert_int_equal(mock_rt_state(&s.f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_true(s.attaches >= 2);
    const ably_channel_state seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(contains_in_order(&rec, seq, 2));
    script_free(&s);
}

static void reconnect_leaves_initialized_and_detached_channels(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.f.t.o.disconnected_retry_timeout_ms = 100;
    script_start(&s);
    ably_realtime_channel *init = channel(&s, "test-RTL3d-init");
    ably_realtime_channel *det = channel(&s, "test-RTL3d-detached");
    script_connect(&s);
    attach_ok(&s, det);
    assert_int_equal(detach_code(&s, det), 0);
    int before = s.attaches;
    changes init_rec, det_rec;
    record(init, &init_rec);
    record(det, &det_rec);
    drop_transport(&s);
    assert_int_equal(mock_rt_state(&s.f.t), ABLY_CONN_CONNECTED);
    assert_true(mock_ws_attempt_count(s.f.t.m) >= 2); /* it did reconnect */
    assert_int_equal(ably_realtime_channel_state(init), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(ably_realtime_channel_state(det), ABLY_CHANNEL_DETACHED);
    assert_int_equal(init_rec.count, 0);
    assert_int_equal(det_rec.count, 0);
    assert_int_equal(s.attaches, before); /* no ATTACH for either */
    script_free(&s);
}

static void reconnect_reattaches_every_channel(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.f.t.o.disconnected_retry_timeout_ms = 100;
    script_start(&s);
    ably_realtime_channel *c1 = channel(&s, "test-RTL3d-multi1");
    ably_realtime_channel *c2 = channel(&s, "test-RTL3d-multi2");
    script_connect(&s);
    attach_ok(&s, c1);
    attach_ok(&s, c2);
    int before = s.attaches;
    drop_transport(&s);
    assert_int_equal(mock_rt_state(&s.f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(c1), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(ably_realtime_channel_state(c2), ABLY_CHANNEL_ATTACHED);
    bool saw1 = false, saw2 = false;
    for (int i = before; i < s.attaches && i < 16; i++) {
        saw1 |= strcmp(s.attach_channels[i], "test-RTL3d-multi1") == 0;
        saw2 |= strcmp(s.attach_channels[i], "test-RTL3d-multi2") == 0;
    }
    assert_true(saw1);
    assert_true(saw2);
    script_free(&s);
}

/* ==== channel_detach.md ==== */

static void detach_from_suspended_is_immediate(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    s.attach_default = NO_REPLY;
    s.f.t.o.realtime_request_timeout_ms = 100;
    ably_realtime_channel *ch = connected_channel(&s, "test-RTL5j");
    op_result a;
    attach_into(&s, ch, &a);
    advance(&s, 150);
    assert_int_equal(a.calls, 1);
    assert_true(a.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    op_result d;
    detach_into(&s, ch, &d);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(s.detaches, 0); /* no DETACH sent */
    assert_int_equal(mock_ws_count_sent(s.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 0);
    script_free(&s);
}

static void detach_emits_detaching_then_detached(void **state)
{
    (void)state;
    script s;
    script_init(&s);
    script_start(&s);
    ably_realtime_channel *ch = channel(&s, "test-RTL5-events");
    changes rec;
    record(ch, &rec);
    script_connect(&s);
    attach_ok(&s, ch);
    rec.count = 0;
    assert_int_equal(detach_code(&s, ch), 0);
    assert_true(rec.count >= 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_DETACHING);
    assert_int_equal(rec.items[0].previous, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(rec.items[0].event, ABLY_CHANNEL_EVENT_DETACHING);
    assert_int_equal(rec.items[1].current, ABLY_CHANNEL_DETACHED);
    assert_int_equal(rec.items[1].previous, ABLY_CHANNEL_DETACHING);
    assert_int_equal(rec.items[1].event, ABLY_CHANNEL_EVENT_DETACHED);
    script_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* channel_attributes.md */
        ABLY_TEST(name_attribute, "RTL23"),
        ABLY_TEST(error_reason_set_by_channel_error, "RTL24 RTL14"),
        ABLY_TEST(error_reason_set_by_rejected_attach, "RTL24"),
        ABLY_TEST(error_reason_cleared_by_successful_attach, "RTL24 RTL4c"),
        ABLY_TEST(error_reason_cleared_by_attach_stays_cleared_by_detach, "RTL24 RTL4c RTL4g"),
        /* channel_state_events.md */
        ABLY_TEST(state_starts_initialized, "RTL2b"),
        ABLY_TEST(every_state_change_is_emitted, "RTL2a"),
        ABLY_TEST(state_change_carries_current_previous_and_event, "RTL2d TH1 TH2 TH5"),
        ABLY_TEST(state_change_carries_the_error, "RTL2d TH3"),
        ABLY_TEST(listener_for_one_event_gets_only_that_event, "RTL2"),
        ABLY_TEST(unresumed_attached_while_attached_emits_update, "RTL2g RTL12"),
        ABLY_TEST(no_state_event_repeats_the_state, "RTL2g"),
        ABLY_TEST(has_backlog_true_with_the_flag, "RTL2i TH6"),
        ABLY_TEST(has_backlog_false_without_the_flag, "RTL2i"),
        ABLY_TEST(resumed_follows_the_flag, "RTL2d TH4"),
        ABLY_TEST(error_reason_populated_when_failed, "RTL24 RTL14"),
        ABLY_TEST(error_reason_cleared_by_attach_after_failure, "RTL4c RTL4g"),
        /* channel_when_state_test.md */
        ABLY_TEST(when_state_already_there_calls_with_null, "RTL25 RTL25a"),
        ABLY_TEST(when_state_waits_for_the_state, "RTL25 RTL25b"),
        ABLY_TEST(when_state_fires_once, "RTL25b"),
        ABLY_TEST(when_state_for_a_past_state_waits, "RTL25a"),
        /* channel_properties.md */
        ABLY_TEST(attach_serial_from_each_attach, "RTL15 RTL15c CP1 CP2 CP2a"),
        ABLY_TEST(attach_serial_from_unsolicited_unresumed_attached, "RTL15c"),
        ABLY_TEST(attach_serial_kept_on_resumed_attached, "RTL15c RTL15b"),
        ABLY_TEST(channel_serial_from_attached, "RTL15 RTL15b CP1 CP2 CP2b"),
        ABLY_TEST(channel_serial_from_message_and_presence, "RTL15b"),
        ABLY_TEST(channel_serial_kept_when_absent, "RTL15b"),
        ABLY_TEST(channel_serial_ignores_other_actions, "RTL15b RTL4c1"),
        ABLY_TEST(channel_serial_cleared_on_detached, "RTL15b2"),
        ABLY_TEST(channel_serial_kept_on_suspended, "RTL15b2"),
        ABLY_TEST(channel_serial_cleared_on_failed, "RTL15b2"),
        /* channel_server_initiated_detach.md */
        ABLY_TEST(server_detached_on_attached_reattaches, "RTL13 RTL13a"),
        ABLY_TEST(server_detached_on_suspended_reattaches, "RTL13 RTL13a"),
        ABLY_TEST(failed_reattach_suspends_then_retries, "RTL13b"),
        ABLY_TEST(server_detached_while_attaching_suspends_at_once, "RTL13b"),
        ABLY_TEST(repeated_failures_cycle, "RTL13b"),
        ABLY_TEST(retry_cancelled_when_disconnected, "RTL13c RTL3e"),
        ABLY_TEST(detached_while_detaching_completes_the_detach, "RTL13 RTL5"),
        /* channel_connection_state.md */
        ABLY_TEST(disconnected_leaves_attached_channel, "RTL3 RTL3e"),
        ABLY_TEST(disconnected_leaves_attaching_channel, "RTL3 RTL3e"),
        ABLY_TEST(connection_failed_fails_attached_channel, "RTL3 RTL3a"),
        ABLY_TEST(connection_failed_fails_attaching_channel, "RTL3a"),
        ABLY_TEST(connection_failed_leaves_other_channels, "RTL3a"),
        ABLY_TEST(connection_closed_detaches_attached_channel, "RTL3 RTL3b"),
        ABLY_TEST(connection_closed_detaches_attaching_channel, "RTL3b"),
        ABLY_TEST(connection_suspended_suspends_attached_channel, "RTL3 RTL3c"),
        ABLY_TEST(connection_suspended_suspends_attaching_channel, "RTL3c"),
        ABLY_TEST(reconnect_reattaches_with_channel_serial, "RTL3 RTL3d RTL4c1"),
        ABLY_TEST(reconnect_reattaches_suspended_channel, "RTL3d"),
        ABLY_TEST(reconnect_leaves_initialized_and_detached_channels, "RTL3d"),
        ABLY_TEST(reconnect_reattaches_every_channel, "RTL3d"),
        /* channel_detach.md */
        ABLY_TEST(detach_from_suspended_is_immediate, "RTL5j"),
        ABLY_TEST(detach_emits_detaching_then_detached, "RTL5 RTL5d"),
    };
    return cmocka_run_group_tests_name("realtime_channel_lifecycle", tests, NULL, NULL);
}
