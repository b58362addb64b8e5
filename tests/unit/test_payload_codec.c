/* The payload pipeline together with the codec, on real wire bytes: the
 * ably-common fixtures decoded from JSON and msgpack, and re-encoded to the
 * fixture's wire form (RSL4, RSL5c, RSL6a). */
#include "ably_test.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/codec.h"
#include "ably/payload.h"
#include "crypto/crypto_internal.h"

static void check_ok(int rc, ably_error *err)
{
    if (rc != 0)
        fail_msg("unexpected failure: %s", err->message ? err->message : "(no message)");
}

/* Decodes a Message from the JSON wire form holding the fixture's data and
 * encoding (as a REST history response or realtime frame would carry it). */
static void from_wire_json(ably_message *m, const cJSON *fx, ably_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", ably_test_json_string(fx, "name") ? ably_test_json_string(fx, "name") : "fixture");
    cJSON_AddStringToObject(o, "data", ably_test_json_string(fx, "data"));
    if (ably_test_json_string(fx, "encoding"))
        cJSON_AddStringToObject(o, "encoding", ably_test_json_string(fx, "encoding"));
    check_ok(ably_decode_json_node(&ably_message_desc, o, m, err), err);
    cJSON_Delete(o);
}

static void assert_expected(const ably_data *d, const cJSON *fx)
{
    const char *type = ably_test_json_string(fx, "expectedType");
    if (strcmp(type, "string") == 0) {
        assert_int_equal(d->type, ABLY_DATA_STRING);
        assert_string_equal(d->bytes, ably_test_json_string(fx, "expectedValue"));
    } else if (strcmp(type, "binary") == 0) {
        assert_int_equal(d->type, ABLY_DATA_BINARY);
        char hex[256] = "";
        for (size_t i = 0; i < d->len && i < 100; i++)
            sprintf(hex + 2 * i, "%02x", (unsigned char)d->bytes[i]);
        assert_string_equal(hex, ably_test_json_string(fx, "expectedHexValue"));
    } else {
        assert_int_equal(d->type, ABLY_DATA_JSON);
        cJSON *got = cJSON_Parse(d->bytes);
        assert_true(cJSON_Compare(got, cJSON_GetObjectItem(fx, "expectedValue"), 1));
        cJSON_Delete(got);
    }
}

/* Wire JSON -> codec -> pipeline -> expected value -> pipeline -> codec ->
 * the same wire data and encoding; then the same value through msgpack. */
static void fixture_round_trips(const cJSON *fx)
{
    ably_error err;
    ably_error_init(&err);
    ably_message m;
    ably_message_init(&m);
    from_wire_json(&m, fx, &err);
    check_ok(ably_message_from_encoded(&m, NULL, &err), &err);
    assert_null(m.encoding);
    assert_expected(&m.data, fx);

    ably_message copy;
    check_ok(ably_message_copy(&copy, &m, &err), &err);

    /* back out over JSON: the fixture's own wire form */
    ably_buf buf;
    ably_buf_init(&buf);
    check_ok(ably_payload_encode(&m.data, &m.encoding, NULL, ABLY_FORMAT_JSON, &err), &err);
    check_ok(ably_message_to_json(&m, &buf, &err), &err);
    cJSON *out = cJSON_Parse(buf.data);
    assert_non_null(out);
    const char *want_enc = ably_test_json_string(fx, "encoding");
    const char *got_enc = ably_test_json_string(out, "encoding");
    if (want_enc) {
        assert_non_null(got_enc);
        assert_string_equal(got_enc, want_enc);
    } else {
        assert_null(got_enc);
    }
    if (want_enc && strcmp(want_enc, "json") == 0) {
        cJSON *a = cJSON_Parse(ably_test_json_string(out, "data")), *b = cJSON_Parse(ably_test_json_string(fx, "data"));
        assert_true(cJSON_Compare(a, b, 1));
        cJSON_Delete(a);
        cJSON_Delete(b);
    } else {
        assert_string_equal(ably_test_json_string(out, "data"), ably_test_json_string(fx, "data"));
    }
    cJSON_Delete(out);

    /* and over msgpack: binary goes as bin with no encoding (RSL4c1), and the
     * receiver gets the same value back */
    ably_message viampk;
    check_ok(ably_message_copy(&viampk, &copy, &err), &err);
    check_ok(ably_payload_encode(&viampk.data, &viampk.encoding, NULL, ABLY_FORMAT_MSGPACK, &err), &err);
    check_ok(ably_message_to_msgpack(&viampk, &buf, &err), &err);
    ably_message back;
    ably_message_init(&back);
    check_ok(ably_message_from_msgpack(&back, buf.data, buf.len, &err), &err);
    if (copy.data.type == ABLY_DATA_BINARY) {
        assert_int_equal(back.data.type, ABLY_DATA_BINARY);
        assert_null(back.encoding);
    }
    check_ok(ably_message_from_encoded(&back, NULL, &err), &err);
    assert_expected(&back.data, fx);
    assert_true(ably_message_equal(&back, &copy));

    ably_message_clear(&back);
    ably_message_clear(&viampk);
    ably_message_clear(&copy);
    ably_message_clear(&m);
    ably_buf_free(&buf);
    ably_error_clear(&err);
}

