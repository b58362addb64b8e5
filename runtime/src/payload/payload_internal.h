/* Private helpers of the payload pipeline (not installed). */
#ifndef ABLY_PAYLOAD_INTERNAL_H
#define ABLY_PAYLOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ably/crypto.h"
#include "ably/error.h"
#include "ably/value.h"

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool ably_payload__utf8_valid(const char *s, size_t len);

/* True when s[0..len) is exactly one JSON value (RFC 8259), optionally
 * surrounded by whitespace, nested at most `max_depth` deep, with valid UTF-8
 * in its strings. Allocates nothing: a validator, not a parser, because the
 * pipeline keeps JSON payloads as text. */
bool ably_payload__json_valid(const char *s, size_t len, int max_depth);

/* ---- delta decoding (RTL19, PC3) ---- */

struct ably_vcdiff_decoder;

/* What a realtime channel keeps to decode "vcdiff" steps: its plugin and the
 * base payload of its last message. Owned by the channel; free with
 * ably_payload__delta_clear. */
typedef struct ably_payload_delta {
    const struct ably_vcdiff_decoder *decoder; /* borrowed; NULL: "vcdiff" fails with 40019 */
    unsigned char *base;                       /* RTL19: owned copy, base_len bytes */
    size_t base_len, base_cap;
    bool has_base;
    bool track;                                /* keep a base for every message (the channel asked for deltas) */
} ably_payload_delta;

void ably_payload__delta_clear(ably_payload_delta *d);

/* ably_payload_decode plus RTL19: a "vcdiff" step is applied to d's base with
 * d's decoder, and the base is updated from each message: the data after an
 * outermost "base64" step (RTL19a), else as received (RTL19b), or the direct
 * result of a "vcdiff" step (RTL19c). Stores a base only when d->track or the
 * message was a delta. A "vcdiff" step fails with 40019 when there is no
 * decoder, with 40018 when there is no base or the delta does not decode;
 * no other step fails with those codes. d may be NULL (then as
 * ably_payload_decode). */
int ably_payload__decode_delta(ably_data *data, char **encoding, ably_cipher *cipher, ably_payload_delta *d,
                               ably_error *err);

#endif
