/* The Realtime client (RTC) and its connection (RTN).
 *
 *     ably_client_options opts;
 *     ably_client_options_init(&opts);
 *     opts.key = "appId.keyId:secret";
 *     ably_realtime *rt;
 *     ably_error err = {0};
 *     if (ably_realtime_create(&opts, NULL, &rt, &err) != 0) { ...; ably_error_clear(&err); }
 *     ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_change, app_ctx);  // see below
 *     ...                                   // autoConnect: connecting already (RTN3)
 *     ably_realtime_destroy(rt);            // stops the loop; no callback runs afterwards
 *
 * EVENT MODEL
 * All realtime state lives in one single-threaded engine, driven by API commands,
 * WebSocket transport events and timers read from the client's ably_clock. There are
 * two ways to run it, chosen at create time (ably_realtime_config.mode):
 *
 *  - ABLY_REALTIME_THREAD (default): the library starts one service thread per client
 *    running the libwebsockets loop and the timers. Public calls from any thread post
 *    a command to a small mutex-protected queue and wake the loop; they never block
 *    on the network.
 *  - ABLY_REALTIME_APP_DRIVEN: no thread is started. The application calls
 *    ably_realtime_service(rt, timeout_ms) from its own loop (for example every time
 *    ably_realtime_next_timeout_ms() elapses, or in a dedicated thread of its own).
 *    Nothing happens (not even the autoConnect connection) until it does. Integration
 *    with foreign loops (libuv, libev, glib through libwebsockets' foreign-loop
 *    support) is a later step and not available yet.
 *
 * Callbacks (connection state changes, ping results, ACK/NACK results, later channel
 * messages) run on the loop thread (the service thread, or the thread inside
 * ably_realtime_service), in the order the events happened, never with any internal
 * lock held, and never after ably_realtime_destroy has returned. A callback may call
 * any public function except ably_realtime_destroy and ably_realtime_service; calls
 * that change state take effect after the callback returns (they are queued).
 *
 * Blocking: one exception to "never blocks the loop" for now: obtaining a token
 * (authCallback, authUrl or a token request) runs on the loop thread. Keep an
 * authCallback short.
 *
 * Ownership: strings returned by getters are malloc'd copies the caller frees;
 * errors are written to caller-owned ably_error structs (ably_error_clear).
 * Everything passed in is copied or borrowed for the call only, unless stated.
 */
#ifndef ABLY_REALTIME_H
#define ABLY_REALTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/auth.h"
#include "ably/error.h"
#include "ably/options.h"
#include "ably/rest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_realtime ably_realtime;

/* ---- connection states and events (RTN4, RTN27, TA) ---- */

typedef enum {
    ABLY_CONN_INITIALIZED = 0,
    ABLY_CONN_CONNECTING,
    ABLY_CONN_CONNECTED,
    ABLY_CONN_DISCONNECTED,
    ABLY_CONN_SUSPENDED,
    ABLY_CONN_CLOSING,
    ABLY_CONN_CLOSED,
    ABLY_CONN_FAILED
} ably_connection_state;

/* A ConnectionEvent: every state, plus UPDATE (RTN4h, RTN24). The values of the
 * state events equal the ably_connection_state values. */
typedef enum {
    ABLY_CONN_EVENT_INITIALIZED = ABLY_CONN_INITIALIZED,
    ABLY_CONN_EVENT_CONNECTING = ABLY_CONN_CONNECTING,
    ABLY_CONN_EVENT_CONNECTED = ABLY_CONN_CONNECTED,
    ABLY_CONN_EVENT_DISCONNECTED = ABLY_CONN_DISCONNECTED,
    ABLY_CONN_EVENT_SUSPENDED = ABLY_CONN_SUSPENDED,
    ABLY_CONN_EVENT_CLOSING = ABLY_CONN_CLOSING,
    ABLY_CONN_EVENT_CLOSED = ABLY_CONN_CLOSED,
    ABLY_CONN_EVENT_FAILED = ABLY_CONN_FAILED,
    ABLY_CONN_EVENT_UPDATE,
    ABLY_CONN_EVENT_ANY = -1 /* for on / once / off: every event */
} ably_connection_event;

