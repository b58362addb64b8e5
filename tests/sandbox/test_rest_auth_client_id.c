/* Token clientId end to end (RSA8f): a token issued with no clientId or with the
 * wildcard, used by a REST client that publishes with and without an explicit
 * clientId, against the sandbox (or a real endpoint, see sandbox_env.h). Each
 * case runs with JSON and with msgpack. */
#include "test_rest_support.h"

/* A token from key 0 with the given clientId (NULL: none), as the token-auth
 * client will present it. */
static void token_for(const sandbox_env *env, bool binary, const char *client_id, ably_token_details *out)
{
    ably_rest *issuer = rest_with_key(env, 0, binary);
    ably_token_params params;
    ably_token_params_init(&params);
    params.client_id = (char *)client_id; /* borrowed for the call */
    ably_error err = {0};
    ably_token_details_init(out);
    REST_OK(ably_auth_request_token(ably_rest_auth(issuer), &params, NULL, out, &err), &err);
    ably_rest_destroy(issuer);
}

static ably_rest *client_with_token(const sandbox_env *env, bool binary, const ably_token_details *td)
{
    ably_client_options opts;
    ably_client_options_init(&opts);
    opts.token_details = td; /* with its clientId, as an authCallback would give it */
    return rest_create(env, &opts, binary);
}

/* A client using a token issued for `token_client_id` (NULL: none), and a fresh
 * channel of it. The caller destroys the client and clears *td. */
typedef struct {
    ably_token_details td;
    ably_rest *rest;
    ably_rest_channel *ch;
} token_client;

static void token_client_open(token_client *t, const sandbox_env *env, bool binary, const char *token_client_id,
                              const char *prefix)
{
    token_for(env, binary, token_client_id, &t->td);
    t->rest = client_with_token(env, binary, &t->td);
    char name[128];
    rest_channel_name(name, sizeof name, prefix, binary);
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(t->rest, name, NULL, &t->ch, &err), &err);
}

static void token_client_close(token_client *t)
{
    ably_rest_destroy(t->rest);
    ably_token_details_clear(&t->td);
}

/* Publishes one message named `name`, with `client_id` when not NULL. */
static int publish_as(ably_rest_channel *ch, const char *name, const char *client_id, ably_error *err)
{
    ably_message m;
    ably_message_init(&m);
    m.name = (char *)name;           /* borrowed */
    m.client_id = (char *)client_id; /* borrowed */
    m.data = ably_data_borrow(ABLY_DATA_STRING, "payload", 7);
    return ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, err);
}

/* The clientId history shows for the message named `name` (NULL: none). Fails the
 * test when the message is not there. */
static char *stored_client_id(ably_rest_channel *ch, const char *name)
{
    size_t count = 0;
    ably_paginated_result *page = rest_wait_history(ch, NULL, 1, &count);
    const ably_message *msgs = ably_paginated_result_messages(page, &count);
    const ably_message *m = rest_find_message(msgs, count, name);
    assert_non_null(m);
    char *out = m->client_id ? strdup(m->client_id) : NULL;
    ably_paginated_result_free(page);
    return out;
}

static void check_auth_client_id(ably_rest *rest, const char *want)
{
    char *id = ably_auth_get_client_id(ably_rest_auth(rest));
    if (want) {
        assert_non_null(id);
        assert_string_equal(id, want);
    } else {
        assert_null(id);
    }
    free(id);
}

/* RSA8f1: no clientId in the token; an anonymous publish stays anonymous. */
static void null_token_client_id_publishes_anonymously(void **state, bool binary)
{
    token_client t;
    token_client_open(&t, *state, binary, NULL, "rsa8f1");
    assert_null(t.td.client_id);
    ably_error err = {0};
    REST_OK(publish_as(t.ch, "anon", NULL, &err), &err);
    char *stored = stored_client_id(t.ch, "anon");
    assert_null(stored);
    check_auth_client_id(t.rest, NULL);
    token_client_close(&t);
}

/* RSA8f2: no clientId in the token; a publish claiming one is refused. */
static void null_token_client_id_refuses_explicit_client_id(void **state, bool binary)
{
    token_client t;
    token_client_open(&t, *state, binary, NULL, "rsa8f2");
    ably_error err = {0};
    assert_int_not_equal(publish_as(t.ch, "claimed", "somebody", &err), 0);
    assert_int_equal(err.code, 40012);
    assert_int_equal(err.status_code, 400);
    ably_error_clear(&err);
    /* and nothing reached the channel */
    ably_paginated_result *page = NULL;
    REST_OK(ably_rest_channel_history(t.ch, NULL, &page, &err), &err);
    size_t count = 0;
    ably_paginated_result_messages(page, &count);
    assert_int_equal(count, 0);
    ably_paginated_result_free(page);
    token_client_close(&t);
}

/* RSA8f3: a wildcard token; an anonymous publish stays anonymous, Auth#clientId is "*". */
static void wildcard_token_publishes_anonymously(void **state, bool binary)
{
    token_client t;
    token_client_open(&t, *state, binary, "*", "rsa8f3");
    assert_string_equal(t.td.client_id, "*");
    ably_error err = {0};
    REST_OK(publish_as(t.ch, "anon", NULL, &err), &err);
    char *stored = stored_client_id(t.ch, "anon");
    assert_null(stored);
    check_auth_client_id(t.rest, "*");
    token_client_close(&t);
}

/* RSA8f4: a wildcard token; an explicit clientId is kept. */
static void wildcard_token_keeps_explicit_client_id(void **state, bool binary)
{
    token_client t;
    token_client_open(&t, *state, binary, "*", "rsa8f4");
    ably_error err = {0};
    REST_OK(publish_as(t.ch, "named", "explicit-id", &err), &err);
    char *stored = stored_client_id(t.ch, "named");
    assert_non_null(stored);
    assert_string_equal(stored, "explicit-id");
    free(stored);
    token_client_close(&t);
}

#define BOTH(fn)                                                                                         \
    static void fn##_json(void **state) { fn(state, false); }                                          \
    static void fn##_msgpack(void **state) { fn(state, true); }
BOTH(null_token_client_id_publishes_anonymously)
BOTH(null_token_client_id_refuses_explicit_client_id)
BOTH(wildcard_token_publishes_anonymously)
BOTH(wildcard_token_keeps_explicit_client_id)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(null_token_client_id_publishes_anonymously_json, "RSA8f RSA8f1"),
        ABLY_TEST(null_token_client_id_publishes_anonymously_msgpack, "RSA8f RSA8f1"),
        ABLY_TEST(null_token_client_id_refuses_explicit_client_id_json, "RSA8f RSA8f2"),
        ABLY_TEST(null_token_client_id_refuses_explicit_client_id_msgpack, "RSA8f RSA8f2"),
        ABLY_TEST(wildcard_token_publishes_anonymously_json, "RSA8f RSA8f3"),
        ABLY_TEST(wildcard_token_publishes_anonymously_msgpack, "RSA8f RSA8f3"),
        ABLY_TEST(wildcard_token_keeps_explicit_client_id_json, "RSA8f RSA8f4"),
        ABLY_TEST(wildcard_token_keeps_explicit_client_id_msgpack, "RSA8f RSA8f4"),
    };
    return cmocka_run_group_tests_name("rest_auth_client_id", tests, rest_group_setup, rest_group_teardown);
}
