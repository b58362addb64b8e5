/* Annotations (RSAN, RTAN):
 *   POST /channels/{ch}/messages/{serial}/annotations   publish / delete (RSAN1c6)
 *   POST /channels/{ch}/annotations                      the same, messageSerial in each body item
 *   GET  /channels/{ch}/messages/{serial}/annotations   the message's annotations, oldest first, paged
 * Like Ably, only on channels of a namespace with mutableMessages (400/93002), and
 * the body must be an array (a bare object is 400/40001) whose annotations carry
 * an action (400/40003). Publishing needs the annotation-publish capability
 * (401/40160); each annotation needs a type (400/40003) and the serial of a
 * stored message (404/40400). The server fills id, serial, timestamp and the
 * credentials' clientId (a different one is 400/40012). Every annotation is kept
 * on the channel (a cJSON array in the wire shape) and folded into the annotated
 * message's `annotations.summary` (distinct / unique / multiple / flag / total
 * .v1; other types aggregate like distinct.v1); realtime subscribers with the ANNOTATION_SUBSCRIBE mode get the raw
 * annotation, those with SUBSCRIBE a MESSAGE_SUMMARY message (rt_channel.c).
 * Reading needs annotation-subscribe or history. */
#include "rt_realtime.h"
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool body_is_array(const char *body, size_t len, sbx_format fmt)
{
    if (fmt == SBX_FMT_MSGPACK) {
        unsigned char b = len ? (unsigned char)body[0] : 0;
        return (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
    }
    for (size_t i = 0; i < len; i++)
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
            return body[i] == '[';
    return false;
}

/* One annotation or an array, with the generated codec; answers errors itself. */
static int decode_annotations(const sbx_request *req, sbx_response *resp, ably_annotation **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sbx_format fmt = sbx_format_of_content_type(sbx_header(req, "content-type"));
    if (fmt == SBX_FMT_UNSUPPORTED) {
        sbx_respond_error(req, resp, 415, 40001, "Unsupported Content-Type");
        return -1;
    }
    if (!req->body_len) {
        sbx_respond_error(req, resp, 400, 40001, "Annotation body is missing");
        return -1;
    }
    ably_format af = fmt == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    ably_error err;
    ably_error_init(&err);
    int rc;
    if (!body_is_array(req->body, req->body_len, fmt)) {
        sbx_respond_error(req, resp, 400, 40001, "Invalid request body: expected an array of annotations");
        return -1;
    }
    void *items = NULL;
    rc = ably_decode_array(&ably_annotation_desc, af, req->body, req->body_len, &items, count, &err);
    *out = items;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *count = 0;
        sbx_respond_error(req, resp, 400, 40001, "Invalid annotation body: %s",
                          err.message ? err.message : "malformed");
    } else if (!*count) {
        sbx_respond_error(req, resp, 400, 40001, "Annotation body must be an annotation or a non-empty array");
        rc = -1;
    }
    ably_error_clear(&err);
    return rc;
}

static bool namespace_is_mutable(const sbx_app *app, const char *channel)
{
    const char *colon = strchr(channel, ':');
    const cJSON *ns;
    if (colon)
        cJSON_ArrayForEach(ns, app->namespaces) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ns, "id"));
            if (id && strlen(id) == (size_t)(colon - channel) && strncmp(id, channel, strlen(id)) == 0)
                return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ns, "mutableMessages"));
        }
    return false;
}

static bool require_mutable(const sbx_request *req, sbx_response *resp, const sbx_principal *p, const char *channel)
{
    if (namespace_is_mutable(p->app, channel))
        return true;
    sbx_respond_error(req, resp, 400, 93002, "Annotations are not enabled for channel %s", channel);
    return false;
}

/* ---- summaries (TM8a): each annotation folded into its message's summary ---- */

static const char *aggregation_of(const char *type)
{
    const char *colon = strrchr(type, ':');
    return colon ? colon + 1 : type;
}

static cJSON *child(cJSON *parent, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, key);
    return c ? c : cJSON_AddObjectToObject(parent, key);
}

