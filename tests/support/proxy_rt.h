/* Realtime and REST clients through ably-proxy, for the fault tier
 * (uts/realtime/integration/proxy/ specs).
 *
 *     prt_fixture is set up once per test file (sandbox + proxy); prt_test_setup
 *     clears the proxy's rules and log before each test, so each test sees only its
 *     own traffic, as with the per-test proxy sessions of the UTS specs.
 *
 *     ably_client_options o;
 *     prt_options(&o, f);                 // 127.0.0.1:proxy, plain, JSON, no autoConnect
 *     prt_auth auth = prt_auth_jwt(f, NULL);
 *     prt_use_auth(&o, &auth);
 *     ably_realtime *rt = prt_realtime(&o);
 *     prt_states conn; prt_states_init(&conn);
 *     ably_connection_on(rt, ABLY_CONN_EVENT_ANY, prt_conn_listener, &conn);
 *     ably_connection_connect(rt);
 *     assert_true(prt_wait_conn(rt, ABLY_CONN_CONNECTED));
 *     ...
 *     prt_close(rt);                      // close, wait for CLOSED, destroy
 *
 * Every wait is bounded (PRT_WAIT_MS) and polls; nothing asserts on elapsed time.
 * Recorders are filled on the client's service thread and read under their mutex.
 * Not thread-safe otherwise; one fixture per test process. */
#ifndef ABLY_TEST_PROXY_RT_H
#define ABLY_TEST_PROXY_RT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/ably.h"
#include "proxy_env.h"
#include "sandbox_env.h"

#define PRT_WAIT_MS 20000

typedef struct {
    sandbox_env *sbx;
    proxy_env *px;
} prt_fixture;

/* cmocka group setup / teardown (state: prt_fixture *) and per-test setup. The
 * group setup takes the binaries from the test's own translation unit. */
int prt_group_setup_with(void **state, const char *sandbox_bin, const char *upstream);
int prt_group_teardown(void **state);
int prt_test_setup(void **state);
static inline int prt_group_setup(void **state)
{
    return prt_group_setup_with(state, SANDBOX_ENV_BIN, SANDBOX_ENV_UPSTREAM);
}
/* A test with the per-test setup (needs ably_test.h). */
#define PRT_TEST(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, prt_test_setup, NULL)

int64_t prt_now_ms(void);
/* A channel name unique to this process and call: "<prefix>-<pid>-<n>" (static buffer
 * per call site is not enough, so malloc'd; the caller frees). */
char *prt_unique(const char *prefix);

/* ---- auth: JWTs signed with key 0, or tokens requested straight from the sandbox ---- */

typedef struct {
    const prt_fixture *f;
    const char *client_id; /* JWT x-ably-clientId; NULL: none */
    pthread_mutex_t mu;
    int calls;
} prt_auth;

void prt_auth_init(prt_auth *a, const prt_fixture *f, const char *client_id);
void prt_auth_destroy(prt_auth *a);
int prt_auth_calls(prt_auth *a);
/* authCallbacks (ctx: prt_auth *): a JWT made locally, or TokenDetails from the
 * sandbox's requestToken (bypassing the proxy). Both count their calls. */
int prt_jwt_callback(void *ctx, const ably_token_params *params, char **token, ably_token_details *details,
                     ably_token_request *request, ably_error *err);
int prt_token_callback(void *ctx, const ably_token_params *params, char **token, ably_token_details *details,
                       ably_token_request *request, ably_error *err);
/* A JWT for key 0 valid for an hour (malloc'd). */
char *prt_make_jwt(const prt_fixture *f, const char *client_id);
/* A token string requested from the sandbox directly with key 0 (malloc'd), NULL on error. */
char *prt_request_token(const prt_fixture *f);

/* ---- clients ---- */

/* The UTS proxy-test options: endpoint 127.0.0.1 (an explicit host, so no fallbacks,
 * REC2c2), the proxy's port, tls false, JSON, autoConnect false, logs off. No auth. */
void prt_options(ably_client_options *o, const prt_fixture *f);
ably_realtime *prt_realtime(const ably_client_options *o);
/* prt_realtime with JWTs for `client_id` (NULL: none) from `auth`, which this initialises
 * (the caller prt_auth_destroys it after the client). NULL when creation failed. */
ably_realtime *prt_jwt_realtime(ably_client_options *o, prt_auth *auth, const prt_fixture *f,
                                const char *client_id);
