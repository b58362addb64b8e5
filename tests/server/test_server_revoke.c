/* ably-sandbox token revocation: POST /keys/{keyName}/revokeTokens. */
#include "test_server_http.h"

#include <time.h>

#define REVOCABLE 4 /* keys[4] has revocableTokens: true */

static char *issue_token(const sandbox_env *env, size_t key_index, const char *client_id)
{
    const sandbox_key *k = sandbox_env_key(env, key_index);
    char path[256], body[256];
    snprintf(path, sizeof path, "/keys/%s/requestToken", k->key_name);
    snprintf(body, sizeof body, "{\"clientId\":\"%s\"}", client_id);
    srv_resp r = srv_post_json(env, path, body, k->key_str);
    assert_int_equal(r.status, 200);
    cJSON *td = srv_json(&r);
    char *token = strdup(cJSON_GetObjectItem(td, "token")->valuestring);
    cJSON_Delete(td);
    srv_resp_free(&r);
    return token;
}

static int use_token(const sandbox_env *env, const char *token)
{
    srv_req q = { .method = "GET", .path = "/channels/revoke-check/messages", .bearer = token };
    srv_resp r = srv_do(env, &q);
    int code = r.status == 200 ? 0 : srv_error_code(&r);
    srv_resp_free(&r);
    return code;
}

static srv_resp revoke_req(const sandbox_env *env, size_t key_index, const char *body, const char *bearer,
                       bool versioned)
{
    const sandbox_key *k = sandbox_env_key(env, REVOCABLE);
    char path[256];
    snprintf(path, sizeof path, "/keys/%s/revokeTokens", k->key_name);
    srv_req q = { .method = "POST", .path = path, .content_type = "application/json", .body = body,
                  .userpwd = bearer ? NULL : sandbox_env_key(env, key_index)->key_str, .bearer = bearer,
                  .extra_header = versioned ? "X-Ably-Version: 3" : NULL };
    return srv_do(env, &q);
}

static void revoked_token_is_rejected_with_40141(void **state)
{
    sandbox_env *env = *state;
    char *victim = issue_token(env, REVOCABLE, "victim");
    char *bystander = issue_token(env, REVOCABLE, "bystander");
    assert_int_equal(use_token(env, victim), 0);
    srv_resp r = revoke_req(env, REVOCABLE, "{\"targets\":[\"clientId:victim\"]}", NULL, true);
    assert_int_equal(r.status, 201);
    cJSON *o = srv_json(&r);
    assert_int_equal(cJSON_GetObjectItem(o, "successCount")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(o, "failureCount")->valueint, 0);
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "results"), 0);
    assert_string_equal(cJSON_GetObjectItem(res, "target")->valuestring, "clientId:victim");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(res, "issuedBefore")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(res, "appliesAt")));
    cJSON_Delete(o);
    srv_resp_free(&r);
    assert_int_equal(use_token(env, victim), 40141);
    assert_int_equal(use_token(env, bystander), 0);
    free(victim);
    free(bystander);
}

static void issued_before_and_reauth_margin(void **state)
{
    sandbox_env *env = *state;
    char *token = issue_token(env, REVOCABLE, "early");
    /* issuedBefore long ago: the token was issued later, so it survives. */
    srv_resp r = revoke_req(env, REVOCABLE,
                        "{\"targets\":[\"clientId:early\"],\"issuedBefore\":1000,\"allowReauthMargin\":true}",
                        NULL, true);
    assert_int_equal(r.status, 201);
    cJSON *o = srv_json(&r);
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "results"), 0);
    assert_int_equal((long long)cJSON_GetObjectItem(res, "issuedBefore")->valuedouble, 1000);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec * 1000.0;
    assert_true(cJSON_GetObjectItem(res, "appliesAt")->valuedouble > now + 25000);
    cJSON_Delete(o);
    srv_resp_free(&r);
    assert_int_equal(use_token(env, token), 0);
    free(token);
}

static void mixed_targets_and_legacy_shape(void **state)
{
    sandbox_env *env = *state;
    const char *body = "{\"targets\":[\"clientId:someone\",\"invalidType:abc\"]}";
    srv_resp r = revoke_req(env, REVOCABLE, body, NULL, true);
    assert_int_equal(r.status, 201);
    cJSON *o = srv_json(&r);
    assert_int_equal(cJSON_GetObjectItem(o, "successCount")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(o, "failureCount")->valueint, 1);
    const cJSON *fail = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "results"), 1);
    assert_string_equal(cJSON_GetObjectItem(fail, "target")->valuestring, "invalidType:abc");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(fail, "error"), "code")->valueint, 40000);
    cJSON_Delete(o);
    srv_resp_free(&r);
    /* No X-Ably-Version: 400 with batchResponse; all-success: a plain array. */
    r = revoke_req(env, REVOCABLE, body, NULL, false);
    assert_ably_error(&r, 400, 40020);
    srv_resp_free(&r);
    r = revoke_req(env, REVOCABLE, "{\"targets\":[\"revocationKey:k1\"]}", NULL, false);
    assert_int_equal(r.status, 201);
    o = srv_json(&r);
    assert_true(cJSON_IsArray(o));
    assert_int_equal(cJSON_GetArraySize(o), 1);
    cJSON_Delete(o);
    srv_resp_free(&r);
}

static void revocation_denials(void **state)
{
    sandbox_env *env = *state;
    /* Token auth: 40162. */
    char *token = issue_token(env, REVOCABLE, "caller");
    srv_resp r = revoke_req(env, REVOCABLE, "{\"targets\":[\"clientId:x\"]}", token, true);
    assert_ably_error(&r, 401, 40162);
    srv_resp_free(&r);
    free(token);
    /* Another key of the app: 40133. */
    r = revoke_req(env, 0, "{\"targets\":[\"clientId:x\"]}", NULL, true);
    assert_ably_error(&r, 401, 40133);
    srv_resp_free(&r);
    /* A key without revocableTokens, on its own path: 40163. */
    const sandbox_key *k0 = sandbox_env_key(env, 0);
    char path[256];
    snprintf(path, sizeof path, "/keys/%s/revokeTokens", k0->key_name);
    r = srv_post_json(env, path, "{\"targets\":[\"clientId:x\"]}", k0->key_str);
    assert_ably_error(&r, 401, 40163);
    srv_resp_free(&r);
    /* Bad bodies. */
    r = revoke_req(env, REVOCABLE, "{\"targets\":[]}", NULL, true);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    r = revoke_req(env, REVOCABLE, "{\"targets\":[\"clientId:x\"],\"issuedBefore\":\"soon\"}", NULL, true);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    r = revoke_req(env, REVOCABLE, "nope", NULL, true);
    assert_ably_error(&r, 400, 40001);
    srv_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(revoked_token_is_rejected_with_40141, "RSA17g RSA17b RSA17c TRS2"),
        ABLY_TEST(issued_before_and_reauth_margin, "RSA17e RSA17f"),
        ABLY_TEST(mixed_targets_and_legacy_shape, "RSA17c TRF2"),
        ABLY_TEST(revocation_denials, "RSA17d RSA17g"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
