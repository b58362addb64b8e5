/* Realtime channels: the collection (RTS), attach / detach (RTL4, RTL5), state events
 * (RTL2), connection effects (RTL3), server-initiated DETACHED / ERROR (RTL13, RTL14),
 * ATTACHED flags / modes / params (RTL4k–m, RTL12, RTL15), options (RTL16), on the mock
 * WebSocket (uts/realtime/unit/channels/{channels_collection,channel_attach,
 * channel_detach,channel_state_events,channel_connection_state,channel_error,
 * channel_server_initiated_detach,channel_additional_attached,channel_properties}.md). */
#include "test_realtime_channel_fixture.h"

/* ---- collection (RTS) ---- */

static int visits;
static void count_visit(void *ctx, ably_realtime_channel *ch)
{
    (void)ctx;
    assert_non_null(ably_realtime_channel_name(ch));
    visits++;
}

static void collection_get_exists_iterate_release(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    assert_false(ably_realtime_channels_exists(f.t.rt, "a"));
    ably_realtime_channel *a = fx_channel(&f, "a", NULL);
    ably_realtime_channel *b = fx_channel(&f, "b", NULL);
    assert_ptr_equal(fx_channel(&f, "a", NULL), a); /* RTS3a: same object */
    assert_ptr_not_equal(a, b);
    assert_string_equal(ably_realtime_channel_name(a), "a");
    assert_int_equal(ably_realtime_channel_state(a), ABLY_CHANNEL_INITIALIZED);
    assert_true(ably_realtime_channels_exists(f.t.rt, "a"));
    visits = 0;
    assert_int_equal(ably_realtime_channels_foreach(f.t.rt, count_visit, NULL), 2);
    assert_int_equal(visits, 2);
    ably_realtime_channels_release(f.t.rt, "a");
    ably_realtime_channels_release(f.t.rt, "nope"); /* RTS4: no-op */
    fx_pump(&f);
    assert_false(ably_realtime_channels_exists(f.t.rt, "a"));
    assert_int_equal(ably_realtime_channels_foreach(f.t.rt, NULL, NULL), 1);
    ably_realtime_channel *a2 = fx_channel(&f, "a", NULL); /* a fresh one */
    assert_int_equal(ably_realtime_channel_state(a2), ABLY_CHANNEL_INITIALIZED);
    ably_realtime_channel *x = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(f.t.rt, "", NULL, &x, &err), -1);
    assert_int_equal(err.code, 40010);
    ably_error_clear(&err);
    fx_free(&f);
}

static void release_detaches_attached_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    fx_attached(&f, "rel", NULL);
    ably_realtime_channels_release(f.t.rt, "rel");
    fx_pump(&f);
    assert_false(ably_realtime_channels_exists(f.t.rt, "rel"));
    const ably_protocol_message *d = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH);
    assert_non_null(d);
    assert_string_equal(d->channel, "rel");
    fx_free(&f);
}

static void get_with_reattaching_options_fails_when_attached(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "opts", NULL);
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_SUBSCRIBE};
    ably_realtime_channel *again = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(f.t.rt, "opts", &o, &again, &err), -1); /* RTS3c1 */
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
    ably_realtime_channel_options same = {0};
    assert_int_equal(ably_realtime_channels_get(f.t.rt, "opts", &same, &again, &err), 0); /* RTS3c */
    assert_ptr_equal(again, ch);
    fx_free(&f);
}

/* ---- attach (RTL4) ---- */

static void attach_sends_attach_and_becomes_attached(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    fx_changes rec;
    fx_record(ch, &rec);
    op_result r = {0}, r2 = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    const ably_protocol_message *a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_non_null(a);
    assert_string_equal(a->channel, "ch");
    ably_realtime_channel_attach(ch, fx_on_result, &r2); /* RTL4h: waits for the same attach */
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    assert_int_equal(r.calls + r2.calls, 0);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\",\"flags\":4}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(rec.count, 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_ATTACHING);
    assert_int_equal(rec.items[1].previous, ABLY_CHANNEL_ATTACHING);
    assert_int_equal(rec.items[1].current, ABLY_CHANNEL_ATTACHED);
    assert_true(rec.items[1].resumed); /* RTL2f */
    op_result r3 = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r3); /* RTL4a */
    fx_pump(&f);
    assert_int_equal(r3.calls, 1);
    assert_int_equal(r3.code, 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    assert_int_equal(rec.count, 2);
    fx_free(&f);
}

