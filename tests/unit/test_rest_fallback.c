/* Host selection and fallback (REC1, REC2, RSC15) on the mock transport, and the
 * connectivity check URL (REC3), which only the realtime client uses (RTN17j).
 * Ports uts/rest/unit/fallback.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"
#include "mock_ws.h"

#define KEY "appId.keyId:keySecret"
#define PRIMARY "main.realtime.ably.net"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
} fx;

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.key = KEY;
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
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
}

static int time_call(fx *f)
{
    int64_t t;
    return ably_rest_time(f->rest, &t, &f->err);
}

static const char *host_of(fx *f, size_t i)
{
    const mock_request *r = mock_http_request(f->m, i);
    assert_non_null(r);
    return r->host;
}

static bool in_list(const char *host, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(host, list[i]) == 0)
            return true;
    return false;
}

static const char *const default_fallbacks[] = {
    "main.a.fallback.ably-realtime.com", "main.b.fallback.ably-realtime.com", "main.c.fallback.ably-realtime.com",
    "main.d.fallback.ably-realtime.com", "main.e.fallback.ably-realtime.com"};

/* rest/unit/RSC15m: explicitly empty fallbackHosts -> no retry */
static void no_fallback_when_empty(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    f->o.fallback_hosts_set = true;
    fx_create(f);
    assert_int_equal(time_call(f), -1);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_int_equal(f->err.status_code, 500);
    fx_free(f);
}

/* rest/unit/RSC15a: fallbacks tried in random order, all distinct, all from the set,
 * bounded by httpMaxRetryCount */
static void fallbacks_random_order(void **state)
{
    (void)state;
    bool orders_differ = false;
    char first_order[5][64] = {{0}};
    for (int run = 0; run < 20; run++) {
        fx *f = fx_new();
        for (int i = 0; i < 6; i++)
            mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
        f->o.http_max_retry_count = 5;
        fx_create(f);
        assert_int_equal(time_call(f), -1);
        assert_int_equal(mock_http_count(f->m), 6); /* primary + 5 fallbacks */
        assert_string_equal(host_of(f, 0), PRIMARY);
        for (size_t i = 1; i < 6; i++) {
            assert_true(in_list(host_of(f, i), default_fallbacks, 5));
            for (size_t j = 1; j < i; j++)
                assert_string_not_equal(host_of(f, i), host_of(f, j));
            if (run == 0)
                strcpy(first_order[i - 1], host_of(f, i));
            else if (strcmp(first_order[i - 1], host_of(f, i)) != 0)
                orders_differ = true;
        }
        fx_free(f);
    }
    assert_true(orders_differ); /* 20 identical shuffles of 5 would be a 1 in 120^19 event */
}

/* TO3l5: httpMaxRetryCount bounds the fallback attempts */
static void max_retry_count(void **state)
{
    (void)state;
    fx *f = fx_new();
    for (int i = 0; i < 6; i++)
        mock_http_queue_json(f->m, 503, "{\"error\":{\"code\":50300}}");
    fx_create(f); /* default 3 */
    assert_int_equal(time_call(f), -1);
    assert_int_equal(mock_http_count(f->m), 4);
    assert_int_equal(f->err.status_code, 503);
    fx_free(f);
}

/* TO3l6: no more fallbacks once httpMaxRetryDuration has elapsed */
static void max_retry_duration(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_reply slow = {.status = 500, .body = "{\"error\":{\"code\":50000}}", .delay_ms = 4000};
    for (int i = 0; i < 6; i++)
        mock_http_queue(f->m, &slow);
    f->o.http_max_retry_duration_ms = 7000;
    f->o.http_max_retry_count = 5;
    fx_create(f);
    assert_int_equal(time_call(f), -1);
    /* 0s primary, 4s first fallback, 8s > 7s: stop, reporting the last reply */
    assert_int_equal(mock_http_count(f->m), 2);
    assert_int_equal(f->err.status_code, 500);
    assert_int_equal(f->err.code, 50000);
    fx_free(f);
}

