/* REST authentication on the mock HTTP transport. Ports of
 * uts/rest/unit/auth/{auth_scheme,auth_callback,client_id,token_details,
 * token_renewal,authorize}.md, plus the thread-safety promises of ably/auth.h.
 *
 * "An API request" below is one authenticated GET /channels/test through the
 * request pipeline (what channel.status() or request() do), so each test sees
 * exactly the requests auth causes around it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"
#include "rest/auth_internal.h"
#include "rest/rest_internal.h"

#define KEY "appId.keyId:keySecret"
#define AUTH_HOST "auth.example.com"

/* ---- the scripted server ---- */

typedef struct {
    int api_failures;        /* the first N API requests fail with api_fail_code */
    int api_fail_code;
    bool api_fail_msgpack;   /* that failure is sent as msgpack */
    int auth_url_status;     /* 0: 200 */
    const char *auth_url_body; /* NULL: TokenDetails "url-token-N" */
    const char *auth_url_type; /* NULL: application/json */
    int request_token_status; /* 0: 200 */
    int tokens_issued;       /* by requestToken and the authUrl */
    int api_seen;
    char body[512];
} server;

static bool is_request_token(const mock_request *r)
{
    return strncmp(r->path, "/keys/", 6) == 0 && strstr(r->path, "/requestToken") != NULL;
}

static void token_json(server *s, mock_http *m, const char *prefix)
{
    s->tokens_issued++;
    snprintf(s->body, sizeof s->body, "{\"token\":\"%s-%d\",\"expires\":%lld,\"keyName\":\"appId.keyId\"}", prefix,
             s->tokens_issued, (long long)(mock_http_now(m) + 3600000));
}

typedef struct {
    server *s;
    mock_http *m;
} handler_ctx;

static void handle(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    (void)index;
    handler_ctx *h = ctx;
    server *s = h->s;
    if (strcmp(req->host, AUTH_HOST) == 0) {
        reply->status = s->auth_url_status ? s->auth_url_status : 200;
        if (s->auth_url_body) {
            reply->body = s->auth_url_body;
        } else {
            token_json(s, h->m, "url-token");
            reply->body = s->body;
        }
        reply->content_type = s->auth_url_type;
    } else if (is_request_token(req)) {
        reply->status = s->request_token_status ? s->request_token_status : 200;
        if (reply->status == 200) {
            token_json(s, h->m, "obtained-token");
            reply->body = s->body;
        } else {
            reply->body = "{\"error\":{\"code\":40100,\"statusCode\":401,\"message\":\"Unauthorized\"}}";
        }
    } else if (strcmp(req->path, "/time") == 0) {
        reply->status = 200;
        reply->body = "[1234567890000]";
    } else if (s->api_seen++ < s->api_failures) {
        reply->status = 401;
        snprintf(s->body, sizeof s->body, "{\"error\":{\"code\":%d,\"statusCode\":401,\"message\":\"Token expired\"}}",
                 s->api_fail_code);
        if (s->api_fail_msgpack) {
            static _Thread_local ably_buf packed; /* must outlive the call; freed at exit by the OS */
            mock_json_to_msgpack(s->body, &packed);
            reply->body = packed.data;
            reply->body_len = packed.len;
            reply->content_type = "application/x-msgpack";
        } else {
            reply->body = s->body;
        }
    } else {
        reply->status = 200;
        reply->body = "{\"channelId\":\"test\",\"status\":{\"isActive\":true}}";
    }
}

/* ---- the authCallback ---- */

typedef struct {
    mock_http *m;
    int calls;
    int fail_from;              /* > 0: calls from this one on fail */
    int64_t expires_in;         /* 0: one hour; < 0: already expired on the first call only */
    const char *client_ids[4];  /* clientId of token N (1-based, index N-1) */
    const char *return_string;  /* return this token string instead */
    bool return_token_request;  /* return a TokenRequest instead */
    ably_token_params seen[4];  /* the params of calls 1..4 */
    ably_rest *rest;            /* when set, the callback calls back into the library */
    char *reentrant_client_id;
} callback_state;

