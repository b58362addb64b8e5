/* Sessions and the connections they proxy, and the poll() loop.
 *
 * A client connection starts as HTTP. Each complete request is matched
 * against the session's http_request rules, then answered by a rule or
 * forwarded on a fresh upstream connection (`Connection: close` upstream,
 * keep-alive towards the client). A WebSocket upgrade is matched against
 * ws_connect rules and forwarded to the realtime target; from then on every
 * frame is decoded as a ProtocolMessage, logged, matched against the frame
 * rules and forwarded, dropped, delayed or replaced. Frames leave through
 * one FIFO per direction, so a delayed frame holds back the ones after it
 * (the order a real connection would keep). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "px_server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LOG_EVENTS 100000
#define CLOSING_GRACE_MS 2000
#define MAX_POLL 4096
#define MAX_REQUEST (64u << 20) /* whole requests are buffered: bound them */

enum { TO_CLIENT = 0, TO_SERVER = 1 };

typedef enum {
    CS_HTTP_REQ,      /* reading the next request */
    CS_HTTP_DELAYED,  /* http_delay: forwarding at `deadline` */
    CS_HTTP_UPSTREAM, /* waiting for the upstream response */
    CS_WS_DELAYED,    /* ws_connect delay: connecting upstream at `deadline` */
    CS_WS_HANDSHAKE,  /* upgrade sent upstream, waiting for 101 */
    CS_WS_OPEN,
    CS_WS_REJECTED,   /* upstream refused the upgrade: relaying its answer */
    CS_CLOSING,       /* close frame sent; waiting for the client to hang up */
    CS_DEAD,
} conn_state;

typedef struct qframe {
    struct qframe *next;
    int64_t release_at;
    px_buf bytes; /* one framed WebSocket frame, ready for the wire */
} qframe;

struct px_conn {
    px_conn *next;
    px_session *s;
    px_sock cli, up;
    conn_state state;
    int64_t deadline;
    /* HTTP */
    char method[16];
    char *path;           /* without the query */
    bool head_req, client_close;
    bool close_when_flushed; /* answered a `Connection: close` request */
    bool sent_continue;      /* 100 Continue sent for the request being read */
    cJSON *replace;       /* http_replace_response action snapshot */
    char *replace_label;
    px_buf pending;       /* request for upstream, built before a delay */
    /* WebSocket */
    bool msgpack;
    int64_t open_at;
    unsigned *timers_fired;
    size_t n_timers_fired;
    bool suppress[2];
    px_buf frag[2];
    int frag_opcode[2];
    qframe *q_head[2], *q_tail[2];
    bool close_after_queue;
    bool disconnect_logged;
};

/* ---- event log ---------------------------------------------------------- */

void px_log_event(px_session *s, const char *type, cJSON *fields)
{
    if (s->log_count >= MAX_LOG_EVENTS) {
        s->log_dropped++;
        cJSON_Delete(fields);
        return;
    }
    cJSON *ev = cJSON_CreateObject();
    char ts[32];
    px_iso_time(ts);
    cJSON_AddStringToObject(ev, "timestamp", ts);
    cJSON_AddStringToObject(ev, "type", type);
    if (fields) {
        cJSON *f = fields->child;
        while (f) {
            cJSON *next = f->next;
            cJSON_AddItemToObject(ev, f->string, cJSON_DetachItemViaPointer(fields, f));
            f = next;
        }
        cJSON_Delete(fields);
    }
    cJSON_AddItemToArray(s->log, ev);
    s->log_count++;
    if (s->srv->verbose) {
        char *text = cJSON_PrintUnformatted(ev);
        fprintf(stderr, "ably-proxy[%s] %s\n", s->id, text);
        free(text);
    }
}

static void add_rule_label(cJSON *o, const px_rule *r)
{
    if (r)
        cJSON_AddStringToObject(o, "ruleMatched", r->label);
    else
        cJSON_AddNullToObject(o, "ruleMatched");
}

static void log_disconnect(px_conn *c, const char *initiator, int code)
{
    if (c->disconnect_logged)
        return;
    c->disconnect_logged = true;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "initiator", initiator);
    cJSON_AddNumberToObject(f, "closeCode", code);
    px_log_event(c->s, "ws_disconnect", f);
}

/* ---- connection lifecycle ----------------------------------------------- */

static void queue_clear(px_conn *c, int dir)
{
    while (c->q_head[dir]) {
        qframe *f = c->q_head[dir];
        c->q_head[dir] = f->next;
        px_buf_free(&f->bytes);
        free(f);
    }
    c->q_tail[dir] = NULL;
}

static void conn_kill(px_conn *c, bool reset_client)
{
    if (c->state == CS_DEAD)
        return;
    if (c->state == CS_WS_OPEN)
        log_disconnect(c, c->cli.eof ? "client" : "server", 1006);
    px_sock_close(&c->cli, reset_client);
    px_sock_close(&c->up, false);
    c->state = CS_DEAD;
}

static void conn_free(px_conn *c)
{
    px_sock_close(&c->cli, false);
    px_sock_close(&c->up, false);
    for (int d = 0; d < 2; d++) {
        queue_clear(c, d);
        px_buf_free(&c->frag[d]);
    }
    px_buf_free(&c->pending);
    cJSON_Delete(c->replace);
    free(c->replace_label);
    free(c->timers_fired);
    free(c->path);
    free(c);
}

/* Sends the buffered close, then waits (bounded) for the client to hang up:
 * closing at once could reset the connection before it reads the frame. */
static void conn_begin_closing(px_conn *c)
{
    px_sock_flush(&c->cli);
    px_sock_close(&c->up, false);
    c->state = CS_CLOSING;
    c->deadline = px_now_ms() + CLOSING_GRACE_MS;
}

