/* Payload encoding on publish (RSL4, RSL5) and decoding on history (RSL6) over
 * both transports, and the ably-common crypto fixtures through a channel.
 * Ports uts/rest/unit/encoding/message_encoding.md. */
#include "fixtures.h"
#include "test_rest_channel_fixture.h"

static cJSON *publish_one(fx *f, ably_rest_channel *ch, ably_data d)
{
    size_t before = mock_http_count(f->m);
    assert_int_equal(ably_rest_channel_publish(ch, "e", &d, NULL, &f->err), 0);
    cJSON *b = fx_body(f, before);
    cJSON *m = cJSON_DetachItemFromArray(b, 0);
    cJSON_Delete(b);
    return m;
}

/* rest/unit/RSL4a/string-data-no-encoding-0, RSL4b/json-object-encoding-0,
 * RSL4c/binary-base64-json-protocol-0, RSL4d/array-json-encoding-0, RSL4/null-data-no-encoding-1,
 * RSL4/empty-string-no-encoding-4, RSL4/empty-array-json-encoding-5 */
static void json_protocol_encoding(void **state)
{
    (void)state;
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "enc");
    cJSON *m = publish_one(f, ch, text_data("hello"));
    assert_string_equal(jstr(m, "data"), "hello");
    assert_null(cJSON_GetObjectItem(m, "encoding"));
    cJSON_Delete(m);
    m = publish_one(f, ch, json_data("{\"key\":\"value\",\"n\":1}"));
    assert_string_equal(jstr(m, "encoding"), "json");
    cJSON *inner = cJSON_Parse(jstr(m, "data"));
    assert_string_equal(jstr(inner, "key"), "value");
    cJSON_Delete(inner);
    cJSON_Delete(m);
    m = publish_one(f, ch, ably_data_borrow(ABLY_DATA_BINARY, "\x00\x01\x02\xff", 4));
    assert_string_equal(jstr(m, "data"), "AAEC/w==");
    assert_string_equal(jstr(m, "encoding"), "base64");
    cJSON_Delete(m);
    m = publish_one(f, ch, json_data("[1,2,3]"));
    assert_string_equal(jstr(m, "data"), "[1,2,3]");
    assert_string_equal(jstr(m, "encoding"), "json");
    cJSON_Delete(m);
    m = publish_one(f, ch, ably_data_borrow(ABLY_DATA_NONE, NULL, 0));
    assert_null(cJSON_GetObjectItem(m, "data"));
    assert_null(cJSON_GetObjectItem(m, "encoding"));
    cJSON_Delete(m);
    m = publish_one(f, ch, text_data(""));
    assert_string_equal(jstr(m, "data"), "");
    assert_null(cJSON_GetObjectItem(m, "encoding"));
    cJSON_Delete(m);
    m = publish_one(f, ch, json_data("[]"));
    assert_string_equal(jstr(m, "data"), "[]");
    assert_string_equal(jstr(m, "encoding"), "json");
    cJSON_Delete(m);
    /* RSL4/json-protocol-content-type-2 */
    assert_string_equal(mock_request_header(fx_req(f, 0), "Content-Type"), "application/json");
    fx_free(f);
}

/* rest/unit/RSL4c/binary-direct-msgpack-protocol-1, RSL4/msgpack-protocol-content-type-3, RSL4c2, RSL4c3 */
static void msgpack_protocol_encoding(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.use_binary_protocol = true;
    ably_rest_channel *ch = fx_channel(f, "enc-mp");
    ably_message m[3] = {msg_of("b", NULL), msg_of("s", "text"), msg_of("j", NULL)};
    m[0].data = ably_data_borrow(ABLY_DATA_BINARY, "\x00\x01\x02\xff", 4);
    m[2].data = json_data("{\"a\":1}");
    assert_int_equal(ably_rest_channel_publish_messages(ch, m, 3, NULL, NULL, &f->err), 0);
    const mock_request *r = fx_req(f, 0);
    assert_string_equal(mock_request_header(r, "Content-Type"), "application/x-msgpack");
    assert_string_equal(mock_request_header(r, "Accept"), "application/x-msgpack");
    void *items = NULL;
    size_t n = 0;
    assert_int_equal(ably_decode_array(&ably_message_desc, ABLY_FORMAT_MSGPACK, r->body.data, r->body.len, &items, &n,
                                       &f->err), 0);
    ably_message *sent = items;
    assert_int_equal(n, 3);
    assert_int_equal(sent[0].data.type, ABLY_DATA_BINARY); /* bin, no base64 */
    assert_int_equal(sent[0].data.len, 4);
    assert_null(sent[0].encoding);
    assert_int_equal(sent[1].data.type, ABLY_DATA_STRING);
    assert_null(sent[1].encoding);
    assert_int_equal(sent[2].data.type, ABLY_DATA_STRING);
    assert_string_equal(sent[2].encoding, "json");
    ably_free_array(&ably_message_desc, items, n);
    fx_free(f);
}

