/* Unit tests for the payload pipeline (RSL4, RSL5, RSL6, TM3, TP4, TM6, TP5):
 * the ably-common encoding and crypto fixtures through encode and decode,
 * residual encodings on failure, and message sizes. */
#include "ably_test.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/payload.h"
#include "crypto/crypto_internal.h"
#include "payload/payload_internal.h"

/* ---- helpers ---------------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Fills d with a malloc'd, NUL-terminated copy, as value.h requires. */
static void set_data(ably_data *d, ably_data_type type, const void *bytes, size_t len)
{
    d->type = type;
    d->bytes = malloc(len + 1);
    assert_non_null(d->bytes);
    if (len)
        memcpy(d->bytes, bytes, len);
    d->bytes[len] = '\0';
    d->len = len;
}

/* Frees what these tests put into a message or presence message. */
static void free_payload(ably_data *d, char **encoding)
{
    free(d->bytes);
    memset(d, 0, sizeof *d);
    free(*encoding);
    *encoding = NULL;
}

/* A message as the JSON codec delivers it: string data, encoding untouched. */
static void wire_message(ably_message *m, const cJSON *obj)
{
    memset(m, 0, sizeof *m);
    const char *data = ably_test_json_string(obj, "data");
    assert_non_null(data);
    set_data(&m->data, ABLY_DATA_STRING, data, strlen(data));
    m->encoding = dup_or_null(ably_test_json_string(obj, "encoding"));
}

static void assert_no_error_set(const ably_error *err)
{
    if (err->message)
        fail_msg("unexpected error: %s", err->message);
}

static void hex_of(const char *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)bytes[i]);
    out[2 * len] = '\0';
}

static ably_cipher *cipher_from(const cJSON *fixture)
{
    ably_cipher_param_options o = {0};
    o.key_base64 = ably_test_json_string(fixture, "key");
    ably_cipher_params p;
    assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
    ably_cipher *c = ably_cipher_new(&p, NULL);
    assert_non_null(c);
    return c;
}

/* ---- interop fixtures: messages-encoding.json, presence-messages-encoding.json ---- */

/* Checks decoded data against the fixture's expectedType / expectedValue /
 * expectedHexValue. */
static void assert_expected(const ably_data *d, const cJSON *fx)
{
    const char *type = ably_test_json_string(fx, "expectedType");
    assert_non_null(type);
    if (strcmp(type, "string") == 0) {
        assert_int_equal(d->type, ABLY_DATA_STRING);
        assert_string_equal(d->bytes, ably_test_json_string(fx, "expectedValue"));
    } else if (strcmp(type, "binary") == 0) {
        assert_int_equal(d->type, ABLY_DATA_BINARY);
        char hex[256];
        assert_true(d->len * 2 < sizeof hex);
        hex_of(d->bytes, d->len, hex);
        assert_string_equal(hex, ably_test_json_string(fx, "expectedHexValue"));
    } else {
        assert_true(strcmp(type, "jsonObject") == 0 || strcmp(type, "jsonArray") == 0);
        assert_int_equal(d->type, ABLY_DATA_JSON);
        cJSON *got = cJSON_Parse(d->bytes);
        assert_non_null(got);
        assert_true(strcmp(type, "jsonObject") == 0 ? cJSON_IsObject(got) : cJSON_IsArray(got));
        assert_true(cJSON_Compare(got, cJSON_GetObjectItem(fx, "expectedValue"), 1));
        cJSON_Delete(got);
    }
}

/* Re-encodes decoded data for the given transport and checks the result is
 * the fixture's wire form. The JSON codec's own step (binary -> base64 text,
 * "base64" appended) is applied here by hand, as the codec would. */
