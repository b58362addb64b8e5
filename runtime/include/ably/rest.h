/* The REST client (RSC).
 *
 *     ably_client_options opts;
 *     ably_client_options_init(&opts);
 *     opts.key = "appId.keyId:secret";
 *     ably_rest *rest;
 *     ably_error err = {0};
 *     if (ably_rest_create(&opts, &rest, &err) != 0) { ...; ably_error_clear(&err); }
 *     int64_t t;
 *     ably_rest_time(rest, &t, &err);
 *     ably_rest_destroy(rest);
 *
 * Blocking: every call that talks to Ably blocks the calling thread until the reply
 * (or the last fallback attempt) is in, bounded by httpRequestTimeout per attempt and
 * httpMaxRetryDuration overall. A caller that must not block runs the calls on a
 * thread of its own (for example one worker thread per client fed by a queue); the
 * library keeps no event loop of its own for REST, on purpose, to stay simple.
 *
 * Thread safety: an ably_rest may be used from several threads at once; each
 * function below says so. ably_rest_destroy must not race with other calls.
 *
 * Ownership: functions returning a result through an out-pointer hand it to the
 * caller, who frees it with the matching _free/_clear function. Errors are written
 * to a caller-owned ably_error (free with ably_error_clear).
 */
#ifndef ABLY_REST_H
#define ABLY_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/error.h"
#include "ably/options.h"
#include "ably/paginated.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_rest ably_rest;
typedef struct ably_auth ably_auth;

/* Validates and copies *opts, then builds a client (RSC1, TO3, REC1). No I/O.
 * Fails with 40106 when no means of authentication is given, 40000 for
 * conflicting or malformed options (e.g. endpoint together with environment,
 * restHost or realtimeHost, REC1b1). Thread safe. */
int ably_rest_create(const ably_client_options *opts, ably_rest **out, ably_error *err);
/* Releases the client. NULL-safe. Free its paginated results first. */
void ably_rest_destroy(ably_rest *rest);

/* The client's Auth object (RSC5), owned by the client. See ably/auth.h. */
ably_auth *ably_rest_auth(ably_rest *rest);

/* The server time in milliseconds since the epoch (RSC16). Unauthenticated. Thread safe. */
int ably_rest_time(ably_rest *rest, int64_t *out_ms, ably_error *err);

/* Stats query (RSC6b). Zero-initialise, then set what you need. */
typedef struct {
    int64_t start;          /* ms since epoch; 0: not sent */
    int64_t end;            /* ms since epoch; 0: not sent */
    const char *direction;  /* "forwards" or "backwards"; NULL: server default (backwards) */
    int limit;              /* 0: server default (100); at most 1000 */
    const char *unit;       /* "minute", "hour", "day" or "month"; NULL: server default (minute) */
} ably_stats_params;

/* Application statistics (RSC6): a paginated result of ably_stats. params may be
 * NULL. Thread safe. */
int ably_rest_stats(ably_rest *rest, const ably_stats_params *params, ably_paginated_result **out,
                    ably_error *err);

/* Stats#intervalTime (TS12p): the start of stats->interval_id ("yyyy-mm-dd:hh:mm",
 * or the shorter "yyyy-mm-dd:hh", "yyyy-mm-dd", "yyyy-mm" of coarser units) as ms
 * since the epoch, UTC. Returns 0, or -1 when the id is missing or malformed.
 * Pure; thread safe. */
int ably_stats_interval_time(const ably_stats *stats, int64_t *out_ms);

/* ---- typed annotation summaries (TM7) ----
 *
 * A message's annotations.summary (TM8a) is kept as opaque JSON text (TM8a1) and
 * never converted automatically (TM7a). These helpers convert, on request, the
 * summary of one annotation type: take that type's JSON value out with
 * ably_annotation_summary_of_type, then call the helper matching the type's
 * aggregation (e.g. "reaction:distinct.v1" -> ably_summary_distinct_v1).
 * Results are caller-initialised (zeroed) structs the caller frees with the
 * matching _clear. Errors: 40000 for JSON of the wrong shape. Pure; thread safe. */

/* SummaryClientIdList (TM7c1). */
typedef struct {
    int64_t total;       /* TM7c1a */
    char **client_ids;   /* TM7c1b */
    size_t client_ids_count;
    bool clipped;        /* TM7c1c: false when absent */
} ably_summary_client_id_list;

/* SummaryClientIdCounts (TM7d1). */
typedef struct {
    int64_t total;              /* TM7d1a */
    ably_number_map client_ids; /* TM7d1b: clientId -> count */
    bool clipped;               /* TM7d1c: false when absent */
    int64_t total_unidentified; /* TM7d1d */
    int64_t total_client_ids;   /* TM7d1e */
} ably_summary_client_id_counts;

/* SummaryTotal (TM7e1). */
typedef struct {
    int64_t total; /* TM7e1a */
} ably_summary_total;

/* Dict<annotation name, SummaryClientIdList> (TM7b1, TM7b2). */
typedef struct {
    char **names;
    ably_summary_client_id_list *values;
    size_t count;
} ably_summary_client_id_lists;

/* Dict<annotation name, SummaryClientIdCounts> (TM7b3). */
typedef struct {
    char **names;
    ably_summary_client_id_counts *values;
    size_t count;
} ably_summary_client_id_counts_map;

/* The JSON text of the summary of `type` within `summary_json` (a TM8a summary)
 * into *out (malloc'd; caller frees). Returns 1 when found, 0 when the summary
 * has no such type (*out NULL), -1 on malformed JSON. */
int ably_annotation_summary_of_type(const char *summary_json, const char *type, char **out, ably_error *err);
int ably_summary_distinct_v1(const char *json, ably_summary_client_id_lists *out, ably_error *err); /* TM7b1 */
int ably_summary_unique_v1(const char *json, ably_summary_client_id_lists *out, ably_error *err);   /* TM7b2 */
int ably_summary_multiple_v1(const char *json, ably_summary_client_id_counts_map *out,
                             ably_error *err);                                                     /* TM7b3 */
int ably_summary_flag_v1(const char *json, ably_summary_client_id_list *out, ably_error *err);      /* TM7b4 */
int ably_summary_total_v1(const char *json, ably_summary_total *out, ably_error *err);              /* TM7b5 */
void ably_summary_client_id_list_clear(ably_summary_client_id_list *v);
void ably_summary_client_id_lists_clear(ably_summary_client_id_lists *v);
void ably_summary_client_id_counts_map_clear(ably_summary_client_id_counts_map *v);

/* PresenceMessage#memberKey (TP3h): "connectionId:clientId", which tells apart
 * members sharing a clientId on different connections. malloc'd (caller frees);
 * NULL when either part is missing or out of memory. Pure; thread safe. */
char *ably_presence_message_member_key(const ably_presence_message *m);

/* A raw REST request (RSC19). `body_json` is JSON text (or NULL), sent as JSON or
 * msgpack per useBinaryProtocol. `version` > 0 overrides the X-Ably-Version header
 * (RSC19f1). An HTTP error status is not a failure: the result reports it (HP4–HP7)
 * and 0 is returned; -1 means no response could be had (network errors on every
 * host, invalid arguments). Thread safe. */
int ably_rest_request(ably_rest *rest, const char *method, const char *path, int version,
                      const ably_string_map *params, const char *body_json, const ably_string_map *headers,
                      ably_paginated_result **out, ably_error *err);

/* The library version, e.g. "0.1.0" (used in Ably-Agent, RSC7d). */
const char *ably_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REST_H */