/* rest/unit/RSL6a/decode-base64-to-binary-0, decode-json-to-object-1, decode-chained-encodings-2,
 * RSL6b/unrecognized-encoding-preserved-0, RSL6/decode-utf8-base64-data-2, RSL6/complex-chained-encoding-3 */
static void history_decoding(void **state)
{
    (void)state;
    fx *f = fx_new();
    fx_reply(f, 200,
             "[{\"data\":\"AAEC/w==\",\"encoding\":\"base64\"},"
             "{\"data\":\"{\\\"key\\\":\\\"value\\\"}\",\"encoding\":\"json\"},"
             "{\"data\":\"eyJrZXkiOiJ2YWx1ZSJ9\",\"encoding\":\"json/base64\"},"
             "{\"data\":\"data\",\"encoding\":\"custom-encoding\"},"
             "{\"data\":\"aMOpbGxv\",\"encoding\":\"utf-8/base64\"},"
             "{\"data\":\"WzEsMl0=\",\"encoding\":\"json/utf-8/base64\"}]");
    ably_rest_channel *ch = fx_channel(f, "dec");
    assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_messages(f->page, &n);
    assert_int_equal(n, 6);
    assert_int_equal(m[0].data.type, ABLY_DATA_BINARY);
    assert_memory_equal(m[0].data.bytes, "\x00\x01\x02\xff", 4);
    assert_int_equal(m[1].data.type, ABLY_DATA_JSON);
    assert_int_equal(m[2].data.type, ABLY_DATA_JSON);
    assert_string_equal(m[2].data.bytes, "{\"key\":\"value\"}");
    assert_string_equal(m[3].data.bytes, "data");
    assert_string_equal(m[3].encoding, "custom-encoding");
    assert_int_equal(m[4].data.type, ABLY_DATA_STRING);
    assert_string_equal(m[4].data.bytes, "h\xc3\xa9llo");
    assert_int_equal(m[5].data.type, ABLY_DATA_JSON);
    assert_null(m[5].encoding);
    fx_free(f);
}

/* rest/unit/RSL6/msgpack-binary-stays-binary-0, RSL6/msgpack-string-stays-string-1 */
static void msgpack_history(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->o.use_binary_protocol = true;
    ably_rest_channel *ch = fx_channel(f, "mp");
    /* [{name:"b", data: bin(01 02)}, {name:"s", data:"text"}] */
    static const unsigned char mp[] = {0x92, 0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'b', 0xa4, 'd', 'a', 't', 'a',
                                       0xc4, 0x02, 0x01, 0x02, 0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 's',
                                       0xa4, 'd', 'a', 't', 'a', 0xa4, 't', 'e', 'x', 't'};
    fx_reply_msgpack(f, 200, "[]");
    ably_buf_reset(&f->mp);
    ably_buf_append(&f->mp, mp, sizeof mp);
    assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_messages(f->page, &n);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].data.type, ABLY_DATA_BINARY);
    assert_int_equal(m[0].data.len, 2);
    assert_int_equal(m[1].data.type, ABLY_DATA_STRING);
    assert_string_equal(m[1].data.bytes, "text");
    fx_free(f);
}

/* The expected payload of a fixture's `encoded` message, decoded. */
static void fixture_plain(const cJSON *item, ably_message *out)
{
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(item, "encoded"));
    ably_error e = {0};
    assert_int_equal(ably_message_from_json(out, text, strlen(text), &e), 0);
    assert_int_equal(ably_message_from_encoded(out, NULL, &e), 0);
    free(text);
}

/* RSL5a, RSL5b, RSL5c: every crypto-data-128/256 vector decrypts through a
 * channel's history, and what the channel encrypts decrypts back (both formats). */
