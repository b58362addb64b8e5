#include "sbx_http.h"
#include "sbx_faults.h"
#include "rt_realtime.h"
#include "sbx_server.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

#define WRITE_CHUNK 32768
#define HEADER_SPACE 8192

/* Per-connection state. lws zeroes it when the connection opens; keep-alive
 * reuses it, so every transaction starts with session_reset. */
typedef struct {
    sbx_request req;
    sbx_response resp;
    size_t sent;
    bool active;          /* a transaction is in flight */
    bool head_sent;       /* status line and headers written */
    bool body_too_large;
    bool awaiting_body;
} sbx_session;

static sbx_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void session_reset(sbx_session *s)
{
    sbx_request_clear(&s->req);
    sbx_response_clear(&s->resp);
    s->sent = 0;
    s->active = s->head_sent = s->body_too_large = s->awaiting_body = false;
}

static sbx_method method_of(int lws_method)
{
    switch (lws_method) {
    case LWSHUMETH_GET: return SBX_GET;
    case LWSHUMETH_POST: return SBX_POST;
    case LWSHUMETH_PUT: return SBX_PUT;
    case LWSHUMETH_PATCH: return SBX_PATCH;
    case LWSHUMETH_DELETE: return SBX_DELETE;
    case LWSHUMETH_HEAD: return SBX_HEAD;
    case LWSHUMETH_OPTIONS: return SBX_OPTIONS;
    default: return SBX_METHOD_OTHER;
    }
}

static void add_pair(sbx_pair **pairs, size_t *count, char *name, char *value)
{
    sbx_pair *grown = realloc(*pairs, (*count + 1) * sizeof *grown);
    if (!grown || !name || !value) {
        if (grown)
            *pairs = grown;
        free(name);
        free(value);
        return;
    }
    *pairs = grown;
    grown[*count].name = name;
    grown[*count].value = value;
    (*count)++;
}

static void copy_token_header(struct lws *wsi, sbx_request *req, enum lws_token_indexes tok,
                              const char *name)
{
    int len = lws_hdr_total_length(wsi, tok);
    if (len <= 0)
        return;
    char *value = malloc((size_t)len + 1);
    if (value && lws_hdr_copy(wsi, value, len + 1, tok) < 0) {
        free(value);
        return;
    }
    add_pair(&req->headers, &req->header_count, sbx_strdup(name), value);
}

static void copy_custom_header(struct lws *wsi, sbx_request *req, const char *name)
{
    char lws_name[64];
    int nlen = snprintf(lws_name, sizeof lws_name, "%s:", name);
    int len = lws_hdr_custom_length(wsi, lws_name, nlen);
    if (len <= 0)
        return;
    char *value = malloc((size_t)len + 1);
    if (value && lws_hdr_custom_copy(wsi, value, len + 1, lws_name, nlen) < 0) {
        free(value);
        return;
    }
    add_pair(&req->headers, &req->header_count, sbx_strdup(name), value);
}

/* lws has already percent-decoded each "name=value" fragment. */
static void copy_query(struct lws *wsi, sbx_request *req)
{
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
        char *name = eq ? sbx_strndup(frag, (size_t)(eq - frag)) : sbx_strdup(frag);
        char *value = sbx_strdup(eq ? eq + 1 : "");
        free(frag);
        add_pair(&req->query, &req->query_count, name, value);
    }
}

static void read_request_head(struct lws *wsi, sbx_session *s, const char *uri)
{
    char *uri_ptr;
    int uri_len;
    s->req.method = method_of(lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_len));
    s->req.path = sbx_strdup(uri && *uri ? uri : "/");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HTTP_AUTHORIZATION, "authorization");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HTTP_ACCEPT, "accept");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HTTP_TRANSFER_ENCODING, "transfer-encoding");
    copy_token_header(wsi, &s->req, WSI_TOKEN_HOST, "host");
    copy_custom_header(wsi, &s->req, "x-ably-clientid");
    copy_custom_header(wsi, &s->req, "x-ably-version");
    copy_custom_header(wsi, &s->req, "ably-agent");
    copy_query(wsi, &s->req);
}

static int write_head(struct lws *wsi, sbx_session *s)
{
    unsigned char buf[LWS_PRE + HEADER_SPACE];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    sbx_response *r = &s->resp;
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->content_type,
                                    (lws_filepos_t)r->body_len, &p, end))
        return -1;
    for (size_t i = 0; i < r->header_count; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s:", r->headers[i].name);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)r->headers[i].value,
                                        (int)strlen(r->headers[i].value), &p, end))
            return -1;
    }
    if (r->close_connection &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                     &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    s->head_sent = true;
    return 0;
}

