/* REST host fallback through the sandbox's fault rules (UTS
 * rest/integration/proxy/rest_fallback.md).
 *
 * The sandbox listens on its main port and two extra ports; every port serves
 * the same app. The client's primary host is the main port; its fallback hosts
 * are names ("fallback-N.sandbox.test") that a thin wrapper around the real
 * libcurl transport sends to extra port N, the way DNS would send a real
 * fallback domain elsewhere. Rules on /_sandbox/faults make the main port fail
 * (5xx, CloudFront, hang, close, 4xx) and the request log shows which ports the
 * client tried, in order.
 *
 * Needs the local sandbox: with ABLY_TEST_ENDPOINT set every test is skipped. */
#include "ably_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ably/ably.h"
#include "proxy_env.h"
#include "sandbox_env.h"

#define FALLBACK_SUFFIX ".sandbox.test"

typedef struct {
    const sandbox_env *env;
} port_map;

static port_map g_map;

/* Rewrites "http://fallback-N.sandbox.test:P/path" to the sandbox host and extra
 * port N, then hands the request to the library's own transport. */
static int mapped_perform(void *ctx, const ably_http_request *req, ably_http_response *res)
{
    const port_map *m = ctx;
    const ably_http_transport *real = ably_http_transport_default();
    unsigned idx = 0;
    size_t suffix = strlen(FALLBACK_SUFFIX), hl = strlen(req->host);
    if (sscanf(req->host, "fallback-%u", &idx) != 1 || hl < suffix ||
        strcmp(req->host + hl - suffix, FALLBACK_SUFFIX) != 0 || idx >= m->env->extra_port_count)
        return real->perform(real->ctx, req, res);
    const char *path = strchr(strstr(req->url, "://") + 3, '/');
    char url[2048];
    snprintf(url, sizeof url, "http://%s:%d%s", m->env->host, m->env->extra_ports[idx], path ? path : "/");
    ably_http_request mapped = *req;
    mapped.url = url;
    mapped.host = m->env->host;
    mapped.port = m->env->extra_ports[idx];
    return real->perform(real->ctx, &mapped, res);
}

static const ably_http_transport mapped_transport = { mapped_perform, &g_map };

/* ---- the fault control endpoint ---- */

/* A call to the sandbox's /_sandbox/faults API (proxy_env_http). */
static long control(const sandbox_env *env, const char *method, const char *path, const char *body, char **out)
{
    return proxy_env_http(env->base_url, method, path, body, out);
}

/* Adds a rule (JSON text) for the main port. */
static void add_fault(const sandbox_env *env, const char *rule_fields)
{
    char body[512];
    snprintf(body, sizeof body, "{\"port\":%d,%s}", env->port, rule_fields);
    assert_int_equal(control(env, "POST", "/_sandbox/faults", body, NULL), 201);
}

/* The ports of logged requests whose path starts with `prefix`, in order, and
 * whether each was answered normally ("pass"). Returns how many. */
static size_t logged_ports(const sandbox_env *env, const char *prefix, int *ports, bool *passed, size_t cap)
{
    char *text = NULL;
    assert_int_equal(control(env, "GET", "/_sandbox/faults/log", NULL, &text), 200);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    size_t n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(doc, "events"))
    {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(ev, "path");
        const cJSON *port = cJSON_GetObjectItemCaseSensitive(ev, "port");
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(ev, "action");
        if (n < cap && cJSON_IsString(path) && strncmp(path->valuestring, prefix, strlen(prefix)) == 0) {
            ports[n] = port ? port->valueint : -1;
            passed[n] = cJSON_IsString(action) && strcmp(action->valuestring, "pass") == 0;
            n++;
        }
    }
    cJSON_Delete(doc);
    return n;
}

/* ---- fixture: one client per test, rules and log cleared before and after ---- */

typedef struct {
    sandbox_env *env;
    ably_rest *rest;
    ably_rest_channel *channel;
    char channel_path[160];
} fixture;

static sandbox_env *g_env;

static ably_rest *make_client(int64_t request_timeout_ms, int64_t retry_timeout_ms, bool idempotent)
{
    static const char *const fallbacks[] = { "fallback-0" FALLBACK_SUFFIX, "fallback-1" FALLBACK_SUFFIX };
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(g_env, 0)->key_str;
    o.endpoint = g_env->host;
    o.port = g_env->port;
    o.tls = false;
    o.fallback_hosts = fallbacks;
    o.fallback_hosts_count = 2;
    o.http_request_timeout_ms = request_timeout_ms;
    o.fallback_retry_timeout_ms = retry_timeout_ms;
    o.idempotent_rest_publishing = idempotent;
    o.http_transport = &mapped_transport;
    o.log_level = ABLY_LOG_NONE;
    ably_rest *rest = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    return rest;
}

