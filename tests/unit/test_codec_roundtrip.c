/* Codec round trips: every generated type through JSON and msgpack, plus the wire
 * names and data representations of Message, PresenceMessage and ProtocolMessage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "codec_sample.h"

static const char *format_name(ably_format f)
{
    return f == ABLY_FORMAT_JSON ? "json" : "msgpack";
}

/* Fill -> encode -> decode -> equal, for one type, format and sample variant. */
static void roundtrip_one(const ably_type_desc *t, ably_format format, int variant)
{
    void *in = calloc(1, t->size), *out = calloc(1, t->size), *copy = calloc(1, t->size);
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(copy);
    ably_error err = {0};
    ably_buf buf;
    ably_buf_init(&buf);

    assert_int_equal(codec_sample_fill(t, in, format, variant, 0), 0);
    if (ably_encode(t, format, in, &buf, &err) != 0)
        fail_msg("%s %s v%d encode: %s", t->name, format_name(format), variant, err.message);
    if (format == ABLY_FORMAT_JSON) {
        cJSON *parsed = cJSON_ParseWithLength(buf.data, buf.len);
        if (!parsed)
            fail_msg("%s: encoder wrote invalid JSON: %s", t->name, buf.data);
        cJSON_Delete(parsed);
    }
    if (ably_decode(t, format, buf.data, buf.len, out, &err) != 0)
        fail_msg("%s %s v%d decode: %s", t->name, format_name(format), variant, err.message);
    if (!ably_value_equal(t, in, out))
        fail_msg("%s %s v%d: decoded value differs (wire: %.*s)", t->name, format_name(format), variant,
                 format == ABLY_FORMAT_JSON ? (int)buf.len : 0, buf.data);

    /* The deep copy is equal and independent of the original. */
    assert_int_equal(ably_value_copy(t, copy, in, &err), 0);
    ably_value_clear(t, in);
    if (!ably_value_equal(t, copy, out))
        fail_msg("%s: copy differs", t->name);
    if (ably_value_equal(t, copy, in))
        fail_msg("%s: cleared value still equals the sample", t->name);

    ably_value_clear(t, copy);
    ably_value_clear(t, out);
    ably_buf_free(&buf);
    ably_error_clear(&err);
    free(in);
    free(out);
    free(copy);
}

static void every_type_roundtrips_json(void **state)
{
    (void)state;
    assert_true(ably_all_type_descs_count > 10);
    for (size_t i = 0; i < ably_all_type_descs_count; i++)
        for (int v = 0; v < 2; v++)
            roundtrip_one(ably_all_type_descs[i], ABLY_FORMAT_JSON, v);
}

static void every_type_roundtrips_msgpack(void **state)
{
    (void)state;
    for (size_t i = 0; i < ably_all_type_descs_count; i++)
        for (int v = 0; v < 2; v++)
            roundtrip_one(ably_all_type_descs[i], ABLY_FORMAT_MSGPACK, v);
}

/* An empty struct encodes to an empty object and back. */
static void empty_values_roundtrip(void **state)
{
    (void)state;
    ably_buf buf;
    ably_buf_init(&buf);
    for (size_t i = 0; i < ably_all_type_descs_count; i++) {
        const ably_type_desc *t = ably_all_type_descs[i];
        void *in = calloc(1, t->size), *out = calloc(1, t->size);
        for (int fmt = 0; fmt < 2; fmt++) {
            bool has_required = false;
            for (size_t k = 0; k < t->count; k++)
                has_required |= t->fields[k].required;
            assert_int_equal(ably_encode(t, (ably_format)fmt, in, &buf, NULL), 0);
            if (fmt == ABLY_FORMAT_JSON)
                assert_string_equal(buf.data, "{}");
            else
                assert_int_equal((unsigned char)buf.data[0], 0x80);
            int rc = ably_decode(t, (ably_format)fmt, buf.data, buf.len, out, NULL);
            assert_int_equal(rc, has_required ? -1 : 0);
            if (rc == 0)
                assert_true(ably_value_equal(t, in, out));
            ably_value_clear(t, out);
        }
        free(in);
        free(out);
    }
    ably_buf_free(&buf);
}

/* ---- wire names and representations ---- */

