/* Push admin (RSH1): /push/publish, /push/deviceRegistrations,
 * /push/channelSubscriptions and /push/channels over the REST pipeline. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/gen/errors.h"
#include "ably/push_admin.h"
#include "codec/internal.h"
#include "rest/rest_internal.h"

#define DEVICES_PATH "/push/deviceRegistrations"
#define SUBSCRIPTIONS_PATH "/push/channelSubscriptions"

static int invalid(ably_error *err, const char *what)
{
    ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "push admin: %s", what);
    return -1;
}

static int oom(ably_error *err)
{
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    return -1;
}

static bool present(const char *s) { return s && *s; }

/* One request whose reply body is dropped (remove, removeWhere, publish). */
static int perform_void(ably_rest *rest, const char *method, const char *path, const ably_string_map *query,
                        const ably_buf *body, ably_error *err)
{
    ably_rest_call call = {.method = method, .path = path, .query = query, .authenticated = true};
    if (body) {
        call.body = body->data;
        call.body_len = body->len;
    }
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(rest, &call, &reply, err);
    ably_rest_reply_clear(&reply);
    return rc;
}

/* One request whose reply is decoded into *out (a `type` value owning nothing). An
 * empty reply body leaves a copy of `fallback` (what was sent) instead. */
static int perform_value(ably_rest *rest, const char *method, const char *path, const ably_buf *body,
                         const ably_type_desc *type, const void *fallback, void *out, ably_error *err)
{
    ably_rest_call call = {.method = method, .path = path, .authenticated = true};
    if (body) {
        call.body = body->data;
        call.body_len = body->len;
    }
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(rest, &call, &reply, err);
    if (rc == 0 && out) {
        if (reply.body.len)
            rc = ably_decode(type, reply.format, reply.body.data, reply.body.len, out, err);
        else if (fallback)
            rc = ably_value_copy(type, out, fallback, err);
        else
            rc = invalid(err, "empty reply from Ably");
    }
    ably_rest_reply_clear(&reply);
    return rc;
}

/* "/push/deviceRegistrations/<percent-encoded id>" into *path. */
static int device_path(const char *device_id, ably_buf *path, ably_error *err)
{
    if (ably_buf_append_str(path, DEVICES_PATH "/") || ably_url_encode_append(path, device_id))
        return oom(err);
    return 0;
}

/* ---- RSH1a ---- */

