/* Realtime channel subscribe and unsubscribe (RTL7, RTL8, RTL17) and filtered
 * subscriptions (RTL22, MFI) on the mock WebSocket
 * (uts/realtime/unit/channels/channel_subscribe.md). */
#include "test_realtime_channel_fixture.h"

/* ---- recorders and helpers ---- */

#define MAX_MSGS 16

typedef struct {
    int count;
    char name[MAX_MSGS][32];
    char data[MAX_MSGS][32];
    char client_id[MAX_MSGS][32];
    bool has_name[MAX_MSGS];
} msg_rec;

static void on_msg(void *ctx, const ably_message *m)
{
    msg_rec *r = ctx;
    if (r->count >= MAX_MSGS)
        return;
    int i = r->count++;
    r->has_name[i] = m->name != NULL;
    snprintf(r->name[i], sizeof r->name[i], "%s", m->name ? m->name : "");
    snprintf(r->data[i], sizeof r->data[i], "%.*s", (int)m->data.len, m->data.bytes ? m->data.bytes : "");
    snprintf(r->client_id[i], sizeof r->client_id[i], "%s", m->client_id ? m->client_id : "");
}

static void on_msg_ignored(void *ctx, const ably_message *m)
{
    (void)ctx;
    (void)m;
}

/* A MESSAGE frame for channel `ch` carrying the JSON array `messages`. */
static void server_messages(chan_fx *f, const char *ch, const char *messages)
{
    char frame[1024];
    snprintf(frame, sizeof frame, "{\"action\":15,\"channel\":\"%s\",\"messages\":%s}", ch, messages);
    fx_server(f, frame);
}

static const ably_realtime_channel_options no_attach_on_subscribe = {.no_attach_on_subscribe = true};

/* Connected, with `name` attached (attachOnSubscribe false, as the UTS cases set up). */
static ably_realtime_channel *attached_channel(chan_fx *f, const char *name)
{
    fx_init_connected(f);
    ably_realtime_channel *ch = fx_attached(f, name, &no_attach_on_subscribe);
    return ch;
}

/* Starts the (initialized) client, connects it and gets channel "sub" with these options. */
static ably_realtime_channel *start_channel(chan_fx *f, const ably_realtime_channel_options *o)
{
    fx_start(f);
    fx_connect(f);
    return fx_channel(f, "sub", o);
}

static size_t attach_frames(chan_fx *f) { return mock_ws_count_sent(f->t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH); }

/* The operation reported success, once. */
static void assert_ok(const op_result *r)
{
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->code, 0);
}

/* Detaches and asserts success. */
static void detach_ok(chan_fx *f, ably_realtime_channel *ch)
{
    op_result detached = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &detached);
    fx_pump(f);
    assert_int_equal(detached.code, 0);
}

/* The listener got exactly these message data, in order. */
#define EXPECT_DATA(r, ...)                                                                                      \
    expect_data((r), (const char *[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))

static void expect_data(const msg_rec *r, const char **data, size_t n)
{
    assert_int_equal(r->count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->data[i], data[i]);
}

/* Subscribes `r` through `filter` (copied by the call). */
static void subscribe_filtered(ably_realtime_channel *ch, ably_message_filter filter, msg_rec *r)
{
    assert_true(ably_realtime_channel_subscribe_filter(ch, &filter, on_msg, r, NULL, NULL) != 0);
}

/* ---- RTL7a, RTL7b ---- */

static void subscribe_without_name_gets_every_message(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    assert_true(ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL) != 0);
    server_messages(&f, "sub", "[{\"name\":\"event1\",\"data\":\"data1\"}]");
    server_messages(&f, "sub", "[{\"name\":\"event2\",\"data\":\"data2\"}]");
    server_messages(&f, "sub", "[{\"data\":\"data3\"}]");
    EXPECT_DATA(&r, "data1", "data2", "data3");
    assert_string_equal(r.name[0], "event1");
    assert_string_equal(r.name[1], "event2");
    assert_false(r.has_name[2]);
    fx_free(&f);
}

