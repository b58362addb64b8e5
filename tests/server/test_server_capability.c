/* Unit tests of the sandbox's pure capability module (harness/sandbox/sbx_capability.c):
 * the server-side half of token capabilities (RSA6, TK2b/TD5 text, RSA9 intersection). */
#include "ably_test.h"

#include "../../harness/sandbox/sbx_capability.c"

static sbx_capability parse_ok(const char *json)
{
    sbx_capability cap;
    const char *why = NULL;
    int rc = sbx_cap_parse(json, &cap, &why);
    if (rc != 0)
        fail_msg("parse of %s failed: %s", json, why);
    return cap;
}

static void assert_intersection(const char *requested, const char *allowed, const char *expected)
{
    sbx_capability r = parse_ok(requested), a = parse_ok(allowed), out;
    assert_int_equal(sbx_cap_intersect(&r, &a, &out), 0);
    char *text = sbx_cap_to_json(&out);
    assert_string_equal(text, expected);
    free(text);
    sbx_cap_clear(&out);
    sbx_cap_clear(&r);
    sbx_cap_clear(&a);
}

static void canonicalises_order_and_whitespace(void **state)
{
    (void)state;
    sbx_capability cap = parse_ok("{ \"b\" : [\"subscribe\", \"publish\"], \"a\":[\"presence\"] }");
    char *text = sbx_cap_to_json(&cap);
    assert_string_equal(text, "{\"a\":[\"presence\"],\"b\":[\"publish\",\"subscribe\"]}");
    free(text);
    sbx_cap_clear(&cap);
}

static void star_operation_prints_as_star(void **state)
{
    (void)state;
    sbx_capability cap = parse_ok("{\"*\":[\"publish\",\"*\"]}");
    char *text = sbx_cap_to_json(&cap);
    assert_string_equal(text, "{\"*\":[\"*\"]}");
    free(text);
    sbx_cap_clear(&cap);
}

static void rejects_malformed_capabilities(void **state)
{
    (void)state;
    const char *bad[] = { "", "[]", "{\"a\":\"publish\"}", "{\"a\":[]}", "{\"a\":[\"fly\"]}",
                          "{\"a\":[1]}", "{\"\":[\"publish\"]}", "not json", NULL };
    for (int i = 0; bad[i]; i++) {
        sbx_capability cap;
        const char *why = NULL;
        assert_int_equal(sbx_cap_parse(bad[i], &cap, &why), -1);
        assert_non_null(why);
        assert_int_equal(cap.count, 0);
    }
    sbx_capability cap;
    assert_int_equal(sbx_cap_parse(NULL, &cap, NULL), -1);
}

static void knows_every_operation(void **state)
{
    (void)state;
    const char *ops[] = { "publish", "subscribe", "presence", "history", "stats", "channel-metadata",
                          "push-admin", "push-subscribe", "message-update-own", "message-update-any",
                          "message-delete-own", "message-delete-any", "annotation-publish",
                          "annotation-subscribe", "privileged-headers", "object-publish",
                          "object-subscribe", NULL };
    uint32_t seen = 0;
    for (int i = 0; ops[i]; i++) {
        uint32_t bit = sbx_cap_op_from_name(ops[i]);
        assert_true(bit != 0);
        assert_int_equal(seen & bit, 0);
        seen |= bit;
    }
    assert_int_equal(seen, SBX_OP_ALL);
    assert_int_equal(sbx_cap_op_from_name("*"), SBX_OP_ALL);
    assert_int_equal(sbx_cap_op_from_name("publish "), 0);
}

