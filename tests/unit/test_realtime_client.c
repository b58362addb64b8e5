/* The RealtimeClient object (RTC) on the mock WebSocket and mock HTTP transports.
 * Ports uts/realtime/unit/client/{realtime_client,realtime_stats,realtime_time,
 * realtime_request,realtime_timeouts}.md: the client's attributes, its options as
 * seen on the connection URL, connect/close, the REST calls it proxies and the
 * configured timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/push_admin.h"
#include "test_realtime_channel_fixture.h"

/* Starts a client with autoConnect on and pumps until its first attempt is made. */
static void start_auto(mock_rt *t)
{
    t->o.auto_connect = true;
    mock_rt_start(t, NULL);
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(mock_ws_attempt_count(t->m), 1);
}

/* ---- RTC12: the same constructor (ClientOptions) as the REST client ---- */

/* realtime/unit/RTC12/constructor-string-detection-0, invalid-arguments-error-1 */
static void constructor_matches_rest(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t); /* key: Basic auth, the key on the URL */
    start_auto(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "key"), "appId.keyId:keySecret");
    assert_null(mock_ws_query(t.m, 0, "accessToken"));
    mock_rt_free(&t);

    mock_rt_init(&t); /* a token: token auth, the token on the URL */
    t.o.key = NULL;
    t.o.token = "a-token-string";
    start_auto(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "a-token-string");
    assert_null(mock_ws_query(t.m, 0, "key"));
    mock_rt_free(&t);

    /* No means of authentication: 40106, as ably_rest_create. */
    mock_http *h = mock_http_new();
    mock_ws *m = mock_ws_new();
    ably_client_options o;
    ably_client_options_init(&o);
    mock_http_install(h, &o);
    ably_realtime_config cfg = {.mode = ABLY_REALTIME_APP_DRIVEN, .ws_transport = mock_ws_transport(m)};
    ably_realtime *rt = (ably_realtime *)1;
    ably_error err = {0};
    assert_int_equal(ably_realtime_create(&o, &cfg, &rt, &err), -1);
    assert_null(rt);
    assert_int_equal(err.code, 40106);
    ably_error_clear(&err);
    o.key = ""; /* an empty key is no credential either */
    assert_int_equal(ably_realtime_create(&o, &cfg, &rt, &err), -1);
    assert_true(err.code >= 40000 && err.code < 50000);
    ably_error_clear(&err);
    assert_int_equal(mock_ws_attempt_count(m), 0);
    mock_ws_free(m);
    mock_http_free(h);
}

/* ---- attributes: connection, channels, auth, push, clientId ---- */

/* realtime/unit/RTC2/connection-attribute-0 */
static void connection_attribute(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    assert_int_equal(ably_connection_get_state(t.rt), ABLY_CONN_INITIALIZED);
    char *id = ably_connection_id(t.rt);
    assert_null(id);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 0);
    mock_rt_connect(&t, "conn-rtc2", "key-rtc2");
    id = ably_connection_id(t.rt);
    assert_string_equal(id, "conn-rtc2");
    free(id);
    mock_rt_free(&t);
}

/* realtime/unit/RTC3/channels-attribute-0 */
static void channels_attribute(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    const char *name = "test-RTC3-7f3a";
    assert_false(ably_realtime_channels_exists(t.rt, name));
    ably_realtime_channel *ch = NULL, *again = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(t.rt, name, NULL, &ch, &err), 0);
    assert_non_null(ch);
    assert_string_equal(ably_realtime_channel_name(ch), name);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
    assert_true(ably_realtime_channels_exists(t.rt, name));
    assert_int_equal(ably_realtime_channels_get(t.rt, name, NULL, &again, &err), 0);
    assert_ptr_equal(again, ch);
    mock_rt_free(&t);
}

