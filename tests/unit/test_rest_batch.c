/* batchPublish (RSC22) and batchPresence (RSC24) with their BatchResult shapes.
 * Ports uts/rest/unit/batch_publish.md and batch_presence.md. */
#include "test_rest_channel_fixture.h"

static char *ch_ab[] = {"channel-a", "channel-b"};

static ably_batch_publish_spec spec_of(char **channels, size_t nch, ably_message *msgs, size_t nmsg)
{
    ably_batch_publish_spec s;
    memset(&s, 0, sizeof s);
    s.channels = channels;
    s.channels_count = nch;
    s.messages = msgs;
    s.messages_count = nmsg;
    return s;
}

/* rest/unit/RSC22c/single-spec-post-messages-0, RSC22c/single-spec-single-result-0,
 * BPR2a, BPR2b, BPR2c, RSC22/standard-headers-included-0 */
static void single_spec(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201,
             "[{\"successCount\":2,\"failureCount\":0,\"results\":["
             "{\"channel\":\"channel-a\",\"messageId\":\"unique-id-prefix\",\"serials\":[\"serial1\"]},"
             "{\"channel\":\"channel-b\",\"messageId\":\"unique-id-prefix\",\"serials\":[\"serial2\"]}]}]");
    fx_create(f);
    ably_message m = msg_of("event", "hello");
    ably_batch_publish_spec s = spec_of(ch_ab, 2, &m, 1);
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/messages");
    assert_non_null(mock_request_header(r, "X-Ably-Version"));
    assert_non_null(mock_request_header(r, "Ably-Agent"));
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/json");
    cJSON *b = fx_body(f, 0);
    const cJSON *spec = cJSON_IsArray(b) ? b->child : b;
    const cJSON *chans = cJSON_GetObjectItem(spec, "channels");
    assert_int_equal(cJSON_GetArraySize(chans), 2);
    assert_string_equal(cJSON_GetArrayItem(chans, 0)->valuestring, "channel-a");
    const cJSON *msgs = cJSON_GetObjectItem(spec, "messages");
    assert_string_equal(jstr(msgs->child, "name"), "event");
    assert_string_equal(jstr(msgs->child, "data"), "hello");
    cJSON_Delete(b);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].success_count, 2);
    assert_int_equal(res[0].failure_count, 0);
    assert_int_equal(res[0].results_count, 2);
    assert_string_equal(res[0].results[0].channel, "channel-a");
    assert_string_equal(res[0].results[0].message_id, "unique-id-prefix");
    assert_int_equal(res[0].results[0].serials_count, 1);
    assert_string_equal(res[0].results[0].serials[0], "serial1");
    assert_null(res[0].results[0].error);
    ably_batch_publish_results_free(res, n);
    fx_free(f);
}

/* rest/unit/RSC22c/array-specs-post-messages-0, RSC22c/array-specs-array-results-0, with
 * bare per-channel results (the older reply shape the UTS mock uses) */
static void array_of_specs(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201,
             "[{\"channel\":\"c1\",\"messageId\":\"msg1\",\"serials\":[\"s1\"]},"
             "{\"channel\":\"c2\",\"messageId\":\"msg2\",\"serials\":[\"s2\"]}]");
    fx_create(f);
    char *c1[] = {"c1"}, *c2[] = {"c2"};
    ably_message m1 = msg_of("e1", "d1"), m2 = msg_of("e2", "d2");
    ably_batch_publish_spec s[2] = {spec_of(c1, 1, &m1, 1), spec_of(c2, 1, &m2, 1)};
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, s, 2, &res, &n, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_int_equal(cJSON_GetArraySize(b), 2);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "channels"), 0)->valuestring, "c2");
    cJSON_Delete(b);
    assert_int_equal(n, 2);
    assert_int_equal(res[0].results_count, 1);
    assert_string_equal(res[0].results[0].channel, "c1");
    assert_string_equal(res[1].results[0].message_id, "msg2");
    assert_int_equal(res[1].success_count, 1); /* counted, as the reply had none */
    assert_int_equal(res[1].failure_count, 0);
    ably_batch_publish_results_free(res, n);
    fx_free(f);
}

