/* RestChannel#history (RSL2) with payload decoding (RSL6). Ports
 * uts/rest/unit/channel/history.md. */
#include "test_rest_channel_fixture.h"

static const char *two_messages =
    "[{\"id\":\"msg1\",\"name\":\"event1\",\"data\":\"data1\",\"timestamp\":1000},"
    "{\"id\":\"msg2\",\"name\":\"event2\",\"data\":\"data2\",\"timestamp\":2000}]";

/* rest/unit/RSL2a/returns-paginated-result-0 */
static void history_returns_page(void **state)
{
    (void)state;
    for (int mp = 0; mp < 2; mp++) {
        fx *f = fx_new();
        if (mp)
            fx_reply_msgpack(f, 200, two_messages);
        else
            fx_reply(f, 200, two_messages);
        ably_rest_channel *ch = fx_channel(f, "test-RSL2a");
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        size_t n;
        const ably_message *m = ably_paginated_result_messages(f->page, &n);
        assert_int_equal(n, 2);
        assert_ptr_equal(ably_paginated_result_type(f->page), &ably_message_desc);
        assert_string_equal(m[0].id, "msg1");
        assert_string_equal(m[0].name, "event1");
        assert_int_equal(m[0].data.type, ABLY_DATA_STRING);
        assert_string_equal(m[0].data.bytes, "data1");
        assert_int_equal(m[1].timestamp, 2000);
        /* the other typed views refuse */
        assert_null(ably_paginated_result_presence_messages(f->page, &n));
        assert_int_equal(n, 0);
        fx_free(f);
    }
}

/* rest/unit/RSL2b/query-parameters-0, RSL2b2/limit-parameter-0, RSL2/history-time-range-1 */
static void history_query_parameters(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    ably_rest_channel *ch = fx_channel(f, "test-RSL2b");
    ably_history_params p[] = {
        {.start = 1234567890000}, {.end = 1234567899999}, {.direction = "backwards"},
        {.direction = "forwards"}, {.limit = 50}, {.start = 1000, .end = 2000, .limit = 10},
    };
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
        assert_int_equal(ably_rest_channel_history(ch, &p[i], &f->page, &f->err), 0);
        size_t n = 9;
        assert_null(ably_paginated_result_messages(f->page, &n));
        assert_int_equal(n, 0);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    assert_string_equal(mock_request_query(fx_req(f, 0), "start"), "1234567890000");
    assert_string_equal(mock_request_query(fx_req(f, 1), "end"), "1234567899999");
    assert_string_equal(mock_request_query(fx_req(f, 2), "direction"), "backwards");
    assert_string_equal(mock_request_query(fx_req(f, 3), "direction"), "forwards");
    assert_string_equal(mock_request_query(fx_req(f, 4), "limit"), "50");
    assert_string_equal(mock_request_query(fx_req(f, 5), "start"), "1000");
    assert_string_equal(mock_request_query(fx_req(f, 5), "end"), "2000");
    assert_string_equal(mock_request_query(fx_req(f, 5), "limit"), "10");
    assert_null(mock_request_query(fx_req(f, 0), "limit"));
    fx_free(f);
}

/* rest/unit/RSL2b1/default-direction-backwards-0, RSL2b3/default-limit-hundred-0 */
static void history_defaults(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    ably_rest_channel *ch = fx_channel(f, "test-RSL2b1");
    assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_null(mock_request_query(r, "direction")); /* the server default, backwards */
    assert_null(mock_request_query(r, "limit"));     /* the server default, 100 */
    assert_string_equal(r->method, "GET");
    fx_free(f);
}

/* RSL2b1, RSL2b2, RSL2b3: bad params are refused before any request (40003). */
static void history_param_validation(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL2b-bad");
    ably_history_params bad[] = {{.start = 2000, .end = 1000}, {.limit = 1001}, {.limit = -1}, {.direction = "sideways"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ably_rest_channel_history(ch, &bad[i], &f->page, &f->err), -1);
        assert_int_equal(f->err.code, 40003);
        assert_null(f->page);
    }
    assert_int_equal(mock_http_count(f->m), 0);
    ably_history_params edge = {.start = 1000, .end = 1000, .limit = 1000};
    assert_int_equal(ably_rest_channel_history(ch, &edge, &f->page, &f->err), 0);
    fx_free(f);
}

