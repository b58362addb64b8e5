/* The proxy server: sessions (one listening port each, with rules and an
 * event log), the connections they proxy, and the control API.
 *
 * Ownership: the server owns its sessions; a session owns its rules, log
 * and connections. Deleting a session or connection only marks it dead;
 * the event loop frees dead ones after each round, so nothing in flight
 * ever points at freed memory. */
#ifndef PX_SERVER_H
#define PX_SERVER_H

#include "px.h"

#include <signal.h>

typedef struct px_conn px_conn;
typedef struct px_server px_server;

typedef struct px_session {
    struct px_session *next;
    px_server *srv;
    char id[32];
    int port, listen_fd;
    px_target rest, realtime; /* HTTP requests go to rest, WebSocket upgrades to realtime */
    px_rule *rules;
    unsigned next_rule_id;
    cJSON *log;               /* array of events */
    size_t log_count;         /* cJSON arrays count in O(n): keep our own */
    size_t log_dropped;
    px_conn *conns;
    int64_t timeout_ms;       /* idle auto-cleanup; 0 never */
    int64_t last_activity;
    bool dead;
} px_session;

struct px_server {
    char host[64];
    px_target default_target;
    bool has_default_target;
    int control_fd, control_port;
    px_session *sessions;
    struct px_ctl *ctls;      /* control API connections */
    unsigned next_session;
    bool verbose;
};

/* px_session.c */
px_session *px_session_create(px_server *srv, const char *id, int port, const px_target *rest,
                              const px_target *realtime, int64_t timeout_ms, const char **err);
void px_session_kill(px_session *s);  /* closes its connections; freed after the round */
/* Adds rules (a JSON array) in order, at the front when prepend. 0, or -1
 * with *err set (nothing added then). */
int px_session_add_rules(px_session *s, const cJSON *rules, bool prepend, const char **err);
/* Runs an imperative action on every open WebSocket of the session. Returns
 * how many connections it touched, -1 with *err on a bad action. */
int px_session_trigger(px_session *s, const cJSON *action, const char **err);
px_session *px_session_find(px_server *srv, const char *id);
int px_server_run(px_server *srv, volatile sig_atomic_t *stop);
void px_server_free(px_server *srv);

/* px_control.c */
struct pollfd;
void px_control_accept(px_server *srv);
/* Adds pollfds for control connections; *refs receives each one's owner. */
size_t px_control_pollfds(px_server *srv, struct pollfd *pfds, void **refs, size_t cap);
void px_control_service(px_server *srv, void *ref, short revents);
void px_control_reap(px_server *srv, bool all);

/* Appends an event {timestamp, type, ...fields} to the session log; takes
 * ownership of fields (an object, may be NULL). */
void px_log_event(px_session *s, const char *type, cJSON *fields);

#endif
