/* PresenceMessage#memberKey (TP3h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/rest.h"

char *ably_presence_message_member_key(const ably_presence_message *m)
{
    if (!m || !m->connection_id || !m->client_id)
        return NULL;
    size_t n = strlen(m->connection_id) + 1 + strlen(m->client_id) + 1;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s:%s", m->connection_id, m->client_id);
    return key;
}
