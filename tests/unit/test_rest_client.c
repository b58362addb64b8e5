/* REST client basics on the mock transport. Ports uts/rest/unit/rest_client.md,
 * request_endpoint.md, logging.md and types/options_types.md. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"
#include "rest/auth_internal.h"
#include "rest/rest_internal.h"

#define KEY "appId.keyId:keySecret"

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

static bool matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static int64_t time_ok(fx *f)
{
    int64_t t = 0;
    if (ably_rest_time(f->rest, &t, &f->err) != 0)
        fail_msg("time failed: %s", f->err.message ? f->err.message : "?");
    return t;
}

/* rest/unit/RSC5/auth-attribute-accessible-0 */
static void auth_attribute_accessible(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    assert_non_null(ably_rest_auth(f->rest));
    assert_ptr_equal(ably_rest_auth(f->rest), ably_rest_auth_state(f->rest));
    fx_free(f);
}

/* rest/unit/RSC7e/ably-version-header-0 */
static void ably_version_header(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    fx_create(f);
    time_ok(f);
    const char *v = mock_request_header(mock_http_request(f->m, 0), "X-Ably-Version");
    assert_non_null(v);
    assert_true(matches(v, "^[0-9.]+$"));
    fx_free(f);
}

/* rest/unit/RSC7d/ably-agent-header-format-0 */
static void ably_agent_header(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    ably_string_map agents = {0};
    ably_string_map_set(&agents, "wrapper-sdk", "1.2.3");
    f->o.agents = &agents;
    fx_create(f);
    ably_string_map_clear(&agents); /* the client copied it */
    time_ok(f);
    const char *agent = mock_request_header(mock_http_request(f->m, 0), "Ably-Agent");
    assert_non_null(agent);
    assert_true(matches(agent, "^ably-[a-z]+/[0-9]+\\.[0-9]+\\.[0-9]+( [^ /]+(/[^ ]+)?)*$"));
    assert_non_null(strstr(agent, " wrapper-sdk/1.2.3")); /* RSC7d6a */
    fx_free(f);
}

/* rest/unit/RSC7c/request-id-included-0 */
static void request_id_included(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    f->o.add_request_ids = true;
    fx_create(f);
    time_ok(f);
    time_ok(f);
    const char *id1 = mock_request_query(mock_http_request(f->m, 0), "request_id");
    const char *id2 = mock_request_query(mock_http_request(f->m, 1), "request_id");
    assert_non_null(id1);
    assert_true(strlen(id1) >= 12);
    assert_true(matches(id1, "^[A-Za-z0-9_-]+$"));
    assert_string_not_equal(id1, id2); /* unique per request */
    fx_free(f);
}

/* Without addRequestIds there is no request_id. */
static void request_id_absent_by_default(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1]");
    fx_create(f);
    time_ok(f);
    assert_null(mock_request_query(mock_http_request(f->m, 0), "request_id"));
    fx_free(f);
}

/* rest/unit/RSC7c/request-id-preserved-fallback-1 */
static void request_id_preserved_on_fallback(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    static const char *const fb[] = {"a.example.com", "b.example.com"};
    f->o.fallback_hosts = fb;
    f->o.fallback_hosts_count = 2;
    f->o.add_request_ids = true;
    fx_create(f);
    time_ok(f);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_request_query(mock_http_request(f->m, 0), "request_id"),
                        mock_request_query(mock_http_request(f->m, 1), "request_id"));
    fx_free(f);
}

/* RSC7c: a failed request's error carries the request id. */
static void request_id_in_error(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 400, "{\"error\":{\"code\":40000,\"statusCode\":400,\"message\":\"bad\"}}");
    f->o.add_request_ids = true;
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_non_null(f->err.request_id);
    assert_string_equal(f->err.request_id, mock_request_query(mock_http_request(f->m, 0), "request_id"));
    fx_free(f);
}

/* rest/unit/RSC8a/protocol-selection-0, RSC8c/accept-content-type-headers-0 (through
 * request() with a body, as channels are not part of the core). */