static int auth_cb(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                   ably_token_request *tr, ably_error *err)
{
    callback_state *c = ctx;
    int n = ++c->calls;
    if (n <= 4)
        ably_token_params_copy(&c->seen[n - 1], params, NULL);
    if (c->rest) /* must not deadlock: no lock is held around the callback */
        c->reentrant_client_id = ably_auth_get_client_id(ably_rest_auth(c->rest));
    if (c->fail_from && n >= c->fail_from) {
        ably_error_set(err, 50000, 500, "Authentication server unavailable");
        return -1;
    }
    if (c->return_string) {
        *token = strdup(c->return_string);
        return 0;
    }
    if (c->return_token_request) {
        tr->key_name = strdup("app.key");
        tr->ttl = 3600000;
        tr->has_ttl = true;
        tr->timestamp = mock_http_now(c->m);
        tr->has_timestamp = true;
        tr->nonce = strdup("unique-nonce");
        tr->mac = strdup("computed-mac");
        return 0;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "token-%d", n);
    td->token = strdup(buf);
    td->expires = mock_http_now(c->m) + (c->expires_in < 0 && n == 1 ? -1000 : c->expires_in ? c->expires_in : 3600000);
    td->has_expires = true;
    td->issued = mock_http_now(c->m);
    td->has_issued = true;
    if (n <= 4 && c->client_ids[n - 1])
        td->client_id = strdup(c->client_ids[n - 1]);
    return 0;
}

/* ---- fixture ---- */

typedef struct {
    mock_http *m;
    server s;
    handler_ctx h;
    callback_state cb;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    f->h.s = &f->s;
    f->h.m = f->m;
    f->cb.m = f->m;
    f->s.api_fail_code = 40142;
    ably_client_options_init(&f->o);
    mock_http_install(f->m, &f->o);
    mock_http_set_handler(f->m, handle, &f->h);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    for (int i = 0; i < 4; i++)
        ably_token_params_clear(&f->cb.seen[i]);
    free(f->cb.reentrant_client_id);
    free(f);
    return 0;
}

static void create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static void use_callback(fx *f)
{
    f->o.auth_callback = auth_cb;
    f->o.auth_callback_ctx = &f->cb;
}

static int api_request(fx *f)
{
    ably_rest_call call = {.method = "GET", .path = "/channels/test", .authenticated = true};
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    ably_error_clear(&f->err);
    int rc = ably_rest_perform(f->rest, &call, &reply, &f->err);
    ably_rest_reply_clear(&reply);
    return rc;
}

static void api_ok(fx *f)
{
    if (api_request(f) != 0)
        fail_msg("request failed: %s (%lld)", f->err.message ? f->err.message : "?", (long long)f->err.code);
}

static const mock_request *req(fx *f, size_t i)
{
    assert_true(i < mock_http_count(f->m));
    return mock_http_request(f->m, i);
}

static const char *authz(fx *f, size_t i)
{
    return mock_request_header(req(f, i), "Authorization");
}

static const mock_request *last_req(fx *f)
{
    return req(f, mock_http_count(f->m) - 1);
}

static void authorize_ok(fx *f, const ably_token_params *p, const ably_auth_options *o, ably_token_details *out)
{
    ably_error_clear(&f->err);
    if (ably_auth_authorize(ably_rest_auth(f->rest), p, o, out, &f->err) != 0)
        fail_msg("authorize failed: %s", f->err.message ? f->err.message : "?");
}

static char *current_token(fx *f)
{
    ably_token_details td;
    ably_token_details_init(&td);
    int rc = ably_auth_get_token_details(ably_rest_auth(f->rest), &td, NULL);
    char *t = rc == 1 ? strdup(td.token) : NULL;
    ably_token_details_clear(&td);
    return t;
}

static void assert_current_token(fx *f, const char *want)
{
    char *t = current_token(f);
    if (want) {
        assert_non_null(t);
        assert_string_equal(t, want);
    } else {
        assert_null(t);
    }
    free(t);
}

