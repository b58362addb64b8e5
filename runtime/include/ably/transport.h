/* Pluggable HTTP transport and clock.
 *
 * The REST client sends every HTTP request through an ably_http_transport: a
 * blocking "perform one request" function. The default is libcurl with keep-alive
 * connection reuse; tests install a mock (tests/support/mock_http.h) and embedders
 * may install their own stack. The clock supplies wall time in milliseconds, so
 * tests can control time (fallbackRetryTimeout, token expiry) without sleeping.
 *
 * Ownership: the transport and clock structs, and whatever their ctx points to, are
 * borrowed by the client and must outlive every client that uses them.
 * Thread safety: perform and now_ms may be called from several threads at once.
 */
#ifndef ABLY_TRANSPORT_H
#define ABLY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/codec.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_http_transport ably_http_transport; /* also in ably/options.h */
typedef struct ably_clock ably_clock;

/* One outgoing HTTP request. Everything is borrowed for the duration of perform. */
typedef struct {
    const char *method;             /* "GET", "POST", ... */
    const char *url;                /* absolute: "https://host:port/path?query" */
    const char *host;               /* the host part of url (for transports and tests) */
    int port;
    bool tls;
    const ably_string_map *headers; /* name -> value, as they should be sent */
    const void *body;               /* NULL: no body */
    size_t body_len;
    int64_t open_timeout_ms;        /* connect timeout (httpOpenTimeout) */
    int64_t request_timeout_ms;     /* whole-request timeout (httpRequestTimeout) */
} ably_http_request;

/* Why a request produced no HTTP response. */
typedef enum {
    ABLY_HTTP_OK = 0,               /* a response arrived (any status) */
    ABLY_HTTP_ERR_REFUSED,          /* connection refused / reset */
    ABLY_HTTP_ERR_DNS,              /* the host name did not resolve */
    ABLY_HTTP_ERR_CONNECT_TIMEOUT,  /* no connection within open_timeout_ms */
    ABLY_HTTP_ERR_TIMEOUT,          /* connected, but no full response within request_timeout_ms */
    ABLY_HTTP_ERR_OTHER             /* TLS failure, protocol error, ... */
} ably_http_failure;

/* What came back. The transport fills it; the caller owns it afterwards and
 * releases it with ably_http_response_clear. Header names must be stored
 * lower-cased (HTTP header names are case-insensitive). */
typedef struct {
    ably_http_failure failure;
    int status;
    ably_string_map headers;
    ably_buf body;
    char *detail;                   /* malloc'd text about a failure, or NULL */
} ably_http_response;

void ably_http_response_init(ably_http_response *res);
void ably_http_response_clear(ably_http_response *res);

struct ably_http_transport {
    /* Sends req and fills *res (initialised by the caller). Returns 0 when *res was
     * filled, including network failures reported through res->failure; -1 only for
     * a local fault such as out-of-memory. */
    int (*perform)(void *ctx, const ably_http_request *req, ably_http_response *res);
    void *ctx;
};

struct ably_clock {
    int64_t (*now_ms)(void *ctx); /* milliseconds since the Unix epoch */
    void *ctx;
};

/* The library's default transport: libcurl, HTTP/1.1, TLS verification on, a small
 * pool of kept-alive connections shared by the clients that use it. Process-wide
 * and thread safe; created on first use. */
const ably_http_transport *ably_http_transport_default(void);

/* The system clock (CLOCK_REALTIME). */
const ably_clock *ably_clock_system(void);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_TRANSPORT_H */