static void crypto_fixtures(const char *file, bool msgpack)
{
    cJSON *root = ably_test_load_resource(file);
    fx *f = fx_new();
    f->o.use_binary_protocol = msgpack;
    fx_create(f);
    ably_cipher_param_options po = {.key_base64 = ably_test_json_string(root, "key")};
    ably_cipher_params params;
    assert_int_equal(ably_crypto_get_default_params(&po, &params, &f->err), 0);
    ably_rest_channel_options opts = {.cipher = &params};
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "crypto", &opts, &ch, &f->err), 0);
    int count = 0;
    for (const cJSON *item = cJSON_GetObjectItem(root, "items")->child; item; item = item->next, count++) {
        ably_message expected = {0};
        fixture_plain(item, &expected);
        /* decrypt the fixture's ciphertext (a JSON history reply) */
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetObjectItem(item, "encrypted"), true));
        char *reply = cJSON_PrintUnformatted(arr);
        fx_reply(f, 200, reply);
        free(reply);
        cJSON_Delete(arr);
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        size_t n;
        const ably_message *got = ably_paginated_result_messages(f->page, &n);
        assert_int_equal(n, 1);
        assert_null(got[0].encoding);
        assert_int_equal(got[0].data.type, expected.data.type);
        assert_int_equal(got[0].data.len, expected.data.len);
        assert_memory_equal(got[0].data.bytes, expected.data.bytes, expected.data.len);
        ably_paginated_result_free(f->page);
        f->page = NULL;
        /* encrypt: publish the plain message, serve the request body back as history */
        size_t before = mock_http_count(f->m);
        ably_message plain = expected;
        plain.name = "example";
        assert_int_equal(ably_rest_channel_publish_messages(ch, &plain, 1, NULL, NULL, &f->err), 0);
        const mock_request *r = fx_req(f, before);
        void *items = NULL;
        size_t sent_n = 0;
        assert_int_equal(ably_decode_array(&ably_message_desc, msgpack ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON,
                                           r->body.data, r->body.len, &items, &sent_n, &f->err), 0);
        ably_message *sent = items;
        assert_non_null(strstr(sent[0].encoding, params.key_length == 128 ? "cipher+aes-128-cbc" : "cipher+aes-256-cbc"));
        assert_int_equal(ably_messages_from_encoded(sent, 1, NULL, &f->err), -1); /* no key: stays encrypted */
        ably_free_array(&ably_message_desc, items, sent_n);
        if (msgpack) {
            f->msgpack_reply = true;
            ably_buf_reset(&f->mp);
            ably_buf_append(&f->mp, "\x91", 1); /* an array of the one message sent */
            ably_buf_append(&f->mp, r->body.data + 1, r->body.len - 1);
        } else {
            fx_reply(f, 200, r->body.data);
        }
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        got = ably_paginated_result_messages(f->page, &n);
        assert_null(got[0].encoding);
        assert_int_equal(got[0].data.type, expected.data.type);
        assert_memory_equal(got[0].data.bytes, expected.data.bytes, expected.data.len);
        ably_paginated_result_free(f->page);
        f->page = NULL;
        ably_message_clear(&expected);
    }
    assert_true(count > 0);
    cJSON_Delete(root);
    fx_free(f);
}

static void crypto_fixtures_128(void **state)
{
    (void)state;
    crypto_fixtures("crypto-data-128.json", false);
    crypto_fixtures("crypto-data-128.json", true);
}

static void crypto_fixtures_256(void **state)
{
    (void)state;
    crypto_fixtures("crypto-data-256.json", false);
    crypto_fixtures("crypto-data-256.json", true);
}

/* rest/unit/RSL4/encoding-fixtures-ably-common-0: every messages-encoding.json
 * message decodes to its expected value from a JSON history reply. */