static int fixture_setup(void **state)
{
    if (!g_env)
        return 0;
    fixture *f = calloc(1, sizeof *f);
    f->env = g_env;
    control(g_env, "DELETE", "/_sandbox/faults", NULL, NULL);
    f->rest = make_client(1000, 10 * 60 * 1000, false);
    static unsigned counter;
    char name[96];
    snprintf(name, sizeof name, "fallback-%ld-%u", (long)time(NULL), ++counter);
    snprintf(f->channel_path, sizeof f->channel_path, "/channels/%s", name);
    ably_error err = {0};
    assert_int_equal(ably_rest_channels_get(f->rest, name, NULL, &f->channel, &err), 0);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    control(f->env, "DELETE", "/_sandbox/faults", NULL, NULL);
    ably_rest_destroy(f->rest);
    free(f);
    return 0;
}

static fixture *get_fixture(void **state)
{
    if (!g_env)
        skip(); /* fault rules exist only on the local sandbox */
    return *state;
}

/* history() on the fixture channel; returns 0 or the error code. */
static int64_t request_history(fixture *f, ably_error *err)
{
    ably_paginated_result *page = NULL;
    ably_error_clear(err);
    int rc = ably_rest_channel_history(f->channel, NULL, &page, err);
    ably_paginated_result_free(page);
    if (rc == 0) /* a failed attempt before a good fallback may have left a message */
        ably_error_clear(err);
    return rc == 0 ? 0 : (err->code ? err->code : -1);
}

/* The request went to the main port (faulted), then to one extra port (passed).
 * `main_tries` > 1 when libcurl itself retried a connection that died on reuse. */
static void assert_fell_back(fixture *f, size_t main_tries)
{
    int ports[8];
    bool passed[8];
    size_t n = logged_ports(f->env, f->channel_path, ports, passed, 8);
    assert_true(n >= 2 && n <= main_tries + 1);
    for (size_t i = 0; i + 1 < n; i++) {
        assert_int_equal(ports[i], f->env->port);
        assert_false(passed[i]);
    }
    assert_true(ports[n - 1] == f->env->extra_ports[0] || ports[n - 1] == f->env->extra_ports[1]);
    assert_true(passed[n - 1]);
}

static void assert_fell_back_once(fixture *f)
{
    assert_fell_back(f, 1);
}

static void falls_back_on_5xx(void **state)
{
    fixture *f = get_fixture(state);
    add_fault(f->env, "\"action\":\"500\"");
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 0);
    assert_fell_back_once(f);
}

static void falls_back_on_timeout(void **state)
{
    fixture *f = get_fixture(state);
    add_fault(f->env, "\"action\":\"hang\",\"hang_ms\":3000");
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 0);
    assert_fell_back_once(f);
}

static void falls_back_on_cloudfront_error(void **state)
{
    fixture *f = get_fixture(state);
    add_fault(f->env, "\"action\":\"cloudfront\",\"status\":403");
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 0);
    assert_fell_back_once(f);
}

static void falls_back_on_dropped_connection(void **state)
{
    fixture *f = get_fixture(state);
    add_fault(f->env, "\"action\":\"close\"");
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 0);
    assert_fell_back(f, 2);
}

static void no_fallback_on_4xx(void **state)
{
    fixture *f = get_fixture(state);
    add_fault(f->env, "\"action\":\"status\",\"status\":403");
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 40300);
    assert_int_equal(err.status_code, 403);
    ably_error_clear(&err);
    int ports[8];
    bool passed[8];
    size_t n = logged_ports(f->env, f->channel_path, ports, passed, 8);
    assert_int_equal(n, 1);
    assert_int_equal(ports[0], f->env->port);
}

