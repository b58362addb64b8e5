/* ably-sandbox realtime resume and recover: a resumed transport keeps its
 * connectionId and gets what it missed; failed resumes get a new connection
 * with 80008 / 80018. */
#include "rt_test_util.h"

/* Connects and returns the connectionId and connectionKey. */
static rt_client *connect_keyed(const sandbox_env *env, const char *extra, bool msgpack, char *id, char *key)
{
    char q[1024];
    snprintf(q, sizeof q, "key=%s%s%s", sandbox_env_key(env, 0)->key_str, extra ? "&" : "", extra ? extra : "");
    rt_client *c = rtc_connect(env, q, msgpack);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    assert_non_null(pm);
    snprintf(id, 64, "%s", pm->connection_id);
    snprintf(key, 128, "%s", pm->connection_details->connection_key);
    rtc_free(pm);
    return c;
}

static void resume_keeps_id_and_delivers_missed(void **state)
{
    sandbox_env *env = *state;
    char id[64], key[128], id2[64], key2[128], q[256];
    rt_client *c = connect_keyed(env, NULL, false, id, key);
    rt_client *pub = rtu_connect(env, 0, NULL, true, NULL);
    const char *ch = srv_unique_channel("rt-resume");
    char channel[128];
    snprintf(channel, sizeof channel, "%s", ch);
    rtu_attach_ok(c, channel);
    rtc_destroy(c); /* transport lost */
    rtc_pump(pub, 100);
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        rtu_publish_json(pub, channel, i, name, "while-away");
        rtc_free(rtc_expect(pub, ACT(ACK), WAIT));
    }
    snprintf(q, sizeof q, "resume=%s", key);
    c = connect_keyed(env, q, true, id2, key2);
    assert_string_equal(id2, id);
    assert_string_not_equal(key2, key); /* each resumed transport gets a fresh key */
    for (int i = 0; i < 3; i++) {
        ably_protocol_message *pm = rtc_expect(c, ACT(MESSAGE), WAIT);
        assert_non_null(pm);
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        assert_string_equal(pm->messages[0].name, name);
        rtc_free(pm);
    }
    /* The client re-attaches after a resume: continuity is kept. */
    ably_protocol_message *pm = rtu_attach(c, channel, 0);
    assert_true(pm->flags & ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED);
    rtc_free(pm);
    /* And live traffic still flows. */
    rtu_publish_json(pub, channel, 3, "live", "now");
    pm = rtc_expect(c, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->messages[0].name, "live");
    rtc_free(pm);
    rtc_destroy(c);
    rtc_destroy(pub);
}

static void resume_with_unknown_key_is_80008(void **state)
{
    char q[512];
    snprintf(q, sizeof q, "key=%s&resume=nosuchconn!secret", sandbox_env_key(*state, 0)->key_str);
    rt_client *c = rtc_connect(*state, q, false);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    assert_non_null(pm);
    assert_non_null(pm->error);
    assert_int_equal(pm->error->code, 80008);
    assert_non_null(pm->connection_id);
    rtc_free(pm);
    rtc_destroy(c);
}

static void resume_with_malformed_key_is_80018(void **state)
{
    char q[512];
    snprintf(q, sizeof q, "key=%s&resume=garbage", sandbox_env_key(*state, 0)->key_str);
    rt_client *c = rtc_connect(*state, q, true);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    assert_non_null(pm);
    assert_non_null(pm->error);
    assert_int_equal(pm->error->code, 80018);
    rtc_free(pm);
    rtc_destroy(c);
}

static void closed_connection_cannot_be_resumed(void **state)
{
    sandbox_env *env = *state;
    char id[64], key[128], id2[64], key2[128], q[256];
    rt_client *c = connect_keyed(env, NULL, false, id, key);
    rtc_send_json(c, "{\"action\":7}");
    rtc_free(rtc_expect(c, ACT(CLOSED), WAIT));
    rtc_destroy(c);
    snprintf(q, sizeof q, "resume=%s", key);
    c = connect_keyed(env, q, false, id2, key2);
    assert_string_not_equal(id2, id);
    rtc_destroy(c);
}

static void recover_keeps_the_connection(void **state)
{
    sandbox_env *env = *state;
    char id[64], key[128], id2[64], key2[128], q[256];
    rt_client *c = connect_keyed(env, NULL, false, id, key);
    rtc_destroy(c);
    snprintf(q, sizeof q, "recover=%s", key);
    c = connect_keyed(env, q, false, id2, key2);
    assert_string_equal(id2, id);
    assert_string_not_equal(key2, key); /* RTN16d: a fresh key for the recovered connection */
    rtc_destroy(c);
}

static void resume_keeps_presence_within_grace(void **state)
{
    sandbox_env *env = *state;
    char id[64], key[128], id2[64], key2[128], q[256];
    rt_client *m = connect_keyed(env, "clientId=gina", false, id, key);
    rt_client *w = rtu_connect(env, 0, NULL, false, NULL);
    const char *ch = srv_unique_channel("rt-resume-presence");
    char channel[128], buf[512];
    snprintf(channel, sizeof channel, "%s", ch);
    rtu_attach_ok(w, channel);
    snprintf(buf, sizeof buf, "{\"action\":14,\"channel\":\"%s\",\"msgSerial\":0,\"presence\":[{\"action\":2}]}", channel);
    rtc_send_json(m, buf);
    rtc_free(rtc_expect(w, ACT(PRESENCE), WAIT));
    rtc_destroy(m);
    snprintf(q, sizeof q, "clientId=gina&resume=%s", key);
    m = connect_keyed(env, q, false, id2, key2);
    assert_string_equal(id2, id);
    assert_null(rtc_expect(w, ACT(PRESENCE), 500)); /* no LEAVE */
    rtc_destroy(m);
    rtc_destroy(w);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(resume_keeps_id_and_delivers_missed, "RTN15a RTN15b RTN15c6"),
        ABLY_TEST(resume_with_unknown_key_is_80008, "RTN15c7"),
        ABLY_TEST(resume_with_malformed_key_is_80018, "RTN15c7"),
        ABLY_TEST(closed_connection_cannot_be_resumed, "RTN15c7 RTN12a"),
        ABLY_TEST(recover_keeps_the_connection, "RTN16d"),
        ABLY_TEST(resume_keeps_presence_within_grace, "RTN15c6 RTP17"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
