/* Shared pieces of the JavaScript interop tests (tests/sandbox/test_interop_*.c):
 * the payloads both SDKs exchange, the cipher cases, and the check that node and
 * the npm packages are there. A missing node or package is a failure, not a skip:
 * run `npm ci --prefix harness/interop` in set-up.
 *
 * Ownership: cipher params filled by interop_prepare_ciphers hold no heap memory.
 * Header-only, like test_rest_support.h; not thread-safe (test thread only). */
#ifndef ABLY_TEST_INTEROP_SUPPORT_H
#define ABLY_TEST_INTEROP_SUPPORT_H

#include "test_rest_support.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#ifndef ABLY_SOURCE_DIR
#define ABLY_SOURCE_DIR "."
#endif
#define INTEROP_DIR ABLY_SOURCE_DIR "/harness/interop"

/* Payloads: UTF-8 text beyond ASCII, bytes that are not UTF-8, a JSON object. */
static const char TEXT[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80";
static const unsigned char BYTES[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x00, 0xc3, 0x28 };
static const char OBJECT[] = "{\"a\":1,\"b\":[true,null,\"x\",2.5],\"nested\":{\"k\":\"v\",\"u\":\"\xc3\xa9\"}}";

typedef struct {
    const char *label; /* "plain", "aes128", "aes256" */
    int bits;          /* 0: no cipher */
    char key_b64[64];
    ably_cipher_params params;
} cipher_case;

/* Gives every case with bits > 0 a fresh random key (also as base64, for node)
 * and the default cipher params for it. */
static inline void interop_prepare_ciphers(cipher_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cases[i].bits == 0)
            continue;
        uint8_t key[32];
        ably_error err = {0};
        REST_OK(ably_crypto_generate_random_key(cases[i].bits, key, sizeof key, &err), &err);
        EVP_EncodeBlock((unsigned char *)cases[i].key_b64, key, cases[i].bits / 8);
        ably_cipher_param_options o = { .key = key, .key_len = (size_t)cases[i].bits / 8 };
        REST_OK(ably_crypto_get_default_params(&o, &cases[i].params, &err), &err);
    }
}

/* Lower-case hex of in into out (2 * len + 1 bytes). */
static inline void interop_hex(const unsigned char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * len] = '\0';
}

/* Tells the node script (through its environment) where the sandbox is: host,
 * port, tls, key 0 and the protocol ("json" or "msgpack"). */
static inline void interop_set_sandbox_env(const sandbox_env *env, const char *protocol)
{
    char port[16];
    snprintf(port, sizeof port, "%d", env->port);
    setenv("INTEROP_HOST", env->host, 1);
    setenv("INTEROP_PORT", port, 1);
    setenv("INTEROP_TLS", env->tls ? "1" : "0", 1);
    setenv("INTEROP_KEY", sandbox_env_key(env, 0)->key_str, 1);
    setenv("INTEROP_PROTOCOL", protocol, 1);
}

/* Gives the node script the payloads it must send or expect. */
static inline void interop_set_payload_env(void)
{
    char body_hex[2 * sizeof BYTES + 1];
    interop_hex(BYTES, sizeof BYTES, body_hex);
    setenv("INTEROP_TEXT", TEXT, 1);
    setenv("INTEROP_BINARY_HEX", body_hex, 1);
    setenv("INTEROP_JSON", OBJECT, 1);
}

/* Fails (not skips) with a clear message when the npm package whose package.json
 * is `package_json` is missing, or node is not on PATH. */
static inline void interop_require_node(const char *package_json)
{
    struct stat st;
    if (stat(package_json, &st) != 0)
        fail_msg("npm package missing: run `npm ci --prefix harness/interop` (looked for %s)", package_json);
    if (system("node --version > /dev/null 2>&1") != 0)
        fail_msg("node is not installed or not on PATH: the JavaScript interop tests need it");
}

#endif