/* realtime/unit/RTC4/auth-attribute-0, RTC17/client-id-attribute-0 */
static void auth_and_client_id_attributes(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.client_id = "explicit-client-id";
    mock_rt_start(&t, NULL);
    ably_auth *auth = ably_realtime_auth(t.rt);
    assert_non_null(auth);
    char *cid = ably_realtime_client_id(t.rt);
    char *auth_cid = ably_auth_get_client_id(auth);
    assert_string_equal(cid, "explicit-client-id");
    assert_string_equal(cid, auth_cid);
    free(cid);
    free(auth_cid);
    /* The same Auth serves the REST half: a token request made through it is signed
     * with the client's key. */
    ably_token_request tr;
    ably_token_request_init(&tr);
    ably_error err = {0};
    assert_int_equal(ably_auth_create_token_request(auth, NULL, NULL, &tr, &err), 0);
    assert_string_equal(tr.key_name, "appId.keyId");
    assert_string_equal(tr.client_id, "explicit-client-id");
    ably_token_request_clear(&tr);
    mock_rt_free(&t);
}

static const char *connected_with_client_id(const char *client_id)
{
    static char frame[512];
    snprintf(frame, sizeof frame,
             "{\"action\":4,\"connectionId\":\"c1\",\"connectionDetails\":{\"connectionKey\":\"k1\","
             "\"clientId\":\"%s\",\"maxIdleInterval\":15000,\"connectionStateTtl\":120000}}",
             client_id);
    return frame;
}

/* RTC4a, RSA7b3, RSA12b: unknown before connecting, then the identity CONNECTED
 * confirms; a later CONNECTED (after reauth) may change it. */
static void client_id_confirmed_by_connected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "token-without-client-id";
    mock_rt_start(&t, NULL);
    assert_null(ably_auth_get_client_id(ably_realtime_auth(t.rt))); /* RSA12b */
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_accept(&t, 0, connected_with_client_id("confirmed-id"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    char *cid = ably_realtime_client_id(t.rt);
    assert_string_equal(cid, "confirmed-id");
    free(cid);
    cid = ably_auth_get_client_id(ably_realtime_auth(t.rt));
    assert_string_equal(cid, "confirmed-id");
    free(cid);
    mock_rt_send(&t, 0, connected_with_client_id("*")); /* RSA7b4 via connectionDetails */
    cid = ably_realtime_client_id(t.rt);
    assert_string_equal(cid, "*");
    free(cid);
    mock_rt_free(&t);
}

/* realtime/unit/RTC13/push-attribute-0: the push admin API works on the client's REST
 * half, with the client's options and credentials. */
static void push_attribute(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    ably_rest *rest = ably_realtime_rest(t.rt);
    assert_non_null(rest);
    assert_ptr_equal(ably_rest_auth(rest), ably_realtime_auth(t.rt));
    mock_http_queue_json(t.h, 201, "{}");
    ably_error err = {0};
    assert_int_equal(ably_push_admin_publish(rest, "{\"clientId\":\"c\"}", "{\"notification\":{\"title\":\"t\"}}",
                                             &err),
                     0);
    assert_int_equal(mock_http_count(t.h), 1);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/push/publish");
    assert_non_null(strstr(mock_request_header(r, "Authorization"), "Basic "));
    mock_rt_free(&t);
}

/* ---- options on the connection URL (RTC1) ---- */

/* realtime/unit/RTC1a/echo-messages-option-0 */
static void echo_messages_option(void **state)
{
    (void)state;
    for (int echo = 1; echo >= 0; echo--) {
        mock_rt t;
        mock_rt_init(&t);
        if (!echo)
            t.o.echo_messages = false;
        start_auto(&t);
        assert_string_equal(mock_ws_query(t.m, 0, "echo"), echo ? "true" : "false");
        mock_rt_free(&t);
    }
}

/* realtime/unit/RTC1b/auto-connect-option-0 (RTC1b_1, RTC1b_2, RTC1b_3) */
static void auto_connect_option(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    start_auto(&t); /* default true: connecting at once */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);

    mock_rt_init(&t); /* false: nothing until connect() */
    mock_rt_start(&t, NULL);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    mock_ws_pump(t.m, t.rt);
    mock_ws_advance(t.m, t.h, t.rt, 30000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    assert_int_equal(mock_ws_attempt_count(t.m), 0);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_event_count(t.m, MOCK_WS_CONNECTION_ATTEMPT), 1);
    mock_rt_free(&t);
}