static bool list_has(const cJSON *list, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list) if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0) return true;
    return false;
}

static void list_remove(cJSON *list, const char *s)
{
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0) {
            cJSON_DeleteItemFromArray(list, i);
            return;
        }
        i++;
    }
}

static cJSON *client_list(cJSON *entry)
{
    cJSON *l = cJSON_GetObjectItemCaseSensitive(entry, "clientIds");
    return l ? l : cJSON_AddArrayToObject(entry, "clientIds");
}

/* distinct.v1 / unique.v1 / flag.v1 entries: {total, clientIds, clipped}. */
static void client_entry_set(cJSON *entry, const char *client_id, bool add)
{
    cJSON *list = client_list(entry);
    if (add && !list_has(list, client_id))
        cJSON_AddItemToArray(list, cJSON_CreateString(client_id));
    else if (!add)
        list_remove(list, client_id);
    cJSON_DeleteItemFromObjectCaseSensitive(entry, "total");
    cJSON_DeleteItemFromObjectCaseSensitive(entry, "clipped");
    cJSON_AddNumberToObject(entry, "total", cJSON_GetArraySize(list));
    cJSON_AddBoolToObject(entry, "clipped", false);
}

static void set_number(cJSON *o, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

static void apply_to_summary(cJSON *summary, const cJSON *a)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "type"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "name"));
    const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "clientId"));
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(a, "action");
    bool add = !cJSON_IsNumber(act) || act->valueint == ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE;
    if (!type)
        return;
    const char *agg = aggregation_of(type);
    cJSON *t = child(summary, type);
    if (!name)
        name = "";
    if (strcmp(agg, "total.v1") == 0) {
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(t, "total");
        double n = (cJSON_IsNumber(total) ? total->valuedouble : 0) + (add ? 1 : -1);
        set_number(t, "total", n < 0 ? 0 : n);
    } else if (!cid) {
        return; /* the client-keyed aggregations need an identified client */
    } else if (strcmp(agg, "flag.v1") == 0) {
        client_entry_set(t, cid, add);
    } else if (strcmp(agg, "unique.v1") == 0) {
        if (add) { /* one name per client: the new one replaces the old */
            cJSON *e;
            cJSON_ArrayForEach(e, t) client_entry_set(e, cid, false);
        }
        client_entry_set(child(t, name), cid, add);
    } else if (strcmp(agg, "multiple.v1") == 0) {
        cJSON *e = child(t, name);
        cJSON *ids = child(e, "clientIds");
        const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(a, "count");
        double by = cJSON_IsNumber(cnt) ? cnt->valuedouble : 1;
        const cJSON *have = cJSON_GetObjectItemCaseSensitive(ids, cid);
        double mine = add ? (cJSON_IsNumber(have) ? have->valuedouble : 0) + by : 0;
        cJSON_DeleteItemFromObjectCaseSensitive(ids, cid);
        if (mine > 0)
            cJSON_AddNumberToObject(ids, cid, mine);
        double total = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, ids) total += it->valuedouble;
        set_number(e, "total", total);
        set_number(e, "totalUnidentified", 0);
        set_number(e, "totalClientIds", cJSON_GetArraySize(ids));
    } else { /* distinct.v1 and anything unknown */
        client_entry_set(child(t, name), cid, add);
    }
}

/* Drops entries nobody holds any more (total 0), at the name level, then types
 * left empty. */
static void prune(cJSON *summary)
{
    for (cJSON *t = summary->child, *next; t; t = next) {
        next = t->next;
        cJSON *e = t->child;
        while (e) {
            cJSON *e_next = e->next;
            const cJSON *total = cJSON_GetObjectItemCaseSensitive(e, "total");
            if (cJSON_IsObject(e) && cJSON_IsNumber(total) && total->valuedouble <= 0)
                cJSON_Delete(cJSON_DetachItemViaPointer(t, e));
            e = e_next;
        }
        if (cJSON_IsObject(t) && !t->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(summary, t));
    }
}

