/* ably-sandbox realtime: connecting, CONNECTED, HEARTBEAT, CLOSE, auth errors,
 * in-band AUTH and token expiry, over WebSocket in JSON and msgpack. */
#include "rt_client.h"
#include "test_server_http.h"

#define ACT(name) ABLY_PROTOCOL_MESSAGE_ACTION_##name
#define WAIT 3000

static rt_client *connect_key(const sandbox_env *env, const char *extra, bool msgpack)
{
    char q[1024];
    snprintf(q, sizeof q, "key=%s%s%s", sandbox_env_key(env, 0)->key_str, extra ? "&" : "",
             extra ? extra : "");
    rt_client *c = rtc_connect(env, q, msgpack);
    assert_non_null(c);
    return c;
}

static void check_connected(ably_protocol_message *pm, const char *client_id)
{
    assert_non_null(pm);
    assert_non_null(pm->connection_id);
    assert_true(strlen(pm->connection_id) > 0);
    ably_connection_details *d = pm->connection_details;
    assert_non_null(d);
    assert_non_null(d->connection_key);
    assert_int_equal(d->max_message_size, 65536);
    assert_true(d->has_max_frame_size && d->max_frame_size >= 65536);
    assert_true(d->has_max_inbound_rate);
    assert_int_equal(d->connection_state_ttl, 120000);
    assert_int_equal(d->max_idle_interval, 15000);
    assert_non_null(d->server_id);
    assert_non_null(d->site_code);
    if (client_id)
        assert_string_equal(d->client_id, client_id);
    else
        assert_null(d->client_id);
}

static void connected_with_details_json(void **state)
{
    rt_client *c = connect_key(*state, NULL, false);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    check_connected(pm, NULL);
    assert_null(pm->error);
    rtc_free(pm);
    rtc_destroy(c);
}

static void connected_with_details_msgpack(void **state)
{
    rt_client *c = connect_key(*state, "clientId=alice", true);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    check_connected(pm, "alice");
    rtc_free(pm);
    rtc_destroy(c);
}

static void each_connection_gets_its_own_id(void **state)
{
    rt_client *a = connect_key(*state, NULL, false), *b = connect_key(*state, NULL, false);
    ably_protocol_message *pa = rtc_expect(a, ACT(CONNECTED), WAIT), *pb = rtc_expect(b, ACT(CONNECTED), WAIT);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_string_not_equal(pa->connection_id, pb->connection_id);
    assert_string_not_equal(pa->connection_details->connection_key, pb->connection_details->connection_key);
    rtc_free(pa);
    rtc_free(pb);
    rtc_destroy(a);
    rtc_destroy(b);
}

static void expect_fatal(rt_client *c, int code)
{
    ably_protocol_message *pm = rtc_expect(c, ACT(ERROR), WAIT);
    assert_non_null(pm);
    assert_non_null(pm->error);
    assert_int_equal(pm->error->code, code);
    assert_null(pm->channel);
    rtc_free(pm);
    assert_true(rtc_wait_closed(c, WAIT));
}

static void wrong_secret_is_an_error_and_closes(void **state)
{
    sandbox_env *env = *state;
    char q[512];
    snprintf(q, sizeof q, "key=%s:wrongsecret", sandbox_env_key(env, 0)->key_name);
    rt_client *c = rtc_connect(env, q, false);
    assert_non_null(c);
    expect_fatal(c, 40101);
    rtc_destroy(c);
}

static void no_credentials_is_an_error(void **state)
{
    rt_client *c = rtc_connect(*state, NULL, true);
    assert_non_null(c);
    expect_fatal(c, 40101);
    rtc_destroy(c);
}

static void unknown_token_is_40140(void **state)
{
    rt_client *c = rtc_connect(*state, "accessToken=notatoken", false);
    assert_non_null(c);
    expect_fatal(c, 40140);
    rtc_destroy(c);
}

static void heartbeat_is_echoed_with_its_id(void **state)
{
    rt_client *c = connect_key(*state, NULL, false);
    rtc_free(rtc_expect(c, ACT(CONNECTED), WAIT));
    rtc_send_json(c, "{\"action\":0,\"id\":\"ping-42\"}");
    ably_protocol_message *pm = rtc_expect(c, ACT(HEARTBEAT), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->id, "ping-42");
    rtc_free(pm);
    rtc_destroy(c);
}

static void close_answers_closed(void **state)
{
    rt_client *c = connect_key(*state, NULL, true);
    rtc_free(rtc_expect(c, ACT(CONNECTED), WAIT));
    ably_protocol_message close;
    ably_protocol_message_init(&close);
    close.action = ACT(CLOSE);
    close.has_action = true;
    rtc_send(c, &close);
    ably_protocol_message *pm = rtc_expect(c, ACT(CLOSED), WAIT);
    assert_non_null(pm);
    rtc_free(pm);
    assert_true(rtc_wait_closed(c, WAIT));
    rtc_destroy(c);
}

