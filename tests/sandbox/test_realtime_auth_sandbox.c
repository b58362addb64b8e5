/* Realtime authentication against the sandbox (uts/realtime/integration/auth.md,
 * auth/token_renewal_test.md, auth/token_request_test.md): JWTs and native tokens from
 * an authCallback, in-band reauthorization, authorize from INITIALIZED, clientId
 * checks, renewal of an expiring token, TokenRequests made by another client. The real
 * lws transport and the service thread (THREAD mode).
 *
 * The authCallback runs on the service thread, so what it counts is atomic; every wait
 * is bounded so a misbehaving server or client fails the test instead of hanging it. */
#include "test_rest_support.h"
#include "rt_sandbox.h"

#include <pthread.h>
#include <stdatomic.h>

#define RT_WAIT_MS 10000

static bool wait_state(ably_realtime *rt, ably_connection_state want)
{
    return rt_sandbox_wait_state(rt, want, RT_WAIT_MS);
}

/* ---- JWTs ---- */

/* An Ably JWT valid for ttl_s seconds (rest_make_jwt). malloc'd. */
static char *make_jwt(const sandbox_key *k, int64_t ttl_s, const char *client_id, const char *cap)
{
    return rest_make_jwt(k, rest_epoch_s() + ttl_s, client_id, cap);
}

/* ---- the authCallback ---- */

typedef enum {
    TOKEN_JWT,           /* a JWT for an hour */
    TOKEN_JWT_SHORT,     /* the first JWT lives 5 s, the next ones an hour */
    TOKEN_NATIVE,        /* TokenDetails from the signer's requestToken */
    TOKEN_REQUEST        /* a TokenRequest signed by the signer (RSA9) */
} token_kind;

typedef struct {
    const sandbox_env *env;
    ably_rest *signer;     /* key client for native tokens and TokenRequests */
    token_kind kind;
    const char *client_id; /* put in the token, or NULL */
    const char *_Atomic capability; /* JWT capability (NULL: everything); set between calls */
    atomic_int calls;
} cb_ctx;

static int auth_cb(void *vctx, const ably_token_params *params, char **token, ably_token_details *td,
                   ably_token_request *tr, ably_error *err)
{
    cb_ctx *c = vctx;
    int n = atomic_fetch_add(&c->calls, 1) + 1;
    const sandbox_key *k = sandbox_env_key(c->env, 0);
    ably_token_params p;
    ably_token_params_init(&p);
    if (params)
        ably_token_params_copy(&p, params, NULL);
    if (c->client_id) {
        free(p.client_id);
        p.client_id = strdup(c->client_id);
    }
    int rc = 0;
    switch (c->kind) {
    case TOKEN_JWT:
        *token = make_jwt(k, 3600, c->client_id, atomic_load(&c->capability));
        break;
    case TOKEN_JWT_SHORT:
        *token = make_jwt(k, n == 1 ? 5 : 3600, c->client_id, NULL);
        break;
    case TOKEN_NATIVE:
        rc = ably_auth_request_token(ably_rest_auth(c->signer), &p, NULL, td, err);
        break;
    case TOKEN_REQUEST:
        rc = ably_auth_create_token_request(ably_rest_auth(c->signer), &p, NULL, tr, err);
        break;
    }
    ably_token_params_clear(&p);
    return rc;
}

static void cb_init(cb_ctx *c, const sandbox_env *env, token_kind kind, const char *client_id)
{
    c->env = env;
    c->kind = kind;
    c->client_id = client_id;
    atomic_init(&c->capability, NULL);
    atomic_init(&c->calls, 0);
    c->signer = kind == TOKEN_NATIVE || kind == TOKEN_REQUEST ? rest_with_key(env, 0, false) : NULL;
}

static void cb_free(cb_ctx *c) { ably_rest_destroy(c->signer); }

/* A THREAD-mode client on the sandbox using the callback, autoConnect off. */
static ably_realtime *callback_client(const sandbox_env *env, cb_ctx *cb, const char *client_id, bool binary)
{
    ably_client_options o;
    ably_client_options_init(&o);
    rest_target(env, &o, binary);
    o.auth_callback = auth_cb;
    o.auth_callback_ctx = cb;
    o.client_id = client_id;
    o.auto_connect = false;
    o.realtime_request_timeout_ms = 5000;
    return rt_sandbox_create(&o);
}

