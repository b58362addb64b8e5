/* time() and stats() against the sandbox (UTS rest/integration/time_stats.md).
 * Stats come from fixtures the test posts first (POST /stats, the fixture
 * endpoint SDK suites use), in a past hour no other test touches. */
#include "test_rest_support.h"

#include <sys/time.h>

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void time_returns_server_time(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        /* RSC16: unauthenticated, so a token-less, key-less client would do; use the key. */
        ably_rest *rest = rest_with_key(env, 0, binary);
        int64_t before = wall_ms(), t = 0;
        ably_error err = {0};
        REST_OK(ably_rest_time(rest, &t, &err), &err);
        int64_t after = wall_ms();
        assert_true(t >= before - 5000);
        assert_true(t <= after + 5000);
        ably_rest_destroy(rest);
    }
}

/* 2023-02-03 15:03..15:05 UTC, three minutes of fixtures. */
#define FIXTURE_START_MS 1675436580000LL /* 2023-02-03T15:03:00Z */
static const char STATS_FIXTURES[] =
    "[{\"intervalId\":\"2023-02-03:15:03\",\"entries\":{\"messages.all.all.count\":50,"
    "\"messages.inbound.realtime.messages.count\":50}},"
    "{\"intervalId\":\"2023-02-03:15:04\",\"entries\":{\"messages.all.all.count\":60,"
    "\"messages.inbound.realtime.messages.count\":60}},"
    "{\"intervalId\":\"2023-02-03:15:05\",\"entries\":{\"messages.all.all.count\":70,"
    "\"messages.inbound.realtime.messages.count\":70}}]";

static int post_fixtures(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 0, false);
    ably_paginated_result *res = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_request(rest, "POST", "/stats", 0, NULL, STATS_FIXTURES, NULL, &res, &err), &err);
    assert_true(ably_paginated_result_success(res));
    ably_paginated_result_free(res);
    ably_rest_destroy(rest);
    return 0;
}

static double entry(const ably_stats *s, const char *key)
{
    double v = -1;
    assert_true(ably_number_map_get(&s->entries, key, &v));
    return v;
}

static void stats_by_minute_forwards(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_stats_params p = { .start = FIXTURE_START_MS, .end = FIXTURE_START_MS + 2 * 60000,
                                .direction = "forwards", .unit = "minute" };
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_stats(rest, &p, &page, &err), &err);
        size_t n = 0;
        const ably_stats *s = ably_paginated_result_stats(page, &n);
        assert_int_equal(n, 3);
        static const double COUNTS[] = { 50, 60, 70 };
        for (size_t i = 0; i < n; i++) {
            char id[32];
            snprintf(id, sizeof id, "2023-02-03:15:0%zu", i + 3);
            assert_string_equal(s[i].interval_id, id);
            assert_true(s[i].has_unit);
            assert_int_equal(s[i].unit, ABLY_STATS_INTERVAL_GRANULARITY_MINUTE);
            assert_true(entry(&s[i], "messages.all.all.count") == COUNTS[i]);
        }
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void stats_limit_and_backwards(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_stats_params p = { .start = FIXTURE_START_MS, .end = FIXTURE_START_MS + 2 * 60000, .limit = 2 };
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_stats(rest, &p, &page, &err), &err);
        size_t n = 0;
        const ably_stats *s = ably_paginated_result_stats(page, &n);
        assert_int_equal(n, 2);
        assert_string_equal(s[0].interval_id, "2023-02-03:15:05"); /* backwards by default */
        assert_string_equal(s[1].interval_id, "2023-02-03:15:04");
        assert_true(ably_paginated_result_has_next(page));
        ably_paginated_result *next = NULL;
        REST_OK(ably_paginated_result_next(page, &next, &err), &err);
        s = ably_paginated_result_stats(next, &n);
        assert_int_equal(n, 1);
        assert_string_equal(s[0].interval_id, "2023-02-03:15:03");
        ably_paginated_result_free(next);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void stats_rolled_up_by_hour(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_stats_params p = { .start = FIXTURE_START_MS - 3 * 60000, .end = FIXTURE_START_MS + 10 * 60000,
                                .unit = "hour", .direction = "forwards", .limit = 5 };
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_stats(rest, &p, &page, &err), &err);
        size_t n = 0;
        const ably_stats *s = ably_paginated_result_stats(page, &n);
        assert_int_equal(n, 1);
        assert_string_equal(s[0].interval_id, "2023-02-03:15");
        assert_int_equal(s[0].unit, ABLY_STATS_INTERVAL_GRANULARITY_HOUR);
        assert_true(entry(&s[0], "messages.all.all.count") == 180);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void stats_without_capability_fail(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 3, false); /* {"*":["subscribe"]}: no stats */
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_stats(rest, NULL, &page, &err), -1);
    assert_null(page);
    assert_int_equal(err.code, 40160);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

static int setup(void **state)
{
    return rest_group_setup(state) == 0 ? post_fixtures(state) : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(time_returns_server_time, "RSC16"),
        ABLY_TEST(stats_by_minute_forwards, "RSC6a RSC6b1 RSC6b2 RSC6b4"),
        ABLY_TEST(stats_limit_and_backwards, "RSC6a RSC6b2 RSC6b3 TG4"),
        ABLY_TEST(stats_rolled_up_by_hour, "RSC6b4"),
        ABLY_TEST(stats_without_capability_fail, "RSC6"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_time_stats", tests, setup, rest_group_teardown);
}
