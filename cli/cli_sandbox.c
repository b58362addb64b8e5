/* The local sandbox behind `ably` with no key and no endpoint.
 *
 * State lives in ${XDG_RUNTIME_DIR:-/tmp}/libably-sandbox-$UID/: `pid`, `port`,
 * `key` (the provisioned test app's first key) and `log` (the server's output).
 * A `lock` file serialises concurrent invocations so two shells never start two
 * servers. The server is started in its own session (setsid) so it outlives the
 * command; `ably sandbox stop` ends it. A recorded server is reused only when its
 * pid is alive, is an ably-sandbox, and answers GET /time.
 *
 * The binary: $ABLY_SANDBOX_BIN, else next to the `ably` binary, else the build
 * tree's harness/ (where CMake put it), else the path compiled in at build time. */
#include "cli.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_PREFIX "ably-sandbox listening on "
#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define ERR_SANDBOX 80000 /* connection_failed: nothing to connect to */

/* Used when ably-common's test-app-setup.json is not at hand. */
static const char FALLBACK_APP[] =
    "{\"keys\":[{}],\"namespaces\":[{\"id\":\"persisted\",\"persisted\":true},"
    "{\"id\":\"mutable\",\"mutableMessages\":true}]}";

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void state_path(char *out, size_t size, const char *file)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (!base || !*base || stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        base = "/tmp"; /* unset, or not there (e.g. a login without a runtime dir) */
    snprintf(out, size, "%s/libably-sandbox-%u%s%s", base, (unsigned)getuid(), file ? "/" : "",
             file ? file : "");
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    return buf;
}

static char *read_state(const char *file)
{
    char path[PATH_MAX];
    state_path(path, sizeof path, file);
    char *text = read_text(path);
    if (text)
        text[strcspn(text, "\r\n")] = '\0';
    return text;
}

static int write_state(const char *file, const char *text)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    state_path(path, sizeof path, file);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* the key is a secret */
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
    close(fd);
    return rc == 0 ? rename(tmp, path) : -1;
}

static void remove_state(void)
{
    static const char *const files[] = { "pid", "port", "key", "app" };
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        state_path(path, sizeof path, files[i]);
        unlink(path);
    }
}

/* Takes the lock for the state directory (created 0700). Returns the fd or -1. */
static int lock_state(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    state_path(dir, sizeof dir, NULL);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    state_path(path, sizeof path, "lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void unlock_state(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* ---- HTTP to the sandbox (plain libcurl: no client exists yet) ---- */

typedef struct {
    char *data;
    size_t len;
} body_buf;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *user)
{
    body_buf *b = user;
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

static long http_call(int port, const char *method, const char *path, const char *body, char **out)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    body_buf b = { NULL, 0 };
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
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

/* ---- finding and starting the server ---- */

static bool executable(const char *path)
{
    return path && *path && access(path, X_OK) == 0;
}

/* out = dir + suffix, when it fits and names an executable file. */
static bool candidate(char *out, size_t size, const char *dir, const char *suffix)
{
    int n = snprintf(out, size, "%s%s", dir, suffix);
    return n > 0 && (size_t)n < size && executable(out);
}

static bool find_sandbox_bin(char *out, size_t size)
{
    const char *env = getenv("ABLY_SANDBOX_BIN");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return executable(out);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (candidate(out, size, self, "/ably-sandbox") ||
                candidate(out, size, self, "/../harness/ably-sandbox"))
                return true;
        }
    }
#ifdef ABLY_CLI_SANDBOX_PATH
    snprintf(out, size, "%s", ABLY_CLI_SANDBOX_PATH);
    return executable(out);
#else
    return false;
#endif
}

/* Whether pid runs an ably-sandbox (guards against a recycled pid). */
static bool is_sandbox_process(pid_t pid)
{
    if (pid <= 0 || kill(pid, 0) != 0)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    char *cmd = read_text(path);
    bool yes = cmd && strstr(cmd, "ably-sandbox") != NULL;
    free(cmd);
    return yes;
}

/* Forks the server into its own session, output to the state dir's log; waits
 * for its ready line. Returns the port, or -1 with *why set. */