static int64_t error_reason_code(ably_realtime *rt)
{
    ably_error e = {0};
    int64_t code = ably_connection_error_reason(rt, &e) == 1 ? e.code : 0;
    ably_error_clear(&e);
    return code;
}

/* ---- recorders for authorize results and connection changes ---- */

typedef struct {
    pthread_mutex_t mu;
    int calls;
    int64_t code;
    char token[2048];
    int transitions; /* changes with current != previous */
    int updates;
    int updates_when_done; /* UPDATE events seen when authorize completed (RTC8a3) */
} rec;

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static void on_authorized(void *ctx, const ably_token_details *token, const ably_error *err)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->calls++;
    r->code = err ? err->code : 0;
    r->updates_when_done = r->updates;
    if (token && token->token)
        snprintf(r->token, sizeof r->token, "%s", token->token);
    pthread_mutex_unlock(&r->mu);
}

static void on_change(void *ctx, const ably_connection_state_change *ch)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (ch->current != ch->previous)
        r->transitions++;
    if (ch->event == ABLY_CONN_EVENT_UPDATE)
        r->updates++;
    pthread_mutex_unlock(&r->mu);
}

static bool wait_authorized(rec *r) { return rt_sandbox_wait_int(&r->mu, &r->calls, 1, RT_WAIT_MS); }

/* ---- RTC8a: in-band reauthorization while CONNECTED ---- */

/* realtime/integration/RTC8a/in-band-reauth-connected-0, with a JWT and with a native
 * Ably token (RTC8a4 asks for both). */
static void in_band_reauth(void **state, token_kind kind)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, kind, NULL);
    ably_realtime *rt = callback_client(env, &cb, NULL, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    assert_int_equal(atomic_load(&cb.calls), 1);
    char *id_before = ably_connection_id(rt);
    assert_non_null(id_before);

    rec r;
    rec_init(&r);
    uint64_t listener = ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_change, &r);
    ably_realtime_authorize(rt, NULL, NULL, on_authorized, &r);
    assert_true(wait_authorized(&r));
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.code, 0);
    assert_true(r.token[0] != '\0');           /* a token came back */
    assert_int_equal(r.transitions, 0);        /* no disconnect / reconnect */
    assert_true(r.updates_when_done >= 1);     /* RTC8a1, RTC8a3: done once CONNECTED (UPDATE) came */
    pthread_mutex_unlock(&r.mu);
    assert_int_equal(atomic_load(&cb.calls), 2);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id_after = ably_connection_id(rt);
    assert_string_equal(id_after, id_before); /* the same connection */
    ably_connection_off(rt, listener);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    free(id_before);
    free(id_after);
    cb_free(&cb);
    pthread_mutex_destroy(&r.mu);
}

static void in_band_reauth_jwt(void **state) { in_band_reauth(state, TOKEN_JWT); }
static void in_band_reauth_native_token(void **state) { in_band_reauth(state, TOKEN_NATIVE); }

/* RTC8a1's second test: a reauthorization that takes a channel's capability away
 * fails that channel with the server's error, soon after the token update, while the
 * connection carries on. */
typedef struct {
    pthread_mutex_t mu;
    int failed;
    int64_t code;
    int attached;
} chan_rec;

static void on_channel_change(void *ctx, const ably_channel_state_change *ch)
{
    chan_rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (ch->current == ABLY_CHANNEL_FAILED) {
        r->failed++;
        r->code = ch->reason ? ch->reason->code : 0;
    } else if (ch->current == ABLY_CHANNEL_ATTACHED) {
        r->attached++;
    }
    pthread_mutex_unlock(&r->mu);
}

static int chan_read(chan_rec *r, const int *field) { return rt_sandbox_read_int(&r->mu, field); }

static bool chan_wait(chan_rec *r, const int *field) { return rt_sandbox_wait_int(&r->mu, field, 1, RT_WAIT_MS); }