static void matches_exact_and_wildcard_resources(void **state)
{
    (void)state;
    sbx_capability cap = parse_ok("{\"exact\":[\"publish\"],\"ns:*\":[\"subscribe\"],\"*\":[\"history\"]}");
    assert_true(sbx_cap_permits(&cap, "exact", SBX_OP_PUBLISH));
    assert_false(sbx_cap_permits(&cap, "exact2", SBX_OP_PUBLISH));
    assert_false(sbx_cap_permits(&cap, "exac", SBX_OP_PUBLISH));
    assert_true(sbx_cap_permits(&cap, "ns:a", SBX_OP_SUBSCRIBE));
    assert_true(sbx_cap_permits(&cap, "ns:a:b", SBX_OP_SUBSCRIBE));
    assert_false(sbx_cap_permits(&cap, "ns:", SBX_OP_SUBSCRIBE));
    assert_false(sbx_cap_permits(&cap, "ns", SBX_OP_SUBSCRIBE));
    assert_false(sbx_cap_permits(&cap, "other:a", SBX_OP_SUBSCRIBE));
    assert_true(sbx_cap_permits(&cap, "anything", SBX_OP_HISTORY));
    assert_false(sbx_cap_permits(&cap, "anything", SBX_OP_PUBLISH));
    /* "*" does not reach qualified channels */
    assert_false(sbx_cap_permits(&cap, "[meta]log", SBX_OP_HISTORY));
    /* channel params are not a qualifier */
    assert_true(sbx_cap_permits(&cap, "[?rewind=1]exact", SBX_OP_PUBLISH));
    sbx_cap_clear(&cap);
}

static void matches_qualified_resources(void **state)
{
    (void)state;
    sbx_capability all = parse_ok("{\"[*]*\":[\"*\"]}");
    assert_true(sbx_cap_permits(&all, "[meta]log", SBX_OP_SUBSCRIBE));
    assert_true(sbx_cap_permits(&all, "plain", SBX_OP_PRIVILEGED_HEADERS));
    assert_true(sbx_cap_permits(&all, "[meta?rewind=1]log", SBX_OP_SUBSCRIBE));
    assert_true(sbx_cap_permits_app_wide(&all, SBX_OP_STATS));
    sbx_cap_clear(&all);

    sbx_capability meta = parse_ok("{\"[meta]*\":[\"subscribe\"],\"[meta]x\":[\"history\"]}");
    assert_true(sbx_cap_permits(&meta, "[meta]anything", SBX_OP_SUBSCRIBE));
    assert_false(sbx_cap_permits(&meta, "anything", SBX_OP_SUBSCRIBE));
    assert_false(sbx_cap_permits(&meta, "[other]anything", SBX_OP_SUBSCRIBE));
    assert_true(sbx_cap_permits(&meta, "[meta]x", SBX_OP_HISTORY));
    assert_false(sbx_cap_permits(&meta, "[meta]y", SBX_OP_HISTORY));
    assert_false(sbx_cap_permits_app_wide(&meta, SBX_OP_SUBSCRIBE));
    sbx_cap_clear(&meta);
}

static void app_wide_operations_need_a_star_resource(void **state)
{
    (void)state;
    sbx_capability a = parse_ok("{\"*\":[\"stats\",\"channel-metadata\"]}");
    sbx_capability b = parse_ok("{\"ns:*\":[\"stats\"],\"x\":[\"*\"]}");
    assert_true(sbx_cap_permits_app_wide(&a, SBX_OP_STATS));
    assert_true(sbx_cap_permits_app_wide(&a, SBX_OP_CHANNEL_METADATA));
    assert_false(sbx_cap_permits_app_wide(&a, SBX_OP_PUSH_ADMIN));
    assert_false(sbx_cap_permits_app_wide(&b, SBX_OP_STATS));
    sbx_cap_clear(&a);
    sbx_cap_clear(&b);
}

static void intersects_operations(void **state)
{
    (void)state;
    assert_intersection("{\"a\":[\"publish\",\"subscribe\"]}", "{\"a\":[\"subscribe\",\"presence\"]}",
                        "{\"a\":[\"subscribe\"]}");
    assert_intersection("{\"a\":[\"*\"]}", "{\"a\":[\"publish\"]}", "{\"a\":[\"publish\"]}");
    assert_intersection("{\"a\":[\"history\"]}", "{\"a\":[\"*\"]}", "{\"a\":[\"history\"]}");
    assert_intersection("{\"*\":[\"*\"]}", "{\"*\":[\"*\"]}", "{\"*\":[\"*\"]}");
}

