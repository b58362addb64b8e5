/* The data types the REST client hands out, on the generated codecs and the mock
 * transport. Ports of uts/rest/unit/types/{message_types,mutable_message_types,
 * presence_message_types,error_types}.md and stats.md cases not covered elsewhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "fixtures.h"
#include "mock_http.h"

#define J(s) s, strlen(s)

/* ---- Message (TM) ---- */

/* TM1, TM4: a Message is built from a name, data and optionally a clientId; here
 * the C "constructor" is a struct with those fields, each of which may be NULL. */
static void message_is_name_data_and_client_id(void **state)
{
    (void)state;
    ably_message m;
    ably_message_init(&m);
    assert_null(m.name);
    assert_null(m.client_id);
    assert_null(m.version);
    ably_error err = {0};
    assert_int_equal(ably_message_from_json(&m, J("{\"name\":\"greeting\",\"data\":\"hi\",\"clientId\":\"c1\"}"), &err), 0);
    assert_string_equal(m.name, "greeting");
    assert_string_equal(m.client_id, "c1");
    ably_buf out;
    ably_buf_init(&out);
    assert_int_equal(ably_message_to_json(&m, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"name\":\"greeting\""));
    assert_non_null(strstr(out.data, "\"clientId\":\"c1\""));
    ably_buf_free(&out);
    ably_message_clear(&m);
}

/* TM6: size = name + data + clientId + extras (as JSON text). */
static void message_size_counts_name_data_client_id_extras(void **state)
{
    (void)state;
    ably_message m;
    ably_message_init(&m);
    ably_error err = {0};
    assert_int_equal(ably_message_from_json(&m, J("{\"name\":\"abc\",\"data\":\"hello\",\"clientId\":\"id\"}"), &err), 0);
    assert_int_equal(ably_message_size(&m), 3 + 5 + 2);
    ably_message_clear(&m);
    ably_message_init(&m);
    assert_int_equal(ably_message_from_json(&m, J("{\"name\":\"abc\",\"extras\":{\"a\":1}}"), &err), 0);
    assert_int_equal(ably_message_size(&m), 3 + strlen("{\"a\":1}"));
    ably_message_clear(&m);
}

/* ---- via a REST channel's history ---- */

typedef struct {
    mock_http *m;
    ably_rest *rest;
    ably_rest_channel *ch;
    ably_paginated_result *page;
    ably_error err;
} fx;

static fx *fx_new(const char *reply_json)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    o.use_binary_protocol = false;
    mock_http_install(f->m, &o);
    assert_int_equal(ably_rest_create(&o, &f->rest, &f->err), 0);
    assert_int_equal(ably_rest_channels_get(f->rest, "test", NULL, &f->ch, &f->err), 0);
    mock_http_queue_json(f->m, 200, reply_json);
    return f;
}

static void fx_free(fx *f)
{
    ably_paginated_result_free(f->page);
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
}

static const ably_message *history(fx *f, size_t *count)
{
    if (ably_rest_channel_history(f->ch, NULL, &f->page, &f->err) != 0)
        fail_msg("history failed: %s", f->err.message ? f->err.message : "?");
    return ably_paginated_result_items(f->page, count);
}

/* TM2s, TM2s1–TM2s5: a version on the wire is kept field by field. */
static void version_from_wire(void **state)
{
    (void)state;
    fx *f = fx_new("[{\"id\":\"m1\",\"serial\":\"s1\",\"timestamp\":1000,\"action\":1,"
                   "\"version\":{\"serial\":\"v2\",\"timestamp\":2000,\"clientId\":\"editor\","
                   "\"description\":\"fixed typo\",\"metadata\":{\"reason\":\"typo\"}}}]");
    size_t n = 0;
    const ably_message *m = history(f, &n);
    assert_int_equal(n, 1);
    assert_non_null(m[0].version);
    assert_string_equal(m[0].version->serial, "v2");
    assert_true(m[0].version->has_timestamp);
    assert_int_equal(m[0].version->timestamp, 2000);
    assert_string_equal(m[0].version->client_id, "editor");
    assert_string_equal(m[0].version->description, "fixed typo");
    assert_string_equal(ably_string_map_get(&m[0].version->metadata, "reason"), "typo");
    fx_free(f);
}