static void malformed_frame_is_a_protocol_error(void **state)
{
    rt_client *c = connect_key(*state, NULL, false);
    rtc_free(rtc_expect(c, ACT(CONNECTED), WAIT));
    rtc_send_json(c, "{not json");
    expect_fatal(c, 40000);
    rtc_destroy(c);
}

/* A token for `client_id` with `ttl_ms`, requested over REST. Caller frees. */
static char *request_token(const sandbox_env *env, const char *client_id, long ttl_ms)
{
    char path[256], body[256];
    snprintf(path, sizeof path, "/keys/%s/requestToken", sandbox_env_key(env, 0)->key_name);
    snprintf(body, sizeof body, "{\"clientId\":\"%s\",\"ttl\":%ld}", client_id, ttl_ms);
    srv_resp r = srv_post_json(env, path, body, sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 200);
    cJSON *j = srv_json(&r);
    char *token = strdup(cJSON_GetObjectItem(j, "token")->valuestring);
    cJSON_Delete(j);
    srv_resp_free(&r);
    return token;
}

static void token_client_id_is_reported(void **state)
{
    sandbox_env *env = *state;
    char *token = request_token(env, "tok-user", 3600000);
    char q[512];
    snprintf(q, sizeof q, "accessToken=%s", token);
    rt_client *c = rtc_connect(env, q, false);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    check_connected(pm, "tok-user");
    rtc_free(pm);
    rtc_destroy(c);
    /* A conflicting ?clientId is refused. */
    snprintf(q, sizeof q, "accessToken=%s&clientId=someone-else", token);
    c = rtc_connect(env, q, false);
    assert_non_null(c);
    expect_fatal(c, 40102);
    rtc_destroy(c);
    free(token);
}

static void inband_auth_replaces_the_token(void **state)
{
    sandbox_env *env = *state;
    char *first = request_token(env, "renewer", 3600000), *second = request_token(env, "renewer", 3600000);
    char q[512], msg[512];
    snprintf(q, sizeof q, "accessToken=%s", first);
    rt_client *c = rtc_connect(env, q, false);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    char *id = strdup(pm->connection_id);
    rtc_free(pm);
    snprintf(msg, sizeof msg, "{\"action\":17,\"auth\":{\"accessToken\":\"%s\"}}", second);
    rtc_send_json(c, msg);
    pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->connection_id, id); /* same connection */
    assert_string_equal(pm->connection_details->client_id, "renewer");
    rtc_free(pm);
    /* A token for another clientId is incompatible. */
    char *other = request_token(env, "intruder", 3600000);
    snprintf(msg, sizeof msg, "{\"action\":17,\"auth\":{\"accessToken\":\"%s\"}}", other);
    rtc_send_json(c, msg);
    expect_fatal(c, 40102);
    rtc_destroy(c);
    free(id);
    free(first);
    free(second);
    free(other);
}

static void expired_token_disconnects_with_40142(void **state)
{
    sandbox_env *env = *state;
    char *token = request_token(env, "shortlived", 1500);
    char q[512];
    snprintf(q, sizeof q, "accessToken=%s", token);
    rt_client *c = rtc_connect(env, q, true);
    assert_non_null(c);
    rtc_free(rtc_expect(c, ACT(CONNECTED), WAIT));
    ably_protocol_message *pm = rtc_expect(c, ACT(DISCONNECTED), 5000);
    assert_non_null(pm);
    assert_non_null(pm->error);
    assert_int_equal(pm->error->code, 40142);
    rtc_free(pm);
    assert_true(rtc_wait_closed(c, WAIT));
    rtc_destroy(c);
    /* Connecting with it now fails the same way, as an ERROR. */
    c = rtc_connect(env, q, false);
    assert_non_null(c);
    expect_fatal(c, 40142);
    rtc_destroy(c);
    free(token);
}

static void plain_http_still_works(void **state)
{
    srv_resp r = srv_get(*state, "/time", NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(connected_with_details_json, "RTN4b RTN21 CD2b CD2c CD2f CD2h"),
        ABLY_TEST(connected_with_details_msgpack, "RTN21 CD2a"),
        ABLY_TEST(each_connection_gets_its_own_id, "RTN8a"),
        ABLY_TEST(wrong_secret_is_an_error_and_closes, "RTN14a"),
        ABLY_TEST(no_credentials_is_an_error, "RTN14a"),
        ABLY_TEST(unknown_token_is_40140, "RTN14b"),
        ABLY_TEST(heartbeat_is_echoed_with_its_id, "RTN13a"),
        ABLY_TEST(close_answers_closed, "RTN12a"),
        ABLY_TEST(malformed_frame_is_a_protocol_error, "RTN14a"),
        ABLY_TEST(token_client_id_is_reported, "RTN21 CD2a"),
        ABLY_TEST(inband_auth_replaces_the_token, "RTN22 RTC8a"),
        ABLY_TEST(expired_token_disconnects_with_40142, "RTN15h1 RTN14b"),
        ABLY_TEST(plain_http_still_works, "RTN4b"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
