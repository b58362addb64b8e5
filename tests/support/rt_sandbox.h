/* Realtime clients aimed at the sandbox, for the sandbox-tier tests
 * (tests/sandbox/test_realtime_*_sandbox.c, test_realtime_many_clients.c,
 * test_interop_*.c).
 *
 *     ably_client_options o;
 *     rt_sandbox_options(&o, env, binary);     // key 0, the sandbox, 5 s timeouts
 *     o.client_id = "me";
 *     ably_realtime *rt = rt_sandbox_create(&o); // fails the test when creation fails
 *     assert_true(rt_sandbox_wait_state(rt, ABLY_CONN_CONNECTED, RT_SANDBOX_WAIT_MS));
 *
 * Every wait polls and is bounded by the timeout it is given; none asserts on
 * elapsed time. Callback recorders stay in the tests (each records different
 * things); rt_sandbox_read_int / rt_sandbox_wait_int read their counters under
 * the recorder's own mutex, since callbacks run on the client's service thread.
 *
 * Ownership: clients and channels made here belong to the caller (destroy the
 * client with ably_realtime_destroy; channels belong to their client). Options
 * borrow env's strings: keep env alive while the options are used.
 * Thread-safety: rt_sandbox_unique_name keeps a process-wide counter and is for
 * the test's main thread; the others are safe from any thread. */
#ifndef ABLY_TEST_RT_SANDBOX_H
#define ABLY_TEST_RT_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/ably.h"
#include "sandbox_env.h"

/* The usual bound of one wait (a real endpoint may be slower than the local sandbox). */
#define RT_SANDBOX_WAIT_MS 10000

/* Milliseconds of the monotonic clock. */
int64_t rt_sandbox_now_ms(void);

/* Sleeps ms milliseconds (between polls only). */
void rt_sandbox_sleep_ms(int ms);

/* Initialises o and points it at the sandbox: key 0 of the app, endpoint/port/tls
 * from env, the protocol (msgpack when binary), 5 s realtime and HTTP request
 * timeouts, no logging. The caller sets anything else. */
void rt_sandbox_options(ably_client_options *o, const sandbox_env *env, bool binary);

/* Points already initialised options at the sandbox (endpoint, port, tls) and
 * nothing else. */
void rt_sandbox_target(ably_client_options *o, const sandbox_env *env);

/* A realtime client made from o; prints the error and fails the test when
 * ably_realtime_create fails. */
ably_realtime *rt_sandbox_create(const ably_client_options *o);

/* rt_sandbox_options + client_id (may be NULL) + create + a bounded wait for
 * CONNECTED, which the test asserts. */
ably_realtime *rt_sandbox_connected(const sandbox_env *env, bool binary, const char *client_id);

/* Polls until the connection is in `want` or timeout_ms passes; prints what it
 * saw on timeout. Returns whether it got there. */
bool rt_sandbox_wait_state(ably_realtime *rt, ably_connection_state want, int64_t timeout_ms);

/* Likewise for a channel's state. */
bool rt_sandbox_wait_channel(ably_realtime_channel *ch, ably_channel_state want, int64_t timeout_ms);

/* The channel `name` of rt (no options); fails the test when it cannot be had. */
ably_realtime_channel *rt_sandbox_channel(ably_realtime *rt, const char *name);

/* A channel name no other test or run uses: what, protocol, pid, wall-clock ms
 * and a counter. */
void rt_sandbox_unique_name(char *out, size_t size, const char *what, bool binary);

/* *field read under mu. */
int rt_sandbox_read_int(pthread_mutex_t *mu, const int *field);

/* Polls until *field (read under mu) reaches at least `want` or timeout_ms
 * passes; prints what it had on timeout. Returns whether it got there. */
bool rt_sandbox_wait_int(pthread_mutex_t *mu, const int *field, int want, int64_t timeout_ms);

#endif
