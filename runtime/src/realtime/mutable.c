/* Realtime mutable messages: getMessage / getMessageVersions through the REST half
 * (RTL28, RTL31), and update / delete / append as MESSAGE frames acknowledged like a
 * publish (RTL32). */
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "realtime/channels_internal.h"
#include "rest/rest_core.h"

static int rest_channel(ably_realtime_channel *ch, ably_rest_channel **out, ably_error *err)
{
    return ably_rest_channels_get(ch->rt->rest, ch->name, NULL, out, err);
}

int ably_realtime_channel_get_message(ably_realtime_channel *ch, const char *serial, ably_message *out,
                                      ably_error *err)
{
    ably_rest_channel *rch;
    return rest_channel(ch, &rch, err) != 0 ? -1 : ably_rest_channel_get_message(rch, serial, out, err);
}

int ably_realtime_channel_get_message_versions(ably_realtime_channel *ch, const char *serial,
                                               const ably_string_map *params, ably_paginated_result **out,
                                               ably_error *err)
{
    *out = NULL;
    ably_rest_channel *rch;
    return rest_channel(ch, &rch, err) != 0 ? -1
                                            : ably_rest_channel_get_message_versions(rch, serial, params, out, err);
}

typedef struct {
    ably_realtime_channel *ch;
    ably_message msg;        /* owned copy, action and version set */
    ably_string_map params;  /* owned copy (RTL32e) */
    ably_update_delete_fn cb;
    void *ctx;
} mutate_cmd;

static void mutate_cmd_free(void *arg)
{
    mutate_cmd *c = arg;
    ably_message_clear(&c->msg);
    ably_string_map_clear(&c->params);
    free(c);
}

static void fail(ably_update_delete_fn cb, void *ctx, int code, int status, const char *msg)
{
    if (!cb)
        return;
    ably_error e;
    ably_ch_make_error(&e, code, status, msg);
    cb(ctx, &e, NULL);
    ably_error_clear(&e);
}

/* The ACK's first serial is the new version's (RTL32d). */
static void on_mutate_ack(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    mutate_cmd *c = ctx; /* only cb / ctx are still set: the message went with the frame */
    if (c->cb) {
        ably_update_delete_result r = {.version_serial = res && res->serials_count ? res->serials[0] : NULL};
        c->cb(c->ctx, err, err ? NULL : &r);
    }
    free(c);
}

static void run_mutate(ably_realtime *rt, void *arg)
{
    mutate_cmd *c = arg;
    ably_realtime_channel *ch = c->ch;
    if (!c->msg.serial || !*c->msg.serial) { /* RTL32a */
        fail(c->cb, c->ctx, ABLY_ERR_INVALID_PARAMETER_VALUE, 400,
             "the message serial is required to update, delete or append to a message");
        mutate_cmd_free(c);
        return;
    }
    if (ch->state == ABLY_CHANNEL_SUSPENDED || ch->state == ABLY_CHANNEL_FAILED) { /* as RTL6c4 */
        fail(c->cb, c->ctx, ABLY_ERR_CHANNEL_OPERATION_FAILED_INVALID_CHANNEL_STATE, 400,
             "cannot change a message on a SUSPENDED or FAILED channel");
        mutate_cmd_free(c);
        return;
    }
    ably_error err;
    ably_error_init(&err);
    ably_format fmt = rt->frame_binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    ably_message *items = malloc(sizeof *items);
    if (!items || ably_payload_encode(&c->msg.data, &c->msg.encoding, ch->cipher, fmt, &err) != 0) {
        if (!items)
            ably_error_set(&err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (c->cb)
            c->cb(c->ctx, &err, NULL);
        ably_error_clear(&err);
        free(items);
        mutate_cmd_free(c);
        return;
    }
    *items = c->msg; /* handed over to the frame */
    ably_message_init(&c->msg);
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE; /* RTL32b */
    pm.has_action = true;
    pm.messages = items;
    pm.messages_count = 1;
    pm.params = c->params; /* RTL32e: handed over */
    memset(&c->params, 0, sizeof c->params);
    ably_ch_send_tracked_owned(ch, &pm, on_mutate_ack, c, mutate_cmd_free);
}

static int copy_operation(ably_message *m, const ably_message_operation *op)
{
    ably_message_version_clear(m->version);
    free(m->version);
    m->version = NULL;
    if (!op)
        return 0;
    ably_message_version *v = calloc(1, sizeof *v); /* RTL32b2 */
    if (!v)
        return -1;
    ably_message_version_init(v);
    m->version = v;
    if ((op->client_id && !(v->client_id = strdup(op->client_id))) ||
        (op->description && !(v->description = strdup(op->description))))
        return -1;
    for (size_t i = 0; op->metadata && i < op->metadata->count; i++)
        if (ably_string_map_set(&v->metadata, op->metadata->items[i].key, op->metadata->items[i].value) != 0)
            return -1;
    return 0;
}

static void post_mutation(ably_realtime_channel *ch, const ably_message *message, ably_message_action action,
                          const ably_message_operation *op, const ably_string_map *params, ably_update_delete_fn cb,
                          void *ctx)
{
    mutate_cmd *c = calloc(1, sizeof *c);
    bool ok = c != NULL;
    if (ok) {
        ably_message_init(&c->msg);
        ok = !message || ably_message_copy(&c->msg, message, NULL) == 0; /* RTL32c: the copy is changed */
        if (!ok)
            ably_message_init(&c->msg);
    }
    if (ok) {
        c->msg.action = action; /* RTL32b1 */
        c->msg.has_action = true;
        ok = copy_operation(&c->msg, op) == 0;
    }
    for (size_t i = 0; ok && params && i < params->count; i++)
        ok = ably_string_map_set(&c->params, params->items[i].key, params->items[i].value) == 0;
    if (!ok) {
        if (c)
            mutate_cmd_free(c);
        fail(cb, ctx, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return;
    }
    c->ch = ch;
    c->cb = cb;
    c->ctx = ctx;
    ably_rt_post(ch->rt, run_mutate, mutate_cmd_free, c);
}

void ably_realtime_channel_update_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx)
{
    post_mutation(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE, operation, params, cb, ctx);
}

void ably_realtime_channel_delete_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx)
{
    post_mutation(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_DELETE, operation, params, cb, ctx);
}

void ably_realtime_channel_append_message(ably_realtime_channel *ch, const ably_message *message,
                                          const ably_message_operation *operation, const ably_string_map *params,
                                          ably_update_delete_fn cb, void *ctx)
{
    post_mutation(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_APPEND, operation, params, cb, ctx);
}
