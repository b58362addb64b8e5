/* The `ably` command-line tool against the sandbox: every command, --json
 * output, the auto-started local sandbox, and the one-line misuse errors with
 * their Ably codes and exit statuses (0 ok, 1 failed, 2 misuse, 3 no sandbox). */
#include "ably_test.h"
#include "cli_run.h"
#include "sandbox_env.h"

#include <stdarg.h>
#include <sys/stat.h>

#define MAX_ARGS 32

static sandbox_env *env;
static char port_arg[16];
static char xdg_dir[64];

/* Runs `ably` against the provisioned app (explicit --endpoint/--port/--key)
 * with the NULL-terminated arguments. */
static cli_result ably_explicit(const char *first, ...)
{
    char *argv[MAX_ARGS];
    int n = 0;
    argv[n++] = (char *)cli_bin();
    argv[n++] = "--endpoint";
    argv[n++] = env->host;
    argv[n++] = "--port";
    argv[n++] = port_arg;
    argv[n++] = "--no-tls";
    argv[n++] = "--key";
    argv[n++] = sandbox_env_key(env, 0)->key_str;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < MAX_ARGS - 1; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return cli_run_argv(argv);
}

/* Runs `ably` with exactly these arguments (no key, no endpoint added). */
static cli_result ably_bare(const char *first, ...)
{
    char *argv[MAX_ARGS];
    int n = 0;
    argv[n++] = (char *)cli_bin();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < MAX_ARGS - 1; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return cli_run_argv(argv);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static int setup(void **state)
{
    unsetenv("ABLY_KEY");
    if (sandbox_env_group_setup(state) != 0)
        return -1;
    env = *state;
    snprintf(port_arg, sizeof port_arg, "%d", env->port);
    /* The auto-started sandbox keeps its state here, apart from anyone else's. */
    snprintf(xdg_dir, sizeof xdg_dir, "/tmp/ably-cli-xdg-XXXXXX");
    if (!mkdtemp(xdg_dir))
        return -1;
    setenv("XDG_RUNTIME_DIR", xdg_dir, 1);
    return 0;
}

static int teardown(void **state)
{
    cli_result r = ably_bare("sandbox", "stop", NULL); /* in case a test left it running */
    cli_result_clear(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", xdg_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", xdg_dir);
    return sandbox_env_group_teardown(state);
}

static void publish_then_history(void **state)
{
    (void)state;
    cli_result r = ably_explicit("publish", "cli-basic", "greet", "hello there", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "published to cli-basic"));
    cli_result_clear(&r);
    r = ably_explicit("--json", "history", "cli-basic", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_non_null(strstr(r.out, "\"name\":\"greet\""));
    assert_non_null(strstr(r.out, "\"data\":\"hello there\""));
    cli_result_clear(&r);
    r = ably_explicit("history", "cli-basic", NULL); /* plain: name and data on one line */
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "greet  hello there"));
    cli_result_clear(&r);
}

static void history_limit_direction_pages(void **state)
{
    (void)state;
    const char *words[] = { "first", "second", "third" };
    for (int i = 0; i < 3; i++) {
        cli_result r = ably_explicit("publish", "cli-pages", words[i], NULL);
        assert_int_equal(r.status, 0);
        cli_result_clear(&r);
    }
    cli_result r = ably_explicit("--json", "history", "cli-pages", "--limit", "1", "--direction", "forwards",
                                 "--pages", "2", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2); /* two pages of one */
    char *first = strstr(r.out, "\"first\""), *second = strstr(r.out, "\"second\"");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_null(strstr(r.out, "\"third\""));
    cli_result_clear(&r);
}

static void presence_get_lists_members(void **state)
{
    (void)state;
    cli_result r = ably_explicit("presence", "get", "persisted:presence_fixtures", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "client_string  This is a string clientData payload"));
    cli_result_clear(&r);
    r = ably_explicit("--json", "presence", "get", "persisted:presence_fixtures", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"clientId\":\"client_json\""));
    cli_result_clear(&r);
}

static void stats_and_time(void **state)
{
    (void)state;
    cli_result r = ably_explicit("stats", "--unit", "hour", NULL);
    assert_int_equal(r.status, 0);
    cli_result_clear(&r);
    r = ably_explicit("--json", "time", NULL);
    assert_int_equal(r.status, 0);
    long long ms = 0;
    assert_int_equal(sscanf(r.out, "{\"time\":%lld", &ms), 1);
    assert_true(ms > 1600000000000LL);
    cli_result_clear(&r);
}

static void token_request_and_create(void **state)
{
    (void)state;
    cli_result r = ably_explicit("token", "request", "--ttl", "60000", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"keyName\":\""));
    assert_non_null(strstr(r.out, "\"mac\":\""));
    assert_non_null(strstr(r.out, "\"ttl\":60000"));
    cli_result_clear(&r);
    r = ably_explicit("--json", "token", "create", "--client-id", "cli-user", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"token\":\""));
    assert_non_null(strstr(r.out, "\"clientId\":\"cli-user\""));
    cli_result_clear(&r);
}

