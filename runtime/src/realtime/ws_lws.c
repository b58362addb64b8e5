/* The default WebSocket transport: a libwebsockets client (TLS through OpenSSL), one
 * lws_context per realtime client, serviced only by the client's loop thread.
 *
 * Events are delivered only from `service`: opens and frames from inside lws_service,
 * closes parked and delivered once lws_service has returned (lws may report a close
 * synchronously inside lws_client_connect_via_info), so the engine is never
 * re-entered from open / send / close.
 *
 * Outgoing frames go into one reusable byte queue per connection ([len][binary][bytes]
 * records) and are written one per WRITEABLE callback from a reusable buffer with the
 * LWS_PRE headroom lws needs: no allocation per frame once the buffers have grown.
 */
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ably/realtime.h"
#include "realtime/engine.h"

typedef struct lws_conn {
    uint64_t id;
    struct lws *wsi;
    struct lws_ws *owner;
    ably_buf outq;         /* queued frames */
    size_t outq_off;       /* first unsent byte */
    ably_buf rx;           /* a message being reassembled from fragments */
    bool closing;          /* close requested: kill on next writeable */
    bool close_reported;
    struct lws_conn *next;
} lws_conn;

typedef struct {
    uint64_t conn;
    ably_ws_close_reason why;
    char detail[128];
} parked_close;

typedef struct lws_ws {
    struct lws_context *ctx;
    const ably_ws_events *ev;
    void *engine;
    lws_conn *conns;
    ably_buf wbuf;         /* LWS_PRE + frame, reused */
    bool in_service;
    parked_close parked[16];
    size_t parked_count;
    lws_sorted_usec_list_t wake_sul;
    SSL_CTX *tls;          /* the shared client SSL_CTX (one reference), or NULL */
} lws_ws;

static void conn_free(lws_conn *c)
{
    ably_buf_free(&c->outq);
    ably_buf_free(&c->rx);
    free(c);
}

