/* Delta-compressed channels on the mock WebSocket (uts/realtime/unit/channels/
 * channel_delta_decoding.md): RTL18 recovery, RTL19 base payloads, RTL20 the
 * base message id check, RTL21 ordering, PC3 the vcdiff plugin. Deltas are made
 * with the sandbox's encoder and decoded by the library's own decoder. */
#include "test_realtime_channel_fixture.h"

#include "ably/vcdiff.h"

#include "../../harness/sandbox/sbx_vcdiff.c"

/* ---- helpers ---- */

static void b64(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The base64 of a delta turning `from` into `to`. */
static void delta_b64(const char *from, const char *to, char *out)
{
    size_t n = 0;
    uint8_t *d = sbx_vcdiff_encode((const uint8_t *)from, strlen(from), (const uint8_t *)to, strlen(to), &n);
    assert_non_null(d);
    b64(d, n, out);
    free(d);
}

/* A MESSAGE frame on channel "d" with one message. */
static void send_msg(chan_fx *f, const char *serial, const char *id, const char *data, const char *encoding,
                     const char *from)
{
    char frame[2048], extras[128] = "", enc[64] = "", cs[64] = "";
    if (from)
        snprintf(extras, sizeof extras, ",\"extras\":{\"delta\":{\"from\":\"%s\",\"format\":\"vcdiff\"}}", from);
    if (encoding)
        snprintf(enc, sizeof enc, ",\"encoding\":\"%s\"", encoding);
    if (serial)
        snprintf(cs, sizeof cs, ",\"channelSerial\":\"%s\"", serial);
    snprintf(frame, sizeof frame,
             "{\"action\":15,\"channel\":\"d\",\"id\":\"%s\"%s,\"messages\":[{\"id\":\"%s\",\"data\":\"%s\"%s%s}]}", id,
             cs, id, data, enc, extras);
    fx_server(f, frame);
}

typedef struct {
    int count;
    char data[8][128];
    char encoding[8][32];
} msg_rec;

static void on_msg(void *ctx, const ably_message *m)
{
    msg_rec *r = ctx;
    if (r->count >= 8)
        return;
    int i = r->count++;
    snprintf(r->data[i], sizeof r->data[i], "%.*s", (int)m->data.len, m->data.bytes ? m->data.bytes : "");
    snprintf(r->encoding[i], sizeof r->encoding[i], "%s", m->encoding ? m->encoding : "");
}

/* A VCDiffDecoder that counts calls and records its last arguments, then
 * defers to the built-in one; or always fails. */
typedef struct {
    int calls;
    bool fail;
    char base[128];
    size_t delta_len;
} counting;

static int counting_decode(void *ctx, const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len,
                           uint8_t **out, size_t *out_len, ably_error *err)
{
    counting *c = ctx;
    c->calls++;
    snprintf(c->base, sizeof c->base, "%.*s", (int)base_len, (const char *)base);
    c->delta_len = delta_len;
    if (c->fail) {
        *out = NULL;
        ably_error_set(err, 40000, 400, "this decoder always fails");
        return -1;
    }
    return ably_vcdiff_decode(delta, delta_len, base, base_len, out, out_len, err);
}

typedef struct {
    chan_fx f;
    counting dec;
    ably_vcdiff_decoder plugin;
    ably_realtime_channel *ch;
    msg_rec rec;
    fx_changes changes;
    ably_string_map params;
} delta_fx;

/* Connects with the counting plugin (or none) and attaches channel "d" with
 * params delta=vcdiff, subscribed and recording. */
static void dfx_start(delta_fx *x, bool with_plugin, bool decoder_fails)
{
    memset(x, 0, sizeof *x);
    fx_init(&x->f);
    x->dec.fail = decoder_fails;
    x->plugin = (ably_vcdiff_decoder){counting_decode, &x->dec};
    if (with_plugin)
        x->f.t.o.vcdiff_decoder = &x->plugin;
    fx_start(&x->f);
    fx_connect(&x->f);
    assert_int_equal(ably_string_map_set(&x->params, "delta", "vcdiff"), 0);
    ably_realtime_channel_options o = {.params = &x->params};
    x->ch = fx_channel(&x->f, "d", &o);
    ably_realtime_channel_subscribe(x->ch, NULL, on_msg, &x->rec, NULL, NULL);
    fx_attach(&x->f, x->ch);
    fx_record(x->ch, &x->changes);
}

static void dfx_free(delta_fx *x)
{
    fx_free(&x->f);
    ably_string_map_clear(&x->params);
}

static const char *last_attach_serial(delta_fx *x)
{
    const ably_protocol_message *pm = mock_ws_last_sent(x->f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_non_null(pm);
    return pm->channel_serial;
}

static bool saw_attaching_with(delta_fx *x, int64_t code)
{
    for (size_t i = 0; i < x->changes.count; i++)
        if (x->changes.items[i].current == ABLY_CHANNEL_ATTACHING && x->changes.items[i].reason_code == code)
            return true;
    return false;
}

/* ---- tests ---- */

/* PC3, PC3a, RTL19b, RTL19c: a full message sets the base; each delta is
 * applied by the plugin to the stored base, whose bytes it receives. PC1, PC2,
 * TO3o: the decoder is the application's own object, handed over through the
 * client options' plugin slot and used only through its interface. */
static void plugin_decodes_deltas_against_stored_base(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, false);
    send_msg(&x.f, "s1", "msg-1:0", "hello world", NULL, NULL);
    char d[512];
    delta_b64("hello world", "goodbye world", d);
    send_msg(&x.f, "s2", "msg-2:0", d, "vcdiff/base64", "msg-1:0");
    delta_b64("goodbye world", "goodbye cruel world", d);
    send_msg(&x.f, "s3", "msg-3:0", d, "utf-8/vcdiff/base64", "msg-2:0"); /* RTL19c: chained on the result */
    assert_int_equal(x.rec.count, 3);
    assert_string_equal(x.rec.data[0], "hello world");
    assert_string_equal(x.rec.data[1], "goodbye world");
    assert_string_equal(x.rec.data[2], "goodbye cruel world");
    assert_string_equal(x.rec.encoding[2], ""); /* fully decoded */
    assert_int_equal(x.dec.calls, 2);
    assert_string_equal(x.dec.base, "goodbye world"); /* PC3a: the stored base as bytes */
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_ATTACHED);
    dfx_free(&x);
}

