/* Realtime annotations (RTL26, RTAN): publish and delete over the connection in
 * ANNOTATION frames, get through the REST half, and delivery of received
 * annotations to listeners filtered by type.
 *
 * The object is made on first use and lives inside its channel (freed with it).
 * Subscriptions go to an emitter whose events are indexes into an interned table of
 * types, like message names in channel.c, so delivery compares no strings per
 * listener. */
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "realtime/channels_internal.h"
#include "rest/channel_internal.h"
#include "rest/rest_core.h"
#include "rest/rest_internal.h"

struct ably_realtime_annotations {
    ably_realtime_channel *ch;
    ably_emitter em;   /* events: index into types (ABLY_EMITTER_ANY: every type) */
    char **types;      /* [mu] interned subscription types */
    size_t types_count, types_cap;
};

/* ---- RTAN4e: the ANNOTATION_SUBSCRIBE mode check ---- */

static bool has_listeners(ably_realtime_annotations *an)
{
    pthread_mutex_lock(&an->em.mu);
    bool any = false;
    for (size_t i = 0; i < an->em.count && !any; i++)
        any = !an->em.items[i].removed;
    pthread_mutex_unlock(&an->em.mu);
    return any;
}

/* [loop] The mode set checked is the one the server granted (RTL4m), not the one asked for. */
static void warn_without_mode(ably_realtime_annotations *an)
{
    ably_realtime_channel *ch = an->ch;
    if (ch->state == ABLY_CHANNEL_ATTACHED && !(ch->modes & ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE) &&
        has_listeners(an))
        ably_log(ch->rt->log, ABLY_LOG_WARN, NULL,
                 "channel %s: annotation listeners will get nothing: the ANNOTATION_SUBSCRIBE channel mode was "
                 "not granted (request it in the channel options' modes)",
                 ch->name);
}

/* [loop] Called by the channel itself, not through its public emitter, so that an
 * application removing every channel listener cannot switch it off (RTC10). */
void ably_annotations_on_attached(ably_realtime_channel *ch)
{
    pthread_mutex_lock(&ch->chs->mu);
    ably_realtime_annotations *an = ch->annotations;
    pthread_mutex_unlock(&ch->chs->mu);
    if (an)
        warn_without_mode(an);
}

/* ---- the object (RTL26) ---- */

ably_realtime_annotations *ably_realtime_channel_annotations(ably_realtime_channel *ch)
{
    pthread_mutex_lock(&ch->chs->mu);
    ably_realtime_annotations *an = ch->annotations;
    if (!an && (an = calloc(1, sizeof *an)) != NULL) {
        an->ch = ch;
        ably_emitter_init(&an->em);
        ch->annotations = an;
    }
    pthread_mutex_unlock(&ch->chs->mu);
    return an;
}

void ably_annotations_free(ably_realtime_annotations *an)
{
    if (!an)
        return;
    ably_emitter_free(&an->em);
    for (size_t i = 0; i < an->types_count; i++)
        free(an->types[i]);
    free(an->types);
    free(an);
}

/* ---- publish / delete (RTAN1, RTAN2) ---- */

typedef struct {
    ably_realtime_annotations *an;
    ably_annotation a; /* owned copy */
    ably_channel_result_fn cb;
    void *ctx;
} publish_cmd;

static void publish_cmd_free(void *arg)
{
    publish_cmd *c = arg;
    ably_annotation_clear(&c->a);
    free(c);
}

static void fail(ably_channel_result_fn cb, void *ctx, int code, int status, const char *msg)
{
    if (!cb)
        return;
    ably_error e;
    ably_ch_make_error(&e, code, status, msg);
    cb(ctx, &e);
    ably_error_clear(&e);
}

