/* REST channels (RSN, RSL), presence (RSP), annotations (RSAN), mutable
 * messages (RSL11, RSL14, RSL15) and the batch calls (RSC22, RSC24).
 *
 *     ably_rest_channel *ch;
 *     if (ably_rest_channels_get(rest, "my-channel", NULL, &ch, &err) != 0) { ... }
 *     ably_data text = ably_data_borrow(ABLY_DATA_STRING, "hello", 5);
 *     ably_publish_result res = {0};
 *     ably_rest_channel_publish(ch, "greeting", &text, &res, &err);   // RSL1
 *     ably_publish_result_clear(&res);
 *
 *     ably_paginated_result *page;
 *     ably_rest_channel_history(ch, NULL, &page, &err);              // RSL2
 *     size_t n;
 *     const ably_message *msgs = ably_paginated_result_messages(page, &n);
 *     ably_paginated_result_free(page);
 *
 * Blocking: like every REST call (see ably/rest.h), each function that talks to
 * Ably blocks the calling thread until the reply is in.
 *
 * Thread safety: every function may be called from several threads at once on
 * the same client and channel. A channel's cipher is used under the channel's
 * own lock, so concurrent publishes on one encrypted channel serialise only
 * while encrypting. Two things must not race with other use: ably_rest_destroy,
 * and ably_rest_channels_release of a channel another thread is using.
 *
 * Ownership:
 *  - A channel (ably_rest_channel *) belongs to its client. It stays valid until
 *    it is released (RSN4) or the client is destroyed; never free it yourself.
 *    Its presence (RSP1) and annotations (RSL10) objects live inside it.
 *  - Every argument is borrowed for the duration of the call and never modified
 *    (RSL15c): messages, data, params, specs. Data passed to publish may point to
 *    any memory (it need not be malloc'd) since the library never frees it.
 *  - Results written through an out-pointer belong to the caller: a struct result
 *    (ably_publish_result, ably_message, ably_channel_details, ...) is cleared
 *    with its generated _clear function; pages with ably_paginated_result_free.
 *    Pass result structs zero-initialised (or _init'ed) and owning nothing.
 *  - Pages of messages or presence messages from a channel borrow that channel
 *    (to decrypt the next pages with its current cipher): free them before
 *    releasing the channel or destroying the client.
 *
 * Errors: -1 with *err filled; 0 on success. Argument errors are reported before
 * any I/O: 40003 (a missing serial, a missing annotation type, bad history
 * params), 40009 (messages larger than maxMessageSize, RSL1i), 40010 (a bad
 * channel name), 40013 (data that cannot be encoded, RSL4a).
 */
#ifndef ABLY_REST_CHANNEL_H
#define ABLY_REST_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/crypto.h"
#include "ably/error.h"
#include "ably/gen/types.h"
#include "ably/paginated.h"
#include "ably/rest.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_rest_channel ably_rest_channel;
typedef struct ably_rest_presence ably_rest_presence;
typedef struct ably_rest_annotations ably_rest_annotations;

/* A payload that borrows `bytes` (for arguments only: never pass it to
 * ably_data_clear or store it in a struct you will _clear). */
static inline ably_data ably_data_borrow(ably_data_type type, const void *bytes, size_t len)
{
    ably_data d;
    d.type = type;
    d.bytes = (char *)(uintptr_t)bytes; /* never written through or freed */
    d.len = len;
    return d;
}

/* ChannelOptions (TB2) of a REST channel. Zero-initialise, then set. */
typedef struct {
    const ably_cipher_params *cipher; /* TB2b: encrypt/decrypt payloads (RSL5); NULL: none. Copied. */
} ably_rest_channel_options;

/* ---- the channels collection (RSN) ---- */

/* RSN3a: the channel called `name`, created if it does not exist yet. With
 * `opts` (may be NULL) the options are set on the channel (RSN3b), also on an
 * existing one (RSN3c). Fails with 40010 for an empty or non-UTF-8 name and
 * 40003 for bad cipher params. *out belongs to the client. */
int ably_rest_channels_get(ably_rest *rest, const char *name, const ably_rest_channel_options *opts,
                           ably_rest_channel **out, ably_error *err);
