/* Mutable messages (RSL15): updateMessage, deleteMessage and appendMessage PATCH
 * a copy of the caller's message, never the message itself (RSL15c). */
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "rest/channel_internal.h"

/* RSL15b: the body is the message, encoded per RSL4 (and RSL5 on an encrypted
 * channel), with `action` and, when given, `version` set. */
static int encode_patch(ably_rest_channel *ch, const ably_message *message, ably_message_action action,
                        const ably_message_operation *op, ably_buf *body, ably_error *err)
{
    ably_message_version version;
    memset(&version, 0, sizeof version);
    if (op) { /* RSL15b7; the copy borrows the caller's strings and map */
        version.client_id = (char *)(uintptr_t)op->client_id;
        version.description = (char *)(uintptr_t)op->description;
        if (op->metadata)
            version.metadata = *op->metadata;
    }
    ably_format format = ably_rest_format(ch->rest);
    ably_outbound o;
    pthread_mutex_lock(&ch->lock);
    int rc = ably_outbound_prepare(&o, message, 1, ch->cipher, false, format, err);
    pthread_mutex_unlock(&ch->lock);
    if (rc != 0)
        return -1;
    o.items[0].action = action; /* RSL15b1 */
    o.items[0].has_action = true;
    o.items[0].version = op ? &version : NULL;
    rc = ably_encode(&ably_message_desc, format, &o.items[0], body, err);
    ably_outbound_clear(&o);
    return rc;
}

static int patch_message(ably_rest_channel *ch, const ably_message *message, ably_message_action action,
                         const ably_message_operation *op, const ably_string_map *params,
                         ably_update_delete_result *result, ably_error *err)
{
    if (!message || !message->serial || !*message->serial) { /* RSL15a */
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400,
                       "the message serial is required to update, delete or append to a message");
        return -1;
    }
    ably_buf path, body;
    ably_buf_init(&path);
    ably_buf_init(&body);
    int rc = ably_channel_path(ch, message->serial, NULL, &path) != 0 ? ably_oom(err) : 0;
    if (rc == 0)
        rc = encode_patch(ch, message, action, op, &body, err);
    if (rc == 0) {
        ably_rest_call call = {.method = "PATCH", .path = path.data, .query = params, .body = body.data,
                               .body_len = body.len, .authenticated = true}; /* RSL15b, RSL15f */
        ably_rest_reply reply;
        ably_rest_reply_init(&reply);
        rc = ably_rest_perform(ch->rest, &call, &reply, err);
        if (rc == 0 && result && reply.body.len) /* RSL15e */
            rc = ably_decode(&ably_update_delete_result_desc, reply.format, reply.body.data, reply.body.len, result,
                             err);
        ably_rest_reply_clear(&reply);
    }
    ably_buf_free(&path);
    ably_buf_free(&body);
    return rc;
}

int ably_rest_channel_update_message(ably_rest_channel *ch, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err)
{
    return patch_message(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE, operation, params, result, err);
}

int ably_rest_channel_delete_message(ably_rest_channel *ch, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err)
{
    return patch_message(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_DELETE, operation, params, result, err);
}

int ably_rest_channel_append_message(ably_rest_channel *ch, const ably_message *message,
                                     const ably_message_operation *operation, const ably_string_map *params,
                                     ably_update_delete_result *result, ably_error *err)
{
    return patch_message(ch, message, ABLY_MESSAGE_ACTION_MESSAGE_APPEND, operation, params, result, err);
}
