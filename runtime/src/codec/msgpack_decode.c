/* msgpack decoder: a small bounds-checked reader that streams straight into the
 * structs, instead of msgpack_unpack.
 *
 * Why not msgpack_unpack: it first builds a msgpack_object tree in a zone (one more
 * allocation and copy per value) and sizes each array from its declared header, so a
 * 10-byte input claiming 2^32 items makes it attempt a huge allocation, which ASan
 * (and small devices) treat as fatal. Here every declared length is checked against
 * the bytes actually left before anything is allocated: a str/bin/ext length must fit
 * in the remaining input, and an array/map count may not exceed the remaining bytes
 * (each element takes at least one byte). So no allocation is ever larger than a
 * small multiple of the input size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "internal.h"

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} mp_reader;

typedef enum { MP_NIL, MP_BOOL, MP_INT, MP_UINT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT } mp_kind;

typedef struct {
    mp_kind kind;
    bool b;
    int64_t i;   /* MP_INT (negative values) */
    uint64_t u;  /* MP_UINT */
    double d;    /* MP_FLOAT */
    const char *ptr; /* MP_STR, MP_BIN, MP_EXT payload */
    uint32_t len;    /* payload length, or element count of MP_ARRAY / MP_MAP */
} mp_token;

static const char *kind_names[] = {"nil", "bool", "int", "int", "float", "str", "bin", "array", "map", "ext"};

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads `n` bytes of big-endian length/value; false when truncated. */
static bool take(mp_reader *r, int n, uint64_t *v)
{
    if (r->end - r->p < n)
        return false;
    *v = be(r->p, n);
    r->p += n;
    return true;
}

static bool payload(mp_reader *r, mp_token *t, uint64_t len)
{
    if (len > (uint64_t)(r->end - r->p))
        return false;
    t->ptr = (const char *)r->p;
    t->len = (uint32_t)len;
    r->p += len;
    return true;
}

static bool container(mp_reader *r, mp_token *t, mp_kind kind, uint64_t count)
{
    /* Every element takes at least one byte: reject counts the input cannot hold. */
    uint64_t min_bytes = kind == MP_MAP ? count * 2 : count;
    if (min_bytes > (uint64_t)(r->end - r->p))
        return false;
    t->kind = kind;
    t->len = (uint32_t)count;
    return true;
}

/* Reads one token. Containers leave the reader at their first element. */
static bool mp_next(mp_reader *r, mp_token *t)
{
    if (r->p >= r->end)
        return false;
    unsigned c = *r->p++;
    uint64_t v;
    if (c <= 0x7f) {
        t->kind = MP_UINT;
        t->u = c;
        return true;
    }
    if (c >= 0xe0) {
        t->kind = MP_INT;
        t->i = (int8_t)c;
        return true;
    }
    if ((c & 0xf0) == 0x80)
        return container(r, t, MP_MAP, c & 0x0f);
    if ((c & 0xf0) == 0x90)
        return container(r, t, MP_ARRAY, c & 0x0f);
    if ((c & 0xe0) == 0xa0) {
        t->kind = MP_STR;
        return payload(r, t, c & 0x1f);
    }
    switch (c) {
    case 0xc0: t->kind = MP_NIL; return true;
    case 0xc2: t->kind = MP_BOOL; t->b = false; return true;
    case 0xc3: t->kind = MP_BOOL; t->b = true; return true;
    case 0xc4: case 0xc5: case 0xc6:
        t->kind = MP_BIN;
        return take(r, 1 << (c - 0xc4), &v) && payload(r, t, v);
    case 0xd9: case 0xda: case 0xdb:
        t->kind = MP_STR;
        return take(r, 1 << (c - 0xd9), &v) && payload(r, t, v);
    case 0xc7: case 0xc8: case 0xc9: /* ext 8/16/32: length, type byte, payload */
        t->kind = MP_EXT;
        return take(r, 1 << (c - 0xc7), &v) && take(r, 1, &(uint64_t){0}) && payload(r, t, v);
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext 1..16 */
        t->kind = MP_EXT;
        return take(r, 1, &v) && payload(r, t, (uint64_t)1 << (c - 0xd4));
    case 0xca: {
        if (!take(r, 4, &v))
            return false;
        uint32_t bits = (uint32_t)v;
        float f;
        memcpy(&f, &bits, sizeof f);
        t->kind = MP_FLOAT;
        t->d = f;
        return true;
    }
    case 0xcb:
        if (!take(r, 8, &v))
            return false;
        memcpy(&t->d, &v, sizeof t->d);
        t->kind = MP_FLOAT;
        return true;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        t->kind = MP_UINT;
        return take(r, 1 << (c - 0xcc), &t->u);
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int n = 1 << (c - 0xd0);
        if (!take(r, n, &v))
            return false;
        /* Sign-extend the n-byte two's complement value. */
        int shift = 64 - 8 * n;
        t->i = (int64_t)(v << shift) >> shift;
        t->kind = t->i < 0 ? MP_INT : MP_UINT;
        t->u = (uint64_t)t->i;
        return true;
    }
    case 0xdc: case 0xdd:
        return take(r, c == 0xdc ? 2 : 4, &v) && container(r, t, MP_ARRAY, v);
    case 0xde: case 0xdf:
        return take(r, c == 0xde ? 2 : 4, &v) && container(r, t, MP_MAP, v);
    default: /* 0xc1 is never used */
        return false;
    }
}