/* Folds one more annotation into the message's summary. Each step maps a summary
 * to the next, so folding one at a time equals replaying them all: O(summary),
 * not O(annotations on the channel). */
static int fold_into_summary(sbx_stored_message *m, const cJSON *a)
{
    const char *old = m->msg.annotations ? m->msg.annotations->summary : NULL;
    cJSON *summary = old ? cJSON_Parse(old) : NULL;
    if (!cJSON_IsObject(summary)) {
        cJSON_Delete(summary);
        summary = cJSON_CreateObject();
    }
    if (!summary)
        return -1;
    apply_to_summary(summary, a);
    prune(summary);
    char *text = cJSON_PrintUnformatted(summary);
    cJSON_Delete(summary);
    if (!text)
        return -1;
    if (!m->msg.annotations && !(m->msg.annotations = calloc(1, sizeof *m->msg.annotations))) {
        free(text);
        return -1;
    }
    free(m->msg.annotations->summary);
    m->msg.annotations->summary = text;
    return 0;
}

/* The MESSAGE_SUMMARY event: the message's serial and its new summary. */
static void broadcast_summary(sbx_channel *ch, const sbx_stored_message *m)
{
    ably_message ev;
    ably_message_init(&ev);
    ev.action = ABLY_MESSAGE_ACTION_MESSAGE_SUMMARY;
    ev.has_action = true;
    ev.serial = m->msg.serial;      /* borrowed */
    ev.annotations = m->msg.annotations;
    ev.id = m->msg.id;
    rt_broadcast_message_event(ch, &ev);
}

/* ---- publish ---- */

static cJSON *annotation_json(const ably_annotation *a)
{
    ably_buf buf;
    ably_buf_init(&buf);
    cJSON *o = NULL;
    if (ably_encode(&ably_annotation_desc, ABLY_FORMAT_JSON, a, &buf, NULL) == 0)
        o = cJSON_ParseWithLength((const char *)buf.data, buf.len);
    ably_buf_free(&buf);
    return o;
}

static bool fail(sbx_check_error *e, int status, int code, const char *fmt, const char *arg)
{
    e->status = status;
    e->code = code;
    snprintf(e->message, sizeof e->message, fmt, arg);
    return false;
}

/* Checks and completes one annotation; false with *e filled. */
static bool prepare(const sbx_principal *p, sbx_channel *ch, ably_annotation *a, const char *route_serial,
                    const char *id_base, size_t index, int64_t now, sbx_check_error *e)
{
    if (route_serial) {
        free(a->message_serial);
        a->message_serial = sbx_strdup(route_serial);
    }
    if (!a->type || !*a->type)
        return fail(e, 400, 40003, "Annotation type is required%s", "");
    if (!a->has_action)
        return fail(e, 400, 40003, "Annotation action is required%s", "");
    if (!a->message_serial || !sbx_channel_find_serial(ch, a->message_serial))
        return fail(e, 404, 40400, "No message with serial %s", a->message_serial ? a->message_serial : "(none)");
    bool identified = p->client_id && strcmp(p->client_id, "*") != 0;
    if (identified && a->client_id && strcmp(a->client_id, p->client_id) != 0)
        return fail(e, 400, 40012, "Annotation clientId does not match the credentials' %s", p->client_id);
    if (identified && !a->client_id)
        a->client_id = sbx_strdup(p->client_id);
    if (!a->id)
        a->id = sbx_sprintf("%s:%zu", id_base, index);
    free(a->serial);
    a->serial = sbx_sprintf("%014" PRId64 "-%06" PRIu64, now, ch->next_annotation_seq++);
    a->timestamp = now;
    a->has_timestamp = true;
    return true;
}

