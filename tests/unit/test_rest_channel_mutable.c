/* Mutable messages: getMessage (RSL11), getMessageVersions (RSL14), update /
 * delete / append (RSL15), and annotations (RSAN). Ports
 * uts/rest/unit/channel/get_message.md, message_versions.md,
 * update_delete_message.md and annotations.md. */
#include <ctype.h>

#include "test_rest_channel_fixture.h"

/* rest/unit/RSL11b/get-correct-endpoint-0 */
static void get_message_endpoint(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"name\":\"evt\",\"data\":\"hello\",\"serial\":\"msg-serial-123\",\"timestamp\":1700000000000}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL11b");
    ably_message m = {0};
    assert_int_equal(ably_rest_channel_get_message(ch, "msg-serial-123", &m, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 1);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/channels/test-RSL11b/messages/msg-serial-123");
    assert_int_equal(r->body.len, 0);
    assert_string_equal(m.serial, "msg-serial-123");
    ably_message_clear(&m);
    fx_free(f);
}

/* rest/unit/RSL11c/returns-decoded-message-0 */
static void get_message_decoded(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "{\"id\":\"msg-id-1\",\"name\":\"test-event\",\"data\":\"hello world\",\"serial\":\"serial-xyz\","
             "\"clientId\":\"client-1\",\"timestamp\":1700000000000,"
             "\"extras\":{\"push\":{\"notification\":{\"title\":\"Test\"}}},"
             "\"version\":{\"serial\":\"version-serial-1\",\"timestamp\":1700000000000,\"clientId\":\"client-1\"}}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL11c");
    ably_message m = {0};
    assert_int_equal(ably_rest_channel_get_message(ch, "serial-xyz", &m, &f->err), 0);
    assert_string_equal(m.id, "msg-id-1");
    assert_string_equal(m.name, "test-event");
    assert_string_equal(m.data.bytes, "hello world");
    assert_string_equal(m.serial, "serial-xyz");
    assert_string_equal(m.client_id, "client-1");
    assert_int_equal(m.timestamp, 1700000000000LL);
    assert_non_null(strstr(m.extras, "Test"));
    assert_string_equal(m.version->serial, "version-serial-1");
    ably_message_clear(&m);
    /* the payload is decoded too (RSL11c) */
    fx_reply(f, 200, "{\"serial\":\"s\",\"data\":\"{\\\"a\\\":1}\",\"encoding\":\"json\"}");
    assert_int_equal(ably_rest_channel_get_message(ch, "s", &m, &f->err), 0);
    assert_int_equal(m.data.type, ABLY_DATA_JSON);
    assert_null(m.encoding);
    ably_message_clear(&m);
    fx_free(f);
}

