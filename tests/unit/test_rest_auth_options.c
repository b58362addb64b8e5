/* AuthOptions (AO2) as given to authorize / requestToken, the X-Ably-ClientId
 * header of Basic auth (RSA7e2) and switching back to Basic auth (AO2j, RSA16d).
 * Ports the cases of uts/rest/unit/auth/{authorize,token_details,client_id}.md and
 * types/options_types.md (AO2) not covered by test_rest_auth.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

#define KEY "appId.keyId:keySecret"
#define KEY_B64 "YXBwSWQua2V5SWQ6a2V5U2VjcmV0"
#define AUTH_HOST "auth.example.com"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    char body[256];
    int tokens;
    int callback_calls;
    char seen_client_id[32];
} fx;

/* Auth URL and requestToken answer a fresh token; everything else {}. */
static void handle(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    (void)index;
    fx *f = ctx;
    reply->status = 200;
    if (strcmp(req->host, AUTH_HOST) == 0 || strstr(req->path, "/requestToken")) {
        snprintf(f->body, sizeof f->body, "{\"token\":\"tok-%d\",\"expires\":%lld}", ++f->tokens,
                 (long long)(mock_http_now(f->m) + 3600000));
        reply->body = f->body;
    } else {
        reply->body = "{}";
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.use_binary_protocol = false;
    mock_http_install(f->m, &f->o);
    mock_http_set_handler(f->m, handle, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
    return 0;
}

static void create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create: %s", f->err.message ? f->err.message : "?");
}

static ably_auth *auth(fx *f) { return ably_rest_auth(f->rest); }

/* One authenticated request; returns the recorded request. */
static const mock_request *api_request(fx *f)
{
    ably_paginated_result *page = NULL;
    if (ably_rest_request(f->rest, "GET", "/channels/test", 0, NULL, NULL, NULL, &page, &f->err) != 0)
        fail_msg("request: %s", f->err.message ? f->err.message : "?");
    ably_paginated_result_free(page);
    return mock_http_request(f->m, mock_http_count(f->m) - 1);
}

static int token_cb(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                    ably_token_request *tr, ably_error *err)
{
    (void)td, (void)tr, (void)err;
    fx *f = ctx;
    snprintf(f->seen_client_id, sizeof f->seen_client_id, "%s", params->client_id ? params->client_id : "");
    char buf[32];
    snprintf(buf, sizeof buf, "cb-token-%d", ++f->callback_calls);
    *token = strdup(buf);
    return 0;
}

static void assert_current_token(fx *f, const char *token)
{
    ably_token_details td;
    ably_token_details_init(&td);
    int rc = ably_auth_get_token_details(auth(f), &td, NULL);
    if (!token) {
        assert_int_equal(rc, 0);
    } else {
        assert_int_equal(rc, 1);
        assert_string_equal(td.token, token);
    }
    ably_token_details_clear(&td);
}

/* ---- RSA7e2 ---- */

/* RSA7e, RSA7e2, TO3a: with Basic auth and a configured clientId every request
 * carries X-Ably-ClientId, the clientId in base64. */
static void basic_auth_sends_client_id_header(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.client_id = "user@example.com";
    create(f);
    const mock_request *r = api_request(f);
    assert_string_equal(mock_request_header(r, "Authorization"), "Basic " KEY_B64);
    assert_string_equal(mock_request_header(r, "X-Ably-ClientId"), "dXNlckBleGFtcGxlLmNvbQ==");
    /* also on a channel operation */
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "c", NULL, &ch, &f->err), 0);
    assert_int_equal(ably_rest_channel_publish(ch, "n", NULL, NULL, &f->err), 0);
    r = mock_http_request(f->m, mock_http_count(f->m) - 1);
    assert_string_equal(r->method, "POST");
    assert_string_equal(mock_request_header(r, "X-Ably-ClientId"), "dXNlckBleGFtcGxlLmNvbQ==");
}

