/* Public entry points of the codec engines (ably/codec.h). */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "internal.h"

static int buf_write(void *data, const char *bytes, size_t len)
{
    return ably_buf_append(data, bytes, len);
}

static void packer_for(msgpack_packer *pk, ably_buf *out)
{
    msgpack_packer_init(pk, out, buf_write);
}

static int bad_format(const ably_type_desc *t, ably_error *err)
{
    return codec_fail(err, t, NULL, "unknown format");
}

/* Ensures a successful encode leaves a NUL-terminated buffer, even an empty one. */
static int finish(ably_buf *out, size_t start, int rc, ably_error *err)
{
    if (rc != 0) {
        out->len = start; /* drop the partial value */
        if (out->data)
            out->data[start] = '\0';
        return -1;
    }
    if (!out->data && ably_buf_reserve(out, 0) != 0)
        return codec_oom(err);
    return 0;
}

int ably_encode_append(const ably_type_desc *type, ably_format format, const void *value, ably_buf *out,
                       ably_error *err)
{
    size_t start = out->len;
    int rc;
    if (format == ABLY_FORMAT_JSON) {
        rc = codec_json_encode_value(type, value, out, err, 0);
    } else if (format == ABLY_FORMAT_MSGPACK) {
        msgpack_packer pk;
        packer_for(&pk, out);
        rc = codec_mp_encode_value(type, value, &pk, err, 0);
    } else {
        rc = bad_format(type, err);
    }
    return finish(out, start, rc, err);
}

int ably_encode(const ably_type_desc *type, ably_format format, const void *value, ably_buf *out,
                ably_error *err)
{
    ably_buf_reset(out);
    return ably_encode_append(type, format, value, out, err);
}

int ably_encode_array(const ably_type_desc *type, ably_format format, const void *items, size_t count,
                      ably_buf *out, ably_error *err)
{
    ably_buf_reset(out);
    const char *p = items;
    int rc = 0;
    if (format == ABLY_FORMAT_JSON) {
        rc = jw_char(out, '[') ? codec_oom(err) : 0;
        for (size_t i = 0; rc == 0 && i < count; i++) {
            if (i && jw_char(out, ','))
                rc = codec_oom(err);
            else
                rc = codec_json_encode_value(type, p + i * type->size, out, err, 0);
        }
        if (rc == 0 && jw_char(out, ']'))
            rc = codec_oom(err);
    } else if (format == ABLY_FORMAT_MSGPACK) {
        msgpack_packer pk;
        packer_for(&pk, out);
        rc = msgpack_pack_array(&pk, count) ? codec_oom(err) : 0;
        for (size_t i = 0; rc == 0 && i < count; i++)
            rc = codec_mp_encode_value(type, p + i * type->size, &pk, err, 0);
    } else {
        rc = bad_format(type, err);
    }
    return finish(out, 0, rc, err);
}

int ably_encode_msgpack_packer(const ably_type_desc *type, const void *value, struct msgpack_packer *pk,
                               ably_error *err)
{
    return codec_mp_encode_value(type, value, pk, err, 0);
}

/* cJSON over exactly `len` bytes; trailing non-space bytes are an error. */
static cJSON *parse_json(const ably_type_desc *type, const void *buf, size_t len, ably_error *err)
{
    if (!buf || !len) {
        codec_fail(err, type, NULL, "empty input");
        return NULL;
    }
    cJSON *root = codec_json_parse_exact(buf, len);
    if (!root)
        codec_fail(err, type, NULL, "invalid JSON");
    return root;
}

int ably_decode(const ably_type_desc *type, ably_format format, const void *buf, size_t len, void *out,
                ably_error *err)
{
    if (format == ABLY_FORMAT_MSGPACK)
        return codec_mp_decode(type, buf, len, out, err);
    memset(out, 0, type->size);
    if (format != ABLY_FORMAT_JSON)
        return bad_format(type, err);
    cJSON *root = parse_json(type, buf, len, err);
    if (!root)
        return -1;
    int rc = codec_json_decode_value(type, root, out, err, 0);
    cJSON_Delete(root);
    return rc;
}

int ably_decode_array(const ably_type_desc *type, ably_format format, const void *buf, size_t len,
                      void **items, size_t *count, ably_error *err)
{
    *items = NULL;
    *count = 0;
    if (format == ABLY_FORMAT_MSGPACK)
        return codec_mp_decode_array(type, buf, len, items, count, err);
    if (format != ABLY_FORMAT_JSON)
        return bad_format(type, err);
    cJSON *root = parse_json(type, buf, len, err);
    if (!root)
        return -1;
    int rc = codec_json_decode_array(type, root, items, count, err);
    cJSON_Delete(root);
    return rc;
}

int ably_decode_json_node(const ably_type_desc *type, const struct cJSON *node, void *out, ably_error *err)
{
    return codec_json_decode_value(type, node, out, err, 0);
}

int ably_decode_json_node_array(const ably_type_desc *type, const struct cJSON *node, void **items,
                                size_t *count, ably_error *err)
{
    return codec_json_decode_array(type, node, items, count, err);
}

int ably_decode_msgpack_object(const ably_type_desc *type, const struct msgpack_object *obj, void *out,
                               ably_error *err)
{
    memset(out, 0, type->size);
    ably_buf b;
    ably_buf_init(&b);
    msgpack_packer pk;
    packer_for(&pk, &b);
    if (msgpack_pack_object(&pk, *obj) != 0) {
        ably_buf_free(&b);
        return codec_oom(err);
    }
    int rc = codec_mp_decode(type, b.data, b.len, out, err);
    ably_buf_free(&b);
    return rc;
}
