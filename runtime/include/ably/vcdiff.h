/* VCDIFF (RFC 3284) delta decoding: the `vcdiff` plugin (PC3, PT2a) and the
 * VCDiffDecoder interface (VD1, VD2).
 *
 * A realtime channel attached with the param `delta=vcdiff` receives each
 * message as a delta against the previous one (RTL19, RTL20). To decode those,
 * set ClientOptions.vcdiff_decoder (TO3o: our `plugins` slot for `vcdiff`):
 *
 *     opts.vcdiff_decoder = ably_vcdiff_builtin_decoder();
 *
 * or point it at your own ably_vcdiff_decoder to use another implementation.
 * Without a decoder, a delta message fails its channel with 40019 (PC3),
 * as the other Ably SDKs do.
 *
 * Ownership: the decoder struct (and its ctx) is borrowed and must outlive
 * every client using it. Output buffers are malloc'd and owned by the caller.
 * Thread safety: the built-in decoder has no state and may be used by any
 * number of threads at once.
 */
#ifndef ABLY_VCDIFF_H
#define ABLY_VCDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "ably/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* VD2a decode(delta, base) -> bytes. On success returns 0 with *out a malloc'd
 * buffer of *out_len bytes followed by one NUL byte (not counted), so text
 * results can be used as C strings. On failure returns -1, leaves *out NULL
 * and may describe the problem in err (the channel reports it as 40018,
 * RTL18a, whatever code is set here). PC3a: a string base is passed as its
 * UTF-8 bytes. */
typedef int (*ably_vcdiff_decode_fn)(void *ctx, const uint8_t *delta, size_t delta_len, const uint8_t *base,
                                     size_t base_len, uint8_t **out, size_t *out_len, ably_error *err);

/* A VCDiffDecoder (VD1): a decode function and its context. */
typedef struct ably_vcdiff_decoder {
    ably_vcdiff_decode_fn decode;
    void *ctx;
} ably_vcdiff_decoder;

/* The library's own RFC 3284 decoder: the default code table, VCD_SOURCE and
 * VCD_TARGET windows, the open-vcdiff Adler-32 window checksum and application
 * header extensions. Secondary compressors and custom code tables (never used
 * by Ably) are rejected. A static object: never free it. */
const ably_vcdiff_decoder *ably_vcdiff_builtin_decoder(void);

/* The largest result the built-in decoder will produce, to keep a hostile
 * delta from asking for gigabytes: 64 MiB, far above Ably's message size. */
#define ABLY_VCDIFF_MAX_TARGET ((size_t)64 * 1024 * 1024)

/* Applies `delta` to `base` with the built-in decoder (as its decode fn does,
 * ctx unused). Fails with 40018 (status 400) for a malformed or unsupported
 * delta, 50000 when out of memory. */
int ably_vcdiff_decode(const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len, uint8_t **out,
                       size_t *out_len, ably_error *err);

#ifdef __cplusplus
}
#endif

#endif
