/* ably-sandbox stats: POST /stats fixtures, GET /stats rolled up by unit. */
#include "test_server_http.h"

/* Three minutes in one hour (flat form), one in the next hour (nested form). */
static const char FIXTURES[] =
    "[{\"intervalId\":\"2023-02-03:15:03\",\"entries\":{\"messages.inbound.realtime.messages.count\":50,"
    "\"messages.all.all.count\":50}},"
    "{\"intervalId\":\"2023-02-03:15:04\",\"entries\":{\"messages.inbound.realtime.messages.count\":60,"
    "\"messages.all.all.count\":60}},"
    "{\"intervalId\":\"2023-02-03:15:05\",\"entries\":{\"messages.inbound.realtime.messages.count\":70,"
    "\"messages.all.all.count\":70}},"
    "{\"intervalId\":\"2023-02-03:16:00\",\"inbound\":{\"realtime\":{\"messages\":{\"count\":5}}},"
    "\"connections\":{\"all\":{\"peak\":3}}}]";

static cJSON *get_stats(const sandbox_env *env, const char *query, srv_resp *keep)
{
    char path[512];
    snprintf(path, sizeof path, "/stats%s", query);
    cJSON *items = srv_get_json(env, path, 0, keep);
    assert_true(cJSON_IsArray(items));
    return items;
}

static double entry(const cJSON *item, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(item, "entries"), name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void posted_stats_roll_up_by_unit(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_post_json(env, "/stats", FIXTURES, srv_key(env, 0));
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);

    cJSON *items = get_stats(env, "?direction=forwards", NULL);
    assert_int_equal(cJSON_GetArraySize(items), 4);
    const cJSON *first = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(first, "intervalId")->valuestring, "2023-02-03:15:03");
    assert_string_equal(cJSON_GetObjectItem(first, "unit")->valuestring, "minute");
    assert_true(entry(first, "messages.inbound.realtime.messages.count") == 50);
    /* The nested record was flattened with the messages. prefix. */
    const cJSON *last = cJSON_GetArrayItem(items, 3);
    assert_true(entry(last, "messages.inbound.realtime.messages.count") == 5);
    assert_true(entry(last, "connections.all.peak") == 3);
    cJSON_Delete(items);

    items = get_stats(env, "?unit=hour", NULL); /* backwards by default */
    assert_int_equal(cJSON_GetArraySize(items), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "intervalId")->valuestring, "2023-02-03:15");
    assert_true(entry(cJSON_GetArrayItem(items, 1), "messages.all.all.count") == 180);
    cJSON_Delete(items);

    items = get_stats(env, "?unit=day", NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "intervalId")->valuestring, "2023-02-03");
    assert_true(entry(cJSON_GetArrayItem(items, 0), "messages.inbound.realtime.messages.count") == 185);
    cJSON_Delete(items);
    items = get_stats(env, "?unit=month", NULL);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "intervalId")->valuestring, "2023-02");
    cJSON_Delete(items);

    /* Posting the same minute again sums into it. */
    r = srv_post_json(env, "/stats", "{\"intervalId\":\"2023-02-03:15:03\",\"entries\":{\"messages.all.all.count\":1}}",
                      srv_key(env, 0));
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    items = get_stats(env, "?direction=forwards&limit=1", NULL);
    assert_true(entry(cJSON_GetArrayItem(items, 0), "messages.all.all.count") == 51);
    cJSON_Delete(items);
}

static void stats_filter_by_time_and_page(void **state)
{
    sandbox_env *env = *state;
    /* 2023-02-03T15:04:00Z .. 15:05:00Z */
    cJSON *items = get_stats(env, "?start=1675436640000&end=1675436700000&direction=forwards", NULL);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "intervalId")->valuestring, "2023-02-03:15:04");
    cJSON_Delete(items);
    srv_resp r;
    items = get_stats(env, "?limit=3", &r);
    assert_int_equal(cJSON_GetArraySize(items), 3);
    char query[1024];
    srv_next_query(&r, "./stats", query, sizeof query);
    srv_resp_free(&r);
    cJSON_Delete(items);
    items = get_stats(env, query, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "intervalId")->valuestring, "2023-02-03:15:03");
    cJSON_Delete(items);
}

static void stats_denials(void **state)
{
    sandbox_env *env = *state;
    SRV_ASSERT_REFUSALS(env, { "/stats?unit=week", NULL, 0, 400, 40003 }, { "/stats?limit=0", NULL, 0, 400, 40003 },
                        /* keys[3] ({"*":["subscribe"]}) has no stats capability. */
                        { "/stats", NULL, 3, 401, 40160 }, { "/stats", FIXTURES, 3, 401, 40160 },
                        { "/stats", "[{\"entries\":{}}]", 0, 400, 40003 }, { "/stats", NULL, -1, 401, 40101 });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(posted_stats_roll_up_by_unit, "RSC6a RSC6b4 TS12"),
        ABLY_TEST(stats_filter_by_time_and_page, "RSC6b1 RSC6b2 RSC6b3"),
        ABLY_TEST(stats_denials, "RSC6"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
