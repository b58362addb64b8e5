/* Shared by the examples: where to connect, from the environment.
 *
 *   ABLY_KEY       the API key "appId.keyId:secret" (required)
 *   ABLY_ENDPOINT  endpoint (e.g. 127.0.0.1 for a local ably-sandbox); default: Ably
 *   ABLY_PORT      port of that endpoint
 *   ABLY_TLS       0 to talk plain HTTP / ws (a local sandbox), 1 (default) for TLS
 *
 * `ably sandbox start` prints suitable values for a local sandbox. */
#ifndef ABLY_EXAMPLE_ENV_H
#define ABLY_EXAMPLE_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"

/* Fills *o from the environment; returns -1 (after saying why) without a key. */
static inline int example_options(ably_client_options *o)
{
    ably_client_options_init(o);
    o->key = getenv("ABLY_KEY");
    o->endpoint = getenv("ABLY_ENDPOINT");
    const char *port = getenv("ABLY_PORT");
    const char *tls = getenv("ABLY_TLS");
    o->tls = !(tls && strcmp(tls, "0") == 0);
    if (port && o->tls)
        o->tls_port = atoi(port);
    else if (port)
        o->port = atoi(port);
    if (!o->key || !*o->key) {
        fprintf(stderr, "set ABLY_KEY (and ABLY_ENDPOINT, ABLY_PORT, ABLY_TLS=0 for a local sandbox)\n");
        return -1;
    }
    return 0;
}

/* Prints a failed call's error on one line and clears it. */
static inline int example_fail(const char *what, ably_error *err)
{
    char text[512];
    ably_error_format(err, text, sizeof text);
    fprintf(stderr, "%s failed: %s\n", what, text);
    ably_error_clear(err);
    return 1;
}

#endif
