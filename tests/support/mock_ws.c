/* The mock WebSocket transport: see mock_ws.h. */
#include "mock_ws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"

typedef enum { ACT_OPEN, ACT_FRAME, ACT_CLOSE, ACT_PING, ACT_REFUSE, ACT_DNS } act_kind;

typedef struct act {
    act_kind kind;
    size_t attempt;
    ably_buf frame; /* ACT_FRAME: bytes as the client gets them */
    bool binary;
    bool server;    /* ACT_CLOSE: server-side (SERVER_DISCONNECT) vs client close */
    struct act *next;
} act;

typedef struct {
    ably_protocol_message pm;
    size_t attempt;
    ably_buf raw; /* the bytes as sent (JSON text or msgpack) */
} sent_frame;

struct mock_ws {
    ably_ws_transport vt;
    const ably_ws_events *ev;
    void *engine;
    mock_ws_attempt *attempts;
    size_t attempt_count;
    sent_frame *sent;
    size_t sent_count;
    size_t event_counts[MOCK_WS_CLIENT_CLOSE + 1];
    act *head, *tail;
    mock_ws_attempt_fn on_attempt;
    void *on_attempt_ctx;
    mock_ws_message_fn on_message;
    void *on_message_ctx;
    bool created;
};

static void count_event(mock_ws *m, mock_ws_event_type t) { m->event_counts[t]++; }

static act *push(mock_ws *m, act_kind kind, size_t attempt)
{
    act *a = calloc(1, sizeof *a);
    assert_non_null(a);
    a->kind = kind;
    a->attempt = attempt;
    ably_buf_init(&a->frame);
    if (m->tail)
        m->tail->next = a;
    else
        m->head = a;
    m->tail = a;
    return a;
}

/* ---- the transport ---- */

static int t_create(void *factory_ctx, const ably_ws_events *events, void *engine, void **out)
{
    mock_ws *m = factory_ctx;
    m->ev = events;
    m->engine = engine;
    m->created = true;
    *out = m;
    return 0;
}

