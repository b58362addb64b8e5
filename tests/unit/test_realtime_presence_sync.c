/* Presence SYNC: the map's sync lifecycle as a data structure
 * (uts/realtime/unit/presence/presence_sync.md, through realtime/presence_map.h), then
 * the same rules as a client sees them on the mock WebSocket: SYNC pages and their
 * sequence ids (RTP18), synthesized leaves (RTP19), LEAVE during a sync (RTP2h2), the
 * local map (RTP17b) and clearing on DETACHED (RTP5a). */
#include <stdint.h>

#include "realtime/presence_map.h"
#include "test_realtime_channel_fixture.h"

/* ---- the map ---- */

static void put(ably_presence_map *m, ably_presence_action action, const char *client_id, const char *connection_id,
                const char *id, int64_t timestamp, const char *data, bool expect)
{
    ably_presence_message msg;
    ably_presence_message_init(&msg);
    msg.action = action;
    msg.has_action = true;
    msg.client_id = (char *)(uintptr_t)client_id;
    msg.connection_id = (char *)(uintptr_t)connection_id;
    msg.id = (char *)(uintptr_t)id;
    msg.timestamp = timestamp;
    msg.has_timestamp = true;
    if (data) {
        msg.data.type = ABLY_DATA_STRING;
        msg.data.bytes = (char *)(uintptr_t)data;
        msg.data.len = strlen(data);
    }
    assert_int_equal(ably_presence_map_apply(m, &msg), expect);
}

#define ENTER(m, client, conn, id, ts) put(m, ABLY_PRESENCE_ACTION_ENTER, client, conn, id, ts, NULL, true)
#define PRESENT(m, client, conn, id, ts) put(m, ABLY_PRESENCE_ACTION_PRESENT, client, conn, id, ts, NULL, true)

typedef struct {
    ably_presence_message *items;
    size_t count;
} leaves;

static leaves end_sync(ably_presence_map *m, int64_t now)
{
    leaves l;
    l.count = ably_presence_map_end_sync(m, now, &l.items);
    return l;
}

static void leaves_free(leaves *l)
{
    for (size_t i = 0; i < l->count; i++)
        ably_presence_message_clear(&l->items[i]);
    free(l->items);
}

static const ably_presence_message *leave_of(const leaves *l, const char *client_id)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].client_id && strcmp(l->items[i].client_id, client_id) == 0)
            return &l->items[i];
    return NULL;
}

static size_t values_count(const ably_presence_map *m) { return ably_presence_map_values(m, NULL, 0); }

/* A memberKey map holding alice (c1) and bob (c2), both entered at 100. */
static void alice_and_bob(ably_presence_map *m)
{
    ably_presence_map_init(m, false);
    ENTER(m, "alice", "c1", "c1:0:0", 100);
    ENTER(m, "bob", "c2", "c2:0:0", 100);
}

/* Ends the sync at `now`, asserting how many leaves it synthesized and members remain. */
static leaves end_sync_expect(ably_presence_map *m, int64_t now, size_t leaves_count, size_t remaining)
{
    leaves l = end_sync(m, now);
    assert_int_equal(l.count, leaves_count);
    assert_int_equal(values_count(m), remaining);
    return l;
}

static void free_all(ably_presence_map *m, leaves *l)
{
    leaves_free(l);
    ably_presence_map_free(m);
}

static void startsync_sets_flag(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    assert_false(m.syncing);
    ably_presence_map_start_sync(&m);
    assert_true(m.syncing);
    ably_presence_map_free(&m);
}

static void endsync_clears_flag(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    ably_presence_map_start_sync(&m);
    assert_true(m.syncing);
    leaves l = end_sync(&m, 1);
    assert_false(m.syncing);
    free_all(&m, &l);
}

