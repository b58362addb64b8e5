/* The channels collection (RSN) and channel attributes (RSL7, RSL8, RSL9, RSL10,
 * RSP1). Ports uts/rest/unit/channels_collection.md and
 * channel/rest_channel_attributes.md. */
#include "test_rest_channel_fixture.h"

/* rest/unit/RSN1/channels-collection-accessible-0, RSN3a/get-creates-new-channel-0 */
static void get_creates_channel(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    assert_false(ably_rest_channels_exists(f->rest, "test-RSN3a"));
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 0);
    ably_rest_channel *ch = fx_channel(f, "test-RSN3a");
    assert_non_null(ch);
    assert_string_equal(ably_rest_channel_name(ch), "test-RSN3a");
    assert_true(ably_rest_channels_exists(f->rest, "test-RSN3a"));
    fx_free(f);
}

/* rest/unit/RSN3a/get-returns-existing-channel-1, RSN3a/subscript-creates-or-returns-2 */
static void get_returns_existing(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *a = fx_channel(f, "test-RSN3a-existing");
    ably_rest_channel *b = fx_channel(f, "test-RSN3a-existing");
    ably_rest_channel *c = fx_channel(f, "test-RSN3a-existing");
    assert_ptr_equal(a, b);
    assert_ptr_equal(b, c);
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 1);
    fx_free(f);
}

/* rest/unit/RSN2/check-channel-exists-0 */
static void exists_reports_channels(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    assert_false(ably_rest_channels_exists(f->rest, "test-RSN2"));
    fx_channel(f, "test-RSN2");
    assert_true(ably_rest_channels_exists(f->rest, "test-RSN2"));
    assert_false(ably_rest_channels_exists(f->rest, "test-RSN2-other"));
    fx_free(f);
}

static void collect_name(void *ctx, ably_rest_channel *ch)
{
    cJSON_AddItemToArray(ctx, cJSON_CreateString(ably_rest_channel_name(ch)));
}

static bool has_name(const cJSON *arr, const char *name)
{
    for (const cJSON *it = arr->child; it; it = it->next)
        if (!strcmp(it->valuestring, name))
            return true;
    return false;
}

/* rest/unit/RSN2/iterate-channels-1, plus many channels to exercise the table's growth */
static void iterate_channels(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_channel(f, "test-RSN2-a");
    fx_channel(f, "test-RSN2-b");
    fx_channel(f, "test-RSN2-c");
    cJSON *names = cJSON_CreateArray();
    assert_int_equal(ably_rest_channels_foreach(f->rest, collect_name, names), 3);
    assert_int_equal(cJSON_GetArraySize(names), 3);
    assert_true(has_name(names, "test-RSN2-a"));
    assert_true(has_name(names, "test-RSN2-b"));
    assert_true(has_name(names, "test-RSN2-c"));
    cJSON_Delete(names);
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "many-%d", i);
        fx_channel(f, name);
    }
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 203);
    for (int i = 0; i < 200; i += 7) {
        snprintf(name, sizeof name, "many-%d", i);
        assert_true(ably_rest_channels_exists(f->rest, name));
    }
    fx_free(f);
}

/* rest/unit/RSN4a/release-removes-channel-0, RSN4b/release-nonexistent-noop-0,
 * RSN3a/get-after-release-new-instance-3 */
static void release_channel(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_rest_channels_release(f->rest, "never-created"); /* RSN4b, before the collection exists */
    fx_channel(f, "test-RSN4a");
    assert_true(ably_rest_channels_exists(f->rest, "test-RSN4a"));
    ably_rest_channels_release(f->rest, "test-RSN4a");
    assert_false(ably_rest_channels_exists(f->rest, "test-RSN4a"));
    ably_rest_channels_release(f->rest, "test-RSN4b");
    assert_false(ably_rest_channels_exists(f->rest, "test-RSN4b"));
    ably_rest_channel *ch = fx_channel(f, "test-RSN4a");
    assert_string_equal(ably_rest_channel_name(ch), "test-RSN4a");
    assert_true(ably_rest_channels_exists(f->rest, "test-RSN4a"));
    fx_free(f);
}

