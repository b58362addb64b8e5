/* A realtime channel's state machine (RTL2–RTL5, RTL12–RTL16), publishing (RTL6),
 * subscribing and message delivery (RTL7, RTL8, RTL17) and history (RTL10). Everything
 * except the functions marked "any thread" runs on the loop thread. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "realtime/channels_internal.h"
#include "rest/auth_internal.h"
#include "rest/channel_internal.h"
#include "rest/rest_internal.h"
#include "vcdiff/vcdiff_internal.h"

#define FLAG_HAS_PRESENCE (1 << 0) /* TR3a */
#define FLAG_HAS_BACKLOG (1 << 1)  /* TR3b */
#define FLAG_RESUMED (1 << 2)      /* TR3c */

static const char *const state_names[] = {"initialized", "attaching", "attached", "detaching",
                                          "detached",    "suspended", "failed"};

const char *ably_channel_state_name(ably_channel_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

const char *ably_channel_event_name(ably_channel_event e)
{
    return e == ABLY_CHANNEL_EVENT_UPDATE ? "update" : ably_channel_state_name((ably_channel_state)e);
}

void ably_ch_make_error(ably_error *e, int code, int status, const char *msg)
{
    ably_error_init(e);
    ably_error_set(e, code, status, "%s", msg);
}

static ably_connection_state conn_state(ably_realtime_channel *ch) { return ch->rt->state; }

static void set_str(char **dst, const char *src)
{
    if (*dst == src)
        return;
    free(*dst);
    *dst = src ? strdup(src) : NULL;
}

/* ---- creation ---- */

static int apply_cipher(ably_realtime_channel *ch, const ably_cipher_params *params, ably_error *err)
{
    ably_cipher *c = NULL;
    if (params && !(c = ably_cipher_new(params, err)))
        return -1;
    pthread_mutex_lock(&ch->chs->mu); /* ably_realtime_channel_get_options reads it */
    ably_cipher *old = ch->cipher;
    ch->cipher = c;
    pthread_mutex_unlock(&ch->chs->mu);
    ably_cipher_free(old);
    return 0;
}

static void copy_params(ably_string_map *dst, const ably_string_map *src)
{
    ably_string_map_clear(dst);
    for (size_t i = 0; src && i < src->count; i++)
        ably_string_map_set(dst, src->items[i].key, src->items[i].value);
}

ably_realtime_channel *ably_ch_new(ably_rt_channels *chs, const char *name, const ably_realtime_channel_options *o,
                                   ably_error *err)
{
    ably_realtime_channel *ch = calloc(1, sizeof *ch);
    if (!ch || !(ch->name = strdup(name))) {
        free(ch);
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return NULL;
    }
    ch->chs = chs;
    ch->rt = chs->rt;
    ably_error_init(&ch->error);
    ably_error_init(&ch->pub_error);
    ably_emitter_init(&ch->state_em);
    ably_emitter_init(&ch->msg_em);
    ch->attach_on_subscribe = !(o && o->no_attach_on_subscribe);
    if (o) {
        ch->req_modes = o->modes;
        copy_params(&ch->params, o->params);
    }
    ably_presence_init(&ch->presence, ch);
    if (o && apply_cipher(ch, o->cipher, err) != 0) {
        ably_ch_free(ch);
        return NULL;
    }
    return ch;
}

static void free_waiters(ably_ch_waiter *w)
{
    while (w) {
        ably_ch_waiter *n = w->next;
        if (w->drop)
            w->drop(w->ctx);
        free(w);
        w = n;
    }
}

void ably_ch_free(ably_realtime_channel *ch)
{
    if (!ch)
        return;
    ably_presence_free(&ch->presence);
    ably_annotations_free(ch->annotations);
    free_waiters(ch->attach_waiters);
    free_waiters(ch->detach_waiters);
    ably_cipher_free(ch->cipher);
    ably_payload__delta_clear(&ch->delta);
    free(ch->delta_last_id);
    free(ch->delta_serial);
    ably_string_map_clear(&ch->params);
    ably_string_map_clear(&ch->granted_params);
    ably_string_map_clear(&ch->pub_params);
    ably_error_clear(&ch->error);
    ably_error_clear(&ch->pub_error);
    free(ch->channel_serial);
    free(ch->attach_serial);
    free(ch->pub_channel_serial);
    free(ch->pub_attach_serial);
    ably_emitter_free(&ch->state_em);
    ably_emitter_free(&ch->msg_em);
    for (size_t i = 0; i < ch->names_count; i++)
        free(ch->names[i]);
    free(ch->names);
    free(ch->name);
    free(ch);
}

/* ---- the mirror ---- */

static void publish_mirror(ably_realtime_channel *ch)
{
    ably_error e;
    ably_error_init(&e);
    bool has = ch->has_error && ably_error_copy(&e, &ch->error, NULL) == 0;
    char *cs = ch->channel_serial ? strdup(ch->channel_serial) : NULL;
    char *as = ch->attach_serial ? strdup(ch->attach_serial) : NULL;
    ably_string_map params = {0};
    copy_params(&params, &ch->granted_params);
    pthread_mutex_lock(&ch->chs->mu);
    ably_error old_e = ch->pub_error;
    char *old_cs = ch->pub_channel_serial, *old_as = ch->pub_attach_serial;
    ably_string_map old_params = ch->pub_params;
    ch->pub_state = ch->state;
    ch->pub_error = e;
    ch->pub_has_error = has;
    ch->pub_modes = ch->modes;
    ch->pub_channel_serial = cs;
    ch->pub_attach_serial = as;
    ch->pub_params = params;
    pthread_mutex_unlock(&ch->chs->mu);
    ably_error_clear(&old_e);
    free(old_cs);
    free(old_as);
    ably_string_map_clear(&old_params);
}

/* Only the channelSerial (per MESSAGE frame on the hot path: one small strdup). */
static void set_channel_serial(ably_realtime_channel *ch, const char *serial)
{
    set_str(&ch->channel_serial, serial);
    char *copy = serial ? strdup(serial) : NULL;
    pthread_mutex_lock(&ch->chs->mu);
    char *old = ch->pub_channel_serial;
    ch->pub_channel_serial = copy;
    pthread_mutex_unlock(&ch->chs->mu);
    free(old);
}

static void set_error(ably_realtime_channel *ch, const ably_error *reason)
{
    ably_error_clear(&ch->error);
    ch->has_error = reason && ably_error_copy(&ch->error, reason, NULL) == 0;
}

/* ---- waiters ---- */

static void add_waiter(ably_ch_waiter **list, ably_channel_result_fn cb, void *ctx, void (*drop)(void *))
{
    if (!cb)
        return;
    ably_ch_waiter *w = malloc(sizeof *w);
    if (!w) {
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    w->cb = cb;
    w->ctx = ctx;
    w->drop = drop;
    w->next = NULL;
    while (*list)
        list = &(*list)->next;
    *list = w;
}

/* Calls and frees every waiter (err NULL: success); waiters added meanwhile stay. */
void ably_ch_fail_waiters(ably_ch_waiter **list, const ably_error *err)
{
    ably_ch_waiter *w = *list;
    *list = NULL;
    while (w) {
        ably_ch_waiter *n = w->next;
        w->cb(w->ctx, err);
        free(w);
        w = n;
    }
}

/* A reason for a failed operation: the change's, or a generic one. */
static void resolve_waiters(ably_realtime_channel *ch, ably_channel_state state, const ably_error *reason)
{
    ably_error fallback;
    ably_ch_make_error(&fallback, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400, "");
    ably_error_set(&fallback, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400, "channel became %s",
                   ably_channel_state_name(state));
    const ably_error *why = reason ? reason : &fallback;
    switch (state) {
    case ABLY_CHANNEL_ATTACHED:
        ably_ch_fail_waiters(&ch->attach_waiters, NULL);
        break;
    case ABLY_CHANNEL_DETACHED:
        ably_ch_fail_waiters(&ch->detach_waiters, NULL);
        if (!ch->attach_after_detach)
            ably_ch_fail_waiters(&ch->attach_waiters, why);
        break;
    case ABLY_CHANNEL_SUSPENDED:
    case ABLY_CHANNEL_FAILED:
        ably_ch_fail_waiters(&ch->attach_waiters, why);
        ably_ch_fail_waiters(&ch->detach_waiters, why);
        break;
    default:
        break;
    }
    ably_error_clear(&fallback);
}

/* ---- state changes (RTL2) ---- */

static void subscribe_mode_on_state(ably_realtime_channel *ch, const ably_channel_state_change *c);

static void invoke_state_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_channel_listener)fn)(ctx, arg);
}