static void stale_members_leave_after_sync(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    assert_int_equal(values_count(&m), 2);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    leaves l = end_sync_expect(&m, 300, 1, 1);
    assert_string_equal(l.items[0].client_id, "bob");
    assert_int_equal(l.items[0].action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_null(ably_presence_map_get(&m, "c2:bob"));
    free_all(&m, &l);
}

static void synth_leave_null_id_timestamp(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "c2", "c2:0:0", 100, "bob-data", true);
    ably_presence_map_start_sync(&m);
    leaves l = end_sync(&m, 1700000000123);
    assert_int_equal(l.count, 1);
    const ably_presence_message *leave = &l.items[0];
    assert_int_equal(leave->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(leave->client_id, "bob");
    assert_string_equal(leave->connection_id, "c2");
    assert_int_equal(leave->data.type, ABLY_DATA_STRING);
    assert_string_equal(leave->data.bytes, "bob-data");
    assert_null(leave->id);
    assert_true(leave->has_timestamp);
    assert_int_equal(leave->timestamp, 1700000000123); /* the current time handed in */
    free_all(&m, &l);
}

static void updated_members_survive_sync(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    ENTER(&m, "carol", "c3", "c3:0:0", 100);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    put(&m, ABLY_PRESENCE_ACTION_UPDATE, "bob", "c2", "c2:1:0", 200, "new-data", true);
    leaves l = end_sync_expect(&m, 300, 1, 2);
    assert_string_equal(l.items[0].client_id, "carol");
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    const ably_presence_message *bob = ably_presence_map_get(&m, "c2:bob");
    assert_non_null(bob);
    assert_string_equal(bob->data.bytes, "new-data");
    free_all(&m, &l);
}

static void new_sync_discards_previous(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    ably_presence_map_start_sync(&m); /* a new sequence */
    PRESENT(&m, "alice", "c1", "c1:2:0", 300);
    PRESENT(&m, "bob", "c2", "c2:1:0", 300);
    leaves l = end_sync_expect(&m, 400, 0, 2);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_non_null(ably_presence_map_get(&m, "c2:bob"));
    free_all(&m, &l);
}

/* The restart forgets what the discarded sync saw: alice, seen only there, goes. */
static void restarted_sync_forgets_seen_members(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "bob", "c2", "c2:1:0", 300);
    leaves l = end_sync(&m, 400);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].client_id, "alice");
    assert_null(ably_presence_map_get(&m, "c1:alice"));
    free_all(&m, &l);
}

static void single_message_sync(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    leaves l = end_sync_expect(&m, 300, 1, 1);
    assert_string_equal(l.items[0].client_id, "bob");
    assert_int_equal(l.items[0].action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_false(m.syncing);
    free_all(&m, &l);
}

static void no_has_presence_clears_members(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:0:0", 100, "a", true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "c2", "c2:0:0", 100, "b", true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "carol", "c3", "c3:0:0", 100, "c", true);
    ably_presence_map_start_sync(&m);
    leaves l = end_sync_expect(&m, 500, 3, 0);
    const char *clients[] = {"alice", "bob", "carol"}, *data[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        const ably_presence_message *leave = leave_of(&l, clients[i]);
        assert_non_null(leave);
        assert_int_equal(leave->action, ABLY_PRESENCE_ACTION_LEAVE);
        assert_string_equal(leave->data.bytes, data[i]);
        assert_null(leave->id);
    }
    free_all(&m, &l);
}

static void leave_during_sync_absent_cleanup(void **state)
{
    (void)state;
    ably_presence_map m;
    alice_and_bob(&m);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    put(&m, ABLY_PRESENCE_ACTION_LEAVE, "bob", "c2", "c2:1:0", 200, NULL, false); /* not emitted */
    assert_non_null(ably_presence_map_get(&m, "c2:bob"));
    assert_int_equal(ably_presence_map_get(&m, "c2:bob")->action, ABLY_PRESENCE_ACTION_ABSENT);
    leaves l = end_sync_expect(&m, 300, 0, 1); /* an ABSENT member goes without a LEAVE */
    assert_null(ably_presence_map_get(&m, "c2:bob"));
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    free_all(&m, &l);
}

static void empty_map_sync_no_leaves(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:0:0", 100);
    leaves l = end_sync_expect(&m, 200, 0, 1);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    free_all(&m, &l);
}

static void endsync_without_startsync_noop(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    ENTER(&m, "alice", "c1", "c1:0:0", 100);
    leaves l = end_sync_expect(&m, 200, 0, 1);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_false(m.syncing);
    free_all(&m, &l);
}

static void stale_sync_removes_from_residuals(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:5:0", 500, "original", true);
    ably_presence_map_start_sync(&m);
    put(&m, ABLY_PRESENCE_ACTION_PRESENT, "alice", "c1", "c1:3:0", 300, "stale", false); /* rejected */
    leaves l = end_sync_expect(&m, 600, 0, 1);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_string_equal(ably_presence_map_get(&m, "c1:alice")->data.bytes, "original");
    free_all(&m, &l);
}

static void presence_echoes_then_sync_preserves(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    char client[3][8], id[3][8], data[3][8];
    for (int i = 0; i < 3; i++) {
        snprintf(client[i], sizeof client[i], "user-%d", i);
        snprintf(id[i], sizeof id[i], "c1:%d:0", i);
        snprintf(data[i], sizeof data[i], "data-%d", i);
        put(&m, ABLY_PRESENCE_ACTION_ENTER, client[i], "c1", id[i], 100, data[i], true);
    }
    assert_int_equal(values_count(&m), 3);
    ably_presence_map_start_sync(&m);
    for (int i = 0; i < 3; i++) /* the same ids again: stale, yet seen */
        put(&m, ABLY_PRESENCE_ACTION_PRESENT, client[i], "c1", id[i], 100, data[i], false);
    leaves l = end_sync_expect(&m, 200, 0, 3);
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "c1:user-%d", i);
        const ably_presence_message *member = ably_presence_map_get(&m, key);
        assert_non_null(member);
        assert_string_equal(member->data.bytes, data[i]);
    }
    free_all(&m, &l);
}

