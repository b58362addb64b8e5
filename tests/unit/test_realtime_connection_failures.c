/* The connection once established, on the mock WebSocket and the mock clock
 * (uts/realtime/unit/connection/{connection_failures,connection_id_key,
 * connection_recovery,error_reason,heartbeat,network_change,fallback_hosts}_test.md):
 * failures while CONNECTED and the resume that follows (RTN15), id and key (RTN8, RTN9),
 * recovery (RTN16), errorReason (RTN25), idle detection (RTN23), network changes (RTN20)
 * and fallback hosts (RTN17). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test_realtime_channel_fixture.h"

/* ---- a scripted server: what each connection attempt gets ---- */

/* Each entry answers one attempt (the last one repeats):
 *   "refuse"  the connection is refused
 *   "hold"    nothing: the attempt stays pending
 *   "open"    the socket opens, nothing is sent
 *   "!{...}"  the socket opens, the frame is sent and the server closes
 *   "{...}"   the socket opens and the frame is sent
 *   "=N"      CONNECTED as connection-id-<attempt>, connection-key-<attempt>, maxIdle N */
typedef struct {
    const char *answer[8];
    size_t count;
    int attempts;
} server_plan;

static void plan_answer(void *ctx, mock_ws *m, size_t i)
{
    server_plan *p = ctx;
    p->attempts++;
    const char *a = p->answer[i < p->count ? i : p->count - 1];
    if (strcmp(a, "refuse") == 0) {
        mock_ws_respond_refused(m, i);
    } else if (strcmp(a, "hold") == 0) {
        return;
    } else if (strcmp(a, "open") == 0) {
        mock_ws_respond_success(m, i, NULL);
    } else if (a[0] == '!') {
        mock_ws_respond_error(m, i, a + 1);
    } else if (a[0] == '=') {
        char id[32], key[32];
        snprintf(id, sizeof id, "connection-id-%zu", i + 1);
        snprintf(key, sizeof key, "connection-key-%zu", i + 1);
        mock_ws_respond_success(m, i, mock_ws_connected_json(id, key, atoll(a + 1), 120000));
    } else {
        mock_ws_respond_success(m, i, a);
    }
}

/* CONNECTED frames kept in static storage: the plan borrows them. */
static char frames[8][256];

static const char *connected_frame(int slot, const char *id, const char *key)
{
    snprintf(frames[slot], sizeof frames[slot], "%s", mock_ws_connected_json(id, key, 15000, 120000));
    return frames[slot];
}

static void start_with_plan(mock_rt *t, server_plan *p)
{
    mock_ws_on_attempt(t->m, plan_answer, p);
    mock_rt_start(t, NULL);
}

static void connect_and_pump(mock_rt *t)
{
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
}

/* start_with_plan, then connect(): the plan answers the first attempt. */
static void connect_with_plan(mock_rt *t, server_plan *p)
{
    start_with_plan(t, p);
    connect_and_pump(t);
}

static void assert_id_key(mock_rt *t, const char *id, const char *key)
{
    char *i = ably_connection_id(t->rt), *k = ably_connection_key(t->rt);
    if (id)
        assert_string_equal(i, id);
    else
        assert_null(i);
    if (key)
        assert_string_equal(k, key);
    else
        assert_null(k);
    free(i);
    free(k);
}

typedef struct {
    int64_t code, status;
    char message[128];
} reason_seen;

static reason_seen error_reason(mock_rt *t)
{
    reason_seen r = {0};
    ably_error e = {0};
    if (ably_connection_error_reason(t->rt, &e) == 1) {
        r.code = e.code;
        r.status = e.status_code;
        snprintf(r.message, sizeof r.message, "%s", e.message ? e.message : "");
    }
    ably_error_clear(&e);
    return r;
}

/* Asserts the connection's errorReason code and status. */
static void assert_reason(mock_rt *t, int64_t code, int64_t status)
{
    reason_seen r = error_reason(t);
    assert_int_equal(r.code, code);
    assert_int_equal(r.status, status);
}

static bool states_in_order(const mock_rt *t, const ably_connection_state *seq, size_t n)
{
    return mock_ws_changes_contain(&t->rec, (const ably_connection_event *)seq, n);
}

/* ---- RTN15: failures once CONNECTED (connection_failures_test.md) ---- */

static void token_error_without_means_to_renew_fails(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "some_token_string";
    server_plan p = {{connected_frame(0, "connection-id", "connection-key")}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_reason(&t, 40142, 401);
    mock_rt_free(&t);
}

static void token_error_renews_and_resumes(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens s;
    mock_rt_use_tokens(&t, &s);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"), connected_frame(1, "connection-1", "key-1-renewed")},
                     2, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    size_t before = t.rec.count;
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}"); /* no time passes: the reconnect is immediate */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(s.calls, 2);
    assert_int_equal(p.attempts, 2);
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "key-1");
    assert_id_key(&t, "connection-1", "key-1-renewed");
    /* RTN15h2i: CONNECTED -> (DISCONNECTED at most, briefly) -> CONNECTING -> CONNECTED */
    size_t i = before;
    assert_true(i < t.rec.count);
    if (t.rec.items[i].current == ABLY_CONN_DISCONNECTED)
        i++;
    assert_true(i + 1 < t.rec.count);
    assert_int_equal(t.rec.items[i].current, ABLY_CONN_CONNECTING);
    assert_int_equal(t.rec.items[i + 1].current, ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void failed_renewal_after_token_error_disconnects(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens s;
    mock_rt_use_tokens(&t, &s);
    s.fail_from = 2;
    server_plan p = {{connected_frame(0, "connection-1", "key-1")}, 1, 0};
    connect_with_plan(&t, &p);
    t.rec.count = 0;
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}");
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_DISCONNECTED};
    assert_true(states_in_order(&t, seq, 2));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_true(error_reason(&t).code != 0);
    assert_int_equal(p.attempts, 1);
    mock_rt_free(&t);
}

static void non_token_disconnected_resumes_at_once(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"), connected_frame(1, "connection-1", "key-1")}, 2, 0};
    connect_with_plan(&t, &p);
    t.rec.count = 0;
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":80003,\"statusCode\":503,\"message\":\"Service unavailable\"}}");
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&t, seq, 2));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_id_key(&t, "connection-1", "key-1");
    assert_int_equal(p.attempts, 2);
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "key-1");
    mock_rt_free(&t);
}