/* realtime/unit/RTC1c/recover-option-0 (RTC1c_1, RTC1c_2, RTC1c_3) */
static void recover_option(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.recover = "{\"connectionKey\":\"previous-connection-key\",\"msgSerial\":5,"
                  "\"channelSerials\":{\"channel1\":\"serial1\"}}";
    start_auto(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "recover"), "previous-connection-key");
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_ws_attempt_count(t.m), 2); /* RTN15a: straight back */
    mock_rt_accept(&t, 1, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_null(mock_ws_query(t.m, 1, "recover")); /* RTN16k: only the first attempt */
    mock_rt_free(&t);

    mock_rt_init(&t);
    t.o.recover = "invalid-not-a-valid-recovery-key";
    start_auto(&t); /* logged, not fatal */
    assert_null(mock_ws_query(t.m, 0, "recover"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_free(&t);
}

/* realtime/unit/RTC1f/transport-params-option-0 (RTC1f_1, RTC1f_2, RTC1f1). The C map
 * holds strings: numbers and booleans are given in their string form, as RTC1f allows. */
static void transport_params_option(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    ably_string_map tp = {0};
    ably_string_map_set(&tp, "customParam", "customValue");
    ably_string_map_set(&tp, "anotherParam", "123");
    ably_string_map_set(&tp, "numberParam", "42");
    ably_string_map_set(&tp, "boolTrueParam", "true");
    ably_string_map_set(&tp, "boolFalseParam", "false");
    ably_string_map_set(&tp, "v", "3");
    ably_string_map_set(&tp, "heartbeats", "false");
    t.o.transport_params = &tp;
    start_auto(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "customParam"), "customValue");
    assert_string_equal(mock_ws_query(t.m, 0, "anotherParam"), "123");
    assert_string_equal(mock_ws_query(t.m, 0, "numberParam"), "42");
    assert_string_equal(mock_ws_query(t.m, 0, "boolTrueParam"), "true");
    assert_string_equal(mock_ws_query(t.m, 0, "boolFalseParam"), "false");
    assert_string_equal(mock_ws_query(t.m, 0, "v"), "3");            /* RTC1f1: ours lose */
    assert_string_equal(mock_ws_query(t.m, 0, "heartbeats"), "false");
    const mock_ws_attempt *a = mock_ws_get_attempt(t.m, 0);
    size_t v_count = 0;
    for (size_t i = 0; i < a->query.count; i++)
        v_count += strcmp(a->query.items[i].key, "v") == 0;
    assert_int_equal(v_count, 1); /* replaced, not sent twice */
    ably_string_map_clear(&tp);
    mock_rt_free(&t);
}

/* Shared options in the realtime context: tls picks wss/ws, useBinaryProtocol the
 * format, and the standard query parameters are all there (RTC1 "all the same
 * ClientOptions"). */
static void shared_options_on_the_connection(void **state)
{
    (void)state;
    for (int tls = 1; tls >= 0; tls--) {
        mock_rt t;
        mock_rt_init(&t);
        if (!tls) { /* Basic auth needs TLS: a token for plain ws */
            t.o.tls = false;
            t.o.key = NULL;
            t.o.token = "test-token";
        }
        start_auto(&t);
        const mock_ws_attempt *a = mock_ws_get_attempt(t.m, 0);
        assert_int_equal(a->tls, tls != 0);
        assert_true(strncmp(a->url, tls ? "wss://" : "ws://", tls ? 6 : 5) == 0);
        mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
        mock_rt_free(&t);
    }
    for (int binary = 1; binary >= 0; binary--) {
        mock_rt t;
        mock_rt_init(&t);
        t.o.use_binary_protocol = binary != 0;
        start_auto(&t);
        assert_string_equal(mock_ws_query(t.m, 0, "format"), binary ? "msgpack" : "json");
        assert_non_null(mock_ws_query(t.m, 0, "v"));
        assert_non_null(mock_ws_query(t.m, 0, "heartbeats"));
        assert_non_null(mock_ws_query(t.m, 0, "echo"));
        assert_true(mock_ws_query(t.m, 0, "key") || mock_ws_query(t.m, 0, "accessToken"));
        mock_rt_free(&t);
    }
}

/* ---- connect() and close() (RTC15, RTC16) ---- */

/* realtime/unit/RTC15/connect-method-0, RTC16/close-method-0 */
static void client_connect_and_close(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    ably_realtime_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, 0, mock_ws_connected_json("c1", "k1", 15000, 120000));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);

    ably_realtime_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE), 1);
    mock_rt_send(&t, 0, "{\"action\":8}"); /* CLOSED */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED,
                                                ABLY_CONN_EVENT_CLOSING, ABLY_CONN_EVENT_CLOSED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 4));
    mock_rt_free(&t);
}