/* RSA7e2: no clientId configured, no header. */
static void basic_auth_without_client_id_has_no_header(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    assert_null(mock_request_header(api_request(f), "X-Ably-ClientId"));
}

/* ---- AO2 ---- */

/* AO1, AO2, AO2b, RSA10h: an authCallback in AuthOptions replaces the configured
 * means; the token params carry the client's clientId (Auth#clientId) by default. */
static void authorize_with_callback_option(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.client_id = "me";
    create(f);
    ably_auth_options ao = {.auth_callback = token_cb, .auth_callback_ctx = f};
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_authorize(auth(f), NULL, &ao, &td, &f->err), 0);
    assert_string_equal(td.token, "cb-token-1");
    ably_token_details_clear(&td);
    assert_int_equal(f->callback_calls, 1);
    assert_string_equal(f->seen_client_id, "me"); /* RSA10h */
    assert_int_equal(f->tokens, 0); /* the key was not used to get a token */
    const mock_request *r = api_request(f);
    assert_string_equal(mock_request_header(r, "Authorization"), "Bearer cb-token-1");
    assert_null(mock_request_header(r, "X-Ably-ClientId")); /* the token carries identity */
}

/* AO2c, AO2d, AO2e, AO2f: authUrl with POST, headers and params from AuthOptions. */
static void request_token_with_auth_url_options(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_string_map headers = {0}, params = {0};
    assert_int_equal(ably_string_map_set(&headers, "X-Custom", "h1"), 0);
    assert_int_equal(ably_string_map_set(&params, "user", "u1"), 0);
    ably_auth_options ao = {.auth_url = "https://" AUTH_HOST "/token",
                            .auth_method = "POST",
                            .auth_headers = &headers,
                            .auth_params = &params};
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(auth(f), NULL, &ao, &td, &f->err), 0);
    assert_string_equal(td.token, "tok-1");
    ably_token_details_clear(&td);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(r->host, AUTH_HOST);
    assert_string_equal(r->path, "/token");
    assert_string_equal(r->method, "POST");
    assert_string_equal(mock_request_header(r, "X-Custom"), "h1");
    assert_null(mock_request_query(r, "user")); /* POST: params go form-encoded in the body */
    assert_non_null(r->body.data);
    assert_non_null(strstr(r->body.data, "user=u1"));
    ably_string_map_clear(&headers);
    ably_string_map_clear(&params);
}

/* AO2d default, AO2f: with GET (the default) the params go in the query. */
static void auth_url_get_is_default(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_string_map params = {0};
    assert_int_equal(ably_string_map_set(&params, "user", "u1"), 0);
    ably_auth_options ao = {.auth_url = "https://" AUTH_HOST "/token", .auth_params = &params};
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(auth(f), NULL, &ao, &td, &f->err), 0);
    ably_token_details_clear(&td);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(mock_request_query(r, "user"), "u1");
    ably_string_map_clear(&params);
}

/* AO2h, AO2i: a token string or TokenDetails in AuthOptions is used as-is. */
static void authorize_with_token_options(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    ably_auth_options by_string = {.token = "given-string"};
    assert_int_equal(ably_auth_authorize(auth(f), NULL, &by_string, NULL, &f->err), 0);
    assert_current_token(f, "given-string");
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Bearer given-string");
    ably_token_details given;
    ably_token_details_init(&given);
    given.token = "given-details";
    given.expires = mock_http_now(f->m) + 60000;
    given.has_expires = true;
    ably_auth_options by_details = {.token_details = &given};
    assert_int_equal(ably_auth_authorize(auth(f), NULL, &by_details, NULL, &f->err), 0);
    assert_current_token(f, "given-details");
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Bearer given-details");
    assert_int_equal(f->tokens, 0);
}

/* AO2j, RSA16d: authorize with useTokenAuth false and a key goes back to Basic
 * auth; Auth#tokenDetails is then null. */