static void encoding_fixtures(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("messages-encoding.json");
    fx *f = fx_new();
    ably_rest_channel *ch = fx_channel(f, "fixtures");
    int count = 0;
    for (const cJSON *item = cJSON_GetObjectItem(root, "messages")->child; item; item = item->next, count++) {
        cJSON *wire = cJSON_CreateObject();
        cJSON_AddItemToObject(wire, "data", cJSON_Duplicate(cJSON_GetObjectItem(item, "data"), true));
        const char *enc = ably_test_json_string(item, "encoding");
        if (enc && *enc)
            cJSON_AddStringToObject(wire, "encoding", enc);
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, wire);
        char *reply = cJSON_PrintUnformatted(arr);
        fx_reply(f, 200, reply);
        free(reply);
        cJSON_Delete(arr);
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        size_t n;
        const ably_message *m = ably_paginated_result_messages(f->page, &n);
        assert_int_equal(n, 1);
        assert_null(m[0].encoding);
        const char *type = ably_test_json_string(item, "expectedType");
        if (type && !strcmp(type, "binary"))
            assert_int_equal(m[0].data.type, ABLY_DATA_BINARY);
        else if (type && !strcmp(type, "string"))
            assert_int_equal(m[0].data.type, ABLY_DATA_STRING);
        else if (type && (!strcmp(type, "jsonObject") || !strcmp(type, "jsonArray")))
            assert_int_equal(m[0].data.type, ABLY_DATA_JSON);
        ably_paginated_result_free(f->page);
        f->page = NULL;
    }
    assert_true(count > 0);
    cJSON_Delete(root);
    fx_free(f);
}

/* ---- RSL4 and RSL6 as a whole ---- */

/* The payload a messages-encoding.json fixture stands for (its expected value),
 * as C data; *json_text (to free) backs JSON payloads. */
static ably_data fixture_value(const cJSON *item, char **json_text, unsigned char *bin, size_t bin_size)
{
    const char *type = ably_test_json_string(item, "expectedType");
    *json_text = NULL;
    if (strcmp(type, "binary") == 0) {
        const char *hex = ably_test_json_string(item, "expectedHexValue");
        size_t n = strlen(hex) / 2;
        assert_true(n <= bin_size);
        for (size_t i = 0; i < n; i++) {
            unsigned v;
            assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
            bin[i] = (unsigned char)v;
        }
        return ably_data_borrow(ABLY_DATA_BINARY, bin, n);
    }
    const cJSON *value = cJSON_GetObjectItem(item, "expectedValue");
    if (strcmp(type, "string") == 0)
        return ably_data_borrow(ABLY_DATA_STRING, value->valuestring, strlen(value->valuestring));
    *json_text = cJSON_PrintUnformatted(value);
    return ably_data_borrow(ABLY_DATA_JSON, *json_text, strlen(*json_text));
}

