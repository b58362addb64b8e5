/* REST presence: GET /channels/{channel}/presence (RSP3), .../presence/history
 * (RSP4) and the batch form GET /presence?channels=a,b (RSC24, BGR2, BGF2).
 *
 * Members and events are held as posted (sbx_store.h): the presence fixtures
 * keep their data and encoding, including the member whose data is
 * ciphertext, which clients decrypt themselves (RSP5). */
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRESENCE_DEFAULT_LIMIT 100
#define PRESENCE_MAX_LIMIT 1000

static bool member_matches(const cJSON *m, const char *client_id, const char *connection_id)
{
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(m, "clientId");
    const cJSON *conn = cJSON_GetObjectItemCaseSensitive(m, "connectionId");
    if (client_id && (!cJSON_IsString(cid) || strcmp(cid->valuestring, client_id) != 0))
        return false;
    if (connection_id && (!cJSON_IsString(conn) || strcmp(conn->valuestring, connection_id) != 0))
        return false;
    return true;
}

static char *offset_cursor(int64_t offset)
{
    char raw[40];
    snprintf(raw, sizeof raw, "seq:%" PRId64, offset);
    return sbx_base64_encode((const unsigned char *)raw, strlen(raw), true);
}

static char *presence_link(int64_t limit, const char *filters, int64_t offset, const char *rel)
{
    char *cur = offset > 0 ? offset_cursor(offset) : NULL;
    char *link = sbx_sprintf("<./presence?limit=%" PRId64 "%s%s%s>; rel=\"%s\"", limit, filters,
                             cur ? "&cursor=" : "", cur ? cur : "", rel);
    free(cur);
    return link;
}

/* Link header for presence.get: the filters travel with every link. */
static void presence_links(sbx_response *resp, const sbx_request *req, int64_t limit, int64_t current,
                           int64_t next)
{
    const char *client_id = sbx_query(req, "clientId");
    const char *connection_id = sbx_query(req, "connectionId");
    char *filters = sbx_sprintf("%s%s%s%s", client_id ? "&clientId=" : "", client_id ? client_id : "",
                                connection_id ? "&connectionId=" : "", connection_id ? connection_id : "");
    const char *f = filters ? filters : "";
    char *links[3] = { presence_link(limit, f, 0, "first"), presence_link(limit, f, current, "current"),
                       next >= 0 ? presence_link(limit, f, next, "next") : NULL };
    char *header = sbx_sprintf("%s, %s%s%s", links[0] ? links[0] : "", links[1] ? links[1] : "",
                               links[2] ? ", " : "", links[2] ? links[2] : "");
    if (header)
        sbx_response_header(resp, "link", header);
    free(header);
    free(filters);
    for (int i = 0; i < 3; i++)
        free(links[i]);
}

void sbx_route_presence_get(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    sbx_history_query q;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_SUBSCRIBE) ||
        !sbx_parse_history_query(req, resp, &q)) {
        sbx_principal_clear(&p);
        return;
    }
    const char *client_id = sbx_query(req, "clientId");
    const char *connection_id = sbx_query(req, "connectionId");
    sbx_channel *ch = sbx_channel_get(p.app, name, false);
    cJSON *items = cJSON_CreateArray();
    int64_t skip = q.cursor > 0 ? q.cursor : 0, seen = 0, count = 0, next = -1;
    const cJSON *m;
    if (ch) {
        cJSON_ArrayForEach(m, ch->presence) {
            if (!member_matches(m, client_id, connection_id))
                continue;
            if (seen++ < skip)
                continue;
            if (count == q.limit) {
                next = seen - 1;
                break;
            }
            cJSON_AddItemToArray(items, cJSON_Duplicate(m, true));
            count++;
        }
    }
    sbx_respond_value(req, resp, 200, items);
    presence_links(resp, req, q.limit, skip, next);
    sbx_principal_clear(&p);
}

void sbx_route_presence_history(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    sbx_history_query q;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_HISTORY) ||
        !sbx_parse_history_query(req, resp, &q)) {
        sbx_principal_clear(&p);
        return;
    }
    sbx_channel *ch = sbx_channel_get(p.app, name, false);
    int64_t n = ch ? cJSON_GetArraySize(ch->presence_history) : 0;
    cJSON *items = cJSON_CreateArray();
    int64_t next = -1, count = 0;
    int64_t i = q.cursor >= 0 ? q.cursor : (q.forwards ? 0 : n - 1);
    for (; i >= 0 && i < n; i += q.forwards ? 1 : -1) {
        const cJSON *e = cJSON_GetArrayItem(ch->presence_history, (int)i);
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "timestamp");
        int64_t t = cJSON_IsNumber(ts) ? (int64_t)ts->valuedouble : 0;
        if (t < q.start || t > q.end)
            continue;
        if (count == q.limit) {
            next = i;
            break;
        }
        cJSON_AddItemToArray(items, cJSON_Duplicate(e, true));
        count++;
    }
    sbx_respond_value(req, resp, 200, items);
    sbx_history_links(resp, "history", &q, next);
    sbx_principal_clear(&p);
}

/* ---- batch presence ---- */

static cJSON *channel_members(const sbx_channel *ch)
{
    return ch ? cJSON_Duplicate(ch->presence, true) : cJSON_CreateArray();
}

void sbx_route_batch_presence(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    if (!sbx_require_auth(srv, req, resp, &p)) {
        sbx_principal_clear(&p);
        return;
    }
    const char *list = sbx_query(req, "channels");
    if (!list || !*list) {
        sbx_respond_error(req, resp, 400, 40003, "channels is required");
        sbx_principal_clear(&p);
        return;
    }
    char *copy = sbx_strdup(list);
    cJSON *results = cJSON_CreateArray();
    int ok = 0, failed = 0;
    for (char *save = NULL, *name = copy ? strtok_r(copy, ",", &save) : NULL; name;
         name = strtok_r(NULL, ",", &save)) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "channel", name);
        if (!sbx_cap_permits(p.cap, name, SBX_OP_SUBSCRIBE)) {
            cJSON_AddItemToObject(r, "error", sbx_error_json(401, 40160, "Operation not permitted"));
            failed++;
        } else {
            cJSON_AddItemToObject(r, "presence", channel_members(sbx_channel_get(p.app, name, false)));
            ok++;
        }
        cJSON_AddItemToArray(results, r);
    }
    free(copy);
    sbx_respond_batch(req, resp, 200, results, ok, failed);
    sbx_principal_clear(&p);
}
