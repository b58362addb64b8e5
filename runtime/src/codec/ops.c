/* Descriptor-driven init / clear / copy / equal, and helpers the engines share. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int codec_fail(ably_error *err, const ably_type_desc *t, const ably_field_desc *f, const char *fmt, ...)
{
    if (!err)
        return -1;
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (f)
        ably_error_set(err, CODEC_ERROR_CODE, CODEC_ERROR_STATUS, "%s.%s: %s", t->name, f->wire_name, detail);
    else
        ably_error_set(err, CODEC_ERROR_CODE, CODEC_ERROR_STATUS, "%s: %s", t->name, detail);
    return -1;
}

int codec_oom(ably_error *err)
{
    ably_error_set(err, 50000, 500, "out of memory");
    return -1;
}

char *codec_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

bool codec_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, eight bytes at a time. */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned min;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        unsigned cp = c & (0x3f >> need);
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false; /* overlong, out of range, or a UTF-16 surrogate */
        i += need + 1;
    }
    return true;
}

bool codec_json_depth_ok(const cJSON *node, int budget)
{
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return true;
    if (budget <= 0)
        return false;
    for (const cJSON *c = node->child; c; c = c->next)
        if (!codec_json_depth_ok(c, budget - 1))
            return false;
    return true;
}

cJSON *codec_json_parse_exact(const char *buf, size_t len)
{
    /* cJSON's require_null_terminated wants a NUL inside `len`, so check the tail here. */
    const char *end = NULL;
    cJSON *node = cJSON_ParseWithLengthOpts(buf, len, &end, false);
    if (!node)
        return NULL;
    for (const char *p = end; p < buf + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(node);
            return NULL;
        }
    }
    return node;
}

cJSON *codec_json_parse_text(const char *text, size_t len)
{
    if (!codec_utf8_valid(text, len))
        return NULL;
    cJSON *node = codec_json_parse_exact(text, len);
    if (node && !codec_json_depth_ok(node, ABLY_CODEC_MAX_DEPTH)) {
        cJSON_Delete(node);
        return NULL;
    }
    return node;
}

bool codec_field_present(const ably_field_desc *f, const void *value)
{
    const void *m = cmember(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
    case ABLY_FIELD_JSON:
    case ABLY_FIELD_OBJECT:
        return *(void *const *)m != NULL;
    case ABLY_FIELD_INT:
    case ABLY_FIELD_DOUBLE:
    case ABLY_FIELD_BOOL:
    case ABLY_FIELD_ENUM:
        return *(const bool *)cmember(value, f->aux_offset);
    case ABLY_FIELD_DATA:
        return ((const ably_data *)m)->type != ABLY_DATA_NONE;
    case ABLY_FIELD_OBJECT_ARRAY:
    case ABLY_FIELD_STRING_ARRAY:
        return *(const size_t *)cmember(value, f->aux_offset) != 0;
    case ABLY_FIELD_STRING_MAP:
        return ((const ably_string_map *)m)->count != 0;
    case ABLY_FIELD_NUMBER_MAP:
        return ((const ably_number_map *)m)->count != 0;
    }
    return false;
}

void codec_field_clear(const ably_field_desc *f, void *value)
{
    void *m = member(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
    case ABLY_FIELD_JSON:
        free(*(char **)m);
        *(char **)m = NULL;
        break;
    case ABLY_FIELD_INT:
        *(int64_t *)m = 0;
        *(bool *)member(value, f->aux_offset) = false;
        break;
    case ABLY_FIELD_DOUBLE:
        *(double *)m = 0;
        *(bool *)member(value, f->aux_offset) = false;
        break;
    case ABLY_FIELD_BOOL:
        *(bool *)m = false;
        *(bool *)member(value, f->aux_offset) = false;
        break;
    case ABLY_FIELD_ENUM:
        *(int *)m = 0;
        *(bool *)member(value, f->aux_offset) = false;
        break;
    case ABLY_FIELD_DATA:
        ably_data_clear(m);
        break;
    case ABLY_FIELD_OBJECT: {
        void *obj = *(void **)m;
        if (obj) {
            ably_value_clear(f->type, obj);
            free(obj);
        }
        *(void **)m = NULL;
        break;
    }
    case ABLY_FIELD_OBJECT_ARRAY: {
        size_t *count = member(value, f->aux_offset);
        ably_free_array(f->type, *(void **)m, *count);
        *(void **)m = NULL;
        *count = 0;
        break;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        size_t *count = member(value, f->aux_offset);
        char **items = *(char ***)m;
        for (size_t i = 0; i < *count; i++)
            free(items[i]);
        free(items);
        *(char ***)m = NULL;
        *count = 0;
        break;
    }
    case ABLY_FIELD_STRING_MAP:
        ably_string_map_clear(m);
        break;
    case ABLY_FIELD_NUMBER_MAP:
        ably_number_map_clear(m);
        break;
    }
}

