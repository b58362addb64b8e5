#include "sbx_capability.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *const OP_NAMES[] = {
    "annotation-publish", "annotation-subscribe", "channel-metadata", "history",
    "message-delete-any", "message-delete-own", "message-update-any", "message-update-own",
    "object-publish", "object-subscribe", "presence", "privileged-headers", "publish",
    "push-admin", "push-subscribe", "stats", "subscribe",
};
#define OP_COUNT (sizeof OP_NAMES / sizeof OP_NAMES[0])

uint32_t sbx_cap_op_from_name(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "*") == 0)
        return SBX_OP_ALL;
    for (size_t i = 0; i < OP_COUNT; i++)
        if (strcmp(name, OP_NAMES[i]) == 0)
            return 1u << i;
    return 0;
}

void sbx_cap_clear(sbx_capability *cap)
{
    if (!cap)
        return;
    for (size_t i = 0; i < cap->count; i++)
        free(cap->entries[i].resource);
    free(cap->entries);
    cap->entries = NULL;
    cap->count = 0;
}

/* Adds ops to `resource`, merging with an existing entry of the same name. */
static int cap_add(sbx_capability *cap, const char *resource, uint32_t ops)
{
    for (size_t i = 0; i < cap->count; i++) {
        if (strcmp(cap->entries[i].resource, resource) == 0) {
            cap->entries[i].ops |= ops;
            return 0;
        }
    }
    sbx_cap_entry *grown = realloc(cap->entries, (cap->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    cap->entries = grown;
    char *copy = strdup(resource);
    if (!copy)
        return -1;
    cap->entries[cap->count].resource = copy;
    cap->entries[cap->count].ops = ops;
    cap->count++;
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const sbx_cap_entry *)a)->resource, ((const sbx_cap_entry *)b)->resource);
}

static void cap_sort(sbx_capability *cap)
{
    if (cap->count > 1)
        qsort(cap->entries, cap->count, sizeof *cap->entries, entry_cmp);
}

int sbx_cap_parse(const char *json, sbx_capability *out, const char **why)
{
    static const char *ignored;
    if (!why)
        why = &ignored;
    out->entries = NULL;
    out->count = 0;
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(root)) {
        *why = "capability is not a JSON object";
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *res;
    cJSON_ArrayForEach(res, root) {
        if (!cJSON_IsArray(res) || cJSON_GetArraySize(res) == 0 || !res->string[0]) {
            *why = "capability resource must map to a non-empty array of operations";
            goto fail;
        }
        uint32_t ops = 0;
        const cJSON *op;
        cJSON_ArrayForEach(op, res) {
            uint32_t bit = cJSON_IsString(op) ? sbx_cap_op_from_name(op->valuestring) : 0;
            if (!bit) {
                *why = "capability names an unknown operation";
                goto fail;
            }
            ops |= bit;
        }
        if (cap_add(out, res->string, ops) != 0) {
            *why = "out of memory";
            goto fail;
        }
    }
    cJSON_Delete(root);
    cap_sort(out);
    return 0;
fail:
    cJSON_Delete(root);
    sbx_cap_clear(out);
    return -1;
}

/* A resource or channel split into qualifier and name. */
typedef enum { QUAL_NONE, QUAL_ANY, QUAL_NAMED } qual_kind;
typedef struct {
    qual_kind kind;
    const char *qual; /* QUAL_NAMED: start of the qualifier text */
    size_t qual_len;
    const char *name;
} split_name;

/* "[q?p]name", "[?p]name", "[q]name" or "name". A bracket with only params is
 * not a qualifier. An unterminated bracket is treated as part of the name. */
static split_name split(const char *s, bool is_resource)
{
    split_name out = { QUAL_NONE, NULL, 0, s };
    if (s[0] != '[')
        return out;
    const char *close = strchr(s, ']');
    if (!close)
        return out;
    const char *q = s + 1;
    size_t qlen = (size_t)(close - q);
    const char *params = memchr(q, '?', qlen);
    if (params)
        qlen = (size_t)(params - q);
    out.name = close + 1;
    if (qlen == 0)
        return out;
    if (is_resource && qlen == 1 && q[0] == '*') {
        out.kind = QUAL_ANY;
        return out;
    }
    out.kind = QUAL_NAMED;
    out.qual = q;
    out.qual_len = qlen;
    return out;
}