/* Channel names must be non-empty UTF-8 (40010). */
static void invalid_channel_names(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_rest_channel *ch = NULL;
    assert_int_equal(ably_rest_channels_get(f->rest, "", NULL, &ch, &f->err), -1);
    assert_int_equal(f->err.code, 40010);
    assert_null(ch);
    assert_int_equal(ably_rest_channels_get(f->rest, NULL, NULL, &ch, &f->err), -1);
    assert_int_equal(ably_rest_channels_get(f->rest, "bad\xff", NULL, &ch, &f->err), -1);
    assert_int_equal(f->err.code, 40010);
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 0);
    fx_free(f);
}

static ably_cipher_params key128(void)
{
    ably_cipher_params p;
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    ably_cipher_param_options po = {.key = key, .key_len = sizeof key};
    ably_error e = {0};
    assert_int_equal(ably_crypto_get_default_params(&po, &p, &e), 0);
    return p;
}

/* RSN3b: options given to get() are set; RSN3c: and update an existing channel. */
static void get_with_options(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_cipher_params p = key128();
    ably_rest_channel_options opts = {.cipher = &p};
    ably_rest_channel *a, *b;
    assert_int_equal(ably_rest_channels_get(f->rest, "enc", &opts, &a, &f->err), 0);
    assert_true(ably_rest_channel_is_encrypted(a));
    ably_rest_channel_options none = {0};
    assert_int_equal(ably_rest_channels_get(f->rest, "enc", &none, &b, &f->err), 0);
    assert_ptr_equal(a, b);
    assert_false(ably_rest_channel_is_encrypted(a));
    /* get without options leaves the options alone */
    assert_int_equal(ably_rest_channels_get(f->rest, "enc", &opts, &a, &f->err), 0);
    assert_int_equal(ably_rest_channels_get(f->rest, "enc", NULL, &b, &f->err), 0);
    assert_true(ably_rest_channel_is_encrypted(b));
    /* bad cipher params are refused */
    ably_cipher_params bad = p;
    bad.key_length = 100;
    ably_rest_channel_options bad_opts = {.cipher = &bad};
    assert_int_equal(ably_rest_channels_get(f->rest, "enc2", &bad_opts, &a, &f->err), -1);
    assert_false(ably_rest_channels_exists(f->rest, "enc2"));
    fx_free(f);
}

/* rest/unit/RSL9/channel-name-attribute-0 */
static void channel_name_attribute(void **state)
{
    (void)state;
    fx *f = fx_new();
    assert_string_equal(ably_rest_channel_name(fx_channel(f, "my-channel")), "my-channel");
    assert_string_equal(ably_rest_channel_name(fx_channel(f, "namespace:channel-name")), "namespace:channel-name");
    fx_free(f);
}

/* rest/unit/RSL7/setoptions-updates-options-0, RSL7/setoptions-stores-options-1 */
static void set_options(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL7");
    ably_rest_channel_options empty = {0};
    assert_int_equal(ably_rest_channel_set_options(ch, &empty, &f->err), 0);
    assert_false(ably_rest_channel_is_encrypted(ch));
    ably_cipher_params p = key128();
    ably_rest_channel_options opts = {.cipher = &p};
    assert_int_equal(ably_rest_channel_set_options(ch, &opts, &f->err), 0);
    assert_true(ably_rest_channel_is_encrypted(ch));
    /* the stored cipher is applied to the next publish (RSL5) */
    ably_data d = text_data("secret");
    assert_int_equal(ably_rest_channel_publish(ch, "e", &d, NULL, &f->err), 0);
    cJSON *body = fx_body(f, 0);
    assert_string_equal(jstr(body->child, "encoding"), "utf-8/cipher+aes-128-cbc/base64");
    cJSON_Delete(body);
    assert_int_equal(ably_rest_channel_set_options(ch, NULL, &f->err), 0);
    assert_false(ably_rest_channel_is_encrypted(ch));
    fx_free(f);
}

/* RSL10 (rest/unit/RSL10/annotations-attribute-type-0), RSP1 and RSL3
 * (rest/unit/RSP1a/presence-channel-attribute-0, RSP1b/same-instance-returned-0) */
static void presence_and_annotations_attributes(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL10");
    assert_non_null(ably_rest_channel_annotations(ch));
    assert_ptr_equal(ably_rest_channel_annotations(ch), ably_rest_channel_annotations(ch));
    assert_non_null(ably_rest_channel_presence(ch));
    assert_ptr_equal(ably_rest_channel_presence(ch), ably_rest_channel_presence(ch));
    assert_ptr_not_equal(ably_rest_channel_presence(ch), ably_rest_channel_presence(fx_channel(f, "other")));
    fx_free(f);
}

