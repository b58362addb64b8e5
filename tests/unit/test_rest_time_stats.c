/* time() and stats() on the mock transport. Ports uts/rest/unit/time.md and stats.md. */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    ably_paginated_result *page;
} fx;

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.key = "app.key:secret";
    mock_http_install(f->m, &f->o);
    return f;
}

static void fx_create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static void fx_free(fx *f)
{
    ably_paginated_result_free(f->page);
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
}

/* rest/unit/RSC16/returns-server-time-0, RSC16/request-format-get-time-1 */
static void time_returns_server_time(void **state)
{
    (void)state;
    static const char *const bodies[] = {"[1704067200000]", "{\"time\":1704067200000}", "1704067200000"};
    for (size_t i = 0; i < 3; i++) {
        fx *f = fx_new();
        mock_http_queue_json(f->m, 200, bodies[i]);
        fx_create(f);
        int64_t t = 0;
        assert_int_equal(ably_rest_time(f->rest, &t, &f->err), 0);
        assert_int_equal(t, 1704067200000LL);
        assert_int_equal(mock_http_count(f->m), 1);
        const mock_request *r = mock_http_request(f->m, 0);
        assert_string_equal(r->method, "GET");
        assert_string_equal(r->path, "/time");
        assert_non_null(mock_request_header(r, "X-Ably-Version"));
        assert_non_null(mock_request_header(r, "Ably-Agent"));
        fx_free(f);
    }
    /* msgpack reply, as the default protocol gets */
    fx *f = fx_new();
    mock_http_queue_msgpack(f->m, 200, "[1704067200000]");
    fx_create(f);
    int64_t t = 0;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), 0);
    assert_int_equal(t, 1704067200000LL);
    fx_free(f);
}

/* rest/unit/RSC16/no-auth-required-2 */
static void time_no_auth(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1704067200000]");
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), 0);
    assert_null(mock_request_header(mock_http_request(f->m, 0), "Authorization"));
    fx_free(f);
}

/* rest/unit/RSC16/works-without-tls-3 */
static void time_without_tls(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1704067200000]");
    f->o.tls = false;
    f->o.use_token_auth = true;
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), 0);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(r->scheme, "http");
    assert_null(mock_request_header(r, "Authorization"));
    fx_free(f);
}

/* rest/unit/RSC16/error-propagated-4 */
static void time_error_propagated(void **state)
{
    (void)state;
    fx *f = fx_new();
    for (int i = 0; i < 4; i++)
        mock_http_queue_json(f->m, 500,
                             "{\"error\":{\"message\":\"Internal server error\",\"code\":50000,\"statusCode\":500}}");
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.status_code, 500);
    assert_int_equal(f->err.code, 50000);
    assert_string_equal(f->err.message, "Internal server error");
    fx_free(f);
}

/* A malformed /time reply is an error, not a crash. */
static void time_malformed_reply(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "{\"nope\":true}");
    mock_http_queue_json(f->m, 200, "[\"x\"]");
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    fx_free(f);
}

static const char *stats_json =
    "[{\"intervalId\":\"2024-01-01:00:00\",\"unit\":\"hour\",\"entries\":{\"messages.all.all.count\":100}},"
    "{\"intervalId\":\"2024-01-01:01:00\",\"unit\":\"hour\",\"entries\":{\"messages.all.all.count\":200}}]";

/* rest/unit/RSC6a/returns-paginated-stats-0 (JSON and msgpack) */
static void stats_returns_items(void **state)
{
    (void)state;
    for (int binary = 0; binary < 2; binary++) {
        fx *f = fx_new();
        if (binary)
            mock_http_queue_msgpack(f->m, 200, stats_json);
        else
            mock_http_queue_json(f->m, 200, stats_json);
        f->o.use_binary_protocol = binary;
        fx_create(f);
        assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), 0);
        size_t n = 0;
        const ably_stats *s = ably_paginated_result_stats(f->page, &n);
        assert_int_equal(n, 2);
        assert_ptr_equal(ably_paginated_result_type(f->page), &ably_stats_desc);
        assert_string_equal(s[0].interval_id, "2024-01-01:00:00");
        assert_true(s[0].has_unit);
        assert_int_equal(s[0].unit, ABLY_STATS_INTERVAL_GRANULARITY_HOUR);
        assert_string_equal(s[1].interval_id, "2024-01-01:01:00");
        double count = 0;
        assert_true(ably_number_map_get(&s[1].entries, "messages.all.all.count", &count));
        assert_true(count == 200);
        const mock_request *r = mock_http_request(f->m, 0);
        assert_string_equal(r->method, "GET");
        assert_string_equal(r->path, "/stats");
        assert_int_equal(r->query.count, 0); /* RSC6a: no params, none sent */
        fx_free(f);
    }
}

/* rest/unit/RSC6a/authenticated-with-standard-headers-1 */
static void stats_authenticated(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), 0);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_non_null(mock_request_header(r, "Authorization"));
    assert_non_null(strstr(mock_request_header(r, "Authorization"), "Basic "));
    assert_non_null(mock_request_header(r, "X-Ably-Version"));
    assert_non_null(mock_request_header(r, "Ably-Agent"));
    fx_free(f);
}

