/* ably-proxy (harness/proxy): the fault-injection proxy of the proxy tier.
 *
 * One proxy process serves the whole file. HTTP rules are exercised against
 * a spawned ably-sandbox through the proxy (libcurl). WebSocket rules are
 * exercised against a small fake Ably realtime server running in a thread
 * of this test (deterministic: it answers CONNECT with CONNECTED, ATTACH
 * with ATTACHED and echoes everything else), driven by a blocking
 * WebSocket client written here. Every wait is bounded. The last test stops
 * the proxy and requires a clean exit (ASan/LSan make a leak non-zero). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ably_test.h"
#include "proxy_env.h"
#include "sandbox_env.h"
#include "test_server_http.h"

#include <ably/codec.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#define WAIT_MS 5000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a blocking WebSocket endpoint (client or server side) -------------- */

typedef struct {
    int fd;
    bool mask; /* client side masks */
    char buf[1 << 16];
    size_t len;
} wsock;

/* Reads more bytes within the deadline; -1 on timeout or EOF. */
static int ws_fill(wsock *w, int64_t deadline)
{
    int64_t left = deadline - now_ms();
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    if (left <= 0 || poll(&p, 1, (int)left) <= 0 || w->len == sizeof w->buf)
        return -1;
    ssize_t n = recv(w->fd, w->buf + w->len, sizeof w->buf - w->len, 0);
    if (n <= 0)
        return -1;
    w->len += (size_t)n;
    return 0;
}

static void ws_send(wsock *w, int opcode, const void *data, size_t n)
{
    unsigned char head[14], key[4] = { 0x12, 0x34, 0x56, 0x78 };
    size_t h = 0;
    head[h++] = (unsigned char)(0x80 | opcode);
    unsigned char mbit = w->mask ? 0x80 : 0;
    if (n < 126) {
        head[h++] = (unsigned char)(mbit | n);
    } else {
        head[h++] = mbit | 126;
        head[h++] = (unsigned char)(n >> 8);
        head[h++] = (unsigned char)n;
    }
    if (w->mask) {
        memcpy(head + h, key, 4);
        h += 4;
    }
    unsigned char *frame = malloc(h + n + 1);
    memcpy(frame, head, h);
    for (size_t i = 0; i < n; i++)
        frame[h + i] = ((const unsigned char *)data)[i] ^ (w->mask ? key[i & 3] : 0);
    ssize_t sent = send(w->fd, frame, h + n, MSG_NOSIGNAL);
    (void)sent;
    free(frame);
}

static void ws_send_text(wsock *w, const char *text) { ws_send(w, 1, text, strlen(text)); }

/* Receives one frame: its opcode (payload into out, NUL-terminated), or -1
 * on timeout / EOF. */
static int ws_recv(wsock *w, char *out, size_t cap, size_t *out_len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (w->len >= 2) {
            unsigned char *b = (unsigned char *)w->buf;
            size_t n = b[1] & 0x7f, pos = 2;
            if (n == 126 && w->len >= 4) {
                n = ((size_t)b[2] << 8) | b[3];
                pos = 4;
            } else if (n == 126 || n == 127) {
                n = SIZE_MAX;
            }
            bool masked = b[1] & 0x80;
            size_t need = pos + (masked ? 4 : 0) + n;
            if (n != SIZE_MAX && w->len >= need) {
                const unsigned char *key = b + pos;
                const unsigned char *payload = b + pos + (masked ? 4 : 0);
                size_t copy = n < cap - 1 ? n : cap - 1;
                for (size_t i = 0; i < copy; i++)
                    out[i] = (char)(payload[i] ^ (masked ? key[i & 3] : 0));
                out[copy] = '\0';
                if (out_len)
                    *out_len = copy;
                int opcode = b[0] & 0x0f;
                memmove(w->buf, w->buf + need, w->len - need);
                w->len -= need;
                return opcode;
            }
        }
        if (ws_fill(w, deadline) != 0)
            return -1;
    }
}

/* Reads an HTTP head (through the blank line) into out; -1 on timeout. */
static int read_head(wsock *w, char *out, size_t cap)
{
    int64_t deadline = now_ms() + WAIT_MS;
    for (;;) {
        char *end = memmem(w->buf, w->len, "\r\n\r\n", 4);
        if (end) {
            size_t n = (size_t)(end + 4 - w->buf);
            size_t copy = n < cap - 1 ? n : cap - 1;
            memcpy(out, w->buf, copy);
            out[copy] = '\0';
            memmove(w->buf, w->buf + n, w->len - n);
            w->len -= n;
            return 0;
        }
        if (ws_fill(w, deadline) != 0)
            return -1;
    }
}

