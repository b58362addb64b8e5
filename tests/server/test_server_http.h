/* libcurl helpers shared by the tests of ably-sandbox (tests/server/).
 * Each helper call is one blocking request with a 10 s timeout.
 * srv_resp owns its body and headers; release with srv_resp_free. */
#ifndef TEST_SERVER_HTTP_H
#define TEST_SERVER_HTTP_H

#include "ably_test.h"
#include "proxy_env.h"
#include "sandbox_env.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct {
    long status;   /* HTTP status, -1 when the request failed */
    char *body;    /* NUL-terminated */
    size_t len;
    char *headers; /* raw header block */
    size_t headers_len;
} srv_resp;

typedef struct {
    const char *method;
    const char *path;         /* may contain a query string */
    const char *content_type; /* NULL: none */
    const char *accept;       /* NULL: none */
    const void *body;
    size_t body_len;          /* 0 with body != NULL: strlen */
    const char *userpwd;      /* Basic auth "keyName:secret" */
    const char *bearer;       /* Authorization: Bearer <this> */
    const char *extra_header; /* one more "Name: value" */
} srv_req;

/* Response bodies are collected by the support library's helper. */
typedef proxy_env_buf srv_buf;
#define srv_collect proxy_env_collect

static inline srv_resp srv_do(const sandbox_env *env, const srv_req *r)
{
    srv_buf body = { NULL, 0 }, head = { NULL, 0 };
    srv_resp out = { -1, NULL, 0, NULL, 0 };
    CURL *c = curl_easy_init();
    char url[2048], line[4096];
    snprintf(url, sizeof url, "%s%s", env->base_url, r->path);
    struct curl_slist *h = NULL;
    /* Stop curl adding its own defaults for these. */
    h = curl_slist_append(h, "Expect:");
    if (r->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
        h = curl_slist_append(h, line);
    } else {
        h = curl_slist_append(h, "Content-Type:");
    }
    if (r->accept) {
        snprintf(line, sizeof line, "Accept: %s", r->accept);
        h = curl_slist_append(h, line);
    }
    if (r->bearer) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", r->bearer);
        h = curl_slist_append(h, line);
    }
    if (r->extra_header)
        h = curl_slist_append(h, r->extra_header);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method ? r->method : "GET");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, srv_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, srv_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    if (r->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(r->body_len ? r->body_len : strlen(r->body)));
    }
    if (r->userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->userpwd);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    out.body = body.data ? body.data : calloc(1, 1);
    out.len = body.len;
    out.headers = head.data ? head.data : calloc(1, 1);
    out.headers_len = head.len;
    return out;
}

static inline void srv_resp_free(srv_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

/* Copies header `name`'s value into buf; false when absent. */
static inline bool srv_header(const srv_resp *r, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - line);
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return true;
        }
        line = eol ? eol + 2 : NULL;
    }
    return false;
}

/* Parses a JSON body (the caller deletes). */
static inline cJSON *srv_json(const srv_resp *r)
{
    return cJSON_ParseWithLength(r->body, r->len);
}

/* The Ably error code in an ErrorInfo body, or 0. */
static inline int srv_error_code(const srv_resp *r)
{
    cJSON *j = srv_json(r);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "code");
    int out = cJSON_IsNumber(code) ? (int)code->valuedouble : 0;
    cJSON_Delete(j);
    return out;
}

/* Asserts status + Ably error code + the X-Ably-Errorcode header agree. */
#define assert_ably_error(resp, want_status, want_code)                                   \
    do {                                                                                  \
        char hdr_[32] = "";                                                               \
        assert_int_equal((resp)->status, (want_status));                                  \
        assert_int_equal(srv_error_code(resp), (want_code));                              \
        assert_true(srv_header((resp), "x-ably-errorcode", hdr_, sizeof hdr_));           \
        assert_int_equal(atoi(hdr_), (want_code));                                        \
    } while (0)

static inline srv_resp srv_get(const sandbox_env *env, const char *path, const char *userpwd)
{
    srv_req r = { .method = "GET", .path = path, .userpwd = userpwd };
    return srv_do(env, &r);
}