/* rest/unit/RSC22c/multiple-channels-multiple-results-0, RSC22c/partial-success-mixed-results-0,
 * RSC22c/distinguish-success-failure-0, BPF2a, BPF2b, BPR2c/serials-null-conflated-0 */
static void mixed_results(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply_msgpack(f, 201,
                     "[{\"successCount\":2,\"failureCount\":1,\"results\":["
                     "{\"channel\":\"a\",\"messageId\":\"m\",\"serials\":[\"serial1\",null,\"serial3\"]},"
                     "{\"channel\":\"b\",\"messageId\":\"m\",\"serials\":[\"x\",\"y\",\"z\"]},"
                     "{\"channel\":\"c\",\"error\":{\"code\":40160,\"statusCode\":401,"
                     "\"message\":\"Channel operation not permitted\",\"href\":\"https://help.ably.io/error/40160\"}}]}]");
    fx_create(f);
    char *chans[] = {"a", "b", "c"};
    ably_message m[3] = {msg_of("1", "a"), msg_of("2", "b"), msg_of("3", "c")};
    ably_batch_publish_spec s = spec_of(chans, 3, m, 3);
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].results_count, 3);
    assert_int_equal(res[0].success_count, 2);
    assert_int_equal(res[0].failure_count, 1);
    const ably_batch_publish_outcome *o = res[0].results;
    assert_int_equal(o[0].serials_count, 3);
    assert_null(o[0].serials[1]);
    assert_string_equal(o[0].serials[2], "serial3");
    assert_null(o[1].error);
    assert_non_null(o[2].error);
    assert_string_equal(o[2].channel, "c");
    assert_int_equal(o[2].error->code, 40160);
    assert_int_equal(o[2].error->status_code, 401);
    assert_non_null(strstr(o[2].error->message, "not permitted"));
    assert_null(o[2].message_id);
    ably_batch_publish_results_free(res, n);
    fx_free(f);
}

/* rest/unit/RSC22c/messages-encoded-per-rsl4-0, BSP2b/messages-array-objects-0 */
static void messages_encoded(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201, "[]");
    fx_create(f);
    char *c[] = {"x"};
    ably_message m[3] = {msg_of("s", "text"), msg_of("b", NULL), msg_of("j", NULL)};
    m[1].data = ably_data_borrow(ABLY_DATA_BINARY, "\x01\x02\x03", 3);
    m[2].data = json_data("{\"key\":\"value\"}");
    ably_batch_publish_spec s = spec_of(c, 1, m, 3);
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    const cJSON *msgs = cJSON_GetObjectItem(b->child, "messages");
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "encoding"));
    assert_string_equal(jstr(cJSON_GetArrayItem(msgs, 1), "data"), "AQID");
    assert_string_equal(jstr(cJSON_GetArrayItem(msgs, 1), "encoding"), "base64");
    assert_string_equal(jstr(cJSON_GetArrayItem(msgs, 2), "encoding"), "json");
    cJSON_Delete(b);
    assert_int_equal(m[2].data.type, ABLY_DATA_JSON);
    ably_batch_publish_results_free(res, n);
    fx_free(f);
}

