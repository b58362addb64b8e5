/* The UTS mock HTTP client; see mock_http.h. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "codec/internal.h"
#include "mock_http.h"

typedef struct {
    ably_http_failure failure;
    int status;
    char *content_type;
    ably_buf body;
    ably_string_map headers;
    int64_t delay_ms;
    char *host;
} queued_reply;

struct mock_http {
    pthread_mutex_t lock;
    ably_http_transport transport;
    ably_clock clock;
    int64_t now;
    mock_request **requests;
    size_t count;
    queued_reply *queue;
    size_t queued;
    mock_handler handler;
    void *handler_ctx;
};

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

static void free_request(mock_request *r)
{
    free(r->method);
    free(r->url);
    free(r->scheme);
    free(r->host);
    free(r->path);
    ably_string_map_clear(&r->query);
    ably_string_map_clear(&r->headers);
    ably_buf_free(&r->body);
    free(r);
}

static void free_queued(queued_reply *q)
{
    free(q->content_type);
    ably_buf_free(&q->body);
    ably_string_map_clear(&q->headers);
    free(q->host);
}

static int hexv(int c) { return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10; }

static char *decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            o[j++] = (char)(hexv((unsigned char)s[i + 1]) * 16 + hexv((unsigned char)s[i + 2]));
            i += 2;
        } else {
            o[j++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    o[j] = '\0';
    return o;
}

static mock_request *record(mock_http *m, const ably_http_request *req)
{
    mock_request *r = calloc(1, sizeof *r);
    r->method = dup0(req->method);
    r->url = dup0(req->url);
    r->host = dup0(req->host);
    r->port = req->port;
    r->request_timeout_ms = req->request_timeout_ms;
    const char *sep = strstr(req->url, "://");
    r->scheme = strndup(req->url, sep ? (size_t)(sep - req->url) : 0);
    const char *after = sep ? sep + 3 : req->url;
    if (*after == '[')
        after = strchr(after, ']') ? strchr(after, ']') : after;
    const char *path = strchr(after, '/');
    if (!path)
        path = "/";
    size_t plen = strcspn(path, "?");
    r->path = strndup(path, plen);
    const char *q = path[plen] == '?' ? path + plen + 1 : NULL;
    while (q && *q) {
        size_t pair = strcspn(q, "&");
        const char *eq = memchr(q, '=', pair);
        size_t kl = eq ? (size_t)(eq - q) : pair;
        char *k = decode(q, kl);
        char *v = eq ? decode(eq + 1, pair - kl - 1) : strdup("");
        ably_string_map_set(&r->query, k, v);
        free(k);
        free(v);
        q = q[pair] ? q + pair + 1 : NULL;
    }
    for (size_t i = 0; req->headers && i < req->headers->count; i++)
        ably_string_map_set(&r->headers, req->headers->items[i].key, req->headers->items[i].value);
    ably_buf_init(&r->body);
    if (req->body)
        ably_buf_append(&r->body, req->body, req->body_len);
    pthread_mutex_lock(&m->lock);
    r->at_ms = m->now;
    m->requests = realloc(m->requests, (m->count + 1) * sizeof *m->requests);
    m->requests[m->count++] = r;
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void to_queued(const mock_reply *in, queued_reply *q)
{
    memset(q, 0, sizeof *q);
    q->failure = in->failure;
    q->status = in->status;
    q->delay_ms = in->delay_ms;
    q->host = dup0(in->host);
    ably_buf_init(&q->body);
    if (in->body) {
        size_t n = in->body_len ? in->body_len : strlen(in->body);
        ably_buf_append(&q->body, in->body, n);
        q->content_type = strdup(in->content_type ? in->content_type : "application/json");
    } else if (in->content_type) {
        q->content_type = strdup(in->content_type);
    }
    for (size_t i = 0; in->headers && in->headers[i] && in->headers[i + 1]; i += 2)
        ably_string_map_set(&q->headers, in->headers[i], in->headers[i + 1]);
}

/* Takes the first queued reply for this host; false when none. */
static bool dequeue(mock_http *m, const char *host, queued_reply *out)
{
    bool found = false;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->queued; i++) {
        if (m->queue[i].host && strcmp(m->queue[i].host, host) != 0)
            continue;
        *out = m->queue[i];
        memmove(&m->queue[i], &m->queue[i + 1], (m->queued - i - 1) * sizeof *m->queue);
        m->queued--;
        found = true;
        break;
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void lower_set(ably_string_map *h, const char *name, const char *value)
{
    char low[128];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[i] = '\0';
    ably_string_map_set(h, low, value);
}

static int mock_perform(void *ctx, const ably_http_request *req, ably_http_response *res)
{
    mock_http *m = ctx;
    mock_request *r = record(m, req);
    queued_reply q;
    bool have = false;
    if (m->handler) {
        mock_reply reply = {0};
        size_t index;
        pthread_mutex_lock(&m->lock);
        index = m->count - 1;
        pthread_mutex_unlock(&m->lock);
        m->handler(m->handler_ctx, r, index, &reply);
        to_queued(&reply, &q);
        have = true;
    } else {
        have = dequeue(m, req->host, &q);
    }
    if (!have) {
        mock_reply none = {.status = 404, .body = "{\"error\":{\"code\":40400,\"message\":\"mock: no reply queued\"}}"};
        to_queued(&none, &q);
    }
    if (q.delay_ms) {
        bool timeout = q.delay_ms >= req->request_timeout_ms;
        mock_http_advance(m, timeout ? req->request_timeout_ms : q.delay_ms);
        if (timeout)
            q.failure = ABLY_HTTP_ERR_TIMEOUT;
    }
    res->failure = q.failure;
    if (q.failure == ABLY_HTTP_OK) {
        res->status = q.status;
        if (q.content_type)
            lower_set(&res->headers, "content-type", q.content_type);
        for (size_t i = 0; i < q.headers.count; i++)
            lower_set(&res->headers, q.headers.items[i].key, q.headers.items[i].value);
        res->body = q.body;
        ably_buf_init(&q.body);
    } else {
        res->detail = strdup("mock network failure");
    }
    free_queued(&q);
    return 0;
}

static int64_t mock_now(void *ctx)
{
    return mock_http_now(ctx);
}

mock_http *mock_http_new(void)
{
    mock_http *m = calloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->transport.perform = mock_perform;
    m->transport.ctx = m;
    m->clock.now_ms = mock_now;
    m->clock.ctx = m;
    m->now = 1700000000000;
    return m;
}

void mock_http_reset(mock_http *m)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->count; i++)
        free_request(m->requests[i]);
    free(m->requests);
    m->requests = NULL;
    m->count = 0;
    for (size_t i = 0; i < m->queued; i++)
        free_queued(&m->queue[i]);
    free(m->queue);
    m->queue = NULL;
    m->queued = 0;
    m->handler = NULL;
    pthread_mutex_unlock(&m->lock);
}