static void connection_error_fails_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-id", "connection-key")}, 1, 0};
    connect_with_plan(&t, &p);
    mock_rt_server_closes(&t, 0, "{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal error\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_reason(&t, 50000, 500);
    mock_rt_free(&t);
}

static void unexpected_transport_loss_resumes(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"), connected_frame(1, "connection-1", "key-1")}, 2, 0};
    connect_with_plan(&t, &p);
    t.rec.count = 0;
    mock_rt_drop(&t, 0);
    static const ably_connection_state seq[] = {ABLY_CONN_DISCONNECTED, ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&t, seq, 3));
    assert_id_key(&t, "connection-1", "key-1");
    assert_int_equal(p.attempts, 2);
    mock_rt_free(&t);
}

static void resume_keeps_the_id_and_takes_the_new_key(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"), connected_frame(1, "connection-1", "key-1-updated")},
                     2, 0};
    connect_with_plan(&t, &p);
    assert_id_key(&t, "connection-1", "key-1");
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_id_key(&t, "connection-1", "key-1-updated");
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "key-1");
    assert_int_equal(p.attempts, 2);
    assert_int_equal(error_reason(&t).code, 0);
    mock_rt_free(&t);
}

static void failed_resume_is_a_new_connection_with_a_reason(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"),
                      "{\"action\":4,\"connectionId\":\"connection-2\",\"error\":{\"code\":80008,\"statusCode\":400,"
                      "\"message\":\"Unable to recover connection\"},\"connectionDetails\":{\"connectionKey\":\"key-2\","
                      "\"maxIdleInterval\":15000,\"connectionStateTtl\":120000}}"},
                     2, 0};
    connect_with_plan(&t, &p);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_id_key(&t, "connection-2", "key-2");
    assert_int_equal(error_reason(&t).code, 80008);
    const mock_ws_change *last = &t.rec.items[t.rec.count - 1];
    assert_int_equal(last->current, ABLY_CONN_CONNECTED);
    assert_int_equal(last->reason_code, 80008);
    mock_rt_free(&t);
}

static void token_error_on_resume_renews_and_retries(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens s;
    mock_rt_use_tokens(&t, &s);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"),
                      "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}",
                      connected_frame(2, "connection-2", "key-2")},
                     3, 0};
    connect_with_plan(&t, &p);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(s.calls, 2);
    assert_int_equal(p.attempts, 3);
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "key-1");
    assert_string_equal(mock_ws_query(t.m, 2, "resume"), "key-1"); /* RTN15h2: still a resume */
    assert_string_equal(mock_ws_query(t.m, 2, "accessToken"), "token-2");
    mock_rt_free(&t);
}

static void fatal_error_on_resume_fails(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "connection-1", "key-1"),
                      "{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal server error\"}}"},
                     2, 0};
    connect_with_plan(&t, &p);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(error_reason(&t).code, 50000);
    mock_ws_advance(t.m, t.h, t.rt, 300000);
    assert_int_equal(p.attempts, 2);
    mock_rt_free(&t);
}

/* RTN15d: state recovery across a forced disconnection, seen from the channels. */
typedef struct {
    int count;
    char data[4][32];
} got_messages;

static void on_message(void *ctx, const ably_message *m)
{
    got_messages *g = ctx;
    if (g->count < 4) {
        snprintf(g->data[g->count], sizeof g->data[g->count], "%.*s", (int)m->data.len,
                 m->data.bytes ? (const char *)m->data.bytes : "");
        g->count++;
    }
}

typedef struct {
    int calls;
    int64_t code;
} published;

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    published *p = ctx;
    p->calls++;
    p->code = err ? err->code : 0;
}

static void messages_flow_again_after_a_forced_disconnection(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "resumed-channel", NULL);
    got_messages got = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_message, &got, NULL, NULL);
    fx_server(&f, "{\"action\":15,\"channel\":\"resumed-channel\",\"id\":\"m1:0\",\"messages\":[{\"data\":\"before\"}]}");
    assert_int_equal(got.count, 1);
    mock_rt_drop(&f.t, 0); /* forcibly disconnected */
    assert_int_equal(mock_ws_attempt_count(f.t.m), 2);
    assert_string_equal(mock_ws_query(f.t.m, 1, "resume"), "key-1");
    published pub = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "while-away", 10);
    ably_realtime_channel_publish(ch, "e", &d, on_published, &pub); /* queued while CONNECTING */
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    mock_rt_accept(&f.t, 1, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    /* the queued message goes out on the resumed transport and is acknowledged */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    const ably_protocol_message *sent = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_int_equal(sent->msg_serial, 0);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(pub.calls, 1);
    assert_int_equal(pub.code, 0);
    /* and messages published elsewhere meanwhile are delivered once resumed */
    fx_server(&f, "{\"action\":15,\"channel\":\"resumed-channel\",\"id\":\"m2:0\",\"messages\":[{\"data\":\"after\"}]}");
    assert_int_equal(got.count, 2);
    assert_string_equal(got.data[0], "before");
    assert_string_equal(got.data[1], "after");
    fx_free(&f);
}

/* ---- RTN8, RTN9: id and key (connection_id_key_test.md) ---- */

static void id_and_key_unset_until_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{"hold"}, 1, 0};
    start_with_plan(&t, &p);
    assert_id_key(&t, NULL, NULL);
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    assert_id_key(&t, NULL, NULL);
    mock_rt_accept(&t, 0, mock_ws_connected_json("conn-id-1", "conn-key-1", 15000, 120000));
    assert_id_key(&t, "conn-id-1", "conn-key-1");
    mock_rt_free(&t);
}

typedef struct {
    int count;
} shared_count;

static void numbered_connected(void *ctx, mock_ws *m, size_t i)
{
    shared_count *c = ctx;
    c->count++;
    char id[32], key[32];
    snprintf(id, sizeof id, "conn-id-%d", c->count);
    snprintf(key, sizeof key, "conn-key-%d", c->count);
    mock_ws_respond_success(m, i, mock_ws_connected_json(id, key, 15000, 120000));
}