static int spawn_sandbox(const char *bin, pid_t *pid_out, const char **why)
{
    char log_path[PATH_MAX];
    state_path(log_path, sizeof log_path, "log");
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0)
        return (*why = "cannot create its log file"), -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(log_fd);
        return (*why = "fork failed"), -1;
    }
    if (pid == 0) {
        setsid();
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        execl(bin, bin, "--port", "0", "--host", "127.0.0.1", "--log-level", "error", (char *)NULL);
        _exit(127);
    }
    close(log_fd);
    int64_t deadline = mono_ms() + READY_TIMEOUT_MS;
    while (mono_ms() < deadline) {
        char *log = read_text(log_path);
        const char *ready = log ? strstr(log, READY_PREFIX) : NULL;
        const char *colon = ready ? strchr(ready + strlen(READY_PREFIX), ':') : NULL;
        int port = colon ? atoi(colon + 1) : 0;
        free(log);
        if (port > 0) {
            *pid_out = pid;
            return port;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return (*why = "it exited before it was ready (see its log)"), -1;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return (*why = "it did not report ready within 10 s"), -1;
}

static char *app_setup_body(void)
{
    const char *upstream = getenv("ABLY_SHARED_UPSTREAM");
    char path[PATH_MAX];
    char *text = NULL;
    if (upstream && *upstream) {
        snprintf(path, sizeof path, "%s/ably-common/test-resources/test-app-setup.json", upstream);
        text = read_text(path);
    }
#ifdef ABLY_CLI_UPSTREAM
    if (!text) {
        snprintf(path, sizeof path, "%s/ably-common/test-resources/test-app-setup.json", ABLY_CLI_UPSTREAM);
        text = read_text(path);
    }
#endif
    return text ? text : strdup(FALLBACK_APP);
}

/* POST /apps; stores the first key and the app id. */
static int provision(int port, char **key_out, char **app_out)
{
    char *body = app_setup_body();
    char *reply = NULL;
    long status = body ? http_call(port, "POST", "/apps", body, &reply) : -1;
    free(body);
    cJSON *app = reply ? cJSON_Parse(reply) : NULL;
    free(reply);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(app, "keys");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(keys, 0), "keyStr");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(app, "appId");
    int rc = -1;
    if (status >= 200 && status < 300 && cJSON_IsString(key) && cJSON_IsString(id)) {
        *key_out = strdup(key->valuestring);
        *app_out = strdup(id->valuestring);
        rc = *key_out && *app_out ? 0 : -1;
    }
    cJSON_Delete(app);
    return rc;
}

/* The recorded server, if it is alive and answering. */
static bool reuse_recorded(int *port, char **key, char **app)
{
    char *pid_s = read_state("pid"), *port_s = read_state("port");
    pid_t pid = pid_s ? (pid_t)atoi(pid_s) : 0;
    *port = port_s ? atoi(port_s) : 0;
    free(pid_s);
    free(port_s);
    if (!is_sandbox_process(pid) || *port <= 0 || http_call(*port, "GET", "/time", NULL, NULL) != 200)
        return false;
    *key = read_state("key");
    *app = read_state("app");
    if (*key && **key && *app)
        return true;
    free(*key);
    free(*app);
    *key = *app = NULL;
    /* Alive but without an app (e.g. provisioning was interrupted): make one. */
    if (provision(*port, key, app) != 0)
        return false;
    write_state("key", *key);
    write_state("app", *app);
    return true;
}

static int start_new(const cli_args *a, int *port, char **key, char **app)
{
    char bin[PATH_MAX];
    if (!find_sandbox_bin(bin, sizeof bin))
        return cli_fail(a, CLI_ESANDBOX, ERR_SANDBOX,
                        "cannot start the local sandbox: ably-sandbox not found (set ABLY_SANDBOX_BIN, or "
                        "give --key and --endpoint)");
    const char *why = NULL;
    pid_t pid = 0;
    *port = spawn_sandbox(bin, &pid, &why);
    if (*port < 0)
        return cli_fail(a, CLI_ESANDBOX, ERR_SANDBOX, "cannot start the local sandbox %s: %s", bin, why);
    if (provision(*port, key, app) != 0) {
        kill(pid, SIGTERM);
        return cli_fail(a, CLI_ESANDBOX, ERR_SANDBOX,
                        "the local sandbox on port %d would not provision a test app", *port);
    }
    char num[32];
    snprintf(num, sizeof num, "%d", (int)pid);
    write_state("pid", num);
    snprintf(num, sizeof num, "%d", *port);
    write_state("port", num);
    write_state("key", *key);
    write_state("app", *app);
    fprintf(stderr, "ably: started a local sandbox on 127.0.0.1:%d (pid %d) with test app %s; "
                    "`ably sandbox stop` stops it\n", *port, (int)pid, *app);
    return CLI_OK;
}