static cJSON *encode_to_cjson(const ably_type_desc *t, const void *value)
{
    ably_buf buf;
    ably_buf_init(&buf);
    ably_error err = {0};
    if (ably_encode(t, ABLY_FORMAT_JSON, value, &buf, &err) != 0)
        fail_msg("encode: %s", err.message);
    cJSON *root = cJSON_Parse(buf.data);
    assert_non_null(root);
    ably_buf_free(&buf);
    return root;
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("key %s: not a string", key);
    return v->valuestring;
}

static double json_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s: not a number", key);
    return v->valuedouble;
}

static void message_wire_names(void **state)
{
    (void)state;
    ably_message m;
    ably_message_init(&m);
    m.id = strdup("id1");
    m.client_id = strdup("c1");
    m.connection_id = strdup("conn1");
    m.connection_key = strdup("key1");
    m.name = strdup("ev");
    ably_data_set(&m.data, ABLY_DATA_STRING, "payload", 7);
    m.encoding = strdup("utf-8");
    m.extras = strdup("{\"headers\":{\"h\":\"v\"}}");
    m.timestamp = 1712345678901;
    m.has_timestamp = true;
    m.action = ABLY_MESSAGE_ACTION_MESSAGE_UPDATE;
    m.has_action = true;
    m.serial = strdup("s1");

    cJSON *o = encode_to_cjson(&ably_message_desc, &m);
    assert_string_equal(json_str(o, "id"), "id1");
    assert_string_equal(json_str(o, "clientId"), "c1");
    assert_string_equal(json_str(o, "connectionId"), "conn1");
    assert_string_equal(json_str(o, "connectionKey"), "key1");
    assert_string_equal(json_str(o, "name"), "ev");
    assert_string_equal(json_str(o, "data"), "payload");
    assert_string_equal(json_str(o, "encoding"), "utf-8");
    assert_string_equal(json_str(o, "serial"), "s1");
    assert_true(json_num(o, "timestamp") == 1712345678901.0);
    assert_true(json_num(o, "action") == 1);
    const cJSON *extras = cJSON_GetObjectItemCaseSensitive(o, "extras");
    assert_true(cJSON_IsObject(extras));
    assert_string_equal(json_str(cJSON_GetObjectItemCaseSensitive(extras, "headers"), "h"), "v");
    assert_int_equal(cJSON_GetArraySize(o), 11); /* absent fields are omitted */
    cJSON_Delete(o);
    ably_message_clear(&m);
    assert_null(m.id);
}

static void presence_message_wire_names(void **state)
{
    (void)state;
    ably_presence_message p;
    ably_presence_message_init(&p);
    p.id = strdup("p1");
    p.action = ABLY_PRESENCE_ACTION_ENTER;
    p.has_action = true;
    p.client_id = strdup("c1");
    p.connection_id = strdup("conn1");
    ably_data_set(&p.data, ABLY_DATA_JSON, "{\"a\":1}", 7);
    p.timestamp = 5;
    p.has_timestamp = true;

    cJSON *o = encode_to_cjson(&ably_presence_message_desc, &p);
    assert_string_equal(json_str(o, "id"), "p1");
    assert_true(json_num(o, "action") == 2);
    assert_string_equal(json_str(o, "clientId"), "c1");
    assert_string_equal(json_str(o, "connectionId"), "conn1");
    assert_true(json_num(o, "timestamp") == 5);
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "data")));
    assert_int_equal(cJSON_GetArraySize(o), 6);
    cJSON_Delete(o);
    ably_presence_message_clear(&p);
}

