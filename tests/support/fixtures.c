#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixtures.h"

char *ably_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)size;
    return text;
}

cJSON *ably_test_load_json(const char *path)
{
    size_t len;
    char *text = ably_test_read_file(path, &len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (root == NULL)
        fail_msg("%s is not valid JSON", path);
    return root;
}

cJSON *ably_test_load_resource(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ably-common/test-resources/%s", ABLY_SHARED_UPSTREAM, name);
    return ably_test_load_json(path);
}

const char *ably_test_json_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
