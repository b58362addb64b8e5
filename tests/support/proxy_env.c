#include "proxy_env.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PX_READY_MS 10000
#define PX_STOP_MS 5000
#define PX_HTTP_TIMEOUT_MS 5000L

static int64_t px_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *proxy_bin(const char *sandbox_bin, char *buf, size_t cap)
{
    const char *env = getenv("ABLY_PROXY_BIN");
    if (env && *env)
        return env;
    const char *sbx = getenv("ABLY_SANDBOX_BIN");
    if (!sbx || !*sbx)
        sbx = sandbox_bin ? sandbox_bin : "";
    const char *slash = strrchr(sbx, '/');
    snprintf(buf, cap, "%.*s/ably-proxy", slash ? (int)(slash - sbx) : 1, slash ? sbx : ".");
    return buf;
}

/* Reads the ready line ("ably-proxy listening on ...") within PX_READY_MS. */
static void read_ready_line(int fd, char *line, size_t cap)
{
    size_t len = 0;
    int64_t deadline = px_now_ms() + PX_READY_MS;
    while (len + 1 < cap && px_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (read(fd, line + len, 1) != 1 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
}

proxy_env *proxy_env_start(const char *sandbox_bin, const sandbox_env *sbx)
{
    char binbuf[1024], target[300];
    const char *bin = proxy_bin(sandbox_bin, binbuf, sizeof binbuf);
    snprintf(target, sizeof target, "%s:%d", sbx->host, sbx->port);
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        /* A test killed by its timeout must not leave the server running. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--target", target, "--port", "0", "--control-port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    read_ready_line(fds[0], line, sizeof line);
    close(fds[0]);
    proxy_env *px = calloc(1, sizeof *px);
    if (!px)
        return NULL;
    px->pid = pid;
    if (sscanf(line, "ably-proxy listening on 127.0.0.1:%d control 127.0.0.1:%d", &px->port, &px->control_port) !=
        2) {
        fprintf(stderr, "ably-proxy did not start (%s): '%s'\n", bin, line);
        proxy_env_stop(px);
        return NULL;
    }
    return px;
}

size_t proxy_env_collect(char *p, size_t size, size_t n, void *ud)
{
    proxy_env_buf *b = ud;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

int proxy_env_http(const char *base_url, const char *method, const char *path, const char *body, char **out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    proxy_env_buf resp = {NULL, 0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, PX_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, proxy_env_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out)
        *out = resp.data;
    else
        free(resp.data);
    return (int)status;
}

/* One call to px's control API. */
static int control(proxy_env *px, const char *method, const char *path, const char *body, char **out)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", px->control_port);
    return proxy_env_http(base, method, path, body, out);
}

int proxy_env_add_rules(proxy_env *px, const char *rules_json)
{
    size_t n = strlen(rules_json) + 64;
    char *body = malloc(n);
    if (!body)
        return -1;
    snprintf(body, n, "{\"rules\":%s,\"position\":\"append\"}", rules_json);
    int status = control(px, "POST", "/sessions/default/rules", body, NULL);
    free(body);
    return status;
}

int proxy_env_clear_rules(proxy_env *px) { return control(px, "DELETE", "/sessions/default/rules", NULL, NULL); }

int proxy_env_action(proxy_env *px, const char *action_json)
{
    return control(px, "POST", "/sessions/default/actions", action_json, NULL);
}

/* The default session's log (cJSON_Delete it), NULL on error. */
static cJSON *session_log(proxy_env *px)
{
    char *text = NULL;
    cJSON *root = NULL;
    if (control(px, "GET", "/sessions/default/log", NULL, &text) == 200)
        root = cJSON_Parse(text);
    free(text);
    return root;
}

int proxy_env_clear_log(proxy_env *px) { return control(px, "DELETE", "/sessions/default/log", NULL, NULL); }

void *proxy_env_log(proxy_env *px) { return session_log(px); }

int proxy_env_count_connects_with(proxy_env *px, const char *param)
{
    cJSON *root = session_log(px);
    if (!root)
        return -1;
    const cJSON *ev;
    int n = 0;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(root, "events"))
    {
        const cJSON *t = cJSON_GetObjectItem(ev, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "ws_connect") == 0 &&
            cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "queryParams"), param))
            n++;
    }
    cJSON_Delete(root);
    return n;
}

int proxy_env_count(proxy_env *px, const char *type, const char *field, const char *value)
{
    cJSON *root = session_log(px);
    if (!root)
        return -1;
    const cJSON *ev;
    int n = 0;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(root, "events"))
    {
        const cJSON *t = cJSON_GetObjectItem(ev, "type");
        if (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0)
            continue;
        const cJSON *f = field ? cJSON_GetObjectItem(ev, field) : NULL;
        if (!field || (cJSON_IsString(f) && strcmp(f->valuestring, value) == 0))
            n++;
    }
    cJSON_Delete(root);
    return n;
}

int proxy_env_stop(proxy_env *px)
{
    if (!px)
        return 0;
    int result = 0;
    if (px->pid > 0) {
        kill(px->pid, SIGTERM);
        int64_t deadline = px_now_ms() + PX_STOP_MS;
        int status = 0;
        result = -1;
        while (px_now_ms() < deadline) {
            if (waitpid(px->pid, &status, WNOHANG) == px->pid) {
                result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            usleep(10000);
        }
        if (result == -1) {
            kill(px->pid, SIGKILL);
            waitpid(px->pid, &status, 0);
        }
    }
    free(px);
    return result;
}