static bool same_json_text(const char *a, size_t alen, const char *b)
{
    cJSON *x = cJSON_ParseWithLength(a, alen), *y = cJSON_Parse(b);
    bool same = x && y && cJSON_Compare(x, y, true);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* The messages of request i, decoded from whichever format they were sent in
 * (decoding only the wire format, not the payload encoding). */
static ably_message *sent_messages(fx *f, size_t i, bool msgpack, size_t *n)
{
    const mock_request *r = fx_req(f, i);
    void *items = NULL;
    assert_int_equal(ably_decode_array(&ably_message_desc, msgpack ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON,
                                       r->body.data, r->body.len, &items, n, &f->err), 0);
    return items;
}

/* rest/unit/RSL4/encoding-fixtures-ably-common-0 and RSL4 whole: every payload kind
 * of messages-encoding.json goes out as that fixture says over JSON (RSL4d) and in
 * its msgpack form (RSL4c); chained encodings are written right to left (RSL4b);
 * other data types are refused (RSL4a). */
static void encoding_whole_behaviour(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("messages-encoding.json");
    for (int msgpack = 0; msgpack < 2; msgpack++) {
        fx *f = fx_new();
        f->o.use_binary_protocol = msgpack;
        fx_reply(f, 201, "{\"serials\":[\"s1\"]}");
        ably_rest_channel *ch = fx_channel(f, "test-RSL4-fixture");
        size_t sent_count = 0;
        for (const cJSON *item = cJSON_GetObjectItem(root, "messages")->child; item; item = item->next) {
            char *json_text;
            unsigned char bin[64];
            ably_data d = fixture_value(item, &json_text, bin, sizeof bin);
            assert_int_equal(ably_rest_channel_publish(ch, "event", &d, NULL, &f->err), 0);
            size_t n = 0;
            ably_message *sent = sent_messages(f, sent_count++, msgpack, &n);
            assert_int_equal(n, 1);
            const char *want_enc = ably_test_json_string(item, "encoding");
            const char *type = ably_test_json_string(item, "expectedType");
            if (!msgpack) { /* RSL4d: exactly the fixture's data and encoding */
                assert_int_equal(sent[0].data.type, ABLY_DATA_STRING);
                if (json_text)
                    assert_true(same_json_text(sent[0].data.bytes, sent[0].data.len, json_text));
                else
                    assert_string_equal(sent[0].data.bytes, ably_test_json_string(item, "data"));
                if (want_enc)
                    assert_string_equal(sent[0].encoding, want_enc);
                else
                    assert_null(sent[0].encoding);
            } else if (strcmp(type, "binary") == 0) { /* RSL4c1 */
                assert_int_equal(sent[0].data.type, ABLY_DATA_BINARY);
                assert_int_equal(sent[0].data.len, d.len);
                assert_memory_equal(sent[0].data.bytes, bin, d.len);
                assert_null(sent[0].encoding);
            } else if (json_text) { /* RSL4c3 */
                assert_int_equal(sent[0].data.type, ABLY_DATA_STRING);
                assert_true(same_json_text(sent[0].data.bytes, sent[0].data.len, json_text));
                assert_string_equal(sent[0].encoding, "json");
            } else { /* RSL4c2 */
                assert_int_equal(sent[0].data.type, ABLY_DATA_STRING);
                assert_string_equal(sent[0].data.bytes, d.bytes);
                assert_null(sent[0].encoding);
            }
            ably_free_array(&ably_message_desc, sent, n);
            free(json_text);
        }

        /* RSL4b: JSON, then utf-8, then encryption (then base64 over JSON) */
        ably_cipher_param_options po = {.key_base64 = "WUP6u0K7MXI5Zeo0VppPwg=="};
        ably_cipher_params params;
        assert_int_equal(ably_crypto_get_default_params(&po, &params, &f->err), 0);
        ably_rest_channel_options opts = {.cipher = &params};
        ably_rest_channel *enc;
        assert_int_equal(ably_rest_channels_get(f->rest, "test-RSL4b", &opts, &enc, &f->err), 0);
        ably_data obj = json_data("{\"a\":1}");
        assert_int_equal(ably_rest_channel_publish(enc, "event", &obj, NULL, &f->err), 0);
        size_t n = 0;
        ably_message *sent = sent_messages(f, sent_count++, msgpack, &n);
        assert_string_equal(sent[0].encoding, msgpack ? "json/utf-8/cipher+aes-128-cbc"
                                                      : "json/utf-8/cipher+aes-128-cbc/base64");
        ably_free_array(&ably_message_desc, sent, n);

        /* RSL4a: no other kind of payload */
        ably_data bad = ably_data_borrow((ably_data_type)42, "x", 1);
        assert_int_equal(ably_rest_channel_publish(ch, "event", &bad, NULL, &f->err), -1);
        assert_int_equal(f->err.code, 40013);
        assert_int_equal(mock_http_count(f->m), sent_count);
        fx_free(f);
    }
    cJSON_Delete(root);
}

/* Counts error lines that mention a decoding failure (RSL6b's "sent to the logger"). */
static void count_errors(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)line;
    (void)context;
    if (level == ABLY_LOG_ERROR)
        ++*(int *)ctx;
}

/* One history reply holding `wire` (a JSON message object) in the client's format. */
static void reply_one(fx *f, const char *wire, bool msgpack)
{
    char *reply = NULL;
    assert_true(asprintf(&reply, "[%s]", wire) > 0);
    if (msgpack)
        fx_reply_msgpack(f, 200, reply);
    else
        fx_reply(f, 200, reply);
    free(reply);
}

/* RSL6 whole: what arrives is decoded by undoing RSL4 (every messages-encoding.json
 * fixture, over JSON and msgpack) and decrypting per RSL5 (RSL6a); when a step
 * cannot be undone the message still arrives, with the data as far as it got and
 * the encoding still to undo, and an error is logged (RSL6b). */