/* rest/unit/RSC15l/qualifying-errors-trigger-fallback-0, http-5xx-triggers-fallback-4 */
static void qualifying_statuses(void **state)
{
    (void)state;
    for (int status = 500; status <= 504; status++) {
        fx *f = fx_new();
        char body[64];
        snprintf(body, sizeof body, "{\"error\":{\"code\":%d}}", status * 100);
        mock_http_queue_json(f->m, status, body);
        mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
        fx_create(f);
        assert_int_equal(time_call(f), 0);
        assert_int_equal(mock_http_count(f->m), 2);
        assert_string_not_equal(host_of(f, 0), host_of(f, 1));
        fx_free(f);
    }
}

/* rest/unit/RSC15l/http-4xx-no-fallback-5 (and 505+ is not in the range) */
static void non_qualifying_statuses(void **state)
{
    (void)state;
    static const int statuses[] = {400, 401, 404, 505};
    for (size_t i = 0; i < 4; i++) {
        fx *f = fx_new();
        char body[64];
        snprintf(body, sizeof body, "{\"error\":{\"code\":%d}}", statuses[i] * 100);
        mock_http_queue_json(f->m, statuses[i], body);
        mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
        fx_create(f);
        assert_int_equal(time_call(f), -1);
        assert_int_equal(f->err.status_code, statuses[i]);
        assert_int_equal(mock_http_count(f->m), 1);
        fx_free(f);
    }
}

/* RSC15l1, RSC15l2: refused, DNS failure, connect timeout and request timeout */
static void network_failures_trigger_fallback(void **state)
{
    (void)state;
    static const ably_http_failure failures[] = {ABLY_HTTP_ERR_REFUSED, ABLY_HTTP_ERR_DNS,
                                                 ABLY_HTTP_ERR_CONNECT_TIMEOUT, ABLY_HTTP_ERR_TIMEOUT,
                                                 ABLY_HTTP_ERR_OTHER};
    for (size_t i = 0; i < 5; i++) {
        fx *f = fx_new();
        mock_http_queue_failure(f->m, failures[i]);
        mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
        f->o.http_request_timeout_ms = 1000;
        fx_create(f);
        assert_int_equal(time_call(f), 0);
        assert_int_equal(mock_http_count(f->m), 2);
        assert_string_equal(host_of(f, 0), PRIMARY);
        assert_true(in_list(host_of(f, 1), default_fallbacks, 5));
        fx_free(f);
    }
    /* and a delayed reply past httpRequestTimeout counts as a timeout */
    fx *f = fx_new();
    mock_reply slow = {.status = 200, .body = "[1]", .delay_ms = 5000};
    mock_http_queue(f->m, &slow);
    mock_http_queue_json(f->m, 200, "[2]");
    f->o.http_request_timeout_ms = 1000;
    fx_create(f);
    int64_t t = 0;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), 0);
    assert_int_equal(t, 2);
    assert_int_equal(mock_http_count(f->m), 2);
    fx_free(f);
}

/* RSC19e-style: every host unreachable gives a connection error */
static void all_hosts_fail(void **state)
{
    (void)state;
    fx *f = fx_new();
    for (int i = 0; i < 4; i++)
        mock_http_queue_failure(f->m, ABLY_HTTP_ERR_REFUSED);
    fx_create(f);
    assert_int_equal(time_call(f), -1);
    assert_int_equal(f->err.code, 80000);
    assert_int_equal(mock_http_count(f->m), 4);
    fx_free(f);
}

/* rest/unit/RSC15l4/cloudfront-errors-trigger-fallback */
static void cloudfront_errors(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const server[] = {"Server", "CloudFront", NULL};
    mock_reply cf = {.status = 403, .body = "{\"error\":\"Forbidden\"}", .headers = server};
    mock_http_queue(f->m, &cf);
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(host_of(f, 0), PRIMARY);
    assert_string_not_equal(host_of(f, 1), PRIMARY);
    fx_free(f);
}

/* rest/unit/RSC15j/host-header-matches-request-0 */
static void host_header_matches(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    const mock_request *a = mock_http_request(f->m, 0), *b = mock_http_request(f->m, 1);
    assert_string_equal(mock_request_header(a, "Host"), a->host);
    assert_string_equal(mock_request_header(b, "Host"), b->host);
    assert_string_not_equal(mock_request_header(a, "Host"), mock_request_header(b, "Host"));
    fx_free(f);
}

