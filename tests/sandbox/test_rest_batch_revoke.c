/* Batch presence and token revocation against the sandbox (UTS
 * rest/integration/batch_presence.md and revoke_tokens.md), over JSON and msgpack.
 * Presence members come from the app's fixtures (persisted:presence_fixtures),
 * so no realtime client is needed to enter them. */
#include "test_rest_support.h"

#define FIXTURE_CHANNEL "persisted:presence_fixtures"
#define REVOCABLE_KEY 4  /* "revocableTokens": true */
#define RESTRICTED_KEY 2 /* channel0..channel6 only */

static const ably_batch_presence_outcome *outcome_for(const ably_batch_presence_result *r, const char *channel)
{
    for (size_t i = 0; i < r->results_count; i++)
        if (r->results[i].channel && strcmp(r->results[i].channel, channel) == 0)
            return &r->results[i];
    fail_msg("no outcome for %s", channel);
    return NULL;
}

static void batch_presence_across_channels(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, 0, binary);
        char empty[128];
        rest_channel_name(empty, sizeof empty, "batch-empty", binary);
        const char *channels[] = { FIXTURE_CHANNEL, empty };
        ably_batch_presence_result r;
        ably_batch_presence_result_init(&r);
        ably_error err = {0};
        REST_OK(ably_rest_batch_presence(rest, channels, 2, &r, &err), &err);
        assert_int_equal(r.success_count, 2);
        assert_int_equal(r.failure_count, 0);
        assert_int_equal(r.results_count, 2);
        const ably_batch_presence_outcome *fixtures = outcome_for(&r, FIXTURE_CHANNEL);
        assert_null(fixtures->error);
        assert_int_equal(fixtures->presence_count, 6);
        bool saw_string = false;
        for (size_t i = 0; i < fixtures->presence_count; i++) {
            const ably_presence_message *m = &fixtures->presence[i];
            if (m->client_id && strcmp(m->client_id, "client_string") == 0) {
                saw_string = true;
                assert_int_equal(m->data.type, ABLY_DATA_STRING);
                assert_string_equal(m->data.bytes, "This is a string clientData payload");
            }
        }
        assert_true(saw_string);
        const ably_batch_presence_outcome *none = outcome_for(&r, empty);
        assert_null(none->error);
        assert_int_equal(none->presence_count, 0);
        ably_batch_presence_result_clear(&r);
        ably_rest_destroy(rest);
    }
}

static void batch_presence_reports_denied_channel(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *rest = rest_with_key(env, RESTRICTED_KEY, binary);
        const char *channels[] = { "channel6", FIXTURE_CHANNEL };
        ably_batch_presence_result r;
        ably_batch_presence_result_init(&r);
        ably_error err = {0};
        REST_OK(ably_rest_batch_presence(rest, channels, 2, &r, &err), &err);
        assert_int_equal(r.success_count, 1);
        assert_int_equal(r.failure_count, 1);
        assert_int_equal(r.results_count, 2);
        assert_null(outcome_for(&r, "channel6")->error);
        const ably_batch_presence_outcome *denied = outcome_for(&r, FIXTURE_CHANNEL);
        assert_non_null(denied->error);
        assert_int_equal(denied->error->code, 40160);
        assert_int_equal(denied->presence_count, 0);
        ably_batch_presence_result_clear(&r);
        ably_rest_destroy(rest);
    }
}

/* A token for client_id issued with the revocable key, and a client using it. */
static ably_rest *token_client(const sandbox_env *env, ably_rest *issuer, const char *client_id, bool binary,
                               ably_token_details *td)
{
    ably_token_params tp;
    ably_token_params_init(&tp);
    tp.client_id = (char *)client_id;
    ably_token_details_init(td);
    ably_error err = {0};
    REST_OK(ably_auth_request_token(ably_rest_auth(issuer), &tp, NULL, td, &err), &err);
    ably_client_options opts;
    ably_client_options_init(&opts);
    opts.token = td->token;
    return rest_create(env, &opts, binary);
}

/* Publishes one message; returns the error code (0 on success). */
static int64_t try_publish(ably_rest *rest, const char *channel)
{
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, channel, NULL, &ch, &err), &err);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "x", 1);
    int64_t code = 0;
    if (ably_rest_channel_publish(ch, "probe", &d, NULL, &err) != 0) {
        /* Without a way to renew, the token error may come wrapped (RSA4a2). */
        code = err.code == 40171 && err.cause ? err.cause->code : err.code;
        if (!code)
            code = -1;
    }
    ably_error_clear(&err);
    return code;
}

