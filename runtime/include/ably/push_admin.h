/* Push admin (RSH1): publishing push notifications and administering device
 * registrations and push channel subscriptions through the REST API; and a
 * channel's own push subscriptions by clientId (PushChannel, RSH7).
 *
 *     ably_error err = {0};
 *     ably_push_admin_publish(rest, "{\"clientId\":\"bob\"}",
 *                             "{\"notification\":{\"title\":\"Hi\"}}", &err);
 *
 *     ably_device_details dev;  // from ably/gen/types.h
 *     ably_push_device_registrations_get(rest, "device-1", &dev, &err);
 *     ...
 *     ably_device_details_clear(&dev);
 *
 * In C, `client.push.admin.deviceRegistrations.get(...)` (RSH1, RSH1b, RSH1c) becomes
 * ably_push_device_registrations_get(rest, ...): push admin keeps no state of its own,
 * so every call takes the REST client.
 *
 * Errors: invalid arguments fail before any request with 40000 (statusCode 400);
 * errors from Ably (e.g. 40160 without the push-admin capability, 40400 for an
 * unknown device) are returned as they come.
 *
 * Ownership: argument structs and strings are borrowed for the call. Values written
 * to an `out` struct are the caller's (release with the type's _clear function);
 * pages are the caller's (ably_paginated_result_free).
 * Blocking and thread safety: as for every ably_rest call (see ably/rest.h).
 */
#ifndef ABLY_PUSH_ADMIN_H
#define ABLY_PUSH_ADMIN_H

#include <stddef.h>

#include "ably/error.h"
#include "ably/gen/types.h"
#include "ably/paginated.h"
#include "ably/rest.h"
#include "ably/rest_channel.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RSH1a: POST /push/publish. `recipient_json` is a JSON object naming the target
 * (e.g. {"clientId":"x"}, {"deviceId":"d"} or {"transportType":"apns",
 * "deviceToken":"..."}); `data_json` is a JSON object holding the payload
 * (`notification`, `data`, per-platform overrides), merged into the request body
 * beside `recipient`. NULL, non-object or empty ({}) values fail with 40000. */
int ably_push_admin_publish(ably_rest *rest, const char *recipient_json, const char *data_json, ably_error *err);

/* ---- RSH1b: device registrations ---- */

/* RSH1b1: GET /push/deviceRegistrations/<id>. *out is overwritten (pass one that owns
 * nothing) and filled only on success. Unknown device: 40400 from Ably. */
int ably_push_device_registrations_get(ably_rest *rest, const char *device_id, ably_device_details *out,
                                       ably_error *err);
/* RSH1b2: GET /push/deviceRegistrations with filters such as deviceId, clientId,
 * limit. Items are ably_device_details (ably_paginated_result_devices). */
int ably_push_device_registrations_list(ably_rest *rest, const ably_string_map *params,
                                        ably_paginated_result **out, ably_error *err);
/* RSH1b3: PUT /push/deviceRegistrations/<device->id> with the device; *out (may be
 * NULL) receives the registration as Ably stored it. */
int ably_push_device_registrations_save(ably_rest *rest, const ably_device_details *device,
                                        ably_device_details *out, ably_error *err);
/* RSH1b4: DELETE /push/deviceRegistrations/<id>; succeeds for an unknown device too. */
int ably_push_device_registrations_remove(ably_rest *rest, const char *device_id, ably_error *err);
/* RSH1b5: DELETE /push/deviceRegistrations?<params> (e.g. clientId or deviceId). */
int ably_push_device_registrations_remove_where(ably_rest *rest, const ably_string_map *params, ably_error *err);

/* ---- RSH1c: channel subscriptions ---- */

/* RSH1c1: GET /push/channelSubscriptions with filters such as channel, deviceId,
 * clientId, limit. Items are ably_push_channel_subscription
 * (ably_paginated_result_push_subscriptions). */
int ably_push_channel_subscriptions_list(ably_rest *rest, const ably_string_map *params,
                                         ably_paginated_result **out, ably_error *err);
/* RSH1c2: GET /push/channels (params may be NULL). The page's items are JSON texts,
 * one JSON string per channel name (ably_paginated_result_json_items); use
 * ably_push_channel_names for plain C strings. Later pages fetched with
 * ably_paginated_result_next report HTTP errors through the page
 * (ably_paginated_result_success), as request() pages do. */
int ably_push_channel_subscriptions_list_channels(ably_rest *rest, const ably_string_map *params,
                                                  ably_paginated_result **out, ably_error *err);
/* RSH1c3: POST /push/channelSubscriptions. The subscription needs a channel and
 * exactly one of deviceId / clientId (PCS1), else 40000. *out (may be NULL) receives
 * the subscription as Ably stored it. */
int ably_push_channel_subscriptions_save(ably_rest *rest, const ably_push_channel_subscription *sub,
                                         ably_push_channel_subscription *out, ably_error *err);
/* RSH1c4: DELETE /push/channelSubscriptions with the subscription's fields as the
 * query; succeeds when nothing matches. */
int ably_push_channel_subscriptions_remove(ably_rest *rest, const ably_push_channel_subscription *sub,
                                           ably_error *err);
/* RSH1c5: DELETE /push/channelSubscriptions?<params>. */
int ably_push_channel_subscriptions_remove_where(ably_rest *rest, const ably_string_map *params,
                                                 ably_error *err);

/* ---- RSH7: a channel's push subscriptions (PushChannel, `channel.push`) ----
 *
 * The client-id forms of PushChannel. This client never is a push target itself
 * (no LocalDevice, RSH8), so the identity used is the client's own clientId
 * (ably_auth_get_client_id: ClientOptions.clientId, or the clientId of the token in
 * use); the device forms, subscribeDevice / unsubscribeDevice (RSH7a, RSH7c), need
 * a registered device and do not exist here.
 * Without a clientId (none, or the wildcard "*"), subscribe/unsubscribe fail with
 * 50000 (statusCode 500) before any request, as ably-js does. */

/* RSH7b: POST /push/channelSubscriptions {channel, clientId}. */
int ably_rest_channel_push_subscribe_client(ably_rest_channel *channel, ably_error *err);
/* RSH7d: DELETE /push/channelSubscriptions?channel=<name>&clientId=<clientId>. */
int ably_rest_channel_push_unsubscribe_client(ably_rest_channel *channel, ably_error *err);
/* RSH7e: GET /push/channelSubscriptions with `params` (may be NULL) plus this
 * channel's name, the clientId when there is one, and concatFilters=true (those
 * replace any same-named entry of `params`). Items are ably_push_channel_subscription
 * (ably_paginated_result_push_subscriptions). */
int ably_rest_channel_push_list_subscriptions(ably_rest_channel *channel, const ably_string_map *params,
                                              ably_paginated_result **out, ably_error *err);

/* ---- typed page helpers ---- */

/* The items when the page holds that type, else NULL with *count = 0. Owned by the page. */
const ably_device_details *ably_paginated_result_devices(const ably_paginated_result *r, size_t *count);
const ably_push_channel_subscription *ably_paginated_result_push_subscriptions(const ably_paginated_result *r,
                                                                               size_t *count);
/* The channel names of a list_channels page as a new array of new strings (the
 * caller frees them with ably_push_channel_names_free). 0, or -1 with *err (40000
 * when an item is not a JSON string). */
int ably_push_channel_names(const ably_paginated_result *r, char ***names, size_t *count, ably_error *err);
void ably_push_channel_names_free(char **names, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_PUSH_ADMIN_H */
