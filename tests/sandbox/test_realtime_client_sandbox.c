/* The RealtimeClient object against the sandbox (uts/realtime/integration/
 * connection_lifecycle_test.md seen through the client's own connect/close, plus the
 * client options and REST proxies of uts/realtime/unit/client/ end to end): autoConnect,
 * the shape of the connection id and key, connect() and close(), echoMessages, and
 * time / stats / request / push through the realtime client. THREAD mode, real lws
 * transport; every wait is bounded. */
#include "test_rest_support.h"
#include "rt_sandbox.h"

#include <ctype.h>
#include <pthread.h>

#include "ably/push_admin.h"

#define RT_WAIT_MS 10000

static bool wait_state(ably_realtime *rt, ably_connection_state want)
{
    return rt_sandbox_wait_state(rt, want, RT_WAIT_MS);
}

/* Connection events seen, in order (filled on the service thread). */
typedef struct {
    pthread_mutex_t mu;
    ably_connection_event events[32];
    size_t count;
} events_rec;

static void on_change(void *ctx, const ably_connection_state_change *ch)
{
    events_rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->count < 32)
        r->events[r->count++] = ch->event;
    pthread_mutex_unlock(&r->mu);
}

static bool saw_in_order(events_rec *r, const ably_connection_event *seq, size_t n)
{
    size_t at = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->count && at < n; i++)
        if (r->events[i] == seq[at])
            at++;
    pthread_mutex_unlock(&r->mu);
    return at == n;
}

static ably_realtime *make_client(const sandbox_env *env, bool binary, bool auto_connect, bool echo)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    o.auto_connect = auto_connect;
    o.echo_messages = echo;
    return rt_sandbox_create(&o);
}

static bool has_error_reason(ably_realtime *rt)
{
    ably_error e = {0};
    int has = ably_connection_error_reason(rt, &e);
    ably_error_clear(&e);
    return has == 1;
}

/* Every character of s is alphanumeric or in `extra`; s is not empty. */
static bool only_chars(const char *s, const char *extra)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
            return false;
    return true;
}

/* realtime/integration/RTN4b/successful-connection-0 with autoConnect (RTC1b), then
 * RTN4c/graceful-close-0 through RealtimeClient#close (RTC16a). */
static void auto_connect_then_client_close(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        events_rec rec = {.count = 0};
        pthread_mutex_init(&rec.mu, NULL);
        ably_realtime *rt = make_client(env, binary, true, true);
        ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_change, &rec);
        assert_true(wait_state(rt, ABLY_CONN_CONNECTED)); /* no connect() call */
        char *id = ably_connection_id(rt), *key = ably_connection_key(rt);
        assert_true(only_chars(id, "_-"));
        assert_true(only_chars(key, "_!-"));
        assert_false(has_error_reason(rt));
        free(id);
        free(key);

        ably_realtime_close(rt);
        assert_true(wait_state(rt, ABLY_CONN_CLOSED));
        static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTED, ABLY_CONN_EVENT_CLOSING,
                                                    ABLY_CONN_EVENT_CLOSED};
        assert_true(saw_in_order(&rec, seq, 3));
        assert_false(has_error_reason(rt));
        assert_null(ably_connection_id(rt));
        assert_null(ably_connection_key(rt));
        ably_realtime_destroy(rt);
        pthread_mutex_destroy(&rec.mu);
    }
}

/* realtime/integration/RTN11/connect-reconnect-cycle-0 through RealtimeClient#connect
 * (RTC15a) with autoConnect off (RTC1b). */
static void client_connect_cycle(void **state)
{
    sandbox_env *env = *state;
    ably_realtime *rt = make_client(env, true, false, true);
    usleep(100000);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_INITIALIZED); /* waits for connect() */
    ably_realtime_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *first = ably_connection_id(rt);
    assert_non_null(first);
    ably_realtime_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *second = ably_connection_id(rt);
    assert_non_null(second);
    assert_string_not_equal(first, second);
    assert_false(has_error_reason(rt));
    free(first);
    free(second);
    ably_realtime_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
}

/* ---- echoMessages (RTC1a) ---- */

typedef struct {
    pthread_mutex_t mu;
    int messages;
    int attached;
} msg_rec;

static void on_message(void *ctx, const ably_message *m)
{
    (void)m;
    msg_rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->messages++;
    pthread_mutex_unlock(&r->mu);
}

static void on_attached(void *ctx, const ably_error *err)
{
    msg_rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->attached += err ? 0 : 1;
    pthread_mutex_unlock(&r->mu);
}

static int read_field(msg_rec *r, const int *f) { return rt_sandbox_read_int(&r->mu, f); }

static bool wait_field(msg_rec *r, const int *f, int want) { return rt_sandbox_wait_int(&r->mu, f, want, RT_WAIT_MS); }

/* echoMessages false: the server does not send a client its own messages back; another
 * connection still gets them, and an echoing client gets its own. */
