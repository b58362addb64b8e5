/* Realtime channel publish (RTL6), its ACK results (RTL6j, TR4s, PBR), the pending
 * message rules around connection changes (RTN7d, RTN7e, RTN19) and the ATTACH mode
 * flags (TR3r, TR3s) on the mock WebSocket
 * (uts/realtime/unit/channels/channel_publish.md, channel_attach.md RTL4l). */
#include "test_realtime_channel_fixture.h"

/* ---- a server stub that also answers MESSAGE frames ---- */

typedef enum { REPLY_NONE, REPLY_ACK, REPLY_NACK, REPLY_FATAL } reply_kind;

typedef struct {
    chan_fx f;
    reply_kind reply;
    size_t reply_from_attempt; /* MESSAGEs on earlier attempts stay unanswered */
    const char *res;           /* the ACK's res array; NULL: [{"serials":["serial-<msgSerial>"]}] */
    const char *error;         /* NACK / fatal ERROR error object */
} pub_fx;

static void pub_on_client_frame(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    pub_fx *p = ctx;
    fx_on_client_frame(&p->f, m, attempt, pm);
    if (pm->action != ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE || attempt < p->reply_from_attempt)
        return;
    char frame[512];
    switch (p->reply) {
    case REPLY_ACK:
        if (p->res)
            snprintf(frame, sizeof frame, "{\"action\":1,\"msgSerial\":%lld,\"count\":1,\"res\":%s}",
                     (long long)pm->msg_serial, p->res);
        else
            snprintf(frame, sizeof frame,
                     "{\"action\":1,\"msgSerial\":%lld,\"count\":1,\"res\":[{\"serials\":[\"serial-%lld\"]}]}",
                     (long long)pm->msg_serial, (long long)pm->msg_serial);
        mock_ws_send(m, attempt, frame);
        break;
    case REPLY_NACK:
        snprintf(frame, sizeof frame, "{\"action\":2,\"msgSerial\":%lld,\"count\":1,\"error\":%s}",
                 (long long)pm->msg_serial, p->error);
        mock_ws_send(m, attempt, frame);
        break;
    case REPLY_FATAL:
        snprintf(frame, sizeof frame, "{\"action\":9,\"error\":%s}", p->error);
        mock_ws_send_and_close(m, attempt, frame);
        break;
    case REPLY_NONE:
        break;
    }
}

static void pub_init(pub_fx *p)
{
    memset(p, 0, sizeof *p);
    fx_init(&p->f);
    mock_ws_on_message(p->f.t.m, pub_on_client_frame, p);
}

/* Connected client with channel "pub" (attachOnSubscribe false as in the UTS setups). */
static ably_realtime_channel *pub_connected(pub_fx *p, const ably_realtime_config *cfg)
{
    mock_rt_start(&p->f.t, cfg);
    fx_connect(&p->f);
    static const ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    return fx_channel(&p->f, "pub", &o);
}

static void refuse_every_attempt(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    mock_ws_respond_refused(m, i);
}

/* Drops the transport and answers the next attempt with `connected_json`. */
static void reconnect(pub_fx *p, const char *connected_json)
{
    size_t before = mock_ws_attempt_count(p->f.t.m);
    mock_ws_simulate_disconnect(p->f.t.m, before - 1);
    fx_pump(&p->f);
    fx_advance(&p->f, 2000);
    assert_int_equal(mock_ws_attempt_count(p->f.t.m), before + 1);
    mock_ws_respond_success(p->f.t.m, before, connected_json);
    fx_pump(&p->f);
    assert_int_equal(mock_rt_state(&p->f.t), ABLY_CONN_CONNECTED);
}

/* Advances in 2 s steps (at most 15) until the connection is SUSPENDED. */
static void advance_until_suspended(pub_fx *p)
{
    for (int i = 0; i < 15 && mock_rt_state(&p->f.t) != ABLY_CONN_SUSPENDED; i++)
        fx_advance(&p->f, 2000);
    assert_int_equal(mock_rt_state(&p->f.t), ABLY_CONN_SUSPENDED);
}

/* Closes the connection; the server confirms with CLOSED. */
static void close_connection(pub_fx *p)
{
    ably_connection_close(p->f.t.rt);
    fx_pump(&p->f);
    fx_server(&p->f, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&p->f.t), ABLY_CONN_CLOSED);
}

/* MESSAGE frames sent (index into mock_ws_sent), in order. */
static size_t sent_messages(pub_fx *p, size_t *idx, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_ws_sent_count(p->f.t.m) && n < cap; i++)
        if (mock_ws_sent(p->f.t.m, i)->action == ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE)
            idx[n++] = i;
    return n;
}

static const ably_protocol_message *nth_message_frame(pub_fx *p, size_t n)
{
    size_t idx[16];
    size_t count = sent_messages(p, idx, 16);
    assert_true(n < count);
    return mock_ws_sent(p->f.t.m, idx[n]);
}

/* ---- the publish callback recorder ---- */

