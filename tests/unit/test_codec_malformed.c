/* Malformed input: every failure is an ErrorInfo with code 40000, never a crash, a
 * leak, or an allocation larger than the input justifies (ASan would abort). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "codec_sample.h"

/* A test-local type covering what the schemas do not use today: a double, a string-wire
 * enum and a required field. */
typedef struct {
    double score;
    bool has_score;
    int platform;
    bool has_platform;
    char *req;
} probe;
static const ably_enum_value probe_values[] = {{"IOS", "ios", 0}, {"ANDROID", "android", 1}};
static const ably_enum_desc probe_enum = {"Platform", "PCD6", ABLY_ENUM_WIRE_STRING, probe_values, 2};
static const ably_field_desc probe_fields[] = {
    {"score", 5, "score", ABLY_FIELD_DOUBLE, offsetof(probe, score), offsetof(probe, has_score), NULL, NULL, false,
     "TM2", -1},
    {"platform", 8, "platform", ABLY_FIELD_ENUM, offsetof(probe, platform), offsetof(probe, has_platform), NULL,
     &probe_enum, false, "TM2", -1},
    {"req", 3, "req", ABLY_FIELD_STRING, offsetof(probe, req), 0, NULL, NULL, true, "TM2", -1},
};
static const ably_type_desc probe_desc = {"Probe", "TM2", sizeof(probe), probe_fields, 3};

/* Decodes and expects a 40000 failure whose message starts with `prefix` (if given),
 * leaving *out owning nothing. */
static void expect_fail_desc(const ably_type_desc *t, ably_format fmt, const void *buf, size_t len,
                             const char *prefix)
{
    void *out = malloc(t->size);
    assert_non_null(out);
    ably_error err = {0};
    int rc = ably_decode(t, fmt, buf, len, out, &err);
    if (rc != -1)
        fail_msg("%s: decoding %s input of %zu bytes unexpectedly succeeded", t->name,
                 fmt == ABLY_FORMAT_JSON ? "JSON" : "msgpack", len);
    assert_int_equal(err.code, 40000);
    assert_int_equal(err.status_code, 400);
    assert_non_null(err.message);
    if (prefix && strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err.message, prefix);
    /* A failed decode leaves the value cleared. */
    void *zero = calloc(1, t->size);
    assert_memory_equal(out, zero, t->size);
    free(zero);
    free(out);
    ably_error_clear(&err);
}

static void expect_json_fail(const ably_type_desc *t, const char *json, const char *prefix)
{
    expect_fail_desc(t, ABLY_FORMAT_JSON, json, strlen(json), prefix);
}

static void truncated_msgpack_fails_at_every_offset(void **state)
{
    (void)state;
    ably_buf buf;
    ably_buf_init(&buf);
    for (int v = 0; v < 2; v++) {
        ably_protocol_message pm;
        ably_protocol_message_init(&pm);
        assert_int_equal(codec_sample_fill(&ably_protocol_message_desc, &pm, ABLY_FORMAT_MSGPACK, v, 0), 0);
        assert_int_equal(ably_protocol_message_to_msgpack(&pm, &buf, NULL), 0);
        for (size_t cut = 0; cut < buf.len; cut++) {
            /* Copy into an exact-size heap block so ASan catches any read past the end. */
            char *part = malloc(cut ? cut : 1);
            memcpy(part, buf.data, cut);
            expect_fail_desc(&ably_protocol_message_desc, ABLY_FORMAT_MSGPACK, part, cut, "");
            void *items;
            size_t count;
            assert_int_equal(ably_decode_array(&ably_protocol_message_desc, ABLY_FORMAT_MSGPACK, part, cut, &items,
                                               &count, NULL), -1);
            free(part);
        }
        ably_protocol_message_clear(&pm);
    }
    ably_buf_free(&buf);
}

