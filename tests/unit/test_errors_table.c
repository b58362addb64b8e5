/* The generated error-code table (generated/src/errors.c, from spec/errors.json).
 *
 * Checks the codes the spec names, the HTTP status each maps to when libably raises it,
 * the lookup's behaviour on unknown codes, the table's order, and that the table holds
 * exactly the codes of ably-common's errors.json (read in place from ABLY_SHARED_UPSTREAM).
 */
#include "ably_test.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ably/gen/errors.h"

static const ably_error_code_info *must_find(int code)
{
    const ably_error_code_info *info = ably_error_code_lookup(code);
    if (info == NULL)
        fail_msg("error code %d missing from the table", code);
    assert_int_equal(info->code, code);
    assert_non_null(info->name);
    assert_non_null(info->title);
    assert_true(info->title[0] != '\0');
    return info;
}

static void assert_status(int code, int status)
{
    const ably_error_code_info *info = must_find(code);
    if (info->http_status != status)
        fail_msg("code %d: status %d, expected %d", code, info->http_status, status);
}

/* Codes the features spec raises or reacts to by number must all be in the table. */
static void spec_named_codes_exist(void **state)
{
    (void)state;
    static const int named[] = {
        40000, 40003, 40005, 40009, 40012, 40013, 40018, 40019, 40020, 40024, 40100, 40101,
        40102, 40103, 40104, 40106, 40140, 40141, 40142, 40143, 40144, 40145, 40160, 40171,
        40300, 40400, 50000, 50001, 50002, 50003, 80000, 80002, 80003, 80008, 80016, 80017,
        80018, 80019, 90001, 90007, 90009, 91001, 91004, 91005, 91008, 92000, 93001,
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        must_find(named[i]);
}

/* The C constants carry the upstream identifier, upper-cased. */
static void constants_match_upstream_identifiers(void **state)
{
    (void)state;
    assert_int_equal(ABLY_ERR_MAX_MESSAGE_SIZE_EXCEEDED, 40009);
    assert_int_equal(ABLY_ERR_INVALID_CLIENT_ID, 40012);
    assert_int_equal(ABLY_ERR_TOKEN_EXPIRED, 40142);
    assert_int_equal(ABLY_ERR_TOKEN_REQUEST_FAILED, 80019);
    assert_int_equal(ABLY_ERR_CONNECTION_SUSPENDED, 80002);
    assert_int_equal(ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 90001);
    assert_int_equal(ABLY_ERR_PRESENCE_STATE_OUT_OF_SYNC, 91005);
    assert_string_equal(must_find(ABLY_ERR_TOKEN_EXPIRED)->name, "token_expired");
    assert_string_equal(must_find(ABLY_ERR_MAX_MESSAGE_SIZE_EXCEEDED)->title, "Message too large");
}

/* 4xxxx and 5xxxx codes map to code / 100. */
static void status_of_4xxxx_and_5xxxx_is_code_div_100(void **state)
{
    (void)state;
    assert_status(40009, 400); /* TO3l8: over maxMessageSize */
    assert_status(40012, 400);
    assert_status(40101, 401);
    assert_status(40142, 401); /* RTN15h1: token errors come with 401 */
    assert_status(40160, 401);
    assert_status(40171, 401);
    assert_status(40300, 403);
    assert_status(50002, 500);
    assert_status(50003, 500);
    for (size_t i = 0; i < ABLY_ERROR_CODE_COUNT; i++) {
        const ably_error_code_info *e = &ably_error_code_table[i];
        if (e->code >= 40000 && e->code <= 59999 && e->http_status != e->code / 100)
            fail_msg("code %d has status %d", e->code, e->http_status);
    }
}

/* Families outside 4xxxx/5xxxx follow spec/error_status.yaml. */
static void status_of_other_families(void **state)
{
    (void)state;
    assert_status(80000, 400);
    assert_status(80002, 400);
    assert_status(80003, 400);
    assert_status(80017, 400);
    assert_status(80019, 401); /* RSA4c1 */
    assert_status(90001, 400); /* RTL33c */
    assert_status(90009, 400); /* RTL7i */
    assert_status(91008, 400); /* RTP11f */
    assert_status(90007, 408);
    assert_status(92000, 400);
    assert_status(70000, 500);
    for (size_t i = 0; i < ABLY_ERROR_CODE_COUNT; i++) {
        int s = ably_error_code_table[i].http_status;
        if (s < 100 || s > 599)
            fail_msg("code %d has status %d", ably_error_code_table[i].code, s);
    }
}

static void unknown_codes_are_not_found(void **state)
{
    (void)state;
    static const int unknown[] = { 0, -1, 1, 9999, 40146, 40149, 99999, 2147483647, -2147483647 - 1 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_null(ably_error_code_lookup(unknown[i]));
}

/* The lookup is a binary search, so the table must be strictly ascending (sorted, unique),
 * and every entry must be found at its own address. */
static void table_is_sorted_and_unique(void **state)
{
    (void)state;
    assert_true(ABLY_ERROR_CODE_COUNT > 200);
    for (size_t i = 1; i < ABLY_ERROR_CODE_COUNT; i++)
        if (ably_error_code_table[i - 1].code >= ably_error_code_table[i].code)
            fail_msg("table not strictly ascending at index %zu", i);
    for (size_t i = 0; i < ABLY_ERROR_CODE_COUNT; i++) {
        assert_ptr_equal(ably_error_code_lookup(ably_error_code_table[i].code), &ably_error_code_table[i]);
        for (size_t j = i + 1; j < ABLY_ERROR_CODE_COUNT; j++)
            if (strcmp(ably_error_code_table[i].name, ably_error_code_table[j].name) == 0)
                fail_msg("name %s used twice", ably_error_code_table[i].name);
    }
}

static void token_error_range(void **state)
{
    (void)state;
    assert_false(ABLY_ERR_IS_TOKEN_ERROR(40139));
    assert_true(ABLY_ERR_IS_TOKEN_ERROR(40140));
    assert_true(ABLY_ERR_IS_TOKEN_ERROR(40142));
    assert_true(ABLY_ERR_IS_TOKEN_ERROR(40149));
    assert_false(ABLY_ERR_IS_TOKEN_ERROR(40150));
    assert_false(ABLY_ERR_IS_TOKEN_ERROR(40160));
}

/* The table holds exactly the upstream codes, with their identifiers and titles. */
static void table_matches_upstream_errors_json(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_json(ABLY_SHARED_UPSTREAM "/ably-common/protocol/errors.json");
    const cJSON *codes = cJSON_GetObjectItemCaseSensitive(root, "codes");
    assert_true(cJSON_IsObject(codes));
    size_t seen = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, codes) {
        int code = atoi(entry->string);
        const ably_error_code_info *info = ably_error_code_lookup(code);
        if (info == NULL)
            fail_msg("upstream code %d missing", code);
        const cJSON *ident = cJSON_GetObjectItemCaseSensitive(entry, "identifier");
        const cJSON *title = cJSON_GetObjectItemCaseSensitive(entry, "title");
        assert_true(cJSON_IsString(ident) && cJSON_IsString(title));
        assert_string_equal(info->name, ident->valuestring);
        assert_string_equal(info->title, title->valuestring);
        seen++;
    }
    cJSON_Delete(root);
    assert_int_equal(seen, ABLY_ERROR_CODE_COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(spec_named_codes_exist, "TI1 TO3l8 RSA4c1 RTN15h1 RTL33c RTL7i RTP11f"),
        ABLY_TEST(constants_match_upstream_identifiers, "TI1"),
        ABLY_TEST(status_of_4xxxx_and_5xxxx_is_code_div_100, "TI1 RTN15h1"),
        ABLY_TEST(status_of_other_families, "TI1 RSA4c1 RTL33c RTL7i RTP11f"),
        ABLY_TEST(unknown_codes_are_not_found, "TI1"),
        ABLY_TEST(table_is_sorted_and_unique, "TI1"),
        ABLY_TEST(token_error_range, "RTN15h1 RTN15h2"),
        ABLY_TEST(table_matches_upstream_errors_json, "TI1"),
    };
    return cmocka_run_group_tests_name("errors_table", tests, NULL, NULL);
}
