/* Realtime presence (RTP): the presence maps fed (RTP2; the map is presence_map.c), SYNC
 * (RTP18, RTP19), local members and re-entry (RTP17), enter / update / leave with ACKs
 * and channel-level queueing (RTP8–RTP10, RTP14–RTP16), get (RTP11), subscribe (RTP6)
 * and history (RTP12). Loop thread, except the public wrappers that post commands. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "realtime/channels_internal.h"
#include "rest/rest_internal.h"

#define FLAG_HAS_PRESENCE (1 << 0)

typedef struct ably_presence_get_req {
    char *client_id, *connection_id;
    ably_presence_get_fn cb;
    void *ctx;
    bool sync; /* waits for the SYNC (RTP11c1), not only for the attach (RTP11e) */
    struct ably_presence_get_req *next;
} get_req;

typedef struct ably_presence_pending {
    ably_presence_message msg; /* owned, not yet encoded */
    ably_channel_result_fn cb;
    void *ctx;
    struct ably_presence_pending *next;
} pending;

static bool same_str(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

/* ---- init / free ---- */

void ably_presence_init(ably_realtime_presence *p, ably_realtime_channel *ch)
{
    memset(p, 0, sizeof *p);
    p->ch = ch;
    ably_presence_map_init(&p->local, true); /* RTP17h */
    ably_emitter_init(&p->em);
}

static void free_pending(pending *q)
{
    while (q) {
        pending *n = q->next;
        ably_presence_message_clear(&q->msg);
        free(q);
        q = n;
    }
}

static void free_gets(get_req *g)
{
    while (g) {
        get_req *n = g->next;
        free(g->client_id);
        free(g->connection_id);
        free(g);
        g = n;
    }
}

void ably_presence_free(ably_realtime_presence *p)
{
    ably_presence_map_free(&p->members);
    ably_presence_map_free(&p->local);
    free(p->sync_seq);
    p->sync_seq = NULL;
    free_pending(p->queued);
    free_gets(p->gets);
    p->queued = NULL;
    p->gets = NULL;
    ably_emitter_free(&p->em);
}

static void set_sync_complete(ably_realtime_presence *p, bool done)
{
    p->sync_complete = done;
    pthread_mutex_lock(&p->ch->chs->mu);
    p->pub_sync_complete = done;
    pthread_mutex_unlock(&p->ch->chs->mu);
}

/* ---- events ---- */

static void invoke_presence_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_presence_listener)fn)(ctx, arg);
}

static void emit(ably_realtime_presence *p, const ably_presence_message *msg)
{
    ably_emitter_emit(&p->em, (int)msg->action, invoke_presence_listener, msg);
}

/* ---- get (RTP11) ---- */

static bool matches(const ably_presence_message *m, const char *client_id, const char *connection_id)
{
    return m->action == ABLY_PRESENCE_ACTION_PRESENT && (!client_id || same_str(m->client_id, client_id)) &&
           (!connection_id || same_str(m->connection_id, connection_id));
}

/* RTP11f: an attached channel without the PRESENCE_SUBSCRIBE mode never receives the
 * members, so get's answer cannot be right. A server that reported no modes at all is
 * not second-guessed. Logs the failure (TO3r2) and says whether get must fail
 * (strictMode, RTP11f1) rather than answer anyway (RTP11f2). */
#define PRESENCE_SUBSCRIBE_MISSING                                                                        \
    "the channel is attached without the presence_subscribe mode, so its members have not been "        \
    "delivered to this client"

static bool get_must_fail_for_mode(ably_realtime_presence *p)
{
    ably_realtime_channel *ch = p->ch;
    if (ch->state != ABLY_CHANNEL_ATTACHED || !ch->modes || (ch->modes & ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE))
        return false;
    bool strict = ably_rest_options(ch->rt->rest)->strict_mode;
    ably_log(ch->rt->log, ABLY_LOG_ERROR, NULL, "presence get on channel %s: %s (91008)%s", ch->name,
             PRESENCE_SUBSCRIBE_MISSING, strict ? "" : "; with strictMode set, get fails with this error (TO3r2)");
    return strict;
}