static void assert_reencodes_to_wire(ably_data *d, char **encoding, const cJSON *fx, ably_format format)
{
    ably_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ably_payload_encode(d, encoding, NULL, format, &err), 0);
    const char *wire_data = ably_test_json_string(fx, "data");
    const char *wire_enc = ably_test_json_string(fx, "encoding");
    if (d->type == ABLY_DATA_BINARY) {
        assert_null(*encoding); /* msgpack sends bin with no encoding */
        if (format == ABLY_FORMAT_JSON) {
            char text[256];
            assert_true(ably_b64__encoded_len(d->len) < sizeof text);
            ably_b64__encode((const uint8_t *)d->bytes, d->len, text);
            assert_string_equal(text, wire_data);
            assert_string_equal("base64", wire_enc);
        }
        return;
    }
    assert_int_equal(d->type, ABLY_DATA_STRING);
    if (wire_enc) {
        assert_non_null(*encoding);
        assert_string_equal(*encoding, wire_enc);
        /* JSON text may be re-serialised; compare as JSON values */
        cJSON *a = cJSON_Parse(d->bytes), *b = cJSON_Parse(wire_data);
        assert_true(cJSON_Compare(a, b, 1));
        cJSON_Delete(a);
        cJSON_Delete(b);
    } else {
        assert_null(*encoding);
        assert_string_equal(d->bytes, wire_data);
    }
}

static void messages_encoding_fixtures_decode_and_reencode(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("messages-encoding.json");
    const cJSON *fx;
    int n = 0;
    cJSON_ArrayForEach(fx, cJSON_GetObjectItem(root, "messages")) {
        for (int f = 0; f < 2; f++) {
            ably_message m;
            wire_message(&m, fx);
            ably_error err;
            memset(&err, 0, sizeof err);
            assert_int_equal(ably_message_from_encoded(&m, NULL, &err), 0);
            assert_no_error_set(&err);
            assert_null(m.encoding); /* every step consumed */
            assert_expected(&m.data, fx);
            assert_reencodes_to_wire(&m.data, &m.encoding, fx, f ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON);
            free_payload(&m.data, &m.encoding);
        }
        n++;
    }
    assert_int_equal(n, 5);
    cJSON_Delete(root);
}

static void presence_encoding_fixtures_decode_and_reencode(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("presence-messages-encoding.json");
    const cJSON *fx;
    int n = 0;
    cJSON_ArrayForEach(fx, cJSON_GetObjectItem(root, "messages")) {
        ably_presence_message p;
        memset(&p, 0, sizeof p);
        const char *data = ably_test_json_string(fx, "data");
        set_data(&p.data, ABLY_DATA_STRING, data, strlen(data));
        p.encoding = dup_or_null(ably_test_json_string(fx, "encoding"));
        assert_int_equal(ably_presence_message_from_encoded(&p, NULL, NULL), 0);
        assert_null(p.encoding);
        assert_expected(&p.data, fx);
        assert_reencodes_to_wire(&p.data, &p.encoding, fx, ABLY_FORMAT_JSON);
        free_payload(&p.data, &p.encoding);
        n++;
    }
    assert_int_equal(n, 5);
    cJSON_Delete(root);
}

/* ---- crypto fixtures end to end ----------------------------------------------------- */

/* The `encrypted` wire form minus the transport's trailing "/base64". */
static char *encoding_before_transport(const char *wire_encoding)
{
    char *s = strdup(wire_encoding);
    size_t n = strlen(s);
    assert_true(n > 7 && strcmp(s + n - 7, "/base64") == 0);
    s[n - 7] = '\0';
    return s;
}