/* ---- auth_scheme.md ---- */

static void basic_auth_with_key_only(void **state)
{
    fx *f = *state;
    f->o.key = "app123.key456:secretXYZ";
    create(f);
    api_ok(f);
    /* base64("app123.key456:secretXYZ"), standard alphabet */
    assert_string_equal(authz(f, 0), "Basic YXBwMTIzLmtleTQ1NjpzZWNyZXRYWVo=");
    assert_current_token(f, NULL); /* RSA16d */
}

static void explicit_token_and_token_details(void **state)
{
    fx *f = *state;
    f->o.token = "explicit-token-string";
    create(f);
    api_ok(f);
    assert_string_equal(authz(f, 0), "Bearer explicit-token-string");
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    ably_token_details td;
    ably_token_details_init(&td);
    td.token = strdup("token-from-details");
    td.expires = mock_http_now(f->m) + 3600000;
    td.has_expires = true;
    ably_client_options_init(&f->o);
    mock_http_install(f->m, &f->o);
    f->o.token_details = &td;
    f->o.tls = false; /* RSC18, RSA3a: tokens may go over plain HTTP */
    create(f);
    ably_token_details_clear(&td);
    api_ok(f);
    assert_string_equal(authz(f, 1), "Bearer token-from-details");
    assert_string_equal(req(f, 1)->scheme, "http");
}

static void use_token_auth_exchanges_signed_request(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.use_token_auth = true;
    f->o.use_binary_protocol = false;
    create(f);
    api_ok(f);
    assert_int_equal(mock_http_count(f->m), 2);
    const mock_request *tr = req(f, 0);
    assert_string_equal(tr->method, "POST");
    assert_string_equal(tr->path, "/keys/appId.keyId/requestToken");
    assert_null(mock_request_header(tr, "Authorization")); /* the mac is the credential */
    cJSON *body = cJSON_Parse(tr->body.data);
    assert_non_null(body);
    assert_string_equal(cJSON_GetObjectItem(body, "keyName")->valuestring, "appId.keyId");
    assert_non_null(cJSON_GetObjectItem(body, "mac"));
    assert_non_null(cJSON_GetObjectItem(body, "nonce"));
    assert_null(cJSON_GetObjectItem(body, "ttl"));
    cJSON_Delete(body);
    assert_string_equal(authz(f, 1), "Bearer obtained-token-1");
}

static void callback_and_url_select_token_auth(void **state)
{
    fx *f = *state;
    f->o.key = KEY; /* RSA1 order: the callback wins over Basic */
    use_callback(f);
    create(f);
    api_ok(f);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_string_equal(authz(f, 0), "Bearer token-1");
    assert_int_equal(f->cb.calls, 1);
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    ably_client_options_init(&f->o);
    mock_http_install(f->m, &f->o);
    f->o.auth_url = "https://" AUTH_HOST "/token";
    create(f);
    api_ok(f);
    assert_string_equal(req(f, 1)->host, AUTH_HOST);
    assert_string_equal(req(f, 1)->path, "/token");
    assert_string_equal(req(f, 1)->method, "GET");
    assert_string_equal(authz(f, 2), "Bearer url-token-1");
}

static void expired_static_token_fails_without_request(void **state)
{
    fx *f = *state;
    ably_token_details td;
    ably_token_details_init(&td);
    td.token = strdup("expired-token");
    td.expires = mock_http_now(f->m) - 1000;
    td.has_expires = true;
    f->o.token_details = &td;
    create(f);
    ably_token_details_clear(&td);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40171);
    assert_int_equal(mock_http_count(f->m), 0);
}

typedef struct {
    int lines_with_40171;
} log_seen;

static void count_40171(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    log_seen *seen = ctx;
    if (level == ABLY_LOG_INFO && strstr(line, "40171") && strstr(line, "help.ably.io/error/40171"))
        seen->lines_with_40171++;
}

