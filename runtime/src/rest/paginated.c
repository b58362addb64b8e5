/* Paginated results (TG) and HttpPaginatedResponse (HP). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/gen/errors.h"
#include "codec/internal.h"
#include "rest/rest_core.h"

enum { LINK_FIRST, LINK_CURRENT, LINK_NEXT, LINK_COUNT };

struct ably_paginated_result {
    ably_rest *rest;
    ably_paginated_kind kind;
    void *items;              /* typed array, or char ** for HP */
    size_t count;
    char *path;               /* the path this page was requested with */
    ably_string_map query;    /* and its query */
    ably_string_map req_headers; /* extra request headers, repeated on every page */
    bool authenticated;
    char *links[LINK_COUNT];  /* hrefs from the Link header, or NULL */
    /* HP */
    int status;
    int error_code;
    char *error_message;
    ably_string_map headers;
};

/* ---- msgpack -> JSON text ---- */

static int mp_to_json(const msgpack_object *o, ably_buf *b, int depth)
{
    if (depth > ABLY_CODEC_MAX_DEPTH)
        return -1;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return ably_buf_append_str(b, "null");
    case MSGPACK_OBJECT_BOOLEAN: return ably_buf_append_str(b, o->via.boolean ? "true" : "false");
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return jw_uint(b, o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return jw_int(b, o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return isfinite(o->via.f64) ? jw_double(b, o->via.f64) : ably_buf_append_str(b, "null");
    case MSGPACK_OBJECT_STR: return jw_string(b, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN: {
        size_t n = codec_base64_len(o->via.bin.size);
        if (ably_buf_append_str(b, "\"") || ably_buf_reserve(b, n + 1))
            return -1;
        codec_base64_encode((const unsigned char *)o->via.bin.ptr, o->via.bin.size, b->data + b->len);
        b->len += n;
        return ably_buf_append_str(b, "\"");
    }
    case MSGPACK_OBJECT_ARRAY:
        if (ably_buf_append_str(b, "["))
            return -1;
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if ((i && ably_buf_append_str(b, ",")) || mp_to_json(&o->via.array.ptr[i], b, depth + 1))
                return -1;
        return ably_buf_append_str(b, "]");
    case MSGPACK_OBJECT_MAP:
        if (ably_buf_append_str(b, "{"))
            return -1;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (i && ably_buf_append_str(b, ","))
                return -1;
            if (k->type == MSGPACK_OBJECT_STR) {
                if (jw_string(b, k->via.str.ptr, k->via.str.size))
                    return -1;
            } else {
                /* JSON keys are strings: render the key, then quote it. */
                ably_buf kb;
                ably_buf_init(&kb);
                int bad = mp_to_json(k, &kb, depth + 1) || jw_string(b, kb.data ? kb.data : "", kb.len);
                ably_buf_free(&kb);
                if (bad)
                    return -1;
            }
            if (ably_buf_append_str(b, ":") || mp_to_json(&o->via.map.ptr[i].val, b, depth + 1))
                return -1;
        }
        return ably_buf_append_str(b, "}");
    default: return ably_buf_append_str(b, "null"); /* ext: no JSON equivalent */
    }
}

int ably_rest_reply_json(const ably_rest_reply *reply, ably_buf *out, ably_error *err)
{
    ably_buf_reset(out);
    if (!reply->body.len)
        return ably_buf_append(out, "", 0);
    if (reply->format == ABLY_FORMAT_JSON)
        return ably_buf_append(out, reply->body.data, reply->body.len);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&u, reply->body.data, reply->body.len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == reply->body.len)
        rc = mp_to_json(&u.data, out, 0);
    msgpack_unpacked_destroy(&u);
    if (rc != 0)
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "malformed msgpack reply body");
    return rc;
}

/* ---- Link header (TG4) ---- */

/* Parses `<href>; rel="next", <href>; rel="first"` into links[]. */
static void parse_links(const char *header, char **links)
{
    const char *p = header;
    while (p && *p) {
        const char *lt = strchr(p, '<');
        if (!lt)
            return;
        const char *gt = strchr(lt, '>');
        if (!gt)
            return;
        const char *end = strchr(gt, ',');
        size_t seg = end ? (size_t)(end - gt) : strlen(gt);
        const char *rel = NULL;
        for (const char *q = gt; q + 4 <= gt + seg; q++)
            if (strncmp(q, "rel=", 4) == 0) {
                rel = q + 4;
                break;
            }
        if (rel) {
            if (*rel == '"')
                rel++;
            size_t rl = strcspn(rel, "\";, ");
            int which = rl == 4 && !strncmp(rel, "next", 4)      ? LINK_NEXT
                        : rl == 5 && !strncmp(rel, "first", 5)   ? LINK_FIRST
                        : rl == 7 && !strncmp(rel, "current", 7) ? LINK_CURRENT
                                                                 : -1;
            if (which >= 0 && !links[which])
                links[which] = strndup(lt + 1, (size_t)(gt - lt - 1));
        }
        p = end ? end + 1 : NULL;
    }
}

