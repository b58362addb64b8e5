/* Realtime channels (RTS, RTL), their presence (RTP) and annotations (RTAN).
 *
 *     ably_realtime_channel *ch;
 *     if (ably_realtime_channels_get(rt, "chat", NULL, &ch, &err) != 0) { ... }
 *     ably_realtime_channel_subscribe(ch, NULL, on_message, app, NULL, NULL); // implicit attach (RTL7g)
 *     ably_data text = ably_data_borrow(ABLY_DATA_STRING, "hi", 2);
 *     ably_realtime_channel_publish(ch, "greeting", &text, on_published, app); // ACK/NACK (RTL6)
 *
 * Threading: follows ably/realtime.h. Every function here may be called from any
 * thread; operations are queued to the loop thread and report through callbacks,
 * which run on the loop thread, never under an internal lock, never after
 * ably_realtime_destroy returned, in the order things happened. Getters return a
 * snapshot of the loop's state as of the last event handled.
 *
 * Ownership:
 *  - A channel belongs to its client; it stays valid until ably_realtime_channels_release
 *    for its name or ably_realtime_destroy. Never free it. Its presence object lives
 *    inside it.
 *  - Arguments are borrowed for the call (messages and data are copied before the call
 *    returns). Pointers handed to callbacks (state changes, messages, errors) are valid
 *    only during the callback.
 *  - Getters returning char * return malloc'd copies (caller frees).
 *
 * Completion callbacks (ably_channel_result_fn) run exactly once, unless the client is
 * destroyed first (then never).
 */
#ifndef ABLY_REALTIME_CHANNEL_H
#define ABLY_REALTIME_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/crypto.h"
#include "ably/error.h"
#include "ably/gen/types.h"
#include "ably/paginated.h"
#include "ably/realtime.h"
#include "ably/rest_channel.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_realtime_channel ably_realtime_channel;
typedef struct ably_realtime_presence ably_realtime_presence;

/* ---- states and events (RTL2, TH) ---- */

typedef enum {
    ABLY_CHANNEL_INITIALIZED = 0,
    ABLY_CHANNEL_ATTACHING,
    ABLY_CHANNEL_ATTACHED,
    ABLY_CHANNEL_DETACHING,
    ABLY_CHANNEL_DETACHED,
    ABLY_CHANNEL_SUSPENDED,
    ABLY_CHANNEL_FAILED
} ably_channel_state;

/* A ChannelEvent: every state plus UPDATE (RTL2g). State events equal the state values. */
typedef enum {
    ABLY_CHANNEL_EVENT_INITIALIZED = ABLY_CHANNEL_INITIALIZED,
    ABLY_CHANNEL_EVENT_ATTACHING = ABLY_CHANNEL_ATTACHING,
    ABLY_CHANNEL_EVENT_ATTACHED = ABLY_CHANNEL_ATTACHED,
    ABLY_CHANNEL_EVENT_DETACHING = ABLY_CHANNEL_DETACHING,
    ABLY_CHANNEL_EVENT_DETACHED = ABLY_CHANNEL_DETACHED,
    ABLY_CHANNEL_EVENT_SUSPENDED = ABLY_CHANNEL_SUSPENDED,
    ABLY_CHANNEL_EVENT_FAILED = ABLY_CHANNEL_FAILED,
    ABLY_CHANNEL_EVENT_UPDATE,
    ABLY_CHANNEL_EVENT_ANY = -1 /* on / once / off: every event */
} ably_channel_event;

const char *ably_channel_state_name(ably_channel_state s); /* "attached", ... */
const char *ably_channel_event_name(ably_channel_event e);  /* "update" for UPDATE */

/* ChannelStateChange (TH1–TH6). Valid only during the callback. */
typedef struct {
    ably_channel_state previous;
    ably_channel_state current;
    ably_channel_event event;
    const ably_error *reason; /* NULL: none (TH3) */
    bool resumed;             /* TH4: the ATTACHED carried RESUMED */
    bool has_backlog;         /* RTL2i */
} ably_channel_state_change;

