/* RestChannel#publish (RSL1), idempotent ids (RSL1k) and PublishResult (RSL1n,
 * PBR2a). Ports uts/rest/unit/channel/publish.md, idempotency.md, publish_result.md. */
#include <ctype.h>

#include "test_rest_channel_fixture.h"

/* rest/unit/RSL1a/publish-name-and-data-0 */
static void publish_name_and_data(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201, "{\"serials\":[\"serial1\"]}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL1a:x");
    ably_data d = text_data("hello");
    assert_int_equal(ably_rest_channel_publish(ch, "greeting", &d, NULL, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/channels/test-RSL1a%3Ax/messages");
    cJSON *body = fx_body(f, 0);
    assert_true(cJSON_IsArray(body));
    assert_int_equal(cJSON_GetArraySize(body), 1);
    assert_string_equal(jstr(body->child, "name"), "greeting");
    assert_string_equal(jstr(body->child, "data"), "hello");
    cJSON_Delete(body);
    fx_free(f);
}

/* rest/unit/RSL1a/publish-message-array-1 */
static void publish_message_array(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201, "{\"serials\":[\"s1\",\"s2\",\"s3\"]}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL1c");
    ably_message m[3] = {msg_of("event1", "data1"), msg_of("event2", NULL), msg_of("event3", NULL)};
    m[1].data = json_data("{\"key\":\"value\"}");
    m[2].data = ably_data_borrow(ABLY_DATA_BINARY, "\x01\x02\x03", 3);
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 3, NULL, NULL, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 1);
    cJSON *body = fx_body(f, 0);
    assert_int_equal(cJSON_GetArraySize(body), 3);
    const cJSON *b0 = cJSON_GetArrayItem(body, 0), *b1 = cJSON_GetArrayItem(body, 1), *b2 = cJSON_GetArrayItem(body, 2);
    assert_string_equal(jstr(b0, "name"), "event1");
    assert_string_equal(jstr(b0, "data"), "data1");
    assert_string_equal(jstr(b1, "name"), "event2");
    assert_string_equal(jstr(b1, "data"), "{\"key\":\"value\"}");
    assert_string_equal(jstr(b1, "encoding"), "json");
    assert_string_equal(jstr(b2, "data"), "AQID");
    assert_string_equal(jstr(b2, "encoding"), "base64");
    cJSON_Delete(body);
    /* the caller's messages are untouched */
    assert_int_equal(m[1].data.type, ABLY_DATA_JSON);
    assert_null(m[1].encoding);
    assert_null(m[0].id);
    fx_free(f);
}

