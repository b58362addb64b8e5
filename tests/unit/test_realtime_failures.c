/* Connection failures, retries, resume and fallback on the mock WebSocket and the
 * mock clock (uts/realtime/unit/connection/{connection_open_failures,
 * connection_failures,backoff_jitter,fallback_hosts,error_reason,network_change}_test.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"

static const char *connected(const char *id, const char *key) { return mock_ws_connected_json(id, key, 15000, 120000); }

/* ---- opening failures (RTN14) ---- */

static void invalid_key_error_fails_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40005,\"statusCode\":400,\"message\":\"bad key\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(mock_rt_error_code(&t), 40005);
    mock_ws_change *last = &t.rec.items[t.rec.count - 1];
    assert_int_equal(last->event, ABLY_CONN_EVENT_FAILED);
    assert_int_equal(last->reason_code, 40005);
    assert_int_equal(last->reason_status, 400);
    mock_ws_advance(t.m, t.h, t.rt, 300000); /* FAILED stays FAILED */
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    /* RTN11d: connect() again clears errorReason */
    mock_rt_connect(&t, "c1", "k1");
    assert_int_equal(mock_rt_error_code(&t), 0);
    mock_rt_free(&t);
}

static void token_error_while_connecting_renews_once(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    mock_rt_start_connecting(&t);
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "token-1");
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"expired\"}}");
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    /* a second token error in the same cycle: DISCONNECTED, errorReason set */
    mock_rt_refuse_with(&t, 1, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_int_equal(mock_rt_error_code(&t), 40142);
    mock_rt_free(&t);
}

static void token_renewal_failure_while_connecting_disconnects(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    tokens.fail_from = 2; /* renewals fail */
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_true(mock_rt_error_code(&t) != 0);
    mock_rt_free(&t);
}

static void token_error_without_renewal_fails_with_40171(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "expired_token_string";
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(mock_rt_error_code(&t), 40171);
    mock_rt_free(&t);
}

static void connect_attempt_times_out(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_request_timeout_ms = 5000;
    t.o.fallback_hosts_set = true; /* no fallbacks: straight to DISCONNECTED */
    mock_rt_start(&t, NULL);
    ably_connection_connect(t.rt);
    mock_ws_advance(t.m, t.h, t.rt, 4999);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_ws_advance(t.m, t.h, t.rt, 1);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_int_equal(mock_ws_event_count(t.m, MOCK_WS_CLIENT_CLOSE), 1);
    assert_true(mock_rt_error_code(&t) != 0);
    mock_rt_free(&t);
}

static void refused_attempts_retry_after_backoff(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 2000;
    t.o.fallback_hosts_set = true;
    mock_rt_start_connecting(&t);
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    mock_ws_change *d = &t.rec.items[t.rec.count - 1];
    assert_true(d->has_reason);
    assert_true(d->has_retry_in);
    assert_true(d->retry_in >= 1600 && d->retry_in <= 2000); /* RTB1: first retry, coefficient 1 */
    mock_ws_advance(t.m, t.h, t.rt, d->retry_in - 1);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    mock_ws_advance(t.m, t.h, t.rt, 1);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, 1, connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_rt_error_code(&t), 0); /* cleared on success */
    mock_rt_free(&t);
}

static void retry_delays_follow_backoff_and_jitter(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 3000;
    t.o.fallback_hosts_set = true;
    ably_realtime_config cfg = {.connection_state_ttl_ms = 10000000};
    mock_rt_start(&t, &cfg);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    static const double coeff[] = {1.0, 4.0 / 3, 5.0 / 3, 2, 2, 2};
    for (size_t n = 0; n < 6; n++) {
        mock_rt_refuse(&t, mock_rt_last_attempt(&t));
        mock_ws_change *d = &t.rec.items[t.rec.count - 1];
        assert_int_equal(d->event, ABLY_CONN_EVENT_DISCONNECTED);
        double base = 3000 * coeff[n];
        assert_true((double)d->retry_in >= base * 0.8 - 1 && (double)d->retry_in <= base);
        mock_ws_advance(t.m, t.h, t.rt, d->retry_in);
        assert_int_equal(mock_ws_attempt_count(t.m), n + 2);
    }
    mock_rt_free(&t);
}

