/* Connection#ping on the mock WebSocket and the mock clock
 * (uts/realtime/unit/connection/connection_ping_test.md): the HEARTBEAT round trip and
 * its id (RTN13a, RTN13e), the timeout (RTN13c), the states where it fails (RTN13b)
 * and the ones where it waits for CONNECTED (RTN13d). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"

static const char *connected(const char *id, const char *key) { return mock_ws_connected_json(id, key, 15000, 120000); }

typedef struct {
    int calls;
    int64_t rtt;
    int64_t code;
    char message[128];
} ping_result;

static void on_ping(void *ctx, int64_t rtt_ms, const ably_error *err)
{
    ping_result *r = ctx;
    r->calls++;
    r->rtt = rtt_ms;
    r->code = err ? (err->code ? err->code : -1) : 0;
    if (err)
        snprintf(r->message, sizeof r->message, "%s", err->message ? err->message : "");
}

/* Pings into *r (zeroed first) and pumps. */
static void ping_now(mock_rt *t, ping_result *r)
{
    *r = (ping_result){0};
    ably_connection_ping(t->rt, on_ping, r);
    mock_ws_pump(t->m, t->rt);
}

static void assert_ping_ok(const ping_result *r)
{
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->code, 0);
}

static void assert_ping_failed(const ping_result *r)
{
    assert_int_equal(r->calls, 1);
    assert_true(r->code != 0);
}

/* RTN13b: in the connection's current state ping() fails at once. */
static void assert_ping_fails_now(mock_rt *t)
{
    ping_result r;
    ping_now(t, &r);
    assert_ping_failed(&r);
}

static size_t heartbeats_sent(mock_rt *t) { return mock_ws_count_sent(t->m, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT); }

#define FATAL_ERROR "{\"action\":9,\"error\":{\"code\":80000,\"statusCode\":400,\"message\":\"Fatal error\"}}"

static bool mentions_timeout(const char *s)
{
    char lower[128];
    size_t i = 0;
    for (; s[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)s[i]);
    lower[i] = '\0';
    return strstr(lower, "timeout") != NULL;
}

/* How the server answers a HEARTBEAT carrying an id. */
typedef enum { ECHO = 0, WRONG_ID_FIRST, NO_ID_FIRST } echo_mode;

static void echo_heartbeat(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    echo_mode mode = *(echo_mode *)ctx;
    if (pm->action != ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT || !pm->id)
        return;
    if (mode == WRONG_ID_FIRST)
        mock_ws_send(m, attempt, "{\"action\":0,\"id\":\"wrong-id\"}");
    if (mode == NO_ID_FIRST)
        mock_ws_send(m, attempt, "{\"action\":0}");
    char frame[128];
    snprintf(frame, sizeof frame, "{\"action\":0,\"id\":\"%s\"}", pm->id);
    mock_ws_send(m, attempt, frame);
}

static void connected_with_echo(mock_rt *t, echo_mode *mode)
{
    mock_rt_init(t);
    mock_ws_on_message(t->m, echo_heartbeat, mode);
    mock_rt_start(t, NULL);
    mock_rt_connect(t, "conn-id-1", "conn-key-1");
}

static void ping_sends_heartbeat_and_reports_the_round_trip(void **state)
{
    (void)state;
    echo_mode mode = ECHO;
    mock_rt t;
    connected_with_echo(&t, &mode);
    ping_result r;
    ping_now(&t, &r);
    assert_ping_ok(&r);
    assert_true(r.rtt >= 0);
    assert_int_equal(heartbeats_sent(&t), 1);
    mock_rt_free(&t);
}

static void only_the_matching_id_answers(void **state)
{
    (void)state;
    echo_mode modes[] = {WRONG_ID_FIRST, NO_ID_FIRST};
    for (size_t i = 0; i < 2; i++) {
        mock_rt t;
        connected_with_echo(&t, &modes[i]);
        ping_result r;
        ping_now(&t, &r);
        assert_ping_ok(&r); /* resolved once, by the matching answer */
        const ably_protocol_message *hb = mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT);
        assert_non_null(hb->id);
        assert_true(strlen(hb->id) > 0);
        mock_rt_free(&t);
    }
}

static void concurrent_pings_have_their_own_ids(void **state)
{
    (void)state;
    echo_mode mode = ECHO;
    mock_rt t;
    connected_with_echo(&t, &mode);
    ping_result a = {0}, b = {0};
    ably_connection_ping(t.rt, on_ping, &a);
    ably_connection_ping(t.rt, on_ping, &b);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.code, 0);
    assert_int_equal(b.code, 0);
    assert_int_equal(heartbeats_sent(&t), 2);
    assert_string_not_equal(mock_ws_sent(t.m, 0)->id, mock_ws_sent(t.m, 1)->id);
    mock_rt_free(&t);
}

static void ping_without_answer_times_out(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 2000;
    mock_rt_start_connected(&t, "conn-id-1", "conn-key-1");
    ping_result r = {0};
    ably_connection_ping(t.rt, on_ping, &r);
    mock_ws_advance(t.m, t.h, t.rt, 2100);
    assert_ping_failed(&r);
    assert_true(mentions_timeout(r.message));
    mock_rt_free(&t);
}

static void ping_fails_when_initialized(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    assert_ping_fails_now(&t);
    mock_rt_free(&t);
}

static void refuse_every_attempt(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    mock_ws_respond_refused(m, i);
}

