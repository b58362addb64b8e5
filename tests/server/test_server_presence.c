/* ably-sandbox REST presence: GET /channels/{ch}/presence, .../presence/history
 * and batch presence GET /presence?channels=... on the presence fixtures. */
#include "test_server_http.h"

#define FIXTURES "persisted:presence_fixtures"
#define FIXTURE_COUNT 6

static cJSON *get_items(const sandbox_env *env, const char *path, size_t key_index, srv_resp *keep)
{
    return srv_get_json(env, path, key_index, keep);
}

static const cJSON *find_client(const cJSON *items, const char *client_id)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, items) {
        const cJSON *cid = cJSON_GetObjectItem(m, "clientId");
        if (cJSON_IsString(cid) && strcmp(cid->valuestring, client_id) == 0)
            return m;
    }
    return NULL;
}

static void presence_get_returns_fixture_members(void **state)
{
    sandbox_env *env = *state;
    cJSON *items = get_items(env, "/channels/" FIXTURES "/presence", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), FIXTURE_COUNT);
    const cJSON *m;
    cJSON_ArrayForEach(m, items) {
        assert_int_equal(cJSON_GetObjectItem(m, "action")->valueint, 1); /* present */
        assert_true(cJSON_IsString(cJSON_GetObjectItem(m, "connectionId")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(m, "id")));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "timestamp")));
    }
    /* The encrypted member is served exactly as stored. */
    const cJSON *enc = find_client(items, "client_encoded");
    assert_non_null(enc);
    assert_string_equal(cJSON_GetObjectItem(enc, "encoding")->valuestring, "json/utf-8/cipher+aes-128-cbc/base64");
    assert_string_equal(cJSON_GetObjectItem(enc, "data")->valuestring,
                        "HO4cYSP8LybPYBPZPHQOtuD53yrD3YV3NBoTEYBh4U0N1QXHbtkfsDfTspKeLQFt");
    assert_string_equal(cJSON_GetObjectItem(find_client(items, "client_string"), "data")->valuestring,
                        "This is a string clientData payload");
    cJSON_Delete(items);
}

static void presence_get_filters_and_pages(void **state)
{
    sandbox_env *env = *state;
    cJSON *items = get_items(env, "/channels/" FIXTURES "/presence?clientId=client_int", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    const char *conn = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "connectionId")->valuestring;
    char path[1100];
    snprintf(path, sizeof path, "/channels/" FIXTURES "/presence?connectionId=%s", conn);
    cJSON *by_conn = get_items(env, path, 0, NULL);
    assert_int_equal(cJSON_GetArraySize(by_conn), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(by_conn, 0), "clientId")->valuestring, "client_int");
    cJSON_Delete(by_conn);
    cJSON_Delete(items);
    cJSON *none = get_items(env, "/channels/" FIXTURES "/presence?clientId=nobody", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(none), 0);
    cJSON_Delete(none);

    /* limit=4 then follow the next link for the remaining 2. */
    srv_resp r;
    cJSON *page1 = get_items(env, "/channels/" FIXTURES "/presence?limit=4", 0, &r);
    assert_int_equal(cJSON_GetArraySize(page1), 4);
    char link[1024], query[1024];
    snprintf(path, sizeof path, "/channels/" FIXTURES "/presence%s", srv_next_query(&r, "./presence", query, sizeof query));
    srv_resp_free(&r);
    cJSON *page2 = get_items(env, path, 0, &r);
    assert_int_equal(cJSON_GetArraySize(page2), 2);
    assert_true(srv_header(&r, "link", link, sizeof link));
    assert_null(strstr(link, "rel=\"next\""));
    srv_resp_free(&r);
    cJSON_Delete(page1);
    cJSON_Delete(page2);
}

static void presence_get_rejects_bad_limit(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_get(env, "/channels/" FIXTURES "/presence?limit=0", srv_key(env, 0));
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
}

static void presence_needs_subscribe_capability(void **state)
{
    sandbox_env *env = *state;
    /* keys[1] may only subscribe on cansubscribe:* channels. */
    srv_resp r = srv_get(env, "/channels/" FIXTURES "/presence", srv_key(env, 1));
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    /* keys[3] subscribes everywhere: allowed. */
    cJSON *items = get_items(env, "/channels/" FIXTURES "/presence", 3, NULL);
    assert_int_equal(cJSON_GetArraySize(items), FIXTURE_COUNT);
    cJSON_Delete(items);
    r = srv_get(env, "/channels/" FIXTURES "/presence", NULL);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
}

