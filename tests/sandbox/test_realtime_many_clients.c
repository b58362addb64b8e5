/* Many realtime clients at once (RTN5): 50 clients, each with its own connection and
 * service thread, attach to one channel, each publishes one message, and every client
 * must receive every client's message. Against the sandbox (or a real endpoint, see
 * sandbox_env.h), JSON and msgpack. Catches state shared between clients that should
 * not be (globals, the shared TLS context, lws' process-wide state).
 *
 * Callbacks run on the clients' service threads; counters are atomics the test thread
 * polls with a bounded wait. */
#include "ably_test.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define CLIENTS 50
#define WAIT_MS 30000

typedef struct {
    ably_realtime *rt;
    ably_realtime_channel *ch;
    atomic_int attached;          /* attach callbacks without error */
    atomic_int acked;             /* publish callbacks without error */
    atomic_int failed;            /* callbacks with an error */
    atomic_int received;          /* messages delivered to this client */
    atomic_uint_fast64_t senders; /* bit i: got client i's message */
} peer;

static void on_attached(void *ctx, const ably_error *err)
{
    peer *p = ctx;
    atomic_fetch_add(err ? &p->failed : &p->attached, 1);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    peer *p = ctx;
    atomic_fetch_add(err ? &p->failed : &p->acked, 1);
}

/* Each message's data is the sender's index: mark it. */
static void on_message(void *ctx, const ably_message *m)
{
    peer *p = ctx;
    char text[8] = { 0 };
    size_t n = m->data.len < sizeof text - 1 ? m->data.len : sizeof text - 1;
    memcpy(text, m->data.bytes, n);
    int from = atoi(text);
    if (from >= 0 && from < 64)
        atomic_fetch_or(&p->senders, (uint_fast64_t)1 << from);
    atomic_fetch_add(&p->received, 1);
}

/* Waits until the sum over all peers of the counter at `offset` reaches `want`. */
static bool wait_total(peer *peers, size_t offset, int want)
{
    int64_t end = rt_sandbox_now_ms() + WAIT_MS;
    for (;;) {
        int total = 0;
        for (int i = 0; i < CLIENTS; i++)
            total += atomic_load((atomic_int *)((char *)&peers[i] + offset));
        if (total >= want)
            return true;
        if (rt_sandbox_now_ms() > end) {
            fprintf(stderr, "timed out: %d of %d\n", total, want);
            return false;
        }
        usleep(5000);
    }
}

/* A client aimed at the sandbox with the library's default timeouts (fifty clients
 * connecting at once may be slower than one); it connects on its own. */
static ably_realtime *make_client(const sandbox_env *env, bool binary)
{
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(env, 0)->key_str;
    rt_sandbox_target(&o, env);
    o.use_binary_protocol = binary;
    o.log_level = ABLY_LOG_NONE;
    return rt_sandbox_create(&o);
}

static void fifty_clients_see_every_message(void **state, bool binary)
{
    const sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "rtn5", binary);
    peer *peers = calloc(CLIENTS, sizeof *peers);
    assert_non_null(peers);

    for (int i = 0; i < CLIENTS; i++) { /* all connecting at once */
        peers[i].rt = make_client(env, binary);
        peers[i].ch = rt_sandbox_channel(peers[i].rt, name);
        ably_realtime_channel_subscribe(peers[i].ch, NULL, on_message, &peers[i], NULL, NULL);
        ably_realtime_channel_attach(peers[i].ch, on_attached, &peers[i]);
    }
    assert_true(wait_total(peers, offsetof(peer, attached), CLIENTS));

    for (int i = 0; i < CLIENTS; i++) {
        char text[8];
        int len = snprintf(text, sizeof text, "%d", i);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, text, (size_t)len);
        ably_realtime_channel_publish(peers[i].ch, "hello", &d, on_published, &peers[i]);
    }
    assert_true(wait_total(peers, offsetof(peer, acked), CLIENTS));
    assert_true(wait_total(peers, offsetof(peer, received), CLIENTS * CLIENTS));

    uint_fast64_t all = ((uint_fast64_t)1 << CLIENTS) - 1;
    for (int i = 0; i < CLIENTS; i++) {
        assert_int_equal(atomic_load(&peers[i].failed), 0);
        assert_int_equal(atomic_load(&peers[i].received), CLIENTS); /* no duplicates either */
        assert_true(atomic_load(&peers[i].senders) == all);
    }
    for (int i = 0; i < CLIENTS; i++)
        ably_realtime_destroy(peers[i].rt);
    free(peers);
}

static void fifty_clients_json(void **state) { fifty_clients_see_every_message(state, false); }
static void fifty_clients_msgpack(void **state) { fifty_clients_see_every_message(state, true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(fifty_clients_json, "RTN5"),
        ABLY_TEST(fifty_clients_msgpack, "RTN5"),
    };
    return cmocka_run_group_tests_name("realtime_many_clients", tests, sandbox_env_group_setup,
                                       sandbox_env_group_teardown);
}