/* Skips one complete value, iteratively (no recursion, so no depth limit needed). */
static bool mp_skip(mp_reader *r)
{
    uint64_t pending = 1;
    while (pending) {
        mp_token t;
        if (!mp_next(r, &t))
            return false;
        pending--;
        if (t.kind == MP_ARRAY)
            pending += t.len;
        else if (t.kind == MP_MAP)
            pending += 2 * (uint64_t)t.len;
    }
    return true;
}

/* ---- msgpack value -> JSON text (for `json` fields and map/array data) ---- */

/* 0, -1 malformed, -2 out of memory. `t` was already read. */
static int to_json(mp_reader *r, const mp_token *t, ably_buf *b, int budget)
{
    switch (t->kind) {
    case MP_NIL: return ably_buf_append_str(b, "null") ? -2 : 0;
    case MP_BOOL: return ably_buf_append_str(b, t->b ? "true" : "false") ? -2 : 0;
    case MP_INT: return jw_int(b, t->i) ? -2 : 0;
    case MP_UINT: return jw_uint(b, t->u) ? -2 : 0;
    case MP_FLOAT:
        if (!isfinite(t->d))
            return -1;
        return jw_double(b, t->d) ? -2 : 0;
    case MP_STR:
        if (!codec_utf8_valid(t->ptr, t->len))
            return -1;
        return jw_string(b, t->ptr, t->len) ? -2 : 0;
    case MP_BIN:
    case MP_EXT:
        return -1; /* no JSON equivalent */
    case MP_ARRAY:
    case MP_MAP: {
        if (budget <= 0)
            return -1;
        bool map = t->kind == MP_MAP;
        if (jw_char(b, map ? '{' : '['))
            return -2;
        for (uint32_t i = 0; i < t->len; i++) {
            mp_token k, v;
            if (i && jw_char(b, ','))
                return -2;
            if (map) {
                if (!mp_next(r, &k) || k.kind != MP_STR || !codec_utf8_valid(k.ptr, k.len))
                    return -1;
                if (jw_string(b, k.ptr, k.len) || jw_char(b, ':'))
                    return -2;
            }
            if (!mp_next(r, &v))
                return -1;
            int rc = to_json(r, &v, b, budget - 1);
            if (rc)
                return rc;
        }
        return jw_char(b, map ? '}' : ']') ? -2 : 0;
    }
    }
    return -1;
}

static int take_json(mp_reader *r, const mp_token *tok, const ably_type_desc *t, const ably_field_desc *f,
                     char **out, size_t *len, ably_error *err)
{
    ably_buf b;
    ably_buf_init(&b);
    int rc = to_json(r, tok, &b, ABLY_CODEC_MAX_DEPTH);
    if (rc == 0 && !b.data)
        rc = ably_buf_reserve(&b, 0) ? -2 : 0;
    if (rc != 0) {
        ably_buf_free(&b);
        if (rc == -2)
            return codec_oom(err);
        return codec_fail(err, t, f, "not representable as JSON (bin/ext, invalid UTF-8, non-finite number, "
                                     "non-string key, truncated, or nested deeper than %d)",
                          ABLY_CODEC_MAX_DEPTH);
    }
    *out = ably_buf_detach(&b, len);
    return 0;
}

