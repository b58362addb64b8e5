/* REST annotations against the sandbox (UTS rest/integration/mutable_messages.md,
 * RSAN1-RSAN3) on the app's "mutable" namespace, over JSON and msgpack. */
#include "test_rest_support.h"

static ably_rest_channel *mutable_channel(ably_rest *rest, const char *what, bool binary)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "mutable:%s", what);
    return rest_fresh_channel(rest, prefix, binary);
}

static char *publish_one(ably_rest_channel *ch)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "content", 7);
    ably_publish_result res = {0};
    ably_error err = {0};
    REST_OK(ably_rest_channel_publish(ch, "annotatable", &d, &res, &err), &err);
    assert_int_equal(res.serials_count, 1);
    char *serial = strdup(res.serials[0]);
    ably_publish_result_clear(&res);
    return serial;
}

static ably_annotation reaction(const char *name)
{
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "com.ably.reactions";
    a.name = (char *)(uintptr_t)name;
    return a;
}

static void annotation_lifecycle(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "RSAN-lifecycle", binary);
        ably_rest_annotations *an = ably_rest_channel_annotations(ch);
        char *serial = publish_one(ch);
        ably_annotation like = reaction("like");
        like.data = ably_data_borrow(ABLY_DATA_JSON, "{\"weight\":2}", 12);
        ably_error err = {0};
        REST_OK(ably_rest_annotations_publish(an, serial, &like, &err), &err);
        REST_OK(ably_rest_annotations_delete(an, serial, &like, &err), &err);

        ably_paginated_result *page = NULL;
        REST_OK(ably_rest_annotations_get(an, serial, NULL, &page, &err), &err);
        size_t n = 0;
        const ably_annotation *items = ably_paginated_result_annotations(page, &n);
        assert_int_equal(n, 2);
        assert_int_equal(items[0].action, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
        assert_int_equal(items[1].action, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(items[i].type, "com.ably.reactions");
            assert_string_equal(items[i].name, "like");
            assert_string_equal(items[i].message_serial, serial);
            assert_non_null(items[i].id); /* RSAN1c4 or the server's */
            assert_non_null(items[i].serial);
        }
        assert_int_equal(items[0].data.type, ABLY_DATA_JSON); /* RSAN1c3 encoded, RSAN3c decoded */
        assert_memory_equal(items[0].data.bytes, "{\"weight\":2}", 12);
        assert_null(items[0].encoding);
        ably_paginated_result_free(page);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void get_is_paginated(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        ably_rest_channel *ch = mutable_channel(rest, "RSAN3-paginated", binary);
        ably_rest_annotations *an = ably_rest_channel_annotations(ch);
        char *serial = publish_one(ch);
        const char *names[] = {"like", "heart", "wow"};
        ably_error err = {0};
        for (size_t i = 0; i < 3; i++) {
            ably_annotation a = reaction(names[i]);
            REST_OK(ably_rest_annotations_publish(an, serial, &a, &err), &err);
        }
        ably_string_map params = {0};
        ably_string_map_set(&params, "limit", "2");
        ably_paginated_result *page = NULL;
        REST_OK(ably_rest_annotations_get(an, serial, &params, &page, &err), &err); /* RSAN3b: params sent */
        ably_string_map_clear(&params);
        size_t n = 0;
        const ably_annotation *items = ably_paginated_result_annotations(page, &n);
        assert_int_equal(n, 2);
        assert_string_equal(items[0].name, "like");
        assert_string_equal(items[1].name, "heart");
        assert_true(ably_paginated_result_has_next(page));
        ably_paginated_result *next = NULL;
        REST_OK(ably_paginated_result_next(page, &next, &err), &err);
        items = ably_paginated_result_annotations(next, &n);
        assert_int_equal(n, 1);
        assert_string_equal(items[0].name, "wow");
        assert_string_equal(items[0].message_serial, serial);
        ably_paginated_result_free(next);
        ably_paginated_result_free(page);
        free(serial);
        ably_rest_destroy(rest);
    }
}

static void summary_reaches_the_message(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 0, false);
    ably_rest_channel *ch = mutable_channel(rest, "summary", false);
    ably_rest_annotations *an = ably_rest_channel_annotations(ch);
    char *serial = publish_one(ch);
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "reaction:distinct.v1";
    a.name = "like";
    a.client_id = "someone";
    ably_error err = {0};
    REST_OK(ably_rest_annotations_publish(an, serial, &a, &err), &err);
    ably_message m;
    ably_message_init(&m);
    REST_OK(ably_rest_channel_get_message(ch, serial, &m, &err), &err);
    assert_non_null(m.annotations);
    assert_non_null(m.annotations->summary);
    assert_non_null(strstr(m.annotations->summary, "\"reaction:distinct.v1\""));
    assert_non_null(strstr(m.annotations->summary, "\"someone\""));
    ably_message_clear(&m);
    free(serial);
    ably_rest_destroy(rest);
}

static void server_rejections(void **state)
{
    sandbox_env *env = *state;
    ably_rest *rest = rest_with_key(env, 3, false); /* {"*":["subscribe"]} */
    ably_rest_channel *ch = mutable_channel(rest, "denied", false);
    ably_annotation a = reaction("like");
    ably_error err = {0};
    assert_int_equal(ably_rest_annotations_publish(ably_rest_channel_annotations(ch), "00000000000001-000000001", &a,
                                                   &err),
                     -1);
    assert_int_equal(err.code, 40160);
    ably_error_clear(&err);
    ably_rest_destroy(rest);

    rest = rest_with_key(env, 0, false);
    ably_rest_channel *plain = NULL;
    REST_OK(ably_rest_channels_get(rest, "plain-annotations", NULL, &plain, &err), &err);
    char *serial = publish_one(plain);
    assert_int_equal(ably_rest_annotations_publish(ably_rest_channel_annotations(plain), serial, &a, &err), -1);
    assert_int_equal(err.code, 93002); /* annotations need a mutableMessages namespace */
    ably_error_clear(&err);
    free(serial);
    ably_rest_destroy(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(annotation_lifecycle, "RSAN1 RSAN1c RSAN1c1 RSAN1c3 RSAN2 RSAN2a RSAN3 RSAN3c"),
        ABLY_TEST(get_is_paginated, "RSAN3 RSAN3b RSAN3c"),
        ABLY_TEST(summary_reaches_the_message, "TM2u TM8a"),
        ABLY_TEST(server_rejections, "RSAN1"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_annotations", tests, rest_group_setup, rest_group_teardown);
}