static void subscribe_gets_each_message_of_a_frame(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL);
    server_messages(&f, "sub",
                    "[{\"name\":\"batch1\",\"data\":\"first\"},{\"name\":\"batch2\",\"data\":\"second\"},"
                    "{\"name\":\"batch3\",\"data\":\"third\"}]");
    assert_int_equal(r.count, 3);
    assert_string_equal(r.name[0], "batch1");
    assert_string_equal(r.name[1], "batch2");
    assert_string_equal(r.name[2], "batch3");
    fx_free(&f);
}

static void subscribe_with_name_gets_only_that_name(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, "target", on_msg, &r, NULL, NULL);
    server_messages(&f, "sub", "[{\"name\":\"other\",\"data\":\"should-not-receive\"}]");
    server_messages(&f, "sub", "[{\"name\":\"target\",\"data\":\"should-receive\"}]");
    server_messages(&f, "sub", "[{\"data\":\"no-name-should-not-receive\"}]");
    EXPECT_DATA(&r, "should-receive");
    assert_string_equal(r.name[0], "target");
    fx_free(&f);
}

static void name_subscriptions_are_independent(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec alpha = {0}, beta = {0};
    ably_realtime_channel_subscribe(ch, "alpha", on_msg, &alpha, NULL, NULL);
    ably_realtime_channel_subscribe(ch, "beta", on_msg, &beta, NULL, NULL);
    server_messages(&f, "sub",
                    "[{\"name\":\"alpha\",\"data\":\"a1\"},{\"name\":\"beta\",\"data\":\"b1\"},"
                    "{\"name\":\"alpha\",\"data\":\"a2\"},{\"name\":\"gamma\",\"data\":\"g1\"}]");
    EXPECT_DATA(&alpha, "a1", "a2");
    EXPECT_DATA(&beta, "b1");
    fx_free(&f);
}

/* ---- RTL7g, RTL7h ---- */

static void subscribe_attaches_initialized_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    ably_realtime_channel *ch = start_channel(&f, NULL); /* attachOnSubscribe defaults to true */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    msg_rec r = {0};
    op_result attached = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, fx_on_result, &attached);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_ok(&attached);
    assert_int_equal(attach_frames(&f), 1);
    server_messages(&f, "sub", "[{\"name\":\"test\",\"data\":\"hello\"}]");
    assert_int_equal(r.count, 1);
    fx_free(&f);
}

static void subscribe_attaches_detached_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    ably_realtime_channel *ch = start_channel(&f, NULL);
    fx_attach(&f, ch);
    detach_ok(&f, ch);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(attach_frames(&f), 1);
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(attach_frames(&f), 2);
    fx_free(&f);
}

static void listener_kept_when_implicit_attach_fails(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false; /* the server rejects the first ATTACH with a channel ERROR */
    ably_realtime_channel *ch = start_channel(&f, NULL);
    msg_rec r = {0};
    op_result attach = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, fx_on_result, &attach);
    fx_pump(&f);
    assert_int_equal(attach_frames(&f), 1);
    fx_server(&f, "{\"action\":9,\"channel\":\"sub\",\"error\":{\"code\":40160,\"statusCode\":401,"
                  "\"message\":\"Not permitted\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(attach.calls, 1);
    assert_int_equal(attach.code, 40160);
    f.auto_attach = true;
    fx_attach(&f, ch);
    server_messages(&f, "sub", "[{\"name\":\"test\",\"data\":\"after-reattach\"}]");
    EXPECT_DATA(&r, "after-reattach");
    fx_free(&f);
}

static void subscribe_without_attach_on_subscribe_stays_initialized(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    ably_realtime_channel *ch = start_channel(&f, &no_attach_on_subscribe);
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(attach_frames(&f), 0);
    fx_free(&f);
}

static void subscribe_on_attached_channel_does_not_reattach(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    ably_realtime_channel *ch = start_channel(&f, NULL);
    fx_attach(&f, ch);
    assert_int_equal(attach_frames(&f), 1);
    op_result attach = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, fx_on_result, &attach);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(attach_frames(&f), 1);
    assert_ok(&attach); /* no attach needed: reported at once */
    fx_free(&f);
}

