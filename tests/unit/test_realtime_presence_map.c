/* The presence map as a data structure (uts/realtime/unit/presence/presence_map.md) and
 * the clientId-keyed local map of RTP17 (uts/realtime/unit/presence/local_presence_map.md),
 * driven through the internal API in realtime/presence_map.h. */
#include <stdint.h>
#include <string.h>

#include "ably_test.h"
#include "realtime/presence_map.h"

/* A message with borrowed strings: the map copies what it keeps. */
static ably_presence_message msg_of(ably_presence_action action, const char *client_id, const char *connection_id,
                                    const char *id, int64_t timestamp, const char *data)
{
    ably_presence_message m;
    ably_presence_message_init(&m);
    m.action = action;
    m.has_action = true;
    m.client_id = (char *)(uintptr_t)client_id;
    m.connection_id = (char *)(uintptr_t)connection_id;
    m.id = (char *)(uintptr_t)id;
    m.timestamp = timestamp;
    m.has_timestamp = true;
    if (data) {
        m.data.type = ABLY_DATA_STRING;
        m.data.bytes = (char *)(uintptr_t)data;
        m.data.len = strlen(data);
    }
    return m;
}

static bool put(ably_presence_map *m, ably_presence_action action, const char *client_id, const char *connection_id,
                const char *id, int64_t timestamp, const char *data)
{
    ably_presence_message msg = msg_of(action, client_id, connection_id, id, timestamp, data);
    return ably_presence_map_put(m, &msg);
}

static bool leave(ably_presence_map *m, const char *client_id, const char *connection_id, const char *id,
                  int64_t timestamp)
{
    ably_presence_message msg = msg_of(ABLY_PRESENCE_ACTION_LEAVE, client_id, connection_id, id, timestamp, NULL);
    return ably_presence_map_remove(m, &msg);
}

static const char *data_of(const ably_presence_message *m)
{
    assert_non_null(m);
    return m->data.type == ABLY_DATA_STRING ? m->data.bytes : "";
}

static size_t values_count(const ably_presence_map *m) { return ably_presence_map_values(m, NULL, 0); }

/* The key of client-1 on conn-1 in a memberKey map, or in a local (clientId) map. */
static const char *client1_key(bool local) { return local ? "client-1" : "conn-1:client-1"; }

/* client-1 on conn-1 is the map's only member, stored as PRESENT with this data. */
static void assert_only_present(const ably_presence_map *m, bool local, const char *data)
{
    const ably_presence_message *got = ably_presence_map_get(m, client1_key(local));
    assert_non_null(got);
    assert_int_equal(got->action, ABLY_PRESENCE_ACTION_PRESENT);
    assert_string_equal(data_of(got), data ? data : "");
    assert_int_equal(values_count(m), 1);
}

/* One `action` message for client-1 into an empty map is stored as PRESENT (RTP2d2, RTP17b). */
static void assert_put_stored_as_present(bool local, ably_presence_action action, const char *data)
{
    ably_presence_map m;
    ably_presence_map_init(&m, local);
    put(&m, action, "client-1", "conn-1", "conn-1:0:0", 1000, data);
    assert_only_present(&m, local, data);
    ably_presence_map_free(&m);
}

/* `first` then a newer `second` for client-1: the second is stored, as PRESENT. */
static void assert_second_put_wins(bool local, ably_presence_action first, const char *first_data,
                                   ably_presence_action second, const char *second_data)
{
    ably_presence_map m;
    ably_presence_map_init(&m, local);
    put(&m, first, "client-1", "conn-1", "conn-1:0:0", 1000, first_data);
    put(&m, second, "client-1", "conn-1", "conn-1:1:0", 2000, second_data);
    assert_only_present(&m, local, second_data);
    ably_presence_map_free(&m);
}

/* One message of a newness case (RTP2b): its id, timestamp and data. */
typedef struct {
    const char *id;
    int64_t timestamp;
    const char *data;
} newness_msg;