static void each_client_gets_its_own_id_and_key(void **state)
{
    (void)state;
    shared_count server = {0}; /* one server for both clients */
    mock_rt a, b;
    mock_rt_init(&a);
    mock_rt_init(&b);
    mock_ws_on_attempt(a.m, numbered_connected, &server);
    mock_ws_on_attempt(b.m, numbered_connected, &server);
    mock_rt_start(&a, NULL);
    mock_rt_start(&b, NULL);
    connect_and_pump(&a);
    assert_int_equal(mock_rt_state(&a), ABLY_CONN_CONNECTED);
    connect_and_pump(&b);
    assert_int_equal(mock_rt_state(&b), ABLY_CONN_CONNECTED);
    char *ia = ably_connection_id(a.rt), *ib = ably_connection_id(b.rt);
    char *ka = ably_connection_key(a.rt), *kb = ably_connection_key(b.rt);
    assert_string_not_equal(ia, ib);
    assert_string_not_equal(ka, kb);
    assert_string_equal(ia, "conn-id-1");
    assert_string_equal(ib, "conn-id-2");
    assert_string_equal(ka, "conn-key-1");
    assert_string_equal(kb, "conn-key-2");
    free(ia);
    free(ib);
    free(ka);
    free(kb);
    mock_rt_free(&a);
    mock_rt_free(&b);
}

static void id_and_key_null_when_closed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{connected_frame(0, "conn-id-1", "conn-key-1")}, 1, 0};
    connect_with_plan(&t, &p);
    assert_id_key(&t, "conn-id-1", "conn-key-1");
    mock_rt_close(&t);
    assert_id_key(&t, NULL, NULL);
    mock_rt_free(&t);
}

static void id_and_key_null_when_failed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{"!{\"action\":9,\"error\":{\"code\":80000,\"statusCode\":400,\"message\":\"Fatal error\"}}"}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_id_key(&t, NULL, NULL);
    mock_rt_free(&t);
}

static void id_and_key_null_when_suspended_before_connecting(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 1000;
    t.o.suspended_retry_timeout_ms = 100;
    t.o.fallback_hosts_set = true; /* fallbackHosts: [] */
    server_plan p = {{"refuse"}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    mock_ws_advance(t.m, t.h, t.rt, 121000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    assert_id_key(&t, NULL, NULL);
    mock_rt_free(&t);
}

/* ---- RTN16: recovery (connection_recovery_test.md) ---- */

static void recovery_key_has_key_serial_and_unicode_channel_serials(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    fx_start(&f);
    mock_rt_connect(&f.t, "connection-1", "key-abc-123");
    static const char *const names[] = {"channel-alpha", "channel-\xc3\xa9\xc3\xa0\xc3\xbc-\xe4\xb8\x96\xe7\x95\x8c"};
    static const char *const serials[] = {"serial-a-001", "serial-b-002"};
    for (int i = 0; i < 2; i++) {
        ably_realtime_channel *ch = fx_channel(&f, names[i], NULL);
        ably_realtime_channel_attach(ch, NULL, NULL);
        fx_pump(&f);
        char frame[256];
        snprintf(frame, sizeof frame, "{\"action\":11,\"channel\":\"%s\",\"channelSerial\":\"%s\"}", names[i], serials[i]);
        fx_server(&f, frame);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    }
    char *rk = ably_connection_create_recovery_key(f.t.rt);
    assert_non_null(rk);
    cJSON *root = cJSON_Parse(rk);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "connectionKey")->valuestring, "key-abc-123");
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(root, "msgSerial")->valuedouble, 0);
    cJSON *cs = cJSON_GetObjectItemCaseSensitive(root, "channelSerials");
    assert_non_null(cs);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cs, names[0])->valuestring, serials[0]);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cs, names[1])->valuestring, serials[1]);
    char *again = cJSON_PrintUnformatted(root); /* the round trip keeps the unicode name */
    cJSON *reparsed = cJSON_Parse(again);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(reparsed, "channelSerials"), names[1])->valuestring,
        serials[1]);
    cJSON_Delete(reparsed);
    free(again);
    cJSON_Delete(root);
    free(rk);
    fx_free(&f);
}

static void recovery_key_null_when_inactive(void **state)
{
    (void)state;
    {
        mock_rt t;
        mock_rt_init(&t);
        server_plan p = {{connected_frame(0, "connection-1", "key-1")}, 1, 0};
        start_with_plan(&t, &p);
        assert_null(ably_connection_create_recovery_key(t.rt)); /* INITIALIZED: no key */
        connect_and_pump(&t);
        char *rk = ably_connection_create_recovery_key(t.rt);
        assert_non_null(rk);
        free(rk);
        ably_connection_close(t.rt);
        mock_ws_pump(t.m, t.rt);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
        assert_null(ably_connection_create_recovery_key(t.rt));
        mock_rt_send(&t, 0, "{\"action\":8}");
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
        assert_null(ably_connection_create_recovery_key(t.rt));
        mock_rt_free(&t);
    }
    {
        mock_rt t;
        mock_rt_init(&t);
        server_plan p = {{connected_frame(0, "conn-f", "key-f")}, 1, 0};
        connect_with_plan(&t, &p);
        mock_rt_server_closes(&t, 0, "{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Fatal error\"}}");
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
        assert_null(ably_connection_create_recovery_key(t.rt));
        mock_rt_free(&t);
    }
    {
        mock_rt t;
        mock_rt_init(&t);
        t.o.disconnected_retry_timeout_ms = 500;
        t.o.fallback_hosts_set = true;
        server_plan p = {{connected_frame(0, "conn-s", "key-s"), "refuse"}, 2, 0};
        connect_with_plan(&t, &p);
        mock_rt_drop(&t, 0);
        for (int i = 0; i < 200 && mock_rt_state(&t) != ABLY_CONN_SUSPENDED; i++)
            mock_ws_advance(t.m, t.h, t.rt, 1500);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
        assert_null(ably_connection_create_recovery_key(t.rt));
        mock_rt_free(&t);
    }
}

static void recover_param_on_the_first_connection_only(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.recover = "{\"connectionKey\":\"recovered-key-xyz\",\"msgSerial\":5,\"channelSerials\":{}}";
    server_plan p = {{connected_frame(0, "recovered-conn-id", "new-key-after-recovery"),
                      connected_frame(1, "recovered-conn-id", "resumed-key")},
                     2, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_id_key(&t, "recovered-conn-id", "new-key-after-recovery"); /* RTN16d */
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_string_equal(mock_ws_query(t.m, 0, "recover"), "recovered-key-xyz");
    assert_null(mock_ws_query(t.m, 0, "resume"));
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "new-key-after-recovery");
    assert_null(mock_ws_query(t.m, 1, "recover"));
    mock_rt_free(&t);
}

