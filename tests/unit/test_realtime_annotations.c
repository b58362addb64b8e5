/* Realtime annotations (RTL26, RTAN1–RTAN5) on the mock WebSocket
 * (uts/realtime/unit/channels/channel_annotations.md). */
#include "test_realtime_channel_fixture.h"

typedef struct {
    int count;
    char type[8][32];
    char name[8][32];
    char data[8][64];
    int action[8];
    char serial[8][32];
} ann_rec;

static void on_annotation(void *ctx, const ably_annotation *a)
{
    ann_rec *r = ctx;
    if (r->count >= 8)
        return;
    int i = r->count++;
    snprintf(r->type[i], sizeof r->type[i], "%s", a->type ? a->type : "");
    snprintf(r->name[i], sizeof r->name[i], "%s", a->name ? a->name : "");
    snprintf(r->data[i], sizeof r->data[i], "%.*s", (int)a->data.len, a->data.bytes ? (const char *)a->data.bytes : "");
    snprintf(r->serial[i], sizeof r->serial[i], "%s", a->message_serial ? a->message_serial : "");
    r->action[i] = a->has_action ? (int)a->action : -1;
}

typedef struct {
    int warnings;
} log_rec;

static void on_log(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    log_rec *r = ctx;
    if (level == ABLY_LOG_WARN && strstr(line, "ANNOTATION_SUBSCRIBE"))
        __atomic_fetch_add(&r->warnings, 1, __ATOMIC_RELAXED);
}

static ably_annotation reaction(const char *type, const char *name)
{
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = (char *)(uintptr_t)type;
    a.name = (char *)(uintptr_t)name;
    return a;
}

static void annotations_object_belongs_to_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    assert_non_null(an);
    assert_ptr_equal(ably_realtime_channel_annotations(ch), an); /* one per channel */
    ably_realtime_channel *other = fx_channel(&f, "ann2", NULL);
    assert_ptr_not_equal(ably_realtime_channel_annotations(other), an);
    fx_free(&f);
}

static void publish_sends_annotation_frame(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_annotation a = reaction("reaction:distinct.v1", "like");
    a.message_serial = "ignored"; /* the first argument wins (RSAN1c2) */
    op_result r = {0};
    ably_realtime_annotations_publish(ably_realtime_channel_annotations(ch), "msg-serial-1", &a, fx_on_result, &r);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION);
    assert_non_null(pm);
    assert_string_equal(pm->channel, "ann");
    assert_int_equal(pm->annotations_count, 1);
    assert_true(pm->annotations[0].has_action);
    assert_int_equal(pm->annotations[0].action, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
    assert_string_equal(pm->annotations[0].message_serial, "msg-serial-1");
    assert_string_equal(pm->annotations[0].type, "reaction:distinct.v1");
    assert_string_equal(pm->annotations[0].name, "like");
    assert_string_equal(a.message_serial, "ignored"); /* the caller's annotation is untouched */
    assert_false(a.has_action);
    assert_int_equal(r.calls, 0); /* RTAN1d: waits for the ACK */
    fx_ack(&f, pm->msg_serial, NULL);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    fx_free(&f);
}

static void publish_nack_is_reported(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_annotation a = reaction("reaction:distinct.v1", "like");
    op_result r = {0};
    ably_realtime_annotations_publish(ably_realtime_channel_annotations(ch), "s1", &a, fx_on_result, &r);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION);
    assert_non_null(pm);
    fx_nack(&f, pm->msg_serial, "{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"}");
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 40160);
    fx_free(&f);
}

static void publish_requires_type_and_serial(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    ably_annotation untyped = reaction(NULL, "like");
    ably_annotation typed = reaction("t.v1", "like");
    op_result a = {0}, b = {0}, c = {0};
    ably_realtime_annotations_publish(an, "s1", &untyped, fx_on_result, &a);
    ably_realtime_annotations_publish(an, NULL, &typed, fx_on_result, &b);
    ably_realtime_annotations_delete(an, "s1", NULL, fx_on_result, &c);
    fx_pump(&f);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 40003);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.code, 40003);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.code, 40003);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION), 0);
    fx_free(&f);
}