static void presence_history_lists_events(void **state)
{
    sandbox_env *env = *state;
    cJSON *items = get_items(env, "/channels/" FIXTURES "/presence/history?direction=forwards", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), FIXTURE_COUNT);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "clientId")->valuestring, "client_bool");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "action")->valueint, 2); /* enter */
    cJSON_Delete(items);
    srv_resp r;
    items = get_items(env, "/channels/" FIXTURES "/presence/history?limit=2", 0, &r);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "clientId")->valuestring, "client_encoded");
    char link[1024];
    assert_true(srv_header(&r, "link", link, sizeof link));
    assert_non_null(strstr(link, "rel=\"next\""));
    assert_non_null(strstr(link, "<./history?"));
    srv_resp_free(&r);
    cJSON_Delete(items);
    items = get_items(env, "/channels/" FIXTURES "/presence/history?end=1", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);
    /* history capability needed: keys[3] only subscribes. */
    SRV_ASSERT_REFUSALS(env, { "/channels/" FIXTURES "/presence/history", NULL, 3, 401, 40160 },
                        { "/channels/" FIXTURES "/presence/history?direction=sideways", NULL, 0, 400, 40003 });
}

static void batch_presence_reports_each_channel(void **state)
{
    sandbox_env *env = *state;
    srv_req q = { .method = "GET", .path = "/presence?channels=" FIXTURES ",empty-chan",
                  .userpwd = srv_key(env, 0), .extra_header = "X-Ably-Version: 3" };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 200);
    cJSON *o = srv_json(&r);
    assert_int_equal(cJSON_GetObjectItem(o, "successCount")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(o, "failureCount")->valueint, 0);
    const cJSON *results = cJSON_GetObjectItem(o, "results");
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const cJSON *first = cJSON_GetArrayItem(results, 0);
    assert_string_equal(cJSON_GetObjectItem(first, "channel")->valuestring, FIXTURES);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(first, "presence")), FIXTURE_COUNT);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "presence")), 0);
    cJSON_Delete(o);
    srv_resp_free(&r);

    /* keys[2]: channel4 allowed (subscribe), channel0 denied (publish only). */
    q.path = "/presence?channels=channel4,channel0";
    q.userpwd = srv_key(env, 2);
    r = srv_do(env, &q);
    assert_int_equal(r.status, 200);
    o = srv_json(&r);
    assert_int_equal(cJSON_GetObjectItem(o, "successCount")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(o, "failureCount")->valueint, 1);
    const cJSON *fail = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "results"), 1);
    assert_string_equal(cJSON_GetObjectItem(fail, "channel")->valuestring, "channel0");
    const cJSON *err = cJSON_GetObjectItem(fail, "error");
    assert_int_equal(cJSON_GetObjectItem(err, "code")->valueint, 40160);
    assert_int_equal(cJSON_GetObjectItem(err, "statusCode")->valueint, 401);
    cJSON_Delete(o);
    srv_resp_free(&r);

    /* Without X-Ably-Version: legacy shapes. */
    q.extra_header = NULL;
    r = srv_do(env, &q);
    assert_ably_error(&r, 400, 40020);
    o = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "batchResponse")), 2);
    cJSON_Delete(o);
    srv_resp_free(&r);

    q.path = "/presence";
    r = srv_do(env, &q);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(presence_get_returns_fixture_members, "RSP3 RSP5"),
        ABLY_TEST(presence_get_filters_and_pages, "RSP3a1 RSP3a2 RSP3a3"),
        ABLY_TEST(presence_get_rejects_bad_limit, "RSP3a1"),
        ABLY_TEST(presence_needs_subscribe_capability, "RSP3"),
        ABLY_TEST(presence_history_lists_events, "RSP4 RSP4b1 RSP4b2 RSP4b3"),
        ABLY_TEST(batch_presence_reports_each_channel, "RSC24 BGR2 BGF2"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