static void crypto_fixture_through_pipeline(const char *file)
{
    cJSON *root = ably_test_load_resource(file);
    ably_cipher *cipher = cipher_from(root);
    size_t iv_len;
    uint8_t iv[32];
    assert_true(ably_b64__decode(ably_test_json_string(root, "iv"), strlen(ably_test_json_string(root, "iv")), iv, &iv_len));
    ably_cipher_set_fixed_iv_for_testing(cipher, iv);

    const cJSON *item;
    int n = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "items")) {
        const cJSON *encoded = cJSON_GetObjectItem(item, "encoded");
        const cJSON *encrypted = cJSON_GetObjectItem(item, "encrypted");
        ably_message plain, secret;
        wire_message(&plain, encoded);
        wire_message(&secret, encrypted);
        ably_error err;
        memset(&err, 0, sizeof err);

        /* inbound: both decode to the same payload */
        assert_int_equal(ably_message_from_encoded(&plain, NULL, &err), 0);
        assert_int_equal(ably_message_from_encoded(&secret, cipher, &err), 0);
        assert_no_error_set(&err);
        assert_null(secret.encoding);
        assert_int_equal(secret.data.type, plain.data.type);
        assert_int_equal(secret.data.len, plain.data.len);
        assert_memory_equal(secret.data.bytes, plain.data.bytes, plain.data.len);

        /* outbound: encrypting the plain payload gives the fixture's bytes */
        assert_int_equal(ably_payload_encode(&plain.data, &plain.encoding, cipher, ABLY_FORMAT_MSGPACK, &err), 0);
        char *want_enc = encoding_before_transport(ably_test_json_string(encrypted, "encoding"));
        assert_string_equal(plain.encoding, want_enc);
        assert_int_equal(plain.data.type, ABLY_DATA_BINARY);
        const char *wire = ably_test_json_string(encrypted, "data");
        uint8_t want[256];
        size_t want_len;
        assert_true(ably_b64__decode(wire, strlen(wire), want, &want_len));
        assert_int_equal(plain.data.len, want_len);
        assert_memory_equal(plain.data.bytes, want, want_len);

        free(want_enc);
        free_payload(&plain.data, &plain.encoding);
        free_payload(&secret.data, &secret.encoding);
        n++;
    }
    assert_int_equal(n, cJSON_GetArraySize(cJSON_GetObjectItem(root, "items")));
    assert_true(n >= 4);
    ably_cipher_free(cipher);
    cJSON_Delete(root);
}

static void aes128_fixtures_through_the_pipeline(void **state)
{
    (void)state;
    crypto_fixture_through_pipeline("crypto-data-128.json");
}

static void aes256_fixtures_through_the_pipeline(void **state)
{
    (void)state;
    crypto_fixture_through_pipeline("crypto-data-256.json");
}

