/* RealtimePresence enter / update / leave and the *Client forms on the mock WebSocket
 * (uts/realtime/unit/presence/realtime_presence_enter.md). */
#include "test_realtime_presence_fixture.h"

/* Connected as conn-1 with `client_id`, channel "p" attached (no HAS_PRESENCE). */
static ably_realtime_presence *attached(px_fx *x, const char *client_id, ably_realtime_channel **ch_out)
{
    px_init(x);
    px_start(x, client_id);
    ably_realtime_channel *ch = fx_attached(&x->f, "p", NULL);
    if (ch_out)
        *ch_out = ch;
    return ably_realtime_channel_presence(ch);
}

typedef void (*self_op)(ably_realtime_presence *, const ably_data *, ably_channel_result_fn, void *);
typedef void (*client_op)(ably_realtime_presence *, const char *, const ably_data *, ably_channel_result_fn,
                          void *);

/* Runs one operation and pumps until its callback ran; returns its error code (0: ok). */
static int64_t run_self(px_fx *x, self_op op, ably_realtime_presence *p, const char *data)
{
    op_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data ? data : "", data ? strlen(data) : 0);
    op(p, data ? &d : NULL, fx_on_result, &r);
    fx_pump(&x->f);
    assert_int_equal(r.calls, 1);
    return r.code;
}

static int64_t run_client(px_fx *x, client_op op, ably_realtime_presence *p, const char *client_id,
                          const char *data)
{
    op_result r = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data ? data : "", data ? strlen(data) : 0);
    op(p, client_id, data ? &d : NULL, fx_on_result, &r);
    fx_pump(&x->f);
    assert_int_equal(r.calls, 1);
    return r.code;
}

static const ably_presence_message *only_presence(px_fx *x, size_t from, size_t i)
{
    const ably_protocol_message *pm = px_sent_presence(x, from, i);
    assert_non_null(pm);
    assert_int_equal(pm->presence_count, 1);
    return &pm->presence[0];
}

/* RTP8a, RTP8c */
static void enter_sends_enter_without_client_id(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 0);
    assert_int_equal(px_count_presence(&x, 0), 1);
    const ably_protocol_message *pm = px_sent_presence(&x, 0, 0);
    assert_int_equal(pm->action, ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE);
    assert_string_equal(pm->channel, "p");
    assert_int_equal(pm->presence_count, 1);
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_null(pm->presence[0].client_id); /* RTP8c */
    fx_free(&x.f);
}

/* RTP8e: data is encoded on the way out and decoded on the way in. */
static void enter_with_data_is_encoded_and_decoded(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, "hello world"), 0);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(px_data(m), "hello world");
    /* a JSON object goes out with encoding "json" and comes back as JSON */
    x.echo = true;
    x.echo_client = "my-client";
    px_events ev = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, NULL, NULL);
    const char *obj = "{\"mood\":\"ok\"}";
    ably_data d = ably_data_borrow(ABLY_DATA_JSON, obj, strlen(obj));
    op_result r = {0};
    ably_realtime_presence_update(p, &d, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.code, 0);
    m = only_presence(&x, 0, 1);
    assert_non_null(m->encoding);
    assert_string_equal(m->encoding, "json");
    assert_string_equal(px_data(m), obj);
    assert_int_equal(ev.count, 1);
    assert_string_equal(ev.data[0], obj);
    px_get g = {0};
    ably_realtime_presence_get(p, false, "my-client", NULL, px_on_get, &g);
    fx_pump(&x.f);
    assert_int_equal(g.count, 1);
    assert_int_equal(g.items[0].data.type, ABLY_DATA_JSON);
    assert_null(g.items[0].encoding);
    px_get_clear(&g);
    fx_free(&x.f);
}

/* RTP8e: extras go out with the data and come back in the events; the general form
 * also does what the *Client forms do. */
