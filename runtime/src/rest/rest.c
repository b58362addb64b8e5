/* The REST client: creation and the request pipeline (rest_internal.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>

#include "ably/gen/errors.h"
#include "ably/rest.h"
#include "codec/internal.h"
#include "rest/auth_internal.h"
#include "rest/rest_core.h"

/* Kept in step with project(VERSION) in CMakeLists.txt. */
#define ABLY_LIB_VERSION "0.1.0"
/* The protocol version this library speaks (CSV2, RSC7e). */
#define ABLY_PROTOCOL_VERSION "6"

#define MIME_JSON "application/json"
#define MIME_MSGPACK "application/x-msgpack"

const char *ably_version(void)
{
    return ABLY_LIB_VERSION;
}

/* ---- small helpers ---- */

static void random_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0) {
            /* getrandom only fails before the pool is seeded; fall back to the clock. */
            for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char)(rand() ^ (int)(size_t)&p[i]);
            return;
        }
        p += got;
        n -= (size_t)got;
    }
}

/* RSC7c: url-safe base64 of 12 random bytes (16 characters, no padding). */
static void make_request_id(char out[17])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[12];
    random_bytes(raw, sizeof raw);
    for (int i = 0, o = 0; i < 12; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    out[16] = '\0';
}

int ably_url_encode_append(ably_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (ably_buf_reserve(b, strlen(s) * 3) != 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            b->data[b->len++] = (char)*p;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = hex[*p >> 4];
            b->data[b->len++] = hex[*p & 15];
        }
    }
    b->data[b->len] = '\0';
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *ably_url_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The body format named by a Content-Type, or -1 when unsupported (RSC8d, RSC8e). */
static int format_of(const char *content_type)
{
    if (!content_type)
        return ABLY_FORMAT_JSON;
    while (*content_type == ' ')
        content_type++;
    if (has_prefix_ci(content_type, MIME_JSON))
        return ABLY_FORMAT_JSON;
    if (has_prefix_ci(content_type, MIME_MSGPACK) || has_prefix_ci(content_type, "application/msgpack"))
        return ABLY_FORMAT_MSGPACK;
    return -1;
}

/* ---- client lifetime ---- */

static char *build_agent(const ably_client_options *o)
{
    ably_buf b;
    ably_buf_init(&b);
    ably_buf_append_str(&b, "ably-c/" ABLY_LIB_VERSION);
    struct utsname u;
    if (uname(&u) == 0) {
        char os[sizeof u.sysname];
        size_t i = 0;
        for (; u.sysname[i] && i + 1 < sizeof os; i++)
            os[i] = (char)tolower((unsigned char)u.sysname[i]);
        os[i] = '\0';
        ably_buf_append_str(&b, " ");
        ably_buf_append_str(&b, os);
        ably_buf_append_str(&b, "/");
        /* Only the numeric x.y.z part of the release (RSC7d4). */
        size_t n = strspn(u.release, "0123456789.");
        ably_buf_append(&b, u.release, n ? n : strlen(u.release));
    }
    for (size_t i = 0; o->agents && i < o->agents->count; i++) { /* RSC7d6a */
        ably_buf_append_str(&b, " ");
        ably_buf_append_str(&b, o->agents->items[i].key);
        if (o->agents->items[i].value && *o->agents->items[i].value) {
            ably_buf_append_str(&b, "/");
            ably_buf_append_str(&b, o->agents->items[i].value);
        }
    }
    return ably_buf_detach(&b, NULL);
}

int ably_rest_create(const ably_client_options *opts, ably_rest **out, ably_error *err)
{
    *out = NULL;
    if (!opts) {
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "client options are required");
        return -1;
    }
    if (ably_options_validate(opts, err) != 0)
        return -1;
    ably_rest *r = calloc(1, sizeof *r);
    if (!r) {
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    if (ably_options_copy(&r->opts, &r->storage, opts, err) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return -1;
    }
    if (!r->opts.auth_method)
        r->opts.auth_method = "GET";
    if (!r->opts.port)
        r->opts.port = 80;
    if (!r->opts.tls_port)
        r->opts.tls_port = 443;
    ably_logger_init(&r->log, &r->opts);
    r->transport = opts->http_transport ? opts->http_transport : ably_http_transport_default();
    r->clock = opts->clock ? opts->clock : ably_clock_system();
    r->format = opts->use_binary_protocol ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    if (ably_hosts_resolve(&r->opts, &r->hosts, err) != 0 || !(r->agent = build_agent(&r->opts)) ||
        ably_auth_new(r, &r->opts, &r->auth, err) != 0) {
        if (!ably_error_is_set(err))
            ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        ably_log_error_info(&r->log, ABLY_LOG_ERROR, "client creation failed", err);
        ably_rest_destroy(r);
        return -1;
    }
    ably_string_map ctx = {0};
    ably_string_map_set(&ctx, "host", r->hosts.primary);
    ably_log(&r->log, ABLY_LOG_INFO, &ctx, "Client created (primary host %s, %zu fallback hosts)",
             r->hosts.primary, r->hosts.fallback_count);
    ably_string_map_clear(&ctx);
    *out = r;
    return 0;
}