static void new_member_during_sync_survives(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    ENTER(&m, "alice", "c1", "c1:0:0", 100);
    ably_presence_map_start_sync(&m);
    PRESENT(&m, "alice", "c1", "c1:1:0", 200);
    ENTER(&m, "bob", "c2", "c2:0:0", 200);
    leaves l = end_sync_expect(&m, 300, 0, 2);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_non_null(ably_presence_map_get(&m, "c2:bob"));
    free_all(&m, &l);
}

/* ---- the client on the mock WebSocket ---- */

typedef struct {
    int count;
    int action[16];
    char client[16][16];
    char data[16][16];
    bool has_id[16];
    int64_t timestamp[16];
} events;

static void on_event(void *ctx, const ably_presence_message *m)
{
    events *r = ctx;
    if (r->count >= 16)
        return;
    int i = r->count++;
    r->action[i] = (int)m->action;
    snprintf(r->client[i], sizeof r->client[i], "%s", m->client_id ? m->client_id : "");
    snprintf(r->data[i], sizeof r->data[i], "%s", m->data.type == ABLY_DATA_STRING ? m->data.bytes : "");
    r->has_id[i] = m->id != NULL;
    r->timestamp[i] = m->timestamp;
}

static int count_action(const events *r, ably_presence_action action)
{
    int n = 0;
    for (int i = 0; i < r->count; i++)
        n += r->action[i] == (int)action;
    return n;
}

typedef struct {
    int calls;
    size_t count;
    char clients[8][16];
    int action[8];
} members;

static void on_members(void *ctx, const ably_error *err, const ably_presence_message *items, size_t count)
{
    members *r = ctx;
    assert_null(err);
    r->calls++;
    r->count = count;
    for (size_t i = 0; i < count && i < 8; i++) {
        snprintf(r->clients[i], sizeof r->clients[i], "%s", items[i].client_id ? items[i].client_id : "");
        r->action[i] = (int)items[i].action;
    }
}

static bool has_member(const members *r, const char *client_id)
{
    for (size_t i = 0; i < r->count && i < 8; i++)
        if (strcmp(r->clients[i], client_id) == 0)
            return true;
    return false;
}

static members get_now(chan_fx *f, ably_realtime_presence *p)
{
    members r = {0};
    ably_realtime_presence_get(p, false, NULL, NULL, on_members, &r);
    fx_pump(f);
    assert_int_equal(r.calls, 1);
    return r;
}

