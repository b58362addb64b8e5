/* Realtime channels: ATTACH / DETACH, publish with ACK / NACK, fan-out of
 * every stored message (realtime or REST) to attached subscribers, and
 * channelSerials. */
#include "rt_internal.h"
#include "sbx_routes.h"
#include "sbx_util.h"
#include "sbx_vcdiff.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_chan *all_chans;

rt_chan *rt_chan_of(sbx_channel *ch)
{
    if (ch->rt)
        return ch->rt;
    rt_chan *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->ch = ch;
    rc->next_all = all_chans;
    if (all_chans)
        all_chans->prev_all = rc;
    all_chans = rc;
    ch->rt = rc;
    return rc;
}

void rt_chan_free(rt_chan *rc)
{
    if (!rc)
        return;
    if (rc->prev_all)
        rc->prev_all->next_all = rc->next_all;
    else if (all_chans == rc)
        all_chans = rc->next_all;
    if (rc->next_all)
        rc->next_all->prev_all = rc->prev_all;
    free(rc->subs);
    free(rc->serial_of_seq);
    free(rc);
}

void rt_free_all_channels(void)
{
    while (all_chans) {
        rt_chan *rc = all_chans;
        rc->ch->rt = NULL;
        rt_chan_free(rc);
    }
}

static void format_serial(uint64_t n, char *buf, size_t cap)
{
    snprintf(buf, cap, "%012" PRIu64, n);
}

void rt_chan_next_serial(rt_chan *rc, char *buf, size_t cap)
{
    format_serial(++rc->serial, buf, cap);
}

void rt_chan_current_serial(const rt_chan *rc, char *buf, size_t cap)
{
    format_serial(rc->serial, buf, cap);
}

void rt_chan_subscribe(rt_chan *rc, rt_link *l)
{
    if (!rc || l->attached)
        return;
    if (rc->sub_count == rc->sub_cap) {
        size_t cap = rc->sub_cap ? rc->sub_cap * 2 : 8;
        rt_link **grown = realloc(rc->subs, cap * sizeof *grown);
        if (!grown)
            return;
        rc->subs = grown;
        rc->sub_cap = cap;
    }
    l->sub_index = rc->sub_count;
    rc->subs[rc->sub_count++] = l;
    l->attached = true;
}

void rt_chan_unsubscribe(rt_chan *rc, rt_link *l)
{
    if (!rc || !l->attached)
        return;
    size_t i = l->sub_index;
    if (i < rc->sub_count && rc->subs[i] == l) {
        rc->subs[i] = rc->subs[--rc->sub_count];
        rc->subs[i]->sub_index = i;
    }
    l->attached = false;
}

/* ---- outgoing channel frames ---- */

static void send_channel_action(rt_conn *c, ably_protocol_message_action action, const char *channel,
                                ably_error *err)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = action;
    pm.has_action = true;
    pm.channel = sbx_strdup(channel);
    pm.error = err;
    rt_conn_send_pm(c, &pm);
    ably_protocol_message_clear(&pm);
}

/* A MESSAGE frame for one stored message. Every field is borrowed: the
 * ProtocolMessage is only encoded, never cleared. */
static void message_frame(ably_protocol_message *pm, const sbx_channel *ch, const ably_message *m,
                          char *serial)
{
    memset(pm, 0, sizeof *pm);
    ably_protocol_message_init(pm);
    pm->action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE;
    pm->has_action = true;
    pm->channel = ch->name;
    pm->channel_serial = serial;
    pm->connection_id = m->connection_id;
    pm->messages = (ably_message *)m;
    pm->messages_count = 1;
    if (m->has_timestamp) {
        pm->timestamp = m->timestamp;
        pm->has_timestamp = true;
    }
}

/* ---- deltas (channel param delta=vcdiff; RTL19, RTL20 on the client) ---- */

static bool delta_capable(const ably_message *m)
{
    return m->data.type == ABLY_DATA_STRING || m->data.type == ABLY_DATA_BINARY;
}

