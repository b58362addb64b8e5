/* ably-sandbox robustness: malformed bodies, wrong content types, oversized and
 * half-sent requests, unknown routes; and the process contract (ready line,
 * start time, clean SIGTERM exit). The server must answer with a clear error
 * or close the connection, never crash: every test ends by checking it still
 * serves, and teardown checks it exits with status 0 (ASan clean). */
#include "test_server_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>

static void assert_still_serving(const sandbox_env *env)
{
    srv_resp r = srv_get(env, "/time", NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
}

static int connect_raw(const sandbox_env *env)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)env->port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Sends raw bytes, then reads whatever comes back until close or timeout. */
static size_t raw_exchange(const sandbox_env *env, const char *data, size_t len, char *out, size_t cap,
                           bool half_close)
{
    int fd = connect_raw(env);
    assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
    if (half_close)
        shutdown(fd, SHUT_WR);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < cap && (n = recv(fd, out + got, cap - 1 - got, 0)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fd);
    return got;
}

static void malformed_json_is_400(void **state)
{
    sandbox_env *env = *state;
    const char *bodies[] = { "{", "{\"name\":}", "[{]", "nul", "{\"a\":1} trailing", "\xff\xfe", NULL };
    for (int i = 0; bodies[i]; i++) {
        srv_resp r = srv_post_json(env, "/channels/x/messages", bodies[i], sandbox_env_key(env, 0)->key_str);
        assert_ably_error(&r, 400, 40001);
        srv_resp_free(&r);
        r = srv_post_json(env, "/apps", bodies[i], NULL);
        assert_ably_error(&r, 400, 40001);
        srv_resp_free(&r);
    }
    /* nesting deeper than the limit */
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    srv_resp r = srv_post_json(env, "/apps", deep, NULL);
    assert_int_equal(r.status, 400);
    srv_resp_free(&r);
    assert_still_serving(env);
}

static void malformed_msgpack_is_400(void **state)
{
    sandbox_env *env = *state;
    static const unsigned char truncated[] = { 0x82, 0xa4, 'n', 'a' };
    static const unsigned char int_key[] = { 0x81, 0x01, 0x02 };
    static const unsigned char trailing[] = { 0x80, 0x80 };
    static const unsigned char reserved[] = { 0xc1 };
    const struct { const unsigned char *b; size_t n; } cases[] = {
        { truncated, sizeof truncated }, { int_key, sizeof int_key },
        { trailing, sizeof trailing }, { reserved, sizeof reserved },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_req q = { .method = "POST", .path = "/channels/x/messages", .content_type = "application/x-msgpack",
                      .body = cases[i].b, .body_len = cases[i].n, .userpwd = sandbox_env_key(env, 0)->key_str };
        srv_resp r = srv_do(env, &q);
        assert_ably_error(&r, 400, 40001);
        srv_resp_free(&r);
    }
    assert_still_serving(env);
}

static void wrong_content_type_is_415(void **state)
{
    sandbox_env *env = *state;
    srv_req q = { .method = "POST", .path = "/channels/x/messages", .content_type = "text/plain",
                  .body = "{\"name\":\"a\"}", .userpwd = sandbox_env_key(env, 0)->key_str };
    srv_resp r = srv_do(env, &q);
    assert_ably_error(&r, 415, 40001);
    srv_resp_free(&r);
    q.path = "/apps";
    q.content_type = "application/xml";
    r = srv_do(env, &q);
    assert_ably_error(&r, 415, 40001);
    srv_resp_free(&r);
}

static void errors_follow_accept_format(void **state)
{
    sandbox_env *env = *state;
    srv_req q = { .method = "GET", .path = "/channels/x/messages", .accept = "application/x-msgpack" };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 401);
    char ct[64], msg[256];
    assert_true(srv_header(&r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "application/x-msgpack");
    assert_true(srv_header(&r, "x-ably-errormessage", msg, sizeof msg));
    assert_true(strlen(msg) > 0);
    assert_int_equal((unsigned char)r.body[0], 0x81); /* {"error": ...} */
    srv_resp_free(&r);
}

static void unknown_route_and_method(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_get(env, "/no/such/route", NULL);
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
    r = srv_do(env, &(srv_req){ .method = "PUT", .path = "/time" });
    assert_ably_error(&r, 405, 40500);
    srv_resp_free(&r);
    r = srv_do(env, &(srv_req){ .method = "DELETE", .path = "/channels/x/messages" });
    assert_ably_error(&r, 405, 40500);
    srv_resp_free(&r);
}

static void oversized_body_is_413(void **state)
{
    sandbox_env *env = *state;
    size_t n = 5 * 1024 * 1024; /* over the default 4 MiB limit */
    char *big = malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    srv_req q = { .method = "POST", .path = "/apps", .content_type = "application/json",
                  .body = big, .body_len = n };
    srv_resp r = srv_do(env, &q);
    /* the server answers before reading the body and closes; curl may see the
     * answer or a reset, never a success */
    assert_true(r.status == 413 || r.status == -1);
    if (r.status == 413)
        assert_int_equal(srv_error_code(&r), 40009);
    srv_resp_free(&r);
    free(big);
    /* chunked: the size is only known while reading */
    char head[256];
    snprintf(head, sizeof head, "POST /apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n");
    int fd = connect_raw(env);
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    char chunk[70000];
    size_t body = 65536;
    int hl = snprintf(chunk, sizeof chunk, "%zx\r\n", body);
    memset(chunk + hl, ' ', body);
    memcpy(chunk + hl + body, "\r\n", 2);
    for (int i = 0; i < 70; i++) /* ~4.5 MiB */
        if (send(fd, chunk, (size_t)hl + body + 2, MSG_NOSIGNAL) < 0)
            break;
    send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
    char reply[4096];
    ssize_t got = recv(fd, reply, sizeof reply - 1, 0);
    close(fd);
    if (got > 0) {
        reply[got] = '\0';
        assert_non_null(strstr(reply, " 413"));
    }
    assert_still_serving(env);
}

