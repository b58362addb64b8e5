/* Push admin routes (RSH1): /push/publish, /push/deviceRegistrations[/{id}],
 * /push/channelSubscriptions, /push/channels.
 *
 * State lives on the app as cJSON arrays (sbx_app.push_devices,
 * push_subscriptions, push_published), in insertion order. Nothing is delivered:
 * publish validates and records the request.
 *
 * Capabilities: device registrations, publish and channel enumeration need
 * `push-admin` on some resource of the key; channel subscriptions accept
 * `push-admin` on the channel, or `push-subscribe` on it for the caller's own
 * clientId. Anything else is 401 / 40160. Invalid bodies and parameters are
 * 400 / 40000 (40003 for limit, 40011 for a cursor). Lists page with `limit`
 * (default 100, max 1000) and an opaque `cursor`, announced in relative Link
 * headers like the other list routes. */
#include <stdlib.h>
#include <string.h>

#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#define PUSH_DEFAULT_LIMIT 100
#define PUSH_MAX_LIMIT 1000
#define PUSH_MAX_PUBLISHED 100 /* recorded /push/publish bodies kept per app */

/* ---- small helpers ---- */

static bool has_push_admin(const sbx_principal *p)
{
    for (size_t i = 0; i < p->cap->count; i++)
        if (p->cap->entries[i].ops & SBX_OP_PUSH_ADMIN)
            return true;
    return false;
}

static bool require_push_admin(const sbx_request *req, sbx_response *resp, const sbx_principal *p)
{
    if (has_push_admin(p))
        return true;
    sbx_respond_error(req, resp, 401, 40160, "Push admin operations need the push-admin capability");
    return false;
}