/* Puts `first` (ENTER, or PRESENT during a sync), then `stale` (when its id is set), which
 * must be refused and leave `first` in place, then `newer`, which must replace it. */
static void assert_newness(bool during_sync, newness_msg first, newness_msg stale, newness_msg newer)
{
    ably_presence_action later = during_sync ? ABLY_PRESENCE_ACTION_PRESENT : ABLY_PRESENCE_ACTION_UPDATE;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    if (during_sync)
        ably_presence_map_start_sync(&m);
    put(&m, during_sync ? ABLY_PRESENCE_ACTION_PRESENT : ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", first.id,
        first.timestamp, first.data);
    if (stale.id) {
        assert_false(put(&m, later, "client-1", "conn-1", stale.id, stale.timestamp, stale.data));
        assert_string_equal(data_of(ably_presence_map_get(&m, "conn-1:client-1")), first.data);
    }
    assert_true(put(&m, later, "client-1", "conn-1", newer.id, newer.timestamp, newer.data));
    assert_string_equal(data_of(ably_presence_map_get(&m, "conn-1:client-1")), newer.data);
    ably_presence_map_free(&m);
}

/* ---- presence_map.md ---- */

/* A test that is one call of the table helpers above. */
#define CASE(name, call)                                                                                         \
    static void name(void **state)                                                                             \
    {                                                                                                          \
        (void)state;                                                                                           \
        call;                                                                                                  \
    }

static void basic_put_and_get(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    assert_true(put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, NULL));
    const ably_presence_message *got = ably_presence_map_get(&m, "conn-1:client-1");
    assert_non_null(got);
    assert_string_equal(got->client_id, "client-1");
    assert_string_equal(got->connection_id, "conn-1");
    ably_presence_map_free(&m);
}

CASE(enter_stored_as_present, assert_put_stored_as_present(false, ABLY_PRESENCE_ACTION_ENTER, "entered"))

CASE(update_stored_as_present,
     assert_second_put_wins(false, ABLY_PRESENCE_ACTION_ENTER, "initial", ABLY_PRESENCE_ACTION_UPDATE, "updated"))

CASE(present_stored_as_present, assert_put_stored_as_present(false, ABLY_PRESENCE_ACTION_PRESENT, NULL))

/* put() answers "emit the incoming message as it is": its action stays the original
 * one while the stored copy says PRESENT. */
static void put_returns_original_action(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    ably_presence_message enter = msg_of(ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, NULL);
    assert_true(ably_presence_map_put(&m, &enter));
    assert_int_equal(enter.action, ABLY_PRESENCE_ACTION_ENTER);
    ably_presence_message update =
        msg_of(ABLY_PRESENCE_ACTION_UPDATE, "client-1", "conn-1", "conn-1:1:0", 2000, "updated");
    assert_true(ably_presence_map_put(&m, &update));
    assert_int_equal(update.action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_int_equal(ably_presence_map_get(&m, "conn-1:client-1")->action, ABLY_PRESENCE_ACTION_PRESENT);
    ably_presence_map_free(&m);
}

static void leave_outside_sync_removes(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, NULL);
    ably_presence_message msg = msg_of(ABLY_PRESENCE_ACTION_LEAVE, "client-1", "conn-1", "conn-1:1:0", 2000, NULL);
    assert_true(ably_presence_map_remove(&m, &msg)); /* RTP2h1a: emitted */
    assert_int_equal(msg.action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_null(ably_presence_map_get(&m, "conn-1:client-1")); /* RTP2h1b */
    assert_int_equal(values_count(&m), 0);
    ably_presence_map_free(&m);
}

static void leave_nonexistent_returns_null(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    assert_false(leave(&m, "unknown", "conn-x", "conn-x:0:0", 1000));
    assert_int_equal(m.count, 0);
    ably_presence_map_free(&m);
}

static void leave_during_sync_stores_absent(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, NULL);
    ably_presence_map_start_sync(&m);
    assert_false(leave(&m, "client-1", "conn-1", "conn-1:1:0", 2000)); /* nothing emitted */
    const ably_presence_message *stored = ably_presence_map_get(&m, "conn-1:client-1");
    assert_non_null(stored);
    assert_int_equal(stored->action, ABLY_PRESENCE_ACTION_ABSENT);
    ably_presence_map_free(&m);
}