static int tcp_connect(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens a WebSocket through the proxy; returns the HTTP status of the
 * upgrade (101), or -1 when the connection was refused or dropped. */
static int ws_open(wsock *w, int port, const char *query)
{
    memset(w, 0, sizeof *w);
    w->mask = true;
    w->fd = tcp_connect(port);
    if (w->fd < 0)
        return -1;
    char req[1024], head[4096];
    snprintf(req, sizeof req,
             "GET /?%s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", query);
    if (send(w->fd, req, strlen(req), MSG_NOSIGNAL) < 0 || read_head(w, head, sizeof head) != 0)
        return -1;
    int status = 0;
    sscanf(head, "HTTP/1.1 %d", &status);
    /* RFC 6455's sample key and its accept value */
    if (status == 101 && !strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        return -2;
    return status;
}

static void ws_close_fd(wsock *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Next frame's ProtocolMessage action (JSON text frames), -1 on none. */
static int ws_next_action(wsock *w, cJSON **msg, int timeout_ms)
{
    char payload[8192];
    size_t n;
    for (;;) {
        int op = ws_recv(w, payload, sizeof payload, &n, timeout_ms);
        if (op < 0 || op == 8)
            return -1;
        if (op != 1 && op != 2)
            continue;
        ably_protocol_message pm;
        ably_error err;
        ably_protocol_message_init(&pm);
        ably_error_init(&err);
        int rc = op == 2 ? ably_protocol_message_from_msgpack(&pm, payload, n, &err)
                         : ably_protocol_message_from_json(&pm, payload, n, &err);
        int action = rc == 0 ? (int)pm.action : -1;
        if (msg)
            *msg = op == 1 ? cJSON_Parse(payload) : NULL;
        ably_protocol_message_clear(&pm);
        ably_error_clear(&err);
        return action;
    }
}

/* ---- the fake realtime server ------------------------------------------- */

typedef struct {
    int listen_fd, port;
    atomic_bool stop;
    atomic_int connections, frames_in;
    pthread_t thread;
    pthread_t conn_threads[64]; /* one per connection, joined at stop */
    int n_conn_threads;
} fake_server;

static fake_server fake;

static void fake_send_pm(wsock *w, const char *json, bool msgpack)
{
    if (!msgpack) {
        ws_send_text(w, json);
        return;
    }
    ably_protocol_message pm;
    ably_error err;
    ably_buf out;
    ably_protocol_message_init(&pm);
    ably_error_init(&err);
    ably_buf_init(&out);
    if (ably_protocol_message_from_json(&pm, json, strlen(json), &err) == 0 &&
        ably_protocol_message_to_msgpack(&pm, &out, &err) == 0)
        ws_send(w, 2, out.data, out.len);
    ably_buf_free(&out);
    ably_protocol_message_clear(&pm);
    ably_error_clear(&err);
}

/* Serves one connection until it closes. */
static void *fake_serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    wsock *w = calloc(1, sizeof *w);
    char head[4096], key[128] = "", accept[64], reply[512];
    w->fd = fd;
    if (read_head(w, head, sizeof head) != 0)
        goto done;
    const char *k = strcasestr(head, "sec-websocket-key:");
    if (!k || sscanf(k + 18, " %127s", key) != 1)
        goto done;
    bool msgpack = strstr(head, "format=msgpack") != NULL;
    char joined[256];
    unsigned char digest[SHA_DIGEST_LENGTH];
    int jn = snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    SHA1((unsigned char *)joined, (size_t)jn, digest);
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    snprintf(reply, sizeof reply, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
        goto done;
    int id = atomic_fetch_add(&fake.connections, 1) + 1;
    snprintf(reply, sizeof reply, "{\"action\":4,\"connectionId\":\"conn-%d\",\"connectionDetails\":"
             "{\"connectionKey\":\"key-%d\",\"maxIdleInterval\":15000}}", id, id);
    fake_send_pm(w, reply, msgpack);
    char payload[8192];
    size_t n;
    while (!atomic_load(&fake.stop)) {
        int op = ws_recv(w, payload, sizeof payload, &n, 200);
        if (op < 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, 0) > 0 && w->len == 0) { /* readable with nothing parsed: EOF? */
                char c;
                if (recv(fd, &c, 1, MSG_PEEK) <= 0)
                    break;
            }
            continue;
        }
        if (op == 8) {
            ws_send(w, 8, payload, n >= 2 ? 2 : 0);
            break;
        }
        if (op != 1 && op != 2)
            continue;
        atomic_fetch_add(&fake.frames_in, 1);
        ably_protocol_message pm;
        ably_error err;
        ably_protocol_message_init(&pm);
        ably_error_init(&err);
        int rc = op == 2 ? ably_protocol_message_from_msgpack(&pm, payload, n, &err)
                         : ably_protocol_message_from_json(&pm, payload, n, &err);
        if (rc == 0 && pm.action == ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH && pm.channel) {
            snprintf(reply, sizeof reply, "{\"action\":11,\"channel\":\"%s\"}", pm.channel);
            fake_send_pm(w, reply, msgpack);
        } else {
            ws_send(w, op, payload, n); /* echo */
        }
        ably_protocol_message_clear(&pm);
        ably_error_clear(&err);
    }
done:
    close(fd);
    free(w);
    return NULL;
}

static void *fake_run(void *arg)
{
    (void)arg;
    while (!atomic_load(&fake.stop)) {
        struct pollfd p = { .fd = fake.listen_fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(fake.listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        if (fake.n_conn_threads == 64 ||
            pthread_create(&fake.conn_threads[fake.n_conn_threads], NULL, fake_serve, (void *)(intptr_t)fd) != 0)
            close(fd);
        else
            fake.n_conn_threads++;
    }
    return NULL;
}

static int fake_start(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    fake.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof a;
    if (bind(fake.listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fake.listen_fd, 16) != 0)
        return -1;
    getsockname(fake.listen_fd, (struct sockaddr *)&a, &len);
    fake.port = ntohs(a.sin_port);
    return pthread_create(&fake.thread, NULL, fake_run, NULL);
}

static void fake_stop(void)
{
    atomic_store(&fake.stop, true);
    pthread_join(fake.thread, NULL);
    for (int i = 0; i < fake.n_conn_threads; i++)
        pthread_join(fake.conn_threads[i], NULL);
    close(fake.listen_fd);
}

/* ---- the proxy process and its control API ------------------------------ */

static struct {
    proxy_env *env; /* the proxy process (tests/support/proxy_env) */
    sandbox_env *sbx;
} px;

/* A control API call; the parsed JSON answer (NULL when none). */
static cJSON *ctl(const char *method, const char *path, const char *body, long *status)
{
    sandbox_env e = { 0 };
    snprintf(e.base_url, sizeof e.base_url, "http://127.0.0.1:%d", px.env->control_port);
    srv_req r = { .method = method, .path = path, .body = body, .content_type = body ? "application/json" : NULL };
    srv_resp resp = srv_do(&e, &r);
    if (status)
        *status = resp.status;
    cJSON *json = cJSON_Parse(resp.body);
    srv_resp_free(&resp);
    return json;
}

typedef struct {
    char id[32];
    int port;
} session;

/* Creates a session in front of the sandbox (ws false) or the fake realtime
 * server (ws true) with the given rules (a JSON array text). */
static session session_new(bool ws, const char *rules)
{
    session s = { "", 0 };
    char body[8192];
    int port = ws ? fake.port : px.sbx->port;
    snprintf(body, sizeof body,
             "{\"target\":{\"restHost\":\"127.0.0.1:%d\",\"realtimeHost\":\"127.0.0.1:%d\",\"insecure\":true},"
             "\"rules\":%s}", port, port, rules ? rules : "[]");
    long status;
    cJSON *o = ctl("POST", "/sessions", body, &status);
    assert_int_equal(status, 201);
    snprintf(s.id, sizeof s.id, "%s", cJSON_GetObjectItem(o, "sessionId")->valuestring);
    s.port = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "proxy"), "port")->valueint;
    cJSON_Delete(o);
    return s;
}

static cJSON *session_log(const session *s)
{
    char path[128];
    snprintf(path, sizeof path, "/sessions/%s/log", s->id);
    cJSON *o = ctl("GET", path, NULL, NULL);
    cJSON *events = cJSON_DetachItemFromObject(o, "events");
    cJSON_Delete(o);
    return events;
}

static void session_end(const session *s)
{
    char path[128];
    long status;
    snprintf(path, sizeof path, "/sessions/%s", s->id);
    cJSON_Delete(ctl("DELETE", path, NULL, &status));
    assert_int_equal(status, 200);
}

static int count_events(const cJSON *events, const char *type, const char *field, const char *value)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        if (strcmp(cJSON_GetObjectItem(e, "type")->valuestring, type) != 0)
            continue;
        const cJSON *f = field ? cJSON_GetObjectItem(e, field) : NULL;
        if (!field || (cJSON_IsString(f) && strstr(f->valuestring, value)))
            n++;
    }
    return n;
}