static void emit(ably_realtime_channel *ch, ably_channel_state prev, ably_channel_event ev, const ably_error *reason,
                 bool resumed, bool backlog, bool has_presence)
{
    ably_channel_state_change c = {prev, ch->state, ev, reason, resumed, backlog};
    ably_presence_on_channel_state(&ch->presence, &c, has_presence);
    if (ev == ABLY_CHANNEL_EVENT_ATTACHED)
        ably_annotations_on_attached(ch);
    /* Called here, not as listeners on state_em: the application may remove every
     * listener there (RTC10). */
    subscribe_mode_on_state(ch, &c);
    ably_emitter_emit(&ch->state_em, (int)ev, invoke_state_listener, &c);
}

typedef struct {
    const ably_error *reason;
    bool resumed, backlog, has_presence;
} change_info;

static void set_state_ex(ably_realtime_channel *ch, ably_channel_state state, change_info info)
{
    ably_channel_state prev = ch->state;
    if (prev == state)
        return; /* RTL2g: never the same state twice */
    ch->state = state;
    if (info.reason)
        set_error(ch, info.reason);
    else if (state == ABLY_CHANNEL_ATTACHED)
        set_error(ch, NULL); /* RTL4c: a clean attach clears errorReason */
    if (state == ABLY_CHANNEL_DETACHED || state == ABLY_CHANNEL_FAILED)
        set_str(&ch->channel_serial, NULL); /* RTL15b2 */
    if (state != ABLY_CHANNEL_ATTACHING && state != ABLY_CHANNEL_DETACHING)
        ch->t_op = 0;
    if (state != ABLY_CHANNEL_SUSPENDED)
        ch->t_retry = 0;
    publish_mirror(ch);
    ably_log(ch->rt->log, ABLY_LOG_INFO, NULL, "channel %s: %s -> %s", ch->name, ably_channel_state_name(prev),
             ably_channel_state_name(state));
    emit(ch, prev, (ably_channel_event)state, info.reason, info.resumed, info.backlog, info.has_presence);
    resolve_waiters(ch, state, info.reason);
}

static void set_state(ably_realtime_channel *ch, ably_channel_state state, const ably_error *reason)
{
    set_state_ex(ch, state, (change_info){.reason = reason});
}

/* ---- attach (RTL4) ---- */

static void send_attach(ably_realtime_channel *ch)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH;
    pm.has_action = true;
    pm.channel_serial = ch->channel_serial; /* RTL4c1; borrowed */
    pm.params = ch->params;                  /* RTL4k; borrowed */
    if (ch->req_modes) {                     /* RTL4l */
        pm.flags = ch->req_modes;
        pm.has_flags = true;
    }
    ably_ch_send(ch, &pm);
    ch->t_op = ably_rt_now(ch->rt) + ably_ch_request_timeout(ch); /* RTL4f */
}

/* ATTACHING, and the ATTACH now when connected (RTL4c) or on CONNECTED (RTL4i, RTL3d). */
static void start_attach(ably_realtime_channel *ch, const ably_error *reason)
{
    ch->t_retry = 0;
    set_state(ch, ABLY_CHANNEL_ATTACHING, reason);
    if (ch->state != ABLY_CHANNEL_ATTACHING)
        return; /* a listener changed it */
    if (conn_state(ch) == ABLY_CONN_CONNECTED)
        send_attach(ch);
}

static bool conn_refuses_ops(ably_realtime_channel *ch)
{
    ably_connection_state s = conn_state(ch);
    return s == ABLY_CONN_CLOSED || s == ABLY_CONN_CLOSING || s == ABLY_CONN_SUSPENDED || s == ABLY_CONN_FAILED;
}

static void fail_with_connection(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    if (!cb)
        return;
    ably_error e;
    ably_error_init(&e);
    if (!ch->rt->has_error_reason || ably_error_copy(&e, &ch->rt->error_reason, NULL) != 0)
        ably_error_set(&e, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
                       "the connection is %s", ably_connection_state_name(conn_state(ch)));
    cb(ctx, &e);
    ably_error_clear(&e);
}

void ably_ch_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    ably_ch_attach_owned(ch, cb, ctx, NULL);
}

void ably_ch_attach_owned(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx, void (*drop)(void *))
{
    switch (ch->state) {
    case ABLY_CHANNEL_ATTACHED: /* RTL4a */
        if (cb)
            cb(ctx, NULL);
        return;
    case ABLY_CHANNEL_ATTACHING: /* RTL4h */
        ch->detach_after_attach = false;
        add_waiter(&ch->attach_waiters, cb, ctx, drop);
        return;
    case ABLY_CHANNEL_DETACHING: /* RTL4h */
        ch->attach_after_detach = true;
        add_waiter(&ch->attach_waiters, cb, ctx, drop);
        return;
    default:
        break;
    }
    if (conn_refuses_ops(ch)) { /* RTL4b */
        fail_with_connection(ch, cb, ctx);
        return;
    }
    if (ch->state == ABLY_CHANNEL_FAILED) /* RTL4g */
        set_error(ch, NULL);
    add_waiter(&ch->attach_waiters, cb, ctx, drop);
    start_attach(ch, NULL);
}

