/* Test helper: fills any generated protocol struct with sample values, field by
 * field from its descriptor, so codec tests can cover every type without naming it. */
#ifndef ABLY_TEST_CODEC_SAMPLE_H
#define ABLY_TEST_CODEC_SAMPLE_H

#include "ably/ably.h"

/* Fills every field of *value (which must own nothing) with a non-default sample.
 * `variant` (0 or 1) picks between two sets of samples (e.g. string vs. JSON data).
 * Data fields get values that survive `format` unchanged: STRING or JSON for JSON,
 * STRING or BINARY for msgpack (see ably/codec.h). Pass depth 0; nested objects
 * and arrays of objects are filled two levels deep.
 * Returns 0, or -1 when out of memory. */
int codec_sample_fill(const ably_type_desc *type, void *value, ably_format format, int variant, int depth);

#endif
