/* Private to the auth module (runtime/src/rest/auth*.c): the shared state and
 * the helpers the auth files call across each other. Not for other modules; they
 * use auth_internal.h.
 */
#ifndef ABLY_REST_AUTH_PRIVATE_H
#define ABLY_REST_AUTH_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ably/auth.h"
#include "ably/codec.h"
#include "log_internal.h"
#include "rest/auth_internal.h"

/* A token string or JSON document longer than this is invalid (RSA4f). */
#define ABLY_AUTH_MAX_TOKEN_BYTES (128 * 1024)

/* A renewable token is treated as expired this long before its expiry time, so a
 * request does not set off with a token that dies in transit or that a server with
 * a slightly different clock already considers expired. */
#define ABLY_AUTH_EXPIRY_MARGIN_MS 1000

/* Where tokens come from: the auth options in force (ClientOptions at first, then
 * whatever authorize stored, RSA10g). Immutable once built and reference-counted,
 * so a thread fetching a token can keep using its snapshot without the lock while
 * authorize swaps in a new one. */
typedef struct auth_source {
    atomic_int refs;
    char *key;        /* "keyName:keySecret", or NULL */
    char *key_name;   /* the part before ':' */
    char *key_secret; /* the part after ':' */
    ably_auth_callback callback;
    void *callback_ctx;
    char *auth_url;
    bool auth_post;   /* authMethod POST (RSA8c1b) rather than GET */
    ably_string_map headers;
    ably_string_map params;
} auth_source;

struct ably_auth {
    ably_rest *rest;          /* borrowed: the owning client */
    ably_logger log;          /* a copy of the client's log settings */
    pthread_mutex_t mu;       /* guards everything below */
    pthread_cond_t fetched;   /* signalled when a token fetch ends */
    bool fetching;            /* a token fetch is in progress (others wait for it) */

    bool token_auth;          /* RSA4: token auth rather than Basic */
    bool basic_exposed;       /* RSA1: Basic auth would go over plain HTTP to a remote host */
    auth_source *src;         /* current token source (owned reference) */
    ably_token_params defaults;  /* stored TokenParams (RSA10g), timestamp never set */
    char *configured_client_id;  /* ClientOptions.clientId (RSA7b1), or NULL */
    char *connection_client_id;  /* confirmed by a realtime CONNECTED (RSA7b3), or NULL */
    char *basic_header;       /* "Basic <base64(key)>", when there is a key */

    bool has_token;
    ably_token_details token; /* the token in use (RSA16) */
    char *bearer_header;      /* "Bearer <token>" for `token` */

    bool has_time_offset;     /* RSA10k: Ably's clock minus ours, once measured */
    int64_t time_offset_ms;

    /* Client ids once returned by ably_auth_client_id are kept until free so the
     * returned pointers never dangle (they change only when a token does). */
    char **retired_ids;
    size_t retired_count;
};

/* ---- auth_source.c-ish helpers (auth.c) ---- */
void auth_source_unref(auth_source *src);

/* Sets *err to code/status with a formatted message and `cause` (moved into it;
 * `cause` is left zeroed). */
void auth_error_with_cause(ably_error *err, int code, int status, ably_error *cause, const char *fmt, ...)
    ABLY_PRINTF(5, 6);

/* Ably's idea of now (local clock plus the measured offset). When query_time and no
 * offset is known yet, asks Ably for the time first and keeps the offset (RSA9d,
 * RSA10k). No lock held on entry. */
int auth_server_time(ably_auth *auth, bool query_time, int64_t *out, ably_error *err);

/* ---- auth_token_request.c ---- */

/* Builds and signs a TokenRequest from `params` with the key of `src` (RSA9). */
int auth_sign_token_request(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                            bool query_time, ably_token_request *out, ably_error *err);

/* Canonical capability text (RSA9f): keys and operations sorted, no whitespace.
 * *out is malloc'd. Fails with 40003 for anything but an object of string arrays. */
int auth_canonical_capability(const char *capability, char **out, ably_error *err);

/* The HMAC-SHA256 of `text` with `secret`, base64-encoded, malloc'd (RSA9g). */
char *auth_hmac_base64(const char *secret, const char *text, size_t text_len);

/* Exchanges a TokenRequest at POST /keys/{keyName}/requestToken, unauthenticated (RSA8a). */
int auth_exchange_token_request(ably_auth *auth, const ably_token_request *tr, ably_token_details *out,
                                ably_error *err);

/* ---- auth_url.c ---- */

/* Obtains a token from the authUrl of `src` (RSA8c): GET with the merged
 * authParams/params in the query or POST with them form-encoded; the response's
 * Content-Type decides between a token string and a JSON TokenDetails /
 * TokenRequest (the latter is exchanged). Failures other than Ably's own errors
 * become 40170 (RSA4e). */
int auth_fetch_from_url(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                        ably_token_details *out, ably_error *err);

/* Adds the non-absent TokenParams as strings to *m ("ttl", "capability",
 * "clientId", "timestamp", "nonce"), replacing same-named entries (TK toQueryParams). */
int auth_token_params_to_map(const ably_token_params *params, ably_string_map *m);

/* Appends the percent-encoding of s (RFC 3986 unreserved kept) to *b. */
int auth_percent_encode(ably_buf *b, const char *s);

#endif /* ABLY_REST_AUTH_PRIVATE_H */