/* "connecting", "UPDATE" -> "update", ... (lower-case, as the spec's wire names). */
const char *ably_connection_state_name(ably_connection_state s);
const char *ably_connection_event_name(ably_connection_event e);

/* ConnectionStateChange (TA1–TA5). Valid only during the callback. */
typedef struct {
    ably_connection_state previous;
    ably_connection_state current;
    ably_connection_event event;
    const ably_error *reason;  /* NULL: none (TA3) */
    int64_t retry_in_ms;       /* TA2: time to the next automatic attempt, when has_retry_in */
    bool has_retry_in;
} ably_connection_state_change;

typedef void (*ably_connection_listener)(void *ctx, const ably_connection_state_change *change);

/* EventEmitter (RTE). A listener is identified by the id returned at registration
 * (never 0). `event` may be ABLY_CONN_EVENT_ANY. The listeners an event goes to are
 * fixed when its delivery starts (RTE6a): one added by a callback waits for the next
 * event, and one that a callback removes still gets the event being delivered, so
 * free its ctx only after that callback has returned to the loop. A removal from any
 * other thread takes effect at once: once off returns, the listener is not called
 * again. The same holds for channel, presence and annotation listeners. Thread safe. */
uint64_t ably_connection_on(ably_realtime *rt, ably_connection_event event, ably_connection_listener fn,
                            void *ctx);
/* Like on, but the listener is removed before its first call (RTE4). */
uint64_t ably_connection_once(ably_realtime *rt, ably_connection_event event, ably_connection_listener fn,
                              void *ctx);
/* Removes one listener by id (RTE5). */
void ably_connection_off(ably_realtime *rt, uint64_t listener_id);
/* Removes every listener registered for `event` (ABLY_CONN_EVENT_ANY: every listener
 * at all, RTE5). Listeners registered for "any" are removed only by ANY. */
void ably_connection_off_event(ably_realtime *rt, ably_connection_event event);
/* whenState (RTN26): when the connection is in `state` at the time the loop handles
 * this request, calls fn with a NULL change; otherwise behaves like once(state). Returns
 * the listener id (usable with off until it has fired). */
uint64_t ably_connection_when_state(ably_realtime *rt, ably_connection_state state, ably_connection_listener fn,
                                    void *ctx);

/* ---- connection attributes (thread safe; a snapshot of the loop's state) ---- */

ably_connection_state ably_connection_get_state(ably_realtime *rt);
/* Connection#id (RTN8) and #key (RTN9): malloc'd copies, or NULL when unset. */
char *ably_connection_id(ably_realtime *rt);
char *ably_connection_key(ably_realtime *rt);
/* Connection#errorReason (RTN25): copies it into *out (initialised by the caller) and
 * returns 1, or returns 0 when there is none. */
int ably_connection_error_reason(ably_realtime *rt, ably_error *out);
/* createRecoveryKey (RTN16g): a malloc'd recovery key, or NULL in CLOSED, CLOSING,
 * FAILED or SUSPENDED, or before the first connection (RTN16g2). Format: a JSON object
 * {"connectionKey":..,"msgSerial":..,"channelSerials":{name:serial}}. */
char *ably_connection_create_recovery_key(ably_realtime *rt);

/* ---- connection operations (queued to the loop; thread safe) ---- */

/* Connection#connect (RTN11, RTC15). */
void ably_connection_connect(ably_realtime *rt);
/* Connection#close (RTN12, RTC16). */
void ably_connection_close(ably_realtime *rt);

/* The result of a ping: err NULL and the round trip in rtt_ms, or an error (RTN13). */
typedef void (*ably_ping_callback)(void *ctx, int64_t rtt_ms, const ably_error *err);
/* Connection#ping (RTN13): sends a HEARTBEAT with a random id and reports the round
 * trip; deferred while CONNECTING or DISCONNECTED (RTN13d); fails in other non-connected
 * states (RTN13b) and after realtimeRequestTimeout (RTN13c). cb may be NULL. */