static void subscribe_while_attaching_sends_no_second_attach(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    ably_realtime_channel *ch = start_channel(&f, NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(attach_frames(&f), 1);
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(attach_frames(&f), 1);
    fx_free(&f);
}

/* ---- RTL17 ---- */

static void no_delivery_while_attaching(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    ably_realtime_channel *ch = start_channel(&f, &no_attach_on_subscribe);
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    server_messages(&f, "sub", "[{\"name\":\"premature\",\"data\":\"should-not-deliver\"}]");
    assert_int_equal(r.count, 0);
    fx_free(&f);
}

/* ---- RTL7f ---- */

/* echoMessages false is delegated to the server (echo=false on the connection URL,
 * as ably-js does); the server then never sends this connection's own messages back.
 * What does arrive, from other connections, is delivered. */
static void echo_messages_false_asks_server_not_to_echo(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.echo_messages = false;
    fx_start(&f);
    size_t attempt = mock_rt_connect(&f.t, "conn-self-123", "key-456");
    assert_string_equal(mock_ws_query(f.t.m, attempt, "echo"), "false");
    ably_realtime_channel *ch = fx_attached(&f, "sub", &no_attach_on_subscribe);
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL);
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"connectionId\":\"conn-other-789\","
                  "\"messages\":[{\"name\":\"remote\",\"data\":\"from-other\"}]}");
    EXPECT_DATA(&r, "from-other");
    assert_string_equal(r.name[0], "remote");
    fx_free(&f);

    chan_fx g; /* the default asks for echoes */
    fx_init(&g);
    fx_start(&g);
    attempt = mock_rt_connect(&g.t, "conn-self-123", "key-456");
    assert_string_equal(mock_ws_query(g.t.m, attempt, "echo"), "true");
    fx_free(&g);
}

/* ---- RTL8 ---- */

static void unsubscribe_one_listener(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec a = {0}, b = {0};
    uint64_t id_a = ably_realtime_channel_subscribe(ch, NULL, on_msg, &a, NULL, NULL);
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &b, NULL, NULL);
    server_messages(&f, "sub", "[{\"name\":\"msg1\",\"data\":\"first\"}]");
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    ably_realtime_channel_unsubscribe(ch, id_a);
    server_messages(&f, "sub", "[{\"name\":\"msg2\",\"data\":\"second\"}]");
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 2);
    assert_string_equal(b.name[1], "msg2");
    fx_free(&f);
}

static void unsubscribe_one_name(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, "alpha", on_msg, &r, NULL, NULL);
    ably_realtime_channel_subscribe(ch, "beta", on_msg, &r, NULL, NULL);
    server_messages(&f, "sub", "[{\"name\":\"alpha\",\"data\":\"a1\"},{\"name\":\"beta\",\"data\":\"b1\"}]");
    assert_int_equal(r.count, 2);
    ably_realtime_channel_unsubscribe_name(ch, "alpha");
    server_messages(&f, "sub", "[{\"name\":\"alpha\",\"data\":\"a2\"},{\"name\":\"beta\",\"data\":\"b2\"}]");
    assert_int_equal(r.count, 3);
    assert_string_equal(r.name[2], "beta");
    assert_string_equal(r.data[2], "b2");
    fx_free(&f);
}

static void unsubscribe_all_listeners(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec all = {0}, named = {0}, filtered = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &all, NULL, NULL);
    ably_realtime_channel_subscribe(ch, "specific", on_msg, &named, NULL, NULL);
    ably_message_filter filter = {.name = "specific"};
    ably_realtime_channel_subscribe_filter(ch, &filter, on_msg, &filtered, NULL, NULL);
    server_messages(&f, "sub", "[{\"name\":\"specific\",\"data\":\"first\"}]");
    assert_int_equal(all.count, 1);
    assert_int_equal(named.count, 1);
    assert_int_equal(filtered.count, 1);
    ably_realtime_channel_unsubscribe_all(ch);
    server_messages(&f, "sub", "[{\"name\":\"specific\",\"data\":\"second\"},{\"name\":\"other\",\"data\":\"third\"}]");
    assert_int_equal(all.count, 1);
    assert_int_equal(named.count, 1);
    assert_int_equal(filtered.count, 1);
    fx_free(&f);
}

