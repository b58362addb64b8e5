/* Unit tests for AES-CBC payload encryption (RSE, RSL5, TZ2): the ably-common
 * crypto fixtures both ways, key handling, and failure cases. */
#include "ably_test.h"
#include "fixtures.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/crypto.h"
#include "crypto/crypto_internal.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Base64-decodes text into a fresh buffer (caller frees). */
static uint8_t *b64(const char *text, size_t *len)
{
    uint8_t *out = malloc(ably_b64__decoded_max(strlen(text)) + 1);
    assert_non_null(out);
    assert_true(ably_b64__decode(text, strlen(text), out, len));
    return out;
}

/* The plaintext bytes of a fixture's "encoded" message: base64 data is
 * binary, anything else (plain strings and JSON text) is its UTF-8 bytes. */
static uint8_t *plaintext_of(const cJSON *encoded, size_t *len)
{
    const char *data = ably_test_json_string(encoded, "data");
    const char *encoding = ably_test_json_string(encoded, "encoding");
    assert_non_null(data);
    if (encoding && strcmp(encoding, "base64") == 0)
        return b64(data, len);
    *len = strlen(data);
    uint8_t *out = malloc(*len + 1);
    memcpy(out, data, *len + 1);
    return out;
}

static ably_cipher *cipher_from_b64(const char *key_b64)
{
    ably_cipher_param_options o = {0};
    o.key_base64 = key_b64;
    ably_cipher_params p;
    ably_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ably_crypto_get_default_params(&o, &p, &err), 0);
    ably_cipher *c = ably_cipher_new(&p, &err);
    assert_non_null(c);
    return c;
}

/* ---- fixture vectors ----------------------------------------------------- */

static void check_fixture_file(const char *file, int expected_bits)
{
    cJSON *root = ably_test_load_resource(file);
    assert_int_equal(cJSON_GetObjectItem(root, "keylength")->valueint, expected_bits);
    ably_cipher *c = cipher_from_b64(ably_test_json_string(root, "key"));
    assert_int_equal(ably_cipher_get_params(c)->key_length, expected_bits);
    size_t iv_len = 0;
    uint8_t *iv = b64(ably_test_json_string(root, "iv"), &iv_len);
    assert_int_equal(iv_len, ABLY_CRYPTO_IV_LENGTH);
    ably_cipher_set_fixed_iv_for_testing(c, iv);

    const cJSON *item;
    int count = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "items")) {
        size_t plain_len, wire_len, out_len;
        uint8_t *plain = plaintext_of(cJSON_GetObjectItem(item, "encoded"), &plain_len);
        uint8_t *wire = b64(ably_test_json_string(cJSON_GetObjectItem(item, "encrypted"), "data"), &wire_len);

        /* encrypt: byte-identical to the fixture with the fixture's IV */
        uint8_t *out = malloc(ably_cipher_encrypted_length(plain_len));
        assert_int_equal(ably_cipher_encrypt(c, plain, plain_len, out, &out_len, NULL), 0);
        assert_int_equal(out_len, wire_len);
        assert_int_equal(out_len, ably_cipher_encrypted_length(plain_len));
        assert_memory_equal(out, wire, wire_len);

        /* decrypt: the fixture's ciphertext back to the plaintext */
        assert_int_equal(ably_cipher_decrypt(c, wire, wire_len, &out_len, NULL), 0);
        assert_int_equal(out_len, plain_len);
        assert_memory_equal(wire, plain, plain_len);
        free(out);
        free(plain);
        free(wire);
        count++;
    }
    assert_true(count >= 4);
    free(iv);
    ably_cipher_free(c);
    cJSON_Delete(root);
}

static void aes128_fixture_vectors_both_ways(void **state)
{
    (void)state;
    check_fixture_file("crypto-data-128.json", 128);
}

static void aes256_fixture_vectors_both_ways(void **state)
{
    (void)state;
    check_fixture_file("crypto-data-256.json", 256);
}

/* ---- params ---------------------------------------------------------------- */

static void default_params_fill_defaults_from_base64_key(void **state)
{
    (void)state;
    ably_cipher_param_options o = {0};
    o.key_base64 = "WUP6u0K7MXI5Zeo0VppPwg==";
    ably_cipher_params p;
    assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
    assert_string_equal(p.algorithm, "aes");
    assert_string_equal(p.mode, "cbc");
    assert_int_equal(p.key_length, 128);
    static const uint8_t expected[16] = {0x59, 0x43, 0xfa, 0xbb, 0x42, 0xbb, 0x31, 0x72,
                                         0x39, 0x65, 0xea, 0x34, 0x56, 0x9a, 0x4f, 0xc2};
    assert_memory_equal(p.key, expected, 16);
}