static void answer_get(ably_realtime_presence *p, const char *client_id, const char *connection_id,
                       ably_presence_get_fn cb, void *ctx)
{
    if (get_must_fail_for_mode(p)) {
        ably_error e;
        ably_error_init(&e);
        ably_ch_make_error(&e, ABLY_ERR_PRESENCE_SUBSCRIBE_MODE_NOT_ENABLED, 400, PRESENCE_SUBSCRIBE_MISSING);
        cb(ctx, &e, NULL, 0);
        ably_error_clear(&e);
        return;
    }
    /* shallow copies: the members stay owned by the map during the callback */
    ably_presence_message *out = p->members.count ? malloc(p->members.count * sizeof *out) : NULL;
    size_t n = 0;
    for (size_t i = 0; out && i < p->members.count; i++)
        if (matches(&p->members.items[i], client_id, connection_id))
            out[n++] = p->members.items[i];
    cb(ctx, NULL, out, n);
    free(out);
}

static void fail_gets(ably_realtime_presence *p, const ably_error *err)
{
    get_req *g = p->gets;
    p->gets = NULL;
    for (get_req *it = g; it; it = it->next)
        it->cb(it->ctx, err, NULL, 0);
    free_gets(g);
}

static void answer_gets(ably_realtime_presence *p)
{
    get_req *g = p->gets;
    p->gets = NULL;
    for (get_req *it = g; it; it = it->next)
        answer_get(p, it->client_id, it->connection_id, it->cb, it->ctx);
    free_gets(g);
}

/* RTP11e: gets that only waited for the channel to attach. */
static void answer_attach_gets(ably_realtime_presence *p)
{
    get_req *keep = NULL, **tail = &keep, *done = NULL;
    for (get_req *it = p->gets, *n; it; it = n) {
        n = it->next;
        if (it->sync) {
            *tail = it;
            tail = &it->next;
        } else {
            it->next = done;
            done = it;
        }
    }
    *tail = NULL;
    p->gets = keep;
    for (get_req *it = done; it; it = it->next)
        answer_get(p, it->client_id, it->connection_id, it->cb, it->ctx);
    free_gets(done);
}

/* ---- sync (RTP18, RTP19) ---- */

static void set_sync_seq(ably_realtime_presence *p, const char *seq, size_t len)
{
    free(p->sync_seq);
    p->sync_seq = seq ? strndup(seq, len) : NULL;
}

/* Begins a sync, discarding any in flight (RTP18a); its sequence id comes with the SYNC. */
static void start_sync(ably_realtime_presence *p)
{
    set_sync_seq(p, NULL, 0);
    ably_presence_map_start_sync(&p->members);
}

/* RTP18b, RTP19, RTP2h2b: ABSENT members go silently, those not seen leave. */
static void end_sync(ably_realtime_presence *p)
{
    ably_presence_message *leaves;
    size_t n = ably_presence_map_end_sync(&p->members, ably_rt_now(p->ch->rt), &leaves);
    set_sync_seq(p, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        emit(p, &leaves[i]); /* RTP19: the synthesized LEAVE */
        ably_presence_message_clear(&leaves[i]);
    }
    free(leaves);
    set_sync_complete(p, true);
    answer_gets(p);
}

/* RTP18a, RTP18c: a SYNC page with channelSerial "<sequence id>:<cursor>" (or none,
 * when the sync is in this one message) continues the sync of that sequence or starts
 * a new one. Returns whether this page ends the sync: an empty cursor (RTP18b). */
static bool on_sync_page(ably_realtime_presence *p, const char *channel_serial)
{
    const char *colon = channel_serial ? strchr(channel_serial, ':') : NULL;
    size_t seq_len = colon ? (size_t)(colon - channel_serial) : channel_serial ? strlen(channel_serial) : 0;
    bool other_seq = p->sync_seq && (!channel_serial || strlen(p->sync_seq) != seq_len ||
                                     strncmp(p->sync_seq, channel_serial, seq_len) != 0);
    if (!p->members.syncing || other_seq)
        start_sync(p);
    if (channel_serial)
        set_sync_seq(p, channel_serial, seq_len);
    return !colon || !colon[1];
}

/* ---- incoming frames ---- */