/* TM2s, TM2s1, TM2s2: without a version on the wire one is made from the
 * message's serial and timestamp; its other fields stay empty. */
static void version_defaults_when_absent(void **state)
{
    (void)state;
    fx *f = fx_new("[{\"id\":\"m1\",\"serial\":\"s1\",\"timestamp\":1000},{\"id\":\"m2\"},"
                   "{\"id\":\"m3\",\"serial\":\"s3\",\"timestamp\":3000,\"version\":{\"clientId\":\"x\"}}]");
    size_t n = 0;
    const ably_message *m = history(f, &n);
    assert_int_equal(n, 3);
    assert_non_null(m[0].version);
    assert_string_equal(m[0].version->serial, "s1");
    assert_true(m[0].version->has_timestamp);
    assert_int_equal(m[0].version->timestamp, 1000);
    assert_null(m[0].version->client_id);
    assert_null(m[0].version->description);
    assert_int_equal(m[0].version->metadata.count, 0);
    assert_non_null(m[1].version); /* always there, even with nothing to default from */
    assert_null(m[1].version->serial);
    assert_false(m[1].version->has_timestamp);
    assert_string_equal(m[2].version->serial, "s3"); /* partial version: gaps filled */
    assert_int_equal(m[2].version->timestamp, 3000);
    assert_string_equal(m[2].version->client_id, "x");
    fx_free(f);
}

/* TM8, TM8a1: annotations.summary is kept as opaque JSON, whatever structure the
 * server uses for a type, including ones unknown today. */
static void annotations_summary_kept_opaque(void **state)
{
    (void)state;
    fx *f = fx_new("[{\"id\":\"m1\",\"annotations\":{\"summary\":{\"reaction:distinct.v1\":"
                   "{\"+1\":{\"total\":2,\"clientIds\":[\"a\",\"b\"]}},\"future:new.v9\":{\"weird\":[1,{\"x\":true}]}}}}]");
    size_t n = 0;
    const ably_message *m = history(f, &n);
    assert_int_equal(n, 1);
    assert_non_null(m[0].annotations);
    assert_non_null(m[0].annotations->summary);
    assert_non_null(strstr(m[0].annotations->summary, "\"reaction:distinct.v1\""));
    assert_non_null(strstr(m[0].annotations->summary, "\"future:new.v9\":{\"weird\":[1,{\"x\":true}]}"));
    fx_free(f);
}

/* ---- interoperability (RSL6a2, RSL6a3) ---- */

static fx *fx_new_binary(void)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    o.use_binary_protocol = true;
    mock_http_install(f->m, &o);
    assert_int_equal(ably_rest_create(&o, &f->rest, &f->err), 0);
    assert_int_equal(ably_rest_channels_get(f->rest, "test", NULL, &f->ch, &f->err), 0);
    return f;
}

/* Serves `body` (a msgpack array of messages) as the history reply. */
static void queue_msgpack_body(fx *f, const ably_buf *body)
{
    mock_reply r = {.status = 200, .content_type = "application/x-msgpack", .body = body->data, .body_len = body->len};
    mock_http_queue(f->m, &r);
}

/* The messages of the last request's body (msgpack or JSON), decoded as a
 * receiver would decode them. */