static void publish_encodes_data(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_annotation a = reaction("t.v1", NULL);
    a.data = ably_data_borrow(ABLY_DATA_JSON, "{\"k\":1}", 7);
    ably_realtime_annotations_publish(ably_realtime_channel_annotations(ch), "s1", &a, NULL, NULL);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION);
    assert_non_null(pm);
    assert_non_null(pm->annotations[0].encoding);
    assert_string_equal(pm->annotations[0].encoding, "json"); /* RSL4 via RSAN1c3 */
    assert_int_equal(pm->annotations[0].data.type, ABLY_DATA_STRING);
    fx_free(&f);
}

static void publish_fails_on_failed_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "ann", NULL);
    fx_server(&f, "{\"action\":9,\"channel\":\"ann\",\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"x\"}}");
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    ably_annotation a = reaction("t.v1", "n");
    op_result r = {0};
    ably_realtime_annotations_publish(ably_realtime_channel_annotations(ch), "s1", &a, fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 90001);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION), 0);
    fx_free(&f);
}

static void delete_sends_annotation_delete(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_annotation a = reaction("reaction:distinct.v1", "like");
    ably_realtime_annotations_delete(ably_realtime_channel_annotations(ch), "s9", &a, NULL, NULL);
    fx_pump(&f);
    const ably_protocol_message *pm = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION);
    assert_non_null(pm);
    assert_int_equal(pm->annotations[0].action, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
    assert_string_equal(pm->annotations[0].message_serial, "s9");
    assert_string_equal(pm->annotations[0].type, "reaction:distinct.v1");
    fx_free(&f);
}

static const char *two_annotations =
    "{\"action\":21,\"channel\":\"ann\",\"annotations\":["
    "{\"id\":\"a1\",\"action\":0,\"type\":\"reaction:distinct.v1\",\"name\":\"like\",\"messageSerial\":\"m1\","
    "\"data\":\"aGk=\",\"encoding\":\"base64\"},"
    "{\"id\":\"a2\",\"action\":1,\"type\":\"flag.v1\",\"messageSerial\":\"m1\"}]}";

static void subscribe_attaches_and_delivers(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_flags = ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE | ABLY_CHANNEL_MODE_SUBSCRIBE;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ann_rec rec = {0};
    op_result attached = {0};
    uint64_t id = ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch), NULL, on_annotation,
                                                      &rec, fx_on_result, &attached);
    assert_true(id != 0);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1); /* RTAN4d */
    assert_int_equal(attached.calls, 1);
    assert_int_equal(attached.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_server(&f, two_annotations);
    assert_int_equal(rec.count, 2); /* RTAN4b: every member of the array */
    assert_string_equal(rec.type[0], "reaction:distinct.v1");
    assert_string_equal(rec.name[0], "like");
    assert_string_equal(rec.data[0], "hi"); /* decoded */
    assert_string_equal(rec.serial[0], "m1");
    assert_int_equal(rec.action[0], ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
    assert_string_equal(rec.type[1], "flag.v1");
    assert_int_equal(rec.action[1], ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
    fx_free(&f);
}

static void subscribe_filters_by_type(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_flags = ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    ann_rec flags = {0}, reactions = {0}, none = {0};
    ably_realtime_annotations_subscribe(an, "flag.v1", on_annotation, &flags, NULL, NULL);
    ably_realtime_annotations_subscribe(an, "reaction:distinct.v1", on_annotation, &reactions, NULL, NULL);
    ably_realtime_annotations_subscribe(an, "reaction", on_annotation, &none, NULL, NULL); /* exact match only */
    fx_pump(&f);
    fx_server(&f, two_annotations);
    assert_int_equal(flags.count, 1);
    assert_string_equal(flags.type[0], "flag.v1");
    assert_int_equal(reactions.count, 1);
    assert_string_equal(reactions.type[0], "reaction:distinct.v1");
    assert_int_equal(none.count, 0);
    fx_free(&f);
}

static void unsubscribe_by_id_type_and_all(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.attached_flags = ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    ann_rec all = {0}, flags = {0}, byid = {0};
    ably_realtime_annotations_subscribe(an, NULL, on_annotation, &all, NULL, NULL);
    ably_realtime_annotations_subscribe(an, "flag.v1", on_annotation, &flags, NULL, NULL);
    uint64_t id = ably_realtime_annotations_subscribe(an, NULL, on_annotation, &byid, NULL, NULL);
    fx_pump(&f);
    ably_realtime_annotations_unsubscribe(an, id);
    ably_realtime_annotations_unsubscribe_type(an, "flag.v1");
    fx_server(&f, two_annotations);
    assert_int_equal(all.count, 2);
    assert_int_equal(flags.count, 0);
    assert_int_equal(byid.count, 0);
    ably_realtime_annotations_unsubscribe_all(an);
    fx_server(&f, two_annotations);
    assert_int_equal(all.count, 2);
    fx_free(&f);
}

static void warns_when_mode_not_granted(void **state)
{
    (void)state;
    log_rec logs = {0};
    chan_fx f;
    fx_init(&f);
    f.t.o.log_handler = on_log;
    f.t.o.log_handler_ctx = &logs;
    f.attached_flags = ABLY_CHANNEL_MODE_SUBSCRIBE; /* no ANNOTATION_SUBSCRIBE */
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ann_rec rec = {0};
    ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch), NULL, on_annotation, &rec, NULL,
                                        NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_true(__atomic_load_n(&logs.warnings, __ATOMIC_RELAXED) >= 1); /* RTAN4e */

    ably_realtime_channel *ok = fx_channel(&f, "ann-ok", NULL);
    f.attached_flags = ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE;
    int before = __atomic_load_n(&logs.warnings, __ATOMIC_RELAXED);
    ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ok), NULL, on_annotation, &rec, NULL,
                                        NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ok), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(__atomic_load_n(&logs.warnings, __ATOMIC_RELAXED), before); /* granted: no warning */
    fx_free(&f);
}

