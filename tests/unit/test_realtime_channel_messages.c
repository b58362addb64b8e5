/* Realtime channel publish (RTL6) and subscribe (RTL7, RTL8, RTL17) on the mock
 * WebSocket (uts/realtime/unit/channels/{channel_publish,channel_subscribe,
 * message_field_population}.md). */
#include "test_realtime_channel_fixture.h"

typedef struct {
    int calls;
    int64_t code;
    char serial[64];
} pub_result;

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    pub_result *r = ctx;
    r->calls++;
    r->code = err ? err->code : 0;
    if (res && res->serials_count && res->serials[0])
        snprintf(r->serial, sizeof r->serial, "%s", res->serials[0]);
}

typedef struct {
    int count;
    char name[8][32];
    char data[8][64];
    char id[8][64];
    char conn[8][32];
    int64_t ts[8];
} msg_rec;

static void on_msg(void *ctx, const ably_message *m)
{
    msg_rec *r = ctx;
    if (r->count >= 8)
        return;
    int i = r->count++;
    snprintf(r->name[i], sizeof r->name[i], "%s", m->name ? m->name : "");
    snprintf(r->data[i], sizeof r->data[i], "%.*s", (int)m->data.len, m->data.bytes ? (const char *)m->data.bytes : "");
    snprintf(r->id[i], sizeof r->id[i], "%s", m->id ? m->id : "");
    snprintf(r->conn[i], sizeof r->conn[i], "%s", m->connection_id ? m->connection_id : "");
    r->ts[i] = m->has_timestamp ? m->timestamp : -1;
}

static void publish_is_acked_with_serial(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "pub", NULL);
    pub_result a = {0}, b = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "hello", 5);
    ably_realtime_channel_publish(ch, "greet", &d, on_published, &a); /* RTL6c5: no attach needed */
    ably_realtime_channel_publish(ch, "greet", &d, on_published, &b);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 2);
    const ably_protocol_message *m = mock_ws_sent(f.t.m, 0);
    assert_int_equal(m->action, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_string_equal(m->channel, "pub");
    assert_int_equal(m->messages_count, 1);
    assert_string_equal(m->messages[0].name, "greet");
    assert_int_equal(m->msg_serial, 0);
    assert_int_equal(mock_ws_sent(f.t.m, 1)->msg_serial, 1);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1,\"res\":[{\"serials\":[\"s0\"]}]}");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_string_equal(a.serial, "s0");
    assert_int_equal(b.calls, 0);
    fx_server(&f, "{\"action\":2,\"msgSerial\":1,\"count\":1,\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.code, 40160); /* NACK */
    fx_free(&f);
}

static void publish_queued_while_connecting(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "pub", NULL);
    pub_result a = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
    ably_realtime_channel_publish(ch, NULL, &d, on_published, &a); /* RTL6c2 */
    ably_connection_connect(f.t.rt);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    mock_rt_accept(&f.t, 0, mock_ws_connected_json("c", "k", 15000, 120000));
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    fx_free(&f);
}

static void publish_fails_on_bad_channel_state_and_size(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.max_message_size = 10;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "pub", NULL);
    pub_result big = {0}, failed = {0};
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "0123456789abc", 13);
    ably_realtime_channel_publish(ch, NULL, &d, on_published, &big);
    fx_pump(&f);
    assert_int_equal(big.calls, 1);
    assert_int_equal(big.code, 40009);
    fx_attach(&f, ch);
    fx_server(&f, "{\"action\":9,\"channel\":\"pub\",\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"no\"}}");
    ably_data small = ably_data_borrow(ABLY_DATA_STRING, "a", 1);
    ably_realtime_channel_publish(ch, NULL, &small, on_published, &failed); /* RTL6c4 */
    fx_pump(&f);
    assert_int_equal(failed.calls, 1);
    assert_int_equal(failed.code, 90001);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    fx_free(&f);
}