static void last_body_messages(fx *f, bool binary, ably_message *out)
{
    const mock_request *r = mock_http_request(f->m, mock_http_count(f->m) - 1);
    ably_message_init(out);
    /* a single published message is sent as an array of one */
    if (binary) {
        unsigned char first = (unsigned char)r->body.data[0];
        assert_true(first == 0x91);
        assert_int_equal(ably_message_from_msgpack(out, r->body.data + 1, r->body.len - 1, &f->err), 0);
    } else {
        assert_true(r->body.data[0] == '[' || r->body.data[0] == '{');
        const char *b = r->body.data[0] == '[' ? r->body.data + 1 : r->body.data;
        size_t n = r->body.data[0] == '[' ? r->body.len - 2 : r->body.len;
        assert_int_equal(ably_message_from_json(out, b, n, &f->err), 0);
    }
    assert_int_equal(ably_message_from_encoded(out, NULL, &f->err), 0);
}

/* RSL6a2: extras, a JSON object, survives publish and history unchanged, over
 * JSON and msgpack alike. */
static void extras_interoperate(void **state)
{
    (void)state;
    static const char extras[] = "{\"push\":[{\"title\":\"Testing\"}]}";
    for (int binary = 0; binary <= 1; binary++) {
        fx *f = binary ? fx_new_binary() : fx_new("{}");
        if (binary)
            mock_http_queue_json(f->m, 201, "{}");
        ably_message m;
        ably_message_init(&m);
        m.name = "with-extras";
        m.extras = (char *)extras;
        assert_int_equal(ably_rest_channel_publish_messages(f->ch, &m, 1, NULL, NULL, &f->err), 0);
        ably_message sent;
        last_body_messages(f, binary, &sent);
        assert_non_null(sent.extras);
        cJSON *want = cJSON_Parse(extras), *got = cJSON_Parse(sent.extras);
        assert_true(cJSON_Compare(want, got, true));
        cJSON_Delete(got);
        /* and back: the same message received in history */
        ably_buf body;
        ably_buf_init(&body);
        if (binary) {
            assert_int_equal(ably_buf_append(&body, "\x91", 1), 0);
            assert_int_equal(ably_encode_append(&ably_message_desc, ABLY_FORMAT_MSGPACK, &sent, &body, &f->err), 0);
            mock_http_reset(f->m);
            queue_msgpack_body(f, &body);
        } else {
            ably_buf one; /* to_json fills a buffer of its own */
            ably_buf_init(&one);
            assert_int_equal(ably_message_to_json(&sent, &one, &f->err), 0);
            assert_int_equal(ably_buf_append_str(&body, "["), 0);
            assert_int_equal(ably_buf_append(&body, one.data, one.len), 0);
            assert_int_equal(ably_buf_append_str(&body, "]"), 0);
            ably_buf_free(&one);
            mock_http_reset(f->m);
            mock_http_queue_json(f->m, 200, body.data);
        }
        size_t n = 0;
        const ably_message *got_back = history(f, &n);
        assert_int_equal(n, 1);
        got = cJSON_Parse(got_back[0].extras);
        assert_true(cJSON_Compare(want, got, true));
        cJSON_Delete(got);
        cJSON_Delete(want);
        ably_buf_free(&body);
        ably_message_clear(&sent);
        fx_free(f);
    }
}

static unsigned char *b64_decode(const char *s, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), o = 0;
    unsigned char *out = malloc(n / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *p = strchr(alphabet, s[i]);
        assert_non_null(p);
        acc = acc << 6 | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = o;
    return out;
}

static char *repeat(const char *s, int times)
{
    size_t n = strlen(s);
    char *out = malloc(n * (size_t)(times ? times : 1) + 1);
    out[0] = '\0';
    for (int i = 0; i < (times ? times : 1); i++)
        memcpy(out + n * (size_t)i, s, n + 1);
    return out;
}

/* RSL6a3: each msgpack interoperability fixture (a ProtocolMessage), served by
 * a REST history reply, decodes to the fixture's data with its type (text,
 * bytes, JSON); publishing that message again over msgpack gives a body that
 * decodes to the same data. */
