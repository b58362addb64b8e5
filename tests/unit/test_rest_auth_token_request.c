/* createTokenRequest (RSA9), token parameter defaults (RSA5, RSA6), the token types
 * (TK, TE, TD), auth-method choice at construction (RSA1–RSA4, RSA14) and the
 * clientId rules checked without I/O (RSA7, RSA15). Ports of
 * uts/rest/unit/auth/token_request_params.md, types/token_types.md and the
 * construction-time parts of auth_scheme.md and client_id.md.
 *
 * Nothing here may touch the network: the client gets a transport that counts
 * calls and refuses them, and a fixed clock.
 */
#include "ably_test.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/auth.h"
#include "ably/codec.h"
#include "ably/error.h"
#include "ably/rest.h"
#include "ably/transport.h"
#include "rest/auth_private.h"

#define NOW_MS 1700000000000LL

static int transport_calls;

static int refusing_perform(void *ctx, const ably_http_request *req, ably_http_response *res)
{
    (void)ctx;
    (void)req;
    transport_calls++;
    res->failure = ABLY_HTTP_ERR_REFUSED;
    return 0;
}

static const ably_http_transport refusing = {refusing_perform, NULL};

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return NOW_MS;
}

static const ably_clock fixed_clock = {fixed_now, NULL};

static void base_options(ably_client_options *o)
{
    ably_client_options_init(o);
    o->http_transport = &refusing;
    o->clock = &fixed_clock;
}

static ably_rest *client_with_key(const char *key, const ably_token_params *defaults)
{
    ably_client_options o;
    base_options(&o);
    o.key = key;
    o.default_token_params = defaults;
    ably_rest *rest = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    ably_error_clear(&err);
    return rest;
}

static int create_error(const ably_client_options *o)
{
    ably_rest *rest = NULL;
    ably_error err = {0};
    int rc = ably_rest_create(o, &rest, &err);
    ably_rest_destroy(rest);
    int code = rc == 0 ? 0 : (int)err.code;
    ably_error_clear(&err);
    return code;
}

static void create_request(ably_rest *rest, const ably_token_params *params, ably_token_request *tr)
{
    ably_error err = {0};
    ably_token_request_init(tr);
    assert_int_equal(ably_auth_create_token_request(ably_rest_auth(rest), params, NULL, tr, &err), 0);
    ably_error_clear(&err);
}

/* ---- RSA5 / RSA6: absent means absent ---- */

static void ttl_and_capability_absent_when_unspecified(void **state)
{
    (void)state;
    ably_rest *rest = client_with_key("appId.keyId:keySecret", NULL);
    ably_token_request tr;
    create_request(rest, NULL, &tr);
    assert_false(tr.has_ttl);
    assert_null(tr.capability);
    /* and the encoded form leaves them out too */
    ably_buf json;
    ably_buf_init(&json);
    assert_int_equal(ably_token_request_to_json(&tr, &json, NULL), 0);
    assert_null(strstr(json.data, "\"ttl\""));
    assert_null(strstr(json.data, "\"capability\""));
    ably_buf_free(&json);
    ably_token_request_clear(&tr);
    ably_rest_destroy(rest);
    assert_int_equal(transport_calls, 0);
}

static void explicit_ttl_and_capability_preserved(void **state)
{
    (void)state;
    ably_rest *rest = client_with_key("appId.keyId:keySecret", NULL);
    ably_token_params p;
    ably_token_params_init(&p);
    p.ttl = 7200000;
    p.has_ttl = true;
    p.capability = strdup("{\"channel-a\":[\"publish\",\"subscribe\"]}");
    ably_token_request tr;
    create_request(rest, &p, &tr);
    assert_true(tr.has_ttl);
    assert_int_equal(tr.ttl, 7200000);
    assert_string_equal(tr.capability, "{\"channel-a\":[\"publish\",\"subscribe\"]}");
    ably_token_request_clear(&tr);
    ably_token_params_clear(&p);
    ably_rest_destroy(rest);
}

