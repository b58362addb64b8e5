/* Mutable messages (RSL11, RSL14, RSL15), only on channels of a namespace
 * with mutableMessages (else 400/93002):
 *   GET   /channels/{ch}/messages/{serial}           latest version (history cap)
 *   PATCH /channels/{ch}/messages/{serial}           action 1 update, 2 delete, 5 append
 *   GET   /channels/{ch}/messages/{serial}/versions  every version, paged like history
 * Update replaces name / data / encoding / extras with what the body carries;
 * delete clears the data; append concatenates string data (realtime subscribers
 * get just the appended fragment, as from Ably). Each gets a new
 * version serial ({"versionSerial"} in the answer, UpdateDeleteResult) and
 * keeps the original serial. Capabilities: message-update-any / -delete-any,
 * or the -own forms when the caller's clientId published the original. */
#include "rt_realtime.h"
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool namespace_is_mutable(const sbx_app *app, const char *channel)
{
    const char *colon = strchr(channel, ':');
    if (!colon)
        return false;
    const cJSON *ns;
    cJSON_ArrayForEach(ns, app->namespaces) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(ns, "id");
        if (cJSON_IsString(id) && strlen(id->valuestring) == (size_t)(colon - channel) &&
            strncmp(id->valuestring, channel, (size_t)(colon - channel)) == 0)
            return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ns, "mutableMessages"));
    }
    return false;
}

/* Auth, the capability, the namespace and the message: NULL when answered. */
static sbx_stored_message *find_target(sbx_server *srv, const sbx_request *req, sbx_response *resp,
                                       sbx_principal *p, uint32_t op)
{
    const char *channel = req->params[0], *serial = req->params[1];
    if (!sbx_require_auth(srv, req, resp, p))
        return NULL;
    if (op && !sbx_require_channel_op(req, resp, p, channel, op))
        return NULL;
    if (!namespace_is_mutable(p->app, channel)) {
        sbx_respond_error(req, resp, 400, 93002, "Message updates are not enabled for channel %s", channel);
        return NULL;
    }
    sbx_stored_message *m = sbx_channel_find_serial(sbx_channel_get(p->app, channel, false), serial);
    if (!m)
        sbx_respond_error(req, resp, 404, 40400, "No message with serial %s", serial);
    return m;
}

void sbx_route_message_get(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    sbx_stored_message *m = find_target(srv, req, resp, &p, SBX_OP_HISTORY);
    if (m) {
        ably_buf body;
        ably_buf_init(&body);
        ably_format af = sbx_format_of_accept(sbx_header(req, "accept")) == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK
                                                                                          : ABLY_FORMAT_JSON;
        if (ably_encode(&ably_message_desc, af, &m->msg, &body, NULL) == 0)
            sbx_respond_encoded(req, resp, 200, &body);
        else
            sbx_respond_error(req, resp, 500, 50000, "Could not encode the message");
        ably_buf_free(&body);
    }
    sbx_principal_clear(&p);
}

static bool permits_change(const sbx_principal *p, const char *channel, const ably_message *original,
                           ably_message_action action)
{
    bool del = action == ABLY_MESSAGE_ACTION_MESSAGE_DELETE;
    uint32_t any = del ? SBX_OP_MESSAGE_DELETE_ANY : SBX_OP_MESSAGE_UPDATE_ANY;
    uint32_t own = del ? SBX_OP_MESSAGE_DELETE_OWN : SBX_OP_MESSAGE_UPDATE_OWN;
    if (sbx_cap_permits(p->cap, channel, any))
        return true;
    return sbx_cap_permits(p->cap, channel, own) && p->client_id && original->client_id &&
           strcmp(p->client_id, original->client_id) == 0;
}

/* The new version from the latest one and the PATCH body. */
static int apply_change(ably_message *next, const ably_message *body, int64_t now, const char *version_serial,
                        const char *client_id)
{
    if (body->action == ABLY_MESSAGE_ACTION_MESSAGE_UPDATE) {
        if (body->name) {
            free(next->name);
            next->name = sbx_strdup(body->name);
        }
        if (body->extras) {
            free(next->extras);
            next->extras = sbx_strdup(body->extras);
        }
        if (body->data.type != ABLY_DATA_NONE) {
            ably_data_set(&next->data, body->data.type, body->data.bytes, body->data.len);
            free(next->encoding);
            next->encoding = sbx_strdup(body->encoding);
        }
    } else if (body->action == ABLY_MESSAGE_ACTION_MESSAGE_DELETE) {
        ably_data_clear(&next->data);
        free(next->encoding);
        next->encoding = NULL;
    } else { /* append */
        size_t have = next->data.type == ABLY_DATA_STRING ? next->data.len : 0;
        char *joined = malloc(have + body->data.len + 1);
        if (!joined)
            return -1;
        memcpy(joined, have ? next->data.bytes : "", have);
        memcpy(joined + have, body->data.bytes ? body->data.bytes : "", body->data.len);
        ably_data_set(&next->data, ABLY_DATA_STRING, joined, have + body->data.len);
        free(joined);
    }
    next->action = body->action;
    next->has_action = true;
    ably_message_version *v = calloc(1, sizeof *v);
    if (!v)
        return -1;
    ably_message_version_init(v);
    if (body->version && ably_message_version_copy(v, body->version, NULL) != 0) {
        free(v);
        return -1;
    }
    free(v->serial);
    v->serial = sbx_strdup(version_serial);
    v->timestamp = now;
    v->has_timestamp = true;
    if (!v->client_id && client_id && strcmp(client_id, "*") != 0)
        v->client_id = sbx_strdup(client_id);
    ably_message_version_clear(next->version);
    free(next->version);
    next->version = v;
    return 0;
}

