/* The REST request pipeline, shared by every REST module inside the library
 * (auth, channels, presence, push, ...). Not installed; not public API.
 *
 * ably_rest_perform sends one logical request to Ably and handles, for the caller:
 *  - host choice: the primary domain (REC1) and, on qualifying failures (RSC15l:
 *    network errors, timeouts, 5xx, CloudFront errors), the shuffled fallback domains
 *    (REC2, RSC15a), remembering a successful fallback for fallbackRetryTimeout
 *    (RSC15f), within httpMaxRetryCount / httpMaxRetryDuration;
 *  - the standard headers: X-Ably-Version (RSC7e), Ably-Agent (RSC7d), Accept and,
 *    when there is a body, Content-Type for the client's format; the request_id
 *    query parameter when addRequestIds is set (RSC7c, the same id on every attempt);
 *  - Authorization from the auth module when call->authenticated, and one renewal
 *    plus retry on a token error 40140 <= code < 40150 (RSA4b, RSC10);
 *  - errors: a reply with status >= 400 becomes an ably_error decoded from the body
 *    or the X-Ably-Errorcode / X-Ably-Errormessage headers, or synthesised from the
 *    status when neither is there.
 *
 * Return convention: 0 on success (2xx/3xx reply in *reply), -1 on failure with *err
 * filled. On failure caused by an HTTP error reply, *reply still holds that reply
 * (status, headers, body) so callers such as request() (RSC19, HP) can expose it;
 * always call ably_rest_reply_clear afterwards, success or not.
 *
 * Thread safety: every function here may be called from any thread concurrently
 * on the same ably_rest; the pipeline locks what it shares.
 */
#ifndef ABLY_REST_INTERNAL_H
#define ABLY_REST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/codec.h"
#include "ably/error.h"
#include "ably/options.h"
#include "ably/rest.h"
#include "ably/value.h"
#include "log_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_auth ably_auth;

/* One logical request. Everything is borrowed for the duration of the call. */
typedef struct {
    const char *method;             /* "GET", "POST", ... */
    const char *path;               /* "/channels/x/messages"; already percent-encoded */
    const ably_string_map *query;   /* NULL: none; values are encoded by the pipeline */
    const ably_string_map *headers; /* extra headers, NULL: none */
    const void *body;               /* NULL: no body */
    size_t body_len;
    bool authenticated;             /* false: send no Authorization header (e.g. requestToken) */
} ably_rest_call;

/* What came back. Owned by the caller: release with ably_rest_reply_clear.
 * Header names are stored lower-cased. `format` is the format of `body` as told by
 * the reply's Content-Type (JSON when absent or not msgpack). */
typedef struct {
    int status;
    ably_string_map headers;
    ably_buf body;
    ably_format format;
} ably_rest_reply;

/* Zero-initialising a reply (= {0}) is equivalent. */
void ably_rest_reply_init(ably_rest_reply *reply);
void ably_rest_reply_clear(ably_rest_reply *reply);

/* Sends `call` to Ably through the pipeline described above. */
int ably_rest_perform(ably_rest *rest, const ably_rest_call *call, ably_rest_reply *reply, ably_error *err);

/* Sends one request to an arbitrary absolute URL (authUrl, RSA8c): no fallback, no
 * Ably headers, no Authorization. `query` is appended to the URL; `content_type` is
 * sent when body is not NULL. Same return convention as ably_rest_perform. */
int ably_rest_fetch_url(ably_rest *rest, const char *method, const char *url, const ably_string_map *query,
                        const ably_string_map *headers, const void *body, size_t body_len,
                        const char *content_type, ably_rest_reply *reply, ably_error *err);

/* msgpack unless useBinaryProtocol is false (TO3f). */
ably_format ably_rest_format(const ably_rest *rest);
/* Milliseconds since the Unix epoch, through the configured clock. */
int64_t ably_rest_now_ms(const ably_rest *rest);
/* The client's own copy of the options (strings and maps copied at create). */
const ably_client_options *ably_rest_options(const ably_rest *rest);
/* The auth state created by ably_auth_new during ably_rest_create. */
ably_auth *ably_rest_auth_state(ably_rest *rest);

/* ---- for the realtime client (which must not see the REST core's struct) ---- */

/* The Ably-Agent value (RSC7d), also sent as the realtime `agent` param. Owned by rest. */
const char *ably_rest_agent(const ably_rest *rest);
/* The client's logger (ClientOptions.logHandler / logLevel). Owned by rest. */
const ably_logger *ably_rest_logger(ably_rest *rest);

/* The realtime domains: the primary (realtimeHost when set, REC1d2; else as for REST,
 * REC1) and the fallback domains (REC2). *primary and the *fallbacks array and its
 * strings are new allocations for the caller: release with ably_rest_realtime_hosts_free.
 * 0, or -1 with *err (out of memory). */
int ably_rest_realtime_hosts(const ably_rest *rest, char **primary, char ***fallbacks, size_t *fallback_count,
                             ably_error *err);
void ably_rest_realtime_hosts_free(char *primary, char **fallbacks, size_t fallback_count);

/* Percent-encodes s for a URL query component (RFC 3986 unreserved kept), appending to
 * *b; 0, or -1 when out of memory. (Also declared in rest_core.h, where it lives.) */
int ably_url_encode_append(ably_buf *b, const char *s);

/* RTN17e: the realtime connection is up on `host` (NULL: no longer connected, or on the
 * primary). While pinned to one of the fallback domains, REST requests try that host
 * first; a qualifying failure there unpins it and the usual RSC15 sequence follows.
 * Unpinning leaves a preference learnt by REST itself (RSC15f) alone. Thread safe. */
void ably_rest_pin_realtime_host(ably_rest *rest, const char *host);

/* The reply body as JSON text in *out (replacing its contents), converting msgpack
 * (binary becomes base64 text). An empty body gives "". 0, or -1 with *err (40000). */
int ably_rest_reply_json(const ably_rest_reply *reply, ably_buf *out, ably_error *err);

/* ---- paginated results (TG, HP; public accessors in ably/paginated.h) ---- */

/* Post-processes the items of a freshly decoded page in place, e.g. decoding
 * message payloads for history (RSL6). Return 0, or -1 with *err to fail the page. */
typedef int (*ably_paginated_item_hook)(void *ctx, void *items, size_t count, ably_error *err);

typedef struct {
    const ably_type_desc *type;    /* item type; NULL: HttpPaginatedResponse (request(), HP) */
    ably_paginated_item_hook hook; /* NULL: none */
    void *hook_ctx;                /* borrowed: must outlive every page fetched with this kind */
} ably_paginated_kind;

/* Performs `call` (a GET, normally) and wraps the reply as a page whose next /
 * first / current links repeat the call's headers and authentication. The body
 * is a JSON/msgpack array of `kind->type` (or a single object, giving one item).
 * For HP pages (type NULL) an HTTP error status still yields a page (0 returned)
 * describing it; only transport failures return -1. The page owns copies of
 * everything it needs; *out is the caller's (ably_paginated_result_free). */
int ably_paginated_fetch(ably_rest *rest, const ably_paginated_kind *kind, const ably_rest_call *call,
                         ably_paginated_result **out, ably_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REST_INTERNAL_H */