void ably_connection_ping(ably_realtime *rt, ably_ping_callback cb, void *ctx);

/* The application tells the library the network went down (up=false) or came back
 * (up=true) (RTN20): down while CONNECTED/CONNECTING moves to DISCONNECTED now; up
 * while DISCONNECTED/SUSPENDED connects now, and while CONNECTING restarts the attempt. */
void ably_realtime_network_changed(ably_realtime *rt, bool up);

/* Result of a realtime authorize: the token details on success, or err. */
typedef void (*ably_authorize_callback)(void *ctx, const ably_token_details *token, const ably_error *err);
/* Auth#authorize for a realtime client (RTC8): obtains a token (as ably_auth_authorize)
 * on the loop thread; when CONNECTED sends it in an AUTH message and completes when the
 * server answers CONNECTED (UPDATE) or ERROR (RTC8a); when CONNECTING restarts the
 * attempt with the token (RTC8b); otherwise connects with it (RTC8c). `params` and
 * `options` are copied. cb may be NULL.
 * Getting a token fails the call; when the means of authentication answered 403 it
 * also fails the connection with 80019 (RSA4d). While connecting, any other failure to
 * get a token ends the attempt with 80019 / 401 and the cause (RSA4c2); while connected
 * it changes nothing (RSA4c3). */
void ably_realtime_authorize(ably_realtime *rt, const ably_token_params *params,
                             const ably_auth_options *options, ably_authorize_callback cb, void *ctx);

/* ---- the client ---- */

/* RealtimeClient#connect (RTC15a) and #close (RTC16a): the same as
 * ably_connection_connect and ably_connection_close. Thread safe. */
void ably_realtime_connect(ably_realtime *rt);
void ably_realtime_close(ably_realtime *rt);

/* The REST half of this client, owned by the client. Everything REST offers works on
 * it and shares this client's options and Auth: push administration (RTC13: pass it
 * to the ably_push_* functions of ably/push_admin.h), batch publish and presence
 * (ably_rest_batch_*), token revocation, REST channels. */
ably_rest *ably_realtime_rest(ably_realtime *rt);

/* RealtimeClient#time (RTC6a), #stats (RTC5a, RTC5b) and #request (RTC9): the REST
 * calls ably_rest_time, ably_rest_stats and ably_rest_request, with the same
 * parameters, results and errors. Like them they block the calling thread until the
 * answer is in (the realtime loop keeps running meanwhile), so call them from an
 * application thread, not from a realtime callback, which would stall the loop for
 * the duration of the request. Thread safe. */
int ably_realtime_time(ably_realtime *rt, int64_t *out_ms, ably_error *err);
int ably_realtime_stats(ably_realtime *rt, const ably_stats_params *params, ably_paginated_result **out,
                        ably_error *err);
int ably_realtime_request(ably_realtime *rt, const char *method, const char *path, int version,
                          const ably_string_map *params, const char *body_json, const ably_string_map *headers,
                          ably_paginated_result **out, ably_error *err);
/* Auth (RTC4), shared with the REST half. Its clientId follows the identity the
 * server confirms in CONNECTED (RTC4a, RSA7b3). */
ably_auth *ably_realtime_auth(ably_realtime *rt);
/* RTC17: the client's identity (malloc'd), or NULL when unknown. */
char *ably_realtime_client_id(ably_realtime *rt);

/* ---- the WebSocket transport (pluggable) ---- */

/* Where to connect. Everything is borrowed for the call. */
typedef struct {
    const char *url;       /* "wss://host:port/?query" */
    const char *host;
    int port;
    bool tls;
    const char *path;      /* "/?query" */
    bool binary;           /* msgpack frames expected (binary) */
} ably_ws_connect_params;

/* Why a transport closed, reported with on_close. */
typedef enum {
    ABLY_WS_CLOSED_CLEAN = 0,  /* a close handshake (either side) */
    ABLY_WS_CLOSED_REFUSED,    /* could not connect: refused / reset */
    ABLY_WS_CLOSED_DNS,        /* host name did not resolve */
    ABLY_WS_CLOSED_TIMEOUT,    /* connect timed out */
    ABLY_WS_CLOSED_ERROR       /* TLS failure, protocol error, connection lost */
} ably_ws_close_reason;