static void unlink_conn(lws_ws *w, lws_conn *c)
{
    for (lws_conn **pp = &w->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

static lws_conn *find_conn(lws_ws *w, uint64_t id)
{
    for (lws_conn *c = w->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void report_close(lws_ws *w, lws_conn *c, ably_ws_close_reason why, const char *detail)
{
    if (c->close_reported)
        return;
    c->close_reported = true;
    /* Always parked, delivered when lws_service returns: the engine may be inside
     * open() (e.g. reconnecting from its own close handler) when lws reports. */
    if (w->parked_count < sizeof w->parked / sizeof w->parked[0]) {
        parked_close *p = &w->parked[w->parked_count++];
        p->conn = c->id;
        p->why = why;
        snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "");
    }
}

static ably_ws_close_reason classify(const char *msg)
{
    if (!msg)
        return ABLY_WS_CLOSED_ERROR;
    if (strstr(msg, "refused") || strstr(msg, "connect failed") || strstr(msg, "ECONNREFUSED"))
        return ABLY_WS_CLOSED_REFUSED;
    if (strstr(msg, "DNS") || strstr(msg, "dns") || strstr(msg, "resolve"))
        return ABLY_WS_CLOSED_DNS;
    if (strstr(msg, "timeout") || strstr(msg, "timed out"))
        return ABLY_WS_CLOSED_TIMEOUT;
    return ABLY_WS_CLOSED_ERROR;
}

static void write_one(lws_ws *w, lws_conn *c)
{
    if (c->outq_off >= c->outq.len)
        return;
    const unsigned char *rec = (const unsigned char *)c->outq.data + c->outq_off;
    uint32_t len;
    memcpy(&len, rec, 4);
    bool binary = rec[4] != 0;
    ably_buf_reset(&w->wbuf);
    if (ably_buf_reserve(&w->wbuf, LWS_PRE + len) != 0)
        return;
    memcpy(w->wbuf.data + LWS_PRE, rec + 5, len);
    lws_write(c->wsi, (unsigned char *)w->wbuf.data + LWS_PRE, len, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    c->outq_off += 5 + len;
    if (c->outq_off >= c->outq.len) {
        ably_buf_reset(&c->outq);
        c->outq_off = 0;
    } else {
        lws_callback_on_writable(c->wsi);
    }
}

static int lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    lws_conn *c = user;
    lws_ws *w = c ? c->owner : NULL;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c) {
            c->wsi = wsi;
            if (c->closing)
                return -1;
            w->ev->on_open(w->engine, c->id);
            if (c->outq.len)
                lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c || c->closing)
            break;
        if (lws_is_first_fragment(wsi))
            ably_buf_reset(&c->rx);
        if (lws_is_final_fragment(wsi) && c->rx.len == 0) { /* whole message: no copy */
            w->ev->on_message(w->engine, c->id, in, len, lws_frame_is_binary(wsi) != 0);
        } else {
            ably_buf_append(&c->rx, in, len);
            if (lws_is_final_fragment(wsi)) {
                w->ev->on_message(w->engine, c->id, c->rx.data, c->rx.len, lws_frame_is_binary(wsi) != 0);
                ably_buf_reset(&c->rx);
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!c)
            break;
        if (c->closing)
            return -1;
        write_one(w, c);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c)
            report_close(w, c, classify(in), in ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c)
            report_close(w, c, ABLY_WS_CLOSED_CLEAN, "connection closed");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            report_close(w, c, ABLY_WS_CLOSED_ERROR, "connection lost");
            unlink_conn(w, c);
            conn_free(c);
            lws_set_wsi_user(wsi, NULL);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"ably", lws_cb, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* One client SSL_CTX shared by every lws_context in the process. Left to itself, lws
 * builds a private SSL_CTX per context and loads the OS CA store into it: about 880 KB
 * per realtime client. An SSL_CTX is safe to share across threads once configured;
 * peer and host name verification are set per connection by lws, not on the SSL_CTX.
 * Configured as lws configures its own; refcounted so the last client frees it. */
static pthread_mutex_t shared_tls_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *shared_tls_ctx;
static size_t shared_tls_refs;

static SSL_CTX *shared_tls_acquire(void)
{
    pthread_mutex_lock(&shared_tls_lock);
    if (!shared_tls_ctx) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (ctx) {
            SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
            SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
            SSL_CTX_set_default_verify_paths(ctx); /* the OS CA store, once per process */
        }
        shared_tls_ctx = ctx;
    }
    if (shared_tls_ctx)
        shared_tls_refs++;
    SSL_CTX *ctx = shared_tls_ctx;
    pthread_mutex_unlock(&shared_tls_lock);
    return ctx;
}

static void shared_tls_release(SSL_CTX *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&shared_tls_lock);
    if (--shared_tls_refs == 0) {
        SSL_CTX_free(shared_tls_ctx);
        shared_tls_ctx = NULL;
    }
    pthread_mutex_unlock(&shared_tls_lock);
}

/* lws logs process-wide, to stderr, with start-up notices on every context. The
 * library reports what matters through its own log and state events, so only lws's
 * errors stay; set once, before the first context, so an application that calls
 * lws_set_log_level itself afterwards keeps its choice. */
static pthread_once_t quiet_lws_once = PTHREAD_ONCE_INIT;

static void quiet_lws(void)
{
    lws_set_log_level(LLL_ERR, NULL);
}

static int t_create(void *factory_ctx, const ably_ws_events *events, void *engine, void **out)
{
    (void)factory_ctx;
    pthread_once(&quiet_lws_once, quiet_lws);
    lws_ws *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.fd_limit_per_thread = 8;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    w->tls = shared_tls_acquire(); /* NULL: lws makes its own, as before */
    info.provided_client_ssl_ctx = w->tls;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        shared_tls_release(w->tls);
        free(w);
        return -1;
    }
    w->ev = events;
    w->engine = engine;
    ably_buf_init(&w->wbuf);
    *out = w;
    return 0;
}