/* rest/unit/RSL11b/url-encodes-serial-1, RSL11a/missing-serial-error-0 */
static void get_message_serial_rules(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"name\":\"evt\",\"data\":\"hello\",\"serial\":\"serial/with:special+chars\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL11b-encode");
    ably_message m = {0};
    assert_int_equal(ably_rest_channel_get_message(ch, "serial/with:special+chars", &m, &f->err), 0);
    assert_string_equal(fx_req(f, 0)->path, "/channels/test-RSL11b-encode/messages/serial%2Fwith%3Aspecial%2Bchars");
    ably_message_clear(&m);
    assert_int_equal(ably_rest_channel_get_message(ch, "", &m, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_channel_get_message(ch, NULL, &m, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(mock_http_count(f->m), 1);
    fx_free(f);
}

/* rest/unit/RSL14b/get-correct-endpoint-0, RSL14c/returns-paginated-result-0, RSL14a/params-as-querystring-0 */
static void message_versions(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"name\":\"evt\",\"data\":\"updated-data\",\"serial\":\"msg-serial-1\",\"action\":1,"
             "\"version\":{\"serial\":\"vs2\",\"timestamp\":1700000002000,\"clientId\":\"user-1\",\"description\":\"edit\"}},"
             "{\"name\":\"evt\",\"data\":\"original-data\",\"serial\":\"msg-serial-1\",\"action\":0,"
             "\"version\":{\"serial\":\"vs1\",\"timestamp\":1700000001000}}]");
    ably_rest_channel *ch = fx_channel(f, "test-RSL14");
    ably_string_map params = {0};
    ably_string_map_set(&params, "direction", "backwards");
    ably_string_map_set(&params, "limit", "10");
    assert_int_equal(ably_rest_channel_get_message_versions(ch, "msg-serial-1", &params, &f->page, &f->err), 0);
    ably_string_map_clear(&params);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/channels/test-RSL14/messages/msg-serial-1/versions");
    assert_string_equal(mock_request_query(r, "direction"), "backwards");
    assert_string_equal(mock_request_query(r, "limit"), "10");
    size_t n;
    const ably_message *m = ably_paginated_result_messages(f->page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(m[0].data.bytes, "updated-data");
    assert_int_equal(m[0].action, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
    assert_string_equal(m[0].version->serial, "vs2");
    assert_string_equal(m[0].version->description, "edit");
    assert_string_equal(m[1].data.bytes, "original-data");
    assert_true(m[1].has_action);
    assert_int_equal(m[1].action, ABLY_MESSAGE_ACTION_MESSAGE_CREATE);
    ably_paginated_result *p2 = NULL;
    assert_int_equal(ably_rest_channel_get_message_versions(ch, "", NULL, &p2, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    fx_free(f);
}

typedef int (*patch_fn)(ably_rest_channel *, const ably_message *, const ably_message_operation *,
                        const ably_string_map *, ably_update_delete_result *, ably_error *);

/* rest/unit/RSL15b/update-sends-patch-update-0, delete-sends-patch-delete-1, append-sends-patch-append-2 */
static void patch_actions(void **state)
{
    (void)state;
    static const struct { patch_fn fn; int action; } cases[] = {
        {ably_rest_channel_update_message, 1}, {ably_rest_channel_delete_message, 2}, {ably_rest_channel_append_message, 5}};
    for (size_t i = 0; i < 3; i++) {
        fx *f = fx_new();
        fx_reply(f, 200, "{\"versionSerial\":\"vs1\"}");
        ably_rest_channel *ch = fx_channel(f, "test-RSL15");
        ably_message m = msg_of("updated", "new-data");
        m.serial = "msg-serial-1";
        ably_update_delete_result res = {0};
        assert_int_equal(cases[i].fn(ch, &m, NULL, NULL, &res, &f->err), 0);
        const mock_request *r = fx_req(f, 0);
        assert_string_equal(r->method, "PATCH");
        assert_string_equal(r->path, "/channels/test-RSL15/messages/msg-serial-1");
        cJSON *b = fx_body(f, 0);
        assert_true(cJSON_IsObject(b));
        assert_int_equal((int)jnum(b, "action"), cases[i].action);
        assert_string_equal(jstr(b, "name"), "updated");
        assert_string_equal(jstr(b, "data"), "new-data");
        assert_string_equal(jstr(b, "serial"), "msg-serial-1");
        assert_null(cJSON_GetObjectItem(b, "version")); /* RSL15b7: no operation given */
        cJSON_Delete(b);
        assert_string_equal(res.version_serial, "vs1");
        ably_update_delete_result_clear(&res);
        fx_free(f);
    }
}

/* rest/unit/RSL15b7/version-set-with-operation-0, RSL15b7/version-absent-no-operation-1 (above) */
static void patch_with_operation(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"versionSerial\":\"vs1\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL15b7");
    ably_message m = msg_of(NULL, "updated");
    m.serial = "s1";
    ably_string_map meta = {0};
    ably_string_map_set(&meta, "reason", "typo");
    ably_message_operation op = {.client_id = "user1", .description = "fixed typo", .metadata = &meta};
    assert_int_equal(ably_rest_channel_update_message(ch, &m, &op, NULL, NULL, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    const cJSON *v = cJSON_GetObjectItem(b, "version");
    assert_non_null(v);
    assert_string_equal(jstr(v, "clientId"), "user1");
    assert_string_equal(jstr(v, "description"), "fixed typo");
    assert_string_equal(jstr(cJSON_GetObjectItem(v, "metadata"), "reason"), "typo");
    cJSON_Delete(b);
    ably_string_map_clear(&meta);
    fx_free(f);
}

/* rest/unit/RSL15c/no-mutate-user-message-0 */
static void patch_does_not_mutate(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"versionSerial\":\"vs1\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL15c");
    ably_message m = msg_of("orig", NULL);
    m.serial = "s1";
    m.data = json_data("{\"k\":1}");
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, NULL, NULL, &f->err), 0);
    assert_false(m.has_action);
    assert_string_equal(m.name, "orig");
    assert_int_equal(m.data.type, ABLY_DATA_JSON);
    assert_null(m.encoding);
    assert_null(m.version);
    cJSON *b = fx_body(f, 0);
    assert_int_equal((int)jnum(b, "action"), 1);
    cJSON_Delete(b);
    fx_free(f);
}

/* rest/unit/RSL15e/returns-update-delete-result-0, RSL15e/null-version-serial-1 */
static void patch_result(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"versionSerial\":\"version-serial-abc\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL15e");
    ably_message m = msg_of(NULL, "updated");
    m.serial = "s1";
    ably_update_delete_result res = {0};
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, NULL, &res, &f->err), 0);
    assert_string_equal(res.version_serial, "version-serial-abc");
    ably_update_delete_result_clear(&res);
    fx_reply(f, 200, "{\"versionSerial\":null}");
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, NULL, &res, &f->err), 0);
    assert_null(res.version_serial);
    fx_reply(f, 400, "{\"error\":{\"code\":40000,\"statusCode\":400,\"message\":\"bad\"}}");
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, NULL, &res, &f->err), -1);
    assert_int_equal(f->err.code, 40000);
    fx_free(f);
}

