/* request() and HttpPaginatedResponse on the mock transport. Ports uts/rest/unit/request.md. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

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
    f->o.key = "appId.keyId:keySecret";
    mock_http_install(f->m, &f->o);
    return f;
}

static void fx_create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static void fx_drop_page(fx *f)
{
    ably_paginated_result_free(f->page);
    f->page = NULL;
}

static void fx_free(fx *f)
{
    fx_drop_page(f);
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
}

static void request_ok(fx *f, const char *method, const char *path, int version, const ably_string_map *params,
                       const char *body, const ably_string_map *headers)
{
    fx_drop_page(f);
    if (ably_rest_request(f->rest, method, path, version, params, body, headers, &f->page, &f->err) != 0)
        fail_msg("request failed: %s", f->err.message ? f->err.message : "?");
    assert_non_null(f->page);
}

/* rest/unit/RSC19f/supports-http-methods-0 */
static void supports_http_methods(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    fx *f = fx_new();
    fx_create(f);
    for (size_t i = 0; i < 5; i++) {
        mock_http_queue_json(f->m, 200, "[]");
        bool with_body = i >= 1 && i <= 3;
        request_ok(f, methods[i], "/test", 3, NULL, with_body ? "{}" : NULL, NULL);
        assert_string_equal(mock_http_request(f->m, i)->method, methods[i]);
    }
    fx_drop_page(f);
    assert_int_equal(ably_rest_request(f->rest, "BREW", "/test", 3, NULL, NULL, NULL, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    fx_free(f);
}

/* rest/unit/RSC19f/query-params-passed-1, custom-headers-passed-2 */
static void params_and_headers_passed(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    ably_string_map params = {0}, headers = {0};
    ably_string_map_set(&params, "limit", "10");
    ably_string_map_set(&params, "direction", "back wards&x=y");
    ably_string_map_set(&headers, "X-Custom-Header", "custom-value");
    ably_string_map_set(&headers, "X-Another", "another-value");
    request_ok(f, "GET", "/channels/test/messages", 3, &params, NULL, &headers);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(mock_request_query(r, "limit"), "10");
    assert_string_equal(mock_request_query(r, "direction"), "back wards&x=y"); /* encoded on the way */
    assert_null(mock_request_query(r, "x"));
    assert_string_equal(mock_request_header(r, "X-Custom-Header"), "custom-value");
    assert_string_equal(mock_request_header(r, "X-Another"), "another-value");
    ably_string_map_clear(&params);
    ably_string_map_clear(&headers);
    fx_free(f);
}

/* rest/unit/RSC19f/request-body-sent-3, RSC19c/body-encoded-per-protocol-2 */
static void body_sent_per_protocol(void **state)
{
    (void)state;
    const char *body = "{\"name\":\"event\",\"data\":\"payload\"}";
    for (int binary = 0; binary < 2; binary++) {
        fx *f = fx_new();
        mock_http_queue_json(f->m, 201, "{}");
        f->o.use_binary_protocol = binary;
        fx_create(f);
        request_ok(f, "POST", "/channels/test/messages", 3, NULL, body, NULL);
        const mock_request *r = mock_http_request(f->m, 0);
        if (binary) {
            ably_buf want;
            ably_buf_init(&want);
            assert_int_equal(mock_json_to_msgpack(body, &want), 0);
            assert_int_equal(r->body.len, want.len);
            assert_memory_equal(r->body.data, want.data, want.len);
            assert_true((unsigned char)r->body.data[0] == 0x82); /* a 2-entry msgpack map */
            ably_buf_free(&want);
        } else {
            cJSON *j = cJSON_Parse(r->body.data);
            assert_non_null(j);
            assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "event");
            assert_string_equal(cJSON_GetObjectItem(j, "data")->valuestring, "payload");
            cJSON_Delete(j);
        }
        fx_free(f);
    }
    /* bodies must be a JSON object or array */
    fx *f = fx_new();
    fx_create(f);
    assert_int_equal(ably_rest_request(f->rest, "POST", "/x", 3, NULL, "not json", NULL, &f->page, &f->err), -1);
    assert_int_equal(ably_rest_request(f->rest, "POST", "/x", 3, NULL, "42", NULL, &f->page, &f->err), -1);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* rest/unit/RSC19f1/version-param-sets-header-0 */
static void version_param_sets_header(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    for (int v = 2; v <= 3; v++) {
        mock_http_queue_json(f->m, 200, "[]");
        request_ok(f, "GET", "/test", v, NULL, NULL, NULL);
        char want[4];
        snprintf(want, sizeof want, "%d", v);
        assert_string_equal(mock_request_header(mock_http_request(f->m, (size_t)v - 2), "X-Ably-Version"), want);
    }
    fx_free(f);
}

/* rest/unit/RSC19b/uses-configured-auth-0, RSC19b/cannot-override-auth-1 */
static void uses_configured_auth(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    ably_string_map headers = {0};
    ably_string_map_set(&headers, "authorization", "Bearer malicious-token");
    request_ok(f, "GET", "/test", 3, NULL, NULL, &headers);
    const mock_request *r = mock_http_request(f->m, 0);
    /* base64("appId.keyId:keySecret") */
    assert_string_equal(mock_request_header(r, "Authorization"), "Basic YXBwSWQua2V5SWQ6a2V5U2VjcmV0");
    size_t auth_headers = 0;
    for (size_t i = 0; i < r->headers.count; i++)
        auth_headers += strcasecmp(r->headers.items[i].key, "Authorization") == 0;
    assert_int_equal(auth_headers, 1);
    ably_string_map_clear(&headers);
    fx_free(f);

    f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    f->o.key = NULL;
    f->o.token = "my-token-string";
    fx_create(f);
    request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
    /* RSA3b: the token, optionally base64-encoded (the auth module decides) */
    const char *bearer = mock_request_header(mock_http_request(f->m, 0), "Authorization");
    assert_true(strcmp(bearer, "Bearer my-token-string") == 0 || strcmp(bearer, "Bearer bXktdG9rZW4tc3RyaW5n") == 0);
    fx_free(f);
}

/* rest/unit/RSC19c/protocol-headers-json-0, protocol-headers-msgpack-1 */
static void protocol_headers(void **state)
{
    (void)state;
    for (int binary = 0; binary < 2; binary++) {
        fx *f = fx_new();
        mock_http_queue_json(f->m, 200, "[]");
        f->o.use_binary_protocol = binary;
        fx_create(f);
        request_ok(f, "POST", "/test", 3, NULL, "{\"a\":1}", NULL);
        const char *want = binary ? "application/x-msgpack" : "application/json";
        assert_string_equal(mock_request_header(mock_http_request(f->m, 0), "Accept"), want);
        assert_string_equal(mock_request_header(mock_http_request(f->m, 0), "Content-Type"), want);
        fx_free(f);
    }
}

/* rest/unit/RSC19c/response-decoded-by-content-type-3, RSC19d/response-items-decoded-5 */
static void response_items_decoded(void **state)
{
    (void)state;
    const char *items = "[{\"id\":\"msg1\",\"name\":\"event1\",\"data\":\"data1\"},"
                        "{\"id\":\"msg2\",\"name\":\"event2\",\"data\":\"data2\"}]";
    for (int binary = 0; binary < 2; binary++) {
        fx *f = fx_new();
        if (binary)
            mock_http_queue_msgpack(f->m, 200, items);
        else
            mock_http_queue_json(f->m, 200, items);
        fx_create(f);
        request_ok(f, "GET", "/channels/test/messages", 3, NULL, NULL, NULL);
        size_t n = 0;
        const char *const *json = ably_paginated_result_json_items(f->page, &n);
        assert_int_equal(n, 2);
        assert_null(ably_paginated_result_type(f->page));
        cJSON *a = cJSON_Parse(json[0]), *b = cJSON_Parse(json[1]);
        assert_string_equal(cJSON_GetObjectItem(a, "id")->valuestring, "msg1");
        assert_string_equal(cJSON_GetObjectItem(b, "id")->valuestring, "msg2");
        assert_string_equal(cJSON_GetObjectItem(b, "data")->valuestring, "data2");
        cJSON_Delete(a);
        cJSON_Delete(b);
        fx_free(f);
    }
}

/* rest/unit/RSC19d/response-status-code-0, response-success-indicator-1 */
static void status_and_success(void **state)
{
    (void)state;
    static const int statuses[] = {200, 201, 204, 299, 300, 400, 404, 500};
    fx *f = fx_new();
    f->o.fallback_hosts_set = true; /* so 500 is answered once */
    fx_create(f);
    for (size_t i = 0; i < 8; i++) {
        int s = statuses[i];
        char body[96];
        if (s >= 400)
            snprintf(body, sizeof body, "{\"error\":{\"code\":%d,\"message\":\"Error\"}}", s * 100);
        else
            snprintf(body, sizeof body, "[]");
        mock_http_queue_json(f->m, s, body);
        request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
        assert_int_equal(ably_paginated_result_status_code(f->page), s);
        assert_int_equal(ably_paginated_result_success(f->page), s >= 200 && s < 300);
        if (s >= 400) {
            assert_int_equal(ably_paginated_result_error_code(f->page), s * 100);
            assert_string_equal(ably_paginated_result_error_message(f->page), "Error");
        } else {
            assert_int_equal(ably_paginated_result_error_code(f->page), 0);
            assert_null(ably_paginated_result_error_message(f->page));
        }
    }
    fx_free(f);
}

/* rest/unit/RSC19d/response-error-code-header-2, response-error-message-header-3 */
static void error_from_headers(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const h[] = {"X-Ably-Errorcode", "40101", "X-Ably-Errormessage", "Token expired", NULL};
    mock_reply r = {.status = 401, .body = "{\"error\":{\"code\":40101,\"message\":\"Unauthorized\"}}", .headers = h};
    mock_http_queue(f->m, &r);
    fx_create(f);
    request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
    assert_int_equal(ably_paginated_result_error_code(f->page), 40101);
    assert_string_equal(ably_paginated_result_error_message(f->page), "Token expired");
    assert_false(ably_paginated_result_success(f->page));
    fx_free(f);
}

/* rest/unit/RSC19d/response-headers-accessible-4 */
static void headers_accessible(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const h[] = {"X-Request-Id", "req-123", "X-Custom-Header", "custom-value", NULL};
    mock_reply r = {.status = 200, .body = "[]", .content_type = "application/json", .headers = h};
    mock_http_queue(f->m, &r);
    fx_create(f);
    request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
    const ably_string_map *hdrs = ably_paginated_result_headers(f->page);
    assert_string_equal(ably_string_map_get(hdrs, "content-type"), "application/json");
    assert_string_equal(ably_string_map_get(hdrs, "x-request-id"), "req-123");
    assert_string_equal(ably_string_map_get(hdrs, "x-custom-header"), "custom-value");
    fx_free(f);
}

/* rest/unit/RSC19d/pagination-with-link-headers-6 */
static void pagination(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const link[] = {"Link", "</channels/test/messages?page=2>; rel=\"next\"", NULL};
    mock_reply p1 = {.status = 200, .body = "[{\"id\":\"1\"},{\"id\":\"2\"}]", .headers = link};
    mock_http_queue(f->m, &p1);
    mock_http_queue_json(f->m, 200, "[{\"id\":\"3\"}]");
    fx_create(f);
    ably_string_map headers = {0};
    ably_string_map_set(&headers, "X-Custom", "kept");
    request_ok(f, "GET", "/channels/test/messages", 3, NULL, NULL, &headers);
    ably_string_map_clear(&headers);
    size_t n;
    ably_paginated_result_json_items(f->page, &n);
    assert_int_equal(n, 2);
    assert_true(ably_paginated_result_has_next(f->page));
    ably_paginated_result *next = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), 0);
    const char *const *items = ably_paginated_result_json_items(next, &n);
    assert_int_equal(n, 1);
    assert_string_equal(items[0], "{\"id\":\"3\"}");
    assert_false(ably_paginated_result_has_next(next));
    assert_int_equal(ably_paginated_result_status_code(next), 200); /* HP2: next is an HP too */
    const mock_request *r = mock_http_request(f->m, 1);
    assert_string_equal(r->path, "/channels/test/messages");
    assert_string_equal(mock_request_query(r, "page"), "2");
    assert_string_equal(mock_request_header(r, "X-Ably-Version"), "3"); /* the request's version stays */
    assert_string_equal(mock_request_header(r, "X-Custom"), "kept");
    ably_paginated_result_free(next);
    fx_free(f);
}

