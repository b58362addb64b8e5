/* Realtime connection against the sandbox (uts/realtime/integration/
 * connection_lifecycle_test.md, connection/connection_failures_test.md): the real lws
 * WebSocket transport and the library's service thread (THREAD mode), JSON and msgpack.
 *
 * Every wait is bounded (RT_WAIT_MS), so a misbehaving server or client fails the test
 * instead of hanging it. Callbacks run on the service thread; what they record is
 * guarded by a mutex and read by the test thread. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define RT_WAIT_MS 10000

/* ---- clock and waiting ---- */

static bool wait_state(ably_realtime *rt, ably_connection_state want)
{
    return rt_sandbox_wait_state(rt, want, RT_WAIT_MS);
}

/* ---- a recorder of connection events (filled on the service thread) ---- */

typedef struct {
    pthread_mutex_t mu;
    ably_connection_event events[64];
    int64_t reason_codes[64]; /* 0: no reason */
    size_t count;
} recorder;

static void on_change(void *ctx, const ably_connection_state_change *ch)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->count < 64) {
        r->events[r->count] = ch->event;
        r->reason_codes[r->count] = ch->reason ? ch->reason->code : 0;
        r->count++;
    }
    pthread_mutex_unlock(&r->mu);
}

static void recorder_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

/* Index of the first `ev` at or after `from`, or -1. */
static int recorder_find(recorder *r, ably_connection_event ev, size_t from)
{
    int at = -1;
    pthread_mutex_lock(&r->mu);
    for (size_t i = from; i < r->count && at < 0; i++)
        if (r->events[i] == ev)
            at = (int)i;
    pthread_mutex_unlock(&r->mu);
    return at;
}

static size_t recorder_count(recorder *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->count;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static int64_t recorder_code(recorder *r, int i)
{
    pthread_mutex_lock(&r->mu);
    int64_t c = i >= 0 && (size_t)i < r->count ? r->reason_codes[i] : -1;
    pthread_mutex_unlock(&r->mu);
    return c;
}

/* ---- clients ---- */

typedef struct {
    const char *key;     /* NULL: none */
    const char *token;   /* NULL: none */
    const char *recover; /* NULL: none */
    bool binary;
} client_spec;

/* A THREAD-mode client on the sandbox, autoConnect off, recording into rec (may be NULL). */
static ably_realtime *make_client(const sandbox_env *env, const client_spec *s, recorder *rec)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, s->binary);
    o.key = s->key;
    o.token = s->token;
    o.recover = s->recover;
    o.auto_connect = false;
    ably_realtime *rt = rt_sandbox_create(&o);
    if (rec)
        ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_change, rec);
    return rt;
}

static ably_realtime *key_client(const sandbox_env *env, bool binary, recorder *rec)
{
    client_spec s = {.key = sandbox_env_key(env, 0)->key_str, .binary = binary};
    return make_client(env, &s, rec);
}

static ably_realtime *connect_client(ably_realtime *rt)
{
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    return rt;
}

static bool has_error_reason(ably_realtime *rt, int64_t *code)
{
    ably_error e;
    ably_error_init(&e);
    int has = ably_connection_error_reason(rt, &e);
    if (code)
        *code = has ? e.code : 0;
    ably_error_clear(&e);
    return has == 1;
}

/* Takes the id (malloc'd) and asserts it is a non-empty string. */
static char *nonempty(char *s)
{
    assert_non_null(s);
    assert_true(*s != '\0');
    return s;
}

/* ---- connect with a key (RTN4b, RTN21, RTN8, RTN9) ---- */