static void error_surfaces_when_every_host_fails(void **state)
{
    fixture *f = get_fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"action\":\"503\"}"); /* every port */
    assert_int_equal(control(f->env, "POST", "/_sandbox/faults", rule, NULL), 201);
    ably_error err = {0};
    assert_int_equal(request_history(f, &err), 50300);
    assert_int_equal(err.status_code, 503);
    ably_error_clear(&err);
    int ports[8];
    bool passed[8];
    /* The primary and both fallbacks (httpMaxRetryCount 3 allows them all). */
    size_t n = logged_ports(f->env, f->channel_path, ports, passed, 8);
    assert_int_equal(n, 3);
    assert_int_equal(ports[0], f->env->port);
    assert_int_not_equal(ports[1], ports[2]);
}

static void fallback_is_sticky_until_retry_timeout(void **state)
{
    fixture *f = get_fixture(state);
    ably_rest_destroy(f->rest);
    f->rest = make_client(1000, 700, false); /* fallbackRetryTimeout 700 ms */
    ably_error err = {0};
    assert_int_equal(ably_rest_channels_get(f->rest, f->channel_path + strlen("/channels/"), NULL, &f->channel, &err),
                     0);
    add_fault(f->env, "\"action\":\"500\",\"count\":1");
    assert_int_equal(request_history(f, &err), 0);
    assert_fell_back_once(f);
    int ports[8];
    bool passed[8];
    assert_int_equal(logged_ports(f->env, f->channel_path, ports, passed, 8), 2);
    int fallback_port = ports[1];

    /* RSC15f: the working fallback is used first while the timeout lasts. */
    assert_int_equal(request_history(f, &err), 0);
    size_t n = logged_ports(f->env, f->channel_path, ports, passed, 8);
    assert_int_equal(n, 3);
    assert_int_equal(ports[2], fallback_port);

    /* After it, back to the primary. */
    struct timespec ts = { 0, 900 * 1000000L };
    nanosleep(&ts, NULL);
    assert_int_equal(request_history(f, &err), 0);
    n = logged_ports(f->env, f->channel_path, ports, passed, 8);
    assert_int_equal(n, 4);
    assert_int_equal(ports[3], f->env->port);
    assert_true(passed[3]);
}

static void idempotent_publish_retried_once(void **state)
{
    fixture *f = get_fixture(state);
    ably_rest_destroy(f->rest);
    f->rest = make_client(1000, 10 * 60 * 1000, true);
    ably_error err = {0};
    assert_int_equal(ably_rest_channels_get(f->rest, f->channel_path + strlen("/channels/"), NULL, &f->channel, &err),
                     0);
    add_fault(f->env, "\"action\":\"503\",\"method\":\"POST\"");
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "once", 4);
    assert_int_equal(ably_rest_channel_publish(f->channel, "retry", &d, NULL, &err), 0);
    ably_error_clear(&err);
    ably_paginated_result *page = NULL;
    assert_int_equal(ably_rest_channel_history(f->channel, NULL, &page, &err), 0);
    size_t n = 0;
    const ably_message *m = ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 1);
    assert_non_null(m[0].id);
    assert_non_null(strstr(m[0].id, ":0"));
    ably_paginated_result_free(page);
}

static int group_setup(void **state)
{
    (void)state;
    const char *endpoint = getenv("ABLY_TEST_ENDPOINT");
    if (endpoint && *endpoint) {
        fprintf(stderr, "fault tests need the local ably-sandbox; ABLY_TEST_ENDPOINT is set: skipping\n");
        return 0;
    }
    g_env = sandbox_env_setup_extra_ports(SANDBOX_ENV_BIN, SANDBOX_ENV_UPSTREAM, 2);
    g_map.env = g_env;
    return g_env ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = sandbox_env_teardown(g_env);
    g_env = NULL;
    return rc == 0 ? 0 : -1;
}

#define FAULT_TEST(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FAULT_TEST(falls_back_on_5xx, "RSC15l3 RSC15a RSC15m"),
        FAULT_TEST(falls_back_on_timeout, "RSC15l2"),
        FAULT_TEST(falls_back_on_cloudfront_error, "RSC15l4"),
        FAULT_TEST(falls_back_on_dropped_connection, "RSC15l1"),
        FAULT_TEST(no_fallback_on_4xx, "RSC15l"),
        FAULT_TEST(error_surfaces_when_every_host_fails, "RSC15l3 RSC15a"),
        FAULT_TEST(fallback_is_sticky_until_retry_timeout, "RSC15f"),
        FAULT_TEST(idempotent_publish_retried_once, "RSL1k4"),
    };
    return cmocka_run_group_tests_name("fault_rest_fallback", tests, group_setup, group_teardown);
}
