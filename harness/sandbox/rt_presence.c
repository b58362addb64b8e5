/* Realtime presence: enter / update / leave, members by memberKey
 * (connectionId + clientId) kept in sbx_channel.presence (shared with the
 * REST presence routes), events in sbx_channel.presence_history, SYNC pages on
 * attach, and leaves for connections that close or are lost. */
#include "rt_internal.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rt_presence_has_members(const sbx_channel *ch)
{
    return ch && cJSON_GetArraySize(ch->presence) > 0;
}

static bool str_field_is(const cJSON *o, const char *name, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && want && strcmp(v->valuestring, want) == 0;
}

/* The stored JSON form of a presence message (binary as base64). */
static cJSON *presence_json(const ably_presence_message *p)
{
    ably_buf b;
    ably_buf_init(&b);
    cJSON *j = NULL;
    if (ably_presence_message_to_json(p, &b, NULL) == 0)
        j = cJSON_ParseWithLength(b.data, b.len);
    ably_buf_free(&b);
    return j;
}

static void broadcast(rt_chan *rc, ably_presence_message *events, size_t n)
{
    if (!n)
        return;
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE;
    pm.has_action = true;
    pm.channel = rc->ch->name;
    char serial[32];
    rt_chan_next_serial(rc, serial, sizeof serial);
    pm.channel_serial = serial;
    pm.presence = events;
    pm.presence_count = n;
    rt_frame *frames[2] = { NULL, NULL };
    for (size_t i = 0; i < rc->sub_count; i++) {
        rt_link *l = rc->subs[i];
        if (!(l->modes & ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE))
            continue;
        int k = l->conn->fmt == SBX_FMT_MSGPACK;
        if (!frames[k])
            frames[k] = rt_frame_encode(&pm, l->conn->fmt);
        rt_conn_send(l->conn, frames[k]);
    }
    rt_frame_release(frames[0]);
    rt_frame_release(frames[1]);
}

/* Index of the member with this memberKey, or -1. */
static int find_member(const sbx_channel *ch, const char *conn_id, const char *client_id)
{
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, ch->presence) {
        if (str_field_is(m, "connectionId", conn_id) && str_field_is(m, "clientId", client_id))
            return i;
        i++;
    }
    return -1;
}

/* Applies one event to the member set and history; false when it changes
 * nothing (a LEAVE for someone absent) and should not be broadcast. */
static bool apply_event(sbx_channel *ch, const ably_presence_message *ev)
{
    int idx = find_member(ch, ev->connection_id, ev->client_id);
    if (ev->action == ABLY_PRESENCE_ACTION_LEAVE || ev->action == ABLY_PRESENCE_ACTION_ABSENT) {
        if (idx < 0)
            return false;
        cJSON_DeleteItemFromArray(ch->presence, idx);
    } else {
        cJSON *member = presence_json(ev);
        if (!member)
            return false;
        cJSON_ReplaceItemInObjectCaseSensitive(member, "action",
                                               cJSON_CreateNumber(ABLY_PRESENCE_ACTION_PRESENT));
        if (idx >= 0)
            cJSON_ReplaceItemInArray(ch->presence, idx, member);
        else
            cJSON_AddItemToArray(ch->presence, member);
    }
    cJSON *event = presence_json(ev);
    if (event)
        cJSON_AddItemToArray(ch->presence_history, event);
    return true;
}

/* May this connection act for `client_id`? */
static bool may_act_as(const rt_conn *c, const char *client_id)
{
    if (c->client_id)
        return strcmp(c->client_id, client_id) == 0;
    const char *granted = c->principal.client_id;
    return (granted && strcmp(granted, "*") == 0) || (!granted && c->principal.basic);
}

