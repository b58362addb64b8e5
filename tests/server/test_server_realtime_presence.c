/* ably-sandbox realtime presence: enter / update / leave, members by
 * memberKey, SYNC pages on attach, leave on close and after a lost
 * connection's grace period, and the REST view of the same members. */
#include "rt_test_util.h"

static void send_presence(rt_client *c, const char *channel, int serial, int action, const char *client_id,
                          const char *data)
{
    char buf[1024], cid[128] = "";
    if (client_id)
        snprintf(cid, sizeof cid, "\"clientId\":\"%s\",", client_id);
    snprintf(buf, sizeof buf, "{\"action\":14,\"channel\":\"%s\",\"msgSerial\":%d,\"presence\":"
             "[{%s\"action\":%d,\"data\":\"%s\"}]}", channel, serial, cid, action, data);
    rtc_send_json(c, buf);
}

static ably_presence_message *expect_event(rt_client *c, ably_protocol_message **keep)
{
    ably_protocol_message *pm = rtc_expect(c, ACT(PRESENCE), WAIT);
    assert_non_null(pm);
    assert_non_null(pm->channel_serial);
    assert_int_equal(pm->presence_count, 1);
    *keep = pm;
    return &pm->presence[0];
}

static void enter_update_leave_are_broadcast(void **state)
{
    sandbox_env *env = *state;
    char member_conn[64];
    rt_client *m = rtu_connect(env, 0, "clientId=alice", false, member_conn);
    rt_client *w = rtu_connect(env, 0, NULL, true, NULL);
    const char *ch = srv_unique_channel("rt-presence");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    rtu_attach_ok(w, channel);
    const int actions[] = { ABLY_PRESENCE_ACTION_ENTER, ABLY_PRESENCE_ACTION_UPDATE, ABLY_PRESENCE_ACTION_LEAVE };
    const char *data[] = { "hi", "busy", "bye" };
    for (int i = 0; i < 3; i++) {
        send_presence(m, channel, i, actions[i], NULL, data[i]);
        ably_protocol_message *ack = rtc_expect(m, ACT(ACK), WAIT);
        assert_non_null(ack);
        assert_int_equal(ack->msg_serial, i);
        rtc_free(ack);
        ably_protocol_message *keep;
        ably_presence_message *ev = expect_event(w, &keep);
        assert_int_equal(ev->action, actions[i]);
        assert_string_equal(ev->client_id, "alice");
        assert_string_equal(ev->connection_id, member_conn);
        assert_non_null(ev->id);
        assert_true(strncmp(ev->id, member_conn, strlen(member_conn)) == 0);
        assert_true(ev->has_timestamp);
        assert_string_equal(ev->data.bytes, data[i]);
        rtc_free(keep);
    }
    rtc_destroy(m);
    rtc_destroy(w);
}

static void attach_syncs_members_in_pages(void **state)
{
    sandbox_env *env = *state;
    const int members = 250;
    rt_client *m = rtu_connect(env, 0, NULL, true, NULL); /* key auth: may enter for anyone */
    const char *ch = srv_unique_channel("rt-sync");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    for (int i = 0; i < members; i++) {
        char cid[32];
        snprintf(cid, sizeof cid, "member-%03d", i);
        send_presence(m, channel, i, ABLY_PRESENCE_ACTION_ENTER, cid, "d");
    }
    for (int i = 0; i < members; i++) {
        ably_protocol_message *ack = rtc_expect(m, ACT(ACK), WAIT);
        assert_non_null(ack);
        rtc_free(ack);
    }
    rt_client *w = rtu_connect(env, 0, NULL, false, NULL);
    ably_protocol_message *pm = rtu_attach(w, channel, 0);
    assert_non_null(pm);
    assert_true(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE);
    rtc_free(pm);
    int seen = 0, pages = 0;
    bool done = false;
    char sync_id[32] = "";
    while (!done) {
        pm = rtc_expect(w, ACT(SYNC), WAIT);
        assert_non_null(pm);
        pages++;
        const char *colon = strchr(pm->channel_serial, ':');
        assert_non_null(colon);
        if (!sync_id[0])
            snprintf(sync_id, sizeof sync_id, "%.*s", (int)(colon - pm->channel_serial), pm->channel_serial);
        assert_int_equal(strncmp(pm->channel_serial, sync_id, strlen(sync_id)), 0);
        done = colon[1] == '\0'; /* empty cursor: last page */
        for (size_t i = 0; i < pm->presence_count; i++) {
            assert_int_equal(pm->presence[i].action, ABLY_PRESENCE_ACTION_PRESENT);
            assert_non_null(pm->presence[i].connection_id);
            assert_non_null(pm->presence[i].id);
        }
        seen += (int)pm->presence_count;
        rtc_free(pm);
    }
    assert_int_equal(seen, members);
    assert_true(pages >= 3);
    rtc_destroy(w);
    rtc_destroy(m);
}

static void empty_channel_has_no_presence_flag(void **state)
{
    rt_client *c = rtu_connect(*state, 0, NULL, false, NULL);
    ably_protocol_message *pm = rtu_attach(c, srv_unique_channel("rt-empty"), 0);
    assert_false(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE);
    rtc_free(pm);
    assert_null(rtc_expect(c, ACT(SYNC), 200));
    rtc_destroy(c);
}

