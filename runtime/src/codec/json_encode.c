/* JSON encoder: a streaming writer straight into an ably_buf (no cJSON tree, no
 * per-field allocation). Only `json` fields and JSON data are parsed, to check that
 * the text we are about to splice in is valid JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char hex_digits[] = "0123456789abcdef";

/* 1 when byte c must be escaped in a JSON string. */
static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

int jw_string(ably_buf *b, const char *s, size_t n)
{
    /* Room for the common case (nothing to escape) in one reservation. */
    if (ably_buf_reserve(b, n + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        if (ably_buf_append(b, s + run, i - run) != 0)
            return -1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex_digits[c >> 4];
            esc[5] = hex_digits[c & 0xf];
            elen = 6;
        }
        if (ably_buf_append(b, esc, elen) != 0)
            return -1;
        run = i + 1;
    }
    if (ably_buf_append(b, s + run, n - run) != 0)
        return -1;
    return jw_char(b, '"');
}

int jw_uint(ably_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return ably_buf_append(b, tmp + i, sizeof tmp - i);
}

int jw_int(ably_buf *b, int64_t v)
{
    if (v >= 0)
        return jw_uint(b, (uint64_t)v);
    if (jw_char(b, '-') != 0)
        return -1;
    return jw_uint(b, (uint64_t)0 - (uint64_t)v); /* exact for INT64_MIN too */
}

int jw_double(ably_buf *b, double v)
{
    /* Shortest of 15..17 significant digits that reads back as the same double. */
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v)
            break;
    }
    return ably_buf_append_str(b, tmp);
}

size_t codec_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void codec_base64_encode(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = alphabet[v >> 18];
        *out++ = alphabet[(v >> 12) & 63];
        *out++ = alphabet[(v >> 6) & 63];
        *out++ = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = alphabet[v >> 18];
        *out++ = alphabet[(v >> 12) & 63];
        *out++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
}