static void suspended_client(mock_rt *t)
{
    mock_rt_init(t);
    t->o.disconnected_retry_timeout_ms = 1000;
    t->o.suspended_retry_timeout_ms = 100;
    t->o.fallback_hosts_set = true; /* fallbackHosts: [] */
    mock_ws_on_attempt(t->m, refuse_every_attempt, NULL);
    mock_rt_start(t, NULL);
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(mock_rt_state(t), ABLY_CONN_DISCONNECTED);
}

static void ping_fails_when_suspended(void **state)
{
    (void)state;
    mock_rt t;
    suspended_client(&t);
    mock_ws_advance(t.m, t.h, t.rt, 121000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    assert_ping_fails_now(&t);
    mock_rt_free(&t);
}

static void ping_fails_when_closed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "conn-id-1", "conn-key-1");
    mock_rt_close(&t);
    assert_ping_fails_now(&t);
    mock_rt_free(&t);
}

static void ping_fails_when_failed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, FATAL_ERROR);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_ping_fails_now(&t);
    mock_rt_free(&t);
}

static void ping_while_connecting_waits_for_connected(void **state)
{
    (void)state;
    echo_mode mode = ECHO;
    mock_rt t;
    mock_rt_init(&t);
    mock_ws_on_message(t.m, echo_heartbeat, &mode);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    ping_result r;
    ping_now(&t, &r);
    assert_int_equal(heartbeats_sent(&t), 0);
    mock_ws_advance(t.m, t.h, t.rt, 100);
    mock_ws_respond_success(t.m, 0, connected("conn-id-1", "conn-key-1"));
    mock_ws_advance(t.m, t.h, t.rt, 100);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_ping_ok(&r);
    assert_true(r.rtt >= 0);
    assert_int_equal(heartbeats_sent(&t), 1);
    mock_rt_free(&t);
}

/* First attempt connects, the second is refused (so the client rests DISCONNECTED),
 * later ones connect again. */
static void connect_refuse_connect(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    if (i == 1)
        mock_ws_respond_refused(m, i);
    else
        mock_ws_respond_success(m, i, i == 0 ? connected("conn-id-1", "conn-key-1") : connected("conn-id-2", "conn-key-2"));
}

static void ping_while_disconnected_waits_for_connected(void **state)
{
    (void)state;
    echo_mode mode = ECHO;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 500;
    t.o.fallback_hosts_set = true;
    mock_ws_on_message(t.m, echo_heartbeat, &mode);
    mock_ws_on_attempt(t.m, connect_refuse_connect, NULL);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_drop(&t, 0); /* closed from the server */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    ping_result r;
    ping_now(&t, &r);
    assert_int_equal(r.calls, 0);
    mock_ws_advance(t.m, t.h, t.rt, 600);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_ping_ok(&r);
    assert_int_equal(heartbeats_sent(&t), 1);
    mock_rt_free(&t);
}

static void deferred_ping_fails_when_the_connection_fails(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connecting(&t);
    ping_result r;
    ping_now(&t, &r);
    mock_ws_advance(t.m, t.h, t.rt, 100);
    mock_ws_respond_error(t.m, 0, FATAL_ERROR);
    mock_ws_advance(t.m, t.h, t.rt, 100);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_ping_failed(&r);
    mock_rt_free(&t);
}

static void deferred_ping_fails_when_suspended(void **state)
{
    (void)state;
    mock_rt t;
    suspended_client(&t);
    ping_result r;
    ping_now(&t, &r); /* DISCONNECTED: deferred */
    assert_int_equal(r.calls, 0);
    mock_ws_advance(t.m, t.h, t.rt, 121000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    assert_ping_failed(&r);
    mock_rt_free(&t);
}

static void deferred_ping_times_out_from_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 2000;
    mock_rt_start_connecting(&t);
    ping_result r;
    ping_now(&t, &r);
    mock_ws_advance(t.m, t.h, t.rt, 100);
    mock_rt_accept(&t, 0, connected("conn-id-1", "conn-key-1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(heartbeats_sent(&t), 1);
    mock_ws_advance(t.m, t.h, t.rt, 1999);
    assert_int_equal(r.calls, 0); /* the timeout runs from the HEARTBEAT, not from ping() */
    mock_ws_advance(t.m, t.h, t.rt, 101);
    assert_ping_failed(&r);
    assert_true(mentions_timeout(r.message));
    mock_rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(ping_sends_heartbeat_and_reports_the_round_trip, "RTN13 RTN13a"),
        ABLY_TEST(only_the_matching_id_answers, "RTN13e"),
        ABLY_TEST(concurrent_pings_have_their_own_ids, "RTN13e"),
        ABLY_TEST(ping_without_answer_times_out, "RTN13c"),
        ABLY_TEST(ping_fails_when_initialized, "RTN13b"),
        ABLY_TEST(ping_fails_when_suspended, "RTN13b"),
        ABLY_TEST(ping_fails_when_closed, "RTN13b"),
        ABLY_TEST(ping_fails_when_failed, "RTN13b"),
        ABLY_TEST(ping_while_connecting_waits_for_connected, "RTN13d"),
        ABLY_TEST(ping_while_disconnected_waits_for_connected, "RTN13d"),
        ABLY_TEST(deferred_ping_fails_when_the_connection_fails, "RTN13b RTN13d"),
        ABLY_TEST(deferred_ping_fails_when_suspended, "RTN13b RTN13d"),
        ABLY_TEST(deferred_ping_times_out_from_connected, "RTN13c RTN13d"),
    };
    return cmocka_run_group_tests_name("realtime_connection_ping", tests, NULL, NULL);
}
