/* Realtime presence on the mock WebSocket (uts/realtime/unit/presence/{presence_map,
 * presence_sync,realtime_presence_enter,realtime_presence_get,
 * realtime_presence_subscribe,realtime_presence_reentry,
 * realtime_presence_channel_state}.md). */
#include "test_realtime_channel_fixture.h"

typedef struct {
    int count;
    int action[16];
    char client[16][32];
} pres_rec;

static void on_presence(void *ctx, const ably_presence_message *m)
{
    pres_rec *r = ctx;
    if (r->count < 16) {
        r->action[r->count] = (int)m->action;
        snprintf(r->client[r->count], sizeof r->client[0], "%s", m->client_id ? m->client_id : "");
        r->count++;
    }
}

typedef struct {
    int calls;
    int64_t code;
    size_t count;
    char first[32];
} get_rec;

static void on_get(void *ctx, const ably_error *err, const ably_presence_message *members, size_t count)
{
    get_rec *r = ctx;
    r->calls++;
    r->code = err ? err->code : 0;
    r->count = count;
    if (count)
        snprintf(r->first, sizeof r->first, "%s", members[0].client_id ? members[0].client_id : "");
}

static ably_realtime_presence *attached_presence(chan_fx *f, const char *client_id, int64_t flags)
{
    fx_init(f);
    f->t.o.client_id = client_id;
    f->attached_flags = flags;
    fx_start(f);
    fx_connect(f);
    ably_realtime_channel *ch = fx_attached(f, "p", NULL);
    return ably_realtime_channel_presence(ch);
}

static void presence_events_follow_newness_rules(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_presence *p = attached_presence(&f, NULL, 0);
    pres_rec all = {0}, leaves = {0};
    ably_realtime_presence_subscribe(p, -1, on_presence, &all, NULL, NULL);
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, on_presence, &leaves, NULL, NULL); /* RTP6b */
    fx_pump(&f);
    fx_server(&f, "{\"action\":14,\"channel\":\"p\",\"presence\":[{\"action\":2,\"clientId\":\"a\",\"connectionId\":\"c1\","
                  "\"id\":\"c1:5:0\",\"timestamp\":10}]}");
    /* older by msgSerial: ignored (RTP2b2) */
    fx_server(&f, "{\"action\":14,\"channel\":\"p\",\"presence\":[{\"action\":4,\"clientId\":\"a\",\"connectionId\":\"c1\","
                  "\"id\":\"c1:4:0\",\"timestamp\":20}]}");
    assert_int_equal(all.count, 1);
    /* newer: an UPDATE */
    fx_server(&f, "{\"action\":14,\"channel\":\"p\",\"presence\":[{\"action\":4,\"clientId\":\"a\",\"connectionId\":\"c1\","
                  "\"id\":\"c1:5:1\",\"timestamp\":5}]}");
    assert_int_equal(all.count, 2);
    assert_int_equal(all.action[1], ABLY_PRESENCE_ACTION_UPDATE);
    get_rec g = {0};
    ably_realtime_presence_get(p, false, NULL, NULL, on_get, &g);
    fx_pump(&f);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.first, "a");
    fx_server(&f, "{\"action\":14,\"channel\":\"p\",\"presence\":[{\"action\":3,\"clientId\":\"a\",\"connectionId\":\"c1\","
                  "\"id\":\"c1:6:0\",\"timestamp\":30}]}");
    assert_int_equal(leaves.count, 1); /* RTP2h1 */
    ably_realtime_presence_get(p, false, NULL, NULL, on_get, &g);
    fx_pump(&f);
    assert_int_equal(g.count, 0);
    fx_free(&f);
}

static void sync_removes_members_not_seen(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_presence *p = attached_presence(&f, NULL, 1 /* HAS_PRESENCE */);
    assert_false(ably_realtime_presence_sync_complete(p));
    pres_rec all = {0};
    ably_realtime_presence_subscribe(p, -1, on_presence, &all, NULL, NULL);
    get_rec g = {0};
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, &g); /* RTP11c1: waits */
    fx_pump(&f);
    assert_int_equal(g.calls, 0);
    fx_server(&f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:cur1\",\"presence\":["
                  "{\"action\":1,\"clientId\":\"a\",\"connectionId\":\"c1\",\"id\":\"c1:0:0\",\"timestamp\":1},"
                  "{\"action\":1,\"clientId\":\"b\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":1}]}");
    assert_int_equal(g.calls, 0);
    fx_server(&f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":["
                  "{\"action\":1,\"clientId\":\"c\",\"connectionId\":\"c3\",\"id\":\"c3:0:0\",\"timestamp\":1}]}");
    assert_int_equal(g.calls, 1); /* RTP18b */
    assert_int_equal(g.count, 3);
    assert_true(ably_realtime_presence_sync_complete(p));
    /* a second sync (after a non-resumed ATTACHED) in which only "b" remains */
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":1}");
    all.count = 0;
    fx_server(&f, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq2:\",\"presence\":["
                  "{\"action\":1,\"clientId\":\"b\",\"connectionId\":\"c2\",\"id\":\"c2:0:0\",\"timestamp\":1}]}");
    int leaves = 0;
    for (int i = 0; i < all.count; i++)
        leaves += all.action[i] == ABLY_PRESENCE_ACTION_LEAVE;
    assert_int_equal(leaves, 2); /* RTP19 */
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, &g);
    fx_pump(&f);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.first, "b");
    /* RTP19a: ATTACHED without HAS_PRESENCE empties the map */
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":0}");
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, &g);
    fx_pump(&f);
    assert_int_equal(g.count, 0);
    fx_free(&f);
}

