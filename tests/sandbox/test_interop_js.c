/* Payload interop with the official JavaScript SDK (issue 4).
 *
 * libably publishes a string, binary data and a JSON object, plain and encrypted
 * with AES-128 and AES-256, over JSON and msgpack; harness/interop/rest_payloads.mjs
 * reads them back with npm `ably` (over both protocols) and must see exactly the
 * same values. The reverse too: the JS SDK publishes, libably reads history.
 * node runs as a child (host, port and key go through its environment). A missing
 * node or node_modules is a failure, not a skip: run
 * `npm ci --prefix harness/interop` in set-up. */
#include "interop_support.h"

#include <cjson/cJSON.h>

#ifndef ABLY_SOURCE_DIR
#define ABLY_SOURCE_DIR "."
#endif
#define SCRIPT ABLY_SOURCE_DIR "/harness/interop/rest_payloads.mjs"
#define ABLY_PACKAGE ABLY_SOURCE_DIR "/harness/interop/node_modules/ably/package.json"
#define NODE_TIMEOUT_S "60"

static cipher_case CASES[3] = { { "plain", 0, "", { 0 } }, { "aes128", 128, "", { 0 } }, { "aes256", 256, "", { 0 } } };

/* Runs the script with the given mode/protocol/channels; returns its parsed
 * stdout (caller deletes). Bounded by `timeout`. */
static cJSON *run_node(const sandbox_env *env, const char *mode, const char *protocol, const char *channels)
{
    interop_set_sandbox_env(env, protocol);
    interop_set_payload_env();
    setenv("INTEROP_MODE", mode, 1);
    setenv("INTEROP_CHANNELS", channels, 1);
    FILE *p = popen("timeout " NODE_TIMEOUT_S " node '" SCRIPT "'", "r");
    assert_non_null(p);
    char *out = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, chunk, got);
        len += got;
        out[len] = '\0';
    }
    int status = pclose(p);
    if (status != 0)
        fail_msg("node %s (%s) exited with status %d; output: %s", mode, protocol, status, out ? out : "");
    cJSON *doc = out ? cJSON_Parse(out) : NULL;
    if (!doc)
        fail_msg("node %s printed no JSON: %s", mode, out ? out : "");
    free(out);
    return doc;
}

/* "name|key,name|key,..." for the three cipher cases of one prefix. */
static void channel_list(char names[3][128], char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s%s%s", i ? "," : "", names[i], CASES[i].bits ? "|" : "",
                 CASES[i].key_b64);
    }
}

static ably_rest_channel *channel_with_case(ably_rest *rest, const char *name, const cipher_case *c)
{
    ably_rest_channel_options o = { .cipher = c->bits ? &c->params : NULL };
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, name, &o, &ch, &err), &err);
    return ch;
}

static void publish_from_c(ably_rest_channel *ch)
{
    ably_message m[3];
    for (int i = 0; i < 3; i++)
        ably_message_init(&m[i]);
    m[0].name = "string";
    m[0].data = ably_data_borrow(ABLY_DATA_STRING, TEXT, strlen(TEXT));
    m[1].name = "binary";
    m[1].data = ably_data_borrow(ABLY_DATA_BINARY, BYTES, sizeof BYTES);
    m[2].name = "object";
    m[2].data = ably_data_borrow(ABLY_DATA_JSON, OBJECT, strlen(OBJECT));
    ably_error err = {0};
    REST_OK(ably_rest_channel_publish_messages(ch, m, 3, NULL, NULL, &err), &err);
}

/* Checks one channel of the JS reader's output against the payloads. */
static void check_js_view(const cJSON *channel)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(channel, "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 3);
    char body_hex[2 * sizeof BYTES + 1];
    interop_hex(BYTES, sizeof BYTES, body_hex);
    cJSON *object = cJSON_Parse(OBJECT);
    int seen = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring;
        const char *kind = cJSON_GetObjectItemCaseSensitive(m, "kind")->valuestring;
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(m, "value");
        /* Fully decoded on the JS side: nothing left in encoding. */
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(m, "encoding")));
        if (strcmp(name, "string") == 0) {
            assert_string_equal(kind, "string");
            assert_string_equal(value->valuestring, TEXT);
        } else if (strcmp(name, "binary") == 0) {
            assert_string_equal(kind, "binary");
            assert_string_equal(value->valuestring, body_hex);
        } else {
            assert_string_equal(name, "object");
            assert_string_equal(kind, "json");
            assert_true(cJSON_Compare(value, object, true));
        }
        seen++;
    }
    assert_int_equal(seen, 3);
    cJSON_Delete(object);
}