static void unrenewable_token_logged_at_creation(void **state)
{
    fx *f = *state;
    log_seen seen = {0};
    f->o.token = "static-token";
    f->o.log_level = ABLY_LOG_INFO;
    f->o.log_handler = count_40171;
    f->o.log_handler_ctx = &seen;
    create(f);
    assert_int_equal(seen.lines_with_40171, 1); /* RSA4a1, with the TI5 URL */
    ably_rest_destroy(f->rest);
    f->rest = NULL;
    use_callback(f); /* renewable: nothing to warn about */
    create(f);
    assert_int_equal(seen.lines_with_40171, 1);
}

/* ---- auth_callback.md ---- */

static void callback_jwt_string_and_token_request(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.return_string = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.test-jwt-payload";
    create(f);
    api_ok(f);
    assert_string_equal(authz(f, 0), "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.test-jwt-payload");
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    f->cb.return_string = NULL;
    f->cb.return_token_request = true;
    create(f);
    api_ok(f);
    assert_int_equal(mock_http_count(f->m), 3);
    assert_string_equal(req(f, 1)->method, "POST");
    assert_string_equal(req(f, 1)->path, "/keys/app.key/requestToken");
    assert_string_equal(authz(f, 2), "Bearer obtained-token-1");
}

static void callback_receives_token_params(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->o.client_id = "library-client-id";
    create(f);
    api_ok(f);
    assert_string_equal(f->cb.seen[0].client_id, "library-client-id"); /* RSA12a, RSA7d */

    ably_token_params p;
    ably_token_params_init(&p);
    p.client_id = strdup("library-client-id");
    p.ttl = 7200000;
    p.has_ttl = true;
    p.capability = strdup("{\"channel1\":[\"publish\"]}");
    authorize_ok(f, &p, NULL, NULL);
    ably_token_params_clear(&p);
    assert_int_equal(f->cb.seen[1].ttl, 7200000);
    assert_string_equal(f->cb.seen[1].capability, "{\"channel1\":[\"publish\"]}");
}

static void callback_error_propagated(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.fail_from = 1;
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40170); /* RSA4e */
    assert_int_equal(f->err.status_code, 401);
    assert_non_null(strstr(f->err.message, "Authentication server unavailable"));
    assert_non_null(f->err.cause);
    assert_int_equal(f->err.cause->code, 50000);
    assert_int_equal(mock_http_count(f->m), 0);
}

static void auth_url_get_with_headers_and_params(void **state)
{
    fx *f = *state;
    ably_string_map headers = {0}, params = {0};
    ably_string_map_set(&headers, "X-Custom-Header", "custom-value");
    ably_string_map_set(&headers, "X-API-Key", "my-api-key");
    ably_string_map_set(&params, "client_id", "my-client");
    ably_string_map_set(&params, "scope", "publish:*");
    ably_string_map_set(&params, "clientId", "overridden");
    f->o.auth_url = "https://" AUTH_HOST "/token?keep=1&scope=old";
    f->o.auth_headers = &headers;
    f->o.auth_params = &params;
    f->o.client_id = "url-client-id";
    create(f);
    ably_string_map_clear(&headers);
    ably_string_map_clear(&params);
    api_ok(f);
    const mock_request *a = req(f, 0);
    assert_string_equal(a->method, "GET");
    assert_string_equal(mock_request_header(a, "X-Custom-Header"), "custom-value");
    assert_string_equal(mock_request_header(a, "X-API-Key"), "my-api-key");
    assert_string_equal(mock_request_query(a, "client_id"), "my-client");
    assert_string_equal(mock_request_query(a, "scope"), "publish:*");       /* RSA8c1c: authParams win */
    assert_string_equal(mock_request_query(a, "keep"), "1");                /* and the URL's own are kept */
    assert_string_equal(mock_request_query(a, "clientId"), "url-client-id"); /* RSA8c2, RSA12b */
    assert_null(strstr(a->url, "scope=old"));
    assert_null(mock_request_header(a, "Authorization"));
}

