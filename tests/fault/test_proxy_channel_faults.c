/* Channel faults through ably-proxy (uts/realtime/integration/proxy/channel_faults.md):
 * ATTACH / DETACH that get no answer, channel ERRORs, unsolicited DETACHED and
 * ATTACHED, and channels re-attaching after the transport is lost. */
#include "ably_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_rt.h"

typedef struct {
    prt_client pc;
    ably_realtime *rt; /* pc.rt */
    char *name;
    ably_realtime_channel *ch;
    prt_states chs; /* the channel's state changes */
} client;

/* A JWT client through the proxy with options `o`, CONNECTED, with channel `name`
 * (taken over) recorded from the start. */
static void client_open_with(client *c, prt_fixture *f, ably_client_options *o, char *name)
{
    assert_true(prt_client_new(&c->pc, f, o, NULL));
    c->rt = c->pc.rt;
    c->name = name;
    c->ch = prt_channel(c->rt, c->name);
    assert_non_null(c->ch);
    prt_states_init(&c->chs);
    ably_realtime_channel_on(c->ch, ABLY_CHANNEL_EVENT_ANY, prt_channel_listener, &c->chs);
    assert_true(prt_client_connect(&c->pc));
}

/* As client_open_with, on channel `prefix-<unique>`, with realtimeRequestTimeout
 * `request_timeout_ms` (0: default). */
static void client_open(client *c, prt_fixture *f, const char *prefix, int64_t request_timeout_ms)
{
    ably_client_options o;
    prt_options(&o, f);
    if (request_timeout_ms)
        o.realtime_request_timeout_ms = request_timeout_ms;
    client_open_with(c, f, &o, prt_unique(prefix));
}

/* client_open, then attached, with the channel recorder emptied. */
static void client_attached(client *c, prt_fixture *f, const char *prefix)
{
    client_open(c, f, prefix, 0);
    assert_true(prt_attach(c->ch));
    prt_states_clear(&c->chs);
}

static void client_close(client *c)
{
    prt_client_free(&c->pc);
    prt_states_destroy(&c->chs);
    free(c->name);
}

static void add_rule(prt_fixture *f, const char *fmt, const char *channel)
{
    assert_int_equal(prt_add_rules(f->px, fmt, channel), 200);
}

static void inject(prt_fixture *f, const char *fmt, const char *channel)
{
    assert_int_equal(prt_act(f->px, fmt, channel), 200);
}

static void assert_channel_error(ably_realtime_channel *ch, int64_t code, int64_t status, const char *text)
{
    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_realtime_channel_error_reason(ch, &e), 1);
    assert_int_equal(e.code, code);
    assert_int_equal(e.status_code, status);
    if (text)
        assert_non_null(strstr(e.message, text));
    ably_error_clear(&e);
}

/* RTL4f: the ATTACH never reaches the server; after realtimeRequestTimeout the channel
 * is SUSPENDED and attach() fails. */
static void attach_timeout_suspends(void **state)
{
    prt_fixture *f = *state;
    client c;
    char *name = prt_unique("test-RTL4f");
    add_rule(f,
             "[{\"match\":{\"type\":\"ws_frame_to_server\",\"action\":\"ATTACH\",\"channel\":\"%s\"},"
             "\"action\":{\"type\":\"suppress\"}}]",
             name);
    ably_client_options o;
    prt_options(&o, f);
    o.realtime_request_timeout_ms = 1500;
    o.channel_retry_timeout_ms = 60000; /* stay SUSPENDED while the test looks */
    client_open_with(&c, f, &o, name);

    prt_result r;
    prt_result_init(&r);
    ably_realtime_channel_attach(c.ch, prt_result_fn, &r);
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_ATTACHING, 1));
    assert_true(prt_wait_channel(c.ch, ABLY_CHANNEL_SUSPENDED));
    assert_true(prt_result_wait(&r));
    assert_true(r.failed);

    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_SUSPENDED);
    const int seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_SUSPENDED};
    assert_true(prt_states_in_order(&c.chs, seq, 2));
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    int attaches = prt_count_frames(f->px, true, 10, name, false);
    assert_true(attaches >= 1);
    assert_int_equal(prt_count_frames(f->px, true, 10, name, true), attaches); /* every one suppressed */
    prt_result_destroy(&r);
    client_close(&c);
}

