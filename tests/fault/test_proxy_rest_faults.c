/* REST faults through ably-proxy (uts/realtime/integration/proxy/rest_faults.md): a
 * 401 token error is renewed and retried, a 503 with no fallback hosts fails at once,
 * and realtime publish plus REST history pass through the proxy unchanged. */
#include "ably_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_rt.h"

static ably_rest *rest_client(prt_fixture *f, prt_auth *auth, ably_auth_callback cb)
{
    ably_client_options o;
    prt_options(&o, f);
    o.auth_callback = cb;
    o.auth_callback_ctx = auth;
    ably_rest *rest = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    ably_error_clear(&err);
    return rest;
}

static ably_rest_channel *rest_channel(ably_rest *rest, const char *name)
{
    ably_rest_channel *ch = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_rest_channels_get(rest, name, NULL, &ch, &err), 0);
    ably_error_clear(&err);
    return ch;
}

/* http_request events whose path contains "/channels/", and the statuses of the first
 * two http_response events. */
static int channel_requests(proxy_env *px, int statuses[2])
{
    cJSON *log = proxy_env_log(px);
    if (!log)
        return -1;
    int n = 0, responses = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(log, "events"))
    {
        const cJSON *type = cJSON_GetObjectItem(ev, "type");
        if (!cJSON_IsString(type))
            continue;
        const cJSON *path = cJSON_GetObjectItem(ev, "path");
        if (strcmp(type->valuestring, "http_request") == 0 && cJSON_IsString(path) &&
            strstr(path->valuestring, "/channels/"))
            n++;
        const cJSON *status = cJSON_GetObjectItem(ev, "status");
        if (strcmp(type->valuestring, "http_response") == 0 && statuses && responses < 2)
            statuses[responses++] = cJSON_IsNumber(status) ? status->valueint : -1;
    }
    cJSON_Delete(log);
    return n;
}

/* The first request under /channels/ is answered with `status` and an Ably error. */
static void fail_first_channel_request(prt_fixture *f, int status, int code, const char *message)
{
    assert_int_equal(prt_add_rules(f->px,
                                   "[{\"match\":{\"type\":\"http_request\",\"pathContains\":\"/channels/\"},"
                                   "\"action\":{\"type\":\"http_respond\",\"status\":%d,\"body\":{\"error\":"
                                   "{\"code\":%d,\"statusCode\":%d,\"message\":\"%s\"}}},\"times\":1}]",
                                   status, code, status, message),
                     200);
}

/* One publish on a fresh `prefix` channel by a REST client whose tokens come from
 * `auth` (prt_token_callback); publish()'s result, its error in *err. */
static int publish_once(prt_fixture *f, prt_auth *auth, const char *prefix, ably_error *err)
{
    ably_rest *rest = rest_client(f, auth, prt_token_callback);
    char *name = prt_unique(prefix);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "hello", 5);
    int rc = ably_rest_channel_publish(rest_channel(rest, name), "test-event", &d, NULL, err);
    free(name);
    ably_rest_destroy(rest);
    return rc;
}

/* Test 18: a 401 / 40142 on the first channel request; the client renews its token
 * through the authCallback and the retried publish succeeds (RSC10). */
static void token_renewal_on_401(void **state)
{
    prt_fixture *f = *state;
    fail_first_channel_request(f, 401, 40142, "Token expired");
    prt_auth auth;
    prt_auth_init(&auth, f, NULL);
    ably_error err;
    ably_error_init(&err);
    int rc = publish_once(f, &auth, "test-RSC10-token-renewal", &err);
    if (rc != 0)
        fprintf(stderr, "publish: %lld %s\n", (long long)err.code, err.message ? err.message : "");
    assert_int_equal(rc, 0);
    ably_error_clear(&err);

    assert_true(prt_auth_calls(&auth) >= 2);
    int statuses[2] = {0, 0};
    assert_true(channel_requests(f->px, statuses) >= 2);
    assert_int_equal(statuses[0], 401);
    assert_true(statuses[1] == 200 || statuses[1] == 201);
    prt_auth_destroy(&auth);
}

/* Test 19: a 503 with an explicit endpoint host (no fallback hosts, REC2c2): the error
 * comes back at once and only one request was made (RSC15m). */
static void http_503_without_fallback_fails(void **state)
{
    prt_fixture *f = *state;
    fail_first_channel_request(f, 503, 50300, "Service temporarily unavailable");
    prt_auth auth;
    prt_auth_init(&auth, f, NULL);
    ably_error err;
    ably_error_init(&err);
    assert_int_not_equal(publish_once(f, &auth, "test-RSC15m-503-error", &err), 0);
    assert_int_equal(err.code, 50300);
    assert_int_equal(err.status_code, 503);
    ably_error_clear(&err);
    assert_int_equal(channel_requests(f->px, NULL), 1);
    prt_auth_destroy(&auth);
}

/* Test 20: publish on a realtime channel, read it back with REST history, both
 * through the proxy (RTL6). */
static void publish_and_history_through_proxy(void **state)
{
    prt_fixture *f = *state;
    prt_auth rt_auth, rest_auth;
    prt_auth_init(&rest_auth, f, NULL);
    ably_client_options o;
    prt_options(&o, f);
    ably_realtime *rt = prt_jwt_realtime(&o, &rt_auth, f, NULL);
    assert_non_null(rt);
    ably_rest *rest = rest_client(f, &rest_auth, prt_jwt_callback);
    char *name = prt_unique("test-RTL6-publish-history");
    ably_realtime_channel *ch = prt_channel(rt, name);
    ably_rest_channel *rch = rest_channel(rest, name);

    ably_connection_connect(rt);
    assert_true(prt_wait_conn(rt, ABLY_CONN_CONNECTED));
    assert_true(prt_attach(ch));
    assert_true(prt_wait_channel(ch, ABLY_CHANNEL_ATTACHED));
    prt_result pub;
    prt_result_init(&pub);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "hello world", 11);
    ably_realtime_channel_publish(ch, "test-msg", &d, prt_publish_fn, &pub);
    assert_true(prt_result_wait(&pub));
    assert_false(pub.failed);

    bool found = false;
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (!found && prt_now_ms() < end) {
        ably_paginated_result *page = NULL;
        ably_error err;
        ably_error_init(&err);
        if (ably_rest_channel_history(rch, NULL, &page, &err) == 0) {
            size_t n = 0;
            const ably_message *m = ably_paginated_result_messages(page, &n);
            for (size_t i = 0; i < n; i++)
                if (m[i].name && strcmp(m[i].name, "test-msg") == 0) {
                    assert_string_equal(m[i].data.bytes, "hello world");
                    found = true;
                }
        }
        ably_paginated_result_free(page);
        ably_error_clear(&err);
        if (!found)
            usleep(500000);
    }
    assert_true(found);
    assert_true(proxy_env_count(f->px, "ws_connect", NULL, NULL) >= 1);
    assert_true(proxy_env_count(f->px, "http_request", NULL, NULL) >= 1);
    prt_result_destroy(&pub);
    free(name);
    prt_close(rt);
    ably_rest_destroy(rest);
    prt_auth_destroy(&rt_auth);
    prt_auth_destroy(&rest_auth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(token_renewal_on_401, "RSC10"),
        PRT_TEST(http_503_without_fallback_fails, "RSC15m REC2c2"),
        PRT_TEST(publish_and_history_through_proxy, "RTL6"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
