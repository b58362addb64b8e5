/* The realtime commands of the `ably` tool: subscribe, presence enter and
 * presence subscribe. They stream until SIGINT / SIGTERM (or --count messages, or
 * --duration seconds), printing connection and channel state changes as they go.
 *
 * Threading: the client runs its own service thread (ABLY_REALTIME_THREAD); every
 * callback below runs there and only prints and updates the atomics in `session`.
 * The main thread polls those to decide when to stop, then closes the connection
 * and destroys the client (after which no callback runs). */
#include "cli.h"

#include "ably/realtime_channel.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Realtime presence is being written alongside this tool: referenced weakly, so
 * that the tool links (and says "not available") in a library without it. */
#pragma weak ably_realtime_channel_presence
#pragma weak ably_realtime_presence_enter
#pragma weak ably_realtime_presence_subscribe

static bool presence_available(void)
{
    return ably_realtime_channel_presence && ably_realtime_presence_enter && ably_realtime_presence_subscribe;
}

#define POLL_US 20000
#define CLOSE_TIMEOUT_MS 3000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    const cli_args *args;
    const char *channel;
    atomic_int messages;       /* messages / presence events delivered */
    atomic_int failed;         /* an error code that ends the command, 0: none */
    atomic_int conn_state;     /* ably_connection_state */
    char fail_text[512];       /* written once, before `failed` is set */
} session;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records the first fatal error (the main thread reports it). */
static void session_fail(session *s, const ably_error *err, const char *what)
{
    int expected = 0;
    int code = err && err->has_code ? (int)err->code : 50000;
    if (atomic_load(&s->failed) != 0)
        return;
    snprintf(s->fail_text, sizeof s->fail_text, "%s: %s", what, err && err->message ? err->message : "failed");
    atomic_compare_exchange_strong(&s->failed, &expected, code);
}

static void print_state(const session *s, const char *kind, const char *name, const char *state,
                        const ably_error *reason)
{
    if (s->args->json) {
        char *n = name ? cli_json_string(name) : NULL;
        printf("{\"%s\":%s,\"state\":\"%s\"", kind, n ? n : "null", state);
        if (reason && reason->has_code)
            printf(",\"reason\":{\"code\":%lld}", (long long)reason->code);
        printf("}\n");
        free(n);
    } else {
        printf("%s%s%s: %s", kind, name ? " " : "", name ? name : "", state);
        if (reason && reason->has_code)
            printf(" (error %lld: %s)", (long long)reason->code, reason->message ? reason->message : "");
        printf("\n");
    }
    fflush(stdout);
}

static void on_connection(void *ctx, const ably_connection_state_change *c)
{
    session *s = ctx;
    atomic_store(&s->conn_state, (int)c->current);
    print_state(s, "connection", NULL, ably_connection_event_name(c->event), c->reason);
    if (c->current == ABLY_CONN_FAILED)
        session_fail(s, c->reason, "connection failed");
}

static void on_channel(void *ctx, const ably_channel_state_change *c)
{
    session *s = ctx;
    print_state(s, "channel", s->channel, ably_channel_event_name(c->event), c->reason);
    if (c->current == ABLY_CHANNEL_FAILED)
        session_fail(s, c->reason, "channel failed");
}

static void on_message(void *ctx, const ably_message *m)
{
    session *s = ctx;
    cli_print_message(s->args, s->channel, m);
    atomic_fetch_add(&s->messages, 1);
}

static void on_presence(void *ctx, const ably_presence_message *m)
{
    session *s = ctx;
    cli_print_presence(s->args, s->channel, m);
    atomic_fetch_add(&s->messages, 1);
}

static void on_attach_result(void *ctx, const ably_error *err)
{
    if (err)
        session_fail(ctx, err, "attach failed");
}

static void on_entered(void *ctx, const ably_error *err)
{
    session *s = ctx;
    if (err) {
        session_fail(s, err, "presence enter failed");
        return;
    }
    if (s->args->json) {
        char *n = cli_json_string(s->channel);
        printf("{\"entered\":%s}\n", n);
        free(n);
    } else {
        printf("entered presence on %s as %s\n", s->channel, s->args->client_id ? s->args->client_id : "?");
    }
    fflush(stdout);
}

