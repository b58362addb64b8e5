/* Private helpers of the payload pipeline (not installed). */
#ifndef ABLY_PAYLOAD_INTERNAL_H
#define ABLY_PAYLOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool ably_payload__utf8_valid(const char *s, size_t len);

/* True when s[0..len) is exactly one JSON value (RFC 8259), optionally
 * surrounded by whitespace, nested at most `max_depth` deep, with valid UTF-8
 * in its strings. Allocates nothing: a validator, not a parser, because the
 * pipeline keeps JSON payloads as text. */
bool ably_payload__json_valid(const char *s, size_t len, int max_depth);

#endif
