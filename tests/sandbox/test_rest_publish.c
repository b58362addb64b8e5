/* REST publish against the sandbox (UTS rest/integration/publish.md), with every
 * payload kind, plain and encrypted, over JSON and msgpack. */
#include "test_rest_support.h"

static const char TEXT[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93";
static const unsigned char BYTES[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x00 };
static const char OBJECT[] = "{\"a\":1,\"b\":[true,null,\"x\"],\"nested\":{\"k\":\"v\"}}";
static const char ARRAY[] = "[1,\"two\",{\"three\":3}]";

static void fill_payload_messages(ably_message msgs[4])
{
    for (int i = 0; i < 4; i++)
        ably_message_init(&msgs[i]);
    msgs[0].name = "string";
    msgs[0].data = ably_data_borrow(ABLY_DATA_STRING, TEXT, strlen(TEXT));
    msgs[1].name = "binary";
    msgs[1].data = ably_data_borrow(ABLY_DATA_BINARY, BYTES, sizeof BYTES);
    msgs[2].name = "object";
    msgs[2].data = ably_data_borrow(ABLY_DATA_JSON, OBJECT, strlen(OBJECT));
    msgs[3].name = "array";
    msgs[3].data = ably_data_borrow(ABLY_DATA_JSON, ARRAY, strlen(ARRAY));
}

static void assert_data(const ably_message *m, ably_data_type type, const void *bytes, size_t len)
{
    assert_non_null(m);
    assert_int_equal(m->data.type, type);
    assert_int_equal(m->data.len, len);
    assert_memory_equal(m->data.bytes, bytes, len);
    assert_null(m->encoding); /* fully decoded (RSL6a) */
}

/* Publishes the four payload kinds in one request on `ch` and reads them back. */
static void publish_and_read_back(ably_rest_channel *ch)
{
    ably_message msgs[4];
    fill_payload_messages(msgs);
    ably_error err = {0};
    REST_OK(ably_rest_channel_publish_messages(ch, msgs, 4, NULL, NULL, &err), &err);
    size_t n = 0;
    ably_paginated_result *page = rest_wait_history(ch, NULL, 4, &n);
    const ably_message *got = ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 4);
    assert_data(rest_find_message(got, n, "string"), ABLY_DATA_STRING, TEXT, strlen(TEXT));
    assert_data(rest_find_message(got, n, "binary"), ABLY_DATA_BINARY, BYTES, sizeof BYTES);
    assert_data(rest_find_message(got, n, "object"), ABLY_DATA_JSON, OBJECT, strlen(OBJECT));
    assert_data(rest_find_message(got, n, "array"), ABLY_DATA_JSON, ARRAY, strlen(ARRAY));
    for (size_t i = 0; i < n; i++) {
        assert_true(got[i].has_timestamp);
        assert_non_null(got[i].id);
    }
    ably_paginated_result_free(page);
}

static void publishes_every_payload_kind(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char name[128];
        rest_channel_name(name, sizeof name, "publish-kinds", binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        publish_and_read_back(ch);
        ably_rest_destroy(rest);
    }
}

static void cipher_params(int bits, ably_cipher_params *out)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + bits);
    ably_cipher_param_options o = { .key = key, .key_len = (size_t)bits / 8 };
    ably_error err = {0};
    REST_OK(ably_crypto_get_default_params(&o, out, &err), &err);
}

/* Encrypted publish (RSL5a, RSL5b): the library's own reader decrypts it, and a
 * reader without the key sees the cipher step left in the encoding (RSL6b). */
static void publishes_encrypted_payloads(void **state)
{
    sandbox_env *env = *state;
    static const int BITS[] = { 128, 256 };
    for (int binary = 0; binary < 2; binary++) {
        for (size_t b = 0; b < 2; b++) {
            ably_rest *rest = rest_with_key(env, 0, binary);
            char name[128];
            rest_channel_name(name, sizeof name, BITS[b] == 128 ? "aes128" : "aes256", binary);
            ably_cipher_params params;
            cipher_params(BITS[b], &params);
            ably_rest_channel_options copts = { .cipher = &params };
            ably_rest_channel *ch = NULL;
            ably_error err = {0};
            REST_OK(ably_rest_channels_get(rest, name, &copts, &ch, &err), &err);
            publish_and_read_back(ch);

            /* Without the key: ciphertext stays encoded. */
            ably_rest *plain = rest_with_key(env, 0, binary);
            ably_rest_channel *raw = NULL;
            REST_OK(ably_rest_channels_get(plain, name, NULL, &raw, &err), &err);
            ably_paginated_result *page = NULL;
            REST_OK(ably_rest_channel_history(raw, NULL, &page, &err), &err);
            size_t n = 0;
            const ably_message *m = ably_paginated_result_messages(page, &n);
            assert_int_equal(n, 4);
            char step[32];
            snprintf(step, sizeof step, "cipher+aes-%d-cbc", BITS[b]);
            for (size_t i = 0; i < n; i++) {
                assert_non_null(m[i].encoding);
                assert_non_null(strstr(m[i].encoding, step));
                assert_int_equal(m[i].data.type, ABLY_DATA_BINARY);
            }
            ably_paginated_result_free(page);
            ably_rest_destroy(plain);
            ably_rest_destroy(rest);
        }
    }
}