static void absent_deleted_on_endsync(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "c2", "c2:0:0", 100, NULL);
    ably_presence_map_start_sync(&m);
    put(&m, ABLY_PRESENCE_ACTION_PRESENT, "alice", "c1", "c1:1:0", 200, NULL);
    leave(&m, "bob", "c2", "c2:1:0", 200);
    ably_presence_message *leaves;
    size_t n = ably_presence_map_end_sync(&m, 300, &leaves);
    assert_int_equal(n, 0); /* no events beyond RTP19's */
    assert_null(ably_presence_map_get(&m, "c2:bob"));
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_int_equal(ably_presence_map_get(&m, "c1:alice")->action, ABLY_PRESENCE_ACTION_PRESENT);
    assert_int_equal(values_count(&m), 1);
    ably_presence_map_free(&m);
}

static void newness_by_msgserial_index(void **state)
{
    (void)state;
    /* the newer one is newer by serial although older by timestamp */
    assert_newness(false, (newness_msg){"conn-1:5:0", 1000, "first"}, (newness_msg){"conn-1:3:0", 2000, "stale"},
                   (newness_msg){"conn-1:7:0", 500, "newer"});
}

CASE(newness_by_index_same_serial,
     assert_newness(false, (newness_msg){"conn-1:5:2", 1000, "index-2"}, (newness_msg){"conn-1:5:1", 2000, "index-1"},
                    (newness_msg){"conn-1:5:5", 500, "index-5"}))

static void newness_by_timestamp(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, "entered");
    ably_presence_message synth =
        msg_of(ABLY_PRESENCE_ACTION_LEAVE, "client-1", "conn-1", "synthesized-leave-id", 2000, NULL);
    assert_true(ably_presence_map_is_synthesized(&synth));
    assert_true(ably_presence_map_remove(&m, &synth)); /* 2000 > 1000 */
    assert_int_equal(synth.action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_null(ably_presence_map_get(&m, "conn-1:client-1"));
    ably_presence_map_free(&m);
}

static void older_synth_leave_rejected(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 5000, "entered");
    assert_false(leave(&m, "client-1", "conn-1", "synthesized-leave-id", 3000));
    assert_non_null(ably_presence_map_get(&m, "conn-1:client-1"));
    assert_string_equal(data_of(ably_presence_map_get(&m, "conn-1:client-1")), "entered");
    ably_presence_map_free(&m);
}

CASE(equal_timestamps_incoming_wins,
     assert_newness(false, (newness_msg){"synthesized-id-1", 1000, "first"}, (newness_msg){0},
                    (newness_msg){"synthesized-id-2", 1000, "second"}))

CASE(sync_uses_same_newness,
     assert_newness(true, (newness_msg){"conn-1:5:0", 1000, "sync-first"},
                    (newness_msg){"conn-1:3:0", 2000, "sync-stale"}, (newness_msg){"conn-1:8:0", 500, "sync-newer"}))

static void multiple_members_coexist(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "c2", "c2:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c3", "c3:0:0", 100, NULL);
    assert_int_equal(values_count(&m), 3);
    assert_non_null(ably_presence_map_get(&m, "c1:alice"));
    assert_non_null(ably_presence_map_get(&m, "c2:bob"));
    assert_non_null(ably_presence_map_get(&m, "c3:alice"));
    ably_presence_map_free(&m);
}

