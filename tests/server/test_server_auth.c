/* ably-sandbox auth: Basic, Bearer (raw, base64, JWT), query credentials, and
 * POST /keys/{keyName}/requestToken with signed and unsigned requests. */
#include "test_server_http.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/time.h>

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static char *b64(const unsigned char *data, size_t len, bool url)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    if (url) {
        while (n > 0 && out[n - 1] == '=')
            out[--n] = '\0';
        for (int i = 0; i < n; i++)
            out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    return out;
}

static char *hmac_b64(const char *secret, const char *text, bool url)
{
    unsigned char mac[32];
    unsigned int n = sizeof mac;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, strlen(text), mac, &n);
    return b64(mac, n, url);
}

/* HS256 JWT for a key with optional capability / clientId, expiring at exp_s. */
static char *make_jwt(const sandbox_key *k, int64_t exp_s, const char *capability, const char *client_id,
                      const char *secret_override)
{
    char header[256], claims[1024];
    snprintf(header, sizeof header, "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"%s\"}", k->key_name);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "iat", (double)(now_ms() / 1000));
    cJSON_AddNumberToObject(c, "exp", (double)exp_s);
    if (capability)
        cJSON_AddStringToObject(c, "x-ably-capability", capability);
    if (client_id)
        cJSON_AddStringToObject(c, "x-ably-clientId", client_id);
    char *ctext = cJSON_PrintUnformatted(c);
    snprintf(claims, sizeof claims, "%s", ctext);
    cJSON_free(ctext);
    cJSON_Delete(c);
    char *h = b64((const unsigned char *)header, strlen(header), true);
    char *p = b64((const unsigned char *)claims, strlen(claims), true);
    char signing[2048];
    snprintf(signing, sizeof signing, "%s.%s", h, p);
    char *sig = hmac_b64(secret_override ? secret_override : k->key_secret, signing, true);
    char *jwt = malloc(strlen(signing) + strlen(sig) + 2);
    sprintf(jwt, "%s.%s", signing, sig);
    free(h);
    free(p);
    free(sig);
    return jwt;
}

/* A signed TokenRequest body as createTokenRequest would make it (RSA9). */
static char *signed_request(const sandbox_key *k, const char *ttl, const char *capability,
                            const char *client_id, int64_t timestamp, const char *nonce, bool corrupt)
{
    char ts[32], text[4096];
    snprintf(ts, sizeof ts, "%" PRId64, timestamp);
    snprintf(text, sizeof text, "%s\n%s\n%s\n%s\n%s\n%s\n", k->key_name, ttl ? ttl : "",
             capability ? capability : "", client_id ? client_id : "", ts, nonce);
    char *mac = hmac_b64(k->key_secret, text, false);
    if (corrupt)
        mac[0] = mac[0] == 'A' ? 'B' : 'A';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "keyName", k->key_name);
    if (ttl)
        cJSON_AddNumberToObject(o, "ttl", atof(ttl));
    if (capability)
        cJSON_AddStringToObject(o, "capability", capability);
    if (client_id)
        cJSON_AddStringToObject(o, "clientId", client_id);
    cJSON_AddNumberToObject(o, "timestamp", (double)timestamp);
    cJSON_AddStringToObject(o, "nonce", nonce);
    cJSON_AddStringToObject(o, "mac", mac);
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(mac);
    return body;
}

static const char *unique_nonce(void)
{
    static char nonce[64];
    static unsigned n;
    snprintf(nonce, sizeof nonce, "nonce%016" PRId64 "x%u", now_ms(), ++n);
    return nonce;
}

static srv_resp request_token(const sandbox_env *env, const sandbox_key *k, const char *body,
                              const char *userpwd)
{
    char path[256];
    snprintf(path, sizeof path, "/keys/%s/requestToken", k->key_name);
    return srv_post_json(env, path, body, userpwd);
}

