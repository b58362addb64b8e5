/* Realtime connection basics on the mock WebSocket: autoConnect, the connect URL,
 * state events, id / key, close, UPDATE, whenState, the EventEmitter
 * (uts/realtime/unit/connection/{auto_connect,connection_id_key,update_events,
 * when_state}_test.md, client/realtime_client.md). */
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"

static const ably_connection_event connect_seq[] = {ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED};

static void auto_connect_true_connects_immediately(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.auto_connect = true;
    mock_rt_start(&t, NULL);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_true(mock_ws_changes_contain(&t.rec, connect_seq, 2));
    mock_rt_free(&t);
}

static void auto_connect_false_waits_for_connect(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_ws_advance(t.m, t.h, t.rt, 60000);
    assert_int_equal(mock_ws_attempt_count(t.m), 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    assert_int_equal(t.rec.count, 0);
    mock_rt_connect(&t, "c1", "k1");
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_rt_free(&t);
}

static void connect_url_carries_the_standard_params(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    t.o.echo_messages = false;
    t.o.client_id = "me";
    mock_rt_start_connecting(&t);
    const mock_ws_attempt *a = mock_ws_get_attempt(t.m, 0);
    assert_true(a->tls);
    assert_int_equal(a->port, 443);
    assert_string_equal(a->host, "main.realtime.ably.net");
    assert_true(strncmp(a->url, "wss://", 6) == 0);
    assert_string_equal(mock_ws_query(t.m, 0, "format"), "json");
    assert_string_equal(mock_ws_query(t.m, 0, "echo"), "false");
    assert_string_equal(mock_ws_query(t.m, 0, "v"), "6");
    assert_string_equal(mock_ws_query(t.m, 0, "clientId"), "me");
    assert_string_equal(mock_ws_query(t.m, 0, "key"), "appId.keyId:keySecret");
    assert_null(mock_ws_query(t.m, 0, "accessToken"));
    assert_null(mock_ws_query(t.m, 0, "resume"));
    assert_null(mock_ws_query(t.m, 0, "recover"));
    assert_non_null(mock_ws_query(t.m, 0, "heartbeats"));
    const char *agent = mock_ws_query(t.m, 0, "agent");
    assert_non_null(agent);
    assert_non_null(strstr(agent, "ably-c/"));
    mock_rt_free(&t);
}

static void binary_protocol_and_echo_defaults(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1"); /* msgpack frames both ways */
    assert_string_equal(mock_ws_query(t.m, 0, "format"), "msgpack");
    assert_string_equal(mock_ws_query(t.m, 0, "echo"), "true");
    assert_true(mock_ws_get_attempt(t.m, 0)->binary);
    mock_rt_free(&t);
}

static void transport_params_are_sent_and_win(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    ably_string_map tp = {0};
    ably_string_map_set(&tp, "heartbeats", "false");
    ably_string_map_set(&tp, "custom", "a b");
    t.o.transport_params = &tp;
    mock_rt_start_connecting(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "heartbeats"), "false");
    assert_string_equal(mock_ws_query(t.m, 0, "custom"), "a b");
    ably_string_map_clear(&tp);
    mock_rt_free(&t);
}

static void heartbeats_param_follows_ping_frame_visibility(void **state)
{
    (void)state;
    for (int observes = 0; observes < 2; observes++) {
        mock_rt t;
        mock_rt_init(&t);
        mock_ws_set_observes_pings(t.m, observes != 0);
        mock_rt_start_connecting(&t);
        assert_string_equal(mock_ws_query(t.m, 0, "heartbeats"), observes ? "false" : "true");
        mock_rt_free(&t);
    }
}

static void token_auth_sends_access_token_and_plain_ws(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "test-token";
    t.o.tls = false;
    mock_rt_start_connecting(&t);
    const mock_ws_attempt *a = mock_ws_get_attempt(t.m, 0);
    assert_false(a->tls);
    assert_int_equal(a->port, 80);
    assert_true(strncmp(a->url, "ws://", 5) == 0);
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "test-token");
    assert_null(mock_ws_query(t.m, 0, "key"));
    mock_rt_free(&t);
}

