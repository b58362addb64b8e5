/* The UTS mock WebSocket (uts/realtime/unit/helpers/mock_websocket.md) as an
 * ably_ws_transport, for realtime unit tests in APP_DRIVEN mode with the mock_http
 * clock: deterministic, no sockets, no threads, no sleeps.
 *
 *     mock_http *h = mock_http_new();           // clock (and HTTP for tokens, checks)
 *     mock_ws *m = mock_ws_new();
 *     mock_ws_on_attempt(m, handler, ctx);      // or respond later by attempt index
 *     ably_client_options o; ably_client_options_init(&o);
 *     o.key = "appId.keyId:keySecret";
 *     mock_http_install(h, &o);
 *     ably_realtime *rt = mock_ws_client(m, &o, NULL);   // APP_DRIVEN + this transport
 *     mock_ws_pump(m, rt);                      // run until nothing is pending
 *     mock_ws_advance(m, h, rt, 15000);         // move the clock, firing timers in order
 *     ably_realtime_destroy(rt); mock_ws_free(m); mock_http_free(h);
 *
 * Server-side actions (respond_*, send_*, simulate_disconnect) are queued and delivered
 * from the transport's service call, as a real socket would: never synchronously from
 * the client's open / send / close. A client close records CLIENT_CLOSE and queues the
 * on_close. JSON given for server frames is converted to msgpack for binary clients.
 * Not thread safe: one test thread drives everything.
 */
#ifndef ABLY_TEST_MOCK_WS_H
#define ABLY_TEST_MOCK_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/ably.h"
#include "mock_http.h"

typedef struct mock_ws mock_ws;

typedef enum {
    MOCK_WS_CONNECTION_ATTEMPT,
    MOCK_WS_CONNECTION_SUCCESS,
    MOCK_WS_CONNECTION_FAILURE,
    MOCK_WS_MESSAGE_FROM_CLIENT,
    MOCK_WS_MESSAGE_TO_CLIENT,
    MOCK_WS_PING_FRAME,
    MOCK_WS_SERVER_DISCONNECT,
    MOCK_WS_CLIENT_CLOSE
} mock_ws_event_type;

/* One connection attempt; owned by the mock. */
typedef struct {
    uint64_t conn;          /* the client's id for it */
    char *url;
    char *host;
    int port;
    bool tls;
    bool binary;
    ably_string_map query;  /* decoded query parameters */
    bool open;              /* respond_success delivered */
    bool closed;            /* either side closed it */
    bool client_closed;
} mock_ws_attempt;

/* Called when the client opens a connection (from inside the client's loop). Respond
 * with the functions below; they take effect at the next service. */
typedef void (*mock_ws_attempt_fn)(void *ctx, mock_ws *m, size_t attempt);
/* Called for every frame the client sends, decoded. */
typedef void (*mock_ws_message_fn)(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm);

mock_ws *mock_ws_new(void);
void mock_ws_free(mock_ws *m);
const ably_ws_transport *mock_ws_transport(mock_ws *m);
void mock_ws_set_observes_pings(mock_ws *m, bool observes); /* before creating the client */
void mock_ws_on_attempt(mock_ws *m, mock_ws_attempt_fn fn, void *ctx);
void mock_ws_on_message(mock_ws *m, mock_ws_message_fn fn, void *ctx);

/* Creates an APP_DRIVEN client on this mock (cfg may be NULL; its mode and transport
 * are overridden). Fails the test on error. */
ably_realtime *mock_ws_client(mock_ws *m, const ably_client_options *o, const ably_realtime_config *cfg);

/* ---- responding to attempt i ---- */
void mock_ws_respond_success(mock_ws *m, size_t i, const char *connected_json); /* NULL: just open */
void mock_ws_respond_refused(mock_ws *m, size_t i);
void mock_ws_respond_dns_error(mock_ws *m, size_t i);
/* Opens, sends `json` (an ERROR) and closes. */
void mock_ws_respond_error(mock_ws *m, size_t i, const char *json);
/* respond_timeout: do nothing; the attempt stays pending. */

/* ---- server frames on attempt i ---- */
void mock_ws_send(mock_ws *m, size_t i, const char *json);
void mock_ws_send_and_close(mock_ws *m, size_t i, const char *json);
void mock_ws_simulate_disconnect(mock_ws *m, size_t i);
void mock_ws_send_ping_frame(mock_ws *m, size_t i);

/* A CONNECTED frame: {"action":4,"connectionId":id,"connectionDetails":{...}}.
 * Returns a static buffer valid until the next call. */
const char *mock_ws_connected_json(const char *connection_id, const char *connection_key, int64_t max_idle_ms,
                                   int64_t ttl_ms);

