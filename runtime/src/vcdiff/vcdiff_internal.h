/* Private entry point of the VCDIFF decoder (not installed). */
#ifndef ABLY_VCDIFF_INTERNAL_H
#define ABLY_VCDIFF_INTERNAL_H

#include <stdbool.h>

#include "ably/vcdiff.h"

/* ably_vcdiff_decode with a caller-chosen cap on the result size, so tests can
 * exercise the "too large" path without allocating 64 MiB. */
int ably_vcdiff__decode_capped(const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len,
                               size_t max_out, uint8_t **out, size_t *out_len, ably_error *err);

/* RTL20: whether a message's extras (its JSON text, may be NULL) name `id` as
 * extras.delta.from (DE2a). False when either is absent or extras is not JSON. */
bool ably_vcdiff__delta_from_is(const char *extras, const char *id);

/* Whether an encoding string (may be NULL) has a "vcdiff" step. */
bool ably_vcdiff__is_delta(const char *encoding);

#endif
