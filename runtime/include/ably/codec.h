/* The codec engines: JSON and msgpack for every generated protocol type.
 *
 * One hand-written engine per format walks the generated descriptor tables
 * (ably/descriptor.h), so every type gets the same rules:
 *  - Absent values are omitted when encoding (NULL strings, has_ == false, empty
 *    arrays and maps, ABLY_DATA_NONE). `null` on the wire decodes as absent.
 *  - NULL items of string arrays travel as null and decode back to NULL, keeping the
 *    array 1:1 with the wire (PublishResult.serials, PBR2a).
 *  - Unknown wire fields are skipped (RSF1). A missing `required` field is an error.
 *  - msgpack `bin` decodes to ABLY_DATA_BINARY and `str` to ABLY_DATA_STRING, exactly;
 *    a map or array in a `data` field decodes to ABLY_DATA_JSON (its JSON text).
 *    JSON strings always decode to ABLY_DATA_STRING, whatever `encoding` says:
 *    undoing encodings is the payload pipeline's job (RSL6).
 *  - Encoding `data`: msgpack writes STRING as str, BINARY as bin and JSON as str
 *    (its text), as ably-js does once its payload step has stringified objects.
 *    JSON writes STRING as a string, JSON as the value itself, and BINARY as base64
 *    text, appending "base64" to the field's `encoding` sibling (e.g. "utf-8/cipher+
 *    aes-128-cbc" becomes "utf-8/cipher+aes-128-cbc/base64"), as every SDK does on
 *    a text transport. So BINARY comes back from JSON as base64 STRING data.
 *  - Enums sent as numbers keep values this build does not know (the raw number is
 *    stored in the enum member), so a newer server does not break older clients.
 *    Enums sent as text ignore text they do not know (the field stays absent), for
 *    the same reason (the RSF1 spirit); the other fields still decode.
 *  - Integers must be integral and fit int64_t; JSON decoding goes through cJSON,
 *    which holds numbers as doubles, so JSON integers beyond +-2^53 are rejected
 *    rather than silently rounded. Non-finite doubles are rejected both ways.
 *  - Strings must be valid UTF-8; `json` fields and JSON data must be valid JSON
 *    nested at most ABLY_CODEC_MAX_DEPTH deep (objects nest at most that deep too).
 *  - Malformed input never crashes and never causes an allocation larger than the
 *    input justifies. Every failure is code 40000, status 400, with a message that
 *    names the type and field ("Message.data: expected string, binary, object or array").
 *
 * Functions return 0 on success and -1 on failure, filling *err when err is not NULL.
 * A failed decode leaves *out cleared (initialised, owning nothing).
 * Thread safety: no global state; distinct values and buffers may be used concurrently.
 */
#ifndef ABLY_CODEC_H
#define ABLY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/descriptor.h"
#include "ably/gen/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ABLY_CODEC_MAX_DEPTH 64

typedef enum { ABLY_FORMAT_JSON, ABLY_FORMAT_MSGPACK } ably_format;

/* A growable byte buffer. `data` is malloc'd and owned by the buffer; after any
 * append it is followed by a NUL byte (not counted in len), so JSON output can be
 * used as a C string. Reuse one buffer across encodes: ably_buf_reset keeps the
 * memory, so a warmed-up encode does not allocate. */
struct ably_buf {
    char *data;
    size_t len;
    size_t cap;
};
typedef struct ably_buf ably_buf;

void ably_buf_init(ably_buf *b);
void ably_buf_reset(ably_buf *b);          /* len = 0, memory kept */
void ably_buf_free(ably_buf *b);           /* frees the memory, back to init state */
int ably_buf_reserve(ably_buf *b, size_t extra); /* room for `extra` more bytes (+NUL); 0 / -1 */
int ably_buf_append(ably_buf *b, const void *bytes, size_t len);
int ably_buf_append_str(ably_buf *b, const char *s);
/* Hands the bytes to the caller (free() them) and leaves *b initialised. */
char *ably_buf_detach(ably_buf *b, size_t *len);

/* ---- whole documents ---- */

/* Encodes *value (a struct described by `type`) into `out`, replacing its contents. */
int ably_encode(const ably_type_desc *type, ably_format format, const void *value, ably_buf *out,
                ably_error *err);
/* Same, appending to `out` (to embed a value in a larger document being built there). */
int ably_encode_append(const ably_type_desc *type, ably_format format, const void *value, ably_buf *out,
                       ably_error *err);
/* Decodes one value from buf[0..len) into *out, which is overwritten (not cleared
 * first: pass an initialised or uninitialised struct that owns nothing). Trailing
 * bytes after the value are an error. */
int ably_decode(const ably_type_desc *type, ably_format format, const void *buf, size_t len, void *out,
                ably_error *err);

/* Arrays of values, e.g. a REST history body. Encoding writes items[0..count). Decoding
 * a top-level array sets *items to a malloc'd contiguous array of *count structs (NULL
 * when empty); release it with ably_free_array. */
int ably_encode_array(const ably_type_desc *type, ably_format format, const void *items, size_t count,
                      ably_buf *out, ably_error *err);
int ably_decode_array(const ably_type_desc *type, ably_format format, const void *buf, size_t len,
                      void **items, size_t *count, ably_error *err);
/* Clears each item and frees the array. NULL-safe. */
void ably_free_array(const ably_type_desc *type, void *items, size_t count);

/* ---- embedding in larger documents ---- */

struct cJSON;
struct msgpack_object;
struct msgpack_packer;

/* Decodes from an already parsed cJSON node (object, or array for the _array form). */
int ably_decode_json_node(const ably_type_desc *type, const struct cJSON *node, void *out, ably_error *err);
int ably_decode_json_node_array(const ably_type_desc *type, const struct cJSON *node, void **items,
                                size_t *count, ably_error *err);
/* Decodes from an unpacked msgpack object (msgpack_unpack / msgpack_unpacker). This
 * re-packs the object and runs the streaming decoder, so prefer ably_decode on the
 * raw bytes when you have them. */
int ably_decode_msgpack_object(const ably_type_desc *type, const struct msgpack_object *obj, void *out,
                               ably_error *err);
/* Writes *value as one msgpack map onto an existing packer (any write callback). */
int ably_encode_msgpack_packer(const ably_type_desc *type, const void *value, struct msgpack_packer *pk,
                               ably_error *err);

/* ---- descriptor-driven value operations (used by the generated wrappers) ---- */

void ably_value_init(const ably_type_desc *type, void *value);
/* Frees everything *value owns and re-initialises it. */
void ably_value_clear(const ably_type_desc *type, void *value);
/* Deep copy: *dst is overwritten (not cleared first); on failure *dst is left cleared. */
int ably_value_copy(const ably_type_desc *type, void *dst, const void *src, ably_error *err);
/* Deep equality; `json` fields and JSON data compare as JSON values, not as text. */
bool ably_value_equal(const ably_type_desc *type, const void *a, const void *b);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_CODEC_H */
