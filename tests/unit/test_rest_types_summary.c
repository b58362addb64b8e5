/* Typed annotation summaries (TM7) from a message's opaque summary (TM8a1). */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"

#define SUMMARY                                                                                         \
    "{\"reaction:distinct.v1\":{\"+1\":{\"total\":2,\"clientIds\":[\"a\",\"b\"]},"                      \
    "\"heart\":{\"total\":1,\"clientIds\":[\"c\"],\"clipped\":true}},"                                 \
    "\"vote:unique.v1\":{\"yes\":{\"total\":1,\"clientIds\":[\"a\"]}},"                                 \
    "\"rating:multiple.v1\":{\"stars\":{\"total\":7,\"clientIds\":{\"a\":3,\"b\":4},"                   \
    "\"totalUnidentified\":2,\"totalClientIds\":2}},"                                                  \
    "\"seen:flag.v1\":{\"total\":3,\"clientIds\":[\"a\",\"b\",\"c\"]},"                                 \
    "\"views:total.v1\":{\"total\":42}}"

static char *of_type(const char *type)
{
    char *json = NULL;
    ably_error err = {0};
    assert_int_equal(ably_annotation_summary_of_type(SUMMARY, type, &json, &err), 1);
    return json;
}

/* TM7, TM7a, TM7b: each type's summary is converted only when asked, by the
 * helper for its aggregation; an unknown type is just absent, never an error. */
static void summary_of_type_is_explicit(void **state)
{
    (void)state;
    char *json = NULL;
    ably_error err = {0};
    assert_int_equal(ably_annotation_summary_of_type(SUMMARY, "unknown:new.v9", &json, &err), 0);
    assert_null(json);
    assert_int_equal(ably_annotation_summary_of_type("not json", "x", &json, &err), -1);
    ably_error_clear(&err);
    json = of_type("views:total.v1");
    assert_string_equal(json, "{\"total\":42}");
    free(json);
}

/* TM7b1, TM7b2, TM7c, TM7c1, TM7c1a, TM7c1b, TM7c1c: distinct and unique give a
 * SummaryClientIdList per annotation name; clipped defaults to false. */
static void distinct_and_unique(void **state)
{
    (void)state;
    ably_error err = {0};
    char *json = of_type("reaction:distinct.v1");
    ably_summary_client_id_lists d;
    assert_int_equal(ably_summary_distinct_v1(json, &d, &err), 0);
    free(json);
    assert_int_equal(d.count, 2);
    for (size_t i = 0; i < d.count; i++) {
        if (strcmp(d.names[i], "+1") == 0) {
            assert_int_equal(d.values[i].total, 2);
            assert_int_equal(d.values[i].client_ids_count, 2);
            assert_string_equal(d.values[i].client_ids[1], "b");
            assert_false(d.values[i].clipped);
        } else {
            assert_string_equal(d.names[i], "heart");
            assert_true(d.values[i].clipped);
            assert_string_equal(d.values[i].client_ids[0], "c");
        }
    }
    ably_summary_client_id_lists_clear(&d);
    json = of_type("vote:unique.v1");
    ably_summary_client_id_lists u;
    assert_int_equal(ably_summary_unique_v1(json, &u, &err), 0);
    free(json);
    assert_int_equal(u.count, 1);
    assert_string_equal(u.names[0], "yes");
    assert_int_equal(u.values[0].total, 1);
    ably_summary_client_id_lists_clear(&u);
    assert_int_equal(ably_summary_distinct_v1("[1]", &d, &err), -1);
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
}

/* TM7b3, TM7d1, TM7d1a–TM7d1e: multiple gives SummaryClientIdCounts per name. */
static void multiple(void **state)
{
    (void)state;
    ably_error err = {0};
    char *json = of_type("rating:multiple.v1");
    ably_summary_client_id_counts_map m;
    assert_int_equal(ably_summary_multiple_v1(json, &m, &err), 0);
    free(json);
    assert_int_equal(m.count, 1);
    assert_string_equal(m.names[0], "stars");
    assert_int_equal(m.values[0].total, 7);
    double v = 0;
    assert_true(ably_number_map_get(&m.values[0].client_ids, "b", &v));
    assert_true(v == 4);
    assert_false(m.values[0].clipped);
    assert_int_equal(m.values[0].total_unidentified, 2);
    assert_int_equal(m.values[0].total_client_ids, 2);
    ably_summary_client_id_counts_map_clear(&m);
}

/* TM7b4, TM7b5, TM7e1, TM7e1a: flag gives one SummaryClientIdList, total a
 * SummaryTotal. */
static void flag_and_total(void **state)
{
    (void)state;
    ably_error err = {0};
    char *json = of_type("seen:flag.v1");
    ably_summary_client_id_list f;
    assert_int_equal(ably_summary_flag_v1(json, &f, &err), 0);
    free(json);
    assert_int_equal(f.total, 3);
    assert_int_equal(f.client_ids_count, 3);
    assert_false(f.clipped);
    ably_summary_client_id_list_clear(&f);
    json = of_type("views:total.v1");
    ably_summary_total t;
    assert_int_equal(ably_summary_total_v1(json, &t, &err), 0);
    free(json);
    assert_int_equal(t.total, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(summary_of_type_is_explicit, "TM7 TM7a TM7b"),
        ABLY_TEST(distinct_and_unique, "TM7b1 TM7b2 TM7c TM7c1 TM7c1a TM7c1b TM7c1c"),
        ABLY_TEST(multiple, "TM7b3 TM7d1 TM7d1a TM7d1b TM7d1c TM7d1d TM7d1e"),
        ABLY_TEST(flag_and_total, "TM7b4 TM7b5 TM7e1 TM7e1a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
