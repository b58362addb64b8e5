/* Realtime channels and presence against the sandbox (uts/realtime/integration/channels,
 * presence, channel_history_test.md, presence_lifecycle_test.md): the real lws WebSocket
 * transport and the service thread, two clients alive at once (one publishes, the other
 * subscribes), JSON and msgpack.
 *
 * Every wait is bounded (RT_WAIT_MS). Callbacks run on a service thread; what they record
 * is guarded by a mutex and read by the test thread. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define RT_WAIT_MS 10000

/* ---- what the callbacks saw ---- */

typedef struct {
    pthread_mutex_t mu;
    int done;        /* completions seen */
    int failed;      /* of which with an error */
    int64_t code;    /* the last error code */
    char names[16][32];
    char data[16][64];
    int msgs;        /* messages (or presence events) seen */
    int actions[16]; /* presence actions */
} seen;

static void seen_init(seen *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

static void on_result(void *ctx, const ably_error *err)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->done++;
    if (err) {
        s->failed++;
        s->code = err->code;
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    on_result(ctx, err);
}

static void keep(seen *s, const char *name, const ably_data *d, int action)
{
    pthread_mutex_lock(&s->mu);
    if (s->msgs < 16) {
        snprintf(s->names[s->msgs], sizeof s->names[0], "%s", name ? name : "");
        snprintf(s->data[s->msgs], sizeof s->data[0], "%.*s", d->bytes ? (int)d->len : 0, d->bytes ? d->bytes : "");
        s->actions[s->msgs] = action;
    }
    s->msgs++;
    pthread_mutex_unlock(&s->mu);
}

static void on_message(void *ctx, const ably_message *m) { keep(ctx, m->name, &m->data, 0); }
static void on_presence(void *ctx, const ably_presence_message *m) { keep(ctx, m->client_id, &m->data, (int)m->action); }

/* Waits until *field reaches at least `want`. */
static bool wait_count(seen *s, const int *field, int want)
{
    return rt_sandbox_wait_int(&s->mu, field, want, RT_WAIT_MS);
}

static bool wait_channel(ably_realtime_channel *ch, ably_channel_state want)
{
    return rt_sandbox_wait_channel(ch, want, RT_WAIT_MS);
}

/* ---- attach and detach (RTL4, RTL5, RTL2) ---- */

static void attach_then_detach(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "attach", binary);
    ably_realtime *rt = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *ch = rt_sandbox_channel(rt, name);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    seen s;
    seen_init(&s);
    ably_realtime_channel_attach(ch, on_result, &s);
    assert_true(wait_count(&s, &s.done, 1));
    assert_int_equal(s.failed, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    char *attach_serial = ably_realtime_channel_attach_serial(ch); /* RTL15 */
    assert_non_null(attach_serial);
    free(attach_serial);
    assert_true((ably_realtime_channel_modes(ch) & ABLY_CHANNEL_MODE_PUBLISH) != 0); /* RTL4m */

    ably_realtime_channel_detach(ch, on_result, &s);
    assert_true(wait_count(&s, &s.done, 2));
    assert_int_equal(s.failed, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);

    ably_realtime_channel_attach(ch, on_result, &s); /* attaching again after a detach */
    assert_true(wait_count(&s, &s.done, 3));
    assert_int_equal(s.failed, 0);
    assert_true(wait_channel(ch, ABLY_CHANNEL_ATTACHED));
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&s.mu);
}

static void attach_then_detach_json(void **state) { attach_then_detach(state, false); }
static void attach_then_detach_msgpack(void **state) { attach_then_detach(state, true); }

/* ---- publish on one client, receive on another (RTL6, RTL7, RTL7a) ---- */

static void publish_reaches_another_client(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "pubsub", binary);
    ably_realtime *sub = rt_sandbox_connected(env, binary, NULL);
    ably_realtime *pub = rt_sandbox_connected(env, !binary, NULL); /* the other protocol publishes */
    ably_realtime_channel *sub_ch = rt_sandbox_channel(sub, name), *pub_ch = rt_sandbox_channel(pub, name);
    seen got, attached, acks;
    seen_init(&got);
    seen_init(&attached);
    seen_init(&acks);
    ably_realtime_channel_subscribe(sub_ch, NULL, on_message, &got, on_result, &attached); /* RTL7g */
    assert_true(wait_count(&attached, &attached.done, 1));
    assert_int_equal(attached.failed, 0);

    const char *texts[3] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, texts[i], strlen(texts[i]));
        ably_realtime_channel_publish(pub_ch, i == 1 ? "second" : "event", &d, on_published, &acks);
    }
    assert_true(wait_count(&acks, &acks.done, 3)); /* RTL6b: every publish acknowledged */
    assert_int_equal(acks.failed, 0);
    assert_true(wait_count(&got, &got.msgs, 3));
    for (int i = 0; i < 3; i++) /* in order (RTL7a) */
        assert_string_equal(got.data[i], texts[i]);
    assert_string_equal(got.names[1], "second");

    ably_realtime_destroy(pub);
    ably_realtime_destroy(sub);
    pthread_mutex_destroy(&got.mu);
    pthread_mutex_destroy(&attached.mu);
    pthread_mutex_destroy(&acks.mu);
}

static void publish_reaches_another_client_json(void **state) { publish_reaches_another_client(state, false); }
static void publish_reaches_another_client_msgpack(void **state) { publish_reaches_another_client(state, true); }

/* ---- history of what was published over realtime (RTL10) ---- */

