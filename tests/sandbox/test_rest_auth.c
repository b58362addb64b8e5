/* Authentication against the sandbox (UTS rest/integration/auth.md): Basic auth,
 * native tokens, JWTs, authCallback (TokenRequest, TokenDetails, JWT), renewal of
 * an expired token, capability restriction. authUrl is not ported here: it needs
 * an auth server, and the unit tier covers it with a mocked transport. */
#include "test_rest_support.h"

/* Checks that the client can make an authenticated request (channel status). */
static void assert_authenticated(ably_rest *rest, const char *prefix)
{
    char name[128];
    rest_channel_name(name, sizeof name, prefix, false);
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
    ably_paginated_result *page = NULL;
    REST_OK(ably_rest_channel_history(ch, NULL, &page, &err), &err);
    ably_paginated_result_free(page);
}

static void basic_auth_with_key(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        assert_authenticated(rest, "basic");
        ably_token_details td;
        ably_token_details_init(&td);
        ably_error err = {0};
        assert_int_equal(ably_auth_get_token_details(ably_rest_auth(rest), &td, &err), 0); /* no token */
        ably_rest_destroy(rest);
    }
}

static void native_token_from_request_token(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *keyed = rest_with_key(env, 0, binary);
        ably_token_details td;
        ably_token_details_init(&td);
        ably_error err = {0};
        REST_OK(ably_auth_request_token(ably_rest_auth(keyed), NULL, NULL, &td, &err), &err);
        assert_non_null(td.token);
        assert_true(td.has_expires && td.has_issued && td.expires > td.issued);
        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.token = td.token;
        ably_rest *rest = rest_create(env, &opts, binary);
        assert_authenticated(rest, "native-token");
        ably_rest_destroy(rest);
        ably_token_details_clear(&td);
        ably_rest_destroy(keyed);
    }
}

static void jwt_token(void **state)
{
    sandbox_env *env = *state;
    char *jwt = rest_make_jwt(sandbox_env_key(env, 0), rest_epoch_s() + 3600, NULL, NULL);
    for (int binary = 0; binary < 2; binary++) {
        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.token = jwt;
        ably_rest *rest = rest_create(env, &opts, binary);
        assert_authenticated(rest, "jwt");
        ably_rest_destroy(rest);
    }
    free(jwt);
}

typedef struct {
    const sandbox_env *env;
    ably_rest *signer; /* a key client that makes TokenRequests / tokens */
    int calls;
    int mode;          /* 0 TokenRequest, 1 TokenDetails, 2 JWT, 3 expired JWT first */
} callback_ctx;

static int auth_callback(void *vctx, const ably_token_params *params, char **token, ably_token_details *td,
                         ably_token_request *tr, ably_error *err)
{
    callback_ctx *c = vctx;
    c->calls++;
    switch (c->mode) {
    case 0:
        return ably_auth_create_token_request(ably_rest_auth(c->signer), params, NULL, tr, err);
    case 1:
        return ably_auth_request_token(ably_rest_auth(c->signer), params, NULL, td, err);
    case 2:
        *token = rest_make_jwt(sandbox_env_key(c->env, 0), rest_epoch_s() + 3600, NULL, NULL);
        return 0;
    default:
        /* The first token has already expired: the server refuses it (40142). */
        *token = rest_make_jwt(sandbox_env_key(c->env, 0), c->calls == 1 ? rest_epoch_s() - 60 : rest_epoch_s() + 3600,
                               NULL, NULL);
        return 0;
    }
}

static ably_rest *callback_client(const sandbox_env *env, callback_ctx *ctx, bool binary)
{
    ably_client_options opts;
    ably_client_options_init(&opts);
    opts.auth_callback = auth_callback;
    opts.auth_callback_ctx = ctx;
    return rest_create(env, &opts, binary);
}

