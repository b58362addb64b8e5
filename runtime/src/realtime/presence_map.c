/* The presence map (RTP2), its sync lifecycle (RTP18, RTP19) and the clientId-keyed
 * RTP17 variant. See presence_map.h. */
#include "realtime/presence_map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h> /* ssize_t */

static bool same_str(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

void ably_presence_map_init(ably_presence_map *m, bool by_client_id)
{
    memset(m, 0, sizeof *m);
    m->by_client_id = by_client_id;
}

void ably_presence_map_clear(ably_presence_map *m)
{
    for (size_t i = 0; i < m->count; i++)
        ably_presence_message_clear(&m->items[i]);
    m->count = 0;
    m->syncing = false;
}

void ably_presence_map_free(ably_presence_map *m)
{
    ably_presence_map_clear(m);
    free(m->items);
    free(m->residual);
    ably_presence_map_init(m, m->by_client_id);
}

/* ---- keys ---- */

static bool same_member(const ably_presence_map *m, const ably_presence_message *a, const ably_presence_message *b)
{
    return same_str(a->client_id, b->client_id) && (m->by_client_id || same_str(a->connection_id, b->connection_id));
}

static ssize_t find(const ably_presence_map *m, const ably_presence_message *msg)
{
    for (size_t i = 0; i < m->count; i++)
        if (same_member(m, &m->items[i], msg))
            return (ssize_t)i;
    return -1;
}

/* Whether key is "connectionId:clientId" for it (TP3h), compared in place. */
static bool has_member_key(const ably_presence_message *it, const char *key)
{
    if (!it->connection_id || !it->client_id)
        return false;
    size_t n = strlen(it->connection_id);
    return strncmp(key, it->connection_id, n) == 0 && key[n] == ':' && strcmp(key + n + 1, it->client_id) == 0;
}

const ably_presence_message *ably_presence_map_get(const ably_presence_map *m, const char *key)
{
    for (size_t i = 0; key && i < m->count; i++) {
        const ably_presence_message *it = &m->items[i];
        if (m->by_client_id ? same_str(it->client_id, key) : has_member_key(it, key))
            return it;
    }
    return NULL;
}

size_t ably_presence_map_values(const ably_presence_map *m, const ably_presence_message **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->count; i++) {
        if (m->items[i].action != ABLY_PRESENCE_ACTION_PRESENT)
            continue;
        if (n < cap)
            out[n] = &m->items[i];
        n++;
    }
    return n;
}

/* ---- newness (RTP2b) ---- */

bool ably_presence_map_is_synthesized(const ably_presence_message *m)
{
    return !m->id || !m->connection_id || strncmp(m->id, m->connection_id, strlen(m->connection_id)) != 0;
}

/* RTP2b2: the msgSerial and index of a "connId:msgSerial:index" id; false when the id
 * does not end in two integers separated by ':'. */
static bool parse_id(const char *id, long long *serial, long long *index)
{
    const char *last = strrchr(id, ':');
    if (!last || last == id)
        return false;
    const char *prev = last - 1;
    while (prev > id && *prev != ':')
        prev--;
    if (*prev != ':')
        return false;
    char *end;
    *serial = strtoll(prev + 1, &end, 10);
    if (end == prev + 1 || end != last)
        return false;
    *index = strtoll(last + 1, &end, 10);
    return end != last + 1 && *end == '\0';
}

bool ably_presence_map_newer(const ably_presence_message *in, const ably_presence_message *old)
{
    long long s1, i1, s2, i2;
    /* Serials only order messages of one connection; the clientId-keyed RTP17 map can
     * hold a member from an earlier connection, which is compared like RTP2b1. */
    if (ably_presence_map_is_synthesized(in) || ably_presence_map_is_synthesized(old) ||
        !same_str(in->connection_id, old->connection_id) || !parse_id(in->id, &s1, &i1) ||
        !parse_id(old->id, &s2, &i2))
        return in->timestamp >= old->timestamp; /* RTP2b1, RTP2b1a: a tie goes to the incoming one */
    return s1 != s2 ? s1 > s2 : i1 > i2;          /* RTP2b2 */
}

/* ---- storage ---- */

static int reserve(ably_presence_map *m)
{
    if (m->count < m->cap)
        return 0;
    size_t cap = m->cap ? m->cap * 2 : 8;
    ably_presence_message *items = realloc(m->items, cap * sizeof *items);
    if (!items)
        return -1;
    m->items = items;
    bool *res = realloc(m->residual, cap * sizeof *res);
    if (!res)
        return -1;
    m->residual = res;
    m->cap = cap;
    return 0;
}

static void remove_at(ably_presence_map *m, size_t i)
{
    ably_presence_message_clear(&m->items[i]);
    m->count--;
    if (i < m->count) {
        m->items[i] = m->items[m->count];
        m->residual[i] = m->residual[m->count];
    }
}

