/* Private helpers shared by the crypto and payload modules (not installed).
 *
 * The base64 codec here is deliberately lenient on input: it accepts both the
 * standard alphabet (RFC 4648 s.4) and the URL-safe one (s.5), with or without
 * '=' padding, because keys and payloads come from many environments (RSE1c).
 * It rejects anything else (whitespace included), so corrupt payloads surface
 * as errors rather than garbage.
 */
#ifndef ABLY_CRYPTO_INTERNAL_H
#define ABLY_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Calls sodium_init() exactly once per process, whichever thread gets here
 * first. Returns 0 when libsodium is usable, -1 otherwise. Thread-safe. */
int ably_crypto__ensure_sodium(void);

/* Upper bound of the decoded size of `len` base64 characters. */
static inline size_t ably_b64__decoded_max(size_t len) { return (len / 4) * 3 + 3; }

/* Exact size of the padded standard base64 text for `len` bytes (no NUL). */
static inline size_t ably_b64__encoded_len(size_t len) { return ((len + 2) / 3) * 4; }

/* Decodes `len` characters at `in` into `out` (room for decoded_max(len)).
 * `out` may equal `in`: the decoder never writes ahead of what it has read,
 * so decoding in place is safe. Returns false on any invalid character,
 * misplaced padding or impossible length. */
bool ably_b64__decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

/* Decodes buf[0..len) in place. On failure (false) buf is restored to its
 * text, so a payload that is not valid base64 can still be delivered as it
 * arrived (RSL6b); the one difference is that URL-safe characters before the
 * bad one come back in the standard alphabet, which decodes identically. */
bool ably_b64__decode_in_place(char *buf, size_t len, size_t *out_len);

/* Writes the padded standard base64 form of `len` bytes to `out`
 * (room for encoded_len(len) + 1) and NUL-terminates it. */
void ably_b64__encode(const uint8_t *in, size_t len, char *out);

#endif