static inline srv_resp srv_post_json(const sandbox_env *env, const char *path, const char *json,
                              const char *userpwd)
{
    srv_req r = { .method = "POST", .path = path, .content_type = "application/json",
                  .body = json, .userpwd = userpwd };
    return srv_do(env, &r);
}

/* Key i of the test app as Basic auth "keyName:secret" (test-app-setup.json's keys). */
static inline const char *srv_key(const sandbox_env *env, size_t i)
{
    return sandbox_env_key(env, i)->key_str;
}

/* Publishes {"name":"greeting","data":"hello"} on `channel` with key 0 (201 required)
 * and copies the message's serial into out. */
static inline void srv_publish_serial(const sandbox_env *env, const char *channel, char *out, size_t cap)
{
    char path[256];
    snprintf(path, sizeof path, "/channels/%s/messages", channel);
    srv_resp r = srv_post_json(env, path, "{\"name\":\"greeting\",\"data\":\"hello\"}", srv_key(env, 0));
    assert_int_equal(r.status, 201);
    cJSON *o = srv_json(&r);
    snprintf(out, cap, "%s", cJSON_GetArrayItem(cJSON_GetObjectItem(o, "serials"), 0)->valuestring);
    cJSON_Delete(o);
    srv_resp_free(&r);
}

/* A request that must be refused with `status` and Ably error `code` (assert_ably_error). */
typedef struct {
    const char *path;
    const char *json; /* NULL: a GET; else POSTed as application/json */
    int key;          /* key index, -1: no credentials */
    long status;
    int code;
} srv_refusal;

static inline void srv_assert_refusals(const sandbox_env *env, const srv_refusal *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *auth = list[i].key >= 0 ? srv_key(env, (size_t)list[i].key) : NULL;
        srv_resp r = list[i].json ? srv_post_json(env, list[i].path, list[i].json, auth)
                                  : srv_get(env, list[i].path, auth);
        assert_ably_error(&r, list[i].status, list[i].code);
        srv_resp_free(&r);
    }
}

#define SRV_ASSERT_REFUSALS(env, ...)                                                     \
    do {                                                                                  \
        const srv_refusal refusals_[] = { __VA_ARGS__ };                                  \
        srv_assert_refusals((env), refusals_, sizeof refusals_ / sizeof refusals_[0]);    \
    } while (0)

/* GET `path` with key `key_index`, which must answer 200 with a JSON body: the parsed
 * body (the caller deletes it); the response itself through keep (else freed). */
static inline cJSON *srv_get_json(const sandbox_env *env, const char *path, size_t key_index, srv_resp *keep)
{
    srv_resp r = srv_get(env, path, srv_key(env, key_index));
    assert_int_equal(r.status, 200);
    cJSON *body = srv_json(&r);
    assert_non_null(body);
    if (keep)
        *keep = r;
    else
        srv_resp_free(&r);
    return body;
}

/* r's Link header must have a rel="next" link "<REL?QUERY>" with REL equal to `rel`
 * (e.g. "./stats"): "?QUERY" is copied into buf. */
static inline const char *srv_next_query(const srv_resp *r, const char *rel, char *buf, size_t cap)
{
    char link[2048];
    assert_true(srv_header(r, "link", link, sizeof link));
    char *next = strstr(link, "rel=\"next\"");
    assert_non_null(next);
    char *open = next;
    while (open > link && *open != '<')
        open--;
    char *close = strchr(open, '>');
    assert_non_null(close);
    *close = '\0';
    size_t n = strlen(rel);
    assert_true(*open == '<' && strncmp(open + 1, rel, n) == 0 && open[1 + n] == '?');
    snprintf(buf, cap, "%s", open + 1 + n);
    return buf;
}

/* A fresh channel name per call, so tests never share state. */
static inline const char *srv_unique_channel(const char *prefix)
{
    static char name[128];
    static unsigned counter;
    snprintf(name, sizeof name, "%s-%d-%u", prefix, (int)getpid(), ++counter);
    return name;
}

#endif
