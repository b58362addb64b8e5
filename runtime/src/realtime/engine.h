/* The realtime engine: the single-threaded state machine behind ably_realtime (see
 * ably/realtime.h for the event model). Not public API.
 *
 * Everything in `ably_realtime` below the "engine" marker is touched only on the loop
 * thread (the service thread, or the thread inside ably_realtime_service): no locks.
 * Other threads talk to it through the command queue (cmd_mu) and read the mirror
 * (pub_mu), both held only for a few instructions and never across a callback.
 *
 * For the channels and presence modules (next step), the extension points are:
 *  - ably_rt_channel_hooks: channel-scoped protocol messages, connection state changes
 *    (delivered before the public listeners, as RTL3d1 needs), recovery-key serials;
 *  - ably_rt_send / ably_rt_send_with_ack: outgoing frames, with the msgSerial, the
 *    pending (awaiting ACK/NACK) and queued (not yet sent) queues of RTN7 / RTN19;
 *  - ably_rt_post: run a function on the loop thread (public calls of channels).
 */
#ifndef ABLY_RT_ENGINE_H
#define ABLY_RT_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ably/codec.h"
#include "ably/realtime.h"
#include "log_internal.h"
#include "realtime/emitter.h"

/* Result of a message that expects ACK/NACK (RTN7). err NULL: acknowledged, `ack` is
 * the ACK frame and `index` the position of this message's frame in it (for ack->res).
 * Otherwise NACK or failure (ack may be NULL). Runs on the loop thread. */
typedef void (*ably_rt_ack_fn)(void *ctx, const ably_error *err, const ably_protocol_message *ack, size_t index);

typedef struct ably_rt_pending {
    ably_protocol_message pm; /* owned */
    ably_rt_ack_fn cb;
    void *ctx;
    struct ably_rt_pending *next;
} ably_rt_pending;

typedef struct {
    ably_rt_pending *head, *tail;
} ably_rt_queue;

typedef struct {
    /* A frame for a channel (ATTACHED, DETACHED, MESSAGE, PRESENCE, SYNC, ANNOTATION,
     * OBJECT*, or ERROR with a channel). The hook may take over pm's contents
     * (leaving *pm cleared) or leave them to the engine. */
    void (*on_channel_message)(void *ctx, ably_realtime *rt, ably_protocol_message *pm);
    /* Every connection state change and UPDATE, before the public listeners. */
    void (*on_connection_state)(void *ctx, ably_realtime *rt, const ably_connection_state_change *change);
    /* Appends `"name":"channelSerial"` pairs, comma separated, for createRecoveryKey.
     * Called from any thread: must be thread safe. May be NULL. */
    void (*append_channel_serials)(void *ctx, ably_buf *out);
    void (*destroy)(void *ctx); /* at client destroy, on the destroying thread */
    /* Channel timers: the earliest armed deadline (absolute ms, 0: none), and firing the
     * due ones. Loop thread. May be NULL. */
    int64_t (*next_deadline)(void *ctx);
    void (*fire_timers)(void *ctx, ably_realtime *rt, int64_t now);
    void *ctx;
} ably_rt_channel_hooks;

typedef struct ably_rt_cmd {
    void (*run)(ably_realtime *rt, void *arg);
    void (*drop)(void *arg); /* frees arg when the command never runs; may be NULL */
    void *arg;
    struct ably_rt_cmd *next;
} ably_rt_cmd;

typedef struct ably_rt_ping_req {
    uint64_t id_num;
    char id[24];
    int64_t sent_at;      /* 0: deferred (not sent yet) */
    int64_t deadline;     /* 0: no timer yet */
    ably_ping_callback cb;
    void *ctx;
    struct ably_rt_ping_req *next;
} ably_rt_ping_req;

typedef struct ably_rt_authz {
    ably_authorize_callback cb;
    void *ctx;
    ably_token_details token;
    struct ably_rt_authz *next;
} ably_rt_authz;

struct ably_realtime {
    ably_rest *rest;              /* owned; REST API and auth */
    const ably_logger *log;       /* the REST client's logger */
    ably_realtime_config cfg;
    const ably_ws_transport *wst;
    void *ws;                     /* transport instance */
    ably_emitter conn_emitter;
    ably_rt_channel_hooks hooks;

    /* command queue (any thread) */
    pthread_mutex_t cmd_mu;
    ably_rt_cmd *cmd_head, *cmd_tail;

    /* mirror for getters (any thread) */
    pthread_mutex_t pub_mu;
    ably_connection_state pub_state;
    char *pub_id, *pub_key;
    ably_error pub_error;
    bool pub_has_error;
    int64_t pub_msg_serial;