/* rest/unit/RSC22d/idempotent-ids-generated-0, explicit-ids-preserved-0, ids-not-generated-disabled-0 */
static void idempotent_ids(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        fx *f = fx_new();
        f->o.idempotent_rest_publishing = on;
        fx_reply(f, 201, "[]");
        fx_create(f);
        char *c1[] = {"c1"}, *c2[] = {"c2"};
        ably_message m1[2] = {msg_of("a", "1"), msg_of("b", "2")}, m2[1] = {msg_of("c", "3")}, m3[1] = {msg_of("d", "4")};
        m3[0].id = "explicit";
        ably_batch_publish_spec s[3] = {spec_of(c1, 1, m1, 2), spec_of(c2, 1, m2, 1), spec_of(c2, 1, m3, 1)};
        ably_batch_publish_result *res = NULL;
        size_t n = 0;
        assert_int_equal(ably_rest_batch_publish(f->rest, s, 3, &res, &n, &f->err), 0);
        cJSON *b = fx_body(f, 0);
        const cJSON *msgs0 = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 0), "messages");
        const cJSON *msgs1 = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "messages");
        const cJSON *msgs2 = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 2), "messages");
        assert_string_equal(jstr(msgs2->child, "id"), "explicit");
        const char *id0 = jstr(cJSON_GetArrayItem(msgs0, 0), "id"), *id1 = jstr(cJSON_GetArrayItem(msgs0, 1), "id");
        const char *id2 = jstr(msgs1->child, "id");
        if (on) {
            assert_non_null(id0);
            size_t base = strcspn(id0, ":");
            assert_string_equal(id0 + base, ":0");
            assert_memory_equal(id0, id1, base + 1);
            assert_string_equal(id1 + base, ":1");
            assert_string_equal(id2 + strcspn(id2, ":"), ":0");
            assert_false(strncmp(id0, id2, base) == 0); /* a separate base per spec */
        } else {
            assert_null(id0);
            assert_null(id1);
            assert_null(id2);
        }
        cJSON_Delete(b);
        ably_batch_publish_results_free(res, n);
        fx_free(f);
    }
}

/* rest/unit/RSC22/empty-channels-rejected-0, RSC22/empty-messages-rejected-0 */
static void invalid_specs(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_create(f);
    ably_message m = msg_of("e", "d");
    char *c[] = {"c"};
    ably_batch_publish_spec no_channels = spec_of(NULL, 0, &m, 1), no_messages = spec_of(c, 1, NULL, 0);
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, &no_channels, 1, &res, &n, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_batch_publish(f->rest, &no_messages, 1, &res, &n, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_batch_publish(f->rest, NULL, 0, &res, &n, &f->err), -1);
    assert_null(res);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* rest/unit/RSC22/server-error-propagated-0, RSC22/auth-error-propagated-0 (and RSC24 alike) */
static void errors_propagated(void **state)
{
    (void)state;
    static const struct { int status; const char *body; int code; } cases[] = {
        {500, "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal error\"}}", 50000},
        {401, "{\"error\":{\"code\":40101,\"statusCode\":401,\"message\":\"Invalid credentials\"}}", 40101},
    };
    for (size_t i = 0; i < 2; i++) {
        fx *f = fx_new();
        fx_reply(f, cases[i].status, cases[i].body);
        fx_create(f);
        ably_message m = msg_of("e", "d");
        ably_batch_publish_spec s = spec_of(ch_ab, 2, &m, 1);
        ably_batch_publish_result *res = NULL;
        size_t n = 0;
        assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), -1);
        assert_int_equal(f->err.code, cases[i].code);
        assert_int_equal(f->err.status_code, cases[i].status);
        assert_null(res);
        ably_batch_presence_result pr = {0};
        const char *const names[] = {"a"};
        assert_int_equal(ably_rest_batch_presence(f->rest, names, 1, &pr, &f->err), -1);
        assert_int_equal(f->err.code, cases[i].code);
        fx_free(f);
    }
}

/* rest/unit/RSC22c/uses-configured-auth-0, RSC24/uses-configured-auth-0, RSC22/request-id-included-0 */
static void uses_configured_auth(void **state)
{
    (void)state;
    for (int token = 0; token < 2; token++) {
        fx *f = fx_new();
        if (token) {
            f->o.key = NULL;
            f->o.token = "my-token";
        }
        f->o.add_request_ids = true;
        fx_reply(f, 201, "[]");
        fx_create(f);
        ably_message m = msg_of("e", "d");
        ably_batch_publish_spec s = spec_of(ch_ab, 2, &m, 1);
        ably_batch_publish_result *res = NULL;
        size_t n = 0;
        assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
        fx_reply(f, 200, "{\"successCount\":0,\"failureCount\":0,\"results\":[]}");
        ably_batch_presence_result pr = {0};
        const char *const names[] = {"a"};
        assert_int_equal(ably_rest_batch_presence(f->rest, names, 1, &pr, &f->err), 0);
        for (size_t i = 0; i < 2; i++) {
            const char *auth = mock_request_header(fx_req(f, i), "Authorization");
            assert_non_null(strstr(auth, token ? "Bearer " : "Basic "));
        }
        assert_non_null(mock_request_query(fx_req(f, 0), "request_id"));
        ably_batch_publish_results_free(res, n);
        ably_batch_presence_result_clear(&pr);
        fx_free(f);
    }
}

