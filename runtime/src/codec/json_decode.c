/* JSON decoder: cJSON parses the document (bounded nesting, exact lengths); this
 * file walks the tree by descriptor into the structs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* cJSON keeps numbers as doubles, which hold every integer below 2^53 exactly; 2^53
 * itself may be 2^53+1 rounded, so the largest accepted magnitude is 2^53-1 (JavaScript's
 * Number.MAX_SAFE_INTEGER). Beyond it we fail rather than return a rounded value. */
#define EXACT_INT_LIMIT 9007199254740991.0

static const ably_field_desc *find_field(const ably_type_desc *t, const char *key, size_t *hint)
{
    size_t len = strlen(key);
    /* Wire order usually follows schema order: start just after the last match. */
    for (size_t k = 0; k < t->count; k++) {
        size_t i = (*hint + k) % t->count;
        const ably_field_desc *f = &t->fields[i];
        if (f->wire_len == len && memcmp(f->wire_name, key, len) == 0) {
            *hint = i + 1;
            return f;
        }
    }
    return NULL;
}

static int take_string(const ably_type_desc *t, const ably_field_desc *f, const cJSON *node, char **out,
                       ably_error *err)
{
    if (!cJSON_IsString(node))
        return codec_fail(err, t, f, "expected a string");
    size_t n = strlen(node->valuestring);
    if (!codec_utf8_valid(node->valuestring, n))
        return codec_fail(err, t, f, "invalid UTF-8");
    if (!(*out = codec_strndup(node->valuestring, n)))
        return codec_oom(err);
    return 0;
}

/* Prints a JSON value back to compact text, checking depth and UTF-8 on the way. */
static int take_json_text(const ably_type_desc *t, const ably_field_desc *f, const cJSON *node, char **out,
                          size_t *len, ably_error *err)
{
    if (!codec_json_depth_ok(node, ABLY_CODEC_MAX_DEPTH))
        return codec_fail(err, t, f, "JSON nested deeper than %d", ABLY_CODEC_MAX_DEPTH);
    char *text = cJSON_PrintUnformatted(node);
    if (!text)
        return codec_oom(err);
    size_t n = strlen(text);
    if (!codec_utf8_valid(text, n)) {
        free(text);
        return codec_fail(err, t, f, "invalid UTF-8");
    }
    *out = text;
    if (len)
        *len = n;
    return 0;
}

static int take_int(const ably_type_desc *t, const ably_field_desc *f, const cJSON *node, int64_t *out,
                    double limit, ably_error *err)
{
    if (!cJSON_IsNumber(node))
        return codec_fail(err, t, f, "expected an integer");
    double d = node->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) > limit)
        return codec_fail(err, t, f, "integer out of range or not integral");
    *out = (int64_t)d;
    return 0;
}

