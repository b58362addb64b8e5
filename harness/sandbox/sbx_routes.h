/* Every route handler, by module. The table itself is in sbx_routes.c. */
#ifndef SBX_ROUTES_H
#define SBX_ROUTES_H

#include "sbx_server.h"

/* routes_apps.c */
void sbx_route_post_apps(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_delete_app(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_auth.c */
void sbx_route_request_token(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_time.c */
void sbx_route_time(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_messages.c */
void sbx_route_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp);
void sbx_route_history(sbx_server *srv, const sbx_request *req, sbx_response *resp);
/* routes_channels.c */
void sbx_route_channel_status(sbx_server *srv, const sbx_request *req, sbx_response *resp);

#endif