/* ---- REST proxies: time (RTC6), stats (RTC5), request (RTC9) ---- */

/* realtime/unit/RTC6/time-proxies-rest-0, running uts/rest/unit/time.md's cases */
static void time_proxies_rest(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "[1704067200000]");
    int64_t ms = 0;
    ably_error err = {0};
    assert_int_equal(ably_realtime_time(t.rt, &ms, &err), 0);
    assert_int_equal(ms, 1704067200000LL);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/time");
    assert_null(mock_request_header(r, "Authorization")); /* RSC16: unauthenticated */
    assert_non_null(mock_request_header(r, "X-Ably-Version"));
    for (int i = 0; i < 4; i++)
        mock_http_queue_json(t.h, 500, "{\"error\":{\"message\":\"boom\",\"code\":50000,\"statusCode\":500}}");
    assert_int_equal(ably_realtime_time(t.rt, &ms, &err), -1);
    assert_int_equal(err.code, 50000);
    assert_int_equal(err.status_code, 500);
    ably_error_clear(&err);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED); /* no connection needed */
    mock_rt_free(&t);
}

/* The Shared Options of realtime_client.md: fallbackHosts (RSC15) behave the same for
 * the REST calls of a realtime client: a 5xx from the primary domain moves the request
 * to a fallback domain, which is then kept for the next request. */
static void rest_calls_use_fallback_hosts(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_for_host(t.h, "main.realtime.ably.net", 503,
                             "{\"error\":{\"code\":50300,\"statusCode\":503,\"message\":\"busy\"}}");
    mock_http_queue_json(t.h, 200, "[1704067200000]");
    mock_http_queue_json(t.h, 200, "[1704067200001]");
    int64_t ms = 0;
    ably_error err = {0};
    assert_int_equal(ably_realtime_time(t.rt, &ms, &err), 0);
    assert_int_equal(ms, 1704067200000LL);
    assert_int_equal(mock_http_count(t.h), 2);
    const char *primary = mock_http_request(t.h, 0)->host;
    const char *fallback = mock_http_request(t.h, 1)->host;
    assert_string_equal(primary, "main.realtime.ably.net");
    assert_non_null(strstr(fallback, ".fallback.ably-realtime.com"));
    assert_int_equal(ably_realtime_time(t.rt, &ms, &err), 0); /* RSC15f: the fallback is kept */
    assert_string_equal(mock_http_request(t.h, 2)->host, fallback);
    mock_rt_free(&t);
}