static void state_changes_carry_previous_current_event(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    assert_int_equal(t.rec.count, 2);
    assert_int_equal(t.rec.items[0].previous, ABLY_CONN_INITIALIZED);
    assert_int_equal(t.rec.items[0].current, ABLY_CONN_CONNECTING);
    assert_int_equal(t.rec.items[0].event, ABLY_CONN_EVENT_CONNECTING);
    assert_int_equal(t.rec.items[1].previous, ABLY_CONN_CONNECTING);
    assert_int_equal(t.rec.items[1].current, ABLY_CONN_CONNECTED);
    assert_false(t.rec.items[1].has_reason);
    assert_string_equal(ably_connection_state_name(ABLY_CONN_SUSPENDED), "suspended");
    assert_string_equal(ably_connection_event_name(ABLY_CONN_EVENT_UPDATE), "update");
    mock_rt_free(&t);
}

static void id_and_key_set_on_connect_and_cleared_on_close(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    assert_null(ably_connection_id(t.rt));
    assert_null(ably_connection_key(t.rt));
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_null(ably_connection_id(t.rt)); /* CONNECTING */
    mock_rt_accept(&t, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    char *id = ably_connection_id(t.rt), *key = ably_connection_key(t.rt);
    assert_string_equal(id, "conn-1");
    assert_string_equal(key, "key-1");
    free(id);
    free(key);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    assert_null(ably_connection_id(t.rt));
    assert_null(ably_connection_key(t.rt));
    mock_rt_send(&t, 0, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    assert_null(ably_connection_id(t.rt));
    assert_null(ably_connection_key(t.rt));
    mock_rt_free(&t);
}

static void each_connection_gets_its_own_id_and_key(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "conn-1", "key-1");
    mock_rt_close(&t);
    mock_rt_connect(&t, "conn-2", "key-2");
    char *id = ably_connection_id(t.rt), *key = ably_connection_key(t.rt);
    assert_string_equal(id, "conn-2");
    assert_string_equal(key, "key-2");
    assert_null(mock_ws_query(t.m, 1, "resume")); /* a closed connection is not resumed */
    free(id);
    free(key);
    mock_rt_free(&t);
}

static void close_sends_close_and_waits_for_closed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    assert_non_null(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE));
    mock_rt_send(&t, 0, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTED, ABLY_CONN_EVENT_CLOSING,
                                                ABLY_CONN_EVENT_CLOSED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 3));
    assert_int_equal(mock_ws_event_count(t.m, MOCK_WS_CLIENT_CLOSE), 1);
    mock_rt_free(&t);
}

static void close_times_out_without_closed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 3000;
    mock_rt_start_connected(&t, "c1", "k1");
    ably_connection_close(t.rt);
    mock_ws_advance(t.m, t.h, t.rt, 2999);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    mock_ws_advance(t.m, t.h, t.rt, 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    mock_rt_free(&t);
}

static void transport_loss_while_closing_means_closed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_rt_free(&t);
}

static void close_while_disconnected_is_immediate(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connecting(&t);
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    mock_ws_advance(t.m, t.h, t.rt, 120000); /* the retry was cancelled */
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_rt_free(&t);
}

static void close_while_connecting_closes_after_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connecting(&t);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_non_null(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE));
    assert_null(ably_connection_id(t.rt)); /* RTN8d, RTN9d: still CLOSING */
    assert_null(ably_connection_key(t.rt));
    mock_rt_send(&t, 0, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    for (size_t i = 0; i < t.rec.count; i++)
        assert_int_not_equal(t.rec.items[i].event, ABLY_CONN_EVENT_CONNECTED);
    mock_rt_free(&t);
}

static void connect_while_connected_is_a_no_op(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    assert_int_equal(t.rec.count, 2);
    mock_rt_free(&t);
}