typedef struct {
    int calls;
    int64_t code, status;
    char message[64];
    bool has_result;
    size_t serials_count;
    char serials[4][32];
    bool serial_null[4];
} pub_result;

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    pub_result *r = ctx;
    r->calls++;
    r->code = err ? (err->code ? err->code : -1) : 0;
    r->status = err ? err->status_code : 0;
    snprintf(r->message, sizeof r->message, "%s", err && err->message ? err->message : "");
    r->has_result = res != NULL;
    r->serials_count = res ? res->serials_count : 0;
    for (size_t i = 0; res && i < res->serials_count && i < 4; i++) {
        r->serial_null[i] = res->serials[i] == NULL;
        snprintf(r->serials[i], sizeof r->serials[i], "%s", res->serials[i] ? res->serials[i] : "");
    }
}

static void publish_text(ably_realtime_channel *ch, const char *name, const char *text, pub_result *r)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, text, strlen(text));
    ably_realtime_channel_publish(ch, name, &d, on_published, r);
}

static void assert_data(const ably_data *d, const char *text)
{
    assert_int_equal(d->len, strlen(text));
    assert_memory_equal(d->bytes, text, d->len);
}

/* The callback ran once, with success and (when `serial` is not NULL) that first serial. */
static void assert_acked(const pub_result *r, const char *serial)
{
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->code, 0);
    if (serial)
        assert_string_equal(r->serials[0], serial);
}

/* The callback ran once, with an error. */
static void assert_refused(const pub_result *r)
{
    assert_int_equal(r->calls, 1);
    assert_true(r->code > 0);
}

/* Publishes one message in the channel's current state and asserts that it fails. */
static void assert_publish_refused(pub_fx *p, ably_realtime_channel *ch)
{
    pub_result r = {0};
    publish_text(ch, "fail", "should-error", &r);
    fx_pump(&p->f);
    assert_refused(&r);
}

/* Publishes the message that the RTN7 tests leave pending. */
static void publish_pending(pub_fx *p, ably_realtime_channel *ch, pub_result *r)
{
    publish_text(ch, "pending", "data", r);
    fx_pump(&p->f);
}

/* pub_connected, then attaches "pub". */
static ably_realtime_channel *pub_attached(pub_fx *p)
{
    ably_realtime_channel *ch = pub_connected(p, NULL);
    fx_attach(&p->f, ch);
    return ch;
}

/* Starts the client with channel "pub" and calls connect(): the attempt stays unanswered. */
static ably_realtime_channel *pub_connecting(pub_fx *p)
{
    mock_rt_start(&p->f.t, NULL);
    ably_realtime_channel *ch = fx_channel(&p->f, "pub", NULL);
    ably_connection_connect(p->f.t.rt);
    fx_pump(&p->f);
    return ch;
}

/* ACKs only on the second transport, with `res`: what is sent before a reconnect stays pending. */
static void ack_after_reconnect(pub_fx *p, const char *res)
{
    p->reply = REPLY_ACK;
    p->reply_from_attempt = 1;
    p->res = res;
}

/* Three messages event1..3 with data data1..3 (borrowed static strings). */
static void three_messages(ably_message msgs[3])
{
    static const char *names[] = {"event1", "event2", "event3"}, *datas[] = {"data1", "data2", "data3"};
    for (int i = 0; i < 3; i++) {
        ably_message_init(&msgs[i]);
        msgs[i].name = (char *)names[i];
        msgs[i].data = ably_data_borrow(ABLY_DATA_STRING, datas[i], 5);
    }
}

/* ---- RTL6i ---- */