/* realtime/unit/RTC5/stats-proxies-rest-0, running uts/rest/unit/stats.md's cases */
static void stats_proxies_rest(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    static const char *const link[] = {"Link", "</stats?start=1704070800000&limit=1>; rel=\"next\"", NULL};
    mock_reply p1 = {.status = 200,
                     .body = "[{\"intervalId\":\"2024-01-01:01:00\",\"unit\":\"hour\","
                             "\"entries\":{\"messages.all.all.count\":200}}]",
                     .headers = link};
    mock_http_queue(t.h, &p1);
    mock_http_queue_json(t.h, 200, "[{\"intervalId\":\"2024-01-01:00:00\",\"unit\":\"hour\"}]");
    ably_stats_params p = {.start = 1704067200000LL, .end = 1704153600000LL, .direction = "forwards",
                           .limit = 1, .unit = "hour"};
    ably_paginated_result *page = NULL, *page2 = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_stats(t.rt, &p, &page, &err), 0);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/stats");
    assert_non_null(strstr(mock_request_header(r, "Authorization"), "Basic "));
    assert_string_equal(mock_request_query(r, "start"), "1704067200000");
    assert_string_equal(mock_request_query(r, "end"), "1704153600000");
    assert_string_equal(mock_request_query(r, "direction"), "forwards");
    assert_string_equal(mock_request_query(r, "limit"), "1");
    assert_string_equal(mock_request_query(r, "unit"), "hour");
    size_t n = 0;
    const ably_stats *s = ably_paginated_result_stats(page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].interval_id, "2024-01-01:01:00");
    double count = 0;
    assert_true(ably_number_map_get(&s[0].entries, "messages.all.all.count", &count));
    assert_true(count == 200);
    assert_true(ably_paginated_result_has_next(page));
    assert_int_equal(ably_paginated_result_next(page, &page2, &err), 0);
    s = ably_paginated_result_stats(page2, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].interval_id, "2024-01-01:00:00");
    assert_true(ably_paginated_result_is_last(page2));
    ably_paginated_result_free(page2);
    ably_paginated_result_free(page);
    page = NULL;
    /* the same validation as REST: refused before any request */
    ably_stats_params bad = {.limit = 1001};
    size_t before = mock_http_count(t.h);
    assert_int_equal(ably_realtime_stats(t.rt, &bad, &page, &err), -1);
    assert_int_equal(err.code, 40000);
    assert_null(page);
    assert_int_equal(mock_http_count(t.h), before);
    ably_error_clear(&err);
    mock_rt_free(&t);
}

