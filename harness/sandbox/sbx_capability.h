/* Ably capabilities as a pure value type: parse, match, intersect, print.
 *
 * A capability maps resources to operation sets. Resources:
 *   "*"              every channel without a qualifier
 *   "ns:*"           (any "prefix*") every unqualified channel starting with the prefix
 *   "name"           exactly that channel
 *   "[q]pattern"     channels qualified with [q] (e.g. "[meta]foo") whose name matches pattern
 *   "[*]pattern"     channels with any qualifier or none whose name matches pattern
 * Channel names may start with "[?params]" (channel params, ignored for matching)
 * or "[q?params]" / "[q]" (a qualifier).
 * Operations are a bit set; "*" is every operation.
 *
 * No I/O, no globals: safe from any thread. */
#ifndef SBX_CAPABILITY_H
#define SBX_CAPABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bit order is the lexicographic order of the names (so printing is sorted). */
enum {
    SBX_OP_ANNOTATION_PUBLISH = 1u << 0,
    SBX_OP_ANNOTATION_SUBSCRIBE = 1u << 1,
    SBX_OP_CHANNEL_METADATA = 1u << 2,
    SBX_OP_HISTORY = 1u << 3,
    SBX_OP_MESSAGE_DELETE_ANY = 1u << 4,
    SBX_OP_MESSAGE_DELETE_OWN = 1u << 5,
    SBX_OP_MESSAGE_UPDATE_ANY = 1u << 6,
    SBX_OP_MESSAGE_UPDATE_OWN = 1u << 7,
    SBX_OP_OBJECT_PUBLISH = 1u << 8,
    SBX_OP_OBJECT_SUBSCRIBE = 1u << 9,
    SBX_OP_PRESENCE = 1u << 10,
    SBX_OP_PRIVILEGED_HEADERS = 1u << 11,
    SBX_OP_PUBLISH = 1u << 12,
    SBX_OP_PUSH_ADMIN = 1u << 13,
    SBX_OP_PUSH_SUBSCRIBE = 1u << 14,
    SBX_OP_STATS = 1u << 15,
    SBX_OP_SUBSCRIBE = 1u << 16,
    SBX_OP_ALL = (1u << 17) - 1,
};

typedef struct {
    char *resource; /* owned */
    uint32_t ops;
} sbx_cap_entry;

typedef struct {
    sbx_cap_entry *entries; /* owned, sorted by resource after parse/intersect */
    size_t count;
} sbx_capability;

/* Operation bit for a name ("publish"), SBX_OP_ALL for "*", 0 if unknown. */
uint32_t sbx_cap_op_from_name(const char *name);

/* Parses capability JSON text ({"res":["op",...],...}). On failure returns -1
 * and sets *why to a static description. `out` is initialised either way;
 * release with sbx_cap_clear. */
int sbx_cap_parse(const char *json, sbx_capability *out, const char **why);
void sbx_cap_clear(sbx_capability *cap);

/* True when the capability grants `op` (one bit) on the channel. */
bool sbx_cap_permits(const sbx_capability *cap, const char *channel, uint32_t op);

/* True when `op` is granted on an app-wide resource ("*" or "[*]*"), as
 * stats and channel enumeration require. */
bool sbx_cap_permits_app_wide(const sbx_capability *cap, uint32_t op);

/* The most permissive capability that both allow. `out` may end up empty
 * (count 0): the caller reports 40160. Returns -1 only on allocation failure. */
int sbx_cap_intersect(const sbx_capability *requested, const sbx_capability *allowed,
                      sbx_capability *out);

/* Canonical JSON text: no whitespace, resources and operations sorted,
 * a full set printed as ["*"]. Caller frees. */
char *sbx_cap_to_json(const sbx_capability *cap);

#endif
