/* Shared helpers of the REST integration tests (tests/sandbox/test_rest_*.c).
 *
 * Each test file runs one group against one sandbox (sandbox_env: the local
 * ably-sandbox, or a real endpoint when ABLY_TEST_ENDPOINT is set), reached only
 * through the host/port/tls that sandbox_env reports. Most tests run twice, with
 * JSON and with msgpack (useBinaryProtocol), as the UTS integration specs ask.
 *
 * Ownership: clients made here belong to the caller (ably_rest_destroy); the env
 * belongs to the group (rest_group_setup / rest_group_teardown). Header-only (the
 * clock, names and targeting come from tests/support/rt_sandbox.c) so
 * each test executable stays self-contained. */
#ifndef ABLY_TEST_REST_SUPPORT_H
#define ABLY_TEST_REST_SUPPORT_H

#include "ably_test.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"
#include "sandbox_env.h"

/* Bounds every poll loop (history appears at once on the local sandbox, but a
 * real endpoint may take a moment). */
#define REST_POLL_TIMEOUT_MS 10000
#define REST_HTTP_TIMEOUT_MS 5000

static inline int rest_group_setup(void **state)
{
    return sandbox_env_group_setup(state);
}

static inline int rest_group_teardown(void **state)
{
    return sandbox_env_group_teardown(state);
}

/* Points opts at the sandbox (endpoint + port + tls, nothing else). */
static inline void rest_target(const sandbox_env *env, ably_client_options *opts, bool binary)
{
    rt_sandbox_target(opts, env);
    opts->use_binary_protocol = binary;
    opts->http_request_timeout_ms = REST_HTTP_TIMEOUT_MS;
    opts->log_level = ABLY_LOG_NONE;
}

/* A client with opts (already initialised and filled by the caller) aimed at the
 * sandbox. Fails the test when creation fails. */
static inline ably_rest *rest_create(const sandbox_env *env, ably_client_options *opts, bool binary)
{
    rest_target(env, opts, binary);
    ably_rest *rest = NULL;
    ably_error err = {0};
    int rc = ably_rest_create(opts, &rest, &err);
    if (rc != 0)
        fprintf(stderr, "ably_rest_create: %lld %s\n", (long long)err.code, err.message ? err.message : "");
    ably_error_clear(&err);
    assert_int_equal(rc, 0);
    return rest;
}

/* A client using key `i` of the provisioned app (Basic auth). */
static inline ably_rest *rest_with_key(const sandbox_env *env, size_t i, bool binary)
{
    ably_client_options opts;
    ably_client_options_init(&opts);
    const sandbox_key *k = sandbox_env_key(env, i);
    assert_non_null(k);
    opts.key = k->key_str;
    return rest_create(env, &opts, binary);
}

/* A channel name no other test (or run) uses: prefix, protocol, pid, time, counter. */
static inline void rest_channel_name(char *out, size_t size, const char *prefix, bool binary)
{
    rt_sandbox_unique_name(out, size, prefix, binary);
}

/* A channel of rest with a fresh name (rest_channel_name); fails the test when it
 * cannot be had. The channel belongs to rest. */
static inline ably_rest_channel *rest_fresh_channel(ably_rest *rest, const char *prefix, bool binary)
{
    char name[160];
    rest_channel_name(name, sizeof name, prefix, binary);
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    int rc = ably_rest_channels_get(rest, name, NULL, &ch, &err);
    if (rc != 0)
        fprintf(stderr, "ably_rest_channels_get(%s): %lld %s\n", name, (long long)err.code,
                err.message ? err.message : "");
    ably_error_clear(&err);
    assert_int_equal(rc, 0);
    return ch;
}

static inline void rest_sleep_ms(int ms)
{
    rt_sandbox_sleep_ms(ms);
}

/* Seconds of the wall clock (token and JWT times are wall-clock times). */
static inline int64_t rest_epoch_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec;
}

/* base64url without padding into out (NUL-terminated; 4 * ceil(len / 3) + 1 bytes). */
static inline void rest_b64url(const unsigned char *in, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

/* An HS256 Ably JWT signed with key k, issued 10 s ago and expiring at exp_s (wall
 * clock, seconds), with capability JSON `cap` (NULL: every capability; no
 * backslashes) and the clientId claim when client_id is not NULL. The caller frees
 * the string. */
static inline char *rest_make_jwt(const sandbox_key *k, int64_t exp_s, const char *client_id, const char *cap)
{
    char header[256], claims[768], cid[160] = "", cap_esc[256] = "", h64[400], c64[1100], sig64[64];
    snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->key_name);
    if (client_id)
        snprintf(cid, sizeof cid, ",\"x-ably-clientId\":\"%s\"", client_id);
    const char *c = cap ? cap : "{\"*\":[\"*\"]}";
    for (size_t i = 0, j = 0; c[i] && j + 3 < sizeof cap_esc; i++) { /* as a JSON string */
        if (c[i] == '"')
            cap_esc[j++] = '\\';
        cap_esc[j++] = c[i];
        cap_esc[j] = '\0';
    }
    snprintf(claims, sizeof claims, "{\"iat\":%lld,\"exp\":%lld,\"x-ably-capability\":\"%s\"%s}",
             (long long)(rest_epoch_s() - 10), (long long)exp_s, cap_esc, cid);
    rest_b64url((const unsigned char *)header, strlen(header), h64);
    rest_b64url((const unsigned char *)claims, strlen(claims), c64);
    char *jwt = malloc(strlen(h64) + strlen(c64) + sizeof sig64 + 3);
    assert_non_null(jwt);
    sprintf(jwt, "%s.%s", h64, c64);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), k->key_secret, (int)strlen(k->key_secret), (const unsigned char *)jwt, strlen(jwt), mac,
         &mac_len);
    rest_b64url(mac, mac_len, sig64);
    strcat(jwt, ".");
    strcat(jwt, sig64);
    return jwt;
}

/* Prints and clears an unexpected error, then fails. */
#define REST_OK(call, errp)                                                                              \
    do {                                                                                                 \
        int rest_ok_rc_ = (call);                                                                        \
        if (rest_ok_rc_ != 0)                                                                            \
            fprintf(stderr, "%s failed: %lld %s\n", #call, (long long)(errp)->code,                      \
                    (errp)->message ? (errp)->message : "");                                             \
        assert_int_equal(rest_ok_rc_, 0);                                                                \
    } while (0)

/* Polls history (default params) until it holds at least `want` messages or the
 * poll times out; returns the last page (caller frees) with its count. */
static inline ably_paginated_result *rest_wait_history(ably_rest_channel *ch, const ably_history_params *params,
                                                       size_t want, size_t *count)
{
    for (int waited = 0;; waited += 100) {
        ably_paginated_result *page = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channel_history(ch, params, &page, &err), &err);
        ably_paginated_result_messages(page, count);
        if (*count >= want || waited >= REST_POLL_TIMEOUT_MS)
            return page;
        ably_paginated_result_free(page);
        rest_sleep_ms(100);
    }
}

/* The message named `name` on a page, or NULL. */
static inline const ably_message *rest_find_message(const ably_message *msgs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (msgs[i].name && strcmp(msgs[i].name, name) == 0)
            return &msgs[i];
    return NULL;
}

#endif