/* rest/unit/RSL15f/params-sent-as-querystring-0, RSL15a/serial-required-throws-error-0 */
static void patch_params_and_serial(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"versionSerial\":\"vs1\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL15f");
    ably_message m = msg_of(NULL, "updated");
    m.serial = "s1";
    ably_string_map params = {0};
    ably_string_map_set(&params, "key", "value");
    ably_string_map_set(&params, "num", "42");
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, &params, NULL, &f->err), 0);
    assert_string_equal(mock_request_query(fx_req(f, 0), "key"), "value");
    assert_string_equal(mock_request_query(fx_req(f, 0), "num"), "42");
    ably_string_map_clear(&params);
    ably_message no_serial = msg_of("x", "y");
    assert_int_equal(ably_rest_channel_update_message(ch, &no_serial, NULL, NULL, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_channel_delete_message(ch, &no_serial, NULL, NULL, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_channel_append_message(ch, &no_serial, NULL, NULL, NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(mock_http_count(f->m), 1);
    fx_free(f);
}

/* rest/unit/RSL15d/body-encoded-per-rsl4-0, RSL15b/serial-url-encoded-path-3 */
static void patch_body_encoding(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200, "{\"versionSerial\":\"vs1\"}");
    ably_rest_channel *ch = fx_channel(f, "test-RSL15d");
    ably_message m = msg_of(NULL, NULL);
    m.serial = "serial/special:chars";
    m.data = json_data("{\"key\":\"value\"}");
    assert_int_equal(ably_rest_channel_update_message(ch, &m, NULL, NULL, NULL, &f->err), 0);
    assert_string_equal(fx_req(f, 0)->path, "/channels/test-RSL15d/messages/serial%2Fspecial%3Achars");
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b, "encoding"), "json");
    cJSON *data = cJSON_Parse(jstr(b, "data"));
    assert_string_equal(jstr(data, "key"), "value");
    cJSON_Delete(data);
    cJSON_Delete(b);
    fx_free(f);
}