static bool name_matches(const char *pattern, const char *name)
{
    size_t plen = strlen(pattern);
    if (plen == 1 && pattern[0] == '*')
        return true;
    if (plen > 0 && pattern[plen - 1] == '*') {
        size_t prefix = plen - 1;
        return strlen(name) > prefix && strncmp(pattern, name, prefix) == 0;
    }
    return strcmp(pattern, name) == 0;
}

static bool qual_covers(const split_name *outer, const split_name *inner)
{
    switch (outer->kind) {
    case QUAL_ANY:
        return true;
    case QUAL_NONE:
        return inner->kind == QUAL_NONE;
    case QUAL_NAMED:
        return inner->kind == QUAL_NAMED && inner->qual_len == outer->qual_len &&
               memcmp(inner->qual, outer->qual, outer->qual_len) == 0;
    }
    return false;
}

static bool resource_matches(const char *resource, const char *channel)
{
    split_name r = split(resource, true), c = split(channel, false);
    return qual_covers(&r, &c) && name_matches(r.name, c.name);
}

bool sbx_cap_permits(const sbx_capability *cap, const char *channel, uint32_t op)
{
    for (size_t i = 0; i < cap->count; i++)
        if ((cap->entries[i].ops & op) == op && resource_matches(cap->entries[i].resource, channel))
            return true;
    return false;
}

bool sbx_cap_permits_app_wide(const sbx_capability *cap, uint32_t op)
{
    for (size_t i = 0; i < cap->count; i++) {
        const char *r = cap->entries[i].resource;
        if ((cap->entries[i].ops & op) == op && (strcmp(r, "*") == 0 || strcmp(r, "[*]*") == 0))
            return true;
    }
    return false;
}

/* True when every channel `inner` matches is also matched by `outer`. */
static bool pattern_covers(const char *outer, const char *inner)
{
    size_t olen = strlen(outer);
    if (olen == 1 && outer[0] == '*')
        return true;
    if (olen > 0 && outer[olen - 1] == '*') {
        size_t prefix = olen - 1;
        /* inner must itself stay inside the prefix: "ns:a", "ns:a*", but not "ns:" */
        return strncmp(outer, inner, prefix) == 0 && strlen(inner) > prefix;
    }
    return strcmp(outer, inner) == 0;
}

static bool resource_covers(const char *outer, const char *inner)
{
    split_name o = split(outer, true), i = split(inner, true);
    if (i.kind == QUAL_ANY && o.kind != QUAL_ANY)
        return false;
    return qual_covers(&o, &i) && pattern_covers(o.name, i.name);
}

int sbx_cap_intersect(const sbx_capability *requested, const sbx_capability *allowed,
                      sbx_capability *out)
{
    out->entries = NULL;
    out->count = 0;
    for (size_t r = 0; r < requested->count; r++) {
        const sbx_cap_entry *req = &requested->entries[r];
        for (size_t a = 0; a < allowed->count; a++) {
            const sbx_cap_entry *key = &allowed->entries[a];
            uint32_t ops = req->ops & key->ops;
            if (!ops)
                continue;
            const char *resource = NULL;
            if (resource_covers(key->resource, req->resource))
                resource = req->resource;
            else if (resource_covers(req->resource, key->resource))
                resource = key->resource;
            if (resource && cap_add(out, resource, ops) != 0) {
                sbx_cap_clear(out);
                return -1;
            }
        }
    }
    cap_sort(out);
    return 0;
}

char *sbx_cap_to_json(const sbx_capability *cap)
{
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; root && i < cap->count; i++) {
        cJSON *ops = cJSON_AddArrayToObject(root, cap->entries[i].resource);
        if (cap->entries[i].ops == SBX_OP_ALL) {
            cJSON_AddItemToArray(ops, cJSON_CreateString("*"));
            continue;
        }
        for (size_t b = 0; b < OP_COUNT; b++)
            if (cap->entries[i].ops & (1u << b))
                cJSON_AddItemToArray(ops, cJSON_CreateString(OP_NAMES[b]));
    }
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
