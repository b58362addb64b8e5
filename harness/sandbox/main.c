/* ably-sandbox: a local Ably-compatible server for integration tests.
 *
 *   ably-sandbox --port N [--host 127.0.0.1] [--log-level error|warn|info|debug]
 *                [--extra-port N ...] [--max-body BYTES] [--timeout SECS]
 *
 * --port 0 picks a free port. When listening it prints exactly one line,
 * "ably-sandbox listening on HOST:PORT", to stdout. Extra ports serve the same
 * routes; fault rules (sbx_faults.h) make chosen ports misbehave. Their
 * numbers are logged to stderr and listed by GET /_sandbox/faults.
 * SIGTERM / SIGINT stop it cleanly. */
#include "rt_realtime.h"
#include "sbx_faults.h"
#include "sbx_http.h"
#include "sbx_server.h"
#include "sbx_store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTRA_PORTS 8

typedef struct {
    const char *host;
    int port;
    int extra_ports[MAX_EXTRA_PORTS];
    int extra_count;
    int log_level;
    size_t max_body;
    unsigned timeout_secs;
} options;

static volatile sig_atomic_t stop_requested;
static struct lws_context *running_context;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (running_context)
        lws_cancel_service(running_context);
}

static int usage(const char *why)
{
    fprintf(stderr, "ably-sandbox: %s\nusage: ably-sandbox --port N [--host ADDR] "
                    "[--log-level error|warn|info|debug] [--extra-port N ...] "
                    "[--max-body BYTES] [--timeout SECS]\n", why);
    return 2;
}

static int parse_level(const char *s)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int parse_port(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && !*end && v >= 0 && v <= 65535) ? (int)v : -1;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ .host = "127.0.0.1", .port = -1, .log_level = 1,
                    .max_body = 4 * 1024 * 1024, .timeout_secs = 10 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage("missing value after an option");
        i++;
        if (strcmp(a, "--port") == 0) {
            if ((o->port = parse_port(v)) < 0)
                return usage("invalid --port");
        } else if (strcmp(a, "--host") == 0) {
            o->host = v;
        } else if (strcmp(a, "--log-level") == 0) {
            if ((o->log_level = parse_level(v)) < 0)
                return usage("invalid --log-level");
        } else if (strcmp(a, "--extra-port") == 0) {
            int p = parse_port(v);
            if (p < 0 || o->extra_count == MAX_EXTRA_PORTS)
                return usage("invalid or too many --extra-port");
            o->extra_ports[o->extra_count++] = p;
        } else if (strcmp(a, "--max-body") == 0) {
            long long n = atoll(v);
            if (n <= 0)
                return usage("invalid --max-body");
            o->max_body = (size_t)n;
        } else if (strcmp(a, "--timeout") == 0) {
            int n = atoi(v);
            if (n <= 0)
                return usage("invalid --timeout");
            o->timeout_secs = (unsigned)n;
        } else {
            return usage("unknown option");
        }
    }
    if (o->port < 0)
        return usage("--port is required");
    return 0;
}

static struct lws_vhost *listen_on(struct lws_context *ctx, const options *o, int port,
                                   const char *name)
{
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.port = port;
    vi.iface = o->host;
    vi.vhost_name = name;
    vi.protocols = sbx_http_protocols;
    vi.pvo = &rt_vhost_options; /* WebSocket upgrades default to the realtime protocol */
    vi.timeout_secs = o->timeout_secs;
    /* Half-sent headers hold a header buffer: drop them after --timeout too
     * (lws would wait 10 s), so slowloris clients cannot pile up. */
    vi.timeout_secs_ah_idle = o->timeout_secs;
    vi.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    return lws_create_vhost(ctx, &vi);
}

static void set_lws_logging(int level)
{
    int mask = LLL_ERR;
    if (level >= 3)
        mask |= LLL_WARN | LLL_NOTICE;
    lws_set_log_level(level >= 1 ? mask : 0, NULL);
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    set_lws_logging(o.log_level);

    sbx_store store;
    sbx_store_init(&store);
    sbx_server server = { .store = &store, .max_body = o.max_body, .log_level = o.log_level };

    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    ci.user = &server;
    ci.max_http_header_data = 16384;
    ci.timeout_secs = o.timeout_secs;
    struct lws_context *ctx = lws_create_context(&ci);
    if (!ctx) {
        sbx_log(&server, 0, "could not create the lws context");
        sbx_store_destroy(&store);
        return 1;
    }
    struct lws_vhost *main_vh = listen_on(ctx, &o, o.port, "main");
    if (!main_vh) {
        sbx_log(&server, 0, "could not listen on %s:%d", o.host, o.port);
        lws_context_destroy(ctx);
        sbx_store_destroy(&store);
        return 1;
    }
    sbx_faults_add_port(lws_get_vhost_listen_port(main_vh));
    for (int i = 0; i < o.extra_count; i++) {
        /* lws keeps the vhost name pointer for the vhost's lifetime. */
        static char names[MAX_EXTRA_PORTS][16];
        char *name = names[i];
        snprintf(name, sizeof names[i], "extra%d", i);
        struct lws_vhost *vh = listen_on(ctx, &o, o.extra_ports[i], name);
        if (!vh) {
            sbx_log(&server, 0, "could not listen on extra port %d", o.extra_ports[i]);
            lws_context_destroy(ctx);
            sbx_store_destroy(&store);
            return 1;
        }
        sbx_log(&server, 2, "extra port %d", lws_get_vhost_listen_port(vh));
        sbx_faults_add_port(lws_get_vhost_listen_port(vh));
    }

    running_context = ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("ably-sandbox listening on %s:%d\n", o.host, lws_get_vhost_listen_port(main_vh));
    fflush(stdout);

    while (!stop_requested)
        if (lws_service(ctx, 0) < 0)
            break;

    running_context = NULL;
    lws_context_destroy(ctx);
    sbx_store_destroy(&store);
    sbx_log(&server, 2, "stopped");
    return 0;
}