static void attach_fails_when_connection_cannot_attach(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_connection_close(f.t.rt);
    fx_pump(&f);
    fx_server(&f, "{\"action\":8}"); /* CLOSED */
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CLOSED);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    fx_free(&f);
}

static void attach_while_connecting_waits_for_connected(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r); /* INITIALIZED connection */
    ably_connection_connect(f.t.rt);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING); /* RTL4i */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    mock_rt_accept(&f.t, 0, mock_ws_connected_json("c", "k", 15000, 120000));
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1); /* RTL3d */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    fx_free(&f);
}

static void attach_times_out_to_suspended_then_retries(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    f.t.o.realtime_request_timeout_ms = 100;
    f.t.o.channel_retry_timeout_ms = 1000;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_advance(&f, 99);
    assert_int_equal(r.calls, 0);
    fx_advance(&f, 1);
    assert_int_equal(r.calls, 1); /* RTL4f */
    assert_int_equal(r.code, 90007);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    assert_int_equal(fx_channel_error(ch), 90007);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    fx_advance(&f, 799); /* RTL13b: channelRetryTimeout with jitter in [0.8, 1) */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    for (int i = 0; i < 201 && mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH) < 2; i++)
        fx_advance(&f, 1);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(fx_channel_error(ch), 0); /* RTL4c: cleared */
    fx_free(&f);
}

static void attach_message_carries_serial_params_and_modes(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_flags = (1 << 16) | (1 << 18) | 1; /* PRESENCE, SUBSCRIBE, HAS_PRESENCE */
    f.attached_serial = "serial-1";
    fx_start(&f);
    fx_connect(&f);
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_realtime_channel_options o = {.params = &params,
                                       .modes = ABLY_CHANNEL_MODE_PRESENCE | ABLY_CHANNEL_MODE_SUBSCRIBE};
    ably_realtime_channel *ch = fx_channel(&f, "ch", &o);
    ably_string_map_clear(&params);
    fx_attach(&f, ch);
    const ably_protocol_message *a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_string_equal(ably_string_map_get(&a->params, "rewind"), "1"); /* RTL4k */
    assert_int_equal(a->flags, (1 << 16) | (1 << 18));                    /* RTL4l */
    assert_null(a->channel_serial);
    assert_int_equal(ably_realtime_channel_modes(ch), ABLY_CHANNEL_MODE_PRESENCE | ABLY_CHANNEL_MODE_SUBSCRIBE);
    char *s = ably_realtime_channel_serial(ch);
    char *as = ably_realtime_channel_attach_serial(ch);
    assert_string_equal(s, "serial-1"); /* RTL15b */
    assert_string_equal(as, "serial-1"); /* RTL15a */
    free(s);
    free(as);
    fx_server(&f, "{\"action\":15,\"channel\":\"ch\",\"channelSerial\":\"serial-2\",\"messages\":[]}");
    s = ably_realtime_channel_serial(ch);
    assert_string_equal(s, "serial-2");
    free(s);
    /* RTL4c1: a reattach after the server's DETACHED sends the latest channelSerial */
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\",\"error\":{\"code\":90198,\"statusCode\":500,\"message\":\"x\"}}");
    a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2);
    assert_string_equal(a->channel_serial, "serial-2");
    fx_free(&f);
}

static void attach_from_failed_clears_error(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    fx_server(&f, "{\"action\":9,\"channel\":\"ch\",\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED); /* RTL14 */
    assert_int_equal(fx_channel_error(ch), 40160);
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED); /* only the channel */
    op_result d = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &d); /* RTL5b */
    fx_pump(&f);
    assert_int_equal(d.code, 90001);
    fx_attach(&f, ch); /* RTL4g */
    assert_int_equal(fx_channel_error(ch), 0);
    fx_free(&f);
}