static char *url_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len + 0 + 1 && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[w++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[w++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[w] = 0;
    return out;
}

static void parse_query(ably_string_map *q, const char *url)
{
    const char *p = strchr(url, '?');
    p = p ? p + 1 : NULL;
    while (p && *p) {
        size_t pair = strcspn(p, "&");
        const char *eq = memchr(p, '=', pair);
        size_t kl = eq ? (size_t)(eq - p) : pair;
        char *k = url_decode(p, kl);
        char *v = eq ? url_decode(eq + 1, pair - kl - 1) : strdup("");
        ably_string_map_set(q, k, v);
        free(k);
        free(v);
        p = p[pair] ? p + pair + 1 : NULL;
    }
}

static int t_open(void *inst, uint64_t conn, const ably_ws_connect_params *p)
{
    mock_ws *m = inst;
    m->attempts = realloc(m->attempts, (m->attempt_count + 1) * sizeof *m->attempts);
    mock_ws_attempt *a = &m->attempts[m->attempt_count];
    memset(a, 0, sizeof *a);
    a->conn = conn;
    a->url = strdup(p->url);
    a->host = strdup(p->host);
    a->port = p->port;
    a->tls = p->tls;
    a->binary = p->binary;
    parse_query(&a->query, p->url);
    size_t i = m->attempt_count++;
    count_event(m, MOCK_WS_CONNECTION_ATTEMPT);
    if (m->on_attempt)
        m->on_attempt(m->on_attempt_ctx, m, i);
    return 0;
}

static size_t attempt_of(mock_ws *m, uint64_t conn)
{
    for (size_t i = 0; i < m->attempt_count; i++)
        if (m->attempts[i].conn == conn)
            return i;
    fail_msg("mock_ws: unknown connection %llu", (unsigned long long)conn);
    return 0;
}

static int t_send(void *inst, uint64_t conn, const void *data, size_t len, bool binary)
{
    mock_ws *m = inst;
    size_t i = attempt_of(m, conn);
    if (!m->attempts[i].open || m->attempts[i].closed)
        return -1;
    m->sent = realloc(m->sent, (m->sent_count + 1) * sizeof *m->sent);
    sent_frame *f = &m->sent[m->sent_count];
    f->attempt = i;
    ably_buf_init(&f->raw);
    assert_int_equal(ably_buf_append(&f->raw, data, len), 0);
    ably_error err = {0};
    int rc = binary ? ably_protocol_message_from_msgpack(&f->pm, data, len, &err)
                    : ably_protocol_message_from_json(&f->pm, data, len, &err);
    if (rc != 0)
        fail_msg("mock_ws: client sent an undecodable frame: %s", err.message ? err.message : "?");
    assert_int_equal(binary, m->attempts[i].binary);
    m->sent_count++;
    count_event(m, MOCK_WS_MESSAGE_FROM_CLIENT);
    if (m->on_message)
        m->on_message(m->on_message_ctx, m, i, &f->pm);
    return 0;
}

static void t_close(void *inst, uint64_t conn)
{
    mock_ws *m = inst;
    size_t i = attempt_of(m, conn);
    if (m->attempts[i].client_closed)
        return;
    m->attempts[i].client_closed = true;
    count_event(m, MOCK_WS_CLIENT_CLOSE);
    act *a = push(m, ACT_CLOSE, i); /* on_close follows asynchronously */
    a->server = false;
}

static void deliver(mock_ws *m, act *a)
{
    mock_ws_attempt *at = &m->attempts[a->attempt];
    switch (a->kind) {
    case ACT_OPEN:
        if (at->closed)
            break;
        at->open = true;
        count_event(m, MOCK_WS_CONNECTION_SUCCESS);
        m->ev->on_open(m->engine, at->conn);
        break;
    case ACT_FRAME:
        if (at->closed || !at->open)
            break;
        count_event(m, MOCK_WS_MESSAGE_TO_CLIENT);
        m->ev->on_message(m->engine, at->conn, a->frame.data, a->frame.len, a->binary);
        break;
    case ACT_PING:
        if (at->closed || !at->open)
            break;
        count_event(m, MOCK_WS_PING_FRAME);
        m->ev->on_ping(m->engine, at->conn);
        break;
    case ACT_REFUSE:
    case ACT_DNS:
        if (at->closed)
            break;
        at->closed = true;
        count_event(m, MOCK_WS_CONNECTION_FAILURE);
        m->ev->on_close(m->engine, at->conn, a->kind == ACT_DNS ? ABLY_WS_CLOSED_DNS : ABLY_WS_CLOSED_REFUSED,
                        a->kind == ACT_DNS ? "DNS lookup failed" : "connection refused");
        break;
    case ACT_CLOSE:
        if (at->closed)
            break;
        at->closed = true;
        if (a->server)
            count_event(m, MOCK_WS_SERVER_DISCONNECT);
        m->ev->on_close(m->engine, at->conn, a->server ? ABLY_WS_CLOSED_ERROR : ABLY_WS_CLOSED_CLEAN,
                        a->server ? "server closed the connection" : "closed");
        break;
    }
}

static void t_service(void *inst, int timeout_ms)
{
    (void)timeout_ms;
    mock_ws *m = inst;
    /* Deliver only what was queued before this call; later actions wait for the next. */
    act *end = m->tail;
    while (m->head) {
        act *a = m->head;
        m->head = a->next;
        if (!m->head)
            m->tail = NULL;
        deliver(m, a);
        ably_buf_free(&a->frame);
        bool last = a == end;
        free(a);
        if (last)
            break;
    }
}

static void t_wake(void *inst) { (void)inst; }
static void t_destroy(void *inst)
{
    mock_ws *m = inst;
    m->ev = NULL;
    m->engine = NULL;
}

mock_ws *mock_ws_new(void)
{
    mock_ws *m = calloc(1, sizeof *m);
    m->vt = (ably_ws_transport){t_create, t_open, t_send, t_close, t_service, t_wake, t_destroy, true, m};
    return m;
}

void mock_ws_free(mock_ws *m)
{
    if (!m)
        return;
    while (m->head) {
        act *a = m->head;
        m->head = a->next;
        ably_buf_free(&a->frame);
        free(a);
    }
    for (size_t i = 0; i < m->attempt_count; i++) {
        free(m->attempts[i].url);
        free(m->attempts[i].host);
        ably_string_map_clear(&m->attempts[i].query);
    }
    free(m->attempts);
    for (size_t i = 0; i < m->sent_count; i++) {
        ably_protocol_message_clear(&m->sent[i].pm);
        ably_buf_free(&m->sent[i].raw);
    }
    free(m->sent);
    free(m);
}

const ably_ws_transport *mock_ws_transport(mock_ws *m) { return &m->vt; }
void mock_ws_set_observes_pings(mock_ws *m, bool observes) { m->vt.observes_ping_frames = observes; }

void mock_ws_on_attempt(mock_ws *m, mock_ws_attempt_fn fn, void *ctx)
{
    m->on_attempt = fn;
    m->on_attempt_ctx = ctx;
}

void mock_ws_on_message(mock_ws *m, mock_ws_message_fn fn, void *ctx)
{
    m->on_message = fn;
    m->on_message_ctx = ctx;
}

ably_realtime *mock_ws_client(mock_ws *m, const ably_client_options *o, const ably_realtime_config *cfg)
{
    ably_realtime_config c = {0};
    if (cfg)
        c = *cfg;
    c.mode = ABLY_REALTIME_APP_DRIVEN;
    c.ws_transport = &m->vt;
    if (!c.random_seed)
        c.random_seed = 42;
    ably_realtime *rt = NULL;
    ably_error err = {0};
    if (ably_realtime_create(o, &c, &rt, &err) != 0)
        fail_msg("ably_realtime_create: %lld %s", (long long)err.code, err.message ? err.message : "");
    return rt;
}

/* ---- server actions ---- */

static void queue_frame(mock_ws *m, size_t i, const char *json)
{
    assert_true(i < m->attempt_count);
    act *a = push(m, ACT_FRAME, i);
    a->binary = m->attempts[i].binary;
    if (a->binary)
        assert_int_equal(mock_json_to_msgpack(json, &a->frame), 0);
    else
        ably_buf_append_str(&a->frame, json);
}

void mock_ws_respond_success(mock_ws *m, size_t i, const char *connected_json)
{
    assert_true(i < m->attempt_count);
    push(m, ACT_OPEN, i);
    if (connected_json)
        queue_frame(m, i, connected_json);
}

void mock_ws_respond_refused(mock_ws *m, size_t i) { push(m, ACT_REFUSE, i); }
void mock_ws_respond_dns_error(mock_ws *m, size_t i) { push(m, ACT_DNS, i); }

void mock_ws_respond_error(mock_ws *m, size_t i, const char *json)
{
    push(m, ACT_OPEN, i);
    mock_ws_send_and_close(m, i, json);
}

void mock_ws_send(mock_ws *m, size_t i, const char *json) { queue_frame(m, i, json); }

void mock_ws_send_and_close(mock_ws *m, size_t i, const char *json)
{
    queue_frame(m, i, json);
    mock_ws_simulate_disconnect(m, i);
}

void mock_ws_simulate_disconnect(mock_ws *m, size_t i)
{
    act *a = push(m, ACT_CLOSE, i);
    a->server = true;
}

void mock_ws_send_ping_frame(mock_ws *m, size_t i) { push(m, ACT_PING, i); }

const char *mock_ws_connected_json(const char *connection_id, const char *connection_key, int64_t max_idle_ms,
                                   int64_t ttl_ms)
{
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"action\":4,\"connectionId\":\"%s\",\"connectionDetails\":{\"connectionKey\":\"%s\","
             "\"maxIdleInterval\":%lld,\"connectionStateTtl\":%lld}}",
             connection_id, connection_key, (long long)max_idle_ms, (long long)ttl_ms);
    return buf;
}

