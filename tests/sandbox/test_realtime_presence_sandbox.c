/* Realtime presence against the sandbox (uts/realtime/integration/presence_lifecycle_test.md,
 * and the "a test should exist" items RTP4, RTP12d, RTP14d): two or more clients on the
 * real lws WebSocket transport and their service threads, JSON and msgpack. One client
 * enters (members or itself), another observes through subscribe, get and history.
 *
 * Every wait is bounded (WAIT_MS). Callbacks run on service threads; what they record is
 * guarded by a mutex and read by the test thread. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define WAIT_MS 20000
#define BULK 250 /* RTP4 */

/* ---- what the callbacks saw ---- */

typedef struct {
    pthread_mutex_t mu;
    int done, failed;      /* completions, of which with an error */
    int64_t code;          /* the last error code */
    int events;            /* presence events */
    int action[8];         /* the first few events */
    char client[8][32];
    char data[8][32];
    bool bulk_seen[BULK];  /* user-N seen entering (ENTER or PRESENT) */
    int bulk_count;
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

static void on_presence(void *ctx, const ably_presence_message *m)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->events < 8) {
        s->action[s->events] = (int)m->action;
        snprintf(s->client[s->events], sizeof s->client[0], "%s", m->client_id ? m->client_id : "");
        snprintf(s->data[s->events], sizeof s->data[0], "%.*s", m->data.bytes ? (int)m->data.len : 0,
                 m->data.bytes ? m->data.bytes : "");
    }
    s->events++;
    int n = -1;
    if ((m->action == ABLY_PRESENCE_ACTION_ENTER || m->action == ABLY_PRESENCE_ACTION_PRESENT) && m->client_id &&
        sscanf(m->client_id, "user-%d", &n) == 1 && n >= 0 && n < BULK && !s->bulk_seen[n]) {
        s->bulk_seen[n] = true;
        s->bulk_count++;
    }
    pthread_mutex_unlock(&s->mu);
}

static int read_int(seen *s, const int *field) { return rt_sandbox_read_int(&s->mu, field); }

static bool wait_count(seen *s, const int *field, int want)
{
    return rt_sandbox_wait_int(&s->mu, field, want, WAIT_MS);
}

/* A get() answer copied out of the callback. */
typedef struct {
    seen s;
    size_t count;
    ably_presence_message *items;
} got_members;

static void on_get(void *ctx, const ably_error *err, const ably_presence_message *members, size_t count)
{
    got_members *g = ctx;
    pthread_mutex_lock(&g->s.mu);
    g->count = count;
    g->items = count ? calloc(count, sizeof *g->items) : NULL;
    for (size_t i = 0; g->items && i < count; i++)
        ably_presence_message_copy(&g->items[i], &members[i], NULL);
    pthread_mutex_unlock(&g->s.mu);
    on_result(&g->s, err);
}

static void get_members(ably_realtime_presence *p, got_members *g)
{
    memset(g, 0, sizeof *g);
    seen_init(&g->s);
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, g);
    assert_true(wait_count(&g->s, &g->s.done, 1));
    assert_int_equal(g->s.failed, 0);
}

static void got_members_free(got_members *g)
{
    for (size_t i = 0; g->items && i < g->count; i++)
        ably_presence_message_clear(&g->items[i]);
    free(g->items);
    pthread_mutex_destroy(&g->s.mu);
}

static const ably_presence_message *find_member(const got_members *g, const char *client_id)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->items[i].client_id && strcmp(g->items[i].client_id, client_id) == 0)
            return &g->items[i];
    return NULL;
}

static const char *text(const ably_presence_message *m) { return m->data.bytes ? m->data.bytes : ""; }

/* ---- clients ---- */

static ably_realtime_presence *presence_of(ably_realtime *rt, const char *name)
{
    return ably_realtime_channel_presence(rt_sandbox_channel(rt, name));
}

/* Subscribes to every presence action, waiting for the implicit attach. */
static void watch(ably_realtime_presence *p, seen *events)
{
    seen attached;
    seen_init(&attached);
    ably_realtime_presence_subscribe(p, -1, on_presence, events, on_result, &attached);
    assert_true(wait_count(&attached, &attached.done, 1));
    assert_int_equal(attached.failed, 0);
    pthread_mutex_destroy(&attached.mu);
}

/* ---- RTP4: 250 members entered on one connection, observed on another ---- */