void ably_value_init(const ably_type_desc *type, void *value)
{
    memset(value, 0, type->size);
}

void ably_value_clear(const ably_type_desc *type, void *value)
{
    if (!value)
        return;
    for (size_t i = 0; i < type->count; i++)
        codec_field_clear(&type->fields[i], value);
    memset(value, 0, type->size);
}

void ably_free_array(const ably_type_desc *type, void *items, size_t count)
{
    if (!items)
        return;
    for (size_t i = 0; i < count; i++)
        ably_value_clear(type, (char *)items + i * type->size);
    free(items);
}

/* ---- copy ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int copy_field(const ably_field_desc *f, void *dst, const void *src, ably_error *err)
{
    void *d = member(dst, f->offset);
    const void *s = cmember(src, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
    case ABLY_FIELD_JSON: {
        const char *str = *(char *const *)s;
        if (str && !(*(char **)d = strdup(str)))
            return codec_oom(err);
        return 0;
    }
    case ABLY_FIELD_INT:
    case ABLY_FIELD_DOUBLE:
    case ABLY_FIELD_BOOL:
    case ABLY_FIELD_ENUM:
        /* The value and its has_ flag are plain data. */
        memcpy(d, s, f->kind == ABLY_FIELD_INT ? sizeof(int64_t)
                   : f->kind == ABLY_FIELD_DOUBLE ? sizeof(double)
                   : f->kind == ABLY_FIELD_BOOL ? sizeof(bool) : sizeof(int));
        *(bool *)member(dst, f->aux_offset) = *(const bool *)cmember(src, f->aux_offset);
        return 0;
    case ABLY_FIELD_DATA: {
        const ably_data *sd = s;
        if (sd->type != ABLY_DATA_NONE && ably_data_set(d, sd->type, sd->bytes, sd->len) != 0)
            return codec_oom(err);
        return 0;
    }
    case ABLY_FIELD_OBJECT: {
        const void *obj = *(void *const *)s;
        if (!obj)
            return 0;
        void *copy = malloc(f->type->size);
        if (!copy)
            return codec_oom(err);
        if (ably_value_copy(f->type, copy, obj, err) != 0) {
            free(copy);
            return -1;
        }
        *(void **)d = copy;
        return 0;
    }
    case ABLY_FIELD_OBJECT_ARRAY: {
        size_t count = *(const size_t *)cmember(src, f->aux_offset);
        const char *items = *(void *const *)s;
        if (!count)
            return 0;
        char *copy = calloc(count, f->type->size);
        if (!copy)
            return codec_oom(err);
        *(void **)d = copy;
        for (size_t i = 0; i < count; i++) {
            if (ably_value_copy(f->type, copy + i * f->type->size, items + i * f->type->size, err) != 0)
                return -1; /* the caller clears dst, including the items copied so far */
            *(size_t *)member(dst, f->aux_offset) = i + 1;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        size_t count = *(const size_t *)cmember(src, f->aux_offset);
        char *const *items = *(char **const *)s;
        if (!count)
            return 0;
        char **copy = calloc(count, sizeof *copy);
        if (!copy)
            return codec_oom(err);
        *(char ***)d = copy;
        for (size_t i = 0; i < count; i++) {
            if (!(copy[i] = dup_or_null(items[i])) && items[i])
                return codec_oom(err);
            *(size_t *)member(dst, f->aux_offset) = i + 1;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_MAP: {
        const ably_string_map *sm = s;
        for (size_t i = 0; i < sm->count; i++)
            if (ably_string_map_set(d, sm->items[i].key, sm->items[i].value) != 0)
                return codec_oom(err);
        return 0;
    }
    case ABLY_FIELD_NUMBER_MAP: {
        const ably_number_map *sm = s;
        for (size_t i = 0; i < sm->count; i++)
            if (ably_number_map_set(d, sm->items[i].key, sm->items[i].value) != 0)
                return codec_oom(err);
        return 0;
    }
    }
    return 0;
}

int ably_value_copy(const ably_type_desc *type, void *dst, const void *src, ably_error *err)
{
    memset(dst, 0, type->size);
    for (size_t i = 0; i < type->count; i++) {
        if (copy_field(&type->fields[i], dst, src, err) != 0) {
            ably_value_clear(type, dst);
            return -1;
        }
    }
    return 0;
}

/* ---- equal ---- */

static bool json_text_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return true;
    cJSON *ja = cJSON_ParseWithLength(a, alen);
    cJSON *jb = cJSON_ParseWithLength(b, blen);
    bool eq = ja && jb && cJSON_Compare(ja, jb, true);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return eq;
}

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool field_equal(const ably_field_desc *f, const void *a, const void *b)
{
    const void *ma = cmember(a, f->offset);
    const void *mb = cmember(b, f->offset);
    bool pa = codec_field_present(f, a), pb = codec_field_present(f, b);
    if (pa != pb)
        return false;
    if (!pa)
        return true;
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        return str_equal(*(char *const *)ma, *(char *const *)mb);
    case ABLY_FIELD_JSON: {
        const char *sa = *(char *const *)ma, *sb = *(char *const *)mb;
        return json_text_equal(sa, strlen(sa), sb, strlen(sb));
    }
    case ABLY_FIELD_INT:
        return *(const int64_t *)ma == *(const int64_t *)mb;
    case ABLY_FIELD_DOUBLE:
        return *(const double *)ma == *(const double *)mb;
    case ABLY_FIELD_BOOL:
        return *(const bool *)ma == *(const bool *)mb;
    case ABLY_FIELD_ENUM:
        return *(const int *)ma == *(const int *)mb;
    case ABLY_FIELD_DATA: {
        const ably_data *da = ma, *db = mb;
        if (da->type != db->type)
            return false;
        if (da->type == ABLY_DATA_JSON)
            return json_text_equal(da->bytes, da->len, db->bytes, db->len);
        return da->len == db->len && (da->len == 0 || memcmp(da->bytes, db->bytes, da->len) == 0);
    }
    case ABLY_FIELD_OBJECT:
        return ably_value_equal(f->type, *(void *const *)ma, *(void *const *)mb);
    case ABLY_FIELD_OBJECT_ARRAY: {
        size_t n = *(const size_t *)cmember(a, f->aux_offset);
        if (n != *(const size_t *)cmember(b, f->aux_offset))
            return false;
        const char *ia = *(void *const *)ma, *ib = *(void *const *)mb;
        for (size_t i = 0; i < n; i++)
            if (!ably_value_equal(f->type, ia + i * f->type->size, ib + i * f->type->size))
                return false;
        return true;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        size_t n = *(const size_t *)cmember(a, f->aux_offset);
        if (n != *(const size_t *)cmember(b, f->aux_offset))
            return false;
        char *const *ia = *(char **const *)ma, *const *ib = *(char **const *)mb;
        for (size_t i = 0; i < n; i++)
            if (!str_equal(ia[i], ib[i]))
                return false;
        return true;
    }
    case ABLY_FIELD_STRING_MAP: {
        const ably_string_map *xa = ma, *xb = mb;
        if (xa->count != xb->count)
            return false;
        for (size_t i = 0; i < xa->count; i++)
            if (!str_equal(ably_string_map_get(xb, xa->items[i].key), xa->items[i].value))
                return false;
        return true;
    }
    case ABLY_FIELD_NUMBER_MAP: {
        const ably_number_map *xa = ma, *xb = mb;
        if (xa->count != xb->count)
            return false;
        for (size_t i = 0; i < xa->count; i++) {
            double v;
            if (!ably_number_map_get(xb, xa->items[i].key, &v) || v != xa->items[i].value)
                return false;
        }
        return true;
    }
    }
    return false;
}

bool ably_value_equal(const ably_type_desc *type, const void *a, const void *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    for (size_t i = 0; i < type->count; i++)
        if (!field_equal(&type->fields[i], a, b))
            return false;
    return true;
}