static const char *jstring(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static bool same(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* True when `value` (NULL: no filter) matches the item's string field. */
static bool field_matches(const cJSON *item, const char *key, const char *value)
{
    return !value || !*value || same(jstring(item, key), value);
}

/* ---- paging ---- */

typedef struct {
    int64_t limit;
    int64_t offset; /* index of the first item of this page */
} push_page;

static bool parse_page(const sbx_request *req, sbx_response *resp, push_page *pg)
{
    pg->limit = PUSH_DEFAULT_LIMIT;
    pg->offset = 0;
    const char *v = sbx_query(req, "limit");
    if (v && *v && (!sbx_parse_i64(v, &pg->limit) || pg->limit < 1 || pg->limit > PUSH_MAX_LIMIT)) {
        sbx_respond_error(req, resp, 400, 40003, "limit must be 1..%d", PUSH_MAX_LIMIT);
        return false;
    }
    v = sbx_query(req, "cursor");
    if (v && *v && (!sbx_parse_i64(v, &pg->offset) || pg->offset < 0)) {
        sbx_respond_error(req, resp, 400, 40011, "Invalid pagination cursor");
        return false;
    }
    return true;
}

/* Appends "&name=value" with the value percent-encoded. */
static void append_param(char **acc, const char *name, const char *value)
{
    if (!*acc || !value || !*value)
        return;
    size_t n = strlen(value);
    char *enc = malloc(n * 3 + 1);
    if (!enc) {
        free(*acc);
        *acc = NULL;
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    char *o = enc;
    for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-_.~", *s)) {
            *o++ = (char)*s;
        } else {
            *o++ = '%';
            *o++ = hex[*s >> 4];
            *o++ = hex[*s & 15];
        }
    }
    *o = 0;
    char *next = sbx_sprintf("%s&%s=%s", *acc, name, enc);
    free(enc);
    free(*acc);
    *acc = next;
}

/* Link header: first, current and (when more items follow) next, repeating the
 * request's filters so that each link is self-contained. */
static void page_links(const sbx_request *req, sbx_response *resp, const char *base, const char *const *filters,
                       const push_page *pg, bool more)
{
    char *q = sbx_sprintf("limit=%lld", (long long)pg->limit);
    for (size_t i = 0; filters[i]; i++)
        append_param(&q, filters[i], sbx_query(req, filters[i]));
    if (!q)
        return;
    char *header = more ? sbx_sprintf("<./%s?%s>; rel=\"first\", <./%s?%s&cursor=%lld>; rel=\"current\", "
                                      "<./%s?%s&cursor=%lld>; rel=\"next\"",
                                      base, q, base, q, (long long)pg->offset, base, q,
                                      (long long)(pg->offset + pg->limit))
                        : sbx_sprintf("<./%s?%s>; rel=\"first\", <./%s?%s&cursor=%lld>; rel=\"current\"", base, q,
                                      base, q, (long long)pg->offset);
    if (header)
        sbx_response_header(resp, "link", header);
    free(header);
    free(q);
}

/* Answers with the page of `matches` (taken) that pg selects. */
static void respond_page(const sbx_request *req, sbx_response *resp, const char *base, const char *const *filters,
                         const push_page *pg, cJSON *matches)
{
    int total = cJSON_GetArraySize(matches);
    cJSON *items = cJSON_CreateArray();
    int64_t end = pg->offset + pg->limit;
    int64_t i = 0;
    for (cJSON *it = matches ? matches->child : NULL; it && i < end; it = it->next, i++)
        if (i >= pg->offset)
            cJSON_AddItemToArray(items, cJSON_Duplicate(it, true));
    cJSON_Delete(matches);
    page_links(req, resp, base, filters, pg, end < total);
    sbx_respond_value(req, resp, 200, items);
}

/* ---- POST /push/publish (RSH1a) ---- */

static bool valid_recipient(const cJSON *r)
{
    if (!cJSON_IsObject(r) || !r->child)
        return false;
    if (jstring(r, "clientId") || jstring(r, "deviceId"))
        return true;
    const char *transport = jstring(r, "transportType");
    if (!transport)
        return false;
    if (same(transport, "apns"))
        return jstring(r, "deviceToken") != NULL;
    if (same(transport, "fcm") || same(transport, "gcm"))
        return jstring(r, "registrationToken") != NULL;
    if (same(transport, "ablyChannel"))
        return jstring(r, "channel") != NULL;
    if (same(transport, "web"))
        return jstring(r, "targetUrl") != NULL;
    return false;
}

/* Something to deliver besides the recipient. */
static bool has_payload(const cJSON *body)
{
    for (const cJSON *it = body->child; it; it = it->next)
        if (strcmp(it->string, "recipient") != 0 && !(cJSON_IsObject(it) && !it->child))
            return true;
    return false;
}

static void record_publish(sbx_app *app, const cJSON *body)
{
    while (cJSON_GetArraySize(app->push_published) >= PUSH_MAX_PUBLISHED)
        cJSON_DeleteItemFromArray(app->push_published, 0);
    cJSON_AddItemToArray(app->push_published, cJSON_Duplicate(body, true));
}

void sbx_route_push_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    cJSON *body = NULL;
    if (!sbx_require_auth(srv, req, resp, &p) || !require_push_admin(req, resp, &p))
        goto done;
    if (!(body = sbx_request_body(req, resp)))
        goto done;
    if (!cJSON_IsObject(body) || !valid_recipient(cJSON_GetObjectItemCaseSensitive(body, "recipient"))) {
        sbx_respond_error(req, resp, 400, 40000, "Invalid recipient: clientId, deviceId or a transport address");
        goto done;
    }
    if (!has_payload(body)) {
        sbx_respond_error(req, resp, 400, 40000, "Push publish needs a notification or data");
        goto done;
    }
    record_publish(p.app, body);
    sbx_respond_empty(resp, 201); /* accepted; like Ably, no body */
done:
    cJSON_Delete(body);
    sbx_principal_clear(&p);
}

/* ---- device registrations (RSH1b) ---- */

static cJSON *find_device(sbx_app *app, const char *id)
{
    for (cJSON *it = app->push_devices->child; it; it = it->next)
        if (same(jstring(it, "id"), id))
            return it;
    return NULL;
}

static bool one_of(const char *v, const char *const *allowed)
{
    for (size_t i = 0; v && allowed[i]; i++)
        if (strcmp(v, allowed[i]) == 0)
            return true;
    return false;
}