static void auth_url_post_form_body(void **state)
{
    fx *f = *state;
    ably_string_map params = {0};
    ably_string_map_set(&params, "scope", "publish:*");
    f->o.auth_url = "https://" AUTH_HOST "/token";
    f->o.auth_method = "POST";
    f->o.auth_params = &params;
    f->o.client_id = "c 1";
    create(f);
    ably_string_map_clear(&params);
    api_ok(f);
    const mock_request *a = req(f, 0);
    assert_string_equal(a->method, "POST");
    assert_string_equal(mock_request_header(a, "Content-Type"), "application/x-www-form-urlencoded");
    assert_string_equal(a->body.data, "scope=publish%3A%2A&clientId=c%201");
    assert_string_equal(authz(f, 1), "Bearer url-token-1");
}

static void auth_url_content_types(void **state)
{
    fx *f = *state;
    f->o.auth_url = "https://" AUTH_HOST "/jwt";
    f->s.auth_url_body = "eyJhbGciOiJIUzI1NiJ9.jwt-body.signature\n";
    f->s.auth_url_type = "text/plain; charset=utf-8";
    create(f);
    api_ok(f);
    assert_string_equal(authz(f, 1), "Bearer eyJhbGciOiJIUzI1NiJ9.jwt-body.signature");
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    /* a JSON TokenRequest is exchanged at Ably */
    f->s.auth_url_body = "{\"keyName\":\"app.key\",\"timestamp\":1700000000000,\"nonce\":\"n\",\"mac\":\"m\"}";
    f->s.auth_url_type = "application/json";
    create(f);
    api_ok(f);
    assert_string_equal(req(f, 3)->path, "/keys/app.key/requestToken");
    assert_string_equal(authz(f, 4), "Bearer obtained-token-1");
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    /* RSA4f: anything else is an invalid format */
    f->s.auth_url_type = "text/html";
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40170);
    assert_int_equal(mock_http_count(f->m), 6);
}

static void auth_url_error_propagated(void **state)
{
    fx *f = *state;
    f->o.auth_url = "https://" AUTH_HOST "/token";
    f->s.auth_url_status = 500;
    f->s.auth_url_body = "{\"error\":\"Internal server error\"}";
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40170);
    assert_non_null(strstr(f->err.message, "auth"));
    assert_non_null(f->err.cause);
    assert_int_equal(f->err.cause->status_code, 500);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_string_equal(req(f, 0)->host, AUTH_HOST);
}

/* ---- client_id.md ---- */

static void client_id_follows_tokens(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.client_ids[0] = "client-1";
    f->cb.client_ids[1] = "client-2";
    create(f);
    assert_null(ably_auth_client_id(ably_rest_auth(f->rest))); /* RSA12b: not yet known */
    api_ok(f);
    const char *first = ably_auth_client_id(ably_rest_auth(f->rest));
    assert_string_equal(first, "client-1"); /* RSA7b2 */
    authorize_ok(f, NULL, NULL, NULL);
    char *id = ably_auth_get_client_id(ably_rest_auth(f->rest));
    assert_string_equal(id, "client-2");
    free(id);
    assert_string_equal(first, "client-1"); /* earlier pointers stay valid */
}

static void incompatible_token_client_id_fails(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->o.client_id = "client-a";
    f->cb.client_ids[0] = "client-b";
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40102); /* RSA15c */
    assert_int_equal(mock_http_count(f->m), 0);
    assert_current_token(f, NULL);
}

/* ---- token_details.md ---- */

static void token_details_track_the_token(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.client_ids[0] = "my-client";
    create(f);
    assert_current_token(f, NULL); /* RSA16d: nothing obtained yet */
    api_ok(f);
    api_ok(f);
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_get_token_details(ably_rest_auth(f->rest), &td, NULL), 1);
    assert_string_equal(td.token, "token-1"); /* RSA16a, not re-fetched */
    assert_string_equal(td.client_id, "my-client");
    assert_true(td.has_expires);
    assert_true(td.has_issued);
    ably_token_details_clear(&td);
    assert_int_equal(f->cb.calls, 1);

    /* RSA16c: replaced by a library-initiated renewal on expiry */
    mock_http_advance(f->m, 3600000 + 1);
    api_ok(f);
    assert_current_token(f, "token-2");
    assert_string_equal(authz(f, 2), "Bearer token-2");
}

