/* Connection opening failures through ably-proxy in front of the sandbox
 * (uts/realtime/integration/proxy/connection_open_failures.md): the proxy replaces,
 * suppresses or refuses what the server would answer to a new connection. */
#include "ably_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_rt.h"

static void assert_no_identity(ably_realtime *rt)
{
    char *id = ably_connection_id(rt), *key = ably_connection_key(rt);
    assert_null(id);
    assert_null(key);
}

/* CONNECTED with an id and a key, reached through `seq` (n states in order), after at
 * least two WebSocket connections. */
static void assert_connected_after_retry(prt_fixture *f, ably_realtime *rt, prt_states *conn, const int *seq, size_t n)
{
    char *id = ably_connection_id(rt), *key = ably_connection_key(rt);
    assert_non_null(id);
    assert_non_null(key);
    free(id);
    free(key);
    assert_true(prt_states_in_order(conn, seq, n));
    assert_true(proxy_env_count(f->px, "ws_connect", NULL, NULL) >= 2);
}

/* The first CONNECTED is replaced by an ERROR with `code`, `status` and `message`. */
static void error_instead_of_first_connected(prt_fixture *f, int code, int status, const char *message)
{
    assert_int_equal(prt_add_rules(f->px,
                                   "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"CONNECTED\"},"
                                   "\"action\":{\"type\":\"replace\",\"message\":{\"action\":9,\"error\":"
                                   "{\"code\":%d,\"statusCode\":%d,\"message\":\"%s\"}}},\"times\":1}]",
                                   code, status, message),
                     200);
}

/* The first CONNECTED becomes an ERROR with `code` / `status`; the connection FAILS. */
static void fatal_error_instead_of_connected(prt_fixture *f, int code, int status, const char *message)
{
    error_instead_of_first_connected(f, code, status, message);
    prt_client c;
    assert_true(prt_client_new(&c, f, NULL, NULL));
    ably_realtime *rt = c.rt;
    ably_connection_connect(rt);
    assert_true(prt_wait_conn(rt, ABLY_CONN_FAILED));

    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_connection_error_reason(rt, &e), 1);
    assert_int_equal(e.code, code);
    assert_int_equal(e.status_code, status);
    assert_string_equal(e.message, message);
    ably_error_clear(&e);
    const int seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_FAILED};
    assert_true(prt_states_in_order(&c.conn, seq, 2));
    assert_no_identity(rt);
    prt_client_free(&c);
}

static void fatal_connect_error_fails(void **state)
{
    fatal_error_instead_of_connected(*state, 40005, 400, "Invalid key");
}

static void server_error_on_open_fails(void **state)
{
    fatal_error_instead_of_connected(*state, 50000, 500, "Internal server error");
}

/* RTN14b: a token error instead of the first CONNECTED; the client renews and connects. */
static void token_error_renews_and_reconnects(void **state)
{
    prt_fixture *f = *state;
    error_instead_of_first_connected(f, 40142, 401, "Token expired");
    ably_client_options o;
    prt_options(&o, f);
    o.auth_callback = prt_token_callback;
    prt_client c;
    assert_true(prt_client_new(&c, f, &o, NULL));
    assert_true(prt_client_connect(&c));

    assert_true(prt_auth_calls(&c.auth) >= 2); /* the first token, then the renewal */
    const int seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_connected_after_retry(f, c.rt, &c.conn, seq, 2);
    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_connection_error_reason(c.rt, &e), 0);
    ably_error_clear(&e);
    prt_client_free(&c);
}

/* RTN14d: the first WebSocket is refused; DISCONNECTED, then a retry connects. */
static void refused_connection_retries(void **state)
{
    prt_fixture *f = *state;
    assert_int_equal(proxy_env_add_rules(f->px, "[{\"match\":{\"type\":\"ws_connect\",\"count\":1},"
                                                "\"action\":{\"type\":\"refuse_connection\"},\"times\":1}]"),
                     200);
    ably_client_options o;
    prt_options(&o, f);
    o.disconnected_retry_timeout_ms = 500;
    prt_client c;
    assert_true(prt_client_new(&c, f, &o, NULL));
    assert_true(prt_client_connect(&c));

    const int seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_DISCONNECTED, ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED};
    assert_connected_after_retry(f, c.rt, &c.conn, seq, 4);
    prt_client_free(&c);
}

/* RTN14c: CONNECTED never arrives; after realtimeRequestTimeout the client is DISCONNECTED. */
static void no_connected_times_out(void **state)
{
    prt_fixture *f = *state;
    assert_int_equal(proxy_env_add_rules(f->px, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"CONNECTED\"},"
                                                "\"action\":{\"type\":\"suppress\"}}]"),
                     200);
    ably_client_options o;
    prt_options(&o, f);
    o.realtime_request_timeout_ms = 1000;
    prt_client c;
    assert_true(prt_client_new(&c, f, &o, NULL));
    ably_realtime *rt = c.rt;
    ably_connection_connect(rt);
    assert_true(prt_wait_conn(rt, ABLY_CONN_DISCONNECTED));

    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_connection_error_reason(rt, &e), 1);
    assert_true((e.message && strstr(e.message, "timeout")) || e.code == 50003 || e.code == 80003);
    ably_error_clear(&e);
    const int seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_DISCONNECTED};
    assert_true(prt_states_in_order(&c.conn, seq, 2));
    assert_no_identity(rt);
    prt_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(fatal_connect_error_fails, "RTN14a"),
        PRT_TEST(token_error_renews_and_reconnects, "RTN14b"),
        PRT_TEST(refused_connection_retries, "RTN14d"),
        PRT_TEST(server_error_on_open_fails, "RTN14g"),
        PRT_TEST(no_connected_times_out, "RTN14c"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