/* Polls the log until an event of `type` with field=value appears. */
static bool await_event(const session *s, const char *type, const char *field, const char *value)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (now_ms() < deadline) {
        cJSON *log = session_log(s);
        int n = count_events(log, type, field, value);
        cJSON_Delete(log);
        if (n > 0)
            return true;
        usleep(10000);
    }
    return false;
}

static srv_resp get_through(const session *s, const char *method, const char *path)
{
    sandbox_env e = { 0 };
    snprintf(e.base_url, sizeof e.base_url, "http://127.0.0.1:%d", s->port);
    char auth[512];
    snprintf(auth, sizeof auth, "%s", sandbox_env_key(px.sbx, 0)->key_str);
    srv_req r = { .method = method, .path = path, .userpwd = auth };
    if (strcmp(method, "POST") == 0) {
        r.body = "{\"name\":\"n\",\"data\":\"d\",\"id\":\"fixed-id:0\"}";
        r.content_type = "application/json";
    }
    return srv_do(&e, &r);
}

/* ---- HTTP --------------------------------------------------------------- */

static void default_session_forwards_http(void **state)
{
    (void)state;
    session s = { "default", px.env->port };
    srv_resp r = get_through(&s, "GET", "/time");
    assert_int_equal(r.status, 200);
    assert_true(r.body[0] == '[');
    srv_resp_free(&r);
    cJSON *log = session_log(&s);
    assert_true(count_events(log, "http_request", "path", "/time") >= 1);
    assert_true(count_events(log, "http_response", NULL, NULL) >= 1);
    cJSON_Delete(log);
}

static void http_respond_n_times_then_passthrough(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\",\"pathContains\":\"/time\"},"
                                   "\"action\":{\"type\":\"http_respond\",\"status\":503,\"body\":{\"error\":"
                                   "{\"code\":50300,\"statusCode\":503,\"message\":\"down\"}}},\"times\":2,"
                                   "\"comment\":\"two 503s\"}]");
    int statuses[3];
    char code[32] = "";
    for (int i = 0; i < 3; i++) {
        srv_resp r = get_through(&s, "GET", "/time");
        statuses[i] = (int)r.status;
        if (i == 0) {
            assert_true(srv_header(&r, "X-Ably-Errorcode", code, sizeof code));
            assert_non_null(strstr(r.body, "50300"));
        }
        srv_resp_free(&r);
    }
    assert_int_equal(statuses[0], 503);
    assert_int_equal(statuses[1], 503);
    assert_int_equal(statuses[2], 200);
    assert_string_equal(code, "50300");
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "http_request", "ruleMatched", "two 503s"), 2);
    cJSON_Delete(log);
    session_end(&s);
}

static void http_method_and_path_filter(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\",\"method\":\"POST\","
                                   "\"pathContains\":\"/channels/\"},\"action\":{\"type\":\"http_respond\","
                                   "\"status\":401,\"body\":{\"error\":{\"code\":40142,\"statusCode\":401}}}}]");
    srv_resp get = get_through(&s, "GET", "/channels/proxy-filter/messages");
    srv_resp post = get_through(&s, "POST", "/channels/proxy-filter/messages");
    srv_resp time = get_through(&s, "POST", "/time"); /* POST but another path */
    assert_int_equal(get.status, 200);
    assert_int_equal(post.status, 401);
    assert_int_not_equal(time.status, 401);
    srv_resp_free(&get);
    srv_resp_free(&post);
    srv_resp_free(&time);
    session_end(&s);
}

static void http_replace_response_forwards_first(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\",\"method\":\"POST\","
                                   "\"pathContains\":\"/channels/\"},\"action\":{\"type\":\"http_replace_response\","
                                   "\"status\":503,\"body\":{\"error\":{\"code\":50300,\"statusCode\":503}}},"
                                   "\"times\":1}]");
    srv_resp post = get_through(&s, "POST", "/channels/proxy-replace/messages");
    assert_int_equal(post.status, 503);
    srv_resp_free(&post);
    /* The server did get the publish: it is in history. */
    srv_resp hist = get_through(&s, "GET", "/channels/proxy-replace/messages");
    assert_int_equal(hist.status, 200);
    assert_non_null(strstr(hist.body, "fixed-id:0"));
    srv_resp_free(&hist);
    session_end(&s);
}