static void reauth_downgrade_fails_the_channel(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT, NULL);
    ably_realtime *rt = callback_client(env, &cb, NULL, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *id_before = ably_connection_id(rt);
    char name[96], keep[96];
    rest_channel_name(name, sizeof name, "rt-downgrade", false);
    rest_channel_name(keep, sizeof keep, "rt-kept", false);
    ably_realtime_channel *lost = NULL, *kept = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(rt, name, NULL, &lost, &err), 0);
    assert_int_equal(ably_realtime_channels_get(rt, keep, NULL, &kept, &err), 0);
    chan_rec r_lost = {.failed = 0}, r_kept = {.failed = 0};
    pthread_mutex_init(&r_lost.mu, NULL);
    pthread_mutex_init(&r_kept.mu, NULL);
    ably_realtime_channel_on(lost, ABLY_CHANNEL_EVENT_ANY, on_channel_change, &r_lost);
    ably_realtime_channel_on(kept, ABLY_CHANNEL_EVENT_ANY, on_channel_change, &r_kept);
    ably_realtime_channel_attach(lost, NULL, NULL);
    ably_realtime_channel_attach(kept, NULL, NULL);
    assert_true(chan_wait(&r_lost, &r_lost.attached));
    assert_true(chan_wait(&r_kept, &r_kept.attached));

    char cap[160];
    snprintf(cap, sizeof cap, "{\"%s\":[\"*\"]}", keep); /* only the kept channel */
    atomic_store(&cb.capability, cap);
    rec r;
    rec_init(&r);
    ably_realtime_authorize(rt, NULL, NULL, on_authorized, &r);
    assert_true(wait_authorized(&r));
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.code, 0);
    pthread_mutex_unlock(&r.mu);
    assert_true(chan_wait(&r_lost, &r_lost.failed));
    pthread_mutex_lock(&r_lost.mu);
    assert_int_equal(r_lost.code, 40160); /* the reason is on the state change */
    pthread_mutex_unlock(&r_lost.mu);
    assert_int_equal(ably_realtime_channel_state(lost), ABLY_CHANNEL_FAILED);
    assert_int_equal(ably_realtime_channel_state(kept), ABLY_CHANNEL_ATTACHED);
    assert_int_equal(chan_read(&r_kept, &r_kept.failed), 0);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id_after = ably_connection_id(rt);
    assert_string_equal(id_after, id_before);
    free(id_before);
    free(id_after);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
    pthread_mutex_destroy(&r.mu);
    pthread_mutex_destroy(&r_lost.mu);
    pthread_mutex_destroy(&r_kept.mu);
}

/* realtime/integration/RTC8c/authorize-initiates-connection-0 */
static void authorize_from_initialized_connects(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT, NULL);
    ably_realtime *rt = callback_client(env, &cb, NULL, true);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_INITIALIZED);
    rec r;
    rec_init(&r);
    ably_realtime_authorize(rt, NULL, NULL, on_authorized, &r);
    assert_true(wait_authorized(&r));
    pthread_mutex_lock(&r.mu);
    assert_int_equal(r.code, 0);
    assert_true(r.token[0] != '\0');
    pthread_mutex_unlock(&r.mu);
    /* RTC8b1 via RTC8c: completed once CONNECTED */
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id = ably_connection_id(rt);
    assert_non_null(id);
    free(id);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
    pthread_mutex_destroy(&r.mu);
}

/* ---- RSA8: connecting with tokens from an authCallback ---- */

/* realtime/integration/RSA8/token-auth-connect-0 (JWT), plus the other kinds the
 * callback may return (RSA8d): TokenDetails and a TokenRequest. */
static void token_auth_connect(void **state)
{
    sandbox_env *env = *state;
    static const token_kind kinds[] = {TOKEN_JWT, TOKEN_NATIVE, TOKEN_REQUEST};
    for (size_t i = 0; i < 3; i++) {
        cb_ctx cb;
        cb_init(&cb, env, kinds[i], NULL);
        ably_realtime *rt = callback_client(env, &cb, NULL, i == 1);
        ably_connection_connect(rt);
        assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
        char *id = ably_connection_id(rt);
        assert_non_null(id);
        free(id);
        assert_int_equal(error_reason_code(rt), 0);
        assert_int_equal(atomic_load(&cb.calls), 1);
        ably_connection_close(rt);
        assert_true(wait_state(rt, ABLY_CONN_CLOSED));
        ably_realtime_destroy(rt);
        cb_free(&cb);
    }
}

/* ---- RSA7: clientId agreement ---- */

/* realtime/integration/RSA7/matching-clientid-succeeds-0 */
static void matching_client_id_connects(void **state)
{
    sandbox_env *env = *state;
    char client_id[64];
    snprintf(client_id, sizeof client_id, "test-client-%d-%lld", (int)getpid(), (long long)rt_sandbox_now_ms());
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT, client_id);
    ably_realtime *rt = callback_client(env, &cb, client_id, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *cid = ably_auth_get_client_id(ably_realtime_auth(rt));
    assert_string_equal(cid, client_id);
    free(cid);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
}

