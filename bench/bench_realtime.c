/* Network benchmarks of libably against one ably-sandbox (see bench/README.md).
 * Not a test: prints numbers, asserts nothing about time.
 *
 *   bench_realtime ack  N json|msgpack   publish -> ACK on one connection:
 *                                        sequential latency, then a burst of N
 *   bench_realtime e2e  N json|msgpack   publish on connection A -> receive on B
 *   bench_realtime idle N                RSS of N idle connected clients
 *   bench_realtime rest N json|msgpack   sequential REST publishes (keep-alive)
 *   bench_realtime fanout N json|msgpack S  one publisher, S subscribers: how fast the
 *                                        server fans N messages out (S x N deliveries)
 *
 * Where to connect comes from ABLY_KEY, ABLY_ENDPOINT, ABLY_PORT (plain ws/http).
 * Output: one line "key=value ..." per measurement, easy to grep and tabulate.
 * Allocations are counted for calls made from libably's objects (a static library
 * linked with --wrap), across threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "ably/realtime.h"
#include "ably/realtime_channel.h"
#include "ably/rest_channel.h"

/* ---- allocation counter ---- */

static atomic_size_t allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n) { atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    return __real_realloc(p, n);
}
void __wrap_free(void *p) { __real_free(p); }
char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- helpers ---- */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v and returns the q-quantile (0..1). */
static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void client_options(ably_client_options *o, bool msgpack)
{
    ably_client_options_init(o);
    o->key = getenv("ABLY_KEY");
    o->endpoint = getenv("ABLY_ENDPOINT");
    o->tls = false;
    o->port = getenv("ABLY_PORT") ? atoi(getenv("ABLY_PORT")) : 0;
    o->use_binary_protocol = msgpack;
}

static void die(const char *what, ably_error *err)
{
    char text[512];
    ably_error_format(err, text, sizeof text);
    fprintf(stderr, "%s failed: %s\n", what, text);
    exit(1);
}

/* A flag the loop thread raises and main waits for. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
} waiter;

#define WAITER_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static void waiter_signal(waiter *w)
{
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int waiter_wait(waiter *w, int seconds)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += seconds;
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &dl) != 0)
            break;
    int ok = w->done;
    w->done = 0;
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static void on_attached(void *ctx, const ably_error *err)
{
    if (err) {
        fprintf(stderr, "attach failed: %s\n", err->message ? err->message : "?");
        exit(1);
    }
    waiter_signal(ctx);
}

static ably_realtime *connect_client(bool msgpack, bool echo)
{
    ably_client_options o;
    client_options(&o, msgpack);
    o.echo_messages = echo;
    ably_realtime *rt = NULL;
    ably_error err = { 0 };
    if (ably_realtime_create(&o, NULL, &rt, &err) != 0)
        die("realtime_create", &err);
    for (int i = 0; i < 1000 && ably_connection_get_state(rt) != ABLY_CONN_CONNECTED; i++)
        usleep(10000);
    if (ably_connection_get_state(rt) != ABLY_CONN_CONNECTED) {
        fprintf(stderr, "not connected after 10 s\n");
        exit(1);
    }
    return rt;
}

static ably_realtime_channel *attached_channel(ably_realtime *rt, const char *name)
{
    ably_realtime_channel *ch = NULL;
    ably_error err = { 0 };
    if (ably_realtime_channels_get(rt, name, NULL, &ch, &err) != 0)
        die("channels_get", &err);
    waiter w = WAITER_INIT;
    ably_realtime_channel_attach(ch, on_attached, &w);
    if (!waiter_wait(&w, 10)) {
        fprintf(stderr, "attach timed out\n");
        exit(1);
    }
    return ch;
}

/* The payload: a 100-byte string, like a small chat or telemetry message. */
static const char PAYLOAD[] = "0123456789012345678901234567890123456789012345678901234567890123456789"
                              "012345678901234567890123456789";

/* ---- ack: publish -> ACK on one connection ---- */

typedef struct {
    ably_realtime_channel *ch;
    size_t n, acked, failed;
    double *lat_us;
    double sent_at;
    bool sequential;
    waiter w;
} ack_run;

static void publish_one(ack_run *r);