void ably_ch_inherit_presence_fields(ably_presence_message *m, const ably_protocol_message *pm, size_t index)
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

/* RTP17b: this connection's members also go to the clientId-keyed local map (which
 * ignores synthesized leaves itself). */
static void track_local(ably_realtime_presence *p, const ably_presence_message *msg)
{
    const char *conn = p->ch->rt->connection_id;
    if (conn && same_str(msg->connection_id, conn))
        ably_presence_map_apply(&p->local, msg);
}

void ably_presence_on_frame(ably_realtime_presence *p, ably_protocol_message *pm)
{
    bool sync = pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_SYNC;
    bool sync_ends = sync && on_sync_page(p, pm->channel_serial);
    for (size_t i = 0; i < pm->presence_count; i++) {
        ably_presence_message *m = &pm->presence[i];
        ably_ch_inherit_presence_fields(m, pm, i);
        ably_error err;
        ably_error_init(&err);
        if (ably_presence_message_from_encoded(m, p->ch->cipher, &err) != 0)
            ably_log_error_info(p->ch->rt->log, ABLY_LOG_ERROR, "presence: decoding failed", &err);
        ably_error_clear(&err);
        track_local(p, m);
        if (ably_presence_map_apply(&p->members, m))
            emit(p, m); /* RTP2d1, RTP2h1a: with the message's own action */
    }
    if (sync_ends)
        end_sync(p);
}

/* ---- sending ---- */

/* Encodes msg (taken over) into a one-message PRESENCE frame in *pm. */
static int build_presence_frame(ably_realtime_presence *p, ably_presence_message *msg, ably_protocol_message *pm,
                                ably_error *err)
{
    ably_realtime_channel *ch = p->ch;
    ably_format fmt = ch->rt->frame_binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    if (ably_payload_encode(&msg->data, &msg->encoding, ch->cipher, fmt, err) != 0) {
        ably_presence_message_clear(msg);
        return -1;
    }
    ably_presence_message *arr = malloc(sizeof *arr);
    if (!arr) {
        ably_presence_message_clear(msg);
        ably_ch_make_error(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    *arr = *msg;
    ably_presence_message_init(msg);
    ably_protocol_message_init(pm);
    pm->action = ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE;
    pm->has_action = true;
    pm->presence = arr;
    pm->presence_count = 1;
    return 0;
}

static void send_presence(ably_realtime_presence *p, ably_presence_message *msg, ably_channel_result_fn cb,
                          void *ctx)
{
    ably_error err;
    ably_error_init(&err);
    ably_protocol_message pm;
    if (build_presence_frame(p, msg, &pm, &err) != 0) {
        if (cb)
            cb(ctx, &err);
        ably_error_clear(&err);
        return;
    }
    ably_ch_send_tracked(p->ch, &pm, NULL, cb, ctx);
}

static void flush_queue(ably_realtime_presence *p, const ably_error *fail)
{
    pending *q = p->queued;
    p->queued = NULL;
    while (q) {
        pending *n = q->next;
        if (fail) {
            if (q->cb)
                q->cb(q->ctx, fail);
            ably_presence_message_clear(&q->msg);
        } else {
            send_presence(p, &q->msg, q->cb, q->ctx);
        }
        free(q);
        q = n;
    }
}

/* RTP8, RTP16: sends when ATTACHED, queues while attaching (attaching implicitly when
 * needed, RTP8d), fails otherwise (RTP16c). Takes over *msg. */
static void presence_op(ably_realtime_presence *p, ably_presence_message *msg, ably_channel_result_fn cb, void *ctx)
{
    ably_realtime_channel *ch = p->ch;
    switch (ch->state) {
    case ABLY_CHANNEL_ATTACHED:
        send_presence(p, msg, cb, ctx);
        return;
    case ABLY_CHANNEL_INITIALIZED:
    case ABLY_CHANNEL_ATTACHING: {
        pending *q = ably_rest_options(ch->rt->rest)->queue_messages ? calloc(1, sizeof *q) : NULL;
        if (!q) { /* RTP16b: queueing only with queueMessages, otherwise RTP16c */
            ably_presence_message_clear(msg);
            break;
        }
        q->msg = *msg;
        ably_presence_message_init(msg);
        q->cb = cb;
        q->ctx = ctx;
        pending **tail = &p->queued;
        while (*tail)
            tail = &(*tail)->next;
        *tail = q;
        if (ch->state == ABLY_CHANNEL_INITIALIZED)
            ably_ch_attach(ch, NULL, NULL); /* RTP8d */
        return;
    }
    default:
        ably_presence_message_clear(msg);
        break;
    }
    ably_error e;
    ably_ch_make_error(&e, ABLY_ERR_CANNOT_ENTER_PRESENCE_IN_THE_CHANNELS_CURRENT_STATE, 400, "");
    ably_error_set(&e, ABLY_ERR_CANNOT_ENTER_PRESENCE_IN_THE_CHANNELS_CURRENT_STATE, 400,
                   "presence operations need an attached channel (it is %s)", ably_channel_state_name(ch->state));
    if (cb)
        cb(ctx, &e);
    ably_error_clear(&e);
}

/* RTP17e: a failed automatic re-enter is reported as a channel UPDATE (resumed, as
 * nothing else was lost) whose reason is 91004 with the failure as its cause. */
typedef struct {
    ably_rt_channels *chs;
    char *channel;   /* looked up again: the channel may be released before the ACK */
    char *client_id;
} reenter_ctx;

static void reenter_ctx_free(void *arg)
{
    reenter_ctx *c = arg;
    free(c->channel);
    free(c->client_id);
    free(c);
}

static ably_realtime_channel *held_channel(ably_rt_channels *chs, const char *name)
{
    ably_realtime_channel *found = NULL;
    pthread_mutex_lock(&chs->mu);
    for (size_t i = 0; i < chs->count && !found; i++)
        if (strcmp(chs->items[i]->name, name) == 0)
            found = chs->items[i];
    pthread_mutex_unlock(&chs->mu);
    return found;
}

static void invoke_channel_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_channel_listener)fn)(ctx, arg);
}

