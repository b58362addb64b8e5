/* Annotation payloads: data and encoding follow RSL4 both ways (TAN2f1, TAN2g), the
 * fromEncoded constructors (TAN3), and the REST publish size limit (RSAN1a4). */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

/* Decodes one annotation from JSON text, as a transport would before fromEncoded. */
static void parse_annotation(const char *json, ably_annotation *a)
{
    assert_int_equal(ably_annotation_from_json(a, json, strlen(json), NULL), 0);
}

/* TAN3, TAN2f1, TAN2g: base64, utf-8 and json steps are undone and consumed. */
static void from_encoded_undoes_the_encoding(void **state)
{
    (void)state;
    ably_annotation a;
    parse_annotation("{\"type\":\"t\",\"data\":\"eyJrIjoxfQ==\",\"encoding\":\"json/utf-8/base64\"}", &a);
    ably_error err = {0};
    assert_int_equal(ably_annotation_from_encoded(&a, NULL, &err), 0);
    assert_int_equal(a.data.type, ABLY_DATA_JSON);
    assert_int_equal(a.data.len, strlen("{\"k\":1}"));
    assert_memory_equal(a.data.bytes, "{\"k\":1}", a.data.len);
    assert_null(a.encoding);
    ably_annotation_clear(&a);

    parse_annotation("{\"type\":\"t\",\"data\":\"AAEC\",\"encoding\":\"base64\"}", &a);
    assert_int_equal(ably_annotation_from_encoded(&a, NULL, &err), 0);
    assert_int_equal(a.data.type, ABLY_DATA_BINARY);
    assert_int_equal(a.data.len, 3);
    assert_memory_equal(a.data.bytes, "\x00\x01\x02", 3);
    assert_null(a.encoding);
    ably_annotation_clear(&a);
}

/* TAN3: with the channel's cipher, encrypted data is decrypted (as TM3 does). */
static void from_encoded_decrypts(void **state)
{
    (void)state;
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ably_cipher_param_options po = {.key = key, .key_len = sizeof key};
    ably_cipher_params params;
    ably_error err = {0};
    assert_int_equal(ably_crypto_get_default_params(&po, &params, &err), 0);
    ably_cipher *cipher = ably_cipher_new(&params, &err);
    assert_non_null(cipher);

    ably_annotation a;
    ably_annotation_init(&a);
    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_STRING, "secret", 6), 0);
    assert_int_equal(ably_payload_encode(&a.data, &a.encoding, cipher, ABLY_FORMAT_MSGPACK, &err), 0);
    assert_int_equal(a.data.type, ABLY_DATA_BINARY);
    assert_string_equal(a.encoding, "utf-8/cipher+aes-128-cbc");
    assert_int_equal(ably_annotation_from_encoded(&a, cipher, &err), 0);
    assert_int_equal(a.data.type, ABLY_DATA_STRING);
    assert_int_equal(a.data.len, 6);
    assert_memory_equal(a.data.bytes, "secret", 6);
    assert_null(a.encoding);
    ably_annotation_clear(&a);
    ably_cipher_free(cipher);
}

/* TAN3 fromEncodedArray: every item is decoded even after one fails; the failing one
 * keeps its data and the steps not undone (RSL6b), and the first error is reported. */
static void from_encoded_array_decodes_every_item(void **state)
{
    (void)state;
    const char *json = "[{\"type\":\"t\",\"data\":\"x\",\"encoding\":\"rot13\"},"
                       "{\"type\":\"t\",\"data\":\"aGk=\",\"encoding\":\"utf-8/base64\"}]";
    void *items = NULL;
    size_t count = 0;
    assert_int_equal(
        ably_decode_array(&ably_annotation_desc, ABLY_FORMAT_JSON, json, strlen(json), &items, &count, NULL), 0);
    assert_int_equal(count, 2);
    ably_annotation *a = items;
    ably_error err = {0};
    assert_int_equal(ably_annotations_from_encoded(a, count, NULL, &err), -1);
    assert_int_equal(err.code, 40013);
    assert_string_equal(a[0].encoding, "rot13");
    assert_memory_equal(a[0].data.bytes, "x", 1);
    assert_int_equal(a[1].data.type, ABLY_DATA_STRING);
    assert_memory_equal(a[1].data.bytes, "hi", 2);
    assert_null(a[1].encoding);
    ably_error_clear(&err);
    ably_free_array(&ably_annotation_desc, items, count);
}

static ably_rest *rest_client(mock_http *m, bool binary, int64_t max_message_size)
{
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    o.use_binary_protocol = binary;
    o.max_message_size = max_message_size;
    mock_http_install(m, &o);
    ably_rest *rest;
    assert_int_equal(ably_rest_create(&o, &rest, NULL), 0);
    return rest;
}