static void enter_with_extras(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    x.echo = true;
    x.echo_client = "my-client";
    px_events ev = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, NULL, NULL);
    const char *extras = "{\"headers\":{\"k\":\"v\"}}";
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "with-extras", 11);
    op_result r = {0};
    ably_realtime_presence_send(p, ABLY_PRESENCE_ACTION_ENTER, NULL, &d, extras, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_null(m->client_id);
    assert_string_equal(px_data(m), "with-extras");
    assert_non_null(m->extras);
    assert_non_null(strstr(m->extras, "\"k\""));
    px_get g = {0};
    ably_realtime_presence_get(p, false, NULL, NULL, px_on_get, &g);
    fx_pump(&x.f);
    assert_int_equal(ev.count, 1);
    assert_int_equal(g.count, 1);
    assert_non_null(g.items[0].extras);
    assert_non_null(strstr(g.items[0].extras, "\"headers\""));
    px_get_clear(&g);
    /* on behalf of another client; only ENTER / UPDATE / LEAVE are accepted */
    x.echo = false;
    ably_realtime_presence_send(p, ABLY_PRESENCE_ACTION_UPDATE, "other", NULL, NULL, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.code, 0);
    m = only_presence(&x, 0, 1);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_string_equal(m->client_id, "other");
    assert_null(m->extras);
    ably_realtime_presence_send(p, ABLY_PRESENCE_ACTION_PRESENT, NULL, NULL, NULL, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.code, 40000);
    assert_int_equal(px_count_presence(&x, 0), 2);
    fx_free(&x.f);
}

/* RTP8b, RTP9c, RTP10b, RTP14b, RTP15d: every form reports success (ACK) and failure
 * (NACK) through its callback. */
static void callbacks_report_success_and_failure(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    self_op self[3] = {ably_realtime_presence_enter, ably_realtime_presence_update, ably_realtime_presence_leave};
    client_op other[3] = {ably_realtime_presence_enter_client, ably_realtime_presence_update_client,
                          ably_realtime_presence_leave_client};
    for (int nack = 0; nack < 2; nack++) {
        x.reply = nack ? PX_NACK : PX_ACK;
        x.nack_code = 40160;
        x.nack_status = 401;
        int64_t want = nack ? 40160 : 0;
        for (int k = 0; k < 3; k++) {
            assert_int_equal(run_self(&x, self[k], p, "d"), want);
            assert_int_equal(run_client(&x, other[k], p, "someone", "d"), want);
        }
    }
    assert_int_equal(px_count_presence(&x, 0), 12);
    fx_free(&x.f);
}

/* RTP8i: Ably refusing an unidentified client (a NACK) fails the enter. */
static void nack_for_unidentified_client_fails_enter(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    x.reply = PX_NACK;
    x.nack_code = 91000;
    x.nack_status = 400;
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 91000);
    fx_free(&x.f);
}

/* RTP14c: enterClient data follows the normal encoding rules both ways. */
static void enter_client_data_is_encoded_and_decoded(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    x.f.t.o.use_binary_protocol = false; /* binary data travels base64-encoded in JSON */
    px_start(&x, NULL);
    ably_realtime_channel *ch = fx_attached(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    x.echo = true;
    px_events ev = {0};
    ably_realtime_presence_subscribe(p, -1, px_on_event, &ev, NULL, NULL);
    const char *obj = "[1,2,3]";
    const unsigned char bin[3] = {0x00, 0xff, 0x10};
    ably_data d1 = ably_data_borrow(ABLY_DATA_JSON, obj, strlen(obj));
    ably_data d2 = ably_data_borrow(ABLY_DATA_BINARY, bin, sizeof bin);
    op_result r = {0};
    ably_realtime_presence_enter_client(p, "json-user", &d1, fx_on_result, &r);
    ably_realtime_presence_enter_client(p, "bin-user", &d2, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.code, 0);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_string_equal(m->encoding, "json");
    assert_string_equal(px_data(m), obj);
    m = only_presence(&x, 0, 1);
    assert_string_equal(m->encoding, "base64");
    assert_string_equal(px_data(m), "AP8Q");
    assert_int_equal(ev.count, 2);
    px_get g = {0};
    ably_realtime_presence_get(p, false, NULL, NULL, px_on_get, &g);
    fx_pump(&x.f);
    const ably_presence_message *j = px_find(&g, "json-user"), *b = px_find(&g, "bin-user");
    assert_non_null(j);
    assert_non_null(b);
    assert_int_equal(j->data.type, ABLY_DATA_JSON);
    assert_string_equal(px_data(j), obj);
    assert_int_equal(b->data.type, ABLY_DATA_BINARY);
    assert_int_equal(b->data.len, sizeof bin);
    assert_memory_equal(b->data.bytes, bin, sizeof bin);
    assert_null(b->encoding);
    px_get_clear(&g);
    fx_free(&x.f);
}

/* RTP8d, RTP15e: an INITIALIZED channel is attached first. */
static void enter_and_enter_client_attach_implicitly(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        px_fx x;
        px_init(&x);
        px_start(&x, variant == 0 ? "my-client" : NULL);
        ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
        ably_realtime_presence *p = ably_realtime_channel_presence(ch);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
        int64_t code = variant == 0 ? run_self(&x, ably_realtime_presence_enter, p, NULL)
                                    : run_client(&x, ably_realtime_presence_enter_client, p, "user-1", NULL);
        assert_int_equal(code, 0);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
        assert_int_equal(x.attach_count, 1);
        assert_int_equal(px_count_presence(&x, 0), 1);
        fx_free(&x.f);
    }
}

