/* Ping, heartbeats, recovery keys, the ACK/NACK queues and in-band auth on the mock
 * WebSocket (uts/realtime/unit/connection/{connection_ping,heartbeat,
 * connection_recovery,server_initiated_reauth}_test.md, auth/realtime_authorize.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"
#include "realtime/engine.h"

static const char *connected(const char *id, const char *key) { return mock_ws_connected_json(id, key, 15000, 120000); }

/* ---- ping (RTN13) ---- */

typedef struct {
    int calls;
    int64_t rtt;
    int64_t code;
} ping_result;

static void on_ping(void *ctx, int64_t rtt, const ably_error *err)
{
    ping_result *r = ctx;
    r->calls++;
    r->rtt = rtt;
    r->code = err ? err->code : 0;
}

static void ping_round_trip_with_matching_id(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    ping_result a = {0}, b = {0};
    ably_connection_ping(t.rt, on_ping, &a);
    ably_connection_ping(t.rt, on_ping, &b);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT), 2);
    const char *id_a = mock_ws_sent(t.m, 0)->id, *id_b = mock_ws_sent(t.m, 1)->id;
    assert_non_null(id_a);
    assert_non_null(id_b);
    assert_string_not_equal(id_a, id_b);
    mock_ws_advance(t.m, t.h, t.rt, 120);
    mock_rt_send(&t, 0, "{\"action\":0}"); /* no id: a plain heartbeat, not an answer */
    assert_int_equal(a.calls + b.calls, 0);
    char frame[128];
    snprintf(frame, sizeof frame, "{\"action\":0,\"id\":\"%s\"}", id_b);
    mock_rt_send(&t, 0, frame);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.code, 0);
    assert_int_equal(b.rtt, 120);
    assert_int_equal(a.calls, 0);
    snprintf(frame, sizeof frame, "{\"action\":0,\"id\":\"%s\"}", id_a);
    mock_rt_send(&t, 0, frame);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    mock_rt_free(&t);
}

static void ping_times_out(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 2000;
    mock_rt_start_connected(&t, "c1", "k1");
    ping_result r = {0};
    ably_connection_ping(t.rt, on_ping, &r);
    mock_ws_advance(t.m, t.h, t.rt, 1999);
    assert_int_equal(r.calls, 0);
    mock_ws_advance(t.m, t.h, t.rt, 1);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    mock_rt_free(&t);
}

static void ping_fails_when_not_connectable(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    ping_result r = {0};
    ably_connection_ping(t.rt, on_ping, &r); /* INITIALIZED */
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    mock_rt_connect(&t, "c1", "k1");
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_send(&t, 0, "{\"action\":8}");
    ably_connection_ping(t.rt, on_ping, &r); /* CLOSED */
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(r.calls, 2);
    assert_true(r.code != 0);
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT), 0);
    mock_rt_free(&t);
}

static void ping_deferred_until_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 5000;
    mock_rt_start(&t, NULL);
    ably_connection_connect(t.rt);
    ping_result r = {0};
    ably_connection_ping(t.rt, on_ping, &r);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(r.calls, 0);
    mock_ws_advance(t.m, t.h, t.rt, 3000);
    mock_rt_accept(&t, 0, connected("c1", "k1"));
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT), 1);
    mock_ws_advance(t.m, t.h, t.rt, 4999); /* the timeout runs from CONNECTED */
    assert_int_equal(r.calls, 0);
    mock_ws_advance(t.m, t.h, t.rt, 1);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    mock_rt_free(&t);
}

static void deferred_ping_fails_on_failed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    ably_connection_connect(t.rt);
    ping_result r = {0};
    ably_connection_ping(t.rt, on_ping, &r);
    mock_ws_pump(t.m, t.rt);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40005,\"statusCode\":400,\"message\":\"bad\"}}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40005);
    mock_rt_free(&t);
}

/* ---- heartbeats (RTN23) ---- */