/* Waits until interrupted, a failure, --count events or --duration. */
static void run_until_done(session *s)
{
    const cli_args *a = s->args;
    int64_t deadline = a->duration_s > 0 ? now_ms() + (int64_t)(a->duration_s * 1000) : 0;
    while (!interrupted && atomic_load(&s->failed) == 0) {
        if (a->count > 0 && atomic_load(&s->messages) >= a->count)
            break;
        if (deadline && now_ms() >= deadline)
            break;
        usleep(POLL_US);
    }
}

static void close_gracefully(ably_realtime *rt, session *s)
{
    ably_connection_close(rt);
    int64_t deadline = now_ms() + CLOSE_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int st = atomic_load(&s->conn_state);
        if (st == ABLY_CONN_CLOSED || st == ABLY_CONN_FAILED)
            break;
        usleep(POLL_US);
    }
}

static int start_command(session *s, ably_realtime *rt, ably_realtime_channel *ch)
{
    const cli_args *a = s->args;
    if (strcmp(a->pos[0], "subscribe") == 0) {
        ably_realtime_channel_subscribe(ch, NULL, on_message, s, on_attach_result, s);
        return CLI_OK;
    }
    ably_realtime_presence *p = ably_realtime_channel_presence(ch);
    if (strcmp(a->pos[1], "subscribe") == 0) {
        ably_realtime_presence_subscribe(p, -1, on_presence, s, on_attach_result, s);
        return CLI_OK;
    }
    /* presence enter CHANNEL [DATA] */
    if (!a->client_id)
        return cli_fail(a, CLI_EUSAGE, 91000, "presence enter needs a client id: pass --client-id ID");
    (void)rt;
    const char *text = a->npos > 3 ? a->pos[3] : NULL;
    ably_data data = text ? ably_data_borrow(ABLY_DATA_STRING, text, strlen(text)) : ably_data_borrow(ABLY_DATA_NONE, NULL, 0);
    ably_realtime_presence_enter(p, text ? &data : NULL, on_entered, s);
    return CLI_OK;
}

static int run_realtime(const cli_args *a, const ably_client_options *opts, const char *channel)
{
    session *s = calloc(1, sizeof *s);
    if (!s)
        return cli_fail(a, CLI_EFAIL, 40000, "out of memory");
    s->args = a;
    s->channel = channel;
    ably_client_options o = *opts;
    o.auto_connect = false; /* listeners first, so no state change is missed */
    ably_realtime *rt = NULL;
    ably_realtime_channel *ch = NULL;
    ably_error err = { 0 };
    int rc = CLI_OK;
    if (ably_realtime_create(&o, NULL, &rt, &err) != 0) {
        rc = cli_fail_err(a, &err, true);
        free(s);
        return rc;
    }
    ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_connection, s);
    if (ably_realtime_channels_get(rt, channel, NULL, &ch, &err) != 0)
        rc = cli_fail_err(a, &err, true);
    if (rc == CLI_OK) {
        ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ANY, on_channel, s);
        rc = start_command(s, rt, ch);
    }
    if (rc == CLI_OK) {
        struct sigaction sa = { 0 };
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        ably_connection_connect(rt);
        run_until_done(s);
        if (atomic_load(&s->failed) != 0)
            rc = cli_fail(a, CLI_EFAIL, atomic_load(&s->failed), "%s", s->fail_text);
        close_gracefully(rt, s);
    }
    ably_realtime_destroy(rt); /* joins the service thread: no callback after this */
    free(s);
    return rc;
}

int cli_realtime_dispatch(const cli_args *a, const ably_client_options *opts)
{
    const char *cmd = a->pos[0];
    if (strcmp(cmd, "subscribe") == 0) {
        if (a->npos != 2)
            return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably subscribe CHANNEL [--count N] [--duration S]");
        return run_realtime(a, opts, a->pos[1]);
    }
    bool presence = strcmp(cmd, "presence") == 0 && a->npos > 1 &&
                    (strcmp(a->pos[1], "enter") == 0 || strcmp(a->pos[1], "subscribe") == 0);
    if (!presence)
        return -1;
    if (a->npos < 3)
        return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably presence enter|subscribe CHANNEL [DATA]");
    if (!presence_available())
        return cli_fail(a, CLI_EFAIL, 40000, "presence %s needs realtime presence, which this build of libably "
                        "does not have yet", a->pos[1]);
    return run_realtime(a, opts, a->pos[2]);
}