static void publish_name_and_data_is_one_message(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    publish_text(ch, "greeting", "hello", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_int_equal(pm->action, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_string_equal(pm->channel, "pub");
    assert_int_equal(pm->messages_count, 1);
    assert_string_equal(pm->messages[0].name, "greeting");
    assert_data(&pm->messages[0].data, "hello");
    fx_free(&p.f);
}

static void publish_array_is_one_frame(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    ably_message msgs[3];
    three_messages(msgs);
    ably_realtime_channel_publish_messages(ch, msgs, 3, NULL, NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_int_equal(pm->messages_count, 3);
    assert_string_equal(pm->messages[0].name, "event1");
    assert_string_equal(pm->messages[1].name, "event2");
    assert_string_equal(pm->messages[2].name, "event3");
    fx_free(&p.f);
}

static void publish_message_object(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    ably_message m;
    ably_message_init(&m);
    m.name = "custom";
    m.data = ably_data_borrow(ABLY_DATA_JSON, "{\"key\":\"value\"}", 15);
    ably_realtime_channel_publish_messages(ch, &m, 1, NULL, NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_int_equal(pm->messages_count, 1);
    assert_string_equal(pm->messages[0].name, "custom");
    /* on the wire a JSON object travels as a string with encoding "json" (RSL4d3) */
    assert_string_equal(pm->messages[0].encoding, "json");
    assert_data(&pm->messages[0].data, "{\"key\":\"value\"}");
    fx_free(&p.f);
}

/* Frame `n`'s bytes on the wire, as a NUL-terminated copy. */
static char *raw_message_frame(pub_fx *p, size_t n, size_t *len)
{
    size_t idx[16];
    assert_true(n < sent_messages(p, idx, 16));
    const void *raw = mock_ws_sent_raw(p->f.t.m, idx[n], len);
    char *copy = malloc(*len + 1);
    assert_non_null(copy);
    memcpy(copy, raw, *len);
    copy[*len] = '\0';
    return copy;
}

static bool contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* Publishes (click, NULL), (NULL, payload) and (NULL, NULL); returns the client. */
static void publish_null_fields(pub_fx *p, bool binary)
{
    p->f.t.o.use_binary_protocol = binary;
    ably_realtime_channel *ch = pub_connected(p, NULL);
    fx_attach(&p->f, ch);
    ably_realtime_channel_publish(ch, "click", NULL, NULL, NULL);
    publish_text(ch, NULL, "payload", NULL);
    ably_realtime_channel_publish(ch, NULL, NULL, NULL, NULL);
    fx_pump(&p->f);
    assert_int_equal(mock_ws_count_sent(p->f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 3);
}

static void null_fields_left_out_of_json(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    publish_null_fields(&p, false);
    size_t len;
    char *f0 = raw_message_frame(&p, 0, &len);
    assert_non_null(strstr(f0, "\"name\":\"click\""));
    assert_null(strstr(f0, "\"data\""));
    free(f0);
    char *f1 = raw_message_frame(&p, 1, &len);
    assert_null(strstr(f1, "\"name\""));
    assert_non_null(strstr(f1, "\"data\":\"payload\""));
    free(f1);
    char *f2 = raw_message_frame(&p, 2, &len);
    assert_null(strstr(f2, "\"name\""));
    assert_null(strstr(f2, "\"data\""));
    assert_null(strstr(f2, "null"));
    free(f2);
    fx_free(&p.f);
}

static void null_fields_left_out_of_msgpack(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    publish_null_fields(&p, true);
    /* msgpack keys are fixstr: 0xa4 followed by the four letters */
    static const char name_key[] = "\xa4name", data_key[] = "\xa4" "data";
    size_t len;
    char *f0 = raw_message_frame(&p, 0, &len);
    assert_true(contains(f0, len, "\xa4name\xa5" "click"));
    assert_false(contains(f0, len, data_key));
    free(f0);
    char *f1 = raw_message_frame(&p, 1, &len);
    assert_false(contains(f1, len, name_key));
    assert_true(contains(f1, len, "\xa4" "data\xa7payload"));
    free(f1);
    char *f2 = raw_message_frame(&p, 2, &len);
    assert_false(contains(f2, len, name_key));
    assert_false(contains(f2, len, data_key));
    free(f2);
    const ably_protocol_message *pm = nth_message_frame(&p, 2);
    assert_int_equal(pm->messages_count, 1);
    fx_free(&p.f);
}

/* ---- RTL6a: encoded as RestChannel#publish does, with its size limit ---- */

static void publish_encodes_like_rest_and_checks_size(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.use_binary_protocol = false;
    p.f.t.o.max_message_size = 64;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    ably_data bin = ably_data_borrow(ABLY_DATA_BINARY, "\x01\x02\x03", 3);
    ably_realtime_channel_publish(ch, "bin", &bin, NULL, NULL);
    fx_pump(&p.f);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_string_equal(pm->messages[0].encoding, "base64"); /* RSL4d1 over JSON */
    assert_data(&pm->messages[0].data, "AQID");
    char big[100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pub_result r = {0};
    publish_text(ch, "big", big, &r); /* RSL1i */
    fx_pump(&p.f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40009);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    fx_free(&p.f);
}

/* ---- RTL6c1 ---- */

static void sent_at_once_when_attached(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED);
    publish_text(ch, "test", "immediate", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "test");
    assert_data(&nth_message_frame(&p, 0)->messages[0].data, "immediate");
    fx_free(&p.f);
}

static void sent_at_once_when_attaching(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.auto_attach = false;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&p.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    publish_text(ch, "while-attaching", "data", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "while-attaching");
    fx_free(&p.f);
}

static void sent_at_once_when_initialized(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    publish_text(ch, "before-attach", "data", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "before-attach");
    fx_free(&p.f);
}

/* ---- RTL6c2 ---- */

static void queued_while_connecting(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connecting(&p);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTING);
    publish_text(ch, "queued", "waiting", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    mock_rt_accept(&p.f.t, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "queued");
    assert_data(&nth_message_frame(&p, 0)->messages[0].data, "waiting");
    fx_free(&p.f);
}

static void queued_while_disconnected(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    mock_rt_drop(&p.f.t, 0);
    mock_rt_refuse(&p.f.t, 1); /* the immediate retry fails: DISCONNECTED until the retry timer */
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_DISCONNECTED);
    publish_text(ch, "during-disconnect", "queued", NULL);
    fx_pump(&p.f);
    size_t before = mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE);
    assert_int_equal(before, 0);
    for (int i = 0; i < 15 && mock_ws_attempt_count(p.f.t.m) < 3; i++)
        fx_advance(&p.f, 2000);
    assert_int_equal(mock_ws_attempt_count(p.f.t.m), 3);
    mock_rt_accept(&p.f.t, 2, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED);
    assert_true(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE) > before);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "during-disconnect");
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    fx_free(&p.f);
}

static void queued_while_initialized(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    mock_rt_start(&p.f.t, NULL);
    ably_realtime_channel *ch = fx_channel(&p.f, "pub", NULL);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_INITIALIZED);
    publish_text(ch, "pre-connect", "early", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    fx_connect(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "pre-connect");
    fx_free(&p.f);
}

static void queued_messages_sent_in_order(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connecting(&p);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTING);
    publish_text(ch, "first", "1", NULL);
    publish_text(ch, "second", "2", NULL);
    publish_text(ch, "third", "3", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    mock_rt_accept(&p.f.t, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 3);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].name, "first");
    assert_string_equal(nth_message_frame(&p, 1)->messages[0].name, "second");
    assert_string_equal(nth_message_frame(&p, 2)->messages[0].name, "third");
    fx_free(&p.f);
}