/* get() lists exactly one member, with this clientId. */
static void assert_only_member(chan_fx *f, ably_realtime_presence *p, const char *client_id)
{
    members got = get_now(f, p);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.clients[0], client_id);
}

/* Attached to "p" on connection conn-1, recording every presence event in *ev. */
static ably_realtime_presence *attached(chan_fx *f, const char *client_id, int64_t flags, events *ev)
{
    fx_init(f);
    f->t.o.client_id = client_id;
    f->attached_flags = flags;
    fx_start(f);
    fx_connect(f);
    ably_realtime_channel *ch = fx_attached(f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    memset(ev, 0, sizeof *ev);
    ably_realtime_presence_subscribe(p, -1, on_event, ev, NULL, NULL);
    fx_pump(f);
    return p;
}

/* A PRESENCE (14) or SYNC (16) frame with one member. */
static void member_frame(chan_fx *f, int frame_action, const char *serial, int action, const char *client,
                         const char *conn, const char *id, int64_t ts)
{
    char json[512], serial_field[64] = "";
    if (serial)
        snprintf(serial_field, sizeof serial_field, "\"channelSerial\":\"%s\",", serial);
    snprintf(json, sizeof json,
             "{\"action\":%d,\"channel\":\"p\",%s\"presence\":[{\"action\":%d,\"clientId\":\"%s\","
             "\"connectionId\":\"%s\",\"id\":\"%s\",\"timestamp\":%lld,\"data\":\"%s-data\"}]}",
             frame_action, serial_field, action, client, conn, id, (long long)ts, client);
    fx_server(f, json);
}

#define PRESENCE_FRAME(f, action, client, conn, id, ts) member_frame(f, 14, NULL, action, client, conn, id, ts)
#define SYNC_FRAME(f, serial, client, conn, id, ts) member_frame(f, 16, serial, 1, client, conn, id, ts)

enum { P_ENTER = 2, P_LEAVE = 3, P_UPDATE = 4 };

/* Subscribers see ENTER, UPDATE and PRESENT as such while get() lists PRESENT. */
static void client_emits_original_actions(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, NULL, 1 /* HAS_PRESENCE */, &ev);
    SYNC_FRAME(&f, "s1:", "a", "c1", "c1:0:0", 10);
    PRESENCE_FRAME(&f, P_ENTER, "b", "c2", "c2:0:0", 10);
    PRESENCE_FRAME(&f, P_UPDATE, "b", "c2", "c2:1:0", 20);
    assert_int_equal(ev.count, 3);
    assert_int_equal(ev.action[0], ABLY_PRESENCE_ACTION_PRESENT);
    assert_int_equal(ev.action[1], ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(ev.action[2], ABLY_PRESENCE_ACTION_UPDATE);
    members got = get_now(&f, p);
    assert_int_equal(got.count, 2);
    assert_int_equal(got.action[0], ABLY_PRESENCE_ACTION_PRESENT);
    assert_int_equal(got.action[1], ABLY_PRESENCE_ACTION_PRESENT);
    /* RTP2h: a LEAVE for someone not in the map changes nothing and is not emitted */
    PRESENCE_FRAME(&f, P_LEAVE, "nobody", "c9", "c9:0:0", 30);
    assert_int_equal(ev.count, 3);
    PRESENCE_FRAME(&f, P_LEAVE, "b", "c2", "c2:2:0", 30);
    assert_int_equal(ev.count, 4); /* RTP2h1a */
    assert_int_equal(ev.action[3], ABLY_PRESENCE_ACTION_LEAVE);
    got = get_now(&f, p);
    assert_int_equal(got.count, 1); /* RTP2h1b */
    assert_false(has_member(&got, "b"));
    fx_free(&f);
}

/* A LEAVE that arrives while a multi-page SYNC runs is held as ABSENT: get() leaves it
 * out, nothing is emitted, and the end of the sync deletes it without an event. */
static void client_leave_during_sync_is_silent(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, NULL, 1, &ev);
    SYNC_FRAME(&f, "s1:page2", "a", "c1", "c1:0:0", 10);
    SYNC_FRAME(&f, "s1:page3", "b", "c2", "c2:0:0", 10);
    assert_false(ably_realtime_presence_sync_complete(p));
    PRESENCE_FRAME(&f, P_LEAVE, "b", "c2", "c2:1:0", 20);
    assert_int_equal(count_action(&ev, ABLY_PRESENCE_ACTION_LEAVE), 0);
    assert_only_member(&f, p, "a");
    /* the last page still lists b (an older state): the ABSENT entry is newer */
    SYNC_FRAME(&f, "s1:", "b", "c2", "c2:0:0", 10);
    assert_true(ably_realtime_presence_sync_complete(p));
    assert_int_equal(count_action(&ev, ABLY_PRESENCE_ACTION_LEAVE), 0);
    assert_only_member(&f, p, "a");
    fx_free(&f);
}