/* rest/unit/RSL1e/null-name-and-data-0 */
static void null_name_and_data(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1e");
    ably_data hello = text_data("hello");
    assert_int_equal(ably_rest_channel_publish(ch, NULL, &hello, NULL, &f->err), 0);
    assert_int_equal(ably_rest_channel_publish(ch, "event", NULL, NULL, &f->err), 0);
    assert_int_equal(ably_rest_channel_publish(ch, NULL, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_null(cJSON_GetObjectItem(b->child, "name"));
    assert_string_equal(jstr(b->child, "data"), "hello");
    cJSON_Delete(b);
    b = fx_body(f, 1);
    assert_string_equal(jstr(b->child, "name"), "event");
    assert_null(cJSON_GetObjectItem(b->child, "data"));
    cJSON_Delete(b);
    b = fx_body(f, 2);
    assert_null(cJSON_GetObjectItem(b->child, "name"));
    assert_null(cJSON_GetObjectItem(b->child, "data"));
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1h/publish-signature-0 */
static void publish_signature(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1h");
    ably_data d = text_data("payload");
    assert_int_equal(ably_rest_channel_publish(ch, "event", &d, NULL, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 1);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b->child, "name"), "event");
    assert_string_equal(jstr(b->child, "data"), "payload");
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1i/message-size-limit-0 (size counts name + data, TM6) */
static void message_size_limit(void **state)
{
    (void)state;
    static const struct { size_t size; bool ok; } cases[] = {{1000, true}, {1024, true}, {1025, false}, {10000, false}};
    fx *f = fx_new();
    f->o.max_message_size = 1024;
    ably_rest_channel *ch = fx_channel(f, "test-RSL1i");
    for (size_t i = 0; i < 4; i++) {
        mock_http_reset(f->m);
        mock_http_set_handler(f->m, fx_handler, f);
        char *big = malloc(cases[i].size + 1);
        memset(big, 'x', cases[i].size);
        big[cases[i].size] = '\0';
        /* name "e" (1 byte) + data: size - 1 bytes of data, so the total is the case size */
        ably_data d = ably_data_borrow(ABLY_DATA_STRING, big, cases[i].size - 1);
        int rc = ably_rest_channel_publish(ch, "e", &d, NULL, &f->err);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(mock_http_count(f->m), 1);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(f->err.code, 40009);
            assert_int_equal(mock_http_count(f->m), 0);
        }
        free(big);
    }
    /* the limit applies to the sum over an array */
    ably_message m[2] = {msg_of(NULL, NULL), msg_of(NULL, NULL)};
    char half[601];
    memset(half, 'y', 600);
    half[600] = '\0';
    m[0].data = text_data(half);
    m[1].data = text_data(half);
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 2, NULL, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40009);
    fx_free(f);
}

/* The default maxMessageSize is 65536 (TO3l8). */
static void default_size_limit(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "limit");
    char *big = malloc(65537);
    memset(big, 'x', 65537);
    ably_data d = ably_data_borrow(ABLY_DATA_BINARY, big, 65536);
    assert_int_equal(ably_rest_channel_publish(ch, NULL, &d, NULL, &f->err), 0);
    d.len = 65537;
    assert_int_equal(ably_rest_channel_publish(ch, NULL, &d, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40009);
    free(big);
    fx_free(f);
}

/* rest/unit/RSL1j/all-attributes-transmitted-0 */
static void all_attributes_transmitted(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1j");
    ably_message m = msg_of("test-event", "test-data");
    m.client_id = "explicit-client-id";
    m.id = "custom-message-id";
    m.extras = "{\"push\":{\"notification\":{\"title\":\"Test\"}}}";
    assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b->child, "name"), "test-event");
    assert_string_equal(jstr(b->child, "data"), "test-data");
    assert_string_equal(jstr(b->child, "id"), "custom-message-id");
    assert_string_equal(jstr(b->child, "clientId"), "explicit-client-id");
    const cJSON *push = cJSON_GetObjectItem(cJSON_GetObjectItem(b->child, "extras"), "push");
    assert_string_equal(jstr(cJSON_GetObjectItem(push, "notification"), "title"), "Test");
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1l/params-as-querystring-0 */
static void params_as_querystring(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1l");
    ably_string_map params = {0};
    ably_string_map_set(&params, "customParam", "customValue");
    ably_string_map_set(&params, "anotherParam", "123");
    ably_message m = msg_of("event", "data");
    assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, &params, NULL, &f->err), 0);
    assert_string_equal(mock_request_query(fx_req(f, 0), "customParam"), "customValue");
    assert_string_equal(mock_request_query(fx_req(f, 0), "anotherParam"), "123");
    ably_string_map_clear(&params);
    fx_free(f);
}

/* rest/unit/RSL1m/clientid-not-injected-0 */
static void client_id_not_injected(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.client_id = "lib-client";
    ably_rest_channel *ch = fx_channel(f, "test-RSL1m1");
    ably_data d = text_data("d");
    assert_int_equal(ably_rest_channel_publish(ch, "e", &d, NULL, &f->err), 0); /* RSL1m1 */
    ably_message m = msg_of("e", "d");
    m.client_id = "lib-client";
    assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &f->err), 0); /* RSL1m2 */
    cJSON *b = fx_body(f, 0);
    assert_null(cJSON_GetObjectItem(b->child, "clientId"));
    cJSON_Delete(b);
    b = fx_body(f, 1);
    assert_string_equal(jstr(b->child, "clientId"), "lib-client");
    cJSON_Delete(b);
    fx_free(f);

    f = fx_new(); /* RSL1m3: an unidentified client */
    ch = fx_channel(f, "test-RSL1m3");
    m.client_id = "msg-client";
    assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &f->err), 0);
    b = fx_body(f, 0);
    assert_string_equal(jstr(b->child, "clientId"), "msg-client");
    cJSON_Delete(b);
    fx_free(f);
}

/* RSL1d: a failed publish reports the server's error. */
static void publish_error_reported(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 401, "{\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"not permitted\"}}");
    ably_rest_channel *ch = fx_channel(f, "denied");
    ably_data d = text_data("x");
    ably_publish_result res = {0};
    assert_int_equal(ably_rest_channel_publish(ch, "e", &d, &res, &f->err), -1);
    assert_int_equal(f->err.code, 40160);
    assert_int_equal(f->err.status_code, 401);
    assert_int_equal(res.serials_count, 0);
    fx_free(f);
}