static void connect_with_key(void **state, bool binary)
{
    sandbox_env *env = *state;
    recorder rec;
    recorder_init(&rec);
    ably_realtime *a = key_client(env, binary, &rec);
    assert_int_equal(ably_connection_get_state(a), ABLY_CONN_INITIALIZED);
    assert_null(ably_connection_id(a)); /* RTN8a, RTN9a */
    assert_null(ably_connection_key(a));
    connect_client(a);
    int connecting = recorder_find(&rec, ABLY_CONN_EVENT_CONNECTING, 0);
    assert_true(connecting >= 0);
    assert_true(recorder_find(&rec, ABLY_CONN_EVENT_CONNECTED, (size_t)connecting) > connecting);
    assert_false(has_error_reason(a, NULL));
    char *id_a = nonempty(ably_connection_id(a)), *key_a = nonempty(ably_connection_key(a));
    /* Destroyed without CLOSE: the server keeps that connection (resumable) while the
     * next client connects. */
    ably_realtime_destroy(a);

    /* RTN8b, RTN9b: another client gets its own id and key */
    ably_realtime *b = connect_client(key_client(env, binary, NULL));
    char *id_b = nonempty(ably_connection_id(b)), *key_b = nonempty(ably_connection_key(b));
    assert_string_not_equal(id_a, id_b);
    assert_string_not_equal(key_a, key_b);
    free(id_a);
    free(key_a);
    free(id_b);
    free(key_b);
    ably_realtime_destroy(b);
    pthread_mutex_destroy(&rec.mu);
}

static void connect_with_key_json(void **state) { connect_with_key(state, false); }
static void connect_with_key_msgpack(void **state) { connect_with_key(state, true); }

/* ---- connect with a token (RSA4, RTN2e) ---- */

static void connect_with_token(void **state)
{
    sandbox_env *env = *state;
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(env, 0)->key_str;
    o.endpoint = env->host;
    o.tls = env->tls;
    if (env->tls)
        o.tls_port = env->port;
    else
        o.port = env->port;
    o.log_level = ABLY_LOG_NONE;
    ably_rest *rest = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_request_token(ably_rest_auth(rest), NULL, NULL, &td, &err), 0);
    assert_non_null(td.token);

    for (int binary = 0; binary < 2; binary++) {
        client_spec s = {.token = td.token, .binary = binary};
        ably_realtime *rt = connect_client(make_client(env, &s, NULL));
        char *id = nonempty(ably_connection_id(rt));
        free(id);
        assert_false(has_error_reason(rt, NULL));
        ably_realtime_destroy(rt);
    }
    ably_token_details_clear(&td);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

/* A key that the library requests tokens with, never sending the key itself (RSA4, TO3j4). */
static void connect_with_token_from_key(void **state)
{
    sandbox_env *env = *state;
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(env, 0)->key_str;
    o.use_token_auth = true;
    o.endpoint = env->host;
    o.tls = env->tls;
    if (env->tls)
        o.tls_port = env->port;
    else
        o.port = env->port;
    o.auto_connect = false;
    o.log_level = ABLY_LOG_NONE;
    ably_realtime *rt = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_realtime_create(&o, NULL, &rt, &err), 0);
    connect_client(rt);
    assert_false(has_error_reason(rt, NULL));
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_get_token_details(ably_realtime_auth(rt), &td, &err), 1); /* a token is in use */
    assert_non_null(td.token);
    ably_token_details_clear(&td);
    ably_error_clear(&err);
    ably_realtime_destroy(rt);
}

/* ---- failures (RTN14a, RTN14g) ---- */

static void wrong_secret_fails_the_connection(void **state)
{
    sandbox_env *env = *state;
    char bad[512];
    snprintf(bad, sizeof bad, "%s:notTheSecret", sandbox_env_key(env, 0)->key_name);
    recorder rec;
    recorder_init(&rec);
    client_spec s = {.key = bad};
    ably_realtime *rt = make_client(env, &s, &rec);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_FAILED));
    int64_t code = 0;
    assert_true(has_error_reason(rt, &code));
    assert_true(code >= 40100 && code < 40200);
    int failed = recorder_find(&rec, ABLY_CONN_EVENT_FAILED, 0);
    assert_true(failed >= 0);
    assert_int_equal(recorder_code(&rec, failed), code); /* the same error on the change */
    assert_null(ably_connection_id(rt));               /* RTN8d */
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&rec.mu);
}