int cli_sandbox_ensure(const cli_args *a, cli_target *t)
{
    int lock = lock_state();
    if (lock < 0)
        return cli_fail(a, CLI_ESANDBOX, ERR_SANDBOX, "cannot start the local sandbox: cannot use %s",
                        getenv("XDG_RUNTIME_DIR") ? getenv("XDG_RUNTIME_DIR") : "/tmp");
    int port = 0;
    char *key = NULL, *app = NULL;
    int rc = CLI_OK;
    if (reuse_recorded(&port, &key, &app)) {
        fprintf(stderr, "ably: using the local sandbox on 127.0.0.1:%d (test app %s)\n", port, app);
    } else {
        remove_state();
        rc = start_new(a, &port, &key, &app);
    }
    unlock_state(lock);
    if (rc == CLI_OK) {
        t->key = key;
        t->endpoint = strdup("127.0.0.1");
        t->port = port;
        t->tls = false;
        t->local_sandbox = true;
        key = NULL;
    }
    free(key);
    free(app);
    return rc;
}

/* Gone, or a zombie nobody has reaped yet (its parent, our caller, exited). */
static bool process_gone(pid_t pid)
{
    if (kill(pid, 0) != 0)
        return true;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = read_text(path);
    const char *paren = stat ? strrchr(stat, ')') : NULL;
    bool zombie = paren && paren[1] == ' ' && paren[2] == 'Z';
    free(stat);
    return zombie;
}

static int stop_recorded(const cli_args *a)
{
    char *pid_s = read_state("pid");
    pid_t pid = pid_s ? (pid_t)atoi(pid_s) : 0;
    free(pid_s);
    if (!is_sandbox_process(pid)) {
        remove_state();
        if (!a->json)
            printf("no local sandbox is running\n");
        return CLI_OK;
    }
    kill(pid, SIGTERM);
    int64_t deadline = mono_ms() + STOP_TIMEOUT_MS;
    while (!process_gone(pid) && mono_ms() < deadline) {
        waitpid(pid, NULL, WNOHANG); /* reaps it when it is our child */
        usleep(20000);
    }
    if (!process_gone(pid) && is_sandbox_process(pid))
        kill(pid, SIGKILL);
    remove_state();
    if (a->json)
        printf("{\"stopped\":%d}\n", (int)pid);
    else
        printf("stopped the local sandbox (pid %d)\n", (int)pid);
    return CLI_OK;
}

int cli_sandbox_command(const cli_args *a)
{
    const char *sub = a->npos > 1 ? a->pos[1] : "";
    int lock = lock_state();
    if (lock < 0)
        return cli_fail(a, CLI_ESANDBOX, ERR_SANDBOX, "cannot use the sandbox state directory");
    int rc;
    if (strcmp(sub, "stop") == 0) {
        rc = stop_recorded(a);
        unlock_state(lock);
        return rc;
    }
    unlock_state(lock);
    if (strcmp(sub, "start") == 0 || strcmp(sub, "status") == 0) {
        cli_target t = { 0 };
        if (strcmp(sub, "status") == 0) {
            char *port = read_state("port"), *pid = read_state("pid");
            bool up = pid && is_sandbox_process((pid_t)atoi(pid));
            if (a->json)
                printf("{\"running\":%s,\"port\":%s}\n", up ? "true" : "false", up && port ? port : "null");
            else if (up)
                printf("local sandbox running on 127.0.0.1:%s (pid %s)\n", port ? port : "?", pid);
            else
                printf("no local sandbox is running\n");
            free(port);
            free(pid);
            return CLI_OK;
        }
        rc = cli_sandbox_ensure(a, &t);
        if (rc == CLI_OK && a->json) {
            char *k = cli_json_string(t.key);
            printf("{\"endpoint\":\"127.0.0.1\",\"port\":%d,\"tls\":false,\"key\":%s}\n", t.port, k ? k : "null");
            free(k);
        } else if (rc == CLI_OK) {
            printf("ABLY_ENDPOINT=127.0.0.1 ABLY_PORT=%d ABLY_KEY=%s\n", t.port, t.key);
        }
        cli_target_clear(&t);
        return rc;
    }
    return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably sandbox start|status|stop");
}

void cli_target_clear(cli_target *t)
{
    free(t->key);
    free(t->endpoint);
    memset(t, 0, sizeof *t);
}