static void no_warning_without_attach_on_subscribe(void **state)
{
    (void)state;
    log_rec logs = {0};
    chan_fx f;
    fx_init(&f);
    f.t.o.log_handler = on_log;
    f.t.o.log_handler_ctx = &logs;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    ably_realtime_channel *ch = fx_channel(&f, "ann", &o);
    ann_rec rec = {0};
    op_result r = {0};
    ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch), NULL, on_annotation, &rec,
                                        fx_on_result, &r);
    fx_pump(&f);
    assert_int_equal(r.calls, 1); /* RTL7h: no attach, answered at once */
    assert_int_equal(r.code, 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_int_equal(__atomic_load_n(&logs.warnings, __ATOMIC_RELAXED), 0); /* RTAN4e1 */
    fx_free(&f);
}

static void annotations_ignored_until_attached(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ann_rec rec = {0};
    ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch), NULL, on_annotation, &rec, NULL,
                                        NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    fx_server(&f, two_annotations);
    assert_int_equal(rec.count, 0);
    fx_server(&f, "{\"action\":11,\"channel\":\"ann\",\"flags\":4194304}");
    fx_server(&f, two_annotations);
    assert_int_equal(rec.count, 2);
    fx_free(&f);
}

/* RTAN3a: get is RestAnnotations#get (RSAN3b endpoint and params, RSAN3c decoded
 * page), reached from the realtime channel through the client's REST half. */
