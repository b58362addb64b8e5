/* Reading the reference fixtures in ../shared/upstream from tests.
 *
 * ABLY_SHARED_UPSTREAM (the absolute path of ../shared/upstream) is set by
 * tests/CMakeLists.txt for the tests and this support library alike. Every loader fails the running cmocka test (never returns NULL) when the file
 * is missing or not valid JSON. */
#ifndef ABLY_TEST_FIXTURES_H
#define ABLY_TEST_FIXTURES_H

#include <stddef.h>
#include <cjson/cJSON.h>


/* The whole file, NUL-terminated, malloc'd (caller frees); its length in *len if len is not NULL. */
char *ably_test_read_file(const char *path, size_t *len);

/* The file parsed as JSON (caller frees with cJSON_Delete). */
cJSON *ably_test_load_json(const char *path);

/* A file of ably-common/test-resources parsed as JSON, e.g. "crypto-data-128.json". */
cJSON *ably_test_load_resource(const char *name);

/* The string member `name` of `obj`, or NULL when absent or not a string. */
const char *ably_test_json_string(const cJSON *obj, const char *name);

#endif