void rt_handle_presence(rt_conn *c, ably_protocol_message *pm)
{
    int64_t serial = pm->has_msg_serial ? pm->msg_serial : -1;
    if (serial >= c->msg_serial)
        c->msg_serial = serial + 1;
    const char *name = pm->channel;
    if (!name || !*name) {
        rt_send_nack(c, serial, 1, 400, 40000, "PRESENCE without a channel");
        return;
    }
    if (!sbx_cap_permits(c->principal.cap, name, SBX_OP_PRESENCE)) {
        char why[300];
        snprintf(why, sizeof why, "Unable to perform channel operation (operation = presence, "
                 "channel = %s): permission denied", name);
        rt_send_nack(c, serial, 1, 401, 40160, why);
        return;
    }
    for (size_t i = 0; i < pm->presence_count; i++) {
        ably_presence_message *p = &pm->presence[i];
        if (!p->client_id && c->client_id)
            p->client_id = sbx_strdup(c->client_id);
        if (!p->client_id) {
            rt_send_nack(c, serial, 1, 400, 91000, "Unable to enter presence channel without a clientId");
            return;
        }
        if (!may_act_as(c, p->client_id)) {
            char why[200];
            snprintf(why, sizeof why, "Presence clientId %s does not match the connection's", p->client_id);
            rt_send_nack(c, serial, 1, 400, 40012, why);
            return;
        }
    }
    sbx_channel *ch = sbx_channel_get(c->principal.app, name, true);
    rt_chan *rc = ch ? rt_chan_of(ch) : NULL;
    rt_link *l = rc ? rt_conn_link(c, ch, true) : NULL;
    if (!l) {
        rt_send_nack(c, serial, 1, 500, 50000, "Out of memory");
        return;
    }
    int64_t now = sbx_now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < pm->presence_count; i++) {
        ably_presence_message *p = &pm->presence[i];
        if (!p->has_action)
            p->action = ABLY_PRESENCE_ACTION_ENTER, p->has_action = true;
        free(p->connection_id);
        p->connection_id = sbx_strdup(c->id);
        free(p->id);
        p->id = sbx_sprintf("%s:%" PRId64 ":%zu", c->id, serial < 0 ? 0 : serial, i);
        p->timestamp = now;
        p->has_timestamp = true;
        rt_presence_binary_for_msgpack(p); /* stored and sent binary as binary */
        if (!apply_event(ch, p))
            continue;
        if (p->action != ABLY_PRESENCE_ACTION_LEAVE)
            l->entered = true;
        if (kept != i) {
            ably_presence_message tmp = pm->presence[kept];
            pm->presence[kept] = *p;
            *p = tmp;
        }
        kept++;
    }
    rt_send_ack(c, serial, 1, NULL, 0);
    broadcast(rc, pm->presence, kept);
}

void rt_presence_send_sync(rt_conn *c, rt_chan *rc)
{
    sbx_channel *ch = rc->ch;
    int total = cJSON_GetArraySize(ch->presence);
    uint64_t sync_id = ++rc->sync_counter;
    const cJSON *item = ch->presence ? ch->presence->child : NULL;
    for (int start = 0; start < total || (start == 0 && total == 0); start += RT_SYNC_PAGE) {
        int n = total - start < RT_SYNC_PAGE ? total - start : RT_SYNC_PAGE;
        ably_presence_message *page = calloc((size_t)(n ? n : 1), sizeof *page);
        if (!page)
            return;
        int got = 0;
        for (; item && got < n; item = item->next) {
            if (ably_decode_json_node(&ably_presence_message_desc, item, &page[got], NULL) != 0)
                continue;
            page[got].action = ABLY_PRESENCE_ACTION_PRESENT;
            page[got].has_action = true;
            if (c->fmt == SBX_FMT_MSGPACK)
                rt_presence_binary_for_msgpack(&page[got]);
            got++;
        }
        char serial[64];
        bool last = start + RT_SYNC_PAGE >= total;
        /* "<syncId>:<cursor>", the cursor empty on the last page (RTP18). */
        if (last)
            snprintf(serial, sizeof serial, "sync%" PRIu64 ":", sync_id);
        else
            snprintf(serial, sizeof serial, "sync%" PRIu64 ":%d", sync_id, start + RT_SYNC_PAGE);
        ably_protocol_message pm;
        ably_protocol_message_init(&pm);
        pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_SYNC;
        pm.has_action = true;
        pm.channel = ch->name;
        pm.channel_serial = serial;
        pm.presence = page;
        pm.presence_count = (size_t)got;
        rt_conn_send_pm(c, &pm);
        ably_free_array(&ably_presence_message_desc, page, (size_t)got);
        if (total == 0)
            break;
    }
}

void rt_presence_leave_link(rt_link *l)
{
    sbx_channel *ch = l->ch;
    rt_conn *c = l->conn;
    if (!ch || !l->entered)
        return;
    l->entered = false;
    int total = cJSON_GetArraySize(ch->presence);
    ably_presence_message *leaves = calloc((size_t)(total ? total : 1), sizeof *leaves);
    if (!leaves)
        return;
    size_t n = 0;
    int64_t now = sbx_now_ms();
    const cJSON *m;
    cJSON_ArrayForEach(m, ch->presence) {
        if (!str_field_is(m, "connectionId", c->id))
            continue;
        ably_presence_message *ev = &leaves[n];
        if (ably_decode_json_node(&ably_presence_message_desc, m, ev, NULL) != 0)
            continue;
        ev->action = ABLY_PRESENCE_ACTION_LEAVE;
        ev->has_action = true;
        free(ev->id);
        /* A synthesized leave sorts after everything the member sent. */
        ev->id = sbx_sprintf("%s:%" PRId64 ":%zu", c->id, c->msg_serial, n);
        ev->timestamp = now;
        ev->has_timestamp = true;
        rt_presence_binary_for_msgpack(ev);
        n++;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (apply_event(ch, &leaves[i]))
            kept++;
    c->msg_serial++;
    broadcast(rt_chan_of(ch), leaves, kept);
    ably_free_array(&ably_presence_message_desc, leaves, n);
}

void rt_presence_leave_all(rt_conn *c)
{
    for (rt_link *l = c->links; l; l = l->next)
        rt_presence_leave_link(l);
}
