/* PaginatedResult (TG) through the core's generic page fetcher, ErrorInfo from
 * replies (TI), and the token-error retry of the pipeline (RSC10, RSA4b).
 * Ports uts/rest/unit/types/paginated_result.md and types/error_types.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"
#include "rest/rest_internal.h"

typedef struct {
    mock_http *m;
    ably_client_options o;
    ably_rest *rest;
    ably_error err;
    ably_paginated_result *page;
} fx;

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options_init(&f->o);
    f->o.key = "appId.keyId:keySecret";
    mock_http_install(f->m, &f->o);
    return f;
}

static void fx_create(fx *f)
{
    if (ably_rest_create(&f->o, &f->rest, &f->err) != 0)
        fail_msg("create failed: %s", f->err.message ? f->err.message : "?");
}

static void fx_free(fx *f)
{
    ably_paginated_result_free(f->page);
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
}

/* history-like fetch of Message pages, as channels will do */
static int history(fx *f, const ably_type_desc *type, const char *path, ably_paginated_result **out)
{
    ably_rest_call call = {.method = "GET", .path = path, .authenticated = true};
    ably_paginated_kind kind = {.type = type};
    return ably_paginated_fetch(f->rest, &kind, &call, out, &f->err);
}

static void queue_with_link(fx *f, const char *body, const char *link)
{
    const char *h[] = {"Link", link, NULL};
    mock_reply r = {.status = 200, .body = body, .headers = link ? h : NULL};
    mock_http_queue(f->m, &r);
}

/* rest/unit/TG1/items-attribute (TG1, TG3) */
static void items_attribute(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[{\"id\":\"item1\",\"name\":\"a\"},{\"id\":\"item2\",\"name\":\"b\"}]");
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_items(f->page, &n);
    assert_int_equal(n, 2);
    assert_ptr_equal(ably_paginated_result_type(f->page), &ably_message_desc);
    assert_string_equal(m[0].id, "item1");
    assert_string_equal(m[1].id, "item2");
    /* typed helpers refuse the wrong type */
    assert_null(ably_paginated_result_stats(f->page, &n));
    assert_int_equal(n, 0);
    assert_null(ably_paginated_result_json_items(f->page, &n));
    fx_free(f);
}

/* rest/unit/TG2/has-next-is-last (TG6, TG7) */
static void has_next_is_last(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"id\":\"x\"}]", "</channels/test/messages?cursor=next123>; rel=\"next\"");
    queue_with_link(f, "[{\"id\":\"y\"}]", NULL);
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    assert_true(ably_paginated_result_has_next(f->page));
    assert_false(ably_paginated_result_is_last(f->page));
    ably_paginated_result *p2;
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &p2), 0);
    assert_false(ably_paginated_result_has_next(p2));
    assert_true(ably_paginated_result_is_last(p2));
    ably_paginated_result_free(p2);
    fx_free(f);
}

/* rest/unit/TG3/next-method, TG - pagination preserves authentication and request headers */
static void next_method(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"id\":\"page1-item1\"},{\"id\":\"page1-item2\"}]",
                    "</channels/test/messages?cursor=abc123>; rel=\"next\"");
    queue_with_link(f, "[{\"id\":\"page2-item1\"}]", NULL);
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    ably_paginated_result *p2 = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &p2, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_items(p2, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].id, "page2-item1");
    assert_false(ably_paginated_result_has_next(p2));
    const mock_request *a = mock_http_request(f->m, 0), *b = mock_http_request(f->m, 1);
    assert_string_equal(mock_request_query(b, "cursor"), "abc123");
    assert_string_equal(b->path, "/channels/test/messages");
    assert_string_equal(mock_request_header(a, "Authorization"), mock_request_header(b, "Authorization"));
    assert_non_null(mock_request_header(b, "X-Ably-Version"));
    assert_non_null(strstr(mock_request_header(b, "Ably-Agent"), "ably-"));
    /* next() on the last page gives no page (TG4) */
    ably_paginated_result *p3 = (ably_paginated_result *)1;
    assert_int_equal(ably_paginated_result_next(p2, &p3, &f->err), 0);
    assert_null(p3);
    assert_int_equal(mock_http_count(f->m), 2);
    ably_paginated_result_free(p2);
    fx_free(f);
}

