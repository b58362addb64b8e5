/* GET /channels/{channel} (RSL8 channel status, minimal until the channel
 * metadata routes are built): ChannelDetails with an occupancy summary. */
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"

void sbx_route_channel_status(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    const char *name = req->params[0];
    if (sbx_require_auth(srv, req, resp, &p) &&
        sbx_require_channel_op(req, resp, &p, name, SBX_OP_CHANNEL_METADATA)) {
        sbx_channel *ch = sbx_channel_get(p.app, name, false);
        int members = ch ? cJSON_GetArraySize(ch->presence) : 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "channelId", name);
        cJSON_AddStringToObject(o, "name", name);
        cJSON *status = cJSON_AddObjectToObject(o, "status");
        cJSON_AddBoolToObject(status, "isActive", ch != NULL);
        cJSON *metrics = cJSON_AddObjectToObject(cJSON_AddObjectToObject(status, "occupancy"), "metrics");
        static const char *const zero[] = { "connections", "publishers", "subscribers",
                                            "presenceConnections", "presenceSubscribers",
                                            "objectPublishers", "objectSubscribers" };
        for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
            cJSON_AddNumberToObject(metrics, zero[i], 0);
        cJSON_AddNumberToObject(metrics, "presenceMembers", members);
        sbx_respond_value(req, resp, 200, o);
    }
    sbx_principal_clear(&p);
}
