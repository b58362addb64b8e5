/* The route table. First match wins, so list more specific patterns before
 * greedy ones ({channel+} swallows slashes). */
#include "sbx_routes.h"

#include <stddef.h>

const sbx_route sbx_routes[] = {
    { SBX_GET, "/time", sbx_route_time },
    { SBX_POST, "/apps", sbx_route_post_apps },
    { SBX_DELETE, "/apps/{appId}", sbx_route_delete_app },
    { SBX_POST, "/keys/{keyName}/requestToken", sbx_route_request_token },
    { SBX_POST, "/channels/{channel+}/messages", sbx_route_publish },
    { SBX_GET, "/channels/{channel+}/messages", sbx_route_history },
    { SBX_GET, "/channels/{channel+}", sbx_route_channel_status },
    { SBX_GET, NULL, NULL },
};