/* RTL13b, RTL4f: SUSPENDED, and a reattach after channelRetryTimeout while connected. */
static void go_suspended(ably_realtime_channel *ch, const ably_error *reason)
{
    set_state(ch, ABLY_CHANNEL_SUSPENDED, reason);
    if (ch->state == ABLY_CHANNEL_SUSPENDED && conn_state(ch) == ABLY_CONN_CONNECTED)
        ch->t_retry = ably_rt_now(ch->rt) + ably_ch_retry_delay(ch);
}

/* ---- detach (RTL5) ---- */

static void send_detach(ably_realtime_channel *ch)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_DETACH;
    pm.has_action = true;
    ably_ch_send(ch, &pm);
    ch->t_op = ably_rt_now(ch->rt) + ably_ch_request_timeout(ch); /* RTL5f */
}

static void start_detach(ably_realtime_channel *ch)
{
    ch->detach_after_attach = false;
    if (ch->state == ABLY_CHANNEL_SUSPENDED || conn_state(ch) != ABLY_CONN_CONNECTED) { /* RTL5j, RTL5l */
        set_state(ch, ABLY_CHANNEL_DETACHED, NULL);
        return;
    }
    ch->detach_from = ch->state;
    set_state(ch, ABLY_CHANNEL_DETACHING, NULL);
    if (ch->state == ABLY_CHANNEL_DETACHING)
        send_detach(ch);
}

void ably_ch_detach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    switch (ch->state) {
    case ABLY_CHANNEL_INITIALIZED:
    case ABLY_CHANNEL_DETACHED: /* RTL5a */
        if (cb)
            cb(ctx, NULL);
        return;
    case ABLY_CHANNEL_FAILED: { /* RTL5b */
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
                           "cannot detach a FAILED channel");
        if (cb)
            cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    case ABLY_CHANNEL_DETACHING: /* RTL5i */
        ch->attach_after_detach = false;
        add_waiter(&ch->detach_waiters, cb, ctx, NULL);
        return;
    case ABLY_CHANNEL_ATTACHING: /* RTL5i */
        ch->detach_after_attach = true;
        add_waiter(&ch->detach_waiters, cb, ctx, NULL);
        return;
    default:
        break;
    }
    add_waiter(&ch->detach_waiters, cb, ctx, NULL);
    start_detach(ch);
}

/* ---- release (RTS4a) ---- */

void ably_ch_release(ably_realtime_channel *ch)
{
    ch->released = true;
    if ((ch->state == ABLY_CHANNEL_ATTACHED || ch->state == ABLY_CHANNEL_ATTACHING) &&
        conn_state(ch) == ABLY_CONN_CONNECTED) {
        ably_protocol_message pm; /* fire and forget: the channel is gone from the client */
        ably_protocol_message_init(&pm);
        pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_DETACH;
        pm.has_action = true;
        ably_ch_send(ch, &pm);
    }
    ably_error e;
    ably_ch_make_error(&e, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400, "the channel was released");
    ably_ch_fail_waiters(&ch->attach_waiters, &e);
    ably_ch_fail_waiters(&ch->detach_waiters, &e);
    ably_error_clear(&e);
    ably_ch_free(ch);
}

/* ---- options (RTL16) ---- */

void ably_ch_set_options(ably_realtime_channel *ch, const ably_realtime_channel_options *o, ably_channel_result_fn cb,
                         void *ctx)
{
    ably_error err;
    ably_error_init(&err);
    if (apply_cipher(ch, o->cipher, &err) != 0) {
        if (cb)
            cb(ctx, &err);
        ably_error_clear(&err);
        return;
    }
    bool changed = o->modes != ch->req_modes || o->params || ch->params.count;
    if (changed && o->modes == ch->req_modes) { /* compare params exactly */
        const ably_string_map *np = o->params;
        changed = (np ? np->count : 0) != ch->params.count;
        for (size_t i = 0; !changed && np && i < np->count; i++) {
            const char *v = ably_string_map_get(&ch->params, np->items[i].key);
            changed = !v || !np->items[i].value || strcmp(v, np->items[i].value) != 0;
        }
    }
    pthread_mutex_lock(&ch->chs->mu); /* Channels#get compares them from other threads */
    ch->req_modes = o->modes;
    copy_params(&ch->params, o->params);
    ch->attach_on_subscribe = !o->no_attach_on_subscribe;
    pthread_mutex_unlock(&ch->chs->mu);
    if (changed && (ch->state == ABLY_CHANNEL_ATTACHED || ch->state == ABLY_CHANNEL_ATTACHING)) { /* RTL16a */
        add_waiter(&ch->attach_waiters, cb, ctx, NULL);
        if (ch->state == ABLY_CHANNEL_ATTACHED)
            start_attach(ch, NULL);
        else if (conn_state(ch) == ABLY_CONN_CONNECTED)
            send_attach(ch);
        return;
    }
    if (cb)
        cb(ctx, NULL);
}

/* ---- incoming frames ---- */

static void on_attached(ably_realtime_channel *ch, const ably_protocol_message *pm)
{
    int64_t flags = pm->has_flags ? pm->flags : 0;
    if (ch->state == ABLY_CHANNEL_DETACHING || ch->state == ABLY_CHANNEL_DETACHED) { /* RTL5k */
        if (ch->state == ABLY_CHANNEL_DETACHED) {
            ch->detach_from = ABLY_CHANNEL_ATTACHED;
            set_state(ch, ABLY_CHANNEL_DETACHING, NULL);
        }
        send_detach(ch);
        return;
    }
    if (ch->state != ABLY_CHANNEL_ATTACHED && ch->state != ABLY_CHANNEL_ATTACHING &&
        ch->state != ABLY_CHANNEL_SUSPENDED)
        return;
    if (!(flags & FLAG_RESUMED)) /* RTL15c: only an ATTACHED that did not resume */
        set_str(&ch->attach_serial, pm->channel_serial);
    ch->modes = (uint32_t)flags & ABLY_CHANNEL_MODES_ALL; /* RTL4m */
    copy_params(&ch->granted_params, &pm->params);      /* RTL4k1 */
    change_info info = {.reason = pm->error,
                        .resumed = (flags & FLAG_RESUMED) != 0,
                        .backlog = (flags & FLAG_HAS_BACKLOG) != 0,
                        .has_presence = (flags & FLAG_HAS_PRESENCE) != 0};
    if (ch->state == ABLY_CHANNEL_ATTACHED) { /* RTL12: UPDATE only when continuity was lost */
        publish_mirror(ch);
        if (!info.resumed) {
            if (pm->error)
                set_error(ch, pm->error);
            publish_mirror(ch);
            emit(ch, ABLY_CHANNEL_ATTACHED, ABLY_CHANNEL_EVENT_UPDATE, pm->error, false, info.backlog,
                 info.has_presence);
        }
        return;
    }
    ch->t_op = ch->t_retry = 0;
    ch->retry_count = 0;
    set_state_ex(ch, ABLY_CHANNEL_ATTACHED, info);
    if (ch->state == ABLY_CHANNEL_ATTACHED && ch->detach_after_attach) /* RTL5i */
        start_detach(ch);
}