static void truncated_json_fails_at_every_offset(void **state)
{
    (void)state;
    ably_buf buf;
    ably_buf_init(&buf);
    for (int v = 0; v < 2; v++) {
        ably_protocol_message pm;
        ably_protocol_message_init(&pm);
        assert_int_equal(codec_sample_fill(&ably_protocol_message_desc, &pm, ABLY_FORMAT_JSON, v, 0), 0);
        assert_int_equal(ably_protocol_message_to_json(&pm, &buf, NULL), 0);
        for (size_t cut = 0; cut < buf.len; cut++) {
            char *part = malloc(cut ? cut : 1);
            memcpy(part, buf.data, cut);
            expect_fail_desc(&ably_protocol_message_desc, ABLY_FORMAT_JSON, part, cut, "");
            free(part);
        }
        ably_protocol_message_clear(&pm);
    }
    ably_buf_free(&buf);
}

/* A JSON value of the wrong type for each field kind (NULL: every value is allowed). */
static const char *wrong_json(const ably_field_desc *f)
{
    switch (f->kind) {
    case ABLY_FIELD_STRING: return "5";
    case ABLY_FIELD_INT: return "\"5\"";
    case ABLY_FIELD_DOUBLE: return "true";
    case ABLY_FIELD_BOOL: return "1";
    case ABLY_FIELD_DATA: return "5";
    case ABLY_FIELD_JSON: return NULL;
    case ABLY_FIELD_ENUM: return f->enum_desc->wire == ABLY_ENUM_WIRE_INT ? "\"x\"" : "5";
    case ABLY_FIELD_OBJECT: return "[]";
    case ABLY_FIELD_OBJECT_ARRAY: return "[1]";
    case ABLY_FIELD_STRING_ARRAY: return "[1]";
    case ABLY_FIELD_STRING_MAP: return "{\"a\":1}";
    case ABLY_FIELD_NUMBER_MAP: return "{\"a\":\"x\"}";
    }
    return NULL;
}

/* The same wrong values, packed as msgpack. */
static bool pack_wrong(msgpack_packer *pk, const ably_field_desc *f)
{
    switch (f->kind) {
    case ABLY_FIELD_STRING: msgpack_pack_int(pk, 5); return true;
    case ABLY_FIELD_INT: msgpack_pack_str_with_body(pk, "5", 1); return true;
    case ABLY_FIELD_DOUBLE: msgpack_pack_true(pk); return true;
    case ABLY_FIELD_BOOL: msgpack_pack_int(pk, 1); return true;
    case ABLY_FIELD_DATA: msgpack_pack_int(pk, 5); return true;
    case ABLY_FIELD_JSON: msgpack_pack_bin_with_body(pk, "x", 1); return true; /* bin has no JSON form */
    case ABLY_FIELD_ENUM:
        if (f->enum_desc->wire == ABLY_ENUM_WIRE_INT)
            msgpack_pack_str_with_body(pk, "x", 1);
        else
            msgpack_pack_int(pk, 5);
        return true;
    case ABLY_FIELD_OBJECT: msgpack_pack_array(pk, 0); return true;
    case ABLY_FIELD_OBJECT_ARRAY: msgpack_pack_array(pk, 1); msgpack_pack_int(pk, 1); return true;
    case ABLY_FIELD_STRING_ARRAY: msgpack_pack_array(pk, 1); msgpack_pack_int(pk, 1); return true;
    case ABLY_FIELD_STRING_MAP:
        msgpack_pack_map(pk, 1);
        msgpack_pack_str_with_body(pk, "a", 1);
        msgpack_pack_int(pk, 1);
        return true;
    case ABLY_FIELD_NUMBER_MAP:
        msgpack_pack_map(pk, 1);
        msgpack_pack_str_with_body(pk, "a", 1);
        msgpack_pack_str_with_body(pk, "x", 1);
        return true;
    }
    return false;
}

static void wrong_types_fail_per_field(void **state)
{
    (void)state;
    int checked = 0;
    for (size_t i = 0; i <= ably_all_type_descs_count; i++) {
        const ably_type_desc *t = i < ably_all_type_descs_count ? ably_all_type_descs[i] : &probe_desc;
        for (size_t k = 0; k < t->count; k++) {
            const ably_field_desc *f = &t->fields[k];
            char prefix[128];
            snprintf(prefix, sizeof prefix, "%s.%s: ", t->name, f->wire_name);
            const char *bad = wrong_json(f);
            if (bad) {
                char doc[256];
                snprintf(doc, sizeof doc, "{\"%s\":%s}", f->wire_name, bad);
                expect_json_fail(t, doc, prefix);
            }
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            msgpack_pack_map(&pk, 1);
            msgpack_pack_str_with_body(&pk, f->wire_name, f->wire_len);
            assert_true(pack_wrong(&pk, f));
            expect_fail_desc(t, ABLY_FORMAT_MSGPACK, sb.data, sb.size, prefix);
            msgpack_sbuffer_destroy(&sb);
            checked++;
        }
    }
    assert_true(checked > 100);
}