typedef void (*ably_channel_listener)(void *ctx, const ably_channel_state_change *change);
/* Completion of attach / detach / publish / presence operations: err NULL on success. */
typedef void (*ably_channel_result_fn)(void *ctx, const ably_error *err);
/* A delivered message, decoded (RTL7d) with id / connectionId / timestamp filled from
 * its ProtocolMessage when absent (TM2a, TM2c, TM2f). Valid only during the callback. */
typedef void (*ably_message_listener)(void *ctx, const ably_message *msg);

/* ---- channel modes (TB2d, as TR3 flag bits) ---- */
#define ABLY_CHANNEL_MODE_PRESENCE (1u << 16)
#define ABLY_CHANNEL_MODE_PUBLISH (1u << 17)
#define ABLY_CHANNEL_MODE_SUBSCRIBE (1u << 18)
#define ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE (1u << 19)
#define ABLY_CHANNEL_MODE_ANNOTATION_PUBLISH (1u << 21)
#define ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE (1u << 22)
#define ABLY_CHANNEL_MODE_OBJECT_SUBSCRIBE (1u << 24)
#define ABLY_CHANNEL_MODE_OBJECT_PUBLISH (1u << 25)
#define ABLY_CHANNEL_MODES_ALL                                                                                 \
    (ABLY_CHANNEL_MODE_PRESENCE | ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE |                     \
     ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE | ABLY_CHANNEL_MODE_ANNOTATION_PUBLISH |                              \
     ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE | ABLY_CHANNEL_MODE_OBJECT_SUBSCRIBE | ABLY_CHANNEL_MODE_OBJECT_PUBLISH)

/* ChannelOptions (TB2) of a realtime channel. Zero-initialise, then set. Copied. */
typedef struct {
    const ably_cipher_params *cipher;      /* TB2b; NULL: none */
    const ably_string_map *params;         /* TB2c: sent in ATTACH (RTL4k); NULL: none */
    uint32_t modes;                        /* TB2d: ABLY_CHANNEL_MODE_* bits; 0: server default */
    bool no_attach_on_subscribe;           /* TB4: attachOnSubscribe is true unless this is set */
} ably_realtime_channel_options;

/* TB3 (withCipherKey): options holding only a cipher made from `key_base64` (base64 or
 * base64url text of a 128 or 256 bit key) with the default params (RSE1). The params
 * are written to *cipher, which *out points to: keep it alive while *out is used. Returns
 * 0, or -1 with 40003 for a bad key. Thread safe (pure). */
int ably_realtime_channel_options_with_cipher_key(const char *key_base64, ably_cipher_params *cipher,
                                                  ably_realtime_channel_options *out, ably_error *err);

/* A copy of the options a channel holds (RTS3b, RTS3c, RTL16), owned by the caller: free
 * it with ably_realtime_channel_options_copy_clear. */
typedef struct {
    bool has_cipher;
    ably_cipher_params cipher;   /* TB2b: valid when has_cipher (key bytes inline) */
    ably_string_map params;      /* TB2c: empty when none */
    uint32_t modes;              /* TB2d: 0 when none */
    bool attach_on_subscribe;    /* TB4 */
} ably_realtime_channel_options_copy;

void ably_realtime_channel_options_copy_clear(ably_realtime_channel_options_copy *c);

/* DeriveOptions (DO2). */
typedef struct {
    const char *filter; /* DO2a: a JMESPath expression the server filters messages with */
} ably_derive_options;

/* ---- the collection (RTS) ---- */

/* RTS3a: the channel called `name`, created when missing (in INITIALIZED). With opts on
 * an existing channel the options are applied (RTS3c), unless they change params or
 * modes, which would need a reattach: then 40000 (RTS3c1). 40010: empty name; 40003:
 * bad cipher params. */
int ably_realtime_channels_get(ably_realtime *rt, const char *name, const ably_realtime_channel_options *opts,
                               ably_realtime_channel **out, ably_error *err);
/* RTS5: the derived channel of `name` for `derive`, as ably_realtime_channels_get on the
 * name "[filter=<base64 of the filter>?<opts params>]name" (RTS5a1, RTS5a2; a "[?params]"
 * qualifier already on `name` is kept), with opts (may be NULL) as its options. 40010:
 * empty name, no filter, or `name` already has another qualifier. */