static void auth_callback_kinds(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        for (int mode = 0; mode < 3; mode++) {
            callback_ctx ctx = { .env = env, .signer = rest_with_key(env, 0, binary), .mode = mode };
            ably_rest *rest = callback_client(env, &ctx, binary);
            assert_authenticated(rest, "callback");
            assert_int_equal(ctx.calls, 1);
            ably_token_details td;
            ably_token_details_init(&td);
            ably_error err = {0};
            assert_int_equal(ably_auth_get_token_details(ably_rest_auth(rest), &td, &err), 1);
            assert_non_null(td.token);
            ably_token_details_clear(&td);
            ably_rest_destroy(rest);
            ably_rest_destroy(ctx.signer);
        }
    }
}

static void expired_token_is_renewed(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        callback_ctx ctx = { .env = env, .mode = 3 };
        ably_rest *rest = callback_client(env, &ctx, binary);
        assert_authenticated(rest, "renewal");
        assert_int_equal(ctx.calls, 2);
        ably_rest_destroy(rest);
    }
}

static void invalid_key_rejected(void **state)
{
    sandbox_env *env = *state;
    char bad[256];
    snprintf(bad, sizeof bad, "%s.fakeKeyId:fakesecret", env->app_id);
    for (int binary = 0; binary < 2; binary++) {
        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.key = bad;
        ably_rest *rest = rest_create(env, &opts, binary);
        ably_rest_channel *ch = NULL;
        ably_error err = {0};
        REST_OK(ably_rest_channels_get(rest, "any", NULL, &ch, &err), &err);
        ably_paginated_result *page = NULL;
        assert_int_equal(ably_rest_channel_history(ch, NULL, &page, &err), -1);
        assert_int_equal(err.status_code, 401);
        assert_int_equal(err.code, 40400);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
    }
}

static void token_capability_restricts(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        char allowed[128], denied[128], cap[300];
        rest_channel_name(allowed, sizeof allowed, "allowed", binary);
        rest_channel_name(denied, sizeof denied, "denied", binary);
        snprintf(cap, sizeof cap, "{\"%s\":[\"publish\"]}", allowed);
        ably_rest *keyed = rest_with_key(env, 0, binary);
        ably_token_params tp;
        ably_token_params_init(&tp);
        tp.capability = cap;
        ably_token_details td;
        ably_token_details_init(&td);
        ably_error err = {0};
        REST_OK(ably_auth_request_token(ably_rest_auth(keyed), &tp, NULL, &td, &err), &err);
        assert_non_null(strstr(td.capability, allowed));
        ably_client_options opts;
        ably_client_options_init(&opts);
        opts.token = td.token;
        ably_rest *rest = rest_create(env, &opts, binary);
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
        ably_rest_channel *ok = NULL, *no = NULL;
        REST_OK(ably_rest_channels_get(rest, allowed, NULL, &ok, &err), &err);
        REST_OK(ably_rest_channels_get(rest, denied, NULL, &no, &err), &err);
        REST_OK(ably_rest_channel_publish(ok, "fine", &d, NULL, &err), &err);
        assert_int_equal(ably_rest_channel_publish(no, "refused", &d, NULL, &err), -1);
        assert_int_equal(err.code, 40160);
        ably_error_clear(&err);
        ably_rest_destroy(rest);
        ably_token_details_clear(&td);
        ably_rest_destroy(keyed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(basic_auth_with_key, "RSA1 RSA11"),
        ABLY_TEST(native_token_from_request_token, "RSA8 RSA3 RSA3d"),
        ABLY_TEST(jwt_token, "RSA3 RSA3d"),
        ABLY_TEST(auth_callback_kinds, "RSA8d"),
        ABLY_TEST(expired_token_is_renewed, "RSC10 RSA4b"),
        ABLY_TEST(invalid_key_rejected, "RSA11"),
        ABLY_TEST(token_capability_restricts, "RSA8"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_auth", tests, rest_group_setup, rest_group_teardown);
}