/* extras with "delta":{"from","format"} added (DE2): a new JSON object text. */
static char *delta_extras(const char *extras, const char *from)
{
    size_t n = extras ? strlen(extras) : 0;
    while (n && (extras[n - 1] == ' ' || extras[n - 1] == '\n'))
        n--;
    if (n < 2 || extras[n - 1] != '}')
        return sbx_sprintf("{\"delta\":{\"from\":\"%s\",\"format\":\"vcdiff\"}}", from);
    size_t body = n - 1; /* up to the closing brace */
    bool empty = true;
    for (size_t i = 1; i < body; i++)
        if (extras[i] != ' ' && extras[i] != '\n')
            empty = false;
    return sbx_sprintf("%.*s%s\"delta\":{\"from\":\"%s\",\"format\":\"vcdiff\"}}", (int)body, extras,
                       empty ? "" : ",", from);
}

/* Fills *out (borrowing from `cur` except the three owned buffers) with `cur`
 * as a vcdiff delta against `prev`: data binary, encoding with "utf-8" for
 * text then "vcdiff", extras.delta.from = prev's id. False when a delta would
 * not be smaller than the message itself, as Ably then sends it whole. */
static bool make_delta(const ably_message *prev, const ably_message *cur, ably_message *out, uint8_t **delta,
                       char **encoding, char **extras)
{
    size_t n = 0;
    uint8_t *d = sbx_vcdiff_encode((const uint8_t *)prev->data.bytes, prev->data.len,
                                   (const uint8_t *)cur->data.bytes, cur->data.len, &n);
    if (!d || n >= cur->data.len) {
        free(d);
        return false;
    }
    const char *text_step = cur->data.type == ABLY_DATA_STRING ? "utf-8/" : "";
    *encoding = cur->encoding ? sbx_sprintf("%s/%svcdiff", cur->encoding, text_step)
                              : sbx_sprintf("%svcdiff", text_step);
    *extras = delta_extras(cur->extras, prev->id);
    *delta = d;
    *out = *cur;
    out->data.type = ABLY_DATA_BINARY;
    out->data.bytes = (char *)d;
    out->data.len = n;
    out->encoding = *encoding;
    out->extras = *extras;
    return true;
}

/* Sends stored message m to a link attached with delta=vcdiff: as a delta
 * against the last message that link got when both have text or binary data,
 * else whole. */
static void send_to_delta_link(rt_link *l, const sbx_channel *ch, const sbx_stored_message *m,
                               const ably_protocol_message *whole)
{
    const ably_message *prev = l->delta_has_last && l->delta_last_seq < ch->message_count
                                   ? &ch->messages[l->delta_last_seq].msg
                                   : NULL;
    ably_message dm;
    uint8_t *delta = NULL;
    char *encoding = NULL, *extras = NULL;
    if (prev && prev->id && delta_capable(prev) && delta_capable(&m->msg) &&
        make_delta(prev, &m->msg, &dm, &delta, &encoding, &extras)) {
        ably_protocol_message pm = *whole; /* borrowed fields, encoded only */
        pm.messages = &dm;
        rt_conn_send_pm(l->conn, &pm);
    } else {
        rt_conn_send_pm(l->conn, whole);
    }
    free(delta);
    free(encoding);
    free(extras);
    l->delta_last_seq = m->seq;
    l->delta_has_last = true;
}