static void on_ack(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    ack_run *r = ctx;
    if (err)
        r->failed++;
    if (r->sequential)
        r->lat_us[r->acked] = now_us() - r->sent_at;
    if (++r->acked == r->n)
        waiter_signal(&r->w);
    else if (r->sequential)
        publish_one(r); /* queued; sent once this callback returns */
}

static void publish_one(ack_run *r)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, PAYLOAD, sizeof PAYLOAD - 1);
    r->sent_at = now_us();
    ably_realtime_channel_publish(r->ch, "bench", &d, on_ack, r);
}

static void report_run(const char *what, const char *proto, size_t n, double wall_us, double cpu, size_t nallocs)
{
    printf("impl=c test=%s proto=%s n=%zu msgs_per_s=%.0f cpu_us_per_msg=%.1f allocs_per_msg=%.1f\n", what, proto,
           n, n / (wall_us / 1e6), cpu / n, (double)nallocs / n);
}

static int bench_ack(size_t n, bool msgpack)
{
    const char *proto = msgpack ? "msgpack" : "json";
    ably_realtime *rt = connect_client(msgpack, false);
    ack_run r = { .n = n, .w = WAITER_INIT };
    r.ch = attached_channel(rt, "bench-ack");
    r.lat_us = calloc(n, sizeof *r.lat_us);

    /* Sequential: the next publish goes out from the previous ACK's callback. */
    r.sequential = true;
    double t0 = now_us(), c0 = cpu_us();
    size_t a0 = atomic_load(&allocs);
    publish_one(&r);
    if (!waiter_wait(&r.w, 120))
        fprintf(stderr, "ack sequential: only %zu of %zu\n", r.acked, n);
    double wall = now_us() - t0, cpu = cpu_us() - c0;
    size_t na = atomic_load(&allocs) - a0;
    report_run("ack_seq", proto, n, wall, cpu, na);
    printf("impl=c test=ack_seq proto=%s p50_us=%.0f p99_us=%.0f failed=%zu\n", proto,
           quantile(r.lat_us, r.acked, 0.5), quantile(r.lat_us, r.acked, 0.99), r.failed);

    /* Burst: all N published at once, time until the last ACK. */
    r.sequential = false;
    r.acked = r.failed = 0;
    t0 = now_us(), c0 = cpu_us();
    a0 = atomic_load(&allocs);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, PAYLOAD, sizeof PAYLOAD - 1);
    for (size_t i = 0; i < n; i++)
        ably_realtime_channel_publish(r.ch, "bench", &d, on_ack, &r);
    if (!waiter_wait(&r.w, 120))
        fprintf(stderr, "ack burst: only %zu of %zu\n", r.acked, n);
    wall = now_us() - t0, cpu = cpu_us() - c0;
    na = atomic_load(&allocs) - a0;
    report_run("ack_burst", proto, n, wall, cpu, na);
    ably_realtime_destroy(rt);
    free(r.lat_us);
    return 0;
}

/* ---- e2e: publish on A -> receive on B ---- */

typedef struct {
    ably_realtime_channel *pub;
    size_t n, received;
    double *sent_at, *lat_us;
    bool sequential;
    waiter w;
} e2e_run;

static void e2e_publish(e2e_run *r, size_t i)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%zu", i);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, text, (size_t)len);
    r->sent_at[i] = now_us();
    ably_realtime_channel_publish(r->pub, "bench", &d, NULL, NULL);
}

/* Runs on B's loop thread; publishing on A from here posts to A's queue. */
static void on_e2e_message(void *ctx, const ably_message *m)
{
    double t = now_us();
    e2e_run *r = ctx;
    char text[32];
    size_t len = m->data.len < sizeof text - 1 ? m->data.len : sizeof text - 1;
    memcpy(text, m->data.bytes, len);
    text[len] = '\0';
    size_t i = strtoul(text, NULL, 10);
    if (i < r->n)
        r->lat_us[r->received] = t - r->sent_at[i];
    if (++r->received == r->n)
        waiter_signal(&r->w);
    else if (r->sequential)
        e2e_publish(r, r->received);
}