/* ---- struct decoding ---- */

static int decode_object(mp_reader *r, const mp_token *tok, const ably_type_desc *t, void *out, ably_error *err,
                         int depth);

static int take_str(const mp_token *tok, const ably_type_desc *t, const ably_field_desc *f, char **out,
                    ably_error *err)
{
    if (tok->kind != MP_STR)
        return codec_fail(err, t, f, "expected str, got %s", kind_names[tok->kind]);
    if (!codec_utf8_valid(tok->ptr, tok->len))
        return codec_fail(err, t, f, "invalid UTF-8");
    if (!(*out = codec_strndup(tok->ptr, tok->len)))
        return codec_oom(err);
    return 0;
}

static int take_int(const mp_token *tok, const ably_type_desc *t, const ably_field_desc *f, int64_t min,
                    int64_t max, int64_t *out, ably_error *err)
{
    int64_t v;
    if (tok->kind == MP_UINT && tok->u <= (uint64_t)INT64_MAX)
        v = (int64_t)tok->u;
    else if (tok->kind == MP_INT)
        v = tok->i;
    else if (tok->kind == MP_FLOAT && isfinite(tok->d) && tok->d == floor(tok->d) &&
             fabs(tok->d) < 9223372036854775807.0)
        v = (int64_t)tok->d; /* some packers send whole numbers as floats */
    else
        return codec_fail(err, t, f, "expected an integer, got %s", kind_names[tok->kind]);
    if (v < min || v > max)
        return codec_fail(err, t, f, "integer out of range");
    *out = v;
    return 0;
}

static int take_double(const mp_token *tok, const ably_type_desc *t, const ably_field_desc *f, double *out,
                       ably_error *err)
{
    if (tok->kind == MP_FLOAT)
        *out = tok->d;
    else if (tok->kind == MP_UINT)
        *out = (double)tok->u;
    else if (tok->kind == MP_INT)
        *out = (double)tok->i;
    else
        return codec_fail(err, t, f, "expected a number, got %s", kind_names[tok->kind]);
    if (!isfinite(*out))
        return codec_fail(err, t, f, "not a finite number");
    return 0;
}

#define NEXT(r, tok)                                              \
    do {                                                          \
        if (!mp_next((r), (tok)))                                 \
            return codec_fail(err, t, f, "truncated or malformed"); \
    } while (0)