/* Makes the first fallback tried deterministic for the RSC15f tests: only one fallback. */
static const char *const one_fallback[] = {"main.a.fallback.ably-realtime.com"};

/* rest/unit/RSC15f/successful-fallback-cached-0 */
static void successful_fallback_cached(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_for_host(f->m, PRIMARY, 500, "{\"error\":{}}");
    mock_http_queue_for_host(f->m, one_fallback[0], 200, "{\"time\":1000}");
    mock_http_queue_for_host(f->m, one_fallback[0], 200, "{\"time\":2000}");
    f->o.fallback_hosts = one_fallback;
    f->o.fallback_hosts_count = 1;
    f->o.fallback_retry_timeout_ms = 60000;
    fx_create(f);
    int64_t t1 = 0, t2 = 0;
    assert_int_equal(ably_rest_time(f->rest, &t1, &f->err), 0);
    mock_http_advance(f->m, 59000);
    assert_int_equal(ably_rest_time(f->rest, &t2, &f->err), 0);
    assert_int_equal(t1, 1000);
    assert_int_equal(t2, 2000);
    assert_int_equal(mock_http_count(f->m), 3);
    assert_string_equal(host_of(f, 0), PRIMARY);
    assert_string_equal(host_of(f, 1), one_fallback[0]);
    assert_string_equal(host_of(f, 2), one_fallback[0]);
    fx_free(f);
}

/* rest/unit/RSC15f/cached-fallback-expires-1 */
static void cached_fallback_expires(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_for_host(f->m, PRIMARY, 500, "{\"error\":{}}");
    mock_http_queue_for_host(f->m, "main.a.fallback.ably-realtime.com", 200, "{\"time\":1000}");
    mock_http_queue_for_host(f->m, PRIMARY, 200, "{\"time\":2000}");
    f->o.fallback_hosts = one_fallback;
    f->o.fallback_hosts_count = 1;
    f->o.fallback_retry_timeout_ms = 100;
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    mock_http_advance(f->m, 150);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 3);
    assert_string_equal(host_of(f, 2), PRIMARY);
    fx_free(f);
}

/* RSC15f: a qualifying error on the preferred host un-stores it and the sequence
 * starts again from the primary. */
static void preferred_host_failure_restarts(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_for_host(f->m, PRIMARY, 500, "{\"error\":{}}");
    mock_http_queue_for_host(f->m, one_fallback[0], 200, "[1]");
    mock_http_queue_for_host(f->m, one_fallback[0], 503, "{\"error\":{}}");
    mock_http_queue_for_host(f->m, PRIMARY, 200, "[2]");
    mock_http_queue_for_host(f->m, PRIMARY, 200, "[3]");
    f->o.fallback_hosts = one_fallback;
    f->o.fallback_hosts_count = 1;
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 5);
    assert_string_equal(host_of(f, 2), one_fallback[0]);
    assert_string_equal(host_of(f, 3), PRIMARY);
    assert_string_equal(host_of(f, 4), PRIMARY);
    fx_free(f);
}