static void encoding_fixtures_round_trip_over_json_and_msgpack(void **state)
{
    (void)state;
    static const char *files[] = {"messages-encoding.json", "presence-messages-encoding.json"};
    for (int f = 0; f < 2; f++) {
        cJSON *root = ably_test_load_resource(files[f]);
        const cJSON *fx;
        int n = 0;
        cJSON_ArrayForEach(fx, cJSON_GetObjectItem(root, "messages")) {
            fixture_round_trips(fx);
            n++;
        }
        assert_int_equal(n, 5);
        cJSON_Delete(root);
    }
}

/* ---- crypto fixtures on the wire ------------------------------------------------- */

static void crypto_fixture_on_the_wire(const char *file)
{
    cJSON *root = ably_test_load_resource(file);
    ably_cipher_param_options o = {0};
    o.key_base64 = ably_test_json_string(root, "key");
    ably_cipher_params p;
    ably_error err;
    ably_error_init(&err);
    check_ok(ably_crypto_get_default_params(&o, &p, &err), &err);
    ably_cipher *cipher = ably_cipher_new(&p, &err);
    uint8_t iv[32];
    size_t iv_len;
    assert_true(ably_b64__decode(ably_test_json_string(root, "iv"), strlen(ably_test_json_string(root, "iv")), iv, &iv_len));
    ably_cipher_set_fixed_iv_for_testing(cipher, iv);

    ably_buf buf;
    ably_buf_init(&buf);
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "items")) {
        /* the plain message, decoded from its JSON wire form */
        ably_message plain;
        ably_message_init(&plain);
        from_wire_json(&plain, cJSON_GetObjectItem(item, "encoded"), &err);
        check_ok(ably_message_from_encoded(&plain, NULL, &err), &err);

        /* the fixture's msgpack bytes decrypt to it */
        const char *mpk64 = ably_test_json_string(item, "msgpack");
        uint8_t *mpk = malloc(ably_b64__decoded_max(strlen(mpk64)));
        size_t mpk_len;
        assert_true(ably_b64__decode(mpk64, strlen(mpk64), mpk, &mpk_len));
        ably_message fromwire;
        ably_message_init(&fromwire);
        check_ok(ably_message_from_msgpack(&fromwire, mpk, mpk_len, &err), &err);
        assert_int_equal(fromwire.data.type, ABLY_DATA_BINARY);
        check_ok(ably_message_from_encoded(&fromwire, cipher, &err), &err);
        assert_null(fromwire.encoding);
        assert_true(ably_message_equal(&fromwire, &plain));

        /* encrypting it gives the fixture's encrypted JSON form ... */
        ably_message enc;
        check_ok(ably_message_copy(&enc, &plain, &err), &err);
        check_ok(ably_payload_encode(&enc.data, &enc.encoding, cipher, ABLY_FORMAT_JSON, &err), &err);
        check_ok(ably_message_to_json(&enc, &buf, &err), &err);
        cJSON *out = cJSON_Parse(buf.data);
        const cJSON *want = cJSON_GetObjectItem(item, "encrypted");
        assert_string_equal(ably_test_json_string(out, "data"), ably_test_json_string(want, "data"));
        assert_string_equal(ably_test_json_string(out, "encoding"), ably_test_json_string(want, "encoding"));
        cJSON_Delete(out);

        /* ... and the same message as the fixture's msgpack form */
        check_ok(ably_message_to_msgpack(&enc, &buf, &err), &err);
        ably_message ours;
        ably_message_init(&ours);
        check_ok(ably_message_from_msgpack(&ours, buf.data, buf.len, &err), &err);
        ably_message theirs;
        ably_message_init(&theirs);
        check_ok(ably_message_from_msgpack(&theirs, mpk, mpk_len, &err), &err);
        assert_true(ably_message_equal(&ours, &theirs));

        ably_message_clear(&theirs);
        ably_message_clear(&ours);
        ably_message_clear(&enc);
        ably_message_clear(&fromwire);
        ably_message_clear(&plain);
        free(mpk);
    }
    ably_buf_free(&buf);
    ably_cipher_free(cipher);
    ably_error_clear(&err);
    cJSON_Delete(root);
}

static void aes128_fixtures_on_the_wire(void **state)
{
    (void)state;
    crypto_fixture_on_the_wire("crypto-data-128.json");
}

static void aes256_fixtures_on_the_wire(void **state)
{
    (void)state;
    crypto_fixture_on_the_wire("crypto-data-256.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(encoding_fixtures_round_trip_over_json_and_msgpack,
                  "RSL4c1 RSL4c2 RSL4c3 RSL4d1 RSL4d2 RSL4d3 RSL6a TM3"),
        ABLY_TEST(aes128_fixtures_on_the_wire, "RSL5b RSL5c RSL4d1 RSL6a TM3"),
        ABLY_TEST(aes256_fixtures_on_the_wire, "RSL5b RSL5c RSL4d1 RSL6a TM3"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