static void report_reenter_failure(ably_realtime_channel *ch, const char *client_id, const ably_error *cause)
{
    ably_error reason;
    ably_error_init(&reason);
    ably_error_set(&reason, ABLY_ERR_UNABLE_TO_AUTOMATICALLY_RE_ENTER_PRESENCE, 400,
                   "automatic re-enter of clientId \"%s\" failed", client_id ? client_id : "");
    reason.cause = calloc(1, sizeof *reason.cause);
    if (reason.cause && ably_error_copy(reason.cause, cause, NULL) != 0) {
        free(reason.cause);
        reason.cause = NULL;
    }
    ably_log_error_info(ch->rt->log, ABLY_LOG_WARN, "presence: automatic re-enter failed", cause);
    ably_channel_state_change c = {ch->state, ch->state, ABLY_CHANNEL_EVENT_UPDATE, &reason, true, false};
    ably_emitter_emit(&ch->state_em, ABLY_CHANNEL_EVENT_UPDATE, invoke_channel_listener, &c);
    ably_error_clear(&reason);
}

static void on_reenter_result(void *arg, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    reenter_ctx *c = arg;
    ably_realtime_channel *ch = err ? held_channel(c->chs, c->channel) : NULL;
    if (ch)
        report_reenter_failure(ch, c->client_id, err);
    reenter_ctx_free(c);
}

static void reenter_one(ably_realtime_presence *p, ably_presence_message *msg)
{
    ably_realtime_channel *ch = p->ch;
    reenter_ctx *c = calloc(1, sizeof *c);
    if (!c || !(c->channel = strdup(ch->name)) || (msg->client_id && !(c->client_id = strdup(msg->client_id)))) {
        if (c)
            reenter_ctx_free(c);
        ably_presence_message_clear(msg);
        return;
    }
    c->chs = ch->chs;
    ably_error err;
    ably_error_init(&err);
    ably_protocol_message pm;
    if (build_presence_frame(p, msg, &pm, &err) != 0) {
        report_reenter_failure(ch, c->client_id, &err);
        reenter_ctx_free(c);
    } else {
        ably_ch_send_tracked_owned(ch, &pm, on_reenter_result, c, reenter_ctx_free);
    }
    ably_error_clear(&err);
}

