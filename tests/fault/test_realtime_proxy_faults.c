/* Realtime faults through ably-proxy (uts/realtime/integration/proxy/connection_resume.md,
 * channel_faults.md): the client talks to the sandbox through the proxy's default
 * session, and rules or imperative actions break the traffic. Real lws transport,
 * service thread, every wait bounded; client timeouts are shortened so the file runs
 * in a few seconds. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "proxy_env.h"
#include "sandbox_env.h"

#define RT_WAIT_MS 10000

typedef struct {
    sandbox_env *sbx;
    proxy_env *px;
} fixture;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool wait_conn(ably_realtime *rt, ably_connection_state want)
{
    int64_t end = now_ms() + RT_WAIT_MS;
    while (ably_connection_get_state(rt) != want) {
        if (now_ms() > end) {
            fprintf(stderr, "timed out waiting for %s (is %s)\n", ably_connection_state_name(want),
                    ably_connection_state_name(ably_connection_get_state(rt)));
            return false;
        }
        usleep(2000);
    }
    return true;
}

static bool wait_channel(ably_realtime_channel *ch, ably_channel_state want)
{
    int64_t end = now_ms() + RT_WAIT_MS;
    while (ably_realtime_channel_state(ch) != want) {
        if (now_ms() > end) {
            fprintf(stderr, "timed out waiting for channel %s (is %s)\n", ably_channel_state_name(want),
                    ably_channel_state_name(ably_realtime_channel_state(ch)));
            return false;
        }
        usleep(2000);
    }
    return true;
}

/* ---- completions and connection events, recorded on the service thread ---- */

typedef struct {
    pthread_mutex_t mu;
    int done, failed;
    int64_t code;
    int disconnected; /* DISCONNECTED connection events */
} rec;

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static void on_result(void *ctx, const ably_error *err)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->done++;
    if (err) {
        r->failed++;
        r->code = err->code;
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    on_result(ctx, err);
}

static void on_message(void *ctx, const ably_message *m)
{
    (void)m;
    on_result(ctx, NULL);
}

static void on_conn(void *ctx, const ably_connection_state_change *ch)
{
    rec *r = ctx;
    if (ch->current != ABLY_CONN_DISCONNECTED)
        return;
    pthread_mutex_lock(&r->mu);
    r->disconnected++;
    pthread_mutex_unlock(&r->mu);
}

static int rec_get(rec *r, const int *field)
{
    pthread_mutex_lock(&r->mu);
    int v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

static bool wait_rec(rec *r, const int *field, int want)
{
    int64_t end = now_ms() + RT_WAIT_MS;
    while (rec_get(r, field) < want) {
        if (now_ms() > end)
            return false;
        usleep(2000);
    }
    return true;
}

/* ---- a client through the proxy ---- */

static ably_realtime *client(const fixture *f, rec *r)
{
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(f->sbx, 0)->key_str;
    o.endpoint = "127.0.0.1";
    o.tls = false;
    o.port = f->px->port;
    o.auto_connect = false;
    o.realtime_request_timeout_ms = 1000; /* an attach with no answer fails after 1 s */
    o.http_request_timeout_ms = 3000;
    o.disconnected_retry_timeout_ms = 200;
    o.channel_retry_timeout_ms = 300;
    o.log_level = ABLY_LOG_NONE;
    ably_realtime *rt = NULL;
    ably_error err;
    ably_error_init(&err);
    int rc = ably_realtime_create(&o, NULL, &rt, &err);
    ably_error_clear(&err);
    assert_int_equal(rc, 0);
    if (r)
        ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_conn, r);
    ably_connection_connect(rt);
    assert_true(wait_conn(rt, ABLY_CONN_CONNECTED));
    return rt;
}

static ably_realtime_channel *channel(ably_realtime *rt, const char *name)
{
    ably_realtime_channel *ch = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_realtime_channels_get(rt, name, NULL, &ch, &err), 0);
    ably_error_clear(&err);
    return ch;
}

static void attach(ably_realtime_channel *ch)
{
    rec r;
    rec_init(&r);
    ably_realtime_channel_attach(ch, on_result, &r);
    assert_true(wait_rec(&r, &r.done, 1));
    assert_int_equal(r.failed, 0);
    pthread_mutex_destroy(&r.mu);
}

/* ---- a dropped transport resumes the connection (RTN15a, RTN15b, RTN15c6) ---- */