static void get_is_rest_annotations_get(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTAN3", NULL);
    mock_http_queue_json(f.t.h, 200,
                         "[{\"id\":\"ann-1\",\"action\":0,\"type\":\"com.example.reaction\",\"name\":\"like\","
                         "\"clientId\":\"user-1\",\"count\":1,\"data\":\"thumbs-up\",\"serial\":\"ann-serial-1\","
                         "\"messageSerial\":\"msg-serial-1\",\"timestamp\":1700000000000},"
                         "{\"id\":\"ann-2\",\"action\":1,\"type\":\"com.example.reaction\",\"name\":\"heart\","
                         "\"clientId\":\"user-2\",\"serial\":\"ann-serial-2\",\"messageSerial\":\"msg-serial-1\"}]");
    ably_string_map params = {0};
    assert_int_equal(ably_string_map_set(&params, "limit", "50"), 0);
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(
        ably_realtime_annotations_get(ably_realtime_channel_annotations(ch), "msg-serial-1", &params, &page, &err), 0);
    ably_string_map_clear(&params);
    assert_int_equal(mock_http_count(f.t.h), 1);
    const mock_request *r = mock_http_request(f.t.h, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/channels/test-RTAN3/messages/msg-serial-1/annotations");
    assert_string_equal(mock_request_query(r, "limit"), "50");
    size_t n;
    const ably_annotation *a = ably_paginated_result_annotations(page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].id, "ann-1");
    assert_int_equal(a[0].action, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
    assert_string_equal(a[0].type, "com.example.reaction");
    assert_string_equal(a[0].name, "like");
    assert_string_equal(a[0].client_id, "user-1");
    assert_int_equal(a[0].count, 1);
    assert_string_equal(a[0].data.bytes, "thumbs-up");
    assert_string_equal(a[0].message_serial, "msg-serial-1");
    assert_int_equal(a[0].timestamp, 1700000000000LL);
    assert_int_equal(a[1].action, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
    assert_string_equal(a[1].name, "heart");
    assert_int_equal(mock_ws_attempt_count(f.t.m), 0); /* REST only: no realtime connection needed */
    ably_paginated_result_free(page);
    fx_free(&f);
}

/* RTAN1b: the RTL6c conditions. Queued while CONNECTING (RTL6c2), refused on a
 * SUSPENDED channel and on a CLOSED connection (RTL6c4). */
static void publish_follows_message_publish_state_rules(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    f.t.o.realtime_request_timeout_ms = 100;
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    ably_annotation a = reaction("com.example.reaction", "like");
    op_result queued = {0}, suspended = {0}, closed = {0};
    ably_connection_connect(f.t.rt);
    fx_pump(&f);
    ably_realtime_annotations_publish(an, "msg-serial-1", &a, fx_on_result, &queued);
    fx_pump(&f);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION), 0);
    mock_rt_accept(&f.t, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION), 1);
    fx_server(&f, "{\"action\":1,\"msgSerial\":0,\"count\":1}");
    assert_int_equal(queued.calls, 1);
    assert_int_equal(queued.code, 0);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&f);
    fx_advance(&f, 150); /* no ATTACHED: the attach times out into SUSPENDED */
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    ably_realtime_annotations_publish(an, "msg-serial-1", &a, fx_on_result, &suspended);
    fx_pump(&f);
    assert_int_equal(suspended.calls, 1);
    assert_true(suspended.code > 0);
    ably_connection_close(f.t.rt);
    fx_pump(&f);
    fx_server(&f, "{\"action\":8}");
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CLOSED);
    ably_realtime_annotations_publish(an, "msg-serial-1", &a, fx_on_result, &closed);
    fx_pump(&f);
    assert_int_equal(closed.calls, 1);
    assert_true(closed.code > 0);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION), 1);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(annotations_object_belongs_to_channel, "RTL26"),
        ABLY_TEST(publish_sends_annotation_frame, "RTAN1 RTAN1a RTAN1c RTAN1d"),
        ABLY_TEST(publish_nack_is_reported, "RTAN1d"),
        ABLY_TEST(publish_requires_type_and_serial, "RTAN1a RSAN1a3"),
        ABLY_TEST(publish_encodes_data, "RTAN1a RSAN1c3"),
        ABLY_TEST(publish_fails_on_failed_channel, "RTAN1b"),
        ABLY_TEST(delete_sends_annotation_delete, "RTAN2 RTAN2a"),
        ABLY_TEST(subscribe_attaches_and_delivers, "RTAN4 RTAN4a RTAN4b RTAN4d"),
        ABLY_TEST(subscribe_filters_by_type, "RTAN4c"),
        ABLY_TEST(unsubscribe_by_id_type_and_all, "RTAN5 RTAN5a"),
        ABLY_TEST(warns_when_mode_not_granted, "RTAN4e"),
        ABLY_TEST(no_warning_without_attach_on_subscribe, "RTAN4e1"),
        ABLY_TEST(annotations_ignored_until_attached, "RTAN4b"),
        ABLY_TEST(get_is_rest_annotations_get, "RTAN3 RTAN3a"),
        ABLY_TEST(publish_follows_message_publish_state_rules, "RTAN1b"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