/* rest/unit/RSC15f/expired-not-resurrected-2: request 3 is held by the handler on
 * another thread while the preference expires and request 4 goes to the primary. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool held, release;
} hold_state;

static void hold_third(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    (void)req;
    hold_state *h = ctx;
    if (index == 0) {
        reply->status = 500;
        reply->body = "{\"error\":{\"message\":\"fail\",\"code\":50000,\"statusCode\":500}}";
        return;
    }
    if (index == 2) {
        pthread_mutex_lock(&h->lock);
        h->held = true;
        pthread_cond_broadcast(&h->cond);
        while (!h->release)
            pthread_cond_wait(&h->cond, &h->lock);
        pthread_mutex_unlock(&h->lock);
    }
    reply->status = 200;
    reply->body = "[1000]";
}

static void *time_thread(void *arg)
{
    fx *f = arg;
    int64_t t;
    ably_error e = {0};
    intptr_t rc = ably_rest_time(f->rest, &t, &e);
    ably_error_clear(&e);
    return (void *)rc;
}

static void expired_not_resurrected(void **state)
{
    (void)state;
    fx *f = fx_new();
    hold_state h = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    mock_http_set_handler(f->m, hold_third, &h);
    f->o.fallback_retry_timeout_ms = 100;
    fx_create(f);
    assert_int_equal(time_call(f), 0); /* 1 + 2 */
    pthread_t th;
    pthread_create(&th, NULL, time_thread, f); /* 3, held */
    pthread_mutex_lock(&h.lock);
    while (!h.held)
        pthread_cond_wait(&h.cond, &h.lock);
    pthread_mutex_unlock(&h.lock);
    mock_http_advance(f->m, 150);
    assert_int_equal(time_call(f), 0); /* 4 */
    pthread_mutex_lock(&h.lock);
    h.release = true;
    pthread_cond_broadcast(&h.cond);
    pthread_mutex_unlock(&h.lock);
    void *rc;
    pthread_join(th, &rc);
    assert_int_equal((intptr_t)rc, 0);
    assert_int_equal(time_call(f), 0); /* 5 */
    assert_int_equal(mock_http_count(f->m), 5);
    assert_string_equal(host_of(f, 0), PRIMARY);
    assert_string_not_equal(host_of(f, 1), PRIMARY);
    assert_string_equal(host_of(f, 2), host_of(f, 1));
    assert_string_equal(host_of(f, 3), PRIMARY);
    assert_string_equal(host_of(f, 4), PRIMARY);
    fx_free(f);
}

/* ---- REC1 / REC2: which hosts ---- */

typedef struct {
    const char *endpoint, *environment, *rest_host, *realtime_host;
    bool use_default;
    const char *primary;
    const char *fallback_pattern; /* "%s" replaced by a-e, or NULL: no fallbacks */
} host_case;

static void check_hosts(const host_case *c)
{
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.endpoint = c->endpoint;
    f->o.environment = c->environment;
    f->o.rest_host = c->rest_host;
    f->o.realtime_host = c->realtime_host;
    f->o.fallback_hosts_use_default = c->use_default;
    fx_create(f);
    int rc = time_call(f);
    assert_string_equal(host_of(f, 0), c->primary);
    if (!c->fallback_pattern) {
        assert_int_equal(rc, -1);
        assert_int_equal(mock_http_count(f->m), 1);
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(mock_http_count(f->m), 2);
        bool found = false;
        for (char letter = 'a'; letter <= 'e'; letter++) {
            char want[128];
            snprintf(want, sizeof want, c->fallback_pattern, letter);
            found |= strcmp(want, host_of(f, 1)) == 0;
        }
        assert_true(found);
    }
    fx_free(f);
}

/* REC1a, REC2c1 */
static void default_hosts(void **state)
{
    (void)state;
    host_case c = {.primary = PRIMARY, .fallback_pattern = "main.%c.fallback.ably-realtime.com"};
    check_hosts(&c);
}

/* REC1b2, REC2c2: explicit hostnames (with a period, localhost, IPv6) have no fallbacks */
static void endpoint_hostname(void **state)
{
    (void)state;
    host_case a = {.endpoint = "custom.ably.example.com", .primary = "custom.ably.example.com"};
    host_case b = {.endpoint = "localhost", .primary = "localhost"};
    host_case c = {.endpoint = "::1", .primary = "::1"};
    check_hosts(&a);
    check_hosts(&b);
    check_hosts(&c);
    /* IPv6 literals are bracketed in the URL */
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.endpoint = "::1";
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    assert_string_equal(mock_http_request(f->m, 0)->url, "https://[::1]/time");
    fx_free(f);
}

/* REC1b3, REC2c3 */
static void endpoint_nonprod(void **state)
{
    (void)state;
    host_case c = {.endpoint = "nonprod:staging", .primary = "staging.realtime.ably-nonprod.net",
                   .fallback_pattern = "staging.%c.fallback.ably-realtime-nonprod.com"};
    check_hosts(&c);
}

/* REC1b4, REC2c4 */
static void endpoint_production_policy(void **state)
{
    (void)state;
    host_case c = {.endpoint = "test", .primary = "test.realtime.ably.net",
                   .fallback_pattern = "test.%c.fallback.ably-realtime.com"};
    check_hosts(&c);
}

