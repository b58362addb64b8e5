/* msgpack encoder: msgpack-c's packer, writing through a callback into an ably_buf
 * (or onto any packer the caller already has). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "internal.h"

#define PACK(call)          \
    do {                    \
        if ((call) != 0)    \
            return codec_oom(err); \
    } while (0)

static int pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        return -1;
    return msgpack_pack_str_with_body(pk, s, n);
}

/* A cJSON value as native msgpack (used for `json` fields). Depth was checked at parse. */
static int pack_json_node(msgpack_packer *pk, const cJSON *n)
{
    if (cJSON_IsNull(n))
        return msgpack_pack_nil(pk);
    if (cJSON_IsTrue(n))
        return msgpack_pack_true(pk);
    if (cJSON_IsFalse(n))
        return msgpack_pack_false(pk);
    if (cJSON_IsString(n))
        return pack_str(pk, n->valuestring, strlen(n->valuestring));
    if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;
        /* Integral values go as msgpack ints, as JS packers do. */
        if (d == floor(d) && fabs(d) < 9223372036854775807.0)
            return msgpack_pack_int64(pk, (int64_t)d);
        return msgpack_pack_double(pk, d);
    }
    if (cJSON_IsArray(n)) {
        if (msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(n)) != 0)
            return -1;
        for (const cJSON *c = n->child; c; c = c->next)
            if (pack_json_node(pk, c) != 0)
                return -1;
        return 0;
    }
    if (cJSON_IsObject(n)) {
        if (msgpack_pack_map(pk, (size_t)cJSON_GetArraySize(n)) != 0)
            return -1;
        for (const cJSON *c = n->child; c; c = c->next)
            if (pack_str(pk, c->string, strlen(c->string)) != 0 || pack_json_node(pk, c) != 0)
                return -1;
        return 0;
    }
    return -1;
}

/* 0, -1 on invalid JSON, -2 when the packer's writer failed. */
int codec_mp_pack_json_text(msgpack_packer *pk, const char *text, size_t len)
{
    cJSON *node = codec_json_parse_text(text, len);
    if (!node)
        return -1;
    int rc = pack_json_node(pk, node) == 0 ? 0 : -2;
    cJSON_Delete(node);
    return rc;
}

static int pack_checked_str(msgpack_packer *pk, const ably_type_desc *t, const ably_field_desc *f, const char *s,
                            ably_error *err)
{
    size_t n = strlen(s);
    if (!codec_utf8_valid(s, n))
        return codec_fail(err, t, f, "invalid UTF-8");
    return pack_str(pk, s, n) == 0 ? 0 : codec_oom(err);
}

