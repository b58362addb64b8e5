/* AES-CBC payload encryption (RSE, RSL5) on OpenSSL EVP, IVs and keys from
 * libsodium's CSPRNG. See ably/crypto.h for the contract. */
#include "ably/crypto.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/crypto_internal.h"

#define ERR_BAD_PARAM 40003    /* invalid_parameter_value */
#define ERR_BAD_PAYLOAD 40013  /* invalid_data_or_encoding */
#define ERR_INTERNAL 50000

#define IV_POOL_IVS 32

struct ably_cipher {
    ably_cipher_params params;
    /* Two contexts because an AES decryption key schedule differs from the
     * encryption one; re-keying on every direction change would cost more
     * than the second context. Both are keyed once, then only re-IV'd. */
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
    /* Decrypts the last block alone, without padding removal, so padding can
     * be checked before the in-place decrypt destroys the ciphertext (RSL6b
     * wants the undecryptable payload delivered as it arrived). */
    EVP_CIPHER_CTX *probe;
    bool fixed_iv_set;
    uint8_t fixed_iv[ABLY_CRYPTO_IV_LENGTH];
    /* IVs are taken from a pool refilled from libsodium's CSPRNG a batch at a
     * time: one getrandom() per message cost ~300 ns, more than the AES work
     * for a small message. The pool is discarded after fork() (see
     * fork_generation) so a child never reuses its parent's IVs. */
    uint8_t iv_pool[IV_POOL_IVS * ABLY_CRYPTO_IV_LENGTH];
    unsigned iv_pool_left;
    unsigned iv_pool_generation;
    char encoding[24]; /* "cipher+aes-256-cbc" */
};

/* ---- libsodium initialisation ------------------------------------------ */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_state = -1;
/* Bumped in every child after fork(), invalidating all IV pools. */
static volatile unsigned fork_generation;

static void after_fork_in_child(void) { fork_generation++; }

static void init_sodium(void)
{
    /* sodium_init returns 1 when already initialised elsewhere: also fine. */
    sodium_state = sodium_init() < 0 ? -1 : 0;
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

int ably_crypto__ensure_sodium(void)
{
    pthread_once(&sodium_once, init_sodium);
    return sodium_state;
}

/* ---- params -------------------------------------------------------------- */

static bool valid_key_length(int bits) { return bits == 128 || bits == 256; }

/* Fills out->key from the binary or base64 key and sets out->key_length. */
static int load_key(const ably_cipher_param_options *o, ably_cipher_params *out, ably_error *err)
{
    if (o->key) {
        if (o->key_len != 16 && o->key_len != 32)
            return ably_error_set(err, ERR_BAD_PARAM, 400,
                                  "unsupported cipher key length %zu bits; AES needs 128 or 256",
                                  o->key_len * 8), -1;
        memcpy(out->key, o->key, o->key_len);
        out->key_length = (int)(o->key_len * 8);
        return 0;
    }
    if (!o->key_base64)
        return ably_error_set(err, ERR_BAD_PARAM, 400, "a cipher key is required"), -1;

    size_t text_len = strlen(o->key_base64), n = 0;
    /* Decode into scratch big enough for any text, then check the size. */
    uint8_t scratch[ABLY_CRYPTO_MAX_KEY_BYTES + 16];
    if (ably_b64__decoded_max(text_len) > sizeof scratch) {
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "unsupported cipher key length (%zu base64 characters); AES needs 128 or 256 bits",
                              text_len), -1;
    }
    if (!ably_b64__decode(o->key_base64, text_len, scratch, &n))
        return ably_error_set(err, ERR_BAD_PARAM, 400, "cipher key is not valid base64"), -1;
    if (n != 16 && n != 32) {
        sodium_memzero(scratch, sizeof scratch);
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "unsupported cipher key length %zu bits; AES needs 128 or 256", n * 8), -1;
    }
    memcpy(out->key, scratch, n);
    sodium_memzero(scratch, sizeof scratch);
    out->key_length = (int)(n * 8);
    return 0;
}

int ably_crypto_get_default_params(const ably_cipher_param_options *options,
                                   ably_cipher_params *out, ably_error *err)
{
    if (!options || !out)
        return ably_error_set(err, ERR_BAD_PARAM, 400, "cipher options and output are required"), -1;
    if (options->algorithm && strcasecmp(options->algorithm, "aes") != 0)
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "unsupported cipher algorithm \"%s\"; only AES is supported",
                              options->algorithm), -1;
    if (options->mode && strcasecmp(options->mode, "cbc") != 0)
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "unsupported cipher mode \"%s\"; only CBC is supported", options->mode), -1;

    ably_cipher_params p;
    memset(&p, 0, sizeof p);
    p.algorithm = "aes";
    p.mode = "cbc";
    if (load_key(options, &p, err) != 0)
        return -1;
    if (options->key_length != 0 && options->key_length != p.key_length) {
        sodium_memzero(&p, sizeof p);
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "cipher keyLength %d does not match the %d-bit key supplied",
                              options->key_length, p.key_length), -1;
    }
    *out = p;
    sodium_memzero(&p, sizeof p);
    return 0;
}