static void history_lists_realtime_publishes(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "history", false);
    ably_realtime *rt = rt_sandbox_connected(env, false, NULL);
    ably_realtime_channel *ch = rt_sandbox_channel(rt, name);
    seen acks;
    seen_init(&acks);
    const char *texts[2] = {"first", "second"};
    for (int i = 0; i < 2; i++) {
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, texts[i], strlen(texts[i]));
        ably_realtime_channel_publish(ch, "h", &d, on_published, &acks);
    }
    assert_true(wait_count(&acks, &acks.done, 2));
    assert_int_equal(acks.failed, 0);

    ably_paginated_result *page = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_realtime_channel_history(ch, NULL, false, &page, &err), 0);
    size_t count = 0;
    const ably_message *items = ably_paginated_result_items(page, &count);
    assert_int_equal(count, 2);
    assert_string_equal(items[0].data.bytes, "second"); /* newest first by default (RSL2b1) */
    assert_string_equal(items[1].data.bytes, "first");
    ably_paginated_result_free(page);
    ably_error_clear(&err);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&acks.mu);
}

/* ---- presence: enter, seen by another client, leave (RTP8, RTP10, RTP11, RTP2, RTP6) ---- */

static void presence_enter_and_leave(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "presence", binary);
    ably_realtime *observer = rt_sandbox_connected(env, binary, NULL);
    ably_realtime *member = rt_sandbox_connected(env, binary, "l4-member");
    ably_realtime_presence *watch = ably_realtime_channel_presence(rt_sandbox_channel(observer, name));
    ably_realtime_presence *me = ably_realtime_channel_presence(rt_sandbox_channel(member, name));
    seen events, attached, acks;
    seen_init(&events);
    seen_init(&attached);
    seen_init(&acks);
    ably_realtime_presence_subscribe(watch, -1, on_presence, &events, on_result, &attached);
    assert_true(wait_count(&attached, &attached.done, 1));
    assert_int_equal(attached.failed, 0);

    ably_data hello = ably_data_borrow(ABLY_DATA_STRING, "here", 4);
    ably_realtime_presence_enter(me, &hello, on_result, &acks); /* RTP8: attaches implicitly */
    assert_true(wait_count(&acks, &acks.done, 1));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_count(&events, &events.msgs, 1));
    assert_string_equal(events.names[0], "l4-member");
    assert_string_equal(events.data[0], "here");
    assert_int_equal(events.actions[0], ABLY_PRESENCE_ACTION_ENTER);

    ably_realtime_presence_leave(me, NULL, on_result, &acks); /* RTP10 */
    assert_true(wait_count(&acks, &acks.done, 2));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_count(&events, &events.msgs, 2));
    assert_string_equal(events.names[1], "l4-member");
    assert_int_equal(events.actions[1], ABLY_PRESENCE_ACTION_LEAVE);

    ably_realtime_destroy(member);
    ably_realtime_destroy(observer);
    pthread_mutex_destroy(&events.mu);
    pthread_mutex_destroy(&attached.mu);
    pthread_mutex_destroy(&acks.mu);
}

static void presence_enter_and_leave_json(void **state) { presence_enter_and_leave(state, false); }
static void presence_enter_and_leave_msgpack(void **state) { presence_enter_and_leave(state, true); }

/* presence.get on another client returns the entered member (RTP11a, RTP11c2) */

typedef struct {
    seen s;
    char client_id[32];
    size_t count;
} get_result;

static void on_get(void *ctx, const ably_error *err, const ably_presence_message *members, size_t count)
{
    get_result *g = ctx;
    pthread_mutex_lock(&g->s.mu);
    g->count = count;
    if (count)
        snprintf(g->client_id, sizeof g->client_id, "%s", members[0].client_id ? members[0].client_id : "");
    pthread_mutex_unlock(&g->s.mu);
    on_result(&g->s, err);
}

static void presence_get_sees_member(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "presence-get", true);
    ably_realtime *member = rt_sandbox_connected(env, true, "l4-getter");
    seen acks;
    seen_init(&acks);
    ably_realtime_presence_enter(ably_realtime_channel_presence(rt_sandbox_channel(member, name)), NULL, on_result,
                                 &acks);
    assert_true(wait_count(&acks, &acks.done, 1));
    assert_int_equal(acks.failed, 0);

    ably_realtime *observer = rt_sandbox_connected(env, false, NULL);
    get_result g;
    memset(&g, 0, sizeof g);
    seen_init(&g.s);
    ably_realtime_presence *p = ably_realtime_channel_presence(rt_sandbox_channel(observer, name));
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, &g); /* waits for the SYNC (RTP11a) */
    assert_true(wait_count(&g.s, &g.s.done, 1));
    assert_int_equal(g.s.failed, 0);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.client_id, "l4-getter");

    ably_realtime_destroy(observer);
    ably_realtime_destroy(member);
    pthread_mutex_destroy(&acks.mu);
    pthread_mutex_destroy(&g.s.mu);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(attach_then_detach_json, "RTL4 RTL4c RTL5 RTL5d RTL2"),
        ABLY_TEST(attach_then_detach_msgpack, "RTL4 RTL4c RTL5 RTL5d RTL2"),
        ABLY_TEST(publish_reaches_another_client_json, "RTL6 RTL6b RTL7 RTL7a"),
        ABLY_TEST(publish_reaches_another_client_msgpack, "RTL6 RTL6b RTL7 RTL7a"),
        ABLY_TEST(history_lists_realtime_publishes, "RTL10"),
        ABLY_TEST(presence_enter_and_leave_json, "RTP8 RTP8a RTP10 RTP2"),
        ABLY_TEST(presence_enter_and_leave_msgpack, "RTP8 RTP8a RTP10 RTP2"),
        ABLY_TEST(presence_get_sees_member, "RTP11 RTP11a"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