/* ---- annotations (RSAN) ---- */

/* rest/unit/RSAN1c6/publish-post-annotation-create-0, RSAN2a delete */
static void annotation_publish_and_delete(void **state)
{
    (void)state;
    for (int del = 0; del < 2; del++) {
        fx *f = fx_new();
        ably_rest_channel *ch = fx_channel(f, "test-RSAN1");
        ably_annotation a = {0};
        a.type = "com.example.reaction";
        a.name = "like";
        ably_rest_annotations *an = ably_rest_channel_annotations(ch);
        int rc = del ? ably_rest_annotations_delete(an, "msg-serial-1", &a, &f->err)
                     : ably_rest_annotations_publish(an, "msg-serial-1", &a, &f->err);
        assert_int_equal(rc, 0);
        assert_int_equal(mock_http_count(f->m), 1);
        const mock_request *r = fx_req(f, 0);
        assert_string_equal(r->method, "POST");
        assert_string_equal(r->path, "/channels/test-RSAN1/messages/msg-serial-1/annotations");
        cJSON *b = fx_body(f, 0);
        assert_true(cJSON_IsArray(b));
        assert_int_equal(cJSON_GetArraySize(b), 1);
        assert_int_equal((int)jnum(b->child, "action"), del);
        assert_string_equal(jstr(b->child, "messageSerial"), "msg-serial-1");
        assert_string_equal(jstr(b->child, "type"), "com.example.reaction");
        assert_string_equal(jstr(b->child, "name"), "like");
        cJSON_Delete(b);
        assert_false(a.has_action); /* the caller's annotation is left alone */
        assert_null(a.message_serial);
        fx_free(f);
    }
}

