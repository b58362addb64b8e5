/* Delta interop with the official JavaScript SDK: ably-js with the
 * @ably/vcdiff-decoder plugin subscribes to a channel of ably-sandbox attached
 * with params delta=vcdiff (harness/interop/delta_subscriber.mjs). It must get
 * every payload intact with all but the first decoded as deltas and no
 * reattach: so the sandbox's deltas (what the C client's own tests decode) are
 * the wire form Ably's SDKs expect: encoding steps, extras.delta, VCDIFF bytes.
 * A missing node or node_modules is a failure, not a skip: run
 * `npm ci --prefix harness/interop`. */
#include "ably_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop_support.h"

#ifndef ABLY_SOURCE_DIR
#define ABLY_SOURCE_DIR "."
#endif
#define SCRIPT ABLY_SOURCE_DIR "/harness/interop/delta_subscriber.mjs"
#define DECODER_PACKAGE ABLY_SOURCE_DIR "/harness/interop/node_modules/@ably/vcdiff-decoder/package.json"

static cJSON *run_subscriber(const sandbox_env *env, bool binary, const char *channel)
{
    interop_set_sandbox_env(env, binary ? "msgpack" : "json");
    setenv("INTEROP_CHANNEL", channel, 1);
    FILE *p = popen("timeout 60 node " SCRIPT, "r");
    assert_non_null(p);
    static char line[65536];
    size_t n = fread(line, 1, sizeof line - 1, p);
    line[n] = '\0';
    int status = pclose(p);
    if (status != 0)
        fail_msg("node exited with status %d; its stderr is above", status);
    cJSON *out = cJSON_Parse(line);
    if (!out)
        fail_msg("node printed something other than JSON: %s", line);
    return out;
}

static void js_decodes_sandbox_deltas(void **state, bool binary)
{
    interop_require_node(DECODER_PACKAGE);
    cJSON *out = run_subscriber(*state, binary, binary ? "delta-js-mp" : "delta-js-json");
    const cJSON *received = cJSON_GetObjectItem(out, "received");
    assert_int_equal(cJSON_GetArraySize(received), 5);
    static const int counts[5] = {1, 2, 2, 3, 3};
    static const char *const statuses[5] = {"active", "active", "inactive", "inactive", "active"};
    for (int i = 0; i < 5; i++) {
        const cJSON *m = cJSON_GetArrayItem(received, i);
        char name[16];
        snprintf(name, sizeof name, "%d", i);
        assert_string_equal(cJSON_GetObjectItem(m, "name")->valuestring, name);
        const cJSON *data = cJSON_GetObjectItem(m, "data");
        assert_true(cJSON_IsObject(data)); /* decoded back to the object, not text */
        assert_string_equal(cJSON_GetObjectItem(data, "foo")->valuestring, "bar");
        assert_int_equal(cJSON_GetObjectItem(data, "count")->valueint, counts[i]);
        assert_string_equal(cJSON_GetObjectItem(data, "status")->valuestring, statuses[i]);
    }
    assert_int_equal(cJSON_GetObjectItem(out, "decodes")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(out, "reattaches")->valueint, 0);
    cJSON_Delete(out);
}

static void js_json(void **state) { js_decodes_sandbox_deltas(state, false); }
static void js_msgpack(void **state) { js_decodes_sandbox_deltas(state, true); }

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(js_json, "PC3 RTL19 RTL20 DE2a DE2b"),
        ABLY_TEST(js_msgpack, "PC3 RTL19 RTL20 DE2a DE2b"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