/* RSC6b1–RSC6b4: each parameter and all together; defaults are left to the server */
static void stats_params(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    mock_http_queue_json(f->m, 200, "[]");
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    ably_stats_params p = {.start = 1704067200000LL, .end = 1704153600000LL, .direction = "forwards",
                           .limit = 50, .unit = "hour"};
    assert_int_equal(ably_rest_stats(f->rest, &p, &f->page, &f->err), 0);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(mock_request_query(r, "start"), "1704067200000");
    assert_string_equal(mock_request_query(r, "end"), "1704153600000");
    assert_string_equal(mock_request_query(r, "direction"), "forwards");
    assert_string_equal(mock_request_query(r, "limit"), "50");
    assert_string_equal(mock_request_query(r, "unit"), "hour");
    ably_paginated_result_free(f->page);
    f->page = NULL;

    ably_stats_params only_end = {.end = 1704153600000LL};
    assert_int_equal(ably_rest_stats(f->rest, &only_end, &f->page, &f->err), 0);
    r = mock_http_request(f->m, 1);
    assert_string_equal(mock_request_query(r, "end"), "1704153600000");
    assert_null(mock_request_query(r, "start"));
    assert_null(mock_request_query(r, "direction")); /* RSC6b2: server default */
    assert_null(mock_request_query(r, "limit"));     /* RSC6b3 */
    assert_null(mock_request_query(r, "unit"));      /* RSC6b4 */
    ably_paginated_result_free(f->page);
    f->page = NULL;

    static const char *const units[] = {"minute", "hour", "day", "month"};
    for (size_t i = 0; i < 4; i++) {
        ably_stats_params u = {.unit = units[i]};
        mock_http_queue_json(f->m, 200, "[]");
        assert_int_equal(ably_rest_stats(f->rest, &u, &f->page, &f->err), 0);
        assert_string_equal(mock_request_query(mock_http_request(f->m, 2 + i), "unit"), units[i]);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    fx_free(f);
}

/* RSC6b1, RSC6b3: invalid params are refused before any request */
static void stats_invalid_params(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_stats_params bad_range = {.start = 2000, .end = 1000};
    ably_stats_params bad_limit = {.limit = 1001};
    ably_stats_params bad_unit = {.unit = "week"};
    ably_stats_params bad_dir = {.direction = "sideways"};
    assert_int_equal(ably_rest_stats(f->rest, &bad_range, &f->page, &f->err), -1);
    assert_int_equal(ably_rest_stats(f->rest, &bad_limit, &f->page, &f->err), -1);
    assert_int_equal(ably_rest_stats(f->rest, &bad_unit, &f->page, &f->err), -1);
    assert_int_equal(ably_rest_stats(f->rest, &bad_dir, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_null(f->page);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* rest/unit/RSC6a/pagination-with-link-headers */
static void stats_pagination(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const link[] = {"Link", "</stats?start=1704070800000&limit=1>; rel=\"next\"", NULL};
    mock_reply p1 = {.status = 200, .body = "[{\"intervalId\":\"2024-01-01:01:00\",\"unit\":\"hour\"}]",
                     .headers = link};
    mock_http_queue(f->m, &p1);
    mock_http_queue_json(f->m, 200, "[{\"intervalId\":\"2024-01-01:00:00\",\"unit\":\"hour\"}]");
    fx_create(f);
    ably_stats_params p = {.limit = 1};
    assert_int_equal(ably_rest_stats(f->rest, &p, &f->page, &f->err), 0);
    size_t n;
    const ably_stats *s = ably_paginated_result_stats(f->page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].interval_id, "2024-01-01:01:00");
    assert_true(ably_paginated_result_has_next(f->page));
    assert_false(ably_paginated_result_is_last(f->page));
    ably_paginated_result *page2 = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &page2, &f->err), 0);
    assert_non_null(page2);
    s = ably_paginated_result_stats(page2, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].interval_id, "2024-01-01:00:00");
    assert_false(ably_paginated_result_has_next(page2));
    assert_true(ably_paginated_result_is_last(page2));
    const mock_request *r = mock_http_request(f->m, 1);
    assert_string_equal(r->path, "/stats");
    assert_string_equal(mock_request_query(r, "start"), "1704070800000");
    assert_string_equal(mock_request_query(r, "limit"), "1");
    assert_non_null(mock_request_header(r, "Authorization"));
    ably_paginated_result *none = (ably_paginated_result *)1;
    assert_int_equal(ably_paginated_result_next(page2, &none, &f->err), 0); /* TG4: no next page */
    assert_null(none);
    ably_paginated_result_free(page2);
    fx_free(f);
}

/* rest/unit/RSC6a/empty-results */
static void stats_empty(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), 0);
    size_t n = 99;
    assert_null(ably_paginated_result_items(f->page, &n));
    assert_int_equal(n, 0);
    assert_false(ably_paginated_result_has_next(f->page));
    assert_true(ably_paginated_result_is_last(f->page));
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(time_returns_server_time, "RSC16 RSC7e RSC7d"),
        ABLY_TEST(time_no_auth, "RSC16"),
        ABLY_TEST(time_without_tls, "RSC16 RSC18"),
        ABLY_TEST(time_error_propagated, "RSC16"),
        ABLY_TEST(time_malformed_reply, "RSC16"),
        ABLY_TEST(stats_returns_items, "RSC6 RSC6a TG3"),
        ABLY_TEST(stats_authenticated, "RSC6a"),
        ABLY_TEST(stats_params, "RSC6b RSC6b1 RSC6b2 RSC6b3 RSC6b4"),
        ABLY_TEST(stats_invalid_params, "RSC6b1 RSC6b3 RSC6b4"),
        ABLY_TEST(stats_pagination, "RSC6a TG4 TG6 TG7"),
        ABLY_TEST(stats_empty, "RSC6a TG2"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
