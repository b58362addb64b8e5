/* RestPresence get (RSP3) and history (RSP4), decoded like messages (RSP5).
 * Ports uts/rest/unit/presence/rest_presence.md. */
#include "test_rest_channel_fixture.h"

static const char *members =
    "[{\"action\":1,\"clientId\":\"client1\",\"connectionId\":\"conn1\",\"data\":\"hello\",\"timestamp\":1000},"
    "{\"action\":1,\"clientId\":\"client2\",\"connectionId\":\"conn2\",\"data\":\"{\\\"a\\\":1}\",\"encoding\":\"json\"}]";

/* rest/unit/RSP3a/get-request-endpoint-0, RSP3b/get-returns-presence-messages-0 */
static void get_endpoint_and_items(void **state)
{
    (void)state;
    for (int mp = 0; mp < 2; mp++) {
        fx *f = fx_new();
        if (mp)
            fx_reply_msgpack(f, 200, members);
        else
            fx_reply(f, 200, members);
        ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "test RSP3"));
        assert_int_equal(ably_rest_presence_get(p, NULL, &f->page, &f->err), 0);
        const mock_request *r = fx_req(f, 0);
        assert_string_equal(r->method, "GET");
        assert_string_equal(r->path, "/channels/test%20RSP3/presence");
        assert_non_null(mock_request_header(r, "Authorization"));
        size_t n;
        const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
        assert_int_equal(n, 2);
        assert_int_equal(pm[0].action, ABLY_PRESENCE_ACTION_PRESENT);
        assert_string_equal(pm[0].client_id, "client1");
        assert_string_equal(pm[0].connection_id, "conn1");
        assert_string_equal(pm[0].data.bytes, "hello");
        assert_int_equal(pm[0].timestamp, 1000);
        assert_int_equal(pm[1].data.type, ABLY_DATA_JSON); /* RSP5 */
        assert_null(pm[1].encoding);
        assert_null(ably_paginated_result_messages(f->page, &n));
        fx_free(f);
    }
}

/* rest/unit/RSP3c/get-empty-members-0 */
static void get_empty(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "empty"));
    assert_int_equal(ably_rest_presence_get(p, NULL, &f->page, &f->err), 0);
    size_t n = 7;
    ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(n, 0);
    assert_true(ably_paginated_result_is_last(f->page));
    fx_free(f);
}

/* rest/unit/RSP3a1/get-limit-parameter-0, get-limit-default-100-1, get-limit-max-1000-2,
 * RSP3a2/get-clientid-filter-0, RSP3a3/get-connectionid-filter-0, RSP3/get-multiple-filters-0 */