static void protocol_selection(void **state)
{
    (void)state;
    for (int binary = 0; binary < 2; binary++) {
        fx *f = fx_new();
        mock_http_queue_json(f->m, 201, "{\"serials\":[\"s1\"]}");
        f->o.use_binary_protocol = binary;
        fx_create(f);
        ably_paginated_result *p = NULL;
        assert_int_equal(ably_rest_request(f->rest, "POST", "/channels/test/messages", 0, NULL,
                                           "{\"name\":\"e\",\"data\":\"d\"}", NULL, &p, &f->err), 0);
        const char *want = binary ? "application/x-msgpack" : "application/json";
        const mock_request *r = mock_http_request(f->m, 0);
        assert_string_equal(mock_request_header(r, "Content-Type"), want);
        assert_string_equal(mock_request_header(r, "Accept"), want);
        assert_int_equal(ably_rest_format(f->rest), binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON);
        ably_paginated_result_free(p);
        fx_free(f);
    }
}

/* No body, no Content-Type. */
static void no_content_type_without_body(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1]");
    fx_create(f);
    time_ok(f);
    assert_null(mock_request_header(mock_http_request(f->m, 0), "Content-Type"));
    assert_string_equal(mock_request_header(mock_http_request(f->m, 0), "Accept"), "application/x-msgpack");
    fx_free(f);
}

/* rest/unit/RSC8d/mismatched-response-content-type-0 */
static void mismatched_response_content_type(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_msgpack(f->m, 200, "{\"time\":1234567890000}");
    f->o.use_binary_protocol = false;
    fx_create(f);
    assert_int_equal(time_ok(f), 1234567890000LL);
    fx_free(f);
}

/* rest/unit/RSC8e/unsupported-content-type-0 */
static void unsupported_content_type(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_reply r500 = {.status = 500, .content_type = "text/html", .body = "<html>Server Error</html>"};
    mock_reply r200 = {.status = 200, .content_type = "text/html", .body = "<html>OK</html>"};
    static const char *const none[] = {NULL};
    f->o.fallback_hosts = none;
    f->o.fallback_hosts_set = true;
    mock_http_queue(f->m, &r500);
    mock_http_queue(f->m, &r200);
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.status_code, 500); /* RSC8e1 */
    assert_non_null(strstr(f->err.message, "unsupported content type"));
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.status_code, 400); /* RSC8e2 */
    assert_int_equal(f->err.code, 40013);
    assert_non_null(strstr(f->err.message, "200"));
    fx_free(f);
}

/* rest/unit/RSC8/error-decoded-from-msgpack-0 */
static void error_decoded_from_msgpack(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_msgpack(f->m, 400, "{\"error\":{\"code\":40099,\"statusCode\":400,\"message\":\"Test error\"}}");
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.code, 40099);
    assert_int_equal(f->err.status_code, 400);
    assert_string_equal(f->err.message, "Test error");
    fx_free(f);
}

/* An error with neither body nor headers is synthesised from the status; with only
 * X-Ably-Errorcode headers, those are used. */
static void error_synthesised_or_from_headers(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_reply bare = {.status = 404};
    static const char *const hdrs[] = {"X-Ably-Errorcode", "40140", "X-Ably-Errormessage", "gone", NULL};
    mock_reply headed = {.status = 403, .headers = hdrs};
    mock_http_queue(f->m, &bare);
    mock_http_queue(f->m, &headed);
    fx_create(f);
    int64_t t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.status_code, 404);
    assert_int_equal(f->err.code, 40400);
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.status_code, 403);
    assert_int_equal(f->err.code, 40140);
    assert_string_equal(f->err.message, "gone");
    fx_free(f);
}