/* RSL4a: data of an unknown type is refused before sending (40013). */
static void invalid_data_refused(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "bad");
    ably_data d = ably_data_borrow((ably_data_type)42, "x", 1);
    assert_int_equal(ably_rest_channel_publish(ch, "e", &d, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40013);
    ably_data notjson = json_data("{nope");
    assert_int_equal(ably_rest_channel_publish(ch, "e", &notjson, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40013);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* ---- idempotency (RSL1k) ---- */

static void split_id(const char *id, char *base, size_t size, long *serial)
{
    const char *colon = strchr(id, ':');
    assert_non_null(colon);
    assert_null(strchr(colon + 1, ':'));
    snprintf(base, size, "%.*s", (int)(colon - id), id);
    char *end;
    *serial = strtol(colon + 1, &end, 10);
    assert_true(*end == '\0' && end != colon + 1);
}

static void assert_base64url(const char *s)
{
    assert_true(strlen(s) >= 12);
    for (; *s; s++)
        assert_true(isalnum((unsigned char)*s) || *s == '-' || *s == '_');
}

/* rest/unit/RSL1k1/idempotent-default-true-0 */
static void idempotent_default(void **state)
{
    (void)state;
    ably_client_options o;
    ably_client_options_init(&o);
    assert_true(o.idempotent_rest_publishing);
}

/* rest/unit/RSL1k2/message-id-format-0, RSL1k3/unique-base-ids-0 */
static void id_format_and_unique_bases(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.idempotent_rest_publishing = true;
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k2");
    ably_data d = text_data("data");
    assert_int_equal(ably_rest_channel_publish(ch, "event1", &d, NULL, &f->err), 0);
    assert_int_equal(ably_rest_channel_publish(ch, "event2", &d, NULL, &f->err), 0);
    char base1[64], base2[64];
    long serial;
    cJSON *b = fx_body(f, 0);
    split_id(jstr(b->child, "id"), base1, sizeof base1, &serial);
    assert_base64url(base1);
    assert_int_equal(serial, 0);
    cJSON_Delete(b);
    b = fx_body(f, 1);
    split_id(jstr(b->child, "id"), base2, sizeof base2, &serial);
    cJSON_Delete(b);
    assert_string_not_equal(base1, base2);
    fx_free(f);
}

/* rest/unit/RSL1k2/serial-increments-batch-1 */
static void serials_increment(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k2-batch");
    ably_message m[3] = {msg_of("event1", "data1"), msg_of("event2", "data2"), msg_of("event3", "data3")};
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 3, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    char first[64], base[64];
    long serial;
    int i = 0;
    for (const cJSON *it = b->child; it; it = it->next, i++) {
        split_id(jstr(it, "id"), i ? base : first, 64, &serial);
        if (i)
            assert_string_equal(base, first);
        assert_int_equal(serial, i);
    }
    assert_int_equal(i, 3);
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1k3/no-id-when-disabled-1 */
static void no_id_when_disabled(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.idempotent_rest_publishing = false;
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k3-disabled");
    ably_data d = text_data("data");
    assert_int_equal(ably_rest_channel_publish(ch, "event", &d, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_null(cJSON_GetObjectItem(b->child, "id"));
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1k/client-id-preserved-0 */
static void client_supplied_id_preserved(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k-preserved");
    ably_message m = msg_of("event", "data");
    m.id = "my-custom-id";
    assert_int_equal(ably_rest_channel_publish_messages(ch, &m, 1, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b->child, "id"), "my-custom-id");
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL1k2/same-id-on-retry-2: the first host fails with 500, the
 * fallback gets the very same ids. */
static void same_id_on_retry(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->fail_first = 1;
    fx_reply(f, 201, "{\"serials\":[\"s1\"]}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k2-retry");
    ably_data d = text_data("data");
    ably_publish_result res = {0};
    assert_int_equal(ably_rest_channel_publish(ch, "event", &d, &res, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_string_not_equal(fx_req(f, 0)->host, fx_req(f, 1)->host);
    cJSON *b1 = fx_body(f, 0), *b2 = fx_body(f, 1);
    assert_non_null(jstr(b1->child, "id"));
    assert_string_equal(jstr(b1->child, "id"), jstr(b2->child, "id"));
    cJSON_Delete(b1);
    cJSON_Delete(b2);
    assert_int_equal(res.serials_count, 1);
    ably_publish_result_clear(&res);
    fx_free(f);
}

/* RSL1k3: with any id given, every id is kept as given, absent ones stay absent.
 * (The UTS case rest/unit/RSL1k/mixed-ids-in-batch-1 expects a generated id for
 * the message without one; RSL1k1 and RSL1k3 say ids are generated only when no
 * message has one, which this library follows, as ably-js does.) */
static void mixed_ids_preserved(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "test-RSL1k-mixed");
    ably_message m[3] = {msg_of("event1", "data1"), msg_of("event2", "data2"), msg_of("event3", "data3")};
    m[0].id = "client-id-1";
    m[2].id = "client-id-2";
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 3, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(cJSON_GetArrayItem(b, 0), "id"), "client-id-1");
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "id"));
    assert_string_equal(jstr(cJSON_GetArrayItem(b, 2), "id"), "client-id-2");
    cJSON_Delete(b);
    fx_free(f);
}

/* ---- PublishResult (RSL1n) ---- */

/* rest/unit/RSL1n/publish-result-single-message-0, RSL1n/publish-result-batch-serials-1 */
static void publish_result_serials(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201, "{\"serials\":[\"serial-abc\"]}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL1n");
    ably_data d = text_data("hello");
    ably_publish_result res = {0};
    assert_int_equal(ably_rest_channel_publish(ch, "event", &d, &res, &f->err), 0);
    assert_int_equal(res.serials_count, 1);
    assert_string_equal(res.serials[0], "serial-abc");
    ably_publish_result_clear(&res);

    fx_reply_msgpack(f, 201, "{\"channel\":\"x\",\"messageId\":\"m\",\"serials\":[\"s1\",\"s2\",\"s3\"]}");
    ably_message m[3] = {msg_of("event1", "data1"), msg_of("event2", "data2"), msg_of("event3", "data3")};
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 3, NULL, &res, &f->err), 0);
    assert_int_equal(res.serials_count, 3);
    assert_string_equal(res.serials[0], "s1");
    assert_string_equal(res.serials[1], "s2");
    assert_string_equal(res.serials[2], "s3");
    ably_publish_result_clear(&res);
    fx_free(f);
}

/* rest/unit/RSL1n/publish-result-null-serial-2 */
static void publish_result_null_serial(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 201, "{\"serials\":[null,\"s2\"]}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL1n-null");
    ably_message m[2] = {msg_of("event1", "data1"), msg_of("event2", "data2")};
    ably_publish_result res = {0};
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 2, NULL, &res, &f->err), 0);
    assert_int_equal(res.serials_count, 2);
    assert_null(res.serials[0]);
    assert_string_equal(res.serials[1], "s2");
    ably_publish_result_clear(&res);
    /* an empty reply body is still a success, with no serials */
    fx_reply(f, 201, "");
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 2, NULL, &res, &f->err), 0);
    assert_int_equal(res.serials_count, 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_name_and_data, "RSL1a RSL1b"),
        ABLY_TEST(publish_message_array, "RSL1a RSL1c RSL4d1 RSL4d3"),
        ABLY_TEST(null_name_and_data, "RSL1e"),
        ABLY_TEST(publish_signature, "RSL1h"),
        ABLY_TEST(message_size_limit, "RSL1i TM6a TO3l8"),
        ABLY_TEST(default_size_limit, "RSL1i TO3l8 TM6c"),
        ABLY_TEST(all_attributes_transmitted, "RSL1j"),
        ABLY_TEST(params_as_querystring, "RSL1l"),
        ABLY_TEST(client_id_not_injected, "RSL1m RSL1m1 RSL1m2 RSL1m3"),
        ABLY_TEST(publish_error_reported, "RSL1d"),
        ABLY_TEST(invalid_data_refused, "RSL4a"),
        ABLY_TEST(idempotent_default, "RSL1k1 TO3n"),
        ABLY_TEST(id_format_and_unique_bases, "RSL1k1"),
        ABLY_TEST(serials_increment, "RSL1k1"),
        ABLY_TEST(no_id_when_disabled, "RSL1k1 TO3n"),
        ABLY_TEST(client_supplied_id_preserved, "RSL1k2"),
        ABLY_TEST(same_id_on_retry, "RSL1k1 RSL1k4"),
        ABLY_TEST(mixed_ids_preserved, "RSL1k3"),
        ABLY_TEST(publish_result_serials, "RSL1n PBR1 PBR2 PBR2a"),
        ABLY_TEST(publish_result_null_serial, "RSL1n PBR2a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
