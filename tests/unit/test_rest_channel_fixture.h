/* Shared fixture for the REST channel, presence, batch, encoding and type tests:
 * a client on the mock transport answering every request with one scripted reply
 * (the UTS `onRequest: req.respond_with(...)` pattern). Header-only, static. */
#ifndef TEST_REST_CHANNEL_FIXTURE_H
#define TEST_REST_CHANNEL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    ably_paginated_result *page;
    /* the scripted reply */
    int status;
    char *body;
    bool msgpack_reply;
    ably_buf mp;
    const char *const *headers;
    int fail_first; /* answer this many requests with 500 first */
} fx;

static inline void fx_handler(void *ctx, const mock_request *req, size_t index, mock_reply *reply)
{
    (void)req;
    fx *f = ctx;
    if ((int)index < f->fail_first) {
        reply->status = 500;
        reply->body = "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"boom\"}}";
        return;
    }
    reply->status = f->status;
    reply->headers = f->headers;
    if (f->msgpack_reply) {
        reply->content_type = "application/x-msgpack";
        reply->body = f->mp.data;
        reply->body_len = f->mp.len;
    } else {
        reply->body = f->body;
    }
}

/* A JSON client (so request bodies can be read as JSON) with a reply of 201 {}. */
static inline fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.key = "appId.keyId:keySecret";
    f->o.use_binary_protocol = false;
    mock_http_install(f->m, &f->o);
    f->status = 201;
    f->body = strdup("{}");
    ably_buf_init(&f->mp);
    mock_http_set_handler(f->m, fx_handler, f);
    return f;
}

/* Every request from now on is answered with status and this JSON text. */
static inline void fx_reply(fx *f, int status, const char *json)
{
    free(f->body);
    f->body = strdup(json);
    f->status = status;
    f->msgpack_reply = false;
}

/* The same, re-encoded as msgpack. */
static inline void fx_reply_msgpack(fx *f, int status, const char *json)
{
    fx_reply(f, status, json);
    assert_int_equal(mock_json_to_msgpack(json, &f->mp), 0);
    f->msgpack_reply = true;
}

static inline void fx_create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static inline ably_rest_channel *fx_channel(fx *f, const char *name)
{
    if (!f->rest)
        fx_create(f);
    ably_rest_channel *ch = NULL;
    if (ably_rest_channels_get(f->rest, name, NULL, &ch, &f->err) != 0)
        fail_msg("channels.get failed: %s", f->err.message ? f->err.message : "?");
    return ch;
}

static inline void fx_free(fx *f)
{
    ably_paginated_result_free(f->page);
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    ably_buf_free(&f->mp);
    free(f->body);
    free(f);
}

static inline const mock_request *fx_req(fx *f, size_t i)
{
    assert_true(mock_http_count(f->m) > i);
    return mock_http_request(f->m, i);
}

/* The body of request i as parsed JSON (the caller deletes it). */
static inline cJSON *fx_body(fx *f, size_t i)
{
    const mock_request *r = fx_req(f, i);
    cJSON *root = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
    assert_non_null(root);
    return root;
}

static inline const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static inline ably_data text_data(const char *s)
{
    return ably_data_borrow(ABLY_DATA_STRING, s, strlen(s));
}

static inline ably_data json_data(const char *s)
{
    return ably_data_borrow(ABLY_DATA_JSON, s, strlen(s));
}

/* A message that borrows its strings (never clear it). */
static inline ably_message msg_of(const char *name, const char *text)
{
    ably_message m;
    memset(&m, 0, sizeof m);
    m.name = (char *)(uintptr_t)name;
    if (text)
        m.data = text_data(text);
    return m;
}

#endif