static int respond(struct lws *wsi, sbx_session *s)
{
    sbx_server *srv = server_of(wsi);
    if (s->body_too_large) {
        sbx_respond_error(&s->req, &s->resp, 413, 40009,
                          "Request body exceeds the %zu byte limit", srv->max_body);
        s->resp.close_connection = true;
    } else {
        /* Fault rules and their control endpoint (sbx_faults.h) come first. */
        sbx_fault_outcome fault = sbx_faults_intercept(wsi, &s->req, &s->resp);
        if (fault == SBX_FAULT_CLOSE)
            return -1;
        if (fault == SBX_FAULT_HANG) {
            s->awaiting_body = false; /* answer nothing; the armed timeout closes it */
            return 0;
        }
        if (fault == SBX_FAULT_PASS)
            sbx_dispatch(srv, &s->req, &s->resp);
    }
    if (!s->resp.status)
        sbx_respond_error(&s->req, &s->resp, 500, 50000, "Handler produced no response");
    sbx_log(srv, 3, "%s -> %d", s->req.path, s->resp.status);
    s->awaiting_body = false;
    /* Everything is written from the WRITEABLE callback, and the transaction is
     * completed in the same callback that writes its last byte. Writing the
     * head here instead let a client see a complete empty response and send its
     * next keep-alive request before the transaction was closed; lws 4.1 then
     * parked those bytes and spun on them in its rxflow service. */
    lws_callback_on_writable(wsi);
    return 0;
}

/* Finishes the transaction; non-zero means close the connection. */
static int finish(struct lws *wsi, sbx_session *s)
{
    bool close = s->resp.close_connection;
    session_reset(s);
    if (close)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int write_some(struct lws *wsi, sbx_session *s)
{
    sbx_response *r = &s->resp;
    if (!s->active || s->awaiting_body || !r->status)
        return 0;
    if (!s->head_sent) {
        if (write_head(wsi, s))
            return -1;
        if (r->body_len == 0)
            return finish(wsi, s);
        if (lws_send_pipe_choked(wsi)) { /* the body waits for the next WRITEABLE */
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    if (s->sent >= r->body_len)
        return finish(wsi, s);
    size_t n = r->body_len - s->sent;
    if (n > WRITE_CHUNK)
        n = WRITE_CHUNK;
    bool last = s->sent + n == r->body_len;
    unsigned char *buf = malloc(LWS_PRE + n);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, r->body + s->sent, n);
    int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (w < (int)n)
        return -1;
    s->sent += n;
    if (last)
        return finish(wsi, s);
    lws_callback_on_writable(wsi);
    return 0;
}

static bool expects_body(const sbx_request *req)
{
    const char *cl = sbx_header(req, "content-length");
    int64_t n = 0;
    if (cl && sbx_parse_i64(cl, &n) && n > 0)
        return true;
    return sbx_header(req, "transfer-encoding") != NULL;
}

static int on_http(struct lws *wsi, sbx_session *s, const char *uri)
{
    sbx_server *srv = server_of(wsi);
    session_reset(s);
    s->active = true;
    read_request_head(wsi, s, uri);
    const char *cl = sbx_header(&s->req, "content-length");
    int64_t declared = 0;
    if (cl && sbx_parse_i64(cl, &declared) && declared > (int64_t)srv->max_body) {
        /* Answer now and close: the unread body cannot be skipped safely. */
        s->body_too_large = true;
        return respond(wsi, s);
    }
    if (expects_body(&s->req)) {
        s->awaiting_body = true;
        return 0;
    }
    return respond(wsi, s);
}

static int on_body(struct lws *wsi, sbx_session *s, const void *in, size_t len)
{
    sbx_server *srv = server_of(wsi);
    if (!s->awaiting_body || s->body_too_large)
        return 0;
    if (s->req.body_len + len > srv->max_body) {
        s->body_too_large = true;
        free(s->req.body);
        s->req.body = NULL;
        s->req.body_len = 0;
        return 0;
    }
    char *grown = realloc(s->req.body, s->req.body_len + len + 1);
    if (!grown)
        return -1;
    memcpy(grown + s->req.body_len, in, len);
    s->req.body = grown;
    s->req.body_len += len;
    grown[s->req.body_len] = '\0';
    return 0;
}

static int sbx_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                             void *in, size_t len)
{
    sbx_session *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, s, in);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(wsi, s, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (s->awaiting_body)
            return respond(wsi, s);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_some(wsi, s);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (s)
            session_reset(s);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct lws_protocols sbx_http_protocols[] = {
    { "http", sbx_http_callback, sizeof(sbx_session), 0, 0, NULL, 0 },
    RT_PROTOCOL_ENTRY, /* WebSocket upgrades: the realtime protocol (rt_realtime.h) */
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};