static void bulk_enter_observed(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "bulk", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, NULL);
    ably_realtime *b = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_presence *pa = presence_of(a, name), *pb = presence_of(b, name);
    seen events, acks;
    seen_init(&events);
    seen_init(&acks);
    watch(pb, &events);

    char id[32], data[32];
    for (int i = 0; i < BULK; i++) { /* all in flight at once */
        snprintf(id, sizeof id, "user-%d", i);
        snprintf(data, sizeof data, "data-%d", i);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
        ably_realtime_presence_enter_client(pa, id, &d, on_result, &acks);
    }
    assert_true(wait_count(&acks, &acks.done, BULK));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_count(&events, &events.bulk_count, BULK));

    got_members g;
    get_members(pb, &g);
    assert_int_equal(g.count, BULK);
    for (int i = 0; i < BULK; i++) {
        snprintf(id, sizeof id, "user-%d", i);
        snprintf(data, sizeof data, "data-%d", i);
        const ably_presence_message *m = find_member(&g, id);
        assert_non_null(m);
        assert_string_equal(text(m), data);
    }
    got_members_free(&g);

    /* a third client, attaching after the fact, learns them all through the SYNC */
    ably_realtime *c = rt_sandbox_connected(env, !binary, NULL);
    seen late;
    seen_init(&late);
    ably_realtime_presence *pc = presence_of(c, name);
    ably_realtime_presence_subscribe(pc, ABLY_PRESENCE_ACTION_PRESENT, on_presence, &late, NULL, NULL);
    get_members(pc, &g);
    assert_int_equal(g.count, BULK);
    assert_true(ably_realtime_presence_sync_complete(pc));
    assert_true(wait_count(&late, &late.bulk_count, BULK)); /* a PRESENT event for each */
    got_members_free(&g);

    ably_realtime_destroy(c);
    ably_realtime_destroy(b);
    ably_realtime_destroy(a);
    pthread_mutex_destroy(&late.mu);
    pthread_mutex_destroy(&events.mu);
    pthread_mutex_destroy(&acks.mu);
}

static void bulk_enter_observed_json(void **state) { bulk_enter_observed(state, false); }
static void bulk_enter_observed_msgpack(void **state) { bulk_enter_observed(state, true); }

/* ---- RTP8, RTP9, RTP10: enter, update, leave seen by another connection ---- */

static void op_and_wait(ably_realtime_presence *p, int op, const char *data, seen *acks, int n)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
    if (op == 0)
        ably_realtime_presence_enter(p, &d, on_result, acks);
    else if (op == 1)
        ably_realtime_presence_update(p, &d, on_result, acks);
    else
        ably_realtime_presence_leave(p, &d, on_result, acks);
    assert_true(wait_count(acks, &acks->done, n));
    assert_int_equal(acks->failed, 0);
}

static void lifecycle(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "lifecycle", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, "lifecycle-client");
    ably_realtime *b = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_presence *pa = presence_of(a, name), *pb = presence_of(b, name);
    seen events, acks;
    seen_init(&events);
    seen_init(&acks);
    watch(pb, &events);
    got_members g;

    op_and_wait(pa, 0, "hello", &acks, 1);
    assert_true(wait_count(&events, &events.events, 1));
    get_members(pb, &g);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "lifecycle-client");
    assert_string_equal(text(&g.items[0]), "hello");
    got_members_free(&g);

    op_and_wait(pa, 1, "world", &acks, 2);
    assert_true(wait_count(&events, &events.events, 2));
    get_members(pb, &g);
    assert_int_equal(g.count, 1);
    assert_string_equal(text(&g.items[0]), "world");
    got_members_free(&g);

    op_and_wait(pa, 2, "goodbye", &acks, 3);
    assert_true(wait_count(&events, &events.events, 3));
    get_members(pb, &g);
    assert_int_equal(g.count, 0);
    got_members_free(&g);

    const ably_presence_action want[3] = {ABLY_PRESENCE_ACTION_ENTER, ABLY_PRESENCE_ACTION_UPDATE,
                                          ABLY_PRESENCE_ACTION_LEAVE};
    const char *data[3] = {"hello", "world", "goodbye"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(events.action[i], want[i]);
        assert_string_equal(events.client[i], "lifecycle-client");
        assert_string_equal(events.data[i], data[i]);
    }
    ably_realtime_destroy(b);
    ably_realtime_destroy(a);
    pthread_mutex_destroy(&events.mu);
    pthread_mutex_destroy(&acks.mu);
}

