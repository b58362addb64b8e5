/* REST history and pagination against the sandbox (UTS rest/integration/history.md,
 * pagination.md), over JSON and msgpack. */
#include "test_rest_support.h"

/* Publishes names "<prefix>0".."<prefix>{n-1}" one request each, so the server
 * orders them by arrival. */
static void publish_numbered(ably_rest_channel *ch, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char name[32], data[32];
        snprintf(name, sizeof name, "%s%d", prefix, i);
        snprintf(data, sizeof data, "data-%d", i);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
        ably_error err = {0};
        REST_OK(ably_rest_channel_publish(ch, name, &d, NULL, &err), &err);
    }
}

static void history_returns_newest_first(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "history", binary);
        publish_numbered(ch, "m", 3);
        size_t n = 0;
        ably_paginated_result *page = rest_wait_history(ch, NULL, 3, &n);
        const ably_message *m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 3);
        assert_string_equal(m[0].name, "m2");
        assert_string_equal(m[1].name, "m1");
        assert_string_equal(m[2].name, "m0");
        assert_string_equal(m[2].data.bytes, "data-0");
        for (size_t i = 0; i < n; i++)
            assert_true(m[i].has_timestamp && m[i].timestamp > 0);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void history_forwards(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "forwards", binary);
        publish_numbered(ch, "m", 3);
        ably_history_params p = { .direction = "forwards" };
        size_t n = 0;
        ably_paginated_result *page = rest_wait_history(ch, &p, 3, &n);
        const ably_message *m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) {
            char want[24];
            snprintf(want, sizeof want, "m%zu", i);
            assert_string_equal(m[i].name, want);
        }
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void history_limit(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "limit", binary);
        publish_numbered(ch, "m", 10);
        size_t n = 0;
        ably_paginated_result *all = rest_wait_history(ch, NULL, 10, &n);
        ably_paginated_result_free(all);
        ably_history_params p = { .limit = 5 };
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channel_history(ch, &p, &page, &err), &err);
        const ably_message *m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 5);
        assert_string_equal(m[0].name, "m9");
        assert_string_equal(m[4].name, "m5");
        assert_true(ably_paginated_result_has_next(page));
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void history_time_range(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "range", binary);
        publish_numbered(ch, "early", 3);
        size_t n = 0;
        ably_paginated_result *page = rest_wait_history(ch, NULL, 3, &n);
        /* The boundary comes from the server's own timestamps, never the local clock. */
        int64_t last_early = ably_paginated_result_messages(page, &n)[0].timestamp;
        ably_paginated_result_free(page);
        rest_sleep_ms(20);
        publish_numbered(ch, "late", 2);
        page = rest_wait_history(ch, NULL, 5, &n);
        const ably_message *m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 5);
        int64_t first_late = m[1].timestamp;
        assert_true(first_late > last_early);
        ably_paginated_result_free(page);

        ably_history_params early = { .end = last_early, .direction = "forwards" };
        ably_error err = {0};
        REST_OK(ably_rest_channel_history(ch, &early, &page, &err), &err);
        m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
            assert_non_null(strstr(m[i].name, "early"));
        ably_paginated_result_free(page);

        ably_history_params late = { .start = first_late };
        REST_OK(ably_rest_channel_history(ch, &late, &page, &err), &err);
        m = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++)
            assert_non_null(strstr(m[i].name, "late"));
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void history_of_empty_channel(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "empty", binary);
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channel_history(ch, NULL, &page, &err), &err);
        size_t n = 99;
        ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 0);
        assert_false(ably_paginated_result_has_next(page));
        assert_true(ably_paginated_result_is_last(page));
        ably_paginated_result *next = (ably_paginated_result *)1;
        REST_OK(ably_paginated_result_next(page, &next, &err), &err);
        assert_null(next);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

/* Walks 12 messages in pages of 5 (5, 5, 2) forwards, then goes back to the first. */
static void pages_through_history(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = rest_fresh_channel(rest, "pages", binary);
        publish_numbered(ch, "m", 12);
        size_t n = 0;
        ably_paginated_result *all = rest_wait_history(ch, NULL, 12, &n);
        ably_paginated_result_free(all);

        ably_history_params p = { .limit = 5, .direction = "forwards" };
        ably_error err = {0};
        ably_paginated_result *first = NULL;
        REST_OK(ably_rest_channel_history(ch, &p, &first, &err), &err);
        static const size_t SIZES[] = { 5, 5, 2 };
        ably_paginated_result *page = first;
        int seen = 0;
        for (size_t i = 0; i < 3; i++) {
            const ably_message *m = ably_paginated_result_messages(page, &n);
            assert_int_equal(n, SIZES[i]);
            for (size_t j = 0; j < n; j++) {
                char want[24];
                snprintf(want, sizeof want, "m%d", seen++);
                assert_string_equal(m[j].name, want);
            }
            assert_int_equal(ably_paginated_result_has_next(page), i < 2);
            assert_int_equal(ably_paginated_result_is_last(page), i == 2);
            ably_paginated_result *next = NULL;
            REST_OK(ably_paginated_result_next(page, &next, &err), &err);
            if (page != first)
                ably_paginated_result_free(page);
            page = next;
            if (i == 2)
                assert_null(next);
        }
        assert_int_equal(seen, 12);

        ably_paginated_result *again = NULL;
        REST_OK(ably_paginated_result_first(first, &again, &err), &err);
        const ably_message *m = ably_paginated_result_messages(again, &n);
        assert_int_equal(n, 5);
        assert_string_equal(m[0].name, "m0");
        ably_paginated_result_free(again);
        ably_paginated_result_free(first);
        ably_rest_destroy(rest);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(history_returns_newest_first, "RSL2a"),
        ABLY_TEST(history_forwards, "RSL2b1"),
        ABLY_TEST(history_limit, "RSL2b2"),
        ABLY_TEST(history_time_range, "RSL2b3"),
        ABLY_TEST(history_of_empty_channel, "RSL2a TG4 TG6 TG7"),
        ABLY_TEST(pages_through_history, "TG1 TG2 TG3 TG4 TG5 TG6 TG7"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_history", tests, rest_group_setup, rest_group_teardown);
}