static void enter_is_sent_and_acked(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_presence *p = attached_presence(&f, "me", 0);
    op_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "hello", 5);
    ably_realtime_presence_enter(p, &d, fx_on_result, &r);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_non_null(pm);
    assert_string_equal(pm->channel, "p");
    assert_int_equal(pm->presence_count, 1);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_null(pm->presence[0].client_id); /* RTP8c: the connection's clientId applies */
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    ably_realtime_presence_leave_client(p, "other", NULL, NULL, NULL); /* RTP15 */
    fx_pump(&f);
    pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(pm->presence[0].client_id, "other");
    fx_free(&f);
}

static void enter_needs_client_id_and_usable_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    op_result r = {0};
    ably_realtime_presence_enter(p, NULL, fx_on_result, &r);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 91000); /* RTP8j */
    fx_attach(&f, ch);
    fx_server(&f, "{\"action\":9,\"channel\":\"p\",\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    op_result r2 = {0};
    ably_realtime_presence_enter_client(p, "x", NULL, fx_on_result, &r2);
    fx_pump(&f);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.code, 91001); /* RTP16c */
    fx_free(&f);
}

static void enter_while_attaching_is_queued_then_sent(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    f.t.o.client_id = "me";
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    op_result r = {0};
    ably_realtime_presence_enter(p, NULL, fx_on_result, &r); /* RTP8d: attaches */
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), 0); /* RTP16b */
    fx_server(&f, "{\"action\":11,\"channel\":\"p\"}");
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), 1);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    fx_free(&f);
}

static void local_members_reenter_after_reattach(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_presence *p = attached_presence(&f, "me", 0);
    ably_realtime_presence_enter(p, NULL, NULL, NULL);
    fx_pump(&f);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    /* the server echoes our ENTER (connectionId conn-1 is ours) */
    fx_server(&f, "{\"action\":14,\"channel\":\"p\",\"id\":\"conn-1:0\",\"connectionId\":\"conn-1\",\"timestamp\":5,"
                  "\"presence\":[{\"action\":2,\"clientId\":\"me\",\"data\":\"d\"}]}");
    size_t before = mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    fx_server(&f, "{\"action\":11,\"channel\":\"p\",\"flags\":0}"); /* continuity lost: RTL12 UPDATE */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE), before + 1); /* RTP17i */
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(pm->presence[0].client_id, "me");
    assert_string_equal(pm->presence[0].id, "conn-1:0:0"); /* RTP17g */
    fx_free(&f);
}

static void get_fails_on_detached_and_suspended(void **state)
{
    (void)state;
    chan_fx f;
    ably_realtime_presence *p = attached_presence(&f, NULL, 0);
    f.auto_attach = false;
    fx_server(&f, "{\"action\":13,\"channel\":\"p\"}");
    fx_server(&f, "{\"action\":13,\"channel\":\"p\"}"); /* ATTACHING -> SUSPENDED */
    get_rec g = {0};
    ably_realtime_presence_get(p, true, NULL, NULL, on_get, &g);
    fx_pump(&f);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 91005); /* RTP11d */
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(presence_events_follow_newness_rules, "RTP2 RTP2a RTP2b2 RTP2d RTP2h1 RTP6a RTP6b RTP11c"),
        ABLY_TEST(sync_removes_members_not_seen, "RTP18a RTP18b RTP19 RTP19a RTP11c1 RTP13 RTP1"),
        ABLY_TEST(enter_is_sent_and_acked, "RTP8 RTP8a RTP8c RTP10 RTP15 RTP14 RSA7a1"),
        ABLY_TEST(enter_needs_client_id_and_usable_channel, "RTP8j RTP16c"),
        ABLY_TEST(enter_while_attaching_is_queued_then_sent, "RTP8d RTP16b"),
        ABLY_TEST(local_members_reenter_after_reattach, "RTP17 RTP17g RTP17i"),
        ABLY_TEST(get_fails_on_detached_and_suspended, "RTP11d"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
