/* The Annotation type as published over REST (RSAN1a2, RSAN1c5) and as decoded
 * (TAN), and UpdateDeleteResult (UDR). Ports the cases of
 * uts/rest/unit/channel/annotations.md that test_rest_channel_mutable.c does not
 * name, and the TAN2 / UDR2a cases of uts/rest/unit/types/mutable_message_types.md. */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "cJSON.h"
#include "mock_http.h"

static void publish_full_annotation(bool binary, mock_http **out_m, ably_rest **out_rest)
{
    mock_http *m = mock_http_new();
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    o.use_binary_protocol = binary;
    mock_http_install(m, &o);
    ably_rest *rest;
    ably_error err = {0};
    assert_int_equal(ably_rest_create(&o, &rest, &err), 0);
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(rest, "c", NULL, &ch, &err), 0);
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "reaction:distinct.v1";
    a.client_id = "who";
    a.name = "thumbsup";
    a.count = 3;
    a.has_count = true;
    a.extras = "{\"k\":\"v\"}";
    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_STRING, "payload", 7), 0);
    mock_http_queue_json(m, 201, "{}");
    assert_int_equal(ably_rest_annotations_publish(ably_rest_channel_annotations(ch), "serial-1", &a, &err), 0);
    ably_data_clear(&a.data);
    *out_m = m;
    *out_rest = rest;
}

/* RSAN1a2: type, clientId, name, count, data and extras all reach the wire. */
static void every_user_field_is_sent(void **state)
{
    (void)state;
    mock_http *m;
    ably_rest *rest;
    publish_full_annotation(false, &m, &rest);
    const mock_request *r = mock_http_request(m, 0);
    assert_string_equal(r->method, "POST");
    const char *b = r->body.data;
    assert_non_null(b);
    assert_non_null(strstr(b, "\"type\":\"reaction:distinct.v1\""));
    assert_non_null(strstr(b, "\"clientId\":\"who\""));
    assert_non_null(strstr(b, "\"name\":\"thumbsup\""));
    assert_non_null(strstr(b, "\"count\":3"));
    assert_non_null(strstr(b, "\"data\":\"payload\""));
    assert_non_null(strstr(b, "\"extras\":{\"k\":\"v\"}"));
    assert_non_null(strstr(b, "\"messageSerial\":\"serial-1\""));
    ably_rest_destroy(rest);
    mock_http_free(m);
}

