/* PushChannel (RSH7) on a REST channel: the clientId forms, subscribeClient,
 * unsubscribeClient and listSubscriptions. Ports uts/rest/unit/push/push_channels.md
 * on the mock HTTP transport. This client is never a push target (no LocalDevice,
 * RSH8), so the clientId acted for is the client's own (RSA7): the UTS cases'
 * `LocalDevice(clientId: "test-client")` becomes ClientOptions.clientId, and no
 * deviceId is ever sent. */
#include <stdint.h>

#include "test_rest_channel_fixture.h"

/* A JSON client with `client_id` (may be NULL) answering every request with
 * status / json, and its channel "my-channel". */
static fx *fx_push(const char *client_id, int status, const char *json, ably_rest_channel **ch)
{
    fx *f = fx_new();
    f->o.client_id = client_id;
    fx_reply(f, status, json);
    *ch = fx_channel(f, "my-channel");
    return f;
}

/* rest/unit/RSH7b2/subscribe-client-post-0 */
static void subscribe_client_posts_client_id_and_channel(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push("test-client", 200, "{\"channel\":\"my-channel\",\"clientId\":\"test-client\"}", &ch);
    assert_int_equal(ably_rest_channel_push_subscribe_client(ch, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b, "channel"), "my-channel");
    assert_string_equal(jstr(b, "clientId"), "test-client");
    assert_null(cJSON_GetObjectItem(b, "deviceId"));
    cJSON_Delete(b);
    fx_free(f);
}

/* The body follows the client's protocol: msgpack when useBinaryProtocol. */
static void subscribe_client_msgpack_body(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.client_id = "test-client";
    f->o.use_binary_protocol = true;
    fx_reply_msgpack(f, 201, "{\"channel\":\"my-channel\",\"clientId\":\"test-client\"}");
    ably_rest_channel *ch = fx_channel(f, "my-channel");
    assert_int_equal(ably_rest_channel_push_subscribe_client(ch, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/x-msgpack");
    ably_push_channel_subscription sent;
    ably_push_channel_subscription_init(&sent);
    assert_int_equal(ably_push_channel_subscription_from_msgpack(&sent, r->body.data, r->body.len, &f->err), 0);
    assert_string_equal(sent.channel, "my-channel");
    assert_string_equal(sent.client_id, "test-client");
    assert_null(sent.device_id);
    ably_push_channel_subscription_clear(&sent);
    fx_free(f);
}

/* Failing before any request, naming the missing clientId. */
static void assert_needs_client_id(fx *f, int rc)
{
    assert_int_equal(rc, -1);
    assert_true(f->err.code != 0);
    assert_non_null(f->err.message);
    assert_non_null(strstr(f->err.message, "clientId"));
    assert_int_equal(mock_http_count(f->m), 0);
}

/* rest/unit/RSH7b1/subscribe-client-no-clientid-fails-0 */
static void subscribe_client_needs_client_id(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push(NULL, 200, "{}", &ch);
    assert_needs_client_id(f, ably_rest_channel_push_subscribe_client(ch, &f->err));
    fx_free(f);
}

/* rest/unit/RSH7d2/unsubscribe-client-delete-0 */
static void unsubscribe_client_deletes_by_client_id_and_channel(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push("test-client", 204, "", &ch);
    assert_int_equal(ably_rest_channel_push_unsubscribe_client(ch, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "DELETE");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "clientId"), "test-client");
    assert_null(mock_request_query(r, "deviceId"));
    fx_free(f);
}

/* rest/unit/RSH7d1/unsubscribe-client-no-clientid-fails-0 */
static void unsubscribe_client_needs_client_id(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push(NULL, 204, "", &ch);
    assert_needs_client_id(f, ably_rest_channel_push_unsubscribe_client(ch, &f->err));
    fx_free(f);
}

/* rest/unit/RSH7e/list-subscriptions-with-filters-0 (no deviceId: no LocalDevice) */
static void list_subscriptions_with_filters(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push("test-client", 200,
                    "[{\"channel\":\"my-channel\",\"deviceId\":\"test-device-001\"},"
                    "{\"channel\":\"my-channel\",\"clientId\":\"test-client\"}]",
                    &ch);
    ably_string_map params = {0};
    assert_int_equal(ably_string_map_set(&params, "limit", "10"), 0);
    assert_int_equal(ably_rest_channel_push_list_subscriptions(ch, &params, &f->page, &f->err), 0);
    ably_string_map_clear(&params);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "clientId"), "test-client");
    assert_string_equal(mock_request_query(r, "concatFilters"), "true");
    assert_string_equal(mock_request_query(r, "limit"), "10");
    size_t n = 0;
    const ably_push_channel_subscription *s = ably_paginated_result_push_subscriptions(f->page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].channel, "my-channel");
    assert_string_equal(s[0].device_id, "test-device-001");
    assert_string_equal(s[1].client_id, "test-client");
    fx_free(f);
}