static void values_excludes_absent(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "c2", "c2:0:0", 100, NULL);
    ably_presence_map_start_sync(&m);
    leave(&m, "bob", "c2", "c2:1:0", 200);
    assert_non_null(ably_presence_map_get(&m, "c2:bob"));
    assert_int_equal(ably_presence_map_get(&m, "c2:bob")->action, ABLY_PRESENCE_ACTION_ABSENT);
    const ably_presence_message *members[4];
    assert_int_equal(ably_presence_map_values(&m, members, 4), 1);
    assert_string_equal(members[0]->client_id, "alice");
    ably_presence_map_free(&m);
}

static void clear_resets_state(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, false);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "c1", "c1:0:0", 100, NULL);
    ably_presence_map_start_sync(&m);
    ably_presence_map_clear(&m);
    assert_int_equal(values_count(&m), 0);
    assert_null(ably_presence_map_get(&m, "c1:alice"));
    assert_false(m.syncing);
    ably_presence_map_free(&m);
}

/* ---- local_presence_map.md (RTP17) ---- */

static void local_keyed_by_clientid(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "user-1", "conn-A", "conn-A:0:0", 1000, "first");
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "user-1", "conn-B", "conn-B:0:0", 2000, "second");
    assert_int_equal(values_count(&m), 1);
    const ably_presence_message *got = ably_presence_map_get(&m, "user-1");
    assert_non_null(got);
    assert_string_equal(data_of(got), "second");
    assert_string_equal(got->connection_id, "conn-B");
    ably_presence_map_free(&m);
}

CASE(local_enter_adds, assert_put_stored_as_present(true, ABLY_PRESENCE_ACTION_ENTER, "hello"))

CASE(local_update_adds, assert_put_stored_as_present(true, ABLY_PRESENCE_ACTION_UPDATE, "from-update"))

CASE(local_enter_overwrites_enter,
     assert_second_put_wins(true, ABLY_PRESENCE_ACTION_ENTER, "first", ABLY_PRESENCE_ACTION_ENTER, "second"))

CASE(local_update_overwrites_enter,
     assert_second_put_wins(true, ABLY_PRESENCE_ACTION_ENTER, "initial", ABLY_PRESENCE_ACTION_UPDATE, "updated"))

CASE(local_present_adds, assert_put_stored_as_present(true, ABLY_PRESENCE_ACTION_PRESENT, "present"))

static void local_non_synthesized_leave_removes(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, NULL);
    assert_non_null(ably_presence_map_get(&m, "client-1"));
    assert_true(leave(&m, "client-1", "conn-1", "conn-1:1:0", 2000));
    assert_null(ably_presence_map_get(&m, "client-1"));
    assert_int_equal(values_count(&m), 0);
    ably_presence_map_free(&m);
}

static void local_synthesized_leave_ignored(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "client-1", "conn-1", "conn-1:0:0", 1000, "entered");
    assert_false(leave(&m, "client-1", "conn-1", "synthesized-leave-id", 2000));
    assert_non_null(ably_presence_map_get(&m, "client-1"));
    assert_string_equal(data_of(ably_presence_map_get(&m, "client-1")), "entered");
    assert_int_equal(values_count(&m), 1);
    ably_presence_map_free(&m);
}

static void local_multiple_clientids_coexist(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "conn-1", "conn-1:0:0", 100, "alice-data");
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "conn-1", "conn-1:0:1", 100, "bob-data");
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "carol", "conn-1", "conn-1:0:2", 100, "carol-data");
    assert_int_equal(values_count(&m), 3);
    assert_string_equal(data_of(ably_presence_map_get(&m, "alice")), "alice-data");
    assert_string_equal(data_of(ably_presence_map_get(&m, "bob")), "bob-data");
    assert_string_equal(data_of(ably_presence_map_get(&m, "carol")), "carol-data");
    ably_presence_map_free(&m);
}

static void local_remove_one_of_multiple(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "conn-1", "conn-1:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "conn-1", "conn-1:0:1", 100, NULL);
    leave(&m, "alice", "conn-1", "conn-1:1:0", 200);
    assert_null(ably_presence_map_get(&m, "alice"));
    assert_non_null(ably_presence_map_get(&m, "bob"));
    assert_int_equal(values_count(&m), 1);
    ably_presence_map_free(&m);
}