static long timed_get(int port, const char *path, long timeout_ms, int64_t *elapsed, CURLcode *code)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    srv_buf sink = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, srv_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    int64_t t0 = now_ms();
    *code = curl_easy_perform(c);
    *elapsed = now_ms() - t0;
    long status = -1;
    if (*code == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    free(sink.data);
    return status;
}

static void http_delay_holds_the_request(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\",\"pathContains\":\"/time\"},"
                                   "\"action\":{\"type\":\"http_delay\",\"delayMs\":400},\"times\":2}]");
    int64_t elapsed;
    CURLcode code;
    /* Shorter client timeout than the delay: the client times out. */
    long st = timed_get(s.port, "/time", 150, &elapsed, &code);
    assert_int_equal(code, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(st, -1);
    /* Longer: it succeeds, late. */
    st = timed_get(s.port, "/time", 3000, &elapsed, &code);
    assert_int_equal(st, 200);
    assert_true(elapsed >= 380);
    /* Rule spent: prompt. */
    st = timed_get(s.port, "/time", 3000, &elapsed, &code);
    assert_int_equal(st, 200);
    assert_true(elapsed < 300);
    session_end(&s);
}

static void http_drop_resets_the_connection(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\",\"pathContains\":\"/time\"},"
                                   "\"action\":{\"type\":\"http_drop\"},\"times\":1}]");
    int64_t elapsed;
    CURLcode code;
    long st = timed_get(s.port, "/time", 3000, &elapsed, &code);
    assert_int_equal(st, -1);
    assert_true(code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING);
    assert_true(elapsed < 1000);
    st = timed_get(s.port, "/time", 3000, &elapsed, &code);
    assert_int_equal(st, 200);
    session_end(&s);
}

static void duration_rule_expires(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"http_request\"},\"action\":{\"type\":\"http_respond\","
                                   "\"status\":500},\"durationMs\":300}]");
    int64_t elapsed;
    CURLcode code;
    assert_int_equal(timed_get(s.port, "/time", 3000, &elapsed, &code), 500);
    usleep(350 * 1000);
    assert_int_equal(timed_get(s.port, "/time", 3000, &elapsed, &code), 200);
    session_end(&s);
}

static void expect_continue_is_answered_promptly(void **state)
{
    (void)state;
    session s = session_new(false, NULL);
    char body[4096], url[256], auth[512];
    int n = snprintf(body, sizeof body, "{\"name\":\"big\",\"data\":\"");
    memset(body + n, 'q', 3000);
    snprintf(body + n + 3000, sizeof body - (size_t)n - 3000, "\"}");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/channels/proxy-expect/messages", s.port);
    snprintf(auth, sizeof auth, "%s", sandbox_env_key(px.sbx, 0)->key_str);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Expect: 100-continue");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERPWD, auth);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    srv_buf sink = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, srv_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    int64_t t0 = now_ms();
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    int64_t elapsed = now_ms() - t0;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(sink.data);
    assert_int_equal(status, 201);
    assert_true(elapsed < 900); /* curl waits 1 s for a 100 that never comes */
    session_end(&s);
}

/* ---- control API -------------------------------------------------------- */

static void control_api_shape(void **state)
{
    (void)state;
    long status;
    cJSON *o = ctl("GET", "/health", NULL, &status);
    assert_int_equal(status, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    cJSON_Delete(o);
    /* A numeric match.action is rejected, as uts-proxy does. */
    cJSON_Delete(ctl("POST", "/sessions",
                     "{\"rules\":[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":4},"
                     "\"action\":{\"type\":\"suppress\"}}]}", &status));
    assert_int_equal(status, 400);
    cJSON_Delete(ctl("POST", "/sessions", "{\"rules\":[{\"match\":{\"type\":\"bogus\"},\"action\":{}}]}", &status));
    assert_int_equal(status, 400);
    cJSON_Delete(ctl("GET", "/sessions/nope/log", NULL, &status));
    assert_int_equal(status, 404);

    session s = session_new(true, NULL);
    char path[128];
    snprintf(path, sizeof path, "/sessions/%s/rules", s.id);
    o = ctl("POST", path, "{\"rules\":[{\"match\":{\"type\":\"ws_connect\"},\"action\":{\"type\":\"passthrough\"}},"
                          "{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"20\"},"
                          "\"action\":{\"type\":\"suppress\"}}],\"position\":\"prepend\"}", &status);
    assert_int_equal(status, 200);
    assert_int_equal(cJSON_GetObjectItem(o, "ruleCount")->valueint, 2);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/sessions/%s", s.id);
    o = ctl("GET", path, NULL, &status);
    assert_int_equal(status, 200);
    assert_int_equal(cJSON_GetObjectItem(o, "port")->valueint, s.port);
    assert_int_equal(cJSON_GetObjectItem(o, "ruleCount")->valueint, 2);
    cJSON_Delete(o);
    /* No WebSocket open: an imperative action has nothing to act on. */
    snprintf(path, sizeof path, "/sessions/%s/actions", s.id);
    cJSON_Delete(ctl("POST", path, "{\"type\":\"disconnect\"}", &status));
    assert_int_equal(status, 409);
    session_end(&s);
    /* The port is released: nobody listens there any more. */
    int fd = tcp_connect(s.port);
    assert_int_equal(fd, -1);
}

/* ---- WebSocket ---------------------------------------------------------- */

/* A WebSocket through session s whose upgrade was answered 101; ws_done frees it. */
static wsock *ws_opened(const session *s, const char *query)
{
    wsock *w = calloc(1, sizeof *w);
    assert_int_equal(ws_open(w, s->port, query), 101);
    return w;
}

/* As ws_opened, with CONNECTED as the first frame. */
static wsock *ws_connected(const session *s, const char *query)
{
    wsock *w = ws_opened(s, query);
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), 4); /* CONNECTED */
    return w;
}