/* PCD: id, platform, formFactor and push.recipient.transportType are required. */
static const char *device_problem(const cJSON *d, const char *path_id)
{
    static const char *const platforms[] = {"android", "ios", "browser", NULL};
    static const char *const factors[] = {"phone", "tablet", "desktop", "tv", "watch", "car", "embedded", "other",
                                          NULL};
    if (!cJSON_IsObject(d))
        return "the body must be a DeviceDetails object";
    const char *id = jstring(d, "id");
    if (id && !same(id, path_id))
        return "the device id does not match the path";
    if (!one_of(jstring(d, "platform"), platforms))
        return "platform must be android, ios or browser";
    if (!one_of(jstring(d, "formFactor"), factors))
        return "formFactor is missing or unknown";
    const cJSON *push = cJSON_GetObjectItemCaseSensitive(d, "push");
    const cJSON *recipient = cJSON_GetObjectItemCaseSensitive(push, "recipient");
    if (!cJSON_IsObject(recipient) || !jstring(recipient, "transportType"))
        return "push.recipient with a transportType is required";
    return NULL;
}

/* The stored form: the body as sent with its id, state ACTIVE unless given, and
 * no deviceSecret (it is never served back). */
static cJSON *device_record(const cJSON *body, const char *id)
{
    cJSON *d = cJSON_Duplicate(body, true);
    if (!d)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(d, "deviceSecret");
    if (!jstring(d, "id")) {
        cJSON_DeleteItemFromObjectCaseSensitive(d, "id");
        cJSON_AddStringToObject(d, "id", id);
    }
    cJSON *push = cJSON_GetObjectItemCaseSensitive(d, "push");
    if (!jstring(push, "state")) {
        cJSON_DeleteItemFromObjectCaseSensitive(push, "state");
        cJSON_AddStringToObject(push, "state", "ACTIVE");
    }
    return d;
}

void sbx_route_push_device_save(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    cJSON *body = NULL;
    const char *id = req->params[0];
    if (!sbx_require_auth(srv, req, resp, &p) || !require_push_admin(req, resp, &p))
        goto done;
    if (!(body = sbx_request_body(req, resp)))
        goto done;
    const char *problem = device_problem(body, id);
    if (problem) {
        sbx_respond_error(req, resp, 400, 40000, "Invalid device registration: %s", problem);
        goto done;
    }
    cJSON *record = device_record(body, id);
    if (!record) {
        sbx_respond_error(req, resp, 500, 50000, "out of memory");
        goto done;
    }
    cJSON *old = find_device(p.app, id);
    if (old)
        cJSON_ReplaceItemViaPointer(p.app->push_devices, old, record);
    else
        cJSON_AddItemToArray(p.app->push_devices, record);
    sbx_respond_value(req, resp, 200, cJSON_Duplicate(record, true));
done:
    cJSON_Delete(body);
    sbx_principal_clear(&p);
}

void sbx_route_push_device_get(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    if (sbx_require_auth(srv, req, resp, &p) && require_push_admin(req, resp, &p)) {
        const cJSON *d = find_device(p.app, req->params[0]);
        if (d)
            sbx_respond_value(req, resp, 200, cJSON_Duplicate(d, true));
        else
            sbx_respond_error(req, resp, 404, 40400, "Device registration not found");
    }
    sbx_principal_clear(&p);
}

/* Drops every subscription of the device (a removed device receives nothing). */
static void drop_device_subscriptions(sbx_app *app, const char *device_id)
{
    cJSON *it = app->push_subscriptions->child;
    while (it) {
        cJSON *next = it->next;
        if (same(jstring(it, "deviceId"), device_id))
            cJSON_Delete(cJSON_DetachItemViaPointer(app->push_subscriptions, it));
        it = next;
    }
}

static void remove_device(sbx_app *app, cJSON *d)
{
    char *id = sbx_strdup(jstring(d, "id"));
    cJSON_Delete(cJSON_DetachItemViaPointer(app->push_devices, d));
    if (id)
        drop_device_subscriptions(app, id);
    free(id);
}

void sbx_route_push_device_remove(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    if (sbx_require_auth(srv, req, resp, &p) && require_push_admin(req, resp, &p)) {
        cJSON *d = find_device(p.app, req->params[0]);
        if (d)
            remove_device(p.app, d);
        sbx_respond_empty(resp, 204); /* RSH1b4: unknown devices too */
    }
    sbx_principal_clear(&p);
}