/* ---- HTTP --------------------------------------------------------------- */

static void write_json_response(px_sock *to, int status, const cJSON *body, const cJSON *headers, bool close)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    size_t n = text ? strlen(text) : 0;
    px_buf_appendf(&to->out, "HTTP/1.1 %d %s\r\n", status, px_http_reason(status));
    bool has_type = false;
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) {
        if (cJSON_IsString(h)) {
            px_buf_appendf(&to->out, "%s: %s\r\n", h->string, h->valuestring);
            has_type |= strcasecmp(h->string, "content-type") == 0;
        }
    }
    if (text && !has_type)
        px_buf_appendf(&to->out, "Content-Type: application/json\r\n");
    px_buf_appendf(&to->out, "Content-Length: %zu\r\n%s\r\n", n, close ? "Connection: close\r\n" : "");
    if (text)
        px_buf_append(&to->out, text, n);
    free(text);
    px_sock_flush(to);
}

/* The answer a rule gives: status, body and headers from the action; an
 * error body (an Ably ErrorInfo) also sets the X-Ably-Errorcode header, as
 * Ably does. */
static void respond_from_action(px_conn *c, const cJSON *action, const char *label)
{
    int status = 500;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(action, "status");
    if (cJSON_IsNumber(st))
        status = st->valueint;
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(action, "body");
    cJSON *headers = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(action, "headers"), true);
    if (!headers)
        headers = cJSON_CreateObject();
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "error"), "code");
    if (cJSON_IsNumber(code) && !cJSON_GetObjectItemCaseSensitive(headers, "X-Ably-Errorcode")) {
        char v[32];
        snprintf(v, sizeof v, "%d", code->valueint);
        cJSON_AddStringToObject(headers, "X-Ably-Errorcode", v);
    }
    write_json_response(&c->cli, status, body, headers, c->client_close);
    c->close_when_flushed = c->client_close;
    cJSON_Delete(headers);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "status", status);
    cJSON_AddStringToObject(f, "ruleMatched", label);
    px_log_event(c->s, "http_response", f);
}

static bool hop_by_hop(const char *buf, const px_http_msg *m, size_t i)
{
    return px_http_header_is(buf, m, i, "connection") || px_http_header_is(buf, m, i, "keep-alive") ||
           px_http_header_is(buf, m, i, "proxy-connection") || px_http_header_is(buf, m, i, "host") ||
           px_http_header_is(buf, m, i, "expect"); /* the proxy answers 100-continue itself */
}

/* Copies the request for upstream: Host rewritten to the target, one
 * request per upstream connection. */
static void build_upstream_request(px_conn *c, const char *buf, const px_http_msg *m, const px_target *t,
                                   bool websocket)
{
    px_buf *out = &c->pending;
    px_buf_appendf(out, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", m->method, m->target, t->host, t->port);
    for (size_t i = 0; i < m->nheaders; i++) {
        const px_header *h = &m->headers[i];
        if (websocket ? px_http_header_is(buf, m, i, "host") || px_http_header_is(buf, m, i, "sec-websocket-extensions")
                      : hop_by_hop(buf, m, i))
            continue;
        px_buf_append(out, buf + h->name, h->name_len);
        px_buf_append(out, ": ", 2);
        px_buf_append(out, buf + h->value, h->value_len);
        px_buf_append(out, "\r\n", 2);
    }
    px_buf_appendf(out, "%s\r\n", websocket ? "" : "Connection: close\r\n");
    px_buf_append(out, buf + m->head_len, m->total_len - m->head_len);
}

static void http_upstream_failed(px_conn *c)
{
    cJSON *body = cJSON_Parse("{\"error\":{\"code\":50200,\"statusCode\":502,"
                              "\"message\":\"ably-proxy: upstream unreachable\"}}");
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "status", 502);
    cJSON_AddNullToObject(f, "ruleMatched");
    px_log_event(c->s, "http_response", f);
    write_json_response(&c->cli, 502, body, NULL, true);
    cJSON_Delete(body);
    c->client_close = c->close_when_flushed = true;
    c->state = CS_HTTP_REQ;
}

static void http_forward(px_conn *c)
{
    if (px_sock_connect(&c->up, &c->s->rest) != 0) {
        px_buf_free(&c->pending);
        http_upstream_failed(c);
        return;
    }
    px_buf_append(&c->up.out, px_buf_ptr(&c->pending), px_buf_size(&c->pending));
    px_buf_free(&c->pending);
    c->state = CS_HTTP_UPSTREAM;
}

