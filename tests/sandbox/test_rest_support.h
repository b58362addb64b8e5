/* Shared helpers of the REST integration tests (tests/sandbox/test_rest_*.c).
 *
 * Each test file runs one group against one sandbox (sandbox_env: the local
 * ably-sandbox, or a real endpoint when ABLY_TEST_ENDPOINT is set), reached only
 * through the host/port/tls that sandbox_env reports. Most tests run twice, with
 * JSON and with msgpack (useBinaryProtocol), as the UTS integration specs ask.
 *
 * Ownership: clients made here belong to the caller (ably_rest_destroy); the env
 * belongs to the group (rest_group_setup / rest_group_teardown). Header-only so
 * each test executable stays self-contained. */
#ifndef ABLY_TEST_REST_SUPPORT_H
#define ABLY_TEST_REST_SUPPORT_H

#include "ably_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
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
    opts->endpoint = env->host;
    opts->tls = env->tls;
    if (env->tls)
        opts->tls_port = env->port;
    else
        opts->port = env->port;
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
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, size, "%s-%s-%d-%lx-%u", prefix, binary ? "msgpack" : "json", (int)getpid(),
             (unsigned long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000), ++counter);
}

static inline void rest_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
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
