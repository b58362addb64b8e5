/* ably-sandbox mutable messages: GET/PATCH /channels/{ch}/messages/{serial}
 * and .../versions, on the test app's `mutable` namespace. */
#include "test_server_http.h"

static srv_resp patch(const sandbox_env *env, const char *path, const char *body, size_t key_index)
{
    srv_req q = { .method = "PATCH", .path = path, .content_type = "application/json", .body = body,
                  .userpwd = srv_key(env, key_index) };
    return srv_do(env, &q);
}

static void update_delete_append_and_versions(void **state)
{
    sandbox_env *env = *state;
    char serial[64], path[256];
    srv_publish_serial(env, "mutable:one", serial, sizeof serial);
    snprintf(path, sizeof path, "/channels/mutable:one/messages/%s", serial);
    srv_resp r = srv_get(env, path, srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *m = srv_json(&r);
    assert_string_equal(cJSON_GetObjectItem(m, "data")->valuestring, "hello");
    assert_int_equal(cJSON_GetObjectItem(m, "action")->valueint, 0);
    cJSON_Delete(m);
    srv_resp_free(&r);

    r = patch(env, path, "{\"action\":1,\"data\":\"hello v2\",\"version\":{\"description\":\"typo\"}}", 0);
    assert_int_equal(r.status, 200);
    m = srv_json(&r);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(m, "versionSerial")));
    cJSON_Delete(m);
    srv_resp_free(&r);
    r = patch(env, path, "{\"action\":5,\"data\":\"!\"}", 0);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    r = srv_get(env, path, srv_key(env, 0));
    m = srv_json(&r);
    assert_string_equal(cJSON_GetObjectItem(m, "data")->valuestring, "hello v2!");
    assert_int_equal(cJSON_GetObjectItem(m, "action")->valueint, 5);
    assert_string_equal(cJSON_GetObjectItem(m, "serial")->valuestring, serial);
    cJSON_Delete(m);
    srv_resp_free(&r);
    r = patch(env, path, "{\"action\":2}", 0);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);

    char vpath[300];
    snprintf(vpath, sizeof vpath, "%s/versions?direction=forwards", path);
    r = srv_get(env, vpath, srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 4);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "action")->valueint, 0);
    const cJSON *v1 = cJSON_GetArrayItem(items, 1);
    assert_int_equal(cJSON_GetObjectItem(v1, "action")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v1, "version"), "description")->valuestring, "typo");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 3), "action")->valueint, 2);
    cJSON_Delete(items);
    srv_resp_free(&r);
}

static void mutable_denials(void **state)
{
    sandbox_env *env = *state;
    char serial[64], path[256];
    /* Not a mutable namespace: 93002. */
    srv_publish_serial(env, "plain-channel", serial, sizeof serial);
    snprintf(path, sizeof path, "/channels/plain-channel/messages/%s", serial);
    srv_resp r = srv_get(env, path, srv_key(env, 0));
    assert_ably_error(&r, 400, 93002);
    srv_resp_free(&r);
    /* Unknown serial: 404. */
    r = srv_get(env, "/channels/mutable:two/messages/00000000000001-000000009", srv_key(env, 0));
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
    srv_publish_serial(env, "mutable:two", serial, sizeof serial);
    snprintf(path, sizeof path, "/channels/mutable:two/messages/%s", serial);
    /* Bad action. */
    r = patch(env, path, "{\"action\":0,\"data\":\"x\"}", 0);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    /* keys[3] ({"*":["subscribe"]}) may neither read history nor update. */
    r = srv_get(env, path, srv_key(env, 3));
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    r = patch(env, path, "{\"action\":1,\"data\":\"x\"}", 3);
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(update_delete_append_and_versions, "RSL11b RSL11c RSL14b RSL14c RSL15b RSL15b1 RSL15b7 RSL15e"),
        ABLY_TEST(mutable_denials, "RSL11 RSL15"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