static void echo_messages_false_is_honoured(void **state)
{
    sandbox_env *env = *state;
    char name[96];
    rest_channel_name(name, sizeof name, "rt-echo", false);
    ably_realtime *quiet = make_client(env, false, true, false), *other = make_client(env, false, true, true);
    ably_realtime_channel *ch_q = rt_sandbox_channel(quiet, name), *ch_o = rt_sandbox_channel(other, name);
    msg_rec q = {.messages = 0}, o = {.messages = 0};
    pthread_mutex_init(&q.mu, NULL);
    pthread_mutex_init(&o.mu, NULL);
    ably_realtime_channel_subscribe(ch_q, NULL, on_message, &q, on_attached, &q);
    ably_realtime_channel_subscribe(ch_o, NULL, on_message, &o, on_attached, &o);
    assert_true(wait_field(&q, &q.attached, 1));
    assert_true(wait_field(&o, &o.attached, 1));

    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "from-quiet", 10);
    ably_realtime_channel_publish(ch_q, "e", &d, NULL, NULL);
    assert_true(wait_field(&o, &o.messages, 1));
    /* the echoing client's own message comes back to it, after the quiet one's */
    d = ably_data_borrow(ABLY_DATA_STRING, "from-other", 10);
    ably_realtime_channel_publish(ch_o, "e", &d, NULL, NULL);
    assert_true(wait_field(&o, &o.messages, 2));
    assert_true(wait_field(&q, &q.messages, 1)); /* the other's message reaches quiet */
    usleep(200000);
    assert_int_equal(read_field(&q, &q.messages), 1); /* but never its own */
    ably_realtime_destroy(quiet);
    ably_realtime_destroy(other);
    pthread_mutex_destroy(&q.mu);
    pthread_mutex_destroy(&o.mu);
}

/* ---- the REST half through the realtime client (RTC5, RTC6, RTC9, RTC13) ---- */

static void rest_calls_through_the_realtime_client(void **state)
{
    sandbox_env *env = *state;
    ably_realtime *rt = make_client(env, true, true, true);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED)); /* the calls work while connected */
    ably_error err = {0};

    int64_t t = 0; /* RTC6a */
    REST_OK(ably_realtime_time(rt, &t, &err), &err);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t local = (int64_t)now.tv_sec * 1000;
    assert_true(t > local - 300000 && t < local + 300000);

    ably_paginated_result *page = NULL; /* RTC5a, RTC5b */
    ably_stats_params sp = {.unit = "hour", .direction = "forwards", .limit = 5};
    REST_OK(ably_realtime_stats(rt, &sp, &page, &err), &err);
    assert_non_null(page);
    ably_paginated_result_free(page);
    page = NULL;

    /* RTC9: publish with request(), read it back with request() */
    char name[96], path[160];
    rest_channel_name(name, sizeof name, "rt-request", true);
    snprintf(path, sizeof path, "/channels/%s/messages", name);
    REST_OK(ably_realtime_request(rt, "POST", path, 0, NULL, "{\"name\":\"via-request\",\"data\":\"x\"}", NULL,
                                  &page, &err),
            &err);
    assert_true(ably_paginated_result_success(page));
    ably_paginated_result_free(page);
    page = NULL;
    size_t n = 0;
    for (int64_t end = rt_sandbox_now_ms() + RT_WAIT_MS; n == 0 && rt_sandbox_now_ms() < end;) {
        ably_paginated_result_free(page);
        page = NULL;
        REST_OK(ably_realtime_request(rt, "GET", path, 0, NULL, NULL, NULL, &page, &err), &err);
        assert_int_equal(ably_paginated_result_status_code(page), 200);
        const char *const *items = ably_paginated_result_json_items(page, &n);
        if (n)
            assert_non_null(strstr(items[0], "via-request"));
        else
            usleep(100000);
    }
    assert_int_equal(n, 1);
    ably_paginated_result_free(page);
    page = NULL;
    REST_OK(ably_realtime_request(rt, "GET", "/channels/none/messages/nowhere-serial", 0, NULL, NULL, NULL, &page,
                                  &err),
            &err);
    assert_false(ably_paginated_result_success(page)); /* an HTTP error is a result */
    ably_paginated_result_free(page);

    /* RTC13: push admin on the client's REST half */
    ably_paginated_result *devices = NULL;
    REST_OK(ably_push_device_registrations_list(ably_realtime_rest(rt), NULL, &devices, &err), &err);
    assert_non_null(devices);
    ably_paginated_result_free(devices);

    ably_realtime_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(auto_connect_then_client_close, "RTC1b RTC16 RTC16a RTN4b RTN4c RTN12a"),
        ABLY_TEST(client_connect_cycle, "RTC1b RTC15 RTC15a RTN11"),
        ABLY_TEST(echo_messages_false_is_honoured, "RTC1a RTN2b"),
        ABLY_TEST(rest_calls_through_the_realtime_client, "RTC5 RTC5a RTC5b RTC6 RTC6a RTC9 RTC13"),
    };
    return cmocka_run_group_tests(tests, rest_group_setup, rest_group_teardown);
}