static void token_details_null_after_failed_renewal(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.fail_from = 2;
    f->s.api_failures = 100;
    create(f);
    authorize_ok(f, NULL, NULL, NULL);
    assert_current_token(f, "token-1");
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40170);
    assert_current_token(f, NULL); /* RSA16d */
}

static void request_token_does_not_change_state(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(ably_rest_auth(f->rest), NULL, NULL, &td, &f->err), 0);
    assert_string_equal(td.token, "obtained-token-1"); /* RSA8a */
    ably_token_details_clear(&td);
    assert_current_token(f, NULL);
    api_ok(f);
    assert_string_equal(authz(f, 1), "Basic YXBwSWQua2V5SWQ6a2V5U2VjcmV0");
}

/* ---- token_renewal.md ---- */

static void renews_once_on_token_error(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->s.api_failures = 1;
    create(f);
    api_ok(f);
    assert_int_equal(f->cb.calls, 2);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(authz(f, 0), "Bearer token-1");
    assert_string_equal(authz(f, 1), "Bearer token-2");
    assert_current_token(f, "token-2"); /* RSA16c */
}

static void renews_on_40140_and_msgpack_errors(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->s.api_failures = 1;
    f->s.api_fail_code = 40140;
    create(f);
    api_ok(f);
    assert_int_equal(f->cb.calls, 2);
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    f->s.api_seen = 0;
    f->s.api_fail_code = 40142;
    f->s.api_fail_msgpack = true;
    f->cb.calls = 0;
    create(f);
    api_ok(f);
    assert_int_equal(f->cb.calls, 2);
    assert_int_equal(mock_http_count(f->m), 4);
}

static void renews_expired_token_before_sending(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->cb.expires_in = -1; /* the first token is already expired */
    create(f);
    authorize_ok(f, NULL, NULL, NULL);
    api_ok(f);
    assert_int_equal(f->cb.calls, 2);
    assert_int_equal(mock_http_count(f->m), 1); /* no doomed request */
    assert_string_equal(authz(f, 0), "Bearer token-2");
}

static void no_renewal_without_means(void **state)
{
    fx *f = *state;
    f->o.token = "static-token";
    f->s.api_failures = 100;
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40171); /* RSA4a2 */
    assert_non_null(f->err.cause);
    assert_int_equal(f->err.cause->code, 40142);
    assert_int_equal(mock_http_count(f->m), 1);
}

static void renewal_via_auth_url(void **state)
{
    fx *f = *state;
    f->o.auth_url = "https://" AUTH_HOST "/auth";
    f->s.api_failures = 1;
    create(f);
    api_ok(f);
    assert_int_equal(mock_http_count(f->m), 4);
    assert_string_equal(req(f, 0)->host, AUTH_HOST);
    assert_string_equal(req(f, 2)->host, AUTH_HOST);
    assert_string_equal(authz(f, 3), "Bearer url-token-2");
}

static void renewal_is_not_repeated(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->s.api_failures = 100;
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40142);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_int_equal(f->cb.calls, 2);
}

static void non_token_401_is_not_renewed(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->s.api_failures = 100;
    f->s.api_fail_code = 40100;
    create(f);
    assert_int_equal(api_request(f), -1);
    assert_int_equal(f->err.code, 40100);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_int_equal(f->cb.calls, 1);
}

/* ---- authorize.md ---- */

static void authorize_with_key_switches_to_token(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_token_details td;
    ably_token_details_init(&td);
    authorize_ok(f, NULL, NULL, &td);
    assert_string_equal(td.token, "obtained-token-1"); /* RSA10f */
    ably_token_details_clear(&td);
    assert_current_token(f, "obtained-token-1");
    api_ok(f);
    assert_string_equal(mock_request_header(last_req(f), "Authorization"), "Bearer obtained-token-1");
}