static void default_token_params_used_and_overridden(void **state)
{
    (void)state;
    ably_token_params defaults;
    ably_token_params_init(&defaults);
    defaults.ttl = 1800000;
    defaults.has_ttl = true;
    defaults.capability = strdup("{\"*\":[\"subscribe\"]}");
    ably_rest *rest = client_with_key("appId.keyId:keySecret", &defaults);
    ably_token_params_clear(&defaults); /* the client keeps its own copy */

    ably_token_request tr;
    create_request(rest, NULL, &tr);
    assert_int_equal(tr.ttl, 1800000);
    assert_string_equal(tr.capability, "{\"*\":[\"subscribe\"]}");
    ably_token_request_clear(&tr);

    /* RSA8e: explicit params replace the defaults entirely, even where absent */
    ably_token_params p;
    ably_token_params_init(&p);
    p.ttl = 600000;
    p.has_ttl = true;
    create_request(rest, &p, &tr);
    assert_int_equal(tr.ttl, 600000);
    assert_null(tr.capability);
    ably_token_request_clear(&tr);
    p.capability = strdup("{\"channel-x\":[\"publish\"]}");
    create_request(rest, &p, &tr);
    assert_string_equal(tr.capability, "{\"channel-x\":[\"publish\"]}");
    ably_token_request_clear(&tr);
    ably_token_params_clear(&p);
    ably_rest_destroy(rest);
}

/* ---- RSA9: the signed request ---- */

static void signs_with_hmac_sha256_over_canonical_text(void **state)
{
    (void)state;
    ably_rest *rest = client_with_key("appId.keyId:keySecret", NULL);
    ably_token_params p;
    ably_token_params_init(&p);
    p.ttl = 3600000;
    p.has_ttl = true;
    /* out of order and spaced: the library canonicalises before signing */
    p.capability = strdup("{ \"ch\": [\"publish\", \"presence\"], \"*\": [\"subscribe\"] }");
    p.client_id = strdup("client");
    p.timestamp = 1700000000000LL;
    p.has_timestamp = true;
    p.nonce = strdup("nonce-0123456789abcdef");
    ably_token_request tr;
    create_request(rest, &p, &tr);
    assert_string_equal(tr.key_name, "appId.keyId");
    assert_string_equal(tr.capability, "{\"*\":[\"subscribe\"],\"ch\":[\"presence\",\"publish\"]}");
    assert_string_equal(tr.client_id, "client");
    assert_int_equal(tr.timestamp, 1700000000000LL);
    assert_string_equal(tr.nonce, "nonce-0123456789abcdef");
    /* independently computed: base64(HMAC-SHA256("keySecret", canonical text)) */
    assert_string_equal(tr.mac, "y/GpIV4nrcoSpkUkKGdqo0gbs/HHS8hO9vgagBlL418=");
    ably_token_request_clear(&tr);
    ably_token_params_clear(&p);

    /* absent fields sign as empty lines */
    ably_token_params_init(&p);
    p.timestamp = 1700000000000LL;
    p.has_timestamp = true;
    p.nonce = strdup("nonce-0123456789abcdef");
    create_request(rest, &p, &tr);
    assert_string_equal(tr.mac, "1MIERlitVihjafflaLO4KLM1E0NnXDSj6nx6M6Xofs0=");
    ably_token_request_clear(&tr);
    ably_token_params_clear(&p);
    ably_rest_destroy(rest);
}

static void generates_unique_nonce_and_local_timestamp(void **state)
{
    (void)state;
    ably_rest *rest = client_with_key("appId.keyId:keySecret", NULL);
    ably_token_request a, b;
    create_request(rest, NULL, &a);
    create_request(rest, NULL, &b);
    assert_true(strlen(a.nonce) >= 16);
    assert_string_not_equal(a.nonce, b.nonce);
    assert_true(a.has_timestamp);
    assert_int_equal(a.timestamp, NOW_MS); /* the client's clock, no server query */
    assert_non_null(a.mac);
    assert_string_not_equal(a.mac, b.mac);
    ably_token_request_clear(&a);
    ably_token_request_clear(&b);
    ably_rest_destroy(rest);
    assert_int_equal(transport_calls, 0);
}

