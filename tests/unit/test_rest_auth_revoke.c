/* revokeTokens (RSA17) on the mock HTTP transport. Port of
 * uts/rest/unit/auth/revoke_tokens.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    ably_token_revocation_batch_result result;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.key = "appId.keyName:keySecret";
    f->o.use_binary_protocol = false; /* so the tests can read the body as JSON */
    mock_http_install(f->m, &f->o);
    ably_token_revocation_batch_result_init(&f->result);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    ably_token_revocation_batch_result_clear(&f->result);
    free(f);
    return 0;
}

static void create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static const ably_token_revocation_target_specifier alice = {"clientId", "alice"};

static int revoke(fx *f, const ably_token_revocation_target_specifier *t, size_t n,
                  const ably_revoke_tokens_options *o)
{
    ably_error_clear(&f->err);
    return ably_rest_revoke_tokens(f->rest, t, n, o, &f->result, &f->err);
}

static cJSON *sent_body(fx *f)
{
    assert_int_equal(mock_http_count(f->m), 1);
    cJSON *body = cJSON_Parse(mock_http_request(f->m, 0)->body.data);
    assert_non_null(body);
    return body;
}

static const char *ONE_SUCCESS = "[{\"target\":\"clientId:alice\",\"issuedBefore\":1700000000000,"
                                 "\"appliesAt\":1700000001000}]";

static void posts_targets_to_key_path(void **state)
{
    fx *f = *state;
    create(f);
    mock_http_queue_json(f->m, 200, ONE_SUCCESS);
    assert_int_equal(revoke(f, &alice, 1, NULL), 0);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/keys/appId.keyName/revokeTokens");
    assert_string_equal(mock_request_header(r, "Authorization"),
                        "Basic YXBwSWQua2V5TmFtZTprZXlTZWNyZXQ="); /* base64("appId.keyName:keySecret") */
    cJSON *body = sent_body(f);
    cJSON *targets = cJSON_GetObjectItem(body, "targets");
    assert_int_equal(cJSON_GetArraySize(targets), 1);
    assert_string_equal(cJSON_GetArrayItem(targets, 0)->valuestring, "clientId:alice");
    assert_null(cJSON_GetObjectItem(body, "issuedBefore"));     /* RSA17e: omitted when not given */
    assert_null(cJSON_GetObjectItem(body, "allowReauthMargin")); /* RSA17f */
    cJSON_Delete(body);
}

static void several_target_types(void **state)
{
    fx *f = *state;
    create(f);
    mock_http_queue_json(f->m, 200, "[]");
    ably_token_revocation_target_specifier t[] = {
        {"clientId", "alice"}, {"revocationKey", "group-1"}, {"channel", "secret"}};
    assert_int_equal(revoke(f, t, 3, NULL), 0);
    cJSON *body = sent_body(f);
    cJSON *targets = cJSON_GetObjectItem(body, "targets");
    assert_int_equal(cJSON_GetArraySize(targets), 3);
    assert_string_equal(cJSON_GetArrayItem(targets, 0)->valuestring, "clientId:alice");
    assert_string_equal(cJSON_GetArrayItem(targets, 1)->valuestring, "revocationKey:group-1");
    assert_string_equal(cJSON_GetArrayItem(targets, 2)->valuestring, "channel:secret");
    cJSON_Delete(body);
}

static void issued_before_and_reauth_margin(void **state)
{
    fx *f = *state;
    create(f);
    mock_http_queue_json(f->m, 200, ONE_SUCCESS);
    ably_revoke_tokens_options o = {.issued_before = 1699999000000LL, .has_issued_before = true,
                                    .allow_reauth_margin = true, .has_allow_reauth_margin = true};
    assert_int_equal(revoke(f, &alice, 1, &o), 0);
    cJSON *body = sent_body(f);
    assert_int_equal((int64_t)cJSON_GetObjectItem(body, "issuedBefore")->valuedouble, 1699999000000LL);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "allowReauthMargin")));
    cJSON_Delete(body);
}