/* Puts the channel into FAILED through a channel ERROR answering the ATTACH. */
static ably_realtime_presence *failed_channel(px_fx *x, const char *client_id, ably_realtime_channel **ch_out)
{
    px_init(x);
    x->f.auto_attach = false;
    px_start(x, client_id);
    ably_realtime_channel *ch = fx_channel(&x->f, "p", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(&x->f);
    fx_server(&x->f, "{\"action\":9,\"channel\":\"p\",\"error\":{\"code\":90001,\"statusCode\":400,"
                     "\"message\":\"Channel failed\"}}");
    assert_int_equal(r.calls, 1);
    assert_int_not_equal(r.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    *ch_out = ch;
    return ably_realtime_channel_presence(ch);
}

/* RTP8g, RTP15e: FAILED (or DETACHED) means an immediate error and nothing sent. */
static void enter_on_failed_channel_errors(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = failed_channel(&x, "my-client", &ch);
    assert_int_not_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 0);
    assert_int_not_equal(run_client(&x, ably_realtime_presence_enter_client, p, "user-1", NULL), 0);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_free(&x.f);
}

/* RTP8j: an anonymous client cannot enter; a wildcard clientId is refused when the
 * client is created (RSA7c), so it can never reach enter. */
static void enter_needs_an_identified_client(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, NULL, NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 91000);
    assert_int_equal(run_self(&x, ably_realtime_presence_update, p, NULL), 91000);
    assert_int_equal(run_self(&x, ably_realtime_presence_leave, p, NULL), 91000);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_free(&x.f);

    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "fake.key:secret";
    o.client_id = "*";
    o.auto_connect = false;
    ably_realtime *rt = NULL;
    ably_error err = {0};
    assert_int_not_equal(ably_realtime_create(&o, NULL, &rt, &err), 0);
    assert_null(rt);
    assert_int_equal(err.code, 40012);
    ably_error_clear(&err);
}

/* RTP8h */
static void nack_for_missing_permission_fails_enter(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    x.reply = PX_NACK;
    x.nack_code = 40160;
    x.nack_status = 401;
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 40160);
    fx_free(&x.f);
}

/* RTP9a, RTP9d */
static void update_sends_update_without_client_id(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_update, p, "new-status"), 0);
    assert_int_equal(px_count_presence(&x, 0), 1);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_string_equal(px_data(m), "new-status");
    assert_null(m->client_id);
    fx_free(&x.f);
}

/* RTP10a, RTP10c */
static void leave_sends_leave_without_client_id(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_leave, p, NULL), 0);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_null(m->client_id);
    assert_int_equal(m->data.type, ABLY_DATA_NONE);
    assert_int_equal(run_self(&x, ably_realtime_presence_leave, p, "goodbye"), 0);
    m = only_presence(&x, 0, 1);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(px_data(m), "goodbye");
    fx_free(&x.f);
}