/* Issues a token with Basic auth and TokenParams; returns the TokenDetails JSON. */
static cJSON *issue_token(const sandbox_env *env, size_t key_index, const char *params)
{
    const sandbox_key *k = sandbox_env_key(env, key_index);
    srv_resp r = request_token(env, k, params, k->key_str);
    assert_int_equal(r.status, 200);
    cJSON *td = srv_json(&r);
    srv_resp_free(&r);
    assert_non_null(td);
    return td;
}

static long channel_status_with_bearer(const sandbox_env *env, const char *bearer, int *code)
{
    srv_req q = { .method = "GET", .path = "/channels/auth-check", .bearer = bearer };
    srv_resp r = srv_do(env, &q);
    long status = r.status;
    if (code)
        *code = srv_error_code(&r);
    srv_resp_free(&r);
    return status;
}

static void basic_auth_with_key_is_accepted(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = srv_get(env, "/channels/basic-check", sandbox_env_key(env, 0)->key_str);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
}

static void basic_auth_failures(void **state)
{
    sandbox_env *env = *state;
    char bad[256];
    snprintf(bad, sizeof bad, "%s.invalidKey:invalidSecret", env->app_id);
    srv_resp r = srv_get(env, "/channels/x", bad);
    assert_ably_error(&r, 401, 40400);
    srv_resp_free(&r);
    snprintf(bad, sizeof bad, "%s:wrong-secret", sandbox_env_key(env, 0)->key_name);
    r = srv_get(env, "/channels/x", bad);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    r = srv_get(env, "/channels/x", NULL);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    srv_req q = { .method = "GET", .path = "/channels/x", .extra_header = "Authorization: Digest abc" };
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
}