/* rest/unit/TG4/first-method (TG5), and current */
static void first_and_current(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"id\":\"item1\"}]",
                    "</channels/test/messages?cursor=next>; rel=\"next\", </channels/test/messages>; rel=\"first\"");
    queue_with_link(f, "[{\"id\":\"item2\"}]",
                    "</channels/test/messages>; rel=\"first\", <./messages?cursor=next>; rel=\"current\"");
    queue_with_link(f, "[{\"id\":\"item1\"}]", "</channels/test/messages?cursor=next>; rel=\"next\"");
    queue_with_link(f, "[{\"id\":\"item2\"}]", NULL);
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    ably_paginated_result *p2 = NULL, *first = NULL, *cur = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &p2, &f->err), 0);
    assert_int_equal(ably_paginated_result_first(p2, &first, &f->err), 0);
    size_t n;
    const ably_message *m = ably_paginated_result_items(first, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].id, "item1");
    assert_string_equal(mock_http_request(f->m, 2)->path, "/channels/test/messages");
    assert_int_equal(mock_http_request(f->m, 2)->query.count, 0);
    /* a relative link ("./messages?...") resolves against the page's path */
    assert_int_equal(ably_paginated_result_current(p2, &cur, &f->err), 0);
    assert_string_equal(mock_http_request(f->m, 3)->path, "/channels/test/messages");
    assert_string_equal(mock_request_query(mock_http_request(f->m, 3), "cursor"), "next");
    ably_paginated_result_free(p2);
    ably_paginated_result_free(first);
    ably_paginated_result_free(cur);
    fx_free(f);
}

/* rest/unit/TG/empty-result */
static void empty_result(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    size_t n = 5;
    ably_paginated_result_items(f->page, &n);
    assert_int_equal(n, 0);
    assert_false(ably_paginated_result_has_next(f->page));
    assert_true(ably_paginated_result_is_last(f->page));
    fx_free(f);
}

/* rest/unit/TG/link-header-parsing-1, TG - multiple link relations */
static void link_header_parsing(void **state)
{
    (void)state;
    struct {
        const char *link;
        bool has_next;
        const char *cursor;
    } cases[] = {
        {"</path?cursor=abc>; rel=\"next\"", true, "abc"},
        {"</path?cursor=abc>; rel=\"next\", </path>; rel=\"first\"", true, "abc"},
        {"</path>; rel=\"first\"", false, NULL},
        {NULL, false, NULL},
        {"</channels/test/messages?page=2>; rel=\"next\", </channels/test/messages?page=1>; rel=\"first\", "
         "</channels/test/messages?page=5>; rel=\"last\"", true, NULL},
        {"<./messages?cursor=a%20b>;rel=next", true, "a b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fx *f = fx_new();
        queue_with_link(f, "[{\"id\":\"item\"}]", cases[i].link);
        mock_http_queue_json(f->m, 200, "[]");
        fx_create(f);
        assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
        assert_int_equal(ably_paginated_result_has_next(f->page), cases[i].has_next);
        if (cases[i].cursor) {
            ably_paginated_result *next = NULL;
            assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), 0);
            assert_string_equal(mock_request_query(mock_http_request(f->m, 1), "cursor"), cases[i].cursor);
            ably_paginated_result_free(next);
        }
        fx_free(f);
    }
}