/* RTP10a, RTP8e: leave given no data repeats the data the member entered with, so the
 * LEAVE event carries it. */
static void leave_without_data_repeats_entered_data(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    x.echo = true;
    x.echo_client = "my-client";
    px_events leaves = {0};
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_LEAVE, px_on_event, &leaves, NULL, NULL);
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, "entered"), 0);
    assert_int_equal(run_self(&x, ably_realtime_presence_leave, p, NULL), 0);
    const ably_presence_message *m = only_presence(&x, 0, 1);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_null(m->client_id);
    assert_string_equal(px_data(m), "entered");
    assert_int_equal(leaves.count, 1);
    assert_string_equal(leaves.client[0], "my-client");
    assert_string_equal(leaves.data[0], "entered");
    fx_free(&x.f);
}

/* RTP9e, RTP10e: update and leave behave as enter does: implicit attach, an error on a
 * FAILED channel, NACKs reported, an identified client needed. */
static void update_and_leave_behave_like_enter(void **state)
{
    (void)state;
    self_op ops[2] = {ably_realtime_presence_update, ably_realtime_presence_leave};
    ably_presence_action actions[2] = {ABLY_PRESENCE_ACTION_UPDATE, ABLY_PRESENCE_ACTION_LEAVE};
    for (int k = 0; k < 2; k++) {
        px_fx x;
        px_init(&x);
        px_start(&x, "my-client");
        ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
        ably_realtime_presence *p = ably_realtime_channel_presence(ch);
        assert_int_equal(run_self(&x, ops[k], p, "d"), 0); /* RTP8d */
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
        const ably_presence_message *m = only_presence(&x, 0, 0);
        assert_int_equal(m->action, actions[k]);
        assert_null(m->client_id);
        x.reply = PX_NACK; /* RTP8h */
        x.nack_code = 40160;
        x.nack_status = 401;
        assert_int_equal(run_self(&x, ops[k], p, "d"), 40160);
        fx_free(&x.f);

        p = failed_channel(&x, "my-client", &ch); /* RTP8g */
        assert_int_not_equal(run_self(&x, ops[k], p, "d"), 0);
        assert_int_equal(px_count_presence(&x, 0), 0);
        fx_free(&x.f);

        p = attached(&x, NULL, NULL); /* RTP8j */
        assert_int_equal(run_self(&x, ops[k], p, "d"), 91000);
        fx_free(&x.f);
    }
}

/* RTP14a */
static void enter_client_enters_on_behalf_of_others(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, NULL, NULL);
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, "user-alice", "alice-data"), 0);
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, "user-bob", "bob-data"), 0);
    assert_int_equal(px_count_presence(&x, 0), 2);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(m->client_id, "user-alice");
    assert_string_equal(px_data(m), "alice-data");
    m = only_presence(&x, 0, 1);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(m->client_id, "user-bob");
    assert_string_equal(px_data(m), "bob-data");
    fx_free(&x.f);
}

/* RTP15a */
static void update_client_and_leave_client(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, NULL, NULL);
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, "user-1", "entered"), 0);
    assert_int_equal(run_client(&x, ably_realtime_presence_update_client, p, "user-1", "updated"), 0);
    assert_int_equal(run_client(&x, ably_realtime_presence_leave_client, p, "user-1", "leaving"), 0);
    assert_int_equal(px_count_presence(&x, 0), 3);
    const ably_presence_action want[3] = {ABLY_PRESENCE_ACTION_ENTER, ABLY_PRESENCE_ACTION_UPDATE,
                                          ABLY_PRESENCE_ACTION_LEAVE};
    const char *data[3] = {"entered", "updated", "leaving"};
    for (size_t i = 0; i < 3; i++) {
        const ably_presence_message *m = only_presence(&x, 0, i);
        assert_int_equal(m->action, want[i]);
        assert_string_equal(m->client_id, "user-1");
        assert_string_equal(px_data(m), data[i]);
    }
    /* a clientId is required */
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, NULL, NULL), 91000);
    assert_int_equal(px_count_presence(&x, 0), 3);
    fx_free(&x.f);
}

