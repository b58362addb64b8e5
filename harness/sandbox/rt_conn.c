/* Realtime connections: the WebSocket protocol callback, connection state,
 * CONNECTED / HEARTBEAT / CLOSE / AUTH, resume and recover, token expiry,
 * and the outgoing frame queue. */
#include "rt_internal.h"
#include "sbx_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_MS 1000
#define AUTH_AHEAD_MS 30000   /* server AUTH this long before a token expires */

static const struct lws_protocol_vhost_options rt_default_option = { NULL, NULL, "default", "" };
const struct lws_protocol_vhost_options rt_vhost_options = { NULL, &rt_default_option,
                                                             RT_PROTOCOL_NAME, "" };

static struct {
    int vhosts;                 /* protocol inits minus destroys */
    struct lws_context *ctx;
    sbx_map by_key;             /* connectionKey -> rt_conn* (not owned by the map) */
    rt_conn *all;
} rt;

static void rt_on_app_deleting(sbx_app *app);

static const sbx_store_hooks rt_hooks = {
    .message_appended = rt_on_message_appended,
    .channel_freed = rt_on_channel_freed,
    .app_deleting = rt_on_app_deleting,
};

/* ---- errors and small frames ---- */

ably_error *rt_error_new(int status, int code, const char *fmt, ...)
{
    ably_error *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    ably_error_init(e);
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    e->code = code;
    e->has_code = true;
    e->status_code = status;
    e->has_status_code = true;
    e->message = sbx_strdup(text);
    e->href = sbx_sprintf("https://help.ably.io/error/%d", code);
    return e;
}

static void pm_set_action(ably_protocol_message *pm, ably_protocol_message_action a)
{
    ably_protocol_message_init(pm);
    pm->action = a;
    pm->has_action = true;
}

void rt_send_ack(rt_conn *c, int64_t msg_serial, int64_t count, char **serials, size_t n)
{
    ably_protocol_message pm;
    pm_set_action(&pm, ABLY_PROTOCOL_MESSAGE_ACTION_ACK);
    pm.msg_serial = msg_serial;
    pm.has_msg_serial = true;
    pm.count = count;
    pm.has_count = true;
    if (serials && n) {
        pm.res = calloc(1, sizeof *pm.res);
        if (pm.res) {
            ably_publish_result_init(pm.res);
            pm.res_count = 1;
            pm.res->serials = serials;   /* lent for the encode */
            pm.res->serials_count = n;
        }
    }
    rt_conn_send_pm(c, &pm);
    if (pm.res) {
        pm.res->serials = NULL;
        pm.res->serials_count = 0;
    }
    ably_protocol_message_clear(&pm);
}

void rt_send_nack(rt_conn *c, int64_t msg_serial, int64_t count, int status, int code,
                  const char *msg)
{
    ably_protocol_message pm;
    pm_set_action(&pm, ABLY_PROTOCOL_MESSAGE_ACTION_NACK);
    pm.msg_serial = msg_serial;
    pm.has_msg_serial = true;
    pm.count = count;
    pm.has_count = true;
    pm.error = rt_error_new(status, code, "%s", msg);
    rt_conn_send_pm(c, &pm);
    ably_protocol_message_clear(&pm);
}

/* ---- the outgoing queue ---- */