/* RTP17f, RTP17g: re-enter this connection's members after a (re)attach that lost them. */
static void reenter_local(ably_realtime_presence *p)
{
    const char *conn = p->ch->rt->connection_id;
    for (size_t i = 0; i < p->local.count; i++) {
        ably_presence_message msg;
        if (ably_presence_message_copy(&msg, &p->local.items[i], NULL) != 0)
            continue;
        msg.action = ABLY_PRESENCE_ACTION_ENTER; /* RTP17g: same id, clientId and data */
        if (!conn || !same_str(msg.connection_id, conn)) { /* RTP17g1: the id belonged to another connection */
            free(msg.id);
            msg.id = NULL;
        }
        free(msg.connection_id);
        msg.connection_id = NULL;
        msg.has_timestamp = false;
        reenter_one(p, &msg);
    }
}

/* ---- channel state effects (RTP5, RTP17, RTP19a) ---- */

void ably_presence_on_channel_state(ably_realtime_presence *p, const ably_channel_state_change *c, bool has_presence)
{
    ably_error e;
    switch (c->current) {
    case ABLY_CHANNEL_ATTACHED:
        if (c->event == ABLY_CHANNEL_EVENT_UPDATE && c->resumed)
            break;
        if (has_presence) { /* RTP1: a SYNC follows */
            set_sync_complete(p, false);
            start_sync(p);
        } else { /* RTP19a: nobody is present */
            start_sync(p);
            end_sync(p);
        }
        answer_attach_gets(p);
        flush_queue(p, NULL); /* RTP5b, RTP16b */
        reenter_local(p);     /* RTP17i: any ATTACHED but a resumed one on an attached channel */
        break;
    case ABLY_CHANNEL_DETACHED:
    case ABLY_CHANNEL_FAILED: /* RTP5a */
        ably_ch_make_error(&e, ABLY_ERR_CANNOT_ENTER_PRESENCE_IN_THE_CHANNELS_CURRENT_STATE, 400,
                           "the channel was detached or failed");
        flush_queue(p, c->reason ? c->reason : &e);
        if (!p->ch->attach_after_detach) /* RTL4h: a get's own attach follows this detach */
            fail_gets(p, c->reason ? c->reason : &e);
        ably_presence_map_clear(&p->members); /* no LEAVE events: their state is unknown */
        ably_presence_map_clear(&p->local);   /* nothing to re-enter later */
        set_sync_seq(p, NULL, 0);
        set_sync_complete(p, false);
        ably_error_clear(&e);
        break;
    case ABLY_CHANNEL_SUSPENDED: /* RTP5f: keep the map, fail what waits */
        ably_ch_make_error(&e, ABLY_ERR_PRESENCE_STATE_OUT_OF_SYNC, 400, "the channel is suspended");
        flush_queue(p, c->reason ? c->reason : &e);
        fail_gets(p, &e);
        ably_error_clear(&e);
        break;
    default:
        break;
    }
}

/* ---- public calls (any thread) ---- */

ably_realtime_presence *ably_realtime_channel_presence(ably_realtime_channel *ch) { return &ch->presence; }

typedef struct {
    ably_realtime_presence *p;
    ably_presence_message msg;
    ably_channel_result_fn cb;
    void *ctx;
} op_cmd;

static void op_cmd_free(void *arg)
{
    op_cmd *c = arg;
    ably_presence_message_clear(&c->msg);
    free(c);
}

/* RTP10a: a leave given no data repeats the data the member is present with (as this
 * connection last saw it), so the LEAVE event carries it. */
static void default_leave_data(ably_realtime_presence *p, ably_presence_message *msg)
{
    if (msg->action != ABLY_PRESENCE_ACTION_LEAVE || msg->data.type != ABLY_DATA_NONE)
        return;
    char *own = msg->client_id ? NULL : ably_realtime_client_id(p->ch->rt);
    const char *who = msg->client_id ? msg->client_id : own;
    for (size_t i = 0; who && i < p->local.count; i++) {
        const ably_presence_message *m = &p->local.items[i];
        if (same_str(m->client_id, who)) {
            if (m->data.type != ABLY_DATA_NONE)
                ably_data_set(&msg->data, m->data.type, m->data.bytes, m->data.len);
            break;
        }
    }
    free(own);
}

