/* Presence and channel state: HAS_PRESENCE, clearing and keeping the maps, queued
 * operations (RTP1, RTP5, RTP13, RTL9, RTL11) and automatic re-entry (RTP17) on the
 * mock WebSocket (uts/realtime/unit/presence/realtime_presence_channel_state.md,
 * realtime_presence_reentry.md). */
#include "test_realtime_presence_fixture.h"

#define SYNC_ALICE_BOB                                                                                         \
    "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":["                            \
    "{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":100},"     \
    "{\"action\":1,\"clientId\":\"bob\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":100}]}"
#define SYNC_ALICE                                                                                             \
    "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":["                            \
    "{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":100}]}"

static ably_realtime_presence *attached(px_fx *x, const char *client_id, int64_t flags, const char *after,
                                        ably_realtime_channel **ch_out)
{
    px_init(x);
    x->f.attached_flags = flags;
    x->after_attached = after;
    px_start(x, client_id);
    ably_realtime_channel *ch = fx_attached(&x->f, "p", NULL);
    if (ch_out)
        *ch_out = ch;
    return ably_realtime_channel_presence(ch);
}

static void get_now(px_fx *x, ably_realtime_presence *p, bool wait, px_get *g)
{
    px_get_clear(g);
    ably_realtime_presence_get(p, wait, NULL, NULL, px_on_get, g);
    fx_pump(&x->f);
}

/* RTP1: after an ATTACHED with these flags (and the SYNC `sync`, if any), get() waits for
 * the sync and lists only `member` (nobody when NULL). */
static void assert_get_after_attach(int64_t flags, const char *sync, const char *member)
{
    px_fx x;
    ably_realtime_presence *p = attached(&x, NULL, flags, sync, NULL);
    px_get g = {0};
    get_now(&x, p, true, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, member ? 1 : 0);
    if (member)
        assert_string_equal(g.items[0].client_id, member);
    assert_true(ably_realtime_presence_sync_complete(p));
    px_done(&x, &g);
}

/* Attached with HAS_PRESENCE and the SYNC `sync`; asserts that get() lists `members`, then
 * records the LEAVE events into *leaves. */
static ably_realtime_presence *synced_watching_leaves(px_fx *x, const char *sync, size_t members,
                                                      ably_realtime_channel **ch, px_get *g, px_events *leaves)
{
    ably_realtime_presence *p = attached(x, NULL, 1, sync, ch);
    memset(g, 0, sizeof *g);
    get_now(x, p, true, g);
    assert_int_equal(g->count, members);
    memset(leaves, 0, sizeof *leaves);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, px_on_event, leaves, NULL, NULL);
    fx_pump(&x->f);
    return p;
}

/* Connected as `client_id`, with channel "p" left ATTACHING (no ATTACHED answer yet). */
static ably_realtime_channel *attaching_channel(px_fx *x, const char *client_id)
{
    px_init(x);
    x->f.auto_attach = false;
    px_start(x, client_id);
    ably_realtime_channel *ch = fx_channel(&x->f, "p", NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&x->f);
    return ch;
}

/* The operation failed, once. */
static void assert_op_failed(const op_result *r)
{
    assert_int_equal(r->calls, 1);
    assert_true(r->code > 0);
}

/* RTP1: HAS_PRESENCE: a SYNC follows and get waits for it. */
static void has_presence_means_a_sync(void **state)
{
    (void)state;
    assert_get_after_attach(1, SYNC_ALICE, "alice");
}

/* RTP1: no HAS_PRESENCE: in sync at once, nobody present. */
static void no_has_presence_means_empty_and_in_sync(void **state)
{
    (void)state;
    assert_get_after_attach(0, NULL, NULL);
}

/* RTP1, RTP19a: a later ATTACHED without HAS_PRESENCE (after a new connection) makes
 * every member leave. */
static void reattach_without_has_presence_clears_members(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    px_get g;
    px_events leaves;
    ably_realtime_presence *p = synced_watching_leaves(&x, SYNC_ALICE_BOB, 2, &ch, &g, &leaves);
    x.f.attached_flags = 0;
    x.after_attached = NULL;
    px_reconnect(&x, "conn-2");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    get_now(&x, p, true, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, 0);
    assert_int_equal(leaves.count, 2);
    bool alice = false, bob = false;
    for (int i = 0; i < leaves.count; i++) {
        alice |= strcmp(leaves.client[i], "alice") == 0;
        bob |= strcmp(leaves.client[i], "bob") == 0;
    }
    assert_true(alice && bob);
    px_done(&x, &g);
}

/* RTP5a: DETACHED clears the map without LEAVE events. */
static void detached_clears_without_leave_events(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    px_get g;
    px_events leaves;
    ably_realtime_presence *p = synced_watching_leaves(&x, SYNC_ALICE, 1, &ch, &g, &leaves);
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(leaves.count, 0);
    /* get reattaches (RTP11e); before any SYNC the map shows what DETACHED left: nothing */
    x.after_attached = NULL;
    get_now(&x, p, false, &g);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    px_assert_got(&g, 0);
    assert_int_equal(leaves.count, 0);
    px_done(&x, &g);
}

/* RTP5a: FAILED too. */
static void failed_clears_without_leave_events(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    px_get g;
    px_events leaves;
    synced_watching_leaves(&x, SYNC_ALICE, 1, &ch, &g, &leaves);
    fx_server(&x.f, "{\"action\":9,\"channel\":\"p\",\"error\":{\"code\":90001,\"statusCode\":400,"
                    "\"message\":\"Channel failed\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(leaves.count, 0);
    px_done(&x, &g);
}

/* RTP5b: queued presence goes out when the channel attaches. */
static void attached_sends_queued_presence(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch = attaching_channel(&x, "my-client");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    op_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "queued", 6);
    ably_realtime_presence_enter(ably_realtime_channel_presence(ch), &d, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\"}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(px_count_presence(&x, 0), 1);
    const ably_protocol_message *pm = px_sent_presence(&x, 0, 0);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(px_data(&pm->presence[0]), "queued");
    fx_free(&x.f);
}

/* RTP5f: SUSPENDED keeps the map; after reattaching and the SYNC only the changes are
 * emitted. */
static void suspended_keeps_the_map(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch = px_short_ttl_client(&x, NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    x.f.attached_flags = 1;
    x.after_attached = SYNC_ALICE_BOB;
    fx_attach(&x.f, ch);
    px_get g = {0};
    get_now(&x, p, true, &g);
    assert_int_equal(g.count, 2);
    x.f.auto_attach = false;
    px_suspend(&x, ch);
    get_now(&x, p, false, &g);
    px_assert_got(&g, 2);
    /* back: alice stayed, bob left, carol came */
    px_events ev = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, NULL, NULL);
    fx_pump(&x.f);
    x.f.auto_attach = true;
    x.after_attached =
        "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq2:\",\"presence\":["
        "{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":100},"
        "{\"action\":1,\"clientId\":\"carol\",\"connectionId\":\"c3\",\"id\":\"c3:0:0\",\"timestamp\":200}]}";
    for (int i = 0; i < 200 && mock_rt_state(&x.f.t) != ABLY_CONN_CONNECTING; i++)
        fx_advance(&x.f, 500);
    size_t n = mock_ws_attempt_count(x.f.t.m);
    mock_rt_accept(&x.f.t, n - 1, mock_ws_connected_json("conn-2", "key-2", 15000, 5000));
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    get_now(&x, p, true, &g);
    assert_int_equal(g.count, 2);
    assert_non_null(px_find(&g, "alice"));
    assert_non_null(px_find(&g, "carol"));
    assert_int_equal(ev.count, 2);
    for (int i = 0; i < ev.count; i++) {
        assert_string_not_equal(ev.client[i], "alice");
        if (strcmp(ev.client[i], "bob") == 0)
            assert_int_equal(ev.action[i], ABLY_PRESENCE_ACTION_LEAVE);
        else
            assert_string_equal(ev.client[i], "carol");
    }
    px_done(&x, &g);
}

/* RTP13 */
static void sync_complete_follows_the_sync(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(
        &x, NULL, 1,
        "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:cursor1\",\"presence\":["
        "{\"action\":1,\"clientId\":\"alice\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":100}]}",
        NULL);
    assert_false(ably_realtime_presence_sync_complete(p));
    fx_server(&x.f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":["
                    "{\"action\":1,\"clientId\":\"bob\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":100}]}");
    assert_true(ably_realtime_presence_sync_complete(p));
    fx_free(&x.f);
}