/* RSN2: whether the client holds a channel called `name`. */
bool ably_rest_channels_exists(ably_rest *rest, const char *name);
/* RSN4: releases (frees) the channel called `name`; a no-op when there is none
 * (RSN4b). Pointers to it, its presence and annotations become invalid. */
void ably_rest_channels_release(ably_rest *rest, const char *name);
/* RSN2: calls fn for every channel, in no particular order, and returns how
 * many there are. fn runs with the collection locked: it must not get or
 * release channels. fn may be NULL (just count). */
typedef void (*ably_rest_channel_visitor)(void *ctx, ably_rest_channel *channel);
size_t ably_rest_channels_foreach(ably_rest *rest, ably_rest_channel_visitor fn, void *ctx);

/* ---- a channel (RSL) ---- */

/* RSL9: the name, owned by the channel. */
const char *ably_rest_channel_name(const ably_rest_channel *channel);
/* RSL7: replaces the channel's options (NULL: no options, i.e. no cipher). */
int ably_rest_channel_set_options(ably_rest_channel *channel, const ably_rest_channel_options *opts,
                                  ably_error *err);
/* Whether the channel currently encrypts (has a cipher). */
bool ably_rest_channel_is_encrypted(const ably_rest_channel *channel);

/* RSL1a, RSL1b, RSL1h: publishes one message made of `name` and `data`, either
 * of which may be NULL (then not sent, RSL1e). `result` may be NULL; otherwise
 * it receives the serials (RSL1n, PBR2a; an entry is NULL when conflated). */
int ably_rest_channel_publish(ably_rest_channel *channel, const char *name, const ably_data *data,
                              ably_publish_result *result, ably_error *err);
/* RSL1a, RSL1c, RSL1j, RSL1l: publishes `count` messages in one request, with
 * `params` (may be NULL) in the query string. Message ids follow RSL1k: with
 * idempotentRestPublishing and no message carrying an id, they get
 * "<random base>:<index>" ids, kept across the pipeline's retries. clientId is
 * sent as given, never filled in from the client's (RSL1m). */
int ably_rest_channel_publish_messages(ably_rest_channel *channel, const ably_message *messages, size_t count,
                                       const ably_string_map *params, ably_publish_result *result,
                                       ably_error *err);

/* History params (RSL2b, RSP4b). Zero-initialise, then set what you need. */
typedef struct {
    int64_t start;         /* ms since epoch; 0: not sent */
    int64_t end;           /* ms since epoch; 0: not sent; start must not be after end */
    const char *direction; /* "forwards" or "backwards"; NULL: server default (backwards) */
    int limit;             /* 1..1000; 0: server default (100) */
} ably_history_params;

/* RSL2: a page of ably_message, newest first unless asked otherwise, decoded
 * (and decrypted with the channel's cipher) per RSL6. A payload that cannot be
 * decoded keeps its remaining encoding and an error is logged (RSL6b).
 * params may be NULL. */
int ably_rest_channel_history(ably_rest_channel *channel, const ably_history_params *params,
                              ably_paginated_result **out, ably_error *err);

/* RSL8: the channel's details (CHD2) into *out (clear with ably_channel_details_clear). */
int ably_rest_channel_status(ably_rest_channel *channel, ably_channel_details *out, ably_error *err);

/* ---- mutable messages ---- */

/* MessageOperation (MOP2): why and by whom a message was changed. All optional. */
typedef struct {
    const char *client_id;          /* MOP2a */
    const char *description;        /* MOP2b */
    const ably_string_map *metadata; /* MOP2c; NULL: none */
} ably_message_operation;

/* RSL11: the latest version of the message with this serial, decoded, into *out
 * (clear with ably_message_clear). An empty serial fails with 40003 (RSL11a). */
int ably_rest_channel_get_message(ably_rest_channel *channel, const char *serial, ably_message *out,
                                  ably_error *err);
/* RSL14: a page of every version of the message with this serial (ably_message
 * items), with `params` (may be NULL) in the query string. */
int ably_rest_channel_get_message_versions(ably_rest_channel *channel, const char *serial,
                                           const ably_string_map *params, ably_paginated_result **out,
                                           ably_error *err);