static void client_id_from_options_goes_into_request(void **state)
{
    (void)state;
    ably_token_params defaults;
    ably_token_params_init(&defaults);
    defaults.client_id = strdup("from-defaults");
    ably_client_options o;
    base_options(&o);
    o.key = "appId.keyId:keySecret";
    o.client_id = "from-options";
    o.default_token_params = &defaults;
    ably_rest *rest = NULL;
    assert_int_equal(ably_rest_create(&o, &rest, NULL), 0);
    ably_token_params_clear(&defaults);
    ably_token_request tr;
    create_request(rest, NULL, &tr); /* RSA7a4, RSA7d */
    assert_string_equal(tr.client_id, "from-options");
    ably_token_request_clear(&tr);

    ably_token_params p;
    ably_token_params_init(&p);
    p.client_id = strdup("*");
    create_request(rest, &p, &tr); /* an explicit one wins */
    assert_string_equal(tr.client_id, "*");
    ably_token_request_clear(&tr);
    ably_token_params_clear(&p);
    ably_rest_destroy(rest);
}

static void options_key_signs_instead_of_client_key(void **state)
{
    (void)state;
    ably_rest *rest = client_with_key("appId.keyId:keySecret", NULL);
    ably_auth_options ao = {.key = "other.key:otherSecret"};
    ably_token_request tr;
    ably_token_request_init(&tr);
    assert_int_equal(ably_auth_create_token_request(ably_rest_auth(rest), NULL, &ao, &tr, NULL), 0);
    assert_string_equal(tr.key_name, "other.key");
    ably_token_request_clear(&tr);
    ably_rest_destroy(rest);
}

static void no_key_cannot_sign(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    o.token = "a-token";
    ably_rest *rest = NULL;
    assert_int_equal(ably_rest_create(&o, &rest, NULL), 0);
    ably_token_request tr;
    ably_token_request_init(&tr);
    ably_error err = {0};
    assert_int_equal(ably_auth_create_token_request(ably_rest_auth(rest), NULL, NULL, &tr, &err), -1);
    assert_int_equal(err.code, 40101);
    ably_error_clear(&err);
    ably_token_request_clear(&tr);
    ably_rest_destroy(rest);
}

static void capability_canonical_forms(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(auth_canonical_capability("{\"*\":[\"*\"]}", &out, NULL), 0);
    assert_string_equal(out, "{\"*\":[\"*\"]}");
    free(out);
    assert_int_equal(auth_canonical_capability(
                         "{\"user:*\":[\"subscribe\",\"history\"],\"a\\\"b\":[\"publish\"],\"*\":[\"*\"]}", &out,
                         NULL),
                     0);
    assert_string_equal(out, "{\"*\":[\"*\"],\"a\\\"b\":[\"publish\"],\"user:*\":[\"history\",\"subscribe\"]}");
    free(out);
    ably_error err = {0};
    assert_int_equal(auth_canonical_capability("[\"publish\"]", &out, &err), -1);
    assert_int_equal(err.code, 40003);
    assert_int_equal(auth_canonical_capability("{\"ch\":\"publish\"}", &out, &err), -1);
    assert_int_equal(auth_canonical_capability("{not json", &out, &err), -1);
    ably_error_clear(&err);
    assert_null(out);
}

/* ---- TK, TE, TD: the types ---- */

static void token_params_to_query_params(void **state)
{
    (void)state;
    ably_token_params p;
    ably_token_params_init(&p);
    assert_false(p.has_ttl);
    assert_null(p.capability);
    p.ttl = 3600000;
    p.has_ttl = true;
    p.client_id = strdup("query-client");
    p.capability = strdup("{\"ch\":[\"pub\"]}");
    ably_string_map m = {0};
    assert_int_equal(auth_token_params_to_map(&p, &m), 0);
    assert_string_equal(ably_string_map_get(&m, "ttl"), "3600000");
    assert_string_equal(ably_string_map_get(&m, "clientId"), "query-client");
    assert_string_equal(ably_string_map_get(&m, "capability"), "{\"ch\":[\"pub\"]}");
    assert_null(ably_string_map_get(&m, "timestamp"));
    assert_null(ably_string_map_get(&m, "nonce"));
    ably_string_map_clear(&m);
    ably_token_params_clear(&p);
}