/* realtime/unit/RTC9/request-proxies-rest-0, running uts/rest/unit/request.md's cases */
static void request_proxies_rest(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.use_binary_protocol = false;
    mock_rt_start(&t, NULL);
    static const char *const hdrs[] = {"X-Custom-Response", "yes", NULL};
    mock_reply ok = {.status = 200, .body = "[{\"id\":\"a\"},{\"id\":\"b\"}]", .headers = hdrs};
    mock_http_queue(t.h, &ok);
    ably_string_map params = {0}, headers = {0};
    ably_string_map_set(&params, "limit", "10");
    ably_string_map_set(&headers, "X-Custom", "value");
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(
        ably_realtime_request(t.rt, "POST", "/channels/x/messages", 3, &params, "{\"name\":\"n\"}", &headers, &page,
                              &err),
        0);
    const mock_request *r = mock_http_request(t.h, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/channels/x/messages");
    assert_string_equal(mock_request_query(r, "limit"), "10");
    assert_string_equal(mock_request_header(r, "X-Custom"), "value");
    assert_string_equal(mock_request_header(r, "X-Ably-Version"), "3");
    assert_non_null(strstr(mock_request_header(r, "Authorization"), "Basic "));
    assert_non_null(strstr((const char *)r->body.data, "\"name\""));
    assert_int_equal(ably_paginated_result_status_code(page), 200);
    assert_true(ably_paginated_result_success(page));
    size_t n = 0;
    const char *const *items = ably_paginated_result_json_items(page, &n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(items[0], "\"a\""));
    assert_non_null(strstr(items[1], "\"b\""));
    ably_paginated_result_free(page);
    page = NULL;

    /* An HTTP error is a result, not a failure (HP4-HP7). */
    static const char *const err_hdrs[] = {"X-Ably-Errorcode", "40400", "X-Ably-Errormessage", "Not found", NULL};
    mock_reply nf = {.status = 404,
                     .body = "{\"error\":{\"code\":40400,\"statusCode\":404,\"message\":\"Not found\"}}",
                     .headers = err_hdrs};
    mock_http_queue(t.h, &nf);
    assert_int_equal(ably_realtime_request(t.rt, "GET", "/nowhere", 3, NULL, NULL, NULL, &page, &err), 0);
    assert_int_equal(ably_paginated_result_status_code(page), 404);
    assert_false(ably_paginated_result_success(page));
    assert_int_equal(ably_paginated_result_error_code(page), 40400);
    ably_paginated_result_free(page);
    ably_string_map_clear(&params);
    ably_string_map_clear(&headers);
    mock_rt_free(&t);
}

/* ---- configured timeouts (RTC7) ---- */

static void connect_with_attach_server(chan_fx *f)
{
    fx_start(f);
    fx_connect(f);
}

/* realtime/unit/RTC7/attach-request-timeout-0 */
static void attach_uses_configured_request_timeout(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false; /* the server never answers */
    f.t.o.realtime_request_timeout_ms = 500;
    connect_with_attach_server(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTC7-attach", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(&f);
    fx_advance(&f, 450);
    assert_int_equal(r.calls, 0); /* not yet: the default (10 s) would be far off too */
    fx_advance(&f, 150);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED); /* RTL4f */
    fx_free(&f);
}

/* realtime/unit/RTC7/detach-request-timeout-1 */
static void detach_uses_configured_request_timeout(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.t.o.realtime_request_timeout_ms = 500;
    connect_with_attach_server(&f);
    ably_realtime_channel *ch = fx_attached(&f, "test-RTC7-detach", NULL);
    f.auto_detach = false;
    op_result r = {0};
    ably_realtime_channel_detach(ch, fx_on_result, &r);
    fx_pump(&f);
    fx_advance(&f, 450);
    assert_int_equal(r.calls, 0);
    fx_advance(&f, 150);
    assert_int_equal(r.calls, 1);
    assert_true(r.code != 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED); /* RTL5f */
    fx_free(&f);
}

static void first_succeeds_then_refused(void *ctx, mock_ws *m, size_t attempt)
{
    (void)ctx;
    if (attempt == 0)
        mock_ws_respond_success(m, 0, mock_ws_connected_json("connection-id", "connection-key", 0, 120000));
    else
        mock_ws_respond_refused(m, attempt);
}

static void connectivity_yes(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    (void)ctx;
    (void)req;
    (void)index;
    reply->status = 200;
    reply->content_type = "text/plain";
    reply->body = "yes";
}

/* realtime/unit/RTC7/disconnected-retry-timeout-2 */
static void disconnected_retry_uses_configured_timeout(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 2000;
    t.o.fallback_hosts_set = true; /* fallbackHosts: [] */
    mock_http_set_handler(t.h, connectivity_yes, NULL);
    mock_ws_on_attempt(t.m, first_succeeds_then_refused, NULL);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_rt_drop(&t, 0); /* RTN15a: one immediate retry, refused */
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    size_t after_immediate = mock_ws_attempt_count(t.m);
    assert_int_equal(after_immediate, 2);
    mock_ws_advance(t.m, t.h, t.rt, 1500); /* below 2000 less the largest jitter (20%) */
    assert_int_equal(mock_ws_attempt_count(t.m), after_immediate);
    mock_ws_advance(t.m, t.h, t.rt, 1500);
    assert_true(mock_ws_attempt_count(t.m) > after_immediate);
    mock_rt_free(&t);
}

/* realtime/unit/RTC7/default-timeouts-applied-3 */
static void default_timeouts(void **state)
{
    (void)state;
    ably_client_options o;
    ably_client_options_init(&o);
    assert_int_equal(o.realtime_request_timeout_ms, 10000);
    assert_int_equal(o.disconnected_retry_timeout_ms, 15000);
    assert_int_equal(o.suspended_retry_timeout_ms, 30000);
    assert_int_equal(o.http_open_timeout_ms, 4000);
    assert_int_equal(o.http_request_timeout_ms, 10000);
    /* and the client uses the default: an unanswered attach fails after 10 s, not before */
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    connect_with_attach_server(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTC7-default", NULL);
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(&f);
    fx_advance(&f, 9900);
    assert_int_equal(r.calls, 0);
    fx_advance(&f, 200);
    assert_int_equal(r.calls, 1);
    fx_free(&f);
}

/* ---- RTC10: no internal listeners on the public emitters ---- */

static void on_message(void *ctx, const ably_message *msg)
{
    (void)msg;
    (*(int *)ctx)++;
}

/* Removing every public listener (Connection#off(), channel off() and unsubscribe())
 * leaves the library working: connecting, reconnecting, attaching, delivering. */
static void removing_all_listeners_keeps_the_library_working(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    fx_start(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTC10", NULL);
    ably_connection_off_event(f.t.rt, ABLY_CONN_EVENT_ANY);
    ably_realtime_channel_off_event(ch, ABLY_CHANNEL_EVENT_ANY);
    fx_connect(&f);
    fx_attach(&f, ch); /* attach completes: its result does not ride on a public listener */
    int removed = 0, got = 0;
    ably_realtime_channel_subscribe(ch, NULL, on_message, &removed, NULL, NULL);
    ably_realtime_channel_unsubscribe_all(ch);
    ably_realtime_channel_subscribe(ch, NULL, on_message, &got, NULL, NULL);
    fx_server(&f, "{\"action\":15,\"channel\":\"test-RTC10\",\"id\":\"m:0\",\"messages\":[{\"name\":\"e\",\"data\":\"d\"}]}");
    assert_int_equal(got, 1);
    assert_int_equal(removed, 0);
    /* the connection still recovers from a transport loss by itself */
    size_t a = mock_rt_last_attempt(&f.t);
    mock_rt_drop(&f.t, a);
    assert_int_equal(mock_ws_attempt_count(f.t.m), a + 2);
    mock_rt_accept(&f.t, a + 1, mock_ws_connected_json("conn-1", "key-1", 15000, 120000));
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    fx_free(&f);
}

static void on_annotation(void *ctx, const ably_annotation *a)
{
    (void)a;
    (*(int *)ctx)++;
}

static void count_mode_warnings(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    if (level == ABLY_LOG_WARN && strstr(line, "ANNOTATION_SUBSCRIBE"))
        __atomic_fetch_add((int *)ctx, 1, __ATOMIC_RELAXED);
}

/* The library's own reaction to a channel becoming ATTACHED (the RTAN4e check of the
 * granted modes) does not hang on the channel's public emitter: off() of every channel
 * listener leaves it working. */
static void channel_off_keeps_internal_attach_handling(void **state)
{
    (void)state;
    int warnings = 0;
    chan_fx f;
    fx_init(&f);
    f.t.o.log_handler = count_mode_warnings;
    f.t.o.log_handler_ctx = &warnings;
    f.attached_flags = ABLY_CHANNEL_MODE_SUBSCRIBE; /* no ANNOTATION_SUBSCRIBE granted */
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTC10-ann", NULL);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    ably_realtime_channel_off_event(ch, ABLY_CHANNEL_EVENT_ANY);
    int got = 0;
    ably_realtime_annotations_subscribe(an, NULL, on_annotation, &got, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(__atomic_load_n(&warnings, __ATOMIC_RELAXED), 1);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(constructor_matches_rest, "RTC12"),
        ABLY_TEST(connection_attribute, "RTC2"),
        ABLY_TEST(channels_attribute, "RTC3"),
        ABLY_TEST(auth_and_client_id_attributes, "RTC4 RTC17 RTC17a"),
        ABLY_TEST(client_id_confirmed_by_connected, "RTC4a RSA7b3 RSA12b"),
        ABLY_TEST(push_attribute, "RTC13"),
        ABLY_TEST(echo_messages_option, "RTC1 RTC1a"),
        ABLY_TEST(auto_connect_option, "RTC1 RTC1b"),
        ABLY_TEST(recover_option, "RTC1 RTC1c"),
        ABLY_TEST(transport_params_option, "RTC1 RTC1f RTC1f1"),
        ABLY_TEST(shared_options_on_the_connection, "RTC1 RTC12"),
        ABLY_TEST(client_connect_and_close, "RTC15 RTC15a RTC16 RTC16a"),
        ABLY_TEST(time_proxies_rest, "RTC6 RTC6a"),
        ABLY_TEST(stats_proxies_rest, "RTC5 RTC5a RTC5b"),
        ABLY_TEST(request_proxies_rest, "RTC9"),
        ABLY_TEST(rest_calls_use_fallback_hosts, "RTC1 RSC15 RSC15l RSC15l3 RSC15f"),
        ABLY_TEST(attach_uses_configured_request_timeout, "RTC7"),
        ABLY_TEST(detach_uses_configured_request_timeout, "RTC7"),
        ABLY_TEST(disconnected_retry_uses_configured_timeout, "RTC7"),
        ABLY_TEST(default_timeouts, "RTC7"),
        ABLY_TEST(removing_all_listeners_keeps_the_library_working, "RTC10"),
        ABLY_TEST(channel_off_keeps_internal_attach_handling, "RTC10 RTAN4e"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