static void msgpack_fixtures_through_rest(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("msgpack_test_fixtures.json");
    int checked = 0;
    const cJSON *fixture;
    cJSON_ArrayForEach(fixture, root) {
        const char *type = ably_test_json_string(fixture, "type");
        const cJSON *data = cJSON_GetObjectItem(fixture, "data");
        int num_repeat = cJSON_GetObjectItem(fixture, "numRepeat")->valueint;
        size_t len;
        unsigned char *wire = b64_decode(ably_test_json_string(fixture, "msgpack"), &len);
        ably_protocol_message pm;
        ably_error err = {0};
        assert_int_equal(ably_protocol_message_from_msgpack(&pm, wire, len, &err), 0);
        free(wire);
        assert_int_equal(pm.messages_count, 1);
        fx *f = fx_new_binary();
        ably_buf body;
        ably_buf_init(&body);
        assert_int_equal(ably_buf_append(&body, "\x91", 1), 0);
        assert_int_equal(ably_encode_append(&ably_message_desc, ABLY_FORMAT_MSGPACK, &pm.messages[0], &body, &err), 0);
        queue_msgpack_body(f, &body);
        ably_buf_free(&body);
        ably_protocol_message_clear(&pm);
        size_t n = 0;
        const ably_message *m = history(f, &n);
        assert_int_equal(n, 1);
        if (strcmp(type, "string") == 0 || strcmp(type, "binary") == 0) {
            char *want = repeat(data->valuestring, num_repeat);
            assert_int_equal(m[0].data.type, strcmp(type, "string") == 0 ? ABLY_DATA_STRING : ABLY_DATA_BINARY);
            assert_int_equal(m[0].data.len, strlen(want));
            assert_memory_equal(m[0].data.bytes, want, m[0].data.len);
            free(want);
        } else {
            assert_int_equal(m[0].data.type, ABLY_DATA_JSON);
            cJSON *got = cJSON_Parse(m[0].data.bytes);
            assert_true(cJSON_Compare(got, data, true));
            cJSON_Delete(got);
        }
        assert_true(m[0].encoding == NULL || m[0].encoding[0] == '\0'); /* fully decoded */
        /* encode: publish it again over msgpack */
        mock_http_queue_json(f->m, 201, "{}");
        ably_message copy;
        ably_message_init(&copy);
        assert_int_equal(ably_message_copy(&copy, &m[0], &err), 0);
        ably_message_version_clear(copy.version);
        free(copy.version);
        copy.version = NULL;
        assert_int_equal(ably_rest_channel_publish_messages(f->ch, &copy, 1, NULL, NULL, &f->err), 0);
        ably_message sent;
        last_body_messages(f, true, &sent);
        assert_int_equal(sent.data.type, copy.data.type);
        assert_int_equal(sent.data.len, copy.data.len);
        assert_memory_equal(sent.data.bytes, copy.data.bytes, copy.data.len);
        ably_message_clear(&sent);
        ably_message_clear(&copy);
        fx_free(f);
        checked++;
    }
    assert_true(checked >= 8);
    cJSON_Delete(root);
}

/* ---- PresenceMessage (TP) ---- */

/* TP1, TP3i: a presence message keeps its extras (a JSON object) both ways. */
static void presence_message_extras(void **state)
{
    (void)state;
    ably_presence_message p;
    ably_presence_message_init(&p);
    ably_error err = {0};
    assert_int_equal(ably_presence_message_from_json(
                         &p, J("{\"action\":2,\"clientId\":\"c\",\"connectionId\":\"k\",\"extras\":{\"headers\":{\"a\":\"b\"}}}"),
                         &err),
                     0);
    assert_string_equal(p.client_id, "c");
    assert_non_null(p.extras);
    assert_non_null(strstr(p.extras, "\"headers\""));
    ably_buf out;
    ably_buf_init(&out);
    assert_int_equal(ably_presence_message_to_json(&p, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"extras\":{\"headers\":{\"a\":\"b\"}}"));
    ably_buf_free(&out);
    ably_presence_message_clear(&p);
}

/* TP3h: memberKey combines connectionId and clientId, so one clientId on two
 * connections gives two members. */