/* RTL14: the server's answer to ATTACH is a channel ERROR; the channel FAILS. */
static void error_on_attach_fails_channel(void **state)
{
    prt_fixture *f = *state;
    char *name = prt_unique("test-RTL14-error-on-attach");
    add_rule(f,
             "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\",\"channel\":\"%1$s\"},"
             "\"action\":{\"type\":\"replace\",\"message\":{\"action\":9,\"channel\":\"%1$s\","
             "\"error\":{\"code\":40160,\"statusCode\":403,\"message\":\"Not permitted\"}}},\"times\":1}]",
             name);
    client c;
    client_open_with(&c, f, NULL, name);

    prt_result r;
    prt_result_init(&r);
    ably_realtime_channel_attach(c.ch, prt_result_fn, &r);
    assert_true(prt_result_wait(&r));
    assert_true(r.failed);
    assert_int_equal(r.code, 40160);
    assert_true(prt_wait_channel(c.ch, ABLY_CHANNEL_FAILED));
    assert_channel_error(c.ch, 40160, 403, NULL);
    const int seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_FAILED};
    assert_true(prt_states_in_order(&c.chs, seq, 2));
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    prt_result_destroy(&r);
    client_close(&c);
}

/* RTL5f: the DETACH never reaches the server; after realtimeRequestTimeout the channel
 * returns to ATTACHED and detach() fails. */
static void detach_timeout_reverts(void **state)
{
    prt_fixture *f = *state;
    client c;
    client_open(&c, f, "test-RTL5f", 1500);
    assert_true(prt_attach(c.ch));
    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_ATTACHED);
    prt_states_clear(&c.chs);
    add_rule(f,
             "[{\"match\":{\"type\":\"ws_frame_to_server\",\"action\":\"DETACH\",\"channel\":\"%s\"},"
             "\"action\":{\"type\":\"suppress\"}}]",
             c.name);

    prt_result r;
    prt_result_init(&r);
    ably_realtime_channel_detach(c.ch, prt_result_fn, &r);
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_DETACHING, 1));
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_ATTACHED, 1));
    assert_true(prt_result_wait(&r));
    assert_true(r.failed);
    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_ATTACHED);
    const int seq[] = {ABLY_CHANNEL_DETACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(prt_states_in_order(&c.chs, seq, 2));
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    prt_result_destroy(&r);
    client_close(&c);
}

/* RTL13a: an unsolicited DETACHED makes an attached channel attach again at once. */
static void unsolicited_detached_reattaches(void **state)
{
    prt_fixture *f = *state;
    client c;
    client_attached(&c, f, "test-RTL13a");
    inject(f,
           "{\"type\":\"inject_to_client\",\"message\":{\"action\":13,\"channel\":\"%s\",\"error\":"
           "{\"code\":90198,\"statusCode\":500,\"message\":\"Channel detached by server\"}}}",
           c.name);
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_ATTACHED, 1));
    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_ATTACHED);
    const int seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(prt_states_in_order(&c.chs, seq, 2));
    pthread_mutex_lock(&c.chs.mu);
    assert_int_equal(c.chs.codes[0], 90198); /* ATTACHING carries the DETACHED's error */
    pthread_mutex_unlock(&c.chs.mu);
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    assert_true(prt_count_frames(f->px, true, 10, c.name, false) >= 2);
    client_close(&c);
}

/* RTL14: a channel ERROR on an attached channel fails that channel only. */
static void channel_error_fails_channel(void **state)
{
    prt_fixture *f = *state;
    client c;
    client_attached(&c, f, "test-RTL14");
    inject(f,
           "{\"type\":\"inject_to_client\",\"message\":{\"action\":9,\"channel\":\"%s\",\"error\":"
           "{\"code\":40160,\"statusCode\":403,\"message\":\"Not permitted\"}}}",
           c.name);
    assert_true(prt_wait_channel(c.ch, ABLY_CHANNEL_FAILED));
    assert_channel_error(c.ch, 40160, 403, "Not permitted");
    /* the state is set before listeners hear of it: wait for the recorder too */
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_FAILED, 1));
    assert_int_equal(prt_states_len(&c.chs), 1);
    assert_int_equal(prt_states_count(&c.chs, ABLY_CHANNEL_FAILED), 1);
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    client_close(&c);
}

/* RTL12: an ATTACHED without RESUMED on an attached channel is an UPDATE, not ATTACHED. */
static void non_resumed_attached_is_update(void **state)
{
    prt_fixture *f = *state;
    client c;
    client_open(&c, f, "test-RTL12", 0);
    assert_true(prt_attach(c.ch));
    prt_states updates, attached;
    prt_states_init(&updates);
    prt_states_init(&attached);
    ably_realtime_channel_on(c.ch, ABLY_CHANNEL_EVENT_UPDATE, prt_channel_listener, &updates);
    ably_realtime_channel_on(c.ch, ABLY_CHANNEL_EVENT_ATTACHED, prt_channel_listener, &attached);
    inject(f,
           "{\"type\":\"inject_to_client\",\"message\":{\"action\":11,\"channel\":\"%s\",\"flags\":0,\"error\":"
           "{\"code\":91001,\"statusCode\":500,\"message\":\"Continuity lost\"}}}",
           c.name);
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (prt_states_len(&updates) < 1 && prt_now_ms() < end)
        usleep(5000);
    /* a round trip through the proxy, so a stray ATTACHED event would have shown up */
    assert_true(prt_attach(c.ch));

    assert_int_equal(prt_states_len(&updates), 1);
    pthread_mutex_lock(&updates.mu);
    assert_int_equal(updates.states[0], ABLY_CHANNEL_ATTACHED);
    assert_int_equal(updates.previous[0], ABLY_CHANNEL_ATTACHED);
    assert_int_equal(updates.events[0], ABLY_CHANNEL_EVENT_UPDATE);
    assert_false(updates.resumed[0]);
    assert_int_equal(updates.codes[0], 91001);
    assert_int_equal(updates.statuses[0], 500);
    assert_non_null(strstr(updates.messages[0], "Continuity lost"));
    pthread_mutex_unlock(&updates.mu);
    assert_int_equal(prt_states_len(&attached), 0); /* RTL2g */
    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    prt_states_destroy(&updates);
    prt_states_destroy(&attached);
    client_close(&c);
}

