/* RealtimeChannel#history (RTL10) through the REST half, on the mock HTTP client and the
 * mock WebSocket (uts/realtime/unit/channels/channel_history.md). */
#include "test_realtime_channel_fixture.h"

static void start(chan_fx *f)
{
    fx_init(f);
    f->t.o.use_binary_protocol = false; /* JSON answers from the mock HTTP client */
    f->attached_serial = "serial-abc:0";
    fx_start(f);
}

static ably_realtime_channel *channel_without_implicit_attach(chan_fx *f, const char *name)
{
    ably_realtime_channel_options o = {.no_attach_on_subscribe = true};
    return fx_channel(f, name, &o);
}

static void history_takes_the_rest_params_and_returns_the_first_page(void **state)
{
    (void)state;
    chan_fx f;
    start(&f);
    ably_realtime_channel *ch = channel_without_implicit_attach(&f, "test-RTL10a");
    const char *link_hdr[] = {"Link", "<./messages?page=2>; rel=\"next\"", NULL};
    const char *body = "[{\"id\":\"m2\",\"name\":\"b\",\"data\":\"two\",\"timestamp\":1700000000200},"
                       "{\"id\":\"m1\",\"name\":\"a\",\"data\":\"one\",\"timestamp\":1700000000100}]";
    mock_reply reply = {.status = 200, .body = body, .headers = link_hdr};
    mock_http_queue(f.t.h, &reply);
    ably_history_params p = {.start = 1700000000000, .end = 1700000001000, .direction = "forwards", .limit = 2};
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channel_history(ch, &p, false, &page, &err), 0);
    assert_int_equal(mock_http_count(f.t.h), 1);
    const mock_request *req = mock_http_request(f.t.h, 0);
    assert_string_equal(req->method, "GET");
    assert_string_equal(req->path, "/channels/test-RTL10a/messages"); /* RestChannel#history's endpoint */
    assert_string_equal(mock_request_query(req, "start"), "1700000000000");
    assert_string_equal(mock_request_query(req, "end"), "1700000001000");
    assert_string_equal(mock_request_query(req, "direction"), "forwards");
    assert_string_equal(mock_request_query(req, "limit"), "2");
    assert_null(mock_request_query(req, "fromSerial"));
    size_t n = 0;
    const ably_message *items = ably_paginated_result_items(page, &n); /* RTL10c */
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id, "m2");
    assert_string_equal(items[0].name, "b");
    assert_string_equal(items[1].data.bytes, "one");
    assert_true(ably_paginated_result_has_next(page));
    ably_paginated_result_free(page);
    /* bad params fail as RestChannel#history's do (RSL2b) */
    ably_history_params bad = {.start = 2000, .end = 1000};
    assert_int_equal(ably_realtime_channel_history(ch, &bad, false, &page, &err), -1);
    assert_int_equal(err.code, 40003);
    ably_error_clear(&err);
    assert_int_equal(mock_http_count(f.t.h), 1);
    fx_free(&f);
}

static void until_attach_sends_the_attach_serial(void **state)
{
    (void)state;
    chan_fx f;
    start(&f);
    ably_realtime_channel *ch = channel_without_implicit_attach(&f, "test-RTL10b");
    fx_connect(&f);
    fx_attach(&f, ch);
    mock_http_queue_json(f.t.h, 200, "[]");
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channel_history(ch, NULL, true, &page, &err), 0);
    assert_int_equal(mock_http_count(f.t.h), 1);
    assert_string_equal(mock_request_query(mock_http_request(f.t.h, 0), "fromSerial"), "serial-abc:0");
    ably_paginated_result_free(page);
    fx_free(&f);
}

static void until_attach_fails_when_not_attached(void **state)
{
    (void)state;
    chan_fx f;
    start(&f);
    ably_realtime_channel *ch = channel_without_implicit_attach(&f, "test-RTL10b-err");
    fx_connect(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channel_history(ch, NULL, true, &page, &err), -1);
    assert_null(page);
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
    assert_int_equal(mock_http_count(f.t.h), 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(history_takes_the_rest_params_and_returns_the_first_page, "RTL10 RTL10a RTL10c"),
        ABLY_TEST(until_attach_sends_the_attach_serial, "RTL10b RTL15c"),
        ABLY_TEST(until_attach_fails_when_not_attached, "RTL10b"),
    };
    return cmocka_run_group_tests_name("realtime_channel_history", tests, NULL, NULL);
}