static void presence_member_key(void **state)
{
    (void)state;
    ably_presence_message a, b;
    ably_presence_message_init(&a);
    ably_presence_message_init(&b);
    a.client_id = "same";
    a.connection_id = "conn1";
    b.client_id = "same";
    b.connection_id = "conn2";
    char *ka = ably_presence_message_member_key(&a), *kb = ably_presence_message_member_key(&b);
    assert_string_equal(ka, "conn1:same");
    assert_string_equal(kb, "conn2:same");
    free(ka);
    free(kb);
    b.connection_id = NULL;
    assert_null(ably_presence_message_member_key(&b));
}

/* ---- ErrorInfo (TI) ---- */

/* TI2, TI6: an error body from Ably becomes the ErrorInfo of the failed call,
 * detail map included. */
static void server_error_becomes_error_info(void **state)
{
    (void)state;
    fx *f = fx_new("{}");
    mock_http_reset(f->m);
    mock_http_queue_json(f->m, 400,
                         "{\"error\":{\"code\":40012,\"statusCode\":400,\"message\":\"bad channel\","
                         "\"href\":\"https://help.ably.io/error/40012\",\"detail\":{\"field\":\"name\",\"hint\":\"x\"}}}");
    assert_int_not_equal(ably_rest_channel_history(f->ch, NULL, &f->page, &f->err), 0);
    assert_int_equal(f->err.code, 40012);
    assert_int_equal(f->err.status_code, 400);
    assert_string_equal(f->err.message, "bad channel");
    assert_string_equal(ably_string_map_get(&f->err.detail, "field"), "name");
    assert_string_equal(ably_string_map_get(&f->err.detail, "hint"), "x");
    fx_free(f);
}

/* TI, uts error equality: two ErrorInfos are equal when every attribute is. */
static void error_equality(void **state)
{
    (void)state;
    ably_error a, b;
    ably_error_init(&a);
    ably_error_init(&b);
    ably_error err = {0};
    static const char js[] = "{\"code\":40000,\"statusCode\":400,\"message\":\"m\",\"detail\":{\"k\":\"v\"}}";
    assert_int_equal(ably_error_from_json(&a, J(js), &err), 0);
    assert_int_equal(ably_error_from_json(&b, J(js), &err), 0);
    assert_true(ably_error_equal(&a, &b));
    assert_int_equal(ably_string_map_set(&b.detail, "k", "other"), 0);
    assert_false(ably_error_equal(&a, &b));
    ably_error_clear(&a);
    ably_error_clear(&b);
}

/* TI3: the codes the library uses come from ably-common's errors.json. */
static void codes_come_from_ably_common(void **state)
{
    (void)state;
    FILE *fp = fopen(ABLY_SHARED_UPSTREAM "/ably-common/protocol/errors.json", "r");
    assert_non_null(fp);
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    static const int codes[] = {ABLY_ERR_INVALID_CREDENTIALS, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 40140, 80000};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char key[16];
        snprintf(key, sizeof key, "\"%d\"", codes[i]);
        assert_non_null(strstr(buf, key));
    }
}

/* ---- Stats (TS) ---- */

#define STATS_JSON                                                                                           \
    "[{\"intervalId\":\"2024-02-29:13:45\",\"unit\":\"minute\",\"inProgress\":\"2024-02-29:13:45\","      \
    "\"entries\":{\"messages.all.all.count\":12,\"messages.all.all.data\":3400},"                         \
    "\"schema\":\"https://schemas.ably.com/json/app-stats-0.0.5.json\",\"appId\":\"appA\"},"             \
    "{\"intervalId\":\"2024-01\",\"unit\":\"month\",\"entries\":{}}]"

/* TS1, TS12, TS12a, TS12c, TS12q, TS12r, TS12s, TS12t: every attribute of a
 * stats entry from the stats endpoint. */