/* Declared lengths far beyond the input: rejected before any allocation. */
static void absurd_lengths_fail(void **state)
{
    (void)state;
    const ably_type_desc *pmd = &ably_protocol_message_desc;
    /* {"messages": array32 claiming 2^32-1 items} */
    const unsigned char arr[] = {0x81, 0xa8, 'm', 'e', 's', 's', 'a', 'g', 'e', 's', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x80};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, arr, sizeof arr, "ProtocolMessage");
    /* top-level map32 with 2^32-1 entries */
    const unsigned char map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'x', 0x01, 0x02, 0x03};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, map, sizeof map, "ProtocolMessage");
    /* {"channel": str32 of 4 GiB} */
    const unsigned char str[] = {0x81, 0xa7, 'c', 'h', 'a', 'n', 'n', 'e', 'l', 0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, str, sizeof str, "ProtocolMessage.channel");
    /* {"messages": [{"data": bin32 of 4 GiB}]} */
    const unsigned char bin[] = {0x81, 0xa8, 'm', 'e', 's', 's', 'a', 'g', 'e', 's', 0x91, 0x81, 0xa4, 'd', 'a', 't',
                                 'a', 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, bin, sizeof bin, "Message.data");
    /* {"state": ext32 of 4 GiB}, and an unknown field holding a huge map (skipped) */
    const unsigned char ext[] = {0x81, 0xa5, 's', 't', 'a', 't', 'e', 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, ext, sizeof ext, "ProtocolMessage");
    const unsigned char skip[] = {0x81, 0xa3, 'z', 'z', 'z', 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0};
    expect_fail_desc(pmd, ABLY_FORMAT_MSGPACK, skip, sizeof skip, "ProtocolMessage");
    /* a top-level array (history body) claiming 2^32-1 messages */
    const unsigned char hist[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80};
    void *items = (void *)1;
    size_t count = 99;
    ably_error err = {0};
    assert_int_equal(ably_decode_array(&ably_message_desc, ABLY_FORMAT_MSGPACK, hist, sizeof hist, &items, &count,
                                       &err), -1);
    assert_int_equal(err.code, 40000);
    assert_null(items);
    assert_int_equal(count, 0);
    ably_error_clear(&err);
}

static void deep_nesting_fails(void **state)
{
    (void)state;
    enum { DEEP = 100 };
    /* extras nested 100 deep, in JSON */
    char json[16 + 2 * DEEP + 8];
    size_t n = (size_t)sprintf(json, "{\"extras\":");
    for (int i = 0; i < DEEP; i++)
        json[n++] = '[';
    for (int i = 0; i < DEEP; i++)
        json[n++] = ']';
    json[n++] = '}';
    json[n] = '\0';
    expect_json_fail(&ably_message_desc, json, "Message.extras: ");

    /* the same in msgpack */
    unsigned char mp[16 + DEEP];
    size_t m = 0;
    mp[m++] = 0x81;
    mp[m++] = 0xa6;
    memcpy(mp + m, "extras", 6);
    m += 6;
    for (int i = 0; i < DEEP - 1; i++)
        mp[m++] = 0x91;
    mp[m++] = 0x90;
    expect_fail_desc(&ably_message_desc, ABLY_FORMAT_MSGPACK, mp, m, "Message.extras: ");

    /* and ErrorInfo.cause nested 100 deep, in both formats */
    char *chain = malloc(DEEP * 12 + 16);
    size_t c = 0;
    for (int i = 0; i < DEEP; i++)
        c += (size_t)sprintf(chain + c, "{\"cause\":");
    c += (size_t)sprintf(chain + c, "{}");
    for (int i = 0; i < DEEP; i++)
        chain[c++] = '}';
    chain[c] = '\0';
    expect_json_fail(&ably_error_desc, chain, "ErrorInfo");
    free(chain);
    unsigned char mchain[DEEP * 7 + 1];
    size_t mc = 0;
    for (int i = 0; i < DEEP; i++) {
        mchain[mc++] = 0x81;
        mchain[mc++] = 0xa5;
        memcpy(mchain + mc, "cause", 5);
        mc += 5;
    }
    mchain[mc++] = 0x80;
    expect_fail_desc(&ably_error_desc, ABLY_FORMAT_MSGPACK, mchain, mc, "ErrorInfo");

    /* Encoding refuses JSON text nested too deep as well. */
    ably_message msg;
    ably_message_init(&msg);
    json[n - 1] = '\0';
    msg.extras = strdup(json + strlen("{\"extras\":"));
    ably_buf buf;
    ably_buf_init(&buf);
    ably_error err = {0};
    assert_int_equal(ably_message_to_json(&msg, &buf, &err), -1);
    assert_int_equal(err.code, 40000);
    assert_int_equal(ably_message_to_msgpack(&msg, &buf, &err), -1);
    ably_message_clear(&msg);
    ably_buf_free(&buf);
    ably_error_clear(&err);
}