static void channels_list_and_status(void **state)
{
    (void)state;
    cli_result r = ably_explicit("publish", "cli-list:one", "x", NULL);
    assert_int_equal(r.status, 0);
    cli_result_clear(&r);
    r = ably_explicit("channels", "list", "--prefix", "cli-list", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "cli-list:one\n");
    cli_result_clear(&r);
    r = ably_explicit("--json", "channels", "status", "cli-list:one", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"channelId\":\"cli-list:one\""));
    cli_result_clear(&r);
}

static void batch_publish_to_two_channels(void **state)
{
    (void)state;
    cli_result r = ably_explicit("batch-publish", "cli-b1,cli-b2", "note", "to both", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "published to cli-b1"));
    assert_non_null(strstr(r.out, "published to cli-b2"));
    cli_result_clear(&r);
    r = ably_explicit("history", "cli-b2", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "note  to both"));
    cli_result_clear(&r);
}

/* One line on stderr naming the code; nothing on stdout. */
static void assert_one_line_error(const cli_result *r, int status, const char *code)
{
    assert_int_equal(r->status, status);
    char expected[64];
    snprintf(expected, sizeof expected, "ably: error %s: ", code);
    assert_non_null(strstr(r->err, expected));
    assert_int_equal(count_lines(r->err), 1);
    assert_string_equal(r->out, "");
}

static void misuse_no_key(void **state)
{
    (void)state;
    cli_result r = ably_bare("--endpoint", "127.0.0.1", "--no-tls", "publish", "ch", "data", NULL);
    assert_one_line_error(&r, 2, "40106");
    cli_result_clear(&r);
}

static void misuse_bad_key_format(void **state)
{
    (void)state;
    cli_result r = ably_bare("--key", "not-a-key", "--endpoint", "127.0.0.1", "--port", port_arg, "--no-tls",
                             "publish", "ch", "data", NULL);
    assert_one_line_error(&r, 2, "40101");
    cli_result_clear(&r);
}

static void misuse_bad_channel_name(void **state)
{
    (void)state;
    cli_result r = ably_explicit("publish", "", "data", NULL);
    assert_one_line_error(&r, 2, "40010");
    cli_result_clear(&r);
}

static void misuse_bad_options(void **state)
{
    (void)state;
    cli_result r = ably_explicit("history", "ch", "--limit", "lots", NULL);
    assert_one_line_error(&r, 2, "40003");
    cli_result_clear(&r);
    r = ably_explicit("history", "ch", "--direction", "sideways", NULL);
    assert_one_line_error(&r, 2, "40003");
    cli_result_clear(&r);
    r = ably_explicit("--frobnicate", "time", NULL);
    assert_one_line_error(&r, 2, "40000");
    cli_result_clear(&r);
    r = ably_explicit("teleport", NULL);
    assert_one_line_error(&r, 2, "40000");
    cli_result_clear(&r);
    /* --json makes the error a JSON line too */
    r = ably_explicit("--json", "publish", "", "data", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "{\"error\":{\"code\":40010,"));
    cli_result_clear(&r);
}

static void misuse_sandbox_cannot_start(void **state)
{
    (void)state;
    setenv("ABLY_SANDBOX_BIN", "/nonexistent/ably-sandbox", 1);
    cli_result r = ably_bare("time", NULL);
    unsetenv("ABLY_SANDBOX_BIN");
    assert_one_line_error(&r, 3, "80000");
    cli_result_clear(&r);
}

static void auto_sandbox_start_reuse_stop(void **state)
{
    (void)state;
    cli_result r = ably_bare("publish", "auto", "one", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "started a local sandbox on 127.0.0.1:"));
    assert_int_equal(count_lines(r.err), 1);
    cli_result_clear(&r);
    r = ably_bare("publish", "auto", "two", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "using the local sandbox"));
    cli_result_clear(&r);
    r = ably_bare("--json", "history", "auto", "--direction", "forwards", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2); /* same server, same app: both messages */
    cli_result_clear(&r);
    r = ably_bare("sandbox", "stop", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "stopped the local sandbox"));
    cli_result_clear(&r);
    r = ably_bare("sandbox", "status", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "no local sandbox is running"));
    cli_result_clear(&r);
}

/* Starts `ably` in the background (explicit target) with these arguments. */
static pid_t spawn_explicit(int *out_fd, int *err_fd, const char *const *args)
{
    char *argv[MAX_ARGS];
    int n = 0;
    const char *base[] = { cli_bin(), "--endpoint", env->host, "--port", port_arg, "--no-tls", "--key",
                           sandbox_env_key(env, 0)->key_str };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        argv[n++] = (char *)base[i];
    for (; *args && n < MAX_ARGS - 1; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return cli_spawn(argv, out_fd, err_fd);
}

static void subscribe_streams_messages(void **state)
{
    (void)state;
    int out_fd, err_fd;
    const char *args[] = { "subscribe", "cli-live", "--count", "1", "--duration", "20", NULL };
    pid_t pid = spawn_explicit(&out_fd, &err_fd, args);
    assert_true(cli_wait_for_output(out_fd, "channel cli-live: attached", 10000));
    cli_result p = ably_explicit("publish", "cli-live", "live", "streamed", NULL);
    assert_int_equal(p.status, 0);
    cli_result_clear(&p);
    cli_result r = cli_finish(pid, out_fd, err_fd, 15000);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "connection: connecting"));
    assert_non_null(strstr(r.out, "connection: connected"));
    assert_non_null(strstr(r.out, "live  streamed"));
    cli_result_clear(&r);
}

