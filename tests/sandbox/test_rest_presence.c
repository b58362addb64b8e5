/* REST presence against the sandbox's presence fixtures (UTS
 * rest/integration/presence.md): the members of persisted:presence_fixtures from
 * test-app-setup.json, including the encrypted one, over JSON and msgpack. */
#include "test_rest_support.h"

#define FIXTURE_CHANNEL "persisted:presence_fixtures"
#define FIXTURE_MEMBERS 6
/* The fixture cipher (test-app-setup.json "cipher"): AES-128-CBC with this key. */
#define FIXTURE_CIPHER_KEY "WUP6u0K7MXI5Zeo0VppPwg=="

static ably_rest_presence *fixture_presence(ably_rest *rest, const ably_rest_channel_options *opts)
{
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, FIXTURE_CHANNEL, opts, &ch, &err), &err);
    ably_rest_presence *p = ably_rest_channel_presence(ch);
    assert_non_null(p);
    return p;
}

/* The single member with this clientId (fails unless exactly one). Caller frees *page. */
static const ably_presence_message *get_member(ably_rest_presence *p, const char *client_id,
                                               ably_paginated_result **page)
{
    ably_presence_get_params params = { .client_id = client_id };
    ably_error err = {0};
    REST_OK(ably_rest_presence_get(p, &params, page, &err), &err);
    size_t n = 0;
    const ably_presence_message *m = ably_paginated_result_presence_messages(*page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].client_id, client_id);
    return m;
}

static void get_returns_fixture_members(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_presence *p = fixture_presence(rest, NULL);
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_presence_get(p, NULL, &page, &err), &err);
        size_t n = 0;
        const ably_presence_message *m = ably_paginated_result_presence_messages(page, &n);
        assert_int_equal(n, FIXTURE_MEMBERS);
        static const char *const IDS[] = { "client_bool", "client_int", "client_string",
                                           "client_json", "client_decoded", "client_encoded" };
        for (size_t i = 0; i < FIXTURE_MEMBERS; i++) {
            bool found = false;
            for (size_t j = 0; j < n; j++)
                found |= m[j].client_id && strcmp(m[j].client_id, IDS[i]) == 0;
            assert_true(found);
        }
        for (size_t j = 0; j < n; j++)
            assert_true(m[j].has_action && m[j].action == ABLY_PRESENCE_ACTION_PRESENT);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void get_filters_by_client_id_and_decodes(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_presence *p = fixture_presence(rest, NULL);
        ably_paginated_result *page = NULL;
        const ably_presence_message *m = get_member(p, "client_string", &page);
        assert_int_equal(m->data.type, ABLY_DATA_STRING);
        assert_string_equal(m->data.bytes, "This is a string clientData payload");
        ably_paginated_result_free(page);

        /* "json" encoding: decoded to a JSON value, nothing left in encoding. */
        m = get_member(p, "client_decoded", &page);
        assert_int_equal(m->data.type, ABLY_DATA_JSON);
        assert_null(m->encoding);
        assert_non_null(strstr(m->data.bytes, "\"example\""));
        assert_non_null(strstr(m->data.bytes, "\"Object\""));
        ably_paginated_result_free(page);

        /* Without a cipher the encrypted member keeps its cipher step (RSL6b). */
        m = get_member(p, "client_encoded", &page);
        assert_non_null(m->encoding);
        assert_non_null(strstr(m->encoding, "cipher+aes-128-cbc"));
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void decrypts_encrypted_fixture_member(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_cipher_params params;
        ably_cipher_param_options o = { .key_base64 = FIXTURE_CIPHER_KEY, .key_length = 128 };
        ably_error err = {0};
        REST_OK(ably_crypto_get_default_params(&o, &params, &err), &err);
        ably_rest_channel_options copts = { .cipher = &params };
        ably_rest_presence *p = fixture_presence(rest, &copts);
        ably_paginated_result *page = NULL;
        const ably_presence_message *m = get_member(p, "client_encoded", &page);
        assert_null(m->encoding);
        assert_int_equal(m->data.type, ABLY_DATA_JSON);
        /* The fixture's plaintext is the same object as client_decoded's. */
        assert_non_null(strstr(m->data.bytes, "\"example\""));
        assert_non_null(strstr(m->data.bytes, "\"Object\""));
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void get_pages_through_members(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_presence *p = fixture_presence(rest, NULL);
        ably_presence_get_params params = { .limit = 2 };
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_presence_get(p, &params, &page, &err), &err);
        char *seen[16];
        size_t total = 0;
        int pages = 0;
        while (page) {
            size_t n = 0;
            const ably_presence_message *m = ably_paginated_result_presence_messages(page, &n);
            assert_true(n <= 2);
            for (size_t i = 0; i < n && total < 16; i++) {
                for (size_t j = 0; j < total; j++)
                    assert_string_not_equal(seen[j], m[i].client_id);
                seen[total++] = strdup(m[i].client_id);
            }
            pages++;
            ably_paginated_result *next = NULL;
            REST_OK(ably_paginated_result_next(page, &next, &err), &err);
            ably_paginated_result_free(page);
            page = next;
        }
        assert_int_equal(total, FIXTURE_MEMBERS);
        assert_int_equal(pages, 3);
        for (size_t j = 0; j < total; j++)
            free(seen[j]);
        ably_rest_destroy(rest);
    }
}

static void history_lists_fixture_events(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_presence *p = fixture_presence(rest, NULL);
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_presence_history(p, NULL, &page, &err), &err);
        size_t n = 0;
        const ably_presence_message *m = ably_paginated_result_presence_messages(page, &n);
        assert_int_equal(n, FIXTURE_MEMBERS);
        ably_paginated_result_free(page);

        ably_history_params hp = { .limit = 4, .direction = "forwards" };
        REST_OK(ably_rest_presence_history(p, &hp, &page, &err), &err);
        m = ably_paginated_result_presence_messages(page, &n);
        assert_int_equal(n, 4);
        assert_true(ably_paginated_result_has_next(page));
        for (size_t i = 1; i < n; i++)
            assert_true(m[i].timestamp >= m[i - 1].timestamp);
        ably_paginated_result_free(page);
        ably_rest_destroy(rest);
    }
}

static void presence_with_bad_key_fails(void **state)
{
    sandbox_env *env = *state;
    char bad[256];
    snprintf(bad, sizeof bad, "%s.nosuchkey:secret", env->app_id);
    ably_client_options opts;
    ably_client_options_init(&opts);
    opts.key = bad;
    ably_rest *rest = rest_create(env, &opts, false);
    ably_rest_presence *p = fixture_presence(rest, NULL);
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_presence_get(p, NULL, &page, &err), -1);
    assert_null(page);
    assert_int_equal(err.status_code, 401);
    assert_int_equal(err.code, 40400);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_returns_fixture_members, "RSP1 RSP3"),
        ABLY_TEST(get_filters_by_client_id_and_decodes, "RSP3a2 RSP5"),
        ABLY_TEST(decrypts_encrypted_fixture_member, "RSP5 RSL5b"),
        ABLY_TEST(get_pages_through_members, "RSP3a1 TG4"),
        ABLY_TEST(history_lists_fixture_events, "RSP4 RSP4b2 RSP4b3"),
        ABLY_TEST(presence_with_bad_key_fails, "RSP3"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_presence", tests, rest_group_setup, rest_group_teardown);
}