/* Splits an href into a path (resolved against base_path) and decoded query params. */
static int resolve_link(const char *href, const char *base_path, char **path, ably_string_map *query)
{
    size_t plen = strcspn(href, "?");
    const char *rel = href;
    ably_buf b;
    ably_buf_init(&b);
    if (rel[0] != '/') {
        /* Relative ("./messages?..."): replace the last segment of the base path. */
        const char *slash = strrchr(base_path, '/');
        ably_buf_append(&b, base_path, slash ? (size_t)(slash - base_path) + 1 : 0);
        if (!strncmp(rel, "./", 2)) {
            rel += 2;
            plen -= 2;
        }
    }
    if (ably_buf_append(&b, rel, plen) != 0) {
        ably_buf_free(&b);
        return -1;
    }
    *path = ably_buf_detach(&b, NULL);
    const char *q = rel[plen] == '?' ? rel + plen + 1 : NULL;
    while (q && *q) {
        size_t pair = strcspn(q, "&");
        const char *eq = memchr(q, '=', pair);
        size_t kl = eq ? (size_t)(eq - q) : pair;
        char *k = ably_url_decode(q, kl);
        char *v = eq ? ably_url_decode(eq + 1, pair - kl - 1) : strdup("");
        int bad = !k || !v || ably_string_map_set(query, k, v);
        free(k);
        free(v);
        if (bad)
            return -1;
        q = q[pair] ? q + pair + 1 : NULL;
    }
    return 0;
}

/* ---- items ---- */

static int decode_typed(ably_paginated_result *p, const ably_rest_reply *reply, ably_error *err)
{
    if (!reply->body.len)
        return 0;
    const ably_type_desc *t = p->kind.type;
    ably_error first = {0};
    if (ably_decode_array(t, reply->format, reply->body.data, reply->body.len, &p->items, &p->count, &first) != 0) {
        /* A single object is a page of one. */
        void *one = calloc(1, t->size);
        if (!one || ably_decode(t, reply->format, reply->body.data, reply->body.len, one, NULL) != 0) {
            free(one);
            if (err) {
                ably_error_clear(err);
                *err = first;
            } else {
                ably_error_clear(&first);
            }
            return -1;
        }
        p->items = one;
        p->count = 1;
    }
    ably_error_clear(&first);
    return p->kind.hook ? p->kind.hook(p->kind.hook_ctx, p->items, p->count, err) : 0;
}

static int push_json(ably_paginated_result *p, const cJSON *node)
{
    char *text = cJSON_PrintUnformatted(node);
    char **grown = text ? realloc(p->items, (p->count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(text);
        return -1;
    }
    grown[p->count++] = text;
    p->items = grown;
    return 0;
}

/* HP3: an array gives its elements, an object gives one item, empty gives none. */
static int decode_json_items(ably_paginated_result *p, const ably_rest_reply *reply, ably_error *err)
{
    ably_buf json;
    ably_buf_init(&json);
    if (ably_rest_reply_json(reply, &json, err) != 0) {
        ably_buf_free(&json);
        return -1;
    }
    int rc = 0;
    if (json.len) {
        cJSON *root = codec_json_parse_text(json.data, json.len);
        if (!root) {
            /* Not JSON (e.g. a text/plain error page): no items, but keep the page. */
            rc = p->status >= 400 ? 0 : -1;
            if (rc)
                ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "reply body is not valid JSON");
        } else if (cJSON_IsArray(root)) {
            for (const cJSON *it = root->child; it && rc == 0; it = it->next)
                rc = push_json(p, it);
        } else {
            rc = push_json(p, root);
        }
        cJSON_Delete(root);
    }
    ably_buf_free(&json);
    return rc;
}

static void free_items(ably_paginated_result *p)
{
    if (p->kind.type) {
        ably_free_array(p->kind.type, p->items, p->count);
    } else {
        char **texts = p->items;
        for (size_t i = 0; i < p->count; i++)
            free(texts[i]);
        free(texts);
    }
    p->items = NULL;
    p->count = 0;
}

void ably_paginated_result_free(ably_paginated_result *p)
{
    if (!p)
        return;
    free_items(p);
    free(p->path);
    ably_string_map_clear(&p->query);
    ably_string_map_clear(&p->req_headers);
    for (int i = 0; i < LINK_COUNT; i++)
        free(p->links[i]);
    free(p->error_message);
    ably_string_map_clear(&p->headers);
    free(p);
}

static int copy_map(ably_string_map *dst, const ably_string_map *src)
{
    for (size_t i = 0; src && i < src->count; i++)
        if (ably_string_map_set(dst, src->items[i].key, src->items[i].value))
            return -1;
    return 0;
}