static int write_base64(ably_buf *b, const char *bytes, size_t n)
{
    size_t blen = codec_base64_len(n);
    if (ably_buf_reserve(b, blen + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    codec_base64_encode((const unsigned char *)bytes, n, b->data + b->len);
    b->len += blen;
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

/* Splices validated JSON text in. `containers_only` is for data, which is an object
 * or array when it is JSON. */
static int write_json_text(ably_buf *b, const ably_type_desc *t, const ably_field_desc *f, const char *text,
                           size_t len, bool containers_only, ably_error *err)
{
    cJSON *node = codec_json_parse_text(text, len);
    if (!node)
        return codec_fail(err, t, f, "not valid JSON (or nested deeper than %d)", ABLY_CODEC_MAX_DEPTH);
    bool ok = !containers_only || cJSON_IsObject(node) || cJSON_IsArray(node);
    cJSON_Delete(node);
    if (!ok)
        return codec_fail(err, t, f, "JSON data must be an object or array");
    return ably_buf_append(b, text, len) == 0 ? 0 : codec_oom(err);
}

static int write_checked_string(ably_buf *b, const ably_type_desc *t, const ably_field_desc *f, const char *s,
                                ably_error *err)
{
    size_t n = strlen(s);
    if (!codec_utf8_valid(s, n))
        return codec_fail(err, t, f, "invalid UTF-8");
    return jw_string(b, s, n) == 0 ? 0 : codec_oom(err);
}

/* `suffix_base64`: this string is the encoding of binary data sent as base64. */
static int write_encoding(ably_buf *b, const ably_type_desc *t, const ably_field_desc *f, const char *enc,
                          ably_error *err)
{
    if (!enc || !*enc)
        return jw_string(b, "base64", 6) == 0 ? 0 : codec_oom(err);
    size_t n = strlen(enc);
    if (!codec_utf8_valid(enc, n))
        return codec_fail(err, t, f, "invalid UTF-8");
    /* Build "<enc>/base64" by writing the escaped string then patching the closing quote. */
    if (jw_string(b, enc, n) != 0)
        return codec_oom(err);
    b->len--; /* drop the closing quote */
    return ably_buf_append(b, "/base64\"", 8) == 0 ? 0 : codec_oom(err);
}

static int write_field_value(ably_buf *b, const ably_type_desc *t, const ably_field_desc *f, const void *value,
                             bool binary_encoding, ably_error *err, int depth)
{
    const void *m = cmember(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        if (binary_encoding)
            return write_encoding(b, t, f, *(char *const *)m, err);
        return write_checked_string(b, t, f, *(char *const *)m, err);
    case ABLY_FIELD_JSON: {
        const char *text = *(char *const *)m;
        return write_json_text(b, t, f, text, strlen(text), false, err);
    }
    case ABLY_FIELD_INT:
        return jw_int(b, *(const int64_t *)m) == 0 ? 0 : codec_oom(err);
    case ABLY_FIELD_DOUBLE: {
        double d = *(const double *)m;
        if (!isfinite(d))
            return codec_fail(err, t, f, "not a finite number");
        return jw_double(b, d) == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_BOOL:
        return ably_buf_append_str(b, *(const bool *)m ? "true" : "false") == 0 ? 0 : codec_oom(err);
    case ABLY_FIELD_ENUM: {
        int v = *(const int *)m;
        if (f->enum_desc->wire == ABLY_ENUM_WIRE_INT)
            return jw_int(b, v) == 0 ? 0 : codec_oom(err);
        const ably_enum_value *ev = ably_enum_find_value(f->enum_desc, v);
        if (!ev)
            return codec_fail(err, t, f, "%d is not a %s value", v, f->enum_desc->name);
        return jw_string(b, ev->wire, strlen(ev->wire)) == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_DATA: {
        const ably_data *d = m;
        if (d->type == ABLY_DATA_BINARY)
            return write_base64(b, d->bytes, d->len) == 0 ? 0 : codec_oom(err);
        if (d->type == ABLY_DATA_JSON)
            return write_json_text(b, t, f, d->bytes, d->len, true, err);
        if (!codec_utf8_valid(d->bytes, d->len))
            return codec_fail(err, t, f, "invalid UTF-8");
        return jw_string(b, d->bytes, d->len) == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_OBJECT:
        return codec_json_encode_value(f->type, *(void *const *)m, b, err, depth + 1);
    case ABLY_FIELD_OBJECT_ARRAY: {
        size_t n = *(const size_t *)cmember(value, f->aux_offset);
        const char *items = *(void *const *)m;
        if (jw_char(b, '[') != 0)
            return codec_oom(err);
        for (size_t i = 0; i < n; i++) {
            if (i && jw_char(b, ',') != 0)
                return codec_oom(err);
            if (codec_json_encode_value(f->type, items + i * f->type->size, b, err, depth + 1) != 0)
                return -1;
        }
        return jw_char(b, ']') == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_STRING_ARRAY: {
        size_t n = *(const size_t *)cmember(value, f->aux_offset);
        char *const *items = *(char **const *)m;
        if (jw_char(b, '[') != 0)
            return codec_oom(err);
        for (size_t i = 0; i < n; i++) {
            if (i && jw_char(b, ',') != 0)
                return codec_oom(err);
            if (!items[i]) { /* kept 1:1 with the wire, e.g. PublishResult.serials (PBR2a) */
                if (ably_buf_append_str(b, "null") != 0)
                    return codec_oom(err);
            } else if (write_checked_string(b, t, f, items[i], err) != 0) {
                return -1;
            }
        }
        return jw_char(b, ']') == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_STRING_MAP: {
        const ably_string_map *sm = m;
        if (jw_char(b, '{') != 0)
            return codec_oom(err);
        for (size_t i = 0; i < sm->count; i++) {
            if (i && jw_char(b, ',') != 0)
                return codec_oom(err);
            if (!sm->items[i].key || !sm->items[i].value)
                return codec_fail(err, t, f, "NULL key or value");
            if (write_checked_string(b, t, f, sm->items[i].key, err) != 0 || jw_char(b, ':') != 0 ||
                write_checked_string(b, t, f, sm->items[i].value, err) != 0)
                return ably_error_is_set(err) ? -1 : codec_oom(err);
        }
        return jw_char(b, '}') == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_NUMBER_MAP: {
        const ably_number_map *nm = m;
        if (jw_char(b, '{') != 0)
            return codec_oom(err);
        for (size_t i = 0; i < nm->count; i++) {
            if (i && jw_char(b, ',') != 0)
                return codec_oom(err);
            if (!nm->items[i].key)
                return codec_fail(err, t, f, "NULL key");
            if (!isfinite(nm->items[i].value))
                return codec_fail(err, t, f, "value of %s is not a finite number", nm->items[i].key);
            if (write_checked_string(b, t, f, nm->items[i].key, err) != 0 || jw_char(b, ':') != 0 ||
                jw_double(b, nm->items[i].value) != 0)
                return ably_error_is_set(err) ? -1 : codec_oom(err);
        }
        return jw_char(b, '}') == 0 ? 0 : codec_oom(err);
    }
    }
    return codec_fail(err, t, f, "unknown field kind");
}

/* Index of the `encoding` field whose data sibling is binary (so it gets "/base64"), or -1. */
static int binary_encoding_index(const ably_type_desc *t, const void *value)
{
    for (size_t i = 0; i < t->count; i++) {
        const ably_field_desc *f = &t->fields[i];
        if (f->kind == ABLY_FIELD_DATA && f->encoding_field >= 0 &&
            ((const ably_data *)cmember(value, f->offset))->type == ABLY_DATA_BINARY)
            return f->encoding_field;
    }
    return -1;
}

int codec_json_encode_value(const ably_type_desc *t, const void *value, ably_buf *b, ably_error *err, int depth)
{
    if (depth > ABLY_CODEC_MAX_DEPTH)
        return codec_fail(err, t, NULL, "nested deeper than %d", ABLY_CODEC_MAX_DEPTH);
    int enc_index = binary_encoding_index(t, value);
    if (jw_char(b, '{') != 0)
        return codec_oom(err);
    bool first = true;
    for (size_t i = 0; i < t->count; i++) {
        const ably_field_desc *f = &t->fields[i];
        bool binary_encoding = (int)i == enc_index;
        if (!binary_encoding && !codec_field_present(f, value))
            continue;
        /* `"wire":` — wire names are plain ASCII from the schema, no escaping needed. */
        if (ably_buf_reserve(b, f->wire_len + 4) != 0)
            return codec_oom(err);
        if (!first)
            b->data[b->len++] = ',';
        first = false;
        b->data[b->len++] = '"';
        memcpy(b->data + b->len, f->wire_name, f->wire_len);
        b->len += f->wire_len;
        b->data[b->len++] = '"';
        b->data[b->len++] = ':';
        if (write_field_value(b, t, f, value, binary_encoding, err, depth) != 0)
            return -1;
    }
    return jw_char(b, '}') == 0 ? 0 : codec_oom(err);
}
