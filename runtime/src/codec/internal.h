/* Shared by the codec engines in this folder; not a public header. */
#ifndef ABLY_CODEC_INTERNAL_H
#define ABLY_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "ably/codec.h"
#include "ably/error.h"

#define CODEC_ERROR_CODE 40000
#define CODEC_ERROR_STATUS 400

/* Fills *err with a 40000 error naming "Type.field: ..." (or "Type: ..." when f is
 * NULL) and returns -1, so callers can `return codec_fail(...)`. */
int codec_fail(ably_error *err, const ably_type_desc *t, const ably_field_desc *f, const char *fmt, ...)
    ABLY_PRINTF(4, 5);
int codec_oom(ably_error *err);

static inline void *member(void *value, size_t offset) { return (char *)value + offset; }
static inline const void *cmember(const void *value, size_t offset) { return (const char *)value + offset; }

/* Whether field f of *value holds something to send. */
bool codec_field_present(const ably_field_desc *f, const void *value);
/* Frees and zeroes one field of *value. */
void codec_field_clear(const ably_field_desc *f, void *value);

bool codec_utf8_valid(const char *s, size_t n);
char *codec_strndup(const char *s, size_t n);

/* Whether a parsed JSON value nests at most `budget` containers deep. */
bool codec_json_depth_ok(const cJSON *node, int budget);
/* cJSON over exactly buf[0..len): NULL when invalid or followed by non-whitespace. */
cJSON *codec_json_parse_exact(const char *buf, size_t len);
/* Parses JSON text that must be a complete, valid value (UTF-8, depth-capped); NULL when not. */
cJSON *codec_json_parse_text(const char *text, size_t len);

/* JSON writer pieces, shared by the JSON encoder and the msgpack->JSON converter. */
int jw_string(ably_buf *b, const char *s, size_t n);
int jw_int(ably_buf *b, int64_t v);
int jw_uint(ably_buf *b, uint64_t v);
int jw_double(ably_buf *b, double v); /* caller ensures v is finite */
static inline int jw_char(ably_buf *b, char c)
{
    if (b->len + 2 <= b->cap) { /* room for c and the NUL */
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return ably_buf_append(b, &c, 1);
}

/* Base64 (RFC 4648, with padding). */
size_t codec_base64_len(size_t n);
void codec_base64_encode(const unsigned char *in, size_t n, char *out);

/* Per-format engines. `depth` counts nested objects from 0. */
int codec_json_encode_value(const ably_type_desc *t, const void *value, ably_buf *out, ably_error *err,
                            int depth);
int codec_json_decode_value(const ably_type_desc *t, const cJSON *node, void *out, ably_error *err,
                            int depth);
int codec_mp_encode_value(const ably_type_desc *t, const void *value, struct msgpack_packer *pk,
                          ably_error *err, int depth);
int codec_mp_decode(const ably_type_desc *t, const void *buf, size_t len, void *out, ably_error *err);
int codec_mp_decode_array(const ably_type_desc *t, const void *buf, size_t len, void **items, size_t *count,
                          ably_error *err);
int codec_mp_pack_json_text(struct msgpack_packer *pk, const char *text, size_t len);
int codec_json_decode_array(const ably_type_desc *t, const cJSON *node, void **items, size_t *count,
                            ably_error *err);

#endif
