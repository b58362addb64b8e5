/* REST annotations (RSAN): publish, delete and get, on
 * /channels/<name>/messages/<serial>/annotations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "rest/channel_internal.h"

static int require(const char *value, const char *what, ably_error *err)
{
    if (value && *value)
        return 0;
    ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "annotations: %s is required", what);
    return -1;
}

/* RSAN1c3: data is encoded as a message's would be (RSL4). JSON data only changes
 * type and encoding, so the bytes stay borrowed; *encoding is then the copy's own. */
static int encode_data(ably_annotation *a, char **owned_encoding, ably_format format, ably_error *err)
{
    *owned_encoding = NULL;
    if (a->data.type == ABLY_DATA_NONE || a->data.type == ABLY_DATA_STRING || a->data.type == ABLY_DATA_BINARY)
        return 0;
    if (a->encoding && !(*owned_encoding = strdup(a->encoding)))
        return ably_oom(err);
    if (ably_payload_encode(&a->data, owned_encoding, NULL, format, err) != 0) {
        free(*owned_encoding);
        *owned_encoding = NULL;
        return -1;
    }
    a->encoding = *owned_encoding;
    return 0;
}

/* RSAN1a4: sized as a message would be (TO3l8: name, data, clientId, extras), so the
 * same maxMessageSize check applies; a message-shaped view borrows the fields. */
static int check_annotation_size(ably_rest *rest, const ably_annotation *a, ably_error *err)
{
    ably_message view;
    memset(&view, 0, sizeof view);
    view.name = a->name;
    view.data = a->data;
    view.client_id = a->client_id;
    view.extras = a->extras;
    return ably_check_message_size(rest, &view, 1, err);
}

static int send_annotation(ably_rest_annotations *an, const char *serial, const ably_annotation *annotation,
                           ably_annotation_action action, ably_error *err)
{
    ably_rest_channel *ch = an->channel;
    if (require(serial, "the message serial", err) || !annotation ||
        require(annotation->type, "the annotation type", err)) { /* RSAN1a, RSAN1a3 */
        if (!annotation)
            ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "annotations: the annotation is required");
        return -1;
    }
    if (check_annotation_size(ch->rest, annotation, err) != 0) /* before anything is sent */
        return -1;
    ably_format format = ably_rest_format(ch->rest);
    ably_annotation a = *annotation; /* a shallow copy: the caller's is left alone */
    a.action = action;               /* RSAN1c1, RSAN2a */
    a.has_action = true;
    a.message_serial = (char *)(uintptr_t)serial; /* RSAN1c2 */
    char id[16];
    if (ably_rest_options(ch->rest)->idempotent_rest_publishing && (!a.id || !*a.id)) { /* RSAN1c4 */
        char base[13];
        ably_random_id_base(base);
        snprintf(id, sizeof id, "%s:0", base);
        a.id = id;
    }
    char *encoding = NULL;
    ably_buf path, body;
    ably_buf_init(&path);
    ably_buf_init(&body);
    int rc = encode_data(&a, &encoding, format, err);
    if (rc == 0 && ably_channel_path(ch, serial, "/annotations", &path) != 0)
        rc = ably_oom(err);
    if (rc == 0) /* RSAN1c: an array of one; RSAN1c5: in the client's format */
        rc = ably_encode_array(&ably_annotation_desc, format, &a, 1, &body, err);
    if (rc == 0) {
        ably_rest_call call = {.method = "POST", .path = path.data, .body = body.data, .body_len = body.len,
                               .authenticated = true}; /* RSAN1c6 */
        ably_rest_reply reply;
        ably_rest_reply_init(&reply);
        rc = ably_rest_perform(ch->rest, &call, &reply, err);
        ably_rest_reply_clear(&reply);
    }
    free(encoding);
    ably_buf_free(&path);
    ably_buf_free(&body);
    return rc;
}

int ably_rest_annotations_publish(ably_rest_annotations *an, const char *serial, const ably_annotation *annotation,
                                  ably_error *err)
{
    return send_annotation(an, serial, annotation, ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE, err);
}

int ably_rest_annotations_delete(ably_rest_annotations *an, const char *serial, const ably_annotation *annotation,
                                 ably_error *err)
{
    return send_annotation(an, serial, annotation, ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE, err);
}

/* RSAN3c: decoded annotations; a payload that does not decode keeps its encoding. */
static int decode_annotations(void *ctx, void *items, size_t count, ably_error *err)
{
    (void)err;
    ably_rest_channel *ch = ctx;
    ably_annotation *a = items;
    for (size_t i = 0; i < count; i++) {
        ably_error e = {0};
        if (ably_payload_decode(&a[i].data, &a[i].encoding, NULL, &e) != 0)
            ably_channel_log_decode_failure(ch->rest, ch->name, &e);
        ably_error_clear(&e);
    }
    return 0;
}

int ably_rest_annotations_get(ably_rest_annotations *an, const char *serial, const ably_string_map *params,
                              ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_rest_channel *ch = an->channel;
    if (require(serial, "the message serial", err) != 0) /* RSAN3a */
        return -1;
    ably_buf path;
    ably_buf_init(&path);
    int rc = ably_channel_path(ch, serial, "/annotations", &path) != 0 ? ably_oom(err) : 0;
    if (rc == 0) { /* RSAN3b */
        ably_rest_call call = {.method = "GET", .path = path.data, .query = params, .authenticated = true};
        ably_paginated_kind kind = {.type = &ably_annotation_desc, .hook = decode_annotations, .hook_ctx = ch};
        rc = ably_paginated_fetch(ch->rest, &kind, &call, out, err);
    }
    ably_buf_free(&path);
    return rc;
}