/* ---- detach (RTL5) ---- */

static void detach_flow_and_no_ops(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_detach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    op_result r0 = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r0); /* RTL5a: INITIALIZED */
    fx_pump(&f);
    assert_int_equal(r0.calls, 1);
    assert_int_equal(r0.code, 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 0);
    fx_attach(&f, ch);
    fx_changes rec;
    fx_record(ch, &rec);
    op_result r = {0}, r2 = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHING); /* RTL5d */
    ably_realtime_channel_detach(ch, fx_on_result, &r2);                       /* RTL5i */
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 1);
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\"}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(rec.count, 2);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_DETACHING);
    assert_int_equal(rec.items[1].current, ABLY_CHANNEL_DETACHED);
    op_result r3 = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r3); /* RTL5a: DETACHED */
    fx_pump(&f);
    assert_int_equal(r3.code, 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 1);
    fx_free(&f);
}

static void detach_timeout_returns_to_attached(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_detach = false;
    f.t.o.realtime_request_timeout_ms = 100;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_advance(&f, 150);
    assert_int_equal(r.calls, 1); /* RTL5f */
    assert_int_equal(r.code, 90007);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

static void attached_while_detaching_sends_detach_again(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_detach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    ably_realtime_channel_detach(ch, NULL, NULL);
    fx_pump(&f);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}"); /* RTL5k */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 2);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHING);
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\"}");
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}"); /* RTL5k from DETACHED */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 3);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHING);
    fx_free(&f);
}

static void detach_while_attaching_then_attach_while_detaching(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = f.auto_detach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    op_result a = {0}, d = {0}, a2 = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &a);
    ably_realtime_channel_detach(ch, fx_on_result, &d); /* RTL5i: after the attach */
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 0);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}");
    assert_int_equal(a.code, 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHING);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 1);
    ably_realtime_channel_attach(ch, fx_on_result, &a2); /* RTL4h: after the detach */
    fx_pump(&f);
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\"}");
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2);
    assert_int_equal(a2.calls, 0);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}");
    assert_int_equal(a2.calls, 1);
    assert_int_equal(a2.code, 0);
    fx_free(&f);
}

static void detach_when_not_connected_is_immediate(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    mock_rt_drop(&f.t, mock_rt_last_attempt(&f.t));
    assert_int_not_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED); /* RTL3e */
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r); /* RTL5l */
    fx_pump(&f);
    assert_int_equal(r.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_DETACHED);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_DETACH), 0);
    fx_free(&f);
}

/* ---- connection state effects (RTL3) ---- */

static void connection_failed_fails_channels(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *a = fx_channel(&f, "a", NULL);
    ably_realtime_channel *i = fx_channel(&f, "i", NULL);
    fx_attach(&f, a);
    fx_server(&f, "{\"action\":9,\"error\":{\"code\":40198,\"statusCode\":400,\"message\":\"bye\"}}");
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_FAILED);
    assert_int_equal(ably_realtime_channel_state(a), ABLY_CHANNEL_FAILED); /* RTL3a */
    assert_int_equal(fx_channel_error(a), 40198);
    assert_int_equal(ably_realtime_channel_state(i), ABLY_CHANNEL_INITIALIZED);
    fx_free(&f);
}

static void connection_closed_detaches_channels(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *a = fx_attached(&f, "a", NULL);
    ably_connection_close(f.t.rt);
    fx_pump(&f);
    fx_server(&f, "{\"action\":8}");
    assert_int_equal(ably_realtime_channel_state(a), ABLY_CHANNEL_DETACHED); /* RTL3b */
    fx_free(&f);
}

/* The state a channel had when the connection's CONNECTED was emitted (RTL3d1). */
typedef struct {
    ably_realtime_channel *ch;
    ably_channel_state seen;
    int calls;
} conn_probe;

static void probe_on_connected(void *ctx, const ably_connection_state_change *c)
{
    conn_probe *p = ctx;
    if (c && c->current == ABLY_CONN_CONNECTED) {
        p->seen = ably_realtime_channel_state(p->ch);
        p->calls++;
    }
}

