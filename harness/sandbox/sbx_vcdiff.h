/* A small VCDIFF (RFC 3284) encoder, so the sandbox can send delta messages
 * like Ably does for channels attached with `delta=vcdiff` (RTL19).
 *
 * One window with the whole base as its VCD_SOURCE segment; matches of 4+
 * bytes found through a hash of the base become COPYs (mode SELF), everything
 * else ADDs. Output uses only the default code table and no extensions, so any
 * standard decoder (ours, open-vcdiff, @ably/vcdiff-decoder) reads it. Not the
 * smallest possible delta, but always a correct one.
 *
 * Self-contained (libc only) so tests may compile it in directly. */
#ifndef SBX_VCDIFF_H
#define SBX_VCDIFF_H

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd delta turning base into target (*out_len bytes; the
 * caller frees it), or NULL when out of memory. Either input may be empty. */
uint8_t *sbx_vcdiff_encode(const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len,
                           size_t *out_len);

#endif