static void fails_without_queue_messages_when_not_connected(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.queue_messages = false;
    ably_realtime_channel *ch = pub_connecting(&p);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTING);
    assert_publish_refused(&p, ch);
    fx_free(&p.f);
}

/* ---- RTL6c4 ---- */

static void fails_when_connection_suspended(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.disconnected_retry_timeout_ms = 1000;
    mock_ws_on_attempt(p.f.t.m, refuse_every_attempt, NULL);
    ably_realtime_config cfg = {.connection_state_ttl_ms = 5000};
    mock_rt_start(&p.f.t, &cfg);
    ably_realtime_channel *ch = fx_channel(&p.f, "pub", NULL);
    ably_connection_connect(p.f.t.rt);
    fx_pump(&p.f);
    advance_until_suspended(&p);
    assert_publish_refused(&p, ch);
    fx_free(&p.f);
}

static void fails_when_connection_closed(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    close_connection(&p);
    assert_publish_refused(&p, ch);
    fx_free(&p.f);
}

static void fails_when_connection_failed(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connecting(&p);
    mock_rt_refuse_with(&p.f.t, 0, "{\"action\":9,\"error\":{\"code\":80000,\"statusCode\":400,"
                                      "\"message\":\"Fatal error\"}}");
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_FAILED);
    assert_publish_refused(&p, ch);
    fx_free(&p.f);
}

static void fails_when_channel_suspended(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.auto_attach = false;
    p.f.t.o.realtime_request_timeout_ms = 100;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    op_result attach = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &attach);
    fx_pump(&p.f);
    fx_advance(&p.f, 150);
    assert_int_equal(attach.calls, 1);
    assert_true(attach.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    assert_publish_refused(&p, ch);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    fx_free(&p.f);
}

static void fails_when_channel_failed(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.auto_attach = false;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    op_result attach = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &attach);
    fx_pump(&p.f);
    fx_server(&p.f, "{\"action\":9,\"channel\":\"pub\",\"error\":{\"code\":40160,\"statusCode\":401,"
                    "\"message\":\"Not permitted\"}}");
    assert_int_equal(attach.code, 40160);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    assert_publish_refused(&p, ch);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    fx_free(&p.f);
}

/* ---- RTL6c5 ---- */

static void publish_does_not_attach(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    publish_text(ch, "no-attach", "test", NULL);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    fx_free(&p.f);
}

/* ---- RTL6j, PBR, TR4s, TR4g ---- */

static void ack_gives_publish_result(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_ACK;
    p.res = "[{\"serials\":[\"abc123\"]}]";
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_text(ch, "greeting", "hello", &r);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_int_equal(nth_message_frame(&p, 0)->msg_serial, 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_true(r.has_result);
    assert_int_equal(r.serials_count, 1);
    assert_string_equal(r.serials[0], "abc123");
    fx_free(&p.f);
}

static void batch_ack_gives_serial_per_message(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_ACK;
    p.res = "[{\"serials\":[\"serial-1\",null,\"serial-3\"]}]";
    ably_realtime_channel *ch = pub_attached(&p);
    ably_message msgs[3];
    three_messages(msgs);
    pub_result r = {0};
    ably_realtime_channel_publish_messages(ch, msgs, 3, on_published, &r);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 1);
    assert_int_equal(nth_message_frame(&p, 0)->messages_count, 3);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.serials_count, 3);
    assert_string_equal(r.serials[0], "serial-1");
    assert_true(r.serial_null[1]); /* conflated */
    assert_string_equal(r.serials[2], "serial-3");
    fx_free(&p.f);
}