static void authorize_stores_params(void **state)
{
    fx *f = *state;
    use_callback(f);
    f->o.client_id = "default-client";
    create(f);
    ably_token_params p;
    ably_token_params_init(&p);
    p.client_id = strdup("override-client");
    p.ttl = 7200000;
    p.has_ttl = true;
    p.timestamp = 1;
    p.has_timestamp = true;
    authorize_ok(f, &p, NULL, NULL);
    ably_token_params_clear(&p);
    assert_string_equal(f->cb.seen[0].client_id, "override-client"); /* RSA10b */
    authorize_ok(f, NULL, NULL, NULL);
    assert_int_equal(f->cb.calls, 2); /* RSA10j: always a new token */
    assert_string_equal(f->cb.seen[1].client_id, "override-client"); /* RSA10g */
    assert_int_equal(f->cb.seen[1].ttl, 7200000);
    assert_false(f->cb.seen[1].has_timestamp); /* but never the timestamp */
    assert_current_token(f, "token-2");
}

static callback_state second_cb;

static void authorize_replaces_auth_options(void **state)
{
    fx *f = *state;
    use_callback(f);
    create(f);
    memset(&second_cb, 0, sizeof second_cb);
    second_cb.m = f->m;
    second_cb.return_string = "new";
    ably_auth_options ao = {.auth_callback = auth_cb, .auth_callback_ctx = &second_cb};
    authorize_ok(f, NULL, &ao, NULL);
    assert_int_equal(f->cb.calls, 0);
    assert_int_equal(second_cb.calls, 1);
    mock_http_advance(f->m, 1); /* a renewal later uses the stored options too */
    f->s.api_failures = 1;
    api_ok(f);
    assert_int_equal(f->cb.calls, 0);
    assert_int_equal(second_cb.calls, 2);
    for (int i = 0; i < 4; i++)
        ably_token_params_clear(&second_cb.seen[i]);

    /* RSA10e: a token in the options is used as-is */
    ably_auth_options given = {.token = "given-token"};
    authorize_ok(f, NULL, &given, NULL);
    assert_current_token(f, "given-token");
    assert_int_equal(second_cb.calls, 2);
}

static void authorize_keeps_the_key(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_auth_options ao = {.auth_url = "https://" AUTH_HOST "/token"};
    authorize_ok(f, NULL, &ao, NULL);
    assert_string_equal(req(f, 0)->host, AUTH_HOST);
    assert_current_token(f, "url-token-1");
    /* RSA10i: the key survives AuthOptions that do not mention it */
    ably_token_request tr;
    ably_token_request_init(&tr);
    assert_int_equal(ably_auth_create_token_request(ably_rest_auth(f->rest), NULL, NULL, &tr, NULL), 0);
    assert_string_equal(tr.key_name, "appId.keyId");
    ably_token_request_clear(&tr);
}

static void authorize_query_time(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.use_binary_protocol = false;
    create(f);
    ably_auth_options ao = {.query_time = true};
    authorize_ok(f, NULL, &ao, NULL);
    assert_string_equal(req(f, 0)->path, "/time");
    cJSON *body = cJSON_Parse(req(f, 1)->body.data);
    assert_int_equal((int64_t)cJSON_GetObjectItem(body, "timestamp")->valuedouble, 1234567890000LL);
    cJSON_Delete(body);
    /* RSA10k: the offset is kept; later requests do not ask again */
    ably_token_request tr;
    ably_token_request_init(&tr);
    assert_int_equal(ably_auth_create_token_request(ably_rest_auth(f->rest), NULL, NULL, &tr, NULL), 0);
    assert_int_equal(tr.timestamp, 1234567890000LL);
    ably_token_request_clear(&tr);
    assert_int_equal(mock_http_count(f->m), 2);
}