static void unsubscribe_unknown_listener_is_a_no_op(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    uint64_t id = ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL);
    ably_realtime_channel_unsubscribe(ch, id + 1000); /* never handed out */
    ably_realtime_channel_unsubscribe_name(ch, "never-subscribed");
    server_messages(&f, "sub", "[{\"name\":\"test\",\"data\":\"still-works\"}]");
    EXPECT_DATA(&r, "still-works");
    fx_free(&f);
}

/* ---- RTL22, MFI ---- */

static void filter_on_name(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.name = "target-event"}, &r);
    server_messages(&f, "sub", "[{\"name\":\"target-event\",\"data\":\"match-1\"}]");
    server_messages(&f, "sub", "[{\"name\":\"other-event\",\"data\":\"no-match\"}]");
    server_messages(&f, "sub", "[{\"name\":\"target-event\",\"data\":\"match-2\"}]");
    server_messages(&f, "sub", "[{\"data\":\"no-name\"}]");
    EXPECT_DATA(&r, "match-1", "match-2");
    assert_string_equal(r.name[0], "target-event");
    assert_string_equal(r.name[1], "target-event");
    fx_free(&f);
}

static void filter_on_ref_timeserial(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.ref_timeserial = "abc123@1700000000000-0"}, &r);
    server_messages(&f, "sub",
                    "[{\"name\":\"reply\",\"data\":\"match\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"abc123@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"reply\",\"data\":\"no-match\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"xyz789@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    server_messages(&f, "sub", "[{\"name\":\"plain\",\"data\":\"no-ref\"}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"reaction\",\"data\":\"match-2\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"abc123@1700000000000-0\",\"type\":\"com.ably.reaction\"}}}]");
    EXPECT_DATA(&r, "match", "match-2");
    fx_free(&f);
}

static void filter_is_ref_false_skips_references(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.has_is_ref = true, .is_ref = false}, &r);
    server_messages(&f, "sub", "[{\"name\":\"plain\",\"data\":\"no-extras\"}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"reply\",\"data\":\"has-ref\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"abc123@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"annotated\",\"data\":\"extras-no-ref\",\"extras\":{\"headers\":"
                    "{\"custom-key\":\"custom-value\"}}}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"reaction\",\"data\":\"also-has-ref\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"xyz789@1700000000000-0\",\"type\":\"com.ably.reaction\"}}}]");
    EXPECT_DATA(&r, "no-extras", "extras-no-ref");
    assert_string_equal(r.name[0], "plain");
    assert_string_equal(r.name[1], "annotated");
    fx_free(&f);
}

/* Not a UTS case: the other half of MFI2a, isRef true keeps only references. */
static void filter_is_ref_true_keeps_only_references(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.has_is_ref = true, .is_ref = true}, &r);
    server_messages(&f, "sub",
                    "[{\"name\":\"plain\",\"data\":\"no-extras\"},{\"name\":\"reply\",\"data\":\"has-ref\","
                    "\"extras\":{\"ref\":{\"timeserial\":\"abc@1-0\",\"type\":\"com.ably.reply\"}}},"
                    "{\"name\":\"annotated\",\"data\":\"extras-no-ref\",\"extras\":{\"headers\":{\"k\":\"v\"}}}]");
    EXPECT_DATA(&r, "has-ref");
    fx_free(&f);
}