/* rest/unit/TG/presence-pagination: the page keeps its item type across next() */
static void presence_pages(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"clientId\":\"client1\",\"action\":1}]", "</channels/test/presence?page=2>; rel=\"next\"");
    mock_http_queue_msgpack(f->m, 200, "[{\"clientId\":\"client2\",\"action\":1}]");
    fx_create(f);
    assert_int_equal(history(f, &ably_presence_message_desc, "/channels/test/presence", &f->page), 0);
    ably_paginated_result *p2 = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &p2, &f->err), 0);
    size_t n;
    const ably_presence_message *a = ably_paginated_result_items(f->page, &n);
    const ably_presence_message *b = ably_paginated_result_items(p2, &n);
    assert_ptr_equal(ably_paginated_result_type(p2), &ably_presence_message_desc);
    assert_string_equal(a[0].client_id, "client1");
    assert_string_equal(b[0].client_id, "client2");
    ably_paginated_result_free(p2);
    fx_free(f);
}

/* rest/unit/TG/error-on-next */
static void error_on_next(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"id\":\"x\"}]", "</channels/test/messages?cursor=invalid>; rel=\"next\"");
    mock_http_queue_json(f->m, 404, "{\"error\":{\"code\":40400,\"statusCode\":404,\"message\":\"Not found\"}}");
    fx_create(f);
    assert_int_equal(history(f, &ably_message_desc, "/channels/test/messages", &f->page), 0);
    ably_paginated_result *next = (ably_paginated_result *)1;
    assert_int_equal(ably_paginated_result_next(f->page, &next, &f->err), -1);
    assert_null(next);
    assert_int_equal(f->err.status_code, 404);
    assert_int_equal(f->err.code, 40400);
    fx_free(f);
}

/* A hook post-processes every page (used by history to decode payloads). */
static int count_hook(void *ctx, void *items, size_t count, ably_error *err)
{
    (void)items, (void)err;
    *(size_t *)ctx += count;
    return 0;
}

static void item_hook_runs_on_every_page(void **state)
{
    (void)state;
    fx *f = fx_new();
    queue_with_link(f, "[{\"id\":\"a\"},{\"id\":\"b\"}]", "</channels/test/messages?page=2>; rel=\"next\"");
    mock_http_queue_json(f->m, 200, "[{\"id\":\"c\"}]");
    fx_create(f);
    size_t seen = 0;
    ably_rest_call call = {.method = "GET", .path = "/channels/test/messages", .authenticated = true};
    ably_paginated_kind kind = {.type = &ably_message_desc, .hook = count_hook, .hook_ctx = &seen};
    assert_int_equal(ably_paginated_fetch(f->rest, &kind, &call, &f->page, &f->err), 0);
    ably_paginated_result *p2 = NULL;
    assert_int_equal(ably_paginated_result_next(f->page, &p2, &f->err), 0);
    assert_int_equal(seen, 3);
    ably_paginated_result_free(p2);
    fx_free(f);
}

/* ---- ErrorInfo from replies (types/error_types.md) ---- */

/* rest/unit/TI/errorinfo-from-json-0, TI/errorinfo-nested-cause-1 */
static void error_info_from_reply(void **state)
{
    (void)state;
    fx *f = fx_new();
    mock_http_queue_json(f->m, 401,
                         "{\"error\":{\"code\":40100,\"statusCode\":401,\"message\":\"Token expired\","
                         "\"href\":\"https://help.ably.io/error/40100\"}}");
    mock_http_queue_msgpack(f->m, 500,
                            "{\"error\":{\"code\":50000,\"statusCode\":500,\"message\":\"Internal error\","
                            "\"cause\":{\"code\":50001,\"message\":\"Database connection failed\"}}}");
    f->o.fallback_hosts_set = true;
    fx_create(f);
    ably_paginated_result *p = NULL;
    assert_int_equal(history(f, &ably_message_desc, "/x", &p), -1);
    assert_int_equal(f->err.code, 40100);
    assert_int_equal(f->err.status_code, 401);
    assert_string_equal(f->err.message, "Token expired");
    assert_string_equal(f->err.href, "https://help.ably.io/error/40100");
    char text[256];
    ably_error_format(&f->err, text, sizeof text); /* TI - string representation */
    assert_non_null(strstr(text, "40100"));
    assert_non_null(strstr(text, "401"));
    assert_non_null(strstr(text, "Token expired"));
    assert_int_equal(history(f, &ably_message_desc, "/x", &p), -1);
    assert_int_equal(f->err.code, 50000);
    assert_non_null(f->err.cause);
    assert_int_equal(f->err.cause->code, 50001);
    assert_string_equal(f->err.cause->message, "Database connection failed");
    fx_free(f);
}