static void stats_attributes(void **state)
{
    (void)state;
    mock_http *m = mock_http_new();
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    mock_http_install(m, &o);
    mock_http_queue_json(m, 200, STATS_JSON);
    ably_rest *rest;
    ably_error err = {0};
    ably_paginated_result *page = NULL;
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    assert_int_equal(ably_rest_stats(rest, NULL, &page, &err), 0);
    size_t n = 0;
    const ably_stats *s = ably_paginated_result_items(page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].interval_id, "2024-02-29:13:45");
    assert_true(s[0].has_unit);
    assert_int_equal(s[0].unit, ABLY_STATS_INTERVAL_GRANULARITY_MINUTE);
    assert_string_equal(s[0].in_progress, "2024-02-29:13:45");
    double v = 0;
    assert_true(ably_number_map_get(&s[0].entries, "messages.all.all.count", &v));
    assert_true(v == 12);
    assert_true(ably_number_map_get(&s[0].entries, "messages.all.all.data", &v));
    assert_true(v == 3400);
    assert_string_equal(s[0].schema, "https://schemas.ably.com/json/app-stats-0.0.5.json");
    assert_string_equal(s[0].app_id, "appA");
    assert_int_equal(s[1].unit, ABLY_STATS_INTERVAL_GRANULARITY_MONTH);
    assert_null(s[1].in_progress);
    assert_int_equal(s[1].entries.count, 0);
    ably_paginated_result_free(page);
    ably_rest_destroy(rest);
    mock_http_free(m);
}

static int64_t interval_time(const char *id)
{
    ably_stats s;
    ably_stats_init(&s);
    s.interval_id = (char *)id;
    int64_t t = -1;
    int rc = ably_stats_interval_time(&s, &t);
    return rc == 0 ? t : -1;
}

/* TS12p: intervalTime is the start of the interval named by intervalId, UTC,
 * for each unit's id format. */
static void stats_interval_time(void **state)
{
    (void)state;
    assert_int_equal(interval_time("2024-02-29:13:45"), 1709214300000LL);
    assert_int_equal(interval_time("2024-02-29:13"), 1709211600000LL);
    assert_int_equal(interval_time("2024-02-29"), 1709164800000LL);
    assert_int_equal(interval_time("2024-02"), 1706745600000LL);
    assert_int_equal(interval_time("1970-01-01:00:00"), 0);
    assert_int_equal(interval_time(""), -1);
    assert_int_equal(interval_time("2024-13"), -1);
    assert_int_equal(interval_time("2024-02-29:1"), -1);
    assert_int_equal(interval_time("2024-02:13"), -1);
    assert_int_equal(interval_time("2024-02-29:13:45x"), -1);
    int64_t t;
    assert_int_equal(ably_stats_interval_time(NULL, &t), -1);
}

/* ---- batch types (BAR, BPR, BPF, BSP, BGR, BGF) ---- */

/* BAR1, BPR1, BPR2, BPF1, BPF2: a batch publish result with one success and one
 * failure, each with its attributes. */
static void batch_publish_result_types(void **state)
{
    (void)state;
    ably_batch_publish_result r;
    ably_batch_publish_result_init(&r);
    ably_error err = {0};
    assert_int_equal(ably_batch_publish_result_from_json(
                         &r,
                         J("{\"successCount\":1,\"failureCount\":1,\"results\":[{\"channel\":\"a\",\"messageId\":\"id0\","
                           "\"serials\":[\"s1\",null]},{\"channel\":\"b\",\"error\":{\"code\":40160,\"statusCode\":401,"
                           "\"message\":\"denied\"}}]}"),
                         &err),
                     0);
    assert_int_equal(r.success_count, 1);
    assert_int_equal(r.failure_count, 1);
    assert_int_equal(r.results_count, 2);
    assert_string_equal(r.results[0].channel, "a");
    assert_string_equal(r.results[0].message_id, "id0");
    assert_int_equal(r.results[0].serials_count, 2);
    assert_string_equal(r.results[0].serials[0], "s1");
    assert_null(r.results[0].serials[1]);
    assert_null(r.results[0].error);
    assert_string_equal(r.results[1].channel, "b");
    assert_non_null(r.results[1].error);
    assert_int_equal(r.results[1].error->code, 40160);
    ably_batch_publish_result_clear(&r);
}

