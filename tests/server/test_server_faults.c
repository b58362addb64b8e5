/* ably-sandbox fault rules (harness/sandbox/sbx_faults.h): the control
 * endpoint /_sandbox/faults, each faulty behaviour a client's host fallback
 * must survive (RSC15l1..4), per-port scoping, counts, durations, path and
 * method filters, and the request event log.
 *
 * This file spawns its own server with two extra ports (sandbox_env starts
 * one port only); fault rules are process-wide, so every test starts by
 * clearing them. Against an external endpoint (ABLY_TEST_ENDPOINT) the tests
 * skip: a real Ably has no fault control. */
#include "test_server_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define READY_PREFIX "ably-sandbox listening on "

typedef struct {
    pid_t pid;
    sandbox_env ports[3]; /* [0] the main port, [1] and [2] the extra ports */
} fault_fixture;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void point_env_at(sandbox_env *env, const char *host, int port)
{
    memset(env, 0, sizeof *env);
    snprintf(env->host, sizeof env->host, "%s", host);
    env->port = port;
    snprintf(env->base_url, sizeof env->base_url, "http://%s:%d", host, port);
}

/* Starts ably-sandbox with extra args; returns its pid and main port. */
static pid_t spawn_sandbox(const char *host, const char *const *extra, int *port)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        const char *argv[16] = { SANDBOX_ENV_BIN, "--port", "0", "--host", host, "--log-level", "error" };
        int n = 7;
        for (int i = 0; extra && extra[i] && n < 15; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(SANDBOX_ENV_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t len = 0;
    int64_t deadline = mono_ms() + 10000;
    while (len + 1 < sizeof line) {
        struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
        int64_t left = deadline - mono_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || read(fds[0], line + len, 1) != 1)
            break;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(fds[0]);
    const char *colon = strrchr(line, ':');
    if (strncmp(line, READY_PREFIX, strlen(READY_PREFIX)) != 0 || !colon) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *port = atoi(colon + 1);
    return pid;
}

static int stop_sandbox(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static int group_setup(void **state)
{
    if (getenv("ABLY_TEST_ENDPOINT")) {
        *state = NULL;
        return 0;
    }
    fault_fixture *fx = calloc(1, sizeof *fx);
    const char *const extra[] = { "--extra-port", "0", "--extra-port", "0", NULL };
    int port = 0;
    fx->pid = spawn_sandbox("127.0.0.1", extra, &port);
    if (fx->pid <= 0) {
        fprintf(stderr, "test_server_faults: could not start %s\n", SANDBOX_ENV_BIN);
        free(fx);
        return -1;
    }
    point_env_at(&fx->ports[0], "127.0.0.1", port);
    /* Learn the extra ports from the control endpoint. */
    srv_resp r = srv_get(&fx->ports[0], "/_sandbox/faults", NULL);
    cJSON *j = srv_json(&r);
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(j, "ports");
    int n = cJSON_GetArraySize(ports);
    for (int i = 0; i < n && i < 3; i++)
        point_env_at(&fx->ports[i], "127.0.0.1", cJSON_GetArrayItem(ports, i)->valueint);
    cJSON_Delete(j);
    srv_resp_free(&r);
    *state = fx;
    return n == 3 ? 0 : -1;
}

static int group_teardown(void **state)
{
    fault_fixture *fx = *state;
    if (!fx)
        return 0;
    int rc = stop_sandbox(fx->pid);
    free(fx);
    if (rc != 0)
        fprintf(stderr, "test_server_faults: sandbox exited with %d\n", rc);
    return rc == 0 ? 0 : -1;
}

/* Every test starts from no rules and an empty log. */
static int test_setup(void **state)
{
    fault_fixture *fx = *state;
    if (!fx)
        return 0;
    srv_resp r = srv_do(&fx->ports[0], &(srv_req){ .method = "DELETE", .path = "/_sandbox/faults" });
    long status = r.status;
    srv_resp_free(&r);
    return status == 204 ? 0 : -1;
}

static fault_fixture *fixture(void **state)
{
    if (!*state)
        skip();
    return *state;
}

/* GET /_sandbox/faults must list no rules. */
static void assert_no_rules(fault_fixture *fx)
{
    srv_resp r = srv_get(&fx->ports[0], "/_sandbox/faults", NULL);
    cJSON *j = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "rules")), 0);
    cJSON_Delete(j);
    srv_resp_free(&r);
}