static void enter_needs_a_client_id_and_capability(void **state)
{
    sandbox_env *env = *state;
    rt_client *c = rtu_connect(env, 0, NULL, false, NULL);
    send_presence(c, "rt-anon", 0, ABLY_PRESENCE_ACTION_ENTER, NULL, "x");
    ably_protocol_message *pm = rtc_expect(c, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->error->code, 91000);
    rtc_free(pm);
    rtc_destroy(c);
    /* Key 3: subscribe only. */
    c = rtu_connect(env, 3, "clientId=bob", false, NULL);
    send_presence(c, "rt-nocap", 0, ABLY_PRESENCE_ACTION_ENTER, NULL, "x");
    pm = rtc_expect(c, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->error->code, 40160);
    rtc_free(pm);
    rtc_destroy(c);
    /* A connection with a clientId cannot enter as someone else. */
    c = rtu_connect(env, 0, "clientId=carol", false, NULL);
    send_presence(c, "rt-other", 0, ABLY_PRESENCE_ACTION_ENTER, "mallory", "x");
    pm = rtc_expect(c, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->error->code, 40012);
    rtc_free(pm);
    rtc_destroy(c);
}

/* A member (connected with `member_query`) enters with `data` on a fresh `prefix`
 * channel (its name into channel) and a watcher attached there sees the ENTER; the
 * member's ACK is awaited first when await_ack. */
static void watched_enter(const sandbox_env *env, const char *member_query, const char *prefix, const char *data,
                          bool await_ack, char channel[128], rt_client **m, rt_client **w)
{
    *m = rtu_connect(env, 0, member_query, false, NULL);
    *w = rtu_connect(env, 0, NULL, false, NULL);
    snprintf(channel, 128, "%s", srv_unique_channel(prefix));
    rtu_attach_ok(*w, channel);
    send_presence(*m, channel, 0, ABLY_PRESENCE_ACTION_ENTER, NULL, data);
    if (await_ack)
        rtc_free(rtc_expect(*m, ACT(ACK), WAIT));
    ably_protocol_message *keep;
    expect_event(*w, &keep);
    rtc_free(keep);
}

static void close_leaves_members(void **state)
{
    sandbox_env *env = *state;
    rt_client *m, *w;
    char channel[128];
    watched_enter(env, "clientId=dave", "rt-close-leave", "here", false, channel, &m, &w);
    ably_protocol_message *keep;
    rtc_send_json(m, "{\"action\":7}");
    rtc_free(rtc_expect(m, ACT(CLOSED), WAIT));
    ably_presence_message *ev = expect_event(w, &keep);
    assert_int_equal(ev->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(ev->client_id, "dave");
    assert_string_equal(ev->data.bytes, "here");
    rtc_free(keep);
    rtc_destroy(m);
    rtc_destroy(w);
}

static void lost_connection_leaves_after_grace(void **state)
{
    sandbox_env *env = *state;
    rt_client *m, *w;
    char channel[128];
    watched_enter(env, "clientId=erin&remainPresentFor=300", "rt-grace", "x", true, channel, &m, &w);
    ably_protocol_message *keep;
    int64_t dropped = rtc_now_ms();
    rtc_destroy(m); /* no CLOSE: the transport is just gone */
    ably_presence_message *ev = expect_event(w, &keep);
    assert_int_equal(ev->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_true(rtc_now_ms() - dropped >= 250);
    rtc_free(keep);
    rtc_destroy(w);
}

static void rest_sees_members_and_history(void **state)
{
    sandbox_env *env = *state;
    rt_client *m = rtu_connect(env, 0, "clientId=frank", false, NULL);
    const char *ch = srv_unique_channel("rt-rest-presence");
    char channel[128], path[256];
    snprintf(channel, sizeof channel, "%s", ch);
    send_presence(m, channel, 0, ABLY_PRESENCE_ACTION_ENTER, NULL, "x");
    rtc_free(rtc_expect(m, ACT(ACK), WAIT));
    snprintf(path, sizeof path, "/channels/%s/presence", channel);
    srv_resp r = srv_get(env, path, sandbox_env_key(env, 0)->key_str);
    if (r.status == 404) { /* the REST presence route is another module's */
        srv_resp_free(&r);
        rtc_destroy(m);
        skip();
    }
    assert_int_equal(r.status, 200);
    cJSON *items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "clientId")->valuestring, "frank");
    cJSON_Delete(items);
    srv_resp_free(&r);
    snprintf(path, sizeof path, "/channels/%s/presence/history", channel);
    r = srv_get(env, path, sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 200);
    items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "action")->valueint, 2);
    cJSON_Delete(items);
    srv_resp_free(&r);
    rtc_destroy(m);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(enter_update_leave_are_broadcast, "RTP8a RTP9a RTP10a RTP2"),
        ABLY_TEST(attach_syncs_members_in_pages, "RTP1 RTP18a RTP19a"),
        ABLY_TEST(empty_channel_has_no_presence_flag, "RTP1"),
        ABLY_TEST(enter_needs_a_client_id_and_capability, "RTP8j RTP15f"),
        ABLY_TEST(close_leaves_members, "RTP10a"),
        ABLY_TEST(lost_connection_leaves_after_grace, "RTP17"),
        ABLY_TEST(rest_sees_members_and_history, "RSP3 RSP4"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