static void disconnected_becomes_suspended_after_ttl(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.disconnected_retry_timeout_ms = 1000;
    t.o.suspended_retry_timeout_ms = 4000;
    t.o.fallback_hosts_set = true;
    ably_realtime_config cfg = {.connection_state_ttl_ms = 5000};
    mock_rt_start(&t, &cfg);
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    for (int i = 0; i < 20 && mock_rt_state(&t) != ABLY_CONN_SUSPENDED; i++) {
        mock_ws_advance(t.m, t.h, t.rt, 500);
        if (mock_rt_state(&t) == ABLY_CONN_CONNECTING) {
            mock_rt_refuse(&t, mock_rt_last_attempt(&t));
        }
    }
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    assert_int_equal(mock_rt_error_code(&t), 80002);
    assert_true(mock_ws_attempt_count(t.m) >= 3);
    mock_ws_change *s = &t.rec.items[t.rec.count - 1];
    assert_true(s->has_retry_in);
    assert_int_equal(s->retry_in, 4000);
    /* RTN14f: SUSPENDED retries every suspendedRetryTimeout, and stays SUSPENDED on failure */
    size_t attempts = mock_ws_attempt_count(t.m);
    mock_ws_advance(t.m, t.h, t.rt, 4000);
    assert_int_equal(mock_ws_attempt_count(t.m), attempts + 1);
    mock_rt_refuse(&t, mock_rt_last_attempt(&t));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_SUSPENDED);
    mock_ws_advance(t.m, t.h, t.rt, 4000);
    assert_int_equal(mock_ws_attempt_count(t.m), attempts + 2);
    mock_rt_accept(&t, mock_rt_last_attempt(&t), connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

/* ---- failures once CONNECTED (RTN15) ---- */

static void transport_loss_resumes_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "connection-1", "key-1");
    mock_rt_drop(&t, 0);
    assert_int_equal(mock_ws_attempt_count(t.m), 2); /* immediately */
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "key-1");
    mock_rt_accept(&t, 1, connected("connection-1", "key-1b"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTED, ABLY_CONN_EVENT_DISCONNECTED,
                                                ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 4));
    assert_int_equal(mock_rt_error_code(&t), 0);
    char *id = ably_connection_id(t.rt), *key = ably_connection_key(t.rt);
    assert_string_equal(id, "connection-1");
    assert_string_equal(key, "key-1b"); /* RTN15e */
    free(id);
    free(key);
    mock_rt_free(&t);
}

static void failed_resume_gets_a_new_id_and_reason(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "connection-1", "key-1");
    mock_rt_drop(&t, 0);
    mock_ws_respond_success(t.m, 1,
                            "{\"action\":4,\"connectionId\":\"connection-2\",\"connectionDetails\":{\"connectionKey\":"
                            "\"key-2\"},\"error\":{\"code\":80008,\"statusCode\":400,\"message\":\"unable to resume\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_rt_error_code(&t), 80008);
    mock_ws_change *c = &t.rec.items[t.rec.count - 1];
    assert_int_equal(c->event, ABLY_CONN_EVENT_CONNECTED);
    assert_int_equal(c->reason_code, 80008);
    char *id = ably_connection_id(t.rt);
    assert_string_equal(id, "connection-2");
    free(id);
    mock_rt_free(&t);
}

/* Asserts the client-side id and key (NULL expected values assert NULL). */
static void expect_id_and_key(mock_rt *t, const char *id, const char *key)
{
    char *got_id = ably_connection_id(t->rt), *got_key = ably_connection_key(t->rt);
    if (id)
        assert_string_equal(got_id, id);
    else
        assert_null(got_id);
    if (key)
        assert_string_equal(got_key, key);
    else
        assert_null(got_key);
    free(got_id);
    free(got_key);
}

/* Connects with a short connectionStateTtl, drops the transport and lets every retry
 * fail (refused) until SUSPENDED. Returns with the client SUSPENDED. */
static void connect_then_suspend(mock_rt *t)
{
    t->o.disconnected_retry_timeout_ms = 1000;
    t->o.suspended_retry_timeout_ms = 4000;
    t->o.fallback_hosts_set = true;
    mock_rt_start(t, NULL);
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
    mock_ws_respond_success(t->m, 0, mock_ws_connected_json("c1", "k1", 15000, 5000));
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(mock_rt_state(t), ABLY_CONN_CONNECTED);
    mock_ws_simulate_disconnect(t->m, 0);
    mock_ws_pump(t->m, t->rt);
    for (int i = 0; i < 40 && mock_rt_state(t) != ABLY_CONN_SUSPENDED; i++) {
        if (mock_rt_state(t) == ABLY_CONN_CONNECTING) {
            mock_ws_respond_refused(t->m, mock_rt_last_attempt(t));
            mock_ws_pump(t->m, t->rt);
            if (mock_rt_state(t) == ABLY_CONN_DISCONNECTED)
                expect_id_and_key(t, "c1", "k1"); /* RTN8d, RTN9d: kept while DISCONNECTED */
        } else {
            mock_ws_advance(t->m, t->h, t->rt, 500);
        }
    }
    assert_int_equal(mock_rt_state(t), ABLY_CONN_SUSPENDED);
}