static void default_params_accept_binary_key_and_explicit_values(void **state)
{
    (void)state;
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    ably_cipher_param_options o = {0};
    o.key = key;
    o.key_len = sizeof key;
    o.algorithm = "AES";
    o.mode = "CBC";
    o.key_length = 256;
    ably_cipher_params p;
    assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
    assert_int_equal(p.key_length, 256);
    assert_string_equal(p.algorithm, "aes");
    assert_memory_equal(p.key, key, 32);
    ably_cipher *c = ably_cipher_new(&p, NULL);
    assert_non_null(c);
    assert_string_equal(ably_cipher_encoding(c), "cipher+aes-256-cbc");
    ably_cipher_free(c);
}

static void default_params_accept_base64url_key(void **state)
{
    (void)state;
    /* bytes chosen so the standard form needs '+' and '/' */
    uint8_t key[16];
    memset(key, 0xfb, sizeof key);
    key[15] = 0xff;
    char std[32];
    ably_b64__encode(key, sizeof key, std);
    assert_non_null(strchr(std, '+'));
    /* URL-safe alphabet, padding dropped */
    char url[32];
    size_t n = 0;
    for (const char *s = std; *s && *s != '='; s++)
        url[n++] = *s == '+' ? '-' : *s == '/' ? '_' : *s;
    url[n] = '\0';

    ably_cipher_param_options o = {0};
    ably_cipher_params a, b;
    o.key_base64 = std;
    assert_int_equal(ably_crypto_get_default_params(&o, &a, NULL), 0);
    o.key_base64 = url;
    assert_int_equal(ably_crypto_get_default_params(&o, &b, NULL), 0);
    assert_int_equal(b.key_length, 128);
    assert_memory_equal(a.key, key, 16);
    assert_memory_equal(b.key, key, 16);
}

static void expect_params_error(const ably_cipher_param_options *o, const char *needle)
{
    ably_cipher_params p;
    ably_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ably_crypto_get_default_params(o, &p, &err), -1);
    assert_int_equal(err.code, 40003);
    assert_int_equal(err.status_code, 400);
    assert_non_null(err.message);
    if (!strstr(err.message, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.message, needle);
    ably_error_clear(&err);
}

static void default_params_reject_bad_keys_and_algorithms(void **state)
{
    (void)state;
    uint8_t key[32] = {0};
    ably_cipher_param_options o = {0};

    o.key = key, o.key_len = 8; /* 64 bits */
    expect_params_error(&o, "64 bits");
    o.key_len = 24; /* 192 bits: valid AES, but not an Ably key length */
    expect_params_error(&o, "192 bits");
    o.key = NULL;
    expect_params_error(&o, "required");
    o.key_base64 = "not base64!";
    expect_params_error(&o, "base64");
    o.key_base64 = "AAAAAAAAAAAAAAAAAAAAAA=="; /* 128 bits */
    o.key_length = 256;
    expect_params_error(&o, "does not match");
    o.key_length = 0;
    o.algorithm = "des";
    expect_params_error(&o, "algorithm");
    o.algorithm = NULL;
    o.mode = "ctr";
    expect_params_error(&o, "mode");

    /* a cipher cannot be built from unvalidated junk either */
    ably_cipher_params junk;
    memset(&junk, 0, sizeof junk);
    junk.key_length = 192;
    ably_error err;
    memset(&err, 0, sizeof err);
    assert_null(ably_cipher_new(&junk, &err));
    assert_int_equal(err.code, 40003);
    ably_error_clear(&err);
}

/* ---- random keys ----------------------------------------------------------- */

static void random_keys_default_to_256_bits_and_differ(void **state)
{
    (void)state;
    uint8_t a[32], b[32], small[16], zero[32] = {0};
    assert_int_equal(ably_crypto_generate_random_key(0, a, sizeof a, NULL), 0);
    assert_int_equal(ably_crypto_generate_random_key(256, b, sizeof b, NULL), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_int_equal(ably_crypto_generate_random_key(128, small, sizeof small, NULL), 0);

    /* the generated key is usable as a binary key (RSE2b) */
    ably_cipher_param_options o = {0};
    o.key = a, o.key_len = sizeof a;
    ably_cipher_params p;
    assert_int_equal(ably_crypto_get_default_params(&o, &p, NULL), 0);
    assert_int_equal(p.key_length, 256);

    ably_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ably_crypto_generate_random_key(192, a, sizeof a, &err), -1);
    assert_int_equal(err.code, 40003);
    ably_error_clear(&err);
    assert_int_equal(ably_crypto_generate_random_key(256, small, sizeof small, &err), -1);
    ably_error_clear(&err);
}

