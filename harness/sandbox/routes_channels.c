/* GET /channels/{channel} (RSL8, CHD2, CHS2, CHO2, CHM2): ChannelDetails with
 * status and occupancy; GET /channels: channel enumeration (`prefix`,
 * `by=id` for names only, `limit`, paging with an opaque cursor).
 *
 * A channel is "active" here when the store holds it (something was
 * published, or it has presence members). Occupancy counts what the store
 * knows: presence members now; realtime attachments once they exist. */
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT 1000

static cJSON *channel_details(const char *name, const sbx_channel *ch)
{
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
    return o;
}

void sbx_route_channel_status(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    const char *name = req->params[0];
    if (sbx_require_auth(srv, req, resp, &p) &&
        sbx_require_channel_op(req, resp, &p, name, SBX_OP_CHANNEL_METADATA))
        sbx_respond_value(req, resp, 200, channel_details(name, sbx_channel_get(p.app, name, false)));
    sbx_principal_clear(&p);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names of the app's channels matching prefix and strictly after
 * `after` (NULL: from the start). Pointers into the store; caller frees the array. */
static const char **sorted_channels(const sbx_app *app, const char *prefix, const char *after, size_t *n)
{
    const char **names = calloc(app->channels.count + 1, sizeof *names);
    size_t count = 0, b;
    for (sbx_map_node *node = sbx_map_first(&app->channels, &b); names && node;
         node = sbx_map_next(&app->channels, node, &b)) {
        if (prefix && strncmp(node->key, prefix, strlen(prefix)) != 0)
            continue;
        if (after && strcmp(node->key, after) <= 0)
            continue;
        names[count++] = node->key;
    }
    if (names)
        qsort(names, count, sizeof *names, compare_names);
    *n = count;
    return names;
}

static char *list_link(const char *prefix, bool by_id, int64_t limit, const char *after, const char *rel)
{
    char *cursor = after ? sbx_base64_encode((const unsigned char *)after, strlen(after), true) : NULL;
    char *link = sbx_sprintf("<./channels?limit=%lld%s%s%s%s%s>; rel=\"%s\"", (long long)limit,
                             by_id ? "&by=id" : "", prefix ? "&prefix=" : "", prefix ? prefix : "",
                             cursor ? "&cursor=" : "", cursor ? cursor : "", rel);
    free(cursor);
    return link;
}

void sbx_route_channel_list(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    char *after = NULL;
    if (!sbx_require_auth(srv, req, resp, &p))
        goto done;
    if (!sbx_cap_permits_app_wide(p.cap, SBX_OP_CHANNEL_METADATA)) {
        sbx_respond_error(req, resp, 401, 40160, "Channel enumeration needs channel-metadata on all channels");
        goto done;
    }
    const char *prefix = sbx_query(req, "prefix");
    const char *by = sbx_query(req, "by");
    bool by_id = by && strcmp(by, "id") == 0;
    if (by && !by_id && strcmp(by, "value") != 0) {
        sbx_respond_error(req, resp, 400, 40003, "by must be id or value");
        goto done;
    }
    int64_t limit = LIST_DEFAULT_LIMIT;
    const char *v = sbx_query(req, "limit");
    if (v && *v && (!sbx_parse_i64(v, &limit) || limit < 1 || limit > LIST_MAX_LIMIT)) {
        sbx_respond_error(req, resp, 400, 40003, "limit must be 1..%d", LIST_MAX_LIMIT);
        goto done;
    }
    const char *cursor = sbx_query(req, "cursor");
    if (cursor && *cursor) {
        size_t n;
        after = (char *)sbx_base64_decode(cursor, strlen(cursor), &n);
        if (!after) {
            sbx_respond_error(req, resp, 400, 40011, "Invalid pagination cursor");
            goto done;
        }
    }
    size_t n;
    const char **names = sorted_channels(p.app, prefix && *prefix ? prefix : NULL, after, &n);
    cJSON *items = cJSON_CreateArray();
    size_t shown = n < (size_t)limit ? n : (size_t)limit;
    for (size_t i = 0; names && i < shown; i++) {
        cJSON_AddItemToArray(items, by_id ? cJSON_CreateString(names[i])
                                          : channel_details(names[i], sbx_channel_get(p.app, names[i], false)));
    }
    sbx_respond_value(req, resp, 200, items);
    const char *pfx = prefix && *prefix ? prefix : NULL;
    char *links[3] = { list_link(pfx, by_id, limit, NULL, "first"), list_link(pfx, by_id, limit, after, "current"),
                       shown < n ? list_link(pfx, by_id, limit, names[shown - 1], "next") : NULL };
    char *header = sbx_sprintf("%s, %s%s%s", links[0] ? links[0] : "", links[1] ? links[1] : "",
                               links[2] ? ", " : "", links[2] ? links[2] : "");
    if (header)
        sbx_response_header(resp, "link", header);
    free(header);
    for (int i = 0; i < 3; i++)
        free(links[i]);
    free(names);
done:
    free(after);
    sbx_principal_clear(&p);
}