static void c_publishes_js_reads(void **state)
{
    sandbox_env *env = *state;
    interop_require_node(ABLY_PACKAGE);
    interop_prepare_ciphers(CASES, 3);
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char names[3][128], list[800];
        for (size_t i = 0; i < 3; i++) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "c2js-%s", CASES[i].label);
            rest_channel_name(names[i], sizeof names[i], prefix, binary);
            publish_from_c(channel_with_case(rest, names[i], &CASES[i]));
        }
        channel_list(names, list, sizeof list);
        /* The JS SDK reads with both protocols, whatever the writer used. */
        static const char *const PROTOCOLS[] = { "json", "msgpack" };
        for (size_t p = 0; p < 2; p++) {
            cJSON *doc = run_node(env, "read", PROTOCOLS[p], list);
            const cJSON *chans = cJSON_GetObjectItemCaseSensitive(doc, "channels");
            assert_int_equal(cJSON_GetArraySize(chans), 3);
            const cJSON *c;
            cJSON_ArrayForEach(c, chans)
                check_js_view(c);
            cJSON_Delete(doc);
        }
        ably_rest_destroy(rest);
    }
}

static void check_c_view(ably_rest_channel *ch)
{
    size_t n = 0;
    ably_paginated_result *page = rest_wait_history(ch, NULL, 3, &n);
    const ably_message *m = ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 3);
    const ably_message *s = rest_find_message(m, n, "string");
    const ably_message *b = rest_find_message(m, n, "binary");
    const ably_message *o = rest_find_message(m, n, "object");
    assert_non_null(s);
    assert_non_null(b);
    assert_non_null(o);
    assert_null(s->encoding);
    assert_null(b->encoding);
    assert_null(o->encoding);
    assert_int_equal(s->data.type, ABLY_DATA_STRING);
    assert_string_equal(s->data.bytes, TEXT);
    assert_int_equal(b->data.type, ABLY_DATA_BINARY);
    assert_int_equal(b->data.len, sizeof BYTES);
    assert_memory_equal(b->data.bytes, BYTES, sizeof BYTES);
    assert_int_equal(o->data.type, ABLY_DATA_JSON);
    cJSON *want = cJSON_Parse(OBJECT), *got = cJSON_Parse(o->data.bytes);
    assert_true(cJSON_Compare(want, got, true));
    cJSON_Delete(want);
    cJSON_Delete(got);
    ably_paginated_result_free(page);
}

static void js_publishes_c_reads(void **state)
{
    sandbox_env *env = *state;
    interop_require_node(ABLY_PACKAGE);
    interop_prepare_ciphers(CASES, 3);
    static const char *const PROTOCOLS[] = { "json", "msgpack" };
    for (size_t p = 0; p < 2; p++) {
        char names[3][128], list[800];
        for (size_t i = 0; i < 3; i++) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "js2c-%s", CASES[i].label);
            rest_channel_name(names[i], sizeof names[i], prefix, p == 1);
        }
        channel_list(names, list, sizeof list);
        cJSON *doc = run_node(env, "publish", PROTOCOLS[p], list);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
        cJSON_Delete(doc);
        /* libably reads over both protocols. */
        for (int binary = 0; binary < 2; binary++) {
            ably_rest *rest = rest_with_key(env, 0, binary);
            for (size_t i = 0; i < 3; i++)
                check_c_view(channel_with_case(rest, names[i], &CASES[i]));
            ably_rest_destroy(rest);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(c_publishes_js_reads, "RSL4a RSL4c RSL4d RSL5a RSL5b RSE1"),
        ABLY_TEST(js_publishes_c_reads, "RSL6a RSL5b RSL4a RSE1"),
    };
    return cmocka_run_group_tests_name("sandbox_interop_js", tests, rest_group_setup, rest_group_teardown);
}
