/* The programs in examples/ against the sandbox: each must exit 0 and print
 * what its comments promise. They read ABLY_KEY / ABLY_ENDPOINT / ABLY_PORT /
 * ABLY_TLS, set here from the provisioned test app. */
#include "ably_test.h"
#include "cli_run.h"
#include "sandbox_env.h"

static int setup(void **state)
{
    if (sandbox_env_group_setup(state) != 0)
        return -1;
    sandbox_env *env = *state;
    char port[16];
    snprintf(port, sizeof port, "%d", env->port);
    setenv("ABLY_KEY", sandbox_env_key(env, 0)->key_str, 1);
    setenv("ABLY_ENDPOINT", env->host, 1);
    setenv("ABLY_PORT", port, 1);
    setenv("ABLY_TLS", env->tls ? "1" : "0", 1);
    return 0;
}

static int teardown(void **state)
{
    return sandbox_env_group_teardown(state);
}

/* Runs examples/example_<name> with one optional argument. */
static cli_result run_example(const char *name, const char *arg)
{
    char path[PATH_MAX], rel[128];
    snprintf(rel, sizeof rel, "examples/example_%s", name);
    build_path(path, sizeof path, rel);
    char *argv[] = { path, (char *)arg, NULL };
    return cli_run_argv(argv);
}

static void rest_publish_history(void **state)
{
    (void)state;
    cli_result r = run_example("rest_publish_history", NULL);
    assert_int_equal(r.status, 0);
    char *one = strstr(r.out, "history: count one"), *three = strstr(r.out, "history: count three");
    assert_non_null(one);
    assert_non_null(three);
    assert_true(one < three); /* forwards */
    cli_result_clear(&r);
}

static void realtime_connect(void **state)
{
    (void)state;
    cli_result r = run_example("realtime_connect", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "connection: connecting -> connected"));
    assert_non_null(strstr(r.out, "connected: id "));
    assert_non_null(strstr(r.out, "-> closed"));
    cli_result_clear(&r);
}

static void realtime_pubsub(void **state)
{
    (void)state;
    cli_result r = run_example("realtime_pubsub", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "received: greeting hello realtime"));
    assert_non_null(strstr(r.out, "publish acknowledged"));
    cli_result_clear(&r);
}

static void presence_get(void **state)
{
    (void)state;
    cli_result r = run_example("presence_get", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "member: client_string (present)"));
    assert_non_null(strstr(r.out, "6 member(s) on persisted:presence_fixtures"));
    cli_result_clear(&r);
}

static void token_auth(void **state)
{
    (void)state;
    cli_result r = run_example("token_auth", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "authCallback: signed a token request for key "));
    assert_non_null(strstr(r.out, "published with a token for clientId example-user"));
    cli_result_clear(&r);
}

static void encryption(void **state)
{
    (void)state;
    cli_result r = run_example("encryption", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "decrypted: the eagle has landed"));
    assert_non_null(strstr(r.out, "encoding utf-8/cipher+aes-256-cbc"));
    cli_result_clear(&r);
}

static void missing_key_is_explained(void **state)
{
    (void)state;
    char *saved = strdup(getenv("ABLY_KEY"));
    unsetenv("ABLY_KEY");
    cli_result r = run_example("rest_publish_history", NULL);
    setenv("ABLY_KEY", saved, 1);
    free(saved);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "set ABLY_KEY"));
    cli_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(rest_publish_history, "RSL1 RSL2"),
        ABLY_TEST(realtime_connect, "RTN4a RTN12"),
        ABLY_TEST(realtime_pubsub, "RTL6 RTL7"),
        ABLY_TEST(presence_get, "RSP3"),
        ABLY_TEST(token_auth, "RSA8d RSA4"),
        ABLY_TEST(encryption, "RSL5 RSE1"),
        ABLY_TEST(missing_key_is_explained, "RSC1"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
