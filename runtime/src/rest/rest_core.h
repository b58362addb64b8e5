/* Private to the REST core (rest.c, options.c, paginated.c, rest_api.c): the
 * client struct and helpers. Other modules use rest_internal.h instead. */
#ifndef ABLY_REST_CORE_H
#define ABLY_REST_CORE_H

#include <pthread.h>

#include "ably/transport.h"
#include "log_internal.h"
#include "rest/rest_internal.h"

/* Everything the copied options point to, owned by the client. */
typedef struct {
    char **strings;       /* every copied string, freed together */
    size_t string_count;
    char **fallback_hosts; /* the array itself (its strings are in `strings`) */
    ably_string_map auth_headers, auth_params, agents, transport_params;
    ably_token_details *token_details;
    ably_token_params *default_token_params;
} ably_options_storage;

/* Where requests go (REC1, REC2). */
typedef struct {
    char *primary;
    char **fallbacks;
    size_t fallback_count;
} ably_hosts;

struct ably_rest {
    ably_client_options opts;     /* the copy; pointers into `storage` */
    ably_options_storage storage;
    ably_hosts hosts;
    const ably_http_transport *transport;
    const ably_clock *clock;
    ably_logger log;
    ably_auth *auth;
    ably_format format;
    char *agent;                  /* the Ably-Agent header value (RSC7d) */

    /* RSC15f: the fallback host that last succeeded, until preferred_until. */
    pthread_mutex_t lock;
    const char *preferred_host;   /* points into hosts.fallbacks, or NULL */
    int64_t preferred_until;

    /* The channels collection (RSN1), created on first use by channels.c. */
    struct ably_rest_channels *channels;
};

/* channels.c: frees the collection and every channel in it. NULL-safe. */
void ably_rest_channels_free(struct ably_rest_channels *channels);

/* options.c */
int ably_options_copy(ably_client_options *dst, ably_options_storage *st, const ably_client_options *src,
                      ably_error *err);
void ably_options_storage_free(ably_options_storage *st);
/* Validates the non-auth options (TO3, REC1b1, REC1c1, REC2a1). */
int ably_options_validate(const ably_client_options *opts, ably_error *err);
/* Computes the primary and fallback domains (REC1, REC2). */
int ably_hosts_resolve(const ably_client_options *opts, ably_hosts *out, ably_error *err);
void ably_hosts_free(ably_hosts *h);

/* rest.c */
/* Percent-encodes s for a URL query component (RFC 3986 unreserved kept). */
int ably_url_encode_append(ably_buf *b, const char *s);
/* Decodes %XX and '+' in place-copied text; returns malloc'd string or NULL. */
char *ably_url_decode(const char *s, size_t len);
/* Builds an error from an HTTP error reply (body, X-Ably-Errorcode headers, or status). */
void ably_rest_error_from_reply(const ably_rest_reply *reply, ably_error *err);

#endif /* ABLY_REST_CORE_H */