static void idle_connection_is_dropped_and_resumed(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 1000;
    mock_rt_start_connecting(&t);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 5000, 120000));
    mock_ws_advance(t.m, t.h, t.rt, 4000);
    mock_ws_send(t.m, 0, "{\"action\":0}"); /* HEARTBEAT: activity */
    mock_ws_advance(t.m, t.h, t.rt, 4000);
    mock_ws_send(t.m, 0, "{\"action\":1,\"msgSerial\":0,\"count\":0}"); /* any frame counts */
    mock_ws_advance(t.m, t.h, t.rt, 5999);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_ws_advance(t.m, t.h, t.rt, 1); /* maxIdleInterval + realtimeRequestTimeout of silence */
    assert_true(mock_ws_get_attempt(t.m, 0)->client_closed);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "k1");
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTED, ABLY_CONN_EVENT_DISCONNECTED,
                                                ABLY_CONN_EVENT_CONNECTING};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 3));
    mock_rt_free(&t);
}

static void ping_frames_keep_the_connection_alive(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 1000;
    mock_ws_set_observes_pings(t.m, true);
    mock_rt_start_connecting(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "heartbeats"), "false");
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 5000, 120000));
    for (int i = 0; i < 5; i++) {
        mock_ws_advance(t.m, t.h, t.rt, 5500);
        mock_ws_send_ping_frame(t.m, 0);
        mock_ws_pump(t.m, t.rt);
    }
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_ws_advance(t.m, t.h, t.rt, 6000);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    mock_rt_free(&t);
}

/* ---- recovery (RTN16) ---- */

static void recovery_key_reflects_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    assert_null(ably_connection_create_recovery_key(t.rt)); /* RTN16g2: never connected */
    mock_rt_connect(&t, "c1", "key-1");
    char *rk = ably_connection_create_recovery_key(t.rt);
    assert_non_null(rk);
    assert_string_equal(rk, "{\"connectionKey\":\"key-1\",\"msgSerial\":0,\"channelSerials\":{}}");
    free(rk);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_null(ably_connection_create_recovery_key(t.rt)); /* CLOSING */
    mock_rt_free(&t);
}

static void acked(void *ctx, const ably_error *err, const ably_protocol_message *ack, size_t index)
{
    (void)ack;
    (void)index;
    int64_t *code = ctx;
    *code = err ? (err->code ? err->code : -1) : 0;
}

static void publish(ably_realtime *rt, const char *channel, int64_t *result)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE;
    pm.has_action = true;
    pm.channel = strdup(channel);
    *result = 1; /* pending */
    ably_rt_send_with_ack(rt, &pm, acked, result);
}

static void recover_option_is_used_once(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.recover = "{\"connectionKey\":\"old-key\",\"msgSerial\":7,\"channelSerials\":{\"ch\":\"s1\"}}";
    mock_rt_start(&t, NULL);
    assert_string_equal(ably_string_map_get(&t.rt->recovered_channel_serials, "ch"), "s1"); /* RTN16j */
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_string_equal(mock_ws_query(t.m, 0, "recover"), "old-key");
    assert_null(mock_ws_query(t.m, 0, "resume"));
    mock_rt_accept(&t, 0, connected("c-old", "new-key"));
    int64_t r;
    publish(t.rt, "ch", &r);
    assert_int_equal(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)->msg_serial, 7); /* RTN16f */
    mock_rt_drop(&t, 0);
    assert_null(mock_ws_query(t.m, 1, "recover")); /* RTN16k: never again */
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "new-key");
    mock_rt_free(&t);
}

static void malformed_recovery_key_is_ignored(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.recover = "not json at all";
    mock_rt_start_connected(&t, "c1", "k1");
    assert_null(mock_ws_query(t.m, 0, "recover"));
    int64_t r;
    publish(t.rt, "ch", &r);
    assert_int_equal(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)->msg_serial, 0);
    mock_rt_free(&t);
}

/* ---- ACK / NACK and the queues (RTN7, RTN19) ---- */

