/* GET /time (RSC16): the server clock as [ms]. No auth. */
#include "sbx_routes.h"
#include "sbx_util.h"

void sbx_route_time(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    (void)srv;
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)sbx_now_ms()));
    sbx_respond_value(req, resp, 200, arr);
}