/* RSAN1c5, RSC8: the body is JSON or msgpack per useBinaryProtocol. */
static void body_follows_the_protocol(void **state)
{
    (void)state;
    mock_http *m;
    ably_rest *rest;
    publish_full_annotation(true, &m, &rest);
    const mock_request *r = mock_http_request(m, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/x-msgpack");
    assert_true(r->body.len > 0);
    unsigned char first = (unsigned char)r->body.data[0];
    assert_true((first & 0xf0) == 0x90 || (first & 0xf0) == 0x80 || first == 0xdc || first == 0xde);
    ably_rest_destroy(rest);
    mock_http_free(m);
    publish_full_annotation(false, &m, &rest);
    r = mock_http_request(m, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/json");
    assert_true(r->body.data[0] == '[' || r->body.data[0] == '{');
    ably_rest_destroy(rest);
    mock_http_free(m);
}

/* ---- TAN: Annotation.fromJson ---- */

static const char ANNOTATION_WIRE[] =
    "{\"id\":\"ann-id-1\",\"action\":0,\"clientId\":\"user-1\",\"name\":\"like\",\"count\":5,"
    "\"data\":\"thumbs-up\",\"encoding\":null,\"timestamp\":1700000000000,\"serial\":\"ann-serial-1\","
    "\"messageSerial\":\"msg-serial-1\",\"type\":\"com.example.reaction\",\"extras\":{\"custom\":\"metadata\"}}";

static void assert_annotation_fields(const ably_annotation *a)
{
    assert_string_equal(a->id, "ann-id-1");
    assert_true(a->has_action);
    assert_int_equal(a->action, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE);
    assert_string_equal(a->client_id, "user-1");
    assert_string_equal(a->name, "like");
    assert_true(a->has_count);
    assert_int_equal(a->count, 5);
    assert_int_equal(a->data.type, ABLY_DATA_STRING);
    assert_string_equal(a->data.bytes, "thumbs-up");
    assert_null(a->encoding);
    assert_true(a->has_timestamp);
    assert_int_equal(a->timestamp, 1700000000000LL);
    assert_string_equal(a->serial, "ann-serial-1");
    assert_string_equal(a->message_serial, "msg-serial-1");
    assert_string_equal(a->type, "com.example.reaction");
    assert_non_null(a->extras);
    cJSON *extras = cJSON_Parse(a->extras);
    assert_true(cJSON_IsObject(extras));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(extras, "custom")->valuestring, "metadata");
    cJSON_Delete(extras);
}

/* rest/unit/TAN2/annotation-attributes-and-action-0: every field decodes, from JSON
 * and from msgpack. */
static void annotation_decodes_every_field(void **state)
{
    (void)state;
    ably_error err = {0};
    ably_annotation a;
    ably_annotation_init(&a);
    assert_int_equal(ably_annotation_from_json(&a, ANNOTATION_WIRE, strlen(ANNOTATION_WIRE), &err), 0);
    assert_annotation_fields(&a);
    ably_annotation_clear(&a);

    ably_buf mp;
    ably_buf_init(&mp);
    assert_int_equal(mock_json_to_msgpack(ANNOTATION_WIRE, &mp), 0);
    ably_annotation_init(&a);
    assert_int_equal(ably_annotation_from_msgpack(&a, mp.data, mp.len, &err), 0);
    assert_annotation_fields(&a);
    ably_annotation_clear(&a);
    ably_buf_free(&mp);
}

/* TAN2b, TAN2b1: the action is a number on the wire (create 0, delete 1) and an
 * enum in C, both ways. */
static void annotation_action_is_numeric_on_the_wire(void **state)
{
    (void)state;
    assert_int_equal(ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE, 0);
    assert_int_equal(ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE, 1);
    ably_error err = {0};
    ably_annotation a;
    ably_annotation_init(&a);
    static const char delete_wire[] = "{\"action\":1,\"type\":\"t\"}";
    assert_int_equal(ably_annotation_from_json(&a, delete_wire, strlen(delete_wire), &err), 0);
    assert_true(a.has_action);
    assert_int_equal(a.action, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
    ably_annotation_clear(&a);

    ably_annotation_init(&a);
    a.type = "t";
    for (int action = 0; action < 2; action++) {
        a.action = (ably_annotation_action)action;
        a.has_action = true;
        ably_buf out;
        ably_buf_init(&out);
        assert_int_equal(ably_annotation_to_json(&a, &out, &err), 0);
        cJSON *o = cJSON_Parse(out.data);
        const cJSON *wire = cJSON_GetObjectItemCaseSensitive(o, "action");
        assert_true(cJSON_IsNumber(wire));
        assert_int_equal(wire->valueint, action);
        cJSON_Delete(o);
        ably_buf_free(&out);
    }
}

/* ---- UDR: UpdateDeleteResult ---- */

/* rest/unit/UDR2a/update-delete-result-fields-0: the versionSerial, or NULL when
 * it is null or absent (a superseded update). */
static void update_delete_result_fields(void **state)
{
    (void)state;
    static const struct {
        const char *wire;
        const char *version_serial;
    } cases[] = {
        {"{\"versionSerial\":\"version-serial-abc\"}", "version-serial-abc"},
        {"{\"versionSerial\":null}", NULL},
        {"{}", NULL},
    };
    ably_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ably_update_delete_result r;
        ably_update_delete_result_init(&r);
        assert_int_equal(ably_update_delete_result_from_json(&r, cases[i].wire, strlen(cases[i].wire), &err), 0);
        if (cases[i].version_serial)
            assert_string_equal(r.version_serial, cases[i].version_serial);
        else
            assert_null(r.version_serial);
        ably_update_delete_result_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(every_user_field_is_sent, "RSAN1a2"),
        ABLY_TEST(body_follows_the_protocol, "RSAN1c5"),
        ABLY_TEST(annotation_decodes_every_field,
                  "TAN1 TAN2 TAN2a TAN2b TAN2c TAN2d TAN2e TAN2f TAN2h TAN2i TAN2j TAN2k TAN2l"),
        ABLY_TEST(annotation_action_is_numeric_on_the_wire, "TAN2b TAN2b1"),
        ABLY_TEST(update_delete_result_fields, "UDR1 UDR2 UDR2a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