static void sequential_publishes_count_msg_serial_up(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_ACK; /* serial-<msgSerial> */
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r1 = {0}, r2 = {0}, r3 = {0};
    publish_text(ch, "first", "1", &r1);
    fx_pump(&p.f);
    publish_text(ch, "second", "2", &r2);
    fx_pump(&p.f);
    publish_text(ch, "third", "3", &r3);
    fx_pump(&p.f);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(nth_message_frame(&p, (size_t)i)->msg_serial, i);
    assert_string_equal(r1.serials[0], "serial-0");
    assert_string_equal(r2.serials[0], "serial-1");
    assert_string_equal(r3.serials[0], "serial-2");
    fx_free(&p.f);
}

/* TR4g, TR4s: one ACK with count 2 acknowledges two frames, with one result each. */
static void one_ack_counts_several_frames(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    pub_result r1 = {0}, r2 = {0}, r3 = {0};
    publish_text(ch, "a", "1", &r1);
    publish_text(ch, "b", "2", &r2);
    publish_text(ch, "c", "3", &r3);
    fx_pump(&p.f);
    fx_server(&p.f, "{\"action\":1,\"msgSerial\":0,\"count\":2,\"res\":[{\"serials\":[\"s-a\"]},"
                    "{\"serials\":[\"s-b\"]}]}");
    assert_acked(&r1, "s-a");
    assert_acked(&r2, "s-b");
    assert_int_equal(r3.calls, 0); /* outside the count */
    fx_server(&p.f, "{\"action\":1,\"msgSerial\":2,\"count\":1,\"res\":[{\"serials\":[\"s-c\"]}]}");
    assert_int_equal(r3.calls, 1);
    assert_string_equal(r3.serials[0], "s-c");
    fx_free(&p.f);
}

static void nack_fails_publish(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_NACK;
    p.error = "{\"code\":40160,\"statusCode\":401,\"message\":\"Publish rejected\"}";
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_text(ch, "rejected", "data", &r);
    fx_pump(&p.f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40160);
    assert_string_equal(r.message, "Publish rejected");
    assert_false(r.has_result);
    fx_free(&p.f);
}

/* ---- RTN7e ---- */

static void pending_fails_on_suspended(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.disconnected_retry_timeout_ms = 1000;
    mock_rt_start(&p.f.t, NULL);
    ably_connection_connect(p.f.t.rt);
    fx_pump(&p.f);
    mock_rt_accept(&p.f.t, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 5000)); /* TTL 5 s */
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED);
    ably_realtime_channel *ch = fx_attached(&p.f, "pub", NULL);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    mock_ws_on_attempt(p.f.t.m, refuse_every_attempt, NULL);
    mock_rt_drop(&p.f.t, 0);
    advance_until_suspended(&p);
    assert_refused(&r);
    fx_free(&p.f);
}

static void pending_fails_on_closed(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    assert_int_equal(r.calls, 0);
    close_connection(&p);
    assert_refused(&r);
    fx_free(&p.f);
}

static void pending_fails_on_failed(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_FATAL;
    p.error = "{\"code\":80000,\"statusCode\":400,\"message\":\"Fatal error\"}";
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_FAILED);
    assert_refused(&r);
    fx_free(&p.f);
}

static void every_pending_publish_fails(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r1 = {0}, r2 = {0}, r3 = {0};
    publish_text(ch, "msg1", "data1", &r1);
    publish_text(ch, "msg2", "data2", &r2);
    publish_text(ch, "msg3", "data3", &r3);
    fx_pump(&p.f);
    close_connection(&p);
    assert_refused(&r1);
    assert_refused(&r2);
    assert_refused(&r3);
    fx_free(&p.f);
}

static void pending_fails_with_the_state_change_reason(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_FATAL;
    p.error = "{\"code\":80019,\"statusCode\":400,\"message\":\"Connection closed due to admin action\"}";
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_FAILED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 80019);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Connection closed due to admin action");
    assert_int_equal(mock_rt_error_code(&p.f.t), 80019);
    fx_free(&p.f);
}

/* ---- RTN7d ---- */

static void pending_fails_on_disconnect_without_queueing(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.queue_messages = false;
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    mock_rt_drop(&p.f.t, 0);
    const ably_connection_event disconnected = ABLY_CONN_EVENT_DISCONNECTED;
    assert_true(mock_ws_changes_contain(&p.f.t.rec, &disconnected, 1));
    assert_refused(&r);
    fx_free(&p.f);
}

static void pending_survives_disconnect_when_queueing(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ack_after_reconnect(&p, "[{\"serials\":[\"serial-ack\"]}]");
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_pending(&p, ch, &r);
    mock_rt_drop(&p.f.t, 0);
    assert_int_equal(r.calls, 0); /* not failed by DISCONNECTED */
    fx_advance(&p.f, 2000);
    mock_rt_accept(&p.f.t, 1, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED);
    assert_acked(&r, "serial-ack");
    fx_free(&p.f);
}