static void encrypted_round_trip_with_random_ivs(void **state)
{
    (void)state;
    static const int bits[] = {128, 256};
    for (int b = 0; b < 2; b++) {
        uint8_t key[32];
        assert_int_equal(ably_crypto_generate_random_key(bits[b], key, sizeof key, NULL), 0);
        ably_cipher_param_options o = {0};
        o.key = key, o.key_len = (size_t)bits[b] / 8;
        ably_cipher_params p;
        assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
        ably_cipher *c = ably_cipher_new(&p, NULL);

        struct { ably_data_type type; const char *bytes; size_t len; const char *enc; } cases[] = {
            {ABLY_DATA_STRING, "héllo wörld", strlen("héllo wörld"), "utf-8/cipher+aes-%d-cbc"},
            {ABLY_DATA_STRING, "", 0, "utf-8/cipher+aes-%d-cbc"},
            {ABLY_DATA_JSON, "{\"a\":[1,2,{\"b\":null}]}", 22, "json/utf-8/cipher+aes-%d-cbc"},
            {ABLY_DATA_BINARY, "\x00\x01\xff\x00", 4, "cipher+aes-%d-cbc"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            ably_data d;
            char *enc = NULL;
            set_data(&d, cases[i].type, cases[i].bytes, cases[i].len);
            assert_int_equal(ably_payload_encode(&d, &enc, c, ABLY_FORMAT_JSON, NULL), 0);
            char want[64];
            snprintf(want, sizeof want, cases[i].enc, bits[b]);
            assert_string_equal(enc, want);
            assert_int_equal(d.type, ABLY_DATA_BINARY);
            assert_int_equal(d.len, ably_cipher_encrypted_length(cases[i].len));
            /* what a JSON transport would add, then undo it all */
            char *text = malloc(ably_b64__encoded_len(d.len) + 1);
            ably_b64__encode((const uint8_t *)d.bytes, d.len, text);
            free(d.bytes);
            d.bytes = text, d.len = strlen(text), d.type = ABLY_DATA_STRING;
            char *wire_enc = malloc(strlen(enc) + 8);
            sprintf(wire_enc, "%s/base64", enc);
            free(enc);
            enc = wire_enc;
            assert_int_equal(ably_payload_decode(&d, &enc, c, NULL), 0);
            assert_null(enc);
            assert_int_equal(d.type, cases[i].type);
            assert_int_equal(d.len, cases[i].len);
            assert_memory_equal(d.bytes, cases[i].bytes, cases[i].len);
            free_payload(&d, &enc);
        }
        ably_cipher_free(c);
    }
}

/* ---- chains and failures -------------------------------------------------------------- */

typedef struct {
    ably_data data;
    char *encoding;
    ably_error err;
    int rc;
} decoded;

static decoded decode(ably_data_type type, const char *bytes, size_t len, const char *encoding,
                      ably_cipher *cipher)
{
    decoded r;
    memset(&r, 0, sizeof r);
    set_data(&r.data, type, bytes, len);
    r.encoding = dup_or_null(encoding);
    r.rc = ably_payload_decode(&r.data, &r.encoding, cipher, &r.err);
    return r;
}

static void decoded_free(decoded *r)
{
    free_payload(&r->data, &r->encoding);
    ably_error_clear(&r->err);
}

static void chained_encodings_decode_right_to_left(void **state)
{
    (void)state;
    /* json/base64: bytes of JSON text */
    decoded r = decode(ABLY_DATA_STRING, "eyJrIjoidiJ9", 12, "json/base64", NULL);
    assert_int_equal(r.rc, 0);
    assert_null(r.encoding);
    assert_int_equal(r.data.type, ABLY_DATA_JSON);
    assert_string_equal(r.data.bytes, "{\"k\":\"v\"}");
    decoded_free(&r);

    /* utf-8/base64 */
    r = decode(ABLY_DATA_STRING, "SGVsbG8gV29ybGQ=", 16, "utf-8/base64", NULL);
    assert_int_equal(r.rc, 0);
    assert_null(r.encoding);
    assert_int_equal(r.data.type, ABLY_DATA_STRING);
    assert_string_equal(r.data.bytes, "Hello World");
    assert_int_equal(r.data.len, 11);
    decoded_free(&r);

    /* json/utf-8/base64 of {"status":"active","count":5} */
    r = decode(ABLY_DATA_STRING, "eyJzdGF0dXMiOiJhY3RpdmUiLCJjb3VudCI6NX0=", 40, "json/utf-8/base64", NULL);
    assert_int_equal(r.rc, 0);
    assert_null(r.encoding);
    assert_int_equal(r.data.type, ABLY_DATA_JSON);
    assert_string_equal(r.data.bytes, "{\"status\":\"active\",\"count\":5}");
    decoded_free(&r);

    /* base64 as raw msgpack bin stays binary, and an empty encoding is consumed */
    r = decode(ABLY_DATA_BINARY, "Hello", 5, "", NULL);
    assert_int_equal(r.rc, 0);
    assert_null(r.encoding);
    assert_int_equal(r.data.type, ABLY_DATA_BINARY);
    decoded_free(&r);
}

static void expect_residual(decoded *r, int code, const char *encoding, ably_data_type type)
{
    assert_int_equal(r->rc, -1);
    assert_int_equal(r->err.code, code);
    assert_non_null(r->err.message);
    assert_non_null(r->encoding);
    assert_string_equal(r->encoding, encoding);
    assert_int_equal(r->data.type, type);
}

static void undecryptable_payload_keeps_residual_encoding(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("crypto-data-128.json");
    const cJSON *enc = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "items"), 0), "encrypted");
    const char *wire = ably_test_json_string(enc, "data");
    uint8_t ct[128];
    size_t ct_len;
    assert_true(ably_b64__decode(wire, strlen(wire), ct, &ct_len));

    /* the spec's own example: base64 undone, no cipher configured */
    decoded r = decode(ABLY_DATA_STRING, wire, strlen(wire), "utf-8/cipher+aes-128-cbc/base64", NULL);
    expect_residual(&r, 40013, "utf-8/cipher+aes-128-cbc", ABLY_DATA_BINARY);
    assert_int_equal(r.data.len, ct_len);
    assert_memory_equal(r.data.bytes, ct, ct_len);
    assert_non_null(strstr(r.err.message, "no cipher"));
    decoded_free(&r);

    /* a 256-bit channel cipher cannot read a 128-bit payload */
    cJSON *root256 = ably_test_load_resource("crypto-data-256.json");
    ably_cipher *c256 = cipher_from(root256);
    r = decode(ABLY_DATA_STRING, wire, strlen(wire), "utf-8/cipher+aes-128-cbc/base64", c256);
    expect_residual(&r, 40013, "utf-8/cipher+aes-128-cbc", ABLY_DATA_BINARY);
    assert_non_null(strstr(r.err.message, "aes-256-cbc"));
    assert_memory_equal(r.data.bytes, ct, ct_len);
    decoded_free(&r);
    ably_cipher_free(c256);
    cJSON_Delete(root256);

    /* right algorithm, wrong key: the ciphertext is delivered intact */
    uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ably_cipher_param_options o = {0};
    o.key = key, o.key_len = sizeof key;
    ably_cipher_params p;
    assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
    ably_cipher *wrong = ably_cipher_new(&p, NULL);
    r = decode(ABLY_DATA_STRING, wire, strlen(wire), "utf-8/cipher+aes-128-cbc/base64", wrong);
    expect_residual(&r, 40013, "utf-8/cipher+aes-128-cbc", ABLY_DATA_BINARY);
    assert_memory_equal(r.data.bytes, ct, ct_len);
    decoded_free(&r);

    /* truncated ciphertext */
    r = decode(ABLY_DATA_BINARY, (const char *)ct, 24, "cipher+aes-128-cbc", wrong);
    expect_residual(&r, 40013, "cipher+aes-128-cbc", ABLY_DATA_BINARY);
    assert_int_equal(r.data.len, 24);
    decoded_free(&r);
    ably_cipher_free(wrong);
    cJSON_Delete(root);
}