static void get_params(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "params"));
    ably_presence_get_params cases[] = {
        {.limit = 50}, {0}, {.limit = 1000}, {.client_id = "client1"}, {.connection_id = "conn1"},
        {.limit = 10, .client_id = "c", .connection_id = "k"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(ably_rest_presence_get(p, &cases[i], &f->page, &f->err), 0);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    assert_string_equal(mock_request_query(fx_req(f, 0), "limit"), "50");
    assert_null(mock_request_query(fx_req(f, 1), "limit"));
    assert_string_equal(mock_request_query(fx_req(f, 2), "limit"), "1000");
    assert_string_equal(mock_request_query(fx_req(f, 3), "clientId"), "client1");
    assert_string_equal(mock_request_query(fx_req(f, 4), "connectionId"), "conn1");
    const mock_request *r = fx_req(f, 5);
    assert_string_equal(mock_request_query(r, "limit"), "10");
    assert_string_equal(mock_request_query(r, "clientId"), "c");
    assert_string_equal(mock_request_query(r, "connectionId"), "k");
    ably_presence_get_params bad = {.limit = 1001};
    assert_int_equal(ably_rest_presence_get(p, &bad, &f->page, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(mock_http_count(f->m), 6);
    fx_free(f);
}

/* rest/unit/RSP4a/history-request-endpoint-0, RSP4a/history-returns-paginated-1 */
static void history_endpoint(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[{\"action\":2,\"clientId\":\"c1\",\"data\":\"entered\"},{\"action\":3,\"clientId\":\"c1\"}]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "test-RSP4a"));
    assert_int_equal(ably_rest_presence_history(p, NULL, &f->page, &f->err), 0);
    assert_string_equal(fx_req(f, 0)->method, "GET");
    assert_string_equal(fx_req(f, 0)->path, "/channels/test-RSP4a/presence/history");
    size_t n;
    const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pm[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(pm[1].action, ABLY_PRESENCE_ACTION_LEAVE);
    fx_free(f);
}

/* rest/unit/RSP4b1 (start, end, both), RSP4b2 (default, forwards, backwards), RSP4b3 (limit,
 * default, max), RSP4/history-all-parameters-0 */
static void history_params(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "[]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "hist"));
    ably_history_params cases[] = {
        {.start = 1000}, {.end = 2000}, {0}, {.direction = "forwards"}, {.direction = "backwards"},
        {.limit = 1000}, {.start = 1000, .end = 2000, .direction = "forwards", .limit = 50},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(ably_rest_presence_history(p, &cases[i], &f->page, &f->err), 0);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    assert_string_equal(mock_request_query(fx_req(f, 0), "start"), "1000");
    assert_null(mock_request_query(fx_req(f, 0), "end"));
    assert_string_equal(mock_request_query(fx_req(f, 1), "end"), "2000");
    assert_null(mock_request_query(fx_req(f, 2), "direction"));
    assert_null(mock_request_query(fx_req(f, 2), "limit"));
    assert_string_equal(mock_request_query(fx_req(f, 3), "direction"), "forwards");
    assert_string_equal(mock_request_query(fx_req(f, 4), "direction"), "backwards");
    assert_string_equal(mock_request_query(fx_req(f, 5), "limit"), "1000");
    const mock_request *r = fx_req(f, 6);
    assert_string_equal(mock_request_query(r, "start"), "1000");
    assert_string_equal(mock_request_query(r, "end"), "2000");
    assert_string_equal(mock_request_query(r, "direction"), "forwards");
    assert_string_equal(mock_request_query(r, "limit"), "50");
    ably_history_params bad[] = {{.start = 3, .end = 2}, {.limit = 1001}, {.direction = "up"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ably_rest_presence_history(p, &bad[i], &f->page, &f->err), -1);
        assert_int_equal(f->err.code, 40003);
    }
    assert_int_equal(mock_http_count(f->m), 7);
    fx_free(f);
}

/* rest/unit/RSP5/decode-string-data-0, decode-json-data-1, decode-base64-binary-2,
 * decode-msgpack-binary-3, decode-utf8-data-4, decode-chained-encoding-5, decode-history-messages-6 */
static void decodes_payloads(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"action\":1,\"clientId\":\"a\",\"data\":\"plain\"},"
             "{\"action\":1,\"clientId\":\"b\",\"data\":\"[1,2]\",\"encoding\":\"json\"},"
             "{\"action\":1,\"clientId\":\"c\",\"data\":\"AAEC\",\"encoding\":\"base64\"},"
             "{\"action\":1,\"clientId\":\"d\",\"data\":\"aGVsbG8=\",\"encoding\":\"utf-8/base64\"},"
             "{\"action\":1,\"clientId\":\"e\",\"data\":\"eyJrIjoidiJ9\",\"encoding\":\"json/utf-8/base64\"}]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "decode"));
    for (int hist = 0; hist < 2; hist++) {
        assert_int_equal(hist ? ably_rest_presence_history(p, NULL, &f->page, &f->err)
                              : ably_rest_presence_get(p, NULL, &f->page, &f->err), 0);
        size_t n;
        const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
        assert_int_equal(n, 5);
        assert_int_equal(pm[0].data.type, ABLY_DATA_STRING);
        assert_int_equal(pm[1].data.type, ABLY_DATA_JSON);
        assert_string_equal(pm[1].data.bytes, "[1,2]");
        assert_int_equal(pm[2].data.type, ABLY_DATA_BINARY);
        assert_memory_equal(pm[2].data.bytes, "\x00\x01\x02", 3);
        assert_int_equal(pm[3].data.type, ABLY_DATA_STRING);
        assert_string_equal(pm[3].data.bytes, "hello");
        assert_int_equal(pm[4].data.type, ABLY_DATA_JSON);
        assert_string_equal(pm[4].data.bytes, "{\"k\":\"v\"}");
        for (size_t i = 0; i < n; i++)
            assert_null(pm[i].encoding);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    /* msgpack bin stays binary */
    fx_reply_msgpack(f, 200, "[{\"action\":1,\"clientId\":\"a\"}]");
    ably_buf_reset(&f->mp);
    /* [{action:1, data: bin(0x00 0xff)}] written by hand */
    static const unsigned char mp[] = {0x91, 0x82, 0xa6, 'a', 'c', 't', 'i', 'o', 'n', 0x01, 0xa4, 'd', 'a', 't', 'a', 0xc4, 0x02, 0x00, 0xff};
    ably_buf_append(&f->mp, mp, sizeof mp);
    assert_int_equal(ably_rest_presence_get(p, NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pm[0].data.type, ABLY_DATA_BINARY);
    assert_int_equal(pm[0].data.len, 2);
    fx_free(f);
}

/* rest/unit/RSP5/decode-cipher-channel-7: an encrypted payload (made by this
 * library's publish on a channel with the same key) decrypts with the channel cipher.
 * The UTS fixture's ciphertext is one block too short for its plaintext, so the
 * payload here is generated instead. */
static void decodes_with_channel_cipher(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_cipher_param_options po = {.key_base64 = "WUP6u0K7MXI5Zeo0VppPwg=="};
    ably_cipher_params params;
    assert_int_equal(ably_crypto_get_default_params(&po, &params, &f->err), 0);
    ably_rest_channel_options opts = {.cipher = &params};
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "test-RSP5g", &opts, &ch, &f->err), 0);
    ably_data d = json_data("{\"secret\":\"data\"}");
    assert_int_equal(ably_rest_channel_publish(ch, NULL, &d, NULL, &f->err), 0);
    cJSON *body = fx_body(f, 0);
    char reply[512];
    snprintf(reply, sizeof reply, "[{\"action\":1,\"clientId\":\"c1\",\"data\":\"%s\",\"encoding\":\"%s\"}]",
             jstr(body->child, "data"), jstr(body->child, "encoding"));
    assert_string_equal(jstr(body->child, "encoding"), "json/utf-8/cipher+aes-128-cbc/base64");
    cJSON_Delete(body);
    fx_reply(f, 200, reply);
    assert_int_equal(ably_rest_presence_get(ably_rest_channel_presence(ch), NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pm[0].data.type, ABLY_DATA_JSON);
    assert_string_equal(pm[0].data.bytes, "{\"secret\":\"data\"}");
    assert_null(pm[0].encoding);
    ably_paginated_result_free(f->page);
    /* without the cipher the payload stays encrypted, with the rest of its encoding (RSL6b) */
    ably_rest_channel *plain = fx_channel(f, "no-cipher");
    assert_int_equal(ably_rest_presence_get(ably_rest_channel_presence(plain), NULL, &f->page, &f->err), 0);
    pm = ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(pm[0].data.type, ABLY_DATA_BINARY);
    assert_string_equal(pm[0].encoding, "json/utf-8/cipher+aes-128-cbc");
    fx_free(f);
}

/* rest/unit/RSP3/get-pagination-link-header-1, get-pagination-next-page-2, RSP4/history-pagination-1 */
static void pagination(void **state)
{
    (void)state;
    fx *f = fx_new();
    static const char *const link[] = {"Link", "<./presence?limit=1&cursor=abc>; rel=\"next\"", NULL};
    f->headers = link;
    fx_reply(f, 200, "[{\"action\":1,\"clientId\":\"c1\"}]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "paged"));
    ably_presence_get_params gp = {.limit = 1};
    assert_int_equal(ably_rest_presence_get(p, &gp, &f->page, &f->err), 0);
    assert_true(ably_paginated_result_has_next(f->page));
    assert_false(ably_paginated_result_is_last(f->page));
    f->headers = NULL;
    fx_reply(f, 200, "[{\"action\":1,\"clientId\":\"c2\",\"data\":\"e30=\",\"encoding\":\"base64\"}]");
    ably_paginated_result *next;
    assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), 0);
    assert_string_equal(fx_req(f, 1)->path, "/channels/paged/presence");
    assert_string_equal(mock_request_query(fx_req(f, 1), "cursor"), "abc");
    size_t n;
    const ably_presence_message *pm = ably_paginated_result_presence_messages(next, &n);
    assert_int_equal(n, 1);
    assert_string_equal(pm[0].client_id, "c2");
    assert_int_equal(pm[0].data.type, ABLY_DATA_BINARY); /* the next page is decoded too */
    assert_true(ably_paginated_result_is_last(next));
    ably_paginated_result_free(next);
    fx_free(f);
}

/* rest/unit/RSP3/get-server-error-3, RSP4/history-auth-error-2, RSP3/get-channel-not-found-4 */
static void errors(void **state)
{
    (void)state;
    static const struct { int status; const char *body; int code; } cases[] = {
        {500, "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal error\"}}", 50000},
        {401, "{\"error\":{\"code\":40101,\"statusCode\":401,\"message\":\"Invalid credentials\"}}", 40101},
        {404, "{\"error\":{\"code\":40400,\"statusCode\":404,\"message\":\"Not found\"}}", 40400},
    };
    for (size_t i = 0; i < 3; i++) {
        fx *f = fx_new();
        fx_reply(f, cases[i].status, cases[i].body);
        ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "err"));
        int rc = i == 1 ? ably_rest_presence_history(p, NULL, &f->page, &f->err)
                        : ably_rest_presence_get(p, NULL, &f->page, &f->err);
        assert_int_equal(rc, -1);
        assert_int_equal(f->err.code, cases[i].code);
        assert_int_equal(f->err.status_code, cases[i].status);
        assert_null(f->page);
        fx_free(f);
    }
}

/* rest/unit/RSP3/get-standard-headers-5, RSP4/history-auth-header-3, RSP3/get-request-id-enabled-6 */
static void request_headers(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.add_request_ids = true;
    fx_reply(f, 200, "[]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "headers"));
    assert_int_equal(ably_rest_presence_get(p, NULL, &f->page, &f->err), 0);
    ably_paginated_result_free(f->page);
    assert_int_equal(ably_rest_presence_history(p, NULL, &f->page, &f->err), 0);
    for (size_t i = 0; i < 2; i++) {
        const mock_request *r = fx_req(f, i);
        assert_non_null(mock_request_header(r, "X-Ably-Version"));
        assert_non_null(mock_request_header(r, "Ably-Agent"));
        assert_non_null(strstr(mock_request_header(r, "Authorization"), "Basic "));
        assert_non_null(mock_request_query(r, "request_id"));
    }
    assert_string_not_equal(mock_request_query(fx_req(f, 0), "request_id"), mock_request_query(fx_req(f, 1), "request_id"));
    fx_free(f);
}

/* rest/unit/RSP5/presence-action-mapping-8 */
static void action_mapping(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"action\":0,\"clientId\":\"c1\"},{\"action\":1,\"clientId\":\"c2\"},{\"action\":2,\"clientId\":\"c3\"},"
             "{\"action\":3,\"clientId\":\"c4\"},{\"action\":4,\"clientId\":\"c5\"}]");
    ably_rest_presence *p = ably_rest_channel_presence(fx_channel(f, "actions"));
    assert_int_equal(ably_rest_presence_history(p, NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_presence_message *pm = ably_paginated_result_presence_messages(f->page, &n);
    assert_int_equal(n, 5);
    assert_int_equal(pm[0].action, ABLY_PRESENCE_ACTION_ABSENT);
    assert_int_equal(pm[1].action, ABLY_PRESENCE_ACTION_PRESENT);
    assert_int_equal(pm[2].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(pm[3].action, ABLY_PRESENCE_ACTION_LEAVE);
    assert_int_equal(pm[4].action, ABLY_PRESENCE_ACTION_UPDATE);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_endpoint_and_items, "RSP1 RSP3 RSP3a RSP5"),
        ABLY_TEST(get_empty, "RSP3a"),
        ABLY_TEST(get_params, "RSP3a1 RSP3a2 RSP3a3"),
        ABLY_TEST(history_endpoint, "RSP4 RSP4a"),
        ABLY_TEST(history_params, "RSP4b RSP4b1 RSP4b2 RSP4b3"),
        ABLY_TEST(decodes_payloads, "RSP5 RSL6a"),
        ABLY_TEST(decodes_with_channel_cipher, "RSP5 RSL5a RSL6b"),
        ABLY_TEST(pagination, "RSP3a RSP4a TG4"),
        ABLY_TEST(errors, "RSP3 RSP4"),
        ABLY_TEST(request_headers, "RSP3 RSP4 RSC7c"),
        ABLY_TEST(action_mapping, "RSP5 TP2"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
