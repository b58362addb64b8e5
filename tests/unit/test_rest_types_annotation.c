/* The Annotation type as published over REST (RSAN1a2, RSAN1c5). Ports the
 * cases of uts/rest/unit/channel/annotations.md that test_rest_channel_mutable.c
 * does not name. */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(every_user_field_is_sent, "RSAN1a2"),
        ABLY_TEST(body_follows_the_protocol, "RSAN1c5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