static const char *status_body =
    "{\"channelId\":\"test-RSL8a\",\"status\":{\"isActive\":true,\"occupancy\":{\"metrics\":{"
    "\"connections\":5,\"publishers\":2,\"subscribers\":3,\"presenceConnections\":1,"
    "\"presenceMembers\":1,\"presenceSubscribers\":0}}}}";

/* rest/unit/RSL8/status-get-correct-endpoint-0, RSL8a/status-returns-channel-details-0 */
static void status_returns_details(void **state)
{
    (void)state;
    for (int mp = 0; mp < 2; mp++) {
        fx *f = fx_new();
        if (mp)
            fx_reply_msgpack(f, 200, status_body);
        else
            fx_reply(f, 200, status_body);
        ably_rest_channel *ch = fx_channel(f, "test-RSL8a");
        ably_channel_details d = {0};
        assert_int_equal(ably_rest_channel_status(ch, &d, &f->err), 0);
        const mock_request *r = fx_req(f, 0);
        assert_string_equal(r->method, "GET");
        assert_string_equal(r->path, "/channels/test-RSL8a");
        assert_string_equal(d.channel_id, "test-RSL8a");
        assert_non_null(d.status);
        assert_true(d.status->has_is_active && d.status->is_active);
        assert_non_null(d.status->occupancy);
        assert_non_null(d.status->occupancy->metrics);
        assert_int_equal(d.status->occupancy->metrics->connections, 5);
        assert_int_equal(d.status->occupancy->metrics->publishers, 2);
        assert_int_equal(d.status->occupancy->metrics->subscribers, 3);
        ably_channel_details_clear(&d);
        fx_free(f);
    }
}

/* rest/unit/RSL8/status-special-chars-encoded-1 */
static void status_encodes_name(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"channelId\":\"namespace:my channel\"}");
    ably_rest_channel *ch = fx_channel(f, "namespace:my channel");
    ably_channel_details d = {0};
    assert_int_equal(ably_rest_channel_status(ch, &d, &f->err), 0);
    assert_string_equal(fx_req(f, 0)->path, "/channels/namespace%3Amy%20channel");
    assert_string_equal(d.channel_id, "namespace:my channel");
    ably_channel_details_clear(&d);
    fx_free(f);
}

/* rest/unit/CHM2/parses-all-metrics-fields-0 (ChannelDetails, ChannelStatus,
 * ChannelOccupancy and ChannelMetrics with every attribute), CHM2/zero-and-missing-metrics-1 */
static void status_metrics_fields(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "{\"channelId\":\"test-CHM2-all-fields\",\"status\":{\"isActive\":true,\"occupancy\":{\"metrics\":{"
             "\"connections\":10,\"presenceConnections\":7,\"presenceMembers\":4,\"presenceSubscribers\":3,"
             "\"publishers\":6,\"subscribers\":8,\"objectPublishers\":2,\"objectSubscribers\":5}}}}");
    ably_rest_channel *ch = fx_channel(f, "test-CHM2-all-fields");
    ably_channel_details d = {0};
    assert_int_equal(ably_rest_channel_status(ch, &d, &f->err), 0);
    assert_string_equal(d.channel_id, "test-CHM2-all-fields"); /* CHD2a */
    assert_non_null(d.status);                                  /* CHD2b */
    assert_true(d.status->has_is_active && d.status->is_active); /* CHS2a */
    assert_non_null(d.status->occupancy);                        /* CHS2b */
    assert_non_null(d.status->occupancy->metrics);               /* CHO2a */
    const ably_channel_metrics *m = d.status->occupancy->metrics;
    assert_int_equal(m->connections, 10);
    assert_int_equal(m->presence_connections, 7);
    assert_int_equal(m->presence_members, 4);
    assert_int_equal(m->presence_subscribers, 3);
    assert_int_equal(m->publishers, 6);
    assert_int_equal(m->subscribers, 8);
    assert_int_equal(m->object_publishers, 2);
    assert_int_equal(m->object_subscribers, 5);
    ably_channel_details_clear(&d);

    fx_reply(f, 200,
             "{\"channelId\":\"test-CHM2-defaults\",\"status\":{\"isActive\":false,\"occupancy\":{\"metrics\":{"
             "\"connections\":0,\"presenceConnections\":0,\"presenceMembers\":0,\"presenceSubscribers\":0,"
             "\"publishers\":0,\"subscribers\":0}}}}");
    assert_int_equal(ably_rest_channel_status(ch, &d, &f->err), 0);
    assert_string_equal(d.channel_id, "test-CHM2-defaults");
    assert_true(d.status->has_is_active);
    assert_false(d.status->is_active);
    m = d.status->occupancy->metrics;
    assert_true(m->has_connections);
    assert_int_equal(m->connections, 0);
    assert_int_equal(m->presence_connections, 0);
    assert_int_equal(m->presence_members, 0);
    assert_int_equal(m->presence_subscribers, 0);
    assert_int_equal(m->publishers, 0);
    assert_int_equal(m->subscribers, 0);
    assert_false(m->has_object_publishers); /* absent: reads as 0 */
    assert_int_equal(m->object_publishers, 0);
    assert_int_equal(m->object_subscribers, 0);
    ably_channel_details_clear(&d);
    fx_free(f);
}