void mock_http_free(mock_http *m)
{
    if (!m)
        return;
    mock_http_reset(m);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void mock_http_install(mock_http *m, ably_client_options *opts)
{
    opts->http_transport = &m->transport;
    opts->clock = &m->clock;
}

void mock_http_queue(mock_http *m, const mock_reply *reply)
{
    pthread_mutex_lock(&m->lock);
    m->queue = realloc(m->queue, (m->queued + 1) * sizeof *m->queue);
    to_queued(reply, &m->queue[m->queued++]);
    pthread_mutex_unlock(&m->lock);
}

void mock_http_queue_json(mock_http *m, int status, const char *json)
{
    mock_reply r = {.status = status, .body = json};
    mock_http_queue(m, &r);
}

void mock_http_queue_for_host(mock_http *m, const char *host, int status, const char *json)
{
    mock_reply r = {.status = status, .body = json, .host = host};
    mock_http_queue(m, &r);
}

void mock_http_queue_msgpack(mock_http *m, int status, const char *json)
{
    ably_buf b;
    ably_buf_init(&b);
    mock_json_to_msgpack(json, &b);
    mock_reply r = {.status = status, .body = b.data, .body_len = b.len, .content_type = "application/x-msgpack"};
    mock_http_queue(m, &r);
    ably_buf_free(&b);
}

void mock_http_queue_failure(mock_http *m, ably_http_failure failure)
{
    mock_reply r = {.failure = failure};
    mock_http_queue(m, &r);
}

void mock_http_set_handler(mock_http *m, mock_handler fn, void *ctx)
{
    pthread_mutex_lock(&m->lock);
    m->handler = fn;
    m->handler_ctx = ctx;
    pthread_mutex_unlock(&m->lock);
}

size_t mock_http_count(mock_http *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const mock_request *mock_http_request(mock_http *m, size_t i)
{
    pthread_mutex_lock(&m->lock);
    const mock_request *r = i < m->count ? m->requests[i] : NULL;
    pthread_mutex_unlock(&m->lock);
    return r;
}

const char *mock_request_header(const mock_request *r, const char *name)
{
    for (size_t i = 0; r && i < r->headers.count; i++)
        if (strcasecmp(r->headers.items[i].key, name) == 0)
            return r->headers.items[i].value;
    return NULL;
}

const char *mock_request_query(const mock_request *r, const char *name)
{
    return r ? ably_string_map_get(&r->query, name) : NULL;
}

int64_t mock_http_now(mock_http *m)
{
    pthread_mutex_lock(&m->lock);
    int64_t t = m->now;
    pthread_mutex_unlock(&m->lock);
    return t;
}

void mock_http_advance(mock_http *m, int64_t ms)
{
    pthread_mutex_lock(&m->lock);
    m->now += ms;
    pthread_mutex_unlock(&m->lock);
}

static int buf_write(void *data, const char *bytes, size_t len)
{
    return ably_buf_append(data, bytes, len);
}

int mock_json_to_msgpack(const char *json, ably_buf *out)
{
    ably_buf_reset(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    return codec_mp_pack_json_text(&pk, json, strlen(json));
}
