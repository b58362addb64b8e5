/* Authentication (RSA): the Auth object of a REST client, tokens and token requests.
 *
 *     ably_auth *auth = ably_rest_auth(rest);          // owned by the client
 *     ably_token_details td;
 *     ably_token_details_init(&td);
 *     if (ably_auth_authorize(auth, NULL, NULL, &td, &err) == 0) { ... td.token ... }
 *     ably_token_details_clear(&td);
 *
 * How a client authenticates is chosen at ably_rest_create (RSA1–RSA4, RSA14):
 * Basic auth with the API key when only a key is given (refused over plain HTTP,
 * RSA1, 40103); token auth when useTokenAuth is set or any of token, tokenDetails,
 * authCallback or authUrl is given. Tokens are obtained, in this order of preference
 * (RSA8, RSA10e): authCallback, authUrl, then a TokenRequest signed with the key and
 * exchanged at POST /keys/{keyName}/requestToken. A token known to be expired is
 * renewed before use (RSA4b1); a token rejected by Ably (40140–40149) is renewed
 * once and the request retried once (RSA4b). Without a means of renewal the
 * request fails with 40171 (RSA4a2).
 *
 * Arguments (RSA8e, RSA9h, RSA10j): `params` and `options` may be NULL, meaning "the
 * stored defaults" (ClientOptions.defaultTokenParams, and the client's own auth
 * options or those stored by the last authorize). When given, they are used instead
 * of the stored values, not merged with them, with two exceptions: a NULL clientId
 * takes the client's configured clientId (RSA7d), and a NULL key takes the client's
 * key, so that a signing key is never lost (RSA10i).
 *
 * Blocking: request_token, authorize and revoke_tokens block on network I/O and on
 * the authCallback; create_token_request blocks only when queryTime makes it ask
 * Ably for the time (RSA9d). Run them on a worker thread to avoid blocking.
 *
 * Thread safety: every function here may be called from any thread at any time,
 * concurrently with requests on the same client. The token state lives behind one
 * mutex that is held only to read or swap that state, never across network I/O or
 * a user callback, so an authCallback may itself call into the library (to read
 * the clientId, or to use another client). Concurrent renewals coalesce: while one
 * thread fetches a token, the others needing one wait for it instead of fetching
 * their own. Hence an authCallback must not make authenticated requests on, or
 * call authorize of, the client whose token it is producing: those wait for that
 * very token.
 *
 * Ownership: results are written to caller-initialised structs the caller then
 * clears; everything passed in is borrowed for the duration of the call only.
 */
#ifndef ABLY_AUTH_H
#define ABLY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/error.h"
#include "ably/options.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_rest ably_rest;
typedef struct ably_auth ably_auth;

/* AuthOptions (AO2). Zero-initialise, then set what you need. All pointers are
 * borrowed for the call; authorize copies what it keeps. */
typedef struct ably_auth_options {
    const char *key;                         /* AO2a: "keyName:keySecret" */
    ably_auth_callback auth_callback;        /* AO2b */
    void *auth_callback_ctx;
    const char *auth_url;                    /* AO2c */
    const char *auth_method;                 /* AO2d: "GET" (NULL) or "POST" */
    const ably_string_map *auth_headers;     /* AO2e */
    const ably_string_map *auth_params;      /* AO2f */
    const char *token;                       /* AO2h: a token string to use as-is */
    const ably_token_details *token_details; /* AO2i: a token to use as-is */
    bool query_time;                         /* AO2g: ask Ably for the time (never stored) */
    /* AO2j: when has_use_token_auth, true forces token auth (as authorize always
     * does) and false, given a key here or at create, makes authorize switch the
     * client back to Basic auth: the token is dropped and none is fetched. */
    bool use_token_auth;
    bool has_use_token_auth;
} ably_auth_options;

