/* ably-sandbox under load: thousands of concurrent keep-alive connections,
 * slowloris-style half requests, and memory that stays bounded (the server's
 * RSS from /proc). The server is single-threaded, so the point is that no
 * crowd of connections, busy or stuck, stops it answering everyone else.
 *
 * Each test spawns its own server (it needs --timeout, and its own RSS), with
 * a small ASan quarantine so freed memory is reused and RSS means something.
 * The whole file runs in a few seconds. */
#include "test_server_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define READY_PREFIX "ably-sandbox listening on "
#define MAX_CONNS 3000
#define RESPONSE_CAP 1024

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    pid_t pid;
    sandbox_env env;
} server;

/* The server of the running test, killed by the teardown if a failed
 * assertion skipped stop_server. */
static server *current;

/* Starts ably-sandbox with --timeout secs; the child inherits our raised fd limit. */
static void start_server(server *s, const char *timeout_secs)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        /* Keep ASan's options but bound its quarantine: otherwise freed
         * memory is held back (256 MB by default) and RSS only grows. */
        const char *asan = getenv("ASAN_OPTIONS");
        char opts[512];
        snprintf(opts, sizeof opts, "%s%squarantine_size_mb=4", asan ? asan : "", asan && *asan ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
        execl(SANDBOX_ENV_BIN, SANDBOX_ENV_BIN, "--port", "0", "--log-level", "error", "--timeout",
              timeout_secs, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    current = s;
    char line[256];
    size_t len = 0;
    while (len + 1 < sizeof line) {
        struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
        if (poll(&pfd, 1, 10000) <= 0 || read(fds[0], line + len, 1) != 1 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(fds[0]);
    assert_int_equal(strncmp(line, READY_PREFIX, strlen(READY_PREFIX)), 0);
    memset(&s->env, 0, sizeof s->env);
    s->env.port = atoi(strrchr(line, ':') + 1);
    snprintf(s->env.host, sizeof s->env.host, "127.0.0.1");
    snprintf(s->env.base_url, sizeof s->env.base_url, "http://127.0.0.1:%d", s->env.port);
}

/* SIGTERM and wait: the exit status must be 0 (clean, no ASan report). */
static void stop_server(server *s)
{
    int status = 0;
    pid_t pid = s->pid;
    s->pid = 0;
    current = NULL;
    kill(pid, SIGTERM);
    bool exited = false;
    for (int i = 0; i < 500 && !(exited = waitpid(pid, &status, WNOHANG) == pid); i++)
        usleep(10000);
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("ably-sandbox did not stop on SIGTERM");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* VmRSS (now) or VmHWM (peak) of a process, in kB. */
static long proc_kb(pid_t pid, const char *field)
{
    char path[64], line[256], pattern[32];
    snprintf(pattern, sizeof pattern, "%s: %%ld kB", field);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, pattern, &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static long rss_kb(pid_t pid)
{
    return proc_kb(pid, "VmRSS");
}

/* Enough descriptors for our sockets and the server's (it inherits the limit). */
static size_t raise_fd_limit(size_t want)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < want + 256) {
        rl.rlim_cur = rl.rlim_max < want + 256 ? rl.rlim_max : want + 256;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t usable = rl.rlim_cur > 256 ? (size_t)rl.rlim_cur - 256 : 0;
    return usable < want ? usable : want;
}

/* Non-blocking connect; completion is checked by the poll loops below. */
static int open_conn(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Waits until every socket is connected (writable) or the deadline passes.
 * epoll keeps the client side O(ready), so the timing measures the server. */
static size_t wait_connected(const int *fds, size_t n, int64_t deadline)
{
    int ep = epoll_create1(0);
    for (size_t i = 0; i < n; i++) {
        struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    size_t done = 0, connected = 0;
    struct epoll_event evs[256];
    while (done < n && mono_ms() < deadline) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int j = 0; j < k; j++) {
            int fd = fds[evs[j].data.u64], err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            done++;
            connected += err == 0;
        }
    }
    close(ep);
    return connected;
}

static void send_all(const int *fds, size_t n, const char *req)
{
    size_t len = strlen(req);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(send(fds[i], req, len, MSG_NOSIGNAL), (ssize_t)len);
}

typedef struct {
    char buf[RESPONSE_CAP];
    size_t len;
    bool complete;
    bool ok;
} response;

/* One response is complete once its headers and Content-Length bytes are in. */
static void check_complete(response *r)
{
    r->buf[r->len] = '\0';
    char *end = strstr(r->buf, "\r\n\r\n");
    if (!end)
        return;
    char *cl = strcasestr(r->buf, "content-length:");
    size_t body = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    if (r->len >= (size_t)(end + 4 - r->buf) + body) {
        r->complete = true;
        r->ok = strncmp(r->buf, "HTTP/1.1 200", 12) == 0;
    }
}

/* Reads one response from every socket; returns how many were 200s. */
static size_t read_responses(const int *fds, size_t n, int64_t deadline)
{
    response *rs = calloc(n, sizeof *rs);
    int ep = epoll_create1(0);
    for (size_t i = 0; i < n; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    size_t complete = 0, ok = 0;
    struct epoll_event evs[256];
    while (complete < n && mono_ms() < deadline) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int j = 0; j < k; j++) {
            size_t i = (size_t)evs[j].data.u64;
            response *r = &rs[i];
            ssize_t got = recv(fds[i], r->buf + r->len, RESPONSE_CAP - 1 - r->len, 0);
            if (got < 0 && errno == EAGAIN)
                continue;
            if (got <= 0) {
                r->complete = true; /* closed without a (full) answer */
            } else {
                r->len += (size_t)got;
                check_complete(r);
                if (!r->complete && r->len == RESPONSE_CAP - 1)
                    r->complete = true;
            }
            if (r->complete) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
                complete++;
                ok += r->ok;
            }
        }
    }
    close(ep);
    free(rs);
    return ok;
}

/* A /time round trip on a fresh connection, in ms (-1 on failure). */
static int64_t probe_ms(const sandbox_env *env)
{
    int64_t t0 = mono_ms();
    srv_resp r = srv_get(env, "/time", NULL);
    long status = r.status;
    srv_resp_free(&r);
    return status == 200 ? mono_ms() - t0 : -1;
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

/* Opens n connections, does two requests on each (keep-alive), keeps them open
 * while probing, then closes them. Returns the server's RSS while they were open. */
static long keep_alive_round(server *s, int *fds, size_t n)
{
    static const char req[] = "GET /time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    int64_t t0 = mono_ms();
    for (size_t i = 0; i < n; i++)
        fds[i] = open_conn(s->env.port);
    /* generous deadlines: correctness here, the timings are only printed */
    assert_int_equal(wait_connected(fds, n, t0 + 8000), n);
    send_all(fds, n, req);
    assert_int_equal(read_responses(fds, n, t0 + 8000), n);
    int64_t first = mono_ms() - t0;
    /* same connections again: they were kept alive */
    send_all(fds, n, req);
    assert_int_equal(read_responses(fds, n, mono_ms() + 6000), n);
    int64_t both = mono_ms() - t0;
    int64_t probe = probe_ms(&s->env);
    long rss = rss_kb(s->pid);
    print_message("%zu connections: %lld ms for the first request on each, %lld ms for both; "
                  "probe %lld ms; server RSS %ld kB\n",
                  n, (long long)first, (long long)both, (long long)probe, rss);
    assert_true(probe >= 0 && probe < 500);
    close_all(fds, n);
    return rss;
}

static int conn_fds[MAX_CONNS];

static void thousands_of_keep_alive_connections(void **state)
{
    (void)state;
    size_t n = raise_fd_limit(2 * MAX_CONNS + 64) / 2; /* ours and the server's */
    if (n > MAX_CONNS)
        n = MAX_CONNS;
    assert_true(n >= 1000);
    server s;
    start_server(&s, "10");
    assert_true(probe_ms(&s.env) >= 0);
    long base = rss_kb(s.pid);
    long open1 = keep_alive_round(&s, conn_fds, n);
    long peak1 = proc_kb(s.pid, "VmHWM");
    long open2 = keep_alive_round(&s, conn_fds, n);
    long peak2 = proc_kb(s.pid, "VmHWM");
    usleep(100 * 1000);
    long after = rss_kb(s.pid);
    print_message("server RSS: %ld kB idle, %ld / %ld kB with connections open, peak %ld / %ld kB after "
                  "round 1 / 2, %ld kB after closing (peak %.1f kB per connection)\n",
                  base, open1, open2, peak1, peak2, after, (double)(peak1 - base) / (double)n);
    /* bounded: a second identical round reuses the first one's memory, and a
     * connection costs at most its header buffer (16 kB) plus change */
    assert_true(peak2 - peak1 < 16 * 1024);
    assert_true((peak1 - base) / (long)n < 32);
    assert_true(probe_ms(&s.env) >= 0);
    stop_server(&s);
}

/* Slowloris: many connections that never finish their headers or body. The
 * server must keep answering others, then drop them after --timeout. */
static void slowloris_half_requests_time_out(void **state)
{
    (void)state;
    size_t n = raise_fd_limit(2 * 1000 + 64) / 2;
    if (n > 1000)
        n = 1000;
    server s;
    start_server(&s, "1");
    long base = rss_kb(s.pid);
    int *fds = conn_fds;
    static const char *const halves[] = {
        "GET /ti",                                                         /* request line */
        "GET /time HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",                /* headers */
        "POST /apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{\"keys\":[",                          /* body */
    };
    int64_t t0 = mono_ms();
    for (size_t i = 0; i < n; i++)
        fds[i] = open_conn(s.env.port);
    assert_int_equal(wait_connected(fds, n, t0 + 4000), n);
    for (size_t i = 0; i < n; i++) {
        const char *h = halves[i % 3];
        assert_int_equal(send(fds[i], h, strlen(h), MSG_NOSIGNAL), (ssize_t)strlen(h));
    }
    long loaded = rss_kb(s.pid);
    /* everyone else is still served promptly, repeatedly */
    for (int i = 0; i < 5; i++) {
        int64_t ms = probe_ms(&s.env);
        assert_true(ms >= 0 && ms < 500);
        usleep(100 * 1000);
    }
    /* and the stuck connections are dropped once the timeout passes: each
     * sees EOF/reset, or at most an error status, never a success */
    size_t closed = 0;
    int64_t deadline = t0 + 4000; /* --timeout 1, checked once a second */
    bool *gone = calloc(n, sizeof *gone);
    struct pollfd *p = calloc(n, sizeof *p);
    while (closed < n && mono_ms() < deadline) {
        for (size_t i = 0; i < n; i++)
            p[i] = (struct pollfd){ .fd = gone[i] ? -1 : fds[i], .events = POLLIN };
        poll(p, n, 100);
        for (size_t i = 0; i < n; i++) {
            if (gone[i] || !p[i].revents)
                continue;
            char buf[512];
            ssize_t got = recv(fds[i], buf, sizeof buf - 1, 0);
            if (got > 0) {
                buf[got] = '\0';
                assert_null(strstr(buf, "HTTP/1.1 2"));
                continue;
            }
            if (got < 0 && errno == EAGAIN)
                continue;
            gone[i] = true;
            closed++;
        }
    }
    int64_t took = mono_ms() - t0;
    free(gone);
    free(p);
    close_all(fds, n);
    usleep(100 * 1000);
    long after = rss_kb(s.pid);
    print_message("%zu half requests: all dropped by the server after %lld ms; RSS %ld kB idle, "
                  "%ld kB loaded, %ld kB after\n", n, (long long)took, base, loaded, after);
    assert_int_equal(closed, n);
    assert_true(after - base < 16 * 1024);
    assert_true(probe_ms(&s.env) >= 0);
    stop_server(&s);
}

static int kill_leftover_server(void **state)
{
    (void)state;
    if (current && current->pid > 0) {
        kill(current->pid, SIGKILL);
        waitpid(current->pid, NULL, 0);
    }
    current = NULL;
    return 0;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        ABLY_TEST_SETUP_TEARDOWN(thousands_of_keep_alive_connections, "G2", NULL, kill_leftover_server),
        ABLY_TEST_SETUP_TEARDOWN(slowloris_half_requests_time_out, "G2", NULL, kill_leftover_server),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