/* rest/unit/RSL2/request-url-format-0 */
static void history_url_format(void **state)
{
    (void)state;
    static const char *const names[][2] = {
        {"test-RSL2-simple", "/channels/test-RSL2-simple/messages"},
        {"test-RSL2-with:colon", "/channels/test-RSL2-with%3Acolon/messages"},
        {"test-RSL2-with/slash", "/channels/test-RSL2-with%2Fslash/messages"},
        {"test-RSL2-with space", "/channels/test-RSL2-with%20space/messages"},
    };
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    fx_create(f);
    for (size_t i = 0; i < 4; i++) {
        ably_rest_channel *ch = fx_channel(f, names[i][0]);
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        ably_paginated_result_free(f->page);
        f->page = NULL;
        assert_int_equal(mock_http_count(f->m), i + 1);
        assert_string_equal(fx_req(f, i)->method, "GET");
        assert_string_equal(fx_req(f, i)->path, names[i][1]);
    }
    fx_free(f);
}

/* RSL6a: history payloads are decoded; RSL6b: a payload that does not decode is
 * delivered with its remaining encoding. */
static void history_decodes_payloads(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"name\":\"j\",\"data\":\"{\\\"a\\\":1}\",\"encoding\":\"json\"},"
             "{\"name\":\"b\",\"data\":\"AQID\",\"encoding\":\"base64\"},"
             "{\"name\":\"u\",\"data\":\"aGk=\",\"encoding\":\"utf-8/base64\"},"
             "{\"name\":\"x\",\"data\":\"AQID\",\"encoding\":\"custom/base64\"}]");
    ably_rest_channel *ch = fx_channel(f, "decode");
    assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_messages(f->page, &n);
    assert_int_equal(n, 4);
    assert_int_equal(m[0].data.type, ABLY_DATA_JSON);
    assert_string_equal(m[0].data.bytes, "{\"a\":1}");
    assert_null(m[0].encoding);
    assert_int_equal(m[1].data.type, ABLY_DATA_BINARY);
    assert_int_equal(m[1].data.len, 3);
    assert_memory_equal(m[1].data.bytes, "\x01\x02\x03", 3);
    assert_int_equal(m[2].data.type, ABLY_DATA_STRING);
    assert_string_equal(m[2].data.bytes, "hi");
    assert_int_equal(m[3].data.type, ABLY_DATA_BINARY);
    assert_string_equal(m[3].encoding, "custom");
    fx_free(f);
}

/* TG4: the next page is fetched through the Link header and decoded the same way. */
static void history_next_page(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const link[] = {"Link", "<./messages?limit=1&page=2>; rel=\"next\"", NULL};
    f->headers = link;
    fx_reply(f, 200, "[{\"name\":\"p1\",\"data\":\"e30=\",\"encoding\":\"base64\"}]");
    ably_rest_channel *ch = fx_channel(f, "paged");
    ably_history_params p = {.limit = 1};
    assert_int_equal(ably_rest_channel_history(ch, &p, &f->page, &f->err), 0);
    assert_true(ably_paginated_result_has_next(f->page));
    f->headers = NULL;
    fx_reply(f, 200, "[{\"name\":\"p2\",\"data\":\"{}\",\"encoding\":\"json\"}]");
    ably_paginated_result *next = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_messages(next, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].name, "p2");
    assert_int_equal(m[0].data.type, ABLY_DATA_JSON);
    assert_string_equal(fx_req(f, 1)->path, "/channels/paged/messages");
    assert_string_equal(mock_request_query(fx_req(f, 1), "page"), "2");
    assert_true(ably_paginated_result_is_last(next));
    ably_paginated_result_free(next);
    fx_free(f);
}

/* RSL2: an error reply fails the call. */
static void history_error(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 401, "{\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"}}");
    ably_rest_channel *ch = fx_channel(f, "denied");
    assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 40160);
    assert_null(f->page);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(history_returns_page, "RSL2 RSL2a"),
        ABLY_TEST(history_query_parameters, "RSL2b RSL2b1 RSL2b2 RSL2b3"),
        ABLY_TEST(history_defaults, "RSL2b2 RSL2b3"),
        ABLY_TEST(history_param_validation, "RSL2b1 RSL2b2 RSL2b3"),
        ABLY_TEST(history_url_format, "RSL2"),
        ABLY_TEST(history_decodes_payloads, "RSL6a RSL6b"),
        ABLY_TEST(history_next_page, "RSL2a TG4 TG6"),
        ABLY_TEST(history_error, "RSL2"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
