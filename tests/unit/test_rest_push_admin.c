/* Push admin (RSH1): publish, device registrations, channel subscriptions.
 * Ports uts/rest/unit/push/push_admin_publish.md, push_device_registrations.md and
 * push_channel_subscriptions.md on the mock HTTP transport. */
#include "test_rest_channel_fixture.h"

static const char DEVICE_REPLY[] =
    "{\"id\":\"device-001\",\"clientId\":\"client-abc\",\"formFactor\":\"phone\",\"platform\":\"ios\","
    "\"metadata\":{\"model\":\"iPhone 14\"},"
    "\"push\":{\"recipient\":{\"transportType\":\"apns\",\"deviceToken\":\"token-123\"},\"state\":\"ACTIVE\"}}";

static fx *fx_with(int status, const char *json)
{
    fx *f = fx_new();
    fx_reply(f, status, json);
    fx_create(f);
    return f;
}

static ably_string_map params_of(const char *k1, const char *v1, const char *k2, const char *v2)
{
    ably_string_map m = {0};
    if (k1)
        assert_int_equal(ably_string_map_set(&m, k1, v1), 0);
    if (k2)
        assert_int_equal(ably_string_map_set(&m, k2, v2), 0);
    return m;
}

static void assert_failed_without_request(fx *f, int rc, int code)
{
    assert_int_equal(rc, -1);
    assert_int_equal(f->err.code, code);
    assert_int_equal(f->err.status_code, 400);
    assert_int_equal(mock_http_count(f->m), 0);
}

static void assert_server_error(fx *f, int rc)
{
    assert_int_equal(rc, -1);
    assert_int_equal(f->err.code, 40000);
    assert_int_equal(f->err.status_code, 400);
}

static const char BAD_REQUEST[] = "{\"error\":{\"code\":40000,\"statusCode\":400,\"message\":\"Invalid\"}}";

/* ---- RSH1a ---- */

/* rest/unit/RSH1a/publish-post-push-publish-0 (and RSH1: the admin API is reachable) */
static void publish_posts_recipient_and_payload(void **state)
{
    (void)state;
    fx *f = fx_with(201, "{}");
    assert_int_equal(ably_push_admin_publish(f->rest, "{\"transportType\":\"apns\",\"deviceToken\":\"foo\"}",
                                             "{\"notification\":{\"title\":\"Test\",\"body\":\"Hello\"}}", &f->err),
                     0);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/push/publish");
    cJSON *b = fx_body(f, 0);
    const cJSON *recipient = cJSON_GetObjectItem(b, "recipient");
    assert_string_equal(jstr(recipient, "transportType"), "apns");
    assert_string_equal(jstr(recipient, "deviceToken"), "foo");
    const cJSON *n = cJSON_GetObjectItem(b, "notification");
    assert_string_equal(jstr(n, "title"), "Test");
    assert_string_equal(jstr(n, "body"), "Hello");
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSH1a/publish-clientid-recipient-1, publish-deviceid-recipient-2 */
static void publish_client_and_device_recipients(void **state)
{
    (void)state;
    fx *f = fx_with(201, "{}");
    /* a `recipient` inside the data does not replace the recipient argument */
    assert_int_equal(ably_push_admin_publish(f->rest, "{\"clientId\":\"user-123\"}",
                                             "{\"data\":{\"key\":\"value\"},\"recipient\":{\"clientId\":\"x\"}}",
                                             &f->err),
                     0);
    assert_int_equal(ably_push_admin_publish(f->rest, "{\"deviceId\":\"device-abc\"}",
                                             "{\"notification\":{\"title\":\"Device Push\"}}", &f->err),
                     0);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(cJSON_GetObjectItem(b, "recipient"), "clientId"), "user-123");
    assert_string_equal(jstr(cJSON_GetObjectItem(b, "data"), "key"), "value");
    cJSON_Delete(b);
    b = fx_body(f, 1);
    assert_string_equal(jstr(cJSON_GetObjectItem(b, "recipient"), "deviceId"), "device-abc");
    assert_string_equal(jstr(cJSON_GetObjectItem(b, "notification"), "title"), "Device Push");
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSH1a/rejects-empty-recipient-3, rejects-empty-data-4, rejects-null-recipient-5 */
static void publish_rejects_empty_arguments(void **state)
{
    (void)state;
    fx *f = fx_with(201, "{}");
    const char *note = "{\"notification\":{\"title\":\"Test\"}}";
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, "{}", note, &f->err), 40000);
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, "{\"clientId\":\"user-123\"}", "{}", &f->err),
                                  40000);
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, NULL, note, &f->err), 40000);
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, "{\"clientId\":\"u\"}", NULL, &f->err), 40000);
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, "[1]", note, &f->err), 40000);
    assert_failed_without_request(f, ably_push_admin_publish(f->rest, "{not json", note, &f->err), 40000);
    fx_free(f);
}