static int bench_e2e(size_t n, bool msgpack)
{
    const char *proto = msgpack ? "msgpack" : "json";
    ably_realtime *a = connect_client(msgpack, false);
    ably_realtime *b = connect_client(msgpack, true);
    e2e_run r = { .n = n, .w = WAITER_INIT };
    r.sent_at = calloc(n, sizeof *r.sent_at);
    r.lat_us = calloc(n, sizeof *r.lat_us);
    r.pub = attached_channel(a, "bench-e2e");
    ably_realtime_channel *sub = attached_channel(b, "bench-e2e");
    ably_realtime_channel_subscribe(sub, NULL, on_e2e_message, &r, NULL, NULL);

    const char *modes[] = { "e2e_seq", "e2e_burst" };
    for (int m = 0; m < 2; m++) {
        r.sequential = m == 0;
        r.received = 0;
        double t0 = now_us(), c0 = cpu_us();
        size_t a0 = atomic_load(&allocs);
        if (r.sequential)
            e2e_publish(&r, 0);
        else
            for (size_t i = 0; i < n; i++)
                e2e_publish(&r, i);
        if (!waiter_wait(&r.w, 120))
            fprintf(stderr, "%s: only %zu of %zu\n", modes[m], r.received, n);
        double wall = now_us() - t0, cpu = cpu_us() - c0;
        size_t na = atomic_load(&allocs) - a0;
        size_t got = r.received;
        report_run(modes[m], proto, n, wall, cpu, na);
        printf("impl=c test=%s proto=%s p50_us=%.0f p99_us=%.0f\n", modes[m], proto,
               quantile(r.lat_us, got, 0.5), quantile(r.lat_us, got, 0.99));
    }
    ably_realtime_destroy(a);
    ably_realtime_destroy(b);
    free(r.sent_at);
    free(r.lat_us);
    return 0;
}

/* ---- idle: memory per connected client ---- */

static int bench_idle(size_t n, bool app_driven)
{
    ably_realtime **rts = calloc(n, sizeof *rts);
    long before = rss_kb();
    ably_realtime_config cfg = { 0 };
    cfg.mode = app_driven ? ABLY_REALTIME_APP_DRIVEN : ABLY_REALTIME_THREAD;
    double t0 = now_us();
    for (size_t i = 0; i < n; i++) {
        ably_client_options o;
        client_options(&o, true);
        ably_error err = { 0 };
        if (ably_realtime_create(&o, &cfg, &rts[i], &err) != 0)
            die("realtime_create", &err);
    }
    size_t connected = 0;
    for (int tries = 0; tries < 3000 && connected < n; tries++) {
        connected = 0;
        for (size_t i = 0; i < n; i++) {
            if (app_driven)
                ably_realtime_service(rts[i], 0);
            connected += ably_connection_get_state(rts[i]) == ABLY_CONN_CONNECTED;
        }
        if (!app_driven)
            usleep(10000);
    }
    double connect_ms = (now_us() - t0) / 1e3;
    for (int i = 0; i < 100; i++) { /* settle: let buffers from the handshake go */
        for (size_t k = 0; app_driven && k < n; k++)
            ably_realtime_service(rts[k], 0);
        usleep(10000);
    }
    long after = rss_kb();
    printf("impl=c test=idle mode=%s n=%zu connected=%zu rss_delta_kb=%ld kb_per_conn=%.1f connect_all_ms=%.0f\n",
           app_driven ? "app_driven" : "thread", n, connected, after - before, (double)(after - before) / n,
           connect_ms);
    for (size_t i = 0; i < n; i++)
        ably_realtime_destroy(rts[i]);
    free(rts);
    return 0;
}

/* ---- rest: sequential REST publishes on one keep-alive connection ---- */

static int bench_rest(size_t n, bool msgpack)
{
    ably_client_options o;
    client_options(&o, msgpack);
    ably_rest *rest = NULL;
    ably_rest_channel *ch = NULL;
    ably_error err = { 0 };
    if (ably_rest_create(&o, &rest, &err) != 0)
        die("rest_create", &err);
    if (ably_rest_channels_get(rest, "bench-rest", NULL, &ch, &err) != 0)
        die("channels_get", &err);
    double *lat = calloc(n, sizeof *lat);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, PAYLOAD, sizeof PAYLOAD - 1);
    if (ably_rest_channel_publish(ch, "warmup", &d, NULL, &err) != 0) /* opens the connection */
        die("publish", &err);
    double t0 = now_us(), c0 = cpu_us();
    size_t a0 = atomic_load(&allocs);
    for (size_t i = 0; i < n; i++) {
        double s = now_us();
        if (ably_rest_channel_publish(ch, "bench", &d, NULL, &err) != 0)
            die("publish", &err);
        lat[i] = now_us() - s;
    }
    double wall = now_us() - t0, cpu = cpu_us() - c0;
    size_t na = atomic_load(&allocs) - a0;
    const char *proto = msgpack ? "msgpack" : "json";
    report_run("rest", proto, n, wall, cpu, na);
    printf("impl=c test=rest proto=%s p50_us=%.0f p99_us=%.0f\n", proto, quantile(lat, n, 0.5),
           quantile(lat, n, 0.99));
    free(lat);
    ably_rest_destroy(rest);
    return 0;
}

