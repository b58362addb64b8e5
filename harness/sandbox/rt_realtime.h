/* The realtime side of the sandbox: the Ably realtime protocol (v6) over
 * WebSocket on the same port as HTTP.
 *
 * One lws protocol, made the vhost's default for WebSocket upgrades (clients
 * such as ably-js name no subprotocol), so `ws://host:port/?key=...` lands
 * here while plain HTTP keeps going to protocols[0]. Everything runs on the
 * lws service thread, like the rest of the sandbox: no locks.
 *
 * State: connections (rt_conn.c), per-channel subscribers and serials
 * (rt_channel.c, hung on sbx_channel.rt), presence (rt_presence.c) and frame
 * encoding (rt_frame.c). It is created on the first WebSocket and freed when
 * the last vhost's protocol is destroyed (lws_context_destroy), so main.c
 * needs no explicit call. */
#ifndef RT_REALTIME_H
#define RT_REALTIME_H

#include <libwebsockets.h>

#define RT_PROTOCOL_NAME "ably-realtime"
/* Bytes lws hands the callback per read; frames larger than this arrive in
 * pieces and are reassembled. */
#define RT_RX_BUFFER 65536

int rt_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len);

/* The protocols-table entry (add before the terminator). */
#define RT_PROTOCOL_ENTRY { RT_PROTOCOL_NAME, rt_ws_callback, 0, RT_RX_BUFFER, 0, NULL, 0 }

/* Per-vhost options that make RT_PROTOCOL_NAME the default for WebSocket
 * upgrades without a Sec-WebSocket-Protocol header: set vhost info.pvo to it. */
extern const struct lws_protocol_vhost_options rt_vhost_options;

struct sbx_channel;
/* How many of the channel's stored messages (from the oldest) went out at or
 * before realtime channelSerial `serial` (REST history `fromSerial`, which
 * clients send for untilAttach, RTL10b); SIZE_MAX when the serial is not one the
 * channel has issued, so the caller keeps every message. */
size_t rt_history_bound(struct sbx_channel *ch, const char *serial);

struct ably_annotation;
struct ably_message;
/* Fan-out of events that are not new stored messages (routes_annotations.c):
 * annotations in one ANNOTATION frame to subscribers holding the
 * ANNOTATION_SUBSCRIBE mode, and a message event (MESSAGE_SUMMARY, or a new
 * version of a message) in a MESSAGE frame to those holding SUBSCRIBE. Both only
 * read their arguments. */
void rt_broadcast_annotations(struct sbx_channel *ch, const struct ably_annotation *items, size_t n);
void rt_broadcast_message_event(struct sbx_channel *ch, const struct ably_message *m);

#endif
