/* ClientOptions (TO3) as seen from the requests a REST client makes. Ports the
 * cases of uts/rest/unit/types/options_types.md not covered by test_defaults.c
 * and test_rest_client.c: each auth option picks its scheme, each endpoint option
 * its hosts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"
#include "mock_ws.h"

#define KEY "appId.keyId:keySecret"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    int primary_failures; /* answer 500 to this many requests to the first host seen */
    char first_host[128];
    char body[256];
    int callback_calls;
} fx;

static void handle(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    fx *f = ctx;
    if (index == 0)
        snprintf(f->first_host, sizeof f->first_host, "%s", req->host);
    if (f->primary_failures > 0 && strcmp(req->host, f->first_host) == 0) {
        f->primary_failures--;
        reply->status = 500;
        reply->body = "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"boom\"}}";
        return;
    }
    reply->status = 200;
    if (strcmp(req->host, "auth.example.com") == 0) {
        snprintf(f->body, sizeof f->body, "{\"token\":\"url-token\",\"expires\":%lld}",
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

/* One authenticated GET /channels/test; the last request made. */
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
    (void)params, (void)td, (void)tr, (void)err;
    fx *f = ctx;
    f->callback_calls++;
    *token = strdup("cb-token");
    return 0;
}

/* ---- auth options (TO3j) ---- */

/* TO1, TO3j, TO3j1: a key alone means Basic auth with that key. */
static void key_option_gives_basic_auth(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    create(f);
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Basic YXBwSWQua2V5SWQ6a2V5U2VjcmV0");
}

/* TO3j3: tokenDetails is used as the bearer token. */
static void token_details_option_is_used(void **state)
{
    fx *f = *state;
    ably_token_details td;
    ably_token_details_init(&td);
    td.token = "given-token";
    td.expires = mock_http_now(f->m) + 3600000;
    td.has_expires = true;
    f->o.token_details = &td;
    create(f);
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Bearer given-token");
    assert_int_equal(mock_http_count(f->m), 1);
}

/* TO3j5: the authCallback is asked for the token. */
static void auth_callback_option_is_called(void **state)
{
    fx *f = *state;
    f->o.auth_callback = token_cb;
    f->o.auth_callback_ctx = f;
    create(f);
    assert_int_equal(f->callback_calls, 0); /* not before it is needed */
    assert_string_equal(mock_request_header(api_request(f), "Authorization"), "Bearer cb-token");
    assert_int_equal(f->callback_calls, 1);
}

/* TO3j6: the authUrl is queried for the token before the request. */
static void auth_url_option_is_queried(void **state)
{
    fx *f = *state;
    f->o.auth_url = "https://auth.example.com/token";
    create(f);
    const mock_request *r = api_request(f);
    assert_string_equal(mock_request_header(r, "Authorization"), "Bearer url-token");
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_http_request(f->m, 0)->host, "auth.example.com");
    assert_string_equal(mock_http_request(f->m, 0)->path, "/token");
}

/* ---- endpoint options (TO3k, REC1, REC2) ---- */

/* TO3k, TO3k8, REC1, REC1b: the endpoint option names the primary domain. */
static void endpoint_option_sets_host(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.endpoint = "nonprod:sandbox";
    create(f);
    assert_string_equal(api_request(f)->host, "sandbox.realtime.ably-nonprod.net");
    ably_rest_destroy(f->rest);
    f->o.endpoint = "custom.example.com";
    create(f);
    assert_string_equal(api_request(f)->host, "custom.example.com");
}

/* TO3k1: the deprecated environment option still picks the host. */
static void environment_option_sets_host(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.environment = "sandbox";
    create(f);
    assert_string_equal(api_request(f)->host, "sandbox.realtime.ably.net");
}

/* TO3k2, TO3k3: the deprecated restHost and realtimeHost options (restHost wins
 * for REST). */
static void rest_and_realtime_host_options(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.realtime_host = "rt.example.com";
    create(f);
    assert_string_equal(api_request(f)->host, "rt.example.com");
    ably_rest_destroy(f->rest);
    f->o.rest_host = "rest.example.com";
    create(f);
    assert_string_equal(api_request(f)->host, "rest.example.com");
}

/* TO3k6, REC2: explicit fallbackHosts are where a failed request goes next. */
static void fallback_hosts_option_used(void **state)
{
    fx *f = *state;
    static const char *const hosts[] = {"fb1.example.com"};
    f->o.key = KEY;
    f->o.fallback_hosts = hosts;
    f->o.fallback_hosts_count = 1;
    f->o.fallback_hosts_set = true;
    f->primary_failures = 1;
    create(f);
    const mock_request *r = api_request(f);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_http_request(f->m, 0)->host, "main.realtime.ably.net");
    assert_string_equal(r->host, "fb1.example.com");
}

