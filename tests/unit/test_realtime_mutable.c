/* Realtime mutable messages (RTL32) on the mock WebSocket
 * (uts/realtime/unit/channels/channel_update_delete_message.md). */
#include "test_realtime_channel_fixture.h"

typedef struct {
    int calls;
    int64_t code;
    bool has_result;
    char version_serial[64];
} udr_rec;

static void on_udr(void *ctx, const ably_error *err, const ably_update_delete_result *res)
{
    udr_rec *r = ctx;
    r->calls++;
    r->code = err ? err->code : 0;
    r->has_result = res != NULL;
    if (res && res->version_serial)
        snprintf(r->version_serial, sizeof r->version_serial, "%s", res->version_serial);
}

typedef void (*mutate_fn)(ably_realtime_channel *, const ably_message *, const ably_message_operation *,
                          const ably_string_map *, ably_update_delete_fn, void *);

static ably_message original(void)
{
    ably_message m;
    ably_message_init(&m);
    m.serial = "serial-1";
    m.name = "greet";
    m.data = ably_data_borrow(ABLY_DATA_STRING, "edited", 6);
    return m;
}

/* Connects, applies `fn` to original() on channel "mut" with no operation or params, and
 * returns the MESSAGE frame that went out (the result is reported into *r). */
static const ably_protocol_message *mutate_original(chan_fx *f, mutate_fn fn, udr_rec *r)
{
    fx_init_connected(f);
    ably_realtime_channel *ch = fx_channel(f, "mut", NULL);
    ably_message m = original();
    *r = (udr_rec){0};
    fn(ch, &m, NULL, NULL, on_udr, r);
    fx_pump(f);
    const ably_protocol_message *pm = mock_ws_last_sent(f->t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_non_null(pm);
    return pm;
}

static void check_action(mutate_fn fn, ably_message_action action)
{
    chan_fx f;
    udr_rec r;
    const ably_protocol_message *pm = mutate_original(&f, fn, &r);
    assert_string_equal(pm->channel, "mut");
    assert_int_equal(pm->messages_count, 1);
    assert_true(pm->messages[0].has_action);
    assert_int_equal(pm->messages[0].action, action);
    assert_string_equal(pm->messages[0].serial, "serial-1");
    assert_string_equal(pm->messages[0].name, "greet");
    assert_int_equal(pm->messages[0].data.len, 6);
    assert_memory_equal(pm->messages[0].data.bytes, "edited", 6);
    assert_null(pm->messages[0].version); /* no operation given */
    assert_int_equal(r.calls, 0);
    fx_free(&f);
}

static void update_sends_message_update(void **state)
{
    (void)state;
    check_action(ably_realtime_channel_update_message, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
}

static void delete_sends_message_delete(void **state)
{
    (void)state;
    check_action(ably_realtime_channel_delete_message, ABLY_MESSAGE_ACTION_MESSAGE_DELETE);
}

static void append_sends_message_append(void **state)
{
    (void)state;
    check_action(ably_realtime_channel_append_message, ABLY_MESSAGE_ACTION_MESSAGE_APPEND);
}

static void operation_becomes_version_and_params_are_sent(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "mut", NULL);
    ably_message m = original();
    ably_string_map meta = {0}, params = {0};
    ably_string_map_set(&meta, "reason", "typo");
    ably_string_map_set(&params, "key", "value");
    ably_message_operation op = {.client_id = "editor", .description = "fixed a typo", .metadata = &meta};
    ably_realtime_channel_update_message(ch, &m, &op, &params, NULL, NULL);
    ably_string_map_clear(&meta); /* copied before the call returned */
    ably_string_map_clear(&params);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_non_null(pm);
    const ably_message_version *v = pm->messages[0].version;
    assert_non_null(v); /* RTL32b2 */
    assert_string_equal(v->client_id, "editor");
    assert_string_equal(v->description, "fixed a typo");
    assert_string_equal(ably_string_map_get(&v->metadata, "reason"), "typo");
    assert_non_null(ably_string_map_get(&pm->params, "key")); /* RTL32e */
    assert_string_equal(ably_string_map_get(&pm->params, "key"), "value");
    fx_free(&f);
}

static void caller_message_is_not_modified(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "mut", NULL);
    ably_message m = original();
    m.data = ably_data_borrow(ABLY_DATA_JSON, "{\"a\":1}", 7);
    ably_message_operation op = {.description = "d"};
    ably_realtime_channel_delete_message(ch, &m, &op, NULL, NULL, NULL);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_non_null(pm);
    assert_string_equal(pm->messages[0].encoding, "json"); /* the copy was encoded */
    assert_false(m.has_action); /* RTL32c */
    assert_null(m.version);
    assert_null(m.encoding);
    assert_int_equal(m.data.type, ABLY_DATA_JSON);
    assert_string_equal(m.serial, "serial-1");
    fx_free(&f);
}

