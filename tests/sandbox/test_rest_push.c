/* Push admin against the sandbox (RSH1). Ports uts/rest/integration/push_admin.md
 * (publish, device registrations, channel subscriptions) with JSON and msgpack.
 * push_channels.md (RSH7, channel.push): the clientId forms, acting for the
 * client's own clientId (this client has no LocalDevice, so no device forms).
 * keys[1] of test-app-setup.json is the push admin key
 * (push-admin on pushenabled:admin:*); keys[3] only subscribes. */
#include "test_rest_support.h"

#define PUSH_KEY 1

static ably_string_map params_of(const char *k1, const char *v1, const char *k2, const char *v2)
{
    ably_string_map m = {0};
    if (k1)
        assert_int_equal(ably_string_map_set(&m, k1, v1), 0);
    if (k2)
        assert_int_equal(ably_string_map_set(&m, k2, v2), 0);
    return m;
}

/* A device borrowing its strings and `push` (never clear it). */
typedef struct {
    ably_device_details dev;
    ably_device_push_details push;
    char recipient[160];
} test_device;

static void device_init(test_device *t, const char *id, const char *client_id, ably_device_platform platform,
                        const char *token)
{
    ably_device_details_init(&t->dev);
    ably_device_push_details_init(&t->push);
    snprintf(t->recipient, sizeof t->recipient, "{\"transportType\":\"%s\",\"%s\":\"%s\"}",
             platform == ABLY_DEVICE_PLATFORM_IOS ? "apns" : "fcm",
             platform == ABLY_DEVICE_PLATFORM_IOS ? "deviceToken" : "registrationToken", token);
    t->push.recipient = t->recipient;
    t->dev.id = (char *)(uintptr_t)id;
    t->dev.client_id = (char *)(uintptr_t)client_id;
    t->dev.platform = platform;
    t->dev.has_platform = true;
    t->dev.form_factor = ABLY_DEVICE_FORM_FACTOR_PHONE;
    t->dev.has_form_factor = true;
    t->dev.push = &t->push;
}

static void save_device(ably_rest *rest, const char *id, const char *client_id, const char *token)
{
    test_device t;
    device_init(&t, id, client_id, ABLY_DEVICE_PLATFORM_IOS, token);
    ably_error err = {0};
    REST_OK(ably_push_device_registrations_save(rest, &t.dev, NULL, &err), &err);
}