static void run_publish(ably_realtime *rt, void *arg)
{
    publish_cmd *c = arg;
    ably_realtime_channel *ch = c->an->ch;
    if (!c->a.message_serial || !*c->a.message_serial) { /* RSAN1a via RTAN1a */
        fail(c->cb, c->ctx, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "annotations: the message serial is required");
        publish_cmd_free(c);
        return;
    }
    if (!c->a.type || !*c->a.type) { /* RSAN1a3 via RTAN1a */
        fail(c->cb, c->ctx, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "annotations: the annotation type is required");
        publish_cmd_free(c);
        return;
    }
    if (ch->state == ABLY_CHANNEL_SUSPENDED || ch->state == ABLY_CHANNEL_FAILED) { /* RTAN1b, RTL6c4 */
        fail(c->cb, c->ctx, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
             "cannot publish an annotation on a SUSPENDED or FAILED channel");
        publish_cmd_free(c);
        return;
    }
    ably_error err;
    ably_error_init(&err);
    ably_format fmt = rt->frame_binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    if (ably_payload_encode(&c->a.data, &c->a.encoding, NULL, fmt, &err) != 0) { /* RSAN1c3 */
        if (c->cb)
            c->cb(c->ctx, &err);
        ably_error_clear(&err);
        publish_cmd_free(c);
        return;
    }
    ably_annotation *items = malloc(sizeof *items);
    if (!items) {
        fail(c->cb, c->ctx, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        publish_cmd_free(c);
        return;
    }
    *items = c->a; /* handed over to the frame: no copy */
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION; /* RTAN1c */
    pm.has_action = true;
    pm.annotations = items;
    pm.annotations_count = 1;
    ably_channel_result_fn cb = c->cb;
    void *ctx = c->ctx;
    free(c);
    ably_ch_send_tracked(ch, &pm, NULL, cb, ctx); /* RTAN1d: ACK / NACK like publish */
}

static void post_annotation(ably_realtime_annotations *an, const char *serial, const ably_annotation *annotation,
                            ably_annotation_action action, ably_channel_result_fn cb, void *ctx)
{
    if (!an)
        return;
    publish_cmd *c = calloc(1, sizeof *c);
    bool ok = c != NULL;
    if (ok) {
        ably_annotation_init(&c->a);
        ok = !annotation || ably_annotation_copy(&c->a, annotation, NULL) == 0;
        if (!ok)
            ably_annotation_init(&c->a);
    }
    if (ok) {
        c->a.action = action; /* RSAN1c1, RTAN2a */
        c->a.has_action = true;
        free(c->a.message_serial); /* RSAN1c2: the first argument wins */
        c->a.message_serial = serial ? strdup(serial) : NULL;
        ok = !serial || c->a.message_serial;
    }
    if (!ok) {
        if (c)
            publish_cmd_free(c);
        fail(cb, ctx, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return;
    }
    c->an = an;
    c->cb = cb;
    c->ctx = ctx;
    ably_rt_post(an->ch->rt, run_publish, publish_cmd_free, c);
}

void ably_realtime_annotations_publish(ably_realtime_annotations *an, const char *message_serial,
                                       const ably_annotation *annotation, ably_channel_result_fn cb, void *ctx)
{
    post_annotation(an, message_serial, annotation, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE, cb, ctx);
}

void ably_realtime_annotations_delete(ably_realtime_annotations *an, const char *message_serial,
                                      const ably_annotation *annotation, ably_channel_result_fn cb, void *ctx)
{
    post_annotation(an, message_serial, annotation, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE, cb, ctx);
}

/* ---- get (RTAN3) ---- */

int ably_realtime_annotations_get(ably_realtime_annotations *an, const char *message_serial,
                                  const ably_string_map *params, ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_channel *rch;
    if (ably_rest_channels_get(an->ch->rt->rest, an->ch->name, NULL, &rch, err) != 0)
        return -1;
    return ably_rest_annotations_get(ably_rest_channel_annotations(rch), message_serial, params, out, err);
}

/* ---- subscribe (RTAN4, RTAN5) ---- */

/* The event for `type` (any thread); add: intern it when missing. -1 when unknown / OOM. */
static int type_event(ably_realtime_annotations *an, const char *type, bool add)
{
    int ev = -1;
    pthread_mutex_lock(&an->ch->chs->mu);
    for (size_t i = 0; i < an->types_count && ev < 0; i++)
        if (strcmp(an->types[i], type) == 0)
            ev = (int)i;
    if (ev < 0 && add) {
        if (an->types_count == an->types_cap) {
            size_t cap = an->types_cap ? an->types_cap * 2 : 4;
            char **grown = realloc(an->types, cap * sizeof *grown);
            if (grown) {
                an->types = grown;
                an->types_cap = cap;
            }
        }
        char *copy = an->types_count < an->types_cap ? strdup(type) : NULL;
        if (copy) {
            an->types[an->types_count] = copy;
            ev = (int)an->types_count++;
        }
    }
    pthread_mutex_unlock(&an->ch->chs->mu);
    return ev;
}

static void run_mode_check(ably_realtime *rt, void *arg)
{
    (void)rt;
    warn_without_mode(arg); /* RTAN4e; RTAN4e1: nothing while not attached */
}

uint64_t ably_realtime_annotations_subscribe(ably_realtime_annotations *an, const char *type,
                                             ably_annotation_listener fn, void *ctx, ably_channel_result_fn attach_cb,
                                             void *attach_ctx)
{
    if (!an || !fn)
        return 0;
    int ev = ABLY_EMITTER_ANY;
    if (type && (ev = type_event(an, type, true)) < 0)
        return 0;
    uint64_t id = ably_emitter_add(&an->em, ev, (ably_generic_fn)fn, ctx, false);
    if (id) {
        ably_rt_post(an->ch->rt, run_mode_check, NULL, an); /* already ATTACHED: check now */
        ably_ch_post_implicit_attach(an->ch, attach_cb, attach_ctx); /* RTAN4d, RTL7g */
    }
    return id;
}

void ably_realtime_annotations_unsubscribe(ably_realtime_annotations *an, uint64_t listener_id)
{
    if (an)
        ably_emitter_remove(&an->em, listener_id);
}

void ably_realtime_annotations_unsubscribe_type(ably_realtime_annotations *an, const char *type)
{
    int ev = an && type ? type_event(an, type, false) : -1;
    if (ev >= 0)
        ably_emitter_remove_event(&an->em, ev);
}

void ably_realtime_annotations_unsubscribe_all(ably_realtime_annotations *an)
{
    if (an)
        ably_emitter_remove_event(&an->em, ABLY_EMITTER_ANY);
}

/* ---- delivery (RTAN4b) ---- */

static void invoke_annotation_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_annotation_listener)fn)(ctx, arg);
}