static void on_detached(ably_realtime_channel *ch, const ably_protocol_message *pm)
{
    switch (ch->state) {
    case ABLY_CHANNEL_DETACHING:
        set_state(ch, ABLY_CHANNEL_DETACHED, pm->error);
        if (ch->state == ABLY_CHANNEL_DETACHED && ch->attach_after_detach) { /* RTL4h */
            ch->attach_after_detach = false;
            if (conn_refuses_ops(ch)) {
                ably_error e;
                ably_ch_make_error(&e, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
                                   "the connection cannot attach channels now");
                ably_ch_fail_waiters(&ch->attach_waiters, &e);
                ably_error_clear(&e);
            } else {
                start_attach(ch, NULL);
            }
        }
        return;
    case ABLY_CHANNEL_ATTACHED:
    case ABLY_CHANNEL_SUSPENDED: /* RTL13a */
        start_attach(ch, pm->error);
        return;
    case ABLY_CHANNEL_ATTACHING: /* RTL13b */
        go_suspended(ch, pm->error);
        return;
    default:
        return;
    }
}

static void on_error(ably_realtime_channel *ch, const ably_protocol_message *pm) /* RTL14 */
{
    ably_error fallback;
    ably_ch_make_error(&fallback, ABLY_ERR_CHANNEL_OPERATION_FAILED, 400, "channel error");
    ch->attach_after_detach = ch->detach_after_attach = false;
    set_state(ch, ABLY_CHANNEL_FAILED, pm->error ? pm->error : &fallback);
    ably_error_clear(&fallback);
}

static void invoke_message_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_message_listener)fn)(ctx, arg);
}

/* The subscription event for a message name: its index in the name table, or -2 (no
 * named listener; only "all" listeners receive it). */
static int name_event(ably_realtime_channel *ch, const char *name)
{
    int ev = -2;
    if (!name)
        return ev;
    pthread_mutex_lock(&ch->chs->mu);
    for (size_t i = 0; i < ch->names_count; i++)
        if (strcmp(ch->names[i], name) == 0) {
            ev = (int)i;
            break;
        }
    pthread_mutex_unlock(&ch->chs->mu);
    return ev;
}

/* TM2a, TM2c, TM2f: fields a message inherits from its ProtocolMessage. */
static void inherit_fields(ably_message *m, const ably_protocol_message *pm, size_t index)
{
    if (!m->id && pm->id && asprintf(&m->id, "%s:%zu", pm->id, index) < 0)
        m->id = NULL;
    if (!m->connection_id && pm->connection_id)
        m->connection_id = strdup(pm->connection_id);
    if (!m->has_timestamp && pm->has_timestamp) {
        m->timestamp = pm->timestamp;
        m->has_timestamp = true;
    }
}

/* ---- deltas (RTL18-RTL21) ---- */

typedef enum { DECODED, DELTA_FAILED, NO_PLUGIN } decode_outcome;

/* Picks up the vcdiff plugin (PC3) and whether to keep a base for every
 * message: when there is a plugin or the channel asked for deltas. Only then
 * does a channel pay for copying payloads (RTL19). */
static void delta_setup(ably_realtime_channel *ch)
{
    ch->delta.decoder = ably_rest_options(ch->rt->rest)->vcdiff_decoder;
    ch->delta.track = ch->delta.decoder || ably_string_map_get(&ch->params, "delta");
}

/* RTL19, RTL20: decodes one message, applying a vcdiff step to the base. Other
 * step failures only get logged: the message is still delivered (RSL6b). */
static decode_outcome decode_message(ably_realtime_channel *ch, ably_message *m, ably_error *err)
{
    if (ably_vcdiff__is_delta(m->encoding)) {
        if (!ch->delta.decoder) {
            ably_error_set(err, ABLY_ERR_MISSING_PLUGIN, 400,
                           "a vcdiff delta arrived but no vcdiff decoder plugin is configured (PC3)");
            return NO_PLUGIN;
        }
        if (!ably_vcdiff__delta_from_is(m->extras, ch->delta_last_id)) { /* RTL20 */
            ably_error_set(err, ABLY_ERR_DELTA_DECODING_FAILED, 400,
                           "delta message %s does not follow the last message received (%s)",
                           m->id ? m->id : "(no id)", ch->delta_last_id ? ch->delta_last_id : "none");
            return DELTA_FAILED;
        }
    }
    if (ably_payload__decode_delta(&m->data, &m->encoding, ch->cipher, &ch->delta, err) != 0) {
        if (err->code == ABLY_ERR_MISSING_PLUGIN)
            return NO_PLUGIN;
        if (err->code == ABLY_ERR_DELTA_DECODING_FAILED)
            return DELTA_FAILED;
        ably_log_error_info(ch->rt->log, ABLY_LOG_ERROR, "channel: message decoding failed", err);
        ably_error_clear(err);
    }
    if (ch->delta.track)
        set_str(&ch->delta_last_id, m->id); /* RTL20 */
    return DECODED;
}

/* RTL18: log 40018 (a), drop the frame (b) and reattach from the channelSerial
 * of the last message decoded (c). A second failure while ATTACHING never gets
 * here (RTL17), so there is one recovery at a time. */
static void recover_from_delta_failure(ably_realtime_channel *ch, const ably_error *why)
{
    ably_error e;
    ably_error_init(&e);
    ably_error_set(&e, ABLY_ERR_DELTA_DECODING_FAILED, 400, "delta decoding failed, reattaching: %s",
                   why->message ? why->message : "unknown");
    ably_log_error_info(ch->rt->log, ABLY_LOG_ERROR, "channel: delta decoding failed", &e); /* RTL18a */
    if (ch->delta_serial)
        set_channel_serial(ch, ch->delta_serial);
    start_attach(ch, &e);
    ably_error_clear(&e);
}