static void suspended_then_reconnect_reattaches(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.disconnected_retry_timeout_ms = 1000;
    f.t.o.suspended_retry_timeout_ms = 5000;
    ably_realtime_config cfg = {.connection_state_ttl_ms = 3000};
    mock_rt_start(&f.t, &cfg);
    ably_connection_connect(f.t.rt);
    fx_pump(&f);
    mock_rt_accept(&f.t, 0, mock_ws_connected_json("c1", "k1", 15000, 3000));
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    f.auto_attach = false;
    mock_rt_drop(&f.t, 0);
    for (int i = 0; i < 20 && mock_rt_state(&f.t) != ABLY_CONN_SUSPENDED; i++) {
        size_t n = mock_ws_attempt_count(f.t.m);
        mock_ws_respond_refused(f.t.m, n - 1);
        fx_advance(&f, 500);
    }
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_SUSPENDED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED); /* RTL3c */
    conn_probe probe = {ch, ABLY_CHANNEL_INITIALIZED, 0};
    ably_connection_on(f.t.rt, ABLY_CONN_EVENT_CONNECTED, probe_on_connected, &probe);
    size_t before = mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    ably_connection_connect(f.t.rt);
    fx_pump(&f);
    mock_rt_accept(&f.t, mock_ws_attempt_count(f.t.m) - 1, mock_ws_connected_json("c2", "k2", 15000, 3000));
    assert_int_equal(probe.calls, 1);
    assert_int_equal(probe.seen, ABLY_CHANNEL_ATTACHING); /* RTL3d, RTL3d1 */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), before + 1);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\"}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

static void resume_reattaches_attached_channels(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_serial = "s-1";
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    f.auto_attach = false;
    mock_rt_drop(&f.t, 0);
    size_t n = mock_ws_attempt_count(f.t.m);
    assert_int_equal(n, 2);
    mock_rt_accept(&f.t, 1, mock_ws_connected_json("conn-1", "key-2", 15000, 120000)); /* resumed */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING); /* RTN15c6 + RTL3d */
    const ably_protocol_message *a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_int_equal(mock_ws_sent_attempt(f.t.m, mock_ws_sent_count(f.t.m) - 1), 1);
    assert_string_equal(a->channel_serial, "s-1"); /* RTL4c1 */
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\",\"flags\":4}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

/* ---- server-initiated changes (RTL12, RTL13) ---- */

static void server_detached_reattaches_then_suspends(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.channel_retry_timeout_ms = 500;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    fx_changes rec;
    fx_record(ch, &rec);
    f.auto_attach = false;
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\",\"error\":{\"code\":90198,\"statusCode\":500,\"message\":\"x\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING); /* RTL13a */
    assert_int_equal(rec.items[0].reason_code, 90198);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2);
    fx_server(&f, "{\"action\":13,\"channel\":\"ch\",\"error\":{\"code\":90199,\"statusCode\":500,\"message\":\"y\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED); /* RTL13b */
    assert_int_equal(rec.items[1].reason_code, 90199);
    f.auto_attach = true;
    fx_advance(&f, 500);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 3);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

static void additional_attached_emits_update_unless_resumed(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    fx_changes rec;
    fx_record(ch, &rec);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\",\"flags\":4}"); /* resumed: nothing */
    assert_int_equal(rec.count, 0);
    fx_server(&f, "{\"action\":11,\"channel\":\"ch\",\"error\":{\"code\":91004,\"statusCode\":400,\"message\":\"lost\"}}");
    assert_int_equal(rec.count, 1); /* RTL12, RTL2g */
    assert_int_equal(rec.items[0].event, ABLY_CHANNEL_EVENT_UPDATE);
    assert_int_equal(rec.items[0].previous, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(rec.items[0].current, ABLY_CHANNEL_ATTACHED);
    assert_int_equal(rec.items[0].reason_code, 91004);
    assert_false(rec.items[0].resumed);
    fx_free(&f);
}

