/* RealtimePresence get, history, subscribe and unsubscribe on the mock WebSocket and
 * mock HTTP (uts/realtime/unit/presence/realtime_presence_get.md,
 * realtime_presence_history.md, realtime_presence_subscribe.md). */
#include "test_realtime_presence_fixture.h"

#define ALICE_C1 "{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":100"
#define BOB_C2 "{\"action\":1,\"clientId\":\"bob\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":100"

/* Connected (anonymous), channel "p" attached with `flags`, `after` (may be NULL) sent
 * right after the ATTACHED. */
static ably_realtime_presence *attached(px_fx *x, int64_t flags, const char *after, ably_realtime_channel **ch_out)
{
    px_init(x);
    x->f.attached_flags = flags;
    x->after_attached = after;
    px_start(x, NULL);
    ably_realtime_channel *ch = fx_attached(&x->f, "p", NULL);
    if (ch_out)
        *ch_out = ch;
    return ably_realtime_channel_presence(ch);
}

static void get_now(px_fx *x, ably_realtime_presence *p, bool wait, const char *client_id, const char *conn_id,
                    px_get *g)
{
    px_get_clear(g);
    ably_realtime_presence_get(p, wait, client_id, conn_id, px_on_get, g);
    fx_pump(&x->f);
}

static void assert_alice_and_bob(const px_get *g)
{
    assert_int_equal(g->calls, 1);
    assert_int_equal(g->code, 0);
    assert_int_equal(g->count, 2);
    assert_non_null(px_find(g, "alice"));
    assert_non_null(px_find(g, "bob"));
}

/* RTP11a: get waits for a SYNC that has not arrived yet (one message). */
static void get_waits_for_single_message_sync(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 1, NULL, NULL);
    px_get g = {0};
    get_now(&x, p, true, NULL, NULL, &g);
    assert_int_equal(g.calls, 0);
    fx_server(&x.f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[" ALICE_C1
                    ",\"data\":\"a\"}," BOB_C2 ",\"data\":\"b\"}]}");
    assert_alice_and_bob(&g);
    px_done(&x, &g);
}

/* RTP11a, RTP11c1: ... and for every page of a multi-message SYNC. */
static void get_waits_for_multi_message_sync(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 1, NULL, NULL);
    px_get g = {0};
    get_now(&x, p, true, NULL, NULL, &g);
    assert_int_equal(g.calls, 0);
    fx_server(&x.f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:cursor1\",\"presence\":[" ALICE_C1
                    "}]}");
    assert_int_equal(g.calls, 0);
    fx_server(&x.f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[" BOB_C2 "}]}");
    assert_alice_and_bob(&g);
    px_done(&x, &g);
}

/* RTP11c1: without waiting, what is known so far. */
static void get_without_wait_returns_at_once(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(
        &x, 1, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:cursor1\",\"presence\":[" ALICE_C1 "}]}",
        NULL);
    px_get g = {0};
    get_now(&x, p, false, NULL, NULL, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "alice");
    px_done(&x, &g);
}

/* RTP11c2 */
static void get_filters_by_client_id(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p =
        attached(&x, 1,
                 "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[" ALICE_C1 "}," BOB_C2
                 "},{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c3\",\"id\":\"c3:0:0\",\"timestamp\":100}]}",
                 NULL);
    px_get g = {0};
    get_now(&x, p, true, "alice", NULL, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, 2);
    for (size_t i = 0; i < g.count; i++)
        assert_string_equal(g.items[i].client_id, "alice");
    px_done(&x, &g);
}

/* RTP11c3 */
static void get_filters_by_connection_id(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p =
        attached(&x, 1,
                 "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[" ALICE_C1 "}," BOB_C2
                 "},{\"action\":1,\"clientId\":\"carol\",\"connectionId\":\"c1\",\"id\":\"c1:0:1\",\"timestamp\":100}]}",
                 NULL);
    px_get g = {0};
    get_now(&x, p, true, NULL, "c1", &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, 2);
    for (size_t i = 0; i < g.count; i++)
        assert_string_equal(g.items[i].connection_id, "c1");
    assert_non_null(px_find(&g, "alice"));
    assert_non_null(px_find(&g, "carol"));
    /* both filters together */
    get_now(&x, p, true, "carol", "c1", &g);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "carol");
    px_done(&x, &g);
}

/* RTP11e: get attaches an INITIALIZED or DETACHED channel first (RTL33b), fails on a
 * FAILED one with 90001 (RTL33c) and with the attach's own error when it fails (RTL33b1). */