/* rest/unit/RSH1a/server-error-propagated-6 */
static void publish_propagates_server_error(void **state)
{
    (void)state;
    fx *f = fx_with(400, BAD_REQUEST);
    assert_server_error(f, ably_push_admin_publish(f->rest, "{\"transportType\":\"invalid\"}",
                                                   "{\"notification\":{\"title\":\"Test\"}}", &f->err));
    fx_free(f);
}

/* The body is msgpack for a binary client. */
static void publish_msgpack_body(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.use_binary_protocol = true;
    fx_create(f);
    assert_int_equal(ably_push_admin_publish(f->rest, "{\"clientId\":\"u\"}", "{\"data\":{\"k\":\"v\"}}", &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/x-msgpack");
    ably_buf expect;
    ably_buf_init(&expect);
    assert_int_equal(mock_json_to_msgpack("{\"recipient\":{\"clientId\":\"u\"},\"data\":{\"k\":\"v\"}}", &expect), 0);
    assert_int_equal(r->body.len, expect.len);
    assert_memory_equal(r->body.data, expect.data, expect.len);
    ably_buf_free(&expect);
    fx_free(f);
}

/* ---- RSH1b ---- */

/* rest/unit/RSH1b1/get-returns-device-details-0 */
static void device_get_decodes_details(void **state)
{
    (void)state;
    fx *f = fx_with(200, DEVICE_REPLY);
    ably_device_details d;
    ably_device_details_init(&d);
    assert_int_equal(ably_push_device_registrations_get(f->rest, "device-001", &d, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/push/deviceRegistrations/device-001");
    assert_string_equal(d.id, "device-001");
    assert_string_equal(d.client_id, "client-abc");
    assert_true(d.has_form_factor);
    assert_int_equal(d.form_factor, ABLY_DEVICE_FORM_FACTOR_PHONE);
    assert_true(d.has_platform);
    assert_int_equal(d.platform, ABLY_DEVICE_PLATFORM_IOS);
    assert_string_equal(ably_string_map_get(&d.metadata, "model"), "iPhone 14");
    assert_non_null(d.push);
    cJSON *recipient = cJSON_Parse(d.push->recipient);
    assert_string_equal(jstr(recipient, "transportType"), "apns");
    cJSON_Delete(recipient);
    assert_true(d.push->has_state);
    assert_int_equal(d.push->state, ABLY_DEVICE_PUSH_STATE_ACTIVE);
    ably_device_details_clear(&d);
    fx_free(f);
}

/* rest/unit/RSH1b1/get-unknown-device-error-1 */
static void device_get_unknown_is_not_found(void **state)
{
    (void)state;
    fx *f = fx_with(404, "{\"error\":{\"code\":40400,\"statusCode\":404,\"message\":\"Device not found\"}}");
    ably_device_details d;
    ably_device_details_init(&d);
    assert_int_equal(ably_push_device_registrations_get(f->rest, "nonexistent-device", &d, &f->err), -1);
    assert_int_equal(f->err.code, 40400);
    assert_int_equal(f->err.status_code, 404);
    assert_null(d.id);
    fx_free(f);
}

/* rest/unit/RSH1b1/get-url-encodes-device-id-2 */
static void device_get_encodes_id(void **state)
{
    (void)state;
    fx *f = fx_with(200, DEVICE_REPLY);
    ably_device_details d;
    ably_device_details_init(&d);
    assert_int_equal(ably_push_device_registrations_get(f->rest, "device/with special:chars", &d, &f->err), 0);
    const char *url = fx_req(f, 0)->url;
    assert_non_null(strstr(url, "/push/deviceRegistrations/device%2Fwith%20special%3Achars"));
    ably_device_details_clear(&d);
    mock_http_reset(f->m);
    assert_failed_without_request(f, ably_push_device_registrations_get(f->rest, "", &d, &f->err), 40000);
    fx_free(f);
}

/* rest/unit/RSH1b2/list-filter-device-id-0, list-filter-client-id-1, list-limit-2 */
static void device_list_with_filters(void **state)
{
    (void)state;
    fx *f = fx_with(200, "[{\"id\":\"device-001\",\"clientId\":\"client-abc\",\"platform\":\"ios\"},"
                         "{\"id\":\"device-002\",\"clientId\":\"client-abc\",\"platform\":\"android\"}]");
    ably_string_map q = params_of("clientId", "client-abc", "limit", "2");
    assert_int_equal(ably_push_device_registrations_list(f->rest, &q, &f->page, &f->err), 0);
    ably_string_map_clear(&q);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/push/deviceRegistrations");
    assert_string_equal(mock_request_query(r, "clientId"), "client-abc");
    assert_string_equal(mock_request_query(r, "limit"), "2");
    size_t n = 0;
    const ably_device_details *items = ably_paginated_result_devices(f->page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].client_id, "client-abc");
    assert_string_equal(items[1].client_id, "client-abc");
    assert_int_equal(items[1].platform, ABLY_DEVICE_PLATFORM_ANDROID);
    assert_null(ably_paginated_result_push_subscriptions(f->page, &n));
    assert_int_equal(n, 0);
    ably_paginated_result_free(f->page);
    f->page = NULL;

    fx_reply(f, 200, "[{\"id\":\"device-001\"}]");
    q = params_of("deviceId", "device-001", NULL, NULL);
    assert_int_equal(ably_push_device_registrations_list(f->rest, &q, &f->page, &f->err), 0);
    ably_string_map_clear(&q);
    assert_string_equal(mock_request_query(fx_req(f, 1), "deviceId"), "device-001");
    items = ably_paginated_result_devices(f->page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, "device-001");
    fx_free(f);
}

/* rest/unit/RSH1b3/save-put-device-details-0 */
static void device_save_puts_details(void **state)
{
    (void)state;
    fx *f = fx_with(200, DEVICE_REPLY);
    ably_device_push_details push;
    ably_device_push_details_init(&push);
    push.recipient = "{\"transportType\":\"apns\",\"deviceToken\":\"token-123\"}";
    ably_device_details dev;
    ably_device_details_init(&dev);
    dev.id = "device-001";
    dev.client_id = "client-abc";
    dev.platform = ABLY_DEVICE_PLATFORM_IOS;
    dev.has_platform = true;
    dev.form_factor = ABLY_DEVICE_FORM_FACTOR_PHONE;
    dev.has_form_factor = true;
    dev.push = &push;
    ably_device_details out;
    ably_device_details_init(&out);
    assert_int_equal(ably_push_device_registrations_save(f->rest, &dev, &out, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "PUT");
    assert_string_equal(r->path, "/push/deviceRegistrations/device-001");
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b, "id"), "device-001");
    assert_string_equal(jstr(b, "clientId"), "client-abc");
    assert_string_equal(jstr(b, "platform"), "ios");
    assert_string_equal(jstr(b, "formFactor"), "phone");
    assert_string_equal(jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "push"), "recipient"), "transportType"),
                        "apns");
    cJSON_Delete(b);
    assert_string_equal(out.id, "device-001");
    assert_true(out.push && out.push->has_state);
    assert_int_equal(out.push->state, ABLY_DEVICE_PUSH_STATE_ACTIVE);
    ably_device_details_clear(&out);

    /* rest/unit/RSH1b3/save-updates-existing-1: a second save with a new token */
    fx_reply(f, 200, "{\"id\":\"device-001\",\"push\":{\"recipient\":{\"transportType\":\"apns\","
                     "\"deviceToken\":\"token-new\"},\"state\":\"ACTIVE\"}}");
    push.recipient = "{\"transportType\":\"apns\",\"deviceToken\":\"token-new\"}";
    assert_int_equal(ably_push_device_registrations_save(f->rest, &dev, &out, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_non_null(strstr(out.push->recipient, "token-new"));
    ably_device_details_clear(&out);

    /* rest/unit/RSH1b3/save-server-error-2 */
    fx_reply(f, 400, BAD_REQUEST);
    assert_server_error(f, ably_push_device_registrations_save(f->rest, &dev, &out, &f->err));
    assert_null(out.id);
    dev.id = NULL;
    assert_int_equal(ably_push_device_registrations_save(f->rest, &dev, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_int_equal(mock_http_count(f->m), 3);
    fx_free(f);
}

/* rest/unit/RSH1b4/remove-delete-device-0, remove-nonexistent-1 */
static void device_remove_deletes(void **state)
{
    (void)state;
    fx *f = fx_with(204, "");
    assert_int_equal(ably_push_device_registrations_remove(f->rest, "device-001", &f->err), 0);
    assert_int_equal(ably_push_device_registrations_remove(f->rest, "nonexistent-device", &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "DELETE");
    assert_string_equal(r->path, "/push/deviceRegistrations/device-001");
    assert_string_equal(fx_req(f, 1)->path, "/push/deviceRegistrations/nonexistent-device");
    fx_free(f);
}

/* rest/unit/RSH1b5/remove-where-client-id-0, remove-where-device-id-1, remove-where-no-match-2 */
static void device_remove_where(void **state)
{
    (void)state;
    fx *f = fx_with(204, "");
    ably_string_map q = params_of("clientId", "client-abc", NULL, NULL);
    assert_int_equal(ably_push_device_registrations_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    q = params_of("deviceId", "device-001", NULL, NULL);
    assert_int_equal(ably_push_device_registrations_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    q = params_of("clientId", "nonexistent-client", NULL, NULL);
    assert_int_equal(ably_push_device_registrations_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "DELETE");
    assert_string_equal(r->path, "/push/deviceRegistrations");
    assert_string_equal(mock_request_query(r, "clientId"), "client-abc");
    assert_string_equal(mock_request_query(fx_req(f, 1), "deviceId"), "device-001");
    assert_null(mock_request_query(fx_req(f, 1), "clientId"));
    /* no filter at all would delete everything: refused locally */
    mock_http_reset(f->m);
    ably_string_map empty = {0};
    assert_failed_without_request(f, ably_push_device_registrations_remove_where(f->rest, &empty, &f->err), 40000);
    fx_free(f);
}

/* ---- RSH1c ---- */

static ably_push_channel_subscription sub_of(const char *channel, const char *device_id, const char *client_id)
{
    ably_push_channel_subscription s;
    ably_push_channel_subscription_init(&s);
    s.channel = (char *)(uintptr_t)channel;
    s.device_id = (char *)(uintptr_t)device_id;
    s.client_id = (char *)(uintptr_t)client_id;
    return s;
}

/* rest/unit/RSH1c1/list-filter-channel-0, list-filter-device-client-1, list-limit-2 */
static void subscriptions_list_with_filters(void **state)
{
    (void)state;
    fx *f = fx_with(200, "[{\"channel\":\"my-channel\",\"deviceId\":\"device-001\"},"
                         "{\"channel\":\"my-channel\",\"clientId\":\"client-abc\"}]");
    ably_string_map q = params_of("channel", "my-channel", NULL, NULL);
    assert_int_equal(ably_push_channel_subscriptions_list(f->rest, &q, &f->page, &f->err), 0);
    ably_string_map_clear(&q);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    size_t n = 0;
    const ably_push_channel_subscription *items = ably_paginated_result_push_subscriptions(f->page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].channel, "my-channel");
    assert_string_equal(items[0].device_id, "device-001");
    assert_string_equal(items[1].client_id, "client-abc");
    ably_paginated_result_free(f->page);
    f->page = NULL;

    fx_reply(f, 200, "[{\"channel\":\"my-channel\",\"deviceId\":\"device-001\"}]");
    q = params_of("deviceId", "device-001", "clientId", "client-abc");
    assert_int_equal(ably_string_map_set(&q, "limit", "5"), 0);
    assert_int_equal(ably_push_channel_subscriptions_list(f->rest, &q, &f->page, &f->err), 0);
    ably_string_map_clear(&q);
    r = fx_req(f, 1);
    assert_string_equal(mock_request_query(r, "deviceId"), "device-001");
    assert_string_equal(mock_request_query(r, "clientId"), "client-abc");
    assert_string_equal(mock_request_query(r, "limit"), "5");
    ably_paginated_result_push_subscriptions(f->page, &n);
    assert_int_equal(n, 1);
    fx_free(f);
}

/* rest/unit/RSH1c2/list-channels-0, list-channels-limit-1 (with a next page) */
static void subscriptions_list_channels(void **state)
{
    (void)state;
    fx *f = fx_with(200, "[\"channel-1\",\"channel-2\",\"channel-3\"]");
    assert_int_equal(ably_push_channel_subscriptions_list_channels(f->rest, NULL, &f->page, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/push/channels");
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(ably_push_channel_names(f->page, &names, &n, &f->err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "channel-1");
    assert_string_equal(names[1], "channel-2");
    assert_string_equal(names[2], "channel-3");
    ably_push_channel_names_free(names, n);
    ably_paginated_result_free(f->page);
    f->page = NULL;

    static const char *const link[] = {"Link", "<./channels?limit=1&cursor=1>; rel=\"next\"", NULL};
    fx_reply(f, 200, "[\"channel-1\"]");
    f->headers = link;
    ably_string_map q = params_of("limit", "1", NULL, NULL);
    assert_int_equal(ably_push_channel_subscriptions_list_channels(f->rest, &q, &f->page, &f->err), 0);
    ably_string_map_clear(&q);
    assert_string_equal(mock_request_query(fx_req(f, 1), "limit"), "1");
    assert_int_equal(ably_push_channel_names(f->page, &names, &n, &f->err), 0);
    assert_int_equal(n, 1);
    ably_push_channel_names_free(names, n);
    assert_true(ably_paginated_result_has_next(f->page));
    ably_paginated_result *next = NULL;
    f->headers = NULL;
    fx_reply(f, 200, "[\"channel-2\"]");
    assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), 0);
    r = fx_req(f, 2);
    assert_string_equal(r->path, "/push/channels");
    assert_string_equal(mock_request_query(r, "cursor"), "1");
    assert_int_equal(ably_push_channel_names(next, &names, &n, &f->err), 0);
    assert_string_equal(names[0], "channel-2");
    ably_push_channel_names_free(names, n);
    assert_true(ably_paginated_result_is_last(next));
    ably_paginated_result_free(next);
    fx_free(f);
}

/* An error reply fails the call, like every typed list. */
static void subscriptions_list_channels_error(void **state)
{
    (void)state;
    fx *f = fx_with(401, "{\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"}}");
    assert_int_equal(ably_push_channel_subscriptions_list_channels(f->rest, NULL, &f->page, &f->err), -1);
    assert_null(f->page);
    assert_int_equal(f->err.code, 40160);
    assert_int_equal(f->err.status_code, 401);
    fx_reply(f, 200, "[1]"); /* not a string */
    assert_int_equal(ably_push_channel_subscriptions_list_channels(f->rest, NULL, &f->page, &f->err), 0);
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(ably_push_channel_names(f->page, &names, &n, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    assert_null(names);
    fx_free(f);
}

/* rest/unit/RSH1c3/save-post-subscription-0, save-updates-existing-1, save-server-error-2 */
static void subscriptions_save(void **state)
{
    (void)state;
    fx *f = fx_with(201, "{\"channel\":\"my-channel\",\"deviceId\":\"device-001\"}");
    ably_push_channel_subscription s = sub_of("my-channel", "device-001", NULL), out;
    ably_push_channel_subscription_init(&out);
    assert_int_equal(ably_push_channel_subscriptions_save(f->rest, &s, &out, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b, "channel"), "my-channel");
    assert_string_equal(jstr(b, "deviceId"), "device-001");
    assert_null(cJSON_GetObjectItem(b, "clientId"));
    cJSON_Delete(b);
    assert_string_equal(out.channel, "my-channel");
    assert_string_equal(out.device_id, "device-001");
    ably_push_channel_subscription_clear(&out);
    assert_int_equal(ably_push_channel_subscriptions_save(f->rest, &s, &out, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_equal(out.channel, "my-channel");
    ably_push_channel_subscription_clear(&out);
    /* an empty reply gives back what was saved */
    fx_reply(f, 201, "");
    assert_int_equal(ably_push_channel_subscriptions_save(f->rest, &s, &out, &f->err), 0);
    assert_string_equal(out.device_id, "device-001");
    ably_push_channel_subscription_clear(&out);
    fx_reply(f, 400, BAD_REQUEST);
    assert_server_error(f, ably_push_channel_subscriptions_save(f->rest, &s, &out, &f->err));
    fx_free(f);
}

/* PCS1: a channel and exactly one of deviceId / clientId, checked before sending. */
static void subscriptions_validated_locally(void **state)
{
    (void)state;
    fx *f = fx_with(201, "{}");
    ably_push_channel_subscription both = sub_of("c", "d", "x"), none = sub_of("c", NULL, NULL),
                                   nochan = sub_of(NULL, "d", NULL);
    assert_failed_without_request(f, ably_push_channel_subscriptions_save(f->rest, &both, NULL, &f->err), 40000);
    assert_failed_without_request(f, ably_push_channel_subscriptions_save(f->rest, &none, NULL, &f->err), 40000);
    assert_failed_without_request(f, ably_push_channel_subscriptions_save(f->rest, &nochan, NULL, &f->err), 40000);
    assert_failed_without_request(f, ably_push_channel_subscriptions_remove(f->rest, &both, &f->err), 40000);
    assert_failed_without_request(f, ably_push_channel_subscriptions_save(f->rest, NULL, NULL, &f->err), 40000);
    fx_free(f);
}

/* rest/unit/RSH1c4/remove-client-id-0, remove-device-id-1, remove-nonexistent-2 */
static void subscriptions_remove(void **state)
{
    (void)state;
    fx *f = fx_with(204, "");
    ably_push_channel_subscription by_client = sub_of("my-channel", NULL, "client-abc"),
                                   by_device = sub_of("my-channel", "device-001", NULL),
                                   missing = sub_of("nonexistent-channel", "nonexistent-device", NULL);
    assert_int_equal(ably_push_channel_subscriptions_remove(f->rest, &by_client, &f->err), 0);
    assert_int_equal(ably_push_channel_subscriptions_remove(f->rest, &by_device, &f->err), 0);
    assert_int_equal(ably_push_channel_subscriptions_remove(f->rest, &missing, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "DELETE");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "clientId"), "client-abc");
    assert_null(mock_request_query(r, "deviceId"));
    r = fx_req(f, 1);
    assert_string_equal(mock_request_query(r, "channel"), "my-channel");
    assert_string_equal(mock_request_query(r, "deviceId"), "device-001");
    assert_null(mock_request_query(r, "clientId"));
    fx_free(f);
}

/* rest/unit/RSH1c5/remove-where-client-id-0, remove-where-device-id-1, remove-where-no-match-2 */
static void subscriptions_remove_where(void **state)
{
    (void)state;
    fx *f = fx_with(204, "");
    ably_string_map q = params_of("clientId", "client-abc", NULL, NULL);
    assert_int_equal(ably_push_channel_subscriptions_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    q = params_of("deviceId", "device-001", NULL, NULL);
    assert_int_equal(ably_push_channel_subscriptions_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    q = params_of("clientId", "nonexistent-client", NULL, NULL);
    assert_int_equal(ably_push_channel_subscriptions_remove_where(f->rest, &q, &f->err), 0);
    ably_string_map_clear(&q);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "DELETE");
    assert_string_equal(r->path, "/push/channelSubscriptions");
    assert_string_equal(mock_request_query(r, "clientId"), "client-abc");
    assert_string_equal(mock_request_query(fx_req(f, 1), "deviceId"), "device-001");
    mock_http_reset(f->m);
    assert_failed_without_request(f, ably_push_channel_subscriptions_remove_where(f->rest, NULL, &f->err), 40000);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_posts_recipient_and_payload, "RSH1 RSH1a RSC21"),
        ABLY_TEST(publish_client_and_device_recipients, "RSH1a"),
        ABLY_TEST(publish_rejects_empty_arguments, "RSH1a"),
        ABLY_TEST(publish_propagates_server_error, "RSH1a"),
        ABLY_TEST(publish_msgpack_body, "RSH1a"),
        ABLY_TEST(device_get_decodes_details, "RSH1b RSH1b1 PCD1 PCD2 PCD3 PCD4 PCD5 PCD6 PCD7 PCP1 PCP3 PCP4"),
        ABLY_TEST(device_get_unknown_is_not_found, "RSH1b1"),
        ABLY_TEST(device_get_encodes_id, "RSH1b1"),
        ABLY_TEST(device_list_with_filters, "RSH1b2"),
        ABLY_TEST(device_save_puts_details, "RSH1b3 PCD1 PCP3"),
        ABLY_TEST(device_remove_deletes, "RSH1b4"),
        ABLY_TEST(device_remove_where, "RSH1b5"),
        ABLY_TEST(subscriptions_list_with_filters, "RSH1c RSH1c1 PCS2 PCS3 PCS4"),
        ABLY_TEST(subscriptions_list_channels, "RSH1c2"),
        ABLY_TEST(subscriptions_list_channels_error, "RSH1c2"),
        ABLY_TEST(subscriptions_save, "RSH1c3 PCS1"),
        ABLY_TEST(subscriptions_validated_locally, "PCS1 PCS5"),
        ABLY_TEST(subscriptions_remove, "RSH1c4"),
        ABLY_TEST(subscriptions_remove_where, "RSH1c5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