/* ---- inspection ---- */

size_t mock_ws_attempt_count(const mock_ws *m) { return m->attempt_count; }

const mock_ws_attempt *mock_ws_get_attempt(const mock_ws *m, size_t i)
{
    assert_true(i < m->attempt_count);
    return &m->attempts[i];
}

const char *mock_ws_query(const mock_ws *m, size_t i, const char *name)
{
    return ably_string_map_get(&mock_ws_get_attempt(m, i)->query, name);
}

size_t mock_ws_sent_count(const mock_ws *m) { return m->sent_count; }

const ably_protocol_message *mock_ws_sent(const mock_ws *m, size_t i)
{
    assert_true(i < m->sent_count);
    return &m->sent[i].pm;
}

const void *mock_ws_sent_raw(const mock_ws *m, size_t i, size_t *len)
{
    assert_true(i < m->sent_count);
    *len = m->sent[i].raw.len;
    return m->sent[i].raw.data;
}

size_t mock_ws_sent_attempt(const mock_ws *m, size_t i)
{
    assert_true(i < m->sent_count);
    return m->sent[i].attempt;
}

const ably_protocol_message *mock_ws_last_sent(const mock_ws *m, ably_protocol_message_action action)
{
    for (size_t i = m->sent_count; i > 0; i--)
        if (m->sent[i - 1].pm.has_action && m->sent[i - 1].pm.action == action)
            return &m->sent[i - 1].pm;
    return NULL;
}