static int decode_field(const ably_type_desc *t, const ably_field_desc *f, const cJSON *node, void *value,
                        ably_error *err, int depth)
{
    void *m = member(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        return take_string(t, f, node, (char **)m, err);
    case ABLY_FIELD_JSON:
        return take_json_text(t, f, node, (char **)m, NULL, err);
    case ABLY_FIELD_INT:
        if (take_int(t, f, node, m, EXACT_INT_LIMIT, err) != 0)
            return -1;
        break;
    case ABLY_FIELD_DOUBLE:
        if (!cJSON_IsNumber(node) || !isfinite(node->valuedouble))
            return codec_fail(err, t, f, "expected a number");
        *(double *)m = node->valuedouble;
        break;
    case ABLY_FIELD_BOOL:
        if (!cJSON_IsBool(node))
            return codec_fail(err, t, f, "expected true or false");
        *(bool *)m = cJSON_IsTrue(node);
        break;
    case ABLY_FIELD_ENUM:
        if (f->enum_desc->wire == ABLY_ENUM_WIRE_INT) {
            int64_t v = 0;
            if (take_int(t, f, node, &v, 2147483647.0, err) != 0)
                return -1;
            *(int *)m = (int)v; /* unknown numbers are kept (forward compatibility) */
        } else {
            if (!cJSON_IsString(node))
                return codec_fail(err, t, f, "expected a string");
            const ably_enum_value *ev =
                ably_enum_find_wire(f->enum_desc, node->valuestring, strlen(node->valuestring));
            if (!ev)
                return 0; /* unknown text: left absent (see codec.h) */
            *(int *)m = ev->value;
        }
        break;
    case ABLY_FIELD_DATA: {
        ably_data *d = m;
        if (cJSON_IsString(node)) {
            if (take_string(t, f, node, &d->bytes, err) != 0)
                return -1;
            d->len = strlen(d->bytes);
            d->type = ABLY_DATA_STRING;
        } else if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
            if (take_json_text(t, f, node, &d->bytes, &d->len, err) != 0)
                return -1;
            d->type = ABLY_DATA_JSON;
        } else {
            return codec_fail(err, t, f, "expected string, binary, object or array");
        }
        return 0;
    }
    case ABLY_FIELD_OBJECT: {
        if (!cJSON_IsObject(node))
            return codec_fail(err, t, f, "expected an object");
        void *obj = malloc(f->type->size);
        if (!obj)
            return codec_oom(err);
        if (codec_json_decode_value(f->type, node, obj, err, depth + 1) != 0) {
            free(obj);
            return -1;
        }
        *(void **)m = obj;
        return 0;
    }
    case ABLY_FIELD_OBJECT_ARRAY: {
        if (!cJSON_IsArray(node))
            return codec_fail(err, t, f, "expected an array");
        size_t n = (size_t)cJSON_GetArraySize(node);
        if (!n)
            return 0;
        char *items = calloc(n, f->type->size);
        if (!items)
            return codec_oom(err);
        *(void **)m = items;
        size_t *count = member(value, f->aux_offset);
        for (const cJSON *c = node->child; c; c = c->next) {
            if (!cJSON_IsObject(c))
                return codec_fail(err, t, f, "item %zu: expected an object", *count);
            if (codec_json_decode_value(f->type, c, items + *count * f->type->size, err, depth + 1) != 0)
                return -1; /* items decoded so far are freed with the rest of *value */
            (*count)++;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        if (!cJSON_IsArray(node))
            return codec_fail(err, t, f, "expected an array of strings");
        size_t n = (size_t)cJSON_GetArraySize(node);
        if (!n)
            return 0;
        char **items = calloc(n, sizeof *items);
        if (!items)
            return codec_oom(err);
        *(char ***)m = items;
        size_t *count = member(value, f->aux_offset);
        for (const cJSON *c = node->child; c; c = c->next) {
            /* null items stay NULL, keeping the array 1:1 with the wire (PBR2a) */
            if (!cJSON_IsNull(c) && take_string(t, f, c, &items[*count], err) != 0)
                return -1;
            (*count)++;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_MAP: {
        if (!cJSON_IsObject(node))
            return codec_fail(err, t, f, "expected an object of strings");
        for (const cJSON *c = node->child; c; c = c->next) {
            if (!cJSON_IsString(c))
                return codec_fail(err, t, f, "value of %s: expected a string", c->string);
            if (!codec_utf8_valid(c->string, strlen(c->string)) ||
                !codec_utf8_valid(c->valuestring, strlen(c->valuestring)))
                return codec_fail(err, t, f, "invalid UTF-8");
            if (ably_string_map_set(m, c->string, c->valuestring) != 0)
                return codec_oom(err);
        }
        return 0;
    }
    case ABLY_FIELD_NUMBER_MAP: {
        if (!cJSON_IsObject(node))
            return codec_fail(err, t, f, "expected an object of numbers");
        for (const cJSON *c = node->child; c; c = c->next) {
            if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
                return codec_fail(err, t, f, "value of %s: expected a number", c->string);
            if (!codec_utf8_valid(c->string, strlen(c->string)))
                return codec_fail(err, t, f, "invalid UTF-8");
            if (ably_number_map_set(m, c->string, c->valuedouble) != 0)
                return codec_oom(err);
        }
        return 0;
    }
    }
    /* Scalars with a has_ flag land here. */
    *(bool *)member(value, f->aux_offset) = true;
    return 0;
}

int codec_json_decode_value(const ably_type_desc *t, const cJSON *node, void *out, ably_error *err, int depth)
{
    memset(out, 0, t->size);
    if (depth > ABLY_CODEC_MAX_DEPTH)
        return codec_fail(err, t, NULL, "nested deeper than %d", ABLY_CODEC_MAX_DEPTH);
    if (!cJSON_IsObject(node))
        return codec_fail(err, t, NULL, "expected an object");
    size_t hint = 0;
    for (const cJSON *c = node->child; c; c = c->next) {
        const ably_field_desc *f = find_field(t, c->string, &hint);
        if (!f || cJSON_IsNull(c))
            continue; /* RSF1: unknown fields are ignored; null means absent */
        codec_field_clear(f, out); /* a repeated key replaces the earlier value */
        if (decode_field(t, f, c, out, err, depth) != 0) {
            ably_value_clear(t, out);
            return -1;
        }
    }
    for (size_t i = 0; i < t->count; i++) {
        const ably_field_desc *f = &t->fields[i];
        if (f->required && !codec_field_present(f, out)) {
            ably_value_clear(t, out);
            return codec_fail(err, t, f, "required field missing");
        }
    }
    return 0;
}

int codec_json_decode_array(const ably_type_desc *t, const cJSON *node, void **items, size_t *count,
                            ably_error *err)
{
    *items = NULL;
    *count = 0;
    if (!cJSON_IsArray(node))
        return codec_fail(err, t, NULL, "expected an array");
    size_t n = (size_t)cJSON_GetArraySize(node);
    if (!n)
        return 0;
    char *out = calloc(n, t->size);
    if (!out)
        return codec_oom(err);
    size_t done = 0;
    for (const cJSON *c = node->child; c; c = c->next, done++) {
        if (codec_json_decode_value(t, c, out + done * t->size, err, 0) != 0) {
            ably_free_array(t, out, done);
            return -1;
        }
    }
    *items = out;
    *count = done;
    return 0;
}