static void *keygen_thread(void *arg)
{
    uint8_t *key = arg;
    return (void *)(intptr_t)ably_crypto_generate_random_key(128, key, 16, NULL);
}

static void random_keys_are_safe_from_many_threads(void **state)
{
    (void)state;
    enum { N = 8 };
    pthread_t t[N];
    uint8_t keys[N][16];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, keygen_thread, keys[i]), 0);
    for (int i = 0; i < N; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_int_equal((intptr_t)rc, 0);
    }
    for (int i = 1; i < N; i++)
        assert_memory_not_equal(keys[0], keys[i], 16);
}

/* ---- encrypt / decrypt ------------------------------------------------------ */

static void each_encryption_uses_a_fresh_iv(void **state)
{
    (void)state;
    ably_cipher *c = cipher_from_b64("WUP6u0K7MXI5Zeo0VppPwg==");
    const uint8_t msg[] = "same message";
    uint8_t a[64], b[64];
    size_t na, nb, n;
    assert_int_equal(ably_cipher_encrypt(c, msg, sizeof msg - 1, a, &na, NULL), 0);
    assert_int_equal(ably_cipher_encrypt(c, msg, sizeof msg - 1, b, &nb, NULL), 0);
    assert_int_equal(na, 32);
    assert_int_equal(nb, 32);
    assert_memory_not_equal(a, b, ABLY_CRYPTO_IV_LENGTH);
    assert_memory_not_equal(a + 16, b + 16, 16);
    assert_int_equal(ably_cipher_decrypt(c, a, na, &n, NULL), 0);
    assert_int_equal(n, sizeof msg - 1);
    assert_memory_equal(a, msg, n);
    assert_int_equal(ably_cipher_decrypt(c, b, nb, &n, NULL), 0);
    assert_memory_equal(b, msg, n);
    ably_cipher_free(c);
}

static void empty_and_block_sized_payloads_round_trip_in_place(void **state)
{
    (void)state;
    ably_cipher *c = cipher_from_b64("o9qXZoPGDNla50VnRwH7cGqIrpyagTxGsRgimKJbY40=");
    for (size_t len = 0; len <= 48; len++) {
        uint8_t buf[128];
        /* in-place use: the plaintext sits right after room for the IV */
        for (size_t i = 0; i < len; i++)
            buf[16 + i] = (uint8_t)(i * 7 + 1);
        size_t n, m;
        assert_int_equal(ably_cipher_encrypt(c, buf + 16, len, buf, &n, NULL), 0);
        assert_int_equal(n, ably_cipher_encrypted_length(len));
        assert_int_equal(n % 16, 0);
        assert_int_equal(ably_cipher_decrypt(c, buf, n, &m, NULL), 0);
        assert_int_equal(m, len);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(buf[i], (uint8_t)(i * 7 + 1));
    }
    ably_cipher_free(c);
}

static void expect_decrypt_error(ably_cipher *c, uint8_t *buf, size_t len)
{
    uint8_t before[256];
    assert_true(len <= sizeof before);
    memcpy(before, buf, len);
    ably_error err;
    memset(&err, 0, sizeof err);
    size_t n = 12345;
    assert_int_equal(ably_cipher_decrypt(c, buf, len, &n, &err), -1);
    assert_int_equal(err.code, 40013);
    assert_int_equal(err.status_code, 400);
    assert_int_equal(n, 12345);
    /* the ciphertext survives, so it can be delivered undecrypted (RSL6b) */
    assert_memory_equal(buf, before, len);
    ably_error_clear(&err);
}

