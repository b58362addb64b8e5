/* The threaded mode with the real libwebsockets transport: a client on its own service
 * thread connects to a closed loopback port, reports DISCONNECTED (on the service
 * thread, with no lock held: the listener calls back into the client), and is
 * destroyed cleanly, also while an attempt is in flight. No network beyond loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ably_test.h"
#include "ably/ably.h"

/* A loopback port nothing listens on: bind an ephemeral port, then release it. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ably_realtime *rt;
    int disconnected;
    int connecting;
    bool off_thread_ok;
    pthread_t test_thread;
    int64_t retry_in;
} waiter;

static void on_change(void *ctx, const ably_connection_state_change *c)
{
    waiter *w = ctx;
    /* Runs on the service thread, without internal locks: calling back in is safe. */
    ably_connection_state now = ably_connection_get_state(w->rt);
    char *id = ably_connection_id(w->rt);
    free(id);
    pthread_mutex_lock(&w->mu);
    if (!pthread_equal(pthread_self(), w->test_thread) && now == c->current)
        w->off_thread_ok = true;
    if (c->current == ABLY_CONN_DISCONNECTED) {
        w->disconnected++;
        w->retry_in = c->retry_in_ms;
    }
    if (c->current == ABLY_CONN_CONNECTING)
        w->connecting++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static bool wait_for(waiter *w, int *counter, int target, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&w->mu);
    while (*counter < target)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0)
            break;
    bool ok = *counter >= target;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

static void make_options(ably_client_options *o, int port)
{
    ably_client_options_init(o);
    o->token = "not-a-real-token";
    o->tls = false;
    o->realtime_host = "127.0.0.1";
    o->rest_host = "127.0.0.1";
    o->port = port;
    o->disconnected_retry_timeout_ms = 200;
    o->log_level = ABLY_LOG_NONE;
}

static void refused_loopback_reports_disconnected_and_retries(void **state)
{
    (void)state;
    ably_client_options o;
    make_options(&o, closed_port());
    waiter w = {.test_thread = pthread_self()};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    ably_realtime *rt = NULL;
    ably_error err = {0};
    o.auto_connect = false;
    assert_int_equal(ably_realtime_create(&o, NULL, &rt, &err), 0);
    w.rt = rt;
    ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_change, &w);
    ably_connection_connect(rt); /* from the test thread, onto the loop */
    assert_true(wait_for(&w, &w.disconnected, 1, 10));
    assert_true(w.retry_in > 0 && w.retry_in <= 200);
    assert_true(wait_for(&w, &w.disconnected, 2, 10)); /* the retry timer ran on the thread */
    assert_true(w.off_thread_ok);
    assert_true(w.connecting >= 2);
    ably_error reason = {0};
    assert_int_equal(ably_connection_error_reason(rt, &reason), 1);
    ably_error_clear(&reason);
    ably_realtime_destroy(rt);
    pthread_mutex_lock(&w.mu);
    int after = w.disconnected + w.connecting;
    pthread_mutex_unlock(&w.mu);
    usleep(300 * 1000); /* no callback after destroy returned */
    assert_int_equal(w.disconnected + w.connecting, after);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

static void destroy_while_connecting_and_app_driven_refuses_threads(void **state)
{
    (void)state;
    ably_client_options o;
    make_options(&o, closed_port());
    o.auto_connect = true;
    ably_realtime *rt = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_create(&o, NULL, &rt, &err), 0);
    assert_int_equal(ably_realtime_service(rt, 0), -1); /* THREAD mode: the thread services */
    ably_realtime_destroy(rt);

    /* APP_DRIVEN with lws: the app's own loop drives the same refusal. */
    ably_realtime_config cfg = {.mode = ABLY_REALTIME_APP_DRIVEN};
    assert_int_equal(ably_realtime_create(&o, &cfg, &rt, &err), 0);
    for (int i = 0; i < 200 && ably_connection_get_state(rt) != ABLY_CONN_DISCONNECTED; i++)
        ably_realtime_service(rt, 50);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_DISCONNECTED);
    int64_t next = ably_realtime_next_timeout_ms(rt);
    assert_true(next >= 0 && next <= 200);
    ably_realtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(refused_loopback_reports_disconnected_and_retries, "RTN1 RTN14d RTN14 RTC1b"),
        ABLY_TEST(destroy_while_connecting_and_app_driven_refuses_threads, "RTN1 RTN3 RTN14d"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
