/* ably-sandbox test-app API (G2): POST /apps, DELETE /apps/{appId}, isolation,
 * plus GET /time (RSC16). */
#include "test_server_http.h"

#include <sys/time.h>

static char *setup_body(void)
{
    FILE *f = fopen(ABLY_SHARED_UPSTREAM "/ably-common/test-resources/test-app-setup.json", "rb");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *root = cJSON_Parse(buf);
    char *body = cJSON_PrintUnformatted(cJSON_GetObjectItem(root, "post_apps"));
    cJSON_Delete(root);
    return body;
}

static cJSON *create_app(const sandbox_env *env)
{
    char *body = setup_body();
    srv_resp r = srv_post_json(env, "/apps", body, NULL);
    free(body);
    assert_int_equal(r.status, 201);
    cJSON *app = srv_json(&r);
    srv_resp_free(&r);
    return app;
}

static const char *key_str(const cJSON *app, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(app, "keys"), i), "keyStr")->valuestring;
}

static void post_apps_returns_keys_in_both_shapes(void **state)
{
    sandbox_env *env = *state;
    cJSON *app = create_app(env);
    const char *app_id = cJSON_GetObjectItem(app, "appId")->valuestring;
    const cJSON *keys = cJSON_GetObjectItem(app, "keys");
    assert_int_equal(cJSON_GetArraySize(keys), 6);
    for (int i = 0; i < 6; i++) {
        const cJSON *k = cJSON_GetArrayItem(keys, i);
        const char *id = cJSON_GetObjectItem(k, "id")->valuestring;
        const char *value = cJSON_GetObjectItem(k, "value")->valuestring;
        const char *name = cJSON_GetObjectItem(k, "keyName")->valuestring;
        char expect[256];
        snprintf(expect, sizeof expect, "%s.%s", app_id, id);
        assert_string_equal(name, expect);
        assert_string_equal(cJSON_GetObjectItem(k, "keySecret")->valuestring, value);
        snprintf(expect, sizeof expect, "%s:%s", name, value);
        assert_string_equal(cJSON_GetObjectItem(k, "keyStr")->valuestring, expect);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(k, "capability")));
    }
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(keys, 0), "capability")->valuestring,
                        "{\"*\":[\"*\"]}");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(keys, 3), "capability")->valuestring,
                        "{\"*\":[\"subscribe\"]}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(keys, 4), "revocableTokens")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(app, "namespaces")), 3);
    const cJSON *channels = cJSON_GetObjectItem(app, "channels");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(channels, 0), "name")->valuestring,
                        "persisted:presence_fixtures");
    cJSON_Delete(app);
}

static void presence_fixtures_are_loaded(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_get(env, "/channels/persisted:presence_fixtures", sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 200);
    cJSON *details = srv_json(&r);
    const cJSON *metrics = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(details, "status"),
                                                                   "occupancy"), "metrics");
    assert_int_equal((int)cJSON_GetObjectItem(metrics, "presenceMembers")->valuedouble, 6);
    cJSON_Delete(details);
    srv_resp_free(&r);
}

static void apps_are_isolated(void **state)
{
    sandbox_env *env = *state;
    cJSON *other = create_app(env);
    srv_resp r = srv_post_json(env, "/channels/shared-name/messages", "{\"name\":\"mine\"}",
                               sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    r = srv_get(env, "/channels/shared-name/messages", key_str(other, 0));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "[]");
    srv_resp_free(&r);
    /* another app's key cannot delete this app */
    char path[128];
    snprintf(path, sizeof path, "/apps/%s", env->app_id);
    srv_req q = { .method = "DELETE", .path = path, .userpwd = key_str(other, 0) };
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    cJSON_Delete(other);
}

static void delete_app_requires_basic_auth_and_removes_it(void **state)
{
    sandbox_env *env = *state;
    cJSON *app = create_app(env);
    const char *app_id = cJSON_GetObjectItem(app, "appId")->valuestring;
    char path[128], tpath[256];
    snprintf(path, sizeof path, "/apps/%s", app_id);
    const char *key = key_str(app, 0);
    const char *key_name = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(app, "keys"), 0), "keyName")->valuestring;
    snprintf(tpath, sizeof tpath, "/keys/%s/requestToken", key_name);
    srv_resp r = srv_post_json(env, tpath, "{}", key);
    cJSON *td = srv_json(&r);
    srv_resp_free(&r);
    srv_req q = { .method = "DELETE", .path = path, .bearer = cJSON_GetObjectItem(td, "token")->valuestring };
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40162);
    srv_resp_free(&r);
    r = srv_do(env, &(srv_req){ .method = "DELETE", .path = path });
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    r = srv_do(env, &(srv_req){ .method = "DELETE", .path = path, .userpwd = key });
    assert_int_equal(r.status, 204);
    srv_resp_free(&r);
    /* its key and its tokens are gone */
    r = srv_get(env, "/channels/x", key);
    assert_ably_error(&r, 401, 40400);
    srv_resp_free(&r);
    q.path = "/channels/x";
    q.method = "GET";
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40140);
    srv_resp_free(&r);
    cJSON_Delete(td);
    cJSON_Delete(app);
}

static void post_apps_accepts_msgpack_and_defaults(void **state)
{
    sandbox_env *env = *state;
    /* msgpack {} : one default key with full capability */
    static const unsigned char empty_map[] = { 0x80 };
    srv_req q = { .method = "POST", .path = "/apps", .content_type = "application/x-msgpack",
                  .body = empty_map, .body_len = 1 };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 201);
    cJSON *app = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(app, "keys")), 1);
    cJSON_Delete(app);
    srv_resp_free(&r);
    r = srv_post_json(env, "/apps", "{\"keys\":[{\"capability\":\"{\\\"a\\\":[\\\"nope\\\"]}\"}]}", NULL);
    assert_ably_error(&r, 400, 40000);
    srv_resp_free(&r);
    r = srv_post_json(env, "/apps", "[1,2]", NULL);
    assert_ably_error(&r, 400, 40000);
    srv_resp_free(&r);
}

static void time_returns_server_clock(void **state)
{
    sandbox_env *env = *state;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    double before = (double)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    srv_resp r = srv_get(env, "/time", NULL);
    assert_int_equal(r.status, 200);
    cJSON *arr = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    double t = cJSON_GetArrayItem(arr, 0)->valuedouble;
    assert_true(t >= before - 5000 && t <= before + 5000);
    cJSON_Delete(arr);
    srv_resp_free(&r);
    srv_req q = { .method = "GET", .path = "/time", .accept = "application/x-msgpack" };
    r = srv_do(env, &q);
    assert_int_equal(r.status, 200);
    assert_int_equal((unsigned char)r.body[0], 0x91); /* fixarray of 1 */
    unsigned char tag = (unsigned char)r.body[1];
    assert_true(tag == 0xcf || tag == 0xd3); /* 64-bit integer */
    srv_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(post_apps_returns_keys_in_both_shapes, "G2"),
        ABLY_TEST(presence_fixtures_are_loaded, "G2 RSL8"),
        ABLY_TEST(apps_are_isolated, "G2"),
        ABLY_TEST(delete_app_requires_basic_auth_and_removes_it, "G2"),
        ABLY_TEST(post_apps_accepts_msgpack_and_defaults, "G2 G1"),
        ABLY_TEST(time_returns_server_clock, "RSC16"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
