/* Realtime channels and presence: internal structures shared by channels.c (the
 * collection, engine hooks, timers), channel.c (the RTL state machine, publish,
 * subscribe) and presence.c / presence_map.c (RTP). Not public API.
 *
 * Threads: fields marked [loop] are touched only on the loop thread. The collection's
 * `mu` guards the channel list and every [mu] field (the getters' mirror, the
 * subscription name table); it is held for a few instructions only and never across a
 * callback. Emitters have their own locks (emitter.h).
 */
#ifndef ABLY_RT_CHANNELS_INTERNAL_H
#define ABLY_RT_CHANNELS_INTERNAL_H

#include "payload/payload_internal.h"
#include "ably/realtime_channel.h"
#include "realtime/emitter.h"
#include "realtime/engine.h"
#include "realtime/presence_map.h" /* ably_presence_map (RTP2) [loop] */

typedef struct ably_rt_channels ably_rt_channels;

/* A completion waiting on a channel state (RTL4d, RTL5e) [loop]. */
typedef struct ably_ch_waiter {
    ably_channel_result_fn cb;
    void *ctx;
    void (*drop)(void *ctx); /* frees ctx when the waiter is discarded uncalled, or NULL */
    struct ably_ch_waiter *next;
} ably_ch_waiter;

struct ably_realtime_presence {
    ably_realtime_channel *ch;
    ably_emitter em;               /* events keyed by presence action */
    ably_presence_map members;     /* [loop] RTP2 */
    ably_presence_map local;       /* [loop] RTP17: this connection's members, keyed by clientId */
    char *sync_seq;                /* [loop] RTP18a: sequence id of the SYNC in progress, if known */
    bool sync_complete;            /* [loop] RTP13 */
    bool pub_sync_complete;        /* [mu] */
    struct ably_presence_get_req *gets;        /* [loop] waiting for the sync (RTP11c1) */
    struct ably_presence_pending *queued;      /* [loop] waiting for ATTACHED (RTP16b) */
};

struct ably_realtime_channel {
    ably_rt_channels *chs;
    ably_realtime *rt;
    char *name;

    /* options [loop after creation; written under mu too: get_options reads them] */
    ably_cipher *cipher;
    ably_string_map params;
    uint32_t req_modes;
    bool attach_on_subscribe;

    /* state [loop] */
    ably_channel_state state;
    ably_error error;
    bool has_error;
    char *channel_serial;          /* RTL15b */
    char *attach_serial;           /* RTL15c */
    uint32_t modes;                /* RTL4m */
    ably_string_map granted_params;/* RTL4k1 */
    int64_t t_op;                  /* attach / detach timeout (RTL4f, RTL5f); 0: off */
    int64_t t_retry;               /* RTL13b reattach; 0: off */
    int retry_count;
    bool attach_after_detach;      /* RTL4h */
    bool detach_after_attach;      /* RTL5i */
    ably_channel_state detach_from;/* RTL5f: where a failed detach returns */
    ably_ch_waiter *attach_waiters, *detach_waiters;
    bool released;

    /* mirror [mu] */
    ably_channel_state pub_state;
    ably_error pub_error;
    bool pub_has_error;
    uint32_t pub_modes;
    char *pub_channel_serial, *pub_attach_serial;
    ably_string_map pub_params;

    ably_emitter state_em;         /* channel events */
    ably_emitter msg_em;           /* events: index into names (ABLY_EMITTER_ANY: all) */
    char **names;                  /* [mu] interned subscription names */
    size_t names_count, names_cap;
    bool subscribe_mode_warned;    /* [loop] RTL7i2: already warned during this attachment */

    ably_realtime_presence presence;

    /* deltas (RTL18-RTL21) [loop] */
    ably_payload_delta delta;      /* plugin and base payload (RTL19) */
    char *delta_last_id;           /* RTL20: id of the last message decoded */
    char *delta_serial;            /* RTL18c: channelSerial of the last MESSAGE decoded */
    struct ably_realtime_annotations *annotations; /* [mu] made on first use (annotations.c) */
};

struct ably_rt_channels {
    ably_realtime *rt;
    pthread_mutex_t mu;
    ably_realtime_channel **items; /* [mu] */
    size_t count, cap;
    struct ably_rt_publish_req *publishes; /* [loop] awaiting ACK: freed at destroy */
    uint64_t rng;                  /* [loop] jitter for RTL13b */
};

/* ---- channels.c ---- */
ably_rt_channels *ably_rt_channels_of(ably_realtime *rt);
/* Sends a frame for a channel when CONNECTED (pm is only read). */
int ably_ch_send(ably_realtime_channel *ch, ably_protocol_message *pm);
int64_t ably_ch_request_timeout(ably_realtime_channel *ch);
int64_t ably_ch_retry_delay(ably_realtime_channel *ch);

/* ---- channel.c [loop] ---- */
ably_realtime_channel *ably_ch_new(ably_rt_channels *chs, const char *name, const ably_realtime_channel_options *o,
                                   ably_error *err);
void ably_ch_free(ably_realtime_channel *ch); /* no callbacks */
void ably_ch_on_frame(ably_realtime_channel *ch, ably_protocol_message *pm);
void ably_ch_on_connection(ably_realtime_channel *ch, const ably_connection_state_change *change);
int64_t ably_ch_next_deadline(ably_realtime_channel *ch);
void ably_ch_fire_timers(ably_realtime_channel *ch, int64_t now);
/* Detaches (when needed) and frees: RTS4a. */
void ably_ch_release(ably_realtime_channel *ch);
/* Attach as the public call does (RTL4). */
void ably_ch_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx);
void ably_ch_fail_waiters(ably_ch_waiter **list, const ably_error *err);
/* ably_ch_attach for a callback whose ctx the library allocated: `drop` frees ctx if
 * the channel or client goes away before cb is called. */
void ably_ch_attach_owned(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx, void (*drop)(void *));
void ably_ch_make_error(ably_error *e, int code, int status, const char *msg);
void ably_ch_send_tracked(ably_realtime_channel *ch, ably_protocol_message *pm, ably_publish_fn cb,
                          ably_channel_result_fn rcb, void *ctx);
/* The same with cb only, where ctx is owned by the request: free_ctx(ctx) runs if the
 * client is destroyed before the outcome (cb itself must free ctx otherwise). */
void ably_ch_send_tracked_owned(ably_realtime_channel *ch, ably_protocol_message *pm, ably_publish_fn cb, void *ctx,
                                void (*free_ctx)(void *ctx));
void ably_ch_post_implicit_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx);
void ably_ch_inherit_presence_fields(ably_presence_message *m, const ably_protocol_message *pm, size_t index);

/* ---- annotations.c ---- */
void ably_annotations_free(struct ably_realtime_annotations *an); /* NULL is fine */
void ably_annotations_on_frame(ably_realtime_channel *ch, ably_protocol_message *pm); /* [loop] RTAN4b */
void ably_annotations_on_attached(ably_realtime_channel *ch); /* [loop] RTAN4e */

/* ---- presence.c [loop] ---- */
void ably_presence_init(ably_realtime_presence *p, ably_realtime_channel *ch);
void ably_presence_free(ably_realtime_presence *p);
void ably_presence_on_frame(ably_realtime_presence *p, ably_protocol_message *pm);
/* A channel state change (RTP5, RTP17, RTP19a); has_presence from the ATTACHED flags. */
void ably_presence_on_channel_state(ably_realtime_presence *p, const ably_channel_state_change *change,
                                    bool has_presence);

#endif