static void unknown_app_fails_the_connection(void **state)
{
    sandbox_env *env = *state;
    client_spec s = {.key = "notAnApp.notAKey:notASecret", .binary = true};
    ably_realtime *rt = make_client(env, &s, NULL);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_FAILED));
    int64_t code = 0;
    assert_true(has_error_reason(rt, &code));
    assert_true(code >= 40000 && code < 50000);
    ably_realtime_destroy(rt);
}

/* ---- ping (RTN13) ---- */

typedef struct {
    pthread_mutex_t mu;
    int done; /* 1: ok, -1: error */
    int64_t rtt;
} ping_result;

static void on_ping(void *ctx, int64_t rtt_ms, const ably_error *err)
{
    ping_result *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->done = err ? -1 : 1;
    p->rtt = rtt_ms;
    pthread_mutex_unlock(&p->mu);
}

static int wait_ping(ping_result *p)
{
    int64_t end = rt_sandbox_now_ms() + RT_WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int d = p->done;
        pthread_mutex_unlock(&p->mu);
        if (d || rt_sandbox_now_ms() > end)
            return d;
        usleep(2000);
    }
}

static void ping_round_trip(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_realtime *rt = connect_client(key_client(env, binary, NULL));
        ping_result p = {.done = 0};
        pthread_mutex_init(&p.mu, NULL);
        ably_connection_ping(rt, on_ping, &p);
        assert_int_equal(wait_ping(&p), 1);
        assert_true(p.rtt >= 0 && p.rtt < RT_WAIT_MS);
        pthread_mutex_destroy(&p.mu);
        ably_realtime_destroy(rt);
    }
}

/* ---- close (RTN12, RTN4c, RTN8d, RTN9d) and reconnect (RTN11) ---- */

static void close_then_reconnect(void **state)
{
    sandbox_env *env = *state;
    recorder rec;
    recorder_init(&rec);
    ably_realtime *rt = connect_client(key_client(env, true, &rec));
    char *first = nonempty(ably_connection_id(rt));
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    int closing = recorder_find(&rec, ABLY_CONN_EVENT_CLOSING, 0);
    assert_true(closing >= 0);
    assert_true(recorder_find(&rec, ABLY_CONN_EVENT_CLOSED, (size_t)closing) > closing);
    assert_null(ably_connection_id(rt));
    assert_null(ably_connection_key(rt));
    assert_null(ably_connection_create_recovery_key(rt)); /* RTN16g2 */
    assert_false(has_error_reason(rt, NULL));             /* a clean close */

    ably_connection_connect(rt); /* RTN11d: a fresh connection, not a resume */
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *second = nonempty(ably_connection_id(rt));
    assert_string_not_equal(first, second);
    assert_false(has_error_reason(rt, NULL));
    free(first);
    free(second);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&rec.mu);
}

/* ---- resume after the transport dropped (RTN15a, RTN15b, RTN15c6, RTN20) ---- */

static void resume_keeps_the_connection_id(void **state, bool binary)
{
    sandbox_env *env = *state;
    recorder rec;
    recorder_init(&rec);
    ably_realtime *rt = connect_client(key_client(env, binary, &rec));
    char *id = nonempty(ably_connection_id(rt));
    /* The application reports the network gone: the transport is dropped without a
     * CLOSE, so the server keeps the connection for connectionStateTtl. */
    ably_realtime_network_changed(rt, false);
    assert_true(wait_state(rt, ABLY_CONN_DISCONNECTED));
    char *kept = nonempty(ably_connection_id(rt)); /* RTN8d: kept while DISCONNECTED */
    assert_string_equal(kept, id);
    free(kept);
    size_t mark = recorder_count(&rec);
    ably_realtime_network_changed(rt, true);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    assert_true(recorder_find(&rec, ABLY_CONN_EVENT_CONNECTED, mark) >= 0);
    char *after = nonempty(ably_connection_id(rt));
    assert_string_equal(after, id); /* RTN15c6: resumed */
    assert_false(has_error_reason(rt, NULL));
    int connected = recorder_find(&rec, ABLY_CONN_EVENT_CONNECTED, mark);
    assert_int_equal(recorder_code(&rec, connected), 0);
    free(id);
    free(after);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&rec.mu);
}