/* realtime/integration/RSA7/mismatched-clientid-fails-1: the JWT's clientId is opaque
 * to the client, so the server refuses the connection: FAILED with 40102. */
static void mismatched_client_id_fails(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT, "token-client-id");
    ably_realtime *rt = callback_client(env, &cb, "wrong-client-id", false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_FAILED));
    assert_int_equal(error_reason_code(rt), 40102);
    ably_realtime_destroy(rt);
    cb_free(&cb);
}

/* RTC4a, RSA7b3: a JWT's clientId is invisible to the library; the identity becomes
 * known from CONNECTED's connectionDetails. */
static void client_id_learnt_from_connected(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT, "jwt-identity");
    ably_realtime *rt = callback_client(env, &cb, NULL, true);
    assert_null(ably_auth_get_client_id(ably_realtime_auth(rt)));
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *cid = ably_realtime_client_id(rt);
    assert_non_null(cid);
    assert_string_equal(cid, "jwt-identity");
    free(cid);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
}

/* ---- RSA4b: renewal of an expiring token ---- */

/* realtime/integration/RSA4b/token-renewal-on-expiry-0: the server disconnects with a
 * token error when the 5 s JWT expires; the client gets a new one and reconnects. */
static void token_renewed_on_expiry(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_JWT_SHORT, NULL);
    ably_realtime *rt = callback_client(env, &cb, NULL, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    assert_int_equal(atomic_load(&cb.calls), 1);
    for (int64_t end = rt_sandbox_now_ms() + 30000; atomic_load(&cb.calls) < 2 && rt_sandbox_now_ms() < end;)
        usleep(20000);
    assert_true(atomic_load(&cb.calls) >= 2);
    assert_true(rt_sandbox_wait_state(rt, ABLY_CONN_CONNECTED, 15000));
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
}

/* ---- RSA9: TokenRequests made by another client ---- */

/* realtime/integration/RSA9a/token-request-server-accepted-0,
 * RSA9/token-request-with-clientid-0 */
static void token_requests_are_accepted(void **state)
{
    sandbox_env *env = *state;
    cb_ctx cb;
    cb_init(&cb, env, TOKEN_REQUEST, NULL);
    ably_realtime *rt = callback_client(env, &cb, NULL, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *id = ably_connection_id(rt);
    assert_non_null(id);
    free(id);
    assert_int_equal(error_reason_code(rt), 0);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);

    char client_id[64];
    snprintf(client_id, sizeof client_id, "token-request-client-%d", (int)getpid());
    cb_init(&cb, env, TOKEN_REQUEST, client_id);
    rt = callback_client(env, &cb, client_id, false);
    ably_connection_connect(rt);
    assert_true(wait_state(rt, ABLY_CONN_CONNECTED));
    char *cid = ably_auth_get_client_id(ably_realtime_auth(rt));
    assert_string_equal(cid, client_id);
    free(cid);
    ably_connection_close(rt);
    assert_true(wait_state(rt, ABLY_CONN_CLOSED));
    ably_realtime_destroy(rt);
    cb_free(&cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(in_band_reauth_jwt, "RTC8 RTC8a RTC8a1 RTC8a3 RTC8a4"),
        ABLY_TEST(in_band_reauth_native_token, "RTC8 RTC8a RTC8a1 RTC8a3 RTC8a4"),
        ABLY_TEST(reauth_downgrade_fails_the_channel, "RTC8a RTC8a1 RTL14"),
        ABLY_TEST(authorize_from_initialized_connects, "RTC8 RTC8c RTC8b1"),
        ABLY_TEST(token_auth_connect, "RSA8 RSA8d RSA3c RSA3d"),
        ABLY_TEST(matching_client_id_connects, "RSA7 RSA7b1 RSA15a"),
        ABLY_TEST(mismatched_client_id_fails, "RSA7 RSA15a"),
        ABLY_TEST(client_id_learnt_from_connected, "RTC4a RSA7b3"),
        ABLY_TEST(token_renewed_on_expiry, "RSA4b RTN15h2"),
        ABLY_TEST(token_requests_are_accepted, "RSA9 RSA9a RSA9g"),
    };
    const char *only = getenv("ABLY_TEST_FILTER");
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, rest_group_setup, rest_group_teardown);
}