static void invalid_utf8_fails(void **state)
{
    (void)state;
    static const char *bad[] = {"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"name\":\"%s\"}", bad[i]);
        expect_json_fail(&ably_message_desc, json, "Message.name: ");
        snprintf(json, sizeof json, "{\"data\":\"%s\"}", bad[i]);
        expect_json_fail(&ably_message_desc, json, "Message.data: ");

        unsigned char mp[32] = {0x81, 0xa4, 'n', 'a', 'm', 'e'};
        size_t len = strlen(bad[i]);
        mp[6] = (unsigned char)(0xa0 | len);
        memcpy(mp + 7, bad[i], len);
        expect_fail_desc(&ably_message_desc, ABLY_FORMAT_MSGPACK, mp, 7 + len, "Message.name: ");
    }
    /* Invalid UTF-8 in a struct is refused on encode too. */
    ably_message m;
    ably_message_init(&m);
    m.name = strdup("\xff");
    ably_buf buf;
    ably_buf_init(&buf);
    ably_error err = {0};
    assert_int_equal(ably_message_to_json(&m, &buf, &err), -1);
    assert_string_equal(err.message, "Message.name: invalid UTF-8");
    assert_int_equal(ably_message_to_msgpack(&m, &buf, &err), -1);
    ably_message_clear(&m);
    ably_buf_free(&buf);
    ably_error_clear(&err);
}

