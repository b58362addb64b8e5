/* Message payload encryption (RSE, TZ, RSL5): AES-CBC with PKCS#7 padding.
 *
 * Wire format (specification/encryption.md): a fresh random 16-byte IV, then
 * the AES-CBC ciphertext of the PKCS#7-padded plaintext. The payload pipeline
 * (ably/payload.h) applies this to message data; most users only ever call
 * ably_crypto_get_default_params() and hand the params to a channel.
 *
 * Thread safety: ably_crypto_get_default_params, ably_crypto_generate_random_key,
 * ably_cipher_new and ably_cipher_free may be called from any thread. An
 * ably_cipher keeps per-direction OpenSSL contexts so that the per-message path
 * never allocates; it must therefore be used by one thread at a time (one per
 * channel, used on that channel's thread, is the intended pattern).
 */
#ifndef ABLY_CRYPTO_H
#define ABLY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ably/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ABLY_CRYPTO_IV_LENGTH 16     /* bytes of IV prepended to every ciphertext */
#define ABLY_CRYPTO_BLOCK_LENGTH 16  /* AES block size in bytes */
#define ABLY_CRYPTO_MAX_KEY_BYTES 32 /* room for the largest (256-bit) key */
#define ABLY_CRYPTO_DEFAULT_KEY_LENGTH 256 /* bits; RSE2a default for AES */

/* A complete, validated cipher configuration (TZ2). A plain value: copy it
 * freely, nothing inside needs freeing. `algorithm` and `mode` point at static
 * lower-case strings ("aes", "cbc"). Only the first key_length / 8 bytes of
 * `key` are meaningful. */
typedef struct ably_cipher_params {
    const char *algorithm;                   /* TZ2a */
    const char *mode;                        /* TZ2c */
    int key_length;                          /* TZ2b: bits, 128 or 256 */
    uint8_t key[ABLY_CRYPTO_MAX_KEY_BYTES];  /* TZ2d */
} ably_cipher_params;

/* What the caller supplies to ably_crypto_get_default_params (RSE1b).
 * Zero-initialise it and set what you need. Nothing is retained after the
 * call, so all pointers may be to temporary storage. */
typedef struct ably_cipher_param_options {
    const char *algorithm;   /* NULL = "aes"; compared case-insensitively */
    const char *mode;        /* NULL = "cbc"; compared case-insensitively */
    const uint8_t *key;      /* binary key of key_len bytes ... */
    size_t key_len;
    const char *key_base64;  /* ... or, when key is NULL, base64 / base64url text (RSE1c) */
    int key_length;          /* 0 = derive from the key; otherwise must agree with it (RSE1e) */
} ably_cipher_param_options;

/* RSE1: fills *out from *options, defaulting algorithm and mode and deriving
 * key_length from the key (RSE1d). Fails with ErrorInfo 40003 (status 400) when
 * the key is missing, is not valid base64, has a length other than 128 or 256
 * bits, or disagrees with an explicit key_length, or when the algorithm or mode
 * is not AES / CBC (RSE1e). Returns 0 or -1. */
int ably_crypto_get_default_params(const ably_cipher_param_options *options,
                                   ably_cipher_params *out, ably_error *err);

/* RSE2: writes key_length / 8 bytes from a CSPRNG (libsodium) to out.
 * key_length 0 means the default, 256 bits (RSE2a); 128 and 256 are accepted.
 * out_size must be at least key_length / 8. Returns 0 or -1 (40003). */
int ably_crypto_generate_random_key(int key_length, uint8_t *out, size_t out_size,
                                    ably_error *err);

/* A ready-to-use cipher built from validated params. Opaque. */
typedef struct ably_cipher ably_cipher;

/* Creates a cipher; the params are copied. Returns NULL (and sets err) on bad
 * params or allocation failure. Free with ably_cipher_free. */
ably_cipher *ably_cipher_new(const ably_cipher_params *params, ably_error *err);

/* Frees the cipher and wipes its key material. NULL is a no-op. */
void ably_cipher_free(ably_cipher *cipher);

/* The params the cipher was built with (owned by the cipher). */
const ably_cipher_params *ably_cipher_get_params(const ably_cipher *cipher);

/* The encoding step this cipher produces and consumes, e.g.
 * "cipher+aes-128-cbc" (owned by the cipher, valid until it is freed). */
const char *ably_cipher_encoding(const ably_cipher *cipher);

/* Size of the encrypted form of plain_len bytes: IV + padded ciphertext.
 * PKCS#7 always adds 1..16 bytes, so this is never less than 32. */
static inline size_t ably_cipher_encrypted_length(size_t plain_len)
{
    return ABLY_CRYPTO_IV_LENGTH + (plain_len / ABLY_CRYPTO_BLOCK_LENGTH + 1) * ABLY_CRYPTO_BLOCK_LENGTH;
}

/* Encrypts plain_len bytes at plain into out (room for
 * ably_cipher_encrypted_length(plain_len)), writing IV then ciphertext, and
 * stores the total in *out_len. `plain` may be exactly out + IV_LENGTH, which
 * encrypts in place after the caller has moved the plaintext up by 16 bytes;
 * any other overlap is undefined. Returns 0 or -1. */
int ably_cipher_encrypt(ably_cipher *cipher, const uint8_t *plain, size_t plain_len,
                        uint8_t *out, size_t *out_len, ably_error *err);

/* Decrypts in place: buf holds IV + ciphertext (len bytes); on success the
 * plaintext occupies buf[0 .. *out_len). Fails with ErrorInfo 40013 (status
 * 400), never crashing, when len is not IV + a positive whole number of
 * blocks or the padding is wrong (wrong key, corrupt data). On failure the
 * contents of buf are unspecified. Returns 0 or -1. */
int ably_cipher_decrypt(ably_cipher *cipher, uint8_t *buf, size_t len, size_t *out_len,
                        ably_error *err);

/* TEST ONLY: make every following encrypt use this IV (for fixed test
 * vectors). Pass NULL to go back to a fresh random IV per message. Never use
 * a fixed IV in production: it makes CBC leak equal message prefixes. */
void ably_cipher_set_fixed_iv_for_testing(ably_cipher *cipher, const uint8_t *iv);

#ifdef __cplusplus
}
#endif

#endif