static void suspended_connection_keeps_id_and_resumes(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    connect_then_suspend(&t);
    expect_id_and_key(&t, "c1", "k1"); /* RTN8d, RTN9d: only CLOSED, CLOSING, FAILED clear them */
    char *rk = ably_connection_create_recovery_key(t.rt);
    assert_null(rk); /* RTN16g2 still applies to SUSPENDED */
    /* RTN14h: hours later, every attempt from SUSPENDED still asks to resume */
    size_t before = mock_ws_attempt_count(t.m);
    mock_ws_advance(t.m, t.h, t.rt, 3 * 3600 * 1000);
    assert_int_equal(mock_rt_state(&t) == ABLY_CONN_SUSPENDED || mock_rt_state(&t) == ABLY_CONN_CONNECTING, 1);
    size_t n = mock_ws_attempt_count(t.m);
    assert_true(n > before + 10);
    for (size_t i = 1; i < n; i++)
        assert_string_equal(mock_ws_query(t.m, i, "resume"), "k1");
    if (mock_rt_state(&t) != ABLY_CONN_CONNECTING)
        mock_ws_advance(t.m, t.h, t.rt, 4000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    mock_rt_accept(&t, mock_rt_last_attempt(&t), connected("c1", "k2"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_rt_error_code(&t), 0); /* RTN25: cleared by a clean CONNECTED */
    expect_id_and_key(&t, "c1", "k2");            /* RTN15c6 / RTN15e */
    mock_rt_free(&t);
}

static void rejected_resume_after_suspension_is_a_new_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    connect_then_suspend(&t);
    mock_ws_advance(t.m, t.h, t.rt, 4000);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    size_t last = mock_rt_last_attempt(&t);
    assert_string_equal(mock_ws_query(t.m, last, "resume"), "k1"); /* RTN14h */
    mock_ws_respond_success(t.m, last,
                            "{\"action\":4,\"connectionId\":\"c2\",\"connectionDetails\":{\"connectionKey\":"
                            "\"k2\"},\"error\":{\"code\":80008,\"statusCode\":400,\"message\":\"unable to resume\"}}");
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(mock_rt_error_code(&t), 80008); /* RTN15c7, RTN25 */
    expect_id_and_key(&t, "c2", "k2");
    mock_rt_free(&t);
}

static void close_from_suspended_clears_id_and_key(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    connect_then_suspend(&t);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSED);
    expect_id_and_key(&t, NULL, NULL); /* RTN8d, RTN9d */
    /* RTN11d: a later connect() is a fresh connection, not a resume */
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_null(mock_ws_query(t.m, mock_rt_last_attempt(&t), "resume"));
    mock_rt_free(&t);
}

static void disconnected_token_error_without_renewal_fails(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "some_token_string";
    mock_rt_start_connected(&t, "c1", "k1");
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    ably_error e = {0};
    assert_int_equal(ably_connection_error_reason(t.rt, &e), 1);
    assert_int_equal(e.code, 40142);
    assert_int_equal(e.status_code, 401);
    ably_error_clear(&e);
    mock_rt_free(&t);
}

static void disconnected_token_error_renews_and_resumes(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_tokens tokens;
    mock_rt_use_tokens(&t, &tokens);
    mock_rt_start_connected(&t, "c1", "k1");
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}");
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "k1");
    mock_rt_accept(&t, 1, connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void disconnected_other_error_reconnects_at_once(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":80003,\"statusCode\":400,\"message\":\"bye\"}}");
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "k1");
    mock_ws_change *d = &t.rec.items[t.rec.count - 2];
    assert_int_equal(d->event, ABLY_CONN_EVENT_DISCONNECTED);
    assert_int_equal(d->reason_code, 80003);
    assert_int_equal(d->retry_in, 0);
    mock_rt_free(&t);
}