static void out_of_range_numbers_fail(void **state)
{
    (void)state;
    expect_json_fail(&ably_message_desc, "{\"timestamp\":1e30}", "Message.timestamp: ");
    expect_json_fail(&ably_message_desc, "{\"timestamp\":1.5}", "Message.timestamp: ");
    expect_json_fail(&ably_message_desc, "{\"timestamp\":9007199254740993}", "Message.timestamp: ");
    expect_json_fail(&ably_message_desc, "{\"action\":4294967296}", "Message.action: ");
    expect_json_fail(&probe_desc, "{\"req\":\"r\",\"score\":1e400}", "Probe.score: ");
    /* {"timestamp": uint64 max} */
    const unsigned char u64[] = {0x81, 0xa9, 't', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p',
                                 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_fail_desc(&ably_message_desc, ABLY_FORMAT_MSGPACK, u64, sizeof u64, "Message.timestamp: ");
    /* {"action": int64 -2^40} */
    const unsigned char big[] = {0x81, 0xa6, 'a', 'c', 't', 'i', 'o', 'n', 0xd3, 0xff, 0xff, 0xff, 0x00, 0, 0, 0, 0};
    expect_fail_desc(&ably_message_desc, ABLY_FORMAT_MSGPACK, big, sizeof big, "Message.action: ");
    /* NaN and infinity, as float64 and float32 */
    const unsigned char nan[] = {0x82, 0xa3, 'r', 'e', 'q', 0xa0, 0xa5, 's', 'c', 'o', 'r', 'e',
                                 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    expect_fail_desc(&probe_desc, ABLY_FORMAT_MSGPACK, nan, sizeof nan, "Probe.score: ");
    const unsigned char inf[] = {0x82, 0xa3, 'r', 'e', 'q', 0xa0, 0xa5, 's', 'c', 'o', 'r', 'e', 0xca, 0x7f, 0x80, 0, 0};
    expect_fail_desc(&probe_desc, ABLY_FORMAT_MSGPACK, inf, sizeof inf, "Probe.score: ");
    /* Stats.entries is a number map: NaN there too */
    const unsigned char entries[] = {0x81, 0xa7, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x81, 0xa1, 'k',
                                     0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    expect_fail_desc(&ably_stats_desc, ABLY_FORMAT_MSGPACK, entries, sizeof entries, "Stats.entries: ");

    /* Encoding refuses non-finite doubles. */
    probe p = {.score = NAN, .has_score = true, .req = "r"};
    ably_buf buf;
    ably_buf_init(&buf);
    ably_error err = {0};
    assert_int_equal(ably_encode(&probe_desc, ABLY_FORMAT_JSON, &p, &buf, &err), -1);
    assert_string_equal(err.message, "Probe.score: not a finite number");
    assert_int_equal(ably_encode(&probe_desc, ABLY_FORMAT_MSGPACK, &p, &buf, &err), -1);
    ably_buf_free(&buf);
    ably_error_clear(&err);
}

/* The probe type: doubles round-trip, required fields are enforced, and string-wire
 * enums ignore text they do not know (forward compatibility). */
static void required_fields_and_string_enums(void **state)
{
    (void)state;
    expect_json_fail(&probe_desc, "{\"score\":1}", "Probe.req: required field missing");
    expect_json_fail(&probe_desc, "{\"req\":null}", "Probe.req: required field missing");
    const unsigned char none[] = {0x80};
    expect_fail_desc(&probe_desc, ABLY_FORMAT_MSGPACK, none, 1, "Probe.req: required field missing");
    expect_json_fail(&ably_token_details_desc, "{\"expires\":1}", "TokenDetails.token: required field missing");

    probe p;
    const char *json = "{\"req\":\"r\",\"platform\":\"windows-phone\",\"score\":0.1}";
    assert_int_equal(ably_decode(&probe_desc, ABLY_FORMAT_JSON, json, strlen(json), &p, NULL), 0);
    assert_false(p.has_platform);
    assert_true(p.has_score);
    assert_true(p.score == 0.1);
    ably_value_clear(&probe_desc, &p);

    json = "{\"req\":\"r\",\"platform\":\"android\",\"score\":-1.7976931348623157e308}";
    assert_int_equal(ably_decode(&probe_desc, ABLY_FORMAT_JSON, json, strlen(json), &p, NULL), 0);
    assert_true(p.has_platform);
    assert_int_equal(p.platform, 1);
    ably_buf buf;
    ably_buf_init(&buf);
    for (int fmt = 0; fmt < 2; fmt++) {
        probe back;
        assert_int_equal(ably_encode(&probe_desc, (ably_format)fmt, &p, &buf, NULL), 0);
        if (fmt == ABLY_FORMAT_JSON)
            assert_string_equal(buf.data, "{\"score\":-1.7976931348623157e+308,\"platform\":\"android\",\"req\":\"r\"}");
        assert_int_equal(ably_decode(&probe_desc, (ably_format)fmt, buf.data, buf.len, &back, NULL), 0);
        assert_true(ably_value_equal(&probe_desc, &p, &back));
        ably_value_clear(&probe_desc, &back);
    }
    /* An enum value outside the table cannot be sent as text. */
    p.platform = 7;
    ably_error err = {0};
    assert_int_equal(ably_encode(&probe_desc, ABLY_FORMAT_JSON, &p, &buf, &err), -1);
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
    ably_value_clear(&probe_desc, &p);
    ably_buf_free(&buf);
}

static void structural_garbage_fails(void **state)
{
    (void)state;
    const ably_type_desc *md = &ably_message_desc;
    expect_json_fail(md, "", "Message: ");
    expect_json_fail(md, "[]", "Message: expected an object");
    expect_json_fail(md, "\"str\"", "Message: ");
    expect_json_fail(md, "{\"name\":\"a\"} x", "Message: invalid JSON");
    expect_json_fail(md, "{\"name\":\"a\",}", "Message: invalid JSON");
    expect_json_fail(md, "{\"data\":true}", "Message.data: expected string, binary, object or array");
    const unsigned char c1[] = {0xc1};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, c1, 1, "Message: ");
    const unsigned char trailing[] = {0x80, 0x80};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, trailing, 2, "Message: ");
    const unsigned char not_map[] = {0x91, 0x80};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, not_map, 2, "Message: expected a map");
    const unsigned char int_key[] = {0x81, 0x01, 0xa1, 'x'};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, int_key, sizeof int_key, "Message: ");
    /* {"extras": {1: 2}}: a JSON object needs string keys */
    const unsigned char json_int_key[] = {0x81, 0xa6, 'e', 'x', 't', 'r', 'a', 's', 0x81, 0x01, 0x02};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, json_int_key, sizeof json_int_key, "Message.extras: ");
    /* {"data": ext} */
    const unsigned char ext_data[] = {0x81, 0xa4, 'd', 'a', 't', 'a', 0xd4, 0x01, 0x00};
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, ext_data, sizeof ext_data, "Message.data: ");
    expect_fail_desc(md, ABLY_FORMAT_MSGPACK, NULL, 0, "Message: ");
}

