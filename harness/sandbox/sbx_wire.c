#include "sbx_wire.h"
#include "sbx_util.h"

#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 64

static bool has_type(const char *header, const char *type)
{
    return header && strcasestr(header, type) != NULL;
}

sbx_format sbx_format_of_content_type(const char *content_type)
{
    if (!content_type || !*content_type)
        return SBX_FMT_JSON;
    if (has_type(content_type, "msgpack"))
        return SBX_FMT_MSGPACK;
    if (has_type(content_type, "json"))
        return SBX_FMT_JSON;
    return SBX_FMT_UNSUPPORTED;
}

sbx_format sbx_format_of_accept(const char *accept)
{
    if (!accept)
        return SBX_FMT_JSON;
    const char *mp = strcasestr(accept, "msgpack");
    const char *js = strcasestr(accept, "json");
    return (mp && (!js || mp < js)) ? SBX_FMT_MSGPACK : SBX_FMT_JSON;
}

const char *sbx_format_mime(sbx_format fmt)
{
    return fmt == SBX_FMT_MSGPACK ? SBX_MIME_MSGPACK : SBX_MIME_JSON;
}

/* --- msgpack -> cJSON --- */

static cJSON *from_msgpack(const msgpack_object *o, int depth, bool raw_bin);

static cJSON *from_msgpack_map(const msgpack_object_map *map, int depth, bool raw_bin)
{
    cJSON *obj = cJSON_CreateObject();
    for (uint32_t i = 0; obj && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            cJSON_Delete(obj);
            return NULL;
        }
        char *key = sbx_strndup(k->via.str.ptr, k->via.str.size);
        cJSON *v = from_msgpack(&map->ptr[i].val, depth + 1, raw_bin);
        if (!key || !v) {
            free(key);
            cJSON_Delete(v);
            cJSON_Delete(obj);
            return NULL;
        }
        cJSON_AddItemToObject(obj, key, v);
        free(key);
    }
    return obj;
}

static cJSON *from_msgpack(const msgpack_object *o, int depth, bool raw_bin)
{
    if (depth > MAX_DEPTH)
        return NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return cJSON_CreateNull();
    case MSGPACK_OBJECT_BOOLEAN: return cJSON_CreateBool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return cJSON_CreateNumber((double)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return cJSON_CreateNumber((double)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return cJSON_CreateNumber(o->via.f64);
    case MSGPACK_OBJECT_STR: {
        char *s = sbx_strndup(o->via.str.ptr, o->via.str.size);
        cJSON *v = s ? cJSON_CreateString(s) : NULL;
        free(s);
        return v;
    }
    case MSGPACK_OBJECT_BIN: {
        char *s = sbx_base64_encode((const unsigned char *)o->via.bin.ptr, o->via.bin.size, false);
        cJSON *v = s ? (raw_bin ? cJSON_CreateRaw(s) : cJSON_CreateString(s)) : NULL;
        free(s);
        return v;
    }
    case MSGPACK_OBJECT_ARRAY: {
        cJSON *arr = cJSON_CreateArray();
        for (uint32_t i = 0; arr && i < o->via.array.size; i++) {
            cJSON *v = from_msgpack(&o->via.array.ptr[i], depth + 1, raw_bin);
            if (!v) {
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, v);
        }
        return arr;
    }
    case MSGPACK_OBJECT_MAP: return from_msgpack_map(&o->via.map, depth, raw_bin);
    default: return NULL;
    }
}

static cJSON *decode_msgpack(const char *body, size_t len, bool raw_bin)
{
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    size_t off = 0;
    cJSON *out = NULL;
    if (msgpack_unpack_next(&un, body, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len)
        out = from_msgpack(&un.data, 0, raw_bin);
    msgpack_unpacked_destroy(&un);
    return out;
}

static bool depth_ok(const cJSON *v, int depth)
{
    if (depth > MAX_DEPTH)
        return false;
    for (const cJSON *c = v->child; c; c = c->next)
        if (!depth_ok(c, depth + 1))
            return false;
    return true;
}

cJSON *sbx_wire_decode(const char *body, size_t len, sbx_format fmt)
{
    return sbx_wire_decode_ex(body, len, fmt, false);
}

cJSON *sbx_wire_decode_ex(const char *body, size_t len, sbx_format fmt, bool binary_as_raw)
{
    if (!body || len == 0)
        return NULL;
    if (fmt == SBX_FMT_MSGPACK)
        return decode_msgpack(body, len, binary_as_raw);
    if (fmt != SBX_FMT_JSON)
        return NULL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!v)
        return NULL;
    /* Only trailing whitespace may follow the value. */
    for (const char *p = end; p < body + len; p++) {
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t' && *p != '\0') {
            cJSON_Delete(v);
            return NULL;
        }
    }
    if (!depth_ok(v, 0)) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* --- cJSON -> msgpack --- */

static void pack_value(msgpack_packer *pk, const cJSON *v)
{
    if (cJSON_IsNull(v) || cJSON_IsInvalid(v)) {
        msgpack_pack_nil(pk);
    } else if (cJSON_IsTrue(v)) {
        msgpack_pack_true(pk);
    } else if (cJSON_IsFalse(v)) {
        msgpack_pack_false(pk);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18)
            msgpack_pack_int64(pk, (int64_t)d);
        else
            msgpack_pack_double(pk, d);
    } else if (cJSON_IsRaw(v)) {
        size_t n = 0;
        unsigned char *bytes = sbx_base64_decode(v->valuestring, strlen(v->valuestring), &n);
        msgpack_pack_bin(pk, bytes ? n : 0);
        msgpack_pack_bin_body(pk, bytes, bytes ? n : 0);
        free(bytes);
    } else if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        msgpack_pack_str(pk, n);
        msgpack_pack_str_body(pk, v->valuestring, n);
    } else if (cJSON_IsArray(v)) {
        msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(v));
        for (const cJSON *c = v->child; c; c = c->next)
            pack_value(pk, c);
    } else if (cJSON_IsObject(v)) {
        msgpack_pack_map(pk, (size_t)cJSON_GetArraySize(v));
        for (const cJSON *c = v->child; c; c = c->next) {
            size_t n = strlen(c->string);
            msgpack_pack_str(pk, n);
            msgpack_pack_str_body(pk, c->string, n);
            pack_value(pk, c);
        }
    }
}

char *sbx_wire_encode(const cJSON *value, sbx_format fmt, size_t *len)
{
    if (fmt == SBX_FMT_MSGPACK) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pack_value(&pk, value);
        *len = sb.size;
        return msgpack_sbuffer_release(&sb);
    }
    char *text = cJSON_PrintUnformatted(value);
    *len = text ? strlen(text) : 0;
    return text;
}