/* HP6, HP7: from the X-Ably-Error* headers, else from the error body. */
static void fill_hp_error(ably_paginated_result *p, const ably_rest_reply *reply)
{
    const char *code = ably_string_map_get(&reply->headers, "x-ably-errorcode");
    const char *msg = ably_string_map_get(&reply->headers, "x-ably-errormessage");
    if (code)
        p->error_code = atoi(code);
    if (msg)
        p->error_message = strdup(msg);
    if (reply->status >= 400 && (!code || !msg)) {
        ably_error e = {0};
        ably_rest_error_from_reply(reply, &e);
        if (!code && e.has_code)
            p->error_code = (int)e.code;
        if (!msg && e.message)
            p->error_message = strdup(e.message);
        ably_error_clear(&e);
    }
}

int ably_paginated_fetch(ably_rest *rest, const ably_paginated_kind *kind, const ably_rest_call *call,
                         ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(rest, call, &reply, err);
    bool hp = kind->type == NULL;
    if (rc != 0 && !(hp && reply.status >= 400)) {
        ably_rest_reply_clear(&reply);
        return -1;
    }
    if (rc != 0) { /* HP: the error is reported through the page */
        ably_error_clear(err);
    }
    ably_paginated_result *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    p->rest = rest;
    p->kind = *kind;
    p->authenticated = call->authenticated;
    p->status = reply.status;
    if (!(p->path = strdup(call->path)) || copy_map(&p->query, call->query) ||
        copy_map(&p->req_headers, call->headers))
        goto oom;
    const char *link = ably_string_map_get(&reply.headers, "link");
    if (link)
        parse_links(link, p->links);
    if (hp) {
        fill_hp_error(p, &reply);
        p->headers = reply.headers; /* HP8: handed over */
        memset(&reply.headers, 0, sizeof reply.headers);
        rc = decode_json_items(p, &reply, err);
    } else {
        rc = decode_typed(p, &reply, err);
    }
    ably_rest_reply_clear(&reply);
    if (rc != 0) {
        ably_paginated_result_free(p);
        return -1;
    }
    *out = p;
    return 0;
oom:
    ably_rest_reply_clear(&reply);
    ably_paginated_result_free(p);
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    return -1;
}

/* Fetches the page an href points to (or this page's own request when href is NULL). */
static int follow(const ably_paginated_result *p, const char *href, ably_paginated_result **out, ably_error *err)
{
    char *path = NULL;
    ably_string_map query = {0};
    if (href && resolve_link(href, p->path, &path, &query) != 0) {
        free(path);
        ably_string_map_clear(&query);
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    ably_rest_call call = {
        .method = "GET", .path = href ? path : p->path, .query = href ? &query : &p->query,
        .headers = &p->req_headers, .authenticated = p->authenticated,
    };
    int rc = ably_paginated_fetch(p->rest, &p->kind, &call, out, err);
    free(path);
    ably_string_map_clear(&query);
    return rc;
}

int ably_paginated_result_next(const ably_paginated_result *p, ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    return p->links[LINK_NEXT] ? follow(p, p->links[LINK_NEXT], out, err) : 0;
}

int ably_paginated_result_first(const ably_paginated_result *p, ably_paginated_result **out, ably_error *err)
{
    return follow(p, p->links[LINK_FIRST], out, err);
}

int ably_paginated_result_current(const ably_paginated_result *p, ably_paginated_result **out, ably_error *err)
{
    return follow(p, p->links[LINK_CURRENT], out, err);
}

/* ---- accessors ---- */

const void *ably_paginated_result_items(const ably_paginated_result *p, size_t *count)
{
    *count = p->count;
    return p->items;
}

const ably_type_desc *ably_paginated_result_type(const ably_paginated_result *p) { return p->kind.type; }

const ably_stats *ably_paginated_result_stats(const ably_paginated_result *p, size_t *count)
{
    bool match = p->kind.type == &ably_stats_desc;
    *count = match ? p->count : 0;
    return match ? p->items : NULL;
}

const char *const *ably_paginated_result_json_items(const ably_paginated_result *p, size_t *count)
{
    bool match = p->kind.type == NULL;
    *count = match ? p->count : 0;
    return match ? p->items : NULL;
}

bool ably_paginated_result_has_next(const ably_paginated_result *p) { return p->links[LINK_NEXT] != NULL; }
bool ably_paginated_result_is_last(const ably_paginated_result *p) { return p->links[LINK_NEXT] == NULL; }
int ably_paginated_result_status_code(const ably_paginated_result *p) { return p->status; }
bool ably_paginated_result_success(const ably_paginated_result *p) { return p->status >= 200 && p->status < 300; }
int ably_paginated_result_error_code(const ably_paginated_result *p) { return p->error_code; }
const char *ably_paginated_result_error_message(const ably_paginated_result *p) { return p->error_message; }
const ably_string_map *ably_paginated_result_headers(const ably_paginated_result *p) { return &p->headers; }