/* ---- RTN19a, RTN19a2 ---- */

static void pending_resent_on_new_transport(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ack_after_reconnect(&p, "[{\"serials\":[\"serial-resent\"]}]");
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result r = {0};
    publish_text(ch, "resend-me", "data", &r);
    fx_pump(&p.f);
    size_t idx[8];
    assert_int_equal(sent_messages(&p, idx, 8), 1);
    assert_int_equal(mock_ws_sent_attempt(p.f.t.m, idx[0]), 0);
    reconnect(&p, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    size_t n = sent_messages(&p, idx, 8);
    assert_int_equal(n, 2);
    assert_int_equal(mock_ws_sent_attempt(p.f.t.m, idx[1]), 1);
    assert_string_equal(mock_ws_sent(p.f.t.m, idx[1])->messages[0].name, "resend-me");
    assert_acked(&r, "serial-resent");
    fx_free(&p.f);
}

static void resume_keeps_msg_serials(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ack_after_reconnect(&p, "[{\"serials\":[\"serial-resumed\"]}]");
    mock_rt_start(&p.f.t, NULL);
    mock_rt_connect(&p.f.t, "connection-abc", "key-1");
    ably_realtime_channel *ch = fx_attached(&p.f, "pub", NULL);
    pub_result r1 = {0}, r2 = {0};
    publish_text(ch, "msg1", "data1", &r1);
    publish_text(ch, "msg2", "data2", &r2);
    fx_pump(&p.f);
    int64_t serial1 = nth_message_frame(&p, 0)->msg_serial, serial2 = nth_message_frame(&p, 1)->msg_serial;
    reconnect(&p, mock_ws_connected_json("connection-abc", "key-2", 15000, 120000)); /* resumed */
    size_t idx[8];
    assert_int_equal(sent_messages(&p, idx, 8), 4);
    assert_int_equal(mock_ws_sent_attempt(p.f.t.m, idx[2]), 1);
    assert_int_equal(mock_ws_sent(p.f.t.m, idx[2])->msg_serial, serial1);
    assert_int_equal(mock_ws_sent(p.f.t.m, idx[3])->msg_serial, serial2);
    assert_acked(&r1, NULL);
    assert_acked(&r2, NULL);
    fx_free(&p.f);
}

static void failed_resume_renumbers_msg_serials(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    ack_after_reconnect(&p, "[{\"serials\":[\"serial-new\"]}]");
    mock_rt_start(&p.f.t, NULL);
    mock_rt_connect(&p.f.t, "connection-first", "key-first");
    ably_realtime_channel *ch = fx_attached(&p.f, "pub", NULL);
    /* one publish acknowledged first, so that the renumbering is visible */
    pub_result r0 = {0}, r1 = {0}, r2 = {0};
    publish_text(ch, "msg0", "data0", &r0);
    fx_pump(&p.f);
    fx_server(&p.f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(r0.calls, 1);
    publish_text(ch, "msg1", "data1", &r1);
    publish_text(ch, "msg2", "data2", &r2);
    fx_pump(&p.f);
    assert_int_equal(nth_message_frame(&p, 1)->msg_serial, 1);
    assert_int_equal(nth_message_frame(&p, 2)->msg_serial, 2);
    reconnect(&p, "{\"action\":4,\"connectionId\":\"connection-new\",\"connectionDetails\":{\"connectionKey\":"
                  "\"key-new\"},\"error\":{\"code\":80018,\"statusCode\":400,\"message\":\"Connection not resumable\"}}");
    size_t idx[8];
    assert_int_equal(sent_messages(&p, idx, 8), 5);
    assert_int_equal(mock_ws_sent_attempt(p.f.t.m, idx[3]), 1);
    assert_int_equal(mock_ws_sent(p.f.t.m, idx[3])->msg_serial, 0);
    assert_int_equal(mock_ws_sent(p.f.t.m, idx[4])->msg_serial, 1);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 1);
    fx_free(&p.f);
}

/* ---- RTN19b ---- */

static size_t count_on_attempt(pub_fx *p, ably_protocol_message_action action, size_t attempt)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_ws_sent_count(p->f.t.m); i++) {
        const ably_protocol_message *pm = mock_ws_sent(p->f.t.m, i);
        if (pm->action == action && mock_ws_sent_attempt(p->f.t.m, i) == attempt) {
            assert_string_equal(pm->channel, "pub");
            n++;
        }
    }
    return n;
}

/* RTN19b: an ATTACH (or DETACH) left unanswered on the first transport is sent again on
 * the next one, whose answer completes it. */
