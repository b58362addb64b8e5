/* Reading from a channel: history (RSL2), presence get and history (RSP3, RSP4),
 * getMessage (RSL11) and getMessageVersions (RSL14). Payloads are decoded with
 * the channel's cipher (RSL6, RSP5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "rest/channel_internal.h"

/* GETs `path` as a page of `type`, decoded by `hook` with the channel as context. */
static int fetch_page(ably_rest_channel *ch, const char *path, const ably_string_map *query,
                      const ably_type_desc *type, ably_paginated_item_hook hook, ably_paginated_result **out,
                      ably_error *err)
{
    ably_rest_call call = {.method = "GET", .path = path, .query = query, .authenticated = true};
    ably_paginated_kind kind = {.type = type, .hook = hook, .hook_ctx = ch};
    return ably_paginated_fetch(ch->rest, &kind, &call, out, err);
}

static int history_of(ably_rest_channel *ch, const char *suffix, const ably_history_params *params,
                      const ably_type_desc *type, ably_paginated_item_hook hook, ably_paginated_result **out,
                      ably_error *err)
{
    *out = NULL;
    ably_string_map query = {0};
    ably_buf path;
    ably_buf_init(&path);
    int rc = ably_history_query(params, &query, err);
    if (rc == 0 && ably_channel_path(ch, NULL, suffix, &path) != 0)
        rc = ably_oom(err);
    if (rc == 0)
        rc = fetch_page(ch, path.data, &query, type, hook, out, err);
    ably_buf_free(&path);
    ably_string_map_clear(&query);
    return rc;
}

int ably_rest_channel_history(ably_rest_channel *ch, const ably_history_params *params, ably_paginated_result **out,
                              ably_error *err)
{
    return history_of(ch, "/messages", params, &ably_message_desc, ably_decode_message_items, out, err);
}

int ably_rest_presence_history(ably_rest_presence *presence, const ably_history_params *params,
                               ably_paginated_result **out, ably_error *err)
{
    return history_of(presence->channel, "/presence/history", params, &ably_presence_message_desc,
                      ably_decode_presence_items, out, err);
}

int ably_rest_presence_get(ably_rest_presence *presence, const ably_presence_get_params *params,
                           ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_channel *ch = presence->channel;
    if (params && (params->limit < 0 || params->limit > 1000)) { /* RSP3a1 */
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "presence get: limit must be between 1 and 1000");
        return -1;
    }
    ably_string_map query = {0};
    ably_buf path;
    ably_buf_init(&path);
    int rc = 0;
    char limit[16];
    if (params) {
        snprintf(limit, sizeof limit, "%d", params->limit);
        if ((params->limit && ably_string_map_set(&query, "limit", limit)) ||
            (params->client_id && ably_string_map_set(&query, "clientId", params->client_id)) ||
            (params->connection_id && ably_string_map_set(&query, "connectionId", params->connection_id)))
            rc = ably_oom(err);
    }
    if (rc == 0 && ably_channel_path(ch, NULL, "/presence", &path) != 0)
        rc = ably_oom(err);
    if (rc == 0)
        rc = fetch_page(ch, path.data, &query, &ably_presence_message_desc, ably_decode_presence_items, out, err);
    ably_buf_free(&path);
    ably_string_map_clear(&query);
    return rc;
}

static int require_serial(const char *serial, const char *what, ably_error *err)
{
    if (serial && *serial)
        return 0;
    ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "%s: the message serial is required", what);
    return -1;
}

int ably_rest_channel_get_message(ably_rest_channel *ch, const char *serial, ably_message *out, ably_error *err)
{
    if (require_serial(serial, "getMessage", err) != 0) /* RSL11a */
        return -1;
    ably_buf path;
    ably_buf_init(&path);
    if (ably_channel_path(ch, serial, NULL, &path) != 0) {
        ably_buf_free(&path);
        return ably_oom(err);
    }
    ably_rest_call call = {.method = "GET", .path = path.data, .authenticated = true};
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(ch->rest, &call, &reply, err);
    if (rc == 0)
        rc = ably_decode(&ably_message_desc, reply.format, reply.body.data ? reply.body.data : "", reply.body.len,
                         out, err);
    if (rc == 0)
        ably_decode_message_items(ch, out, 1, err); /* RSL11c */
    ably_rest_reply_clear(&reply);
    ably_buf_free(&path);
    return rc;
}

int ably_rest_channel_get_message_versions(ably_rest_channel *ch, const char *serial,
                                           const ably_string_map *params, ably_paginated_result **out,
                                           ably_error *err)
{
    *out = NULL;
    if (require_serial(serial, "getMessageVersions", err) != 0) /* RSL14a */
        return -1;
    ably_buf path;
    ably_buf_init(&path);
    int rc = ably_channel_path(ch, serial, "/versions", &path) != 0 ? ably_oom(err) : 0;
    if (rc == 0)
        rc = fetch_page(ch, path.data, params, &ably_message_desc, ably_decode_message_items, out, err);
    ably_buf_free(&path);
    return rc;
}

/* ---- typed page items ---- */

static const void *items_of(const ably_paginated_result *page, const ably_type_desc *type, size_t *count)
{
    *count = 0;
    if (!page || ably_paginated_result_type(page) != type)
        return NULL;
    return ably_paginated_result_items(page, count);
}

const ably_message *ably_paginated_result_messages(const ably_paginated_result *page, size_t *count)
{
    return items_of(page, &ably_message_desc, count);
}

const ably_presence_message *ably_paginated_result_presence_messages(const ably_paginated_result *page,
                                                                     size_t *count)
{
    return items_of(page, &ably_presence_message_desc, count);
}

const ably_annotation *ably_paginated_result_annotations(const ably_paginated_result *page, size_t *count)
{
    return items_of(page, &ably_annotation_desc, count);
}