/* RTL9, RTL9a */
static void channel_presence_attribute(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    fx_start(&x.f);
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    assert_non_null(p);
    assert_ptr_equal(p, ably_realtime_channel_presence(ch));
    ably_realtime_channel *other = fx_channel(&x.f, "q", NULL);
    assert_ptr_not_equal(p, ably_realtime_channel_presence(other));
    fx_free(&x.f);
}

/* RTL11: DETACHED: the operation fails and nothing is sent. */
static void presence_fails_on_detached(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = attached(&x, "my-client", 0, NULL, &ch);
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    op_result e = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "queued-enter", 12);
    ably_realtime_presence_enter(p, &d, fx_on_result, &e);
    fx_pump(&x.f);
    assert_op_failed(&e);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_free(&x.f);
}

/* RTL11: operations queued while ATTACHING fail when the channel becomes SUSPENDED. */
static void queued_presence_fails_on_suspended(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch = px_short_ttl_client(&x, "my-client");
    x.f.auto_attach = false;
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    op_result e = {0}, u = {0};
    ably_data d1 = ably_data_borrow(ABLY_DATA_STRING, "queued-enter", 12);
    ably_data d2 = ably_data_borrow(ABLY_DATA_STRING, "queued-update", 13);
    ably_realtime_presence_enter(p, &d1, fx_on_result, &e);
    ably_realtime_presence_update(p, &d2, fx_on_result, &u);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), 0);
    px_suspend(&x, ch);
    assert_int_equal(px_count_presence(&x, 0), 0);
    assert_op_failed(&e);
    assert_op_failed(&u);
    fx_free(&x.f);
}