/* rest/unit/RSC22/multiple-messages-per-channel-0, RSC22/multiple-channels-multiple-messages-0 */
static void large_batches(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201,
             "[{\"successCount\":3,\"failureCount\":0,\"results\":[{\"channel\":\"a\",\"messageId\":\"m\"},"
             "{\"channel\":\"b\",\"messageId\":\"m\"},{\"channel\":\"c\",\"messageId\":\"m\"}]}]");
    fx_create(f);
    ably_message m[100];
    for (int i = 0; i < 100; i++)
        m[i] = msg_of("event", "payload");
    char *one[] = {"a"};
    ably_batch_publish_spec s = spec_of(one, 1, m, 100);
    ably_batch_publish_result *res = NULL;
    size_t n = 0;
    assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b->child, "messages")), 100);
    cJSON_Delete(b);
    ably_batch_publish_results_free(res, n);
    char *three[] = {"a", "b", "c"};
    s = spec_of(three, 3, m, 3);
    assert_int_equal(ably_rest_batch_publish(f->rest, &s, 1, &res, &n, &f->err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].results_count, 3);
    assert_int_equal(res[0].success_count, 3);
    ably_batch_publish_results_free(res, n);
    fx_free(f);
}

/* ---- batchPresence (RSC24) ---- */