int ably_crypto_generate_random_key(int key_length, uint8_t *out, size_t out_size, ably_error *err)
{
    if (key_length == 0)
        key_length = ABLY_CRYPTO_DEFAULT_KEY_LENGTH;
    if (!valid_key_length(key_length))
        return ably_error_set(err, ERR_BAD_PARAM, 400,
                              "unsupported key length %d; AES needs 128 or 256", key_length), -1;
    if (!out || out_size < (size_t)key_length / 8)
        return ably_error_set(err, ERR_BAD_PARAM, 400, "key buffer too small for %d bits", key_length), -1;
    if (ably_crypto__ensure_sodium() != 0)
        return ably_error_set(err, ERR_INTERNAL, 500, "libsodium failed to initialise"), -1;
    randombytes_buf(out, (size_t)key_length / 8);
    return 0;
}

/* ---- cipher ---------------------------------------------------------------- */

static const EVP_CIPHER *evp_for(int key_length)
{
    return key_length == 128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
}

static bool key_contexts(ably_cipher *c)
{
    const EVP_CIPHER *evp = evp_for(c->params.key_length);
    c->enc = EVP_CIPHER_CTX_new();
    c->dec = EVP_CIPHER_CTX_new();
    c->probe = EVP_CIPHER_CTX_new();
    return c->enc && c->dec && c->probe &&
           EVP_EncryptInit_ex(c->enc, evp, NULL, c->params.key, NULL) == 1 &&
           EVP_DecryptInit_ex(c->dec, evp, NULL, c->params.key, NULL) == 1 &&
           EVP_DecryptInit_ex(c->probe, evp, NULL, c->params.key, NULL) == 1 &&
           EVP_CIPHER_CTX_set_padding(c->probe, 0) == 1;
}

ably_cipher *ably_cipher_new(const ably_cipher_params *params, ably_error *err)
{
    if (!params || !valid_key_length(params->key_length)) {
        ably_error_set(err, ERR_BAD_PARAM, 400, "cipher params must have a 128 or 256-bit key");
        return NULL;
    }
    if ((params->algorithm && strcasecmp(params->algorithm, "aes") != 0) ||
        (params->mode && strcasecmp(params->mode, "cbc") != 0)) {
        ably_error_set(err, ERR_BAD_PARAM, 400, "only AES-CBC is supported");
        return NULL;
    }
    if (ably_crypto__ensure_sodium() != 0) {
        ably_error_set(err, ERR_INTERNAL, 500, "libsodium failed to initialise");
        return NULL;
    }
    ably_cipher *c = calloc(1, sizeof *c);
    if (!c) {
        ably_error_set(err, ERR_INTERNAL, 500, "out of memory");
        return NULL;
    }
    c->params = *params;
    c->params.algorithm = "aes";
    c->params.mode = "cbc";
    snprintf(c->encoding, sizeof c->encoding, "cipher+aes-%d-cbc", c->params.key_length);
    if (!key_contexts(c)) {
        ably_cipher_free(c);
        ably_error_set(err, ERR_INTERNAL, 500, "OpenSSL could not set up AES-%d-CBC",
                       params->key_length);
        return NULL;
    }
    return c;
}

void ably_cipher_free(ably_cipher *cipher)
{
    if (!cipher)
        return;
    EVP_CIPHER_CTX_free(cipher->enc); /* also wipes its key schedule */
    EVP_CIPHER_CTX_free(cipher->dec);
    EVP_CIPHER_CTX_free(cipher->probe);
    OPENSSL_cleanse(cipher, sizeof *cipher);
    free(cipher);
}

const ably_cipher_params *ably_cipher_get_params(const ably_cipher *cipher)
{
    return &cipher->params;
}

const char *ably_cipher_encoding(const ably_cipher *cipher)
{
    return cipher->encoding;
}

void ably_cipher_set_fixed_iv_for_testing(ably_cipher *cipher, const uint8_t *iv)
{
    cipher->fixed_iv_set = iv != NULL;
    if (iv)
        memcpy(cipher->fixed_iv, iv, ABLY_CRYPTO_IV_LENGTH);
}

/* Copies the next unused IV from the pool to out, refilling it when empty
 * or inherited across fork(). Each IV is handed out once and then wiped. */
static void take_random_iv(ably_cipher *c, uint8_t *out)
{
    if (c->iv_pool_left == 0 || c->iv_pool_generation != fork_generation) {
        randombytes_buf(c->iv_pool, sizeof c->iv_pool);
        c->iv_pool_left = IV_POOL_IVS;
        c->iv_pool_generation = fork_generation;
    }
    uint8_t *iv = c->iv_pool + (--c->iv_pool_left) * ABLY_CRYPTO_IV_LENGTH;
    memcpy(out, iv, ABLY_CRYPTO_IV_LENGTH);
    sodium_memzero(iv, ABLY_CRYPTO_IV_LENGTH);
}