/* RTP15f: the library leaves the check to Ably, whose NACK fails the call; the
 * connection and channel stay usable. */
static void enter_client_with_mismatched_client_id_errors(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = attached(&x, "my-client", &ch);
    x.reply = PX_NACK;
    x.nack_code = 40012;
    x.nack_status = 400;
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, "other-client", NULL), 40012);
    assert_int_equal(mock_rt_state(&x.f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    x.reply = PX_ACK;
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 0);
    fx_free(&x.f);
}

/* RTP16a: ATTACHED: sent at once. */
static void presence_sent_at_once_when_attached(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "my-client", NULL);
    x.reply = PX_SILENT;
    op_result r = {0};
    ably_realtime_presence_enter(p, NULL, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), 1); /* on the wire before any ACK */
    assert_int_equal(r.calls, 0);
    fx_free(&x.f);
}

/* RTP16b */
static void presence_queued_while_attaching(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    x.f.auto_attach = false;
    px_start(&x, "my-client");
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    op_result r = {0};
    ably_realtime_presence_enter(p, NULL, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\"}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(px_count_presence(&x, 0), 1);
    assert_int_equal(only_presence(&x, 0, 0)->action, ABLY_PRESENCE_ACTION_ENTER);
    fx_free(&x.f);
}

/* RTP16b, RTP16c: without queueMessages nothing is queued: an ATTACHING channel fails
 * the operation at once. */
static void no_queueing_without_queue_messages(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    x.f.auto_attach = false;
    x.f.t.o.queue_messages = false;
    px_start(&x, "my-client");
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, ably_realtime_channel_presence(ch), NULL), 91001);
    fx_server(&x.f, "{\"action\":11,\"channel\":\"p\"}");
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_free(&x.f);
}

/* RTP16c: a DETACHED channel fails presence operations. */
static void presence_fails_on_detached_channel(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_channel *ch;
    ably_realtime_presence *p = attached(&x, "my-client", &ch);
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_not_equal(run_self(&x, ably_realtime_presence_enter, p, NULL), 0);
    assert_int_equal(px_count_presence(&x, 0), 0);
    fx_free(&x.f);
}

/* RTP15c: enterClient / leaveClient for someone else leave this client's own enter alone. */
static void enter_client_has_no_side_effects_on_enter(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, "main-client", NULL);
    x.echo = true;
    x.echo_client = "main-client";
    assert_int_equal(run_self(&x, ably_realtime_presence_enter, p, "main-client"), 0);
    assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, "other-user", "other-data"), 0);
    assert_int_equal(run_client(&x, ably_realtime_presence_leave_client, p, "other-user", NULL), 0);
    assert_int_equal(px_count_presence(&x, 0), 3);
    const ably_presence_message *m = only_presence(&x, 0, 0);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(px_data(m), "main-client");
    assert_null(m->client_id);
    m = only_presence(&x, 0, 1);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(m->client_id, "other-user");
    m = only_presence(&x, 0, 2);
    assert_int_equal(m->action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_string_equal(m->client_id, "other-user");
    assert_string_equal(px_data(m), "other-data"); /* RTP10a: its own data, not ours */
    /* the main client is still present, other-user is gone */
    px_get g = {0};
    ably_realtime_presence_get(p, false, NULL, NULL, px_on_get, &g);
    fx_pump(&x.f);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.items[0].client_id, "main-client");
    assert_string_equal(px_data(&g.items[0]), "main-client");
    px_get_clear(&g);
    fx_free(&x.f);
}