static void resume_keeps_the_connection_id_json(void **state) { resume_keeps_the_connection_id(state, false); }
static void resume_keeps_the_connection_id_msgpack(void **state) { resume_keeps_the_connection_id(state, true); }

/* ---- recover (RTN16) ---- */

static void recover_with_a_recovery_key(void **state)
{
    sandbox_env *env = *state;
    ably_realtime *a = connect_client(key_client(env, false, NULL));
    char *id = nonempty(ably_connection_id(a));
    char *rk = ably_connection_create_recovery_key(a); /* RTN16g */
    assert_non_null(rk);
    ably_realtime_destroy(a); /* gone without CLOSE, as a crashed process */

    client_spec s = {.key = sandbox_env_key(env, 0)->key_str, .recover = rk, .binary = true};
    ably_realtime *b = connect_client(make_client(env, &s, NULL));
    char *recovered = nonempty(ably_connection_id(b));
    assert_string_equal(recovered, id); /* RTN16d */
    assert_false(has_error_reason(b, NULL));
    char *key = nonempty(ably_connection_key(b)); /* RTN16d: the key of the new CONNECTED */
    free(key);
    free(recovered);
    free(id);
    free(rk);
    ably_connection_close(b);
    assert_true(wait_state(b, ABLY_CONN_CLOSED));
    ably_realtime_destroy(b);
}

static void recover_with_an_unknown_key_is_a_new_connection(void **state)
{
    sandbox_env *env = *state;
    const char *rk = "{\"connectionKey\":\"nosuchconnection!secret\",\"msgSerial\":7,\"channelSerials\":{}}";
    client_spec s = {.key = sandbox_env_key(env, 0)->key_str, .recover = rk};
    recorder rec;
    recorder_init(&rec);
    ably_realtime *rt = connect_client(make_client(env, &s, &rec));
    int64_t code = 0;
    assert_true(has_error_reason(rt, &code)); /* RTN16l, RTN15c7 */
    assert_true(code == 80008 || code == 80018);
    int connected = recorder_find(&rec, ABLY_CONN_EVENT_CONNECTED, 0);
    assert_true(connected >= 0);
    assert_int_equal(recorder_code(&rec, connected), code);
    char *id = nonempty(ably_connection_id(rt));
    free(id);
    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&rec.mu);
}

/* ---- RTN17e: REST follows a realtime connection on a fallback host ---- */

/* An HTTP transport in front of the default one: answers the connectivity check
 * (RTN17j) itself, since the test machine may have no internet, and records the host
 * of every other request. */
typedef struct {
    pthread_mutex_t mu;
    char hosts[32][64];
    size_t count;
} http_spy;

static int spy_perform(void *ctx, const ably_http_request *req, ably_http_response *res)
{
    http_spy *spy = ctx;
    if (strstr(req->url, "internet-up")) {
        res->status = 200;
        return ably_buf_append_str(&res->body, "yes") == 0 ? 0 : -1;
    }
    pthread_mutex_lock(&spy->mu);
    if (spy->count < 32)
        snprintf(spy->hosts[spy->count++], sizeof spy->hosts[0], "%s", req->host);
    pthread_mutex_unlock(&spy->mu);
    const ably_http_transport *real = ably_http_transport_default();
    return real->perform(real->ctx, req, res);
}