/* REC1c2, REC2c5 */
static void deprecated_environment(void **state)
{
    (void)state;
    host_case c = {.environment = "sandbox", .primary = "sandbox.realtime.ably.net",
                   .fallback_pattern = "sandbox.%c.fallback.ably-realtime.com"};
    check_hosts(&c);
}

/* REC1d1, REC1d2, REC1d, REC2c6 */
static void deprecated_hosts(void **state)
{
    (void)state;
    host_case a = {.rest_host = "custom.rest.example.com", .primary = "custom.rest.example.com"};
    host_case b = {.realtime_host = "custom.realtime.example.com", .primary = "custom.realtime.example.com"};
    host_case c = {.rest_host = "rest.example.com", .realtime_host = "realtime.example.com",
                   .primary = "rest.example.com"};
    check_hosts(&a);
    check_hosts(&b);
    check_hosts(&c);
}

/* REC2b */
static void fallback_hosts_use_default(void **state)
{
    (void)state;
    host_case c = {.rest_host = "custom.host.com", .use_default = true, .primary = "custom.host.com",
                   .fallback_pattern = "main.%c.fallback.ably-realtime.com"};
    check_hosts(&c);
}

/* REC2a2 */
static void custom_fallback_hosts(void **state)
{
    (void)state;
    static const char *const fbs[] = {"fb1.example.com", "fb2.example.com", "fb3.example.com"};
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.fallback_hosts = fbs;
    f->o.fallback_hosts_count = 3;
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(host_of(f, 0), PRIMARY);
    assert_true(in_list(host_of(f, 1), fbs, 3));
    fx_free(f);
}

/* REC1b1, REC1c1, REC2a1: conflicting options */
static void conflicting_options(void **state)
{
    (void)state;
    static const char *const fbs[] = {"fb1.example.com"};
    struct {
        const char *endpoint, *environment, *rest_host, *realtime_host;
        bool use_default, with_fallbacks;
    } cases[] = {
        {"test", "production", NULL, NULL, false, false},
        {"test", NULL, "custom.host.com", NULL, false, false},
        {"test", NULL, NULL, "custom.realtime.com", false, false},
        {"test", NULL, NULL, NULL, true, false},
        {NULL, "sandbox", "custom.host.com", NULL, false, false},
        {NULL, "sandbox", NULL, "custom.realtime.com", false, false},
        {NULL, NULL, NULL, NULL, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fx *f = fx_new();
        f->o.endpoint = cases[i].endpoint;
        f->o.environment = cases[i].environment;
        f->o.rest_host = cases[i].rest_host;
        f->o.realtime_host = cases[i].realtime_host;
        f->o.fallback_hosts_use_default = cases[i].use_default;
        if (cases[i].with_fallbacks) {
            f->o.fallback_hosts = fbs;
            f->o.fallback_hosts_count = 1;
        }
        assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
        assert_int_equal(f->err.code, 40000);
        assert_int_equal(f->err.status_code, 400);
        fx_free(f);
    }
}

/* RSC15 as a whole, on one client: every qualifying error (RSC15l1-l4) moves on
 * to another of the REC2 fallback domains (RSC15n), each tried once in random
 * order (RSC15a) with a matching Host header (RSC15j); the host that answers is
 * kept (RSC15f) until a qualifying error on it restarts from the primary; an error
 * that does not qualify is returned as is (RSC15l); and with no fallback domains
 * a qualifying error fails at once (RSC15m). */
static void host_fallback_whole_behaviour(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const cloudfront[] = {"Server", "CloudFront", NULL};
    const mock_reply refused = {.failure = ABLY_HTTP_ERR_REFUSED};
    const mock_reply timeout = {.failure = ABLY_HTTP_ERR_TIMEOUT};
    const mock_reply cf403 = {.status = 403, .body = "{\"error\":\"Forbidden\"}", .headers = cloudfront};
    mock_http_queue_json(f->m, 503, "{\"error\":{\"code\":50300}}"); /* l3 */
    mock_http_queue(f->m, &refused);                                   /* l1 */
    mock_http_queue(f->m, &timeout);                                   /* l2 */
    mock_http_queue(f->m, &cf403);                                     /* l4 */
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.http_max_retry_count = 5;
    f->o.http_max_retry_duration_ms = 120000;
    f->o.log_level = ABLY_LOG_NONE;
    fx_create(f);
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 5);
    assert_string_equal(host_of(f, 0), PRIMARY);
    for (size_t i = 0; i < 5; i++) {
        const mock_request *r = mock_http_request(f->m, i);
        assert_string_equal(mock_request_header(r, "Host"), r->host);
        if (i == 0)
            continue;
        assert_true(in_list(r->host, default_fallbacks, 5));
        for (size_t j = 1; j < i; j++)
            assert_string_not_equal(r->host, host_of(f, j));
    }
    char kept[64];
    snprintf(kept, sizeof kept, "%s", host_of(f, 4));

    /* RSC15f: the next request goes to the host that answered */
    mock_http_queue_json(f->m, 200, "[2]");
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 6);
    assert_string_equal(host_of(f, 5), kept);

    /* RSC15l: a 400 does not qualify: no other host, the error comes back */
    mock_http_queue_json(f->m, 400, "{\"error\":{\"code\":40000,\"statusCode\":400,\"message\":\"bad\"}}");
    assert_int_equal(time_call(f), -1);
    assert_int_equal(f->err.code, 40000);
    assert_int_equal(mock_http_count(f->m), 7);
    assert_string_equal(host_of(f, 6), kept);

    /* RSC15f: a qualifying error on the kept host forgets it: the primary again */
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "[3]");
    assert_int_equal(time_call(f), 0);
    assert_int_equal(mock_http_count(f->m), 9);
    assert_string_equal(host_of(f, 7), kept);
    assert_string_equal(host_of(f, 8), PRIMARY);
    fx_free(f);

    /* RSC15m: no fallback domains, no fallback */
    f = fx_new();
    mock_http_queue_json(f->m, 503, "{\"error\":{\"code\":50300}}");
    f->o.fallback_hosts_set = true;
    f->o.log_level = ABLY_LOG_NONE;
    fx_create(f);
    assert_int_equal(time_call(f), -1);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_int_equal(f->err.status_code, 503);
    fx_free(f);
}