static void connection_error_while_connected_fails(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    mock_rt_server_closes(&t, 0, "{\"action\":9,\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"boom\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(mock_rt_error_code(&t), 50000);
    assert_null(ably_connection_id(t.rt));
    mock_rt_free(&t);
}

/* ---- fallback hosts (RTN17) ---- */

static bool is_default_fallback(const char *host)
{
    for (size_t i = 0; i < ABLY_DEFAULT_FALLBACK_DOMAINS_COUNT; i++)
        if (strcmp(host, ably_default_fallback_domains[i]) == 0)
            return true;
    return false;
}

static void fallback_after_connectivity_check_then_primary_first(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "\"yes\"");
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_string_equal(mock_ws_get_attempt(t.m, 0)->host, "main.realtime.ably.net");
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_http_count(t.h), 1); /* RTN17j: the connectivity check */
    assert_non_null(strstr(mock_http_request(t.h, 0)->url, "internet-up.ably-realtime.com"));
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    const char *fb1 = mock_ws_get_attempt(t.m, 1)->host;
    assert_true(is_default_fallback(fb1));
    mock_rt_refuse(&t, 1);
    const char *fb2 = mock_ws_get_attempt(t.m, 2)->host;
    assert_true(is_default_fallback(fb2));
    assert_string_not_equal(fb1, fb2);
    mock_rt_accept(&t, 2, connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    /* RTN17i: the next connection starts with the primary again */
    mock_rt_drop(&t, 2);
    assert_string_equal(mock_ws_get_attempt(t.m, 3)->host, "main.realtime.ably.net");
    mock_rt_free(&t);
}

/* ably_rest_time through the realtime client's REST side; returns the host of the
 * first request it made. */
static const char *rest_time_first_host(mock_rt *t, bool expect_ok)
{
    size_t before = mock_http_count(t->h);
    int64_t ms = 0;
    ably_error err;
    ably_error_init(&err);
    int rc = ably_rest_time(ably_realtime_rest(t->rt), &ms, &err);
    assert_int_equal(rc, expect_ok ? 0 : -1);
    ably_error_clear(&err);
    assert_true(mock_http_count(t->h) > before);
    return mock_http_request(t->h, before)->host;
}

static void rest_prefers_the_fallback_host_of_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "\"yes\"");
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_refuse(&t, 0);
    char fb[256];
    snprintf(fb, sizeof fb, "%s", mock_ws_get_attempt(t.m, 1)->host);
    assert_true(is_default_fallback(fb));
    mock_rt_accept(&t, 1, connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);

    /* RTN17e: while connected to a fallback, REST goes there first */
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), fb);
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), fb);

    /* ... and when that host fails, the usual RSC15 sequence follows (primary next) */
    mock_http_queue_for_host(t.h, fb, 500, "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"down\"}}");
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    size_t before = mock_http_count(t.h);
    assert_string_equal(rest_time_first_host(&t, true), fb);
    assert_int_equal(mock_http_count(t.h), before + 2);
    assert_string_equal(mock_http_request(t.h, before + 1)->host, "main.realtime.ably.net");
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), "main.realtime.ably.net"); /* unpinned */

    /* a new connection on a fallback pins again; leaving CONNECTED unpins */
    mock_rt_drop(&t, 1);
    mock_http_queue_json(t.h, 200, "\"yes\"");
    mock_rt_refuse(&t, 2); /* the primary, RTN17i */
    snprintf(fb, sizeof fb, "%s", mock_ws_get_attempt(t.m, 3)->host);
    assert_true(is_default_fallback(fb));
    mock_rt_accept(&t, 3, connected("c1", "k2"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), fb);
    ably_connection_close(t.rt);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CLOSING);
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), "main.realtime.ably.net");
    mock_rt_free(&t);
}

static void rest_ignores_a_connection_on_the_primary(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start_connected(&t, "c1", "k1");
    assert_string_equal(mock_ws_get_attempt(t.m, 0)->host, "main.realtime.ably.net");
    mock_http_queue_json(t.h, 200, "[1700000000000]");
    assert_string_equal(rest_time_first_host(&t, true), "main.realtime.ably.net");
    mock_rt_free(&t);
}

static void failed_connectivity_check_means_disconnected(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "\"no\"");
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    mock_rt_free(&t);
}

static void server_5xx_disconnected_uses_fallback(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    mock_rt_start(&t, NULL);
    mock_http_queue_json(t.h, 200, "\"yes\"");
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_ws_respond_success(t.m, 0, NULL);
    mock_rt_server_closes(&t, 0, "{\"action\":6,\"error\":{\"code\":50300,\"statusCode\":503,\"message\":\"busy\"}}");
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_true(is_default_fallback(mock_ws_get_attempt(t.m, 1)->host));
    mock_rt_free(&t);
}