static void lifecycle_json(void **state) { lifecycle(state, false); }
static void lifecycle_msgpack(void **state) { lifecycle(state, true); }

/* ---- RTP12d: several clients enter; another client's presence history lists them ---- */

#define HISTORY_CLIENTS 3

static void history_lists_entries_of_several_clients(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "history", false);
    ably_realtime *members[HISTORY_CLIENTS];
    seen acks;
    seen_init(&acks);
    char id[32];
    for (int i = 0; i < HISTORY_CLIENTS; i++) {
        snprintf(id, sizeof id, "historian-%d", i);
        members[i] = rt_sandbox_connected(env, i % 2 == 1, id);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, id, strlen(id));
        ably_realtime_presence_enter(presence_of(members[i], name), &d, on_result, &acks);
    }
    assert_true(wait_count(&acks, &acks.done, HISTORY_CLIENTS)); /* every enter confirmed */
    assert_int_equal(acks.failed, 0);

    ably_realtime *reader = rt_sandbox_connected(env, false, NULL);
    ably_history_params hp = {.direction = "forwards", .limit = 100};
    ably_paginated_result *page = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_realtime_presence_history(presence_of(reader, name), &hp, &page, &err), 0);
    size_t n = 0;
    const ably_presence_message *items = ably_paginated_result_items(page, &n);
    assert_int_equal(n, HISTORY_CLIENTS);
    for (int i = 0; i < HISTORY_CLIENTS; i++) {
        snprintf(id, sizeof id, "historian-%d", i);
        bool found = false;
        for (size_t k = 0; k < n; k++)
            if (items[k].client_id && strcmp(items[k].client_id, id) == 0) {
                found = true;
                assert_int_equal(items[k].action, ABLY_PRESENCE_ACTION_ENTER);
                assert_string_equal(text(&items[k]), id);
            }
        assert_true(found);
    }
    ably_paginated_result_free(page);
    ably_error_clear(&err);
    ably_realtime_destroy(reader);
    for (int i = 0; i < HISTORY_CLIENTS; i++)
        ably_realtime_destroy(members[i]);
    pthread_mutex_destroy(&acks.mu);
}

/* ---- RTP14d: members for several clientIds through enterClient, all in get ---- */

static void enter_client_members_in_get(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "enterclient", true);
    ably_realtime *a = rt_sandbox_connected(env, true, NULL);
    ably_realtime_presence *pa = presence_of(a, name);
    seen acks;
    seen_init(&acks);
    const char *ids[4] = {"ann", "ben", "cat", "dan"};
    for (int i = 0; i < 4; i++) {
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, ids[i], strlen(ids[i]));
        ably_realtime_presence_enter_client(pa, ids[i], &d, on_result, &acks);
    }
    assert_true(wait_count(&acks, &acks.done, 4));
    assert_int_equal(acks.failed, 0);
    ably_realtime *b = rt_sandbox_connected(env, false, NULL);
    got_members g;
    get_members(presence_of(b, name), &g);
    assert_int_equal(g.count, 4);
    for (int i = 0; i < 4; i++) {
        const ably_presence_message *m = find_member(&g, ids[i]);
        assert_non_null(m);
        assert_string_equal(text(m), ids[i]);
    }
    got_members_free(&g);
    ably_realtime_destroy(b);
    ably_realtime_destroy(a);
    pthread_mutex_destroy(&acks.mu);
}

/* ---- RTP15b: the *Client forms for many members, seen on another client ---- */

#define MANY 5