static void authorize_error_propagated(void **state)
{
    fx *f = *state;
    f->o.key = "invalid.key:secret";
    f->s.request_token_status = 401;
    create(f);
    assert_int_equal(ably_auth_authorize(ably_rest_auth(f->rest), NULL, NULL, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40100);
    assert_int_equal(f->err.status_code, 401);
    assert_current_token(f, NULL);
}

/* ---- thread safety (ably/auth.h) ---- */

typedef struct {
    fx *f;
    int rc;
} worker;

static void *run_request(void *arg)
{
    worker *w = arg;
    char *h = NULL;
    ably_error e = {0};
    w->rc = ably_auth_authorization(ably_rest_auth_state(w->f->rest), &h, &e);
    if (w->rc == 0 && strcmp(h, "Bearer token-1") != 0)
        w->rc = -2;
    free(h);
    ably_error_clear(&e);
    return NULL;
}

static void concurrent_requests_share_one_fetch(void **state)
{
    fx *f = *state;
    use_callback(f);
    create(f);
    f->cb.rest = f->rest; /* the callback calls into the library: no deadlock */
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){f, -1};
        pthread_create(&t[i], NULL, run_request, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, 0);
    }
    assert_int_equal(f->cb.calls, 1);
}

#define T(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(basic_auth_with_key_only, "RSA2 RSA11 RSA16d RSC9"),
        T(explicit_token_and_token_details, "RSA3 RSA3b RSA3a RSA4 RSC9 RSA3d"),
        T(use_token_auth_exchanges_signed_request, "RSA4 RSA8a RSA9a RSC9"),
        T(callback_and_url_select_token_auth, "RSA1 RSA4 RSA4g RSA8c RSA8d RSC9"),
        T(expired_static_token_fails_without_request, "RSA4a RSA4a2 RSA4b1"),
        T(unrenewable_token_logged_at_creation, "RSA4a1"),
        T(callback_jwt_string_and_token_request, "RSA8d RSA8g RSA3b RSA3d"),
        T(callback_receives_token_params, "RSA8d RSA7d RSA12a RSA10b"),
        T(callback_error_propagated, "RSA8d RSA4e"),
        T(auth_url_get_with_headers_and_params, "RSA8c RSA8c1a RSA8c1c RSA8c2 RSA12b"),
        T(auth_url_post_form_body, "RSA8c RSA8c1b"),
        T(auth_url_content_types, "RSA8c RSA8g RSA4f"),
        T(auth_url_error_propagated, "RSA8c RSA4e"),
        T(client_id_follows_tokens, "RSA7 RSA7b2 RSA12b"),
        T(incompatible_token_client_id_fails, "RSA15a RSA15c"),
        T(token_details_track_the_token, "RSA16a RSA16c RSA4b1"),
        T(token_details_null_after_failed_renewal, "RSA16d RSA4b"),
        T(request_token_does_not_change_state, "RSA8 RSA8a RSA2"),
        T(renews_once_on_token_error, "RSA4b RSC10 RSA16c"),
        T(renews_on_40140_and_msgpack_errors, "RSA4b RSC10"),
        T(renews_expired_token_before_sending, "RSA4b1"),
        T(no_renewal_without_means, "RSA4a RSA4a2"),
        T(renewal_via_auth_url, "RSA4b RSA8c"),
        T(renewal_is_not_repeated, "RSA4b RSC10"),
        T(non_token_401_is_not_renewed, "RSC10 RSA4b"),
        T(authorize_with_key_switches_to_token, "RSA10 RSA10a RSA10f"),
        T(authorize_stores_params, "RSA10b RSA10g RSA10j TK2d"),
        T(authorize_replaces_auth_options, "RSA10b RSA10e RSA10g"),
        T(authorize_keeps_the_key, "RSA10i RSA10g"),
        T(authorize_query_time, "RSA10k RSA9d AO2g"),
        T(authorize_error_propagated, "RSA10 RSA8a"),
        T(concurrent_requests_share_one_fetch, "RSA4b RSA8d"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