static void query_key_and_access_token_are_accepted(void **state)
{
    sandbox_env *env = *state;
    char path[512];
    snprintf(path, sizeof path, "/channels/q?key=%s", sandbox_env_key(env, 0)->key_str);
    srv_resp r = srv_get(env, path, NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    cJSON *td = issue_token(env, 0, "{}");
    const char *token = cJSON_GetObjectItem(td, "token")->valuestring;
    snprintf(path, sizeof path, "/channels/q?accessToken=%s", token);
    r = srv_get(env, path, NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    snprintf(path, sizeof path, "/channels/q?access_token=%s", token);
    r = srv_get(env, path, NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    cJSON_Delete(td);
}

static void key_authenticated_request_token_issues_details(void **state)
{
    sandbox_env *env = *state;
    int64_t before = now_ms();
    cJSON *td = issue_token(env, 0, "{\"clientId\":\"alice\",\"ttl\":120000}");
    const cJSON *token = cJSON_GetObjectItem(td, "token");
    assert_true(cJSON_IsString(token) && strlen(token->valuestring) > 0);
    int64_t issued = (int64_t)cJSON_GetObjectItem(td, "issued")->valuedouble;
    int64_t expires = (int64_t)cJSON_GetObjectItem(td, "expires")->valuedouble;
    assert_true(issued >= before - 1000 && issued <= now_ms() + 1000);
    assert_int_equal(expires - issued, 120000);
    assert_string_equal(cJSON_GetObjectItem(td, "clientId")->valuestring, "alice");
    assert_string_equal(cJSON_GetObjectItem(td, "capability")->valuestring, "{\"*\":[\"*\"]}");
    assert_string_equal(cJSON_GetObjectItem(td, "keyName")->valuestring, sandbox_env_key(env, 0)->key_name);
    cJSON_Delete(td);
}

static void default_ttl_is_one_hour_and_max_is_a_day(void **state)
{
    sandbox_env *env = *state;
    cJSON *td = issue_token(env, 0, "{}");
    double ttl = cJSON_GetObjectItem(td, "expires")->valuedouble - cJSON_GetObjectItem(td, "issued")->valuedouble;
    assert_int_equal((int64_t)ttl, 3600000);
    assert_null(cJSON_GetObjectItem(td, "clientId"));
    cJSON_Delete(td);
    const sandbox_key *k = sandbox_env_key(env, 0);
    srv_resp r = request_token(env, k, "{\"ttl\":86400001}", k->key_str);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
}

static void token_capability_is_intersection_with_key(void **state)
{
    sandbox_env *env = *state;
    /* key 2: per-channel capabilities */
    cJSON *td = issue_token(env, 2, "{\"capability\":\"{\\\"*\\\":[\\\"publish\\\"]}\"}");
    assert_string_equal(cJSON_GetObjectItem(td, "capability")->valuestring,
                        "{\"channel0\":[\"publish\"],\"channel1\":[\"publish\"],\"channel2\":[\"publish\"],"
                        "\"channel4\":[\"publish\"],\"channel6\":[\"publish\"]}");
    cJSON_Delete(td);
    const sandbox_key *k = sandbox_env_key(env, 3); /* {"*":["subscribe"]} */
    srv_resp r = request_token(env, k, "{\"capability\":\"{\\\"a\\\":[\\\"publish\\\"]}\"}", k->key_str);
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    r = request_token(env, k, "{\"capability\":\"{\\\"a\\\":[\\\"fly\\\"]}\"}", k->key_str);
    assert_ably_error(&r, 400, 40000);
    srv_resp_free(&r);
}

static void signed_token_request_is_exchanged(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 0);
    char *body = signed_request(k, "60000", "{\"x\":[\"subscribe\"]}", "bob", now_ms(), unique_nonce(), false);
    srv_resp r = request_token(env, k, body, NULL);
    assert_int_equal(r.status, 200);
    cJSON *td = srv_json(&r);
    assert_string_equal(cJSON_GetObjectItem(td, "clientId")->valuestring, "bob");
    assert_string_equal(cJSON_GetObjectItem(td, "capability")->valuestring, "{\"x\":[\"subscribe\"]}");
    cJSON_Delete(td);
    srv_resp_free(&r);
    free(body);
    /* no optional fields at all */
    body = signed_request(k, NULL, NULL, NULL, now_ms(), unique_nonce(), false);
    r = request_token(env, k, body, NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    free(body);
}

static void signed_token_request_denials(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 0);
    char *body = signed_request(k, NULL, NULL, NULL, now_ms(), unique_nonce(), true);
    srv_resp r = request_token(env, k, body, NULL);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    free(body);

    body = signed_request(k, NULL, NULL, NULL, now_ms() - 10 * 60 * 1000, unique_nonce(), false);
    r = request_token(env, k, body, NULL);
    assert_ably_error(&r, 401, 40104);
    srv_resp_free(&r);
    free(body);

    body = signed_request(k, NULL, NULL, NULL, now_ms(), unique_nonce(), false);
    r = request_token(env, k, body, NULL);
    assert_int_equal(r.status, 200);
    srv_resp_free(&r);
    r = request_token(env, k, body, NULL); /* replayed nonce */
    assert_ably_error(&r, 401, 40105);
    srv_resp_free(&r);
    free(body);

    body = signed_request(k, NULL, NULL, NULL, now_ms(), "short", false);
    r = request_token(env, k, body, NULL);
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    free(body);

    /* signed with key 0 but posted to key 1's URL */
    body = signed_request(k, NULL, NULL, NULL, now_ms(), unique_nonce(), false);
    r = request_token(env, sandbox_env_key(env, 1), body, NULL);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    free(body);
}

static void unsigned_token_request_needs_basic_auth(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 0);
    srv_resp r = request_token(env, k, "{}", NULL);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    r = request_token(env, k, "{}", sandbox_env_key(env, 1)->key_str);
    assert_ably_error(&r, 401, 40101);
    srv_resp_free(&r);
    cJSON *td = issue_token(env, 0, "{}");
    char path[256];
    snprintf(path, sizeof path, "/keys/%s/requestToken", k->key_name);
    srv_req q = { .method = "POST", .path = path, .content_type = "application/json", .body = "{}",
                  .bearer = cJSON_GetObjectItem(td, "token")->valuestring };
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40162);
    srv_resp_free(&r);
    cJSON_Delete(td);
    char unknown[128];
    snprintf(unknown, sizeof unknown, "/keys/%s.nokey/requestToken", env->app_id);
    r = srv_post_json(env, unknown, "{}", NULL);
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
}