static bool device_matches(const sbx_request *req, const cJSON *d)
{
    return field_matches(d, "id", sbx_query(req, "deviceId")) &&
           field_matches(d, "clientId", sbx_query(req, "clientId"));
}

static const char *const device_filters[] = {"deviceId", "clientId", NULL};

void sbx_route_push_device_list(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    push_page pg;
    if (sbx_require_auth(srv, req, resp, &p) && require_push_admin(req, resp, &p) && parse_page(req, resp, &pg)) {
        cJSON *matches = cJSON_CreateArray();
        for (const cJSON *d = p.app->push_devices->child; d; d = d->next)
            if (device_matches(req, d))
                cJSON_AddItemReferenceToArray(matches, (cJSON *)d);
        respond_page(req, resp, "deviceRegistrations", device_filters, &pg, matches);
    }
    sbx_principal_clear(&p);
}

static bool any_filter(const sbx_request *req, const char *const *filters)
{
    for (size_t i = 0; filters[i]; i++) {
        const char *v = sbx_query(req, filters[i]);
        if (v && *v)
            return true;
    }
    return false;
}

void sbx_route_push_device_remove_where(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    if (!sbx_require_auth(srv, req, resp, &p) || !require_push_admin(req, resp, &p))
        goto done;
    if (!any_filter(req, device_filters)) {
        sbx_respond_error(req, resp, 400, 40000, "deviceId or clientId is required");
        goto done;
    }
    cJSON *d = p.app->push_devices->child;
    while (d) {
        cJSON *next = d->next;
        if (device_matches(req, d))
            remove_device(p.app, d);
        d = next;
    }
    sbx_respond_empty(resp, 204); /* RSH1b5: also when nothing matched */
done:
    sbx_principal_clear(&p);
}

/* ---- channel subscriptions (RSH1c) ---- */

/* push-admin on the channel, or push-subscribe on it for the caller's own clientId. */
static bool may_manage(const sbx_principal *p, const char *channel, const char *client_id)
{
    if (channel ? sbx_cap_permits(p->cap, channel, SBX_OP_PUSH_ADMIN) : has_push_admin(p))
        return true;
    return channel && client_id && sbx_cap_permits(p->cap, channel, SBX_OP_PUSH_SUBSCRIBE) &&
           (same(p->client_id, client_id) || same(p->client_id, "*"));
}

static bool require_manage(const sbx_request *req, sbx_response *resp, const sbx_principal *p, const char *channel,
                           const char *client_id)
{
    if (may_manage(p, channel, client_id))
        return true;
    sbx_respond_error(req, resp, 401, 40160, "Not permitted to manage push subscriptions%s%s",
                      channel ? " on " : "", channel ? channel : "");
    return false;
}

static bool same_subscription(const cJSON *a, const cJSON *b)
{
    const char *da = jstring(a, "deviceId"), *db = jstring(b, "deviceId");
    const char *ca = jstring(a, "clientId"), *cb = jstring(b, "clientId");
    return same(jstring(a, "channel"), jstring(b, "channel")) && (da ? same(da, db) : !db) &&
           (ca ? same(ca, cb) : !cb);
}

static const char *subscription_problem(const sbx_app *app, const cJSON *s)
{
    if (!cJSON_IsObject(s) || !jstring(s, "channel"))
        return "channel is required";
    const char *device = jstring(s, "deviceId");
    if (!device == !jstring(s, "clientId"))
        return "exactly one of deviceId and clientId is required";
    if (device && !find_device((sbx_app *)app, device))
        return "the device is not registered";
    return NULL;
}