size_t mock_ws_count_sent(const mock_ws *m, ably_protocol_message_action action)
{
    size_t n = 0;
    for (size_t i = 0; i < m->sent_count; i++)
        n += m->sent[i].pm.has_action && m->sent[i].pm.action == action;
    return n;
}

size_t mock_ws_event_count(const mock_ws *m, mock_ws_event_type type) { return m->event_counts[type]; }
bool mock_ws_pending(const mock_ws *m) { return m->head != NULL; }

/* ---- driving ---- */

void mock_ws_pump(mock_ws *m, ably_realtime *rt)
{
    for (int i = 0; i < 1000; i++) {
        ably_realtime_service(rt, 0);
        if (!mock_ws_pending(m) && ably_realtime_next_timeout_ms(rt) != 0)
            return;
    }
    fail_msg("mock_ws_pump: the client never became idle");
}

void mock_ws_advance(mock_ws *m, mock_http *h, ably_realtime *rt, int64_t ms)
{
    mock_ws_pump(m, rt);
    while (ms > 0) {
        int64_t next = ably_realtime_next_timeout_ms(rt);
        int64_t step = next < 0 || next > ms ? ms : next;
        mock_http_advance(h, step);
        ms -= step;
        mock_ws_pump(m, rt);
    }
}

/* ---- state recorder ---- */

static void record(void *ctx, const ably_connection_state_change *c)
{
    mock_ws_changes *rec = ctx;
    if (!c || rec->count >= sizeof rec->items / sizeof rec->items[0])
        return;
    mock_ws_change *x = &rec->items[rec->count++];
    x->previous = c->previous;
    x->current = c->current;
    x->event = c->event;
    x->has_reason = c->reason != NULL;
    x->reason_code = c->reason ? c->reason->code : 0;
    x->reason_status = c->reason ? c->reason->status_code : 0;
    x->has_retry_in = c->has_retry_in;
    x->retry_in = c->retry_in_ms;
}

void mock_ws_record_changes(ably_realtime *rt, mock_ws_changes *rec)
{
    memset(rec, 0, sizeof *rec);
    assert_true(ably_connection_on(rt, ABLY_CONN_EVENT_ANY, record, rec) != 0);
}

bool mock_ws_changes_contain(const mock_ws_changes *rec, const ably_connection_event *seq, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < rec->count && j < n; i++)
        if (rec->items[i].event == seq[j])
            j++;
    return j == n;
}

