/* RealtimeChannel#history across clients against the sandbox
 * (uts/realtime/integration/channel_history_test.md): one realtime client publishes and
 * waits for the ACKs, another reads the channel's history. JSON and msgpack.
 *
 * Every wait is bounded. Callbacks run on the clients' service threads; what they record
 * is guarded by a mutex. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define WAIT_MS 10000

typedef struct {
    pthread_mutex_t mu;
    int done, failed;
} completions;

static void on_done(void *ctx, const ably_error *err)
{
    completions *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->done++;
    if (err)
        c->failed++;
    pthread_mutex_unlock(&c->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    on_done(ctx, err);
}

static bool wait_done(completions *c, int want) { return rt_sandbox_wait_int(&c->mu, &c->done, want, WAIT_MS); }

static ably_realtime_channel *attached_channel(ably_realtime *rt, const char *name)
{
    ably_realtime_channel *ch = rt_sandbox_channel(rt, name);
    completions c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    ably_realtime_channel_attach(ch, on_done, &c);
    assert_true(wait_done(&c, 1));
    assert_int_equal(c.failed, 0);
    return ch;
}

/* The subscriber's history, polled every 500 ms for up to 10 s until it holds `want`
 * messages (the publisher's ACK does not promise the history is readable at once). */
static ably_paginated_result *poll_history(ably_realtime_channel *ch, size_t want)
{
    ably_error err;
    ably_error_init(&err);
    for (int64_t end = rt_sandbox_now_ms() + WAIT_MS;;) {
        ably_paginated_result *page = NULL;
        if (ably_realtime_channel_history(ch, NULL, false, &page, &err) == 0) {
            size_t n = 0;
            ably_paginated_result_items(page, &n);
            if (n == want)
                return page;
            ably_paginated_result_free(page);
        } else {
            fprintf(stderr, "history: %lld %s\n", (long long)err.code, err.message ? err.message : "");
            ably_error_clear(&err);
        }
        if (rt_sandbox_now_ms() > end)
            return NULL;
        usleep(500 * 1000);
    }
}

static void history_has_what_another_client_published(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "history-RTL10d", binary);
    ably_realtime *publisher = rt_sandbox_connected(env, binary, NULL);
    ably_realtime *subscriber = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *pub = attached_channel(publisher, name);
    ably_realtime_channel *sub = attached_channel(subscriber, name);

    completions acks = {.mu = PTHREAD_MUTEX_INITIALIZER};
    const char *names[3] = {"event1", "event2", "event3"}, *datas[3] = {"data1", "data2", "data3"};
    for (int i = 0; i < 3; i++) { /* one at a time, each confirmed, as the UTS case does */
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, datas[i], strlen(datas[i]));
        ably_realtime_channel_publish(pub, names[i], &d, on_published, &acks);
        assert_true(wait_done(&acks, i + 1));
    }
    assert_int_equal(acks.failed, 0);

    ably_paginated_result *page = poll_history(sub, 3);
    assert_non_null(page);
    size_t count = 0;
    const ably_message *items = ably_paginated_result_items(page, &count);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < 3; i++) { /* newest first */
        assert_string_equal(items[i].name, names[2 - i]);
        assert_int_equal(items[i].data.type, ABLY_DATA_STRING);
        assert_string_equal(items[i].data.bytes, datas[2 - i]);
    }
    ably_paginated_result_free(page);
    ably_realtime_destroy(publisher);
    ably_realtime_destroy(subscriber);
}

static void history_cross_client_json(void **state) { history_has_what_another_client_published(state, false); }
static void history_cross_client_msgpack(void **state) { history_has_what_another_client_published(state, true); }

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(history_cross_client_json, "RTL10d RTL10"),
        ABLY_TEST(history_cross_client_msgpack, "RTL10d RTL10"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
