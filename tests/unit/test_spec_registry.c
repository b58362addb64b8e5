/* The generated spec-item registry (generated/src/spec_registry.c).
 *
 * These pin the item set of features spec 6.1.1 as imported by
 * codegen/import_spec.py, so they are tagged with the version items: a failure
 * here after re-importing a newer spec means the pins need a deliberate update.
 */
#include "ably_test.h"

#include <string.h>

#include "ably/gen/spec_registry.h"

/* Spec 6.1.1: 1715 item lines. 165 are not live: 160 say "This clause has been
 * deleted/removed/replaced/renamed", RSH2c-e say "(Moved to ...)", RSC7b is
 * marked superseded, and RSC7b1 sits under RSC7b (inactive). */
enum { TOTAL_ITEMS = 1715, LIVE_ITEMS = 1550 };

static const ably_spec_item *must_find(const char *id)
{
    const ably_spec_item *item = ably_spec_item_find(id);
    assert_non_null(item);
    assert_string_equal(item->id, id);
    return item;
}

static void version_macros_match_the_imported_spec(void **state)
{
    (void)state;
    assert_string_equal(ABLY_SPEC_VERSION, "6.1.1");
    assert_int_equal(ABLY_PROTOCOL_VERSION, 6);
    assert_string_equal(ABLY_PROTOCOL_VERSION_STRING, "6");
}

static void counts_all_and_live_items(void **state)
{
    (void)state;
    assert_int_equal(ably_spec_item_count(), TOTAL_ITEMS);
    size_t live = 0;
    for (size_t i = 0; i < ably_spec_item_count(); i++)
        live += ably_spec_item_is_live(ably_spec_item_at(i));
    assert_int_equal(live, LIVE_ITEMS);
}

static void table_is_strictly_sorted_and_every_id_is_findable(void **state)
{
    (void)state;
    for (size_t i = 0; i < ably_spec_item_count(); i++) {
        const ably_spec_item *item = ably_spec_item_at(i);
        assert_non_null(item);
        if (i > 0)
            assert_true(strcmp(ably_spec_item_at(i - 1)->id, item->id) < 0);
        assert_ptr_equal(ably_spec_item_find(item->id), item);
    }
    assert_null(ably_spec_item_at(ably_spec_item_count()));
}

static void lookups_of_unknown_ids_fail(void **state)
{
    (void)state;
    assert_null(ably_spec_item_find(NULL));
    assert_null(ably_spec_item_find(""));
    assert_null(ably_spec_item_find("RSL1A"));   /* IDs are case-sensitive */
    assert_null(ably_spec_item_find("RSL1a "));
    assert_null(ably_spec_item_find("ZZZ999"));
    assert_null(ably_spec_item_find("A"));       /* before the first entry */
    assert_false(ably_spec_item_is_live(NULL));
}

static void survives_the_upstream_quirks(void **state)
{
    (void)state;
    const ably_spec_item *nu = must_find("TR3\xce\xbd");   /* UTF-8 Greek small nu */
    assert_string_equal(nu->parent, "TR3");
    assert_true(ably_spec_item_is_live(nu));
    /* TR3v (Latin v) is a different item, three lines above it upstream. */
    assert_ptr_not_equal(must_find("TR3v"), nu);
    assert_int_equal(nu->line, must_find("TR3v")->line + 3);

    const ably_spec_item *typo = must_find("C02d");         /* zero, not letter O */
    assert_string_equal(typo->parent, "CO2");
    assert_string_equal(typo->section, "Types / Option types / CipherParamOptions");

    /* ChannelProperties has no heading of its own upstream. */
    assert_string_equal(must_find("CP1")->section, "Types / Data types / ConnectionDetails");
    assert_null(must_find("CP1")->parent);
    assert_string_equal(must_find("CP2a")->parent, "CP2");

    const ably_spec_item *csv1b = must_find("CSV1b");
    assert_string_equal(csv1b->section, "Specification and Protocol Versions");
    assert_string_equal(csv1b->parent, "CSV1");
    assert_int_equal(csv1b->line, 17);
    assert_true(ably_spec_item_is_live(must_find("CSV2b")));
}

static void dead_items_are_not_live(void **state)
{
    (void)state;
    const ably_spec_item *deleted = must_find("RSN4c");
    assert_int_equal(deleted->status, ABLY_SPEC_DELETED);
    assert_false(ably_spec_item_is_live(deleted));
    assert_int_equal(must_find("RTN15g")->status, ABLY_SPEC_REPLACED);
    assert_int_equal(must_find("RSH2c")->status, ABLY_SPEC_REPLACED);   /* "(Moved to ...)" */
    assert_int_equal(must_find("CH02")->status, ABLY_SPEC_RENAMED);
    assert_false(ably_spec_item_is_live(must_find("CH02")));
    assert_string_equal(ably_spec_status_name(must_find("CH02")->status), "renamed");
}

static void child_of_a_dead_item_is_inactive(void **state)
{
    (void)state;
    const ably_spec_item *child = must_find("RSC7b1");
    assert_string_equal(child->parent, "RSC7b");
    assert_int_equal(must_find("RSC7b")->status, ABLY_SPEC_REPLACED);
    assert_int_equal(child->status, ABLY_SPEC_INACTIVE);
    assert_false(ably_spec_item_is_live(child));
    assert_string_equal(ably_spec_status_name(child->status), "inactive");
}

static void deprecated_items_stay_live(void **state)
{
    (void)state;
    const ably_spec_item *item = must_find("REC1b1");
    assert_int_equal(item->status, ABLY_SPEC_DEPRECATED);
    assert_true(ably_spec_item_is_live(item));
    assert_int_equal(must_find("RSL1a")->status, ABLY_SPEC_ACTIVE);
}

/* Every parent exists, comes earlier in the document, and a live item never
 * sits under a dead one. */
static void parents_are_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < ably_spec_item_count(); i++) {
        const ably_spec_item *item = ably_spec_item_at(i);
        assert_non_null(item->section);
        if (item->parent == NULL)
            continue;
        const ably_spec_item *parent = ably_spec_item_find(item->parent);
        assert_non_null(parent);
        assert_true(parent->line < item->line);
        if (!ably_spec_item_is_live(parent))
            assert_false(ably_spec_item_is_live(item));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(version_macros_match_the_imported_spec, "CSV1b CSV2b"),
        ABLY_TEST(counts_all_and_live_items, "CSV1b"),
        ABLY_TEST(table_is_strictly_sorted_and_every_id_is_findable, "CSV1b"),
        ABLY_TEST(lookups_of_unknown_ids_fail, "CSV1b"),
        ABLY_TEST(survives_the_upstream_quirks, "CSV1b"),
        ABLY_TEST(dead_items_are_not_live, "CSV1b"),
        ABLY_TEST(child_of_a_dead_item_is_inactive, "CSV1b"),
        ABLY_TEST(deprecated_items_stay_live, "CSV1b"),
        ABLY_TEST(parents_are_consistent, "CSV1b"),
    };
    return cmocka_run_group_tests_name("spec_registry", tests, NULL, NULL);
}