static void protocol_message_wire_names(void **state)
{
    (void)state;
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE;
    pm.has_action = true;
    pm.channel = strdup("ch");
    pm.channel_serial = strdup("cs");
    pm.connection_id = strdup("conn");
    pm.msg_serial = 7;
    pm.has_msg_serial = true;
    pm.flags = ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED;
    pm.has_flags = true;
    pm.messages = calloc(2, sizeof *pm.messages);
    pm.messages_count = 2;
    pm.messages[0].name = strdup("a");
    pm.messages[1].name = strdup("b");
    pm.connection_details = calloc(1, sizeof *pm.connection_details);
    pm.connection_details->max_message_size = 65536;
    pm.connection_details->has_max_message_size = true;
    pm.error = calloc(1, sizeof *pm.error);
    ably_error_set(pm.error, 40140, 401, "token expired");

    cJSON *o = encode_to_cjson(&ably_protocol_message_desc, &pm);
    assert_true(json_num(o, "action") == 15);
    assert_string_equal(json_str(o, "channel"), "ch");
    assert_string_equal(json_str(o, "channelSerial"), "cs");
    assert_string_equal(json_str(o, "connectionId"), "conn");
    assert_true(json_num(o, "msgSerial") == 7);
    assert_true(json_num(o, "flags") == 5);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(o, "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 2);
    assert_string_equal(json_str(cJSON_GetArrayItem(msgs, 1), "name"), "b");
    assert_true(json_num(cJSON_GetObjectItemCaseSensitive(o, "connectionDetails"), "maxMessageSize") == 65536);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    assert_true(json_num(e, "code") == 40140);
    assert_true(json_num(e, "statusCode") == 401);
    assert_string_equal(json_str(e, "message"), "token expired");
    cJSON_Delete(o);

    /* And the msgpack form decodes back to the same value. */
    ably_buf buf;
    ably_buf_init(&buf);
    ably_protocol_message back;
    assert_int_equal(ably_protocol_message_to_msgpack(&pm, &buf, NULL), 0);
    assert_int_equal(ably_protocol_message_from_msgpack(&back, buf.data, buf.len, NULL), 0);
    assert_true(ably_protocol_message_equal(&pm, &back));
    assert_int_equal(back.messages_count, 2);
    assert_string_equal(back.messages[0].name, "a");
    ably_protocol_message_clear(&back);
    ably_protocol_message_clear(&pm);
    ably_buf_free(&buf);
}

/* RSL4d1: binary data on a JSON transport becomes base64 with "base64" appended to encoding. */
static void json_binary_data_is_base64(void **state)
{
    (void)state;
    ably_message m;
    ably_message_init(&m);
    ably_data_set(&m.data, ABLY_DATA_BINARY, "\xde\xad\xbe\xef", 4);
    cJSON *o = encode_to_cjson(&ably_message_desc, &m);
    assert_string_equal(json_str(o, "data"), "3q2+7w==");
    assert_string_equal(json_str(o, "encoding"), "base64");
    cJSON_Delete(o);

    m.encoding = strdup("utf-8/cipher+aes-128-cbc");
    o = encode_to_cjson(&ably_message_desc, &m);
    assert_string_equal(json_str(o, "encoding"), "utf-8/cipher+aes-128-cbc/base64");
    cJSON_Delete(o);

    /* Decoding leaves the base64 text alone: undoing it is the payload pipeline's job. */
    ably_message back;
    const char *wire = "{\"data\":\"3q2+7w==\",\"encoding\":\"base64\"}";
    assert_int_equal(ably_message_from_json(&back, wire, strlen(wire), NULL), 0);
    assert_int_equal(back.data.type, ABLY_DATA_STRING);
    assert_string_equal(back.data.bytes, "3q2+7w==");
    assert_string_equal(back.encoding, "base64");
    ably_message_clear(&back);
    ably_message_clear(&m);
}

/* Returns the msgpack object stored under `key` of the map in buf. */
static msgpack_object_type msgpack_type_of(const ably_buf *buf, const char *key, msgpack_unpacked *u)
{
    assert_int_equal(msgpack_unpack_next(u, buf->data, buf->len, NULL), MSGPACK_UNPACK_SUCCESS);
    msgpack_object_map map = u->data.via.map;
    for (uint32_t i = 0; i < map.size; i++) {
        msgpack_object_str k = map.ptr[i].key.via.str;
        if (k.size == strlen(key) && memcmp(k.ptr, key, k.size) == 0)
            return map.ptr[i].val.type;
    }
    fail_msg("no key %s", key);
    return MSGPACK_OBJECT_NIL;
}

/* RSL4c1 RSL4c2: binary goes as msgpack bin, strings as str; and back exactly. */
static void msgpack_keeps_bin_and_str_apart(void **state)
{
    (void)state;
    static const ably_data_type types[] = {ABLY_DATA_BINARY, ABLY_DATA_STRING, ABLY_DATA_JSON};
    static const msgpack_object_type wire[] = {MSGPACK_OBJECT_BIN, MSGPACK_OBJECT_STR, MSGPACK_OBJECT_STR};
    ably_buf buf;
    ably_buf_init(&buf);
    for (int i = 0; i < 3; i++) {
        ably_message m, back;
        ably_message_init(&m);
        ably_data_set(&m.data, types[i], "[\"x\"]", 5);
        assert_int_equal(ably_message_to_msgpack(&m, &buf, NULL), 0);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        assert_int_equal(msgpack_type_of(&buf, "data", &u), wire[i]);
        msgpack_unpacked_destroy(&u);
        assert_int_equal(ably_message_from_msgpack(&back, buf.data, buf.len, NULL), 0);
        /* JSON data is sent as its text, so it comes back as a string. */
        assert_int_equal(back.data.type, types[i] == ABLY_DATA_JSON ? ABLY_DATA_STRING : types[i]);
        assert_int_equal(back.data.len, 5);
        assert_memory_equal(back.data.bytes, "[\"x\"]", 5);
        ably_message_clear(&back);
        ably_message_clear(&m);
    }
    ably_buf_free(&buf);
}

/* RSF1: unknown fields are skipped in both formats; null means absent. */
static void unknown_fields_and_nulls_are_ignored(void **state)
{
    (void)state;
    const char *json = "{\"future\":{\"deep\":[1,2,{\"x\":null}]},\"name\":\"n\",\"clientId\":null,"
                       "\"action\":99,\"zzz\":true}";
    ably_message m;
    ably_error err = {0};
    assert_int_equal(ably_message_from_json(&m, json, strlen(json), &err), 0);
    assert_string_equal(m.name, "n");
    assert_null(m.client_id);
    assert_true(m.has_action); /* unknown action numbers are kept */
    assert_int_equal((int)m.action, 99);
    assert_null(ably_message_action_name(m.action));

    /* The same in msgpack: {"future": [nil, {"a": bin}], "name": "n", "clientId": nil} */
    const unsigned char mp[] = {0x83, 0xa6, 'f', 'u', 't', 'u', 'r', 'e', 0x92, 0xc0, 0x81, 0xa1, 'a', 0xc4, 0x01, 0x00,
                                0xa4, 'n', 'a', 'm', 'e', 0xa1, 'n', 0xa8, 'c', 'l', 'i', 'e', 'n', 't', 'I', 'd', 0xc0};
    ably_message m2;
    assert_int_equal(ably_message_from_msgpack(&m2, mp, sizeof mp, &err), 0);
    assert_string_equal(m2.name, "n");
    assert_null(m2.client_id);
    ably_message_clear(&m);
    ably_message_clear(&m2);
    ably_error_clear(&err);
}

/* TR4k: a REST history body is a top-level array; both formats, and the empty array. */
static void arrays_of_messages(void **state)
{
    (void)state;
    ably_message in[3];
    for (int i = 0; i < 3; i++) {
        ably_message_init(&in[i]);
        assert_int_equal(codec_sample_fill(&ably_message_desc, &in[i], ABLY_FORMAT_MSGPACK, i % 2, 0), 0);
    }
    ably_buf buf;
    ably_buf_init(&buf);
    for (int fmt = 0; fmt < 2; fmt++) {
        if (fmt == ABLY_FORMAT_JSON)
            for (int i = 0; i < 3; i++)
                if (in[i].data.type == ABLY_DATA_BINARY)
                    ably_data_set(&in[i].data, ABLY_DATA_STRING, "s", 1);
        void *items = NULL;
        size_t count = 0;
        assert_int_equal(ably_encode_array(&ably_message_desc, (ably_format)fmt, in, 3, &buf, NULL), 0);
        assert_int_equal(ably_decode_array(&ably_message_desc, (ably_format)fmt, buf.data, buf.len, &items, &count,
                                           NULL), 0);
        assert_int_equal(count, 3);
        for (int i = 0; i < 3; i++)
            assert_true(ably_message_equal(&in[i], &((ably_message *)items)[i]));
        ably_free_array(&ably_message_desc, items, count);

        assert_int_equal(ably_encode_array(&ably_message_desc, (ably_format)fmt, NULL, 0, &buf, NULL), 0);
        assert_int_equal(ably_decode_array(&ably_message_desc, (ably_format)fmt, buf.data, buf.len, &items, &count,
                                           NULL), 0);
        assert_int_equal(count, 0);
        assert_null(items);
    }
    for (int i = 0; i < 3; i++)
        ably_message_clear(&in[i]);
    ably_buf_free(&buf);
}

/* Embedding: decode from a parsed cJSON node / msgpack object, encode onto a packer. */
static void embedded_values(void **state)
{
    (void)state;
    const char *doc = "{\"outer\":1,\"inner\":{\"name\":\"x\",\"timestamp\":3}}";
    cJSON *root = cJSON_Parse(doc);
    ably_message m;
    assert_int_equal(ably_decode_json_node(&ably_message_desc, cJSON_GetObjectItem(root, "inner"), &m, NULL), 0);
    assert_string_equal(m.name, "x");
    cJSON_Delete(root);

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 1);
    assert_int_equal(ably_encode_msgpack_packer(&ably_message_desc, &m, &pk, NULL), 0);

    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
    ably_message back;
    assert_int_equal(ably_decode_msgpack_object(&ably_message_desc, &u.data.via.array.ptr[1], &back, NULL), 0);
    assert_true(ably_message_equal(&m, &back));
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    ably_message_clear(&back);
    ably_message_clear(&m);
}