static void ack_gives_version_serial(void **state)
{
    (void)state;
    chan_fx f;
    udr_rec r;
    const ably_protocol_message *pm = mutate_original(&f, ably_realtime_channel_update_message, &r);
    fx_ack(&f, pm->msg_serial, "[{\"serials\":[\"v-2\"]}]");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_true(r.has_result);
    assert_string_equal(r.version_serial, "v-2"); /* RTL32d */
    fx_free(&f);
}

static void nack_gives_error(void **state)
{
    (void)state;
    chan_fx f;
    udr_rec r;
    const ably_protocol_message *pm = mutate_original(&f, ably_realtime_channel_append_message, &r);
    fx_nack(&f, pm->msg_serial, "{\"code\":93002,\"statusCode\":400,\"message\":\"not enabled\"}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 93002);
    assert_false(r.has_result);
    fx_free(&f);
}

static void serial_is_required(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "mut", NULL);
    ably_message m = original();
    m.serial = NULL;
    udr_rec r = {0};
    ably_realtime_channel_update_message(ch, &m, NULL, NULL, on_udr, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40003);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    fx_free(&f);
}

/* RTL32e, TR4q: params travel as the ProtocolMessage's params object, on the wire. */
static void params_travel_in_protocol_message_params(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.use_binary_protocol = false; /* to read the wire text */
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "mut", NULL);
    ably_message m = original();
    ably_string_map params = {0};
    ably_string_map_set(&params, "key1", "value1");
    ably_string_map_set(&params, "key2", "value2");
    ably_realtime_channel_update_message(ch, &m, NULL, &params, NULL, NULL);
    ably_string_map_clear(&params);
    fx_pump(&f);
    size_t last = mock_ws_sent_count(f.t.m) - 1;
    const ably_protocol_message *pm = mock_ws_sent(f.t.m, last);
    assert_int_equal(pm->action, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_string_equal(ably_string_map_get(&pm->params, "key1"), "value1");
    assert_string_equal(ably_string_map_get(&pm->params, "key2"), "value2");
    size_t len;
    const char *raw = mock_ws_sent_raw(f.t.m, last, &len);
    char *text = strndup(raw, len);
    assert_non_null(strstr(text, "\"params\":{\"key1\":\"value1\",\"key2\":\"value2\"}"));
    free(text);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(update_sends_message_update, "RTL32 RTL32b RTL32b1"),
        ABLY_TEST(delete_sends_message_delete, "RTL32b RTL32b1"),
        ABLY_TEST(append_sends_message_append, "RTL32b RTL32b1"),
        ABLY_TEST(operation_becomes_version_and_params_are_sent, "RTL32a RTL32b2 RTL32e"),
        ABLY_TEST(caller_message_is_not_modified, "RTL32c"),
        ABLY_TEST(ack_gives_version_serial, "RTL32d"),
        ABLY_TEST(nack_gives_error, "RTL32d"),
        ABLY_TEST(serial_is_required, "RTL32a"),
        ABLY_TEST(params_travel_in_protocol_message_params, "RTL32e TR4q"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