static void ws_done(wsock *w)
{
    ws_close_fd(w);
    free(w);
}

/* The first frame on a new WebSocket through s, as JSON (the caller deletes it); its
 * action must be `action`. The socket is closed again. */
static cJSON *ws_first_frame(const session *s, const char *query, int action)
{
    wsock *w = ws_opened(s, query);
    cJSON *msg = NULL;
    assert_int_equal(ws_next_action(w, &msg, WAIT_MS), action);
    ws_done(w);
    return msg;
}

/* Asserts the next frame is a close frame: its status code (-1 when it has none) and,
 * when len, its payload length. */
static int ws_close_code(wsock *w, size_t *len)
{
    char payload[16];
    size_t n = 0;
    assert_int_equal(ws_recv(w, payload, sizeof payload, &n, WAIT_MS), 8);
    if (len)
        *len = n;
    return n >= 2 ? ((unsigned char)payload[0] << 8) | (unsigned char)payload[1] : -1;
}

/* One step of a scripted exchange: send a text frame, or require the next frame's
 * action (-1: no frame within within_ms), or (close) a close frame with status `expect`. */
typedef struct {
    const char *send;
    int expect;
    int within_ms;
    bool close;
} ws_step;

#define WS_SEND(text) { (text), 0, 0, false }
#define WS_EXPECT(action) { NULL, (action), WAIT_MS, false }
#define WS_NOTHING_FOR(ms) { NULL, -1, (ms), false }
#define WS_CLOSED(code) { NULL, (code), WAIT_MS, true }

static void ws_run(wsock *w, const ws_step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (steps[i].send)
            ws_send_text(w, steps[i].send);
        else if (steps[i].close)
            assert_int_equal(ws_close_code(w, NULL), steps[i].expect);
        else
            assert_int_equal(ws_next_action(w, NULL, steps[i].within_ms), steps[i].expect);
    }
}

/* A whole scripted test: a session in front of the fake server with `rules`, one
 * WebSocket ("key=x"; CONNECTED awaited first when `connected`), then `steps` (up to
 * the first empty one). */
typedef struct {
    const char *rules;
    bool connected;
    ws_step steps[8];
} ws_case;

static void run_ws_case(const ws_case *c)
{
    session s = session_new(true, c->rules);
    wsock *w = c->connected ? ws_connected(&s, "key=x") : ws_opened(&s, "key=x");
    size_t n = 0;
    while (n < 8 && (c->steps[n].send || c->steps[n].within_ms))
        n++;
    ws_run(w, c->steps, n);
    ws_done(w);
    session_end(&s);
}

#define WS_RUN(w, ...)                                                    \
    do {                                                                  \
        const ws_step steps_[] = { __VA_ARGS__ };                         \
        ws_run((w), steps_, sizeof steps_ / sizeof steps_[0]);            \
    } while (0)

/* An imperative action on session s's WebSockets; the proxy must accept it. */
static void session_act(const session *s, const char *action)
{
    char path[128];
    long status;
    snprintf(path, sizeof path, "/sessions/%s/actions", s->id);
    cJSON_Delete(ctl("POST", path, action, &status));
    assert_int_equal(status, 200);
}

/* Asserts how many events of `type` (with `field` containing `value`) s has logged. */
static void assert_logged(const session *s, int want, const char *type, const char *field, const char *value)
{
    cJSON *log = session_log(s);
    assert_int_equal(count_events(log, type, field, value), want);
    cJSON_Delete(log);
}

static void ws_passthrough_logs_frames_both_ways(void **state)
{
    (void)state;
    session s = session_new(true, NULL);
    wsock *w = ws_connected(&s, "key=a.b:c&format=json&heartbeats=true");
    WS_RUN(w, WS_SEND("{\"action\":10,\"channel\":\"room\"}"), WS_EXPECT(11) /* ATTACHED */);
    ws_send_text(w, "{\"action\":15,\"channel\":\"room\",\"messages\":[{\"name\":\"x\",\"data\":\"y\"}]}");
    cJSON *echo = NULL;
    assert_int_equal(ws_next_action(w, &echo, WAIT_MS), 15);
    assert_string_equal(cJSON_GetObjectItem(echo, "channel")->valuestring, "room");
    cJSON_Delete(echo);
    /* A large frame (16-bit length) crosses intact. */
    char big[3000];
    int n = snprintf(big, sizeof big, "{\"action\":15,\"channel\":\"room\",\"messages\":[{\"data\":\"");
    memset(big + n, 'z', 2500);
    snprintf(big + n + 2500, sizeof big - (size_t)n - 2500, "\"}]}");
    ws_send_text(w, big);
    assert_int_equal(ws_next_action(w, &echo, WAIT_MS), 15);
    assert_int_equal(strlen(cJSON_GetArrayItem(cJSON_GetObjectItem(echo, "messages"), 0)->child->valuestring), 2500);
    cJSON_Delete(echo);
    ws_done(w);
    assert_true(await_event(&s, "ws_disconnect", "initiator", "client"));
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "ws_connect", NULL, NULL), 1);
    const cJSON *connect = cJSON_GetArrayItem(log, 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(connect, "queryParams"), "key")->valuestring, "a.b:c");
    assert_int_equal(count_events(log, "ws_frame", "actionName", "CONNECTED"), 1);
    assert_int_equal(count_events(log, "ws_frame", "actionName", "ATTACH"), 2); /* ATTACH and ATTACHED */
    assert_int_equal(count_events(log, "ws_frame", "direction", "client_to_server"), 3);
    cJSON_Delete(log);
    session_end(&s);
}