static void token_request_json_round_trip(void **state)
{
    (void)state;
    const char *json = "{\"keyName\":\"appId.keyId\",\"ttl\":7200000,\"capability\":\"{\\\"ch\\\":[\\\"sub\\\"]}\","
                       "\"clientId\":\"from-json-client\",\"timestamp\":1234567899999,\"nonce\":\"from-json-nonce\","
                       "\"mac\":\"from-json-mac\"}";
    ably_token_request tr;
    assert_int_equal(ably_token_request_from_json(&tr, json, strlen(json), NULL), 0);
    assert_string_equal(tr.key_name, "appId.keyId");
    assert_int_equal(tr.ttl, 7200000);
    assert_string_equal(tr.capability, "{\"ch\":[\"sub\"]}");
    assert_string_equal(tr.client_id, "from-json-client");
    assert_int_equal(tr.timestamp, 1234567899999LL);
    assert_string_equal(tr.nonce, "from-json-nonce");
    assert_string_equal(tr.mac, "from-json-mac");
    ably_buf out;
    ably_buf_init(&out);
    assert_int_equal(ably_token_request_to_json(&tr, &out, NULL), 0);
    cJSON *root = cJSON_Parse(out.data);
    assert_string_equal(cJSON_GetObjectItem(root, "keyName")->valuestring, "appId.keyId");
    assert_int_equal((int64_t)cJSON_GetObjectItem(root, "timestamp")->valuedouble, 1234567899999LL);
    assert_string_equal(cJSON_GetObjectItem(root, "mac")->valuestring, "from-json-mac");
    cJSON_Delete(root);
    ably_buf_free(&out);
    ably_token_request_clear(&tr);
}

static void token_details_from_json(void **state)
{
    (void)state;
    const char *json = "{\"token\":\"deserialized-token\",\"expires\":1234567890000,\"issued\":1234567800000,"
                       "\"capability\":\"{\\\"channel-1\\\":[\\\"publish\\\"]}\",\"clientId\":\"json-client\","
                       "\"keyName\":\"appId.keyId\"}";
    ably_token_details td;
    assert_int_equal(ably_token_details_from_json(&td, json, strlen(json), NULL), 0);
    assert_string_equal(td.token, "deserialized-token");
    assert_int_equal(td.expires, 1234567890000LL);
    assert_int_equal(td.issued, 1234567800000LL);
    assert_string_equal(td.capability, "{\"channel-1\":[\"publish\"]}");
    assert_string_equal(td.client_id, "json-client");
    ably_token_details_clear(&td);
}

/* ---- construction: method choice and clientId rules ---- */

static void no_auth_method_is_refused(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    assert_int_equal(create_error(&o), 40106); /* RSC1b */
    o.use_token_auth = true;                   /* RSA14: token auth, but no way to get one */
    assert_int_equal(create_error(&o), 40106);
    assert_int_equal(transport_calls, 0);
}

static void basic_auth_refused_without_tls(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    o.key = "appId.keyId:keySecret";
    o.tls = false;
    o.endpoint = "example.com";
    assert_int_equal(create_error(&o), 40103); /* RSA1 */
    o.token = "a-token";                       /* RSA3a: token auth is fine over HTTP */
    assert_int_equal(create_error(&o), 0);
}

static void malformed_key_and_reserved_client_id(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    o.key = "no-colon-here";
    assert_int_not_equal(create_error(&o), 0);
    o.key = "appId.keyId:keySecret";
    o.client_id = "*"; /* RSA7c */
    assert_int_equal(create_error(&o), 40012);
}

static char *client_id_of(const ably_client_options *o)
{
    ably_rest *rest = NULL;
    assert_int_equal(ably_rest_create(o, &rest, NULL), 0);
    char *id = ably_auth_get_client_id(ably_rest_auth(rest));
    ably_rest_destroy(rest);
    return id;
}

static void client_id_from_options_and_token(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    o.key = "appId.keyId:keySecret";
    assert_null(client_id_of(&o)); /* RSA12b */
    o.client_id = "my-client-id";
    char *id = client_id_of(&o); /* RSA7b1 */
    assert_string_equal(id, "my-client-id");
    free(id);

    ably_token_details td;
    ably_token_details_init(&td);
    td.token = strdup("token-with-clientId");
    td.expires = NOW_MS + 3600000;
    td.has_expires = true;
    td.client_id = strdup("token-client-id");
    base_options(&o);
    o.token_details = &td;
    id = client_id_of(&o); /* RSA7b2 */
    assert_string_equal(id, "token-client-id");
    free(id);
    free(td.client_id);
    td.client_id = strdup("*");
    id = client_id_of(&o); /* RSA7b4 */
    assert_string_equal(id, "*");
    free(id);
    o.client_id = "any-client"; /* RSA15b: a wildcard token permits any */
    id = client_id_of(&o);
    assert_string_equal(id, "any-client");
    free(id);
    free(td.client_id);
    td.client_id = NULL;
    o.client_id = NULL;
    assert_null(client_id_of(&o)); /* RSA12a */
    ably_token_details_clear(&td);
}

