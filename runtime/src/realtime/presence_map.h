/* The presence map (RTP2) and its sync lifecycle (RTP18, RTP19). The same structure,
 * keyed by clientId instead of memberKey, is the RTP17 map of this connection's own
 * members (RTP17b, RTP17h). Pure data: no channel, no clock, no events; presence.c
 * decides what to emit from the return values. Not public API.
 *
 * Ownership: the map owns copies of what it stores; callers keep their messages.
 * Threads: none of its own; each map lives on the loop thread (see channels_internal.h).
 */
#ifndef ABLY_RT_PRESENCE_MAP_H
#define ABLY_RT_PRESENCE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/payload.h"

typedef struct {
    ably_presence_message *items; /* owned; action PRESENT, or ABSENT during a sync (RTP2d2, RTP2h2a) */
    size_t count, cap;
    bool syncing;                  /* RTP18: a SYNC is in progress */
    bool *residual;                /* per item, during a sync: present at its start, not seen since (RTP19) */
    bool by_client_id;             /* RTP17h: keyed by clientId alone (the local map) */
} ably_presence_map;

/* An empty map; by_client_id selects the RTP17 keying. A zeroed map is a memberKey map. */
void ably_presence_map_init(ably_presence_map *m, bool by_client_id);
/* Frees the members and the storage; the map is empty (and keeps its keying) afterwards. */
void ably_presence_map_free(ably_presence_map *m);
/* Drops every member and any sync in progress, reporting nothing (RTP5a). */
void ably_presence_map_clear(ably_presence_map *m);

/* RTP2b1: a 'synthesized' message, whose id does not start with its connectionId. */
bool ably_presence_map_is_synthesized(const ably_presence_message *m);
/* RTP2b: whether the incoming message `in` is newer than the stored `old`. */
bool ably_presence_map_newer(const ably_presence_message *in, const ably_presence_message *old);

/* ENTER, UPDATE or PRESENT (RTP2d): stores a copy as PRESENT when it passes the newness
 * check (RTP2a, RTP2c). True when `msg` is to be emitted as it is (RTP2d1). A member
 * found during a sync counts as seen even when the message is stale (RTP19). */
bool ably_presence_map_put(ably_presence_map *m, const ably_presence_message *msg);
/* LEAVE (RTP2h): only acts on an existing member that msg is newer than. Outside a
 * sync the member is deleted and the result is true: emit msg (RTP2h1). During a sync
 * msg is kept as ABSENT and nothing is emitted (RTP2h2a). A clientId-keyed map ignores
 * synthesized leaves (RTP17b) and returns whether it removed the member. */
bool ably_presence_map_remove(ably_presence_map *m, const ably_presence_message *msg);
/* put or remove by msg->action; false for other actions. */
bool ably_presence_map_apply(ably_presence_map *m, const ably_presence_message *msg);

/* The stored member for a memberKey ("connectionId:clientId", TP3h), or for a clientId
 * in a clientId-keyed map; NULL when absent from the map. Owned by the map. */
const ably_presence_message *ably_presence_map_get(const ably_presence_map *m, const char *key);
/* The PRESENT members (ABSENT ones are left out): writes up to cap borrowed pointers to
 * out (NULL with cap 0 only counts) and returns how many there are. */
size_t ably_presence_map_values(const ably_presence_map *m, const ably_presence_message **out, size_t cap);

/* RTP18a, RTP19: begins a sync, or restarts one, marking every PRESENT member as not yet seen. */
void ably_presence_map_start_sync(ably_presence_map *m);
/* RTP18b, RTP19, RTP2h2b: ends the sync. ABSENT members are deleted silently; members
 * not seen during the sync are removed and handed back in *leaves as LEAVE messages
 * with their attributes, id NULL and timestamp `now` (ms since the epoch). Returns
 * their number; *leaves (NULL when 0) belongs to the caller, who clears each message
 * and frees the array. Without a sync in progress nothing changes (returns 0). */
size_t ably_presence_map_end_sync(ably_presence_map *m, int64_t now, ably_presence_message **leaves);

#endif