static void recover_sets_the_first_msg_serial(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.recover = "{\"connectionKey\":\"old-key\",\"msgSerial\":42,\"channelSerials\":{\"test-channel\":\"ch-serial-1\"}}";
    f.attached_serial = "ch-serial-updated";
    fx_start(&f);
    mock_rt_connect(&f.t, "recovered-conn", "new-key");
    ably_realtime_channel *ch = fx_attached(&f, "test-channel", NULL);
    published pub = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "data", 4);
    ably_realtime_channel_publish(ch, "event", &d, on_published, &pub);
    fx_pump(&f);
    const ably_protocol_message *sent = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_non_null(sent);
    assert_int_equal(sent->msg_serial, 42);
    fx_server(&f, "{\"action\":1,\"msgSerial\":42,\"count\":1}");
    assert_int_equal(pub.calls, 1);
    assert_int_equal(pub.code, 0);
    fx_free(&f);
}

typedef struct {
    int errors_about_recover;
} recover_log;

static void watch_log(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    recover_log *l = ctx;
    if (level == ABLY_LOG_ERROR && strstr(line, "recover"))
        l->errors_about_recover++;
}

static void malformed_recovery_key_is_logged_and_ignored(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    recover_log log = {0};
    t.o.recover = "this-is-not-valid-json!!!";
    t.o.log_handler = watch_log;
    t.o.log_handler_ctx = &log;
    t.o.log_level = ABLY_LOG_ERROR;
    server_plan p = {{connected_frame(0, "fresh-conn", "fresh-key")}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_id_key(&t, "fresh-conn", "fresh-key");
    assert_null(mock_ws_query(t.m, 0, "recover"));
    assert_null(mock_ws_query(t.m, 0, "resume"));
    assert_int_equal(p.attempts, 1);
    assert_int_equal(log.errors_about_recover, 1);
    mock_rt_free(&t);
}

static void recover_instantiates_channels_with_their_serials(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    f.t.o.recover = "{\"connectionKey\":\"old-key-abc\",\"msgSerial\":10,\"channelSerials\":{"
                    "\"channel-one\":\"serial-1-abc\",\"channel-two\":\"serial-2-def\","
                    "\"channel-\xc3\xbc\xc3\xb1\xc3\xae\xc3\xa7\xc3\xb6\xc3\xb0\xc3\xa9\":\"serial-3-unicode\"}}";
    fx_start(&f);
    mock_rt_connect(&f.t, "recovered-conn", "new-key");
    static const char *const names[] = {"channel-one", "channel-two",
                                        "channel-\xc3\xbc\xc3\xb1\xc3\xae\xc3\xa7\xc3\xb6\xc3\xb0\xc3\xa9"};
    static const char *const serials[] = {"serial-1-abc", "serial-2-def", "serial-3-unicode"};
    ably_realtime_channel *ch[3];
    for (int i = 0; i < 3; i++) {
        ch[i] = fx_channel(&f, names[i], NULL);
        char *serial = ably_realtime_channel_serial(ch[i]);
        assert_string_equal(serial, serials[i]);
        free(serial);
        assert_int_equal(ably_realtime_channel_state(ch[i]), ABLY_CHANNEL_INITIALIZED); /* RTN16i */
    }
    ably_realtime_channel_attach(ch[0], NULL, NULL);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    const ably_protocol_message *attach = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_string_equal(attach->channel, "channel-one");
    assert_string_equal(attach->channel_serial, "serial-1-abc");
    fx_server(&f, "{\"action\":11,\"channel\":\"channel-one\",\"channelSerial\":\"serial-1-abc-updated\"}");
    assert_int_equal(ably_realtime_channel_state(ch[0]), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

/* ---- RTN25: errorReason (error_reason_test.md) ---- */

static void error_reason_on_failed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = "invalid.key:secret";
    server_plan p = {{"!{\"action\":9,\"error\":{\"code\":40005,\"statusCode\":400,\"message\":\"Invalid API key\"}}"}, 1, 0};
    start_with_plan(&t, &p);
    assert_int_equal(error_reason(&t).code, 0);
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    reason_seen r = error_reason(&t);
    assert_int_equal(r.code, 40005);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Invalid API key");
    mock_rt_free(&t);
}

static void error_reason_on_disconnected_and_suspended(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 500;
    server_plan p = {{"refuse"}, 1, 0};
    mock_ws_on_attempt(t.m, plan_answer, &p);
    ably_realtime_config cfg = {.connection_state_ttl_ms = 5000};
    mock_rt_start(&t, &cfg);
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    reason_seen r = error_reason(&t);
    assert_true(r.code != 0);
    assert_true(r.message[0] != '\0');
    mock_ws_advance(t.m, t.h, t.rt, 5100);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    r = error_reason(&t);
    assert_true(r.code != 0);
    assert_true(r.message[0] != '\0');
    mock_rt_free(&t);
}

static void error_reason_on_unrenewable_token_error(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "expired_token";
    server_plan p = {{"!{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}"}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(error_reason(&t).code, 40171);
    mock_rt_free(&t);
}

static void error_reason_cleared_on_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 100;
    server_plan p = {{"refuse", connected_frame(0, "connection-id", "connection-key")}, 2, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_true(error_reason(&t).code != 0);
    mock_ws_advance(t.m, t.h, t.rt, 150);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(error_reason(&t).code, 0);
    mock_rt_free(&t);
}

static void error_reason_from_a_connection_error(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{"!{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal server error\"}}"}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    reason_seen r = error_reason(&t);
    assert_int_equal(r.code, 50000);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.message, "Internal server error");
    mock_rt_free(&t);
}

typedef struct {
    int count;
    int64_t code, status;
    char message[64];
} failed_seen;

static void on_failed(void *ctx, const ably_connection_state_change *c)
{
    failed_seen *f = ctx;
    f->count++;
    if (c->reason) {
        f->code = c->reason->code;
        f->status = c->reason->status_code;
        snprintf(f->message, sizeof f->message, "%s", c->reason->message ? c->reason->message : "");
    }
}

static void error_reason_matches_the_state_change(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    server_plan p = {{"!{\"action\":9,\"error\":{\"code\":40003,\"statusCode\":400,\"message\":\"Access token invalid\"}}"}, 1, 0};
    start_with_plan(&t, &p);
    failed_seen seen = {0};
    ably_connection_on(t.rt, ABLY_CONN_EVENT_FAILED, on_failed, &seen);
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.code, 40003);
    assert_int_equal(seen.status, 400);
    assert_string_equal(seen.message, "Access token invalid");
    reason_seen r = error_reason(&t);
    assert_int_equal(r.code, seen.code);
    assert_string_equal(r.message, seen.message);
    mock_rt_free(&t);
}

/* ---- RTN23: idle detection (heartbeat_test.md), with HEARTBEAT frames (a) or
 * WebSocket ping frames (b) as the keep-alive ---- */

typedef struct {
    mock_rt t;
    server_plan p;
    bool pings;
} idle_fx;

static void idle_start(idle_fx *x, bool pings, const char *max_idle, int64_t rrt)
{
    mock_rt_init(&x->t);
    memset(&x->p, 0, sizeof x->p);
    x->p.answer[0] = max_idle;
    x->p.count = 1;
    x->pings = pings;
    x->t.o.realtime_request_timeout_ms = rrt;
    x->t.o.disconnected_retry_timeout_ms = 500;
    mock_ws_set_observes_pings(x->t.m, pings);
    start_with_plan(&x->t, &x->p);
    connect_and_pump(&x->t);
    assert_int_equal(mock_rt_state(&x->t), ABLY_CONN_CONNECTED);
    assert_int_equal(x->p.attempts, 1);
}

static void idle_keep_alive(idle_fx *x)
{
    if (x->pings)
        mock_ws_send_ping_frame(x->t.m, 0);
    else
        mock_ws_send(x->t.m, 0, "{\"action\":0}");
    mock_ws_pump(x->t.m, x->t.rt);
}

static void idle_advance(idle_fx *x, int64_t ms) { mock_ws_advance(x->t.m, x->t.h, x->t.rt, ms); }

static void assert_reconnected(idle_fx *x)
{
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED, ABLY_CONN_DISCONNECTED,
                                                ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&x->t, seq, 5));
    assert_int_equal(mock_rt_state(&x->t), ABLY_CONN_CONNECTED);
    assert_int_equal(x->p.attempts, 2);
    assert_int_equal(mock_ws_event_count(x->t.m, MOCK_WS_CLIENT_CLOSE), 1);
}