static void http_begin(px_conn *c, const char *buf, const px_http_msg *m)
{
    px_session *s = c->s;
    px_event ev = { .type = PX_M_HTTP_REQUEST, .method = c->method, .path = c->path };
    px_rule *r = px_rules_match(s->rules, &ev, px_now_ms());
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "direction", "client_to_server");
    cJSON_AddStringToObject(f, "method", c->method);
    cJSON_AddStringToObject(f, "path", c->path);
    const char *q = strchr(m->target, '?');
    if (q)
        cJSON_AddStringToObject(f, "query", q + 1);
    cJSON *headers = cJSON_AddObjectToObject(f, "headers");
    for (size_t i = 0; i < m->nheaders; i++) {
        char *name = px_xstrndup(buf + m->headers[i].name, m->headers[i].name_len);
        char *value = px_xstrndup(buf + m->headers[i].value, m->headers[i].value_len);
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        cJSON_DeleteItemFromObjectCaseSensitive(headers, name);
        cJSON_AddStringToObject(headers, name, value);
        free(name);
        free(value);
    }
    add_rule_label(f, r);
    px_log_event(s, "http_request", f);

    px_action_type a = r ? r->action : PX_A_PASSTHROUGH;
    if (a == PX_A_HTTP_RESPOND) {
        respond_from_action(c, cJSON_GetObjectItemCaseSensitive(r->json, "action"), r->label);
    } else if (a == PX_A_HTTP_DROP || a == PX_A_DISCONNECT || a == PX_A_REFUSE) {
        conn_kill(c, true);
    } else {
        build_upstream_request(c, buf, m, &s->rest, false);
        if (a == PX_A_HTTP_REPLACE_RESPONSE) {
            c->replace = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r->json, "action"), true);
            c->replace_label = px_xstrdup(r->label);
        }
        if (a == PX_A_HTTP_DELAY || a == PX_A_DELAY) {
            c->state = CS_HTTP_DELAYED;
            c->deadline = px_now_ms() + r->action_delay_ms;
        } else {
            http_forward(c);
        }
    }
    px_rules_reap(&s->rules, px_now_ms());
}

/* Relays the upstream response: hop-by-hop headers dropped, and a length
 * added when upstream delimited the body by closing. */
static void relay_response(px_conn *c, const char *buf, const px_http_msg *m)
{
    const char *eol = strstr(buf, "\r\n");
    px_buf *out = &c->cli.out;
    px_buf_append(out, buf, (size_t)(eol - buf) + 2);
    for (size_t i = 0; i < m->nheaders; i++) {
        if (hop_by_hop(buf, m, i))
            continue;
        px_buf_append(out, buf + m->headers[i].name, m->headers[i].name_len);
        px_buf_append(out, ": ", 2);
        px_buf_append(out, buf + m->headers[i].value, m->headers[i].value_len);
        px_buf_append(out, "\r\n", 2);
    }
    bool bodyless = c->head_req || m->status / 100 == 1 || m->status == 204 || m->status == 304;
    if (!m->has_length && !m->chunked && !bodyless)
        px_buf_appendf(out, "Content-Length: %zu\r\n", m->total_len - m->head_len);
    px_buf_appendf(out, "%s\r\n", c->client_close ? "Connection: close\r\n" : "");
    px_buf_append(out, buf + m->head_len, m->total_len - m->head_len);
    px_sock_flush(&c->cli);
    c->close_when_flushed = c->client_close;
}

static void http_await_response(px_conn *c)
{
    px_http_msg m;
    int rc = px_http_parse(px_buf_ptr(&c->up.in), px_buf_size(&c->up.in), true, c->head_req, c->up.eof, &m);
    if (rc == 0 && !c->up.eof)
        return;
    if (rc <= 0) {
        /* Upstream hung up without a (whole) answer: the client sees the same. */
        if (px_buf_size(&c->up.in) == 0 && !c->up.connect_failed)
            conn_kill(c, true);
        else
            http_upstream_failed(c);
        return;
    }
    if (c->replace) {
        respond_from_action(c, c->replace, c->replace_label);
        cJSON_Delete(c->replace);
        c->replace = NULL;
        free(c->replace_label);
        c->replace_label = NULL;
    } else {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "direction", "server_to_client");
        cJSON_AddNumberToObject(f, "status", m.status);
        cJSON_AddNullToObject(f, "ruleMatched");
        px_log_event(c->s, "http_response", f);
        relay_response(c, px_buf_ptr(&c->up.in), &m);
    }
    px_sock_close(&c->up, false);
    c->state = CS_HTTP_REQ;
}

/* ---- WebSocket ---------------------------------------------------------- */

static void enqueue(px_conn *c, int dir, int opcode, const void *payload, size_t n, int64_t release_at)
{
    px_sock *to = dir == TO_CLIENT ? &c->cli : &c->up;
    int64_t now = px_now_ms();
    if (!c->q_head[dir] && release_at <= now) { /* common case: straight out */
        px_ws_write(&to->out, opcode, payload, n, dir == TO_SERVER);
        px_sock_flush(to);
        return;
    }
    qframe *f = px_xcalloc(1, sizeof *f);
    f->release_at = release_at;
    px_ws_write(&f->bytes, opcode, payload, n, dir == TO_SERVER);
    if (c->q_tail[dir])
        c->q_tail[dir]->next = f;
    else
        c->q_head[dir] = f;
    c->q_tail[dir] = f;
}

static void release_queue(px_conn *c, int dir, int64_t now)
{
    px_sock *to = dir == TO_CLIENT ? &c->cli : &c->up;
    while (c->q_head[dir] && c->q_head[dir]->release_at <= now) {
        qframe *f = c->q_head[dir];
        c->q_head[dir] = f->next;
        if (!c->q_head[dir])
            c->q_tail[dir] = NULL;
        px_buf_append(&to->out, px_buf_ptr(&f->bytes), px_buf_size(&f->bytes));
        px_buf_free(&f->bytes);
        free(f);
    }
    px_sock_flush(to);
}

static int data_opcode(const px_conn *c) { return c->msgpack ? PX_WS_BINARY : PX_WS_TEXT; }

static void inject(px_conn *c, int dir, const cJSON *msg)
{
    px_buf wire = { 0 };
    if (px_pm_encode(msg, c->msgpack, &wire) == 0)
        enqueue(c, dir, data_opcode(c), px_buf_ptr(&wire), px_buf_size(&wire), px_now_ms());
    px_buf_free(&wire);
}

/* Proxy-initiated close: a close frame to the client after whatever is
 * queued for it, then the upstream side is dropped. */
