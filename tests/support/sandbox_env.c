#include "sandbox_env.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_S 10L
#define STOP_TIMEOUT_MS 5000
#define READY_PREFIX "ably-sandbox listening on "

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Reads the ready line from the child's stdout within the timeout. */
static int read_ready_line(int fd, char *line, size_t cap)
{
    size_t len = 0;
    int64_t deadline = mono_ms() + READY_TIMEOUT_MS;
    while (len + 1 < cap) {
        int64_t left = deadline - mono_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return -1;
        ssize_t n = read(fd, line + len, 1);
        if (n <= 0)
            return -1;
        if (line[len] == '\n') {
            line[len] = '\0';
            return 0;
        }
        len++;
    }
    return -1;
}

static int spawn_server(sandbox_env *env, const char *bin, size_t extra)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* A test killed by its timeout must not leave the server running. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        const char *level = getenv("ABLY_SANDBOX_LOG_LEVEL");
        char *argv[16] = { (char *)bin, "--port", "0", "--log-level", (char *)(level ? level : "error") };
        size_t argc = 5;
        for (size_t i = 0; i < extra && i < 4; i++) {
            argv[argc++] = "--extra-port";
            argv[argc++] = "0";
        }
        argv[argc] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    close(fds[1]);
    env->pid = pid;
    char line[256];
    int rc = read_ready_line(fds[0], line, sizeof line);
    close(fds[0]);
    const char *colon = rc == 0 ? strrchr(line, ':') : NULL;
    if (!colon || strncmp(line, READY_PREFIX, strlen(READY_PREFIX)) != 0) {
        fprintf(stderr, "sandbox_env: %s did not report ready\n", bin);
        return -1;
    }
    size_t host_len = (size_t)(colon - line) - strlen(READY_PREFIX);
    if (host_len >= sizeof env->host)
        return -1;
    memcpy(env->host, line + strlen(READY_PREFIX), host_len);
    env->host[host_len] = '\0';
    env->port = atoi(colon + 1);
    env->tls = false;
    return 0;
}

typedef struct {
    char *data;
    size_t len;
} growbuf;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *user)
{
    growbuf *b = user;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    grown[b->len] = '\0';
    return n;
}

/* One HTTP call; returns the status (or -1) and the body in *body. */
static long http_call(const sandbox_env *env, const char *method, const char *path,
                      const char *body, const char *userpwd, char **out)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", env->base_url, path);
    growbuf b = { NULL, 0 };
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (out)
        *out = b.data;
    else
        free(b.data);
    return status;
}

static char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* Reads the keys in whichever shape the server used (keyName/keySecret, or id/value). */
static int read_keys(sandbox_env *env, const cJSON *app)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(app, "keys");
    size_t n = cJSON_IsArray(keys) ? (size_t)cJSON_GetArraySize(keys) : 0;
    env->keys = calloc(n ? n : 1, sizeof *env->keys);
    if (!env->keys || n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const cJSON *k = cJSON_GetArrayItem(keys, (int)i);
        sandbox_key *out = &env->keys[i];
        env->key_count = i + 1;
        out->key_name = json_str(k, "keyName");
        out->key_secret = json_str(k, "keySecret");
        if (!out->key_name) {
            char *id = json_str(k, "id");
            if (id && (out->key_name = malloc(strlen(env->app_id) + strlen(id) + 2)))
                sprintf(out->key_name, "%s.%s", env->app_id, id);
            free(id);
        }
        if (!out->key_secret)
            out->key_secret = json_str(k, "value");
        out->capability = json_str(k, "capability");
        if (!out->key_name || !out->key_secret)
            return -1;
        out->key_str = malloc(strlen(out->key_name) + strlen(out->key_secret) + 2);
        if (!out->key_str)
            return -1;
        sprintf(out->key_str, "%s:%s", out->key_name, out->key_secret);
    }
    return 0;
}

static int provision_app(sandbox_env *env, const char *upstream)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ably-common/test-resources/test-app-setup.json", upstream);
    char *text = read_file(path);
    cJSON *setup = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *post = cJSON_GetObjectItemCaseSensitive(setup, "post_apps");
    char *body = post ? cJSON_PrintUnformatted(post) : NULL;
    cJSON_Delete(setup);
    if (!body) {
        fprintf(stderr, "sandbox_env: cannot read %s\n", path);
        return -1;
    }
    char *reply = NULL;
    long status = http_call(env, "POST", "/apps", body, NULL, &reply);
    free(body);
    cJSON *app = reply ? cJSON_Parse(reply) : NULL;
    int rc = -1;
    if (status >= 200 && status < 300 && app) {
        env->app_id = json_str(app, "appId");
        rc = env->app_id ? read_keys(env, app) : -1;
    }
    if (rc != 0)
        fprintf(stderr, "sandbox_env: POST /apps failed (%ld): %s\n", status, reply ? reply : "");
    cJSON_Delete(app);
    free(reply);
    return rc;
}