void rt_on_message_appended(sbx_channel *ch, const sbx_stored_message *m)
{
    rt_chan *rc = rt_chan_of(ch);
    if (!rc)
        return;
    if (m->seq >= rc->seq_cap) {
        size_t cap = rc->seq_cap ? rc->seq_cap * 2 : 64;
        while (cap <= m->seq)
            cap *= 2;
        uint64_t *grown = realloc(rc->serial_of_seq, cap * sizeof *grown);
        if (!grown)
            return;
        rc->serial_of_seq = grown;
        rc->seq_cap = cap;
    }
    char serial[32];
    rt_chan_next_serial(rc, serial, sizeof serial);
    rc->serial_of_seq[m->seq] = rc->serial;
    if (m->seq >= rc->seq_count)
        rc->seq_count = m->seq + 1;
    if (!rc->sub_count)
        return;
    ably_protocol_message pm;
    message_frame(&pm, ch, &m->msg, serial);
    rt_frame *frames[2] = { NULL, NULL }; /* one encode per format, shared by all */
    const char *publisher = m->msg.connection_id;
    for (size_t i = 0; i < rc->sub_count; i++) {
        rt_link *l = rc->subs[i];
        rt_conn *c = l->conn;
        if (!(l->modes & ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE))
            continue;
        if (!c->echo && publisher && strcmp(publisher, c->id) == 0)
            continue; /* RTL7... echoMessages=false */
        if (l->delta) { /* a frame of its own: deltas depend on what this link got */
            send_to_delta_link(l, ch, m, &pm);
            continue;
        }
        int k = c->fmt == SBX_FMT_MSGPACK;
        if (!frames[k])
            frames[k] = rt_frame_encode(&pm, c->fmt);
        rt_conn_send(c, frames[k]);
    }
    rt_frame_release(frames[0]);
    rt_frame_release(frames[1]);
}

/* One frame per format, shared by every attached subscriber holding `mode`. */
static void fan_out(rt_chan *rc, const ably_protocol_message *pm, uint32_t mode)
{
    rt_frame *frames[2] = { NULL, NULL };
    for (size_t i = 0; i < rc->sub_count; i++) {
        rt_conn *c = rc->subs[i]->conn;
        if (!(rc->subs[i]->modes & mode))
            continue;
        int k = c->fmt == SBX_FMT_MSGPACK;
        if (!frames[k])
            frames[k] = rt_frame_encode(pm, c->fmt);
        if (frames[k])
            rt_conn_send(c, frames[k]);
    }
    rt_frame_release(frames[0]);
    rt_frame_release(frames[1]);
}

void rt_broadcast_annotations(sbx_channel *ch, const ably_annotation *items, size_t n)
{
    rt_chan *rc = ch->rt;
    if (!rc || !rc->sub_count || !n)
        return;
    char serial[32];
    rt_chan_next_serial(rc, serial, sizeof serial);
    ably_protocol_message pm; /* borrowed fields: encoded, never cleared */
    memset(&pm, 0, sizeof pm);
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION;
    pm.has_action = true;
    pm.channel = ch->name;
    pm.channel_serial = serial;
    pm.annotations = (ably_annotation *)items;
    pm.annotations_count = n;
    fan_out(rc, &pm, ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE);
}

void rt_broadcast_message_event(sbx_channel *ch, const ably_message *m)
{
    rt_chan *rc = ch->rt;
    if (!rc || !rc->sub_count)
        return;
    char serial[32];
    rt_chan_next_serial(rc, serial, sizeof serial);
    ably_protocol_message pm;
    message_frame(&pm, ch, m, serial);
    fan_out(rc, &pm, ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE);
    /* The event went whole and is the client's new delta base (RTL19): the next
     * message to a delta link goes whole too rather than as a delta against a
     * base the client no longer holds. */
    for (size_t i = 0; i < rc->sub_count; i++)
        if (rc->subs[i]->delta)
            rc->subs[i]->delta_has_last = false;
}

/* Sends stored message `seq` again (rewind, attach from a channelSerial). */
static void replay(rt_conn *c, rt_chan *rc, size_t seq)
{
    char serial[32];
    format_serial(seq < rc->seq_count ? rc->serial_of_seq[seq] : rc->serial, serial, sizeof serial);
    ably_protocol_message pm;
    message_frame(&pm, rc->ch, &rc->ch->messages[seq].msg, serial);
    rt_conn_send_pm(c, &pm);
}