/* TO3k7, REC2, REC2c: with restHost the default fallbacks are only used when
 * fallbackHostsUseDefault says so; without any host option they are implicit. */
static void fallback_hosts_use_default_option(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.rest_host = "custom.example.com";
    f->o.fallback_hosts_use_default = true;
    f->primary_failures = 1;
    create(f);
    const mock_request *r = api_request(f);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(mock_http_request(f->m, 0)->host, "custom.example.com");
    assert_non_null(strstr(r->host, ".fallback.ably-realtime.com"));
    assert_int_equal(strncmp(r->host, "main.", 5), 0);

    /* the same restHost without the option: no fallback, the failure is returned */
    ably_rest_destroy(f->rest);
    f->o.fallback_hosts_use_default = false;
    f->primary_failures = 1;
    create(f);
    size_t before = mock_http_count(f->m);
    ably_paginated_result *page = NULL;
    assert_int_equal(ably_rest_request(f->rest, "GET", "/channels/test", 0, NULL, NULL, NULL, &page, &f->err), 0);
    assert_int_equal(ably_paginated_result_status_code(page), 500);
    ably_paginated_result_free(page);
    assert_int_equal(mock_http_count(f->m), before + 1);
}

/* TO3l, TO3l5: HTTP behaviour options change the library's behaviour: with
 * httpMaxRetryCount 1 only one fallback is tried. */
static void http_options_change_behaviour(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.http_max_retry_count = 1;
    f->primary_failures = 100;
    create(f);
    ably_paginated_result *page = NULL;
    (void)ably_rest_request(f->rest, "GET", "/channels/test", 0, NULL, NULL, NULL, &page, &f->err);
    ably_paginated_result_free(page);
    /* primary (index 0 recorded as the failing host) + one fallback */
    assert_int_equal(mock_http_count(f->m), 2);
}

/* TO3l8f, TO3l8: the size checked against maxMessageSize is the sum over all the
 * messages of one publish. */
static void max_message_size_counts_the_whole_publish(void **state)
{
    fx *f = *state;
    f->o.key = KEY;
    f->o.max_message_size = 10;
    create(f);
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "c", NULL, &ch, &f->err), 0);
    ably_message m[2];
    ably_message_init(&m[0]);
    ably_message_init(&m[1]);
    m[0].name = "123456"; /* 6 bytes each: each fits, together they do not */
    m[1].name = "abcdef";
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 1, NULL, NULL, &f->err), 0);
    size_t sent = mock_http_count(f->m);
    assert_int_not_equal(ably_rest_channel_publish_messages(ch, m, 2, NULL, NULL, &f->err), 0);
    assert_int_equal(f->err.code, 40009);
    assert_int_equal(mock_http_count(f->m), sent); /* refused before sending */
}

/* RSC7: requests go over HTTPS, or HTTP when tls is off. */
static void requests_over_https_and_http(void **state)
{
    fx *f = *state;
    f->o.token = "a-token";
    create(f);
    assert_string_equal(api_request(f)->scheme, "https");
    ably_rest_destroy(f->rest);
    f->o.tls = false;
    create(f);
    assert_string_equal(api_request(f)->scheme, "http");
}

/* Is `s` (up to a space or the end) a semantic version "x.y.z" of digits? */
static bool is_semver(const char *s)
{
    int parts = 0;
    while (*s && *s != ' ') {
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        parts++;
        if (*s == '.')
            s++;
        else
            break;
    }
    return parts == 3 && (*s == '\0' || *s == ' ');
}

/* RSC7d4, RSC7d6: the library's own product version in Ably-Agent is a semantic
 * version, and the agents option appends its entries ("name/version", or just the
 * name without a version). */