/* rest/unit/RSC13/request-timeout-enforced-0 */
static void request_timeout_enforced(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_reply slow = {.status = 200, .body = "{\"time\":1234567890000}", .delay_ms = 5000};
    mock_http_queue(f->m, &slow);
    f->o.http_request_timeout_ms = 1000;
    f->o.fallback_hosts_set = true; /* no fallbacks: one attempt */
    fx_create(f);
    int64_t before = mock_http_now(f->m), t;
    assert_int_equal(ably_rest_time(f->rest, &t, &f->err), -1);
    assert_int_equal(f->err.code, 50003);
    assert_int_equal(mock_http_request(f->m, 0)->request_timeout_ms, 1000);
    assert_int_equal(mock_http_now(f->m) - before, 1000); /* gave up at the timeout */
    fx_free(f);
}

/* rest/unit/RSC17/client-id-from-options-0, RSC17/client-id-matches-auth-1 */
static void client_id_from_options(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.client_id = "explicit-client-id";
    fx_create(f);
    assert_string_equal(ably_auth_client_id(ably_rest_auth(f->rest)), "explicit-client-id");
    assert_string_equal(ably_rest_options(f->rest)->client_id, "explicit-client-id");
    fx_free(f);
}

/* rest/unit/RSC18/tls-controls-protocol-scheme-0 (token auth, as basic auth is refused over HTTP) */
static void tls_controls_scheme(void **state)
{
    (void)state;
    for (int tls = 0; tls < 2; tls++) {
        fx *f = fx_new();
        mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
        f->o.key = NULL;
        f->o.token = "some-token-string";
        f->o.tls = tls;
        fx_create(f);
        time_ok(f);
        const mock_request *r = mock_http_request(f->m, 0);
        assert_string_equal(r->scheme, tls ? "https" : "http");
        assert_int_equal(r->port, tls ? 443 : 80);
        fx_free(f);
    }
}

/* rest/unit/RSC18/basic-auth-over-http-rejected-1 */
static void basic_auth_over_http_rejected(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.tls = false;
    assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
    assert_null(f->rest);
    assert_int_equal(f->err.code, 40103);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* Custom ports appear in the URL and the Host header (TO3k4, TO3k5). */
static void custom_ports(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.endpoint = "localhost";
    f->o.tls_port = 8443;
    fx_create(f);
    time_ok(f);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(r->url, "https://localhost:8443/time");
    assert_string_equal(mock_request_header(r, "Host"), "localhost:8443");
    fx_free(f);
}

/* rest/unit/RSC25/primary-domain-first (request_endpoint.md) */
static void requests_go_to_primary_domain(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1]");
    mock_http_queue_json(f->m, 200, "[2]");
    fx_create(f);
    time_ok(f);
    time_ok(f);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_http_request(f->m, 0)->host, "main.realtime.ably.net");
    assert_string_equal(mock_http_request(f->m, 1)->host, "main.realtime.ably.net");
    fx_free(f);
}

/* ---- options (types/options_types.md) ---- */

/* TO3 defaults */
static void options_defaults(void **state)
{
    (void)state;
    ably_client_options o;
    ably_client_options_init(&o);
    assert_string_equal(o.auth_method, "GET");
    assert_true(o.tls);
    assert_int_equal(o.http_request_timeout_ms, 10000);
    assert_int_equal(o.http_open_timeout_ms, 4000);
    assert_int_equal(o.http_max_retry_count, 3);
    assert_int_equal(o.http_max_retry_duration_ms, 15000);
    assert_int_equal(o.fallback_retry_timeout_ms, 600000);
    assert_true(o.use_binary_protocol);
    assert_true(o.idempotent_rest_publishing);
    assert_false(o.add_request_ids);
    assert_false(o.query_time);
    assert_int_equal(o.max_message_size, 65536);
    assert_int_equal(o.port, 80);
    assert_int_equal(o.tls_port, 443);
    assert_int_equal(o.log_level, ABLY_LOG_WARN);
    assert_null(o.http_transport);
}