/* Closes (when not already FAILED / CLOSED), waits for CLOSED, destroys. NULL-safe. */
void prt_close(ably_realtime *rt);
ably_realtime_channel *prt_channel(ably_realtime *rt, const char *name);

/* ---- printf-style proxy control (the default session) ---- */

/* Appends the rules `fmt` formats (a JSON array text) / runs the action it formats (a
 * JSON object text). HTTP status, -1 on error. */
int prt_add_rules(proxy_env *px, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int prt_act(proxy_env *px, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- recorders ---- */

#define PRT_MAX_STATES 128

/* A list of states (connection or channel) in the order they were entered, plus the
 * reason of the last change. */
typedef struct {
    pthread_mutex_t mu;
    int states[PRT_MAX_STATES];
    int previous[PRT_MAX_STATES];
    int events[PRT_MAX_STATES];
    bool resumed[PRT_MAX_STATES];
    int64_t codes[PRT_MAX_STATES];  /* reason code, 0: none */
    int64_t statuses[PRT_MAX_STATES];
    char messages[PRT_MAX_STATES][96];
    size_t n;
} prt_states;

void prt_states_init(prt_states *s);
void prt_states_destroy(prt_states *s);
void prt_states_clear(prt_states *s);
size_t prt_states_len(prt_states *s);
int prt_states_count(prt_states *s, int state);
/* Whether `seq` (n states) occurs in order (not necessarily adjacent). */
bool prt_states_in_order(prt_states *s, const int *seq, size_t n);
/* Waits until `state` was recorded at least `times` times. */
bool prt_states_wait(prt_states *s, int state, int times);
/* Listeners: ctx is a prt_states. */
void prt_conn_listener(void *ctx, const ably_connection_state_change *c);
void prt_channel_listener(void *ctx, const ably_channel_state_change *c);

/* The outcome of one asynchronous operation. */
typedef struct {
    pthread_mutex_t mu;
    int done;
    bool failed;
    int64_t code;
    int64_t status;
} prt_result;

void prt_result_init(prt_result *r);
void prt_result_destroy(prt_result *r);
void prt_result_fn(void *ctx, const ably_error *err);                                       /* channel ops */
void prt_publish_fn(void *ctx, const ably_error *err, const ably_publish_result *res);       /* publish */
bool prt_result_wait(prt_result *r);

/* ---- waits ---- */

bool prt_wait_conn(ably_realtime *rt, ably_connection_state want);
bool prt_wait_channel(ably_realtime_channel *ch, ably_channel_state want);
/* attach and wait for its callback; true when it succeeded. */
bool prt_attach(ably_realtime_channel *ch);

/* ---- a JWT client recording its connection states ---- */

typedef struct {
    prt_auth auth;
    ably_realtime *rt;
    prt_states conn; /* every connection state change since creation */
} prt_client;

/* Creates c's client through the proxy with options `o` (NULL: prt_options' defaults)
 * and JWTs for `client_id` (NULL: none); an auth callback the caller set in o (e.g.
 * prt_token_callback) is kept. Either way its ctx is c->auth. Not connected.
 * false when the client could not be created (c is then still prt_client_free-able). */
bool prt_client_new(prt_client *c, const prt_fixture *f, ably_client_options *o, const char *client_id);
/* connect() and wait for CONNECTED. */
bool prt_client_connect(prt_client *c);
/* prt_close plus the recorder and auth state. */
void prt_client_free(prt_client *c);

/* ---- the proxy log (default session) ---- */

struct cJSON;
/* Called for each matching frame with its ProtocolMessage and how many ws_connect events
 * the log holds before it. */
typedef void (*prt_frame_fn)(void *ctx, const struct cJSON *message, int connects_before);
/* Visits client-to-server (to_server) or server-to-client frames of `action` (-1: any)
 * on `channel` (NULL: any), only those a rule matched when `rule_matched`, in log order.
 * fn may be NULL. How many matched; -1 on error. */
int prt_each_frame(proxy_env *px, bool to_server, int action, const char *channel, bool rule_matched,
                   prt_frame_fn fn, void *ctx);

/* Client-to-server (to_server) or server-to-client frames of `action` (-1: any) on
 * `channel` (NULL: any); only those a rule matched when `rule_matched`. -1 on error. */
int prt_count_frames(proxy_env *px, bool to_server, int action, const char *channel, bool rule_matched);
/* queryParams[param] of the index-th ws_connect (negative: from the end, -1 last);
 * malloc'd, NULL when absent or no such connect. */
char *prt_connect_param(proxy_env *px, int index, const char *param);

#endif