static void messages_queue_until_connected_then_ack(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    int64_t a, b, c;
    publish(t.rt, "ch", &a); /* INITIALIZED: queued (queueMessages) */
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    publish(t.rt, "ch", &b);
    assert_int_equal(mock_ws_sent_count(t.m), 0);
    mock_rt_accept(&t, 0, connected("c1", "k1"));
    publish(t.rt, "ch", &c);
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(mock_ws_sent(t.m, i)->msg_serial, (int64_t)i);
    mock_rt_send(&t, 0, "{\"action\":1,\"msgSerial\":0,\"count\":2}");
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
    assert_int_equal(c, 1);
    mock_rt_send(&t, 0, "{\"action\":2,\"msgSerial\":2,\"count\":1,\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    assert_int_equal(c, 40160);
    mock_rt_free(&t);
}

static void unacked_messages_resent_on_resume_with_same_serials(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    int64_t a, b;
    publish(t.rt, "ch", &a);
    publish(t.rt, "ch", &b);
    mock_rt_drop(&t, 0);
    mock_rt_accept(&t, 1, connected("c1", "k1"));
    assert_int_equal(mock_ws_sent_count(t.m), 4);
    assert_int_equal(mock_ws_sent_attempt(t.m, 2), 1);
    assert_int_equal(mock_ws_sent(t.m, 2)->msg_serial, 0);
    assert_int_equal(mock_ws_sent(t.m, 3)->msg_serial, 1);
    assert_int_equal(a, 1);
    mock_rt_send(&t, 1, "{\"action\":1,\"msgSerial\":0,\"count\":2}");
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
    mock_rt_free(&t);
}

static void failed_resume_renumbers_resent_messages(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    int64_t a, b, c;
    publish(t.rt, "ch", &a);
    mock_rt_send(&t, 0, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    publish(t.rt, "ch", &b);
    publish(t.rt, "ch", &c); /* serials 1, 2 unacknowledged */
    mock_rt_drop(&t, 0);
    mock_rt_accept(&t, 1, "{\"action\":4,\"connectionId\":\"c2\",\"connectionDetails\":{\"connectionKey\":"
                                    "\"k2\"},\"error\":{\"code\":80008,\"statusCode\":400,\"message\":\"x\"}}");
    assert_int_equal(mock_ws_sent(t.m, 3)->msg_serial, 0); /* RTN15c7, RTN19a2 */
    assert_int_equal(mock_ws_sent(t.m, 4)->msg_serial, 1);
    mock_rt_free(&t);
}

static void suspended_fails_pending_and_queued(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.fallback_hosts_set = true;
    ably_realtime_config cfg = {.connection_state_ttl_ms = 1000};
    mock_rt_start(&t, &cfg);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    int64_t a;
    publish(t.rt, "ch", &a);
    mock_rt_refuse(&t, 0);
    assert_int_equal(a, 1); /* still queued while DISCONNECTED */
    mock_ws_advance(t.m, t.h, t.rt, 1000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    assert_int_equal(a, 80002);
    int64_t b;
    publish(t.rt, "ch", &b); /* SUSPENDED: fails at once */
    assert_true(b != 0 && b != 1);
    mock_rt_free(&t);
}

static void queue_messages_false_fails_on_disconnect(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.queue_messages = false;
    mock_rt_start(&t, NULL);
    int64_t a;
    publish(t.rt, "ch", &a); /* not connected, not queueing */
    assert_true(a != 0 && a != 1);
    mock_rt_connect(&t, "c1", "k1");
    int64_t b;
    publish(t.rt, "ch", &b);
    mock_rt_drop(&t, 0);
    assert_true(b != 0 && b != 1); /* RTN7d */
    mock_rt_free(&t);
}

/* ---- in-band auth (RTN22, RTC8) ---- */

static void server_auth_request_sends_new_token(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    mock_rt_start_connected(&t, "c1", "k1");
    mock_rt_send(&t, 0, "{\"action\":17}");
    const ably_protocol_message *auth = mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH);
    assert_non_null(auth);
    assert_non_null(auth->auth);
    assert_string_equal(auth->auth->access_token, "token-2");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED); /* no reconnection */
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_rt_send(&t, 0, connected("c1", "k1"));
    assert_int_equal(t.rec.items[t.rec.count - 1].event, ABLY_CONN_EVENT_UPDATE);
    mock_rt_free(&t);
}

typedef struct {
    int calls;
    char token[32];
    int64_t code;
} authz_result;

static void on_authorized(void *ctx, const ably_token_details *td, const ably_error *err)
{
    authz_result *r = ctx;
    r->calls++;
    if (td && td->token)
        snprintf(r->token, sizeof r->token, "%s", td->token);
    r->code = err ? err->code : 0;
}

static void authorize_while_connected_completes_on_update(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    mock_rt_start_connected(&t, "c1", "k1");
    authz_result r = {0};
    ably_realtime_authorize(t.rt, NULL, NULL, on_authorized, &r);
    mock_ws_pump(t.m, t.rt);
    const ably_protocol_message *auth = mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH);
    assert_non_null(auth);
    assert_string_equal(auth->auth->access_token, "token-2");
    assert_int_equal(r.calls, 0); /* RTC8a3: only once Ably answers */
    mock_rt_send(&t, 0, connected("c1", "k1"));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.token, "token-2");
    /* RTC8a2: a refused token change fails the connection and the call */
    authz_result r2 = {0};
    ably_realtime_authorize(t.rt, NULL, NULL, on_authorized, &r2);
    mock_ws_pump(t.m, t.rt);
    mock_rt_server_closes(&t, 0, "{\"action\":9,\"error\":{\"code\":40102,\"statusCode\":401,\"message\":\"clientId\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.code, 40102);
    mock_rt_free(&t);
}