static int t_open(void *inst, uint64_t id, const ably_ws_connect_params *p)
{
    lws_ws *w = inst;
    lws_conn *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->id = id;
    c->owner = w;
    ably_buf_init(&c->outq);
    ably_buf_init(&c->rx);
    c->next = w->conns;
    w->conns = c;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = w->ctx;
    ci.address = p->host;
    ci.port = p->port;
    ci.path = p->path;
    ci.host = p->host;
    ci.origin = p->host;
    ci.ssl_connection = p->tls ? LCCSCF_USE_SSL : 0;
    ci.protocol = NULL;
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    if (!lws_client_connect_via_info(&ci)) {
        /* lws may already have reported an error (and destroyed the wsi, freeing c) */
        lws_conn *still = find_conn(w, id);
        if (still) {
            report_close(w, still, ABLY_WS_CLOSED_REFUSED, "could not start the connection");
            still->wsi = NULL;
        } else if (w->parked_count < sizeof w->parked / sizeof w->parked[0]) {
            bool parked = false;
            for (size_t i = 0; i < w->parked_count; i++)
                parked |= w->parked[i].conn == id;
            if (!parked) {
                parked_close *pc = &w->parked[w->parked_count++];
                pc->conn = id;
                pc->why = ABLY_WS_CLOSED_REFUSED;
                snprintf(pc->detail, sizeof pc->detail, "could not start the connection");
            }
        }
    }
    return 0;
}

static int t_send(void *inst, uint64_t id, const void *data, size_t len, bool binary)
{
    lws_ws *w = inst;
    lws_conn *c = find_conn(w, id);
    if (!c || c->closing || len > UINT32_MAX)
        return -1;
    uint32_t l = (uint32_t)len;
    unsigned char b = binary ? 1 : 0;
    if (ably_buf_append(&c->outq, &l, 4) || ably_buf_append(&c->outq, &b, 1) ||
        ably_buf_append(&c->outq, data, len))
        return -1;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static void t_close(void *inst, uint64_t id)
{
    lws_ws *w = inst;
    lws_conn *c = find_conn(w, id);
    if (!c)
        return;
    c->closing = true;
    if (c->wsi) {
        lws_callback_on_writable(c->wsi);
    } else {
        unlink_conn(w, c); /* never got a wsi: nothing will report on it */
        conn_free(c);
    }
}

static void deliver_parked(lws_ws *w)
{
    for (size_t i = 0; i < w->parked_count; i++)
        w->ev->on_close(w->engine, w->parked[i].conn, w->parked[i].why, w->parked[i].detail);
    w->parked_count = 0;
}

static void wake_cb(lws_sorted_usec_list_t *sul) { (void)sul; }

static void t_service(void *inst, int timeout_ms)
{
    lws_ws *w = inst;
    w->in_service = true;
    deliver_parked(w);
    if (timeout_ms > 0)
        lws_sul_schedule(w->ctx, 0, &w->wake_sul, wake_cb, (lws_usec_t)timeout_ms * 1000);
    lws_service(w->ctx, timeout_ms > 0 ? 0 : -1); /* -1: poll without waiting */
    lws_sul_cancel(&w->wake_sul);
    deliver_parked(w);
    w->in_service = false;
}

static void t_wake(void *inst)
{
    lws_ws *w = inst;
    lws_cancel_service(w->ctx);
}

static void t_destroy(void *inst)
{
    lws_ws *w = inst;
    for (lws_conn *c = w->conns; c; c = c->next)
        c->close_reported = true; /* no events any more */
    w->in_service = true;         /* lws_context_destroy may still call back */
    lws_context_destroy(w->ctx);
    shared_tls_release(w->tls); /* lws never frees a provided SSL_CTX */
    while (w->conns) { /* any lws did not destroy through WSI_DESTROY */
        lws_conn *c = w->conns;
        w->conns = c->next;
        conn_free(c);
    }
    ably_buf_free(&w->wbuf);
    free(w);
}

static const ably_ws_transport lws_transport = {
    .create = t_create,
    .open = t_open,
    .send = t_send,
    .close = t_close,
    .service = t_service,
    .wake = t_wake,
    .destroy = t_destroy,
    .observes_ping_frames = false, /* lws answers pings itself without telling us: heartbeats=true */
    .factory_ctx = NULL,
};

const ably_ws_transport *ably_ws_transport_lws(void) { return &lws_transport; }