static void queue_push(rt_conn *c, rt_frame *f, bool front)
{
    if (c->out_count >= RT_MAX_QUEUED_FRAMES)
        return; /* a client this far behind has lost continuity anyway */
    rt_out *o = malloc(sizeof *o);
    if (!o)
        return;
    f->refs++;
    o->frame = f;
    if (front) {
        o->next = c->out_head;
        c->out_head = o;
        if (!c->out_tail)
            c->out_tail = o;
    } else {
        o->next = NULL;
        if (c->out_tail)
            c->out_tail->next = o;
        else
            c->out_head = o;
        c->out_tail = o;
    }
    c->out_count++;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

void rt_conn_send(rt_conn *c, rt_frame *f)
{
    if (f)
        queue_push(c, f, false);
}

static void send_pm_at(rt_conn *c, const ably_protocol_message *pm, bool front)
{
    rt_frame *f = rt_frame_encode(pm, c->fmt);
    if (!f) {
        sbx_log(c->srv, 0, "realtime: could not encode a frame for %s", c->id);
        return;
    }
    queue_push(c, f, front);
    rt_frame_release(f);
}

void rt_conn_send_pm(rt_conn *c, const ably_protocol_message *pm)
{
    send_pm_at(c, pm, false);
}

static void queue_clear(rt_conn *c)
{
    while (c->out_head) {
        rt_out *o = c->out_head;
        c->out_head = o->next;
        rt_frame_release(o->frame);
        free(o);
    }
    c->out_tail = NULL;
    c->out_count = 0;
}

static int write_next(struct lws *wsi, rt_conn *c)
{
    rt_out *o = c->out_head;
    if (!o)
        return c->closing ? -1 : 0;
    c->out_head = o->next;
    if (!c->out_head)
        c->out_tail = NULL;
    c->out_count--;
    rt_frame *f = o->frame;
    free(o);
    int w = lws_write(wsi, f->data + LWS_PRE, f->len, f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    rt_frame_release(f);
    if (w < 0)
        return -1;
    if (c->out_head || c->closing)
        lws_callback_on_writable(wsi);
    return 0;
}

/* ---- connection lifecycle ---- */

rt_link *rt_conn_link(rt_conn *c, sbx_channel *ch, bool create)
{
    for (rt_link *l = c->links; l; l = l->next)
        if (l->ch == ch)
            return l;
    if (!create)
        return NULL;
    rt_link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->conn = c;
    l->ch = ch;
    l->next = c->links;
    c->links = l;
    return l;
}

static void conn_free(rt_conn *c)
{
    lws_sul_cancel(&c->sul_expire);
    lws_sul_cancel(&c->sul_grace);
    lws_sul_cancel(&c->sul_token);
    lws_sul_cancel(&c->sul_heartbeat);
    while (c->links) {
        rt_link *l = c->links;
        c->links = l->next;
        if (l->attached && l->ch)
            rt_chan_unsubscribe(rt_chan_of(l->ch), l);
        free(l);
    }
    queue_clear(c);
    if (c->key && sbx_map_get(&rt.by_key, c->key) == c)
        sbx_map_remove(&rt.by_key, c->key);
    if (c->prev_all)
        c->prev_all->next_all = c->next_all;
    else if (rt.all == c)
        rt.all = c->next_all;
    if (c->next_all)
        c->next_all->prev_all = c->prev_all;
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    sbx_principal_clear(&c->principal);
    free(c->client_id);
    free(c->id);
    free(c->key);
    free(c->rx);
    free(c);
}

static rt_conn *conn_new(struct lws *wsi, sbx_server *srv)
{
    rt_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    c->srv = srv;
    c->echo = true;
    c->presence_grace_ms = RT_PRESENCE_GRACE_MS;
    c->next_all = rt.all;
    if (rt.all)
        rt.all->prev_all = c;
    rt.all = c;
    lws_set_opaque_user_data(wsi, c);
    return c;
}

#define CONN_OF(sul, field) lws_container_of(sul, rt_conn, field)

static void on_expire(lws_sorted_usec_list_t *sul)
{
    rt_conn *c = CONN_OF(sul, sul_expire);
    sbx_log(c->srv, 3, "realtime: connection %s expired", c->id);
    rt_presence_leave_all(c);
    conn_free(c);
}

static void on_grace(lws_sorted_usec_list_t *sul)
{
    rt_presence_leave_all(CONN_OF(sul, sul_grace));
}

static void schedule(lws_sorted_usec_list_t *sul, sul_cb_t cb, int64_t ms)
{
    lws_sul_schedule(rt.ctx, 0, sul, cb, (lws_usec_t)(ms < 0 ? 0 : ms) * US_PER_MS);
}

static void on_heartbeat(lws_sorted_usec_list_t *sul)
{
    rt_conn *c = CONN_OF(sul, sul_heartbeat);
    if (c->wsi) {
        ably_protocol_message pm;
        pm_set_action(&pm, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT);
        rt_conn_send_pm(c, &pm);
        ably_protocol_message_clear(&pm);
    }
    schedule(&c->sul_heartbeat, on_heartbeat, RT_MAX_IDLE_INTERVAL_MS);
}

/* Fatal for this transport: send an error frame, then close. `keep` leaves
 * the connection resumable (DISCONNECTED); otherwise it is freed. */
static void conn_fail(rt_conn *c, ably_protocol_message_action action, ably_error *err, bool keep)
{
    ably_protocol_message pm;
    pm_set_action(&pm, action);
    pm.error = err;
    rt_conn_send_pm(c, &pm);
    ably_protocol_message_clear(&pm);
    c->closing = true;
    c->freed_on_close = !keep;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

static void on_token(lws_sorted_usec_list_t *sul)
{
    rt_conn *c = CONN_OF(sul, sul_token);
    if (!c->principal.expires) /* Basic auth never expires */
        return;
    int64_t left = c->principal.expires - sbx_now_ms();
    if (left > 0 && !c->token_warned) {
        /* RTN22: ask the client to renew before the token runs out. */
        c->token_warned = true;
        ably_protocol_message pm;
        pm_set_action(&pm, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH);
        rt_conn_send_pm(c, &pm);
        ably_protocol_message_clear(&pm);
        schedule(&c->sul_token, on_token, left);
        return;
    }
    if (left > 0) {
        schedule(&c->sul_token, on_token, left);
        return;
    }
    /* RTN15h: an expired token disconnects; the client renews and resumes. */
    if (c->wsi)
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_DISCONNECTED,
                  rt_error_new(401, 40142, "Token expired"), true);
}

static void schedule_token(rt_conn *c)
{
    lws_sul_cancel(&c->sul_token);
    c->token_warned = false;
    if (!c->principal.expires) /* Ably tokens and JWTs expire; Basic auth does not */
        return;
    int64_t left = c->principal.expires - sbx_now_ms();
    if (left > 2 * AUTH_AHEAD_MS)
        schedule(&c->sul_token, on_token, left - AUTH_AHEAD_MS);
    else {
        c->token_warned = true; /* too short-lived to warn: let it expire */
        schedule(&c->sul_token, on_token, left);
    }
}

/* ---- the handshake ---- */

static void add_query(sbx_request *req, char *name, char *value)
{
    sbx_pair *grown = realloc(req->query, (req->query_count + 1) * sizeof *grown);
    if (!grown || !name || !value) {
        free(name);
        free(value);
        if (grown)
            req->query = grown;
        return;
    }
    req->query = grown;
    grown[req->query_count].name = name;
    grown[req->query_count].value = value;
    req->query_count++;
}

/* The upgrade request's query and Authorization as an sbx_request, so the
 * REST authentication code applies unchanged. */
static void read_handshake(struct lws *wsi, sbx_request *req)
{
    memset(req, 0, sizeof *req);
    for (int i = 0;; i++) {
        int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len <= 0)
            break;
        char *frag = malloc((size_t)len + 1);
        if (!frag || lws_hdr_copy_fragment(wsi, frag, len + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
            free(frag);
            break;
        }
        char *eq = strchr(frag, '=');
        add_query(req, eq ? sbx_strndup(frag, (size_t)(eq - frag)) : sbx_strdup(frag),
                  sbx_strdup(eq ? eq + 1 : ""));
        free(frag);
    }
    int alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (alen > 0) {
        char *v = malloc((size_t)alen + 1);
        if (v && lws_hdr_copy(wsi, v, alen + 1, WSI_TOKEN_HTTP_AUTHORIZATION) >= 0) {
            sbx_pair *h = calloc(1, sizeof *h);
            if (h) {
                h->name = sbx_strdup("authorization");
                h->value = v;
                req->headers = h;
                req->header_count = 1;
                v = NULL;
            }
        }
        free(v);
    }
}

static void send_connected(rt_conn *c, ably_error *err, bool front)
{
    ably_protocol_message pm;
    pm_set_action(&pm, ABLY_PROTOCOL_MESSAGE_ACTION_CONNECTED);
    pm.connection_id = sbx_strdup(c->id);
    pm.error = err;
    ably_connection_details *d = calloc(1, sizeof *d);
    if (d) {
        ably_connection_details_init(d);
        d->client_id = sbx_strdup(c->client_id);
        d->connection_key = sbx_strdup(c->key);
        d->max_message_size = RT_MAX_MESSAGE_SIZE;
        d->has_max_message_size = true;
        d->max_frame_size = RT_MAX_FRAME_SIZE;
        d->has_max_frame_size = true;
        d->max_inbound_rate = RT_MAX_INBOUND_RATE;
        d->has_max_inbound_rate = true;
        d->connection_state_ttl = RT_CONNECTION_STATE_TTL_MS;
        d->has_connection_state_ttl = true;
        d->max_idle_interval = RT_MAX_IDLE_INTERVAL_MS;
        d->has_max_idle_interval = true;
        d->server_id = sbx_strdup("ably-sandbox");
        d->site_code = sbx_strdup("local");
        pm.connection_details = d;
    }
    send_pm_at(c, &pm, front);
    ably_protocol_message_clear(&pm);
}

/* The effective clientId from the credentials and ?clientId=; false (with
 * *why) when they disagree (40102). */
static bool resolve_client_id(const sbx_principal *p, const char *requested, char **out)
{
    const char *granted = p->client_id;
    *out = NULL;
    if (granted && strcmp(granted, "*") != 0) {
        if (requested && strcmp(requested, granted) != 0)
            return false;
        *out = sbx_strdup(granted);
        return true;
    }
    if (requested && !granted && !p->basic)
        return false; /* a token without a clientId cannot take one */
    *out = requested ? sbx_strdup(requested) : NULL;
    return true;
}

static bool query_true(const sbx_request *req, const char *name, bool dflt)
{
    const char *v = sbx_query(req, name);
    if (!v)
        return dflt;
    return strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
}

/* Moves a freshly authenticated principal into the connection, fixing the
 * one self-referencing pointer (a JWT's own capability). */
static void adopt_principal(rt_conn *c, sbx_principal *np)
{
    bool own = np->cap == &np->own_cap;
    sbx_principal_clear(&c->principal);
    c->principal = *np;
    memset(np, 0, sizeof *np);
    if (own)
        c->principal.cap = &c->principal.own_cap;
    /* Publish checks (sbx_check_messages) then see the connection's identity;
     * without one, the credentials' own ("*" or none) stays. */
    if (c->client_id)
        c->principal.client_id = c->client_id;
}

/* A resumed transport takes over the old connection's state. */
static rt_conn *resume_into(rt_conn *fresh, rt_conn *old)
{
    struct lws *wsi = fresh->wsi;
    if (old->wsi) {
        lws_set_opaque_user_data(old->wsi, NULL);
        lws_set_timeout(old->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    lws_sul_cancel(&old->sul_expire);
    lws_sul_cancel(&old->sul_grace);
    old->wsi = wsi;
    old->fmt = fresh->fmt;
    old->echo = fresh->echo;
    old->closing = false;
    old->freed_on_close = false;
    old->presence_grace_ms = fresh->presence_grace_ms;
    free(old->client_id);
    old->client_id = fresh->client_id;
    fresh->client_id = NULL;
    adopt_principal(old, &fresh->principal);
    fresh->wsi = NULL;
    conn_free(fresh);
    lws_set_opaque_user_data(wsi, old);
    return old;
}

/* As Ably does, every resumed or recovered transport gets a fresh connectionKey for
 * the same connectionId (RTN16d: the client must take the new key). Keeps the old
 * key when memory runs out. */
static void rekey(rt_conn *c)
{
    char *secret = sbx_random_id(16);
    char *key = c->id && secret ? sbx_sprintf("%s!%s", c->id, secret) : NULL;
    free(secret);
    if (!key || sbx_map_put(&rt.by_key, key, c) != 0) {
        free(key);
        return;
    }
    if (c->key && sbx_map_get(&rt.by_key, c->key) == c)
        sbx_map_remove(&rt.by_key, c->key);
    free(c->key);
    c->key = key;
}

static void on_open(struct lws *wsi)
{
    sbx_server *srv = lws_context_user(lws_get_context(wsi));
    rt_conn *c = conn_new(wsi, srv);
    if (!c) {
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    sbx_request req;
    read_handshake(wsi, &req);
    const char *fmt = sbx_query(&req, "format");
    c->fmt = fmt && strcmp(fmt, "msgpack") == 0 ? SBX_FMT_MSGPACK : SBX_FMT_JSON;
    c->echo = query_true(&req, "echo", true);
    int64_t grace;
    const char *rpf = sbx_query(&req, "remainPresentFor");
    if (rpf && sbx_parse_i64(rpf, &grace) && grace >= 0)
        c->presence_grace_ms = grace;

    sbx_auth_error aerr;
    sbx_principal np;
    if (sbx_authenticate(srv, &req, &np, &aerr) != 0) {
        sbx_principal_clear(&np);
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(aerr.status, aerr.code, "%s", aerr.message), false);
        sbx_request_clear(&req);
        return;
    }
    if (!resolve_client_id(&np, sbx_query(&req, "clientId"), &c->client_id)) {
        sbx_principal_clear(&np);
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(401, 40102, "clientId is incompatible with the credentials"), false);
        sbx_request_clear(&req);
        return;
    }
    adopt_principal(c, &np);

    const char *resume = sbx_query(&req, "resume");
    if (!resume)
        resume = sbx_query(&req, "recover");
    ably_error *resume_err = NULL;
    if (resume) {
        rt_conn *old = strchr(resume, '!') ? sbx_map_get(&rt.by_key, resume) : NULL;
        if (!strchr(resume, '!'))
            resume_err = rt_error_new(400, 80018, "Invalid connection key: %s", resume);
        else if (!old || old->principal.app != c->principal.app)
            resume_err = rt_error_new(400, 80008, "Unable to recover connection: %s not found "
                                      "or expired", resume);
        else {
            c = resume_into(c, old);
            rekey(c);
            sbx_log(srv, 3, "realtime: %s resumed", c->id);
            send_connected(c, NULL, true);
            schedule_token(c);
            schedule(&c->sul_heartbeat, on_heartbeat, RT_MAX_IDLE_INTERVAL_MS);
            sbx_request_clear(&req);
            return;
        }
    }
    c->id = sbx_random_id(12);
    char *secret = sbx_random_id(16);
    c->key = c->id && secret ? sbx_sprintf("%s!%s", c->id, secret) : NULL;
    free(secret);
    if (!c->key || sbx_map_put(&rt.by_key, c->key, c) != 0) {
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR, rt_error_new(500, 50000, "Out of memory"),
                  false);
        free(resume_err);
        sbx_request_clear(&req);
        return;
    }
    sbx_log(srv, 3, "realtime: %s connected", c->id);
    send_connected(c, resume_err, false);
    schedule_token(c);
    schedule(&c->sul_heartbeat, on_heartbeat, RT_MAX_IDLE_INTERVAL_MS);
    sbx_request_clear(&req);
}

/* ---- in-band AUTH (RTC8) ---- */

static void handle_auth(rt_conn *c, const ably_protocol_message *pm)
{
    const char *token = pm->auth ? pm->auth->access_token : NULL;
    if (!token) {
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(401, 40101, "AUTH without an accessToken"), false);
        return;
    }
    sbx_request req;
    memset(&req, 0, sizeof req);
    add_query(&req, sbx_strdup("accessToken"), sbx_strdup(token));
    sbx_principal np;
    sbx_auth_error aerr;
    int rc = sbx_authenticate(c->srv, &req, &np, &aerr);
    sbx_request_clear(&req);
    if (rc != 0) {
        sbx_principal_clear(&np);
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(aerr.status, aerr.code, "%s", aerr.message), false);
        return;
    }
    char *cid = NULL;
    if (np.app != c->principal.app || !resolve_client_id(&np, c->client_id, &cid) ||
        (c->client_id && !cid) || (!c->client_id && cid && strcmp(cid, "*") != 0 && np.client_id &&
                                   strcmp(np.client_id, "*") != 0)) {
        free(cid);
        sbx_principal_clear(&np);
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(401, 40102, "New credentials are incompatible with the connection"),
                  false);
        return;
    }
    free(c->client_id);
    c->client_id = cid;
    adopt_principal(c, &np);
    schedule_token(c);
    send_connected(c, NULL, false);
    rt_recheck_capabilities(c);
}