/* rest/unit/RSC24/get-presence-channels-param-0, single-channel-param-0, special-chars-comma-joined-0 */
static void presence_request(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"successCount\":2,\"failureCount\":0,\"results\":[{\"channel\":\"channel-a\",\"presence\":[]},"
                     "{\"channel\":\"channel-b\",\"presence\":[]}]}");
    fx_create(f);
    const char *const two[] = {"channel-a", "channel-b"}, *const one[] = {"my-channel"}, *const special[] = {"foo:bar", "baz/qux"};
    ably_batch_presence_result r = {0};
    assert_int_equal(ably_rest_batch_presence(f->rest, two, 2, &r, &f->err), 0);
    ably_batch_presence_result_clear(&r);
    assert_int_equal(ably_rest_batch_presence(f->rest, one, 1, &r, &f->err), 0);
    ably_batch_presence_result_clear(&r);
    assert_int_equal(ably_rest_batch_presence(f->rest, special, 2, &r, &f->err), 0);
    ably_batch_presence_result_clear(&r);
    assert_int_equal(mock_http_count(f->m), 3);
    assert_string_equal(fx_req(f, 0)->method, "GET");
    assert_string_equal(fx_req(f, 0)->path, "/presence");
    assert_string_equal(mock_request_query(fx_req(f, 0), "channels"), "channel-a,channel-b");
    assert_string_equal(mock_request_query(fx_req(f, 1), "channels"), "my-channel");
    assert_string_equal(mock_request_query(fx_req(f, 2), "channels"), "foo:bar,baz/qux");
    assert_int_equal(ably_rest_batch_presence(f->rest, NULL, 0, &r, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    fx_free(f);
}

/* rest/unit/BAR2/mixed-success-failure-counts-0, all-success-counts-0, all-failure-counts-0,
 * RSC24/mixed-success-failure-results-0, BGF2/failure-error-details-0 */
static void presence_counts(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply_msgpack(f, 200,
                     "{\"successCount\":3,\"failureCount\":1,\"results\":[{\"channel\":\"ch-1\",\"presence\":[]},"
                     "{\"channel\":\"ch-2\",\"presence\":[]},{\"channel\":\"ch-3\",\"presence\":[]},"
                     "{\"channel\":\"ch-4\",\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"Not permitted\"}}]}");
    fx_create(f);
    const char *const names[] = {"ch-1", "ch-2", "ch-3", "ch-4"};
    ably_batch_presence_result r = {0};
    assert_int_equal(ably_rest_batch_presence(f->rest, names, 4, &r, &f->err), 0);
    assert_int_equal(r.success_count, 3);
    assert_int_equal(r.failure_count, 1);
    assert_int_equal(r.results_count, 4);
    assert_null(r.results[0].error);
    assert_string_equal(r.results[3].channel, "ch-4");
    assert_int_equal(r.results[3].error->code, 40160);
    assert_int_equal(r.results[3].error->status_code, 401);
    assert_string_equal(r.results[3].error->message, "Not permitted");
    ably_batch_presence_result_clear(&r);
    /* the legacy shape: a bare array, counted here */
    fx_reply(f, 200, "[{\"channel\":\"ch-a\",\"error\":{\"code\":40160,\"statusCode\":401}},"
                     "{\"channel\":\"ch-b\",\"error\":{\"code\":40160,\"statusCode\":401}}]");
    assert_int_equal(ably_rest_batch_presence(f->rest, names, 2, &r, &f->err), 0);
    assert_int_equal(r.success_count, 0);
    assert_int_equal(r.failure_count, 2);
    assert_int_equal(r.results_count, 2);
    ably_batch_presence_result_clear(&r);
    fx_free(f);
}

/* rest/unit/BGR2/success-with-members-0, BGR2/success-empty-presence-0 */
static void presence_members(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "{\"successCount\":2,\"failureCount\":0,\"results\":[{\"channel\":\"ch-a\",\"presence\":["
             "{\"action\":1,\"clientId\":\"user-1\",\"connectionId\":\"conn-1\",\"data\":\"hello\"},"
             "{\"action\":1,\"clientId\":\"user-2\",\"connectionId\":\"conn-2\",\"data\":\"{\\\"s\\\":1}\",\"encoding\":\"json\"}]},"
             "{\"channel\":\"ch-b\",\"presence\":[]}]}");
    fx_create(f);
    const char *const names[] = {"ch-a", "ch-b"};
    ably_batch_presence_result r = {0};
    assert_int_equal(ably_rest_batch_presence(f->rest, names, 2, &r, &f->err), 0);
    assert_string_equal(r.results[0].channel, "ch-a");
    assert_int_equal(r.results[0].presence_count, 2);
    const ably_presence_message *p = r.results[0].presence;
    assert_int_equal(p[0].action, ABLY_PRESENCE_ACTION_PRESENT);
    assert_string_equal(p[0].client_id, "user-1");
    assert_string_equal(p[0].connection_id, "conn-1");
    assert_string_equal(p[0].data.bytes, "hello");
    assert_int_equal(p[1].data.type, ABLY_DATA_JSON); /* decoded per RSP5 */
    assert_null(p[1].encoding);
    assert_int_equal(r.results[1].presence_count, 0);
    assert_null(r.results[1].error);
    ably_batch_presence_result_clear(&r);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(single_spec, "RSC22c RSC22b BSP2a BSP2b BPR2a BPR2b BPR2c BAR2a BAR2b BAR2c"),
        ABLY_TEST(array_of_specs, "RSC22c RSC22b BAR2"),
        ABLY_TEST(mixed_results, "RSC22b BPR2c BPF2a BPF2b BAR2a BAR2b"),
        ABLY_TEST(messages_encoded, "RSC22c BSP2b RSL4d1 RSL4d3"),
        ABLY_TEST(idempotent_ids, "RSC22d RSL1k1"),
        ABLY_TEST(invalid_specs, "RSC22c BSP2a BSP2b"),
        ABLY_TEST(errors_propagated, "RSC22 RSC24"),
        ABLY_TEST(uses_configured_auth, "RSC22c RSC24 RSC7c"),
        ABLY_TEST(large_batches, "RSC22c BSP2b"),
        ABLY_TEST(presence_request, "RSC24"),
        ABLY_TEST(presence_counts, "RSC24 BAR2a BAR2b BAR2c BGF2a BGF2b"),
        ABLY_TEST(presence_members, "RSC24 BGR2a BGR2b RSP5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