/* ---- fanout: one publisher, S subscribers on one channel ---- */

typedef struct {
    atomic_size_t delivered;
    size_t expected;
    waiter w;
} fanout_run;

static void on_fanout_message(void *ctx, const ably_message *m)
{
    (void)m;
    fanout_run *r = ctx;
    if (atomic_fetch_add(&r->delivered, 1) + 1 == r->expected)
        waiter_signal(&r->w);
}

/* Measures the server more than the client: every subscriber is a client with its
 * own loop thread, the publisher sends a burst, and the clock stops at the last
 * delivery anywhere. Throughput is deliveries (S x N) per second. */
static int bench_fanout(size_t n, bool msgpack, size_t subscribers)
{
    const char *proto = msgpack ? "msgpack" : "json";
    ably_realtime **subs = calloc(subscribers, sizeof *subs);
    fanout_run r = { .expected = n * subscribers, .w = WAITER_INIT };
    for (size_t i = 0; i < subscribers; i++) {
        subs[i] = connect_client(msgpack, true);
        ably_realtime_channel *ch = attached_channel(subs[i], "bench-fanout");
        ably_realtime_channel_subscribe(ch, NULL, on_fanout_message, &r, NULL, NULL);
    }
    ably_realtime *pub = connect_client(msgpack, false);
    ably_realtime_channel *ch = attached_channel(pub, "bench-fanout");
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, PAYLOAD, sizeof PAYLOAD - 1);
    double t0 = now_us();
    for (size_t i = 0; i < n; i++)
        ably_realtime_channel_publish(ch, "bench", &d, NULL, NULL);
    if (!waiter_wait(&r.w, 300))
        fprintf(stderr, "fanout: only %zu of %zu\n", atomic_load(&r.delivered), r.expected);
    double wall = now_us() - t0;
    size_t got = atomic_load(&r.delivered);
    printf("impl=c test=fanout proto=%s n=%zu subscribers=%zu delivered=%zu deliveries_per_s=%.0f "
           "publishes_per_s=%.0f\n",
           proto, n, subscribers, got, got / (wall / 1e6), n / (wall / 1e6));
    ably_realtime_destroy(pub);
    for (size_t i = 0; i < subscribers; i++)
        ably_realtime_destroy(subs[i]);
    free(subs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || !getenv("ABLY_KEY")) {
        fprintf(stderr, "usage: ABLY_KEY=.. ABLY_ENDPOINT=127.0.0.1 ABLY_PORT=.. %s ack|e2e|rest N json|msgpack\n"
                        "       %s idle N [thread|app_driven]\n"
                        "       %s fanout N json|msgpack SUBSCRIBERS\n", argv[0], argv[0], argv[0]);
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10);
    const char *arg3 = argc > 3 ? argv[3] : "";
    bool msgpack = strcmp(arg3, "msgpack") == 0;
    if (n == 0)
        return 2;
    if (strcmp(argv[1], "ack") == 0)
        return bench_ack(n, msgpack);
    if (strcmp(argv[1], "e2e") == 0)
        return bench_e2e(n, msgpack);
    if (strcmp(argv[1], "idle") == 0)
        return bench_idle(n, strcmp(arg3, "app_driven") == 0);
    if (strcmp(argv[1], "rest") == 0)
        return bench_rest(n, msgpack);
    if (strcmp(argv[1], "fanout") == 0)
        return bench_fanout(n, msgpack, argc > 4 ? strtoul(argv[4], NULL, 10) : 10);
    return 2;
}
