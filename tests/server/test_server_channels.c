/* ably-sandbox channel metadata and batch publish: GET /channels/{ch},
 * GET /channels (enumeration), POST /messages. */
#include "test_server_http.h"

static void publish_one(const sandbox_env *env, const char *channel)
{
    char path[256];
    snprintf(path, sizeof path, "/channels/%s/messages", channel);
    srv_resp r = srv_post_json(env, path, "{\"name\":\"e\",\"data\":\"d\"}", srv_key(env, 0));
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
}

static void channel_details_report_status_and_occupancy(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_get(env, "/channels/persisted:presence_fixtures", srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *o = srv_json(&r);
    assert_string_equal(cJSON_GetObjectItem(o, "channelId")->valuestring, "persisted:presence_fixtures");
    const cJSON *status = cJSON_GetObjectItem(o, "status");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(status, "isActive")));
    const cJSON *metrics = cJSON_GetObjectItem(cJSON_GetObjectItem(status, "occupancy"), "metrics");
    assert_int_equal(cJSON_GetObjectItem(metrics, "presenceMembers")->valueint, 6);
    assert_int_equal(cJSON_GetObjectItem(metrics, "connections")->valueint, 0);
    cJSON_Delete(o);
    srv_resp_free(&r);
    /* keys[3] (subscribe only) lacks channel-metadata. */
    r = srv_get(env, "/channels/persisted:presence_fixtures", srv_key(env, 3));
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
}

static void enumeration_filters_by_prefix_and_pages(void **state)
{
    sandbox_env *env = *state;
    publish_one(env, "enum:a");
    publish_one(env, "enum:b");
    publish_one(env, "enum:c");
    publish_one(env, "other:x");
    srv_resp r = srv_get(env, "/channels?prefix=enum:&by=id", srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *names = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(names), 3);
    assert_string_equal(cJSON_GetArrayItem(names, 0)->valuestring, "enum:a");
    assert_string_equal(cJSON_GetArrayItem(names, 2)->valuestring, "enum:c");
    cJSON_Delete(names);
    srv_resp_free(&r);

    r = srv_get(env, "/channels?prefix=enum:&limit=2", srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *details = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(details), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(details, 0), "channelId")->valuestring, "enum:a");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(details, 0), "status"));
    char query[1024], path[1100];
    snprintf(path, sizeof path, "/channels%s", srv_next_query(&r, "./channels", query, sizeof query));
    cJSON_Delete(details);
    srv_resp_free(&r);
    r = srv_get(env, path, srv_key(env, 0));
    assert_int_equal(r.status, 200);
    details = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(details), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(details, 0), "channelId")->valuestring, "enum:c");
    cJSON_Delete(details);
    srv_resp_free(&r);
}

static void enumeration_denials(void **state)
{
    sandbox_env *env = *state;
    SRV_ASSERT_REFUSALS(env,
                        /* keys[2] has only per-channel capabilities: no app-wide channel-metadata. */
                        { "/channels", NULL, 2, 401, 40160 },
                        { "/channels?limit=5000", NULL, 0, 400, 40003 },
                        { "/channels?by=colour", NULL, 0, 400, 40003 },
                        { "/channels", NULL, -1, 401, 40101 });
}

static void batch_publish_reports_per_channel(void **state)
{
    sandbox_env *env = *state;
    const char *body = "[{\"channels\":[\"batch-a\",\"batch-b\"],\"messages\":[{\"name\":\"x\",\"data\":\"1\"},"
                       "{\"name\":\"y\",\"data\":\"2\"}]},{\"channels\":\"batch-c\",\"messages\":{\"data\":\"3\"}}]";
    srv_resp r = srv_post_json(env, "/messages", body, srv_key(env, 0));
    /* A bare string / object where arrays are expected is not a BatchPublishSpec. */
    assert_int_equal(r.status, 400);
    srv_resp_free(&r);
    body = "[{\"channels\":[\"batch-a\",\"batch-b\"],\"messages\":[{\"name\":\"x\",\"data\":\"1\"},"
           "{\"name\":\"y\",\"data\":\"2\"}]},{\"channels\":[\"batch-c\"],\"messages\":[{\"data\":\"3\"}]}]";
    r = srv_post_json(env, "/messages", body, srv_key(env, 0));
    assert_int_equal(r.status, 201);
    cJSON *o = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(o), 2);
    const cJSON *first = cJSON_GetArrayItem(o, 0);
    assert_int_equal(cJSON_GetObjectItem(first, "successCount")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(first, "failureCount")->valueint, 0);
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "results"), 1);
    assert_string_equal(cJSON_GetObjectItem(res, "channel")->valuestring, "batch-b");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(res, "messageId")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "serials")), 2);
    cJSON_Delete(o);
    srv_resp_free(&r);
    r = srv_get(env, "/channels/batch-b/messages?direction=forwards", srv_key(env, 0));
    o = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(o), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(o, 1), "data")->valuestring, "2");
    cJSON_Delete(o);
    srv_resp_free(&r);

    /* One spec object (not an array) still gets an array back. keys[2] may publish on
     * channel0 but not channel3 (subscribe only). */
    body = "{\"channels\":[\"channel0\",\"channel3\"],\"messages\":[{\"data\":\"z\"}]}";
    r = srv_post_json(env, "/messages", body, srv_key(env, 2));
    assert_int_equal(r.status, 201);
    o = srv_json(&r);
    assert_true(cJSON_IsArray(o));
    first = cJSON_GetArrayItem(o, 0);
    assert_int_equal(cJSON_GetObjectItem(first, "successCount")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(first, "failureCount")->valueint, 1);
    const cJSON *fail = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "results"), 1);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(fail, "error"), "code")->valueint, 40160);
    cJSON_Delete(o);
    srv_resp_free(&r);
}

static void batch_publish_rejects_bad_bodies(void **state)
{
    sandbox_env *env = *state;
    SRV_ASSERT_REFUSALS(env, { "/messages", "[]", 0, 400, 40001 },
                        { "/messages", "{\"channels\":[],\"messages\":[{\"data\":\"a\"}]}", 0, 400, 40003 },
                        { "/messages", "not json", 0, 400, 40001 },
                        { "/messages", "{\"channels\":[\"a\"],\"messages\":[{\"data\":\"a\"}]}", -1, 401, 40101 });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(channel_details_report_status_and_occupancy, "RSL8 RSL8a CHD2"),
        ABLY_TEST(enumeration_filters_by_prefix_and_pages, "RSC19"),
        ABLY_TEST(enumeration_denials, "RSC19"),
        ABLY_TEST(batch_publish_reports_per_channel, "RSC22c RSC22b BPR2 BPF2"),
        ABLY_TEST(batch_publish_rejects_bad_bodies, "RSC22c"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