static void get_ensures_an_active_channel(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    px_start(&x, NULL);
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    px_get g = {0};
    get_now(&x, p, false, NULL, NULL, &g);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    px_assert_got(&g, 0);
    assert_int_equal(x.attach_count, 1);

    ably_realtime_channel_detach(ch, NULL, NULL);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    get_now(&x, p, true, NULL, NULL, &g);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(x.attach_count, 2);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 0);

    ably_realtime_channel_detach(ch, NULL, NULL);
    fx_pump(&x.f);
    x.f.auto_attach = false;
    get_now(&x, p, true, NULL, NULL, &g);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(g.calls, 0);
    fx_server(&x.f, "{\"action\":9,\"channel\":\"p\",\"error\":{\"code\":40160,\"statusCode\":401,"
                    "\"message\":\"no\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 40160);

    get_now(&x, p, false, NULL, NULL, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 90001);
    px_done(&x, &g);
}

/* RTP11f, RTP11f2: attached without PRESENCE_SUBSCRIBE, get still answers (there is no
 * strict mode) and logs a warning; with the mode, no warning. */
typedef struct {
    int warnings;
} log_rec;

static void on_log(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    log_rec *r = ctx;
    if (level == ABLY_LOG_ERROR && strstr(line, "presence_subscribe"))
        r->warnings++;
}

static void get_warns_without_presence_subscribe_mode(void **state)
{
    (void)state;
    for (int with_mode = 0; with_mode < 2; with_mode++) {
        px_fx x;
        log_rec logs = {0};
        px_init(&x);
        x.f.t.o.log_handler = on_log;
        x.f.t.o.log_handler_ctx = &logs;
        x.f.attached_flags = ABLY_CHANNEL_MODE_SUBSCRIBE | ABLY_CHANNEL_MODE_PRESENCE |
                             (with_mode ? ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE : 0);
        px_start(&x, NULL);
        ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
        px_get g = {0};
        get_now(&x, ably_realtime_channel_presence(ch), true, NULL, NULL, &g);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
        px_assert_got(&g, 0);
        assert_int_equal(logs.warnings, with_mode ? 0 : 1);
        px_done(&x, &g);
    }
}

/* Connection ttl 5 s, retries refused until the connection (and so the channel) is
 * SUSPENDED (RTL3c). */
static ably_realtime_presence *suspended_with_alice(px_fx *x, ably_realtime_channel **ch_out)
{
    ably_realtime_channel *ch = px_short_ttl_client(x, NULL);
    x->f.attached_flags = 1;
    x->after_attached = "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[" ALICE_C1 "}]}";
    fx_attach(&x->f, ch);
    x->f.auto_attach = false;
    px_suspend(x, ch);
    *ch_out = ch;
    return ably_realtime_channel_presence(ch);
}

/* RTP11d: SUSPENDED: 91005 when waiting for the sync, the kept members otherwise. */
static void get_on_suspended_channel(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = suspended_with_alice(&x, &ch);
    px_get g = {0};
    get_now(&x, p, true, NULL, NULL, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 91005);
    get_now(&x, p, false, NULL, NULL, &g);
    px_assert_got(&g, 1);
    assert_string_equal(g.items[0].client_id, "alice");
    px_done(&x, &g);
}

/* ---- history (RTP12) ---- */

/* RTP12, RTP12a: the REST presence history request with the same params. */
static void history_sends_rest_params(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    mock_http_queue_json(x.f.t.h, 200, "[]");
    ably_history_params hp = {.start = 1000, .end = 2000, .direction = "backwards", .limit = 50};
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_presence_history(p, &hp, &page, &err), 0);
    assert_non_null(page);
    assert_int_equal(mock_http_count(x.f.t.h), 1);
    const mock_request *rq = mock_http_request(x.f.t.h, 0);
    assert_string_equal(rq->method, "GET");
    assert_string_equal(rq->path, "/channels/p/presence/history");
    assert_string_equal(ably_string_map_get(&rq->query, "start"), "1000");
    assert_string_equal(ably_string_map_get(&rq->query, "end"), "2000");
    assert_string_equal(ably_string_map_get(&rq->query, "direction"), "backwards");
    assert_string_equal(ably_string_map_get(&rq->query, "limit"), "50");
    ably_paginated_result_free(page);
    fx_free(&x.f);
}