/* RTL11: ... and when it becomes FAILED. */
static void queued_presence_fails_on_failed(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch = attaching_channel(&x, "my-client");
    op_result e = {0};
    ably_realtime_presence_enter(ably_realtime_channel_presence(ch), NULL, fx_on_result, &e);
    fx_pump(&x.f);
    assert_int_equal(e.calls, 0);
    fx_server(&x.f, "{\"action\":9,\"channel\":\"p\",\"error\":{\"code\":90001,\"statusCode\":400,"
                    "\"message\":\"Channel failed\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(px_count_presence(&x, 0), 0);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.code, 90001);
    fx_free(&x.f);
}

/* RTL11a: an ACK after the channel detached still completes the operation. */
static void ack_after_detach_still_completes(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = attached(&x, "my-client", 0, NULL, &ch);
    x.reply = PX_SILENT;
    op_result e = {0};
    ably_realtime_presence_enter(p, NULL, fx_on_result, &e);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), 1);
    ably_realtime_channel_detach(ch, NULL, NULL);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(e.calls, 0);
    fx_ack(&x.f, px_sent_presence(&x, 0, 0)->msg_serial, NULL);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.code, 0);
    fx_free(&x.f);
}

/* ---- automatic re-entry (RTP17) ---- */

static ably_realtime_presence *echoing(px_fx *x, const char *client_id, ably_realtime_channel **ch)
{
    ably_realtime_presence *p = attached(x, client_id, 0, NULL, ch);
    x->echo = true;
    x->echo_client = client_id;
    return p;
}