static void local_clear_resets_state(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "conn-1", "conn-1:0:0", 100, NULL);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "bob", "conn-1", "conn-1:0:1", 100, NULL);
    assert_int_equal(values_count(&m), 2);
    ably_presence_map_clear(&m);
    assert_int_equal(values_count(&m), 0);
    assert_null(ably_presence_map_get(&m, "alice"));
    assert_null(ably_presence_map_get(&m, "bob"));
    ably_presence_map_free(&m);
}

static void local_get_null_unknown_clientid(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    assert_null(ably_presence_map_get(&m, "nonexistent"));
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "conn-1", "conn-1:0:0", 100, NULL);
    assert_null(ably_presence_map_get(&m, "nonexistent"));
    assert_null(ably_presence_map_get(&m, "conn-1:alice")); /* not keyed by memberKey */
    ably_presence_map_free(&m);
}

static void local_remove_unknown_noop(void **state)
{
    (void)state;
    ably_presence_map m;
    ably_presence_map_init(&m, true);
    put(&m, ABLY_PRESENCE_ACTION_ENTER, "alice", "conn-1", "conn-1:0:0", 100, NULL);
    assert_false(leave(&m, "nonexistent", "conn-1", "conn-1:1:0", 200));
    assert_non_null(ably_presence_map_get(&m, "alice"));
    assert_int_equal(values_count(&m), 1);
    ably_presence_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(basic_put_and_get, "RTP2"),
        ABLY_TEST(enter_stored_as_present, "RTP2d RTP2d2"),
        ABLY_TEST(update_stored_as_present, "RTP2d RTP2d2"),
        ABLY_TEST(present_stored_as_present, "RTP2d2"),
        ABLY_TEST(put_returns_original_action, "RTP2d1"),
        ABLY_TEST(leave_outside_sync_removes, "RTP2h RTP2h1 RTP2h1a RTP2h1b"),
        ABLY_TEST(leave_nonexistent_returns_null, "RTP2h RTP2h1"),
        ABLY_TEST(leave_during_sync_stores_absent, "RTP2h2 RTP2h2a"),
        ABLY_TEST(absent_deleted_on_endsync, "RTP2h2 RTP2h2b"),
        ABLY_TEST(newness_by_msgserial_index, "RTP2a RTP2b RTP2b2"),
        ABLY_TEST(newness_by_index_same_serial, "RTP2b RTP2b2"),
        ABLY_TEST(newness_by_timestamp, "RTP2b RTP2b1"),
        ABLY_TEST(older_synth_leave_rejected, "RTP2a RTP2b1"),
        ABLY_TEST(equal_timestamps_incoming_wins, "RTP2b1a"),
        ABLY_TEST(sync_uses_same_newness, "RTP2c"),
        ABLY_TEST(multiple_members_coexist, "RTP2"),
        ABLY_TEST(values_excludes_absent, "RTP2"),
        ABLY_TEST(clear_resets_state, "RTP2"),
        ABLY_TEST(local_keyed_by_clientid, "RTP17h"),
        ABLY_TEST(local_enter_adds, "RTP17b"),
        ABLY_TEST(local_update_adds, "RTP17b"),
        ABLY_TEST(local_enter_overwrites_enter, "RTP17b"),
        ABLY_TEST(local_update_overwrites_enter, "RTP17b"),
        ABLY_TEST(local_present_adds, "RTP17b"),
        ABLY_TEST(local_non_synthesized_leave_removes, "RTP17b"),
        ABLY_TEST(local_synthesized_leave_ignored, "RTP17b"),
        ABLY_TEST(local_multiple_clientids_coexist, "RTP17"),
        ABLY_TEST(local_remove_one_of_multiple, "RTP17"),
        ABLY_TEST(local_clear_resets_state, "RTP17"),
        ABLY_TEST(local_get_null_unknown_clientid, "RTP17"),
        ABLY_TEST(local_remove_unknown_noop, "RTP17"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