/* A JSON object with at least one member, else NULL (the caller reports 40000). */
static cJSON *parse_non_empty_object(const char *json)
{
    if (!json)
        return NULL;
    cJSON *o = codec_json_parse_text(json, strlen(json));
    if (!cJSON_IsObject(o) || !o->child) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int buf_write(void *data, const char *bytes, size_t len)
{
    return ably_buf_append(data, bytes, len);
}

/* {"recipient": recipient, ...data's members} in the client's format. */
static int publish_body(ably_rest *rest, cJSON *recipient, cJSON *data, ably_buf *out, ably_error *err)
{
    cJSON *body = cJSON_CreateObject();
    if (!body)
        return oom(err);
    cJSON_AddItemToObject(body, "recipient", recipient);
    while (data->child) {
        cJSON *member = cJSON_DetachItemViaPointer(data, data->child);
        if (strcmp(member->string, "recipient") == 0) { /* the recipient argument wins */
            cJSON_Delete(member);
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(body, member->string); /* a repeated key: the last wins */
        cJSON_AddItemToObject(body, member->string, member);
    }
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text)
        return oom(err);
    int rc = 0;
    if (ably_rest_format(rest) == ABLY_FORMAT_JSON) {
        rc = ably_buf_append_str(out, text) ? oom(err) : 0;
    } else {
        msgpack_packer pk;
        msgpack_packer_init(&pk, out, buf_write);
        if (codec_mp_pack_json_text(&pk, text, strlen(text)) != 0)
            rc = invalid(err, "the notification could not be encoded");
    }
    free(text);
    return rc;
}

int ably_push_admin_publish(ably_rest *rest, const char *recipient_json, const char *data_json, ably_error *err)
{
    cJSON *recipient = parse_non_empty_object(recipient_json);
    if (!recipient)
        return invalid(err, "the recipient must be a non-empty JSON object");
    cJSON *data = parse_non_empty_object(data_json);
    if (!data) {
        cJSON_Delete(recipient);
        return invalid(err, "the notification data must be a non-empty JSON object");
    }
    ably_buf body;
    ably_buf_init(&body);
    int rc = publish_body(rest, recipient, data, &body, err); /* takes recipient */
    cJSON_Delete(data);
    if (rc == 0)
        rc = perform_void(rest, "POST", "/push/publish", NULL, &body, err);
    ably_buf_free(&body);
    return rc;
}

/* ---- RSH1b ---- */

int ably_push_device_registrations_get(ably_rest *rest, const char *device_id, ably_device_details *out,
                                       ably_error *err)
{
    if (!present(device_id))
        return invalid(err, "a deviceId is required");
    if (!out)
        return invalid(err, "an output DeviceDetails is required");
    ably_buf path;
    ably_buf_init(&path);
    int rc = device_path(device_id, &path, err);
    if (rc == 0)
        rc = perform_value(rest, "GET", path.data, NULL, &ably_device_details_desc, NULL, out, err);
    ably_buf_free(&path);
    return rc;
}

static int fetch_page(ably_rest *rest, const ably_type_desc *type, const char *path, const ably_string_map *params,
                      ably_paginated_result **out, ably_error *err)
{
    ably_rest_call call = {.method = "GET", .path = path, .query = params, .authenticated = true};
    ably_paginated_kind kind = {.type = type};
    return ably_paginated_fetch(rest, &kind, &call, out, err);
}

int ably_push_device_registrations_list(ably_rest *rest, const ably_string_map *params,
                                        ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    return fetch_page(rest, &ably_device_details_desc, DEVICES_PATH, params, out, err);
}

int ably_push_device_registrations_save(ably_rest *rest, const ably_device_details *device,
                                        ably_device_details *out, ably_error *err)
{
    if (!device || !present(device->id))
        return invalid(err, "the device needs an id");
    ably_buf path, body;
    ably_buf_init(&path);
    ably_buf_init(&body);
    int rc = device_path(device->id, &path, err);
    if (rc == 0)
        rc = ably_encode(&ably_device_details_desc, ably_rest_format(rest), device, &body, err);
    if (rc == 0)
        rc = perform_value(rest, "PUT", path.data, &body, &ably_device_details_desc, device, out, err);
    ably_buf_free(&path);
    ably_buf_free(&body);
    return rc;
}

int ably_push_device_registrations_remove(ably_rest *rest, const char *device_id, ably_error *err)
{
    if (!present(device_id))
        return invalid(err, "a deviceId is required");
    ably_buf path;
    ably_buf_init(&path);
    int rc = device_path(device_id, &path, err);
    if (rc == 0)
        rc = perform_void(rest, "DELETE", path.data, NULL, NULL, err);
    ably_buf_free(&path);
    return rc;
}

/* Deleting with no filter at all would wipe every registration: refuse it here. */
static bool has_filter(const ably_string_map *params) { return params && params->count > 0; }

int ably_push_device_registrations_remove_where(ably_rest *rest, const ably_string_map *params, ably_error *err)
{
    if (!has_filter(params))
        return invalid(err, "removeWhere needs at least one filter parameter");
    return perform_void(rest, "DELETE", DEVICES_PATH, params, NULL, err);
}

/* ---- RSH1c ---- */

int ably_push_channel_subscriptions_list(ably_rest *rest, const ably_string_map *params,
                                         ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    return fetch_page(rest, &ably_push_channel_subscription_desc, SUBSCRIPTIONS_PATH, params, out, err);
}

/* An HP page answering with an HTTP error becomes an error of the call. */
static int page_error(ably_paginated_result *page, ably_error *err)
{
    int code = ably_paginated_result_error_code(page);
    int status = ably_paginated_result_status_code(page);
    const char *msg = ably_paginated_result_error_message(page);
    ably_error_set(err, code ? code : status * 100, status, "%s", msg ? msg : "push channels request failed");
    return -1;
}

int ably_push_channel_subscriptions_list_channels(ably_rest *rest, const ably_string_map *params,
                                                  ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    ably_paginated_result *page = NULL;
    /* Items are bare strings, which no generated type describes: the page keeps them
     * as JSON texts (the request() page form). */
    if (fetch_page(rest, NULL, "/push/channels", params, &page, err) != 0)
        return -1;
    if (!ably_paginated_result_success(page)) {
        page_error(page, err);
        ably_paginated_result_free(page);
        return -1;
    }
    *out = page;
    return 0;
}

static int check_subscription(const ably_push_channel_subscription *sub, ably_error *err)
{
    if (!sub || !present(sub->channel))
        return invalid(err, "the subscription needs a channel");
    if (present(sub->device_id) == present(sub->client_id)) /* PCS1: exactly one */
        return invalid(err, "the subscription needs exactly one of deviceId and clientId");
    return 0;
}

int ably_push_channel_subscriptions_save(ably_rest *rest, const ably_push_channel_subscription *sub,
                                         ably_push_channel_subscription *out, ably_error *err)
{
    if (check_subscription(sub, err) != 0)
        return -1;
    ably_buf body;
    ably_buf_init(&body);
    int rc = ably_encode(&ably_push_channel_subscription_desc, ably_rest_format(rest), sub, &body, err);
    if (rc == 0)
        rc = perform_value(rest, "POST", SUBSCRIPTIONS_PATH, &body, &ably_push_channel_subscription_desc, sub, out,
                           err);
    ably_buf_free(&body);
    return rc;
}

int ably_push_channel_subscriptions_remove(ably_rest *rest, const ably_push_channel_subscription *sub,
                                           ably_error *err)
{
    if (check_subscription(sub, err) != 0)
        return -1;
    ably_string_map query = {0};
    int rc = ably_string_map_set(&query, "channel", sub->channel) ||
                     (present(sub->device_id) && ably_string_map_set(&query, "deviceId", sub->device_id)) ||
                     (present(sub->client_id) && ably_string_map_set(&query, "clientId", sub->client_id))
                 ? oom(err)
                 : 0;
    if (rc == 0)
        rc = perform_void(rest, "DELETE", SUBSCRIPTIONS_PATH, &query, NULL, err);
    ably_string_map_clear(&query);
    return rc;
}

int ably_push_channel_subscriptions_remove_where(ably_rest *rest, const ably_string_map *params,
                                                 ably_error *err)
{
    if (!has_filter(params))
        return invalid(err, "removeWhere needs at least one filter parameter");
    return perform_void(rest, "DELETE", SUBSCRIPTIONS_PATH, params, NULL, err);
}

/* ---- typed page helpers ---- */

static const void *items_of(const ably_paginated_result *r, const ably_type_desc *type, size_t *count)
{
    *count = 0;
    if (!r || ably_paginated_result_type(r) != type)
        return NULL;
    return ably_paginated_result_items(r, count);
}

const ably_device_details *ably_paginated_result_devices(const ably_paginated_result *r, size_t *count)
{
    return items_of(r, &ably_device_details_desc, count);
}

const ably_push_channel_subscription *ably_paginated_result_push_subscriptions(const ably_paginated_result *r,
                                                                               size_t *count)
{
    return items_of(r, &ably_push_channel_subscription_desc, count);
}

void ably_push_channel_names_free(char **names, size_t count)
{
    for (size_t i = 0; names && i < count; i++)
        free(names[i]);
    free(names);
}

int ably_push_channel_names(const ably_paginated_result *r, char ***names, size_t *count, ably_error *err)
{
    *names = NULL;
    *count = 0;
    size_t n = 0;
    const char *const *texts = r ? ably_paginated_result_json_items(r, &n) : NULL;
    if (!n)
        return 0;
    char **out = calloc(n, sizeof *out);
    if (!out)
        return oom(err);
    for (size_t i = 0; i < n; i++) {
        cJSON *s = codec_json_parse_text(texts[i], strlen(texts[i]));
        if (cJSON_IsString(s))
            out[i] = strdup(s->valuestring);
        bool ok = cJSON_IsString(s) && out[i];
        bool was_string = cJSON_IsString(s);
        cJSON_Delete(s);
        if (!ok) {
            ably_push_channel_names_free(out, n);
            return was_string ? oom(err) : invalid(err, "a channel name in the page is not a string");
        }
    }
    *names = out;
    *count = n;
    return 0;
}