void sbx_route_push_subscription_save(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    cJSON *body = NULL;
    if (!sbx_require_auth(srv, req, resp, &p) || !(body = sbx_request_body(req, resp)))
        goto done;
    const char *problem = subscription_problem(p.app, body);
    if (problem) {
        sbx_respond_error(req, resp, 400, 40000, "Invalid channel subscription: %s", problem);
        goto done;
    }
    if (!require_manage(req, resp, &p, jstring(body, "channel"), jstring(body, "clientId")))
        goto done;
    cJSON *record = cJSON_CreateObject();
    static const char *const fields[] = {"channel", "deviceId", "clientId"};
    for (size_t i = 0; i < 3; i++)
        if (jstring(body, fields[i]))
            cJSON_AddStringToObject(record, fields[i], jstring(body, fields[i]));
    cJSON *old = NULL;
    for (cJSON *it = p.app->push_subscriptions->child; it && !old; it = it->next)
        if (same_subscription(it, record))
            old = it;
    if (old)
        cJSON_ReplaceItemViaPointer(p.app->push_subscriptions, old, record);
    else
        cJSON_AddItemToArray(p.app->push_subscriptions, record);
    sbx_respond_value(req, resp, 201, cJSON_Duplicate(record, true));
done:
    cJSON_Delete(body);
    sbx_principal_clear(&p);
}

/* Filters channel, deviceId, clientId; with concatFilters=true a subscription
 * matches on either deviceId or clientId (how a device lists its own and its
 * client's subscriptions), else on all given. */
static bool subscription_matches(const sbx_request *req, const cJSON *s)
{
    if (!field_matches(s, "channel", sbx_query(req, "channel")))
        return false;
    const char *device = sbx_query(req, "deviceId"), *client = sbx_query(req, "clientId");
    const char *concat = sbx_query(req, "concatFilters");
    if (same(concat, "true") && device && *device && client && *client)
        return same(jstring(s, "deviceId"), device) || same(jstring(s, "clientId"), client);
    return field_matches(s, "deviceId", device) && field_matches(s, "clientId", client);
}

static const char *const subscription_filters[] = {"channel", "deviceId", "clientId", "concatFilters", NULL};

void sbx_route_push_subscription_list(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    push_page pg;
    const char *channel = sbx_query(req, "channel");
    if (sbx_require_auth(srv, req, resp, &p) &&
        require_manage(req, resp, &p, channel && *channel ? channel : NULL, sbx_query(req, "clientId")) &&
        parse_page(req, resp, &pg)) {
        cJSON *matches = cJSON_CreateArray();
        for (const cJSON *s = p.app->push_subscriptions->child; s; s = s->next)
            if (subscription_matches(req, s))
                cJSON_AddItemReferenceToArray(matches, (cJSON *)s);
        respond_page(req, resp, "channelSubscriptions", subscription_filters, &pg, matches);
    }
    sbx_principal_clear(&p);
}

void sbx_route_push_subscription_remove(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    const char *channel = sbx_query(req, "channel");
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !require_manage(req, resp, &p, channel && *channel ? channel : NULL, sbx_query(req, "clientId")))
        goto done;
    if (!any_filter(req, subscription_filters)) {
        sbx_respond_error(req, resp, 400, 40000, "channel, deviceId or clientId is required");
        goto done;
    }
    cJSON *s = p.app->push_subscriptions->child;
    while (s) {
        cJSON *next = s->next;
        if (subscription_matches(req, s))
            cJSON_Delete(cJSON_DetachItemViaPointer(p.app->push_subscriptions, s));
        s = next;
    }
    sbx_respond_empty(resp, 204); /* RSH1c4, RSH1c5: also when nothing matched */
done:
    sbx_principal_clear(&p);
}

/* ---- GET /push/channels (RSH1c2) ---- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sbx_route_push_channels(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    push_page pg;
    if (!sbx_require_auth(srv, req, resp, &p) || !require_push_admin(req, resp, &p) || !parse_page(req, resp, &pg))
        goto done;
    int n = cJSON_GetArraySize(p.app->push_subscriptions);
    const char **names = n ? malloc((size_t)n * sizeof *names) : NULL;
    size_t count = 0;
    for (const cJSON *s = p.app->push_subscriptions->child; s && names; s = s->next)
        if (jstring(s, "channel"))
            names[count++] = jstring(s, "channel");
    if (count)
        qsort(names, count, sizeof *names, compare_strings);
    cJSON *distinct = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++)
        if (i == 0 || !same(names[i], names[i - 1]))
            cJSON_AddItemToArray(distinct, cJSON_CreateString(names[i]));
    free(names);
    static const char *const no_filters[] = {NULL};
    respond_page(req, resp, "channels", no_filters, &pg, distinct);
done:
    sbx_principal_clear(&p);
}
