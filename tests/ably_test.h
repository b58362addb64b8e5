/* The tagging convention for every libably test.
 *
 * Register each cmocka test with ABLY_TEST(function, "ID ID ..."), naming the
 * spec IDs (from spec/features.json) the test verifies. The IDs become part of
 * the test's name, so cmocka's own result output carries them to the harness:
 *
 *     static void decodes_message_fields(void **state) { ... }
 *     const struct CMUnitTest tests[] = {
 *         ABLY_TEST(decodes_message_fields, "TM2a TM2b TM2d"),
 *     };
 *
 * The tier is the directory: tests/unit, tests/sandbox, tests/fault.
 * harness/report.py rejects unknown IDs and tests without any.
 */
#ifndef ABLY_TEST_H
#define ABLY_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define ABLY_TEST(fn, ids) \
    { #fn " [" ids "]", fn, NULL, NULL, NULL }
#define ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown) \
    { #fn " [" ids "]", fn, setup, teardown, NULL }

/* Directory of the read-only reference copies (../shared/upstream). */
#ifndef ABLY_SHARED_UPSTREAM
#define ABLY_SHARED_UPSTREAM "../shared/upstream"
#endif

#endif
