/* The control API (HTTP + JSON on loopback), in the shape of uts-proxy:
 *
 *   GET    /health                     {"ok":true}
 *   POST   /sessions                   {port?, target?, rules?, timeoutMs?} -> 201 {sessionId, proxy:{host,port}}
 *   GET    /sessions                   {"sessions":[...]}               (ours)
 *   GET    /sessions/{id}              {sessionId, port, target, ruleCount, rules}
 *   POST   /sessions/{id}/rules        {rules, position?} -> {ruleCount}
 *   DELETE /sessions/{id}/rules        drop every rule                   (ours)
 *   POST   /sessions/{id}/actions      {type, message?, closeCode?} -> {ok} | 409
 *   GET    /sessions/{id}/log          {"events":[...]}
 *   DELETE /sessions/{id}/log          clear the log                     (ours)
 *   DELETE /sessions/{id}              close it -> {"events":[...]}
 *
 * Errors: {"error":"text"} with 400 / 404 / 409. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "px_server.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct px_ctl {
    struct px_ctl *next;
    px_sock sock;
    bool close_when_flushed, dead;
} px_ctl;

static void respond(px_ctl *ctl, int status, cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    size_t n = strlen(text);
    px_buf_appendf(&ctl->sock.out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                   status, px_http_reason(status), n);
    px_buf_append(&ctl->sock.out, text, n);
    free(text);
    cJSON_Delete(body);
    px_sock_flush(&ctl->sock);
}

static void respond_error(px_ctl *ctl, int status, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", message);
    respond(ctl, status, body);
}

static cJSON *target_json(const px_session *s)
{
    cJSON *t = cJSON_CreateObject();
    char hp[300];
    snprintf(hp, sizeof hp, "%s:%d", s->realtime.host, s->realtime.port);
    cJSON_AddStringToObject(t, "realtimeHost", hp);
    snprintf(hp, sizeof hp, "%s:%d", s->rest.host, s->rest.port);
    cJSON_AddStringToObject(t, "restHost", hp);
    cJSON_AddBoolToObject(t, "insecure", !s->rest.tls);
    return t;
}

static cJSON *session_json(const px_session *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sessionId", s->id);
    cJSON_AddNumberToObject(o, "port", s->port);
    cJSON_AddItemToObject(o, "target", target_json(s));
    cJSON_AddNumberToObject(o, "ruleCount", (double)px_rules_count(s->rules));
    cJSON *rules = cJSON_AddArrayToObject(o, "rules");
    for (const px_rule *r = s->rules; r; r = r->next) {
        cJSON *rj = cJSON_Duplicate(r->json, true);
        cJSON_AddNumberToObject(rj, "fired", r->fired);
        cJSON_AddItemToArray(rules, rj);
    }
    return o;
}

static cJSON *log_json(const px_session *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "events", cJSON_Duplicate(s->log, true));
    if (s->log_dropped)
        cJSON_AddNumberToObject(o, "dropped", (double)s->log_dropped);
    return o;
}

/* One upstream host from the target object: "host[:port]", TLS unless
 * `insecure` (uts-proxy's default), falling back to the server's default. */
static int resolve_host(px_server *srv, const cJSON *target, const char *field, const char *other, px_target *out)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(target, field);
    if (!cJSON_IsString(h))
        h = cJSON_GetObjectItemCaseSensitive(target, other);
    if (!cJSON_IsString(h)) {
        if (!srv->has_default_target)
            return -1;
        *out = srv->default_target;
        return 0;
    }
    bool tls = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(target, "insecure"));
    return px_target_set(out, h->valuestring, tls, tls ? 443 : 80);
}

static void create_session(px_server *srv, px_ctl *ctl, const cJSON *body)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(body, "target");
    px_target rest, realtime;
    if (resolve_host(srv, target, "restHost", "realtimeHost", &rest) != 0 ||
        resolve_host(srv, target, "realtimeHost", "restHost", &realtime) != 0) {
        respond_error(ctl, 400, "target missing or unresolvable (and no --target default)");
        return;
    }
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(body, "port");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(body, "timeoutMs");
    const char *err = NULL;
    px_session *s = px_session_create(srv, NULL, cJSON_IsNumber(port) ? port->valueint : 0, &rest, &realtime,
                                      cJSON_IsNumber(timeout) ? (int64_t)timeout->valuedouble : 30000, &err);
    if (!s) {
        respond_error(ctl, 409, err);
        return;
    }
    if (px_session_add_rules(s, cJSON_GetObjectItemCaseSensitive(body, "rules"), false, &err) != 0) {
        px_session_kill(s);
        respond_error(ctl, 400, err);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sessionId", s->id);
    cJSON *proxy = cJSON_AddObjectToObject(o, "proxy");
    char hp[64];
    snprintf(hp, sizeof hp, "localhost:%d", s->port);
    cJSON_AddStringToObject(proxy, "host", hp);
    cJSON_AddNumberToObject(proxy, "port", s->port);
    respond(ctl, 201, o);
}