static void agent_header_versions_and_agents_option(void **state)
{
    fx *f = *state;
    ably_string_map agents = {0};
    assert_int_equal(ably_string_map_set(&agents, "my-wrapper", "1.2.3"), 0);
    assert_int_equal(ably_string_map_set(&agents, "bare", ""), 0);
    f->o.key = KEY;
    f->o.agents = &agents;
    create(f);
    const char *agent = mock_request_header(api_request(f), "Ably-Agent");
    assert_non_null(agent);
    assert_int_equal(strncmp(agent, "ably-c/", 7), 0);
    assert_true(is_semver(agent + 7));
    assert_non_null(strstr(agent, " my-wrapper/1.2.3"));
    const char *bare = strstr(agent, " bare");
    assert_non_null(bare);
    assert_true(bare[5] == '\0' || bare[5] == ' ');
    ably_string_map_clear(&agents);
}

/* TO2: the size limit ClientOptions starts with (TO3l8) is only a stand-in; for a
 * realtime client the limit is what the server sends in CONNECTED
 * (connectionDetails.maxMessageSize), above or below the option's. */
typedef struct {
    int calls;
    int64_t code;
} size_result;

static void on_size_result(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    size_result *r = ctx;
    r->calls++;
    r->code = err ? err->code : 0;
}

static size_result publish_size(mock_rt *t, ably_realtime_channel *ch, size_t len)
{
    static const char bytes[64] = "0123456789012345678901234567890123456789012345678901234567890";
    size_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, bytes, len);
    ably_realtime_channel_publish(ch, NULL, &d, on_size_result, &r);
    mock_ws_pump(t->m, t->rt);
    return r;
}

static void connection_sets_the_size_limit(void **state)
{
    (void)state;
    for (int server_limit = 20; server_limit <= 40; server_limit += 20) {
        mock_rt t;
        mock_rt_init(&t);
        t.o.max_message_size = 30; /* the client's own limit, until CONNECTED says otherwise */
        mock_rt_start(&t, NULL);
        ably_connection_connect(t.rt);
        mock_ws_pump(t.m, t.rt);
        char connected[256];
        snprintf(connected, sizeof connected,
                 "{\"action\":4,\"connectionId\":\"c1\",\"connectionDetails\":{\"connectionKey\":\"k1\","
                 "\"maxIdleInterval\":15000,\"connectionStateTtl\":120000,\"maxMessageSize\":%d}}",
                 server_limit);
        mock_ws_respond_success(t.m, 0, connected);
        mock_ws_pump(t.m, t.rt);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
        ably_realtime_channel *ch = NULL;
        ably_error err = {0};
        assert_int_equal(ably_realtime_channels_get(t.rt, "size", NULL, &ch, &err), 0);
        size_result over = publish_size(&t, ch, (size_t)server_limit + 1);
        assert_int_equal(over.calls, 1);
        assert_int_equal(over.code, 40009);
        size_result within = publish_size(&t, ch, (size_t)server_limit); /* 40 > 30 when the server allows 40 */
        assert_true(within.calls == 0 || within.code != 40009);
        mock_rt_free(&t);
    }
}

int main(void)
{
#define T(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(key_option_gives_basic_auth, "TO1 TO3j TO3j1"),
        T(token_details_option_is_used, "TO3j TO3j3"),
        T(auth_callback_option_is_called, "TO3j TO3j5"),
        T(auth_url_option_is_queried, "TO3j TO3j6"),
        T(endpoint_option_sets_host, "TO3k TO3k8 REC1 REC1b"),
        T(environment_option_sets_host, "TO3k1 REC1c"),
        T(rest_and_realtime_host_options, "TO3k2 TO3k3"),
        T(fallback_hosts_option_used, "TO3k6 REC2"),
        T(fallback_hosts_use_default_option, "TO3k7 REC2 REC2c"),
        T(http_options_change_behaviour, "TO3l TO3l5"),
        T(max_message_size_counts_the_whole_publish, "TO3l8 TO3l8f"),
        T(requests_over_https_and_http, "RSC7"),
        T(agent_header_versions_and_agents_option, "RSC7d4 RSC7d6"),
        ABLY_TEST(connection_sets_the_size_limit, "TO2"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