/* ---- REC3: the connectivity check URL ---- */

#define DEFAULT_CHECK_URL "https://internet-up.ably-realtime.com/is-the-internet-up.txt"

/* A realtime client (connectivity_check_url may be NULL) whose first connection
 * attempt is refused, which makes it check the internet (RTN17j) with `answer`
 * queued. Returns how many connection attempts followed (1: the check failed, 2:
 * it passed and a fallback host was tried). */
static size_t refused_then_checked(mock_rt *t, const char *check_url, const mock_reply *answer)
{
    mock_rt_init(t);
    t->o.connectivity_check_url = check_url;
    t->o.log_level = ABLY_LOG_NONE;
    mock_rt_start(t, NULL);
    mock_http_queue(t->h, answer);
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
    mock_ws_respond_refused(t->m, 0);
    mock_ws_pump(t->m, t->rt);
    return mock_ws_attempt_count(t->m);
}

static const mock_reply yes_text = {.status = 200, .content_type = "text/plain", .body = "yes"};

/* rest/unit/REC3a/default-connectivity-check-url-0 */
static void connectivity_check_default_url(void **state)
{
    (void)state;
    mock_rt t;
    assert_int_equal(refused_then_checked(&t, NULL, &yes_text), 2);
    assert_int_equal(mock_http_count(t.h), 1);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->url, DEFAULT_CHECK_URL);
    mock_rt_free(&t);
}

/* rest/unit/REC3b/custom-connectivity-check-url-0 */
static void connectivity_check_custom_url(void **state)
{
    (void)state;
    mock_rt t;
    assert_int_equal(refused_then_checked(&t, "https://custom.example.com/connectivity", &yes_text), 2);
    assert_int_equal(mock_http_count(t.h), 1);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->host, "custom.example.com");
    assert_string_equal(r->url, "https://custom.example.com/connectivity");
    for (size_t i = 0; i < mock_http_count(t.h); i++) /* never the default */
        assert_string_not_equal(mock_http_request(t.h, i)->host, "internet-up.ably-realtime.com");
    mock_rt_free(&t);
}