/* TO3: the client keeps its own copy of every option (strings, maps, token params). */
static void options_copied(void **state)
{
    (void)state;
    fx *f = fx_new();
    char key[] = KEY, host[] = "custom.ably.example.com", fb1[] = "fallback1.example.com";
    const char *fbs[] = {fb1, "fallback2.example.com"};
    ably_string_map headers = {0}, params = {0};
    ably_string_map_set(&headers, "X-API-Key", "secret");
    ably_string_map_set(&params, "scope", "full");
    ably_token_params tp = {.ttl = 7200000, .has_ttl = true, .client_id = "default-client",
                            .capability = "{\"*\":[\"subscribe\"]}"};
    f->o.key = key;
    f->o.rest_host = host;
    f->o.fallback_hosts = fbs;
    f->o.fallback_hosts_count = 2;
    f->o.auth_headers = &headers;
    f->o.auth_params = &params;
    f->o.auth_method = "POST";
    f->o.default_token_params = &tp;
    fx_create(f);
    memset(key, 'x', sizeof key - 1);
    memset(host, 'x', sizeof host - 1);
    memset(fb1, 'x', sizeof fb1 - 1);
    ably_string_map_clear(&headers);
    ably_string_map_clear(&params);
    const ably_client_options *c = ably_rest_options(f->rest);
    assert_string_equal(c->key, KEY);
    assert_string_equal(c->rest_host, "custom.ably.example.com");
    assert_int_equal(c->fallback_hosts_count, 2);
    assert_string_equal(c->fallback_hosts[0], "fallback1.example.com");
    assert_string_equal(c->fallback_hosts[1], "fallback2.example.com");
    assert_string_equal(ably_string_map_get(c->auth_headers, "X-API-Key"), "secret");
    assert_string_equal(ably_string_map_get(c->auth_params, "scope"), "full");
    assert_string_equal(c->auth_method, "POST");
    assert_ptr_not_equal(c->default_token_params, &tp);
    assert_int_equal(c->default_token_params->ttl, 7200000);
    assert_string_equal(c->default_token_params->client_id, "default-client");
    assert_string_equal(c->default_token_params->capability, "{\"*\":[\"subscribe\"]}");
    fx_free(f);
}