static void proxy_close(px_conn *c, int code)
{
    log_disconnect(c, "proxy", code);
    uint8_t cb[2] = { (uint8_t)(code >> 8), (uint8_t)code };
    enqueue(c, TO_CLIENT, PX_WS_CLOSE, cb, 2, px_now_ms());
    c->suppress[TO_CLIENT] = c->suppress[TO_SERVER] = true;
    c->close_after_queue = true;
}

static void proxy_disconnect(px_conn *c)
{
    log_disconnect(c, "proxy", 1006);
    conn_kill(c, true);
}

static int close_code_of(const cJSON *action)
{
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(action, "closeCode");
    return cJSON_IsNumber(cc) ? cc->valueint : 1000;
}

/* Actions that need no frame: timers and imperative triggers. Returns false
 * for an action that makes no sense without a frame. */
static bool apply_standalone(px_conn *c, const char *type, const cJSON *action)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(action, "message");
    if (strcmp(type, "disconnect") == 0) {
        proxy_disconnect(c);
    } else if (strcmp(type, "close") == 0) {
        proxy_close(c, close_code_of(action));
    } else if (strcmp(type, "inject_to_client") == 0 && cJSON_IsObject(msg)) {
        inject(c, TO_CLIENT, msg);
    } else if (strcmp(type, "inject_to_client_and_close") == 0 && cJSON_IsObject(msg)) {
        inject(c, TO_CLIENT, msg);
        proxy_close(c, close_code_of(action));
    } else if (strcmp(type, "suppress_onwards") == 0) {
        c->suppress[TO_CLIENT] = true; /* starve the client: the heartbeat scenario */
    } else {
        return false;
    }
    return true;
}

static void log_action(px_session *s, const cJSON *action, const char *label)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddItemToObject(f, "message", cJSON_Duplicate(action, true));
    if (label)
        cJSON_AddStringToObject(f, "ruleMatched", label);
    else
        cJSON_AddNullToObject(f, "ruleMatched");
    px_log_event(s, "action", f);
}

/* A replacement may keep fields of the frame it replaces: a string value
 * "__PASSTHROUGH__" (as uts-proxy specs use for connectionKey) takes the original's
 * value at the same path, and is dropped when the original has none there. */
static void fill_passthrough(cJSON *repl, const cJSON *orig)
{
    cJSON *item = repl ? repl->child : NULL;
    while (item) {
        cJSON *next = item->next;
        const cJSON *o = orig && item->string ? cJSON_GetObjectItemCaseSensitive(orig, item->string) : NULL;
        if (cJSON_IsString(item) && strcmp(item->valuestring, "__PASSTHROUGH__") == 0) {
            if (o)
                cJSON_ReplaceItemViaPointer(repl, item, cJSON_Duplicate(o, true));
            else
                cJSON_Delete(cJSON_DetachItemViaPointer(repl, item));
        } else if (cJSON_IsObject(item)) {
            fill_passthrough(item, o);
        }
        item = next;
    }
}

static void replace_frame(px_conn *c, int dir, const cJSON *message, const cJSON *orig)
{
    cJSON *msg = cJSON_Duplicate(message, true);
    fill_passthrough(msg, orig);
    inject(c, dir, msg);
    cJSON_Delete(msg);
}

static void handle_message(px_conn *c, int dir, int opcode, const uint8_t *payload, size_t n)
{
    px_session *s = c->s;
    int action;
    char *channel;
    cJSON *json;
    px_pm_inspect(payload, n, opcode == PX_WS_BINARY, &action, &channel, &json);
    px_rule *r = NULL;
    bool suppressed = c->suppress[dir];
    if (!suppressed) {
        px_event ev = { .type = dir == TO_CLIENT ? PX_M_FRAME_TO_CLIENT : PX_M_FRAME_TO_SERVER,
                        .action = action, .channel = channel };
        r = px_rules_match(s->rules, &ev, px_now_ms());
    }
    /* the original goes to the log below; a replacement may need its fields */
    cJSON *orig = r && r->action == PX_A_REPLACE && json ? cJSON_Duplicate(json, true) : NULL;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "direction", dir == TO_CLIENT ? "server_to_client" : "client_to_server");
    cJSON_AddItemToObject(f, "message", json ? json : cJSON_CreateNull());
    if (px_action_name(action))
        cJSON_AddStringToObject(f, "actionName", px_action_name(action));
    if (suppressed)
        cJSON_AddTrueToObject(f, "suppressed");
    add_rule_label(f, r);
    px_log_event(s, "ws_frame", f);
    free(channel);
    if (suppressed)
        return;

    const cJSON *ra = r ? cJSON_GetObjectItemCaseSensitive(r->json, "action") : NULL;
    int64_t now = px_now_ms();
    switch (r ? r->action : PX_A_PASSTHROUGH) {
    case PX_A_SUPPRESS:
        break;
    case PX_A_SUPPRESS_ONWARDS:
        c->suppress[dir] = true;
        break;
    case PX_A_DELAY:
        enqueue(c, dir, opcode, payload, n, now + r->action_delay_ms);
        break;
    case PX_A_INJECT:
        inject(c, TO_CLIENT, r->message);
        enqueue(c, dir, opcode, payload, n, now);
        break;
    case PX_A_INJECT_AND_CLOSE:
        inject(c, TO_CLIENT, r->message);
        proxy_close(c, r->close_code);
        break;
    case PX_A_REPLACE:
        replace_frame(c, dir, r->message, orig);
        break;
    case PX_A_CLOSE:
    case PX_A_ACCEPT_AND_CLOSE:
        proxy_close(c, close_code_of(ra));
        break;
    case PX_A_DISCONNECT:
    case PX_A_REFUSE:
    case PX_A_HTTP_DROP:
        proxy_disconnect(c);
        break;
    default:
        enqueue(c, dir, opcode, payload, n, now);
        break;
    }
    cJSON_Delete(orig);
    px_rules_reap(&s->rules, px_now_ms());
}