/* Members not seen in a later sync leave with id null and the current time. */
static void client_synthesizes_leaves_after_sync(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, NULL, 1, &ev);
    SYNC_FRAME(&f, "s1:more", "a", "c1", "c1:0:0", 10);
    SYNC_FRAME(&f, "s1:", "b", "c2", "c2:0:0", 10);
    assert_true(ably_realtime_presence_sync_complete(p));
    fx_advance(&f, 5000);
    int64_t now = mock_http_now(f.t.h);
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":1}"); /* a new attach, a new sync */
    ev.count = 0;
    SYNC_FRAME(&f, "s2:", "a", "c1", "c1:0:0", 10);
    assert_int_equal(ev.count, 1);
    assert_int_equal(ev.action[0], ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(ev.client[0], "b");
    assert_string_equal(ev.data[0], "b-data"); /* the member's own attributes */
    assert_false(ev.has_id[0]);
    assert_int_equal(ev.timestamp[0], now);
    assert_only_member(&f, p, "a");
    fx_free(&f);
}

/* RTP18a: a SYNC with a new sequence id discards the sync in flight; RTP18b: pages
 * of one sequence continue it. */
static void client_new_sequence_restarts_sync(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, NULL, 0, &ev);
    PRESENCE_FRAME(&f, P_ENTER, "a", "c1", "c1:0:0", 10);
    PRESENCE_FRAME(&f, P_ENTER, "b", "c2", "c2:0:0", 10);
    ev.count = 0;
    SYNC_FRAME(&f, "s1:x", "a", "c1", "c1:0:0", 10);
    SYNC_FRAME(&f, "s1:y", "b", "c2", "c2:0:0", 10); /* same sequence: a stays seen */
    SYNC_FRAME(&f, "s2:x", "b", "c2", "c2:0:0", 10); /* new sequence: forget the first */
    assert_int_equal(ev.count, 0);
    SYNC_FRAME(&f, "s2:", "b", "c2", "c2:0:0", 10);
    assert_int_equal(ev.count, 1);
    assert_int_equal(ev.action[0], ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(ev.client[0], "a");
    assert_only_member(&f, p, "b");
    fx_free(&f);
}

/* RTP18c: a SYNC without channelSerial is a whole sync. */
static void client_single_message_sync(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, NULL, 0, &ev); /* no sync in progress */
    PRESENCE_FRAME(&f, P_ENTER, "b", "c2", "c2:0:0", 10);
    ev.count = 0;
    SYNC_FRAME(&f, NULL, "a", "c1", "c1:0:0", 10);
    assert_true(ably_realtime_presence_sync_complete(p));
    assert_int_equal(ev.count, 2);
    assert_int_equal(ev.action[0], ABLY_PRESENCE_ACTION_PRESENT);
    assert_int_equal(ev.action[1], ABLY_PRESENCE_ACTION_LEAVE); /* b was not in it */
    assert_string_equal(ev.client[1], "b");
    assert_only_member(&f, p, "a");
    fx_free(&f);
}

/* RTP17b: our own members (connection conn-1) go to the local map, which ignores a
 * synthesized leave but not a real one; what it holds is re-entered on a new attach. */