/* RTL21, RTL20: the messages of one frame are decoded in index order, each
 * delta against the message before it (ids inherited per TM2a). */
static void frame_messages_decode_in_index_order(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, false);
    char d1[256], d2[256], frame[1024];
    delta_b64("first message", "second message", d1);
    delta_b64("second message", "third message", d2);
    snprintf(frame, sizeof frame,
             "{\"action\":15,\"channel\":\"d\",\"id\":\"serial\",\"messages\":["
             "{\"data\":\"first message\"},"
             "{\"data\":\"%s\",\"encoding\":\"vcdiff/base64\",\"extras\":{\"delta\":{\"from\":\"serial:0\",\"format\":\"vcdiff\"}}},"
             "{\"data\":\"%s\",\"encoding\":\"vcdiff/base64\",\"extras\":{\"delta\":{\"from\":\"serial:1\",\"format\":\"vcdiff\"}}}]}",
             d1, d2);
    fx_server(&x.f, frame);
    assert_int_equal(x.rec.count, 3);
    assert_string_equal(x.rec.data[0], "first message");
    assert_string_equal(x.rec.data[1], "second message");
    assert_string_equal(x.rec.data[2], "third message");
    dfx_free(&x);
}

/* RTL19b, RTL19a: a JSON message's base is its wire text, not the parsed
 * value; a base64 message's base is its decoded bytes. */
static void base_is_the_wire_form_after_base64(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, false);
    const char *json1 = "{\"foo\":\"bar\",\"count\":1}", *json2 = "{\"foo\":\"baz\",\"count\":2}";
    send_msg(&x.f, NULL, "m1", "{\\\"foo\\\":\\\"bar\\\",\\\"count\\\":1}", "json", NULL);
    char d[512];
    delta_b64(json1, json2, d);
    send_msg(&x.f, NULL, "m2", d, "utf-8/vcdiff/base64", "m1");
    assert_int_equal(x.rec.count, 2);
    assert_string_equal(x.rec.data[0], json1);
    assert_string_equal(x.rec.data[1], json2);
    assert_string_equal(x.dec.base, json1);

    char enc[64];
    b64((const uint8_t *)"binary-base", 11, enc);
    send_msg(&x.f, NULL, "m3", enc, "base64", NULL);
    delta_b64("binary-base", "binary-next", d);
    send_msg(&x.f, NULL, "m4", d, "vcdiff/base64", "m3");
    assert_int_equal(x.rec.count, 4);
    assert_string_equal(x.rec.data[3], "binary-next");
    assert_string_equal(x.dec.base, "binary-base"); /* RTL19a: base64-decoded before storing */
    dfx_free(&x);
}

/* RTL20, RTL18, RTL18b, RTL18c: a delta from an unknown base message is
 * discarded and the channel reattaches from the last channelSerial, 40018. */