/* Realtime presence is landing in the library alongside the CLI: until it is
 * linked in, the CLI says so, and these tests are skipped (not passed). */
static void skip_without_realtime_presence(void)
{
    cli_result r = ably_explicit("presence", "subscribe", "cli-probe", "--duration", "0.1", NULL);
    bool missing = r.status != 0 && strstr(r.err, "does not have yet");
    cli_result_clear(&r);
    if (missing)
        skip();
}

static void presence_enter_then_get_and_subscribe(void **state)
{
    (void)state;
    skip_without_realtime_presence();
    int sub_out, sub_err, ent_out, ent_err;
    const char *sub_args[] = { "--json", "presence", "subscribe", "cli-room", "--count", "1", "--duration", "20", NULL };
    pid_t sub = spawn_explicit(&sub_out, &sub_err, sub_args);
    assert_true(cli_wait_for_output(sub_out, "\"state\":\"attached\"", 10000));
    const char *enter_args[] = { "presence", "enter", "cli-room", "hi", "--client-id", "bob", "--duration", "20", NULL };
    pid_t ent = spawn_explicit(&ent_out, &ent_err, enter_args);
    assert_true(cli_wait_for_output(ent_out, "entered presence on cli-room as bob", 10000));
    cli_result r = ably_explicit("presence", "get", "cli-room", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "bob  hi"));
    cli_result_clear(&r);
    kill(ent, SIGINT); /* Ctrl-C: leaves, closes, exits 0 */
    r = cli_finish(ent, ent_out, ent_err, 10000);
    assert_int_equal(r.status, 0);
    cli_result_clear(&r);
    r = cli_finish(sub, sub_out, sub_err, 10000);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"clientId\":\"bob\""));
    cli_result_clear(&r);
}

static void presence_enter_needs_client_id(void **state)
{
    (void)state;
    skip_without_realtime_presence();
    cli_result r = ably_explicit("presence", "enter", "cli-room", NULL);
    assert_one_line_error(&r, 2, "91000");
    cli_result_clear(&r);
}

/* demo.sh, the README's first command, in a state directory of its own: it
 * starts a sandbox, streams, publishes, reads history, and stops the sandbox. */
static void demo_script_runs(void **state)
{
    (void)state;
    char build[PATH_MAX], demo_xdg[64] = "/tmp/ably-demo-xdg-XXXXXX";
    build_path(build, sizeof build, "");
    assert_non_null(mkdtemp(demo_xdg));
    setenv("ABLY_BUILD_DIR", build, 1);
    setenv("XDG_RUNTIME_DIR", demo_xdg, 1);
    char *argv[] = { "/bin/sh", ABLY_SOURCE_DIR "/demo.sh", NULL };
    cli_result r = cli_run_argv(argv);
    cli_result st = ably_bare("sandbox", "status", NULL); /* the demo stopped what it started */
    setenv("XDG_RUNTIME_DIR", xdg_dir, 1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", demo_xdg);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", demo_xdg);
    if (r.status != 0)
        fprintf(stderr, "%s\n%s\n", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "done: publish, subscribe and history work end to end"));
    assert_non_null(strstr(st.out, "no local sandbox is running"));
    cli_result_clear(&r);
    cli_result_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_then_history, "RSL1 RSL2"),
        ABLY_TEST(history_limit_direction_pages, "RSL2a RSL2b TG4"),
        ABLY_TEST(presence_get_lists_members, "RSP3"),
        ABLY_TEST(stats_and_time, "RSC6 RSC16"),
        ABLY_TEST(token_request_and_create, "RSA9 RSA8"),
        ABLY_TEST(channels_list_and_status, "RSC19 RSL8"),
        ABLY_TEST(batch_publish_to_two_channels, "RSC22"),
        ABLY_TEST(misuse_no_key, "RSA14"),
        ABLY_TEST(misuse_bad_key_format, "RSC1"),
        ABLY_TEST(misuse_bad_channel_name, "RSN3a"),
        ABLY_TEST(misuse_bad_options, "RSL2b"),
        ABLY_TEST(misuse_sandbox_cannot_start, "RSC1"),
        ABLY_TEST(auto_sandbox_start_reuse_stop, "RSL1 RSL2"),
        ABLY_TEST(subscribe_streams_messages, "RTL7 RTN4"),
        ABLY_TEST(presence_enter_then_get_and_subscribe, "RTP8 RTP6"),
        ABLY_TEST(presence_enter_needs_client_id, "RTP8"),
        ABLY_TEST(demo_script_runs, "RSL1 RSL2 RTL7"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
