/* Automatic presence re-entry through ably-proxy
 * (uts/realtime/integration/proxy/presence_reentry.md): an ATTACHED without RESUMED,
 * injected or replacing the real one after a reconnect, makes the client send ENTER
 * again for its own members, as the proxy log shows. */
#include "ably_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_rt.h"

typedef struct {
    int after_connect;
    bool first;
    int n;
    cJSON **msg_out;
} presence_sink;

static void keep_presence(void *ctx, const cJSON *msg, int connects_before)
{
    presence_sink *sink = ctx;
    if (connects_before < sink->after_connect)
        return;
    if (sink->msg_out && (!sink->first || sink->n == 0)) {
        cJSON_Delete(*sink->msg_out);
        *sink->msg_out = cJSON_Duplicate(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "presence"), 0), true);
    }
    sink->n++;
}

/* The client-sent PRESENCE frames on `channel` (after the `after_connect`-th ws_connect,
 * 0: all): their count, and a copy of the first (first) or last one's first presence
 * message through msg_out. */
static int presence_frames(proxy_env *px, const char *channel, int after_connect, bool first, cJSON **msg_out)
{
    presence_sink sink = {after_connect, first, 0, msg_out};
    return prt_each_frame(px, true, 14, channel, false, keep_presence, &sink) < 0 ? -1 : sink.n;
}

/* RTP17g: the re-entry is an ENTER (2) for client-a with the data it entered with. */
static void assert_reenter(const cJSON *pm)
{
    assert_non_null(pm);
    const cJSON *cid = cJSON_GetObjectItem(pm, "clientId");
    const cJSON *data = cJSON_GetObjectItem(pm, "data");
    const cJSON *action = cJSON_GetObjectItem(pm, "action");
    assert_true(cJSON_IsString(cid));
    assert_string_equal(cid->valuestring, "client-a");
    assert_true(cJSON_IsString(data));
    assert_string_equal(data->valuestring, "hello");
    assert_true(cJSON_IsNumber(action));
    assert_int_equal(action->valueint, 2);
}

typedef struct {
    prt_auth auth;
    ably_realtime *rt;
    char *name;
    ably_realtime_channel *ch;
} member;

/* client-a through the proxy, attached to `name` and present with data "hello". */
static void member_enter(member *m, prt_fixture *f, prt_states *conn)
{
    ably_client_options o;
    prt_options(&o, f);
    m->rt = prt_jwt_realtime(&o, &m->auth, f, "client-a");
    assert_non_null(m->rt);
    if (conn)
        ably_connection_on(m->rt, ABLY_CONN_EVENT_ANY, prt_conn_listener, conn);
    m->ch = prt_channel(m->rt, m->name);
    ably_connection_connect(m->rt);
    assert_true(prt_wait_conn(m->rt, ABLY_CONN_CONNECTED));
    assert_true(prt_attach(m->ch));
    prt_result r;
    prt_result_init(&r);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "hello", 5);
    ably_realtime_presence_enter(ably_realtime_channel_presence(m->ch), &d, prt_result_fn, &r);
    assert_true(prt_result_wait(&r));
    if (r.failed)
        fprintf(stderr, "enter failed: %lld\n", (long long)r.code);
    assert_false(r.failed);
    prt_result_destroy(&r);
}

static void member_free(member *m)
{
    prt_close(m->rt);
    prt_auth_destroy(&m->auth);
    free(m->name);
}

/* Test 27: an injected non-resumed ATTACHED on the attached channel. */
static void reenter_on_non_resumed_attached(void **state)
{
    prt_fixture *f = *state;
    member m;
    m.name = prt_unique("test-rtp17i");
    member_enter(&m, f, NULL);
    int before = presence_frames(f->px, m.name, 0, false, NULL);
    assert_true(before >= 1);

    assert_int_equal(prt_act(f->px,
                             "{\"type\":\"inject_to_client\",\"message\":{\"action\":11,\"channel\":\"%s\","
                             "\"flags\":0,\"error\":{\"code\":91001,\"statusCode\":500,"
                             "\"message\":\"Continuity lost\"}}}",
                             m.name),
                     200);
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (presence_frames(f->px, m.name, 0, false, NULL) <= before && prt_now_ms() < end)
        usleep(100000);

    cJSON *last = NULL;
    assert_true(presence_frames(f->px, m.name, 0, false, &last) > before);
    assert_reenter(last);
    cJSON_Delete(last);
    assert_int_equal(ably_realtime_channel_state(m.ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(ably_connection_get_state(m.rt), ABLY_CONN_CONNECTED);
    member_free(&m);
}

/* Test 28: the transport closes after 3 s; the ATTACHED after the reconnect is
 * replaced with a non-resumed one. */
static void reenter_after_disconnect(void **state)
{
    prt_fixture *f = *state;
    member m;
    m.name = prt_unique("test-rtp17i-real");
    assert_int_equal(prt_add_rules(f->px,
             "[{\"match\":{\"type\":\"delay_after_ws_connect\",\"delayMs\":3000},\"action\":{\"type\":\"close\"},"
             "\"times\":1},"
             "{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\",\"channel\":\"%1$s\",\"count\":2},"
             "\"action\":{\"type\":\"replace\",\"message\":{\"action\":11,\"channel\":\"%1$s\",\"flags\":0,"
             "\"error\":{\"code\":91001,\"statusCode\":500,\"message\":\"Continuity lost\"}}},\"times\":1}]",
             m.name), 200);
    prt_states conn;
    prt_states_init(&conn);
    member_enter(&m, f, &conn);
    assert_true(prt_states_wait(&conn, ABLY_CONN_DISCONNECTED, 1));
    assert_true(prt_states_wait(&conn, ABLY_CONN_CONNECTED, 2));
    assert_true(prt_wait_channel(m.ch, ABLY_CHANNEL_ATTACHED));
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (presence_frames(f->px, m.name, 2, true, NULL) < 1 && prt_now_ms() < end)
        usleep(100000);

    cJSON *first = NULL;
    assert_true(presence_frames(f->px, m.name, 2, true, &first) >= 1);
    assert_reenter(first);
    cJSON_Delete(first);
    assert_int_equal(ably_realtime_channel_state(m.ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(ably_connection_get_state(m.rt), ABLY_CONN_CONNECTED);
    member_free(&m);
    prt_states_destroy(&conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(reenter_on_non_resumed_attached, "RTP17i RTP17g"),
        PRT_TEST(reenter_after_disconnect, "RTP17i"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
