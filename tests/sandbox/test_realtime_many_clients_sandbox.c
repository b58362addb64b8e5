/* Many realtime clients at once against the sandbox (RTN5): 50 clients, each with its
 * own service thread and WebSocket, attach to one channel, each publishes a message,
 * and every client must receive every message. Finds races between client instances
 * (shared TLS / lws state, logging, the clock) rather than protocol details.
 *
 * Every wait is bounded. Callbacks run on the clients' service threads; the counters
 * they update are guarded by one mutex and read by the test thread. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "sandbox_env.h"

#define CLIENTS 50
#define WAIT_MS 60000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    pthread_mutex_t mu;
    int attached;               /* attach results that succeeded */
    int attach_failed;
    int published;              /* ACKs */
    int publish_failed;
    int received[CLIENTS];      /* messages seen by each client */
    unsigned char seen[CLIENTS][CLIENTS]; /* [receiver][sender] */
} tally;

typedef struct {
    tally *t;
    int index;
} client_ctx;

static void on_attached(void *ctx, const ably_error *err)
{
    client_ctx *c = ctx;
    pthread_mutex_lock(&c->t->mu);
    if (err)
        c->t->attach_failed++;
    else
        c->t->attached++;
    pthread_mutex_unlock(&c->t->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    client_ctx *c = ctx;
    pthread_mutex_lock(&c->t->mu);
    if (err)
        c->t->publish_failed++;
    else
        c->t->published++;
    pthread_mutex_unlock(&c->t->mu);
}

static void on_message(void *ctx, const ably_message *m)
{
    client_ctx *c = ctx;
    int sender = m->name ? atoi(m->name) : -1;
    pthread_mutex_lock(&c->t->mu);
    c->t->received[c->index]++;
    if (sender >= 0 && sender < CLIENTS)
        c->t->seen[c->index][sender]++;
    pthread_mutex_unlock(&c->t->mu);
}

/* Waits until done(t) is true; false on timeout. */
static bool wait_for(tally *t, bool (*done)(tally *))
{
    int64_t until = now_ms() + WAIT_MS;
    while (now_ms() < until) {
        pthread_mutex_lock(&t->mu);
        bool ok = done(t);
        pthread_mutex_unlock(&t->mu);
        if (ok)
            return true;
        usleep(20000);
    }
    return false;
}

static bool all_attached(tally *t) { return t->attached + t->attach_failed == CLIENTS; }
static bool all_published(tally *t) { return t->published + t->publish_failed == CLIENTS; }

static bool all_received(tally *t)
{
    for (int i = 0; i < CLIENTS; i++)
        if (t->received[i] < CLIENTS)
            return false;
    return true;
}

static bool all_connected(ably_realtime **rts)
{
    int64_t until = now_ms() + WAIT_MS;
    for (int i = 0; i < CLIENTS; i++) {
        while (ably_connection_get_state(rts[i]) != ABLY_CONN_CONNECTED) {
            if (now_ms() > until)
                return false;
            usleep(20000);
        }
    }
    return true;
}

static void many_clients_attach_publish_and_receive(void **state)
{
    sandbox_env *env = *state;
    tally *t = calloc(1, sizeof *t);
    assert_non_null(t);
    pthread_mutex_init(&t->mu, NULL);
    ably_realtime *rts[CLIENTS];
    ably_realtime_channel *chs[CLIENTS];
    client_ctx ctx[CLIENTS];
    char channel[64];
    snprintf(channel, sizeof channel, "rtn5-%lld", (long long)now_ms());

    for (int i = 0; i < CLIENTS; i++) { /* all at once: created and connecting together */
        ably_client_options o;
        ably_client_options_init(&o);
        o.key = sandbox_env_key(env, 0)->key_str;
        o.endpoint = env->host;
        o.tls = env->tls;
        if (env->tls)
            o.tls_port = env->port;
        else
            o.port = env->port;
        o.use_binary_protocol = i % 2 == 0; /* both wire formats in the mix */
        o.realtime_request_timeout_ms = 20000;
        o.http_request_timeout_ms = 20000;
        o.log_level = ABLY_LOG_NONE;
        ably_error err;
        ably_error_init(&err);
        assert_int_equal(ably_realtime_create(&o, NULL, &rts[i], &err), 0);
        ctx[i] = (client_ctx){t, i};
    }
    assert_true(all_connected(rts));

    for (int i = 0; i < CLIENTS; i++) {
        ably_error err;
        ably_error_init(&err);
        assert_int_equal(ably_realtime_channels_get(rts[i], channel, NULL, &chs[i], &err), 0);
        ably_realtime_channel_subscribe(chs[i], NULL, on_message, &ctx[i], on_attached, &ctx[i]);
    }
    assert_true(wait_for(t, all_attached));
    assert_int_equal(t->attach_failed, 0);

    for (int i = 0; i < CLIENTS; i++) {
        char name[16], body[32];
        snprintf(name, sizeof name, "%d", i);
        snprintf(body, sizeof body, "from client %d", i);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, body, strlen(body));
        ably_realtime_channel_publish(chs[i], name, &d, on_published, &ctx[i]);
    }
    assert_true(wait_for(t, all_published));
    assert_int_equal(t->publish_failed, 0);
    assert_true(wait_for(t, all_received));

    pthread_mutex_lock(&t->mu);
    for (int r = 0; r < CLIENTS; r++) {
        assert_int_equal(t->received[r], CLIENTS);
        for (int s = 0; s < CLIENTS; s++)
            assert_int_equal(t->seen[r][s], 1); /* every message, exactly once */
    }
    pthread_mutex_unlock(&t->mu);

    for (int i = 0; i < CLIENTS; i++)
        ably_realtime_destroy(rts[i]);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(many_clients_attach_publish_and_receive, "RTN5"),
    };
    return cmocka_run_group_tests_name("realtime_many_clients_sandbox", tests, setup, teardown);
}
