/* Shared by the REST channel modules (channels.c, channel_publish.c,
 * channel_history.c, mutable.c, annotations.c, batch.c). Not public API. */
#ifndef ABLY_REST_CHANNEL_INTERNAL_H
#define ABLY_REST_CHANNEL_INTERNAL_H

#include <pthread.h>

#include "ably/rest_channel.h"
#include "rest/rest_core.h"

struct ably_rest_presence {
    ably_rest_channel *channel;
};

struct ably_rest_annotations {
    ably_rest_channel *channel;
};

struct ably_rest_channel {
    ably_rest *rest;
    char *name;
    char *path;            /* "/channels/<percent-encoded name>", built once */
    size_t path_len;
    ably_rest_presence presence;
    ably_rest_annotations annotations;
    ably_rest_channel *next; /* hash bucket chain */

    /* Guards cipher (which must be used by one thread at a time) and spare. */
    pthread_mutex_t lock;
    ably_cipher *cipher;     /* NULL: plain */
    ably_buf spare;          /* a request buffer kept for reuse by the next publish */
    bool spare_in_use;
};

/* ---- helpers (channels.c) ---- */

/* "<channel path><suffix>" or "<channel path>/<percent-encoded serial><suffix>"
 * into *out (replaced). serial may be NULL. 0 or -1 (no memory). */
int ably_channel_path(const ably_rest_channel *ch, const char *serial, const char *suffix, ably_buf *out);

/* A request buffer: the channel's spare when free, else a fresh one. */
void ably_channel_take_buf(ably_rest_channel *ch, ably_buf *out);
void ably_channel_give_buf(ably_rest_channel *ch, ably_buf *buf);

/* The history / presence-history query (RSL2b, RSP4b); 40003 on bad values. */
int ably_history_query(const ably_history_params *p, ably_string_map *q, ably_error *err);

/* Logs a payload that could not be fully decoded (RSL6b). */
void ably_channel_log_decode_failure(ably_rest *rest, const char *channel, const ably_error *e);

/* Sets err to "out of memory" and returns -1. */
int ably_oom(ably_error *err);

/* ---- outbound messages (channel_publish.c) ---- */

/* Shallow copies of caller messages, with their payloads encoded (RSL4, RSL5)
 * and ids filled in (RSL1k1), ready for the codec. What the encoding had to
 * allocate is tracked and freed by ably_outbound_clear; the rest is borrowed. */
typedef struct {
    ably_message *items;
    size_t count;
    unsigned char *owns; /* per item: OWN_DATA | OWN_ENCODING */
    char *ids;           /* storage of generated ids */
    ably_message one;    /* storage when count == 1 (no malloc) */
    unsigned char one_owns;
} ably_outbound;

/* Prepares `count` messages. cipher may be NULL (the caller holds the lock of
 * the channel that owns it). idempotent: apply RSL1k1. */
int ably_outbound_prepare(ably_outbound *o, const ably_message *messages, size_t count, ably_cipher *cipher,
                          bool idempotent, ably_format format, ably_error *err);
void ably_outbound_clear(ably_outbound *o);

/* RSL1k1 / RSAN1c4: writes a url-safe base64 of 9 random bytes (12 characters
 * and a NUL) to out. */
void ably_random_id_base(char out[13]);

/* The total size of the messages (TM6) against maxMessageSize (RSL1i): 40009. */
int ably_check_message_size(ably_rest *rest, const ably_message *messages, size_t count, ably_error *err);

/* Paginated item hooks decoding payloads (RSL6, RSP5); ctx: the channel, or NULL (no cipher). */
int ably_decode_message_items(void *ctx, void *items, size_t count, ably_error *err);
int ably_decode_presence_items(void *ctx, void *items, size_t count, ably_error *err);

#endif /* ABLY_REST_CHANNEL_INTERNAL_H */