/* Decodes every message of the frame in order (RTL21), in place, then hands
 * subscribers a const pointer into it (RTL7d, RTL17). A delta that cannot be
 * applied discards the whole frame (RTL18b). */
static void on_messages(ably_realtime_channel *ch, ably_protocol_message *pm)
{
    if (ch->state != ABLY_CHANNEL_ATTACHED)
        return; /* RTL17 */
    delta_setup(ch);
    for (size_t i = 0; i < pm->messages_count; i++) {
        ably_message *m = &pm->messages[i];
        inherit_fields(m, pm, i);
        ably_error err;
        ably_error_init(&err);
        decode_outcome out = decode_message(ch, m, &err);
        if (out == DELTA_FAILED) {
            recover_from_delta_failure(ch, &err);
        } else if (out == NO_PLUGIN) { /* PC3: no point reattaching */
            ch->attach_after_detach = ch->detach_after_attach = false;
            set_state(ch, ABLY_CHANNEL_FAILED, &err);
        }
        ably_error_clear(&err);
        if (out != DECODED)
            return;
    }
    if (ch->delta.track && pm->channel_serial)
        set_str(&ch->delta_serial, pm->channel_serial); /* RTL18c */
    for (size_t i = 0; i < pm->messages_count; i++) {
        ably_message *m = &pm->messages[i];
        ably_emitter_emit(&ch->msg_em, name_event(ch, m->name), invoke_message_listener, m);
        if (ch->released || ch->state != ABLY_CHANNEL_ATTACHED)
            return;
    }
}