static void decoding_whole_behaviour(void **state)
{
    (void)state;
    cJSON *root = ably_test_load_resource("messages-encoding.json");
    cJSON *crypto = ably_test_load_resource("crypto-data-128.json");
    const cJSON *vector = cJSON_GetObjectItem(crypto, "items")->child;
    char *encrypted = cJSON_PrintUnformatted(cJSON_GetObjectItem(vector, "encrypted"));
    const char *plain = ably_test_json_string(cJSON_GetObjectItem(vector, "encoded"), "data");
    for (int msgpack = 0; msgpack < 2; msgpack++) {
        int errors = 0;
        fx *f = fx_new();
        f->o.use_binary_protocol = msgpack;
        f->o.log_handler = count_errors;
        f->o.log_handler_ctx = &errors;
        ably_rest_channel *ch = fx_channel(f, "test-RSL6");
        for (const cJSON *item = cJSON_GetObjectItem(root, "messages")->child; item; item = item->next) {
            cJSON *wire = cJSON_CreateObject();
            cJSON_AddItemToObject(wire, "data", cJSON_Duplicate(cJSON_GetObjectItem(item, "data"), true));
            const char *enc = ably_test_json_string(item, "encoding");
            if (enc)
                cJSON_AddStringToObject(wire, "encoding", enc);
            char *text = cJSON_PrintUnformatted(wire);
            cJSON_Delete(wire);
            reply_one(f, text, msgpack);
            free(text);
            assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
            size_t n;
            const ably_message *m = ably_paginated_result_messages(f->page, &n);
            assert_int_equal(n, 1);
            assert_null(m[0].encoding);
            char *json_text;
            unsigned char bin[64];
            ably_data want = fixture_value(item, &json_text, bin, sizeof bin);
            assert_int_equal(m[0].data.type, want.type);
            if (json_text)
                assert_true(same_json_text(m[0].data.bytes, m[0].data.len, json_text));
            else {
                assert_int_equal(m[0].data.len, want.len);
                assert_memory_equal(m[0].data.bytes, want.bytes, want.len);
            }
            free(json_text);
            ably_paginated_result_free(f->page);
            f->page = NULL;
        }
        assert_int_equal(errors, 0);

        /* RSL6a with RSL5: decrypted with the channel's cipher */
        ably_cipher_param_options po = {.key_base64 = ably_test_json_string(crypto, "key")};
        ably_cipher_params params;
        assert_int_equal(ably_crypto_get_default_params(&po, &params, &f->err), 0);
        ably_rest_channel_options opts = {.cipher = &params};
        ably_rest_channel *enc;
        assert_int_equal(ably_rest_channels_get(f->rest, "test-RSL6-cipher", &opts, &enc, &f->err), 0);
        reply_one(f, encrypted, msgpack);
        assert_int_equal(ably_rest_channel_history(enc, NULL, &f->page, &f->err), 0);
        size_t n;
        const ably_message *m = ably_paginated_result_messages(f->page, &n);
        assert_null(m[0].encoding);
        assert_int_equal(m[0].data.type, ABLY_DATA_STRING);
        assert_string_equal(m[0].data.bytes, plain);
        ably_paginated_result_free(f->page);
        f->page = NULL;

        /* RSL6b: no key here: base64 is undone, the rest stays, an error is logged */
        assert_int_equal(ably_rest_channel_history(ch, NULL, &f->page, &f->err), 0);
        m = ably_paginated_result_messages(f->page, &n);
        assert_int_equal(n, 1);
        assert_string_equal(m[0].encoding, "utf-8/cipher+aes-128-cbc");
        assert_int_equal(m[0].data.type, ABLY_DATA_BINARY);
        assert_true(errors > 0);
        fx_free(f);
    }
    free(encrypted);
    cJSON_Delete(crypto);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(json_protocol_encoding, "RSL4a RSL4b RSL4d1 RSL4d2 RSL4d3"),
        ABLY_TEST(msgpack_protocol_encoding, "RSL4c1 RSL4c2 RSL4c3"),
        ABLY_TEST(history_decoding, "RSL6a RSL6b"),
        ABLY_TEST(msgpack_history, "RSL6a RSL4c1"),
        ABLY_TEST(crypto_fixtures_128, "RSL5a RSL5b RSL5c RSL6a"),
        ABLY_TEST(crypto_fixtures_256, "RSL5a RSL5b RSL5c RSL6a"),
        ABLY_TEST(encoding_fixtures, "RSL6a RSL6a1"),
        ABLY_TEST(encoding_whole_behaviour,
                  "RSL4 RSL4a RSL4b RSL4c RSL4c1 RSL4c2 RSL4c3 RSL4d RSL4d1 RSL4d2 RSL4d3"),
        ABLY_TEST(decoding_whole_behaviour, "RSL6 RSL6a RSL6b"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