static int use_external(sandbox_env *env, const char *endpoint)
{
    const char *port = getenv("ABLY_TEST_PORT");
    const char *tls = getenv("ABLY_TEST_TLS");
    env->tls = !tls || strcmp(tls, "0") != 0;
    env->port = port ? atoi(port) : (env->tls ? 443 : 80);
    snprintf(env->host, sizeof env->host, "%s", endpoint);
    env->pid = 0;
    return 0;
}

static void set_base_url(sandbox_env *env)
{
    snprintf(env->base_url, sizeof env->base_url, "%s://%s:%d", env->tls ? "https" : "http",
             env->host, env->port);
}

static sandbox_env *start_server(const char *bin, size_t extra)
{
    sandbox_env *env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    const char *endpoint = getenv("ABLY_TEST_ENDPOINT");
    const char *env_bin = getenv("ABLY_SANDBOX_BIN");
    int rc;
    if (endpoint && *endpoint)
        rc = use_external(env, endpoint);
    else if ((env_bin && *env_bin) || bin)
        rc = spawn_server(env, env_bin && *env_bin ? env_bin : bin, extra);
    else {
        fprintf(stderr, "sandbox_env: no ABLY_TEST_ENDPOINT and no sandbox binary\n");
        rc = -1;
    }
    if (rc != 0) {
        sandbox_env_teardown(env);
        return NULL;
    }
    set_base_url(env);
    return env;
}

sandbox_env *sandbox_env_start_server(const char *bin)
{
    return start_server(bin, 0);
}

/* The extra listening ports, from the fault control endpoint's "ports" list. */
static int read_extra_ports(sandbox_env *env)
{
    char *reply = NULL;
    long status = http_call(env, "GET", "/_sandbox/faults", NULL, NULL, &reply);
    cJSON *doc = reply ? cJSON_Parse(reply) : NULL;
    free(reply);
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(doc, "ports");
    env->extra_port_count = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, ports)
    {
        if (cJSON_IsNumber(p) && p->valueint != env->port && env->extra_port_count < 4)
            env->extra_ports[env->extra_port_count++] = p->valueint;
    }
    cJSON_Delete(doc);
    return status == 200 ? 0 : -1;
}

sandbox_env *sandbox_env_setup_extra_ports(const char *bin, const char *upstream, size_t extra)
{
    const char *endpoint = getenv("ABLY_TEST_ENDPOINT");
    if (endpoint && *endpoint) {
        fprintf(stderr, "sandbox_env: extra ports need the local sandbox, not ABLY_TEST_ENDPOINT\n");
        return NULL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sandbox_env *env = start_server(bin, extra);
    if (env && (read_extra_ports(env) != 0 || env->extra_port_count != (extra < 4 ? extra : 4) ||
                provision_app(env, upstream) != 0)) {
        fprintf(stderr, "sandbox_env: could not start with %zu extra ports\n", extra);
        sandbox_env_teardown(env);
        return NULL;
    }
    return env;
}

sandbox_env *sandbox_env_setup_with(const char *bin, const char *upstream)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sandbox_env *env = start_server(bin, 0);
    if (env && provision_app(env, upstream) != 0) {
        sandbox_env_teardown(env);
        return NULL;
    }
    return env;
}

const sandbox_key *sandbox_env_key(const sandbox_env *env, size_t i)
{
    return env && i < env->key_count ? &env->keys[i] : NULL;
}

static int stop_server(pid_t pid)
{
    kill(pid, SIGTERM);
    int64_t deadline = mono_ms() + STOP_TIMEOUT_MS;
    int status;
    while (mono_ms() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fprintf(stderr, "sandbox_env: server %d did not stop in time; killed\n", (int)pid);
    return -1;
}

int sandbox_env_teardown(sandbox_env *env)
{
    if (!env)
        return 0;
    if (env->app_id && env->key_count) {
        char path[256];
        snprintf(path, sizeof path, "/apps/%s", env->app_id);
        http_call(env, "DELETE", path, NULL, env->keys[0].key_str, NULL);
    }
    int rc = 0;
    if (env->pid > 0)
        rc = stop_server(env->pid);
    for (size_t i = 0; i < env->key_count; i++) {
        free(env->keys[i].key_name);
        free(env->keys[i].key_secret);
        free(env->keys[i].key_str);
        free(env->keys[i].capability);
    }
    free(env->keys);
    free(env->app_id);
    free(env);
    return rc;
}

int sandbox_env_group_setup_with(void **state, const char *bin, const char *upstream)
{
    *state = sandbox_env_setup_with(bin, upstream);
    return *state ? 0 : -1;
}

int sandbox_env_group_teardown(void **state)
{
    int rc = sandbox_env_teardown(*state);
    *state = NULL;
    return rc == 0 ? 0 : -1;
}