/* Runs REST time() and returns the host its first request went to (copied to out). */
static void rest_time_first_host(ably_realtime *rt, http_spy *spy, char *out, size_t cap)
{
    pthread_mutex_lock(&spy->mu);
    size_t from = spy->count;
    pthread_mutex_unlock(&spy->mu);
    int64_t t = 0;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_rest_time(ably_realtime_rest(rt), &t, &err), 0);
    ably_error_clear(&err);
    assert_true(t > 0);
    pthread_mutex_lock(&spy->mu);
    assert_true(spy->count > from);
    snprintf(out, cap, "%s", spy->hosts[from]);
    pthread_mutex_unlock(&spy->mu);
}

static void rest_follows_the_fallback_connection(void **state)
{
    sandbox_env *env = *state;
    if (!env->pid || strcmp(env->host, "127.0.0.1") != 0) {
        skip(); /* needs the local sandbox, listening on 127.0.0.1 only */
        return;
    }
    http_spy spy = {.count = 0};
    pthread_mutex_init(&spy.mu, NULL);
    ably_http_transport spy_transport = {spy_perform, &spy};
    static const char *const fallbacks[] = {"127.0.0.1"};
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(env, 0)->key_str;
    o.endpoint = "127.0.0.2"; /* loopback, but nothing listens there: refused at once */
    o.fallback_hosts = fallbacks;
    o.fallback_hosts_count = 1;
    o.tls = false;
    o.port = env->port;
    o.auto_connect = false;
    o.http_transport = &spy_transport;
    o.realtime_request_timeout_ms = 5000;
    o.http_request_timeout_ms = 5000;
    o.log_level = ABLY_LOG_NONE;
    ably_realtime *rt = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_realtime_create(&o, NULL, &rt, &err), 0);
    connect_client(rt); /* primary refused, connectivity check, then the fallback */

    char host[64];
    rest_time_first_host(rt, &spy, host, sizeof host);
    assert_string_equal(host, "127.0.0.1"); /* RTN17e: the connection's host first */

    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    rest_time_first_host(rt, &spy, host, sizeof host);
    assert_string_equal(host, "127.0.0.2"); /* no connection: the primary first again */

    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&spy.mu);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(connect_with_key_json, "RTN4b RTN21 RTN8a RTN8b RTN9a RTN9b RTN2a RTN25"),
        ABLY_TEST(connect_with_key_msgpack, "RTN4b RTN21 RTN8a RTN8b RTN9a RTN9b RTN2a TO3f"),
        ABLY_TEST(connect_with_token, "RTN2e RSA4 TO3j2"),
        ABLY_TEST(connect_with_token_from_key, "RSA4 TO3j4"),
        ABLY_TEST(wrong_secret_fails_the_connection, "RTN14a RTN25 RTN8d"),
        ABLY_TEST(unknown_app_fails_the_connection, "RTN14g RTN14a"),
        ABLY_TEST(ping_round_trip, "RTN13 RTN13a RTN13e"),
        ABLY_TEST(close_then_reconnect, "RTN12 RTN12a RTN4c RTN8d RTN9d RTN11 RTN11d RTN16g2"),
        ABLY_TEST(resume_keeps_the_connection_id_json, "RTN15a RTN15b RTN15c6 RTN20a RTN20b RTN8d"),
        ABLY_TEST(resume_keeps_the_connection_id_msgpack, "RTN15a RTN15b RTN15c6 RTN20a RTN20b"),
        ABLY_TEST(recover_with_a_recovery_key, "RTN16d RTN16g RTN16i RTN16k"),
        ABLY_TEST(recover_with_an_unknown_key_is_a_new_connection, "RTN16l RTN15c7 RTN16f"),
        ABLY_TEST(rest_follows_the_fallback_connection, "RTN17e RTN17f RTN17j"),
    };
    const char *only = getenv("ABLY_TEST_FILTER"); /* e.g. "resume*": one test while debugging */
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, setup, teardown);
}
