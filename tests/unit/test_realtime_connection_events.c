/* Connection events on the mock WebSocket: UPDATE (RTN24), whenState (RTN26),
 * re-authentication asked for by Ably (RTN22) and frames from a newer protocol
 * (RTF1, RSF1) (uts/realtime/unit/connection/{update_events,when_state,
 * server_initiated_reauth,forwards_compatibility}_test.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_realtime_channel_fixture.h"

static const char *connected(const char *id, const char *key) { return mock_ws_connected_json(id, key, 15000, 120000); }

/* ---- recorders ---- */

typedef struct {
    int count;
    ably_connection_state previous[8], current[8];
    ably_connection_event event[8];
    bool has_reason[8];
    int64_t code[8], status[8];
    char message[8][64];
    bool null_change[8]; /* whenState's immediate call */
} seen_events;

static void record(void *ctx, const ably_connection_state_change *c)
{
    seen_events *s = ctx;
    int i = s->count++;
    if (i >= 8)
        return;
    s->null_change[i] = c == NULL;
    if (!c)
        return;
    s->previous[i] = c->previous;
    s->current[i] = c->current;
    s->event[i] = c->event;
    s->has_reason[i] = c->reason != NULL;
    if (c->reason) {
        s->code[i] = c->reason->code;
        s->status[i] = c->reason->status_code;
        snprintf(s->message[i], sizeof s->message[i], "%s", c->reason->message ? c->reason->message : "");
    }
}

static void assert_id_key(mock_rt *t, const char *id, const char *key)
{
    char *i = ably_connection_id(t->rt), *k = ably_connection_key(t->rt);
    assert_string_equal(i, id);
    assert_string_equal(k, key);
    free(i);
    free(k);
}

/* ---- RTN24: UPDATE (update_events_test.md) ---- */

