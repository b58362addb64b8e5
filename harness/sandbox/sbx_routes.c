/* The route table. First match wins, so list more specific patterns before
 * greedy ones ({channel+} swallows slashes). */
#include "sbx_routes.h"

#include <stddef.h>

const sbx_route sbx_routes[] = {
    { SBX_GET, "/time", sbx_route_time },
    { SBX_POST, "/apps", sbx_route_post_apps },
    { SBX_DELETE, "/apps/{appId}", sbx_route_delete_app },
    { SBX_POST, "/keys/{keyName}/requestToken", sbx_route_request_token },
    { SBX_POST, "/keys/{keyName}/revokeTokens", sbx_route_revoke_tokens },
    { SBX_POST, "/stats", sbx_route_stats_post },
    { SBX_GET, "/stats", sbx_route_stats_get },
    { SBX_POST, "/channels/{channel+}/messages/{serial}/annotations", sbx_route_annotations_publish },
    { SBX_GET, "/channels/{channel+}/messages/{serial}/annotations", sbx_route_annotations_get },
    { SBX_GET, "/channels/{channel+}/messages/{serial}/versions", sbx_route_message_versions },
    { SBX_GET, "/channels/{channel+}/messages/{serial}", sbx_route_message_get },
    { SBX_PATCH, "/channels/{channel+}/messages/{serial}", sbx_route_message_update },
    { SBX_POST, "/channels/{channel+}/messages", sbx_route_publish },
    { SBX_POST, "/channels/{channel+}/annotations", sbx_route_annotations_publish_any },
    { SBX_GET, "/channels/{channel+}/messages", sbx_route_history },
    { SBX_GET, "/channels/{channel+}/presence/history", sbx_route_presence_history },
    { SBX_GET, "/channels/{channel+}/presence", sbx_route_presence_get },
    { SBX_GET, "/channels/{channel+}", sbx_route_channel_status },
    { SBX_GET, "/channels", sbx_route_channel_list },
    { SBX_POST, "/messages", sbx_route_batch_publish },
    { SBX_GET, "/presence", sbx_route_batch_presence },
    { SBX_POST, "/push/publish", sbx_route_push_publish },
    { SBX_GET, "/push/deviceRegistrations/{deviceId+}", sbx_route_push_device_get },
    { SBX_PUT, "/push/deviceRegistrations/{deviceId+}", sbx_route_push_device_save },
    { SBX_DELETE, "/push/deviceRegistrations/{deviceId+}", sbx_route_push_device_remove },
    { SBX_GET, "/push/deviceRegistrations", sbx_route_push_device_list },
    { SBX_DELETE, "/push/deviceRegistrations", sbx_route_push_device_remove_where },
    { SBX_GET, "/push/channelSubscriptions", sbx_route_push_subscription_list },
    { SBX_POST, "/push/channelSubscriptions", sbx_route_push_subscription_save },
    { SBX_DELETE, "/push/channelSubscriptions", sbx_route_push_subscription_remove },
    { SBX_GET, "/push/channels", sbx_route_push_channels },
    { SBX_GET, NULL, NULL },
};
