/* Shared internals of the realtime modules (rt_*.c). Not for route code.
 *
 * Ownership:
 *  - rt_conn: owned by the connection registry (rt_conn.c). It outlives its
 *    WebSocket while resumable (connectionStateTtl), then is freed.
 *  - rt_link: one per (connection, channel) the connection touched; owned by
 *    the connection, listed in the channel's subscriber array while attached.
 *  - rt_chan: per-channel realtime state at sbx_channel.rt, freed by the store
 *    hook channel_freed (or at shutdown).
 *  - rt_frame: an encoded ProtocolMessage, reference-counted because one
 *    fan-out frame is queued on every subscriber without copying. */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

#include "rt_realtime.h"
#include "sbx_auth.h"
#include "sbx_server.h"
#include "sbx_store.h"

#include "ably/codec.h"

#include <stdbool.h>
#include <stdint.h>

#define RT_MAX_MESSAGE_SIZE 65536
#define RT_MAX_FRAME_SIZE 524288
#define RT_MAX_INBOUND_RATE 250
#define RT_CONNECTION_STATE_TTL_MS 120000
#define RT_MAX_IDLE_INTERVAL_MS 15000
#define RT_PRESENCE_GRACE_MS 15000
#define RT_SYNC_PAGE 100
#define RT_MAX_QUEUED_FRAMES 100000

/* Channel mode flags (TR3q..TR3z) and the ones granted when none is asked. */
#define RT_MODE_MASK                                                                          \
    (ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH |                 \
     ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE | \
     ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH | ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE | \
     ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH)
#define RT_DEFAULT_MODES                                                                      \
    (ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH |                 \
     ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE)

/* ---- frames (rt_frame.c) ---- */

typedef struct rt_frame {
    int refs;
    bool binary;           /* msgpack (binary frame) or JSON (text frame) */
    size_t len;
    unsigned char *data;   /* LWS_PRE bytes of headroom, then len bytes */
} rt_frame;

/* Encodes pm in the format; NULL on failure. One reference. */
rt_frame *rt_frame_encode(const ably_protocol_message *pm, sbx_format fmt);
void rt_frame_release(rt_frame *f);

/* Binary payloads for a JSON reader travel as base64 text: the codec does that.
 * For msgpack readers nothing is needed either: BINARY becomes bin. Stored
 * presence members are cJSON (base64 + "/base64" encoding); these turn such a
 * base64 payload back into ABLY_DATA_BINARY, for msgpack readers. */
void rt_presence_binary_for_msgpack(ably_presence_message *pm);

/* ---- connections (rt_conn.c) ---- */

typedef struct rt_out {
    struct rt_out *next;
    rt_frame *frame;
} rt_out;

typedef struct rt_link rt_link;

typedef struct rt_conn {
    char *id;                   /* connectionId */
    char *key;                  /* connectionKey: "<id>!<secret>" */
    struct lws *wsi;            /* NULL while the transport is gone */
    sbx_server *srv;
    sbx_format fmt;
    bool echo;
    sbx_principal principal;
    char *client_id;            /* effective clientId (owned), NULL anonymous */
    int64_t presence_grace_ms;
    int64_t msg_serial;         /* one past the highest msgSerial seen (ids of synthesized leaves) */
    rt_link *links;
    rt_out *out_head, *out_tail;
    size_t out_count;
    bool closing;               /* close the transport once the queue drains */
    bool freed_on_close;        /* CLOSE / fatal ERROR: no resume afterwards */
    lws_sorted_usec_list_t sul_expire;    /* connectionStateTtl after a drop */
    lws_sorted_usec_list_t sul_grace;     /* presence leave after a drop */
    lws_sorted_usec_list_t sul_token;     /* AUTH ahead of expiry, then 40142 */
    lws_sorted_usec_list_t sul_heartbeat; /* HEARTBEAT every maxIdleInterval */
    bool token_warned;
    struct rt_conn *prev_all, *next_all;
    /* reassembly of a fragmented incoming frame */
    unsigned char *rx;
    size_t rx_len;
    bool rx_binary;
} rt_conn;

struct rt_link {
    rt_conn *conn;
    sbx_channel *ch;            /* NULL once the channel is gone */
    bool attached;
    bool entered;               /* this connection has presence members here */
    uint32_t modes;
    size_t sub_index;           /* position in rt_chan.subs while attached */
    bool delta;                 /* attached with params delta=vcdiff (rt_channel.c) */
    bool delta_has_last;        /* delta_last_seq is the last message this link got */
    size_t delta_last_seq;      /* the base of the next delta (a stored message) */
    rt_link *next;              /* in conn->links */
};

/* Queues a frame (takes a reference) and asks lws for a write. */
void rt_conn_send(rt_conn *c, rt_frame *f);
/* Encodes pm in the connection's format and queues it. */
void rt_conn_send_pm(rt_conn *c, const ably_protocol_message *pm);
/* Sends a channel-scoped error action (ERROR / DETACHED / NACK helpers). */
ably_error *rt_error_new(int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rt_send_nack(rt_conn *c, int64_t msg_serial, int64_t count, int status, int code,
                  const char *msg);
void rt_send_ack(rt_conn *c, int64_t msg_serial, int64_t count, char **serials, size_t n);
rt_link *rt_conn_link(rt_conn *c, sbx_channel *ch, bool create);

/* ---- channels (rt_channel.c) ---- */

typedef struct rt_chan {
    sbx_channel *ch;
    rt_link **subs;             /* attached links */
    size_t sub_count, sub_cap;
    uint64_t serial;            /* last channelSerial issued */
    uint64_t *serial_of_seq;    /* channelSerial each stored message went out with */
    size_t seq_count, seq_cap;
    uint64_t sync_counter;
    struct rt_chan *prev_all, *next_all;
} rt_chan;

rt_chan *rt_chan_of(sbx_channel *ch);
/* The next channelSerial for a frame on this channel (written to buf). */
void rt_chan_next_serial(rt_chan *rc, char *buf, size_t cap);
void rt_chan_current_serial(const rt_chan *rc, char *buf, size_t cap);
void rt_chan_subscribe(rt_chan *rc, rt_link *l);
void rt_chan_unsubscribe(rt_chan *rc, rt_link *l);

void rt_handle_attach(rt_conn *c, const ably_protocol_message *pm);
void rt_handle_detach(rt_conn *c, const ably_protocol_message *pm);
void rt_handle_message(rt_conn *c, ably_protocol_message *pm);
/* ANNOTATION from a client: ACK, or NACK with the sbx_annotations_add error. */
void rt_handle_annotation(rt_conn *c, ably_protocol_message *pm);
/* After re-authentication: channels the new capability denies get DETACHED 40160. */
void rt_recheck_capabilities(rt_conn *c);
/* Store hooks (rt_on_channel_freed lives in rt_conn.c: it unhooks links). */
void rt_on_message_appended(sbx_channel *ch, const sbx_stored_message *m);
void rt_on_channel_freed(sbx_channel *ch);
void rt_chan_free(rt_chan *rc);
void rt_free_all_channels(void);

/* ---- presence (rt_presence.c) ---- */

void rt_handle_presence(rt_conn *c, ably_protocol_message *pm);
/* Sends SYNC pages of the channel's members; returns whether there were any. */
bool rt_presence_has_members(const sbx_channel *ch);
void rt_presence_send_sync(rt_conn *c, rt_chan *rc);
/* Removes this connection's members on the link's channel, broadcasting LEAVE. */
void rt_presence_leave_link(rt_link *l);
void rt_presence_leave_all(rt_conn *c);

#endif