/* rest/unit/RSC19d/non-array-response-handling-7, and 204 with no body */
static void non_array_and_empty(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "{\"time\":1234567890000}");
    mock_reply empty = {.status = 204};
    mock_http_queue(f->m, &empty);
    fx_create(f);
    request_ok(f, "GET", "/time", 3, NULL, NULL, NULL);
    size_t n;
    const char *const *items = ably_paginated_result_json_items(f->page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(items[0], "{\"time\":1234567890000}");
    request_ok(f, "DELETE", "/x", 3, NULL, NULL, NULL);
    assert_int_equal(ably_paginated_result_status_code(f->page), 204);
    assert_true(ably_paginated_result_success(f->page));
    ably_paginated_result_json_items(f->page, &n);
    assert_int_equal(n, 0);
    fx_free(f);
}

/* rest/unit/RSC19e/network-error-propagated-0, timeout-error-handling-1 */
static void network_errors(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_failure(f->m, ABLY_HTTP_ERR_REFUSED);
    mock_reply slow = {.status = 200, .body = "[]", .delay_ms = 5000};
    mock_http_queue(f->m, &slow);
    f->o.fallback_hosts_set = true;
    f->o.http_request_timeout_ms = 1000;
    fx_create(f);
    assert_int_equal(ably_rest_request(f->rest, "GET", "/test", 3, NULL, NULL, NULL, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 80000);
    assert_null(f->page);
    assert_int_equal(ably_rest_request(f->rest, "GET", "/test", 3, NULL, NULL, NULL, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 50003);
    fx_free(f);
}

/* rest/unit/RSC19e/http-error-no-fallback-2 */
static void http_error_no_fallback(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const h[] = {"X-Ably-Errorcode", "40000", NULL};
    mock_reply r = {.status = 400, .body = "{\"error\":{\"code\":40000,\"message\":\"Bad request\"}}", .headers = h};
    mock_http_queue(f->m, &r);
    static const char *const fbs[] = {"a.ably-realtime.com", "b.ably-realtime.com"};
    f->o.fallback_hosts = fbs;
    f->o.fallback_hosts_count = 2;
    fx_create(f);
    request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
    assert_int_equal(ably_paginated_result_status_code(f->page), 400);
    assert_false(ably_paginated_result_success(f->page));
    assert_int_equal(ably_paginated_result_error_code(f->page), 40000);
    assert_int_equal(mock_http_count(f->m), 1);
    fx_free(f);
}

/* rest/unit/RSC19e/fallback-on-server-error-3 */
static void fallback_on_server_error(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_reply r = {.status = 500, .body = "Internal Server Error", .content_type = "text/plain"};
    mock_http_queue(f->m, &r);
    mock_http_queue_json(f->m, 200, "[{\"id\":\"1\"}]");
    static const char *const fbs[] = {"fallback.ably-realtime.com"};
    f->o.fallback_hosts = fbs;
    f->o.fallback_hosts_count = 1;
    fx_create(f);
    request_ok(f, "GET", "/test", 3, NULL, NULL, NULL);
    assert_int_equal(ably_paginated_result_status_code(f->page), 200);
    assert_true(ably_paginated_result_success(f->page));
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_http_request(f->m, 1)->host, "fallback.ably-realtime.com");
    fx_free(f);
}

/* rest/unit/RSC19f/path-leading-slash-handling-4 */
static void path_leading_slash(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    static const char *const paths[] = {"/channels/test", "channels/test"};
    for (size_t i = 0; i < 2; i++) {
        mock_http_queue_json(f->m, 200, "[]");
        request_ok(f, "GET", paths[i], 3, NULL, NULL, NULL);
        assert_string_equal(mock_http_request(f->m, i)->path, "/channels/test");
    }
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(supports_http_methods, "RSC19f"),
        ABLY_TEST(params_and_headers_passed, "RSC19f"),
        ABLY_TEST(body_sent_per_protocol, "RSC19f RSC19c"),
        ABLY_TEST(version_param_sets_header, "RSC19f1"),
        ABLY_TEST(uses_configured_auth, "RSC19b"),
        ABLY_TEST(protocol_headers, "RSC19c RSC8c"),
        ABLY_TEST(response_items_decoded, "RSC19c RSC19d HP3"),
        ABLY_TEST(status_and_success, "RSC19d HP4 HP5 HP6 HP7"),
        ABLY_TEST(error_from_headers, "RSC19d HP6 HP7"),
        ABLY_TEST(headers_accessible, "RSC19d HP8"),
        ABLY_TEST(pagination, "RSC19d HP1 HP2"),
        ABLY_TEST(non_array_and_empty, "RSC19d HP3"),
        ABLY_TEST(network_errors, "RSC19e"),
        ABLY_TEST(http_error_no_fallback, "RSC19e HP4 HP5 HP6"),
        ABLY_TEST(fallback_on_server_error, "RSC19e RSC15l3"),
        ABLY_TEST(path_leading_slash, "RSC19f"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