int ably_realtime_channels_get_derived(ably_realtime *rt, const char *name, const ably_derive_options *derive,
                                       const ably_realtime_channel_options *opts, ably_realtime_channel **out,
                                       ably_error *err);
/* RTS2 */
bool ably_realtime_channels_exists(ably_realtime *rt, const char *name);
/* RTS4a: removes the channel now (exists() turns false, get() makes a new one), then on
 * the loop detaches it when attached and frees it. Pointers to it become invalid at
 * once. Pending attach/detach callbacks of the channel get error 90001. No-op for an
 * unknown name. */
void ably_realtime_channels_release(ably_realtime *rt, const char *name);
/* RTS2: calls fn for every channel and returns the count. fn runs with the collection
 * locked: it must not get or release channels. fn may be NULL. */
typedef void (*ably_realtime_channel_visitor)(void *ctx, ably_realtime_channel *ch);
size_t ably_realtime_channels_foreach(ably_realtime *rt, ably_realtime_channel_visitor fn, void *ctx);

/* ---- a channel (RTL) ---- */

const char *ably_realtime_channel_name(const ably_realtime_channel *ch); /* RTL1: owned by the channel */
ably_channel_state ably_realtime_channel_state(ably_realtime_channel *ch);
/* errorReason (RTL24): copies it into *out and returns 1, or returns 0 when none. */
int ably_realtime_channel_error_reason(ably_realtime_channel *ch, ably_error *out);
/* RTL4m: the modes granted by the last ATTACHED (ABLY_CHANNEL_MODE_* bits). */
uint32_t ably_realtime_channel_modes(ably_realtime_channel *ch);
/* RTL4k1: a param granted by the last ATTACHED (malloc'd), or NULL. */
char *ably_realtime_channel_param(ably_realtime_channel *ch, const char *key);
/* The channel's options now (RTS3b, RTS3c, RTL16) into *out (caller clears). Returns 0, or
 * -1 when out of memory. */
int ably_realtime_channel_get_options(ably_realtime_channel *ch, ably_realtime_channel_options_copy *out);
/* RTL15: ChannelProperties: attachSerial (RTL15c) / channelSerial (RTL15b) (malloc'd), or NULL when unset. */
char *ably_realtime_channel_attach_serial(ably_realtime_channel *ch);
char *ably_realtime_channel_serial(ably_realtime_channel *ch);

/* RTL2, RTE: state listeners; `event` may be ABLY_CHANNEL_EVENT_ANY. Ids are never 0. */
uint64_t ably_realtime_channel_on(ably_realtime_channel *ch, ably_channel_event event, ably_channel_listener fn,
                                  void *ctx);
uint64_t ably_realtime_channel_once(ably_realtime_channel *ch, ably_channel_event event,
                                    ably_channel_listener fn, void *ctx);
void ably_realtime_channel_off(ably_realtime_channel *ch, uint64_t listener_id);
/* whenState (RTL25): when the channel is in `state` at the time the loop handles this
 * call, fn runs once with a NULL change (RTL25a); otherwise this is once(state) (RTL25b).
 * Returns the listener id (usable with off until fn has run), 0 when fn is NULL or out of
 * memory. */
uint64_t ably_realtime_channel_when_state(ably_realtime_channel *ch, ably_channel_state state,
                                          ably_channel_listener fn, void *ctx);
void ably_realtime_channel_off_event(ably_realtime_channel *ch, ably_channel_event event);

/* RTL4: attach. cb (may be NULL) runs when the channel next reaches ATTACHED (err NULL)
 * or DETACHED / SUSPENDED / FAILED (err set) (RTL4d); at once with an error when the
 * connection is CLOSED, CLOSING, SUSPENDED or FAILED (RTL4b). */
void ably_realtime_channel_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx);
/* RTL5: detach; cb (may be NULL) with NULL once DETACHED, or an error (RTL5b, RTL5f). */
void ably_realtime_channel_detach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx);
/* RTL16: replaces the options; when params or modes change on an ATTACHED or ATTACHING
 * channel, reattaches and calls cb when that attach completes (RTL16a); otherwise cb at
 * once. cb may be NULL. */
