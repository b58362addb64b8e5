#include "rt_sandbox.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Between two polls: short enough not to slow the tests, long enough not to spin. */
#define POLL_MS 2

int64_t rt_sandbox_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rt_sandbox_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

void rt_sandbox_target(ably_client_options *o, const sandbox_env *env)
{
    o->endpoint = env->host;
    o->tls = env->tls;
    if (env->tls)
        o->tls_port = env->port;
    else
        o->port = env->port;
}

void rt_sandbox_options(ably_client_options *o, const sandbox_env *env, bool binary)
{
    ably_client_options_init(o);
    const sandbox_key *k = sandbox_env_key(env, 0);
    assert_non_null(k);
    o->key = k->key_str;
    rt_sandbox_target(o, env);
    o->use_binary_protocol = binary;
    o->realtime_request_timeout_ms = 5000;
    o->http_request_timeout_ms = 5000;
    o->log_level = ABLY_LOG_NONE;
}

ably_realtime *rt_sandbox_create(const ably_client_options *o)
{
    ably_realtime *rt = NULL;
    ably_error err;
    ably_error_init(&err);
    int rc = ably_realtime_create(o, NULL, &rt, &err);
    if (rc != 0)
        fprintf(stderr, "ably_realtime_create: %lld %s\n", (long long)err.code, err.message ? err.message : "");
    ably_error_clear(&err);
    assert_int_equal(rc, 0);
    assert_non_null(rt);
    return rt;
}

ably_realtime *rt_sandbox_connected(const sandbox_env *env, bool binary, const char *client_id)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    o.client_id = client_id;
    ably_realtime *rt = rt_sandbox_create(&o);
    assert_true(rt_sandbox_wait_state(rt, ABLY_CONN_CONNECTED, RT_SANDBOX_WAIT_MS));
    return rt;
}

bool rt_sandbox_wait_state(ably_realtime *rt, ably_connection_state want, int64_t timeout_ms)
{
    int64_t end = rt_sandbox_now_ms() + timeout_ms;
    while (ably_connection_get_state(rt) != want) {
        if (rt_sandbox_now_ms() > end) {
            fprintf(stderr, "timed out waiting for connection %s (is %s)\n", ably_connection_state_name(want),
                    ably_connection_state_name(ably_connection_get_state(rt)));
            return false;
        }
        rt_sandbox_sleep_ms(POLL_MS);
    }
    return true;
}

bool rt_sandbox_wait_channel(ably_realtime_channel *ch, ably_channel_state want, int64_t timeout_ms)
{
    int64_t end = rt_sandbox_now_ms() + timeout_ms;
    while (ably_realtime_channel_state(ch) != want) {
        if (rt_sandbox_now_ms() > end) {
            fprintf(stderr, "timed out waiting for channel %s (is %s)\n", ably_channel_state_name(want),
                    ably_channel_state_name(ably_realtime_channel_state(ch)));
            return false;
        }
        rt_sandbox_sleep_ms(POLL_MS);
    }
    return true;
}

ably_realtime_channel *rt_sandbox_channel(ably_realtime *rt, const char *name)
{
    ably_realtime_channel *ch = NULL;
    ably_error err;
    ably_error_init(&err);
    int rc = ably_realtime_channels_get(rt, name, NULL, &ch, &err);
    if (rc != 0)
        fprintf(stderr, "ably_realtime_channels_get(%s): %lld %s\n", name, (long long)err.code,
                err.message ? err.message : "");
    ably_error_clear(&err);
    assert_int_equal(rc, 0);
    assert_non_null(ch);
    return ch;
}

void rt_sandbox_unique_name(char *out, size_t size, const char *what, bool binary)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, size, "%s-%s-%d-%lx-%u", what, binary ? "msgpack" : "json", (int)getpid(),
             (unsigned long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000), ++counter);
}

int rt_sandbox_read_int(pthread_mutex_t *mu, const int *field)
{
    pthread_mutex_lock(mu);
    int v = *field;
    pthread_mutex_unlock(mu);
    return v;
}

bool rt_sandbox_wait_int(pthread_mutex_t *mu, const int *field, int want, int64_t timeout_ms)
{
    int64_t end = rt_sandbox_now_ms() + timeout_ms;
    while (rt_sandbox_read_int(mu, field) < want) {
        if (rt_sandbox_now_ms() > end) {
            fprintf(stderr, "timed out waiting for %d (have %d)\n", want, rt_sandbox_read_int(mu, field));
            return false;
        }
        rt_sandbox_sleep_ms(POLL_MS);
    }
    return true;
}