static int pack_field(msgpack_packer *pk, const ably_type_desc *t, const ably_field_desc *f, const void *value,
                      ably_error *err, int depth)
{
    const void *m = cmember(value, f->offset);
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        return pack_checked_str(pk, t, f, *(char *const *)m, err);
    case ABLY_FIELD_JSON: {
        const char *text = *(char *const *)m;
        int rc = codec_mp_pack_json_text(pk, text, strlen(text));
        if (rc == -1)
            return codec_fail(err, t, f, "not valid JSON (or nested deeper than %d)", ABLY_CODEC_MAX_DEPTH);
        return rc == 0 ? 0 : codec_oom(err);
    }
    case ABLY_FIELD_INT:
        PACK(msgpack_pack_int64(pk, *(const int64_t *)m));
        return 0;
    case ABLY_FIELD_DOUBLE: {
        double d = *(const double *)m;
        if (!isfinite(d))
            return codec_fail(err, t, f, "not a finite number");
        PACK(msgpack_pack_double(pk, d));
        return 0;
    }
    case ABLY_FIELD_BOOL:
        PACK(*(const bool *)m ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
        return 0;
    case ABLY_FIELD_ENUM: {
        int v = *(const int *)m;
        if (f->enum_desc->wire == ABLY_ENUM_WIRE_INT) {
            PACK(msgpack_pack_int(pk, v));
            return 0;
        }
        const ably_enum_value *ev = ably_enum_find_value(f->enum_desc, v);
        if (!ev)
            return codec_fail(err, t, f, "%d is not a %s value", v, f->enum_desc->name);
        PACK(pack_str(pk, ev->wire, strlen(ev->wire)));
        return 0;
    }
    case ABLY_FIELD_DATA: {
        const ably_data *d = m;
        if (d->len > UINT32_MAX)
            return codec_fail(err, t, f, "too large");
        if (d->type == ABLY_DATA_BINARY) {
            PACK(msgpack_pack_bin_with_body(pk, d->bytes, d->len));
            return 0;
        }
        if (d->type == ABLY_DATA_JSON) {
            /* Sent as its text (str), as ably-js sends stringified JSON payloads. */
            cJSON *node = codec_json_parse_text(d->bytes, d->len);
            bool ok = node && (cJSON_IsObject(node) || cJSON_IsArray(node));
            cJSON_Delete(node);
            if (!ok)
                return codec_fail(err, t, f, "JSON data must be a valid JSON object or array");
        } else if (!codec_utf8_valid(d->bytes, d->len)) {
            return codec_fail(err, t, f, "invalid UTF-8");
        }
        PACK(pack_str(pk, d->bytes, d->len));
        return 0;
    }
    case ABLY_FIELD_OBJECT:
        return codec_mp_encode_value(f->type, *(void *const *)m, pk, err, depth + 1);
    case ABLY_FIELD_OBJECT_ARRAY: {
        size_t n = *(const size_t *)cmember(value, f->aux_offset);
        const char *items = *(void *const *)m;
        PACK(msgpack_pack_array(pk, n));
        for (size_t i = 0; i < n; i++)
            if (codec_mp_encode_value(f->type, items + i * f->type->size, pk, err, depth + 1) != 0)
                return -1;
        return 0;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        size_t n = *(const size_t *)cmember(value, f->aux_offset);
        char *const *items = *(char **const *)m;
        PACK(msgpack_pack_array(pk, n));
        for (size_t i = 0; i < n; i++) {
            if (!items[i]) /* kept 1:1 with the wire, e.g. PublishResult.serials (PBR2a) */
                PACK(msgpack_pack_nil(pk));
            else if (pack_checked_str(pk, t, f, items[i], err) != 0)
                return -1;
        }
        return 0;
    }
    case ABLY_FIELD_STRING_MAP: {
        const ably_string_map *sm = m;
        PACK(msgpack_pack_map(pk, sm->count));
        for (size_t i = 0; i < sm->count; i++) {
            if (!sm->items[i].key || !sm->items[i].value)
                return codec_fail(err, t, f, "NULL key or value");
            if (pack_checked_str(pk, t, f, sm->items[i].key, err) != 0 ||
                pack_checked_str(pk, t, f, sm->items[i].value, err) != 0)
                return -1;
        }
        return 0;
    }
    case ABLY_FIELD_NUMBER_MAP: {
        const ably_number_map *nm = m;
        PACK(msgpack_pack_map(pk, nm->count));
        for (size_t i = 0; i < nm->count; i++) {
            if (!nm->items[i].key)
                return codec_fail(err, t, f, "NULL key");
            if (!isfinite(nm->items[i].value))
                return codec_fail(err, t, f, "value of %s is not a finite number", nm->items[i].key);
            if (pack_checked_str(pk, t, f, nm->items[i].key, err) != 0)
                return -1;
            PACK(msgpack_pack_double(pk, nm->items[i].value));
        }
        return 0;
    }
    }
    return codec_fail(err, t, f, "unknown field kind");
}

int codec_mp_encode_value(const ably_type_desc *t, const void *value, msgpack_packer *pk, ably_error *err,
                          int depth)
{
    if (depth > ABLY_CODEC_MAX_DEPTH)
        return codec_fail(err, t, NULL, "nested deeper than %d", ABLY_CODEC_MAX_DEPTH);
    size_t present = 0;
    for (size_t i = 0; i < t->count; i++)
        present += codec_field_present(&t->fields[i], value);
    PACK(msgpack_pack_map(pk, present));
    for (size_t i = 0; i < t->count; i++) {
        const ably_field_desc *f = &t->fields[i];
        if (!codec_field_present(f, value))
            continue;
        PACK(msgpack_pack_str_with_body(pk, f->wire_name, f->wire_len));
        if (pack_field(pk, t, f, value, err, depth) != 0)
            return -1;
    }
    return 0;
}
