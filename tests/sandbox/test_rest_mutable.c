/* Mutable messages against the sandbox (UTS rest/integration/mutable_messages.md)
 * on the app's "mutable" namespace, over JSON and msgpack. The annotation
 * tests of that spec (RSAN1-RSAN3) are not ported: ably-sandbox has no
 * annotation routes yet. */
#include "test_rest_support.h"

static ably_rest_channel *mutable_channel(ably_rest *rest, const char *what, bool binary)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "mutable:%s", what);
    return rest_fresh_channel(rest, prefix, binary);
}

/* Publishes one string message; returns its serial (malloc'd). */
static char *publish_one(ably_rest_channel *ch, const char *name, const char *data)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
    ably_publish_result res = {0};
    ably_error err = {0};
    REST_OK(ably_rest_channel_publish(ch, name, &d, &res, &err), &err);
    assert_int_equal(res.serials_count, 1);
    assert_non_null(res.serials[0]);
    char *serial = strdup(res.serials[0]);
    ably_publish_result_clear(&res);
    return serial;
}

static void get_message_by_serial(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "get", binary);
        char *serial = publish_one(ch, "original", "original-data");
        ably_message m;
        ably_message_init(&m);
        ably_error err = {0};
        REST_OK(ably_rest_channel_get_message(ch, serial, &m, &err), &err);
        assert_string_equal(m.serial, serial);
        assert_string_equal(m.name, "original");
        assert_string_equal(m.data.bytes, "original-data");
        ably_message_clear(&m);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void update_then_get_shows_new_version(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "update", binary);
        char *serial = publish_one(ch, "original", "original-data");
        ably_message upd;
        ably_message_init(&upd);
        upd.serial = serial;
        upd.name = "updated";
        upd.data = ably_data_borrow(ABLY_DATA_STRING, "updated-data", 12);
        ably_message_operation op = { .description = "edited content" };
        ably_update_delete_result res = {0};
        ably_error err = {0};
        REST_OK(ably_rest_channel_update_message(ch, &upd, &op, NULL, &res, &err), &err);
        assert_non_null(res.version_serial);
        assert_true(strlen(res.version_serial) > 0);
        ably_update_delete_result_clear(&res);

        ably_message m;
        ably_message_init(&m);
        REST_OK(ably_rest_channel_get_message(ch, serial, &m, &err), &err);
        assert_true(m.has_action);
        assert_int_equal(m.action, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
        assert_string_equal(m.name, "updated");
        assert_string_equal(m.data.bytes, "updated-data");
        assert_non_null(m.version);
        assert_string_equal(m.version->description, "edited content");
        ably_message_clear(&m);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void delete_marks_message_deleted(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "delete", binary);
        char *serial = publish_one(ch, "doomed", "bye");
        ably_message del;
        ably_message_init(&del);
        del.serial = serial;
        ably_update_delete_result res = {0};
        ably_error err = {0};
        REST_OK(ably_rest_channel_delete_message(ch, &del, NULL, NULL, &res, &err), &err);
        assert_non_null(res.version_serial);
        ably_update_delete_result_clear(&res);
        ably_message m;
        ably_message_init(&m);
        REST_OK(ably_rest_channel_get_message(ch, serial, &m, &err), &err);
        assert_int_equal(m.action, ABLY_MESSAGE_ACTION_MESSAGE_DELETE);
        ably_message_clear(&m);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void versions_list_every_change(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "versions", binary);
        char *serial = publish_one(ch, "v", "v1");
        ably_message upd;
        ably_message_init(&upd);
        upd.serial = serial;
        upd.data = ably_data_borrow(ABLY_DATA_STRING, "v2", 2);
        ably_error err = {0};
        REST_OK(ably_rest_channel_update_message(ch, &upd, NULL, NULL, NULL, &err), &err);
        ably_paginated_result *page = NULL;
        REST_OK(ably_rest_channel_get_message_versions(ch, serial, NULL, &page, &err), &err);
        size_t n = 0;
        const ably_message *v = ably_paginated_result_messages(page, &n);
        assert_true(n >= 2);
        bool saw_update = false;
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(v[i].serial, serial);
            saw_update |= v[i].action == ABLY_MESSAGE_ACTION_MESSAGE_UPDATE;
        }
        assert_true(saw_update);
        ably_paginated_result_free(page);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void append_returns_version_serial(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "append", binary);
        char *serial = publish_one(ch, "stream", "Hello");
        ably_message app;
        ably_message_init(&app);
        app.serial = serial;
        app.data = ably_data_borrow(ABLY_DATA_STRING, " world", 6);
        ably_update_delete_result res = {0};
        ably_error err = {0};
        REST_OK(ably_rest_channel_append_message(ch, &app, NULL, NULL, &res, &err), &err);
        assert_non_null(res.version_serial);
        assert_true(strlen(res.version_serial) > 0);
        ably_update_delete_result_clear(&res);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void update_outside_mutable_namespace_fails(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 0, false);
    char name[128];
    rest_channel_name(name, sizeof name, "not-mutable", false);
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
    char *serial = publish_one(ch, "plain", "x");
    ably_message upd;
    ably_message_init(&upd);
    upd.serial = serial;
    upd.data = ably_data_borrow(ABLY_DATA_STRING, "y", 1);
    assert_int_equal(ably_rest_channel_update_message(ch, &upd, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, 93002);
    ably_error_clear(&err);
    free(serial);
    ably_rest_destroy(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_message_by_serial, "RSL11 RSL1n"),
        ABLY_TEST(update_then_get_shows_new_version, "RSL15 RSL15b RSL11"),
        ABLY_TEST(delete_marks_message_deleted, "RSL15 RSL15b"),
        ABLY_TEST(versions_list_every_change, "RSL14"),
        ABLY_TEST(append_returns_version_serial, "RSL15 RSL15b"),
        ABLY_TEST(update_outside_mutable_namespace_fails, "RSL15"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_mutable", tests, rest_group_setup, rest_group_teardown);
}