static void mismatched_token_client_id_is_refused(void **state)
{
    (void)state;
    ably_token_details td;
    ably_token_details_init(&td);
    td.token = strdup("mismatched-token");
    td.client_id = strdup("other-client");
    ably_client_options o;
    base_options(&o);
    o.client_id = "my-client";
    o.token_details = &td;
    assert_int_equal(create_error(&o), 40102); /* RSA15a, RSA15c */
    free(td.client_id);
    td.client_id = strdup("my-client");
    char *id = client_id_of(&o);
    assert_string_equal(id, "my-client");
    free(id);
    ably_token_details_clear(&td);
}

static void token_details_reflect_the_token_given(void **state)
{
    (void)state;
    ably_client_options o;
    base_options(&o);
    o.token = "just-a-string";
    ably_rest *rest = NULL;
    assert_int_equal(ably_rest_create(&o, &rest, NULL), 0);
    ably_token_details td;
    ably_token_details_init(&td);
    assert_int_equal(ably_auth_get_token_details(ably_rest_auth(rest), &td, NULL), 1); /* RSA16b */
    assert_string_equal(td.token, "just-a-string");
    assert_false(td.has_expires);
    ably_token_details_clear(&td);
    ably_rest_destroy(rest);

    base_options(&o);
    o.key = "appId.keyId:keySecret";
    assert_int_equal(ably_rest_create(&o, &rest, NULL), 0);
    assert_int_equal(ably_auth_get_token_details(ably_rest_auth(rest), &td, NULL), 0); /* RSA16d */
    ably_rest_destroy(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(ttl_and_capability_absent_when_unspecified, "RSA5 RSA6 RSA9e TK2a TK2b"),
        ABLY_TEST(explicit_ttl_and_capability_preserved, "RSA5 RSA6 RSA9e RSA9f"),
        ABLY_TEST(default_token_params_used_and_overridden, "RSA5 RSA6 RSA8e RSA9h RSA9i"),
        ABLY_TEST(signs_with_hmac_sha256_over_canonical_text, "RSA9 RSA9a RSA9f RSA9g TE2 TE3"),
        ABLY_TEST(generates_unique_nonce_and_local_timestamp, "RSA9c RSA9d TK2e"),
        ABLY_TEST(client_id_from_options_goes_into_request, "RSA7a4 RSA7d TK2c"),
        ABLY_TEST(options_key_signs_instead_of_client_key, "RSA9g AO2a"),
        ABLY_TEST(no_key_cannot_sign, "RSA9g"),
        ABLY_TEST(capability_canonical_forms, "RSA9f TK2b"),
        ABLY_TEST(token_params_to_query_params, "TK1 TK2 TK2a TK2b TK2c"),
        ABLY_TEST(token_request_json_round_trip, "TE1 TE2 TE3 TE4 TE5 TE6"),
        ABLY_TEST(token_details_from_json, "TD1 TD2 TD3 TD4 TD5 TD6 TD7"),
        ABLY_TEST(no_auth_method_is_refused, "RSC1b RSA14"),
        ABLY_TEST(basic_auth_refused_without_tls, "RSA1 RSA3a"),
        ABLY_TEST(malformed_key_and_reserved_client_id, "RSA7c"),
        ABLY_TEST(client_id_from_options_and_token, "RSA7 RSA7b1 RSA7b2 RSA7b4 RSA12 RSA12a RSA12b RSA15b"),
        ABLY_TEST(mismatched_token_client_id_is_refused, "RSA15 RSA15a RSA15c"),
        ABLY_TEST(token_details_reflect_the_token_given, "RSA16 RSA16b RSA16d"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