static void assert_pending_op_resent(bool detach)
{
    pub_fx p;
    pub_init(&p);
    p.f.auto_attach = detach;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    if (detach) {
        fx_attach(&p.f, ch);
        p.f.auto_detach = false;
    }
    ably_protocol_message_action action = detach ? ABLY_PROTOCOL_MESSAGE_ACTION_DETACH
                                                 : ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH;
    op_result op = {0};
    (detach ? ably_realtime_channel_detach : ably_realtime_channel_attach)(ch, fx_on_result, &op);
    fx_pump(&p.f);
    assert_int_equal(ably_realtime_channel_state(ch), detach ? ABLY_CHANNEL_DETACHING : ABLY_CHANNEL_ATTACHING);
    assert_int_equal(count_on_attempt(&p, action, 0), 1);
    p.f.auto_attach = p.f.auto_detach = true; /* the second transport answers */
    reconnect(&p, mock_ws_connected_json("conn-1", "key-2", 15000, 120000));
    assert_true(count_on_attempt(&p, action, 1) >= 1);
    assert_int_equal(op.calls, 1);
    assert_int_equal(op.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), detach ? ABLY_CHANNEL_DETACHED : ABLY_CHANNEL_ATTACHED);
    fx_free(&p.f);
}

static void pending_attach_resent_after_reconnect(void **state)
{
    (void)state;
    assert_pending_op_resent(false);
}

static void pending_detach_resent_after_reconnect(void **state)
{
    (void)state;
    assert_pending_op_resent(true);
}

/* ---- RTL6g, RTL6e: clientId of published messages ---- */

static void publish_with_client_id(ably_realtime_channel *ch, const char *client_id, const char *text,
                                   pub_result *r)
{
    ably_message m;
    ably_message_init(&m);
    m.name = "cid";
    m.client_id = (char *)(uintptr_t)client_id;
    m.data = ably_data_borrow(ABLY_DATA_STRING, text, strlen(text));
    ably_realtime_channel_publish_messages(ch, &m, 1, on_published, r);
}

static void identified_client_rejects_foreign_client_id(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_ACK;
    p.f.t.o.client_id = "me";
    ably_realtime_channel *ch = pub_attached(&p);
    pub_result foreign = {0}, none = {0}, own = {0};
    publish_with_client_id(ch, "someone-else", "x", &foreign);
    fx_pump(&p.f);
    assert_int_equal(foreign.calls, 1); /* RTL6g3: refused at once, nothing sent */
    assert_int_equal(foreign.code, 40012);
    assert_int_equal(foreign.status, 400);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 0);
    assert_int_equal(mock_rt_state(&p.f.t), ABLY_CONN_CONNECTED); /* both stay usable */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    publish_with_client_id(ch, NULL, "y", &none);
    publish_with_client_id(ch, "me", "z", &own);
    fx_pump(&p.f);
    assert_acked(&none, NULL);
    assert_acked(&own, NULL);
    assert_int_equal(mock_ws_count_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE), 2);
    assert_null(nth_message_frame(&p, 0)->messages[0].client_id); /* RTL6g1a: not filled in */
    assert_string_equal(nth_message_frame(&p, 1)->messages[0].client_id, "me"); /* RTL6g2 */
    fx_free(&p.f);
}

/* RTL6e: an unidentified client (Basic auth, no clientId) may publish with any
 * clientId; the library leaves it to the server. */
static void unidentified_client_sends_any_client_id(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.reply = REPLY_ACK;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    pub_result r = {0};
    publish_with_client_id(ch, "anyone", "x", &r);
    fx_pump(&p.f);
    assert_acked(&r, NULL);
    assert_string_equal(nth_message_frame(&p, 0)->messages[0].client_id, "anyone");
    fx_free(&p.f);
}

/* ---- RTL6k, RTL6a1 ---- */

static void params_go_in_protocol_message_params(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.use_binary_protocol = false;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    ably_message m;
    ably_message_init(&m);
    m.name = "with-params";
    ably_string_map params = {0};
    ably_string_map_set(&params, "key1", "value1");
    ably_string_map_set(&params, "flag", "true"); /* a boolean, stringified (RTC1f) */
    ably_realtime_channel_publish_messages_params(ch, &m, 1, &params, NULL, NULL);
    ably_string_map_clear(&params); /* copied before the call returned */
    publish_text(ch, "plain", "x", NULL);
    fx_pump(&p.f);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_string_equal(ably_string_map_get(&pm->params, "key1"), "value1");
    assert_string_equal(ably_string_map_get(&pm->params, "flag"), "true");
    size_t len;
    char *raw = raw_message_frame(&p, 0, &len);
    assert_non_null(strstr(raw, "\"params\":{\"key1\":\"value1\",\"flag\":\"true\"}"));
    free(raw);
    raw = raw_message_frame(&p, 1, &len);
    assert_null(strstr(raw, "\"params\"")); /* none given: none sent */
    free(raw);
    fx_free(&p.f);
}

/* RTL6a1: idempotentRestPublishing (RSL1k) is a REST matter: realtime publishes get
 * no library-generated ids. */