static void filter_needs_every_criterion(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.name = "comment", .ref_type = "com.ably.reply"}, &r);
    server_messages(&f, "sub",
                    "[{\"name\":\"comment\",\"data\":\"both-match\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"abc@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"comment\",\"data\":\"name-only\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"def@1700000000000-0\",\"type\":\"com.ably.reaction\"}}}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"update\",\"data\":\"type-only\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"ghi@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    server_messages(&f, "sub", "[{\"name\":\"update\",\"data\":\"neither\"}]");
    server_messages(&f, "sub",
                    "[{\"name\":\"comment\",\"data\":\"both-match-2\",\"extras\":{\"ref\":{\"timeserial\":"
                    "\"jkl@1700000000000-0\",\"type\":\"com.ably.reply\"}}}]");
    EXPECT_DATA(&r, "both-match", "both-match-2");
    fx_free(&f);
}

static void filter_on_client_id(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_channel *ch = attached_channel(&f, "sub");
    msg_rec r = {0};
    subscribe_filtered(ch, (ably_message_filter){.client_id = "user-42"}, &r);
    server_messages(&f, "sub", "[{\"name\":\"chat\",\"data\":\"hello\",\"clientId\":\"user-42\"}]");
    server_messages(&f, "sub", "[{\"name\":\"chat\",\"data\":\"hi\",\"clientId\":\"user-99\"}]");
    server_messages(&f, "sub", "[{\"name\":\"system\",\"data\":\"broadcast\"}]");
    server_messages(&f, "sub", "[{\"name\":\"chat\",\"data\":\"world\",\"clientId\":\"user-42\"}]");
    EXPECT_DATA(&r, "hello", "world");
    assert_string_equal(r.client_id[0], "user-42");
    assert_string_equal(r.client_id[1], "user-42");
    fx_free(&f);
}

/* RTL22: the listener can be removed again (by id); the filter was copied at
 * subscribe time, so the caller's strings need not outlive the call; a filtered
 * subscription attaches like any other (RTL7g). */
static void filtered_listener_copies_filter_attaches_and_unsubscribes(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    ably_realtime_channel *ch = start_channel(&f, NULL);
    msg_rec r = {0};
    char name[16] = "wanted";
    ably_message_filter filter = {.name = name};
    op_result attached = {0};
    uint64_t id = ably_realtime_channel_subscribe_filter(ch, &filter, on_msg, &r, fx_on_result, &attached);
    assert_true(id != 0);
    strcpy(name, "changed");
    fx_pump(&f);
    assert_ok(&attached);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    server_messages(&f, "sub", "[{\"name\":\"wanted\",\"data\":\"1\"},{\"name\":\"changed\",\"data\":\"2\"}]");
    EXPECT_DATA(&r, "1");
    ably_realtime_channel_unsubscribe(ch, id);
    server_messages(&f, "sub", "[{\"name\":\"wanted\",\"data\":\"3\"}]");
    assert_int_equal(r.count, 1);
    assert_int_equal(ably_realtime_channel_subscribe_filter(ch, &filter, NULL, NULL, NULL, NULL), 0);
    fx_free(&f);
}

/* ---- RTL7i: the SUBSCRIBE mode check ---- */

typedef struct {
    int warnings;
} log_rec;

static void on_log(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    log_rec *r = ctx;
    if (level == ABLY_LOG_ERROR && strstr(line, "without the subscribe mode"))
        __atomic_fetch_add(&r->warnings, 1, __ATOMIC_RELAXED);
}

static int warnings(log_rec *r) { return __atomic_load_n(&r->warnings, __ATOMIC_RELAXED); }

/* fx_init with the client's log going to *logs. */
static void init_logging_to(chan_fx *f, log_rec *logs)
{
    *logs = (log_rec){0};
    fx_init(f);
    f->t.o.log_handler = on_log;
    f->t.o.log_handler_ctx = logs;
}

/* RTL7i2 (strictMode false): the subscribe completes as usual and a warning is
 * logged, once per attachment, when the granted modes lack SUBSCRIBE. */