static void heartbeats_param_says_who_keeps_alive(void **state)
{
    (void)state;
    for (int pings = 0; pings < 2; pings++) {
        idle_fx x;
        idle_start(&x, pings != 0, "=15000", 10000);
        assert_string_equal(mock_ws_query(x.t.m, 0, "heartbeats"), pings ? "false" : "true");
        mock_rt_free(&x.t);
    }
}

static void silence_past_max_idle_reconnects(void **state)
{
    (void)state;
    for (int pings = 0; pings < 2; pings++) {
        idle_fx x;
        idle_start(&x, pings != 0, "=5000", 2000);
        idle_advance(&x, 6999);
        assert_int_equal(mock_rt_state(&x.t), ABLY_CONN_CONNECTED);
        idle_advance(&x, 101); /* maxIdleInterval + realtimeRequestTimeout */
        assert_reconnected(&x);
        assert_id_key(&x.t, "connection-id-2", "connection-key-2");
        mock_rt_free(&x.t);
    }
}

static void keep_alive_resets_the_idle_timer(void **state)
{
    (void)state;
    for (int pings = 0; pings < 2; pings++) {
        idle_fx x;
        idle_start(&x, pings != 0, "=3000", 1000);
        idle_advance(&x, 2000);
        idle_keep_alive(&x);
        idle_advance(&x, 2000);
        assert_int_equal(mock_rt_state(&x.t), ABLY_CONN_CONNECTED);
        assert_int_equal(x.p.attempts, 1);
        idle_advance(&x, 2100);
        assert_reconnected(&x);
        mock_rt_free(&x.t);
    }
}

static void any_frame_resets_the_idle_timer(void **state)
{
    (void)state;
    for (int pings = 0; pings < 2; pings++) {
        idle_fx x;
        idle_start(&x, pings != 0, "=2000", 1000);
        idle_advance(&x, 1500);
        if (pings)
            idle_keep_alive(&x);
        else
            mock_rt_send(&x.t, 0, "{\"action\":1,\"msgSerial\":0}");
        idle_advance(&x, 1500);
        assert_int_equal(mock_rt_state(&x.t), ABLY_CONN_CONNECTED);
        mock_ws_send(x.t.m, 0,
                     "{\"action\":15,\"channel\":\"test-RTN23-message\",\"messages\":[{\"name\":\"event\",\"data\":\"data\"}]}");
        mock_ws_pump(x.t.m, x.t.rt);
        idle_advance(&x, 1500);
        assert_int_equal(mock_rt_state(&x.t), ABLY_CONN_CONNECTED);
        if (pings) {
            idle_keep_alive(&x);
            idle_advance(&x, 1500);
        }
        assert_int_equal(x.p.attempts, 1);
        idle_advance(&x, 3100);
        assert_reconnected(&x);
        mock_rt_free(&x.t);
    }
}

static void idle_timeout_reconnects_with_resume(void **state)
{
    (void)state;
    for (int pings = 0; pings < 2; pings++) {
        idle_fx x;
        idle_start(&x, pings != 0, "=2000", 1000);
        idle_advance(&x, 3100);
        assert_reconnected(&x);
        assert_id_key(&x.t, "connection-id-2", "connection-key-2");
        assert_null(mock_ws_query(x.t.m, 0, "resume"));
        assert_string_equal(mock_ws_query(x.t.m, 1, "resume"), "connection-key-1");
        mock_rt_free(&x.t);
    }
}

static void repeated_ping_frames_keep_the_connection(void **state)
{
    (void)state;
    idle_fx x;
    idle_start(&x, true, "=2000", 1000);
    for (int i = 0; i < 10; i++) {
        idle_advance(&x, 1500);
        idle_keep_alive(&x);
        assert_int_equal(mock_rt_state(&x.t), ABLY_CONN_CONNECTED);
    }
    assert_int_equal(x.p.attempts, 1);
    mock_rt_free(&x.t);
}

/* ---- RTN20: network changes (network_change_test.md) ---- */

static void network_loss_while_connected_disconnects_and_reconnects(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    server_plan p = {{"=15000"}, 1, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(p.attempts, 1);
    ably_realtime_network_changed(t.rt, false);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    const mock_ws_change *d = &t.rec.items[t.rec.count - 1];
    assert_int_equal(d->current, ABLY_CONN_DISCONNECTED);
    assert_true(d->has_reason);
    mock_ws_advance(t.m, t.h, t.rt, 15000); /* the automatic retry */
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED, ABLY_CONN_DISCONNECTED,
                                                ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&t, seq, 5));
    assert_int_equal(p.attempts, 2);
    mock_rt_free(&t);
}

