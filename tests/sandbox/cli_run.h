/* Runs a built program (the `ably` CLI, an example) as a child process and
 * captures its stdout, stderr and exit status. Header-only: shared by
 * test_cli.c and test_examples.c. The build tree puts the CLI at cli/ably and
 * the examples at examples/example_<name>, next to tests/ (found from
 * /proc/self/exe; ABLY_CLI_BIN overrides the CLI's path). */
#ifndef ABLY_TEST_CLI_RUN_H
#define ABLY_TEST_CLI_RUN_H

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLI_RUN_TIMEOUT_MS 30000

typedef struct {
    int status; /* exit status; -1 when killed or not run */
    char *out;  /* malloc'd */
    char *err;  /* malloc'd */
} cli_result;

static inline void cli_result_clear(cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* <build dir>/<rel>, from this test's location (<build dir>/tests/<exe>). */
static inline void build_path(char *out, size_t size, const char *rel)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    int len = snprintf(out, size, "%s/../%s", self, rel);
    if (len < 0 || (size_t)len >= size)
        fail_msg("build path too long: %s/../%s", self, rel);
}

static inline const char *cli_bin(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("ABLY_CLI_BIN");
    if (env && *env)
        return env;
    build_path(path, sizeof path, "cli/ably");
    return path;
}

static inline char *slurp_fd(int fd)
{
    off_t len = lseek(fd, 0, SEEK_END);
    char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (!buf)
        return NULL;
    lseek(fd, 0, SEEK_SET);
    ssize_t got = len > 0 ? read(fd, buf, (size_t)len) : 0;
    buf[got > 0 ? got : 0] = '\0';
    return buf;
}

static inline int temp_fd(void)
{
    char name[] = "/tmp/ably-cli-test-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0)
        unlink(name);
    return fd;
}

static inline int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts argv[0] with output to two temp files; returns the pid (fds in out/err). */
static inline pid_t cli_spawn(char *const argv[], int *out_fd, int *err_fd)
{
    *out_fd = temp_fd();
    *err_fd = temp_fd();
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        dup2(null_fd, STDIN_FILENO);
        dup2(*out_fd, STDOUT_FILENO);
        dup2(*err_fd, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits for pid (killing it after the timeout) and collects its output. */
static inline cli_result cli_finish(pid_t pid, int out_fd, int err_fd, int timeout_ms)
{
    cli_result r = { -1, NULL, NULL };
    int64_t deadline = cli_now_ms() + timeout_ms;
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && cli_now_ms() < deadline)
        usleep(10000);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (done == pid && WIFEXITED(status)) {
        r.status = WEXITSTATUS(status);
    }
    r.out = slurp_fd(out_fd);
    r.err = slurp_fd(err_fd);
    close(out_fd);
    close(err_fd);
    return r;
}

/* Runs argv to completion. argv[0] is the program's path. */
static inline cli_result cli_run_argv(char *const argv[])
{
    int out_fd, err_fd;
    pid_t pid = cli_spawn(argv, &out_fd, &err_fd);
    return cli_finish(pid, out_fd, err_fd, CLI_RUN_TIMEOUT_MS);
}

/* Waits until the file behind fd contains `needle`; true when it did in time. */
static inline bool cli_wait_for_output(int fd, const char *needle, int timeout_ms)
{
    int64_t deadline = cli_now_ms() + timeout_ms;
    while (cli_now_ms() < deadline) {
        char *text = slurp_fd(fd);
        bool found = text && strstr(text, needle);
        free(text);
        if (found)
            return true;
        usleep(20000);
    }
    return false;
}

#endif