static void no_idempotent_ids_over_realtime(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    p.f.t.o.idempotent_rest_publishing = true;
    ably_realtime_channel *ch = pub_connected(&p, NULL);
    ably_message msgs[2];
    for (int i = 0; i < 2; i++) {
        ably_message_init(&msgs[i]);
        msgs[i].name = "m";
    }
    ably_realtime_channel_publish_messages(ch, msgs, 2, NULL, NULL);
    fx_pump(&p.f);
    const ably_protocol_message *pm = nth_message_frame(&p, 0);
    assert_int_equal(pm->messages_count, 2);
    assert_null(pm->messages[0].id);
    assert_null(pm->messages[1].id);
    fx_free(&p.f);
}

/* ---- RTL4l with TR3r, TR3s (channel_attach.md) ---- */

static void attach_flags_carry_publish_and_subscribe_modes(void **state)
{
    (void)state;
    pub_fx p;
    pub_init(&p);
    mock_rt_start(&p.f.t, NULL);
    fx_connect(&p.f);
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE};
    fx_attached(&p.f, "pub", &o);
    const ably_protocol_message *attach = mock_ws_last_sent(p.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_non_null(attach);
    assert_true(attach->has_flags);
    assert_true((attach->flags & 131072) != 0); /* TR3r: bit 17 */
    assert_true((attach->flags & 262144) != 0); /* TR3s: bit 18 */
    assert_int_equal(attach->flags & (ABLY_CHANNEL_MODE_PRESENCE | ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE), 0);
    fx_free(&p.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_name_and_data_is_one_message, "RTL6i RTL6i1"),
        ABLY_TEST(publish_array_is_one_frame, "RTL6i RTL6i2"),
        ABLY_TEST(publish_message_object, "RTL6i1"),
        ABLY_TEST(null_fields_left_out_of_json, "RTL6i3"),
        ABLY_TEST(null_fields_left_out_of_msgpack, "RTL6i3"),
        ABLY_TEST(publish_encodes_like_rest_and_checks_size, "RTL6a RSL1i"),
        ABLY_TEST(sent_at_once_when_attached, "RTL6c RTL6c1"),
        ABLY_TEST(sent_at_once_when_attaching, "RTL6c1"),
        ABLY_TEST(sent_at_once_when_initialized, "RTL6c1"),
        ABLY_TEST(queued_while_connecting, "RTL6c RTL6c2"),
        ABLY_TEST(queued_while_disconnected, "RTL6c2"),
        ABLY_TEST(queued_while_initialized, "RTL6c2"),
        ABLY_TEST(queued_messages_sent_in_order, "RTL6c2"),
        ABLY_TEST(fails_without_queue_messages_when_not_connected, "RTL6c2"),
        ABLY_TEST(fails_when_connection_suspended, "RTL6c4"),
        ABLY_TEST(fails_when_connection_closed, "RTL6c4"),
        ABLY_TEST(fails_when_connection_failed, "RTL6c4"),
        ABLY_TEST(fails_when_channel_suspended, "RTL6c4"),
        ABLY_TEST(fails_when_channel_failed, "RTL6c4"),
        ABLY_TEST(publish_does_not_attach, "RTL6c5"),
        ABLY_TEST(ack_gives_publish_result, "RTL6j PBR1 PBR2 PBR2a TR4s RTN7b"),
        ABLY_TEST(batch_ack_gives_serial_per_message, "RTL6j PBR2a"),
        ABLY_TEST(sequential_publishes_count_msg_serial_up, "RTL6j RTN7b"),
        ABLY_TEST(one_ack_counts_several_frames, "TR4g TR4s RTN7a"),
        ABLY_TEST(nack_fails_publish, "RTL6j RTN7a"),
        ABLY_TEST(pending_fails_on_suspended, "RTN7e"),
        ABLY_TEST(pending_fails_on_closed, "RTN7e"),
        ABLY_TEST(pending_fails_on_failed, "RTN7e"),
        ABLY_TEST(every_pending_publish_fails, "RTN7e"),
        ABLY_TEST(pending_fails_with_the_state_change_reason, "RTN7e"),
        ABLY_TEST(pending_fails_on_disconnect_without_queueing, "RTN7d"),
        ABLY_TEST(pending_survives_disconnect_when_queueing, "RTN7d RTN19a"),
        ABLY_TEST(pending_resent_on_new_transport, "RTN19a"),
        ABLY_TEST(resume_keeps_msg_serials, "RTN19a2"),
        ABLY_TEST(failed_resume_renumbers_msg_serials, "RTN19a2"),
        ABLY_TEST(pending_attach_resent_after_reconnect, "RTN19b"),
        ABLY_TEST(pending_detach_resent_after_reconnect, "RTN19b"),
        ABLY_TEST(identified_client_rejects_foreign_client_id, "RTL6g RTL6g3 RTL6g1a RSA7a1"),
        ABLY_TEST(unidentified_client_sends_any_client_id, "RTL6e"),
        ABLY_TEST(params_go_in_protocol_message_params, "RTL6k TR4q"),
        ABLY_TEST(no_idempotent_ids_over_realtime, "RTL6a1"),
        ABLY_TEST(attach_flags_carry_publish_and_subscribe_modes, "RTL4l TR3r TR3s"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