/* rest/integration/RSH1a/push-publish-clientid-0, push-publish-invalid-recipient-1 */
static void publish_to_client_and_invalid_recipients(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_error err = {0};
        REST_OK(ably_push_admin_publish(rest, "{\"clientId\":\"test-client-push\"}",
                                        "{\"notification\":{\"title\":\"Integration Test\","
                                        "\"body\":\"Hello from push admin\"}}",
                                        &err),
                &err);
        const char *note = "{\"notification\":{\"title\":\"Test\"}}";
        assert_int_equal(ably_push_admin_publish(rest, "{}", note, &err), -1);
        assert_int_equal(err.code, 40000);
        /* rejected by the server rather than locally */
        assert_int_equal(ably_push_admin_publish(rest, "{\"transportType\":\"invalid\"}", note, &err), -1);
        assert_int_equal(err.code, 40000);
        assert_int_equal(err.status_code, 400);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

/* rest/integration/RSH1b3/save-and-get-device-0, save-updates-device-1, RSH1b1/get-unknown-2,
 * RSH1b4/remove-device-0, remove-nonexistent-1 */
static void device_save_get_update_remove(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, PUSH_KEY, binary);
        char id[128];
        rest_channel_name(id, sizeof id, "test-device", binary);
        ably_error err = {0};
        test_device t;
        device_init(&t, id, NULL, ABLY_DEVICE_PLATFORM_IOS, "token-v1");
        ably_device_details saved;
        ably_device_details_init(&saved);
        REST_OK(ably_push_device_registrations_save(rest, &t.dev, &saved, &err), &err);
        assert_string_equal(saved.id, id);
        assert_int_equal(saved.platform, ABLY_DEVICE_PLATFORM_IOS);
        assert_int_equal(saved.form_factor, ABLY_DEVICE_FORM_FACTOR_PHONE);
        assert_non_null(saved.push);
        assert_non_null(strstr(saved.push->recipient, "\"apns\""));
        ably_device_details_clear(&saved);

        ably_device_details got;
        ably_device_details_init(&got);
        REST_OK(ably_push_device_registrations_get(rest, id, &got, &err), &err);
        assert_string_equal(got.id, id);
        assert_int_equal(got.platform, ABLY_DEVICE_PLATFORM_IOS);
        ably_device_details_clear(&got);

        device_init(&t, id, NULL, ABLY_DEVICE_PLATFORM_IOS, "token-v2");
        REST_OK(ably_push_device_registrations_save(rest, &t.dev, &saved, &err), &err);
        assert_non_null(strstr(saved.push->recipient, "token-v2"));
        ably_device_details_clear(&saved);
        REST_OK(ably_push_device_registrations_get(rest, id, &got, &err), &err);
        assert_non_null(strstr(got.push->recipient, "token-v2"));
        ably_device_details_clear(&got);

        REST_OK(ably_push_device_registrations_remove(rest, id, &err), &err);
        assert_int_equal(ably_push_device_registrations_get(rest, id, &got, &err), -1);
        assert_int_equal(err.status_code, 404);
        assert_int_equal(err.code, 40400);
        REST_OK(ably_push_device_registrations_remove(rest, "nonexistent-device-xyz", &err), &err);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

/* rest/integration/RSH1b2/list-devices-filters-0, list-devices-limit-1, RSH1b5/remove-where-client-0 */
static void device_list_pages_and_remove_where(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, PUSH_KEY, binary);
        char client[128], ids[3][160];
        rest_channel_name(client, sizeof client, "test-client", binary);
        for (int i = 0; i < 3; i++) {
            snprintf(ids[i], sizeof ids[i], "%s-dev%d", client, i);
            save_device(rest, ids[i], client, "t");
        }
        ably_error err = {0};
        ably_paginated_result *page = NULL;
        ably_string_map q = params_of("deviceId", ids[1], NULL, NULL);
        REST_OK(ably_push_device_registrations_list(rest, &q, &page, &err), &err);
        ably_string_map_clear(&q);
        size_t n = 0;
        const ably_device_details *items = ably_paginated_result_devices(page, &n);
        assert_int_equal(n, 1);
        assert_string_equal(items[0].id, ids[1]);
        ably_paginated_result_free(page);

        q = params_of("clientId", client, "limit", "2");
        REST_OK(ably_push_device_registrations_list(rest, &q, &page, &err), &err);
        ably_string_map_clear(&q);
        ably_paginated_result_devices(page, &n);
        assert_int_equal(n, 2);
        assert_true(ably_paginated_result_has_next(page));
        ably_paginated_result *next = NULL;
        REST_OK(ably_paginated_result_next(page, &next, &err), &err);
        items = ably_paginated_result_devices(next, &n);
        assert_int_equal(n, 1);
        assert_string_equal(items[0].client_id, client);
        assert_true(ably_paginated_result_is_last(next));
        ably_paginated_result_free(next);
        ably_paginated_result_free(page);

        q = params_of("clientId", client, NULL, NULL);
        REST_OK(ably_push_device_registrations_remove_where(rest, &q, &err), &err);
        REST_OK(ably_push_device_registrations_list(rest, &q, &page, &err), &err);
        ably_paginated_result_devices(page, &n);
        assert_int_equal(n, 0);
        ably_paginated_result_free(page);
        ably_string_map_clear(&q);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

static bool page_has_subscription(const ably_paginated_result *page, const char *channel, const char *device_id,
                                  const char *client_id)
{
    size_t n = 0;
    const ably_push_channel_subscription *s = ably_paginated_result_push_subscriptions(page, &n);
    for (size_t i = 0; i < n; i++)
        if (s[i].channel && strcmp(s[i].channel, channel) == 0 &&
            (device_id ? s[i].device_id && strcmp(s[i].device_id, device_id) == 0 : !s[i].device_id) &&
            (client_id ? s[i].client_id && strcmp(s[i].client_id, client_id) == 0 : !s[i].client_id))
            return true;
    return false;
}

/* rest/integration/RSH1c3/save-and-list-subscriptions-0, save-client-subscription-1,
 * RSH1c2/list-channels-0, RSH1c4/remove-subscription-0, remove-nonexistent-1,
 * RSH1c5/remove-where-client-0 */
static void subscriptions_round_trip(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char channel[128], device[128], client[128];
        rest_channel_name(channel, sizeof channel, "pushenabled:test-sub", binary);
        rest_channel_name(device, sizeof device, "test-device-sub", binary);
        rest_channel_name(client, sizeof client, "test-client-sub", binary);
        save_device(rest, device, NULL, "test-token");
        ably_error err = {0};
        ably_push_channel_subscription by_device, by_client, saved;
        ably_push_channel_subscription_init(&by_device);
        by_device.channel = channel;
        by_device.device_id = device;
        ably_push_channel_subscription_init(&by_client);
        by_client.channel = channel;
        by_client.client_id = client;
        ably_push_channel_subscription_init(&saved);
        REST_OK(ably_push_channel_subscriptions_save(rest, &by_device, &saved, &err), &err);
        assert_string_equal(saved.channel, channel);
        assert_string_equal(saved.device_id, device);
        ably_push_channel_subscription_clear(&saved);
        REST_OK(ably_push_channel_subscriptions_save(rest, &by_client, &saved, &err), &err);
        assert_string_equal(saved.client_id, client);
        ably_push_channel_subscription_clear(&saved);

        ably_paginated_result *page = NULL;
        ably_string_map q = params_of("channel", channel, NULL, NULL);
        REST_OK(ably_push_channel_subscriptions_list(rest, &q, &page, &err), &err);
        assert_true(page_has_subscription(page, channel, device, NULL));
        assert_true(page_has_subscription(page, channel, NULL, client));
        ably_paginated_result_free(page);

        REST_OK(ably_push_channel_subscriptions_list_channels(rest, NULL, &page, &err), &err);
        char **names = NULL;
        size_t n = 0;
        REST_OK(ably_push_channel_names(page, &names, &n, &err), &err);
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || strcmp(names[i], channel) == 0;
        assert_true(found);
        ably_push_channel_names_free(names, n);
        ably_paginated_result_free(page);

        REST_OK(ably_push_channel_subscriptions_remove(rest, &by_device, &err), &err);
        REST_OK(ably_push_channel_subscriptions_remove(rest, &by_device, &err), &err); /* gone: still fine */
        ably_string_map_clear(&q);
        q = params_of("channel", channel, "deviceId", device);
        REST_OK(ably_push_channel_subscriptions_list(rest, &q, &page, &err), &err);
        ably_paginated_result_push_subscriptions(page, &n);
        assert_int_equal(n, 0);
        ably_paginated_result_free(page);
        ably_string_map_clear(&q);

        q = params_of("clientId", client, NULL, NULL);
        REST_OK(ably_push_channel_subscriptions_remove_where(rest, &q, &err), &err);
        REST_OK(ably_push_channel_subscriptions_list(rest, &q, &page, &err), &err);
        ably_paginated_result_push_subscriptions(page, &n);
        assert_int_equal(n, 0);
        ably_paginated_result_free(page);
        ably_string_map_clear(&q);
        REST_OK(ably_push_device_registrations_remove(rest, device, &err), &err);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

/* A client with key 0 and `client_id`. */
static ably_rest *rest_with_client_id(const sandbox_env *env, const char *client_id, bool binary)
{
    ably_client_options opts;
    ably_client_options_init(&opts);
    opts.key = sandbox_env_key(env, 0)->key_str;
    opts.client_id = client_id;
    return rest_create(env, &opts, binary);
}

/* How many subscriptions the admin API lists for channel + clientId. */
static size_t client_subscriptions(ably_rest *rest, const char *channel, const char *client)
{
    ably_error err = {0};
    ably_paginated_result *page = NULL;
    ably_string_map q = params_of("channel", channel, "clientId", client);
    REST_OK(ably_push_channel_subscriptions_list(rest, &q, &page, &err), &err);
    ably_string_map_clear(&q);
    size_t n = 0;
    ably_paginated_result_push_subscriptions(page, &n);
    if (n)
        assert_true(page_has_subscription(page, channel, NULL, client));
    ably_paginated_result_free(page);
    return n;
}

/* rest/integration/RSH7b/subscribe-unsubscribe-client-0, with listSubscriptions
 * (RSH7e) seeing the client's subscription but not another client's. */
static void push_channel_client_round_trip(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        char channel[128], client[128];
        rest_channel_name(channel, sizeof channel, "pushenabled:test-rsh7b", binary);
        rest_channel_name(client, sizeof client, "test-client-pushchan", binary);
        ably_rest *rest = rest_with_client_id(env, client, binary);
        ably_error err = {0};
        ably_rest_channel *ch = NULL;
        REST_OK(ably_rest_channels_get(rest, channel, NULL, &ch, &err), &err);

        REST_OK(ably_rest_channel_push_subscribe_client(ch, &err), &err);
        assert_int_equal(client_subscriptions(rest, channel, client), 1);

        /* another client's subscription on the same channel */
        ably_push_channel_subscription other;
        ably_push_channel_subscription_init(&other);
        other.channel = channel;
        other.client_id = "someone-else";
        REST_OK(ably_push_channel_subscriptions_save(rest, &other, NULL, &err), &err);
        ably_paginated_result *page = NULL;
        REST_OK(ably_rest_channel_push_list_subscriptions(ch, NULL, &page, &err), &err);
        size_t n = 0;
        ably_paginated_result_push_subscriptions(page, &n);
        assert_int_equal(n, 1);
        assert_true(page_has_subscription(page, channel, NULL, client));
        ably_paginated_result_free(page);

        REST_OK(ably_rest_channel_push_unsubscribe_client(ch, &err), &err);
        assert_int_equal(client_subscriptions(rest, channel, client), 0);
        assert_int_equal(client_subscriptions(rest, channel, "someone-else"), 1);
        REST_OK(ably_push_channel_subscriptions_remove(rest, &other, &err), &err);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

/* Without push-admin, Ably refuses with 40160. */
static void push_admin_needs_capability(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 3, false);
    ably_error err = {0};
    ably_paginated_result *page = NULL;
    assert_int_equal(ably_push_device_registrations_list(rest, NULL, &page, &err), -1);
    assert_null(page);
    assert_int_equal(err.code, 40160);
    assert_int_equal(ably_push_admin_publish(rest, "{\"clientId\":\"x\"}", "{\"data\":{\"a\":\"b\"}}", &err), -1);
    assert_int_equal(err.code, 40160);
    assert_int_equal(ably_push_channel_subscriptions_list_channels(rest, NULL, &page, &err), -1);
    assert_int_equal(err.code, 40160);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_to_client_and_invalid_recipients, "RSH1a"),
        ABLY_TEST(device_save_get_update_remove, "RSH1b1 RSH1b3 RSH1b4 PCD2 PCD4 PCD6 PCP3"),
        ABLY_TEST(device_list_pages_and_remove_where, "RSH1b2 RSH1b5 PCD3"),
        ABLY_TEST(subscriptions_round_trip, "RSH1c1 RSH1c2 RSH1c3 RSH1c4 RSH1c5 PCS2 PCS3 PCS4"),
        ABLY_TEST(push_admin_needs_capability, "RSH1"),
        ABLY_TEST(push_channel_client_round_trip, "RSH7b RSH7b2 RSH7d RSH7d2 RSH7e"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_push", tests, rest_group_setup, rest_group_teardown);
}
