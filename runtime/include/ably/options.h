/* ClientOptions (TO3): how an application configures a REST or Realtime client.
 *
 * Usage:
 *     ably_client_options opts;
 *     ably_client_options_init(&opts);          // every TO3 default
 *     opts.key = "appId.keyId:secret";
 *     ably_rest *rest;
 *     if (ably_rest_create(&opts, &rest, &err) != 0) { ... err.code, err.message ... }
 *
 * Ownership: every pointer in the struct is borrowed; the client copies what it
 * needs during create, so the options may be freed or reused right after.
 * Thread safety: a plain struct; no shared state.
 */
#ifndef ABLY_OPTIONS_H
#define ABLY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/value.h"
#include "ably/gen/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels (TO3b), most verbose last. */
typedef enum {
    ABLY_LOG_NONE = 0,
    ABLY_LOG_ERROR,
    ABLY_LOG_WARN,
    ABLY_LOG_INFO,
    ABLY_LOG_DEBUG,
    ABLY_LOG_VERBOSE
} ably_log_level;

/* Receives every log event at or above the configured level (TO3c): the level, a
 * human-readable line and a structured context (TO3c2: e.g. "method", "host",
 * "path" for HTTP requests; never NULL, may be empty). Both are valid only during
 * the call. May be called from any thread; must not call back into the client. */
typedef void (*ably_log_handler)(void *ctx, ably_log_level level, const char *line,
                                 const ably_string_map *context);

/* authCallback (RSA8d, TO3j5): obtain a token for `params`. Fill exactly one of
 * `*token` (a token string, malloc'd), `token_details` (fill it; the library
 * takes ownership of its contents) or `token_request` (a signed TokenRequest the
 * library exchanges at Ably); or return -1 and fill `err`. Called on a library
 * thread, never with internal locks held. */
typedef int (*ably_auth_callback)(void *ctx, const ably_token_params *params,
                                  char **token, ably_token_details *token_details,
                                  ably_token_request *token_request, ably_error *err);

/* A pluggable HTTP transport (see ably/transport.h); NULL means libcurl. */
typedef struct ably_http_transport ably_http_transport;
/* A pluggable clock (see ably/transport.h); NULL means the system clock. */
typedef struct ably_clock ably_clock;

typedef struct ably_client_options {
    /* --- authentication (TO3j, RSA) --- */
    const char *key;                        /* "keyName:keySecret" (TO3j1) */
    const char *token;                      /* a token string (TO3j2) */
    const ably_token_details *token_details;/* (TO3j3) */
    ably_auth_callback auth_callback;       /* (TO3j5) */
    void *auth_callback_ctx;
    const char *auth_url;                   /* (TO3j6) */
    const char *auth_method;                /* "GET" (default) or "POST" (TO3j7) */
    const ably_string_map *auth_headers;    /* (TO3j8) */
    const ably_string_map *auth_params;     /* (TO3j9) */
    bool use_token_auth;                    /* (TO3j4) */
    bool query_time;                        /* (TO3j10) */
    const ably_token_params *default_token_params; /* (TO3j11) */
    const char *client_id;                  /* (TO3a, RSA7) */

    /* --- where to connect (REC1–REC3, TO3k) --- */
    const char *endpoint;                   /* routing policy name, hostname or "localhost" */
    const char *environment;                /* deprecated (REC1c) */
    const char *rest_host;                  /* deprecated (REC1d1) */
    const char *realtime_host;              /* deprecated (REC1d2) */
    const char *const *fallback_hosts;      /* explicit fallback domains (REC2a) */
    size_t fallback_hosts_count;
    bool fallback_hosts_set;                /* true: use fallback_hosts even if empty */
    bool fallback_hosts_use_default;        /* deprecated (REC2b): the default fallbacks
                                               even with restHost / realtimeHost */
    int port;                               /* non-TLS port (TO3k4); 0 = 80 */
    int tls_port;                           /* TLS port (TO3k5); 0 = 443 */
    bool tls;                               /* (TO3d) */
    const char *connectivity_check_url;     /* (REC3b) the realtime "is the internet up?"
                                               check (RTN17j); NULL: the REC3a default.
                                               An absolute http:// or https:// URL */

    /* --- HTTP behaviour (TO3l) --- */
    int64_t http_open_timeout_ms;
    int64_t http_request_timeout_ms;
    int http_max_retry_count;
    int64_t http_max_retry_duration_ms;
    int64_t fallback_retry_timeout_ms;      /* (TO3l10) */
    bool idempotent_rest_publishing;        /* (TO3n) */
    bool use_binary_protocol;               /* msgpack when true (TO3f) */
    bool add_request_ids;                   /* (TO3p) */
    const ably_string_map *agents;          /* extra Ably-Agent entries (RSC7d6) */

    /* --- realtime (TO3e–TO3h, TO3l) --- */
    bool auto_connect;
    bool echo_messages;
    bool queue_messages;
    const char *recover;                    /* a recovery key (RTN16) */
    const ably_string_map *transport_params;/* (RTC1f) */
    int64_t disconnected_retry_timeout_ms;
    int64_t suspended_retry_timeout_ms;
    int64_t channel_retry_timeout_ms;
    int64_t realtime_request_timeout_ms;
    int64_t max_message_size;               /* until the server says otherwise (TO3l8) */
    /* plugins.vcdiff (TO3o, PC3): decodes delta messages, e.g.
     * ably_vcdiff_builtin_decoder() (ably/vcdiff.h). Borrowed: must outlive the
     * client. NULL: a delta message fails its channel with 40019. */
    const struct ably_vcdiff_decoder *vcdiff_decoder;
    /* strictMode (TO3r), default false. Operations that have no effect in the
     * client's state but historically succeed fail instead with the spec's error
     * (TO3r1): subscribe on a channel attached without the SUBSCRIBE mode (90009,
     * RTL7i1), presence get without PRESENCE_SUBSCRIBE (91008, RTP11f1). When false
     * they succeed and the failure is logged at ERROR (TO3r2). */
    bool strict_mode;

    /* --- logging (TO3b, TO3c) --- */
    ably_log_level log_level;               /* default ABLY_LOG_WARN (RSC2) */
    ably_log_handler log_handler;           /* NULL: lines go to stderr */
    void *log_handler_ctx;

    /* --- plumbing, for tests and embedders --- */
    const ably_http_transport *http_transport; /* NULL: libcurl */
    const ably_clock *clock;                   /* NULL: system clock */
} ably_client_options;

/* Fills *opts with every default of TO3 (generated/include/ably/gen/defaults.h);
 * pointers NULL, log level warn. Thread safe. */
void ably_client_options_init(ably_client_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_OPTIONS_H */