void ably_ch_on_frame(ably_realtime_channel *ch, ably_protocol_message *pm)
{
    switch (pm->action) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_ATTACHED:
    case ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE:
    case ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE:
    case ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION:
    case ABLY_PROTOCOL_MESSAGE_ACTION_OBJECT:
        if (pm->channel_serial) /* RTL15b */
            set_channel_serial(ch, pm->channel_serial);
        break;
    default:
        break;
    }
    switch (pm->action) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_ATTACHED:
        on_attached(ch, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_DETACHED:
        on_detached(ch, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ERROR:
        on_error(ch, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE:
        on_messages(ch, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE:
    case ABLY_PROTOCOL_MESSAGE_ACTION_SYNC:
        ably_presence_on_frame(&ch->presence, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION:
        ably_annotations_on_frame(ch, pm);
        break;
    default:
        break;
    }
}

/* ---- connection state effects (RTL3, RTL13c) ---- */

void ably_ch_on_connection(ably_realtime_channel *ch, const ably_connection_state_change *c)
{
    if (c->current != ABLY_CONN_CONNECTED)
        ch->t_retry = 0; /* RTL13c */
    ably_channel_state s = ch->state;
    bool active = s == ABLY_CHANNEL_ATTACHING || s == ABLY_CHANNEL_ATTACHED;
    switch (c->event) {
    case ABLY_CONN_EVENT_CONNECTED: /* RTL3d */
        if (s == ABLY_CHANNEL_ATTACHING)
            send_attach(ch);
        else if (s == ABLY_CHANNEL_ATTACHED || s == ABLY_CHANNEL_SUSPENDED)
            start_attach(ch, NULL);
        else if (s == ABLY_CHANNEL_DETACHING)
            send_detach(ch);
        break;
    case ABLY_CONN_EVENT_DISCONNECTED: /* RTL3e: no state change; the ATTACH is resent on CONNECTED */
        if (s == ABLY_CHANNEL_ATTACHING)
            ch->t_op = 0;
        break;
    case ABLY_CONN_EVENT_SUSPENDED: /* RTL3c */
        if (active)
            set_state(ch, ABLY_CHANNEL_SUSPENDED, c->reason);
        else if (s == ABLY_CHANNEL_DETACHING)
            set_state(ch, ABLY_CHANNEL_DETACHED, NULL);
        break;
    case ABLY_CONN_EVENT_CLOSED: /* RTL3b */
        if (active || s == ABLY_CHANNEL_DETACHING)
            set_state(ch, ABLY_CHANNEL_DETACHED, NULL);
        break;
    case ABLY_CONN_EVENT_FAILED: /* RTL3a */
        if (active)
            set_state(ch, ABLY_CHANNEL_FAILED, c->reason);
        else if (s == ABLY_CHANNEL_DETACHING)
            set_state(ch, ABLY_CHANNEL_DETACHED, NULL);
        break;
    default:
        break;
    }
}

/* ---- timers ---- */

static int64_t min_nz(int64_t a, int64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

int64_t ably_ch_next_deadline(ably_realtime_channel *ch) { return min_nz(ch->t_op, ch->t_retry); }

void ably_ch_fire_timers(ably_realtime_channel *ch, int64_t now)
{
    if (ch->t_op && ch->t_op <= now) {
        ch->t_op = 0;
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_CHANNEL_OPERATION_TIMED_OUT, 408, "");
        if (ch->state == ABLY_CHANNEL_ATTACHING) { /* RTL4f */
            ably_error_set(&e, ABLY_ERR_CHANNEL_OPERATION_TIMED_OUT, 408, "attach timed out (RTL4f)");
            ch->detach_after_attach = false;
            go_suspended(ch, &e);
        } else if (ch->state == ABLY_CHANNEL_DETACHING) { /* RTL5f */
            ably_error_set(&e, ABLY_ERR_CHANNEL_OPERATION_TIMED_OUT, 408, "detach timed out (RTL5f)");
            ably_ch_waiter *waiting = ch->detach_waiters;
            ch->detach_waiters = NULL;
            ch->attach_after_detach = false;
            set_state(ch, ch->detach_from, &e);
            ably_ch_fail_waiters(&waiting, &e);
        }
        ably_error_clear(&e);
    }
    if (ch->t_retry && ch->t_retry <= now) { /* RTL13b */
        ch->t_retry = 0;
        if (ch->state == ABLY_CHANNEL_SUSPENDED && conn_state(ch) == ABLY_CONN_CONNECTED)
            start_attach(ch, NULL);
    }
}

/* ---- publish (RTL6) ---- */

struct ably_rt_publish_req {
    ably_rt_channels *chs;
    ably_publish_fn cb;
    ably_channel_result_fn rcb; /* presence operations: no publish result */
    void *ctx;
    void (*free_ctx)(void *ctx); /* frees an owned ctx never answered (client destroyed) */
    struct ably_rt_publish_req *prev, *next;
};

void ably_rt_publish_reqs_free(ably_rt_channels *chs)
{
    for (struct ably_rt_publish_req *r = chs->publishes, *n; r; r = n) {
        n = r->next;
        if (r->free_ctx)
            r->free_ctx(r->ctx);
        free(r);
    }
    chs->publishes = NULL;
}

static void on_publish_ack(void *ctx, const ably_error *err, const ably_protocol_message *ack, size_t index)
{
    struct ably_rt_publish_req *r = ctx;
    if (r->prev)
        r->prev->next = r->next;
    else
        r->chs->publishes = r->next;
    if (r->next)
        r->next->prev = r->prev;
    const ably_publish_result *res = !err && ack && index < ack->res_count ? &ack->res[index] : NULL;
    if (r->cb)
        r->cb(r->ctx, err, res);
    else if (r->rcb)
        r->rcb(r->ctx, err);
    free(r);
}

/* Sends pm (taken over) with ACK tracking; exactly one of cb / rcb (or neither) is
 * called with the outcome. */
static void send_tracked(ably_realtime_channel *ch, ably_protocol_message *pm, ably_publish_fn cb,
                         ably_channel_result_fn rcb, void *ctx, void (*free_ctx)(void *ctx))
{
    struct ably_rt_publish_req *r = calloc(1, sizeof *r);
    if (!pm->channel)
        pm->channel = strdup(ch->name);
    if (!r || !pm->channel) {
        free(r);
        ably_protocol_message_clear(pm);
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, &e, NULL);
        else if (rcb)
            rcb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    r->chs = ch->chs;
    r->cb = cb;
    r->rcb = rcb;
    r->ctx = ctx;
    r->free_ctx = free_ctx;
    r->next = ch->chs->publishes;
    if (r->next)
        r->next->prev = r;
    ch->chs->publishes = r;
    ably_rt_send_with_ack(ch->rt, pm, on_publish_ack, r);
}

void ably_ch_send_tracked(ably_realtime_channel *ch, ably_protocol_message *pm, ably_publish_fn cb,
                          ably_channel_result_fn rcb, void *ctx)
{
    send_tracked(ch, pm, cb, rcb, ctx, NULL);
}

void ably_ch_send_tracked_owned(ably_realtime_channel *ch, ably_protocol_message *pm, ably_publish_fn cb, void *ctx,
                                void (*free_ctx)(void *ctx))
{
    send_tracked(ch, pm, cb, NULL, ctx, free_ctx);
}

typedef struct {
    ably_realtime_channel *ch;
    ably_message *msgs; /* owned */
    size_t count;
    ably_publish_fn cb;
    void *ctx;
    ably_string_map params; /* owned: ProtocolMessage.params (RTL6k) */
} publish_cmd;

static void free_messages(ably_message *msgs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        ably_message_clear(&msgs[i]);
    free(msgs);
}

static void publish_cmd_free(void *arg)
{
    publish_cmd *c = arg;
    free_messages(c->msgs, c->count);
    ably_string_map_clear(&c->params);
    free(c);
}

static void fail_publish(publish_cmd *c, int code, int status, const char *msg)
{
    ably_error e;
    ably_ch_make_error(&e, code, status, msg);
    if (c->cb)
        c->cb(c->ctx, &e, NULL);
    ably_error_clear(&e);
}

/* RTL6g3: an identified client (not a wildcard one) may only publish messages with
 * no clientId or its own. Until the clientId is known (RTL6g4, e.g. before a token
 * arrived) nothing is rejected here: the server has the last word. */
static bool has_foreign_client_id(ably_realtime *rt, const publish_cmd *c)
{
    const char *own = ably_auth_client_id(ably_rest_auth_state(rt->rest));
    if (!own || strcmp(own, "*") == 0)
        return false;
    for (size_t i = 0; i < c->count; i++)
        if (c->msgs[i].client_id && strcmp(c->msgs[i].client_id, own) != 0)
            return true;
    return false;
}

static void run_publish(ably_realtime *rt, void *arg)
{
    publish_cmd *c = arg;
    ably_realtime_channel *ch = c->ch;
    if (ch->state == ABLY_CHANNEL_SUSPENDED || ch->state == ABLY_CHANNEL_FAILED) { /* RTL6c4 */
        fail_publish(c, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
                     "cannot publish on a SUSPENDED or FAILED channel");
        publish_cmd_free(c);
        return;
    }
    if (has_foreign_client_id(rt, c)) {
        fail_publish(c, ABLY_ERR_INVALID_CLIENT_ID, 400,
                     "a message's clientId differs from this client's clientId (RTL6g3)");
        publish_cmd_free(c);
        return;
    }
    size_t size = 0;
    for (size_t i = 0; i < c->count; i++)
        size += ably_message_size(&c->msgs[i]);
    if ((int64_t)size > rt->max_message_size) { /* TO3l8 */
        fail_publish(c, ABLY_ERR_MAX_MESSAGE_SIZE_EXCEEDED, 400, "the messages exceed maxMessageSize");
        publish_cmd_free(c);
        return;
    }
    ably_format fmt = rt->frame_binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    for (size_t i = 0; i < c->count; i++) {
        ably_error err;
        ably_error_init(&err);
        if (ably_payload_encode(&c->msgs[i].data, &c->msgs[i].encoding, ch->cipher, fmt, &err) != 0) {
            if (c->cb)
                c->cb(c->ctx, &err, NULL);
            ably_error_clear(&err);
            publish_cmd_free(c);
            return;
        }
    }
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE;
    pm.has_action = true;
    pm.messages = c->msgs; /* handed over: no copy */
    pm.messages_count = c->count;
    pm.params = c->params; /* handed over too (TR4q) */
    ably_publish_fn cb = c->cb;
    void *ctx = c->ctx;
    free(c);
    ably_ch_send_tracked(ch, &pm, cb, NULL, ctx);
}

static int copy_string_map(ably_string_map *dst, const ably_string_map *src)
{
    for (size_t i = 0; src && i < src->count; i++)
        if (ably_string_map_set(dst, src->items[i].key, src->items[i].value) != 0)
            return -1;
    return 0;
}

void ably_realtime_channel_publish_messages_params(ably_realtime_channel *ch, const ably_message *messages,
                                                   size_t count, const ably_string_map *params, ably_publish_fn cb,
                                                   void *ctx)
{
    publish_cmd *c = calloc(1, sizeof *c);
    ably_message *copy = count ? calloc(count, sizeof *copy) : NULL;
    ably_string_map params_copy = {0};
    bool ok = c && (copy || !count) && copy_string_map(&params_copy, params) == 0;
    for (size_t i = 0; ok && i < count; i++) {
        ok = ably_message_copy(&copy[i], &messages[i], NULL) == 0;
        if (!ok)
            ably_message_init(&copy[i]);
    }
    if (!ok) {
        free_messages(copy, count);
        ably_string_map_clear(&params_copy);
        free(c);
        if (cb) {
            ably_error e;
            ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
            cb(ctx, &e, NULL);
            ably_error_clear(&e);
        }
        return;
    }
    *c = (publish_cmd){ch, copy, count, cb, ctx, params_copy};
    ably_rt_post(ch->rt, run_publish, publish_cmd_free, c);
}

void ably_realtime_channel_publish_messages(ably_realtime_channel *ch, const ably_message *messages, size_t count,
                                            ably_publish_fn cb, void *ctx)
{
    ably_realtime_channel_publish_messages_params(ch, messages, count, NULL, cb, ctx);
}

void ably_realtime_channel_publish(ably_realtime_channel *ch, const char *name, const ably_data *data,
                                   ably_publish_fn cb, void *ctx)
{
    ably_message m;
    ably_message_init(&m);
    m.name = (char *)(uintptr_t)name; /* borrowed: copied below, never freed here */
    if (data)
        m.data = *data;
    ably_realtime_channel_publish_messages(ch, &m, 1, cb, ctx);
}

/* ---- subscribe (RTL7, RTL8) ---- */

/* The event number for subscriptions to `name`, adding it to the table (any thread). */
static int intern_name(ably_realtime_channel *ch, const char *name)
{
    int ev = -1;
    pthread_mutex_lock(&ch->chs->mu);
    for (size_t i = 0; i < ch->names_count; i++)
        if (strcmp(ch->names[i], name) == 0) {
            ev = (int)i;
            break;
        }
    if (ev < 0) {
        if (ch->names_count == ch->names_cap) {
            size_t cap = ch->names_cap ? ch->names_cap * 2 : 4;
            char **grown = realloc(ch->names, cap * sizeof *grown);
            if (grown) {
                ch->names = grown;
                ch->names_cap = cap;
            }
        }
        char *copy = ch->names_count < ch->names_cap ? strdup(name) : NULL;
        if (copy) {
            ch->names[ch->names_count] = copy;
            ev = (int)ch->names_count++;
        }
    }
    pthread_mutex_unlock(&ch->chs->mu);
    return ev; /* -1 (out of memory) would mean "all"; the caller checks */
}

typedef struct {
    ably_realtime_channel *ch;
    ably_channel_result_fn cb;
    void *ctx;
    void (*drop)(void *ctx); /* frees a library-made ctx never handed to cb, or NULL */
} implicit_attach_cmd;

static void run_implicit_attach(ably_realtime *rt, void *arg)
{
    (void)rt;
    implicit_attach_cmd *c = arg;
    ably_realtime_channel *ch = c->ch;
    ably_channel_state s = ch->state;
    if (ch->attach_on_subscribe &&
        (s == ABLY_CHANNEL_INITIALIZED || s == ABLY_CHANNEL_DETACHING || s == ABLY_CHANNEL_DETACHED))
        ably_ch_attach_owned(ch, c->cb, c->ctx, c->drop); /* RTL7g */
    else if (c->cb)
        c->cb(c->ctx, NULL);
    free(c);
}

/* The client went away before the command ran. */
static void drop_implicit_attach(void *arg)
{
    implicit_attach_cmd *c = arg;
    if (c->drop)
        c->drop(c->ctx);
    free(c);
}

static void post_implicit_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx,
                                 void (*drop)(void *))
{
    implicit_attach_cmd *c = malloc(sizeof *c);
    if (!c) {
        if (drop)
            drop(ctx);
        return;
    }
    *c = (implicit_attach_cmd){ch, cb, ctx, drop};
    ably_rt_post(ch->rt, run_implicit_attach, drop_implicit_attach, c);
}

void ably_ch_post_implicit_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    post_implicit_attach(ch, cb, ctx, NULL);
}

/* ---- RTL7i: the SUBSCRIBE mode check, with strictMode (TO3r) ---- */

#define SUBSCRIBE_MODE_MISSING                                                                           \
    "the channel is attached without the subscribe mode, so the server will not deliver messages to "    \
    "its listeners (request the mode in the channel options)"

static bool has_message_listeners(ably_realtime_channel *ch)
{
    pthread_mutex_lock(&ch->msg_em.mu);
    bool any = false;
    for (size_t i = 0; i < ch->msg_em.count && !any; i++)
        any = !ch->msg_em.items[i].removed;
    pthread_mutex_unlock(&ch->msg_em.mu);
    return any;
}

/* [loop] The mode set checked is the one the server granted (RTL4m). Only while
 * ATTACHED (RTL7i3), and once per attachment (RTL7i2). */
static void check_subscribe_mode(ably_realtime_channel *ch)
{
    if (ch->state != ABLY_CHANNEL_ATTACHED || (ch->modes & ABLY_CHANNEL_MODE_SUBSCRIBE) ||
        ch->subscribe_mode_warned || !has_message_listeners(ch))
        return;
    ch->subscribe_mode_warned = true;
    bool strict = ably_rest_options(ch->rt->rest)->strict_mode; /* then the subscribe failed too (RTL7i1) */
    ably_log(ch->rt->log, ABLY_LOG_ERROR, NULL, "channel %s: %s (90009)%s", ch->name, SUBSCRIBE_MODE_MISSING,
             strict ? "" : "; with strictMode set, subscribe fails with this error (TO3r2)");
}

/* RTL7i1: the result of a subscribe under strictMode, given the implicit attach's. */
typedef struct {
    ably_realtime_channel *ch;
    ably_channel_result_fn cb;
    void *ctx;
} strict_subscribe;

static void finish_strict_subscribe(void *arg, const ably_error *err)
{
    strict_subscribe *s = arg;
    ably_realtime_channel *ch = s->ch;
    if (!err && ch->state == ABLY_CHANNEL_ATTACHED && !(ch->modes & ABLY_CHANNEL_MODE_SUBSCRIBE)) {
        ably_error e;
        ably_error_init(&e);
        ably_ch_make_error(&e, ABLY_ERR_SUBSCRIBE_MODE_NOT_ENABLED, 400, SUBSCRIBE_MODE_MISSING);
        s->cb(s->ctx, &e);
        ably_error_clear(&e);
    } else {
        s->cb(s->ctx, err);
    }
    free(s);
}

/* The implicit attach of a subscribe (RTL7g); under strictMode its callback also
 * reports a missing SUBSCRIBE mode (RTL7i1; the listener stays registered). */
static void post_subscribe_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    strict_subscribe *s = NULL;
    if (cb && ably_rest_options(ch->rt->rest)->strict_mode && (s = malloc(sizeof *s)) != NULL) {
        *s = (strict_subscribe){ch, cb, ctx};
        post_implicit_attach(ch, finish_strict_subscribe, s, free);
        return;
    }
    ably_ch_post_implicit_attach(ch, cb, ctx);
}