/* rest/unit/RSH7e/list-subscriptions-omits-clientid-1; the channel and
 * concatFilters replace same-named caller params. */
static void list_subscriptions_without_client_id(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push(NULL, 200, "[{\"channel\":\"my-channel\",\"deviceId\":\"test-device-001\"}]", &ch);
    ably_string_map params = {0};
    assert_int_equal(ably_string_map_set(&params, "channel", "other"), 0);
    assert_int_equal(ably_string_map_set(&params, "concatFilters", "false"), 0);
    assert_int_equal(ably_rest_channel_push_list_subscriptions(ch, &params, &f->page, &f->err), 0);
    ably_string_map_clear(&params);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "concatFilters"), "true");
    assert_null(mock_request_query(r, "clientId"));
    size_t n = 0;
    ably_paginated_result_push_subscriptions(f->page, &n);
    assert_int_equal(n, 1);
    ably_paginated_result_free(f->page);
    f->page = NULL;

    /* no params at all */
    assert_int_equal(ably_rest_channel_push_list_subscriptions(ch, NULL, &f->page, &f->err), 0);
    r = fx_req(f, 1);
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "concatFilters"), "true");
    fx_free(f);
}

/* The clientId may come from the token in use (RSA7); a wildcard token ("*") names
 * nobody, so subscribeClient fails as without a clientId. */
static void client_id_from_the_token(void **state)
{
    (void)state;
    static const char *const ids[] = {"token-client", "*"};
    for (size_t i = 0; i < 2; i++) {
        fx *f = fx_new();
        f->o.key = NULL;
        ably_token_details td;
        ably_token_details_init(&td);
        td.token = "a.token";
        td.expires = 1700000000000LL + 3600000;
        td.has_expires = true;
        td.client_id = (char *)(uintptr_t)ids[i];
        f->o.token_details = &td;
        fx_reply(f, 201, "{}");
        ably_rest_channel *ch = fx_channel(f, "my-channel");
        int rc = ably_rest_channel_push_subscribe_client(ch, &f->err);
        if (i == 0) {
            assert_int_equal(rc, 0);
            cJSON *b = fx_body(f, 0);
            assert_string_equal(jstr(b, "clientId"), "token-client");
            cJSON_Delete(b);
        } else {
            assert_needs_client_id(f, rc);
        }
        fx_free(f);
    }
}

/* An error from Ably comes back as the call's error. */
static void server_error_propagates(void **state)
{
    (void)state;
    ably_rest_channel *ch;
    fx *f = fx_push("test-client", 401, "{\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"}}", &ch);
    assert_int_equal(ably_rest_channel_push_subscribe_client(ch, &f->err), -1);
    assert_int_equal(f->err.code, 40160);
    assert_int_equal(f->err.status_code, 401);
    ably_error_clear(&f->err);
    assert_int_equal(ably_rest_channel_push_unsubscribe_client(ch, &f->err), -1);
    assert_int_equal(f->err.code, 40160);
    ably_error_clear(&f->err);
    assert_int_equal(ably_rest_channel_push_list_subscriptions(ch, NULL, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 40160);
    assert_null(f->page);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(subscribe_client_posts_client_id_and_channel, "RSH7b RSH7b2"),
        ABLY_TEST(subscribe_client_msgpack_body, "RSH7b2"),
        ABLY_TEST(subscribe_client_needs_client_id, "RSH7b1"),
        ABLY_TEST(unsubscribe_client_deletes_by_client_id_and_channel, "RSH7d RSH7d2"),
        ABLY_TEST(unsubscribe_client_needs_client_id, "RSH7d1"),
        ABLY_TEST(list_subscriptions_with_filters, "RSH7e"),
        ABLY_TEST(list_subscriptions_without_client_id, "RSH7e"),
        ABLY_TEST(client_id_from_the_token, "RSH7b RSH7b1 RSH7b2"),
        ABLY_TEST(server_error_propagates, "RSH7b RSH7d RSH7e"),
    };
    return cmocka_run_group_tests_name("rest_push_channel", tests, NULL, NULL);
}