static void run_op(ably_realtime *rt, void *arg)
{
    (void)rt;
    op_cmd *c = arg;
    default_leave_data(c->p, &c->msg);
    presence_op(c->p, &c->msg, c->cb, c->ctx);
    op_cmd_free(c);
}

static bool usable_client_id(const char *id) { return id && *id && strcmp(id, "*") != 0; }

/* RTP8j: enter / update / leave need an identified client; the *Client forms a real
 * clientId (RTP15). */
static bool may_act_as(ably_realtime_presence *p, const char *client_id)
{
    if (client_id)
        return usable_client_id(client_id);
    char *own = ably_realtime_client_id(p->ch->rt);
    bool ok = usable_client_id(own);
    free(own);
    return ok;
}

/* client_id NULL: this client (enter / update / leave), whose message carries no
 * clientId (RTP8c, RTP9d, RTP10c): the connection's identity applies. */
static void post_op_extras(ably_realtime_presence *p, ably_presence_action action, const char *client_id,
                           const ably_data *data, const char *extras, ably_channel_result_fn cb, void *ctx)
{
    ably_error e;
    if (!may_act_as(p, client_id)) {
        ably_ch_make_error(&e, ABLY_ERR_CANNOT_ENTER_PRESENCE_WITHOUT_A_CLIENT_ID, 400,
                           "presence needs a clientId");
        if (cb)
            cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    op_cmd *c = calloc(1, sizeof *c);
    ably_presence_message src;
    ably_presence_message_init(&src);
    src.action = action;
    src.has_action = true;
    src.client_id = (char *)(uintptr_t)client_id; /* borrowed for the copy */
    if (data)
        src.data = *data;
    src.extras = (char *)(uintptr_t)extras; /* borrowed for the copy */
    if (!c || ably_presence_message_copy(&c->msg, &src, NULL) != 0) {
        free(c);
        ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    c->p = p;
    c->cb = cb;
    c->ctx = ctx;
    ably_rt_post(p->ch->rt, run_op, op_cmd_free, c);
}

static void post_op(ably_realtime_presence *p, ably_presence_action action, const char *client_id,
                    const ably_data *data, ably_channel_result_fn cb, void *ctx)
{
    post_op_extras(p, action, client_id, data, NULL, cb, ctx);
}

void ably_realtime_presence_send(ably_realtime_presence *p, ably_presence_action action, const char *client_id,
                                 const ably_data *data, const char *extras, ably_channel_result_fn cb, void *ctx)
{
    if (action != ABLY_PRESENCE_ACTION_ENTER && action != ABLY_PRESENCE_ACTION_UPDATE &&
        action != ABLY_PRESENCE_ACTION_LEAVE) {
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_BAD_REQUEST, 400, "presence can only be entered, updated or left");
        if (cb)
            cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    post_op_extras(p, action, client_id, data, extras, cb, ctx);
}

void ably_realtime_presence_enter(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                  void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_ENTER, NULL, data, cb, ctx);
}

void ably_realtime_presence_update(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                   void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_UPDATE, NULL, data, cb, ctx);
}

void ably_realtime_presence_leave(ably_realtime_presence *p, const ably_data *data, ably_channel_result_fn cb,
                                  void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_LEAVE, NULL, data, cb, ctx);
}

void ably_realtime_presence_enter_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                         ably_channel_result_fn cb, void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_ENTER, client_id ? client_id : "", data, cb, ctx);
}

void ably_realtime_presence_update_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                          ably_channel_result_fn cb, void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_UPDATE, client_id ? client_id : "", data, cb, ctx);
}

void ably_realtime_presence_leave_client(ably_realtime_presence *p, const char *client_id, const ably_data *data,
                                         ably_channel_result_fn cb, void *ctx)
{
    post_op(p, ABLY_PRESENCE_ACTION_LEAVE, client_id ? client_id : "", data, cb, ctx);
}