static void warns_once_per_attachment_without_subscribe_mode(void **state)
{
    (void)state;
    chan_fx f;
    log_rec logs;
    init_logging_to(&f, &logs);
    f.attached_flags = ABLY_CHANNEL_MODE_PUBLISH; /* granted: PUBLISH only */
    ably_realtime_channel *ch = start_channel(&f, NULL);
    op_result attached = {0};
    msg_rec r = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, fx_on_result, &attached); /* implicit attach */
    fx_pump(&f);
    assert_ok(&attached); /* completes as it would without the check */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(warnings(&logs), 1); /* at the completion of the implicit attach */
    ably_realtime_channel_subscribe(ch, "x", on_msg, &r, NULL, NULL); /* already ATTACHED */
    fx_pump(&f);
    assert_int_equal(warnings(&logs), 1); /* not on every subscribe */
    detach_ok(&f, ch);
    fx_attach(&f, ch); /* a new attachment */
    assert_true(warnings(&logs) <= 2);
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(warnings(&logs), 2);
    fx_free(&f);
}

static void no_warning_when_subscribe_mode_granted(void **state)
{
    (void)state;
    chan_fx f;
    log_rec logs;
    init_logging_to(&f, &logs);
    f.attached_flags = ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE;
    ably_realtime_channel *ch = start_channel(&f, NULL);
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(warnings(&logs), 0);
    fx_free(&f);
}

/* RTL7i3: nothing to check while the channel is not ATTACHED. */
static void no_mode_check_while_not_attached(void **state)
{
    (void)state;
    chan_fx f;
    log_rec logs;
    init_logging_to(&f, &logs);
    ably_realtime_channel *ch = start_channel(&f, &no_attach_on_subscribe);
    op_result attach = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg_ignored, NULL, fx_on_result, &attach);
    fx_pump(&f);
    assert_ok(&attach);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(warnings(&logs), 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(subscribe_without_name_gets_every_message, "RTL7 RTL7a"),
        ABLY_TEST(subscribe_gets_each_message_of_a_frame, "RTL7a"),
        ABLY_TEST(subscribe_with_name_gets_only_that_name, "RTL7b"),
        ABLY_TEST(name_subscriptions_are_independent, "RTL7b"),
        ABLY_TEST(subscribe_attaches_initialized_channel, "RTL7g"),
        ABLY_TEST(subscribe_attaches_detached_channel, "RTL7g"),
        ABLY_TEST(listener_kept_when_implicit_attach_fails, "RTL7g"),
        ABLY_TEST(subscribe_without_attach_on_subscribe_stays_initialized, "RTL7h TB4"),
        ABLY_TEST(subscribe_on_attached_channel_does_not_reattach, "RTL7g"),
        ABLY_TEST(subscribe_while_attaching_sends_no_second_attach, "RTL7g"),
        ABLY_TEST(no_delivery_while_attaching, "RTL17"),
        ABLY_TEST(echo_messages_false_asks_server_not_to_echo, "RTL7f"),
        ABLY_TEST(unsubscribe_one_listener, "RTL8 RTL8a RTE2"),
        ABLY_TEST(unsubscribe_one_name, "RTL8 RTL8b"),
        ABLY_TEST(unsubscribe_all_listeners, "RTL8 RTL8c RTE2"),
        ABLY_TEST(unsubscribe_unknown_listener_is_a_no_op, "RTL8a"),
        ABLY_TEST(filter_on_name, "RTL22 RTL22a RTL22d MFI1 MFI2 MFI2d"),
        ABLY_TEST(filter_on_ref_timeserial, "RTL22a MFI2b"),
        ABLY_TEST(filter_is_ref_false_skips_references, "RTL22b MFI2a"),
        ABLY_TEST(filter_is_ref_true_keeps_only_references, "MFI2a"),
        ABLY_TEST(filter_needs_every_criterion, "RTL22c MFI2c MFI2d"),
        ABLY_TEST(filter_on_client_id, "RTL22a MFI2e"),
        ABLY_TEST(filtered_listener_copies_filter_attaches_and_unsubscribes, "RTL22 RTL7g"),
        ABLY_TEST(warns_once_per_attachment_without_subscribe_mode, "RTL7i RTL7i2 RTL4m"),
        ABLY_TEST(no_warning_when_subscribe_mode_granted, "RTL7i"),
        ABLY_TEST(no_mode_check_while_not_attached, "RTL7i3"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