static void no_fallbacks_means_no_check_and_no_fallback(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.endpoint = "sandbox.example.com"; /* a hostname endpoint has no fallbacks (REC2c2) */
    mock_rt_start_connecting(&t);
    assert_string_equal(mock_ws_get_attempt(t.m, 0)->host, "sandbox.example.com");
    mock_rt_refuse(&t, 0);
    assert_int_equal(mock_http_count(t.h), 0);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    mock_rt_free(&t);
}

static void realtime_host_option_is_the_primary(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.realtime_host = "rt.example.com";
    t.o.port = 8080;
    t.o.tls_port = 8443;
    mock_rt_start_connecting(&t);
    assert_string_equal(mock_ws_get_attempt(t.m, 0)->host, "rt.example.com");
    assert_int_equal(mock_ws_get_attempt(t.m, 0)->port, 8443);
    mock_rt_free(&t);
}

/* ---- network changes (RTN20) ---- */

static void network_down_and_up(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.fallback_hosts_set = true;
    mock_rt_start_connected(&t, "c1", "k1");
    ably_realtime_network_changed(t.rt, false);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    assert_int_equal(mock_ws_attempt_count(t.m), 1);
    ably_realtime_network_changed(t.rt, true);
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 2); /* RTN20b: now, not after the retry timer */
    assert_string_equal(mock_ws_query(t.m, 1, "resume"), "k1");
    ably_realtime_network_changed(t.rt, true); /* RTN20c: restart the pending attempt */
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_ws_attempt_count(t.m), 3);
    assert_true(mock_ws_get_attempt(t.m, 1)->client_closed);
    mock_rt_accept(&t, 2, connected("c1", "k1"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(invalid_key_error_fails_the_connection, "RTN14a RTN14g RTN25 RTN4f RTN11d"),
        ABLY_TEST(token_error_while_connecting_renews_once, "RTN14b RTN25"),
        ABLY_TEST(token_renewal_failure_while_connecting_disconnects, "RTN14b"),
        ABLY_TEST(token_error_without_renewal_fails_with_40171, "RSA4a RSA4a2"),
        ABLY_TEST(connect_attempt_times_out, "RTN14c"),
        ABLY_TEST(refused_attempts_retry_after_backoff, "RTN14d RTB1 TA2 RTN25"),
        ABLY_TEST(retry_delays_follow_backoff_and_jitter, "RTB1 RTB1a RTB1b"),
        ABLY_TEST(disconnected_becomes_suspended_after_ttl, "RTN14e RTN14f RTN25"),
        ABLY_TEST(transport_loss_resumes_the_connection, "RTN15a RTN15b RTN15b1 RTN15c6 RTN15e"),
        ABLY_TEST(failed_resume_gets_a_new_id_and_reason, "RTN15c7 RTN25"),
        ABLY_TEST(suspended_connection_keeps_id_and_resumes, "RTN14h RTN8d RTN9d RTN14e RTN14f RTN16g2"),
        ABLY_TEST(rejected_resume_after_suspension_is_a_new_connection, "RTN14h RTN15c7 RTN25"),
        ABLY_TEST(close_from_suspended_clears_id_and_key, "RTN8d RTN9d RTN12d RTN11d"),
        ABLY_TEST(disconnected_token_error_without_renewal_fails, "RTN15h RTN15h1"),
        ABLY_TEST(disconnected_token_error_renews_and_resumes, "RTN15h2 RTN22a"),
        ABLY_TEST(disconnected_other_error_reconnects_at_once, "RTN15h3"),
        ABLY_TEST(connection_error_while_connected_fails, "RTN15j RTN15c4 RTN8d"),
        ABLY_TEST(fallback_after_connectivity_check_then_primary_first, "RTN17 RTN17f RTN17h RTN17i RTN17j"),
        ABLY_TEST(rest_prefers_the_fallback_host_of_the_connection, "RTN17e RSC15f"),
        ABLY_TEST(rest_ignores_a_connection_on_the_primary, "RTN17e RTN17i"),
        ABLY_TEST(failed_connectivity_check_means_disconnected, "RTN17j"),
        ABLY_TEST(server_5xx_disconnected_uses_fallback, "RTN17f1"),
        ABLY_TEST(no_fallbacks_means_no_check_and_no_fallback, "RTN17g"),
        ABLY_TEST(realtime_host_option_is_the_primary, "RTN2 TO3k4 TO3k5"),
        ABLY_TEST(network_down_and_up, "RTN20 RTN20a RTN20b RTN20c"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