static void revoked_token_stops_working(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *issuer = rest_with_key(env, REVOCABLE_KEY, binary);
        char client_id[128], channel[128];
        rest_channel_name(client_id, sizeof client_id, "revokee", binary);
        rest_channel_name(channel, sizeof channel, "revoke", binary);
        ably_token_details td;
        ably_rest *user = token_client(env, issuer, client_id, binary, &td);
        assert_int_equal(try_publish(user, channel), 0);

        char target_value[160];
        snprintf(target_value, sizeof target_value, "%s", client_id);
        ably_token_revocation_target_specifier target = { .type = "clientId", .value = target_value };
        ably_token_revocation_batch_result r;
        ably_token_revocation_batch_result_init(&r);
        ably_error err = {0};
        REST_OK(ably_rest_revoke_tokens(issuer, &target, 1, NULL, &r, &err), &err);
        assert_int_equal(r.success_count, 1);
        assert_int_equal(r.failure_count, 0);
        assert_int_equal(r.results_count, 1);
        char want[200];
        snprintf(want, sizeof want, "clientId:%s", client_id);
        assert_string_equal(r.results[0].target, want);
        assert_null(r.results[0].error);
        assert_true(r.results[0].has_applies_at);
        assert_true(r.results[0].has_issued_before);
        ably_token_revocation_batch_result_clear(&r);

        /* Revocation may take effect a little later on a real service: poll. */
        int64_t code = 0;
        for (int waited = 0; waited <= REST_POLL_TIMEOUT_MS; waited += 200) {
            if ((code = try_publish(user, channel)) != 0)
                break;
            rest_sleep_ms(200);
        }
        assert_int_equal(code, 40141);
        ably_rest_destroy(user);
        ably_token_details_clear(&td);
        ably_rest_destroy(issuer);
    }
}

static void revoke_refused_with_token_auth(void **state)
{
    sandbox_env *env = *state;
    ably_rest *issuer = rest_with_key(env, REVOCABLE_KEY, false);
    ably_token_details td;
    ably_rest *user = token_client(env, issuer, "token-user", false, &td);
    ably_token_revocation_target_specifier target = { .type = "clientId", .value = "anyone" };
    ably_token_revocation_batch_result r;
    ably_token_revocation_batch_result_init(&r);
    ably_error err = {0};
    assert_int_equal(ably_rest_revoke_tokens(user, &target, 1, NULL, &r, &err), -1);
    assert_int_equal(err.code, 40162);
    assert_int_equal(r.results_count, 0);
    ably_error_clear(&err);
    ably_rest_destroy(user);
    ably_token_details_clear(&td);
    ably_rest_destroy(issuer);
}

static void revoke_with_issued_before_and_margin(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *issuer = rest_with_key(env, REVOCABLE_KEY, binary);
        int64_t now = 0;
        ably_error err = {0};
        REST_OK(ably_rest_time(issuer, &now, &err), &err);
        ably_token_revocation_target_specifier target = { .type = "clientId", .value = "margin-client" };
        ably_revoke_tokens_options o = { .issued_before = now - 1000, .has_issued_before = true,
                                         .allow_reauth_margin = true, .has_allow_reauth_margin = true };
        ably_token_revocation_batch_result r;
        ably_token_revocation_batch_result_init(&r);
        REST_OK(ably_rest_revoke_tokens(issuer, &target, 1, &o, &r, &err), &err);
        assert_int_equal(r.success_count, 1);
        assert_int_equal(r.results_count, 1);
        assert_true(r.results[0].has_issued_before);
        assert_true(r.results[0].issued_before == now - 1000);
        assert_true(r.results[0].has_applies_at);
        ably_token_revocation_batch_result_clear(&r);
        ably_rest_destroy(issuer);
    }
}

static void revoke_mixed_success_and_failure(void **state)
{
    sandbox_env *env = *state;
    for (int binary = 0; binary < 2; binary++) {
        ably_rest *issuer = rest_with_key(env, REVOCABLE_KEY, binary);
        ably_token_revocation_target_specifier targets[] = {
            { .type = "clientId", .value = "mixed-client" },
            { .type = "invalidType", .value = "abc" },
        };
        ably_token_revocation_batch_result r;
        ably_token_revocation_batch_result_init(&r);
        ably_error err = {0};
        REST_OK(ably_rest_revoke_tokens(issuer, targets, 2, NULL, &r, &err), &err);
        assert_int_equal(r.success_count, 1);
        assert_int_equal(r.failure_count, 1);
        assert_int_equal(r.results_count, 2);
        assert_null(r.results[0].error);
        assert_string_equal(r.results[0].target, "clientId:mixed-client");
        assert_non_null(r.results[1].error);
        assert_string_equal(r.results[1].target, "invalidType:abc");
        assert_true(r.results[1].error->code >= 40000 && r.results[1].error->code < 50000);
        ably_token_revocation_batch_result_clear(&r);
        ably_rest_destroy(issuer);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(batch_presence_across_channels, "RSC24 BGR2"),
        ABLY_TEST(batch_presence_reports_denied_channel, "RSC24 BGR2 BGF2"),
        ABLY_TEST(revoked_token_stops_working, "RSA17g RSA17b RSA17c TRS2 TRS2a TRS2b TRS2c"),
        ABLY_TEST(revoke_refused_with_token_auth, "RSA17d"),
        ABLY_TEST(revoke_with_issued_before_and_margin, "RSA17e RSA17f"),
        ABLY_TEST(revoke_mixed_success_and_failure, "RSA17c TRF2 TRF2a TRF2b"),
    };
    return cmocka_run_group_tests_name("sandbox_rest_batch_revoke", tests, rest_group_setup, rest_group_teardown);
}