/* Adds a rule (JSON text with %d for the port) and returns its id. */
static int add_rule(fault_fixture *fx, const char *json)
{
    srv_resp r = srv_post_json(&fx->ports[0], "/_sandbox/faults", json, NULL);
    if (r.status != 201)
        print_error("rule %s -> %ld %s\n", json, r.status, r.body);
    assert_int_equal(r.status, 201);
    cJSON *j = srv_json(&r);
    int id = cJSON_GetObjectItemCaseSensitive(j, "id")->valueint;
    cJSON_Delete(j);
    srv_resp_free(&r);
    return id;
}

static long get_status(const sandbox_env *env, const char *path)
{
    srv_resp r = srv_get(env, path, NULL);
    long status = r.status;
    srv_resp_free(&r);
    return status;
}

/* The event log (caller deletes), optionally filtered. */
static cJSON *event_log(fault_fixture *fx, const char *query)
{
    char path[128];
    snprintf(path, sizeof path, "/_sandbox/faults/log%s", query ? query : "");
    srv_resp r = srv_get(&fx->ports[0], path, NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = srv_json(&r);
    srv_resp_free(&r);
    assert_non_null(j);
    return j;
}

static cJSON *events_of(cJSON *log)
{
    cJSON *events = cJSON_GetObjectItemCaseSensitive(log, "events");
    assert_true(cJSON_IsArray(events));
    return events;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int int_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void lists_every_listening_port(void **state)
{
    fault_fixture *fx = fixture(state);
    srv_resp r = srv_get(&fx->ports[2], "/_sandbox/faults", NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = srv_json(&r);
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(j, "ports");
    assert_int_equal(cJSON_GetArraySize(ports), 3);
    assert_int_equal(cJSON_GetArrayItem(ports, 0)->valueint, fx->ports[0].port);
    assert_true(fx->ports[1].port != fx->ports[0].port && fx->ports[2].port != fx->ports[1].port);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "rules")), 0);
    cJSON_Delete(j);
    srv_resp_free(&r);
    /* every port serves the same routes */
    for (int i = 0; i < 3; i++)
        assert_int_equal(get_status(&fx->ports[i], "/time"), 200);
}

static void status_fault_for_next_n_requests(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"503\",\"count\":2}", fx->ports[1].port);
    int id = add_rule(fx, rule);
    for (int i = 0; i < 2; i++) {
        srv_resp r = srv_get(&fx->ports[1], "/time", NULL);
        assert_ably_error(&r, 503, 50300);
        srv_resp_free(&r);
        /* other ports are untouched while the rule is live */
        assert_int_equal(get_status(&fx->ports[0], "/time"), 200);
        assert_int_equal(get_status(&fx->ports[2], "/time"), 200);
    }
    assert_int_equal(get_status(&fx->ports[1], "/time"), 200);
    /* the log says which port got which request and what happened */
    cJSON *log = event_log(fx, NULL);
    cJSON *events = events_of(log);
    assert_int_equal(cJSON_GetArraySize(events), 7);
    const cJSON *first = cJSON_GetArrayItem(events, 0);
    assert_int_equal(int_of(first, "port"), fx->ports[1].port);
    assert_string_equal(str_of(first, "method"), "GET");
    assert_string_equal(str_of(first, "path"), "/time");
    assert_string_equal(str_of(first, "action"), "status");
    assert_int_equal(int_of(first, "status"), 503);
    assert_int_equal(int_of(first, "rule"), id);
    const cJSON *second = cJSON_GetArrayItem(events, 1);
    assert_int_equal(int_of(second, "port"), fx->ports[0].port);
    assert_string_equal(str_of(second, "action"), "pass");
    const cJSON *last = cJSON_GetArrayItem(events, 6);
    assert_int_equal(int_of(last, "port"), fx->ports[1].port);
    assert_string_equal(str_of(last, "action"), "pass");
    cJSON_Delete(log);
    /* the spent rule is gone */
    assert_no_rules(fx);
}

static void status_500_answers_in_the_requested_format(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"status\",\"status\":500,\"count\":1}",
             fx->ports[2].port);
    add_rule(fx, rule);
    srv_resp r = srv_do(&fx->ports[2], &(srv_req){ .method = "GET", .path = "/time",
                                                  .accept = "application/x-msgpack" });
    assert_int_equal(r.status, 500);
    char ct[64];
    assert_true(srv_header(&r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "application/x-msgpack");
    assert_true(srv_header(&r, "x-ably-errorcode", ct, sizeof ct));
    assert_string_equal(ct, "50000");
    srv_resp_free(&r);
}