bool sbx_annotations_add(sbx_app *app, const char *channel, const sbx_principal *p, ably_annotation *items,
                         size_t count, const char *route_serial, sbx_check_error *e)
{
    if (!namespace_is_mutable(app, channel))
        return fail(e, 400, 93002, "Annotations are not enabled for channel %s", channel);
    sbx_channel *ch = sbx_channel_get(app, channel, true);
    char *id_base = sbx_random_id(12);
    int64_t now = sbx_now_ms();
    bool ok = ch && id_base;
    if (!ok)
        fail(e, 500, 50000, "Out of memory%s", "");
    for (size_t i = 0; ok && i < count; i++)
        ok = prepare(p, ch, &items[i], route_serial, id_base, i, now, e);
    free(id_base);
    if (!ok)
        return false;
    for (size_t i = 0; i < count; i++) {
        cJSON *o = annotation_json(&items[i]);
        if (!o)
            return fail(e, 500, 50000, "Could not store the annotations%s", "");
        cJSON_AddItemToArray(ch->annotations, o);
        sbx_stored_message *m = sbx_channel_find_serial(ch, items[i].message_serial);
        if (m)
            fold_into_summary(m, o);
    }
    rt_broadcast_annotations(ch, items, count);
    for (size_t i = 0; i < count; i++) { /* one summary event per annotated message */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(items[j].message_serial, items[i].message_serial) == 0;
        sbx_stored_message *m = seen ? NULL : sbx_channel_find_serial(ch, items[i].message_serial);
        if (m && m->msg.annotations)
            broadcast_summary(ch, m);
    }
    return true;
}

static void publish(sbx_server *srv, const sbx_request *req, sbx_response *resp, const char *route_serial)
{
    const char *name = req->params[0];
    sbx_principal p;
    ably_annotation *items = NULL;
    size_t count = 0;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_ANNOTATION_PUBLISH) ||
        !require_mutable(req, resp, &p, name) || decode_annotations(req, resp, &items, &count) != 0)
        goto done;
    sbx_check_error e;
    if (!sbx_annotations_add(p.app, name, &p, items, count, route_serial, &e)) {
        sbx_respond_error(req, resp, e.status, e.code, "%s", e.message);
        goto done;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *serials = cJSON_AddArrayToObject(o, "serials");
    for (size_t i = 0; i < count; i++)
        cJSON_AddItemToArray(serials, cJSON_CreateString(items[i].serial));
    sbx_respond_value(req, resp, 201, o);
done:
    ably_free_array(&ably_annotation_desc, items, count);
    sbx_principal_clear(&p);
}

void sbx_route_annotations_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    publish(srv, req, resp, req->params[1]);
}

void sbx_route_annotations_publish_any(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    publish(srv, req, resp, NULL);
}

/* ---- list ---- */

void sbx_route_annotations_get(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0], *serial = req->params[1];
    sbx_principal p;
    sbx_history_query q;
    if (!sbx_require_auth(srv, req, resp, &p))
        goto done;
    if (!sbx_cap_permits(p.cap, name, SBX_OP_ANNOTATION_SUBSCRIBE) && !sbx_cap_permits(p.cap, name, SBX_OP_HISTORY)) {
        sbx_respond_error(req, resp, 401, 40160, "Action not permitted on channel %s", name);
        goto done;
    }
    if (!require_mutable(req, resp, &p, name) || !sbx_parse_history_query(req, resp, &q))
        goto done;
    sbx_channel *ch = sbx_channel_get(p.app, name, false);
    cJSON *page = cJSON_CreateArray();
    int64_t index = 0, next = -1, taken = 0, from = q.cursor >= 0 ? q.cursor : 0;
    const cJSON *a;
    if (ch)
        cJSON_ArrayForEach(a, ch->annotations) { /* oldest first */
            const char *ms = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "messageSerial"));
            if (!ms || strcmp(ms, serial) != 0)
                continue;
            if (index++ < from)
                continue;
            if (taken == q.limit) {
                next = index - 1;
                break;
            }
            cJSON_AddItemToArray(page, cJSON_Duplicate(a, true));
            taken++;
        }
    sbx_respond_value(req, resp, 200, page);
    sbx_history_links(resp, "annotations", &q, next);
done:
    sbx_principal_clear(&p);
}
