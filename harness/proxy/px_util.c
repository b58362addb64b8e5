/* Buffers, clocks, targets and non-blocking sockets (plain TCP or TLS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "px.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die_oom(void)
{
    fputs("ably-proxy: out of memory\n", stderr);
    abort();
}

void *px_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom();
    return p;
}

void *px_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die_oom();
    return p;
}

char *px_xstrndup(const char *s, size_t n)
{
    char *p = px_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *px_xstrdup(const char *s) { return px_xstrndup(s, strlen(s)); }

void px_buf_append(px_buf *b, const void *bytes, size_t n)
{
    if (n == 0)
        return;
    if (b->off > 0 && b->len + n > b->cap) { /* reclaim consumed space first */
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            die_oom();
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0'; /* so text parsers can treat the buffer as a string */
}

void px_buf_appendf(px_buf *b, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        px_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = px_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    px_buf_append(b, big, (size_t)n);
    free(big);
}

void px_buf_consume(px_buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void px_buf_free(px_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int64_t px_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void px_iso_time(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int px_target_set(px_target *t, const char *hostport, bool tls, int default_port)
{
    memset(t, 0, sizeof *t);
    const char *colon = strrchr(hostport, ':');
    size_t host_len = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (host_len == 0 || host_len >= sizeof t->host)
        return -1;
    memcpy(t->host, hostport, host_len);
    t->port = colon ? atoi(colon + 1) : default_port;
    t->tls = tls;
    if (t->port <= 0 || t->port > 65535)
        return -1;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    if (getaddrinfo(t->host, port, &hints, &res) != 0 || !res)
        return -1;
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void set_nonblocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static SSL_CTX *client_tls_ctx(void)
{
    static SSL_CTX *ctx;
    if (!ctx) {
        ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx)
            return NULL;
        SSL_CTX_set_default_verify_paths(ctx);
        SSL_CTX_set_verify(ctx, getenv("ABLY_PROXY_TLS_NO_VERIFY") ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

void px_sock_init(px_sock *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

void px_sock_adopt(px_sock *s, int fd)
{
    px_sock_init(s);
    s->fd = fd;
    set_nonblocking(fd);
}

int px_sock_connect(px_sock *s, const px_target *t)
{
    px_sock_init(s);
    s->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -1;
    set_nonblocking(s->fd);
    if (connect(s->fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0) {
        if (errno != EINPROGRESS) {
            px_sock_close(s, false);
            return -1;
        }
        s->connecting = true;
    }
    if (t->tls) {
        SSL_CTX *ctx = client_tls_ctx();
        s->ssl = ctx ? SSL_new(ctx) : NULL;
        if (!s->ssl) {
            px_sock_close(s, false);
            return -1;
        }
        SSL_set_fd(s->ssl, s->fd);
        SSL_set_tlsext_host_name(s->ssl, t->host);
        SSL_set1_host(s->ssl, t->host);
        SSL_set_connect_state(s->ssl);
        s->handshaking = true;
    }
    return 0;
}

bool px_sock_open(const px_sock *s) { return s->fd >= 0; }

short px_sock_events(const px_sock *s)
{
    if (s->fd < 0)
        return 0;
    if (s->connecting)
        return POLLOUT;
    short ev = s->eof ? 0 : POLLIN;
    if (px_buf_size(&s->out) > 0 || s->ssl_wants_write)
        ev |= POLLOUT;
    return ev;
}

/* One TLS step; returns bytes moved, 0 when it would block, -1 when the
 * connection is gone. */
static int ssl_result(px_sock *s, int rc)
{
    if (rc > 0)
        return rc;
    int e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return 0;
    if (e == SSL_ERROR_WANT_WRITE) {
        s->ssl_wants_write = true;
        return 0;
    }
    ERR_clear_error();
    return -1;
}

static void advance_handshake(px_sock *s)
{
    s->ssl_wants_write = false;
    int rc = SSL_do_handshake(s->ssl);
    if (rc == 1)
        s->handshaking = false;
    else if (ssl_result(s, rc) < 0)
        s->eof = s->connect_failed = true;
}

void px_sock_flush(px_sock *s)
{
    if (s->fd < 0 || s->connecting || s->handshaking)
        return;
    while (px_buf_size(&s->out) > 0) {
        ssize_t n;
        if (s->ssl) {
            s->ssl_wants_write = false;
            n = ssl_result(s, SSL_write(s->ssl, px_buf_ptr(&s->out), (int)px_buf_size(&s->out)));
        } else {
            n = send(s->fd, px_buf_ptr(&s->out), px_buf_size(&s->out), MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                n = 0;
        }
        if (n < 0) {
            s->eof = true;
            px_buf_consume(&s->out, px_buf_size(&s->out));
            return;
        }
        if (n == 0)
            return;
        px_buf_consume(&s->out, (size_t)n);
    }
}

static void read_available(px_sock *s)
{
    char chunk[16384];
    for (;;) {
        ssize_t n;
        if (s->ssl) {
            n = SSL_read(s->ssl, chunk, sizeof chunk);
            if (n <= 0) {
                int e = SSL_get_error(s->ssl, (int)n);
                if (e == SSL_ERROR_WANT_READ)
                    return;
                if (e == SSL_ERROR_WANT_WRITE) {
                    s->ssl_wants_write = true;
                    return;
                }
                ERR_clear_error();
                s->eof = true;
                return;
            }
        } else {
            n = recv(s->fd, chunk, sizeof chunk, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            if (n <= 0) {
                s->eof = true;
                return;
            }
        }
        px_buf_append(&s->in, chunk, (size_t)n);
    }
}

void px_sock_service(px_sock *s, short revents)
{
    if (s->fd < 0)
        return;
    if (s->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        s->connecting = false;
        if (err != 0) {
            s->eof = s->connect_failed = true;
            return;
        }
    }
    if (s->handshaking) {
        advance_handshake(s);
        if (s->handshaking)
            return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR) || s->ssl)
        read_available(s);
    px_sock_flush(s);
}

void px_sock_close(px_sock *s, bool reset)
{
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        if (reset) {
            struct linger lg = { .l_onoff = 1, .l_linger = 0 };
            setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(s->fd);
        s->fd = -1;
    }
    px_buf_free(&s->in);
    px_buf_free(&s->out);
    s->eof = true;
}

int px_listen(const char *host, int port, int *bound_port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *bound_port = ntohs(a.sin_port);
    return fd;
}