/* Pseudo-random bytes and bit-flipped valid documents: no crash, and any failure is 40000. */
static void random_garbage_never_crashes(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    ably_buf valid[2];
    ably_protocol_message pm;
    for (int fmt = 0; fmt < 2; fmt++) {
        ably_buf_init(&valid[fmt]);
        ably_protocol_message_init(&pm);
        assert_int_equal(codec_sample_fill(&ably_protocol_message_desc, &pm, (ably_format)fmt, 1, 0), 0);
        assert_int_equal(ably_protocol_message_to_json(&pm, &valid[fmt], NULL) * 0 +
                             ably_encode(&ably_protocol_message_desc, (ably_format)fmt, &pm, &valid[fmt], NULL), 0);
        ably_protocol_message_clear(&pm);
    }
    int failures = 0;
    for (int round = 0; round < 4000; round++) {
        int fmt = round % 2;
        size_t len;
        unsigned char *doc;
        if (round % 4 < 2) {
            len = 1 + (seed = seed * 1103515245 + 12345) % 64;
            doc = malloc(len);
            for (size_t i = 0; i < len; i++)
                doc[i] = (unsigned char)((seed = seed * 1103515245 + 12345) >> 16);
        } else {
            len = valid[fmt].len;
            doc = malloc(len);
            memcpy(doc, valid[fmt].data, len);
            for (int flips = 0; flips < 3; flips++) {
                seed = seed * 1103515245 + 12345;
                doc[(seed >> 8) % len] ^= (unsigned char)(1u << ((seed >> 4) % 8));
            }
        }
        ably_error err = {0};
        if (ably_decode(&ably_protocol_message_desc, (ably_format)fmt, doc, len, &pm, &err) == 0) {
            ably_protocol_message_clear(&pm);
        } else {
            assert_int_equal(err.code, 40000);
            failures++;
        }
        ably_error_clear(&err);
        free(doc);
    }
    assert_true(failures > 1000);
    ably_buf_free(&valid[0]);
    ably_buf_free(&valid[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(truncated_msgpack_fails_at_every_offset, "RSF1 TR4"),
        ABLY_TEST(truncated_json_fails_at_every_offset, "RSF1 TR4"),
        ABLY_TEST(wrong_types_fail_per_field, "RSF1 TM2 TP3 TR4 TI1"),
        ABLY_TEST(absurd_lengths_fail, "RSF1 TR4k TM2d"),
        ABLY_TEST(deep_nesting_fails, "RSF1 TM2i TI1"),
        ABLY_TEST(invalid_utf8_fails, "RSF1 TM2g TM2d"),
        ABLY_TEST(out_of_range_numbers_fail, "RSF1 TM2f TM2j"),
        ABLY_TEST(required_fields_and_string_enums, "RSF1 TD2"),
        ABLY_TEST(structural_garbage_fails, "RSF1 TM2d"),
        ABLY_TEST(random_garbage_never_crashes, "RSF1 TR4"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
