/* The default HTTP transport: libcurl.
 *
 * Connection reuse: idle easy handles are kept in a small process-wide pool and
 * all of them share one connection cache, DNS cache and TLS session cache through
 * a CURLSH, so consecutive requests to the same host reuse a kept-alive
 * connection whichever handle runs them. HTTP/1.1, TLS verification on.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ably/transport.h"

#define POOL_MAX 16

static struct {
    pthread_once_t once;
    bool ok;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL *idle[POOL_MAX];
    int idle_count;
} g = {.once = PTHREAD_ONCE_INIT, .pool_lock = PTHREAD_MUTEX_INITIALIZER};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
    (void)h, (void)access, (void)ctx;
    pthread_mutex_lock(&g.share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
    (void)h, (void)ctx;
    pthread_mutex_unlock(&g.share_locks[data]);
}

static void global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&g.share_locks[i], NULL);
    g.share = curl_share_init();
    if (g.share) {
        curl_share_setopt(g.share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(g.share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(g.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(g.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(g.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    g.ok = true;
}

static CURL *take_handle(void)
{
    CURL *h = NULL;
    pthread_mutex_lock(&g.pool_lock);
    if (g.idle_count)
        h = g.idle[--g.idle_count];
    pthread_mutex_unlock(&g.pool_lock);
    if (h) {
        curl_easy_reset(h); /* keeps the connection cache */
        return h;
    }
    return curl_easy_init();
}

static void give_back(CURL *h)
{
    pthread_mutex_lock(&g.pool_lock);
    if (g.idle_count < POOL_MAX) {
        g.idle[g.idle_count++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&g.pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ably_http_response *res = ud;
    return ably_buf_append(&res->body, p, size * n) == 0 ? size * n : 0;
}

/* Stores "Name: value" lines with lower-cased names; a new status line (after a
 * 100 Continue, say) starts the set again. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    ably_http_response *res = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        ably_string_map_clear(&res->headers);
        return len;
    }
    char *colon = memchr(p, ':', len);
    if (!colon)
        return len;
    size_t name_len = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char *name = malloc(name_len + 1);
    char *value = malloc((size_t)(end - v) + 1);
    if (name && value) {
        for (size_t i = 0; i < name_len; i++)
            name[i] = (char)tolower((unsigned char)p[i]);
        name[name_len] = '\0';
        memcpy(value, v, (size_t)(end - v));
        value[end - v] = '\0';
        ably_string_map_set(&res->headers, name, value);
    }
    free(name);
    free(value);
    return len;
}

static struct curl_slist *build_headers(const ably_string_map *headers)
{
    struct curl_slist *list = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
    for (size_t i = 0; headers && i < headers->count && list; i++) {
        size_t len = strlen(headers->items[i].key) + strlen(headers->items[i].value) + 3;
        char *line = malloc(len);
        if (!line)
            break;
        snprintf(line, len, "%s: %s", headers->items[i].key, headers->items[i].value);
        struct curl_slist *next = curl_slist_append(list, line);
        free(line);
        if (!next)
            break;
        list = next;
    }
    return list;
}

static void set_method(CURL *h, const ably_http_request *req)
{
    if (strcmp(req->method, "GET") == 0 && !req->body) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(req->method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
        strcmp(req->method, "PATCH") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
    }
}

static ably_http_failure classify(CURL *h, CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return ABLY_HTTP_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return ABLY_HTTP_ERR_DNS;
    case CURLE_COULDNT_CONNECT: return ABLY_HTTP_ERR_REFUSED;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
        return connected ? ABLY_HTTP_ERR_TIMEOUT : ABLY_HTTP_ERR_CONNECT_TIMEOUT;
    }
    default: return ABLY_HTTP_ERR_OTHER;
    }
}

static int curl_perform(void *ctx, const ably_http_request *req, ably_http_response *res)
{
    (void)ctx;
    pthread_once(&g.once, global_init);
    if (!g.ok)
        return -1;
    CURL *h = take_handle();
    if (!h)
        return -1;
    struct curl_slist *headers = build_headers(req->headers);
    if (g.share)
        curl_easy_setopt(h, CURLOPT_SHARE, g.share);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)req->open_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->request_timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
    set_method(h, req);

    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    res->failure = classify(h, rc);
    if (rc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        res->status = (int)status;
    } else {
        res->detail = strdup(errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    give_back(h);
    return 0;
}

static const ably_http_transport curl_transport = {curl_perform, NULL};

const ably_http_transport *ably_http_transport_default(void)
{
    return &curl_transport;
}