/* Engine side: what a transport reports. `conn` is the id the engine gave at open.
 * Must be called only from within the transport's `service` call (the loop thread). */
typedef struct {
    void (*on_open)(void *engine, uint64_t conn);
    void (*on_message)(void *engine, uint64_t conn, const void *data, size_t len, bool binary);
    void (*on_ping)(void *engine, uint64_t conn); /* a WebSocket ping frame arrived (RTN23b) */
    void (*on_close)(void *engine, uint64_t conn, ably_ws_close_reason why, const char *detail);
} ably_ws_events;

/* A WebSocket transport. One instance per client, created by `create`. Calls other than
 * `wake` happen on the loop thread. Events for a connection must be delivered from
 * inside `service`, never synchronously from open/send/close. After `close(conn)`
 * exactly one on_close for conn still follows (possibly already queued). */
typedef struct ably_ws_transport {
    /* Makes the instance; `events`/`engine` receive everything it reports. */
    int (*create)(void *factory_ctx, const ably_ws_events *events, void *engine, void **out_instance);
    int (*open)(void *instance, uint64_t conn, const ably_ws_connect_params *params);
    int (*send)(void *instance, uint64_t conn, const void *data, size_t len, bool binary);
    void (*close)(void *instance, uint64_t conn);
    /* Runs I/O for up to timeout_ms (0: poll), delivering events. */
    void (*service)(void *instance, int timeout_ms);
    /* From any thread: makes a running `service` return soon. */
    void (*wake)(void *instance);
    void (*destroy)(void *instance);
    bool observes_ping_frames; /* sends heartbeats=false when true (RTN23b) */
    void *factory_ctx;
} ably_ws_transport;

/* The default transport: libwebsockets client with OpenSSL TLS. libwebsockets logs
 * process-wide; the first client made with this transport limits that log to
 * errors (its notices are noise to a library user). An application that wants
 * more calls lws_set_log_level itself after creating its first client. */
const ably_ws_transport *ably_ws_transport_lws(void);

/* ---- creation ---- */

typedef enum { ABLY_REALTIME_THREAD = 0, ABLY_REALTIME_APP_DRIVEN } ably_realtime_mode;

/* Realtime-only settings that are not ClientOptions. Zero-initialise. */
typedef struct {
    ably_realtime_mode mode;
    const ably_ws_transport *ws_transport; /* NULL: ably_ws_transport_lws() */
    int64_t connection_state_ttl_ms;       /* 0: the default (DF1a) until CONNECTED says */
    uint64_t random_seed;                  /* 0: seeded from the OS (jitter, fallback order) */
} ably_realtime_config;

/* Builds the client (RTC1, RTC12): validates and copies opts (as ably_rest_create),
 * starts the service thread in THREAD mode, and queues a connect when autoConnect
 * (RTN3). cfg may be NULL. Thread safe. */
int ably_realtime_create(const ably_client_options *opts, const ably_realtime_config *cfg, ably_realtime **out,
                         ably_error *err);
/* Stops and joins the loop (without closing the connection gracefully: call
 * ably_connection_close first and wait for CLOSED for that), fails every outstanding
 * operation silently (no callbacks), and frees everything. NULL-safe. Must not be
 * called from a callback. */
void ably_realtime_destroy(ably_realtime *rt);

/* APP_DRIVEN mode: handles queued commands, transport I/O (waiting up to timeout_ms
 * for it) and due timers, running callbacks. Returns 0, or -1 in THREAD mode or when
 * another thread is already inside it. */
int ably_realtime_service(ably_realtime *rt, int timeout_ms);
/* APP_DRIVEN mode: milliseconds until the next timer is due (0: work is pending now,
 * -1: no timer, or THREAD mode). */
int64_t ably_realtime_next_timeout_ms(ably_realtime *rt);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REALTIME_H */
