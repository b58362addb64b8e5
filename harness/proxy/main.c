/* ably-proxy: a programmable fault-injection proxy in front of any Ably
 * endpoint (ably-sandbox by default). See README.md.
 *
 *   ably-proxy [--target HOST:PORT] [--tls-target] [--port N] [--control-port M]
 *              [--host 127.0.0.1] [--verbose]
 *
 * --port starts a session "default" on N (0 picks a free port) in front of
 * --target; the control API (always on) creates more. When ready it prints
 * one line to stdout and flushes:
 *   ably-proxy listening on 127.0.0.1:N control 127.0.0.1:M
 * (N is 0 when there is no default session). SIGTERM/SIGINT stop it. */
#include "px_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(void)
{
    fputs("usage: ably-proxy [--target HOST:PORT] [--tls-target] [--port N] [--control-port M]\n"
          "                  [--host 127.0.0.1] [--verbose]\n",
          stderr);
}

typedef struct {
    const char *target, *host;
    bool tls, verbose;
    int port, control_port;
} options;

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){ .host = "127.0.0.1", .port = -1, .control_port = 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tls-target") == 0) {
            o->tls = true;
        } else if (strcmp(a, "--verbose") == 0) {
            o->verbose = true;
        } else if (v && strcmp(a, "--target") == 0) {
            o->target = v, i++;
        } else if (v && strcmp(a, "--host") == 0) {
            o->host = v, i++;
        } else if (v && strcmp(a, "--port") == 0) {
            o->port = atoi(v), i++;
        } else if (v && strcmp(a, "--control-port") == 0) {
            o->control_port = atoi(v), i++;
        } else {
            return -1;
        }
    }
    return o->port >= 0 && !o->target ? -1 : 0;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    px_server *srv = px_xcalloc(1, sizeof *srv);
    snprintf(srv->host, sizeof srv->host, "%s", o.host);
    srv->verbose = o.verbose;
    srv->control_fd = px_listen(o.host, o.control_port, &srv->control_port);
    if (srv->control_fd < 0) {
        fprintf(stderr, "ably-proxy: cannot listen on control port %d\n", o.control_port);
        px_server_free(srv);
        return 1;
    }
    if (o.target) {
        if (px_target_set(&srv->default_target, o.target, o.tls, o.tls ? 443 : 80) != 0) {
            fprintf(stderr, "ably-proxy: cannot resolve target %s\n", o.target);
            px_server_free(srv);
            return 1;
        }
        srv->has_default_target = true;
    }
    int port = 0;
    if (o.port >= 0) {
        const char *err = NULL;
        px_session *s = px_session_create(srv, "default", o.port, &srv->default_target, &srv->default_target, 0, &err);
        if (!s) {
            fprintf(stderr, "ably-proxy: port %d: %s\n", o.port, err);
            px_server_free(srv);
            return 1;
        }
        port = s->port;
    }
    printf("ably-proxy listening on %s:%d control %s:%d\n", o.host, port, o.host, srv->control_port);
    fflush(stdout);
    px_server_run(srv, &stop_requested);
    px_server_free(srv);
    return 0;
}