static ably_rest_annotations *annotations_of(ably_rest *rest)
{
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(rest, "c", NULL, &ch, NULL), 0);
    return ably_rest_channel_annotations(ch);
}

/* TAN2f1, TAN2g: published data is encoded per RSL4: JSON data as text with "json",
 * binary data base64'd with "base64" on the JSON protocol. */
static void published_data_is_encoded(void **state)
{
    (void)state;
    mock_http *m = mock_http_new();
    ably_rest *rest = rest_client(m, false, 0);
    ably_rest_annotations *an = annotations_of(rest);
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "reaction:distinct.v1";
    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_JSON, "{\"n\":2}", 7), 0);
    mock_http_queue_json(m, 201, "{}");
    mock_http_queue_json(m, 201, "{}");
    assert_int_equal(ably_rest_annotations_publish(an, "serial-1", &a, NULL), 0);
    ably_data_clear(&a.data);
    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_BINARY, "\x01\x02\x03", 3), 0);
    assert_int_equal(ably_rest_annotations_publish(an, "serial-1", &a, NULL), 0);
    ably_data_clear(&a.data);

    const char *b = mock_http_request(m, 0)->body.data;
    assert_non_null(strstr(b, "\"data\":\"{\\\"n\\\":2}\""));
    assert_non_null(strstr(b, "\"encoding\":\"json\""));
    b = mock_http_request(m, 1)->body.data;
    assert_non_null(strstr(b, "\"data\":\"AQID\""));
    assert_non_null(strstr(b, "\"encoding\":\"base64\""));
    ably_rest_destroy(rest);
    mock_http_free(m);
}

/* TAN2f1, TAN2g: annotations from the server come back decoded, encoding consumed. */
static void fetched_data_is_decoded(void **state)
{
    (void)state;
    mock_http *m = mock_http_new();
    ably_rest *rest = rest_client(m, false, 0);
    mock_http_queue_json(m, 200,
                         "[{\"type\":\"t\",\"messageSerial\":\"s\",\"data\":\"eyJuIjoyfQ==\",\"encoding\":\"json/base64\"},"
                         "{\"type\":\"t\",\"messageSerial\":\"s\",\"data\":\"plain\"}]");
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_annotations_get(annotations_of(rest), "s", NULL, &page, &err), 0);
    size_t count = 0;
    const ably_annotation *a = ably_paginated_result_items(page, &count);
    assert_int_equal(count, 2);
    assert_int_equal(a[0].data.type, ABLY_DATA_JSON);
    assert_memory_equal(a[0].data.bytes, "{\"n\":2}", 7);
    assert_null(a[0].encoding);
    assert_int_equal(a[1].data.type, ABLY_DATA_STRING);
    assert_null(a[1].encoding);
    ably_paginated_result_free(page);
    ably_rest_destroy(rest);
    mock_http_free(m);
}

/* RSAN1a4: an annotation larger than maxMessageSize (sized as a message, TO3l8) is
 * refused with 40009 before any request; one within the limit is sent. */
static void oversized_annotation_is_refused(void **state)
{
    (void)state;
    mock_http *m = mock_http_new();
    ably_rest *rest = rest_client(m, true, 64);
    ably_rest_annotations *an = annotations_of(rest);
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "reaction:distinct.v1";
    a.name = "thumbsup";
    char big[80];
    memset(big, 'x', sizeof big);
    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_STRING, big, sizeof big), 0);
    ably_error err = {0};
    assert_int_equal(ably_rest_annotations_publish(an, "serial-1", &a, &err), -1);
    assert_int_equal(err.code, 40009);
    assert_int_equal(err.status_code, 400);
    assert_int_equal(mock_http_count(m), 0);
    ably_error_clear(&err);
    ably_data_clear(&a.data);

    assert_int_equal(ably_data_set(&a.data, ABLY_DATA_STRING, big, 40), 0); /* 8 + 40 bytes */
    mock_http_queue_json(m, 201, "{}");
    assert_int_equal(ably_rest_annotations_publish(an, "serial-1", &a, &err), 0);
    assert_int_equal(mock_http_count(m), 1);
    ably_data_clear(&a.data);
    ably_rest_destroy(rest);
    mock_http_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(from_encoded_undoes_the_encoding, "TAN3 TAN2f1 TAN2g"),
        ABLY_TEST(from_encoded_decrypts, "TAN3"),
        ABLY_TEST(from_encoded_array_decodes_every_item, "TAN3"),
        ABLY_TEST(published_data_is_encoded, "TAN2f1 TAN2g RSAN1c3"),
        ABLY_TEST(fetched_data_is_decoded, "TAN2f1 TAN2g RSAN3c"),
        ABLY_TEST(oversized_annotation_is_refused, "RSAN1a4"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