static void once_and_off_listeners(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ch", NULL);
    fx_changes once_rec = {0}, off_rec = {0};
    ably_realtime_channel_once(ch, ABLY_CHANNEL_EVENT_ATTACHED, fx_on_change, &once_rec);
    uint64_t id = ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ANY, fx_on_change, &off_rec);
    ably_realtime_channel_off(ch, id);
    fx_attach(&f, ch);
    ably_realtime_channel_detach(ch, NULL, NULL);
    fx_pump(&f);
    fx_attach(&f, ch);
    assert_int_equal(once_rec.count, 1);
    assert_int_equal(off_rec.count, 0);
    assert_string_equal(ably_channel_state_name(ABLY_CHANNEL_SUSPENDED), "suspended");
    assert_string_equal(ably_channel_event_name(ABLY_CHANNEL_EVENT_UPDATE), "update");
    fx_free(&f);
}

/* ---- options (RTL16) ---- */

static void set_options_with_new_modes_reattaches(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ch", NULL);
    op_result r = {0};
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_PUBLISH};
    ably_realtime_channel_set_options(ch, &o, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    const ably_protocol_message *a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2); /* RTL16a */
    assert_int_equal(a->flags, ABLY_CHANNEL_MODE_PUBLISH);
    ably_realtime_channel_set_options(ch, &o, fx_on_result, &r); /* unchanged: no reattach */
    fx_pump(&f);
    assert_int_equal(r.calls, 2);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 2);
    fx_free(&f);
}

static void recovery_key_includes_channel_serials(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_serial = "ser-9";
    fx_start(&f);
    fx_connect(&f);
    fx_attached(&f, "ch", NULL);
    char *key = ably_connection_create_recovery_key(f.t.rt);
    assert_non_null(key);
    assert_non_null(strstr(key, "\"channelSerials\":{\"ch\":\"ser-9\"}")); /* RTN16g */
    free(key);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(collection_get_exists_iterate_release, "RTS1 RTS2 RTS3 RTS3a RTS4 RTS4a RTL1"),
        ABLY_TEST(release_detaches_attached_channel, "RTS4a"),
        ABLY_TEST(get_with_reattaching_options_fails_when_attached, "RTS3c RTS3c1"),
        ABLY_TEST(attach_sends_attach_and_becomes_attached, "RTL4a RTL4c RTL4d RTL4h RTL2a RTL2b RTL2f TH4"),
        ABLY_TEST(attach_fails_when_connection_cannot_attach, "RTL4b"),
        ABLY_TEST(attach_while_connecting_waits_for_connected, "RTL4i RTL3d"),
        ABLY_TEST(attach_times_out_to_suspended_then_retries, "RTL4f RTL13b RTL4c"),
        ABLY_TEST(attach_message_carries_serial_params_and_modes, "RTL4k RTL4k1 RTL4l RTL4m RTL15b RTL4c1"),
        ABLY_TEST(attach_from_failed_clears_error, "RTL4g RTL14 RTL5b"),
        ABLY_TEST(detach_flow_and_no_ops, "RTL5a RTL5d RTL5i RTL5e"),
        ABLY_TEST(detach_timeout_returns_to_attached, "RTL5f"),
        ABLY_TEST(attached_while_detaching_sends_detach_again, "RTL5k"),
        ABLY_TEST(detach_while_attaching_then_attach_while_detaching, "RTL5i RTL4h"),
        ABLY_TEST(detach_when_not_connected_is_immediate, "RTL5l RTL3e"),
        ABLY_TEST(connection_failed_fails_channels, "RTL3a"),
        ABLY_TEST(connection_closed_detaches_channels, "RTL3b"),
        ABLY_TEST(suspended_then_reconnect_reattaches, "RTL3c RTL3d RTL3d1"),
        ABLY_TEST(resume_reattaches_attached_channels, "RTN15c6 RTL3d RTL4c1"),
        ABLY_TEST(server_detached_reattaches_then_suspends, "RTL13a RTL13b RTL2d"),
        ABLY_TEST(additional_attached_emits_update_unless_resumed, "RTL12 RTL2g"),
        ABLY_TEST(once_and_off_listeners, "RTE4 RTE5 RTL2"),
        ABLY_TEST(set_options_with_new_modes_reattaches, "RTL16 RTL16a"),
        ABLY_TEST(recovery_key_includes_channel_serials, "RTN16g"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