void ably_realtime_channel_set_options(ably_realtime_channel *ch, const ably_realtime_channel_options *opts,
                                       ably_channel_result_fn cb, void *ctx);

/* RTL6: publishes. cb (may be NULL) runs on ACK (err NULL) or NACK / failure (RTL6c4),
 * with the ACK's result for this message when it carried one (serials), else NULL.
 * Fails at once with 90001 when the channel is SUSPENDED or FAILED, 40009 when the
 * messages exceed maxMessageSize, 40013 for data that cannot be encoded, 40012 when a
 * message's clientId is not this identified client's (RTL6g3; a message without one is
 * sent as is and the server applies the client's, RTL6g1). Messages are
 * copied before the call returns; encoding (and encryption) happens on the loop. */
typedef void (*ably_publish_fn)(void *ctx, const ably_error *err, const ably_publish_result *res);
void ably_realtime_channel_publish(ably_realtime_channel *ch, const char *name, const ably_data *data,
                                   ably_publish_fn cb, void *ctx);
void ably_realtime_channel_publish_messages(ably_realtime_channel *ch, const ably_message *messages, size_t count,
                                            ably_publish_fn cb, void *ctx);
/* RTL6k: the same with params sent in the frame's ProtocolMessage.params (TR4q;
 * values are strings: stringify numbers and booleans as "true" / "false", RTC1f).
 * params may be NULL; copied before the call returns. */
void ably_realtime_channel_publish_messages_params(ably_realtime_channel *ch, const ably_message *messages,
                                                   size_t count, const ably_string_map *params, ably_publish_fn cb,
                                                   void *ctx);

/* RTL7: subscribes fn to messages called `name` (NULL: every message). Unless the
 * options say no_attach_on_subscribe, attaches the channel when INITIALIZED, DETACHING
 * or DETACHED (RTL7g) and reports that attach through attach_cb (may be NULL; called
 * at once with NULL when no attach was needed). Once the channel is ATTACHED (at once, or
 * when that attach completes), if the server did not grant the SUBSCRIBE mode: with
 * ClientOptions.strict_mode, attach_cb gets 90009 (RTL7i1; the listener stays
 * registered); without, the subscribe succeeds and an error is logged, at most once per
 * attachment (RTL7i2, TO3r2). Returns the listener id (never 0). */
uint64_t ably_realtime_channel_subscribe(ably_realtime_channel *ch, const char *name, ably_message_listener fn,
                                         void *ctx, ably_channel_result_fn attach_cb, void *attach_ctx);
/* RTL22, MFI1: subscribes fn to the messages that meet every criterion the filter sets
 * (RTL22c; ably_message_filter from ably/gen/types.h, MFI2): name (MFI2d), clientId
 * (MFI2e), extras.ref.timeserial (MFI2b), extras.ref.type (MFI2c) and, with has_is_ref,
 * whether extras.ref is present (MFI2a; is_ref false: only messages without it,
 * RTL22b). NULL fields match anything; a NULL filter matches every message. The filter
 * is copied before the call returns. Attaches like ably_realtime_channel_subscribe
 * (RTL7g). Remove it with ably_realtime_channel_unsubscribe (by the returned id) or
 * _unsubscribe_all; _unsubscribe_name does not touch filtered listeners. Returns the
 * listener id, 0 when fn is NULL or out of memory. Any thread. */
uint64_t ably_realtime_channel_subscribe_filter(ably_realtime_channel *ch, const ably_message_filter *filter,
                                                ably_message_listener fn, void *ctx, ably_channel_result_fn attach_cb,
                                                void *attach_ctx);
/* RTL8: by id (RTL8a), every listener of one name (RTL8b), or everything (RTL8c). */
void ably_realtime_channel_unsubscribe(ably_realtime_channel *ch, uint64_t listener_id);
void ably_realtime_channel_unsubscribe_name(ably_realtime_channel *ch, const char *name);
void ably_realtime_channel_unsubscribe_all(ably_realtime_channel *ch);

/* RTL10: history through REST (blocking, like every REST call; never from a callback of
 * a THREAD-mode client is fine, it does not touch the loop). With until_attach
 * (RTL10b) the channel must be ATTACHED (else 40000) and fromSerial is its attachSerial.
 * The page is the caller's (ably_paginated_result_free); it borrows the REST channel of
 * the same name. params may be NULL. */