static void unknown_or_bad_steps_stop_decoding(void **state)
{
    (void)state;
    /* unknown encoding under a known one: base64 undone, the rest kept */
    decoded r = decode(ABLY_DATA_STRING, "3q2+7w==", 8, "custom-encryption/base64", NULL);
    expect_residual(&r, 40013, "custom-encryption", ABLY_DATA_BINARY);
    assert_int_equal(r.data.len, 4);
    assert_memory_equal(r.data.bytes, "\xde\xad\xbe\xef", 4);
    assert_non_null(strstr(r.err.message, "custom-encryption"));
    decoded_free(&r);

    /* bad base64: nothing undone, data exactly as received */
    r = decode(ABLY_DATA_STRING, "3q2+7w!!", 8, "utf-8/base64", NULL);
    expect_residual(&r, 40013, "utf-8/base64", ABLY_DATA_STRING);
    assert_string_equal(r.data.bytes, "3q2+7w!!");
    decoded_free(&r);

    /* bad JSON */
    r = decode(ABLY_DATA_STRING, "{\"a\":", 5, "json", NULL);
    expect_residual(&r, 40013, "json", ABLY_DATA_STRING);
    assert_string_equal(r.data.bytes, "{\"a\":");
    decoded_free(&r);

    /* bytes that are not UTF-8 */
    r = decode(ABLY_DATA_STRING, "//4=", 4, "utf-8/base64", NULL);
    expect_residual(&r, 40013, "utf-8", ABLY_DATA_BINARY);
    assert_int_equal(r.data.len, 2);
    decoded_free(&r);

    /* vcdiff is left for the delta decoder */
    r = decode(ABLY_DATA_BINARY, "\xd6\xc3\xc4", 3, "utf-8/vcdiff", NULL);
    expect_residual(&r, 40019, "utf-8/vcdiff", ABLY_DATA_BINARY);
    decoded_free(&r);

    /* an empty step between separators is not a step we know */
    r = decode(ABLY_DATA_STRING, "x", 1, "utf-8//utf-8", NULL);
    expect_residual(&r, 40013, "utf-8/", ABLY_DATA_STRING);
    decoded_free(&r);
}