static void bare_array_result_is_counted(void **state)
{
    fx *f = *state;
    create(f);
    mock_http_queue_json(f->m, 200,
                         "[{\"target\":\"clientId:alice\",\"issuedBefore\":1700000000000,\"appliesAt\":1700000001000},"
                         "{\"target\":\"clientId:bob\",\"issuedBefore\":1700000000000,\"appliesAt\":1700000002000}]");
    ably_token_revocation_target_specifier t[] = {{"clientId", "alice"}, {"clientId", "bob"}};
    assert_int_equal(revoke(f, t, 2, NULL), 0);
    assert_int_equal(f->result.success_count, 2);
    assert_int_equal(f->result.failure_count, 0);
    assert_int_equal(f->result.results_count, 2);
    const ably_token_revocation_outcome *s = &f->result.results[0];
    assert_string_equal(s->target, "clientId:alice"); /* TRS2 */
    assert_int_equal(s->issued_before, 1700000000000LL);
    assert_int_equal(s->applies_at, 1700000001000LL);
    assert_null(s->error);
}

static void envelope_with_failures(void **state)
{
    fx *f = *state;
    create(f);
    mock_http_queue_json(f->m, 201,
                         "{\"successCount\":1,\"failureCount\":1,\"results\":["
                         "{\"target\":\"clientId:alice\",\"issuedBefore\":1700000000000,\"appliesAt\":1700000001000},"
                         "{\"target\":\"invalidType:abc\",\"error\":{\"code\":40000,\"statusCode\":400,"
                         "\"message\":\"Invalid target type\"}}]}");
    ably_token_revocation_target_specifier t[] = {{"clientId", "alice"}, {"invalidType", "abc"}};
    assert_int_equal(revoke(f, t, 2, NULL), 0);
    assert_int_equal(f->result.success_count, 1);
    assert_int_equal(f->result.failure_count, 1);
    assert_int_equal(f->result.results_count, 2);
    const ably_token_revocation_outcome *bad = &f->result.results[1];
    assert_string_equal(bad->target, "invalidType:abc"); /* TRF2 */
    assert_non_null(bad->error);
    assert_int_equal(bad->error->code, 40000);
    assert_int_equal(bad->error->status_code, 400);
    assert_non_null(strstr(bad->error->message, "Invalid target type"));
}

/* rest/unit/TRS2/success-result-attributes-0: a success result (an outcome with
 * no error) carries its target, issuedBefore and appliesAt. The standalone
 * TokenRevocationSuccessResult type decodes the same fields from either format. */
static void success_result_attributes(void **state)
{
    fx *f = *state;
    create(f);
    static const char one[] = "{\"target\":\"clientId:alice\",\"issuedBefore\":1700000000000,"
                              "\"appliesAt\":1700000001000}";
    mock_http_queue_json(f->m, 200, ONE_SUCCESS);
    assert_int_equal(revoke(f, &alice, 1, NULL), 0);
    assert_int_equal(f->result.results_count, 1);
    const ably_token_revocation_outcome *s = &f->result.results[0];
    assert_null(s->error); /* a success */
    assert_string_equal(s->target, "clientId:alice");
    assert_true(s->has_issued_before);
    assert_int_equal(s->issued_before, 1700000000000LL);
    assert_true(s->has_applies_at);
    assert_int_equal(s->applies_at, 1700000001000LL);

    ably_buf mp;
    ably_buf_init(&mp);
    assert_int_equal(mock_json_to_msgpack(one, &mp), 0);
    for (int binary = 0; binary < 2; binary++) {
        ably_token_revocation_success_result r;
        ably_token_revocation_success_result_init(&r);
        int rc = binary ? ably_token_revocation_success_result_from_msgpack(&r, mp.data, mp.len, &f->err)
                        : ably_token_revocation_success_result_from_json(&r, one, strlen(one), &f->err);
        assert_int_equal(rc, 0);
        assert_string_equal(r.target, "clientId:alice");
        assert_true(r.has_issued_before && r.has_applies_at);
        assert_int_equal(r.issued_before, 1700000000000LL);
        assert_int_equal(r.applies_at, 1700000001000LL);
        ably_token_revocation_success_result_clear(&r);
    }
    ably_buf_free(&mp);
}

/* rest/unit/TRF2/failure-result-attributes-0: a failure result carries its target
 * and an ErrorInfo; so does the standalone TokenRevocationFailureResult type. */