/* ---- incoming frames ---- */

static void handle_frame(rt_conn *c, const unsigned char *data, size_t len, bool binary)
{
    ably_protocol_message pm;
    ably_error err;
    ably_error_init(&err);
    if (ably_decode(&ably_protocol_message_desc, binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON,
                    data, len, &pm, &err) != 0) {
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(400, 40000, "Malformed ProtocolMessage: %s",
                               err.message ? err.message : "?"), false);
        ably_error_clear(&err);
        return;
    }
    ably_error_clear(&err);
    if (c->closing || !pm.has_action) {
        ably_protocol_message_clear(&pm);
        return;
    }
    switch (pm.action) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT: {
        ably_protocol_message reply;
        pm_set_action(&reply, ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT);
        reply.id = pm.id;
        rt_conn_send_pm(c, &reply);
        reply.id = NULL;
        ably_protocol_message_clear(&reply);
        break;
    }
    case ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE:
        rt_presence_leave_all(c);
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSED, NULL, false);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_DISCONNECT:
        c->closing = true;
        lws_callback_on_writable(c->wsi);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH:
        rt_handle_attach(c, &pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_DETACH:
        rt_handle_detach(c, &pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE:
        rt_handle_message(c, &pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE:
        rt_handle_presence(c, &pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION:
        rt_handle_annotation(c, &pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_AUTH:
        handle_auth(c, &pm);
        break;
    default:
        sbx_log(c->srv, 3, "realtime: ignoring action %d", (int)pm.action);
        break;
    }
    ably_protocol_message_clear(&pm);
}

static int on_receive(struct lws *wsi, rt_conn *c, const void *in, size_t len)
{
    bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi) &&
                                                     !lws_remaining_packet_payload(wsi);
    if (first && !c->rx_len)
        c->rx_binary = lws_frame_is_binary(wsi);
    if (first && final && !c->rx_len) {
        handle_frame(c, in, len, c->rx_binary);
        return 0;
    }
    if (c->rx_len + len > RT_MAX_FRAME_SIZE) {
        free(c->rx);
        c->rx = NULL;
        c->rx_len = 0;
        conn_fail(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR,
                  rt_error_new(400, 40009, "Frame exceeds %d bytes", RT_MAX_FRAME_SIZE), false);
        return 0;
    }
    unsigned char *grown = realloc(c->rx, c->rx_len + len + 1);
    if (!grown)
        return -1;
    memcpy(grown + c->rx_len, in, len);
    c->rx = grown;
    c->rx_len += len;
    if (final) {
        unsigned char *buf = c->rx;
        size_t n = c->rx_len;
        c->rx = NULL;
        c->rx_len = 0;
        handle_frame(c, buf, n, c->rx_binary);
        free(buf);
    }
    return 0;
}

/* The transport went away. A CLOSE (or fatal error) frees the connection;
 * anything else keeps it resumable for connectionStateTtl, and its presence
 * members for the grace period. */
static void on_transport_closed(rt_conn *c)
{
    c->wsi = NULL;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
    if (c->freed_on_close || !c->key) {
        conn_free(c);
        return;
    }
    lws_sul_cancel(&c->sul_heartbeat);
    c->closing = false;
    schedule(&c->sul_expire, on_expire, RT_CONNECTION_STATE_TTL_MS);
    schedule(&c->sul_grace, on_grace, c->presence_grace_ms);
}

void rt_on_channel_freed(sbx_channel *ch)
{
    for (rt_conn *c = rt.all; c; c = c->next_all)
        for (rt_link *l = c->links; l; l = l->next)
            if (l->ch == ch) {
                l->ch = NULL;
                l->attached = false;
                l->entered = false;
            }
    rt_chan_free(ch->rt);
    ch->rt = NULL;
}

static void rt_on_app_deleting(sbx_app *app)
{
    for (rt_conn *c = rt.all, *next; c; c = next) {
        next = c->next_all;
        if (c->principal.app == app)
            conn_free(c);
    }
}

static void rt_shutdown(void)
{
    while (rt.all)
        conn_free(rt.all);
    sbx_map_destroy(&rt.by_key);
    rt_free_all_channels();
    sbx_store_set_hooks(NULL);
}

int rt_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    (void)user;
    rt_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
        if (rt.vhosts++ == 0) {
            rt.ctx = lws_get_context(wsi);
            sbx_map_init(&rt.by_key, NULL);
            sbx_store_set_hooks(&rt_hooks);
        }
        return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
        if (rt.vhosts > 0 && --rt.vhosts == 0)
            rt_shutdown();
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        on_open(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return c ? on_receive(wsi, c, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? write_next(wsi, c) : -1;
    case LWS_CALLBACK_CLOSED:
        if (c) {
            lws_set_opaque_user_data(wsi, NULL);
            on_transport_closed(c);
        }
        return 0;
    default:
        return 0;
    }
}