static void handle_control_frame(px_conn *c, int dir, int opcode, const uint8_t *payload, size_t n)
{
    if (opcode == PX_WS_CLOSE) {
        int code = n >= 2 ? (payload[0] << 8) | payload[1] : 1005;
        log_disconnect(c, dir == TO_CLIENT ? "server" : "client", code);
    }
    if (!c->close_after_queue)
        enqueue(c, dir, opcode, payload, n, px_now_ms());
}

/* Consumes every whole frame in `from`. Returns false when the connection
 * must die (protocol violation). */
static bool pump_frames(px_conn *c, int dir)
{
    px_sock *from = dir == TO_CLIENT ? &c->up : &c->cli;
    px_ws_frame fr;
    int rc;
    while (c->state == CS_WS_OPEN &&
           (rc = px_ws_parse((const uint8_t *)px_buf_ptr(&from->in), px_buf_size(&from->in), &fr)) != 0) {
        if (rc < 0)
            return false;
        uint8_t *payload = (uint8_t *)px_buf_ptr(&from->in) + fr.header_len;
        size_t n = (size_t)fr.payload_len;
        if (fr.masked)
            px_ws_unmask(payload, n, fr.mask);
        if (fr.opcode >= 8) {
            handle_control_frame(c, dir, fr.opcode, payload, n);
        } else if (fr.opcode != PX_WS_CONT && fr.fin && px_buf_size(&c->frag[dir]) == 0) {
            handle_message(c, dir, fr.opcode, payload, n);
        } else { /* fragmented: assemble the whole message first */
            if (fr.opcode != PX_WS_CONT)
                c->frag_opcode[dir] = fr.opcode;
            px_buf_append(&c->frag[dir], payload, n);
            if (fr.fin) {
                px_buf whole = c->frag[dir];
                memset(&c->frag[dir], 0, sizeof c->frag[dir]);
                handle_message(c, dir, c->frag_opcode[dir], (uint8_t *)px_buf_ptr(&whole), px_buf_size(&whole));
                px_buf_free(&whole);
            }
        }
        if (c->state == CS_DEAD)
            return true;
        px_buf_consume(&from->in, fr.header_len + n);
    }
    return true;
}

static void ws_open_step(px_conn *c)
{
    if (!pump_frames(c, TO_SERVER) || !pump_frames(c, TO_CLIENT)) {
        conn_kill(c, true);
        return;
    }
    if (c->state != CS_WS_OPEN)
        return;
    if (c->close_after_queue && !c->q_head[TO_CLIENT]) {
        conn_begin_closing(c);
        return;
    }
    /* One side hung up: deliver what is due to the other, then close it. */
    if (c->up.eof && !c->q_head[TO_CLIENT]) {
        log_disconnect(c, "server", 1006);
        px_sock_flush(&c->cli);
        conn_kill(c, false);
    } else if (c->cli.eof) {
        log_disconnect(c, "client", 1006);
        px_sock_flush(&c->up);
        conn_kill(c, false);
    }
}

static void ws_connect_upstream(px_conn *c)
{
    if (px_sock_connect(&c->up, &c->s->realtime) != 0) {
        log_disconnect(c, "server", 1006);
        conn_kill(c, true);
        return;
    }
    px_buf_append(&c->up.out, px_buf_ptr(&c->pending), px_buf_size(&c->pending));
    px_buf_free(&c->pending);
    c->state = CS_WS_HANDSHAKE;
}