/* RTP14d: members entered for many clientIds are all returned by get. */
static void members_entered_for_many_client_ids_are_present(void **state)
{
    (void)state;
    px_fx x;
    ably_realtime_presence *p = attached(&x, NULL, NULL);
    x.echo = true;
    char id[16], data[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "member-%d", i);
        snprintf(data, sizeof data, "d%d", i);
        assert_int_equal(run_client(&x, ably_realtime_presence_enter_client, p, id, data), 0);
    }
    px_get g = {0};
    ably_realtime_presence_get(p, true, NULL, NULL, px_on_get, &g);
    fx_pump(&x.f);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.count, 5);
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "member-%d", i);
        snprintf(data, sizeof data, "d%d", i);
        const ably_presence_message *m = px_find(&g, id);
        assert_non_null(m);
        assert_string_equal(px_data(m), data);
        assert_string_equal(m->connection_id, "conn-1");
    }
    px_get_clear(&g);
    fx_free(&x.f);
}

#define BULK 50

/* A SYNC frame listing user-0..user-(BULK-1) as PRESENT from connection `conn`. */
static char *bulk_sync(const char *conn)
{
    ably_buf b;
    ably_buf_init(&b);
    ably_buf_append_str(&b, "{\"action\":16,\"channel\":\"p\",\"channelSerial\":\"seq1:\",\"presence\":[");
    char item[256];
    for (int i = 0; i < BULK; i++) {
        snprintf(item, sizeof item,
                 "%s{\"action\":1,\"clientId\":\"user-%d\",\"connectionId\":\"%s\",\"id\":\"%s:%d:0\","
                 "\"timestamp\":1700000000000,\"data\":\"data-%d\"}",
                 i ? "," : "", i, conn, conn, i, i);
        ably_buf_append_str(&b, item);
    }
    ably_buf_append_str(&b, "]}");
    return ably_buf_detach(&b, NULL);
}

static void enter_bulk(px_fx *x, ably_realtime_presence *p)
{
    char id[16], data[16];
    for (int i = 0; i < BULK; i++) {
        snprintf(id, sizeof id, "user-%d", i);
        snprintf(data, sizeof data, "data-%d", i);
        assert_int_equal(run_client(x, ably_realtime_presence_enter_client, p, id, data), 0);
    }
}

static void assert_bulk_members(const px_get *g, const char *conn)
{
    assert_int_equal(g->calls, 1);
    assert_int_equal(g->code, 0);
    assert_int_equal(g->count, BULK);
    char id[16], data[16];
    for (int i = 0; i < BULK; i++) {
        snprintf(id, sizeof id, "user-%d", i);
        snprintf(data, sizeof data, "data-%d", i);
        const ably_presence_message *m = px_find(g, id);
        assert_non_null(m);
        assert_string_equal(px_data(m), data);
        assert_string_equal(m->connection_id, conn);
    }
}

/* RTP4 (at the UTS's 50 members): enterClient on one connection, which also sees the
 * ENTER echoes and, after the SYNC, every member in get. */
static void bulk_enter_client_same_connection(void **state)
{
    (void)state;
    px_fx x;
    px_init(&x);
    x.f.attached_flags = 1; /* HAS_PRESENCE */
    x.echo = true;
    px_start(&x, NULL);
    ably_realtime_channel *ch = fx_attached(&x.f, "p", NULL);
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    px_events enters = {0};
    ably_realtime_presence_subscribe(p, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &enters, NULL, NULL);
    enter_bulk(&x, p);
    char *sync = bulk_sync("conn-1");
    fx_server(&x.f, sync);
    free(sync);
    px_get g = {0};
    ably_realtime_presence_get(p, true, NULL, NULL, px_on_get, &g);
    fx_pump(&x.f);
    assert_int_equal(px_count_presence(&x, 0), BULK);
    assert_int_equal(enters.count, BULK);
    assert_bulk_members(&g, "conn-1");
    px_get_clear(&g);
    fx_free(&x.f);
}

