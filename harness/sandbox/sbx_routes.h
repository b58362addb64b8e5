/* Every route handler, by module. The table itself is in sbx_routes.c. */
#ifndef SBX_ROUTES_H
#define SBX_ROUTES_H

#include "sbx_server.h"

/* routes_apps.c */
void sbx_route_post_apps(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_delete_app(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_auth.c */
void sbx_route_request_token(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_time.c */
void sbx_route_time(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_messages.c */
void sbx_route_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_history(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_channels.c */
void sbx_route_channel_status(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_channel_list(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_presence.c */
void sbx_route_presence_get(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_presence_history(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_batch_presence(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_batch.c */
void sbx_route_batch_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_revoke.c */
void sbx_route_revoke_tokens(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_stats.c */
void sbx_route_stats_post(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_stats_get(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_mutable.c */
void sbx_route_message_get(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_message_update(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_message_versions(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_annotations.c */
void sbx_route_annotations_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_annotations_publish_any(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_annotations_get(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_push.c */
void sbx_route_push_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_device_get(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_device_save(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_device_remove(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_device_list(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_device_remove_where(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_subscription_list(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_subscription_save(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_subscription_remove(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_push_channels(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* --- helpers routes_messages.c shares with the other message routes --- */

#include "sbx_auth.h"

typedef struct {
    int64_t start, end;  /* inclusive bounds in ms */
    bool forwards;
    int64_t limit;
    int64_t cursor;      /* position to resume from (inclusive); -1 from the start */
    const char *from_serial; /* `fromSerial` (realtime untilAttach, RTL10b): digits only, else
                                NULL; points into the request */
} sbx_history_query;

/* start / end / direction / limit (1..1000, default 100) / cursor; answers
 * 400 / 40003 (40011 for a bad cursor) and returns false when invalid. */
bool sbx_parse_history_query(const sbx_request *req, sbx_response *resp, sbx_history_query *q);
/* Link header (first, current, next when next >= 0) relative to ./<base>. */
void sbx_history_links(sbx_response *resp, const char *base, const sbx_history_query *q, int64_t next);
/* Decodes a publish body (one Message or an array) with the generated codec;
 * answers 400 / 415 itself and returns -1 on failure. Caller frees the array
 * with ably_free_array(&ably_message_desc, ...). */
int sbx_decode_messages(const sbx_request *req, sbx_response *resp, ably_message **out, size_t *count);
typedef struct {
    int status, code;
    char message[200];
} sbx_check_error;
/* Field, clientId (40012) and size (40009) checks; false with *e filled. May
 * fill in a missing clientId from the credentials. */
bool sbx_check_messages(const sbx_principal *p, ably_message *messages, size_t count, sbx_check_error *e);
/* The same, answering the request with the error and returning false. */
bool sbx_validate_messages(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                           ably_message *messages, size_t count);
/* Stores a copy of *m (assigning id "<id_base>:<index>" when it has none and
 * deduplicating by id); returns its serial (owned by the channel) or NULL. */
const char *sbx_store_message(sbx_channel *ch, ably_message *m, const char *id_base, int index,
                              int64_t now);
/* Appends a JSON array / msgpack array of messages to `out`. */
int sbx_encode_message_list(ably_buf *out, sbx_format fmt, const ably_message *const *items, size_t n);
/* Sends an encoded body (taken from *body) with the Accept-negotiated type. */
void sbx_respond_encoded(const sbx_request *req, sbx_response *resp, int status, ably_buf *body);

/* --- routes_mutable.c --- */

/* Applies an update / delete / append (body->action 1, 2, 5) to the message with
 * `serial` on a mutableMessages channel, checking the namespace (93002), the
 * message (40400), the action (40003) and the message-update/delete capability
 * (40160); writes the new versionSerial and fans the new version out to realtime
 * subscribers. false with *e filled. */
bool sbx_message_change(sbx_app *app, const char *channel, const sbx_principal *p, const ably_message *body,
                        const char *serial, char *version_serial, size_t cap, sbx_check_error *e);

/* --- routes_annotations.c --- */

/* Stores annotations (REST or realtime ANNOTATION frames): namespace (93002),
 * type / action (40003), message (40400) and clientId (40012) checks, then fills
 * id / serial / timestamp, keeps them, refreshes the messages' summaries and fans
 * out. route_serial (may be NULL) overrides each messageSerial. The caller checks
 * the annotation-publish capability. false with *e filled. */
bool sbx_annotations_add(sbx_app *app, const char *channel, const sbx_principal *p, ably_annotation *items,
                         size_t count, const char *route_serial, sbx_check_error *e);

/* --- routes_batch.c --- */

/* An ErrorInfo object {code, statusCode, message, href}. */
cJSON *sbx_error_json(int status, int code, const char *message);
/* Answers a batch operation (takes `results`): with X-Ably-Version >= 2 the
 * BatchResult envelope {successCount, failureCount, results} with `status`;
 * for older clients a plain array when everything succeeded, else 400 with
 * {error: 40020, batchResponse: results}. */
void sbx_respond_batch(const sbx_request *req, sbx_response *resp, int status, cJSON *results,
                       int success_count, int failure_count);

#endif