/* Numbers: int64 extremes in msgpack, shortest round-trip doubles, exact JSON ints. */
static void numbers_are_exact(void **state)
{
    (void)state;
    ably_buf buf;
    ably_buf_init(&buf);
    ably_protocol_message pm, back;
    ably_protocol_message_init(&pm);
    int64_t samples[] = {INT64_MIN, INT64_MAX, -1, 0, 9007199254740993LL};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        pm.msg_serial = samples[i];
        pm.has_msg_serial = true;
        assert_int_equal(ably_protocol_message_to_msgpack(&pm, &buf, NULL), 0);
        assert_int_equal(ably_protocol_message_from_msgpack(&back, buf.data, buf.len, NULL), 0);
        assert_true(back.msg_serial == samples[i]);
        ably_protocol_message_clear(&back);
        assert_int_equal(ably_protocol_message_to_json(&pm, &buf, NULL), 0);
        char want[64];
        snprintf(want, sizeof want, "{\"msgSerial\":%lld}", (long long)samples[i]);
        assert_string_equal(buf.data, want);
    }
    ably_buf_free(&buf);
}

/* TI5: the log rendering of an error carries the help URL. */
static void error_format_has_help_url(void **state)
{
    (void)state;
    ably_error e = {0};
    char text[256];
    assert_false(ably_error_is_set(&e));
    ably_error_set(&e, 40140, 401, "Token expired %d", 1);
    assert_true(ably_error_is_set(&e));
    ably_error_format(&e, text, sizeof text);
    assert_string_equal(text, "Token expired 1 (code 40140, status 401) See https://help.ably.io/error/40140");
    e.href = strdup("https://example.com/help");
    ably_error_format(&e, text, sizeof text);
    assert_string_equal(text, "Token expired 1 (code 40140, status 401) See https://example.com/help");
    ably_error_set(&e, 50000, 0, "boom");
    assert_null(e.href);
    assert_int_equal(ably_error_format(&e, text, 5), strlen("boom (code 50000) See https://help.ably.io/error/50000"));
    assert_string_equal(text, "boom");
    ably_error_clear(&e);
    ably_error_set(NULL, 1, 1, "no crash");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(every_type_roundtrips_json, "TM2 TP3 TR4 TI1"),
        ABLY_TEST(every_type_roundtrips_msgpack, "TM2 TP3 TR4 TI1"),
        ABLY_TEST(empty_values_roundtrip, "TM2 TP3 TR4"),
        ABLY_TEST(message_wire_names, "TM2a TM2b TM2c TM2h TM2g TM2d TM2e TM2i TM2f TM2j TM2r"),
        ABLY_TEST(presence_message_wire_names, "TP3a TP3b TP3c TP3d TP3e TP3g"),
        ABLY_TEST(protocol_message_wire_names, "TR4a TR4b TR4c TR4d TR4h TR4i TR4j TR4k TR4o TR3a TR3c"),
        ABLY_TEST(json_binary_data_is_base64, "RSL4d1 TM2d"),
        ABLY_TEST(msgpack_keeps_bin_and_str_apart, "RSL4c1 RSL4c2 TM2d"),
        ABLY_TEST(unknown_fields_and_nulls_are_ignored, "RSF1 TM5"),
        ABLY_TEST(arrays_of_messages, "TR4k TM2"),
        ABLY_TEST(embedded_values, "TM2 TR4k"),
        ABLY_TEST(numbers_are_exact, "TR4j"),
        ABLY_TEST(error_format_has_help_url, "TI1 TI5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