void ably_rest_destroy(ably_rest *r)
{
    if (!r)
        return;
    ably_rest_channels_free(r->channels);
    ably_auth_free(r->auth);
    ably_hosts_free(&r->hosts);
    free(r->agent);
    ably_options_storage_free(&r->storage);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

ably_auth *ably_rest_auth(ably_rest *r) { return r->auth; }
ably_auth *ably_rest_auth_state(ably_rest *r) { return r->auth; }
ably_format ably_rest_format(const ably_rest *r) { return r->format; }
const ably_client_options *ably_rest_options(const ably_rest *r) { return &r->opts; }
int64_t ably_rest_now_ms(const ably_rest *r) { return r->clock->now_ms(r->clock->ctx); }

void ably_rest_reply_init(ably_rest_reply *reply)
{
    memset(reply, 0, sizeof *reply);
}

void ably_rest_reply_clear(ably_rest_reply *reply)
{
    ably_string_map_clear(&reply->headers);
    ably_buf_free(&reply->body);
    ably_rest_reply_init(reply);
}

/* ---- errors from replies ---- */

/* { "error": ErrorInfo } in either format, decoded with the generic codec. */
typedef struct {
    ably_error *error;
} error_envelope;
static const ably_field_desc envelope_fields[] = {
    {"error", 5, "error", ABLY_FIELD_OBJECT, offsetof(error_envelope, error), 0, &ably_error_desc, NULL, false,
     "RSC8", -1},
};
static const ably_type_desc envelope_desc = {"ErrorResponse", "RSC8", sizeof(error_envelope), envelope_fields, 1};

static bool error_from_body(const ably_rest_reply *reply, ably_error *out)
{
    if (!reply->body.len)
        return false;
    int fmt = format_of(ably_string_map_get(&reply->headers, "content-type"));
    if (fmt < 0)
        return false;
    error_envelope env = {0};
    ably_error ignored = {0};
    bool ok = ably_decode(&envelope_desc, (ably_format)fmt, reply->body.data, reply->body.len, &env, &ignored) == 0 &&
              env.error && (env.error->has_code || env.error->message);
    ably_error_clear(&ignored);
    if (ok) {
        ably_error_clear(out);
        *out = *env.error;
        free(env.error);
        return true;
    }
    ably_value_clear(&envelope_desc, &env);
    return false;
}

static void base64_snippet(const ably_buf *body, ably_buf *out)
{
    size_t n = body->len > 512 ? 512 : body->len;
    if (ably_buf_reserve(out, codec_base64_len(n)) != 0)
        return;
    codec_base64_encode((const unsigned char *)body->data, n, out->data + out->len);
    out->len += codec_base64_len(n);
    out->data[out->len] = '\0';
}

void ably_rest_error_from_reply(const ably_rest_reply *reply, ably_error *err)
{
    ably_error e = {0};
    if (!error_from_body(reply, &e)) {
        const char *code = ably_string_map_get(&reply->headers, "x-ably-errorcode");
        const char *msg = ably_string_map_get(&reply->headers, "x-ably-errormessage");
        int c = code ? atoi(code) : 0;
        if (c <= 0)
            c = reply->status >= 400 && reply->status < 600 ? reply->status * 100 : ABLY_ERR_INTERNAL_ERROR;
        if (msg) {
            ably_error_set(&e, c, reply->status, "%s", msg);
        } else if (format_of(ably_string_map_get(&reply->headers, "content-type")) < 0 && reply->body.len) {
            /* RSC8e1: unsupported content type; show (base64 of) the start of the body. */
            ably_buf snip;
            ably_buf_init(&snip);
            base64_snippet(&reply->body, &snip);
            ably_error_set(&e, c, reply->status, "HTTP status %d with unsupported content type %s; body: %s",
                           reply->status, ably_string_map_get(&reply->headers, "content-type"),
                           snip.data ? snip.data : "");
            ably_buf_free(&snip);
        } else {
            ably_error_set(&e, c, reply->status, "HTTP status %d", reply->status);
        }
    }
    if (!e.has_status_code) {
        e.status_code = reply->status;
        e.has_status_code = true;
    }
    if (err) {
        ably_error_clear(err);
        *err = e;
    } else {
        ably_error_clear(&e);
    }
}

/* ---- URLs and headers ---- */

static int append_query(ably_buf *q, const ably_string_map *params)
{
    for (size_t i = 0; params && i < params->count; i++) {
        if (ably_buf_append_str(q, q->len ? "&" : "?") || ably_url_encode_append(q, params->items[i].key) ||
            ably_buf_append_str(q, "=") || ably_url_encode_append(q, params->items[i].value))
            return -1;
    }
    return 0;
}

/* "host" or "host:port" as used in both the URL and the Host header (RSC15j). */
static void host_port(char *out, size_t size, const char *host, bool tls, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    bool default_port = port == (tls ? 443 : 80);
    if (default_port)
        snprintf(out, size, v6 ? "[%s]" : "%s", host);
    else
        snprintf(out, size, v6 ? "[%s]:%d" : "%s:%d", host, port);
}

static int base_headers(ably_rest *r, const ably_rest_call *call, ably_string_map *h)
{
    const char *mime = r->format == ABLY_FORMAT_MSGPACK ? MIME_MSGPACK : MIME_JSON;
    if (ably_string_map_set(h, "Accept", mime) || ably_string_map_set(h, "X-Ably-Version", ABLY_PROTOCOL_VERSION) ||
        ably_string_map_set(h, "Ably-Agent", r->agent))
        return -1;
    if (call->body && ably_string_map_set(h, "Content-Type", mime))
        return -1;
    for (size_t i = 0; call->headers && i < call->headers->count; i++)
        if (ably_string_map_set(h, call->headers->items[i].key, call->headers->items[i].value))
            return -1;
    return 0;
}

/* ---- host fallback (RSC15) ---- */

static bool qualifies_for_fallback(const ably_http_response *res)
{
    if (res->failure != ABLY_HTTP_OK)
        return true; /* RSC15l1, RSC15l2 */
    if (res->status >= 500 && res->status <= 504)
        return true; /* RSC15l3 */
    const char *server = ably_string_map_get(&res->headers, "server");
    return res->status >= 400 && server && strcasecmp(server, "CloudFront") == 0; /* RSC15l4 */
}

/* The preferred fallback host still in force (RSC15f), or NULL. */
static const char *current_preference(ably_rest *r, int64_t now)
{
    pthread_mutex_lock(&r->lock);
    if (r->preferred_host && now >= r->preferred_until)
        r->preferred_host = NULL;
    const char *host = r->preferred_host;
    pthread_mutex_unlock(&r->lock);
    return host;
}

static void forget_preference(ably_rest *r, const char *host)
{
    pthread_mutex_lock(&r->lock);
    if (r->preferred_host == host)
        r->preferred_host = NULL;
    pthread_mutex_unlock(&r->lock);
}

static void remember_preference(ably_rest *r, const char *host, int64_t now)
{
    pthread_mutex_lock(&r->lock);
    r->preferred_host = host;
    r->preferred_until = now + r->opts.fallback_retry_timeout_ms;
    pthread_mutex_unlock(&r->lock);
}

/* RTN17e: a preference set by the realtime connection lasts until it is unpinned (or
 * fails), so it is marked by a deadline that never passes. */
#define REALTIME_PIN_UNTIL INT64_MAX

void ably_rest_pin_realtime_host(ably_rest *r, const char *host)
{
    const char *match = NULL;
    for (size_t i = 0; host && i < r->hosts.fallback_count; i++)
        if (strcmp(r->hosts.fallbacks[i], host) == 0)
            match = r->hosts.fallbacks[i];
    pthread_mutex_lock(&r->lock);
    if (match) {
        r->preferred_host = match;
        r->preferred_until = REALTIME_PIN_UNTIL;
    } else if (r->preferred_host && r->preferred_until == REALTIME_PIN_UNTIL) {
        r->preferred_host = NULL;
    }
    pthread_mutex_unlock(&r->lock);
}

const char *ably_rest_agent(const ably_rest *r) { return r->agent; }

const ably_logger *ably_rest_logger(ably_rest *r) { return &r->log; }

/* The hosts to try, in order: the preferred fallback if any, the primary, then the
 * other fallbacks shuffled (RSC15a). `order` has room for fallback_count + 2. */
static size_t host_order(ably_rest *r, const char *preferred, const char **order)
{
    size_t n = 0;
    if (preferred)
        order[n++] = preferred;
    order[n++] = r->hosts.primary;
    size_t first_fallback = n;
    for (size_t i = 0; i < r->hosts.fallback_count; i++)
        if (r->hosts.fallbacks[i] != preferred)
            order[n++] = r->hosts.fallbacks[i];
    size_t m = n - first_fallback;
    if (m > 1) {
        uint32_t rnd[16];
        random_bytes(rnd, sizeof rnd);
        for (size_t i = m - 1; i > 0; i--) {
            size_t j = rnd[i % 16] % (i + 1);
            const char *t = order[first_fallback + i];
            order[first_fallback + i] = order[first_fallback + j];
            order[first_fallback + j] = t;
        }
    }
    return n;
}

static void network_error(const ably_http_response *res, const char *host, ably_error *err)
{
    const char *detail = res->detail ? res->detail : "";
    switch (res->failure) {
    case ABLY_HTTP_ERR_TIMEOUT:
    case ABLY_HTTP_ERR_CONNECT_TIMEOUT:
        ably_error_set(err, ABLY_ERR_TIMEOUT_ERROR, 500, "request to %s timed out %s", host, detail);
        break;
    case ABLY_HTTP_ERR_DNS:
        ably_error_set(err, ABLY_ERR_CONNECTION_FAILED, 500, "host %s could not be resolved %s", host, detail);
        break;
    default:
        ably_error_set(err, ABLY_ERR_CONNECTION_FAILED, 500, "could not reach %s %s", host, detail);
        break;
    }
}

static void log_request(ably_rest *r, const char *method, const char *host, const char *path)
{
    if (!ably_log_enabled(&r->log, ABLY_LOG_DEBUG))
        return;
    ably_string_map ctx = {0};
    ably_string_map_set(&ctx, "method", method);
    ably_string_map_set(&ctx, "host", host);
    ably_string_map_set(&ctx, "path", path);
    ably_log(&r->log, ABLY_LOG_DEBUG, &ctx, "HTTP request %s https://%s%s", method, host, path);
    ably_string_map_clear(&ctx);
}

/* One attempt against one host. Fills *res. */
static int attempt(ably_rest *r, const ably_rest_call *call, const char *host, const ably_buf *query,
                   ably_string_map *headers, ably_buf *url, ably_http_response *res)
{
    bool tls = r->opts.tls;
    int port = tls ? r->opts.tls_port : r->opts.port;
    char hp[300];
    host_port(hp, sizeof hp, host, tls, port);
    ably_buf_reset(url);
    if (ably_buf_append_str(url, tls ? "https://" : "http://") || ably_buf_append_str(url, hp) ||
        ably_buf_append_str(url, call->path) || (query->len && ably_buf_append(url, query->data, query->len)) ||
        ably_string_map_set(headers, "Host", hp))
        return -1;
    log_request(r, call->method, host, call->path);
    ably_http_request req = {
        .method = call->method, .url = url->data, .host = host, .port = port, .tls = tls,
        .headers = headers, .body = call->body, .body_len = call->body_len,
        .open_timeout_ms = r->opts.http_open_timeout_ms, .request_timeout_ms = r->opts.http_request_timeout_ms,
    };
    ably_http_response_init(res);
    return r->transport->perform(r->transport->ctx, &req, res);
}

/* Sends the request, falling back across hosts (RSC15). 0 with *reply filled when
 * some host answered in a way that does not call for another host; -1 otherwise. */
static int send_with_fallback(ably_rest *r, const ably_rest_call *call, const ably_buf *query,
                              ably_string_map *headers, ably_rest_reply *reply, ably_error *err)
{
    int64_t start = ably_rest_now_ms(r);
    const char *preferred = current_preference(r, start);
    const char *stack_order[16];
    const char **order = stack_order;
    size_t cap = r->hosts.fallback_count + 2;
    if (cap > 16 && !(order = malloc(cap * sizeof *order))) {
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    size_t n = host_order(r, preferred, order);
    size_t max_attempts = r->hosts.fallback_count ? (size_t)r->opts.http_max_retry_count + 1 : 1;
    if (preferred)
        max_attempts++; /* the preferred host is tried on top of the usual sequence */
    ably_buf url;
    ably_buf_init(&url);
    ably_http_response res;
    ably_http_response_init(&res);
    int rc = -1;
    for (size_t i = 0; i < n && i < max_attempts; i++) {
        ably_http_response_clear(&res);
        if (attempt(r, call, order[i], query, headers, &url, &res) != 0) {
            ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory sending request");
            break;
        }
        /* TO3l6: no further host once httpMaxRetryDuration has passed. */
        bool last = i + 1 >= n || i + 1 >= max_attempts ||
                    ably_rest_now_ms(r) - start > r->opts.http_max_retry_duration_ms;
        if (qualifies_for_fallback(&res)) {
            if (order[i] == preferred)
                forget_preference(r, preferred);
            if (res.failure != ABLY_HTTP_OK)
                network_error(&res, order[i], err);
            if (!last) {
                ably_log(&r->log, ABLY_LOG_WARN, NULL, "request to %s failed (%s %d); trying a fallback host",
                         order[i], res.failure ? "network error" : "status", res.failure ? (int)res.failure : res.status);
                continue;
            }
            if (res.failure != ABLY_HTTP_OK)
                break;
        }
        /* An answer to keep (possibly an error status to report): a network
         * error recorded for an earlier host no longer applies. */
        if (err)
            ably_error_clear(err);
        if (!preferred && order[i] != r->hosts.primary && res.status < 500 && res.failure == ABLY_HTTP_OK)
            remember_preference(r, order[i], ably_rest_now_ms(r));
        reply->status = res.status;
        reply->headers = res.headers;
        reply->body = res.body;
        int fmt = format_of(ably_string_map_get(&res.headers, "content-type"));
        reply->format = fmt < 0 ? r->format : (ably_format)fmt;
        memset(&res.headers, 0, sizeof res.headers);
        ably_buf_init(&res.body);
        rc = 0;
        break;
    }
    ably_http_response_clear(&res);
    ably_buf_free(&url);
    if (order != stack_order)
        free(order);
    return rc;
}

/* ---- the pipeline ---- */

static bool is_token_error(const ably_error *e)
{
    return e->has_code && e->code >= 40140 && e->code < 40150;
}

/* RSC8e2: a success reply must be in a format we can read. */
static int check_success_body(const ably_rest_reply *reply, ably_error *err)
{
    const char *ct = ably_string_map_get(&reply->headers, "content-type");
    if (!reply->body.len || format_of(ct) >= 0)
        return 0;
    ably_buf snip;
    ably_buf_init(&snip);
    base64_snippet(&reply->body, &snip);
    ably_error_set(err, ABLY_ERR_INVALID_DATA_OR_ENCODING, 400,
                   "unsupported content type %s in reply with status %d; body: %s", ct, reply->status,
                   snip.data ? snip.data : "");
    ably_buf_free(&snip);
    return -1;
}

/* RSA7e2: with Basic auth the key alone does not say who the client is, so a
 * clientId from ClientOptions travels base64-encoded in X-Ably-ClientId. (With a
 * token the identity is part of the token.) */
static int add_client_id_header(ably_rest *r, ably_string_map *headers)
{
    const char *id = ably_auth_client_id(r->auth);
    if (!id)
        return 0;
    size_t n = strlen(id);
    char *b64 = malloc(codec_base64_len(n) + 1);
    if (!b64)
        return -1;
    codec_base64_encode((const unsigned char *)id, n, b64);
    b64[codec_base64_len(n)] = '\0';
    int rc = ably_string_map_set(headers, "X-Ably-ClientId", b64);
    free(b64);
    return rc;
}

static int add_authorization(ably_rest *r, ably_string_map *headers, ably_error *err)
{
    char *value = NULL;
    if (ably_auth_authorization(r->auth, &value, err) != 0)
        return -1;
    int rc = ably_string_map_set(headers, "Authorization", value);
    if (rc == 0 && strncmp(value, "Basic ", 6) == 0)
        rc = add_client_id_header(r, headers);
    free(value);
    if (rc != 0)
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    return rc;
}

static void attach_request_id(ably_error *err, const char *request_id)
{
    if (!request_id[0] || !err || err->request_id)
        return;
    err->request_id = strdup(request_id);
}

int ably_rest_perform(ably_rest *r, const ably_rest_call *call, ably_rest_reply *reply, ably_error *err)
{
    ably_rest_reply_clear(reply);
    char request_id[17] = "";
    ably_buf query;
    ably_buf_init(&query);
    ably_string_map headers = {0};
    int rc = -1;
    if (append_query(&query, call->query) != 0)
        goto oom;
    if (r->opts.add_request_ids) { /* RSC7c: one id for every attempt of this request */
        make_request_id(request_id);
        if (ably_buf_append_str(&query, query.len ? "&request_id=" : "?request_id=") ||
            ably_buf_append_str(&query, request_id))
            goto oom;
    }
    for (int token_retries = 0;; token_retries++) {
        ably_string_map_clear(&headers);
        if (base_headers(r, call, &headers) != 0)
            goto oom;
        if (call->authenticated && add_authorization(r, &headers, err) != 0)
            break;
        if (send_with_fallback(r, call, &query, &headers, reply, err) != 0)
            break;
        if (reply->status < 400) {
            rc = check_success_body(reply, err);
            break;
        }
        ably_rest_error_from_reply(reply, err);
        if (!call->authenticated || token_retries > 0 || !is_token_error(err))
            break;
        /* RSA4b, RSC10: renew the token and try once more. */
        ably_error server = *err;
        memset(err, 0, sizeof *err);
        int again = ably_auth_handle_token_error(r->auth, &server, err);
        ably_error_clear(&server);
        if (again != 1)
            break;
        ably_error_clear(err);
        ably_rest_reply_clear(reply);
    }
    goto done;
oom:
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory building request");
done:
    if (rc != 0) {
        attach_request_id(err, request_id);
        ably_log_error_info(&r->log, ABLY_LOG_ERROR, call->path, err);
    }
    ably_string_map_clear(&headers);
    ably_buf_free(&query);
    return rc;
}

int ably_rest_fetch_url(ably_rest *r, const char *method, const char *url, const ably_string_map *query,
                        const ably_string_map *headers, const void *body, size_t body_len,
                        const char *content_type, ably_rest_reply *reply, ably_error *err)
{
    ably_rest_reply_clear(reply);
    ably_buf full;
    ably_buf_init(&full);
    ably_string_map h = {0};
    ably_http_response res;
    ably_http_response_init(&res);
    int rc = -1;
    if (ably_buf_append_str(&full, url) != 0)
        goto oom;
    if (query && query->count) {
        /* Continue an existing query string if the URL has one. */
        ably_buf q;
        ably_buf_init(&q);
        int bad = append_query(&q, query);
        if (!bad && strchr(url, '?') && q.len)
            q.data[0] = '&';
        bad = bad || ably_buf_append(&full, q.data ? q.data : "", q.len);
        ably_buf_free(&q);
        if (bad)
            goto oom;
    }
    for (size_t i = 0; headers && i < headers->count; i++)
        if (ably_string_map_set(&h, headers->items[i].key, headers->items[i].value))
            goto oom;
    if (body && content_type && ably_string_map_set(&h, "Content-Type", content_type))
        goto oom;
    /* Host and port for the transport's benefit (tests, logs). */
    const char *p = strstr(full.data, "://");
    p = p ? p + 3 : full.data;
    size_t hl = strcspn(p, ":/?#");
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(hl < sizeof host ? hl : sizeof host - 1), p);
    bool tls = strncasecmp(full.data, "https:", 6) == 0;
    int port = p[hl] == ':' ? atoi(p + hl + 1) : (tls ? 443 : 80);
    ably_http_request req = {
        .method = method, .url = full.data, .host = host, .port = port, .tls = tls, .headers = &h,
        .body = body, .body_len = body_len,
        .open_timeout_ms = r->opts.http_open_timeout_ms, .request_timeout_ms = r->opts.http_request_timeout_ms,
    };
    log_request(r, method, host, full.data);
    if (r->transport->perform(r->transport->ctx, &req, &res) != 0)
        goto oom;
    if (res.failure != ABLY_HTTP_OK) {
        network_error(&res, host, err);
        goto done;
    }
    reply->status = res.status;
    reply->headers = res.headers;
    reply->body = res.body;
    int fmt = format_of(ably_string_map_get(&res.headers, "content-type"));
    reply->format = fmt < 0 ? ABLY_FORMAT_JSON : (ably_format)fmt;
    memset(&res.headers, 0, sizeof res.headers);
    ably_buf_init(&res.body);
    if (reply->status >= 400) {
        ably_rest_error_from_reply(reply, err);
        goto done;
    }
    rc = 0;
    goto done;
oom:
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
done:
    ably_http_response_clear(&res);
    ably_string_map_clear(&h);
    ably_buf_free(&full);
    return rc;
}
