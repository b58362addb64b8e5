/* The UTS mock HTTP client (uts/rest/unit/helpers/mock_http.md) as an
 * ably_http_transport, plus a controllable clock.
 *
 *     mock_http *m = mock_http_new();
 *     mock_http_queue_json(m, 200, "[1234567890000]");
 *     ably_client_options o; ably_client_options_init(&o);
 *     o.key = "appId.keyId:keySecret";
 *     mock_http_install(m, &o);        // sets o.http_transport and o.clock
 *     ... ably_rest_create(&o, ...), calls ...
 *     assert_int_equal(mock_http_count(m), 1);
 *     mock_http_free(m);               // after destroying the clients
 *
 * Every request is recorded. Each is answered by the handler when one is set,
 * else by the first queued reply whose host matches (or that names no host),
 * else with 404 "no reply queued". Deterministic: no sleeps, no sockets. A reply
 * `delay_ms` advances the mock clock; a delay >= the request's timeout turns into
 * a request timeout (ABLY_HTTP_ERR_TIMEOUT) after advancing the clock by the
 * timeout. Thread safe; the handler runs without the mock's lock held, so it may
 * block (e.g. to hold a request while the test does something else).
 */
#ifndef ABLY_TEST_MOCK_HTTP_H
#define ABLY_TEST_MOCK_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "ably/ably.h"

typedef struct mock_http mock_http;

/* One recorded request; everything is owned by the mock. */
typedef struct {
    char *method;
    char *url;
    char *scheme;             /* "https" or "http" */
    char *host;               /* as the pipeline named it (no brackets, no port) */
    int port;
    char *path;               /* without the query */
    ably_string_map query;    /* decoded query parameters */
    ably_string_map headers;  /* as sent, names as given */
    ably_buf body;
    int64_t at_ms;            /* mock clock when sent */
    int64_t request_timeout_ms;
} mock_request;

/* What to answer. All pointers are copied when queued. */
typedef struct {
    ably_http_failure failure; /* non-zero: a network-level failure, no response */
    int status;
    const char *content_type;  /* NULL: application/json (or none when there is no body) */
    const void *body;          /* NULL: empty */
    size_t body_len;           /* 0 with a body: strlen(body) */
    const char *const *headers; /* extra headers, name/value pairs, NULL-terminated */
    int64_t delay_ms;
    const char *host;          /* only for requests to this host (queue_response_for_host) */
} mock_reply;

/* Called for every request when set; fill *reply (zeroed; strings must outlive the call). */
typedef void (*mock_handler)(void *ctx, const mock_request *req, size_t index, mock_reply *reply);

mock_http *mock_http_new(void);            /* clock starts at 1700000000000 */
void mock_http_free(mock_http *m);
void mock_http_install(mock_http *m, ably_client_options *opts);
void mock_http_reset(mock_http *m);        /* forgets requests and queued replies */

void mock_http_queue(mock_http *m, const mock_reply *reply);
void mock_http_queue_json(mock_http *m, int status, const char *json);
/* The JSON text re-encoded as msgpack, with Content-Type application/x-msgpack. */
void mock_http_queue_msgpack(mock_http *m, int status, const char *json);
void mock_http_queue_for_host(mock_http *m, const char *host, int status, const char *json);
void mock_http_queue_failure(mock_http *m, ably_http_failure failure);
void mock_http_set_handler(mock_http *m, mock_handler fn, void *ctx);

size_t mock_http_count(mock_http *m);
const mock_request *mock_http_request(mock_http *m, size_t i);
/* Case-insensitive header lookup; NULL when absent. */
const char *mock_request_header(const mock_request *r, const char *name);
const char *mock_request_query(const mock_request *r, const char *name);

int64_t mock_http_now(mock_http *m);
void mock_http_advance(mock_http *m, int64_t ms);

/* Encodes JSON text as msgpack into *out (replacing it); 0 or -1. */
int mock_json_to_msgpack(const char *json, ably_buf *out);

#endif