static void session_route(px_ctl *ctl, px_session *s, const char *method, const char *sub, const cJSON *body)
{
    const char *err = NULL;
    s->last_activity = px_now_ms();
    if (!*sub && strcmp(method, "GET") == 0) {
        respond(ctl, 200, session_json(s));
    } else if (!*sub && strcmp(method, "DELETE") == 0) {
        cJSON *log = log_json(s);
        px_session_kill(s);
        respond(ctl, 200, log);
    } else if (strcmp(sub, "/rules") == 0 && strcmp(method, "POST") == 0) {
        const cJSON *pos = cJSON_GetObjectItemCaseSensitive(body, "position");
        bool prepend = cJSON_IsString(pos) && strcmp(pos->valuestring, "prepend") == 0;
        const cJSON *rules = cJSON_GetObjectItemCaseSensitive(body, "rules");
        if (!rules || px_session_add_rules(s, rules, prepend, &err) != 0) {
            respond_error(ctl, 400, err ? err : "rules (an array) is required");
            return;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "ruleCount", (double)px_rules_count(s->rules));
        respond(ctl, 200, o);
    } else if (strcmp(sub, "/rules") == 0 && strcmp(method, "DELETE") == 0) {
        while (s->rules) {
            px_rule *r = s->rules;
            s->rules = r->next;
            px_rule_free(r);
        }
        respond(ctl, 200, cJSON_Parse("{\"ruleCount\":0}"));
    } else if (strcmp(sub, "/actions") == 0 && strcmp(method, "POST") == 0) {
        int n = px_session_trigger(s, body, &err);
        if (n < 0)
            respond_error(ctl, 400, err);
        else if (n == 0)
            respond_error(ctl, 409, "no active WebSocket connection");
        else
            respond(ctl, 200, cJSON_Parse("{\"ok\":true}"));
    } else if (strcmp(sub, "/log") == 0 && strcmp(method, "GET") == 0) {
        respond(ctl, 200, log_json(s));
    } else if (strcmp(sub, "/log") == 0 && strcmp(method, "DELETE") == 0) {
        cJSON_Delete(s->log);
        s->log = cJSON_CreateArray();
        s->log_count = s->log_dropped = 0;
        respond(ctl, 200, cJSON_Parse("{\"ok\":true}"));
    } else {
        respond_error(ctl, 404, "no such control route");
    }
}

static void dispatch(px_server *srv, px_ctl *ctl, const char *method, const char *path, const cJSON *body)
{
    if (strcmp(path, "/health") == 0) {
        respond(ctl, 200, cJSON_Parse("{\"ok\":true}"));
    } else if (strcmp(path, "/sessions") == 0 && strcmp(method, "POST") == 0) {
        create_session(srv, ctl, body);
    } else if (strcmp(path, "/sessions") == 0 && strcmp(method, "GET") == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON *list = cJSON_AddArrayToObject(o, "sessions");
        for (px_session *s = srv->sessions; s; s = s->next)
            if (!s->dead)
                cJSON_AddItemToArray(list, session_json(s));
        respond(ctl, 200, o);
    } else if (strncmp(path, "/sessions/", 10) == 0) {
        char id[32];
        const char *slash = strchr(path + 10, '/');
        size_t n = slash ? (size_t)(slash - path - 10) : strlen(path + 10);
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), path + 10);
        px_session *s = px_session_find(srv, id);
        if (!s)
            respond_error(ctl, 404, "session not found");
        else
            session_route(ctl, s, method, slash ? slash : "", body);
    } else {
        respond_error(ctl, 404, "no such control route");
    }
}

static void handle_requests(px_server *srv, px_ctl *ctl)
{
    while (!ctl->close_when_flushed) {
        px_http_msg m;
        int rc = px_http_parse(px_buf_ptr(&ctl->sock.in), px_buf_size(&ctl->sock.in), false, false,
                               ctl->sock.eof, &m);
        if (rc == 0)
            return;
        if (rc < 0) {
            respond_error(ctl, 400, "malformed request");
            ctl->close_when_flushed = true;
            return;
        }
        const char *buf = px_buf_ptr(&ctl->sock.in);
        cJSON *body = NULL;
        if (m.total_len > m.head_len) {
            body = cJSON_ParseWithLength(buf + m.head_len, m.total_len - m.head_len);
            if (!body) {
                respond_error(ctl, 400, "body is not JSON");
                px_buf_consume(&ctl->sock.in, m.total_len);
                continue;
            }
        }
        char *q = strchr(m.target, '?');
        if (q)
            *q = '\0';
        ctl->close_when_flushed = px_http_header_has_token(buf, &m, "connection", "close");
        dispatch(srv, ctl, m.method, m.target, body);
        cJSON_Delete(body);
        px_buf_consume(&ctl->sock.in, m.total_len);
    }
}

void px_control_accept(px_server *srv)
{
    for (;;) {
        int fd = accept4(srv->control_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        px_ctl *ctl = px_xcalloc(1, sizeof *ctl);
        px_sock_adopt(&ctl->sock, fd);
        ctl->next = srv->ctls;
        srv->ctls = ctl;
    }
}

size_t px_control_pollfds(px_server *srv, struct pollfd *pfds, void **refs, size_t cap)
{
    size_t n = 0;
    for (px_ctl *c = srv->ctls; c && n < cap; c = c->next) {
        if (c->dead)
            continue;
        pfds[n] = (struct pollfd){ .fd = c->sock.fd, .events = px_sock_events(&c->sock) };
        refs[n++] = c;
    }
    return n;
}

void px_control_service(px_server *srv, void *ref, short revents)
{
    px_ctl *ctl = ref;
    if (ctl->dead)
        return;
    px_sock_service(&ctl->sock, revents);
    handle_requests(srv, ctl);
    bool flushed = px_buf_size(&ctl->sock.out) == 0;
    if ((ctl->sock.eof && (flushed || px_buf_size(&ctl->sock.in) == 0)) || (ctl->close_when_flushed && flushed))
        ctl->dead = true;
}

void px_control_reap(px_server *srv, bool all)
{
    for (px_ctl **cp = &srv->ctls; *cp;) {
        if ((*cp)->dead || all) {
            px_ctl *c = *cp;
            *cp = c->next;
            px_sock_close(&c->sock, false);
            free(c);
        } else {
            cp = &(*cp)->next;
        }
    }
}