/* Completion of an implicit attach is the channel reaching ATTACHED; leaving
 * ATTACHED ends the attachment, so the next one may warn again. */
static void subscribe_mode_on_state(ably_realtime_channel *ch, const ably_channel_state_change *c)
{
    if (c->current != ABLY_CHANNEL_ATTACHED)
        ch->subscribe_mode_warned = false;
    else if (c->event == ABLY_CHANNEL_EVENT_ATTACHED)
        check_subscribe_mode(ch);
}

static void run_mode_check(ably_realtime *rt, void *arg)
{
    (void)rt;
    check_subscribe_mode(arg); /* already ATTACHED: at once */
}

/* After a listener was added: checks on the loop, behind the implicit attach posted
 * before it (later attachments are checked from emit). */
static void post_mode_check(ably_realtime_channel *ch)
{
    ably_rt_post(ch->rt, run_mode_check, NULL, ch);
}

uint64_t ably_realtime_channel_subscribe(ably_realtime_channel *ch, const char *name, ably_message_listener fn,
                                         void *ctx, ably_channel_result_fn attach_cb, void *attach_ctx)
{
    int ev = ABLY_EMITTER_ANY;
    if (name && (ev = intern_name(ch, name)) < 0)
        return 0;
    uint64_t id = ably_emitter_add(&ch->msg_em, ev, (ably_generic_fn)fn, ctx, false);
    if (id) { /* RTL7g: the listener is registered whatever the attach does */
        post_subscribe_attach(ch, attach_cb, attach_ctx);
        post_mode_check(ch);
    }
    return id;
}