/* First stored message after a channelSerial, or SIZE_MAX when unknown. */
static size_t seq_after_serial(const rt_chan *rc, const char *channel_serial)
{
    int64_t n;
    if (!channel_serial || !sbx_parse_i64(channel_serial, &n) || n < 0 || (uint64_t)n > rc->serial)
        return SIZE_MAX;
    size_t seq = rc->seq_count;
    while (seq > 0 && rc->serial_of_seq[seq - 1] > (uint64_t)n)
        seq--;
    return seq;
}

size_t rt_history_bound(sbx_channel *ch, const char *serial)
{
    return ch->rt ? seq_after_serial(ch->rt, serial) : SIZE_MAX;
}

/* ---- ATTACH / DETACH ---- */

static uint32_t permitted_modes(const sbx_capability *cap, const char *channel)
{
    uint32_t m = 0;
    if (sbx_cap_permits(cap, channel, SBX_OP_SUBSCRIBE))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE;
    if (sbx_cap_permits(cap, channel, SBX_OP_PUBLISH))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH;
    if (sbx_cap_permits(cap, channel, SBX_OP_PRESENCE))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE;
    if (sbx_cap_permits(cap, channel, SBX_OP_ANNOTATION_PUBLISH))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH;
    if (sbx_cap_permits(cap, channel, SBX_OP_ANNOTATION_SUBSCRIBE))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE;
    if (sbx_cap_permits(cap, channel, SBX_OP_OBJECT_PUBLISH))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH;
    if (sbx_cap_permits(cap, channel, SBX_OP_OBJECT_SUBSCRIBE))
        m |= ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE;
    return m;
}

static bool may_attach(const sbx_capability *cap, const char *channel)
{
    return permitted_modes(cap, channel) || sbx_cap_permits(cap, channel, SBX_OP_HISTORY) ||
           sbx_cap_permits(cap, channel, SBX_OP_CHANNEL_METADATA);
}

static int64_t rewind_count(const ably_protocol_message *pm)
{
    const char *v = ably_string_map_get(&pm->params, "rewind");
    int64_t n;
    return v && sbx_parse_i64(v, &n) && n > 0 ? n : 0;
}