static void bearer_token_raw_and_base64(void **state)
{
    sandbox_env *env = *state;
    cJSON *td = issue_token(env, 0, "{}");
    const char *token = cJSON_GetObjectItem(td, "token")->valuestring;
    assert_int_equal(channel_status_with_bearer(env, token, NULL), 200);
    char *encoded = b64((const unsigned char *)token, strlen(token), false);
    assert_int_equal(channel_status_with_bearer(env, encoded, NULL), 200);
    free(encoded);
    int code = 0;
    assert_int_equal(channel_status_with_bearer(env, "not-a-token", &code), 401);
    assert_int_equal(code, 40140);
    cJSON_Delete(td);
}

static void token_capability_is_enforced(void **state)
{
    sandbox_env *env = *state;
    cJSON *td = issue_token(env, 0, "{\"capability\":\"{\\\"allowed\\\":[\\\"publish\\\"]}\"}");
    const char *token = cJSON_GetObjectItem(td, "token")->valuestring;
    srv_req q = { .method = "POST", .path = "/channels/allowed/messages", .content_type = "application/json",
                  .body = "{\"name\":\"n\",\"data\":\"d\"}", .bearer = token };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    q.path = "/channels/denied/messages";
    r = srv_do(env, &q);
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    q.method = "GET";
    q.path = "/channels/allowed/messages";
    q.body = NULL;
    r = srv_do(env, &q); /* history not granted */
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    cJSON_Delete(td);
}

static void expired_token_is_rejected(void **state)
{
    sandbox_env *env = *state;
    cJSON *td = issue_token(env, 0, "{\"ttl\":1}");
    usleep(20000);
    int code = 0;
    assert_int_equal(channel_status_with_bearer(env, cJSON_GetObjectItem(td, "token")->valuestring, &code), 401);
    assert_int_equal(code, 40142);
    cJSON_Delete(td);
}

static void jwt_is_accepted_and_checked(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 0);
    int64_t exp = now_ms() / 1000 + 3600;
    char *jwt = make_jwt(k, exp, NULL, NULL, NULL);
    assert_int_equal(channel_status_with_bearer(env, jwt, NULL), 200);
    free(jwt);
    int code = 0;
    jwt = make_jwt(k, now_ms() / 1000 - 5, NULL, NULL, NULL);
    assert_int_equal(channel_status_with_bearer(env, jwt, &code), 401);
    assert_int_equal(code, 40142);
    free(jwt);
    jwt = make_jwt(k, exp, NULL, NULL, "wrong-secret");
    assert_int_equal(channel_status_with_bearer(env, jwt, &code), 401);
    assert_int_equal(code, 40144);
    free(jwt);
    /* capability claim restricts; channel-metadata on another channel is denied */
    jwt = make_jwt(k, exp, "{\"other\":[\"channel-metadata\"]}", NULL, NULL);
    assert_int_equal(channel_status_with_bearer(env, jwt, &code), 401);
    assert_int_equal(code, 40160);
    free(jwt);
}

static void jwt_client_id_applies_to_publish(void **state)
{
    sandbox_env *env = *state;
    char *jwt = make_jwt(sandbox_env_key(env, 0), now_ms() / 1000 + 600, NULL, "jwt-client", NULL);
    srv_req q = { .method = "POST", .path = "/channels/jwt-cid/messages", .content_type = "application/json",
                  .body = "{\"name\":\"n\",\"clientId\":\"someone-else\"}", .bearer = jwt };
    srv_resp r = srv_do(env, &q);
    assert_ably_error(&r, 400, 40012);
    srv_resp_free(&r);
    free(jwt);
}