/* ---- filtered subscriptions (RTL22, MFI) ---- */

typedef struct {
    ably_message_filter filter; /* owned copy */
    ably_message_listener fn;
    void *ctx;
} filtered_listener;

static void filtered_listener_free(void *arg)
{
    filtered_listener *f = arg;
    ably_message_filter_clear(&f->filter);
    free(f);
}

static bool same_or_unset(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

/* MFI2a-c: the extras.ref conditions; extras is only parsed when a filter asks. */
static bool ref_matches(const ably_message_filter *f, const char *extras)
{
    if (!f->has_is_ref && !f->ref_timeserial && !f->ref_type)
        return true;
    cJSON *root = extras ? cJSON_Parse(extras) : NULL;
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(root, "ref");
    bool has_ref = cJSON_IsObject(ref);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ref, "timeserial");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ref, "type");
    bool ok = (!f->has_is_ref || f->is_ref == has_ref) &&
              same_or_unset(f->ref_timeserial, cJSON_IsString(ts) ? ts->valuestring : NULL) &&
              same_or_unset(f->ref_type, cJSON_IsString(type) ? type->valuestring : NULL);
    cJSON_Delete(root);
    return ok;
}

/* RTL22c: every criterion given must hold. */
static bool filter_matches(const ably_message_filter *f, const ably_message *m)
{
    return same_or_unset(f->name, m->name) && same_or_unset(f->client_id, m->client_id) &&
           ref_matches(f, m->extras);
}

/* Registered as an "all messages" listener; ctx is its filtered_listener. */
static void deliver_if_matching(void *ctx, const ably_message *m)
{
    filtered_listener *f = ctx;
    if (filter_matches(&f->filter, m))
        f->fn(f->ctx, m);
}

uint64_t ably_realtime_channel_subscribe_filter(ably_realtime_channel *ch, const ably_message_filter *filter,
                                                ably_message_listener fn, void *ctx, ably_channel_result_fn attach_cb,
                                                void *attach_ctx)
{
    if (!fn)
        return 0;
    filtered_listener *f = calloc(1, sizeof *f);
    if (!f)
        return 0;
    ably_error err;
    ably_error_init(&err);
    if (filter && ably_message_filter_copy(&f->filter, filter, &err) != 0) {
        ably_error_clear(&err);
        filtered_listener_free(f);
        return 0;
    }
    f->fn = fn;
    f->ctx = ctx;
    uint64_t id = ably_emitter_add_owned(&ch->msg_em, ABLY_EMITTER_ANY, (ably_generic_fn)deliver_if_matching, f,
                                         filtered_listener_free);
    if (id) { /* RTL7g and RTL7i apply to filtered subscriptions too */
        post_subscribe_attach(ch, attach_cb, attach_ctx);
        post_mode_check(ch);
    }
    return id;
}

void ably_realtime_channel_unsubscribe(ably_realtime_channel *ch, uint64_t id)
{
    ably_emitter_remove(&ch->msg_em, id);
}

void ably_realtime_channel_unsubscribe_name(ably_realtime_channel *ch, const char *name)
{
    int ev = name ? name_event(ch, name) : -2;
    if (ev >= 0)
        ably_emitter_remove_event(&ch->msg_em, ev);
}

void ably_realtime_channel_unsubscribe_all(ably_realtime_channel *ch)
{
    ably_emitter_remove_event(&ch->msg_em, ABLY_EMITTER_ANY);
}

/* ---- history (RTL10), through the REST half ---- */

int ably_realtime_channel_history(ably_realtime_channel *ch, const ably_history_params *params, bool until_attach,
                                  ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_channel *rch;
    if (ably_rest_channels_get(ch->rt->rest, ch->name, NULL, &rch, err) != 0)
        return -1;
    if (!until_attach)
        return ably_rest_channel_history(rch, params, out, err);
    char *serial = NULL;
    pthread_mutex_lock(&ch->chs->mu);
    if (ch->pub_state == ABLY_CHANNEL_ATTACHED && ch->pub_attach_serial)
        serial = strdup(ch->pub_attach_serial);
    pthread_mutex_unlock(&ch->chs->mu);
    if (!serial) { /* RTL10b */
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "untilAttach needs an ATTACHED channel");
        return -1;
    }
    ably_string_map query = {0};
    ably_buf path;
    ably_buf_init(&path);
    int rc = ably_history_query(params, &query, err);
    if (rc == 0 && (ably_string_map_set(&query, "fromSerial", serial) != 0 ||
                    ably_channel_path(rch, NULL, "/messages", &path) != 0))
        rc = ably_oom(err);
    if (rc == 0) {
        ably_rest_call call = {.method = "GET", .path = path.data, .query = &query, .authenticated = true};
        ably_paginated_kind kind = {.type = &ably_message_desc, .hook = ably_decode_message_items, .hook_ctx = rch};
        rc = ably_paginated_fetch(ch->rt->rest, &kind, &call, out, err);
    }
    ably_buf_free(&path);
    ably_string_map_clear(&query);
    free(serial);
    return rc;
}