/* REC3b: connectivityCheckUrl must be an absolute http(s) URL; checked at create. */
static void connectivity_check_url_validated(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "internet-up.example.com/up.txt", "ftp://example.com/up", "https://",
                                      "https:///path"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fx *f = fx_new();
        f->o.connectivity_check_url = bad[i];
        assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
        assert_int_equal(f->err.code, 40000);
        assert_int_equal(f->err.status_code, 400);
        assert_non_null(strstr(f->err.message, "connectivityCheckUrl"));
        fx_free(f);
    }
    fx *f = fx_new();
    f->o.connectivity_check_url = "http://localhost:8080/up";
    fx_create(f);
    fx_free(f);
}

/* rest/unit/REC3/connectivity-check-validation-0: only a 200 whose body says "yes"
 * means the internet is up (then a fallback host is tried at once, RTN17j); "no",
 * an empty body, a 404 or a network error all mean it is not (DISCONNECTED). */
static void connectivity_check_validation(void **state)
{
    (void)state;
    const struct {
        mock_reply answer;
        bool up;
    } cases[] = {
        {{.status = 200, .content_type = "text/plain", .body = "yes"}, true},
        {{.status = 200, .content_type = "text/plain", .body = "no"}, false},
        {{.status = 200, .content_type = "text/plain"}, false},
        {{.status = 404, .content_type = "text/plain", .body = "Not Found"}, false},
        {{.failure = ABLY_HTTP_ERR_REFUSED}, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mock_rt t;
        size_t attempts = refused_then_checked(&t, NULL, &cases[i].answer);
        assert_int_equal(mock_http_count(t.h), 1);
        assert_string_equal(mock_http_request(t.h, 0)->url, DEFAULT_CHECK_URL);
        if (cases[i].up) {
            assert_int_equal(attempts, 2);
            assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
        } else {
            assert_int_equal(attempts, 1);
            assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
        }
        mock_rt_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(no_fallback_when_empty, "RSC15m REC2a2"),
        ABLY_TEST(fallbacks_random_order, "RSC15a RSC15n REC2c1"),
        ABLY_TEST(max_retry_count, "TO3l5 RSC15a"),
        ABLY_TEST(max_retry_duration, "TO3l6"),
        ABLY_TEST(qualifying_statuses, "RSC15l RSC15l3"),
        ABLY_TEST(non_qualifying_statuses, "RSC15l"),
        ABLY_TEST(network_failures_trigger_fallback, "RSC15l1 RSC15l2"),
        ABLY_TEST(all_hosts_fail, "RSC15a"),
        ABLY_TEST(cloudfront_errors, "RSC15l4"),
        ABLY_TEST(host_header_matches, "RSC15j"),
        ABLY_TEST(successful_fallback_cached, "RSC15f"),
        ABLY_TEST(cached_fallback_expires, "RSC15f TO3l10"),
        ABLY_TEST(preferred_host_failure_restarts, "RSC15f"),
        ABLY_TEST(expired_not_resurrected, "RSC15f"),
        ABLY_TEST(default_hosts, "REC1a REC2c1 RSC25"),
        ABLY_TEST(endpoint_hostname, "REC1b2 REC2c2"),
        ABLY_TEST(endpoint_nonprod, "REC1b3 REC2c3"),
        ABLY_TEST(endpoint_production_policy, "REC1b4 REC2c4"),
        ABLY_TEST(deprecated_environment, "REC1c2 REC2c5"),
        ABLY_TEST(deprecated_hosts, "REC1d REC1d1 REC1d2 REC2c6"),
        ABLY_TEST(fallback_hosts_use_default, "REC2b"),
        ABLY_TEST(custom_fallback_hosts, "REC2a REC2a2"),
        ABLY_TEST(conflicting_options, "REC1b1 REC1c1 REC2a1"),
        ABLY_TEST(host_fallback_whole_behaviour, "RSC15 RSC15a RSC15f RSC15j RSC15l RSC15l1 RSC15l2 RSC15l3 RSC15l4 RSC15m RSC15n"),
        ABLY_TEST(connectivity_check_default_url, "REC3a"),
        ABLY_TEST(connectivity_check_custom_url, "REC3b"),
        ABLY_TEST(connectivity_check_url_validated, "REC3b"),
        ABLY_TEST(connectivity_check_validation, "REC3"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