static void from_encoded_array_decodes_every_item(void **state)
{
    (void)state;
    ably_message items[3];
    memset(items, 0, sizeof items);
    set_data(&items[0].data, ABLY_DATA_STRING, "{\"a\":1}", 7);
    items[0].encoding = strdup("json");
    set_data(&items[1].data, ABLY_DATA_STRING, "AAE=", 4);
    items[1].encoding = strdup("mystery/base64");
    set_data(&items[2].data, ABLY_DATA_STRING, "AAE=", 4);
    items[2].encoding = strdup("base64");
    ably_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ably_messages_from_encoded(items, 3, NULL, &err), -1);
    assert_int_equal(err.code, 40013);
    assert_int_equal(items[0].data.type, ABLY_DATA_JSON);
    assert_null(items[0].encoding);
    assert_string_equal(items[1].encoding, "mystery");
    assert_int_equal(items[2].data.type, ABLY_DATA_BINARY); /* decoded after the failure */
    assert_null(items[2].encoding);
    for (int i = 0; i < 3; i++)
        free_payload(&items[i].data, &items[i].encoding);
    ably_error_clear(&err);

    ably_presence_message ps[1];
    memset(ps, 0, sizeof ps);
    set_data(&ps[0].data, ABLY_DATA_STRING, "[1]", 3);
    ps[0].encoding = strdup("json");
    assert_int_equal(ably_presence_messages_from_encoded(ps, 1, NULL, NULL), 0);
    assert_int_equal(ps[0].data.type, ABLY_DATA_JSON);
    free_payload(&ps[0].data, &ps[0].encoding);
}

/* ---- outbound rules ----------------------------------------------------------------- */

static void outbound_payload_types(void **state)
{
    (void)state;
    ably_data d;
    char *enc = NULL;
    ably_error err;
    memset(&err, 0, sizeof err);

    /* absent data: allowed, untouched */
    memset(&d, 0, sizeof d);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), 0);
    assert_int_equal(d.type, ABLY_DATA_NONE);
    assert_null(enc);

    /* string: as is, no encoding */
    set_data(&d, ABLY_DATA_STRING, "plain", 5);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), 0);
    assert_int_equal(d.type, ABLY_DATA_STRING);
    assert_string_equal(d.bytes, "plain");
    assert_null(enc);
    free_payload(&d, &enc);

    /* binary: as is for both transports (the codec base64s it for JSON) */
    set_data(&d, ABLY_DATA_BINARY, "\x00\x01\xff", 3);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_MSGPACK, &err), 0);
    assert_int_equal(d.type, ABLY_DATA_BINARY);
    assert_int_equal(d.len, 3);
    assert_null(enc);
    free_payload(&d, &enc);

    /* JSON object and empty array: their text, encoding json */
    set_data(&d, ABLY_DATA_JSON, "{\"key\":\"value\",\"nested\":{\"a\":1}}", 32);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), 0);
    assert_int_equal(d.type, ABLY_DATA_STRING);
    assert_string_equal(d.bytes, "{\"key\":\"value\",\"nested\":{\"a\":1}}");
    assert_string_equal(enc, "json");
    free_payload(&d, &enc);
    set_data(&d, ABLY_DATA_JSON, "[]", 2);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_MSGPACK, &err), 0);
    assert_string_equal(enc, "json");
    free_payload(&d, &enc);

    /* new steps go after an encoding already applied (RSL4b order) */
    set_data(&d, ABLY_DATA_JSON, "[1]", 3);
    enc = strdup("custom");
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), 0);
    assert_string_equal(enc, "custom/json");
    free_payload(&d, &enc);
    assert_no_error_set(&err);

    /* invalid JSON text and unknown types are refused, nothing changed */
    set_data(&d, ABLY_DATA_JSON, "{nope}", 6);
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), -1);
    assert_int_equal(err.code, 40013);
    assert_int_equal(d.type, ABLY_DATA_JSON);
    assert_null(enc);
    free_payload(&d, &enc);
    ably_error_clear(&err);
    set_data(&d, ABLY_DATA_STRING, "x", 1);
    d.type = (ably_data_type)42;
    assert_int_equal(ably_payload_encode(&d, &enc, NULL, ABLY_FORMAT_JSON, &err), -1);
    assert_int_equal(err.code, 40013);
    free_payload(&d, &enc);
    ably_error_clear(&err);
}