/* RTP4: connection A enters the members, connection B sees the ENTERs and gets them all. */
static void bulk_enter_client_other_connection(void **state)
{
    (void)state;
    px_fx a, b;
    px_init(&a);
    a.f.attached_flags = 1;
    a.conn_id = "conn-A";
    a.f.t.o.client_id = NULL;
    fx_start(&a.f);
    mock_rt_connect(&a.f.t, "conn-A", "key-A");
    ably_realtime_channel *cha = fx_attached(&a.f, "p", NULL);

    px_init(&b);
    b.f.attached_flags = 1;
    b.conn_id = "conn-B";
    fx_start(&b.f);
    mock_rt_connect(&b.f.t, "conn-B", "key-B");
    ably_realtime_channel *chb = fx_attached(&b.f, "p", NULL);
    ably_realtime_presence *pb = ably_realtime_channel_presence(chb);
    px_events enters = {0};
    ably_realtime_presence_subscribe(pb, ABLY_PRESENCE_ACTION_ENTER, px_on_event, &enters, NULL, NULL);

    enter_bulk(&a, ably_realtime_channel_presence(cha));
    assert_int_equal(px_count_presence(&a, 0), BULK);
    char frame[256];
    for (int i = 0; i < BULK; i++) {
        snprintf(frame, sizeof frame,
                 "{\"action\":14,\"channel\":\"p\",\"presence\":[{\"action\":2,\"clientId\":\"user-%d\","
                 "\"connectionId\":\"conn-A\",\"id\":\"conn-A:%d:0\",\"timestamp\":1700000000000,"
                 "\"data\":\"data-%d\"}]}",
                 i, i, i);
        mock_ws_send(b.f.t.m, mock_rt_last_attempt(&b.f.t), frame);
    }
    fx_pump(&b.f);
    char *sync = bulk_sync("conn-A");
    fx_server(&b.f, sync);
    free(sync);
    px_get g = {0};
    ably_realtime_presence_get(pb, true, NULL, NULL, px_on_get, &g);
    fx_pump(&b.f);
    assert_int_equal(enters.count, BULK);
    assert_bulk_members(&g, "conn-A");
    px_get_clear(&g);
    fx_free(&a.f);
    fx_free(&b.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(enter_sends_enter_without_client_id, "RTP8a RTP8c"),
        ABLY_TEST(enter_with_data_is_encoded_and_decoded, "RTP8e"),
        ABLY_TEST(enter_with_extras, "RTP8e"),
        ABLY_TEST(callbacks_report_success_and_failure, "RTP8b RTP9c RTP10b RTP14b RTP15d"),
        ABLY_TEST(nack_for_unidentified_client_fails_enter, "RTP8i"),
        ABLY_TEST(enter_client_data_is_encoded_and_decoded, "RTP14c"),
        ABLY_TEST(enter_and_enter_client_attach_implicitly, "RTP8d RTP15e"),
        ABLY_TEST(enter_on_failed_channel_errors, "RTP8g RTP15e"),
        ABLY_TEST(enter_needs_an_identified_client, "RTP8j"),
        ABLY_TEST(nack_for_missing_permission_fails_enter, "RTP8h"),
        ABLY_TEST(update_sends_update_without_client_id, "RTP9 RTP9a RTP9d"),
        ABLY_TEST(leave_sends_leave_without_client_id, "RTP10 RTP10a RTP10c"),
        ABLY_TEST(leave_without_data_repeats_entered_data, "RTP10a RTP8e"),
        ABLY_TEST(update_and_leave_behave_like_enter, "RTP9e RTP10e"),
        ABLY_TEST(enter_client_enters_on_behalf_of_others, "RTP14 RTP14a"),
        ABLY_TEST(update_client_and_leave_client, "RTP15 RTP15a"),
        ABLY_TEST(enter_client_with_mismatched_client_id_errors, "RTP15f"),
        ABLY_TEST(presence_sent_at_once_when_attached, "RTP16 RTP16a"),
        ABLY_TEST(presence_queued_while_attaching, "RTP16b"),
        ABLY_TEST(no_queueing_without_queue_messages, "RTP16b RTP16c"),
        ABLY_TEST(presence_fails_on_detached_channel, "RTP16c"),
        ABLY_TEST(enter_client_has_no_side_effects_on_enter, "RTP15c"),
        ABLY_TEST(members_entered_for_many_client_ids_are_present, "RTP14d"),
        ABLY_TEST(bulk_enter_client_same_connection, "RTP4"),
        ABLY_TEST(bulk_enter_client_other_connection, "RTP4"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