static bool change_error(sbx_check_error *e, int status, int code, const char *fmt, const char *arg)
{
    e->status = status;
    e->code = code;
    snprintf(e->message, sizeof e->message, fmt, arg);
    return false;
}

bool sbx_message_change(sbx_app *app, const char *channel, const sbx_principal *p, const ably_message *body,
                        const char *serial, char *version_serial, size_t cap, sbx_check_error *e)
{
    if (!namespace_is_mutable(app, channel))
        return change_error(e, 400, 93002, "Message updates are not enabled for channel %s", channel);
    sbx_channel *ch = sbx_channel_get(app, channel, false);
    sbx_stored_message *m = serial ? sbx_channel_find_serial(ch, serial) : NULL;
    if (!m)
        return change_error(e, 404, 40400, "No message with serial %s", serial ? serial : "(none)");
    ably_message_action a = body->action;
    if (!body->has_action || (a != ABLY_MESSAGE_ACTION_MESSAGE_UPDATE && a != ABLY_MESSAGE_ACTION_MESSAGE_DELETE &&
                              a != ABLY_MESSAGE_ACTION_MESSAGE_APPEND))
        return change_error(e, 400, 40003, "A change must be one message with action 1, 2 or 5%s", "");
    if (!permits_change(p, channel, &m->msg, a))
        return change_error(e, 401, 40160, "Operation not permitted on %s", channel);
    int64_t now = sbx_now_ms();
    snprintf(version_serial, cap, "%014" PRId64 "-%09" PRIu64 "v%zu", now, m->seq,
             m->versions ? m->version_count : (size_t)1);
    ably_message next;
    if (ably_message_copy(&next, &m->msg, NULL) != 0 || apply_change(&next, body, now, version_serial, p->client_id) != 0 ||
        sbx_message_add_version(m, &next) != 0) {
        ably_message_clear(&next);
        return change_error(e, 500, 50000, "Could not record the new version%s", "");
    }
    if (a == ABLY_MESSAGE_ACTION_MESSAGE_APPEND) {
        /* Subscribers see the appended fragment only, as from Ably: they hold the rest. */
        ably_message ev;
        if (ably_message_copy(&ev, &m->msg, NULL) == 0) {
            ably_data_set(&ev.data, body->data.type, body->data.bytes, body->data.len);
            free(ev.encoding);
            ev.encoding = sbx_strdup(body->encoding);
            rt_broadcast_message_event(ch, &ev);
        }
        ably_message_clear(&ev);
    } else {
        rt_broadcast_message_event(ch, &m->msg); /* subscribers see the new version */
    }
    return true;
}

void sbx_route_message_update(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    ably_message *body = NULL;
    size_t count = 0;
    const char *channel = req->params[0];
    sbx_stored_message *m = find_target(srv, req, resp, &p, 0);
    if (!m || sbx_decode_messages(req, resp, &body, &count) != 0)
        goto done;
    if (count != 1) {
        sbx_respond_error(req, resp, 400, 40003, "PATCH body must be one message with action 1, 2 or 5");
        goto done;
    }
    char version_serial[64];
    sbx_check_error e;
    if (!sbx_message_change(p.app, channel, &p, &body[0], req->params[1], version_serial, sizeof version_serial,
                            &e)) {
        sbx_respond_error(req, resp, e.status, e.code, "%s", e.message);
        goto done;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "versionSerial", version_serial);
    sbx_respond_value(req, resp, 200, o);
done:
    ably_free_array(&ably_message_desc, body, count);
    sbx_principal_clear(&p);
}

void sbx_route_message_versions(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    sbx_history_query q;
    sbx_stored_message *m = find_target(srv, req, resp, &p, SBX_OP_HISTORY);
    if (!m || !sbx_parse_history_query(req, resp, &q)) {
        sbx_principal_clear(&p);
        return;
    }
    const ably_message *all = m->versions ? m->versions : &m->msg;
    int64_t n = m->versions ? (int64_t)m->version_count : 1, next = -1;
    const ably_message **page = calloc((size_t)q.limit, sizeof *page);
    size_t count = 0;
    int64_t i = q.cursor >= 0 ? q.cursor : (q.forwards ? 0 : n - 1);
    for (; page && i >= 0 && i < n; i += q.forwards ? 1 : -1) {
        if ((int64_t)count == q.limit) {
            next = i;
            break;
        }
        page[count++] = &all[i];
    }
    ably_buf body;
    ably_buf_init(&body);
    if (page && sbx_encode_message_list(&body, sbx_format_of_accept(sbx_header(req, "accept")), page, count) == 0) {
        sbx_respond_encoded(req, resp, 200, &body);
        sbx_history_links(resp, "versions", &q, next);
    } else {
        sbx_respond_error(req, resp, 500, 50000, "Could not encode the versions");
    }
    ably_buf_free(&body);
    free(page);
    sbx_principal_clear(&p);
}
