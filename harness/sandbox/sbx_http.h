/* The lws side of the sandbox: one protocol whose HTTP callbacks assemble an
 * sbx_request, dispatch it, and stream the sbx_response back. */
#ifndef SBX_HTTP_H
#define SBX_HTTP_H

#include <libwebsockets.h>

/* The protocol list to give every vhost (terminated). The context's user
 * pointer must be the sbx_server. */
extern const struct lws_protocols sbx_http_protocols[];

#endif