/* Decodes each annotation in place in the frame (TAN3) and delivers a const pointer
 * into it, only while ATTACHED (as messages, RTL17). */
void ably_annotations_on_frame(ably_realtime_channel *ch, ably_protocol_message *pm)
{
    pthread_mutex_lock(&ch->chs->mu);
    ably_realtime_annotations *an = ch->annotations;
    pthread_mutex_unlock(&ch->chs->mu);
    if (!an || ch->state != ABLY_CHANNEL_ATTACHED)
        return; /* nobody ever subscribed: nothing to decode */
    for (size_t i = 0; i < pm->annotations_count; i++) {
        ably_annotation *a = &pm->annotations[i];
        if (!a->has_timestamp && pm->has_timestamp) {
            a->timestamp = pm->timestamp;
            a->has_timestamp = true;
        }
        ably_error err;
        ably_error_init(&err);
        if (ably_payload_decode(&a->data, &a->encoding, ch->cipher, &err) != 0) /* delivered anyway */
            ably_log_error_info(ch->rt->log, ABLY_LOG_ERROR, "annotations: decoding failed", &err);
        ably_error_clear(&err);
        /* listeners of every type (ANY) also get typed events; unknown types only reach those */
        int ev = a->type ? type_event(an, a->type, false) : -1;
        ably_emitter_emit(&an->em, ev >= 0 ? ev : -2, invoke_annotation_listener, a);
        if (ch->released || ch->state != ABLY_CHANNEL_ATTACHED)
            return;
    }
}