/* RSL15: PATCHes message->serial with the message's fields, `action` set to
 * MESSAGE_UPDATE / MESSAGE_DELETE / MESSAGE_APPEND (RSL15b1) and `version` set
 * to *operation when given (RSL15b7). `message` is not modified (RSL15c);
 * operation, params and result may be NULL. *result gets the versionSerial
 * (UDR2a; NULL when superseded). A message without a serial fails with 40003. */
int ably_rest_channel_update_message(ably_rest_channel *channel, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err);
int ably_rest_channel_delete_message(ably_rest_channel *channel, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err);
int ably_rest_channel_append_message(ably_rest_channel *channel, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err);

/* ---- presence (RSP) ---- */

/* RSP1, RSL3: the channel's presence object (lives inside the channel). */
ably_rest_presence *ably_rest_channel_presence(ably_rest_channel *channel);

/* RSP3a params. Zero-initialise, then set what you need. */
typedef struct {
    int limit;                 /* RSP3a1: 1..1000; 0: server default (100) */
    const char *client_id;     /* RSP3a2: NULL: any */
    const char *connection_id; /* RSP3a3: NULL: any */
} ably_presence_get_params;

/* RSP3: a page of the members present (ably_presence_message items), decoded per RSP5. */
int ably_rest_presence_get(ably_rest_presence *presence, const ably_presence_get_params *params,
                           ably_paginated_result **out, ably_error *err);
/* RSP4: a page of presence history (ably_presence_message items), decoded per RSP5. */
int ably_rest_presence_history(ably_rest_presence *presence, const ably_history_params *params,
                               ably_paginated_result **out, ably_error *err);

/* ---- annotations (RSAN) ---- */

/* RSL10: the channel's annotations object (lives inside the channel). */
ably_rest_annotations *ably_rest_channel_annotations(ably_rest_channel *channel);

/* RSAN1: publishes `annotation` (its type is required, RSAN1a3) for the message
 * with `message_serial`, as ANNOTATION_CREATE. The annotation is not modified. */
int ably_rest_annotations_publish(ably_rest_annotations *annotations, const char *message_serial,
                                  const ably_annotation *annotation, ably_error *err);
/* RSAN2: the same, as ANNOTATION_DELETE. */
int ably_rest_annotations_delete(ably_rest_annotations *annotations, const char *message_serial,
                                 const ably_annotation *annotation, ably_error *err);
/* RSAN3: a page of the message's annotations (ably_annotation items), decoded. */
int ably_rest_annotations_get(ably_rest_annotations *annotations, const char *message_serial,
                              const ably_string_map *params, ably_paginated_result **out, ably_error *err);

/* ---- typed page items ---- */

/* The items when the page holds that type, else NULL with *count = 0. */
const ably_message *ably_paginated_result_messages(const ably_paginated_result *page, size_t *count);
const ably_presence_message *ably_paginated_result_presence_messages(const ably_paginated_result *page,
                                                                     size_t *count);
const ably_annotation *ably_paginated_result_annotations(const ably_paginated_result *page, size_t *count);

/* ---- batch operations on the client ---- */

/* RSC22: publishes each spec's messages to each of its channels in one POST to
 * /messages. Messages are encoded per RSL4 (no encryption) and, with
 * idempotentRestPublishing, get ids per RSL1k1 for each spec separately
 * (RSC22d). On success *results is a malloc'd array of *results_count
 * BatchResults (BAR2), one per spec in order; each outcome is a success
 * (channel, messageId, serials: BPR2) or a failure (channel, error: BPF2).
 * Free with ably_batch_publish_results_free. A spec without channels or
 * messages fails with 40003 before any I/O. */
int ably_rest_batch_publish(ably_rest *rest, const ably_batch_publish_spec *specs, size_t count,
                            ably_batch_publish_result **results, size_t *results_count, ably_error *err);
void ably_batch_publish_results_free(ably_batch_publish_result *results, size_t count);

/* RSC24: the members present on each channel, in one GET to /presence. *out
 * (clear with ably_batch_presence_result_clear) holds the counts (BAR2a, BAR2b)
 * and one outcome per channel: a success (channel, presence: BGR2) or a failure
 * (channel, error: BGF2). Presence data is decoded per RSP5. */
int ably_rest_batch_presence(ably_rest *rest, const char *const *channels, size_t count,
                             ably_batch_presence_result *out, ably_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_REST_CHANNEL_H */
