/* Errors: every failing libably call fills an ably_error, the ErrorInfo of the spec
 * (TI1; the struct is generated from spec/schema/error_info.yaml into ably/gen/types.h).
 *
 * Ownership: an ably_error owns its strings, cause and detail. Zero-initialise one
 * (or ably_error_init) before first use; ably_error_clear frees its contents.
 * Thread safety: no shared state.
 */
#ifndef ABLY_ERROR_H
#define ABLY_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "ably/gen/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ABLY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ABLY_PRINTF(fmt, args)
#endif

/* Replaces *e (freeing what it held) with code, statusCode and a printf-formatted
 * message. NULL-safe: does nothing when e is NULL. A status of 0 leaves statusCode absent. */
void ably_error_set(ably_error *e, int code, int status, const char *fmt, ...) ABLY_PRINTF(4, 5);

/* True when *e holds an error (a code or a message). False for NULL. */
bool ably_error_is_set(const ably_error *e);

/* Renders e for logs, with the help URL of TI5:
 *   "message (code 40140, status 401) See https://help.ably.io/error/40140"
 * href is used as the URL when present; no URL when neither href nor code is present,
 * or when the message already contains it. Writes at most size bytes, always
 * NUL-terminated when size > 0; returns the length the full text needs (like snprintf). */
size_t ably_error_format(const ably_error *e, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_ERROR_H */