static void publish_returns_serials(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char name[128];
        rest_channel_name(name, sizeof name, "serials", binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, "one", 3);
        ably_publish_result res = {0};
        REST_OK(ably_rest_channel_publish(ch, "single", &d, &res, &err), &err);
        assert_int_equal(res.serials_count, 1);
        assert_non_null(res.serials[0]);
        assert_true(strlen(res.serials[0]) > 0);
        ably_publish_result_clear(&res);

        ably_message msgs[3];
        for (int i = 0; i < 3; i++) {
            ably_message_init(&msgs[i]);
            msgs[i].name = "batch";
            msgs[i].data = d;
        }
        REST_OK(ably_rest_channel_publish_messages(ch, msgs, 3, NULL, &res, &err), &err);
        assert_int_equal(res.serials_count, 3);
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(res.serials[i], res.serials[j]);
        ably_publish_result_clear(&res);
        ably_rest_destroy(rest);
    }
}

static void duplicate_ids_publish_once(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char name[128], id[160];
        rest_channel_name(name, sizeof name, "idempotent", binary);
        snprintf(id, sizeof id, "%s-id:0", name);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        static const char *const DATA[] = { "first", "second", "third" };
        for (int i = 0; i < 3; i++) {
            ably_message m;
            ably_message_init(&m);
            m.id = id;
            m.name = "dup";
            m.data = ably_data_borrow(ABLY_DATA_STRING, DATA[i], strlen(DATA[i]));
            REST_OK(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &err), &err);
        }
        size_t n = 0;
        ably_paginated_result *page = rest_wait_history(ch, NULL, 1, &n);
        const ably_message *got = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 1);
        assert_string_equal(got[0].id, id);
        assert_string_equal(got[0].data.bytes, "first");
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void library_ids_are_stable_and_unique(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.key = sandbox_env_key(env, 0)->key_str;
        opts.idempotent_rest_publishing = true;
        ably_rest *rest = rest_create(env, &opts, binary);
        char name[128];
        rest_channel_name(name, sizeof name, "lib-ids", binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        ably_message msgs[2];
        for (int i = 0; i < 2; i++) {
            ably_message_init(&msgs[i]);
            msgs[i].name = i ? "b" : "a";
        }
        REST_OK(ably_rest_channel_publish_messages(ch, msgs, 2, NULL, NULL, &err), &err);
        size_t n = 0;
        ably_paginated_result *page = rest_wait_history(ch, NULL, 2, &n);
        const ably_message *got = ably_paginated_result_messages(page, &n);
        assert_int_equal(n, 2);
        const ably_message *a = rest_find_message(got, n, "a"), *b = rest_find_message(got, n, "b");
        assert_non_null(a);
        assert_non_null(b);
        /* RSL1k1: "<base>:<index>" with one shared base. */
        const char *ca = strrchr(a->id, ':'), *cb = strrchr(b->id, ':');
        assert_non_null(ca);
        assert_non_null(cb);
        assert_string_equal(ca, ":0");
        assert_string_equal(cb, ":1");
        assert_int_equal(ca - a->id, cb - b->id);
        assert_memory_equal(a->id, b->id, (size_t)(ca - a->id));
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void publish_params_reach_server(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char name[128];
        rest_channel_name(name, sizeof name, "force-nack", binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        ably_string_map params = {0};
        assert_int_equal(ably_string_map_set(&params, "_forceNack", "true"), 0);
        ably_message m;
        ably_message_init(&m);
        m.name = "nacked";
        assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, &params, NULL, &err), -1);
        assert_int_equal(err.code, 40099);
        assert_int_equal(err.status_code, 400);
        ably_error_clear(&err);
        ably_string_map_clear(&params);
        ably_rest_destroy(rest);
    }
}

static void publish_without_capability_fails(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 3, binary); /* {"*":["subscribe"]} */
        char name[128];
        rest_channel_name(name, sizeof name, "denied", binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
        assert_int_equal(ably_rest_channel_publish(ch, "denied", &d, NULL, &err), -1);
        assert_int_equal(err.code, 40160);
        assert_int_equal(err.status_code, 401);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

static void mismatched_client_id_rejected(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *keyed = rest_with_key(env, 0, binary);
        ably_token_params tp;
        ably_token_params_init(&tp);
        tp.client_id = "alice";
        ably_token_details td;
        ably_token_details_init(&td);
        ably_error err = {0};
        REST_OK(ably_auth_request_token(ably_rest_auth(keyed), &tp, NULL, &td, &err), &err);
        assert_string_equal(td.client_id, "alice");

        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.token = td.token;
        ably_rest *rest = rest_create(env, &opts, binary);
        char name[128];
        rest_channel_name(name, sizeof name, "client-id", binary);
        ably_rest_channel *ch = NULL;
        REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
        ably_message m;
        ably_message_init(&m);
        m.name = "spoof";
        m.client_id = "bob";
        assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &err), -1);
        assert_int_equal(err.code, 40012);
        ably_error_clear(&err);

        m.client_id = "alice"; /* the token's own identity is accepted */
        REST_OK(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &err), &err);
        ably_rest_destroy(rest);
        ably_token_details_clear(&td);
        ably_rest_destroy(keyed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publishes_every_payload_kind, "RSL1a RSL1b RSL4a RSL4b RSL4c RSL4d RSL6a RSL1j"),
        ABLY_TEST(publishes_encrypted_payloads, "RSL5a RSL5b RSL5c RSL6a RSL6b"),
        ABLY_TEST(publish_returns_serials, "RSL1n"),
        ABLY_TEST(duplicate_ids_publish_once, "RSL1k5"),
        ABLY_TEST(library_ids_are_stable_and_unique, "RSL1k1 RSL1k2"),
        ABLY_TEST(publish_params_reach_server, "RSL1l1 RSL1d"),
        ABLY_TEST(publish_without_capability_fails, "RSL1d"),
        ABLY_TEST(mismatched_client_id_rejected, "RSL1m4"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_publish", tests, rest_group_setup, rest_group_teardown);
}
