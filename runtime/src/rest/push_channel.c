/* PushChannel (RSH7) for a REST channel: subscribing the client's clientId to push
 * on the channel and listing the channel's subscriptions, through the same
 * /push/channelSubscriptions routes as push admin (RSH1c). */
#include <stdlib.h>
#include <string.h>

#include "ably/auth.h"
#include "ably/gen/errors.h"
#include "ably/push_admin.h"
#include "rest/channel_internal.h"

#define SUBSCRIPTIONS_PATH "/push/channelSubscriptions"

/* The clientId to act for, malloc'd, or NULL: a wildcard is nobody in particular. */
static char *acting_client_id(ably_rest_channel *ch)
{
    char *id = ably_auth_get_client_id(ably_rest_auth(ch->rest));
    if (id && (!*id || strcmp(id, "*") == 0)) {
        free(id);
        id = NULL;
    }
    return id;
}

/* RSH7b1, RSH7d1. ably-js reports this as 50000 / 500, and so do we. */
static int no_client_id(const char *operation, ably_error *err)
{
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500,
                   "push: %s needs a clientId (set ClientOptions.clientId or use a token with one)", operation);
    return -1;
}

static int oom(ably_error *err)
{
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    return -1;
}

static int perform_dropping_reply(ably_rest *rest, const ably_rest_call *call, ably_error *err)
{
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(rest, call, &reply, err);
    ably_rest_reply_clear(&reply);
    return rc;
}

int ably_rest_channel_push_subscribe_client(ably_rest_channel *channel, ably_error *err)
{
    char *client_id = acting_client_id(channel);
    if (!client_id)
        return no_client_id("subscribeClient", err);
    ably_push_channel_subscription sub = {.client_id = client_id, .channel = channel->name};
    ably_buf body;
    ably_buf_init(&body);
    int rc = ably_encode(&ably_push_channel_subscription_desc, ably_rest_format(channel->rest), &sub, &body, err);
    if (rc == 0) {
        ably_rest_call call = {.method = "POST", .path = SUBSCRIPTIONS_PATH, .body = body.data,
                               .body_len = body.len, .authenticated = true};
        rc = perform_dropping_reply(channel->rest, &call, err);
    }
    ably_buf_free(&body);
    free(client_id);
    return rc;
}

int ably_rest_channel_push_unsubscribe_client(ably_rest_channel *channel, ably_error *err)
{
    char *client_id = acting_client_id(channel);
    if (!client_id)
        return no_client_id("unsubscribeClient", err);
    ably_string_map query = {0};
    int rc = ably_string_map_set(&query, "channel", channel->name) ||
                     ably_string_map_set(&query, "clientId", client_id)
                 ? oom(err)
                 : 0;
    if (rc == 0) {
        ably_rest_call call = {.method = "DELETE", .path = SUBSCRIPTIONS_PATH, .query = &query,
                               .authenticated = true};
        rc = perform_dropping_reply(channel->rest, &call, err);
    }
    ably_string_map_clear(&query);
    free(client_id);
    return rc;
}

/* The caller's params, then this channel's filters over them (RSH7e). */
static int list_query(ably_rest_channel *ch, const ably_string_map *params, ably_string_map *query)
{
    for (size_t i = 0; params && i < params->count; i++)
        if (ably_string_map_set(query, params->items[i].key, params->items[i].value))
            return -1;
    char *client_id = acting_client_id(ch);
    int rc = ably_string_map_set(query, "channel", ch->name) ||
                     (client_id && ably_string_map_set(query, "clientId", client_id)) ||
                     ably_string_map_set(query, "concatFilters", "true")
                 ? -1
                 : 0;
    free(client_id);
    return rc;
}

int ably_rest_channel_push_list_subscriptions(ably_rest_channel *channel, const ably_string_map *params,
                                              ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_string_map query = {0};
    int rc = list_query(channel, params, &query) ? oom(err) : 0;
    if (rc == 0)
        rc = ably_push_channel_subscriptions_list(channel->rest, &query, out, err);
    ably_string_map_clear(&query);
    return rc;
}