/* ---- inspection ---- */
size_t mock_ws_attempt_count(const mock_ws *m);
const mock_ws_attempt *mock_ws_get_attempt(const mock_ws *m, size_t i);
const char *mock_ws_query(const mock_ws *m, size_t i, const char *name);
size_t mock_ws_sent_count(const mock_ws *m);
const ably_protocol_message *mock_ws_sent(const mock_ws *m, size_t i);
/* The bytes of sent frame i as they went on the wire (JSON text, or msgpack for
 * binary clients), to check what a decode cannot show (e.g. absent vs null keys). */
const void *mock_ws_sent_raw(const mock_ws *m, size_t i, size_t *len);
size_t mock_ws_sent_attempt(const mock_ws *m, size_t i); /* which attempt carried sent frame i */
/* The last frame the client sent with this action, or NULL. */
const ably_protocol_message *mock_ws_last_sent(const mock_ws *m, ably_protocol_message_action action);
size_t mock_ws_count_sent(const mock_ws *m, ably_protocol_message_action action);
size_t mock_ws_event_count(const mock_ws *m, mock_ws_event_type type);
bool mock_ws_pending(const mock_ws *m); /* server actions not yet delivered */

/* ---- driving ---- */
/* Services the client until no command or mock action is pending. */
void mock_ws_pump(mock_ws *m, ably_realtime *rt);
/* Advances the mock_http clock by ms, stopping at every due timer on the way. */
void mock_ws_advance(mock_ws *m, mock_http *h, ably_realtime *rt, int64_t ms);

/* ---- state recorder: connection listener collecting every change ---- */
typedef struct {
    ably_connection_state previous, current;
    ably_connection_event event;
    bool has_reason;
    int64_t reason_code;
    int64_t reason_status;
    bool has_retry_in;
    int64_t retry_in;
} mock_ws_change;

typedef struct {
    mock_ws_change items[64];
    size_t count;
} mock_ws_changes;

/* Registers on(ANY) and records into *rec (zeroed first). */
void mock_ws_record_changes(ably_realtime *rt, mock_ws_changes *rec);
/* True when the recorded events contain `seq` (n entries) in order (not necessarily adjacent). */
bool mock_ws_changes_contain(const mock_ws_changes *rec, const ably_connection_event *seq, size_t n);


/* ---- a ready-made fixture for connection tests ---- */
typedef struct {
    mock_http *h;
    mock_ws *m;
    ably_realtime *rt;
    ably_client_options o;   /* key "appId.keyId:keySecret", autoConnect false */
    mock_ws_changes rec;     /* every connection event, recorded from start */
} mock_rt;

/* Makes h and m and default options; change t->o before mock_rt_start. */
void mock_rt_init(mock_rt *t);
/* Creates the client (cfg may be NULL) and starts recording. */
void mock_rt_start(mock_rt *t, const ably_realtime_config *cfg);
void mock_rt_free(mock_rt *t);
/* connect(); answers the new attempt with CONNECTED(id, key, maxIdle 15000, ttl 120000);
 * asserts CONNECTED. Returns the attempt index. */
size_t mock_rt_connect(mock_rt *t, const char *id, const char *key);
/* An authCallback handing out "token-1", "token-2", ... (one per call); from call
 * `fail_from` on (0: never) it fails with 40171 / 401. */
typedef struct {
    int calls;
    int fail_from;
} mock_tokens;
/* Replaces the key of t->o with that callback (after mock_rt_init; zeroes *tokens, which
 * must outlive the client). */
void mock_rt_use_tokens(mock_rt *t, mock_tokens *tokens);

/* Server actions on attempt i, each followed by a pump so that the client has reacted:
 * send a frame; open the attempt (with CONNECTED when given); refuse it; send `json` and
 * close; drop the transport; answer the attempt with an ERROR frame. */
void mock_rt_send(mock_rt *t, size_t i, const char *json);
void mock_rt_accept(mock_rt *t, size_t i, const char *connected_json);
void mock_rt_refuse(mock_rt *t, size_t i);
void mock_rt_server_closes(mock_rt *t, size_t i, const char *json);
void mock_rt_drop(mock_rt *t, size_t i);
void mock_rt_refuse_with(mock_rt *t, size_t i, const char *json);
/* mock_rt_start(t, NULL), connect() and pump: the new attempt is left to the test (or
 * to an on_attempt handler). */
void mock_rt_start_connecting(mock_rt *t);
/* close(); the server confirms with CLOSED on the latest attempt; asserts CLOSED. */
void mock_rt_close(mock_rt *t);
/* mock_rt_start(t, NULL), then mock_rt_connect. */
size_t mock_rt_start_connected(mock_rt *t, const char *id, const char *key);
ably_connection_state mock_rt_state(mock_rt *t);
/* errorReason code, or 0 when there is none. */
int64_t mock_rt_error_code(mock_rt *t);
size_t mock_rt_last_attempt(mock_rt *t);
#endif