static void half_sent_requests_do_not_hurt(void **state)
{
    sandbox_env *env = *state;
    char out[4096];
    /* headers promise 100 bytes, 10 arrive, then the client goes away */
    const char *partial = "POST /apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100\r\n\r\n{\"keys\":[";
    raw_exchange(env, partial, strlen(partial), out, sizeof out, true);
    assert_null(strstr(out, " 201"));
    /* an unfinished request line */
    raw_exchange(env, "GET /ti", 7, out, sizeof out, true);
    assert_null(strstr(out, " 200"));
    /* garbage */
    const char *junk = "\x16\x03\x01\x02\x00 not http at all\r\n\r\n";
    raw_exchange(env, junk, strlen(junk), out, sizeof out, true);
    assert_null(strstr(out, " 200"));
    /* a bad percent escape in the path */
    const char *bad = "GET /channels/%zz/messages HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_exchange(env, bad, strlen(bad), out, sizeof out, true);
    assert_null(strstr(out, " 200"));
    assert_still_serving(env);
}

static void keep_alive_serves_several_requests(void **state)
{
    sandbox_env *env = *state;
    const char *two = "GET /time HTTP/1.1\r\nHost: x\r\n\r\nGET /time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char out[4096];
    raw_exchange(env, two, strlen(two), out, sizeof out, false);
    char *first = strstr(out, "HTTP/1.1 200");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "HTTP/1.1 200"));
}

/* A body-carrying request answered with an empty 2xx, then the next request on
 * the same connection, many times over: the client may send its next request
 * the instant the empty answer is complete, which once wedged the sandbox. */
static void keep_alive_after_empty_answer_to_a_body(void **state)
{
    sandbox_env *env = *state;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char publish_url[600], time_url[600];
    snprintf(publish_url, sizeof publish_url, "%s/push/publish", env->base_url);
    snprintf(time_url, sizeof time_url, "%s/time", env->base_url);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    srv_buf sink = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, sandbox_env_key(env, 0)->key_str);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, srv_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    const char *body = "{\"recipient\":{\"clientId\":\"bob\"},\"data\":{\"k\":\"v\"}}";
    long status = 0, connects = 0, total_connects = 0;
    for (int i = 0; i < 200; i++) {
        curl_easy_setopt(c, CURLOPT_URL, publish_url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 201);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        total_connects += connects;
    }
    curl_easy_setopt(c, CURLOPT_URL, time_url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    total_connects += connects;
    assert_int_equal(total_connects, 1); /* all 201 requests on one connection */
    free(sink.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void starts_fast_and_stops_cleanly(void **state)
{
    (void)state;
    int64_t t0 = mono_ms();
    sandbox_env *env = sandbox_env_start_server(SANDBOX_ENV_BIN);
    int64_t started = mono_ms() - t0;
    assert_non_null(env);
    assert_true(env->port > 0);
    assert_string_equal(env->host, "127.0.0.1");
    assert_true(started < 1000);
    print_message("ably-sandbox ready in %lld ms\n", (long long)started);
    assert_still_serving(env);
    assert_int_equal(sandbox_env_teardown(env), 0);
}

static int run_sandbox(const char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execv(SANDBOX_ENV_BIN, (char *const *)args);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void bad_arguments_exit_with_usage(void **state)
{
    (void)state;
    const char *const no_port[] = { SANDBOX_ENV_BIN, NULL };
    const char *const bad_port[] = { SANDBOX_ENV_BIN, "--port", "99999", NULL };
    const char *const unknown[] = { SANDBOX_ENV_BIN, "--port", "0", "--frobnicate", "1", NULL };
    const char *const bad_level[] = { SANDBOX_ENV_BIN, "--port", "0", "--log-level", "loud", NULL };
    assert_int_equal(run_sandbox(no_port), 2);
    assert_int_equal(run_sandbox(bad_port), 2);
    assert_int_equal(run_sandbox(unknown), 2);
    assert_int_equal(run_sandbox(bad_level), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(malformed_json_is_400, "G2"),
        ABLY_TEST(malformed_msgpack_is_400, "G1 G2"),
        ABLY_TEST(wrong_content_type_is_415, "G2"),
        ABLY_TEST(errors_follow_accept_format, "G1 TI1"),
        ABLY_TEST(unknown_route_and_method, "G2 TI1"),
        ABLY_TEST(oversized_body_is_413, "G2"),
        ABLY_TEST(half_sent_requests_do_not_hurt, "G2"),
        ABLY_TEST(keep_alive_serves_several_requests, "G2"),
        ABLY_TEST(keep_alive_after_empty_answer_to_a_body, "G2"),
        ABLY_TEST(starts_fast_and_stops_cleanly, "G2"),
        ABLY_TEST(bad_arguments_exit_with_usage, "G2"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