static void ws_replace_connected_with_error(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"CONNECTED\"},"
                                  "\"action\":{\"type\":\"replace\",\"message\":{\"action\":9,\"error\":"
                                  "{\"code\":40005,\"statusCode\":400,\"message\":\"Invalid key\"}}},\"times\":1,"
                                  "\"comment\":\"RTN14a\"}]");
    cJSON *msg = ws_first_frame(&s, "key=x", 9);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(msg, "error"), "code")->valueint, 40005);
    cJSON_Delete(msg);
    /* times:1 — the next connection gets the real CONNECTED. */
    assert_true(await_event(&s, "ws_disconnect", NULL, NULL));
    ws_done(ws_connected(&s, "key=x"));
    assert_logged(&s, 1, "ws_frame", "ruleMatched", "RTN14a");
    session_end(&s);
}

/* "__PASSTHROUGH__" in a replacement keeps the replaced frame's value at that path
 * (uts connection_resume.md, RTN15g scenario), and is dropped where it has none. */
static void ws_replace_keeps_passthrough_fields(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"CONNECTED\"},"
                                  "\"action\":{\"type\":\"replace\",\"message\":{\"action\":4,"
                                  "\"connectionId\":\"proxy-id\",\"connectionKey\":\"__PASSTHROUGH__\","
                                  "\"connectionDetails\":{\"connectionKey\":\"__PASSTHROUGH__\","
                                  "\"connectionStateTtl\":2000}}},\"times\":1}]");
    cJSON *msg = ws_first_frame(&s, "key=x", 4);
    assert_string_equal(cJSON_GetObjectItem(msg, "connectionId")->valuestring, "proxy-id");
    assert_null(cJSON_GetObjectItem(msg, "connectionKey")); /* the original had none at the top */
    const cJSON *details = cJSON_GetObjectItem(msg, "connectionDetails");
    const cJSON *key = cJSON_GetObjectItem(details, "connectionKey");
    assert_true(cJSON_IsString(key));
    assert_non_null(strstr(key->valuestring, "key-")); /* the fake server's own key */
    assert_int_equal(cJSON_GetObjectItem(details, "connectionStateTtl")->valueint, 2000);
    cJSON_Delete(msg);
    session_end(&s);
}

static void ws_replace_in_msgpack(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"4\"},"
                                  "\"action\":{\"type\":\"replace\",\"message\":{\"action\":6,\"error\":"
                                  "{\"code\":80003,\"statusCode\":500}}},\"times\":1}]");
    wsock *w = ws_opened(&s, "key=x&format=msgpack");
    char payload[4096];
    size_t n;
    assert_int_equal(ws_recv(w, payload, sizeof payload, &n, WAIT_MS), 2); /* binary */
    ably_protocol_message pm;
    ably_error err;
    ably_protocol_message_init(&pm);
    ably_error_init(&err);
    assert_int_equal(ably_protocol_message_from_msgpack(&pm, payload, n, &err), 0);
    assert_int_equal(pm.action, ABLY_PROTOCOL_MESSAGE_ACTION_DISCONNECTED);
    assert_non_null(pm.error);
    assert_int_equal(pm.error->code, 80003);
    ably_protocol_message_clear(&pm);
    ably_error_clear(&err);
    ws_done(w);
    /* The log shows the msgpack frame decoded, as JSON. */
    assert_true(await_event(&s, "ws_disconnect", NULL, NULL));
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "ws_frame", "actionName", "CONNECTED"), 1);
    const cJSON *e;
    bool saw_decoded = false;
    cJSON_ArrayForEach(e, log) {
        const cJSON *m = cJSON_GetObjectItem(e, "message");
        const cJSON *cid = cJSON_GetObjectItem(m, "connectionId");
        saw_decoded |= cJSON_IsString(cid) && strncmp(cid->valuestring, "conn-", 5) == 0;
    }
    assert_true(saw_decoded);
    cJSON_Delete(log);
    session_end(&s);
}

static void ws_refuse_first_connection(void **state)
{
    (void)state;
    int before = atomic_load(&fake.connections);
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_connect\",\"count\":1},"
                                  "\"action\":{\"type\":\"refuse_connection\"},\"times\":1}]");
    wsock *w = calloc(1, sizeof *w);
    assert_int_equal(ws_open(w, s.port, "key=x"), -1);
    ws_done(w);
    assert_int_equal(atomic_load(&fake.connections), before); /* never reached the server */
    ws_done(ws_connected(&s, "key=x&resume=key-1"));
    session_end(&s);
}

static void ws_query_contains_and_accept_and_close(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_connect\",\"queryContains\":{\"resume\":\"*\"}},"
                                  "\"action\":{\"type\":\"accept_and_close\",\"closeCode\":1011}}]");
    ws_done(ws_connected(&s, "key=x")); /* no resume: passes */
    wsock *w = ws_opened(&s, "key=x&resume=abc");
    size_t n;
    assert_int_equal(ws_close_code(w, &n), 1011);
    assert_int_equal(n, 2);
    ws_done(w);
    session_end(&s);
}

static void ws_connect_delay_then_forward(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_connect\"},\"action\":{\"type\":\"delay\","
                                  "\"delayMs\":300},\"times\":1}]");
    int64_t t0 = now_ms();
    wsock *w = ws_opened(&s, "key=x");
    assert_true(now_ms() - t0 >= 280);
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), 4);
    ws_done(w);
    t0 = now_ms();
    w = ws_opened(&s, "key=x"); /* spent: prompt */
    assert_true(now_ms() - t0 < 250);
    ws_done(w);
    session_end(&s);
}

static void ws_suppress_connected(void **state)
{
    (void)state;
    static const ws_case c = {
        "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"CONNECTED\"},\"action\":{\"type\":\"suppress\"}}]",
        false,
        { WS_NOTHING_FOR(300) /* nothing arrives */, WS_SEND("{\"action\":0}"),
          WS_EXPECT(0) /* the link itself works */ },
    };
    run_ws_case(&c);
}