static void mismatched_base_id_triggers_recovery(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, false);
    x.f.auto_attach = false;
    send_msg(&x.f, "serial-1", "msg-1:0", "base payload", NULL, NULL);
    size_t attaches = mock_ws_count_sent(x.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    char d[256];
    delta_b64("base payload", "new payload", d);
    send_msg(&x.f, NULL, "msg-2:0", d, "vcdiff/base64", "msg-999:0");
    assert_int_equal(x.rec.count, 1); /* RTL18b */
    assert_int_equal(x.dec.calls, 0);
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_ATTACHING);
    assert_int_equal(mock_ws_count_sent(x.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), attaches + 1);
    assert_string_equal(last_attach_serial(&x), "serial-1");
    assert_true(saw_attaching_with(&x, 40018));
    assert_int_equal(fx_channel_error(x.ch), 40018);
    dfx_free(&x);
}

/* RTL18a-c: a decoder failure drops the message and reattaches from the
 * channelSerial of the message before it, not of the failing one; the
 * channel recovers on ATTACHED and full messages flow again. */
static void decoder_failure_recovers_from_previous_serial(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, true);
    x.f.auto_attach = false;
    send_msg(&x.f, "serial-100", "msg-1:0", "base payload", NULL, NULL);
    send_msg(&x.f, "serial-200", "msg-2:0", "ZmFrZQ==", "vcdiff/base64", "msg-1:0");
    assert_int_equal(x.dec.calls, 1);
    assert_int_equal(x.rec.count, 1);
    assert_string_equal(x.rec.data[0], "base payload");
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_ATTACHING);
    assert_string_equal(last_attach_serial(&x), "serial-100");
    assert_true(saw_attaching_with(&x, 40018));

    fx_server(&x.f, "{\"action\":11,\"channel\":\"d\",\"channelSerial\":\"serial-100\"}");
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_ATTACHED);
    send_msg(&x.f, "serial-300", "msg-3:0", "fresh after recovery", NULL, NULL);
    assert_int_equal(x.rec.count, 2);
    assert_string_equal(x.rec.data[1], "fresh after recovery");
    dfx_free(&x);
}

/* RTL18: while one recovery is under way, further failing deltas send no
 * second ATTACH. */
static void only_one_recovery_at_a_time(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, true, true);
    x.f.auto_attach = false;
    send_msg(&x.f, "serial-1", "msg-1:0", "base", NULL, NULL);
    size_t attaches = mock_ws_count_sent(x.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    send_msg(&x.f, NULL, "msg-2:0", "YmFk", "vcdiff/base64", "msg-1:0");
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_ATTACHING);
    send_msg(&x.f, NULL, "msg-3:0", "YmFk", "vcdiff/base64", "msg-2:0");
    assert_int_equal(mock_ws_count_sent(x.f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), attaches + 1);
    assert_int_equal(x.rec.count, 1);
    dfx_free(&x);
}

/* PC3: with no vcdiff plugin a delta fails the channel with 40019. */
static void no_plugin_fails_the_channel(void **state)
{
    (void)state;
    delta_fx x;
    dfx_start(&x, false, false);
    char d[256];
    delta_b64("a", "b", d);
    send_msg(&x.f, NULL, "msg-1:0", d, "vcdiff/base64", "msg-0:0");
    assert_int_equal(ably_realtime_channel_state(x.ch), ABLY_CHANNEL_FAILED);
    assert_int_equal(fx_channel_error(x.ch), 40019);
    assert_int_equal(x.rec.count, 0);
    dfx_free(&x);
}

/* DE2a, DE2b: extras.delta of a delivered delta message stays readable. */
static void delta_extras_survive_on_the_message(void **state)
{
    (void)state;
    ably_delta_extras de;
    ably_delta_extras_init(&de);
    ably_error err = {0};
    const char *json = "{\"from\":\"msg-1:0\",\"format\":\"vcdiff\"}";
    assert_int_equal(ably_delta_extras_from_json(&de, json, strlen(json), &err), 0);
    assert_string_equal(de.from, "msg-1:0");
    assert_string_equal(de.format, "vcdiff");
    ably_delta_extras_clear(&de);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(plugin_decodes_deltas_against_stored_base, "PC1 PC2 PC3 PC3a PT1 PT2 PT2a TO3o RTL19 RTL19b RTL19c VD2a"),
        ABLY_TEST(frame_messages_decode_in_index_order, "RTL21 RTL20"),
        ABLY_TEST(base_is_the_wire_form_after_base64, "RTL19a RTL19b"),
        ABLY_TEST(mismatched_base_id_triggers_recovery, "RTL20 RTL18 RTL18a RTL18b RTL18c"),
        ABLY_TEST(decoder_failure_recovers_from_previous_serial, "RTL18 RTL18a RTL18b RTL18c"),
        ABLY_TEST(only_one_recovery_at_a_time, "RTL18"),
        ABLY_TEST(no_plugin_fails_the_channel, "PC3"),
        ABLY_TEST(delta_extras_survive_on_the_message, "DE1 DE2 DE2a DE2b"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