void rt_handle_attach(rt_conn *c, const ably_protocol_message *pm)
{
    const char *name = pm->channel;
    if (!name || !*name)
        return;
    if (!may_attach(c->principal.cap, name)) {
        /* RTL4e: the channel fails with the capability error. */
        send_channel_action(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR, name,
                            rt_error_new(401, 40160, "Channel denied access based on given "
                                         "capability; channelId = %s", name));
        return;
    }
    sbx_channel *ch = sbx_channel_get(c->principal.app, name, true);
    rt_chan *rc = ch ? rt_chan_of(ch) : NULL;
    rt_link *l = rc ? rt_conn_link(c, ch, true) : NULL;
    if (!l) {
        send_channel_action(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR, name,
                            rt_error_new(500, 50000, "Out of memory"));
        return;
    }
    uint32_t allowed = permitted_modes(c->principal.cap, name);
    uint32_t requested = pm->has_flags ? (uint32_t)pm->flags & RT_MODE_MASK : 0;
    l->modes = (requested ? requested : RT_DEFAULT_MODES) & allowed;
    bool already = l->attached;
    size_t from = SIZE_MAX;
    int64_t rewind = already ? 0 : rewind_count(pm);
    /* Also when already attached: after a resume, clients re-attach with their
     * channelSerial (RTN15c6, RTL4c1) and drop MESSAGEs that arrive while the
     * channel is attaching (RTL17), so what went out queued behind CONNECTED is
     * sent again after ATTACHED, from the client's serial on. */
    if (pm->channel_serial)
        from = seq_after_serial(rc, pm->channel_serial);
    else if (rewind > 0)
        from = (size_t)rewind >= rc->seq_count ? 0 : rc->seq_count - (size_t)rewind;
    rt_chan_subscribe(rc, l);
    const char *delta_param = ably_string_map_get(&pm->params, "delta");
    l->delta = delta_param && strcmp(delta_param, "vcdiff") == 0;
    l->delta_has_last = false; /* after an attach the first message goes whole */

    bool sync = rt_presence_has_members(ch) &&
                (l->modes & ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE);
    ably_protocol_message reply;
    ably_protocol_message_init(&reply);
    reply.action = ABLY_PROTOCOL_MESSAGE_ACTION_ATTACHED;
    reply.has_action = true;
    reply.channel = sbx_strdup(name);
    char serial[32];
    rt_chan_current_serial(rc, serial, sizeof serial);
    reply.channel_serial = sbx_strdup(serial);
    int64_t flags = l->modes;
    if (sync)
        flags |= ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE;
    if (already || (pm->channel_serial && from != SIZE_MAX))
        flags |= ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED; /* continuity kept */
    if (rewind > 0 && from < rc->seq_count)
        flags |= ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG;
    reply.flags = flags;
    reply.has_flags = true;
    if (rewind > 0)
        ably_string_map_set(&reply.params, "rewind", ably_string_map_get(&pm->params, "rewind"));
    if (l->delta) /* granted params (RTL4k1) */
        ably_string_map_set(&reply.params, "delta", "vcdiff");
    rt_conn_send_pm(c, &reply);
    ably_protocol_message_clear(&reply);
    if (from != SIZE_MAX && (l->modes & ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE))
        for (size_t s = from; s < rc->seq_count && s < ch->message_count; s++) {
            replay(c, rc, s); /* whole: each becomes the client's base (RTL19b) */
            l->delta_last_seq = s;
            l->delta_has_last = true;
        }
    if (sync)
        rt_presence_send_sync(c, rc);
}

void rt_handle_detach(rt_conn *c, const ably_protocol_message *pm)
{
    if (!pm->channel)
        return;
    sbx_channel *ch = sbx_channel_get(c->principal.app, pm->channel, false);
    rt_link *l = ch ? rt_conn_link(c, ch, false) : NULL;
    if (l) {
        rt_presence_leave_link(l);
        rt_chan_unsubscribe(rt_chan_of(ch), l);
    }
    send_channel_action(c, ABLY_PROTOCOL_MESSAGE_ACTION_DETACHED, pm->channel, NULL);
}

void rt_recheck_capabilities(rt_conn *c)
{
    for (rt_link *l = c->links; l; l = l->next) {
        if (!l->attached || !l->ch || may_attach(c->principal.cap, l->ch->name))
            continue;
        rt_presence_leave_link(l);
        rt_chan_unsubscribe(rt_chan_of(l->ch), l);
        /* RTC8a1: a downgrade fails the channel with an ERROR naming it (RTL14). */
        send_channel_action(c, ABLY_PROTOCOL_MESSAGE_ACTION_ERROR, l->ch->name,
                            rt_error_new(401, 40160, "Capability no longer permits channel %s",
                                         l->ch->name));
    }
}

/* ---- publish ---- */

/* RTL32: MESSAGE frames carrying updates, deletes or appends of stored messages
 * (routes_mutable.c rules); the ACK holds the new version serials. */
static bool is_change(const ably_protocol_message *pm)
{
    const ably_message *m = pm->messages_count ? &pm->messages[0] : NULL;
    return m && m->has_action &&
           (m->action == ABLY_MESSAGE_ACTION_MESSAGE_UPDATE || m->action == ABLY_MESSAGE_ACTION_MESSAGE_DELETE ||
            m->action == ABLY_MESSAGE_ACTION_MESSAGE_APPEND);
}