static void client_local_map_follows_own_members(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    attached(&f, "me", 0, &ev);
    PRESENCE_FRAME(&f, P_ENTER, "me", "conn-1", "conn-1:0:0", 10);
    PRESENCE_FRAME(&f, P_ENTER, "other", "c2", "c2:0:0", 10); /* not ours */
    PRESENCE_FRAME(&f, P_LEAVE, "me", "conn-1", "synthesized-1", 20);
    assert_int_equal(count_action(&ev, ABLY_PRESENCE_ACTION_LEAVE), 1); /* the main map took it */
    size_t sent = mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":0}");
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), sent + 1);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_string_equal(pm->presence[0].client_id, "me");
    /* a member of ours seen in a SYNC counts too; a real leave removes it */
    SYNC_FRAME(&f, NULL, "me2", "conn-1", "conn-1:1:0", 30);
    PRESENCE_FRAME(&f, P_LEAVE, "me", "conn-1", "conn-1:2:0", 40);
    sent = mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":0}");
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), sent + 1);
    pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_string_equal(pm->presence[0].client_id, "me2");
    fx_free(&f);
}

/* RTP5a: DETACHED clears both maps without LEAVE events; after a new attach nobody is
 * listed, nothing leaves and nothing is re-entered. */
static void client_detached_clears_maps_silently(void **state)
{
    (void)state;
    chan_fx f;
    events ev;
    ably_realtime_presence *p = attached(&f, "me", 0, &ev);
    PRESENCE_FRAME(&f, P_ENTER, "me", "conn-1", "conn-1:0:0", 10);
    PRESENCE_FRAME(&f, P_ENTER, "other", "c2", "c2:0:0", 10);
    assert_int_equal(get_now(&f, p).count, 2);
    ably_realtime_channel *ch = fx_channel(&f, "p", NULL); /* the same channel */
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    ev.count = 0;
    size_t sent = mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    fx_attach(&f, ch); /* ATTACHED without HAS_PRESENCE would make any member leave (RTP19a) */
    assert_int_equal(ev.count, 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), sent);
    assert_int_equal(get_now(&f, p).count, 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(startsync_sets_flag, "RTP18a"),
        ABLY_TEST(endsync_clears_flag, "RTP18b"),
        ABLY_TEST(stale_members_leave_after_sync, "RTP19"),
        ABLY_TEST(synth_leave_null_id_timestamp, "RTP19"),
        ABLY_TEST(updated_members_survive_sync, "RTP19"),
        ABLY_TEST(new_sync_discards_previous, "RTP18a"),
        ABLY_TEST(restarted_sync_forgets_seen_members, "RTP18a RTP19"),
        ABLY_TEST(single_message_sync, "RTP18c"),
        ABLY_TEST(no_has_presence_clears_members, "RTP19a"),
        ABLY_TEST(leave_during_sync_absent_cleanup, "RTP2h2a RTP2h2b"),
        ABLY_TEST(empty_map_sync_no_leaves, "RTP19"),
        ABLY_TEST(endsync_without_startsync_noop, "RTP18"),
        ABLY_TEST(stale_sync_removes_from_residuals, "RTP19 RTP2c"),
        ABLY_TEST(presence_echoes_then_sync_preserves, "RTP19"),
        ABLY_TEST(new_member_during_sync_survives, "RTP19"),
        ABLY_TEST(client_emits_original_actions, "RTP2d1 RTP2d2 RTP2h RTP2h1a RTP2h1b"),
        ABLY_TEST(client_leave_during_sync_is_silent, "RTP2h2 RTP2h2a RTP2h2b RTP18b"),
        ABLY_TEST(client_synthesizes_leaves_after_sync, "RTP19 RTP18"),
        ABLY_TEST(client_new_sequence_restarts_sync, "RTP18 RTP18a RTP18b"),
        ABLY_TEST(client_single_message_sync, "RTP18c"),
        ABLY_TEST(client_local_map_follows_own_members, "RTP17b"),
        ABLY_TEST(client_detached_clears_maps_silently, "RTP5a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