/* TO - conflicting options / RSC1b: no means of authentication */
static void options_rejected(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.endpoint = "test";
    f->o.rest_host = "custom.host.com";
    assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_non_null(strstr(f->err.message, "restHost"));
    assert_non_null(strstr(f->err.message, "endpoint"));

    ably_client_options_init(&f->o);
    mock_http_install(f->m, &f->o);
    assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
    assert_int_equal(f->err.code, 40106);

    f->o.key = KEY;
    f->o.http_request_timeout_ms = -1;
    assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    f->o.http_request_timeout_ms = 1000;
    f->o.auth_method = "PUT";
    assert_int_equal(ably_rest_create(&f->o, &f->rest, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_null(f->rest);
    fx_free(f);
}

/* ---- logging (logging.md) ---- */

typedef struct {
    int count;
    int by_level[ABLY_LOG_VERBOSE + 1];
    bool http_debug_with_context;
    bool any_context;
} log_capture;

static void capture(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    log_capture *c = ctx;
    c->count++;
    c->by_level[level]++;
    if (context->count)
        c->any_context = true;
    if (level == ABLY_LOG_DEBUG && strstr(line, "HTTP request") && ably_string_map_get(context, "method") &&
        ably_string_map_get(context, "host") && ably_string_map_get(context, "path"))
        c->http_debug_with_context = true;
}

static void run_logged_time(ably_log_level level, bool set_level, log_capture *c)
{
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[1704067200000]");
    f->o.log_handler = capture;
    f->o.log_handler_ctx = c;
    if (set_level)
        f->o.log_level = level;
    fx_create(f);
    time_ok(f);
    fx_free(f);
}

/* rest/unit/RSC2/default-log-level-warn-0 */
static void default_log_level_warn(void **state)
{
    (void)state;
    log_capture c = {0};
    run_logged_time(ABLY_LOG_WARN, false, &c);
    assert_int_equal(c.by_level[ABLY_LOG_INFO] + c.by_level[ABLY_LOG_DEBUG] + c.by_level[ABLY_LOG_VERBOSE], 0);
    /* and warnings do get through at the default level */
    log_capture w = {0};
    fx *f = fx_new();
    mock_http_queue_json(f->m, 500, "{\"error\":{\"code\":50000}}");
    mock_http_queue_json(f->m, 200, "[1]");
    f->o.log_handler = capture;
    f->o.log_handler_ctx = &w;
    fx_create(f);
    time_ok(f);
    assert_true(w.by_level[ABLY_LOG_WARN] >= 1);
    fx_free(f);
}

/* rest/unit/TO3b/log-level-changeable-0, RSC3 */
static void log_level_changeable(void **state)
{
    (void)state;
    log_capture c = {0};
    run_logged_time(ABLY_LOG_VERBOSE, true, &c);
    assert_true(c.by_level[ABLY_LOG_INFO] > 0);
    assert_true(c.http_debug_with_context);
}

/* rest/unit/TO3c/custom-handler-structured-events-0, TO3c2/context-contains-expected-keys-0, RSC4 */
static void custom_handler_structured(void **state)
{
    (void)state;
    log_capture c = {0};
    run_logged_time(ABLY_LOG_INFO, true, &c);
    assert_true(c.count > 0);
    assert_true(c.any_context);
    log_capture d = {0};
    run_logged_time(ABLY_LOG_DEBUG, true, &d);
    assert_true(d.http_debug_with_context);
}

/* rest/unit/RSC2b/log-level-none-suppresses-all-0 */
static void log_level_none(void **state)
{
    (void)state;
    log_capture c = {0};
    run_logged_time(ABLY_LOG_NONE, true, &c);
    assert_int_equal(c.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(auth_attribute_accessible, "RSC5"),
        ABLY_TEST(ably_version_header, "RSC7e CSV2c"),
        ABLY_TEST(ably_agent_header, "RSC7d RSC7d1 RSC7d2 RSC7d6a"),
        ABLY_TEST(request_id_included, "RSC7c"),
        ABLY_TEST(request_id_absent_by_default, "RSC7c TO3p"),
        ABLY_TEST(request_id_preserved_on_fallback, "RSC7c RSC15a"),
        ABLY_TEST(request_id_in_error, "RSC7c"),
        ABLY_TEST(protocol_selection, "RSC8a RSC8b RSC8c RSC19c"),
        ABLY_TEST(no_content_type_without_body, "RSC8c"),
        ABLY_TEST(mismatched_response_content_type, "RSC8d"),
        ABLY_TEST(unsupported_content_type, "RSC8e RSC8e1 RSC8e2"),
        ABLY_TEST(error_decoded_from_msgpack, "RSC8"),
        ABLY_TEST(error_synthesised_or_from_headers, "RSC8e1 HP6 HP7"),
        ABLY_TEST(request_timeout_enforced, "RSC13 TO3l4"),
        ABLY_TEST(client_id_from_options, "RSC17"),
        ABLY_TEST(tls_controls_scheme, "RSC18 TO3d"),
        ABLY_TEST(basic_auth_over_http_rejected, "RSC18 RSA1"),
        ABLY_TEST(custom_ports, "TO3k5 RSC15j"),
        ABLY_TEST(requests_go_to_primary_domain, "RSC25"),
        ABLY_TEST(options_defaults, "TO3 TO3d TO3f TO3l3 TO3l4 TO3l5 TO3l6 TO3l10 TO3n TO3p TO3j7 TO3j10 RSC2"),
        ABLY_TEST(options_copied, "TO3 TO3j7 TO3j8 TO3j9 TO3j11 REC2a2"),
        ABLY_TEST(options_rejected, "REC1b1 RSC1b"),
        ABLY_TEST(default_log_level_warn, "RSC2"),
        ABLY_TEST(log_level_changeable, "TO3b RSC3"),
        ABLY_TEST(custom_handler_structured, "TO3c RSC4"),
        ABLY_TEST(log_level_none, "TO3b"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