static void authorize_while_disconnected_connects(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    mock_rt_start(&t, NULL);
    authz_result r = {0};
    ably_realtime_authorize(t.rt, NULL, NULL, on_authorized, &r);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING); /* RTC8c */
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "token-1");
    mock_rt_accept(&t, 0, connected("c1", "k1"));
    assert_int_equal(r.calls, 1); /* RTC8b1 */
    assert_int_equal(r.code, 0);
    mock_rt_free(&t);
}

static void client_exposes_rest_and_auth(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.client_id = "me";
    mock_rt_start(&t, NULL);
    assert_non_null(ably_realtime_rest(t.rt));
    assert_ptr_equal(ably_realtime_auth(t.rt), ably_rest_auth(ably_realtime_rest(t.rt)));
    char *cid = ably_realtime_client_id(t.rt);
    assert_string_equal(cid, "me");
    free(cid);
    mock_rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(ping_round_trip_with_matching_id, "RTN13 RTN13a RTN13e"),
        ABLY_TEST(ping_times_out, "RTN13c"),
        ABLY_TEST(ping_fails_when_not_connectable, "RTN13b"),
        ABLY_TEST(ping_deferred_until_connected, "RTN13d RTN13c"),
        ABLY_TEST(deferred_ping_fails_on_failed, "RTN13b"),
        ABLY_TEST(idle_connection_is_dropped_and_resumed, "RTN23 RTN23a"),
        ABLY_TEST(ping_frames_keep_the_connection_alive, "RTN23b"),
        ABLY_TEST(recovery_key_reflects_the_connection, "RTN16g RTN16g1 RTN16g2"),
        ABLY_TEST(recover_option_is_used_once, "RTN16f RTN16j RTN16k RTC1c"),
        ABLY_TEST(malformed_recovery_key_is_ignored, "RTN16f1"),
        ABLY_TEST(messages_queue_until_connected_then_ack, "RTN7a RTN7b"),
        ABLY_TEST(unacked_messages_resent_on_resume_with_same_serials, "RTN19a RTN19a2 RTN15c6"),
        ABLY_TEST(failed_resume_renumbers_resent_messages, "RTN19a2 RTN15c7"),
        ABLY_TEST(suspended_fails_pending_and_queued, "RTN7e"),
        ABLY_TEST(queue_messages_false_fails_on_disconnect, "RTN7d TO3g"),
        ABLY_TEST(server_auth_request_sends_new_token, "RTN22 RTC8a RTC8a1"),
        ABLY_TEST(authorize_while_connected_completes_on_update, "RTC8 RTC8a RTC8a1 RTC8a2 RTC8a3"),
        ABLY_TEST(authorize_while_disconnected_connects, "RTC8c RTC8b1"),
        ABLY_TEST(client_exposes_rest_and_auth, "RTC4 RTC17 RTC17a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