int ably_realtime_channel_history(ably_realtime_channel *ch, const ably_history_params *params, bool until_attach,
                                  ably_paginated_result **out, ably_error *err);

/* ---- presence (RTP) ---- */

/* RTL9: the channel's presence object. */
ably_realtime_presence *ably_realtime_channel_presence(ably_realtime_channel *ch);

/* A presence event: the member as in the map after the event (action is the event's,
 * TP3; id / connectionId / timestamp filled from the ProtocolMessage when absent).
 * Valid only during the callback. */
typedef void (*ably_presence_listener)(void *ctx, const ably_presence_message *msg);

/* RTP8 / RTP9 / RTP10: enter, update, leave this client (which needs a clientId,
 * else 91000). The message carries no clientId: Ably applies the connection's
 * (RTP8c). data may be NULL; a leave without data repeats the data the member is
 * present with (RTP10a). Implicitly attaches (RTP8d); queues while attaching when
 * queueMessages is set (RTP16b); fails with 91001 when the channel is DETACHED,
 * SUSPENDED or FAILED (RTP8g, RTP16c). cb (may be NULL) on ACK/NACK. */
void ably_realtime_presence_enter(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                  void *ctx);
void ably_realtime_presence_update(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                   void *ctx);
void ably_realtime_presence_leave(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                  void *ctx);
/* RTP14, RTP15: the same on behalf of client_id (an identified or wildcard client). */
void ably_realtime_presence_enter_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                         ably_channel_result_fn cb, void *ctx);
void ably_realtime_presence_update_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                          ably_channel_result_fn cb, void *ctx);
void ably_realtime_presence_leave_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                         ably_channel_result_fn cb, void *ctx);
/* RTP8e: the general form of the six above, which can also carry extras (TP3i: a JSON
 * object as text, e.g. {"headers":{...}}; NULL: none). action is ENTER, UPDATE or
 * LEAVE (else 40000); client_id NULL acts as this client (like enter), otherwise on
 * behalf of client_id (like enter_client). Everything is copied before the call returns. */
void ably_realtime_presence_send(ably_realtime_presence *p, ably_presence_action action, const char *client_id,
                                 const ably_data *data, const char *extras, ably_channel_result_fn cb, void *ctx);

/* RTP6: subscribe to every action (action < 0) or one action (RTP6b). Attaches like
 * RTL7g (RTP6d). Returns the listener id. */
uint64_t ably_realtime_presence_subscribe(ably_realtime_presence *p, int action, ably_presence_listener fn,
                                          void *ctx, ably_channel_result_fn attach_cb, void *attach_ctx);
/* RTP7: by id, by action, or all. */
void ably_realtime_presence_unsubscribe(ably_realtime_presence *p, uint64_t listener_id);
void ably_realtime_presence_unsubscribe_action(ably_realtime_presence *p, ably_presence_action action);
void ably_realtime_presence_unsubscribe_all(ably_realtime_presence *p);

/* RTP11: the members present (PRESENT, with ENTER / UPDATE normalised to PRESENT by the
 * map), filtered by client_id / connection_id (NULL: any). Unless the channel is
 * ATTACHED or SUSPENDED it is attached first (RTP11e, RTL33b; an attach failure fails
 * the get with its reason); then with wait_for_sync (RTP11c1, the usual choice) it
 * waits for the SYNC to finish. Fails with 91005 for a SUSPENDED channel when waiting
 * (RTP11d) and 90001 for a FAILED one (RTL33c). `members` is an array valid during
 * the callback. */
typedef void (*ably_presence_get_fn)(void *ctx, const ably_error *err, const ably_presence_message *members,
                                     size_t count);
void ably_realtime_presence_get(ably_realtime_presence *p, bool wait_for_sync, const char *client_id,
                                const char *connection_id, ably_presence_get_fn cb, void *ctx);
