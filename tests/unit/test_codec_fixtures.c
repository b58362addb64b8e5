/* The shared ably-common fixtures, decoded by the codec as they travel on the wire
 * (payload decoding, RSL6, is the payload pipeline's job and is tested there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "fixtures.h"

#define RESOURCES ABLY_SHARED_UPSTREAM "/ably-common/test-resources/"

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Test-local base64 decoder (padding tolerated); returns a malloc'd buffer. */
static unsigned char *b64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    unsigned char *out = malloc(n / 4 * 3 + 3);
    assert_non_null(out);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64_value(s[i]);
        assert_true(v >= 0);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = o;
    return out;
}

static char *repeat(const char *s, int times)
{
    size_t n = strlen(s);
    char *out = malloc(n * (size_t)times + 1);
    assert_non_null(out);
    for (int i = 0; i < times; i++)
        memcpy(out + n * (size_t)i, s, n);
    out[n * (size_t)times] = '\0';
    return out;
}

/* Every msgpack fixture: a ProtocolMessage with one message; data keeps its wire type. */
static void msgpack_fixtures_decode(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_json(RESOURCES "msgpack_test_fixtures.json");
    int checked = 0;
    const cJSON *fx;
    cJSON_ArrayForEach(fx, root) {
        const char *name = cJSON_GetObjectItem(fx, "name")->valuestring;
        const char *type = cJSON_GetObjectItem(fx, "type")->valuestring;
        const cJSON *data = cJSON_GetObjectItem(fx, "data");
        int num_repeat = cJSON_GetObjectItem(fx, "numRepeat")->valueint;
        size_t len;
        unsigned char *wire = b64_decode(cJSON_GetObjectItem(fx, "msgpack")->valuestring, &len);

        ably_protocol_message pm;
        ably_error err = {0};
        if (ably_protocol_message_from_msgpack(&pm, wire, len, &err) != 0)
            fail_msg("%s: %s", name, err.message);
        assert_int_equal(pm.messages_count, 1);
        assert_true(pm.has_msg_serial);
        assert_int_equal(pm.msg_serial, 0);
        const ably_message *m = &pm.messages[0];

        if (strcmp(type, "string") == 0) {
            char *want = repeat(data->valuestring, num_repeat);
            assert_int_equal(m->data.type, ABLY_DATA_STRING);
            assert_int_equal(m->data.len, strlen(want));
            assert_memory_equal(m->data.bytes, want, m->data.len);
            assert_true(m->encoding == NULL || m->encoding[0] == '\0');
            free(want);
        } else if (strcmp(type, "binary") == 0) {
            /* These fixtures carry binary as base64 text in a str, encoding "base64":
             * the codec keeps it as STRING; the payload pipeline turns it into bytes. */
            char *want = repeat(data->valuestring, num_repeat);
            size_t n;
            unsigned char *bytes = b64_decode(m->data.bytes, &n);
            assert_int_equal(m->data.type, ABLY_DATA_STRING);
            assert_string_equal(m->encoding, "base64");
            assert_int_equal(n, strlen(want));
            assert_memory_equal(bytes, want, n);
            free(bytes);
            free(want);
        } else {
            /* JSON payloads travel stringified with encoding "json" (RSL4c3). */
            assert_int_equal(m->data.type, ABLY_DATA_STRING);
            assert_string_equal(m->encoding, "json");
            cJSON *got = cJSON_Parse(m->data.bytes);
            assert_non_null(got);
            assert_true(cJSON_Compare(got, data, true));
            assert_true(strcmp(type, "jsonArray") == 0 ? cJSON_IsArray(got) : cJSON_IsObject(got));
            cJSON_Delete(got);
        }

        /* Re-encoding gives a value that decodes identically. */
        ably_buf buf;
        ably_buf_init(&buf);
        ably_protocol_message again;
        assert_int_equal(ably_protocol_message_to_msgpack(&pm, &buf, NULL), 0);
        assert_int_equal(ably_protocol_message_from_msgpack(&again, buf.data, buf.len, NULL), 0);
        assert_true(ably_protocol_message_equal(&pm, &again));
        ably_protocol_message_clear(&again);
        ably_buf_free(&buf);

        ably_protocol_message_clear(&pm);
        free(wire);
        checked++;
    }
    assert_int_equal(checked, 8);
    cJSON_Delete(root);
}