static void network_loss_while_connecting_disconnects(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    server_plan p = {{"hold", "=15000"}, 2, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    ably_realtime_network_changed(t.rt, false);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    mock_ws_advance(t.m, t.h, t.rt, 15000);
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_DISCONNECTED, ABLY_CONN_CONNECTING,
                                                ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&t, seq, 4));
    assert_true(p.attempts >= 2);
    mock_rt_free(&t);
}

static void network_back_while_disconnected_connects_now(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    t.o.disconnected_retry_timeout_ms = 30000;
    t.o.fallback_hosts_set = true;
    server_plan p = {{"=15000", "refuse", "=15000"}, 3, 0};
    connect_with_plan(&t, &p);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    int before = p.attempts;
    ably_realtime_network_changed(t.rt, true);
    mock_ws_pump(t.m, t.rt); /* no time passes */
    static const ably_connection_state seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED, ABLY_CONN_DISCONNECTED,
                                                ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_true(states_in_order(&t, seq, 5));
    assert_true(p.attempts > before);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void network_back_while_connecting_restarts_the_attempt(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    server_plan p = {{"hold", "=15000"}, 2, 0};
    connect_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    assert_int_equal(p.attempts, 1);
    ably_realtime_network_changed(t.rt, true);
    mock_ws_pump(t.m, t.rt);
    assert_true(p.attempts >= 2);
    assert_true(mock_ws_get_attempt(t.m, 0)->client_closed); /* the pending one was abandoned */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

/* ---- RTN17: fallback hosts (fallback_hosts_test.md) ---- */

/* REC2 default fallbacks: main.[a-e].fallback.ably-realtime.com */
static bool is_default_fallback_host(const char *host)
{
    const char *suffix = ".fallback.ably-realtime.com";
    size_t n = strlen(host), k = strlen(suffix);
    if (n < k + 2 || strcmp(host + n - k, suffix) != 0)
        return false;
    char letter = host[n - k - 1];
    return host[n - k - 2] == '.' && letter >= 'a' && letter <= 'e';
}

static void unresolvable_primary_moves_to_a_fallback(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "\"yes\""); /* the connectivity check (RTN17j) */
    connect_and_pump(&t);
    mock_ws_respond_dns_error(t.m, 0);
    mock_ws_pump(t.m, t.rt);
    assert_true(mock_ws_attempt_count(t.m) >= 2);
    mock_rt_accept(&t, 1, connected_frame(0, "connection-id", "connection-key"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_non_null(strstr(mock_ws_get_attempt(t.m, 0)->host, "realtime.ably"));
    assert_non_null(strstr(mock_ws_get_attempt(t.m, 1)->host, "fallback"));
    assert_true(is_default_fallback_host(mock_ws_get_attempt(t.m, 1)->host));
    mock_rt_free(&t);
}

static void fallbacks_are_tried_in_random_order(void **state)
{
    (void)state;
    char orders[5][3][64];
    for (int run = 0; run < 5; run++) {
        mock_rt t;
        mock_rt_init(&t);
        server_plan p = {{"refuse", "refuse", "refuse", connected_frame(0, "connection-id", "connection-key")}, 4, 0};
        mock_ws_on_attempt(t.m, plan_answer, &p);
        ably_realtime_config cfg = {.random_seed = (uint64_t)run * 7919 + 1};
        mock_rt_start(&t, &cfg);
        mock_http_queue_json(t.h, 200, "\"yes\"");
        connect_and_pump(&t);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
        assert_int_equal(mock_ws_attempt_count(t.m), 4);
        for (size_t i = 1; i < 4; i++) {
            const char *host = mock_ws_get_attempt(t.m, i)->host;
            assert_true(is_default_fallback_host(host));
            snprintf(orders[run][i - 1], sizeof orders[run][i - 1], "%s", host);
        }
        mock_rt_free(&t);
    }
    int unique = 0;
    for (int a = 0; a < 5; a++) {
        bool seen_before = false;
        for (int b = 0; b < a && !seen_before; b++)
            seen_before = memcmp(orders[a], orders[b], sizeof orders[a]) == 0;
        unique += !seen_before;
    }
    assert_true(unique >= 2);
}

/* ---- RTN27: the states, each as the spec defines it ---- */

static void connection_states_mean_what_the_spec_says(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 2000;
    t.o.fallback_hosts_set = true;
    server_plan p = {{"open", connected_frame(0, "connection-1", "key-1"), "refuse",
                      connected_frame(1, "connection-1", "key-1"),
                      "!{\"action\":9,\"error\":{\"code\":80000,\"statusCode\":400,\"message\":\"Fatal\"}}"},
                     5, 0};
    start_with_plan(&t, &p);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED); /* RTN27a: the initial state */
    /* RTN27e: an open transport is not enough, CONNECTED needs the CONNECTED frame */
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    assert_true(mock_ws_get_attempt(t.m, 0)->open);
    mock_ws_advance(t.m, t.h, t.rt, 20000); /* that attempt times out, the next one connects */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    /* RTN27c: DISCONNECTED waits disconnectedRetryTimeout, then resumes */
    mock_rt_drop(&t, 1); /* the immediate reconnect is refused */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    size_t attempts = mock_ws_attempt_count(t.m);
    mock_ws_advance(t.m, t.h, t.rt, 1500); /* backoff x jitter: at least 0.8 x 2000 after one retry */
    assert_int_equal(mock_ws_attempt_count(t.m), attempts);
    mock_ws_advance(t.m, t.h, t.rt, 2500);
    assert_int_equal(mock_ws_attempt_count(t.m), attempts + 1);
    assert_string_equal(mock_ws_query(t.m, attempts, "resume"), "key-1");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    /* RTN27f: CLOSING waits for CLOSED on the active transport */
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    assert_non_null(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE));
    assert_false(mock_ws_get_attempt(t.m, attempts)->client_closed);
    /* RTN27g: CLOSED has no active transport */
    mock_rt_send(&t, attempts, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    assert_true(mock_ws_get_attempt(t.m, attempts)->closed);
    /* RTN27h: FAILED stays until connect() */
    connect_and_pump(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    size_t failed_at = mock_ws_attempt_count(t.m);
    mock_ws_advance(t.m, t.h, t.rt, 600000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(mock_ws_attempt_count(t.m), failed_at);
    connect_and_pump(&t);
    assert_int_equal(mock_ws_attempt_count(t.m), failed_at + 1);
    /* RTN27a: never back to INITIALIZED */
    for (size_t i = 0; i < t.rec.count; i++)
        assert_int_not_equal(t.rec.items[i].current, ABLY_CONN_INITIALIZED);
    mock_rt_free(&t);
}

/* ---- RTN11: connect() in each state ---- */

static void connect_acts_per_state(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 60000;
    t.o.fallback_hosts_set = true;
    server_plan p = {{"hold", "refuse", connected_frame(0, "connection-1", "key-1")}, 3, 0};
    start_with_plan(&t, &p);
    connect_and_pump(&t); /* RTN11f: INITIALIZED connects */
    assert_int_equal(p.attempts, 1);
    connect_and_pump(&t); /* RTN11e: CONNECTING is a no-op */
    assert_int_equal(p.attempts, 1);
    ably_realtime_network_changed(t.rt, true); /* restart: refused -> DISCONNECTED */
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    connect_and_pump(&t); /* RTN11c: no waiting for the 60 s retry */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(p.attempts, 3);
    connect_and_pump(&t); /* RTN11e: CONNECTED is a no-op */
    assert_int_equal(p.attempts, 3);
    mock_rt_free(&t);
}

/* ---- RTN7: ACK and NACK ---- */

static void acks_and_nacks_settle_each_message(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "acks", NULL);
    published r[3] = {{0}};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
    for (int i = 0; i < 3; i++)
        ably_realtime_channel_publish(ch, "e", &d, on_published, &r[i]);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 3);
    for (size_t i = 0, n = 0; i < mock_ws_sent_count(f.t.m); i++) {
        const ably_protocol_message *pm = mock_ws_sent(f.t.m, i);
        if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)
            assert_int_equal(pm->msg_serial, (int64_t)n++); /* RTN7b: 0, 1, 2 */
    }
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":2}");
    assert_int_equal(r[0].calls, 1);
    assert_int_equal(r[0].code, 0);
    assert_int_equal(r[1].calls, 1);
    assert_int_equal(r[2].calls, 0);
    fx_server(&f, "{\"action\":2,\"msgSerial\":2,\"count\":1,\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    assert_int_equal(r[2].calls, 1);
    assert_int_equal(r[2].code, 40160);
    fx_free(&f);
}

/* ---- RTN16l: a failed recovery is handled like a failed resume ---- */

static void failed_recovery_is_handled_like_a_failed_resume(void **state)
{
    (void)state;
    const char *key = "{\"connectionKey\":\"old-key\",\"msgSerial\":5,\"channelSerials\":{}}";
    { /* RTN15c7: a new connection, its error as errorReason, msgSerial back to 0 */
        chan_fx f;
        fx_init(&f);
        f.t.o.recover = key;
        fx_start(&f);
        ably_connection_connect(f.t.rt);
        fx_pump(&f);
        mock_ws_respond_success(f.t.m, 0,
                                "{\"action\":4,\"connectionId\":\"new-conn\",\"error\":{\"code\":80008,\"statusCode\":400,"
                                "\"message\":\"Unable to recover connection\"},\"connectionDetails\":{\"connectionKey\":"
                                "\"new-key\",\"maxIdleInterval\":15000,\"connectionStateTtl\":120000}}");
        fx_pump(&f);
        assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
        assert_int_equal(error_reason(&f.t).code, 80008);
        ably_realtime_channel *ch = fx_attached(&f, "c", NULL);
        published pub = {0};
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
        ably_realtime_channel_publish(ch, "e", &d, on_published, &pub);
        fx_pump(&f);
        assert_int_equal(mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)->msg_serial, 0);
        fx_free(&f);
    }
    { /* RTN15c4: a fatal error fails the connection */
        mock_rt t;
        mock_rt_init(&t);
        t.o.recover = key;
        server_plan p = {{"!{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal error\"}}"}, 1, 0};
        connect_with_plan(&t, &p);
        assert_string_equal(mock_ws_query(t.m, 0, "recover"), "old-key");
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
        assert_int_equal(error_reason(&t).code, 50000);
        mock_rt_free(&t);
    }
    { /* RTN15c5: a token error renews the token and tries again */
        mock_rt t;
        mock_rt_init(&t);
        mock_tokens s;
        mock_rt_use_tokens(&t, &s);
        t.o.recover = key;
        server_plan p = {{"!{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}",
                          connected_frame(0, "old-conn", "new-key")},
                         2, 0};
        connect_with_plan(&t, &p);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
        assert_int_equal(s.calls, 2);
        assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
        assert_string_equal(mock_ws_query(t.m, 1, "recover"), "old-key");
        mock_rt_free(&t);
    }
}