/* RTP12c: a PaginatedResult of PresenceMessages. */
static void history_returns_paginated_result(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    mock_http_queue_json(x.f.t.h, 200,
                         "[{\"action\":2,\"clientId\":\"alice\",\"timestamp\":1000},"
                         "{\"action\":4,\"clientId\":\"alice\",\"timestamp\":2000},"
                         "{\"action\":3,\"clientId\":\"alice\",\"timestamp\":3000}]");
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_presence_history(p, NULL, &page, &err), 0);
    size_t n = 0;
    const ably_presence_message *items = ably_paginated_result_items(page, &n);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].client_id, "alice");
    assert_int_equal(items[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(items[1].action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_int_equal(items[2].action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_int_equal(items[2].timestamp, 3000);
    ably_paginated_result_free(page);
    fx_free(&x.f);
}

/* ---- subscribe / unsubscribe (RTP6, RTP7) ---- */

static void server_presence(px_fx *x, const char *items)
{
    char frame[1024];
    snprintf(frame, sizeof frame, "{\"action\":14,\"channel\":\"p\",\"presence\":[%s]}", items);
    fx_server(&x->f, frame);
}

#define ENTER_A "{\"action\":2,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":1000}"
#define UPDATE_A                                                                                               \
    "{\"action\":4,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:1:0\",\"timestamp\":2000,"     \
    "\"data\":\"updated\"}"
#define LEAVE_A "{\"action\":3,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:2:0\",\"timestamp\":3000}"
#define ENTER_B "{\"action\":2,\"clientId\":\"bob\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":2000}"

static void noop_listener(void *ctx, const ably_presence_message *m)
{
    (void)ctx;
    (void)m;
}

/* RTP6a, RTP6d: subscribing attaches (once) and every action reaches the listener. */
static void subscribe_receives_every_action(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    /* No HAS_PRESENCE: no sync is in progress, so a LEAVE is emitted at once (during a
     * sync it would only mark the member ABSENT, RTP2h2a). */
    x.f.attached_flags = 0;
    px_start(&x, NULL);
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    px_events ev = {0};
    op_result r = {0};
    assert_true(ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, fx_on_result, &r) != 0);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(x.attach_count, 1);
    server_presence(&x, ENTER_A);
    server_presence(&x, UPDATE_A);
    server_presence(&x, LEAVE_A);
    assert_int_equal(ev.count, 3);
    assert_int_equal(ev.action[0], ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(ev.client[0], "alice");
    assert_int_equal(ev.action[1], ABLY_PRESENCE_ACTION_UPDATE);
    assert_string_equal(ev.data[1], "updated");
    assert_int_equal(ev.action[2], ABLY_PRESENCE_ACTION_LEAVE);
    fx_free(&x.f);
}

/* RTP6b: per action, and several actions by subscribing the listener to each. */
static void subscribe_filtered_by_action(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    px_events enters = {0}, leaves = {0}, both = {0};
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &enters, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, px_on_event, &leaves, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &both, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, px_on_event, &both, NULL, NULL);
    fx_pump(&x.f);
    server_presence(&x, ENTER_A "," UPDATE_A "," LEAVE_A);
    assert_int_equal(enters.count, 1);
    assert_int_equal(enters.action[0], ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(leaves.count, 1);
    assert_int_equal(leaves.action[0], ABLY_PRESENCE_ACTION_LEAVE);
    assert_int_equal(both.count, 2);
    assert_int_equal(both.action[0], ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(both.action[1], ABLY_PRESENCE_ACTION_LEAVE);
    fx_free(&x.f);
}

/* RTP6e: with attachOnSubscribe false the channel stays INITIALIZED. */
static void subscribe_without_attach_on_subscribe(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    px_start(&x, NULL);
    ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    ably_realtime_channel *ch = fx_channel(&x.f, "p", &o);
    op_result r = {0};
    assert_true(ably_realtime_presence_subscribe(ably_realtime_channel_presence(ch), -1, noop_listener, NULL,
                                                 fx_on_result, &r) != 0);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(x.attach_count, 0);
    assert_int_equal(r.calls, 1); /* told at once that no attach was needed */
    assert_int_equal(r.code, 0);
    fx_free(&x.f);
}

/* RTP7c */
static void unsubscribe_all(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    px_events a = {0}, b = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &a, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &b, NULL, NULL);
    fx_pump(&x.f);
    server_presence(&x, ENTER_A);
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    ably_realtime_presence_unsubscribe_all(p);
    server_presence(&x, ENTER_B);
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    fx_free(&x.f);
}

/* RTP7a: one listener (its subscription id) only. */
static void unsubscribe_one_listener(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    px_events a = {0}, b = {0};
    uint64_t ida = ably_realtime_presence_subscribe(p, -1, px_on_event, &a, NULL, NULL);
    uint64_t idb = ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &b, NULL, NULL);
    assert_true(ida && idb && ida != idb);
    fx_pump(&x.f);
    ably_realtime_presence_unsubscribe(p, ida);
    server_presence(&x, ENTER_A);
    assert_int_equal(a.count, 0);
    assert_int_equal(b.count, 1);
    /* an action-specific subscription goes the same way (RTP7a) */
    ably_realtime_presence_unsubscribe(p, idb);
    server_presence(&x, ENTER_B);
    assert_int_equal(b.count, 1);
    fx_free(&x.f);
}

/* RTP7b: the listener's ENTER subscription goes, its LEAVE one stays; and every
 * listener of one action at once. */
static void unsubscribe_for_one_action(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    px_events got = {0}, other = {0};
    uint64_t enter_id = ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &got, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, px_on_event, &got, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_UPDATE, px_on_event, &other, NULL, NULL);
    fx_pump(&x.f);
    ably_realtime_presence_unsubscribe(p, enter_id);
    server_presence(&x, ENTER_A "," LEAVE_A);
    assert_int_equal(got.count, 1);
    assert_int_equal(got.action[0], ABLY_PRESENCE_ACTION_LEAVE);
    ably_realtime_presence_unsubscribe_action(p, ABLY_PRESENCE_ACTION_UPDATE);
    server_presence(&x, ENTER_B ",{\"action\":4,\"clientId\":\"bob\",\"connectionId\":\"c2\",\"id\":\"c2:1:0\","
                                "\"timestamp\":3000}");
    assert_int_equal(other.count, 0);
    fx_free(&x.f);
}

/* RTP6: events are applied to the map (as PRESENT) before listeners hear of them. */
typedef struct {
    px_fx *x;
    ably_realtime_presence *p;
    px_get g;
} map_probe;

static void probe_listener(void *ctx, const ably_presence_message *m)
{
    (void)m;
    map_probe *pr = ctx;
    /* get runs on the loop after this callback; the map already holds the member */
    ably_realtime_presence_get(pr->p, false, NULL, NULL, px_on_get, &pr->g);
}

static void presence_events_update_the_map(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    map_probe pr = {&x, p, {0}};
    ably_realtime_presence_subscribe(p, -1, probe_listener, &pr, NULL, NULL);
    fx_pump(&x.f);
    server_presence(&x, "{\"action\":2,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\","
                        "\"timestamp\":1000,\"data\":\"hello\"}");
    assert_int_equal(pr.g.calls, 1);
    assert_int_equal(pr.g.count, 1);
    assert_string_equal(pr.g.items[0].client_id, "alice");
    assert_string_equal(px_data(&pr.g.items[0]), "hello");
    assert_int_equal(pr.g.items[0].action, ABLY_PRESENCE_ACTION_PRESENT); /* RTP2d2 */
    px_get_clear(&pr.g);
    fx_free(&x.f);
}

/* RTP6: several PresenceMessages in one ProtocolMessage, in order. */
static void several_messages_in_one_frame(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, 0, NULL, NULL);
    px_events ev = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, NULL, NULL);
    fx_pump(&x.f);
    server_presence(&x, ENTER_A "," ENTER_B
                        ",{\"action\":2,\"clientId\":\"carol\",\"connectionId\":\"c3\",\"id\":\"c3:0:0\","
                        "\"timestamp\":1000}");
    assert_int_equal(ev.count, 3);
    assert_string_equal(ev.client[0], "alice");
    assert_string_equal(ev.client[1], "bob");
    assert_string_equal(ev.client[2], "carol");
    fx_free(&x.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_waits_for_single_message_sync, "RTP11 RTP11a"),
        ABLY_TEST(get_waits_for_multi_message_sync, "RTP11a RTP11c1"),
        ABLY_TEST(get_without_wait_returns_at_once, "RTP11c1"),
        ABLY_TEST(get_filters_by_client_id, "RTP11c2"),
        ABLY_TEST(get_filters_by_connection_id, "RTP11c3"),
        ABLY_TEST(get_ensures_an_active_channel, "RTP11e RTL33 RTL33b RTL33b1 RTL33c"),
        ABLY_TEST(get_on_suspended_channel, "RTP11d"),
        ABLY_TEST(get_warns_without_presence_subscribe_mode, "RTP11f RTP11f2"),
        ABLY_TEST(history_sends_rest_params, "RTP12 RTP12a"),
        ABLY_TEST(history_returns_paginated_result, "RTP12c"),
        ABLY_TEST(subscribe_receives_every_action, "RTP6 RTP6a RTP6d"),
        ABLY_TEST(subscribe_filtered_by_action, "RTP6b"),
        ABLY_TEST(subscribe_without_attach_on_subscribe, "RTP6e"),
        ABLY_TEST(unsubscribe_all, "RTP7 RTP7c"),
        ABLY_TEST(unsubscribe_one_listener, "RTP7a"),
        ABLY_TEST(unsubscribe_for_one_action, "RTP7b"),
        ABLY_TEST(presence_events_update_the_map, "RTP6"),
        ABLY_TEST(several_messages_in_one_frame, "RTP6"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
