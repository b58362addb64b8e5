/* The sandbox's request/response model and the route table.
 *
 * The HTTP layer (sbx_http.c) turns each lws transaction into an sbx_request,
 * finds the route (sbx_router.c), calls its handler, and writes the
 * sbx_response. Handlers never touch lws: they read the request, use the
 * store (sbx_store.h) and auth (sbx_auth.h), and fill the response with the
 * helpers below. See README.md for how to add a route. */
#ifndef SBX_SERVER_H
#define SBX_SERVER_H

#include "sbx_wire.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbx_store;

typedef enum {
    SBX_GET, SBX_POST, SBX_PUT, SBX_PATCH, SBX_DELETE, SBX_HEAD, SBX_OPTIONS, SBX_METHOD_OTHER
} sbx_method;

typedef struct {
    char *name;  /* owned, percent-decoded */
    char *value; /* owned, percent-decoded */
} sbx_pair;

#define SBX_MAX_ROUTE_PARAMS 4

/* One HTTP request. Everything is owned by the request and freed by
 * sbx_request_clear; handlers only read it. */
typedef struct {
    sbx_method method;
    char *path;          /* percent-decoded path, no query */
    sbx_pair *query;     /* decoded query parameters in order */
    size_t query_count;
    sbx_pair *headers;   /* the headers handlers may need (lower-case names) */
    size_t header_count;
    char *body;          /* raw body bytes, NUL-terminated for convenience */
    size_t body_len;
    /* Route parameters, in pattern order ({appId}, {channel}...): point into
     * route_buf, valid until the request is cleared. */
    const char *params[SBX_MAX_ROUTE_PARAMS];
    size_t param_count;
    char *route_buf;
} sbx_request;

/* One HTTP response being built. */
typedef struct {
    int status;
    const char *content_type; /* static string */
    char *body;               /* owned */
    size_t body_len;
    sbx_pair *headers;        /* owned extra headers */
    size_t header_count;
    bool close_connection;    /* close after writing (e.g. unread body) */
} sbx_response;

/* Everything a handler can reach. */
typedef struct sbx_server {
    struct sbx_store *store;
    size_t max_body;          /* request bodies above this get 413 / 40009 */
    int log_level;            /* 0 error .. 3 debug */
} sbx_server;

typedef void (*sbx_handler)(sbx_server *srv, const sbx_request *req, sbx_response *resp);

typedef struct {
    sbx_method method;
    /* Path pattern: literal segments, {name} for one segment, {name+} for one
     * or more segments (channel names may contain '/', which lws has already
     * decoded from %2F). */
    const char *pattern;
    sbx_handler handler;
} sbx_route;

/* The route table, defined in sbx_routes.c, terminated by a NULL pattern. */
extern const sbx_route sbx_routes[];

/* Request accessors (NULL when absent). Header names are lower-case. */
const char *sbx_query(const sbx_request *req, const char *name);
const char *sbx_header(const sbx_request *req, const char *name);
void sbx_request_clear(sbx_request *req);

/* Matches the request against the table and runs the handler, or answers
 * 404 / 40400 or 405 / 40500. */
void sbx_dispatch(sbx_server *srv, sbx_request *req, sbx_response *resp);
/* Exposed for tests: match one pattern against a path. On success fills
 * params (pointing into *buf, which the caller frees). */
bool sbx_route_match(const char *pattern, const char *path, char **buf,
                     const char **params, size_t *count);

/* --- Response helpers --- */

/* Serialises `value` in the format the request's Accept asks for, and takes
 * ownership of `value`. */
void sbx_respond_value(const sbx_request *req, sbx_response *resp, int status, cJSON *value);
/* An Ably ErrorInfo body {"error":{code,statusCode,message,href}} plus the
 * X-Ably-Errorcode / X-Ably-Errormessage headers. */
void sbx_respond_error(const sbx_request *req, sbx_response *resp, int status, int code,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sbx_respond_empty(sbx_response *resp, int status);
/* Adds a header (copied). */
void sbx_response_header(sbx_response *resp, const char *name, const char *value);
void sbx_response_clear(sbx_response *resp);

/* Decodes the request body by its Content-Type. On failure answers 400 /
 * 40001 (malformed) or 415 / 40001 (unsupported type) and returns NULL. */
cJSON *sbx_request_body(const sbx_request *req, sbx_response *resp);

/* Logging to stderr at a level (0 error, 1 warn, 2 info, 3 debug). */
void sbx_log(const sbx_server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