    /* loop */
    pthread_t thread;
    bool thread_started;
    volatile bool stop;           /* written under cmd_mu */
    pthread_mutex_t service_mu;   /* one thread at a time inside ably_realtime_service */

    /* ---- engine (loop thread only) ---- */
    ably_connection_state state;
    ably_error error_reason;
    bool has_error_reason;
    char *connection_id;
    char *connection_key;
    char *recover_key;            /* RTN16k: sent once, then dropped */
    ably_string_map recovered_channel_serials; /* RTN16j, for the channels module */
    int64_t max_idle_interval;    /* CD2h */
    int64_t connection_state_ttl; /* CD2f / DF1a */
    int64_t max_message_size;     /* CD2c */
    char *server_id;

    uint64_t conn;                /* id of the current transport connection (0: none) */
    uint64_t next_conn;
    bool transport_open;
    bool frame_binary;            /* msgpack */
    ably_buf out;                 /* reused encode buffer */
    ably_buf scratch;             /* reused URL buffer */

    /* hosts (RTN17) */
    char *primary_host;
    char **fallbacks;             /* shuffled per connection cycle */
    size_t fallback_count;
    size_t fallback_next;         /* next fallback to try in this cycle */
    const char *current_host;

    /* retry bookkeeping (RTN14, RTN15, RTB1) */
    int retry_count;
    int64_t disconnected_at;      /* when the connection was last known good or first failed; 0 none */
    bool was_connected;           /* a resumable connection exists (id + key) */
    bool token_renewed;           /* RTN14b: one renewal per attempt cycle */
    bool closing_requested;       /* RTN12f */

    /* timers: absolute ms on the client clock, 0 = off */
    int64_t t_connect, t_retry, t_suspend, t_idle, t_close;

    /* messages (RTN7, RTN19) */
    int64_t msg_serial;
    ably_rt_queue pending;        /* sent, awaiting ACK/NACK */
    ably_rt_queue queued;         /* waiting for CONNECTED */

    ably_rt_ping_req *pings;
    uint64_t ping_counter;
    ably_rt_authz *authz;         /* authorize calls waiting for CONNECTED / ERROR */
    uint64_t rng;
};

/* ---- engine.c (loop thread) ---- */
int ably_rt_engine_init(ably_realtime *rt, ably_error *err);
void ably_rt_engine_free(ably_realtime *rt); /* no callbacks */
int64_t ably_rt_now(ably_realtime *rt);
/* The earliest armed timer (absolute ms), or 0 when none. */
int64_t ably_rt_next_deadline(ably_realtime *rt);
void ably_rt_fire_timers(ably_realtime *rt);

void ably_rt_connect(ably_realtime *rt);
void ably_rt_close(ably_realtime *rt);
void ably_rt_ping(ably_realtime *rt, ably_ping_callback cb, void *ctx);
void ably_rt_network_changed(ably_realtime *rt, bool up);
void ably_rt_authorize(ably_realtime *rt, const ably_token_params *params, const ably_auth_options *options,
                       ably_authorize_callback cb, void *ctx);

/* Sends a frame that expects no ACK (ATTACH, DETACH, ...) when CONNECTED: 0, else -1.
 * pm is only read. */
int ably_rt_send(ably_realtime *rt, const ably_protocol_message *pm);
/* Takes over *pm (leaves it cleared) and sends it with the next msgSerial when
 * CONNECTED, queues it while INITIALIZED / CONNECTING / DISCONNECTED when queueMessages
 * (RTL6c2), or fails it at once through cb (RTL6c4). cb always runs exactly once. */
void ably_rt_send_with_ack(ably_realtime *rt, ably_protocol_message *pm, ably_rt_ack_fn cb, void *ctx);

/* The transport event sink. */
extern const ably_ws_events ably_rt_ws_events;

/* ---- realtime.c ---- */
/* Queues fn(rt, arg) for the loop thread; drop(arg) instead when the client is destroyed
 * first. Thread safe. Returns 0, or -1 when out of memory (drop is then called). */
int ably_rt_post(ably_realtime *rt, void (*run)(ably_realtime *, void *), void (*drop)(void *), void *arg);
/* Updates the getters' mirror from the engine fields. */
void ably_rt_publish_mirror(ably_realtime *rt);

/* ---- channels.c ---- */
/* Installs the channels module's hooks (rt->hooks); called once by ably_realtime_create
 * before the loop starts. 0, or -1 when out of memory. */
int ably_rt_channels_install(ably_realtime *rt, ably_error *err);

#endif