/* ---- RTN19: what a lost transport leaves to do ---- */

static void lost_transport_resends_what_was_in_flight(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "inflight", NULL);
    published sent = {0}, later = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
    ably_realtime_channel_publish(ch, "first", &d, on_published, &sent); /* in flight, no ACK yet */
    fx_pump(&f);
    f.auto_attach = false;
    mock_rt_drop(&f.t, 0);
    ably_realtime_channel_publish(ch, "second", &d, on_published, &later); /* queued meanwhile */
    fx_pump(&f);
    size_t before = mock_ws_sent_count(f.t.m);
    mock_rt_accept(&f.t, 1, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    /* RTN19a, RTN19a1: the in-flight message goes out again first, with its serial
     * (a resume, RTN19a2), then the queued one */
    const ably_protocol_message *a = NULL, *b = NULL;
    for (size_t i = before; i < mock_ws_sent_count(f.t.m); i++) {
        const ably_protocol_message *pm = mock_ws_sent(f.t.m, i);
        if (pm->action != ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)
            continue;
        if (!a)
            a = pm;
        else if (!b)
            b = pm;
    }
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->msg_serial, 0);
    assert_string_equal(a->messages[0].name, "first");
    assert_int_equal(b->msg_serial, 1);
    assert_string_equal(b->messages[0].name, "second");
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":2}");
    assert_int_equal(sent.calls, 1);
    assert_int_equal(later.calls, 1);
    fx_free(&f);
}