static void truncated_corrupt_or_foreign_ciphertext_is_an_error(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("crypto-data-128.json");
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "items"), 0);
    size_t len;
    uint8_t *wire = b64(ably_test_json_string(cJSON_GetObjectItem(item, "encrypted"), "data"), &len);
    assert_int_equal(len, 64);
    ably_cipher *c = cipher_from_b64(ably_test_json_string(root, "key"));

    expect_decrypt_error(c, wire, 0);
    expect_decrypt_error(c, wire, 15);               /* shorter than the IV */
    expect_decrypt_error(c, wire, 16);               /* IV but no block */
    expect_decrypt_error(c, wire, 40);               /* not whole blocks */
    expect_decrypt_error(c, wire, len - 1);

    /* the last block corrupted: its padding no longer checks out */
    wire[len - 1] ^= 0x5a;
    expect_decrypt_error(c, wire, len);
    wire[len - 1] ^= 0x5a;

    /* right length, wrong key (the 256-bit fixture's key) */
    ably_cipher *other = cipher_from_b64("o9qXZoPGDNla50VnRwH7cGqIrpyagTxGsRgimKJbY40=");
    expect_decrypt_error(other, wire, len);
    ably_cipher_free(other);

    /* and the untouched ciphertext still decrypts with the right key */
    size_t n;
    assert_int_equal(ably_cipher_decrypt(c, wire, len, &n, NULL), 0);
    assert_int_equal(n, strlen("The quick brown fox jumped over the lazy dog"));
    assert_memory_equal(wire, "The quick brown fox jumped over the lazy dog", n);

    free(wire);
    ably_cipher_free(c);
    cJSON_Delete(root);
}

static void base64_codec_is_lenient_on_alphabet_strict_on_content(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n;
    assert_true(ably_b64__decode("3q2+7w==", 8, out, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_true(ably_b64__decode("3q2-7w", 6, out, &n)); /* url-safe, unpadded */
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_true(ably_b64__decode("", 0, out, &n));
    assert_int_equal(n, 0);
    assert_false(ably_b64__decode("3q2+7w=", 7, out, &n));  /* padding short */
    assert_false(ably_b64__decode("3q2+7", 5, out, &n));    /* impossible length */
    assert_false(ably_b64__decode("3q 2+7w=", 8, out, &n)); /* whitespace */
    assert_false(ably_b64__decode("3q=+7w==", 8, out, &n)); /* inner padding */

    /* in place: success shrinks the buffer; failure gives the text back */
    char buf[64];
    strcpy(buf, "VGhlIHF1aWNrIGJyb3duIGZveA==");
    assert_true(ably_b64__decode_in_place(buf, strlen(buf), &n));
    assert_int_equal(n, 19);
    assert_memory_equal(buf, "The quick brown fox", 19);
    strcpy(buf, "VGhlIHF1aWNrIGJyb3duIGZve*==");
    assert_false(ably_b64__decode_in_place(buf, strlen(buf), &n));
    assert_string_equal(buf, "VGhlIHF1aWNrIGJyb3duIGZve*==");
    strcpy(buf, "3q2-7w!!");
    assert_false(ably_b64__decode_in_place(buf, strlen(buf), &n));
    assert_string_equal(buf, "3q2+7w!!"); /* same bytes, standard alphabet */
    strcpy(buf, "3q2+7w=");
    assert_false(ably_b64__decode_in_place(buf, strlen(buf), &n));
    assert_string_equal(buf, "3q2+7w=");

    char text[16];
    ably_b64__encode((const uint8_t *)"\xde\xad\xbe\xef", 4, text);
    assert_string_equal(text, "3q2+7w==");
    ably_b64__encode((const uint8_t *)"ab", 2, text);
    assert_string_equal(text, "YWI=");
    ably_b64__encode((const uint8_t *)"abc", 3, text);
    assert_string_equal(text, "YWJj");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(aes128_fixture_vectors_both_ways, "RSL5b RSL5c RSE1d"),
        ABLY_TEST(aes256_fixture_vectors_both_ways, "RSL5b RSL5c RSE1d"),
        ABLY_TEST(default_params_fill_defaults_from_base64_key,
                  "RSE1a RSE1b RSE1c RSE1d TZ2a TZ2b TZ2c TZ2d"),
        ABLY_TEST(default_params_accept_binary_key_and_explicit_values, "RSE1a RSE1b RSE1c RSE1d"),
        ABLY_TEST(default_params_accept_base64url_key, "RSE1c"),
        ABLY_TEST(default_params_reject_bad_keys_and_algorithms, "RSE1e TZ2a TZ2c"),
        ABLY_TEST(random_keys_default_to_256_bits_and_differ, "RSE2a RSE2b"),
        ABLY_TEST(random_keys_are_safe_from_many_threads, "RSE2b"),
        ABLY_TEST(each_encryption_uses_a_fresh_iv, "RSL5b"),
        ABLY_TEST(empty_and_block_sized_payloads_round_trip_in_place, "RSL5b"),
        ABLY_TEST(truncated_corrupt_or_foreign_ciphertext_is_an_error, "RSL5b RSL6b"),
        ABLY_TEST(base64_codec_is_lenient_on_alphabet_strict_on_content, "RSE1c RSL6a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