/* ---- token errors (RSC10, RSA4b) ---- */

typedef struct {
    int calls;
} token_source;

static int give_token(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                      ably_token_request *tr, ably_error *err)
{
    (void)params, (void)td, (void)tr, (void)err;
    token_source *s = ctx;
    s->calls++;
    char buf[32];
    snprintf(buf, sizeof buf, "token-%d", s->calls);
    *token = strdup(buf);
    return 0;
}

static const char *token_error = "{\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}";

/* RSC10: a token error is followed by one renewal and one retry */
static void token_error_renews_once(void **state)
{
    (void)state;
    fx *f = fx_new();
    token_source src = {0};
    f->o.key = NULL;
    f->o.auth_callback = give_token;
    f->o.auth_callback_ctx = &src;
    mock_http_queue_json(f->m, 401, token_error);
    mock_http_queue_json(f->m, 200, "[]");
    fx_create(f);
    assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), 0);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_int_equal(src.calls, 2);
    const char *a1 = mock_request_header(mock_http_request(f->m, 0), "Authorization");
    const char *a2 = mock_request_header(mock_http_request(f->m, 1), "Authorization");
    assert_non_null(a1);
    assert_non_null(a2);
    assert_string_not_equal(a1, a2);
    fx_free(f);

    /* a second token error is final: exactly one retry */
    f = fx_new();
    token_source src2 = {0};
    f->o.key = NULL;
    f->o.auth_callback = give_token;
    f->o.auth_callback_ctx = &src2;
    for (int i = 0; i < 3; i++)
        mock_http_queue_json(f->m, 401, token_error);
    fx_create(f);
    assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), -1);
    assert_int_equal(mock_http_count(f->m), 2);
    assert_int_equal(f->err.code, 40142);
    fx_free(f);
}

/* A non-token 401 is not retried. */
static void other_401_not_retried(void **state)
{
    (void)state;
    fx *f = fx_new();
    token_source src = {0};
    f->o.key = NULL;
    f->o.auth_callback = give_token;
    f->o.auth_callback_ctx = &src;
    mock_http_queue_json(f->m, 401, "{\"error\":{\"code\":40101,\"statusCode\":401,\"message\":\"Invalid\"}}");
    fx_create(f);
    assert_int_equal(ably_rest_stats(f->rest, NULL, &f->page, &f->err), -1);
    assert_int_equal(mock_http_count(f->m), 1);
    assert_int_equal(f->err.code, 40101);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(items_attribute, "TG1 TG3"),
        ABLY_TEST(has_next_is_last, "TG6 TG7"),
        ABLY_TEST(next_method, "TG4 TG6"),
        ABLY_TEST(first_and_current, "TG5"),
        ABLY_TEST(empty_result, "TG2 TG3"),
        ABLY_TEST(link_header_parsing, "TG4 TG6"),
        ABLY_TEST(presence_pages, "TG3 TG4"),
        ABLY_TEST(error_on_next, "TG4"),
        ABLY_TEST(item_hook_runs_on_every_page, "TG3"),
        ABLY_TEST(error_info_from_reply, "TI1 TI4 TI5 RSC8"),
        ABLY_TEST(token_error_renews_once, "RSC10 RSA4b"),
        ABLY_TEST(other_401_not_retried, "RSC10"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