static void intersects_resources_both_ways(void **state)
{
    (void)state;
    /* narrower request inside a wildcard key */
    assert_intersection("{\"ns:x\":[\"publish\"]}", "{\"ns:*\":[\"publish\"]}", "{\"ns:x\":[\"publish\"]}");
    assert_intersection("{\"foo\":[\"subscribe\"]}", "{\"*\":[\"*\"]}", "{\"foo\":[\"subscribe\"]}");
    /* wildcard request narrowed to the key's resources */
    assert_intersection("{\"*\":[\"*\"]}",
                        "{\"channel0\":[\"publish\"],\"channel6\":[\"*\"]}",
                        "{\"channel0\":[\"publish\"],\"channel6\":[\"*\"]}");
    assert_intersection("{\"ns:*\":[\"subscribe\"]}", "{\"ns:a\":[\"publish\",\"subscribe\"]}",
                        "{\"ns:a\":[\"subscribe\"]}");
    /* qualified */
    assert_intersection("{\"[meta]log\":[\"subscribe\"]}", "{\"[*]*\":[\"*\"]}",
                        "{\"[meta]log\":[\"subscribe\"]}");
    assert_intersection("{\"[*]*\":[\"subscribe\"]}", "{\"*\":[\"*\"]}", "{\"*\":[\"subscribe\"]}");
}

static void disjoint_intersection_is_empty(void **state)
{
    (void)state;
    assert_intersection("{\"a\":[\"publish\"]}", "{\"b\":[\"publish\"]}", "{}");
    assert_intersection("{\"a\":[\"publish\"]}", "{\"a\":[\"subscribe\"]}", "{}");
    assert_intersection("{\"[meta]a\":[\"publish\"]}", "{\"*\":[\"*\"]}", "{}");
    assert_intersection("{\"ns:*\":[\"publish\"]}", "{\"other:*\":[\"publish\"]}", "{}");
}

static void intersection_merges_duplicate_resources(void **state)
{
    (void)state;
    assert_intersection("{\"x\":[\"publish\",\"subscribe\"]}",
                        "{\"*\":[\"publish\"],\"x\":[\"subscribe\"]}",
                        "{\"x\":[\"publish\",\"subscribe\"]}");
}

static void test_app_key_capabilities_parse(void **state)
{
    (void)state;
    /* the capabilities of ably-common's test-app-setup.json */
    sbx_capability cap = parse_ok("{ \"cansubscribe:*\":[\"subscribe\"], \"canpublish:*\":[\"publish\"], "
                                  "\"canpublish:andpresence\":[\"presence\",\"publish\"], "
                                  "\"pushenabled:*\":[\"publish\",\"subscribe\",\"push-subscribe\"], "
                                  "\"pushenabled:admin:*\":[\"publish\",\"subscribe\",\"push-admin\"] }");
    assert_int_equal(cap.count, 5);
    assert_true(sbx_cap_permits(&cap, "canpublish:andpresence", SBX_OP_PRESENCE));
    assert_false(sbx_cap_permits(&cap, "canpublish:other", SBX_OP_PRESENCE));
    assert_true(sbx_cap_permits(&cap, "pushenabled:admin:x", SBX_OP_PUSH_ADMIN));
    assert_false(sbx_cap_permits(&cap, "pushenabled:x", SBX_OP_PUSH_ADMIN));
    sbx_cap_clear(&cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(canonicalises_order_and_whitespace, "RSA6 TD5"),
        ABLY_TEST(star_operation_prints_as_star, "RSA6"),
        ABLY_TEST(rejects_malformed_capabilities, "RSA6"),
        ABLY_TEST(knows_every_operation, "RSA6"),
        ABLY_TEST(matches_exact_and_wildcard_resources, "RSA6"),
        ABLY_TEST(matches_qualified_resources, "RSA6"),
        ABLY_TEST(app_wide_operations_need_a_star_resource, "RSA6"),
        ABLY_TEST(intersects_operations, "RSA6 RSA9"),
        ABLY_TEST(intersects_resources_both_ways, "RSA6 RSA9"),
        ABLY_TEST(disjoint_intersection_is_empty, "RSA6"),
        ABLY_TEST(intersection_merges_duplicate_resources, "RSA6"),
        ABLY_TEST(test_app_key_capabilities_parse, "G2 RSA6"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