/* EVP's int lengths bound one call; payloads near 2 GiB are not messages. */
#define MAX_EVP_LEN ((size_t)0x7fffffff - 2 * ABLY_CRYPTO_BLOCK_LENGTH)

int ably_cipher_encrypt(ably_cipher *cipher, const uint8_t *plain, size_t plain_len,
                        uint8_t *out, size_t *out_len, ably_error *err)
{
    if (plain_len > MAX_EVP_LEN)
        return ably_error_set(err, ERR_BAD_PAYLOAD, 400, "payload too large to encrypt"), -1;
    /* Write the IV first: when encrypting in place, plain sits right after it. */
    if (cipher->fixed_iv_set)
        memcpy(out, cipher->fixed_iv, ABLY_CRYPTO_IV_LENGTH);
    else
        take_random_iv(cipher, out);

    uint8_t *ct = out + ABLY_CRYPTO_IV_LENGTH;
    int n1 = 0, n2 = 0;
    /* Re-IV only: the key schedule set up in ably_cipher_new is kept. */
    if (EVP_EncryptInit_ex(cipher->enc, NULL, NULL, NULL, out) != 1 ||
        EVP_EncryptUpdate(cipher->enc, ct, &n1, plain, (int)plain_len) != 1 ||
        EVP_EncryptFinal_ex(cipher->enc, ct + n1, &n2) != 1) {
        ERR_clear_error();
        return ably_error_set(err, ERR_INTERNAL, 500, "AES encryption failed"), -1;
    }
    *out_len = ABLY_CRYPTO_IV_LENGTH + (size_t)n1 + (size_t)n2;
    return 0;
}

/* True when the last block of ct (IV-prefixed at iv) ends in valid PKCS#7
 * padding. Decrypts that one block into scratch; ct itself is not touched. */
static bool last_block_padding_ok(ably_cipher *c, const uint8_t *iv, const uint8_t *ct, size_t ct_len)
{
    const uint8_t *prev = ct_len == ABLY_CRYPTO_BLOCK_LENGTH ? iv : ct + ct_len - 2 * ABLY_CRYPTO_BLOCK_LENGTH;
    uint8_t block[ABLY_CRYPTO_BLOCK_LENGTH];
    int n = 0;
    if (EVP_DecryptInit_ex(c->probe, NULL, NULL, NULL, prev) != 1 ||
        EVP_DecryptUpdate(c->probe, block, &n, ct + ct_len - ABLY_CRYPTO_BLOCK_LENGTH,
                          ABLY_CRYPTO_BLOCK_LENGTH) != 1 ||
        n != ABLY_CRYPTO_BLOCK_LENGTH)
        return false;
    uint8_t pad = block[ABLY_CRYPTO_BLOCK_LENGTH - 1];
    bool ok = pad >= 1 && pad <= ABLY_CRYPTO_BLOCK_LENGTH;
    for (int i = 0; ok && i < pad; i++)
        ok = block[ABLY_CRYPTO_BLOCK_LENGTH - 1 - i] == pad;
    OPENSSL_cleanse(block, sizeof block);
    return ok;
}

int ably_cipher_decrypt(ably_cipher *cipher, uint8_t *buf, size_t len, size_t *out_len,
                        ably_error *err)
{
    if (len < ABLY_CRYPTO_IV_LENGTH + ABLY_CRYPTO_BLOCK_LENGTH ||
        (len - ABLY_CRYPTO_IV_LENGTH) % ABLY_CRYPTO_BLOCK_LENGTH != 0 || len > MAX_EVP_LEN)
        return ably_error_set(err, ERR_BAD_PAYLOAD, 400,
                              "encrypted payload of %zu bytes is not a 16-byte IV followed by whole "
                              "AES blocks", len), -1;

    uint8_t *ct = buf + ABLY_CRYPTO_IV_LENGTH;
    size_t ct_len = len - ABLY_CRYPTO_IV_LENGTH;
    if (!last_block_padding_ok(cipher, buf, ct, ct_len)) {
        ERR_clear_error();
        return ably_error_set(err, ERR_BAD_PAYLOAD, 400,
                              "could not decrypt payload: bad padding (wrong key or corrupt data)"), -1;
    }
    int n1 = 0, n2 = 0;
    /* Decrypt exactly in place (OpenSSL allows in == out), then slide the
     * plaintext down over the IV: no allocation on the receive path. */
    if (EVP_DecryptInit_ex(cipher->dec, NULL, NULL, NULL, buf) != 1 ||
        EVP_DecryptUpdate(cipher->dec, ct, &n1, ct, (int)ct_len) != 1 ||
        EVP_DecryptFinal_ex(cipher->dec, ct + n1, &n2) != 1) {
        ERR_clear_error();
        return ably_error_set(err, ERR_INTERNAL, 500, "AES decryption failed"), -1;
    }
    size_t n = (size_t)n1 + (size_t)n2;
    memmove(buf, ct, n);
    *out_len = n;
    return 0;
}