static int decode_field(mp_reader *r, const mp_token *tok, const ably_type_desc *t, const ably_field_desc *f,
                        void *value, ably_error *err, int depth)
{
    void *m = member(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        return take_str(tok, t, f, (char **)m, err);
    case ABLY_FIELD_JSON:
        return take_json(r, tok, t, f, (char **)m, NULL, err);
    case ABLY_FIELD_INT:
        if (take_int(tok, t, f, INT64_MIN, INT64_MAX, m, err) != 0)
            return -1;
        break;
    case ABLY_FIELD_DOUBLE:
        if (take_double(tok, t, f, m, err) != 0)
            return -1;
        break;
    case ABLY_FIELD_BOOL:
        if (tok->kind != MP_BOOL)
            return codec_fail(err, t, f, "expected a bool, got %s", kind_names[tok->kind]);
        *(bool *)m = tok->b;
        break;
    case ABLY_FIELD_ENUM:
        if (f->enum_desc->wire == ABLY_ENUM_WIRE_INT) {
            int64_t v = 0;
            if (take_int(tok, t, f, INT32_MIN, INT32_MAX, &v, err) != 0)
                return -1;
            *(int *)m = (int)v; /* unknown numbers are kept (forward compatibility) */
        } else {
            if (tok->kind != MP_STR)
                return codec_fail(err, t, f, "expected str, got %s", kind_names[tok->kind]);
            const ably_enum_value *ev = ably_enum_find_wire(f->enum_desc, tok->ptr, tok->len);
            if (!ev)
                return 0; /* unknown text: left absent (see codec.h) */
            *(int *)m = ev->value;
        }
        break;
    case ABLY_FIELD_DATA: {
        ably_data *d = m;
        if (tok->kind == MP_STR || tok->kind == MP_BIN) {
            if (tok->kind == MP_STR && !codec_utf8_valid(tok->ptr, tok->len))
                return codec_fail(err, t, f, "invalid UTF-8");
            if (ably_data_set(d, tok->kind == MP_STR ? ABLY_DATA_STRING : ABLY_DATA_BINARY, tok->ptr, tok->len))
                return codec_oom(err);
            return 0;
        }
        if (tok->kind == MP_MAP || tok->kind == MP_ARRAY) {
            if (take_json(r, tok, t, f, &d->bytes, &d->len, err) != 0)
                return -1;
            d->type = ABLY_DATA_JSON;
            return 0;
        }
        return codec_fail(err, t, f, "expected string, binary, object or array");
    }
    case ABLY_FIELD_OBJECT: {
        if (tok->kind != MP_MAP)
            return codec_fail(err, t, f, "expected a map, got %s", kind_names[tok->kind]);
        void *obj = malloc(f->type->size);
        if (!obj)
            return codec_oom(err);
        if (decode_object(r, tok, f->type, obj, err, depth + 1) != 0) {
            free(obj);
            return -1;
        }
        *(void **)m = obj;
        return 0;
    }
    case ABLY_FIELD_OBJECT_ARRAY: {
        if (tok->kind != MP_ARRAY)
            return codec_fail(err, t, f, "expected an array, got %s", kind_names[tok->kind]);
        if (!tok->len)
            return 0;
        /* tok->len <= remaining input bytes (checked by the reader). */
        char *items = calloc(tok->len, f->type->size);
        if (!items)
            return codec_oom(err);
        *(void **)m = items;
        size_t *count = member(value, f->aux_offset);
        for (uint32_t i = 0; i < tok->len; i++) {
            mp_token it;
            NEXT(r, &it);
            if (it.kind != MP_MAP)
                return codec_fail(err, t, f, "item %u: expected a map, got %s", i, kind_names[it.kind]);
            if (decode_object(r, &it, f->type, items + i * f->type->size, err, depth + 1) != 0)
                return -1; /* items decoded so far are freed with the rest of *value */
            (*count)++;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        if (tok->kind != MP_ARRAY)
            return codec_fail(err, t, f, "expected an array, got %s", kind_names[tok->kind]);
        if (!tok->len)
            return 0;
        char **items = calloc(tok->len, sizeof *items);
        if (!items)
            return codec_oom(err);
        *(char ***)m = items;
        size_t *count = member(value, f->aux_offset);
        for (uint32_t i = 0; i < tok->len; i++) {
            mp_token it;
            NEXT(r, &it);
            /* nil items stay NULL, keeping the array 1:1 with the wire (PBR2a) */
            if (it.kind != MP_NIL && take_str(&it, t, f, &items[i], err) != 0)
                return -1;
            (*count)++;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_MAP:
    case ABLY_FIELD_NUMBER_MAP: {
        bool strings = f->kind == ABLY_FIELD_STRING_MAP;
        if (tok->kind != MP_MAP)
            return codec_fail(err, t, f, "expected a map, got %s", kind_names[tok->kind]);
        for (uint32_t i = 0; i < tok->len; i++) {
            mp_token k, v;
            char *key = NULL;
            NEXT(r, &k);
            if (take_str(&k, t, f, &key, err) != 0)
                return -1;
            if (!mp_next(r, &v)) {
                free(key);
                return codec_fail(err, t, f, "truncated or malformed");
            }
            int rc;
            if (strings) {
                char *s = NULL;
                rc = take_str(&v, t, f, &s, err);
                if (rc == 0 && ably_string_map_set(m, key, s) != 0)
                    rc = codec_oom(err);
                free(s);
            } else {
                double d = 0;
                rc = take_double(&v, t, f, &d, err);
                if (rc == 0 && ably_number_map_set(m, key, d) != 0)
                    rc = codec_oom(err);
            }
            free(key);
            if (rc != 0)
                return -1;
        }
        return 0;
    }
    }
    /* Scalars with a has_ flag land here. */
    *(bool *)member(value, f->aux_offset) = true;
    return 0;
}

static const ably_field_desc *find_field(const ably_type_desc *t, const char *key, size_t len, size_t *hint)
{
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

/* Decodes the map whose header `tok` was just read. On failure *out is cleared. */
static int decode_object(mp_reader *r, const mp_token *tok, const ably_type_desc *t, void *out, ably_error *err,
                         int depth)
{
    memset(out, 0, t->size);
    if (depth > ABLY_CODEC_MAX_DEPTH)
        return codec_fail(err, t, NULL, "nested deeper than %d", ABLY_CODEC_MAX_DEPTH);
    if (tok->kind != MP_MAP)
        return codec_fail(err, t, NULL, "expected a map, got %s", kind_names[tok->kind]);
    size_t hint = 0;
    for (uint32_t i = 0; i < tok->len; i++) {
        mp_token k, v;
        if (!mp_next(r, &k)) {
            ably_value_clear(t, out);
            return codec_fail(err, t, NULL, "truncated or malformed");
        }
        if (k.kind != MP_STR) {
            ably_value_clear(t, out);
            return codec_fail(err, t, NULL, "map key is %s, expected str", kind_names[k.kind]);
        }
        const ably_field_desc *f = find_field(t, k.ptr, k.len, &hint);
        if (!f) {
            if (!mp_skip(r)) { /* RSF1: unknown fields are ignored, but must be well-formed */
                ably_value_clear(t, out);
                return codec_fail(err, t, NULL, "truncated or malformed");
            }
            continue;
        }
        if (!mp_next(r, &v)) {
            ably_value_clear(t, out);
            return codec_fail(err, t, f, "truncated or malformed");
        }
        if (v.kind == MP_NIL)
            continue; /* null means absent */
        codec_field_clear(f, out); /* a repeated key replaces the earlier value */
        if (decode_field(r, &v, t, f, out, err, depth) != 0) {
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

int codec_mp_decode(const ably_type_desc *t, const void *buf, size_t len, void *out, ably_error *err)
{
    mp_reader r = {buf, (const unsigned char *)buf + len};
    mp_token tok;
    memset(out, 0, t->size);
    if (!mp_next(&r, &tok))
        return codec_fail(err, t, NULL, "truncated or malformed");
    if (decode_object(&r, &tok, t, out, err, 0) != 0)
        return -1;
    if (r.p != r.end) {
        ably_value_clear(t, out);
        return codec_fail(err, t, NULL, "%zu unexpected bytes after the value", (size_t)(r.end - r.p));
    }
    return 0;
}

int codec_mp_decode_array(const ably_type_desc *t, const void *buf, size_t len, void **items, size_t *count,
                          ably_error *err)
{
    mp_reader r = {buf, (const unsigned char *)buf + len};
    mp_token tok;
    *items = NULL;
    *count = 0;
    if (!mp_next(&r, &tok))
        return codec_fail(err, t, NULL, "truncated or malformed");
    if (tok.kind != MP_ARRAY)
        return codec_fail(err, t, NULL, "expected an array, got %s", kind_names[tok.kind]);
    char *out = tok.len ? calloc(tok.len, t->size) : NULL;
    if (tok.len && !out)
        return codec_oom(err);
    for (uint32_t i = 0; i < tok.len; i++) {
        mp_token it;
        if (!mp_next(&r, &it)) {
            ably_free_array(t, out, i);
            return codec_fail(err, t, NULL, "truncated or malformed");
        }
        if (decode_object(&r, &it, t, out + i * t->size, err, 0) != 0) {
            ably_free_array(t, out, i);
            return -1;
        }
    }
    if (r.p != r.end) {
        ably_free_array(t, out, tok.len);
        return codec_fail(err, t, NULL, "%zu unexpected bytes after the array", (size_t)(r.end - r.p));
    }
    *items = out;
    *count = tok.len;
    return 0;
}