/* Stores a copy of msg under `action` in slot i, or a new slot when i < 0. */
static bool store(ably_presence_map *m, ssize_t i, const ably_presence_message *msg, ably_presence_action action)
{
    ably_presence_message copy;
    if (ably_presence_message_copy(&copy, msg, NULL) != 0)
        return false;
    copy.action = action;
    copy.has_action = true;
    if (i < 0) {
        if (reserve(m) != 0) {
            ably_presence_message_clear(&copy);
            return false;
        }
        i = (ssize_t)m->count++;
    } else {
        ably_presence_message_clear(&m->items[i]);
    }
    m->items[i] = copy;
    m->residual[i] = false;
    return true;
}

/* The member msg is about, marked seen for the sync (RTP19); -1 when there is none. */
static ssize_t find_seen(ably_presence_map *m, const ably_presence_message *msg)
{
    ssize_t i = find(m, msg);
    if (i >= 0)
        m->residual[i] = false; /* before the newness check: a stale SYNC entry still counts */
    return i;
}

bool ably_presence_map_put(ably_presence_map *m, const ably_presence_message *msg)
{
    ssize_t i = find_seen(m, msg);
    if (i >= 0 && !ably_presence_map_newer(msg, &m->items[i]))
        return false; /* RTP2a */
    return store(m, i, msg, ABLY_PRESENCE_ACTION_PRESENT); /* RTP2d2 */
}

bool ably_presence_map_remove(ably_presence_map *m, const ably_presence_message *msg)
{
    if (m->by_client_id && ably_presence_map_is_synthesized(msg))
        return false; /* RTP17b */
    ssize_t i = find_seen(m, msg);
    if (i < 0 || !ably_presence_map_newer(msg, &m->items[i]))
        return false; /* RTP2h: only a known member, RTP2a */
    if (m->syncing) {
        store(m, i, msg, ABLY_PRESENCE_ACTION_ABSENT); /* RTP2h2a */
        return false;
    }
    remove_at(m, (size_t)i); /* RTP2h1b */
    return true;             /* RTP2h1a */
}

bool ably_presence_map_apply(ably_presence_map *m, const ably_presence_message *msg)
{
    switch (msg->action) {
    case ABLY_PRESENCE_ACTION_ENTER:
    case ABLY_PRESENCE_ACTION_UPDATE:
    case ABLY_PRESENCE_ACTION_PRESENT:
        return ably_presence_map_put(m, msg);
    case ABLY_PRESENCE_ACTION_LEAVE:
        return ably_presence_map_remove(m, msg);
    default:
        return false;
    }
}

/* ---- sync (RTP18, RTP19) ---- */

void ably_presence_map_start_sync(ably_presence_map *m)
{
    /* a restart forgets what the discarded sync saw (RTP18a); ABSENT entries already
     * left and are deleted at the end regardless */
    for (size_t i = 0; i < m->count; i++)
        m->residual[i] = m->items[i].action == ABLY_PRESENCE_ACTION_PRESENT;
    m->syncing = true;
}

/* Moves items[i] out of the map as the RTP19 LEAVE for it. */
static ably_presence_message take_as_leave(ably_presence_map *m, size_t i, int64_t now)
{
    ably_presence_message gone = m->items[i];
    m->count--;
    if (i < m->count) {
        m->items[i] = m->items[m->count];
        m->residual[i] = m->residual[m->count];
    }
    gone.action = ABLY_PRESENCE_ACTION_LEAVE;
    free(gone.id);
    gone.id = NULL;
    gone.timestamp = now;
    gone.has_timestamp = true;
    return gone;
}

size_t ably_presence_map_end_sync(ably_presence_map *m, int64_t now, ably_presence_message **leaves)
{
    *leaves = NULL;
    if (!m->syncing)
        return 0; /* RTP18: nothing to end */
    m->syncing = false;
    size_t stale = 0;
    for (size_t i = 0; i < m->count; i++)
        stale += m->residual[i] && m->items[i].action == ABLY_PRESENCE_ACTION_PRESENT;
    ably_presence_message *out = stale ? malloc(stale * sizeof *out) : NULL;
    size_t n = 0;
    for (size_t i = 0; i < m->count;) {
        if (m->items[i].action == ABLY_PRESENCE_ACTION_ABSENT) { /* RTP2h2b */
            remove_at(m, i);
        } else if (m->residual[i]) { /* RTP19 */
            ably_presence_message gone = take_as_leave(m, i, now);
            if (out)
                out[n++] = gone;
            else
                ably_presence_message_clear(&gone); /* out of memory: still removed */
        } else {
            i++;
        }
    }
    *leaves = out;
    return n;
}