/* Decodes each fixture message (its wire fields only) as `type` and checks data and
 * encoding as transmitted: JSON strings stay strings whatever the encoding says. */
static void check_encoding_fixtures(const char *file, const ably_type_desc *type, size_t data_off,
                                    size_t encoding_off)
{
    cJSON *root = ably_test_load_json(file);
    const cJSON *msgs = cJSON_GetObjectItem(root, "messages");
    int checked = 0;
    const cJSON *fx;
    cJSON_ArrayForEach(fx, msgs) {
        /* The wire form: the fixture minus its expectation keys. */
        cJSON *wire = cJSON_Duplicate(fx, true);
        cJSON_DeleteItemFromObject(wire, "expectedType");
        cJSON_DeleteItemFromObject(wire, "expectedValue");
        cJSON_DeleteItemFromObject(wire, "expectedHexValue");
        char *text = cJSON_PrintUnformatted(wire);

        void *value = calloc(1, type->size);
        ably_error err = {0};
        if (ably_decode(type, ABLY_FORMAT_JSON, text, strlen(text), value, &err) != 0)
            fail_msg("%s: %s", text, err.message);
        const ably_data *data = (const ably_data *)((char *)value + data_off);
        const char *encoding = *(char **)((char *)value + encoding_off);
        const cJSON *enc = cJSON_GetObjectItem(fx, "encoding");
        assert_int_equal(data->type, ABLY_DATA_STRING);
        assert_string_equal(data->bytes, cJSON_GetObjectItem(fx, "data")->valuestring);
        if (cJSON_IsNull(enc))
            assert_null(encoding);
        else
            assert_string_equal(encoding, enc->valuestring);

        /* Encoding it again reproduces the wire fields. */
        ably_buf buf;
        ably_buf_init(&buf);
        assert_int_equal(ably_encode(type, ABLY_FORMAT_JSON, value, &buf, NULL), 0);
        cJSON *back = cJSON_Parse(buf.data);
        cJSON_DeleteItemFromObject(wire, "encoding");
        cJSON_DeleteItemFromObject(back, "encoding");
        assert_true(cJSON_Compare(back, wire, true));
        cJSON_Delete(back);
        ably_buf_free(&buf);

        ably_value_clear(type, value);
        free(value);
        free(text);
        cJSON_Delete(wire);
        checked++;
    }
    assert_true(checked >= 5);
    cJSON_Delete(root);
}

static void messages_encoding_fixtures_decode(void **state)
{
    (void)state;
    check_encoding_fixtures(RESOURCES "messages-encoding.json", &ably_message_desc, offsetof(ably_message, data),
                            offsetof(ably_message, encoding));
}

static void presence_encoding_fixtures_decode(void **state)
{
    (void)state;
    check_encoding_fixtures(RESOURCES "presence-messages-encoding.json", &ably_presence_message_desc,
                            offsetof(ably_presence_message, data), offsetof(ably_presence_message, encoding));
    /* The presence fixtures also carry an action per message (TP3b). */
    const char *wire = "{\"data\":\"foo\",\"encoding\":null,\"action\":4}";
    ably_presence_message p;
    assert_int_equal(ably_presence_message_from_json(&p, wire, strlen(wire), NULL), 0);
    assert_true(p.has_action);
    assert_int_equal(p.action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_null(p.encoding);
    ably_presence_message_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(msgpack_fixtures_decode, "TR4k TM2d TM2e RSL4c1 RSL4c2 RSL4c3"),
        ABLY_TEST(messages_encoding_fixtures_decode, "TM2d TM2e RSL4d1 RSL4d2 RSL4d3"),
        ABLY_TEST(presence_encoding_fixtures_decode, "TP3b TP3e TP3f"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