static void cloudfront_fault_has_no_ably_body(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"cloudfront\",\"count\":1}", fx->ports[1].port);
    add_rule(fx, rule);
    srv_resp r = srv_get(&fx->ports[1], "/time", NULL);
    assert_int_equal(r.status, 502);
    char value[64];
    assert_true(srv_header(&r, "server", value, sizeof value));
    assert_string_equal(value, "CloudFront");
    assert_true(srv_header(&r, "content-type", value, sizeof value));
    assert_non_null(strstr(value, "text/html"));
    assert_false(srv_header(&r, "x-ably-errorcode", value, sizeof value));
    assert_non_null(strstr(r.body, "cloudfront"));
    assert_int_equal(srv_error_code(&r), 0); /* not an Ably ErrorInfo */
    srv_resp_free(&r);
    /* any 4xx/5xx can be chosen (RSC15l4 covers >= 400) */
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"cloudfront\",\"status\":403,\"count\":1}",
             fx->ports[1].port);
    add_rule(fx, rule);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 403);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 200);
}

static void duration_rule_expires(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"500\",\"duration_ms\":400}", fx->ports[1].port);
    add_rule(fx, rule);
    int64_t t0 = mono_ms();
    int faulted = 0;
    while (mono_ms() - t0 < 250) {
        assert_int_equal(get_status(&fx->ports[1], "/time"), 500);
        faulted++;
    }
    assert_true(faulted >= 2); /* no count: every request while the rule lives */
    usleep(300 * 1000);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 200);
}

static void close_fault_drops_the_connection(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"close\",\"count\":1}", fx->ports[2].port);
    add_rule(fx, rule);
    srv_resp r = srv_get(&fx->ports[2], "/time", NULL);
    assert_int_equal(r.status, -1); /* no HTTP answer at all */
    assert_int_equal(r.headers_len, 0);
    srv_resp_free(&r);
    assert_int_equal(get_status(&fx->ports[2], "/time"), 200);
    cJSON *log = event_log(fx, NULL);
    assert_string_equal(str_of(cJSON_GetArrayItem(events_of(log), 0), "action"), "close");
    cJSON_Delete(log);
}