/* requestToken (RSA8): obtains a new token from the authCallback, the authUrl or by
 * exchanging a signed TokenRequest. Does not change what the client uses (use
 * authorize for that). On success fills *out (initialised by the caller). Errors:
 * 40170 when the authCallback or authUrl fails or gives a token in an invalid
 * format (RSA4e, RSA4f), with the underlying error as cause; Ably's own error when
 * the exchange is refused; 40106 when there is no means to get a token. */
int ably_auth_request_token(ably_auth *auth, const ably_token_params *params,
                            const ably_auth_options *options, ably_token_details *out,
                            ably_error *err);

/* createTokenRequest (RSA9): builds a TokenRequest signed with the key (HMAC-SHA256,
 * base64 mac), with a fresh 16+ character nonce (RSA9c) and the current time (from
 * Ably when queryTime, RSA9d) unless params carry them. ttl and capability are
 * left out when not given (RSA5, RSA6); a capability is canonicalised (keys and
 * operations sorted, no whitespace) since the mac covers its exact text. Fails with
 * 40101 when there is no key, 40003 for a capability that is not a JSON object of
 * string arrays. Fills *out (initialised by the caller). */
int ably_auth_create_token_request(ably_auth *auth, const ably_token_params *params,
                                   const ably_auth_options *options, ably_token_request *out,
                                   ably_error *err);

/* authorize (RSA10): obtains a new token now (or takes the token / tokenDetails in
 * options as-is, RSA10e), makes the client use token auth from now on, and stores
 * params (minus timestamp) and options (minus queryTime) as the defaults for later
 * renewals (RSA10g). With queryTime, the offset between Ably's clock and the local
 * one is measured once and kept (RSA10k). A token whose clientId is incompatible
 * with the client's fails with 40102 (RSA15c). Fills *out when not NULL. */
int ably_auth_authorize(ably_auth *auth, const ably_token_params *params,
                        const ably_auth_options *options, ably_token_details *out,
                        ably_error *err);

/* authorise (RSA10l): the deprecated alias of ably_auth_authorize; logs a
 * deprecation warning (it will be removed in v1.0) and then does exactly what
 * authorize does. */
int ably_auth_authorise(ably_auth *auth, const ably_token_params *params,
                        const ably_auth_options *options, ably_token_details *out,
                        ably_error *err);

/* Auth#clientId (RSA7, RSA12): a malloc'd copy of the client's identity ("*" for a
 * wildcard token), or NULL when it is not known. The caller frees it. */
char *ably_auth_get_client_id(ably_auth *auth);

/* Auth#tokenDetails (RSA16): copies the token in use into *out (initialised by the
 * caller) and returns 1; returns 0 (out untouched) when there is none, e.g. with
 * Basic auth or after a token was found invalid (RSA16d); -1 on out-of-memory. */
int ably_auth_get_token_details(ably_auth *auth, ably_token_details *out, ably_error *err);

/* Options of revokeTokens (RSA17e, RSA17f). Zero-initialise. */
typedef struct ably_revoke_tokens_options {
    int64_t issued_before;          /* RSA17e: ms since epoch, sent when has_issued_before */
    bool has_issued_before;
    bool allow_reauth_margin;       /* RSA17f: sent when has_allow_reauth_margin */
    bool has_allow_reauth_margin;
} ably_revoke_tokens_options;

/* revokeTokens (RSA17): POSTs the targets ("type:value", RSA17b) to
 * /keys/{keyName}/revokeTokens and fills *out (initialised by the caller) with the
 * BatchResult (RSA17c); a result with `error` set is a failure for that target.
 * Requires Basic auth: a client using token auth fails with 40162 (RSA17d) without
 * any request. `options` may be NULL. Blocking; thread safe. */
int ably_rest_revoke_tokens(ably_rest *rest, const ably_token_revocation_target_specifier *targets,
                            size_t target_count, const ably_revoke_tokens_options *options,
                            ably_token_revocation_batch_result *out, ably_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_AUTH_H */