/* ---- fixture ---- */

void mock_rt_init(mock_rt *t)
{
    memset(t, 0, sizeof *t);
    t->h = mock_http_new();
    t->m = mock_ws_new();
    ably_client_options_init(&t->o);
    t->o.key = "appId.keyId:keySecret";
    t->o.auto_connect = false;
    mock_http_install(t->h, &t->o);
}

void mock_rt_start(mock_rt *t, const ably_realtime_config *cfg)
{
    t->rt = mock_ws_client(t->m, &t->o, cfg);
    mock_ws_record_changes(t->rt, &t->rec);
}

void mock_rt_free(mock_rt *t)
{
    ably_realtime_destroy(t->rt);
    mock_ws_free(t->m);
    mock_http_free(t->h);
    t->rt = NULL;
}

size_t mock_rt_last_attempt(mock_rt *t)
{
    assert_true(mock_ws_attempt_count(t->m) > 0);
    return mock_ws_attempt_count(t->m) - 1;
}

size_t mock_rt_connect(mock_rt *t, const char *id, const char *key)
{
    size_t before = mock_ws_attempt_count(t->m);
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(mock_ws_attempt_count(t->m), before + 1);
    size_t i = before;
    mock_ws_respond_success(t->m, i, mock_ws_connected_json(id, key, 15000, 120000));
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(ably_connection_get_state(t->rt), ABLY_CONN_CONNECTED);
    return i;
}

static int numbered_token(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                          ably_token_request *tr, ably_error *err)
{
    (void)params;
    (void)td;
    (void)tr;
    mock_tokens *tokens = ctx;
    tokens->calls++;
    if (tokens->fail_from && tokens->calls >= tokens->fail_from) {
        ably_error_set(err, 40171, 401, "token renewal failed");
        return -1;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "token-%d", tokens->calls);
    *token = strdup(buf);
    return 0;
}

void mock_rt_use_tokens(mock_rt *t, mock_tokens *tokens)
{
    memset(tokens, 0, sizeof *tokens);
    t->o.key = NULL;
    t->o.auth_callback = numbered_token;
    t->o.auth_callback_ctx = tokens;
}

void mock_rt_send(mock_rt *t, size_t i, const char *json)
{
    mock_ws_send(t->m, i, json);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_accept(mock_rt *t, size_t i, const char *connected_json)
{
    mock_ws_respond_success(t->m, i, connected_json);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_refuse(mock_rt *t, size_t i)
{
    mock_ws_respond_refused(t->m, i);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_server_closes(mock_rt *t, size_t i, const char *json)
{
    mock_ws_send_and_close(t->m, i, json);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_drop(mock_rt *t, size_t i)
{
    mock_ws_simulate_disconnect(t->m, i);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_refuse_with(mock_rt *t, size_t i, const char *json)
{
    mock_ws_respond_error(t->m, i, json);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_start_connecting(mock_rt *t)
{
    mock_rt_start(t, NULL);
    ably_connection_connect(t->rt);
    mock_ws_pump(t->m, t->rt);
}

void mock_rt_close(mock_rt *t)
{
    ably_connection_close(t->rt);
    mock_ws_pump(t->m, t->rt);
    mock_ws_send(t->m, mock_rt_last_attempt(t), "{\"action\":8}");
    mock_ws_pump(t->m, t->rt);
    assert_int_equal(ably_connection_get_state(t->rt), ABLY_CONN_CLOSED);
}

size_t mock_rt_start_connected(mock_rt *t, const char *id, const char *key)
{
    mock_rt_start(t, NULL);
    return mock_rt_connect(t, id, key);
}

ably_connection_state mock_rt_state(mock_rt *t) { return ably_connection_get_state(t->rt); }

int64_t mock_rt_error_code(mock_rt *t)
{
    ably_error e = {0};
    if (ably_connection_error_reason(t->rt, &e) != 1)
        return 0;
    int64_t code = e.code;
    ably_error_clear(&e);
    return code;
}