static void ws_suppress_attach_to_server_by_channel(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_frame_to_server\",\"action\":\"ATTACH\","
                                  "\"channel\":\"blocked\"},\"action\":{\"type\":\"suppress\"}}]");
    wsock *w = ws_connected(&s, "key=x");
    int frames = atomic_load(&fake.frames_in);
    ws_send_text(w, "{\"action\":10,\"channel\":\"blocked\"}");
    ws_send_text(w, "{\"action\":10,\"channel\":\"open\"}");
    cJSON *msg = NULL;
    assert_int_equal(ws_next_action(w, &msg, WAIT_MS), 11);
    assert_string_equal(cJSON_GetObjectItem(msg, "channel")->valuestring, "open");
    cJSON_Delete(msg);
    assert_int_equal(atomic_load(&fake.frames_in), frames + 1);
    ws_done(w);
    session_end(&s);
}

static void ws_delay_frame_keeps_order(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\"},"
                                  "\"action\":{\"type\":\"delay\",\"delayMs\":300},\"times\":1}]");
    wsock *w = ws_connected(&s, "key=x");
    int64_t t0 = now_ms();
    WS_RUN(w, WS_SEND("{\"action\":10,\"channel\":\"slow\"}"), WS_SEND("{\"action\":0}"),
           WS_EXPECT(11) /* still first */);
    assert_true(now_ms() - t0 >= 280);
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), 0);
    ws_done(w);
    session_end(&s);
}

static void ws_inject_to_client_on_second_attached(void **state)
{
    (void)state;
    static const ws_case c = {
        "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\",\"channel\":\"ch\",\"count\":2},"
        "\"action\":{\"type\":\"inject_to_client\",\"message\":{\"action\":13,\"channel\":\"ch\","
        "\"error\":{\"code\":90198}}}}]",
        true,
        { WS_SEND("{\"action\":10,\"channel\":\"ch\"}"), WS_EXPECT(11), WS_SEND("{\"action\":10,\"channel\":\"ch\"}"),
          WS_EXPECT(13) /* injected first */, WS_EXPECT(11) /* then the original */ },
    };
    run_ws_case(&c);
}

static void ws_timer_inject_and_close(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"delay_after_ws_connect\",\"delayMs\":200},"
                                  "\"action\":{\"type\":\"inject_to_client_and_close\",\"message\":{\"action\":6,"
                                  "\"error\":{\"code\":40142,\"statusCode\":401}},\"closeCode\":1000},\"times\":1}]");
    int64_t t0 = now_ms();
    wsock *w = ws_connected(&s, "key=x");
    cJSON *msg = NULL;
    assert_int_equal(ws_next_action(w, &msg, WAIT_MS), 6);
    assert_true(now_ms() - t0 >= 190);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(msg, "error"), "code")->valueint, 40142);
    cJSON_Delete(msg);
    ws_close_code(w, NULL);
    ws_done(w);
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "ws_disconnect", "initiator", "proxy"), 1);
    assert_int_equal(count_events(log, "action", NULL, NULL), 1);
    cJSON_Delete(log);
    session_end(&s);
}

static void ws_timer_suppress_onwards_starves_client(void **state)
{
    (void)state;
    session s = session_new(true, "[{\"match\":{\"type\":\"delay_after_ws_connect\",\"delayMs\":100},"
                                  "\"action\":{\"type\":\"suppress_onwards\"},\"times\":1}]");
    wsock *w = ws_connected(&s, "key=x");
    assert_true(await_event(&s, "action", NULL, NULL));
    WS_RUN(w, WS_SEND("{\"action\":0}"), WS_NOTHING_FOR(300) /* the echo is swallowed */);
    assert_true(await_event(&s, "ws_frame", "direction", "server_to_client") &&
                await_event(&s, "ws_frame", "actionName", "HEARTBEAT"));
    ws_done(w);
    cJSON *log = session_log(&s);
    int suppressed = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, log)
        suppressed += cJSON_IsTrue(cJSON_GetObjectItem(e, "suppressed"));
    assert_int_equal(suppressed, 1);
    cJSON_Delete(log);
    session_end(&s);
}

static void ws_imperative_disconnect_and_inject(void **state)
{
    (void)state;
    session s = session_new(true, NULL);
    wsock *w = ws_connected(&s, "key=x");
    session_act(&s, "{\"type\":\"inject_to_client\",\"message\":{\"action\":17}}");
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), 17); /* AUTH */
    session_act(&s, "{\"type\":\"disconnect\"}");
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), -1); /* gone, with no close frame */
    ws_done(w);
    assert_logged(&s, 1, "ws_disconnect", "initiator", "proxy");
    session_end(&s);
}

static void ws_close_on_frame_rule(void **state)
{
    (void)state;
    static const ws_case c = {
        "[{\"match\":{\"type\":\"ws_frame_to_server\",\"action\":\"MESSAGE\"},"
        "\"action\":{\"type\":\"close\",\"closeCode\":4000}}]",
        true,
        { WS_SEND("{\"action\":15,\"channel\":\"c\",\"messages\":[]}"), WS_CLOSED(4000) },
    };
    run_ws_case(&c);
}

static void deleting_a_session_closes_its_websockets(void **state)
{
    (void)state;
    session s = session_new(true, NULL);
    wsock *w = ws_connected(&s, "key=x");
    char path[128];
    long status;
    snprintf(path, sizeof path, "/sessions/%s", s.id);
    cJSON *final = ctl("DELETE", path, NULL, &status);
    assert_int_equal(status, 200);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(final, "events")) >= 2); /* ws_connect, CONNECTED */
    cJSON_Delete(final);
    int64_t t0 = now_ms();
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), -1);
    assert_true(now_ms() - t0 < 1000); /* closed, not timed out */
    ws_done(w);
    cJSON_Delete(ctl("GET", path, NULL, &status));
    assert_int_equal(status, 404);
}

/* ---- through to the sandbox's own realtime endpoint -------------------- */

/* Opens a WebSocket to the sandbox through session s; CONNECTED's message. */
static cJSON *sandbox_connect(wsock *w, const session *s, const char *extra)
{
    char query[512];
    snprintf(query, sizeof query, "key=%s&format=json&v=6%s", sandbox_env_key(px.sbx, 0)->key_str, extra);
    assert_int_equal(ws_open(w, s->port, query), 101);
    cJSON *connected = NULL;
    assert_int_equal(ws_next_action(w, &connected, WAIT_MS), 4);
    return connected;
}