static void connected_while_connected_is_an_update(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    seen_events conn = {0}, upd = {0};
    ably_connection_on(t.rt, ABLY_CONN_EVENT_CONNECTED, record, &conn);
    ably_connection_on(t.rt, ABLY_CONN_EVENT_UPDATE, record, &upd);
    mock_rt_connect(&t, "connection-id-1", "connection-key-1");
    assert_int_equal(conn.count, 1);
    assert_int_equal(upd.count, 0);
    mock_rt_send(&t, 0, mock_ws_connected_json("connection-id-1", "connection-key-1", 20000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(conn.count, 1);
    assert_int_equal(upd.count, 1);
    assert_int_equal(upd.previous[0], ABLY_CONN_CONNECTED);
    assert_int_equal(upd.current[0], ABLY_CONN_CONNECTED);
    assert_false(upd.has_reason[0]);
    assert_id_key(&t, "connection-id-1", "connection-key-1");
    mock_rt_free(&t);
}

static void update_carries_the_error(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    seen_events upd = {0};
    ably_connection_on(t.rt, ABLY_CONN_EVENT_UPDATE, record, &upd);
    mock_rt_connect(&t, "connection-id-1", "connection-key-1");
    mock_ws_send(t.m, 0,
                 "{\"action\":4,\"connectionId\":\"connection-id-1\",\"connectionDetails\":{\"connectionKey\":"
                 "\"connection-key-1\",\"maxIdleInterval\":15000,\"connectionStateTtl\":120000},\"error\":{\"code\":"
                 "40142,\"statusCode\":401,\"message\":\"Token expired; renewed automatically\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(upd.count, 1);
    assert_int_equal(upd.previous[0], ABLY_CONN_CONNECTED);
    assert_int_equal(upd.current[0], ABLY_CONN_CONNECTED);
    assert_true(upd.has_reason[0]);
    assert_int_equal(upd.code[0], 40142);
    assert_int_equal(upd.status[0], 401);
    assert_non_null(strstr(upd.message[0], "Token expired"));
    mock_rt_free(&t);
}

static void update_overrides_the_connection_details(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 1000;
    mock_rt_start_connecting(&t);
    mock_ws_respond_success(t.m, 0,
                            "{\"action\":4,\"connectionId\":\"connection-id-1\",\"connectionDetails\":{\"connectionKey\":"
                            "\"connection-key-1\",\"maxIdleInterval\":10000,\"connectionStateTtl\":60000,"
                            "\"maxMessageSize\":16384,\"serverId\":\"server-1\",\"clientId\":\"client-original\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_id_key(&t, "connection-id-1", "connection-key-1");
    mock_ws_send(t.m, 0,
                 "{\"action\":4,\"connectionId\":\"connection-id-1\",\"connectionDetails\":{\"connectionKey\":"
                 "\"connection-key-1\",\"maxIdleInterval\":20000,\"connectionStateTtl\":120000,"
                 "\"maxMessageSize\":32768,\"serverId\":\"server-2\",\"clientId\":\"client-updated\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_id_key(&t, "connection-id-1", "connection-key-1");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    /* the new maxIdleInterval rules the idle timer now: 20000 + 1000, not 10000 + 1000 */
    mock_ws_advance(t.m, t.h, t.rt, 11000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_ws_advance(t.m, t.h, t.rt, 10000);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    mock_rt_free(&t);
}

static void repeated_connected_gives_updates_only(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    seen_events states[8], upd = {0};
    memset(states, 0, sizeof states);
    for (int s = ABLY_CONN_INITIALIZED; s <= ABLY_CONN_FAILED; s++)
        ably_connection_on(t.rt, (ably_connection_event)s, record, &states[s]);
    ably_connection_on(t.rt, ABLY_CONN_EVENT_UPDATE, record, &upd);
    mock_rt_connect(&t, "connection-id-1", "connection-key-1");
    int before = 0;
    for (int s = 0; s < 8; s++)
        before += states[s].count;
    for (int i = 0; i < 3; i++) {
        mock_rt_send(&t, 0, connected("connection-id-1", "connection-key-1"));
    }
    int after = 0;
    for (int s = 0; s < 8; s++)
        after += states[s].count;
    assert_int_equal(after, before); /* no state events */
    assert_int_equal(upd.count, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(upd.previous[i], ABLY_CONN_CONNECTED);
        assert_int_equal(upd.current[i], ABLY_CONN_CONNECTED);
    }
    assert_int_equal(states[ABLY_CONN_CONNECTED].count, 1);
    mock_rt_free(&t);
}

/* ---- RTN26: whenState (when_state_test.md) ---- */

static void when_state_now_calls_with_no_change(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "connection-id", "connection-key");
    seen_events s = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, record, &s);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(s.count, 1);
    assert_true(s.null_change[0]);
    mock_rt_free(&t);
}

static void when_state_later_calls_with_the_change(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    seen_events s = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, record, &s);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(s.count, 0);
    mock_rt_connect(&t, "connection-id", "connection-key");
    assert_int_equal(s.count, 1);
    assert_false(s.null_change[0]);
    assert_true(s.previous[0] == ABLY_CONN_INITIALIZED || s.previous[0] == ABLY_CONN_CONNECTING);
    assert_int_equal(s.current[0], ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void when_state_fires_once(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 100;
    mock_rt_start(&t, NULL);
    seen_events s = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, record, &s);
    mock_rt_connect(&t, "connection-id", "connection-key");
    assert_int_equal(s.count, 1);
    mock_rt_drop(&t, 0);
    mock_ws_advance(t.m, t.h, t.rt, 150);
    mock_rt_accept(&t, mock_rt_last_attempt(&t), connected("connection-id", "connection-key"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_int_equal(s.count, 1);
    mock_rt_free(&t);
}

static void several_when_states_each_fire(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    seen_events a = {0}, b = {0}, c = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, record, &a);
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTED, record, &b);
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTING, record, &c);
    mock_rt_connect(&t, "connection-id", "connection-key");
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    assert_int_equal(c.count, 1);
    mock_rt_free(&t);
}

static void when_state_ignores_a_past_state(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "connection-id", "connection-key");
    seen_events s = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTING, record, &s);
    mock_ws_pump(t.m, t.rt);
    mock_ws_advance(t.m, t.h, t.rt, 200);
    assert_int_equal(s.count, 0);
    mock_rt_free(&t);
}

static void refuse(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    mock_ws_respond_refused(m, i);
}

static void when_state_across_states(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_ws_on_attempt(t.m, refuse, NULL);
    mock_rt_start(&t, NULL);
    seen_events init = {0}, connecting = {0}, disconnected = {0};
    ably_connection_when_state(t.rt, ABLY_CONN_INITIALIZED, record, &init);
    ably_connection_when_state(t.rt, ABLY_CONN_CONNECTING, record, &connecting);
    ably_connection_when_state(t.rt, ABLY_CONN_DISCONNECTED, record, &disconnected);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(init.count, 1);
    assert_int_equal(connecting.count, 0);
    assert_int_equal(disconnected.count, 0);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_int_equal(init.count, 1);
    assert_int_equal(connecting.count, 1);
    assert_int_equal(disconnected.count, 1);
    mock_rt_free(&t);
}

/* ---- RTN22: Ably asks for a new token (server_initiated_reauth_test.md) ---- */

typedef struct {
    int calls;
    const char *prefix;
} token_counter;

static int counted_tokens(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                          ably_token_request *tr, ably_error *err)
{
    (void)params;
    (void)tr;
    (void)err;
    token_counter *c = ctx;
    c->calls++;
    char buf[64];
    snprintf(buf, sizeof buf, "%s%d", c->prefix, c->calls);
    (void)token;
    td->token = strdup(buf);
    td->expires = 1700000000000 + 3600000;
    td->has_expires = true;
    return 0;
}

static void use_counter(mock_rt *t, token_counter *c, const char *prefix)
{
    c->calls = 0;
    c->prefix = prefix;
    t->o.key = NULL;
    t->o.auth_callback = counted_tokens;
    t->o.auth_callback_ctx = c;
}

typedef struct {
    char reply[256];
    int auth_frames;
    char token[64];
} auth_answer;

static void answer_auth(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    auth_answer *a = ctx;
    if (pm->action != ABLY_PROTOCOL_MESSAGE_ACTION_AUTH)
        return;
    a->auth_frames++;
    if (pm->auth && pm->auth->access_token)
        snprintf(a->token, sizeof a->token, "%s", pm->auth->access_token);
    mock_ws_send(m, attempt, a->reply);
}

static void server_auth_request_gets_a_new_token(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    token_counter c;
    use_counter(&t, &c, "token-");
    mock_rt_start_connected(&t, "connection-id", "connection-key");
    t.rec.count = 0;
    auth_answer a = {0};
    snprintf(a.reply, sizeof a.reply, "%s", connected("connection-id", "connection-key-2"));
    mock_ws_on_message(t.m, answer_auth, &a);
    mock_rt_send(&t, 0, "{\"action\":17}");
    assert_int_equal(c.calls, 2);
    assert_int_equal(a.auth_frames, 1);
    assert_string_equal(a.token, "token-2");
    size_t updates = 0;
    for (size_t i = 0; i < t.rec.count; i++) {
        assert_int_equal(t.rec.items[i].current, ABLY_CONN_CONNECTED);
        updates += t.rec.items[i].event == ABLY_CONN_EVENT_UPDATE;
    }
    assert_int_equal(updates, 1);
    mock_rt_free(&t);
}

static void connection_stays_connected_during_reauth(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    token_counter c;
    use_counter(&t, &c, "reauth-token-");
    auth_answer a = {0};
    snprintf(a.reply, sizeof a.reply, "%s", connected("conn-1", "key-1-updated"));
    mock_ws_on_message(t.m, answer_auth, &a);
    mock_rt_start_connected(&t, "conn-1", "key-1");
    t.rec.count = 0;
    mock_rt_send(&t, 0, "{\"action\":17}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(t.rec.count, 1);
    assert_int_equal(t.rec.items[0].event, ABLY_CONN_EVENT_UPDATE);
    assert_int_equal(t.rec.items[0].previous, ABLY_CONN_CONNECTED);
    assert_int_equal(t.rec.items[0].current, ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void forced_disconnect_with_token_error_is_seen(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    token_counter c;
    use_counter(&t, &c, "recovery-token-");
    mock_rt_start_connected(&t, "conn-1", "key-1");
    t.rec.count = 0;
    mock_rt_send(&t, 0, "{\"action\":6,\"error\":{\"message\":\"Token expired\",\"code\":40142,\"statusCode\":401}}");
    const mock_ws_change *d = NULL;
    for (size_t i = 0; i < t.rec.count && !d; i++)
        if (t.rec.items[i].current == ABLY_CONN_DISCONNECTED)
            d = &t.rec.items[i];
    assert_non_null(d);
    assert_int_equal(d->reason_code, 40142);
    /* and it goes on to reconnect with a new token (RTN15h2) */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    assert_int_equal(c.calls, 2);
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "recovery-token-2");
    mock_rt_free(&t);
}

/* ---- RTF1, RSF1: frames from a newer protocol (forwards_compatibility_test.md) ---- */

typedef struct {
    int count;
    char name[4][32], data[4][32];
} got_messages;

static void on_message(void *ctx, const ably_message *m)
{
    got_messages *g = ctx;
    if (g->count >= 4)
        return;
    snprintf(g->name[g->count], sizeof g->name[0], "%s", m->name ? m->name : "");
    snprintf(g->data[g->count], sizeof g->data[0], "%.*s", (int)m->data.len,
             m->data.bytes ? (const char *)m->data.bytes : "");
    g->count++;
}

/* A JSON client, connected, with channel `name` attached by a subscribe that records into *got. */
static ably_realtime_channel *json_subscribed_channel(chan_fx *f, const char *name, got_messages *got)
{
    fx_init(f);
    f->t.o.use_binary_protocol = false;
    fx_start(f);
    fx_connect(f);
    ably_realtime_channel *ch = fx_channel(f, name, NULL);
    *got = (got_messages){0};
    ably_realtime_channel_subscribe(ch, NULL, on_message, got, NULL, NULL);
    fx_pump(f);
    return ch;
}

static void unknown_frame_fields_are_ignored(void **state)
{
    (void)state;
    chan_fx f;
    got_messages got;
    ably_realtime_channel *ch = json_subscribed_channel(&f, "test-RTF1-extra-attrs", &got);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_server(&f, "{\"action\":15,\"channel\":\"test-RTF1-extra-attrs\",\"messages\":[{\"name\":\"test-event\","
                  "\"data\":\"hello\",\"serial\":\"msg-serial-1\"}],\"unknownField1\":\"some-future-value\","
                  "\"unknownField2\":42,\"unknownNestedObject\":{\"nestedKey\":\"nestedValue\"},"
                  "\"unknownArray\":[1,2,3]}");
    assert_int_equal(got.count, 1);
    assert_string_equal(got.name[0], "test-event");
    assert_string_equal(got.data[0], "hello");
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

static void unknown_action_is_ignored(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    mock_rt_start_connected(&t, "connection-id", "connection-key");
    mock_ws_send(t.m, 0, "{\"action\":254,\"channel\":\"test-RTF1-unknown-action\",\"unknownPayload\":\"future-feature-data\"}");
    mock_rt_send(&t, 0, "{\"action\":0}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 2));
    for (size_t i = 0; i < t.rec.count; i++) {
        assert_int_not_equal(t.rec.items[i].current, ABLY_CONN_DISCONNECTED);
        assert_int_not_equal(t.rec.items[i].current, ABLY_CONN_FAILED);
    }
    mock_rt_free(&t);
}

static void unknown_message_fields_are_ignored(void **state)
{
    (void)state;
    chan_fx f;
    got_messages got;
    ably_realtime_channel *ch = json_subscribed_channel(&f, "test-RSF1-extra-attrs", &got);
    fx_server(&f, "{\"action\":15,\"channel\":\"test-RSF1-extra-attrs\",\"messages\":["
                  "{\"name\":\"event-1\",\"data\":\"payload-1\",\"serial\":\"serial-1\",\"futureField\":\"future-value\","
                  "\"futureNumber\":99,\"futureObject\":{\"nested\":true}},"
                  "{\"name\":\"event-2\",\"data\":\"payload-2\",\"serial\":\"serial-2\",\"anotherUnknownField\":[1,2,3]}]}");
    assert_int_equal(got.count, 2);
    assert_string_equal(got.name[0], "event-1");
    assert_string_equal(got.data[0], "payload-1");
    assert_string_equal(got.name[1], "event-2");
    assert_string_equal(got.data[1], "payload-2");
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(connected_while_connected_is_an_update, "RTN24 RTN4h"),
        ABLY_TEST(update_carries_the_error, "RTN24"),
        ABLY_TEST(update_overrides_the_connection_details, "RTN24 RTN21"),
        ABLY_TEST(repeated_connected_gives_updates_only, "RTN24 RTN4h"),
        ABLY_TEST(when_state_now_calls_with_no_change, "RTN26 RTN26a"),
        ABLY_TEST(when_state_later_calls_with_the_change, "RTN26 RTN26b"),
        ABLY_TEST(when_state_fires_once, "RTN26b"),
        ABLY_TEST(several_when_states_each_fire, "RTN26a RTN26b"),
        ABLY_TEST(when_state_ignores_a_past_state, "RTN26a RTN26b"),
        ABLY_TEST(when_state_across_states, "RTN26 RTN26a RTN26b"),
        ABLY_TEST(server_auth_request_gets_a_new_token, "RTN22 RTC8a"),
        ABLY_TEST(connection_stays_connected_during_reauth, "RTN22 RTN24"),
        ABLY_TEST(forced_disconnect_with_token_error_is_seen, "RTN22a RTN15h2 RTN15h2i"),
        ABLY_TEST(unknown_frame_fields_are_ignored, "RTF1"),
        ABLY_TEST(unknown_action_is_ignored, "RTF1"),
        ABLY_TEST(unknown_message_fields_are_ignored, "RSF1"),
    };
    return cmocka_run_group_tests_name("realtime_connection_events", tests, NULL, NULL);
}