static void handle_changes(rt_conn *c, ably_protocol_message *pm, int64_t serial)
{
    size_t n = pm->messages_count;
    char (*versions)[64] = calloc(n, sizeof *versions);
    char **serials = calloc(n, sizeof *serials);
    if (!versions || !serials) {
        rt_send_nack(c, serial, 1, 500, 50000, "Out of memory");
    } else {
        sbx_check_error e;
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++) {
            const ably_message *m = &pm->messages[i];
            ok = sbx_message_change(c->principal.app, pm->channel, &c->principal, m, m->serial, versions[i],
                                    sizeof versions[i], &e);
            serials[i] = versions[i];
        }
        if (ok)
            rt_send_ack(c, serial, 1, serials, n);
        else
            rt_send_nack(c, serial, 1, e.status, e.code, e.message);
    }
    free(versions);
    free(serials);
}

void rt_handle_message(rt_conn *c, ably_protocol_message *pm)
{
    int64_t serial = pm->has_msg_serial ? pm->msg_serial : -1;
    if (serial >= c->msg_serial)
        c->msg_serial = serial + 1;
    const char *name = pm->channel;
    if (!name || !*name) {
        rt_send_nack(c, serial, 1, 400, 40000, "MESSAGE without a channel");
        return;
    }
    if (is_change(pm)) {
        handle_changes(c, pm, serial);
        return;
    }
    if (!sbx_cap_permits(c->principal.cap, name, SBX_OP_PUBLISH)) {
        char why[300];
        snprintf(why, sizeof why, "Unable to perform channel operation (operation = publish, "
                 "channel = %s): permission denied", name);
        rt_send_nack(c, serial, 1, 401, 40160, why);
        return;
    }
    sbx_check_error e;
    if (!sbx_check_messages(&c->principal, pm->messages, pm->messages_count, &e)) {
        rt_send_nack(c, serial, 1, e.status, e.code, e.message);
        return;
    }
    sbx_channel *ch = sbx_channel_get(c->principal.app, name, true);
    char *id_base = sbx_sprintf("%s:%" PRId64, c->id, serial < 0 ? 0 : serial);
    char **serials = calloc(pm->messages_count + 1, sizeof *serials);
    int64_t now = sbx_now_ms();
    bool ok = ch && id_base && serials;
    for (size_t i = 0; ok && i < pm->messages_count; i++) {
        ably_message *m = &pm->messages[i];
        if (!m->connection_id)
            m->connection_id = sbx_strdup(c->id);
        const char *s = sbx_store_message(ch, m, id_base, (int)i, now);
        serials[i] = (char *)s;
        ok = s != NULL;
    }
    if (ok)
        rt_send_ack(c, serial, 1, serials, pm->messages_count);
    else
        rt_send_nack(c, serial, 1, 500, 50000, "Could not store the messages");
    free(serials);
    free(id_base);
}

/* ---- annotations (RTAN1c): stored and fanned out like REST ones ---- */

void rt_handle_annotation(rt_conn *c, ably_protocol_message *pm)
{
    int64_t serial = pm->has_msg_serial ? pm->msg_serial : -1;
    if (serial >= c->msg_serial)
        c->msg_serial = serial + 1;
    const char *name = pm->channel;
    if (!name || !*name || !pm->annotations_count) {
        rt_send_nack(c, serial, 1, 400, 40000, "ANNOTATION without a channel or annotations");
        return;
    }
    if (!sbx_cap_permits(c->principal.cap, name, SBX_OP_ANNOTATION_PUBLISH)) {
        char why[300];
        snprintf(why, sizeof why, "Unable to perform channel operation (operation = annotation-publish, "
                 "channel = %s): permission denied", name);
        rt_send_nack(c, serial, 1, 401, 40160, why);
        return;
    }
    sbx_check_error e;
    if (sbx_annotations_add(c->principal.app, name, &c->principal, pm->annotations, pm->annotations_count, NULL, &e))
        rt_send_ack(c, serial, 1, NULL, 0);
    else
        rt_send_nack(c, serial, 1, e.status, e.code, e.message);
}