static void enter_ok(px_fx *x, ably_realtime_presence *p, const char *client_id, const char *data)
{
    op_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
    if (client_id)
        ably_realtime_presence_enter_client(p, client_id, &d, fx_on_result, &r);
    else
        ably_realtime_presence_enter(p, &d, fx_on_result, &r);
    fx_pump(&x->f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
}

/* "my-client", attached with echoes on, has entered with data "hello". */
static void entered_hello(px_fx *x, ably_realtime_channel **ch)
{
    enter_ok(x, echoing(x, "my-client", ch), NULL, "hello");
}

/* RTP17i: a new connection's ATTACHED re-enters this client. */
static void reenters_on_attached_after_new_connection(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    entered_hello(&x, &ch);
    assert_int_equal(px_count_presence(&x, 0), 1);
    size_t from = mock_ws_sent_count(x.f.t.m);
    px_reconnect(&x, "conn-2");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_true(px_count_presence(&x, from) >= 1);
    const ably_protocol_message *pm = px_sent_presence(&x, from, 0);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    fx_free(&x.f);
}

/* RTP17g: each local member re-enters with its clientId and data. */
static void reentry_uses_stored_client_id_and_data(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = echoing(&x, "admin", &ch);
    enter_ok(&x, p, "alice", "alice-data");
    enter_ok(&x, p, "bob", "bob-data");
    assert_int_equal(px_count_presence(&x, 0), 2);
    size_t from = mock_ws_sent_count(x.f.t.m);
    px_reconnect(&x, "conn-2");
    size_t n = px_count_presence(&x, from);
    assert_true(n >= 2);
    bool alice = false, bob = false;
    for (size_t i = 0; i < n; i++) {
        const ably_protocol_message *pm = px_sent_presence(&x, from, i);
        for (size_t k = 0; k < pm->presence_count; k++) {
            const ably_presence_message *m = &pm->presence[k];
            assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
            if (m->client_id && strcmp(m->client_id, "alice") == 0) {
                alice = true;
                assert_string_equal(px_data(m), "alice-data");
            } else if (m->client_id && strcmp(m->client_id, "bob") == 0) {
                bob = true;
                assert_string_equal(px_data(m), "bob-data");
            }
        }
    }
    assert_true(alice && bob);
    fx_free(&x.f);
}

/* RTP17g1: no id when the member's connection is not the current one; RTP17g: the id is
 * kept on the same connection. */
static void reentry_omits_id_from_another_connection(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    entered_hello(&x, &ch);
    size_t from = mock_ws_sent_count(x.f.t.m);
    px_reconnect(&x, "conn-2");
    const ably_protocol_message *pm = px_sent_presence(&x, from, 0);
    assert_non_null(pm);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_null(pm->presence[0].id);
    assert_string_equal(px_data(&pm->presence[0]), "hello");
    /* the re-entry was echoed on conn-2: a further reattach keeps that id */
    from = mock_ws_sent_count(x.f.t.m);
    x.echo = false;
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\",\"flags\":0}");
    pm = px_sent_presence(&x, from, 0);
    assert_non_null(pm);
    assert_non_null(pm->presence[0].id);
    assert_true(strncmp(pm->presence[0].id, "conn-2:", 7) == 0);
    fx_free(&x.f);
}

/* RTP17i: no re-entry for a RESUMED ATTACHED on an attached channel. */
static void no_reentry_when_resumed(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    entered_hello(&x, &ch);
    size_t from = mock_ws_sent_count(x.f.t.m);
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\",\"flags\":4}");
    assert_int_equal(px_count_presence(&x, from), 0);
    fx_free(&x.f);
}

/* RTP17i: after a resumed connection the channel reattaches (ATTACHING -> ATTACHED, even
 * with RESUMED): it was not already attached, so members are re-entered, and on the
 * same connection with their id (RTP17g). */
static void reenters_after_resume_reattach(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    entered_hello(&x, &ch);
    size_t from = mock_ws_sent_count(x.f.t.m);
    x.echo = false;
    x.f.attached_flags = 4; /* RESUMED */
    fx_changes changes;
    fx_record(ch, &changes);
    px_reconnect(&x, "conn-1");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_true(changes.count >= 2);
    assert_int_equal(changes.items[changes.count - 1].current, ABLY_CHANNEL_ATTACHED);
    assert_true(changes.items[changes.count - 1].resumed);
    const ably_protocol_message *pm = px_sent_presence(&x, from, 0);
    assert_non_null(pm);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(pm->presence[0].id, "conn-1:0:0"); /* the echo of msgSerial 0 */
    assert_string_equal(px_data(&pm->presence[0]), "hello");
    fx_free(&x.f);
}

