/* Wire formats: JSON and msgpack bodies as cJSON trees, and the choice of
 * format from Content-Type / Accept. Route handlers work on cJSON values;
 * these functions convert at the edges. */
#ifndef SBX_WIRE_H
#define SBX_WIRE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { SBX_FMT_JSON, SBX_FMT_MSGPACK, SBX_FMT_UNSUPPORTED } sbx_format;

#define SBX_MIME_JSON "application/json"
#define SBX_MIME_MSGPACK "application/x-msgpack"

/* Format named by a Content-Type header; JSON when absent; UNSUPPORTED for
 * anything else that is not a JSON or msgpack type. */
sbx_format sbx_format_of_content_type(const char *content_type);
/* Format to answer in, from Accept: msgpack when it is the first acceptable
 * of the two, JSON otherwise. */
sbx_format sbx_format_of_accept(const char *accept);
const char *sbx_format_mime(sbx_format fmt);

/* Binary values inside a cJSON tree are cJSON *Raw* items whose text is the
 * base64 of the bytes: msgpack bin decodes to one (when asked), and a Raw item
 * encodes to msgpack bin. Never hand a tree with Raw items to the JSON
 * encoder: it would print the base64 unquoted. */

/* Parses a body into a new cJSON tree (caller deletes); NULL when malformed
 * or nested deeper than 64 levels. msgpack bin values become base64 strings,
 * or base64 Raw items when binary_as_raw is true. */
cJSON *sbx_wire_decode(const char *body, size_t len, sbx_format fmt);
cJSON *sbx_wire_decode_ex(const char *body, size_t len, sbx_format fmt, bool binary_as_raw);

/* Serialises a tree; returns a malloc'd buffer (caller frees) and its length.
 * JSON output is NUL-terminated. Integral numbers become msgpack integers;
 * Raw items become msgpack bin. */
char *sbx_wire_encode(const cJSON *value, sbx_format fmt, size_t *len);

#endif
