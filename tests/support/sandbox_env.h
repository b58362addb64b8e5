/* The sandbox a test talks to, for every test tier.
 *
 * With ABLY_TEST_ENDPOINT set (plus optional ABLY_TEST_PORT, ABLY_TEST_TLS=0/1)
 * tests use that real Ably-compatible endpoint. Otherwise the local
 * ably-sandbox is spawned on a free port (binary: env ABLY_SANDBOX_BIN, else
 * the path CMake compiled into the test). Either way a test app is
 * provisioned with POST /apps from ably-common's test-app-setup.json.
 *
 *     static int setup(void **state) { return sandbox_env_group_setup(state); }
 *     static int teardown(void **state) { return sandbox_env_group_teardown(state); }
 *     ... cmocka_run_group_tests(tests, setup, teardown);
 *     ... sandbox_env *env = *state; env->host, env->port, sandbox_env_key(env, 0)->key_str
 *
 * Ownership: sandbox_env_setup allocates the env; sandbox_env_teardown deletes
 * the app, stops the server it started (SIGTERM, then SIGKILL after 5 s) and
 * frees everything. Nothing here blocks longer than its timeout (10 s).
 * Not thread-safe; one env per test process is the intended use. */
#ifndef ABLY_TEST_SANDBOX_ENV_H
#define ABLY_TEST_SANDBOX_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    char *key_name;   /* "appId.keyId" */
    char *key_secret;
    char *key_str;    /* "keyName:keySecret" */
    char *capability; /* JSON text, as the server reports it */
} sandbox_key;

typedef struct {
    char host[256];
    int port;
    bool tls;
    char base_url[300];  /* "http://127.0.0.1:PORT", no trailing slash */
    char *app_id;
    sandbox_key *keys;
    size_t key_count;
    pid_t pid;           /* the spawned server, 0 for an external endpoint */
    int extra_ports[4];  /* see sandbox_env_setup_extra_ports */
    size_t extra_port_count;
} sandbox_env;

/* Starts (or connects to) a sandbox and provisions an app. `bin` may be NULL
 * when ABLY_TEST_ENDPOINT or ABLY_SANDBOX_BIN is set; `upstream` is the
 * ../shared/upstream directory. Returns NULL (after printing why) on failure. */
sandbox_env *sandbox_env_setup_with(const char *bin, const char *upstream);

/* Like sandbox_env_setup_with, but the spawned server also listens on `extra`
 * (at most 4) more free ports (--extra-port 0), read back from GET /_sandbox/faults
 * into env->extra_ports (fallback / fault tests). Needs the local sandbox: with
 * ABLY_TEST_ENDPOINT set it prints why and returns NULL. */
sandbox_env *sandbox_env_setup_extra_ports(const char *bin, const char *upstream, size_t extra);

/* Like sandbox_env_setup_with but only starts the server: no app. */
sandbox_env *sandbox_env_start_server(const char *bin);

/* Deletes the app, stops a spawned server and frees the env. Returns the
 * server's exit status (0 = clean; ASan reports make it non-zero), -1 when it
 * had to be killed, 0 for an external endpoint. NULL-safe. */
int sandbox_env_teardown(sandbox_env *env);

/* Key i of the provisioned app (NULL when out of range). */
const sandbox_key *sandbox_env_key(const sandbox_env *env, size_t i);

/* cmocka group setup/teardown storing the env in *state. */
int sandbox_env_group_setup_with(void **state, const char *bin, const char *upstream);
int sandbox_env_group_teardown(void **state);

/* The compiled-in defaults come from the test's own translation unit. */
#ifdef ABLY_SANDBOX_BIN
#define SANDBOX_ENV_BIN ABLY_SANDBOX_BIN
#else
#define SANDBOX_ENV_BIN NULL
#endif
#ifdef ABLY_SHARED_UPSTREAM
#define SANDBOX_ENV_UPSTREAM ABLY_SHARED_UPSTREAM
#else
#define SANDBOX_ENV_UPSTREAM "../shared/upstream"
#endif

static inline sandbox_env *sandbox_env_setup(void)
{
    return sandbox_env_setup_with(SANDBOX_ENV_BIN, SANDBOX_ENV_UPSTREAM);
}

static inline int sandbox_env_group_setup(void **state)
{
    return sandbox_env_group_setup_with(state, SANDBOX_ENV_BIN, SANDBOX_ENV_UPSTREAM);
}

#endif