/* BSP1, BSP2: a batch publish spec names channels and messages and encodes as such. */
static void batch_publish_spec_type(void **state)
{
    (void)state;
    ably_batch_publish_spec s;
    ably_batch_publish_spec_init(&s);
    ably_error err = {0};
    assert_int_equal(ably_batch_publish_spec_from_json(
                         &s, J("{\"channels\":[\"a\",\"b\"],\"messages\":[{\"name\":\"n\",\"data\":\"d\"}]}"), &err),
                     0);
    assert_int_equal(s.channels_count, 2);
    assert_string_equal(s.channels[1], "b");
    assert_int_equal(s.messages_count, 1);
    assert_string_equal(s.messages[0].name, "n");
    ably_buf out;
    ably_buf_init(&out);
    assert_int_equal(ably_batch_publish_spec_to_json(&s, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"channels\":[\"a\",\"b\"]"));
    ably_buf_free(&out);
    ably_batch_publish_spec_clear(&s);
}

/* BGR1, BGF1: per-channel batch presence results, success and failure. */
static void batch_presence_result_types(void **state)
{
    (void)state;
    ably_batch_presence_success_result ok;
    ably_batch_presence_success_result_init(&ok);
    ably_error err = {0};
    assert_int_equal(ably_batch_presence_success_result_from_json(
                         &ok, J("{\"channel\":\"a\",\"presence\":[{\"clientId\":\"c\",\"action\":1}]}"), &err),
                     0);
    assert_string_equal(ok.channel, "a");
    assert_int_equal(ok.presence_count, 1);
    assert_string_equal(ok.presence[0].client_id, "c");
    ably_batch_presence_success_result_clear(&ok);
    ably_batch_presence_failure_result bad;
    ably_batch_presence_failure_result_init(&bad);
    assert_int_equal(ably_batch_presence_failure_result_from_json(
                         &bad, J("{\"channel\":\"b\",\"error\":{\"code\":40160,\"statusCode\":401}}"), &err),
                     0);
    assert_string_equal(bad.channel, "b");
    assert_non_null(bad.error);
    assert_int_equal(bad.error->code, 40160);
    ably_batch_presence_failure_result_clear(&bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(message_is_name_data_and_client_id, "TM1 TM4"),
        ABLY_TEST(message_size_counts_name_data_client_id_extras, "TM6"),
        ABLY_TEST(version_from_wire, "TM2s TM2s1 TM2s2 TM2s3 TM2s4 TM2s5"),
        ABLY_TEST(version_defaults_when_absent, "TM2s TM2s1 TM2s2"),
        ABLY_TEST(annotations_summary_kept_opaque, "TM8 TM8a1"),
        ABLY_TEST(extras_interoperate, "RSL6a2"),
        ABLY_TEST(msgpack_fixtures_through_rest, "RSL6a3"),
        ABLY_TEST(presence_message_extras, "TP1 TP3i"),
        ABLY_TEST(presence_member_key, "TP3h"),
        ABLY_TEST(server_error_becomes_error_info, "TI2 TI6"),
        ABLY_TEST(error_equality, "TI1"),
        ABLY_TEST(codes_come_from_ably_common, "TI3"),
        ABLY_TEST(stats_attributes, "TS1 TS12 TS12a TS12c TS12q TS12r TS12s TS12t"),
        ABLY_TEST(stats_interval_time, "TS12p"),
        ABLY_TEST(batch_publish_result_types, "BAR1 BPR1 BPR2 BPF1 BPF2"),
        ABLY_TEST(batch_publish_spec_type, "BSP1 BSP2"),
        ABLY_TEST(batch_presence_result_types, "BGR1 BGF1"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
