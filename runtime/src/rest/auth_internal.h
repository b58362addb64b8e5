/* Internal interface between the REST request pipeline (rest_internal.h, owned by
 * the REST core) and the authentication module (auth*.c).
 *
 * The pipeline creates one ably_auth per client, asks it for the Authorization
 * header of every authenticated request, and hands it any token error the server
 * returned so it can decide whether a single retry with a renewed token is worth it.
 *
 * Ownership: ably_auth_new copies everything it needs from opts (opts may be freed
 * afterwards); the ably_auth belongs to the rest client, which frees it with
 * ably_auth_free after all requests have finished.
 * Thread safety: every function may be called from any number of threads at once.
 * The token state is guarded by a mutex that is never held across network I/O or
 * a user callback.
 */
#ifndef ABLY_REST_AUTH_INTERNAL_H
#define ABLY_REST_AUTH_INTERNAL_H

#include <stdbool.h>

#include "ably/error.h"
#include "ably/options.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_rest ably_rest; /* same typedef as ably/rest.h (C11 allows repeats) */
typedef struct ably_auth ably_auth;

/* Validates the auth options (RSA1–RSA4, RSA7, RSA15, TO3j) and chooses basic or
 * token auth. Does no I/O. `rest` is borrowed and must outlive the auth; it is
 * only used later, to fetch tokens. Returns 0, or -1 with *err filled (40106,
 * 40102, 40103, ...). */
int ably_auth_new(ably_rest *rest, const ably_client_options *opts, ably_auth **out,
                  ably_error *err);

/* NULL-safe. */
void ably_auth_free(ably_auth *auth);

/* Produces the value of the Authorization header for the next request:
 * "Basic <base64(key)>" or "Bearer <base64(token)>" (RSA11, RSA3b). May fetch a
 * token first (blocking) when none is held or the one held has expired (RSA4b1).
 * *header_value is malloc'd; the caller frees it. Returns 0 or -1 with *err. */
int ably_auth_authorization(ably_auth *auth, char **header_value, ably_error *err);

/* Called by the pipeline when the server rejected a request with `server_error`.
 * Returns 1 when it was a token error (40140 <= code < 40150), the token has been
 * renewed and the caller should retry the request exactly once (RSA4b).
 * Returns 0 when the request must fail; *err then holds the error to report:
 * a copy of server_error, or the renewal failure (e.g. 40171 when there is no
 * means to renew, RSA4a2). Never returns anything else. */
int ably_auth_handle_token_error(ably_auth *auth, const ably_error *server_error,
                                 ably_error *err);

/* True when the client uses token auth and has a means to get another token (a key,
 * an authCallback or an authUrl): a token error can then be answered by renewing. */
bool ably_auth_can_renew(ably_auth *auth);

/* The client identity, or NULL when unknown (RSA7, RSA12). The string is owned by
 * the auth and stays valid until ably_auth_free (identities are kept, not freed,
 * when they change so a returned pointer never dangles). */
const char *ably_auth_client_id(ably_auth *auth);

/* A realtime connection was established (or updated) and the server confirmed the
 * identity `client_id` in CONNECTED's connectionDetails (RSA7b3, RTC4a): Auth#clientId
 * reports it from now on unless ClientOptions set one. NULL is ignored (the server
 * confirmed no identity; the token's, if any, still stands). Copied. */
void ably_auth_set_connection_client_id(ably_auth *auth, const char *client_id);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REST_AUTH_INTERNAL_H */
