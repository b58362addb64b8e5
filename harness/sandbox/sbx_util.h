/* Small helpers shared by every sandbox module: time, base64, HMAC, ids.
 * All returned strings are malloc'd and owned by the caller. */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

int64_t sbx_now_ms(void);

/* Standard base64 (with padding); url=true gives base64url without padding. */
char *sbx_base64_encode(const unsigned char *data, size_t len, bool url);
/* Accepts both alphabets, padding optional. Returns NULL on invalid input;
 * the result is NUL-terminated (not counted in *out_len). */
unsigned char *sbx_base64_decode(const char *text, size_t len, size_t *out_len);

/* HMAC-SHA256 of data under key into out[32]. */
void sbx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32]);

/* Random identifier of n chars from a URL-safe alphabet. */
char *sbx_random_id(size_t n);

/* Constant-time equality of two NUL-terminated strings. */
bool sbx_secure_streq(const char *a, const char *b);

char *sbx_strdup(const char *s);
char *sbx_strndup(const char *s, size_t n);
/* printf into a new string. */
char *sbx_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a base-10 int64; false on any junk. */
bool sbx_parse_i64(const char *s, int64_t *out);

#endif