static void failure_result_attributes(void **state)
{
    fx *f = *state;
    create(f);
    static const char one[] = "{\"target\":\"invalidType:abc\",\"error\":{\"code\":40000,\"statusCode\":400,"
                              "\"message\":\"Invalid target type\"}}";
    char envelope[256];
    snprintf(envelope, sizeof envelope, "{\"successCount\":0,\"failureCount\":1,\"results\":[%s]}", one);
    mock_http_queue_json(f->m, 200, envelope);
    ably_token_revocation_target_specifier t = {"invalidType", "abc"};
    assert_int_equal(revoke(f, &t, 1, NULL), 0);
    assert_int_equal(f->result.success_count, 0);
    assert_int_equal(f->result.failure_count, 1);
    assert_int_equal(f->result.results_count, 1);
    const ably_token_revocation_outcome *bad = &f->result.results[0];
    assert_string_equal(bad->target, "invalidType:abc");
    assert_non_null(bad->error); /* a failure */
    assert_int_equal(bad->error->code, 40000);
    assert_int_equal(bad->error->status_code, 400);
    assert_non_null(strstr(bad->error->message, "Invalid target type"));
    assert_false(bad->has_applies_at);

    ably_token_revocation_failure_result r;
    ably_token_revocation_failure_result_init(&r);
    assert_int_equal(ably_token_revocation_failure_result_from_json(&r, one, strlen(one), &f->err), 0);
    assert_string_equal(r.target, "invalidType:abc");
    assert_non_null(r.error);
    assert_int_equal(r.error->code, 40000);
    assert_int_equal(r.error->status_code, 400);
    assert_non_null(strstr(r.error->message, "Invalid target type"));
    ably_token_revocation_failure_result_clear(&r);
}

static void msgpack_round_trip(void **state)
{
    fx *f = *state;
    f->o.use_binary_protocol = true;
    create(f);
    mock_http_queue_msgpack(f->m, 201, "{\"successCount\":1,\"failureCount\":0,\"results\":["
                                       "{\"target\":\"clientId:alice\",\"appliesAt\":1700000001000}]}");
    ably_revoke_tokens_options o = {.issued_before = 1699999000000LL, .has_issued_before = true};
    assert_int_equal(revoke(f, &alice, 1, &o), 0);
    assert_int_equal(f->result.success_count, 1);
    assert_string_equal(f->result.results[0].target, "clientId:alice");
    const mock_request *r = mock_http_request(f->m, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/x-msgpack");
    assert_true(r->body.len > 0 && ((unsigned char)r->body.data[0] & 0xf0) == 0x80); /* a msgpack map */
}

static void token_auth_client_is_refused(void **state)
{
    fx *f = *state;
    f->o.key = NULL;
    f->o.token = "a.token.string";
    create(f);
    assert_int_equal(revoke(f, &alice, 1, NULL), -1);
    assert_int_equal(f->err.code, 40162);
    assert_int_equal(f->err.status_code, 401);
    ably_rest_destroy(f->rest);
    f->rest = NULL;

    f->o.key = "appId.keyName:keySecret";
    f->o.token = NULL;
    f->o.use_token_auth = true;
    create(f);
    assert_int_equal(revoke(f, &alice, 1, NULL), -1);
    assert_int_equal(f->err.code, 40162);
    assert_int_equal(mock_http_count(f->m), 0);
}

static void server_error_propagated(void **state)
{
    fx *f = *state;
    f->o.http_max_retry_count = 0;
    create(f);
    mock_http_queue_json(f->m, 401, "{\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"}}");
    assert_int_equal(revoke(f, &alice, 1, NULL), -1);
    assert_int_equal(f->err.code, 40160);
    assert_int_equal(f->result.results_count, 0);
}

#define T(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(posts_targets_to_key_path, "RSA17 RSA17g RSA17b RSA17e RSA17f"),
        T(several_target_types, "RSA17b TRT2"),
        T(issued_before_and_reauth_margin, "RSA17e RSA17f"),
        T(bare_array_result_is_counted, "RSA17c BAR2 TRS2"),
        T(envelope_with_failures, "RSA17c BAR2 TRF2"),
        T(success_result_attributes, "TRS1 TRS2 TRS2a TRS2b TRS2c"),
        T(failure_result_attributes, "TRF1 TRF2 TRF2a TRF2b"),
        T(msgpack_round_trip, "RSA17g RSA17c"),
        T(token_auth_client_is_refused, "RSA17d"),
        T(server_error_propagated, "RSA17"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