uint64_t ably_realtime_presence_subscribe(ably_realtime_presence *p, int action, ably_presence_listener fn,
                                          void *ctx, ably_channel_result_fn attach_cb, void *attach_ctx)
{
    uint64_t id = ably_emitter_add(&p->em, action < 0 ? ABLY_EMITTER_ANY : action, (ably_generic_fn)fn, ctx, false);
    if (id) /* RTP6d */
        ably_ch_post_implicit_attach(p->ch, attach_cb, attach_ctx);
    return id;
}

void ably_realtime_presence_unsubscribe(ably_realtime_presence *p, uint64_t id) { ably_emitter_remove(&p->em, id); }

void ably_realtime_presence_unsubscribe_action(ably_realtime_presence *p, ably_presence_action action)
{
    ably_emitter_remove_event(&p->em, (int)action);
}

void ably_realtime_presence_unsubscribe_all(ably_realtime_presence *p)
{
    ably_emitter_remove_event(&p->em, ABLY_EMITTER_ANY);
}

bool ably_realtime_presence_sync_complete(ably_realtime_presence *p)
{
    pthread_mutex_lock(&p->ch->chs->mu);
    bool done = p->pub_sync_complete;
    pthread_mutex_unlock(&p->ch->chs->mu);
    return done;
}

typedef struct {
    ably_realtime_presence *p;
    bool wait;
    get_req req;
} get_cmd;

static void get_cmd_free(void *arg)
{
    get_cmd *c = arg;
    free(c->req.client_id);
    free(c->req.connection_id);
    free(c);
}

static void fail_get(get_cmd *c, int code, const char *msg)
{
    ably_error e;
    ably_ch_make_error(&e, code, 400, msg);
    c->req.cb(c->req.ctx, &e, NULL, 0);
    ably_error_clear(&e);
}

static void run_get(ably_realtime *rt, void *arg)
{
    (void)rt;
    get_cmd *c = arg;
    ably_realtime_presence *p = c->p;
    ably_channel_state s = p->ch->state;
    if (s == ABLY_CHANNEL_FAILED) { /* RTP11e, RTL33c */
        fail_get(c, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, "presence get on a failed channel");
    } else if (s == ABLY_CHANNEL_SUSPENDED && c->wait) { /* RTP11d */
        fail_get(c, ABLY_ERR_PRESENCE_STATE_OUT_OF_SYNC, "the channel is suspended");
    } else if (s == ABLY_CHANNEL_SUSPENDED || (s == ABLY_CHANNEL_ATTACHED && (!c->wait || p->sync_complete))) {
        answer_get(p, c->req.client_id, c->req.connection_id, c->req.cb, c->req.ctx); /* RTP11c */
    } else { /* after the attach (RTP11e, RTL33b), attaching when needed, and the sync (RTP11c1) */
        get_req *g = malloc(sizeof *g);
        if (!g) {
            fail_get(c, ABLY_ERR_INTERNAL_ERROR, "out of memory");
        } else {
            *g = c->req;
            c->req.client_id = c->req.connection_id = NULL;
            g->sync = c->wait;
            g->next = p->gets;
            p->gets = g;
            if (s != ABLY_CHANNEL_ATTACHED && s != ABLY_CHANNEL_ATTACHING)
                ably_ch_attach(p->ch, NULL, NULL); /* a failure fails the get with its reason (RTL33b1) */
        }
    }
    get_cmd_free(c);
}

void ably_realtime_presence_get(ably_realtime_presence *p, bool wait_for_sync, const char *client_id,
                                const char *connection_id, ably_presence_get_fn cb, void *ctx)
{
    if (!cb)
        return;
    get_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->p = p;
    c->wait = wait_for_sync;
    c->req.client_id = client_id ? strdup(client_id) : NULL;
    c->req.connection_id = connection_id ? strdup(connection_id) : NULL;
    c->req.cb = cb;
    c->req.ctx = ctx;
    ably_rt_post(p->ch->rt, run_get, get_cmd_free, c);
}

int ably_realtime_presence_history(ably_realtime_presence *p, const ably_history_params *params,
                                   ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_channel *rch;
    if (ably_rest_channels_get(p->ch->rt->rest, p->ch->name, NULL, &rch, err) != 0)
        return -1;
    return ably_rest_presence_history(ably_rest_channel_presence(rch), params, out, err);
}