static void ws_sandbox_suppressed_attached_then_retry(void **state)
{
    (void)state;
    session s = session_new(false, "[{\"match\":{\"type\":\"ws_frame_to_client\",\"action\":\"ATTACHED\","
                                   "\"channel\":\"proxy-attach\"},\"action\":{\"type\":\"suppress\"},\"times\":1}]");
    wsock *w = calloc(1, sizeof *w);
    cJSON_Delete(sandbox_connect(w, &s, ""));
    WS_RUN(w, WS_SEND("{\"action\":10,\"channel\":\"proxy-attach\"}"), WS_NOTHING_FOR(300) /* ATTACHED swallowed */,
           WS_SEND("{\"action\":10,\"channel\":\"proxy-attach\"}"));
    cJSON *attached = NULL;
    assert_int_equal(ws_next_action(w, &attached, WAIT_MS), 11);
    assert_string_equal(cJSON_GetObjectItem(attached, "channel")->valuestring, "proxy-attach");
    cJSON_Delete(attached);
    ws_done(w);
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "ws_frame", "actionName", "ATTACHED"), 2);
    assert_int_equal(count_events(log, "ws_frame", "ruleMatched", "rule-1"), 1);
    cJSON_Delete(log);
    session_end(&s);
}

static void ws_sandbox_disconnect_then_resume(void **state)
{
    (void)state;
    session s = session_new(false, NULL);
    wsock *w = calloc(1, sizeof *w);
    cJSON *connected = sandbox_connect(w, &s, "");
    const char *id = cJSON_GetObjectItem(connected, "connectionId")->valuestring;
    const char *key = cJSON_GetObjectItem(cJSON_GetObjectItem(connected, "connectionDetails"), "connectionKey")->valuestring;
    char extra[300];
    session_act(&s, "{\"type\":\"disconnect\"}");
    assert_int_equal(ws_next_action(w, NULL, WAIT_MS), -1);
    ws_close_fd(w);
    snprintf(extra, sizeof extra, "&resume=%s", key);
    cJSON *resumed = sandbox_connect(w, &s, extra);
    assert_string_equal(cJSON_GetObjectItem(resumed, "connectionId")->valuestring, id);
    cJSON_Delete(resumed);
    cJSON_Delete(connected);
    ws_done(w);
    cJSON *log = session_log(&s);
    assert_int_equal(count_events(log, "ws_connect", NULL, NULL), 2);
    const cJSON *e, *second = NULL;
    cJSON_ArrayForEach(e, log)
        if (strcmp(cJSON_GetObjectItem(e, "type")->valuestring, "ws_connect") == 0)
            second = e;
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(second, "queryParams"), "resume"));
    cJSON_Delete(log);
    session_end(&s);
}

static void proxy_exits_cleanly(void **state)
{
    (void)state;
    int status = proxy_env_stop(px.env);
    px.env = NULL;
    assert_int_equal(status, 0); /* LSan makes a leak a non-zero exit */
}

static int group_setup(void **state)
{
    (void)state;
    px.sbx = sandbox_env_setup();
    if (!px.sbx || fake_start() != 0)
        return -1;
    px.env = proxy_env_start(PROXY_ENV_BIN, px.sbx);
    return px.env ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    proxy_env_stop(px.env);
    fake_stop();
    sandbox_env_teardown(px.sbx);
    return 0;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        ABLY_TEST(default_session_forwards_http, "RSC15l"),
        ABLY_TEST(http_respond_n_times_then_passthrough, "RSC15l3 RSA4b"),
        ABLY_TEST(http_method_and_path_filter, "RSA4b"),
        ABLY_TEST(http_replace_response_forwards_first, "RSL1k4"),
        ABLY_TEST(http_delay_holds_the_request, "RSC15l2"),
        ABLY_TEST(http_drop_resets_the_connection, "RSC15l1"),
        ABLY_TEST(duration_rule_expires, "RSC15l3"),
        ABLY_TEST(expect_continue_is_answered_promptly, "RSL1"),
        ABLY_TEST(control_api_shape, "RSC15l"),
        ABLY_TEST(ws_passthrough_logs_frames_both_ways, "TR2 TR4"),
        ABLY_TEST(ws_replace_connected_with_error, "RTN14a"),
        ABLY_TEST(ws_replace_in_msgpack, "RTN14g TR4"),
        ABLY_TEST(ws_replace_keeps_passthrough_fields, "RTN15c7"),
        ABLY_TEST(ws_refuse_first_connection, "RTN14d"),
        ABLY_TEST(ws_query_contains_and_accept_and_close, "RTN15a"),
        ABLY_TEST(ws_connect_delay_then_forward, "RTN14c"),
        ABLY_TEST(ws_suppress_connected, "RTN14c"),
        ABLY_TEST(ws_suppress_attach_to_server_by_channel, "RTL4f"),
        ABLY_TEST(ws_delay_frame_keeps_order, "RTL4f"),
        ABLY_TEST(ws_inject_to_client_on_second_attached, "RTL13a"),
        ABLY_TEST(ws_timer_inject_and_close, "RTN14b RTN15h"),
        ABLY_TEST(ws_timer_suppress_onwards_starves_client, "RTN23a"),
        ABLY_TEST(ws_imperative_disconnect_and_inject, "RTN15a"),
        ABLY_TEST(ws_close_on_frame_rule, "RTN15a"),
        ABLY_TEST(deleting_a_session_closes_its_websockets, "RTN15a"),
        ABLY_TEST(ws_sandbox_suppressed_attached_then_retry, "RTL4f RTL4c"),
        ABLY_TEST(ws_sandbox_disconnect_then_resume, "RTN15a RTN15c6"),
        ABLY_TEST(proxy_exits_cleanly, "RSC15l"),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