static void dropped_transport_resumes(void **state)
{
    fixture *f = *state;
    rec r;
    rec_init(&r);
    ably_realtime *rt = client(f, &r);
    ably_realtime_channel *ch = channel(rt, "l4-resume");
    attach(ch);
    char *id_before = ably_connection_id(rt);
    assert_non_null(id_before);
    int connects = proxy_env_count(f->px, "ws_connect", NULL, NULL);
    assert_true(connects >= 1);
    int resumes = proxy_env_count_connects_with(f->px, "resume");
    assert_true(resumes >= 0);

    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"disconnect\"}"), 200); /* TCP reset, no close */
    assert_true(wait_rec(&r, &r.disconnected, 1));
    assert_true(wait_conn(rt, ABLY_CONN_CONNECTED));
    assert_int_equal(proxy_env_count(f->px, "ws_connect", NULL, NULL), connects + 1); /* RTN15a: one new transport */
    assert_int_equal(proxy_env_count_connects_with(f->px, "resume"), resumes + 1); /* RTN15b: with resume= */
    char *id_after = ably_connection_id(rt);
    assert_non_null(id_after);
    assert_string_equal(id_before, id_after); /* RTN15c6: resumed, same connection */
    assert_true(wait_channel(ch, ABLY_CHANNEL_ATTACHED)); /* the channel is still attached */

    /* and it still carries messages both ways */
    rec got, acks;
    rec_init(&got);
    rec_init(&acks);
    ably_realtime_channel_subscribe(ch, NULL, on_message, &got, NULL, NULL);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "after", 5);
    ably_realtime_channel_publish(ch, "m", &d, on_published, &acks);
    assert_true(wait_rec(&acks, &acks.done, 1));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_rec(&got, &got.done, 1));

    free(id_before);
    free(id_after);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&r.mu);
    pthread_mutex_destroy(&got.mu);
    pthread_mutex_destroy(&acks.mu);
}

/* ---- an ATTACH that gets no answer times out, then the channel retries (RTL4f, RTL13b) ---- */

static void suppressed_attached_times_out_then_retries(void **state)
{
    fixture *f = *state;
    assert_int_equal(proxy_env_add_rules(f->px, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\","
                                                "\"channel\":\"l4-suppressed\"},\"action\":{\"type\":\"suppress\"},"
                                                "\"times\":1,\"comment\":\"no-attached\"}]"),
                     200);
    ably_realtime *rt = client(f, NULL);
    ably_realtime_channel *ch = channel(rt, "l4-suppressed");
    rec r;
    rec_init(&r);
    int64_t started = now_ms();
    ably_realtime_channel_attach(ch, on_result, &r);
    assert_true(wait_rec(&r, &r.done, 1));
    assert_int_equal(r.failed, 1); /* RTL4f: no ATTACHED within realtimeRequestTimeout */
    assert_true(now_ms() - started >= 900);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
    assert_true(wait_channel(ch, ABLY_CHANNEL_ATTACHED)); /* RTL13b: retried; the rule fired once */
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&r.mu);
    assert_int_equal(proxy_env_clear_rules(f->px), 200);
}

/* ---- a channel ERROR from the server fails only that channel (RTL14) ---- */

static void injected_channel_error_fails_the_channel(void **state)
{
    fixture *f = *state;
    ably_realtime *rt = client(f, NULL);
    ably_realtime_channel *ch = channel(rt, "l4-error");
    attach(ch);
    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"inject_to_client\",\"message\":{\"action\":9,"
                                             "\"channel\":\"l4-error\",\"error\":{\"code\":40160,"
                                             "\"statusCode\":401,\"message\":\"not permitted\"}}}"),
                     200);
    assert_true(wait_channel(ch, ABLY_CHANNEL_FAILED));
    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_realtime_channel_error_reason(ch, &e), 1);
    assert_int_equal(e.code, 40160);
    ably_error_clear(&e);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED); /* the connection is unaffected */
    ably_realtime_destroy(rt);
}

/* ---- a DISCONNECTED from the server makes the client reconnect (RTN15h2) ---- */

static void injected_disconnected_reconnects(void **state)
{
    fixture *f = *state;
    rec r;
    rec_init(&r);
    ably_realtime *rt = client(f, &r);
    char *id_before = ably_connection_id(rt);
    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"inject_to_client_and_close\",\"message\":{\"action\":6,"
                                             "\"error\":{\"code\":80003,\"statusCode\":500,\"message\":\"bye\"}}}"),
                     200);
    assert_true(wait_rec(&r, &r.disconnected, 1));
    assert_true(wait_conn(rt, ABLY_CONN_CONNECTED));
    char *id_after = ably_connection_id(rt);
    assert_non_null(id_after);
    assert_string_equal(id_before, id_after); /* reconnected by resuming */
    free(id_before);
    free(id_after);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&r.mu);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->sbx = sandbox_env_setup();
    if (f->sbx)
        f->px = proxy_env_start(PROXY_ENV_BIN, f->sbx);
    *state = f;
    return f->sbx && f->px ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int px_status = proxy_env_stop(f->px);
    int sbx_status = sandbox_env_teardown(f->sbx);
    free(f);
    return px_status == 0 && sbx_status == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(dropped_transport_resumes, "RTN15a RTN15b RTN15c6"),
        ABLY_TEST(suppressed_attached_times_out_then_retries, "RTL4f RTL13b"),
        ABLY_TEST(injected_channel_error_fails_the_channel, "RTL14"),
        ABLY_TEST(injected_disconnected_reconnects, "RTN15h2"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