/* rest/unit/RSAN1a3/publish-type-required-0 */
static void annotation_type_required(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_annotations *an = ably_rest_channel_annotations(fx_channel(f, "test-RSAN1a3"));
    ably_annotation a = {0};
    a.name = "like";
    assert_int_equal(ably_rest_annotations_publish(an, "msg-serial-1", &a, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    a.type = "t";
    assert_int_equal(ably_rest_annotations_publish(an, "", &a, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(ably_rest_annotations_publish(an, "s", NULL, &f->err), -1);
    assert_int_equal(f->err.code, 40003);
    assert_int_equal(mock_http_count(f->m), 0);
    fx_free(f);
}

/* rest/unit/RSAN1c3/annotation-data-encoded-0 */
static void annotation_data_encoded(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_annotations *an = ably_rest_channel_annotations(fx_channel(f, "test-RSAN1c3"));
    ably_annotation a = {0};
    a.type = "com.example.data";
    a.data = json_data("{\"key\":\"value\",\"nested\":{\"a\":1}}");
    assert_int_equal(ably_rest_annotations_publish(an, "msg-serial-1", &a, &f->err), 0);
    cJSON *b = fx_body(f, 0);
    assert_string_equal(jstr(b->child, "encoding"), "json");
    cJSON *data = cJSON_Parse(jstr(b->child, "data"));
    assert_int_equal((int)jnum(cJSON_GetObjectItem(data, "nested"), "a"), 1);
    cJSON_Delete(data);
    cJSON_Delete(b);
    assert_int_equal(a.data.type, ABLY_DATA_JSON);
    assert_null(a.encoding);
    fx_free(f);
}

/* rest/unit/RSAN1c4/idempotent-id-generated-0, RSAN1c4/idempotent-id-not-generated-1 */
static void annotation_idempotent_id(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        fx *f = fx_new();
        f->o.idempotent_rest_publishing = on;
        ably_rest_annotations *an = ably_rest_channel_annotations(fx_channel(f, "test-RSAN1c4"));
        ably_annotation a = {0};
        a.type = "com.example.reaction";
        assert_int_equal(ably_rest_annotations_publish(an, "msg-serial-1", &a, &f->err), 0);
        cJSON *b = fx_body(f, 0);
        const char *id = jstr(b->child, "id");
        if (on) {
            assert_non_null(id);
            const char *colon = strchr(id, ':');
            assert_non_null(colon);
            assert_true(colon - id >= 12);
            for (const char *p = id; p < colon; p++)
                assert_true(isalnum((unsigned char)*p) || *p == '-' || *p == '_');
            assert_string_equal(colon, ":0");
        } else {
            assert_null(id);
        }
        cJSON_Delete(b);
        fx_free(f);
    }
}

/* rest/unit/RSAN3b get endpoint and params, RSAN3c returns decoded annotations */
static void annotations_get(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"id\":\"ann-1\",\"action\":0,\"type\":\"com.example.reaction\",\"name\":\"like\",\"clientId\":\"user-1\","
             "\"count\":1,\"data\":\"thumbs-up\",\"serial\":\"ann-serial-1\",\"messageSerial\":\"msg-serial-1\","
             "\"timestamp\":1700000000000,\"extras\":{\"custom\":\"metadata\"}},"
             "{\"id\":\"ann-2\",\"action\":0,\"type\":\"com.example.reaction\",\"name\":\"heart\",\"clientId\":\"user-2\","
             "\"serial\":\"ann-serial-2\",\"messageSerial\":\"msg-serial-1\",\"timestamp\":1700000001000}]");
    ably_rest_annotations *an = ably_rest_channel_annotations(fx_channel(f, "test-RSAN3"));
    ably_string_map params = {0};
    ably_string_map_set(&params, "limit", "50");
    assert_int_equal(ably_rest_annotations_get(an, "msg-serial-1", &params, &f->page, &f->err), 0);
    ably_string_map_clear(&params);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/channels/test-RSAN3/messages/msg-serial-1/annotations");
    assert_string_equal(mock_request_query(r, "limit"), "50");
    size_t n;
    const ably_annotation *a = ably_paginated_result_annotations(f->page, &n);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].id, "ann-1");
    assert_true(a[0].has_action);
    assert_int_equal(a[0].action, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
    assert_string_equal(a[0].type, "com.example.reaction");
    assert_string_equal(a[0].name, "like");
    assert_string_equal(a[0].client_id, "user-1");
    assert_int_equal(a[0].count, 1);
    assert_string_equal(a[0].data.bytes, "thumbs-up");
    assert_string_equal(a[0].serial, "ann-serial-1");
    assert_string_equal(a[0].message_serial, "msg-serial-1");
    assert_int_equal(a[0].timestamp, 1700000000000LL);
    cJSON *extras = cJSON_Parse(a[0].extras);
    assert_string_equal(jstr(extras, "custom"), "metadata");
    cJSON_Delete(extras);
    assert_string_equal(a[1].name, "heart");
    assert_string_equal(a[1].client_id, "user-2");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(get_message_endpoint, "RSL11b"),
        ABLY_TEST(get_message_decoded, "RSL11c"),
        ABLY_TEST(get_message_serial_rules, "RSL11a RSL11b"),
        ABLY_TEST(message_versions, "RSL14a RSL14b RSL14c"),
        ABLY_TEST(patch_actions, "RSL15b RSL15b1 RSL15e"),
        ABLY_TEST(patch_with_operation, "RSL15b7"),
        ABLY_TEST(patch_does_not_mutate, "RSL15c"),
        ABLY_TEST(patch_result, "RSL15e UDR2a"),
        ABLY_TEST(patch_params_and_serial, "RSL15f RSL15a"),
        ABLY_TEST(patch_body_encoding, "RSL15d RSL15b"),
        ABLY_TEST(annotation_publish_and_delete, "RSAN1c RSAN1c1 RSAN1c2 RSAN1c6 RSAN2a"),
        ABLY_TEST(annotation_type_required, "RSAN1a3 RSAN1a"),
        ABLY_TEST(annotation_data_encoded, "RSAN1c3"),
        ABLY_TEST(annotation_idempotent_id, "RSAN1c4"),
        ABLY_TEST(annotations_get, "RSAN3a RSAN3b RSAN3c"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