/* A hanging port must not stall the others: the server is single-threaded. */
static void hang_fault_times_the_client_out(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"hang\",\"count\":1,\"hang_ms\":3000}",
             fx->ports[1].port);
    add_rule(fx, rule);
    char url[sizeof fx->ports[1].base_url + 8];
    snprintf(url, sizeof url, "%s/time", fx->ports[1].base_url);
    CURLM *multi = curl_multi_init();
    CURL *hung = curl_easy_init();
    curl_easy_setopt(hung, CURLOPT_URL, url);
    curl_easy_setopt(hung, CURLOPT_TIMEOUT_MS, 800L);
    curl_easy_setopt(hung, CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(multi, hung);
    int running = 1;
    int64_t t0 = mono_ms();
    bool checked_others = false;
    while (running) {
        curl_multi_perform(multi, &running);
        if (!checked_others && mono_ms() - t0 > 200) {
            /* while one request hangs, other requests are answered at once */
            int64_t t1 = mono_ms();
            assert_int_equal(get_status(&fx->ports[0], "/time"), 200);
            assert_int_equal(get_status(&fx->ports[1], "/time"), 200);
            assert_true(mono_ms() - t1 < 500);
            checked_others = true;
        }
        curl_multi_poll(multi, NULL, 0, 50, NULL);
    }
    int64_t elapsed = mono_ms() - t0;
    CURLMsg *msg;
    int left;
    CURLcode result = CURLE_OK;
    while ((msg = curl_multi_info_read(multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            result = msg->data.result;
    curl_multi_remove_handle(multi, hung);
    curl_easy_cleanup(hung);
    curl_multi_cleanup(multi);
    assert_int_equal(result, CURLE_OPERATION_TIMEDOUT);
    assert_true(elapsed >= 700);
    assert_true(checked_others);
    cJSON *log = event_log(fx, NULL);
    const cJSON *first = cJSON_GetArrayItem(events_of(log), 0);
    assert_string_equal(str_of(first, "action"), "hang");
    assert_int_equal(int_of(first, "port"), fx->ports[1].port);
    cJSON_Delete(log);
}

static void path_and_method_filters(void **state)
{
    fault_fixture *fx = fixture(state);
    /* port 0: every port */
    add_rule(fx, "{\"action\":\"503\",\"path\":\"/channels/\",\"method\":\"post\"}");
    assert_int_equal(get_status(&fx->ports[0], "/time"), 200);
    assert_int_equal(get_status(&fx->ports[2], "/time"), 200);
    srv_resp r = srv_post_json(&fx->ports[2], "/channels/faulty/messages", "{\"name\":\"x\"}", NULL);
    assert_ably_error(&r, 503, 50300);
    srv_resp_free(&r);
    /* GET on the same path is not matched: the route answers (401, no credentials) */
    assert_int_equal(get_status(&fx->ports[0], "/channels/faulty/messages"), 401);
    /* the control endpoint itself is never faulted, nor logged */
    add_rule(fx, "{\"action\":\"close\"}");
    assert_int_equal(get_status(&fx->ports[1], "/time"), -1);
    cJSON *log = event_log(fx, NULL);
    cJSON *events = events_of(log);
    int n = cJSON_GetArraySize(events);
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        assert_null(strstr(str_of(cJSON_GetArrayItem(events, i), "path"), "/_sandbox"));
    cJSON_Delete(log);
}

static void delete_one_rule_and_all(void **state)
{
    fault_fixture *fx = fixture(state);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"500\"}", fx->ports[1].port);
    int first = add_rule(fx, rule);
    snprintf(rule, sizeof rule, "{\"port\":%d,\"action\":\"503\"}", fx->ports[1].port);
    int second = add_rule(fx, rule);
    assert_true(second > first);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 500); /* first created wins */
    char path[64];
    snprintf(path, sizeof path, "/_sandbox/faults/%d", first);
    srv_resp r = srv_do(&fx->ports[0], &(srv_req){ .method = "DELETE", .path = path });
    assert_int_equal(r.status, 204);
    srv_resp_free(&r);
    r = srv_do(&fx->ports[0], &(srv_req){ .method = "DELETE", .path = path });
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 503);
    r = srv_do(&fx->ports[0], &(srv_req){ .method = "DELETE", .path = "/_sandbox/faults" });
    assert_int_equal(r.status, 204);
    srv_resp_free(&r);
    assert_int_equal(get_status(&fx->ports[1], "/time"), 200);
    cJSON *log = event_log(fx, NULL);
    assert_int_equal(cJSON_GetArraySize(events_of(log)), 1); /* DELETE cleared the log too */
    cJSON_Delete(log);
}

static void rejects_bad_rules(void **state)
{
    fault_fixture *fx = fixture(state);
    const char *bad[] = {
        "{}", "[]", "{\"action\":\"explode\"}", "{\"action\":\"status\",\"status\":200}",
        "{\"action\":\"500\",\"count\":-1}", "{\"action\":\"500\",\"count\":1.5}",
        "{\"action\":\"500\",\"port\":70000}", "{\"action\":\"hang\",\"hang_ms\":0}",
        "{\"action\":\"500\",\"method\":\"FETCH\"}", "{\"action\":\"500\",\"path\":7}", NULL,
    };
    for (int i = 0; bad[i]; i++) {
        srv_resp r = srv_post_json(&fx->ports[0], "/_sandbox/faults", bad[i], NULL);
        if (r.status != 400)
            print_error("accepted %s\n", bad[i]);
        assert_int_equal(r.status, 400);
        assert_true(srv_error_code(&r) == 40003 || srv_error_code(&r) == 40001);
        srv_resp_free(&r);
    }
    srv_resp r = srv_post_json(&fx->ports[0], "/_sandbox/faults", "{", NULL);
    assert_ably_error(&r, 400, 40001);
    srv_resp_free(&r);
    r = srv_do(&fx->ports[0], &(srv_req){ .method = "PUT", .path = "/_sandbox/faults" });
    assert_ably_error(&r, 405, 40500);
    srv_resp_free(&r);
    r = srv_get(&fx->ports[0], "/_sandbox/faults/nope/deeper", NULL);
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
    assert_no_rules(fx);
}