static void accept_and_close(px_conn *c, const char *buf, const px_http_msg *m, int code)
{
    char key[128], accept[64];
    if (!px_http_header(buf, m, "sec-websocket-key", key, sizeof key)) {
        conn_kill(c, true);
        return;
    }
    px_ws_accept(key, accept);
    px_buf_appendf(&c->cli.out,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    px_ws_write_close(&c->cli.out, code, false);
    log_disconnect(c, "proxy", code);
    conn_begin_closing(c);
}

static void ws_begin(px_conn *c, const char *buf, const px_http_msg *m)
{
    px_session *s = c->s;
    cJSON *query = px_http_query(m->target);
    cJSON *q = cJSON_GetObjectItemCaseSensitive(query, "format");
    c->msgpack = cJSON_IsString(q) && strcmp(q->valuestring, "msgpack") == 0;
    px_event ev = { .type = PX_M_WS_CONNECT, .query = query };
    px_rule *r = px_rules_match(s->rules, &ev, px_now_ms());
    cJSON *f = cJSON_CreateObject();
    char url[4400];
    snprintf(url, sizeof url, "ws://localhost:%d%s", s->port, m->target);
    cJSON_AddStringToObject(f, "url", url);
    cJSON_AddItemToObject(f, "queryParams", query);
    add_rule_label(f, r);
    px_log_event(s, "ws_connect", f);

    const cJSON *ra = r ? cJSON_GetObjectItemCaseSensitive(r->json, "action") : NULL;
    switch (r ? r->action : PX_A_PASSTHROUGH) {
    case PX_A_REFUSE:
    case PX_A_DISCONNECT:
    case PX_A_HTTP_DROP:
        conn_kill(c, true);
        break;
    case PX_A_ACCEPT_AND_CLOSE:
    case PX_A_CLOSE:
        accept_and_close(c, buf, m, close_code_of(ra));
        break;
    case PX_A_HTTP_RESPOND:
        c->client_close = true;
        respond_from_action(c, ra, r->label);
        break;
    default:
        build_upstream_request(c, buf, m, &s->realtime, true);
        if (r && (r->action == PX_A_DELAY || r->action == PX_A_HTTP_DELAY)) {
            c->state = CS_WS_DELAYED;
            c->deadline = px_now_ms() + r->action_delay_ms;
        } else {
            ws_connect_upstream(c);
        }
    }
    px_rules_reap(&s->rules, px_now_ms());
}

static void ws_await_upgrade(px_conn *c)
{
    px_http_msg m;
    int rc = px_http_parse(px_buf_ptr(&c->up.in), px_buf_size(&c->up.in), true, false, c->up.eof, &m);
    if (rc < 0 || (rc == 0 && c->up.eof)) {
        log_disconnect(c, "server", 1006);
        conn_kill(c, px_buf_size(&c->up.in) == 0);
        return;
    }
    if (rc == 0)
        return;
    const char *buf = px_buf_ptr(&c->up.in);
    if (m.status != 101) { /* an HTTP answer (e.g. 401): the client gets it as it is */
        cJSON *f = cJSON_CreateObject();
        cJSON_AddNumberToObject(f, "status", m.status);
        px_log_event(c->s, "http_response", f);
        c->state = CS_WS_REJECTED;
        return;
    }
    const char *eol = strstr(buf, "\r\n");
    px_buf_append(&c->cli.out, buf, (size_t)(eol - buf) + 2);
    for (size_t i = 0; i < m.nheaders; i++) {
        if (px_http_header_is(buf, &m, i, "sec-websocket-extensions"))
            continue;
        px_buf_append(&c->cli.out, buf + m.headers[i].name, m.headers[i].name_len);
        px_buf_append(&c->cli.out, ": ", 2);
        px_buf_append(&c->cli.out, buf + m.headers[i].value, m.headers[i].value_len);
        px_buf_append(&c->cli.out, "\r\n", 2);
    }
    px_buf_append(&c->cli.out, "\r\n", 2);
    px_sock_flush(&c->cli);
    px_buf_consume(&c->up.in, m.head_len);
    c->state = CS_WS_OPEN;
    c->open_at = px_now_ms();
}

static void ws_relay_rejection(px_conn *c)
{
    px_buf_append(&c->cli.out, px_buf_ptr(&c->up.in), px_buf_size(&c->up.in));
    px_buf_consume(&c->up.in, px_buf_size(&c->up.in));
    px_sock_flush(&c->cli);
    if (c->up.eof || c->cli.eof)
        conn_kill(c, false);
}

/* ---- the per-connection state machine ----------------------------------- */

static void handle_request(px_conn *c)
{
    px_http_msg m;
    int rc = px_http_parse(px_buf_ptr(&c->cli.in), px_buf_size(&c->cli.in), false, false, c->cli.eof, &m);
    if (rc == 0) {
        /* The whole body is needed before a rule can decide: let a client
         * that waits for 100-continue send it. */
        const char *head = px_buf_ptr(&c->cli.in);
        if (m.head_len && !c->sent_continue && px_http_header_has_token(head, &m, "expect", "100-continue")) {
            px_buf_appendf(&c->cli.out, "HTTP/1.1 100 Continue\r\n\r\n");
            px_sock_flush(&c->cli);
            c->sent_continue = true;
        }
        if (c->cli.eof) {
            conn_kill(c, false);
        } else if (px_buf_size(&c->cli.in) > MAX_REQUEST) {
            write_json_response(&c->cli, 413, NULL, NULL, true);
            conn_begin_closing(c);
        }
        return;
    }
    c->sent_continue = false;
    if (rc < 0) {
        write_json_response(&c->cli, 400, NULL, NULL, true);
        conn_begin_closing(c);
        return;
    }
    const char *buf = px_buf_ptr(&c->cli.in);
    snprintf(c->method, sizeof c->method, "%s", m.method);
    const char *q = strchr(m.target, '?');
    free(c->path);
    c->path = px_xstrndup(m.target, q ? (size_t)(q - m.target) : strlen(m.target));
    c->head_req = strcmp(m.method, "HEAD") == 0;
    c->client_close = m.minor == 0 || px_http_header_has_token(buf, &m, "connection", "close");
    c->s->last_activity = px_now_ms();
    if (px_http_header_has_token(buf, &m, "upgrade", "websocket")) {
        ws_begin(c, buf, &m);
    } else {
        http_begin(c, buf, &m);
    }
    if (c->state != CS_DEAD)
        px_buf_consume(&c->cli.in, m.total_len);
}

static void conn_step(px_conn *c)
{
    for (int guard = 0; guard < 64; guard++) {
        conn_state before = c->state;
        size_t pending = px_buf_size(&c->cli.in);
        switch (c->state) {
        case CS_HTTP_REQ:
            if (c->close_when_flushed) { /* answered; hang up once it is sent */
                if (px_buf_size(&c->cli.out) == 0 || c->cli.eof)
                    conn_kill(c, false);
                return;
            }
            handle_request(c);
            break;
        case CS_HTTP_UPSTREAM:
            if (c->cli.eof) {
                conn_kill(c, false);
                return;
            }
            http_await_response(c);
            break;
        case CS_WS_HANDSHAKE:
            if (c->cli.eof) {
                conn_kill(c, false);
                return;
            }
            ws_await_upgrade(c);
            break;
        case CS_WS_OPEN:
            ws_open_step(c);
            return;
        case CS_WS_REJECTED:
            ws_relay_rejection(c);
            return;
        case CS_CLOSING:
            px_buf_consume(&c->cli.in, px_buf_size(&c->cli.in));
            if (c->cli.eof) {
                conn_kill(c, false);
            } else if (px_buf_size(&c->cli.out) == 0 && !c->cli.shut_wr) {
                shutdown(c->cli.fd, SHUT_WR); /* our FIN after the close frame */
                c->cli.shut_wr = true;
            }
            return;
        case CS_HTTP_DELAYED:
        case CS_WS_DELAYED:
            if (c->cli.eof)
                conn_kill(c, false);
            return;
        case CS_DEAD:
            return;
        }
        if (c->state == before && px_buf_size(&c->cli.in) == pending)
            return;
    }
}

static bool timer_fired(const px_conn *c, unsigned id)
{
    for (size_t i = 0; i < c->n_timers_fired; i++)
        if (c->timers_fired[i] == id)
            return true;
    return false;
}

static void run_ws_timers(px_conn *c, int64_t now)
{
    px_session *s = c->s;
    for (px_rule *r = s->rules; r && c->state == CS_WS_OPEN; r = r->next) {
        if (r->match != PX_M_DELAY_AFTER_WS_CONNECT || timer_fired(c, r->id) ||
            (r->times > 0 && r->fired >= r->times) || now < c->open_at + r->delay_ms)
            continue;
        c->timers_fired = realloc(c->timers_fired, (c->n_timers_fired + 1) * sizeof *c->timers_fired);
        if (!c->timers_fired)
            abort();
        c->timers_fired[c->n_timers_fired++] = r->id;
        r->fired++;
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(r->json, "action");
        log_action(s, action, r->label);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
        apply_standalone(c, type->valuestring, action);
    }
    px_rules_reap(&s->rules, now);
}

static void conn_tick(px_conn *c, int64_t now)
{
    switch (c->state) {
    case CS_HTTP_DELAYED:
        if (now >= c->deadline)
            http_forward(c);
        break;
    case CS_WS_DELAYED:
        if (now >= c->deadline)
            ws_connect_upstream(c);
        break;
    case CS_WS_OPEN:
        run_ws_timers(c, now);
        if (c->state == CS_WS_OPEN) {
            release_queue(c, TO_CLIENT, now);
            release_queue(c, TO_SERVER, now);
        }
        break;
    case CS_CLOSING:
        if (now >= c->deadline)
            conn_kill(c, false);
        break;
    default:
        break;
    }
}

/* When this connection next needs attention without I/O; INT64_MAX never. */
static int64_t conn_wakeup(const px_conn *c)
{
    int64_t t = INT64_MAX;
    if (c->state == CS_HTTP_DELAYED || c->state == CS_WS_DELAYED || c->state == CS_CLOSING)
        t = c->deadline;
    if (c->state == CS_WS_OPEN) {
        for (int d = 0; d < 2; d++)
            if (c->q_head[d] && c->q_head[d]->release_at < t)
                t = c->q_head[d]->release_at;
        for (const px_rule *r = c->s->rules; r; r = r->next)
            if (r->match == PX_M_DELAY_AFTER_WS_CONNECT && !timer_fired(c, r->id) && c->open_at + r->delay_ms < t)
                t = c->open_at + r->delay_ms;
    }
    return t;
}

/* ---- sessions ----------------------------------------------------------- */

px_session *px_session_find(px_server *srv, const char *id)
{
    for (px_session *s = srv->sessions; s; s = s->next)
        if (!s->dead && strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

px_session *px_session_create(px_server *srv, const char *id, int port, const px_target *rest,
                              const px_target *realtime, int64_t timeout_ms, const char **err)
{
    int bound = 0;
    int fd = px_listen(srv->host, port, &bound);
    if (fd < 0) {
        *err = "cannot listen on that port";
        return NULL;
    }
    px_session *s = px_xcalloc(1, sizeof *s);
    s->srv = srv;
    if (id)
        snprintf(s->id, sizeof s->id, "%s", id);
    else
        snprintf(s->id, sizeof s->id, "s%u", ++srv->next_session);
    s->listen_fd = fd;
    s->port = bound;
    s->rest = *rest;
    s->realtime = *realtime;
    s->log = cJSON_CreateArray();
    s->timeout_ms = timeout_ms;
    s->last_activity = px_now_ms();
    s->next = srv->sessions;
    srv->sessions = s;
    return s;
}

int px_session_add_rules(px_session *s, const cJSON *rules, bool prepend, const char **err)
{
    if (!rules)
        return 0;
    if (!cJSON_IsArray(rules)) {
        *err = "rules must be an array";
        return -1;
    }
    px_rule *head = NULL, **tail = &head;
    const cJSON *j;
    cJSON_ArrayForEach(j, rules) {
        px_rule *r = px_rule_parse(j, ++s->next_rule_id, err);
        if (!r) {
            while (head) {
                px_rule *n = head->next;
                px_rule_free(head);
                head = n;
            }
            return -1;
        }
        *tail = r;
        tail = &r->next;
    }
    if (prepend) {
        *tail = s->rules;
        s->rules = head;
    } else {
        px_rule **end = &s->rules;
        while (*end)
            end = &(*end)->next;
        *end = head;
    }
    return 0;
}

int px_session_trigger(px_session *s, const cJSON *action, const char **err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
    if (!cJSON_IsString(type)) {
        *err = "action.type is required";
        return -1;
    }
    int touched = 0;
    for (px_conn *c = s->conns; c; c = c->next) {
        if (c->state != CS_WS_OPEN)
            continue;
        if (touched == 0)
            log_action(s, action, NULL);
        if (!apply_standalone(c, type->valuestring, action)) {
            *err = "unknown action type (or message missing)";
            return -1;
        }
        touched++;
    }
    return touched;
}

void px_session_kill(px_session *s)
{
    for (px_conn *c = s->conns; c; c = c->next)
        conn_kill(c, false);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
    s->dead = true;
}

static void session_free(px_session *s)
{
    while (s->conns) {
        px_conn *c = s->conns;
        s->conns = c->next;
        conn_free(c);
    }
    while (s->rules) {
        px_rule *r = s->rules;
        s->rules = r->next;
        px_rule_free(r);
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    cJSON_Delete(s->log);
    free(s);
}

static void session_accept(px_session *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        px_conn *c = px_xcalloc(1, sizeof *c);
        c->s = s;
        px_sock_adopt(&c->cli, fd);
        px_sock_init(&c->up);
        c->state = CS_HTTP_REQ;
        c->next = s->conns;
        s->conns = c;
        s->last_activity = px_now_ms();
    }
}

/* ---- the loop ----------------------------------------------------------- */

typedef enum { REF_CONTROL_LISTEN, REF_SESSION_LISTEN, REF_CTL, REF_CLI, REF_UP } ref_kind;

typedef struct {
    ref_kind kind;
    void *ptr;
} poll_ref;

static void reap(px_server *srv, int64_t now)
{
    for (px_session **sp = &srv->sessions; *sp;) {
        px_session *s = *sp;
        for (px_conn **cp = &s->conns; *cp;) {
            if ((*cp)->state == CS_DEAD) {
                px_conn *dead = *cp;
                *cp = dead->next;
                conn_free(dead);
            } else {
                cp = &(*cp)->next;
            }
        }
        if (!s->dead && s->timeout_ms > 0 && !s->conns && now - s->last_activity > s->timeout_ms)
            px_session_kill(s);
        if (s->dead) {
            *sp = s->next;
            session_free(s);
        } else {
            sp = &s->next;
        }
    }
    px_control_reap(srv, false);
}

static int poll_timeout(px_server *srv, int64_t now)
{
    int64_t next = now + 1000; /* idle sessions are checked once a second */
    for (px_session *s = srv->sessions; s; s = s->next)
        for (px_conn *c = s->conns; c; c = c->next) {
            int64_t t = conn_wakeup(c);
            if (t < next)
                next = t;
        }
    return next <= now ? 0 : (int)(next - now);
}

int px_server_run(px_server *srv, volatile sig_atomic_t *stop)
{
    struct pollfd *pfds = px_xcalloc(MAX_POLL, sizeof *pfds);
    poll_ref *refs = px_xcalloc(MAX_POLL, sizeof *refs);
    void **ctl_refs = px_xcalloc(MAX_POLL, sizeof *ctl_refs);
    while (!*stop) {
        size_t n = 0;
        pfds[n] = (struct pollfd){ .fd = srv->control_fd, .events = POLLIN };
        refs[n++] = (poll_ref){ REF_CONTROL_LISTEN, NULL };
        size_t nctl = px_control_pollfds(srv, pfds + n, ctl_refs, MAX_POLL / 4);
        for (size_t i = 0; i < nctl; i++)
            refs[n++] = (poll_ref){ REF_CTL, ctl_refs[i] };
        for (px_session *s = srv->sessions; s && n + 3 < MAX_POLL; s = s->next) {
            pfds[n] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
            refs[n++] = (poll_ref){ REF_SESSION_LISTEN, s };
            for (px_conn *c = s->conns; c && n + 2 < MAX_POLL; c = c->next) {
                pfds[n] = (struct pollfd){ .fd = c->cli.fd, .events = px_sock_events(&c->cli) };
                refs[n++] = (poll_ref){ REF_CLI, c };
                pfds[n] = (struct pollfd){ .fd = c->up.fd, .events = px_sock_events(&c->up) };
                refs[n++] = (poll_ref){ REF_UP, c };
            }
        }
        int64_t now = px_now_ms();
        int rc = poll(pfds, (nfds_t)n, poll_timeout(srv, now));
        if (rc < 0 && errno != EINTR)
            break;
        for (size_t i = 0; rc > 0 && i < n; i++) {
            if (!pfds[i].revents || pfds[i].fd < 0)
                continue;
            switch (refs[i].kind) {
            case REF_CONTROL_LISTEN:
                px_control_accept(srv);
                break;
            case REF_SESSION_LISTEN:
                if (!((px_session *)refs[i].ptr)->dead)
                    session_accept(refs[i].ptr);
                break;
            case REF_CTL:
                px_control_service(srv, refs[i].ptr, pfds[i].revents);
                break;
            case REF_CLI:
            case REF_UP: {
                px_conn *c = refs[i].ptr;
                if (c->state == CS_DEAD)
                    break;
                px_sock_service(refs[i].kind == REF_CLI ? &c->cli : &c->up, pfds[i].revents);
                c->s->last_activity = px_now_ms();
                conn_step(c);
                break;
            }
            }
        }
        now = px_now_ms();
        for (px_session *s = srv->sessions; s; s = s->next)
            for (px_conn *c = s->conns; c; c = c->next) {
                conn_tick(c, now);
                conn_step(c);
            }
        reap(srv, now);
    }
    free(pfds);
    free(refs);
    free(ctl_refs);
    return 0;
}

void px_server_free(px_server *srv)
{
    while (srv->sessions) {
        px_session *s = srv->sessions;
        srv->sessions = s->next;
        session_free(s);
    }
    px_control_reap(srv, true);
    if (srv->control_fd >= 0)
        close(srv->control_fd);
    free(srv);
}