static void publish_encrypts_with_channel_cipher(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_cipher_params cp;
    ably_error err = {0};
    uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ably_cipher_param_options po = {0};
    po.key = key;
    po.key_len = sizeof key;
    assert_int_equal(ably_crypto_get_default_params(&po, &cp, &err), 0);
    ably_realtime_channel_options o = {.cipher = &cp};
    ably_realtime_channel *ch = fx_channel(&f, "enc", &o);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "secret", 6);
    ably_realtime_channel_publish(ch, NULL, &d, NULL, NULL);
    fx_pump(&f);
    const ably_protocol_message *m = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_non_null(m);
    assert_string_equal(m->messages[0].encoding, "utf-8/cipher+aes-128-cbc"); /* msgpack: no base64 */
    assert_int_equal(m->messages[0].data.type, ABLY_DATA_BINARY);
    assert_int_equal(m->messages[0].data.len, 32); /* IV + one block */
    fx_free(&f);
}

static void subscribe_attaches_and_delivers_by_name(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "sub", NULL);
    msg_rec all = {0}, greet = {0}, gone = {0};
    op_result att = {0};
    assert_true(ably_realtime_channel_subscribe(ch, NULL, on_msg, &all, fx_on_result, &att) != 0);
    ably_realtime_channel_subscribe(ch, "greet", on_msg, &greet, NULL, NULL);
    uint64_t id = ably_realtime_channel_subscribe(ch, NULL, on_msg, &gone, NULL, NULL);
    ably_realtime_channel_unsubscribe(ch, id); /* RTL8a */
    fx_pump(&f);
    assert_int_equal(att.calls, 1); /* RTL7g */
    assert_int_equal(att.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"id\":\"pm1\",\"connectionId\":\"other\",\"timestamp\":1000,"
                  "\"messages\":[{\"name\":\"greet\",\"data\":\"hi\"},{\"name\":\"bye\",\"data\":\"eyJhIjoxfQ==\","
                  "\"encoding\":\"json/base64\",\"id\":\"own\"}]}");
    assert_int_equal(all.count, 2);
    assert_int_equal(greet.count, 1); /* RTL7b */
    assert_int_equal(gone.count, 0);
    assert_string_equal(all.name[0], "greet");
    assert_string_equal(all.data[0], "hi");
    assert_string_equal(all.id[0], "pm1:0"); /* TM2a */
    assert_string_equal(all.conn[0], "other"); /* TM2c */
    assert_int_equal(all.ts[0], 1000);         /* TM2f */
    assert_string_equal(all.id[1], "own");
    assert_string_equal(all.data[1], "{\"a\":1}"); /* RTL7d */
    ably_realtime_channel_unsubscribe_name(ch, "greet"); /* RTL8b */
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"messages\":[{\"name\":\"greet\",\"data\":\"2\"}]}");
    assert_int_equal(greet.count, 1);
    assert_int_equal(all.count, 3);
    ably_realtime_channel_unsubscribe_all(ch); /* RTL8c */
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"messages\":[{\"name\":\"greet\",\"data\":\"3\"}]}");
    assert_int_equal(all.count, 3);
    fx_free(&f);
}

static void messages_need_an_attached_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    ably_realtime_channel *ch = fx_channel(&f, "sub", &o);
    msg_rec r = {0};
    op_result att = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_msg, &r, fx_on_result, &att);
    fx_pump(&f);
    assert_int_equal(att.calls, 1); /* RTL7h: no attach */
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"messages\":[{\"name\":\"x\",\"data\":\"1\"}]}");
    assert_int_equal(r.count, 0); /* RTL17 */
    fx_attach(&f, ch);
    fx_server(&f, "{\"action\":15,\"channel\":\"sub\",\"messages\":[{\"name\":\"x\",\"data\":\"1\"}]}");
    assert_int_equal(r.count, 1);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_is_acked_with_serial, "RTL6 RTL6c1 RTL6c5 RTL6i RTN7a"),
        ABLY_TEST(publish_queued_while_connecting, "RTL6c2"),
        ABLY_TEST(publish_fails_on_bad_channel_state_and_size, "RTL6c4 TO3l8"),
        ABLY_TEST(publish_encrypts_with_channel_cipher, "RTL6 RSL5 TB2b"),
        ABLY_TEST(subscribe_attaches_and_delivers_by_name, "RTL7a RTL7b RTL7g RTL7d RTL8a RTL8b RTL8c TM2a TM2c TM2f"),
        ABLY_TEST(messages_need_an_attached_channel, "RTL17 RTL7h TB4"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