/* RSL8: an error reply fails the call with the server's error. */
static void status_error(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 404, "{\"error\":{\"code\":40400,\"statusCode\":404,\"message\":\"not found\"}}");
    ably_rest_channel *ch = fx_channel(f, "missing");
    ably_channel_details d = {0};
    assert_int_equal(ably_rest_channel_status(ch, &d, &f->err), -1);
    assert_int_equal(f->err.code, 40400);
    assert_null(d.channel_id);
    fx_free(f);
}

#include <pthread.h>

typedef struct {
    fx *f;
    ably_rest_channel *ch;
    int failures;
} worker_arg;

static void *publisher(void *p)
{
    worker_arg *a = p;
    ably_data d = text_data("concurrent payload");
    for (int i = 0; i < 50; i++) {
        ably_error e = {0};
        ably_rest_channel *other = NULL;
        char name[32];
        snprintf(name, sizeof name, "t-%d", i % 5);
        if (ably_rest_channel_publish(a->ch, "e", &d, NULL, &e) != 0 ||
            ably_rest_channels_get(a->f->rest, name, NULL, &other, &e) != 0)
            a->failures++;
        ably_error_clear(&e);
    }
    return NULL;
}

/* Thread safety: concurrent publishes on one encrypted channel (its cipher is
 * shared) and concurrent gets on the collection. Run under ASan/TSan-style checks. */
static void concurrent_publish(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_cipher_params p = key128();
    ably_rest_channel_options opts = {.cipher = &p};
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "shared", &opts, &ch, &f->err), 0);
    pthread_t t[4];
    worker_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (worker_arg){.f = f, .ch = ch};
        pthread_create(&t[i], NULL, publisher, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    assert_int_equal(mock_http_count(f->m), 200);
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 6);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_creates_channel, "RSN1 RSN3a"),
        ABLY_TEST(get_returns_existing, "RSN3a"),
        ABLY_TEST(exists_reports_channels, "RSN2"),
        ABLY_TEST(iterate_channels, "RSN2"),
        ABLY_TEST(release_channel, "RSN4a RSN4b RSN3a"),
        ABLY_TEST(invalid_channel_names, "RSN3a"),
        ABLY_TEST(get_with_options, "RSN3b RSN3c TB2b"),
        ABLY_TEST(channel_name_attribute, "RSL9"),
        ABLY_TEST(set_options, "RSL7 RSL5a"),
        ABLY_TEST(presence_and_annotations_attributes, "RSL10 RSP1 RSL3"),
        ABLY_TEST(status_returns_details, "RSL8 RSL8a CHD2a CHD2b CHS2a CHS2b CHO2a"),
        ABLY_TEST(status_encodes_name, "RSL8"),
        ABLY_TEST(status_metrics_fields, "CHD1 CHD2 CHD2a CHD2b CHS1 CHS2 CHS2a CHS2b CHO1 CHO2 CHO2a CHM1 CHM2 "
                                         "CHM2a CHM2b CHM2c CHM2d CHM2e CHM2f CHM2g CHM2h"),
        ABLY_TEST(status_error, "RSL8"),
        ABLY_TEST(concurrent_publish, "RSL1 RSN3a RSL5a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