/* RTL3d: after the transport closes and the connection comes back, both attached
 * channels go ATTACHING and ATTACHED again, with a new ATTACH each. */
static void channels_reattach_on_reconnect(void **state)
{
    prt_fixture *f = *state;
    client c;
    client_open(&c, f, "test-RTL3d-a", 0);
    char *name_b = prt_unique("test-RTL3d-b");
    ably_realtime_channel *b = prt_channel(c.rt, name_b);
    assert_true(prt_attach(c.ch));
    assert_true(prt_attach(b));
    prt_states_clear(&c.chs);
    prt_states bs, conn;
    prt_states_init(&bs);
    prt_states_init(&conn);
    ably_realtime_channel_on(b, ABLY_CHANNEL_EVENT_ANY, prt_channel_listener, &bs);
    ably_connection_on(c.rt, ABLY_CONN_EVENT_ANY, prt_conn_listener, &conn);

    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"close\"}"), 200);
    assert_true(prt_states_wait(&conn, ABLY_CONN_DISCONNECTED, 1));
    assert_true(prt_states_wait(&conn, ABLY_CONN_CONNECTED, 1));
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_ATTACHED, 1));
    assert_true(prt_states_wait(&bs, ABLY_CHANNEL_ATTACHED, 1));

    assert_int_equal(ably_realtime_channel_state(c.ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(ably_realtime_channel_state(b), ABLY_CHANNEL_ATTACHED);
    const int seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(prt_states_in_order(&c.chs, seq, 2));
    assert_true(prt_states_in_order(&bs, seq, 2));
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    assert_true(prt_count_frames(f->px, true, 10, c.name, false) >= 2);
    assert_true(prt_count_frames(f->px, true, 10, name_b, false) >= 2);
    client_close(&c);
    prt_states_destroy(&bs);
    prt_states_destroy(&conn);
    free(name_b);
}

/* An ATTACHED that never comes: attach() fails after realtimeRequestTimeout, the
 * channel is SUSPENDED, then retries by itself after channelRetryTimeout and attaches
 * (RTL4f, RTL13b; from the earlier fault tier). */
static void suppressed_attached_then_retry_attaches(void **state)
{
    prt_fixture *f = *state;
    char *name = prt_unique("test-RTL13b");
    add_rule(f,
             "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\",\"channel\":\"%s\"},"
             "\"action\":{\"type\":\"suppress\"},\"times\":1}]",
             name);
    client c;
    ably_client_options o;
    prt_options(&o, f);
    o.realtime_request_timeout_ms = 1000;
    o.channel_retry_timeout_ms = 300;
    client_open_with(&c, f, &o, name);
    prt_result r;
    prt_result_init(&r);
    ably_realtime_channel_attach(c.ch, prt_result_fn, &r);
    assert_true(prt_result_wait(&r));
    assert_true(r.failed);
    assert_true(prt_states_wait(&c.chs, ABLY_CHANNEL_ATTACHED, 1)); /* the retry; the rule fired once */
    const int seq[] = {ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_SUSPENDED, ABLY_CHANNEL_ATTACHING, ABLY_CHANNEL_ATTACHED};
    assert_true(prt_states_in_order(&c.chs, seq, 4));
    assert_true(prt_count_frames(f->px, true, 10, name, false) >= 2);
    assert_int_equal(ably_connection_get_state(c.rt), ABLY_CONN_CONNECTED);
    prt_result_destroy(&r);
    client_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(attach_timeout_suspends, "RTL4f"),
        PRT_TEST(error_on_attach_fails_channel, "RTL14"),
        PRT_TEST(detach_timeout_reverts, "RTL5f"),
        PRT_TEST(unsolicited_detached_reattaches, "RTL13a"),
        PRT_TEST(channel_error_fails_channel, "RTL14"),
        PRT_TEST(non_resumed_attached_is_update, "RTL12 RTL2g"),
        PRT_TEST(channels_reattach_on_reconnect, "RTL3d"),
        PRT_TEST(suppressed_attached_then_retry_attaches, "RTL4f RTL13b"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