static void lost_transport_resends_pending_attach_and_detach(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = f.auto_detach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *attaching = fx_channel(&f, "attaching", NULL);
    ably_realtime_channel *detaching = fx_channel(&f, "detaching", NULL);
    ably_realtime_channel_attach(detaching, NULL, NULL);
    fx_pump(&f);
    fx_server(&f, "{\"action\":11,\"channel\":\"detaching\"}");
    assert_int_equal(ably_realtime_channel_state(detaching), ABLY_CHANNEL_ATTACHED);
    ably_realtime_channel_attach(attaching, NULL, NULL);
    ably_realtime_channel_detach(detaching, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(attaching), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(ably_realtime_channel_state(detaching), ABLY_CHANNEL_DETACHING);
    mock_rt_drop(&f.t, 0);
    size_t before = mock_ws_sent_count(f.t.m);
    mock_rt_accept(&f.t, 1, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    bool attach_again = false, detach_again = false;
    for (size_t i = before; i < mock_ws_sent_count(f.t.m); i++) {
        const ably_protocol_message *pm = mock_ws_sent(f.t.m, i);
        assert_int_equal(mock_ws_sent_attempt(f.t.m, i), 1); /* on the new transport */
        attach_again |= pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH && strcmp(pm->channel, "attaching") == 0;
        detach_again |= pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_DETACH && strcmp(pm->channel, "detaching") == 0;
    }
    assert_true(attach_again);
    assert_true(detach_again);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(token_error_without_means_to_renew_fails, "RTN15 RTN15h RTN15h1 RTN25"),
        ABLY_TEST(token_error_renews_and_resumes, "RTN15 RTN15h RTN15h2 RTN15h2i RTN15e RTN22a RSA4b"),
        ABLY_TEST(failed_renewal_after_token_error_disconnects, "RTN15h2 RTN27b RTN25"),
        ABLY_TEST(non_token_disconnected_resumes_at_once, "RTN15 RTN15h3 RTN15b RTN15b1"),
        ABLY_TEST(connection_error_fails_the_connection, "RTN15j RTN25"),
        ABLY_TEST(unexpected_transport_loss_resumes, "RTN15 RTN15a"),
        ABLY_TEST(resume_keeps_the_id_and_takes_the_new_key, "RTN15b RTN15b1 RTN15c RTN15c6 RTN15e"),
        ABLY_TEST(failed_resume_is_a_new_connection_with_a_reason, "RTN15c RTN15c7 RTN25"),
        ABLY_TEST(token_error_on_resume_renews_and_retries, "RTN15c RTN15c5 RTN15h2"),
        ABLY_TEST(fatal_error_on_resume_fails, "RTN15c RTN15c4 RTN25"),
        ABLY_TEST(messages_flow_again_after_a_forced_disconnection, "RTN15d RTN15c6 RTN19a"),
        ABLY_TEST(id_and_key_unset_until_connected, "RTN8 RTN8a RTN9 RTN9a"),
        ABLY_TEST(each_client_gets_its_own_id_and_key, "RTN8 RTN8b RTN9 RTN9b"),
        ABLY_TEST(id_and_key_null_when_closed, "RTN8 RTN8d RTN9 RTN9d"),
        ABLY_TEST(id_and_key_null_when_failed, "RTN8d RTN9d"),
        ABLY_TEST(id_and_key_null_when_suspended_before_connecting, "RTN8a RTN9a"),
        ABLY_TEST(recovery_key_has_key_serial_and_unicode_channel_serials, "RTN16 RTN16g RTN16g1"),
        ABLY_TEST(recovery_key_null_when_inactive, "RTN16g2"),
        ABLY_TEST(recover_param_on_the_first_connection_only, "RTN16 RTN16k RTN16d TO3i"),
        ABLY_TEST(recover_sets_the_first_msg_serial, "RTN16f"),
        ABLY_TEST(malformed_recovery_key_is_logged_and_ignored, "RTN16f1"),
        ABLY_TEST(recover_instantiates_channels_with_their_serials, "RTN16j RTN16i"),
        ABLY_TEST(error_reason_on_failed, "RTN25 RTN14a"),
        ABLY_TEST(error_reason_on_disconnected_and_suspended, "RTN25 RTN14d RTN14e"),
        ABLY_TEST(error_reason_on_unrenewable_token_error, "RTN25 RSA4a2"),
        ABLY_TEST(error_reason_cleared_on_connected, "RTN25"),
        ABLY_TEST(error_reason_from_a_connection_error, "RTN25 RTN14g"),
        ABLY_TEST(error_reason_matches_the_state_change, "RTN25 TA3"),
        ABLY_TEST(heartbeats_param_says_who_keeps_alive, "RTN23a RTN23b"),
        ABLY_TEST(silence_past_max_idle_reconnects, "RTN23 RTN23a RTN23b"),
        ABLY_TEST(keep_alive_resets_the_idle_timer, "RTN23a RTN23b"),
        ABLY_TEST(any_frame_resets_the_idle_timer, "RTN23a RTN23b"),
        ABLY_TEST(idle_timeout_reconnects_with_resume, "RTN23a RTN23b RTN15b1"),
        ABLY_TEST(repeated_ping_frames_keep_the_connection, "RTN23b"),
        ABLY_TEST(network_loss_while_connected_disconnects_and_reconnects, "RTN20 RTN20a"),
        ABLY_TEST(network_loss_while_connecting_disconnects, "RTN20 RTN20a"),
        ABLY_TEST(network_back_while_disconnected_connects_now, "RTN20 RTN20b"),
        ABLY_TEST(network_back_while_connecting_restarts_the_attempt, "RTN20 RTN20c"),
        ABLY_TEST(unresolvable_primary_moves_to_a_fallback, "RTN17f RTN17h"),
        ABLY_TEST(fallbacks_are_tried_in_random_order, "RTN17j RTN17h"),
        ABLY_TEST(connection_states_mean_what_the_spec_says, "RTN27 RTN27a RTN27c RTN27e RTN27f RTN27g RTN27h"),
        ABLY_TEST(connect_acts_per_state, "RTN11 RTN11c RTN11e RTN11f"),
        ABLY_TEST(acks_and_nacks_settle_each_message, "RTN7 RTN7a RTN7b"),
        ABLY_TEST(failed_recovery_is_handled_like_a_failed_resume, "RTN16l RTN15c7 RTN15c4 RTN15c5"),
        ABLY_TEST(lost_transport_resends_what_was_in_flight, "RTN19 RTN19a RTN19a1 RTN19a2"),
        ABLY_TEST(lost_transport_resends_pending_attach_and_detach, "RTN19 RTN19b"),
    };
    return cmocka_run_group_tests_name("realtime_connection_failures", tests, NULL, NULL);
}