/* RTP13: whether the initial SYNC is complete. */
bool ably_realtime_presence_sync_complete(ably_realtime_presence *p);
/* RTP12: presence history through REST (blocking). Page of ably_presence_message. */
int ably_realtime_presence_history(ably_realtime_presence *p, const ably_history_params *params,
                                   ably_paginated_result **out, ably_error *err);

/* ---- mutable messages (RTL28, RTL31, RTL32) ---- */

/* RTL28, RTL31: the same as ably_rest_channel_get_message / _get_message_versions on
 * the REST channel of the same name (blocking; they do not touch the loop). */
int ably_realtime_channel_get_message(ably_realtime_channel *ch, const char *serial, ably_message *out,
                                      ably_error *err);
int ably_realtime_channel_get_message_versions(ably_realtime_channel *ch, const char *serial,
                                               const ably_string_map *params, ably_paginated_result **out,
                                               ably_error *err);

/* Completion of an update / delete / append: err NULL on ACK, and then res (may be NULL
 * when the ACK carried no result) holds the version serial (RTL32d). Valid during the call. */
typedef void (*ably_update_delete_fn)(void *ctx, const ably_error *err, const ably_update_delete_result *res);

/* RTL32: sends a MESSAGE frame with one copy of `message` (whose serial is required,
 * else cb gets 40003), action MESSAGE_UPDATE / MESSAGE_DELETE / MESSAGE_APPEND
 * (RTL32b1), version = *operation when given (RTL32b2) and `params` in
 * ProtocolMessage.params (RTL32e). Everything is copied before the call returns; the
 * caller's message is never modified (RTL32c). operation, params and cb may be NULL.
 * Like publish, fails with 90001 on a SUSPENDED or FAILED channel. */
void ably_realtime_channel_update_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx);
void ably_realtime_channel_delete_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx);
void ably_realtime_channel_append_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx);

/* ---- annotations (RTL26, RTAN) ---- */

typedef struct ably_realtime_annotations ably_realtime_annotations;

/* RTL26: the channel's annotations object (lives inside the channel; NULL only when
 * out of memory). */
ably_realtime_annotations *ably_realtime_channel_annotations(ably_realtime_channel *ch);

/* RTAN1: publishes `annotation` (type required, RSAN1a3: else cb gets 40003) for the
 * message with `message_serial`, as ANNOTATION_CREATE, in an ANNOTATION frame
 * (RTAN1c); cb (may be NULL) on ACK / NACK (RTAN1d). Copied before the call returns.
 * RTAN2: delete is the same with ANNOTATION_DELETE. */
void ably_realtime_annotations_publish(ably_realtime_annotations *an, const char *message_serial,
                                       const ably_annotation *annotation, ably_channel_result_fn cb, void *ctx);
void ably_realtime_annotations_delete(ably_realtime_annotations *an, const char *message_serial,
                                      const ably_annotation *annotation, ably_channel_result_fn cb, void *ctx);
/* RTAN3: ably_rest_annotations_get on the REST channel of the same name (blocking). */
int ably_realtime_annotations_get(ably_realtime_annotations *an, const char *message_serial,
                                  const ably_string_map *params, ably_paginated_result **out, ably_error *err);

/* A received annotation, decoded. Valid only during the callback. */
typedef void (*ably_annotation_listener)(void *ctx, const ably_annotation *annotation);
/* RTAN4: subscribes fn to annotations of `type` (NULL: every type, RTAN4c). Attaches
 * like ably_realtime_channel_subscribe (RTAN4d); once ATTACHED, a warning is logged
 * when the server did not grant ANNOTATION_SUBSCRIBE (RTAN4e). Returns the id (0: out
 * of memory). */
uint64_t ably_realtime_annotations_subscribe(ably_realtime_annotations *an, const char *type,
                                             ably_annotation_listener fn, void *ctx, ably_channel_result_fn attach_cb,
                                             void *attach_ctx);
/* RTAN5: by id, every listener of one type, or everything. */
void ably_realtime_annotations_unsubscribe(ably_realtime_annotations *an, uint64_t listener_id);
void ably_realtime_annotations_unsubscribe_type(ably_realtime_annotations *an, const char *type);
void ably_realtime_annotations_unsubscribe_all(ably_realtime_annotations *an);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REALTIME_CHANNEL_H */