static void token_client_id_mismatch_is_rejected(void **state)
{
    sandbox_env *env = *state;
    cJSON *td = issue_token(env, 0, "{\"clientId\":\"authenticated-client-id\"}");
    const char *token = cJSON_GetObjectItem(td, "token")->valuestring;
    srv_req q = { .method = "POST", .path = "/channels/cid-mismatch/messages",
                  .content_type = "application/json",
                  .body = "{\"name\":\"e\",\"data\":\"d\",\"clientId\":\"different-client-id\"}", .bearer = token };
    srv_resp r = srv_do(env, &q);
    assert_ably_error(&r, 400, 40012);
    srv_resp_free(&r);
    /* no clientId in the message: the token's is applied (RSL1m1) */
    q.body = "{\"name\":\"e\",\"data\":\"d\"}";
    r = srv_do(env, &q);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    r = srv_get(env, "/channels/cid-mismatch/messages", sandbox_env_key(env, 0)->key_str);
    cJSON *items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "clientId")->valuestring,
                        "authenticated-client-id");
    cJSON_Delete(items);
    srv_resp_free(&r);
    cJSON_Delete(td);
}

static void basic_auth_client_id_header(void **state)
{
    sandbox_env *env = *state;
    /* base64("carol") */
    srv_req q = { .method = "POST", .path = "/channels/hdr-cid/messages", .content_type = "application/json",
                  .body = "{\"name\":\"e\",\"clientId\":\"dave\"}", .userpwd = sandbox_env_key(env, 0)->key_str,
                  .extra_header = "X-Ably-ClientId: Y2Fyb2w=" };
    srv_resp r = srv_do(env, &q);
    assert_ably_error(&r, 400, 40012);
    srv_resp_free(&r);
    q.body = "{\"name\":\"e\",\"clientId\":\"carol\"}";
    r = srv_do(env, &q);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
}

static void token_request_accepts_msgpack(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 0);
    /* msgpack {"clientId":"mp"} */
    static const unsigned char body[] = { 0x81, 0xa8, 'c', 'l', 'i', 'e', 'n', 't', 'I', 'd', 0xa2, 'm', 'p' };
    char path[256];
    snprintf(path, sizeof path, "/keys/%s/requestToken", k->key_name);
    srv_req q = { .method = "POST", .path = path, .content_type = "application/x-msgpack",
                  .accept = "application/x-msgpack", .body = body, .body_len = sizeof body,
                  .userpwd = k->key_str };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 200);
    char ct[64];
    assert_true(srv_header(&r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "application/x-msgpack");
    assert_true((unsigned char)r.body[0] >= 0x80 && (unsigned char)r.body[0] <= 0x8f); /* fixmap */
    assert_non_null(memmem(r.body, r.len, "mp", 2));
    srv_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(basic_auth_with_key_is_accepted, "RSA11 RSA4"),
        ABLY_TEST(basic_auth_failures, "RSA11 RSA4"),
        ABLY_TEST(query_key_and_access_token_are_accepted, "RSA11 RSA3"),
        ABLY_TEST(key_authenticated_request_token_issues_details, "RSA8 TD1 TK1"),
        ABLY_TEST(default_ttl_is_one_hour_and_max_is_a_day, "RSA5 RSA8"),
        ABLY_TEST(token_capability_is_intersection_with_key, "RSA6 RSA8"),
        ABLY_TEST(signed_token_request_is_exchanged, "RSA9 RSA9g TE1 TE2 TE5"),
        ABLY_TEST(signed_token_request_denials, "RSA9g TE5"),
        ABLY_TEST(unsigned_token_request_needs_basic_auth, "RSA8"),
        ABLY_TEST(bearer_token_raw_and_base64, "RSA3 RSA8"),
        ABLY_TEST(token_capability_is_enforced, "RSA6 RSL1d"),
        ABLY_TEST(expired_token_is_rejected, "RSA4b"),
        ABLY_TEST(jwt_is_accepted_and_checked, "RSA8 RSA4b"),
        ABLY_TEST(jwt_client_id_applies_to_publish, "RSA8 RSL1m4"),
        ABLY_TEST(token_client_id_mismatch_is_rejected, "RSL1m4 RSL1m1"),
        ABLY_TEST(basic_auth_client_id_header, "RSA7e2 RSL1m4"),
        ABLY_TEST(token_request_accepts_msgpack, "RSA8 G1"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