static void authorize_use_token_auth_false_switches_to_basic(void **state)
{
    fx *f = *state;
    f->o.auth_callback = token_cb;
    f->o.auth_callback_ctx = f;
    f->o.client_id = "me";
    create(f);
    assert_int_equal(ably_auth_authorize(auth(f), NULL, NULL, NULL, &f->err), 0);
    assert_current_token(f, "cb-token-1");
    ably_auth_options ao = {.key = KEY, .use_token_auth = false, .has_use_token_auth = true};
    assert_int_equal(ably_auth_authorize(auth(f), NULL, &ao, NULL, &f->err), 0);
    assert_current_token(f, NULL);
    const mock_request *r = api_request(f);
    assert_string_equal(mock_request_header(r, "Authorization"), "Basic " KEY_B64);
    assert_string_equal(mock_request_header(r, "X-Ably-ClientId"), "bWU="); /* RSA7e2 */
    assert_int_equal(f->callback_calls, 1);
    /* and useTokenAuth true goes back to tokens */
    ably_auth_options tok = {.use_token_auth = true, .has_use_token_auth = true};
    assert_int_equal(ably_auth_authorize(auth(f), NULL, &tok, NULL, &f->err), 0);
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Bearer tok-1");
}

/* AO2j, RSA1: nor is Basic auth taken up over plain HTTP to a remote host. */
static void use_token_auth_false_refused_over_plain_http(void **state)
{
    fx *f = *state;
    f->o.auth_callback = token_cb;
    f->o.auth_callback_ctx = f;
    f->o.tls = false;
    create(f);
    ably_auth_options ao = {.key = KEY, .has_use_token_auth = true};
    assert_int_not_equal(ably_auth_authorize(auth(f), NULL, &ao, NULL, &f->err), 0);
    assert_int_equal(f->err.code, 40103);
    assert_int_equal(mock_http_count(f->m), 0);
}

/* AO2j: switching to Basic needs a key: none here, so it fails and the token stays. */
static void use_token_auth_false_without_key_fails(void **state)
{
    fx *f = *state;
    f->o.auth_callback = token_cb;
    f->o.auth_callback_ctx = f;
    create(f);
    assert_int_equal(ably_auth_authorize(auth(f), NULL, NULL, NULL, &f->err), 0);
    ably_auth_options ao = {.has_use_token_auth = true};
    assert_int_not_equal(ably_auth_authorize(auth(f), NULL, &ao, NULL, &f->err), 0);
    assert_int_equal(f->err.code, 40101);
    assert_current_token(f, "cb-token-1");
}

/* RSA8b, RSA8c1, RSA8c3: requestToken sends the TokenParams and the authParams
 * and authHeaders to the authUrl; explicit params override the defaults, and
 * authParams / authHeaders in AuthOptions replace (not merge with) the
 * configured ones. */
static void request_token_params_and_auth_url_options(void **state)
{
    fx *f = *state;
    ably_string_map cfg_params = {0}, cfg_headers = {0}, opt_params = {0};
    assert_int_equal(ably_string_map_set(&cfg_params, "configured", "1"), 0);
    assert_int_equal(ably_string_map_set(&cfg_headers, "X-Configured", "yes"), 0);
    assert_int_equal(ably_string_map_set(&opt_params, "explicit", "2"), 0);
    ably_token_params defaults;
    ably_token_params_init(&defaults);
    defaults.ttl = 1000;
    defaults.has_ttl = true;
    f->o.auth_url = "https://" AUTH_HOST "/token";
    f->o.auth_params = &cfg_params;
    f->o.auth_headers = &cfg_headers;
    f->o.default_token_params = &defaults;
    create(f);

    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(auth(f), NULL, NULL, &td, &f->err), 0);
    ably_token_details_clear(&td);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(mock_request_query(r, "configured"), "1"); /* RSA8c1 */
    assert_string_equal(mock_request_header(r, "X-Configured"), "yes");
    assert_string_equal(mock_request_query(r, "ttl"), "1000");

    ably_token_params explicit_params;
    ably_token_params_init(&explicit_params);
    explicit_params.ttl = 5000;
    explicit_params.has_ttl = true;
    explicit_params.client_id = "someone";
    ably_auth_options ao = {.auth_url = "https://" AUTH_HOST "/token", .auth_params = &opt_params};
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(auth(f), &explicit_params, &ao, &td, &f->err), 0);
    ably_token_details_clear(&td);
    r = mock_http_request(f->m, 1);
    assert_string_equal(mock_request_query(r, "ttl"), "5000"); /* RSA8b */
    assert_string_equal(mock_request_query(r, "clientId"), "someone");
    assert_string_equal(mock_request_query(r, "explicit"), "2"); /* RSA8c3 */
    assert_null(mock_request_query(r, "configured"));
    ably_string_map_clear(&cfg_params);
    ably_string_map_clear(&cfg_headers);
    ably_string_map_clear(&opt_params);
}