static void client_forms_for_many_members(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "clientforms", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, NULL);
    ably_realtime *b = rt_sandbox_connected(env, !binary, NULL);
    ably_realtime_presence *pa = presence_of(a, name), *pb = presence_of(b, name);
    seen enters, updates, leaves, acks;
    seen_init(&enters);
    seen_init(&updates);
    seen_init(&leaves);
    seen_init(&acks);
    seen attached;
    seen_init(&attached);
    ably_realtime_presence_subscribe(pb, ABLY_PRESENCE_ACTION_ENTER, on_presence, &enters, on_result, &attached);
    ably_realtime_presence_subscribe(pb, ABLY_PRESENCE_ACTION_UPDATE, on_presence, &updates, NULL, NULL);
    ably_realtime_presence_subscribe(pb, ABLY_PRESENCE_ACTION_LEAVE, on_presence, &leaves, NULL, NULL);
    assert_true(wait_count(&attached, &attached.done, 1));

    char id[32], data[32];
    for (int step = 0; step < 3; step++) {
        int n = step == 2 ? 2 : MANY; /* enter all, update all, then two leave */
        for (int i = 0; i < n; i++) {
            snprintf(id, sizeof id, "member-%d", i);
            snprintf(data, sizeof data, "%s-%d", step == 0 ? "in" : step == 1 ? "changed" : "out", i);
            ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
            if (step == 0)
                ably_realtime_presence_enter_client(pa, id, &d, on_result, &acks);
            else if (step == 1)
                ably_realtime_presence_update_client(pa, id, &d, on_result, &acks);
            else
                ably_realtime_presence_leave_client(pa, id, &d, on_result, &acks);
        }
    }
    assert_true(wait_count(&acks, &acks.done, 2 * MANY + 2));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_count(&enters, &enters.events, MANY));
    assert_true(wait_count(&updates, &updates.events, MANY));
    assert_true(wait_count(&leaves, &leaves.events, 2));

    got_members g;
    get_members(pb, &g);
    assert_int_equal(g.count, MANY - 2);
    for (int i = 0; i < MANY; i++) {
        snprintf(id, sizeof id, "member-%d", i);
        snprintf(data, sizeof data, "changed-%d", i);
        const ably_presence_message *m = find_member(&g, id);
        if (i < 2) {
            assert_null(m);
        } else {
            assert_non_null(m);
            assert_string_equal(text(m), data);
        }
    }
    got_members_free(&g);
    ably_realtime_destroy(b);
    ably_realtime_destroy(a);
    pthread_mutex_destroy(&enters.mu);
    pthread_mutex_destroy(&updates.mu);
    pthread_mutex_destroy(&leaves.mu);
    pthread_mutex_destroy(&acks.mu);
    pthread_mutex_destroy(&attached.mu);
}

static void client_forms_for_many_members_json(void **state) { client_forms_for_many_members(state, false); }
static void client_forms_for_many_members_msgpack(void **state) { client_forms_for_many_members(state, true); }

/* ---- RTP9b: update without enter enters; RTP10d: leave when absent still succeeds ---- */

static void update_enters_and_absent_leave_succeeds(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "update-enters", false);
    ably_realtime *a = rt_sandbox_connected(env, false, "updater");
    ably_realtime *b = rt_sandbox_connected(env, true, NULL);
    ably_realtime_presence *pa = presence_of(a, name), *pb = presence_of(b, name);
    seen events, acks;
    seen_init(&events);
    seen_init(&acks);
    watch(pb, &events);

    ably_realtime_presence_leave(pa, NULL, on_result, &acks); /* RTP10d: not present yet */
    assert_true(wait_count(&acks, &acks.done, 1));
    assert_int_equal(acks.failed, 0);

    op_and_wait(pa, 1, "first", &acks, 2); /* RTP9b */
    assert_true(wait_count(&events, &events.events, 1));
    got_members g;
    get_members(pb, &g);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "updater");
    assert_string_equal(text(&g.items[0]), "first");
    got_members_free(&g);
    assert_int_equal(read_int(&events, &events.events), 1); /* the absent leave was no event */

    ably_realtime_destroy(b);
    ably_realtime_destroy(a);
    pthread_mutex_destroy(&events.mu);
    pthread_mutex_destroy(&acks.mu);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(bulk_enter_observed_json, "RTP4 RTP6 RTP11a RTP14a"),
        ABLY_TEST(bulk_enter_observed_msgpack, "RTP4 RTP6 RTP11a RTP14a"),
        ABLY_TEST(lifecycle_json, "RTP8 RTP9 RTP10 RTP6 RTP11a"),
        ABLY_TEST(lifecycle_msgpack, "RTP8 RTP9 RTP10 RTP6 RTP11a"),
        ABLY_TEST(history_lists_entries_of_several_clients, "RTP12 RTP12d"),
        ABLY_TEST(enter_client_members_in_get, "RTP14d"),
        ABLY_TEST(client_forms_for_many_members_json, "RTP15b RTP15a RTP14a"),
        ABLY_TEST(client_forms_for_many_members_msgpack, "RTP15b RTP15a RTP14a"),
        ABLY_TEST(update_enters_and_absent_leave_succeeds, "RTP9b RTP10d"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