static void connected_while_connected_emits_update_only(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    mock_ws_send(t.m, 0,
                 "{\"action\":4,\"connectionId\":\"c1\",\"connectionDetails\":{\"connectionKey\":\"k2\","
                 "\"maxIdleInterval\":20000},\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"x\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(t.rec.count, 3);
    mock_ws_change *u = &t.rec.items[2];
    assert_int_equal(u->event, ABLY_CONN_EVENT_UPDATE);
    assert_int_equal(u->previous, ABLY_CONN_CONNECTED);
    assert_int_equal(u->current, ABLY_CONN_CONNECTED);
    assert_true(u->has_reason);
    assert_int_equal(u->reason_code, 40142);
    assert_int_equal(u->reason_status, 401);
    char *key = ably_connection_key(t.rt);
    assert_string_equal(key, "k2"); /* RTN21: details override */
    free(key);
    mock_rt_free(&t);
}

static void connect_while_closing_uses_a_new_transport(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_true(mock_ws_get_attempt(t.m, 0)->client_closed);
    mock_ws_send(t.m, 0, "{\"action\":8}"); /* a late CLOSED on the old transport is ignored */
    mock_rt_accept(&t, 1, mock_ws_connected_json("c2", "k2", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void connect_while_disconnected_skips_the_wait(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.fallback_hosts_set = true;
    mock_rt_start_connecting(&t);
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_free(&t);
}

/* ---- whenState (RTN26) and the EventEmitter (RTE) ---- */

static int calls_a, calls_b, calls_null;
static void count_a(void *ctx, const ably_connection_state_change *c)
{
    (void)ctx;
    if (!c)
        calls_null++;
    calls_a++;
}
static void count_b(void *ctx, const ably_connection_state_change *c)
{
    (void)ctx;
    (void)c;
    calls_b++;
}

static void when_state_fires_now_or_once_later(void **state)
{
    (void)state;
    calls_a = calls_null = 0;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    ably_connection_when_state(t.rt, ABLY_CONN_INITIALIZED, count_a, NULL);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(calls_a, 1);
    assert_int_equal(calls_null, 1); /* RTN26a: called with no change */
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, count_a, NULL);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(calls_a, 1);
    mock_rt_connect(&t, "c1", "k1");
    assert_int_equal(calls_a, 2);
    assert_int_equal(calls_null, 1);
    ably_connection_close(t.rt); /* a later CONNECTED does not fire it again */
    mock_ws_pump(t.m, t.rt);
    mock_rt_send(&t, 0, "{\"action\":8}");
    mock_rt_connect(&t, "c2", "k2");
    assert_int_equal(calls_a, 2);
    mock_rt_free(&t);
}

static void on_once_off_semantics(void **state)
{
    (void)state;
    calls_a = calls_b = 0;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    uint64_t a = ably_connection_on(t.rt, ABLY_CONN_EVENT_ANY, count_a, NULL);
    ably_connection_once(t.rt, ABLY_CONN_EVENT_ANY, count_b, NULL);
    assert_true(a != 0);
    mock_rt_connect(&t, "c1", "k1"); /* CONNECTING + CONNECTED */
    assert_int_equal(calls_a, 2);
    assert_int_equal(calls_b, 1);
    ably_connection_off(t.rt, a);
    ably_connection_on(t.rt, ABLY_CONN_EVENT_CLOSED, count_b, NULL);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt); /* CLOSING: nobody but the recorder */
    assert_int_equal(calls_a, 2);
    assert_int_equal(calls_b, 1);
    ably_connection_off_event(t.rt, ABLY_CONN_EVENT_CLOSED);
    mock_rt_send(&t, 0, "{\"action\":8}");
    assert_int_equal(calls_b, 1);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    size_t recorded = t.rec.count;
    ably_connection_off_event(t.rt, ABLY_CONN_EVENT_ANY); /* removes the recorder too */
    mock_rt_connect(&t, "c2", "k2");
    assert_int_equal(t.rec.count, recorded);
    mock_rt_free(&t);
}

typedef struct {
    ably_realtime *rt;
    int added_calls;
    int self_calls;
} reentrant_ctx;

static void added_listener(void *ctx, const ably_connection_state_change *c)
{
    (void)c;
    ((reentrant_ctx *)ctx)->added_calls++;
}

static void adding_listener(void *ctx, const ably_connection_state_change *c)
{
    reentrant_ctx *r = ctx;
    (void)c;
    if (r->self_calls++ == 0)
        ably_connection_on(r->rt, ABLY_CONN_EVENT_ANY, added_listener, r);
}

static void listener_added_during_emit_waits_for_next_event(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    reentrant_ctx r = {t.rt, 0, 0};
    ably_connection_on(t.rt, ABLY_CONN_EVENT_CONNECTING, adding_listener, &r);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(r.added_calls, 0); /* not for the CONNECTING that added it */
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(r.added_calls, 1);
    mock_rt_free(&t);
}

static void unknown_actions_and_fields_are_ignored(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    mock_rt_start_connecting(&t);
    mock_ws_respond_success(t.m, 0,
                            "{\"action\":4,\"connectionId\":\"c1\",\"futureField\":{\"x\":1},"
                            "\"connectionDetails\":{\"connectionKey\":\"k1\",\"newThing\":true}}");
    mock_rt_send(&t, 0, "{\"action\":99,\"whatever\":\"x\"}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(t.rec.count, 2);
    mock_rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(auto_connect_true_connects_immediately, "RTN3 RTC1b"),
        ABLY_TEST(auto_connect_false_waits_for_connect, "RTN3 RTC1b RTC15a RTN11f"),
        ABLY_TEST(connect_url_carries_the_standard_params, "RTN2 RTN2a RTN2b RTN2d RTN2e RTN2f RTC1a RTN1 CSV2 CSV2a CSV2c CSV2e RSA7e1"),
        ABLY_TEST(binary_protocol_and_echo_defaults, "RTN2a RTN2b TO3f"),
        ABLY_TEST(transport_params_are_sent_and_win, "RTC1f RTC1f1 TO3q"),
        ABLY_TEST(heartbeats_param_follows_ping_frame_visibility, "RTN23b"),
        ABLY_TEST(token_auth_sends_access_token_and_plain_ws, "RTN2e TO3d RSA3c RSA3d"),
        ABLY_TEST(state_changes_carry_previous_current_event, "RTN4 RTN4a RTN4b RTN4d RTN4e TA1 TA2 TA5 RTN6"),
        ABLY_TEST(id_and_key_set_on_connect_and_cleared_on_close, "RTN8a RTN9a RTN8d RTN9d RTN21"),
        ABLY_TEST(each_connection_gets_its_own_id_and_key, "RTN8b RTN9b RTN11d"),
        ABLY_TEST(close_sends_close_and_waits_for_closed, "RTN12 RTN12a RTN4c RTC16a"),
        ABLY_TEST(close_times_out_without_closed, "RTN12b RTC7"),
        ABLY_TEST(transport_loss_while_closing_means_closed, "RTN12c"),
        ABLY_TEST(close_while_disconnected_is_immediate, "RTN12d"),
        ABLY_TEST(close_while_connecting_closes_after_connected, "RTN12f RTN8d RTN9d"),
        ABLY_TEST(connect_while_connected_is_a_no_op, "RTN11e RTN4h"),
        ABLY_TEST(connect_while_closing_uses_a_new_transport, "RTN11b"),
        ABLY_TEST(connect_while_disconnected_skips_the_wait, "RTN11c"),
        ABLY_TEST(connected_while_connected_emits_update_only, "RTN24 RTN4h RTN21"),
        ABLY_TEST(when_state_fires_now_or_once_later, "RTN26 RTN26a RTN26b"),
        ABLY_TEST(on_once_off_semantics, "RTE3 RTE4 RTE5"),
        ABLY_TEST(listener_added_during_emit_waits_for_next_event, "RTE6"),
        ABLY_TEST(unknown_actions_and_fields_are_ignored, "RTF1 RSF1"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