static int identified_token_cb(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                               ably_token_request *tr, ably_error *err)
{
    (void)ctx, (void)params, (void)token, (void)tr, (void)err;
    td->token = strdup("id-token");
    td->client_id = strdup("from-token");
    return 0;
}

/* RSA7a, RSA7b: a client is identified (Auth#clientId not null) by the clientId
 * of ClientOptions, or by the clientId of its token once it has one; with
 * neither it is anonymous. */
static void identified_by_options_or_token(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    assert_null(ably_auth_get_client_id(auth(f)));
    ably_rest_destroy(f->rest);
    f->o.client_id = "from-options";
    create(f);
    char *id = ably_auth_get_client_id(auth(f));
    assert_string_equal(id, "from-options");
    free(id);
    ably_rest_destroy(f->rest);
    f->o.key = NULL;
    f->o.client_id = NULL;
    f->o.auth_callback = identified_token_cb;
    create(f);
    assert_null(ably_auth_get_client_id(auth(f))); /* no token yet */
    assert_int_equal(ably_auth_authorize(auth(f), NULL, NULL, NULL, &f->err), 0);
    id = ably_auth_get_client_id(auth(f));
    assert_string_equal(id, "from-token");
    free(id);
}

static void capture_warning(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    fx *f = ctx;
    if (level == ABLY_LOG_WARN && strstr(line, "deprecated"))
        snprintf(f->body, sizeof f->body, "%s", line);
}

/* RSA10l: authorise is an alias of authorize that logs a deprecation warning. */
static void authorise_alias_warns_and_authorizes(void **state)
{
    fx *f = *state;
    f->o.auth_callback = token_cb;
    f->o.auth_callback_ctx = f;
    f->o.log_handler = capture_warning;
    f->o.log_handler_ctx = f;
    create(f);
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_authorise(auth(f), NULL, NULL, &td, &f->err), 0);
    assert_string_equal(td.token, "cb-token-1");
    ably_token_details_clear(&td);
    assert_current_token(f, "cb-token-1");
    assert_non_null(strstr(f->body, "authorise"));
    assert_non_null(strstr(f->body, "v1.0"));
    assert_non_null(strstr(f->body, "authorize"));
}

int main(void)
{
#define T(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(basic_auth_sends_client_id_header, "RSA7e RSA7e2 TO3a"),
        T(basic_auth_without_client_id_has_no_header, "RSA7e2"),
        T(authorize_with_callback_option, "AO1 AO2 AO2b RSA10h"),
        T(request_token_with_auth_url_options, "AO2c AO2d AO2e AO2f"),
        T(auth_url_get_is_default, "AO2d AO2f"),
        T(authorize_with_token_options, "AO2h AO2i"),
        T(authorize_use_token_auth_false_switches_to_basic, "AO2j RSA16d"),
        T(use_token_auth_false_without_key_fails, "AO2j"),
        T(use_token_auth_false_refused_over_plain_http, "AO2j RSA1"),
        T(request_token_params_and_auth_url_options, "RSA8b RSA8c1 RSA8c3"),
        T(authorise_alias_warns_and_authorizes, "RSA10l"),
        T(identified_by_options_or_token, "RSA7a RSA7b"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