static void json_validator_accepts_json_and_rejects_the_rest(void **state)
{
    (void)state;
    static const char *good[] = {
        "{}", "[]", " [1, -2.5e+3, 0, \"x\\u00e9\\n\", true, false, null] ", "{\"a\":{\"b\":[{}]}}",
        "\"caf\xc3\xa9\"", "42", "-0.0E-1",
    };
    static const char *bad[] = {
        "", "{", "[1,]", "{\"a\"}", "{a:1}", "01", "1.", "--1", "[1] x", "\"\\x\"", "\"\x01\"",
        "\"\xc3\"", "\"\xed\xa0\x80\"", "tru", "nul", "[\"\\u12g4\"]", "{\"a\":1,}",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!ably_payload__json_valid(good[i], strlen(good[i]), 64))
            fail_msg("rejected valid JSON: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ably_payload__json_valid(bad[i], strlen(bad[i]), 64))
            fail_msg("accepted invalid JSON: %s", bad[i]);
    /* nesting is bounded */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_true(ably_payload__json_valid(deep, 200, 100));
    assert_false(ably_payload__json_valid(deep, 200, 64));

    const char *mixed = "h\xc3\xa9llo \xf0\x9f\x98\x80 long ascii tail....";
    assert_true(ably_payload__utf8_valid(mixed, strlen(mixed)));
    assert_false(ably_payload__utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(ably_payload__utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(ably_payload__utf8_valid("abcdefgh\xe2\x82", 10)); /* truncated */
}

/* ---- size ------------------------------------------------------------------------------- */

static void message_size_counts_name_data_client_id_and_extras(void **state)
{
    (void)state;
    ably_message m;
    memset(&m, 0, sizeof m);
    assert_int_equal(ably_message_size(&m), 0); /* all absent: zero */

    m.name = strdup("event");            /* 5 */
    m.client_id = strdup("cl\xc3\xa9nt"); /* 6 UTF-8 bytes */
    m.extras = strdup("{\"headers\":{\"a\":\"b\"}}"); /* 21 */
    set_data(&m.data, ABLY_DATA_STRING, "hello", 5);
    assert_int_equal(ably_message_size(&m), 5 + 6 + 21 + 5);

    free(m.data.bytes);
    set_data(&m.data, ABLY_DATA_BINARY, "\x00\x01\x02\x03\x04\x05\x06\x07", 8); /* raw, not base64's 12 */
    assert_int_equal(ably_message_size(&m), 5 + 6 + 21 + 8);

    free(m.data.bytes);
    set_data(&m.data, ABLY_DATA_JSON, "{\"a\":[1,2]}", 11);
    assert_int_equal(ably_message_size(&m), 5 + 6 + 21 + 11);

    free(m.name);
    free(m.client_id);
    free(m.extras);
    free(m.data.bytes);

    ably_presence_message p;
    memset(&p, 0, sizeof p);
    assert_int_equal(ably_presence_message_size(&p), 0);
    p.client_id = strdup("me");
    set_data(&p.data, ABLY_DATA_BINARY, "\xff\xfe\xfd", 3);
    assert_int_equal(ably_presence_message_size(&p), 5);
    free(p.client_id);
    free(p.data.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(messages_encoding_fixtures_decode_and_reencode,
                  "RSL6a RSL4c2 RSL4c3 RSL4d2 RSL4d3 TM3"),
        ABLY_TEST(presence_encoding_fixtures_decode_and_reencode, "RSL6a RSL4d2 RSL4d3 TP4"),
        ABLY_TEST(aes128_fixtures_through_the_pipeline, "RSL5b RSL5c RSL6a TM3"),
        ABLY_TEST(aes256_fixtures_through_the_pipeline, "RSL5b RSL5c RSL6a TM3"),
        ABLY_TEST(encrypted_round_trip_with_random_ivs, "RSL5b RSL4b RSL6a"),
        ABLY_TEST(chained_encodings_decode_right_to_left, "RSL4b RSL6a"),
        ABLY_TEST(undecryptable_payload_keeps_residual_encoding, "RSL6b"),
        ABLY_TEST(unknown_or_bad_steps_stop_decoding, "RSL6b"),
        ABLY_TEST(from_encoded_array_decodes_every_item, "TM3 TP4 RSL6b"),
        ABLY_TEST(outbound_payload_types, "RSL4a RSL4b RSL4c2 RSL4c3 RSL4d2 RSL4d3"),
        ABLY_TEST(json_validator_accepts_json_and_rejects_the_rest, "RSL6a RSL4a"),
        ABLY_TEST(message_size_counts_name_data_client_id_and_extras, "TM6a TM6b TM6c TM6d TM6e TM6f TP5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