typedef struct {
    int count;
    bool resumed;
    int64_t code, cause_code;
    char message[128];
    ably_channel_state current;
} reenter_fail_rec;

static void on_update(void *ctx, const ably_channel_state_change *c)
{
    reenter_fail_rec *r = ctx;
    if (!c->reason || c->reason->code != 91004)
        return;
    r->count++;
    r->resumed = c->resumed;
    r->code = c->reason->code;
    r->cause_code = c->reason->cause ? c->reason->cause->code : 0;
    snprintf(r->message, sizeof r->message, "%s", c->reason->message ? c->reason->message : "");
    r->current = c->current;
}

/* RTP17e: a refused re-entry is reported as a channel UPDATE (91004, cause = the NACK). */
static void failed_reentry_emits_update(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    entered_hello(&x, &ch);
    reenter_fail_rec rec = {0};
    ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_UPDATE, on_update, &rec);
    x.reply = PX_NACK;
    x.nack_code = 40160;
    x.nack_status = 401;
    px_reconnect(&x, "conn-2");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(rec.count, 1);
    assert_true(rec.resumed);
    assert_int_equal(rec.code, 91004);
    assert_non_null(strstr(rec.message, "my-client"));
    assert_int_equal(rec.cause_code, 40160);
    assert_int_equal(rec.current, ABLY_CHANNEL_ATTACHED);
    fx_free(&x.f);
}

/* RTP17a: with presence but no subscribe capability the server still sends this
 * connection's members: they are in the public map and in the local one (which a
 * reattach proves by re-entering them). */
static void own_members_arrive_without_subscribe(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = attached(&x, "my-client", ABLY_CHANNEL_MODE_PRESENCE, NULL, &ch);
    assert_int_equal(ably_realtime_channel_modes(ch), ABLY_CHANNEL_MODE_PRESENCE);
    x.echo = true;
    x.echo_client = "my-client";
    enter_ok(&x, p, NULL, "here");
    px_get g = {0};
    get_now(&x, p, false, &g);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "my-client");
    size_t from = mock_ws_sent_count(x.f.t.m);
    x.echo = false;
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\",\"flags\":65536}");
    const ably_protocol_message *pm = px_sent_presence(&x, from, 0);
    assert_non_null(pm);
    assert_string_equal(pm->presence[0].client_id, "my-client");
    px_done(&x, &g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(has_presence_means_a_sync, "RTP1"),
        ABLY_TEST(no_has_presence_means_empty_and_in_sync, "RTP1"),
        ABLY_TEST(reattach_without_has_presence_clears_members, "RTP1"),
        ABLY_TEST(detached_clears_without_leave_events, "RTP5a"),
        ABLY_TEST(failed_clears_without_leave_events, "RTP5a"),
        ABLY_TEST(attached_sends_queued_presence, "RTP5 RTP5b"),
        ABLY_TEST(suspended_keeps_the_map, "RTP5f"),
        ABLY_TEST(sync_complete_follows_the_sync, "RTP13"),
        ABLY_TEST(channel_presence_attribute, "RTL9 RTL9a"),
        ABLY_TEST(presence_fails_on_detached, "RTL11"),
        ABLY_TEST(queued_presence_fails_on_suspended, "RTL11"),
        ABLY_TEST(queued_presence_fails_on_failed, "RTL11"),
        ABLY_TEST(ack_after_detach_still_completes, "RTL11a"),
        ABLY_TEST(reenters_on_attached_after_new_connection, "RTP17i"),
        ABLY_TEST(reentry_uses_stored_client_id_and_data, "RTP17g"),
        ABLY_TEST(reentry_omits_id_from_another_connection, "RTP17g RTP17g1"),
        ABLY_TEST(no_reentry_when_resumed, "RTP17i"),
        ABLY_TEST(reenters_after_resume_reattach, "RTP17i RTP17g"),
        ABLY_TEST(failed_reentry_emits_update, "RTP17e"),
        ABLY_TEST(own_members_arrive_without_subscribe, "RTP17a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
