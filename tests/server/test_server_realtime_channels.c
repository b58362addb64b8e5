/* ably-sandbox realtime channels: ATTACH / DETACH, publish with ACK / NACK,
 * fan-out with echo control, capability checks, size limits, idempotent ids,
 * REST <-> realtime visibility, channelSerials, rewind and attach from a
 * channelSerial. */
#include "rt_test_util.h"

static void attach_gets_attached_with_modes_and_serial(void **state)
{
    rt_client *c = rtu_connect(*state, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-attach");
    ably_protocol_message *pm = rtu_attach(c, ch, 0);
    assert_non_null(pm);
    assert_int_equal(pm->action, ACT(ATTACHED));
    assert_string_equal(pm->channel, ch);
    assert_non_null(pm->channel_serial);
    int64_t want = ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH | ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE |
                   ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE;
    assert_int_equal(pm->flags & want, want);
    assert_false(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE);
    assert_false(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED);
    rtc_free(pm);
    /* Attaching again keeps continuity: RESUMED. */
    pm = rtu_attach(c, ch, 0);
    assert_true(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED);
    rtc_free(pm);
    rtc_destroy(c);
}

static void requested_modes_are_granted(void **state)
{
    rt_client *c = rtu_connect(*state, 0, NULL, true, NULL);
    ably_protocol_message *pm = rtu_attach(c, srv_unique_channel("rt-modes"),
                                           ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH);
    assert_int_equal(pm->flags & (ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH | ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE), ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH);
    rtc_free(pm);
    rtc_destroy(c);
}

static void detach_gets_detached(void **state)
{
    rt_client *c = rtu_connect(*state, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-detach");
    rtu_attach_ok(c, ch);
    char buf[256];
    snprintf(buf, sizeof buf, "{\"action\":12,\"channel\":\"%s\"}", ch);
    rtc_send_json(c, buf);
    ably_protocol_message *pm = rtc_expect(c, ACT(DETACHED), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->channel, ch);
    rtc_free(pm);
    rtc_destroy(c);
}

static void publish_is_acked_and_fanned_out(void **state)
{
    sandbox_env *env = *state;
    char pub_id[64];
    rt_client *pub = rtu_connect(env, 0, NULL, false, pub_id);
    rt_client *sub_json = rtu_connect(env, 0, NULL, false, NULL);
    rt_client *sub_mp = rtu_connect(env, 0, NULL, true, NULL);
    const char *ch = srv_unique_channel("rt-pub");
    rtu_attach_ok(sub_json, ch);
    rtu_attach_ok(sub_mp, ch);
    rtu_publish_json(pub, ch, 0, "greeting", "hello");
    rtu_publish_json(pub, ch, 1, "greeting", "again");
    for (int i = 0; i < 2; i++) {
        ably_protocol_message *ack = rtc_expect(pub, ACT(ACK), WAIT);
        assert_non_null(ack);
        assert_int_equal(ack->msg_serial, i);
        assert_int_equal(ack->count, 1);
        rtc_free(ack);
    }
    rt_client *subs[2] = { sub_json, sub_mp };
    for (int s = 0; s < 2; s++) {
        char last_serial[64] = "";
        for (int i = 0; i < 2; i++) {
            ably_protocol_message *pm = rtc_expect(subs[s], ACT(MESSAGE), WAIT);
            assert_non_null(pm);
            assert_string_equal(pm->channel, ch);
            assert_non_null(pm->channel_serial);
            assert_true(strcmp(pm->channel_serial, last_serial) > 0);
            snprintf(last_serial, sizeof last_serial, "%s", pm->channel_serial);
            assert_int_equal(pm->messages_count, 1);
            ably_message *m = &pm->messages[0];
            assert_string_equal(m->name, "greeting");
            assert_string_equal(m->data.bytes, i == 0 ? "hello" : "again");
            assert_string_equal(m->connection_id, pub_id);
            assert_non_null(m->id);
            assert_true(m->has_timestamp);
            rtc_free(pm);
        }
    }
    rtc_destroy(pub);
    rtc_destroy(sub_json);
    rtc_destroy(sub_mp);
}

static void echo_false_suppresses_own_messages(void **state)
{
    sandbox_env *env = *state;
    rt_client *quiet = rtu_connect(env, 0, "echo=false", false, NULL);
    rt_client *loud = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-echo");
    rtu_attach_ok(quiet, ch);
    rtu_attach_ok(loud, ch);
    rtu_publish_json(quiet, ch, 0, "a", "from-quiet");
    rtu_publish_json(loud, ch, 0, "b", "from-loud");
    rtc_free(rtc_expect(quiet, ACT(ACK), WAIT));
    ably_protocol_message *pm = rtc_expect(quiet, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->messages[0].name, "b"); /* only the other one's */
    rtc_free(pm);
    assert_null(rtc_expect(quiet, ACT(MESSAGE), 300));
    int names = 0;
    for (int i = 0; i < 2; i++) {
        pm = rtc_expect(loud, ACT(MESSAGE), WAIT);
        assert_non_null(pm);
        names += pm->messages[0].name[0];
        rtc_free(pm);
    }
    assert_int_equal(names, 'a' + 'b');
    rtc_destroy(quiet);
    rtc_destroy(loud);
}

static void binary_data_round_trips_between_formats(void **state)
{
    sandbox_env *env = *state;
    rt_client *pub = rtu_connect(env, 0, NULL, true, NULL);
    rt_client *sub = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-binary");
    rtu_attach_ok(sub, ch);
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ACT(MESSAGE);
    pm.has_action = true;
    pm.channel = strdup(ch);
    pm.msg_serial = 0;
    pm.has_msg_serial = true;
    pm.messages = calloc(1, sizeof *pm.messages);
    pm.messages_count = 1;
    ably_message_init(pm.messages);
    ably_data_set(&pm.messages[0].data, ABLY_DATA_BINARY, "\x01\x02\xff", 3);
    rtc_send(pub, &pm);
    ably_protocol_message_clear(&pm);
    rtc_free(rtc_expect(pub, ACT(ACK), WAIT));
    ably_protocol_message *got = rtc_expect(sub, ACT(MESSAGE), WAIT);
    assert_non_null(got);
    /* A JSON reader gets base64 with the encoding step named. */
    assert_string_equal(got->messages[0].data.bytes, "AQL/");
    assert_string_equal(got->messages[0].encoding, "base64");
    rtc_free(got);
    rtc_destroy(pub);
    rtc_destroy(sub);
}

static void publish_without_capability_is_nacked_40160(void **state)
{
    sandbox_env *env = *state;
    /* Key 1 of the test app is subscribe-only on some channels: find one that
     * denies publish on an arbitrary channel. */
    size_t k = 0;
    for (size_t i = 0; i < env->key_count; i++)
        if (strstr(env->keys[i].capability, "publish") == NULL &&
            strstr(env->keys[i].capability, "\"*\"]") == NULL)
            k = i;
    assert_true(k > 0);
    rt_client *c = rtu_connect(env, k, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-denied");
    rtu_publish_json(c, ch, 0, "x", "y");
    ably_protocol_message *pm = rtc_expect(c, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->msg_serial, 0);
    assert_int_equal(pm->count, 1);
    assert_int_equal(pm->error->code, 40160);
    rtc_free(pm);
    rtc_destroy(c);
}

static void attach_without_capability_fails_40160(void **state)
{
    sandbox_env *env = *state;
    char *token = NULL;
    {
        char path[256];
        snprintf(path, sizeof path, "/keys/%s/requestToken", sandbox_env_key(env, 0)->key_name);
        srv_resp r = srv_post_json(env, path, "{\"capability\":\"{\\\"allowed\\\":[\\\"*\\\"]}\"}",
                                   sandbox_env_key(env, 0)->key_str);
        assert_int_equal(r.status, 200);
        cJSON *j = srv_json(&r);
        token = strdup(cJSON_GetObjectItem(j, "token")->valuestring);
        cJSON_Delete(j);
        srv_resp_free(&r);
    }
    char q[512];
    snprintf(q, sizeof q, "accessToken=%s", token);
    rt_client *c = rtc_connect(env, q, false);
    assert_non_null(c);
    rtc_free(rtc_expect(c, ACT(CONNECTED), WAIT));
    ably_protocol_message *pm = rtu_attach(c, "forbidden", 0);
    assert_non_null(pm);
    assert_int_equal(pm->action, ACT(ERROR));
    assert_string_equal(pm->channel, "forbidden");
    assert_int_equal(pm->error->code, 40160);
    rtc_free(pm);
    rtu_attach_ok(c, "allowed");
    rtc_destroy(c);
    free(token);
}

static void oversized_message_is_nacked_40009(void **state)
{
    rt_client *c = rtu_connect(*state, 0, NULL, false, NULL);
    size_t n = 70000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    rtu_publish_json(c, srv_unique_channel("rt-big"), 0, "big", "");
    rtc_free(rtc_expect(c, ACT(ACK), WAIT));
    char *frame = malloc(n + 256);
    snprintf(frame, n + 256, "{\"action\":15,\"channel\":\"rt-big\",\"msgSerial\":1,\"messages\":"
             "[{\"name\":\"big\",\"data\":\"%s\"}]}", big);
    rtc_send_json(c, frame);
    ably_protocol_message *pm = rtc_expect(c, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->msg_serial, 1);
    assert_int_equal(pm->error->code, 40009);
    rtc_free(pm);
    free(frame);
    free(big);
    rtc_destroy(c);
}

static void idempotent_ids_are_delivered_once(void **state)
{
    sandbox_env *env = *state;
    rt_client *pub = rtu_connect(env, 0, NULL, false, NULL);
    rt_client *sub = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-idem");
    rtu_attach_ok(sub, ch);
    char buf[512];
    for (int i = 0; i < 2; i++) {
        snprintf(buf, sizeof buf, "{\"action\":15,\"channel\":\"%s\",\"msgSerial\":%d,\"messages\":"
                 "[{\"id\":\"fixed-id:0\",\"name\":\"once\"}]}", ch, i);
        rtc_send_json(pub, buf);
        ably_protocol_message *ack = rtc_expect(pub, ACT(ACK), WAIT);
        assert_non_null(ack);
        assert_int_equal(ack->msg_serial, i);
        rtc_free(ack);
    }
    ably_protocol_message *pm = rtc_expect(sub, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->messages[0].id, "fixed-id:0");
    rtc_free(pm);
    assert_null(rtc_expect(sub, ACT(MESSAGE), 300));
    rtc_destroy(pub);
    rtc_destroy(sub);
}

static void rest_and_realtime_share_the_channel(void **state)
{
    sandbox_env *env = *state;
    rt_client *c = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-rest");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    rtu_attach_ok(c, channel);
    /* REST publish reaches the realtime subscriber. */
    char path[256];
    snprintf(path, sizeof path, "/channels/%s/messages", channel);
    srv_resp r = srv_post_json(env, path, "{\"name\":\"via-rest\",\"data\":\"r\"}", sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    ably_protocol_message *pm = rtc_expect(c, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->messages[0].name, "via-rest");
    rtc_free(pm);
    /* A realtime publish shows in REST history. */
    rtu_publish_json(c, channel, 0, "via-realtime", "rt");
    rtc_free(rtc_expect(c, ACT(ACK), WAIT));
    r = srv_get(env, path, sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 200);
    cJSON *items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    const cJSON *newest = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(newest, "name")->valuestring, "via-realtime");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(newest, "connectionId")));
    cJSON_Delete(items);
    srv_resp_free(&r);
    rtc_destroy(c);
}

static void attach_from_channel_serial_replays_missed(void **state)
{
    sandbox_env *env = *state;
    rt_client *pub = rtu_connect(env, 0, NULL, false, NULL);
    rt_client *sub = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-continuity");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    rtu_attach_ok(sub, channel);
    rtu_publish_json(pub, channel, 0, "one", "1");
    ably_protocol_message *pm = rtc_expect(sub, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    char serial[64];
    snprintf(serial, sizeof serial, "%s", pm->channel_serial);
    rtc_free(pm);
    rtc_destroy(sub);
    rtu_publish_json(pub, channel, 1, "two", "2");
    rtu_publish_json(pub, channel, 2, "three", "3");
    rtc_free(rtc_expect(pub, ACT(ACK), WAIT));
    rtc_free(rtc_expect(pub, ACT(ACK), WAIT));
    rtc_free(rtc_expect(pub, ACT(ACK), WAIT));
    sub = rtu_connect(env, 0, NULL, false, NULL);
    char buf[256];
    snprintf(buf, sizeof buf, "{\"action\":10,\"channel\":\"%s\",\"channelSerial\":\"%s\"}", channel, serial);
    rtc_send_json(sub, buf);
    pm = rtc_expect(sub, ACT(ATTACHED), WAIT);
    assert_non_null(pm);
    assert_true(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED);
    rtc_free(pm);
    const char *want[] = { "two", "three" };
    for (int i = 0; i < 2; i++) {
        pm = rtc_expect(sub, ACT(MESSAGE), WAIT);
        assert_non_null(pm);
        assert_string_equal(pm->messages[0].name, want[i]);
        rtc_free(pm);
    }
    assert_null(rtc_expect(sub, ACT(MESSAGE), 200));
    rtc_destroy(sub);
    rtc_destroy(pub);
}

static void rewind_delivers_backlog(void **state)
{
    sandbox_env *env = *state;
    rt_client *c = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-rewind");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        rtu_publish_json(c, channel, i, name, "x");
        rtc_free(rtc_expect(c, ACT(ACK), WAIT));
    }
    char buf[256];
    snprintf(buf, sizeof buf, "{\"action\":10,\"channel\":\"%s\",\"params\":{\"rewind\":\"2\"}}", channel);
    rtc_send_json(c, buf);
    ably_protocol_message *pm = rtc_expect(c, ACT(ATTACHED), WAIT);
    assert_non_null(pm);
    assert_true(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG);
    rtc_free(pm);
    for (int i = 1; i < 3; i++) {
        pm = rtc_expect(c, ACT(MESSAGE), WAIT);
        assert_non_null(pm);
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        assert_string_equal(pm->messages[0].name, name);
        rtc_free(pm);
    }
    rtc_destroy(c);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(attach_gets_attached_with_modes_and_serial, "RTL4a RTL15b RTL4m"),
        ABLY_TEST(requested_modes_are_granted, "RTL4l"),
        ABLY_TEST(detach_gets_detached, "RTL5d"),
        ABLY_TEST(publish_is_acked_and_fanned_out, "RTL6 RTN7a RTL7a TM2a"),
        ABLY_TEST(echo_false_suppresses_own_messages, "RTC1a"),
        ABLY_TEST(binary_data_round_trips_between_formats, "RTL6"),
        ABLY_TEST(publish_without_capability_is_nacked_40160, "RTN7b"),
        ABLY_TEST(attach_without_capability_fails_40160, "RTL14"),
        ABLY_TEST(oversized_message_is_nacked_40009, "TO3l8"),
        ABLY_TEST(idempotent_ids_are_delivered_once, "RTL6"),
        ABLY_TEST(rest_and_realtime_share_the_channel, "RSL2 RTL7a"),
        ABLY_TEST(attach_from_channel_serial_replays_missed, "RTL4c1 RTL15b"),
        ABLY_TEST(rewind_delivers_backlog, "RTL4a"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