static void log_filters_by_port_and_since(void **state)
{
    fault_fixture *fx = fixture(state);
    for (int i = 0; i < 3; i++)
        assert_int_equal(get_status(&fx->ports[i], "/time"), 200);
    char query[64];
    snprintf(query, sizeof query, "?port=%d", fx->ports[2].port);
    cJSON *log = event_log(fx, query);
    cJSON *events = events_of(log);
    assert_int_equal(cJSON_GetArraySize(events), 1);
    assert_int_equal(int_of(cJSON_GetArrayItem(events, 0), "port"), fx->ports[2].port);
    int next = int_of(log, "next");
    cJSON_Delete(log);
    assert_int_equal(next, 4);
    assert_int_equal(get_status(&fx->ports[1], "/no/such/route"), 404);
    snprintf(query, sizeof query, "?since=%d", next - 1);
    log = event_log(fx, query);
    events = events_of(log);
    assert_int_equal(cJSON_GetArraySize(events), 1);
    assert_string_equal(str_of(cJSON_GetArrayItem(events, 0), "path"), "/no/such/route");
    assert_int_equal(int_of(cJSON_GetArrayItem(events, 0), "seq"), next);
    cJSON_Delete(log);
    /* the log is bounded: old events roll off, the newest stay */
    for (int i = 0; i < 1100; i++)
        assert_int_equal(get_status(&fx->ports[0], "/time"), 200);
    log = event_log(fx, NULL);
    events = events_of(log);
    assert_int_equal(cJSON_GetArraySize(events), 1024);
    assert_int_equal(int_of(cJSON_GetArrayItem(events, 1023), "seq"), int_of(log, "next") - 1);
    cJSON_Delete(log);
}

/* A non-loopback address of this machine, if it has one. */
static bool find_external_ipv4(char *out, size_t cap)
{
    struct ifaddrs *ifs = NULL, *i;
    bool found = false;
    if (getifaddrs(&ifs) != 0)
        return false;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const struct sockaddr_in *sa = (const struct sockaddr_in *)i->ifa_addr;
        if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
            continue;
        found = inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)cap) != NULL;
    }
    freeifaddrs(ifs);
    return found;
}

static void control_answers_loopback_only(void **state)
{
    fixture(state);
    char ip[64];
    if (!find_external_ipv4(ip, sizeof ip)) {
        print_message("no non-loopback IPv4 address here; cannot test remote peers\n");
        skip();
    }
    int port = 0;
    pid_t pid = spawn_sandbox("0.0.0.0", NULL, &port);
    assert_true(pid > 0);
    sandbox_env remote, local;
    point_env_at(&remote, ip, port);
    point_env_at(&local, "127.0.0.1", port);
    srv_resp r = srv_get(&remote, "/_sandbox/faults", NULL);
    int64_t status = r.status, code = srv_error_code(&r);
    srv_resp_free(&r);
    long remote_time = get_status(&remote, "/time");
    r = srv_post_json(&remote, "/_sandbox/faults", "{\"action\":\"500\"}", NULL);
    long remote_post = r.status;
    srv_resp_free(&r);
    long local_list = get_status(&local, "/_sandbox/faults");
    long local_time = get_status(&local, "/time");
    assert_int_equal(stop_sandbox(pid), 0);
    assert_int_equal(status, 403);
    assert_int_equal(code, 40300);
    assert_int_equal(remote_time, 200); /* the API itself is served to anyone */
    assert_int_equal(remote_post, 403);
    assert_int_equal(local_list, 200);
    assert_int_equal(local_time, 200); /* the refused rule was never added */
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        ABLY_TEST_SETUP_TEARDOWN(lists_every_listening_port, "RSC15", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(status_fault_for_next_n_requests, "RSC15 RSC15l3", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(status_500_answers_in_the_requested_format, "RSC15l3 G1", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(cloudfront_fault_has_no_ably_body, "RSC15l4", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(duration_rule_expires, "RSC15l3", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(close_fault_drops_the_connection, "RSC15l1", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(hang_fault_times_the_client_out, "RSC15l2", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(path_and_method_filters, "RSC15l3", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(delete_one_rule_and_all, "RSC15", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(rejects_bad_rules, "G2", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(log_filters_by_port_and_since, "RSC15", test_setup, NULL),
        ABLY_TEST_SETUP_TEARDOWN(control_answers_loopback_only, "G2", test_setup, NULL),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
