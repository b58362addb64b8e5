/* POST /channels/{channel}/messages (RSL1) and GET .../messages (RSL2).
 *
 * Messages are stored wire-neutral (sbx_store.h): binary data received as
 * msgpack bin is kept as base64 text with "base64" appended to its encoding,
 * which is what a JSON reader must see; a msgpack reader gets bin back. */
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE_SIZE 65536
#define HISTORY_DEFAULT_LIMIT 100
#define HISTORY_MAX_LIMIT 1000

/* ---- publish ---- */

static size_t data_size(const cJSON *data)
{
    if (!data)
        return 0;
    if (cJSON_IsRaw(data)) /* base64 of binary: count the bytes */
        return strlen(data->valuestring) * 3 / 4;
    if (cJSON_IsString(data))
        return strlen(data->valuestring);
    char *text = cJSON_PrintUnformatted(data);
    size_t n = text ? strlen(text) : 0;
    cJSON_free(text);
    return n;
}

/* TO3l8: name + data + clientId + extras. */
static size_t message_size(const cJSON *m)
{
    size_t n = data_size(cJSON_GetObjectItemCaseSensitive(m, "data"));
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(m, "clientId");
    const cJSON *extras = cJSON_GetObjectItemCaseSensitive(m, "extras");
    if (cJSON_IsString(name))
        n += strlen(name->valuestring);
    if (cJSON_IsString(cid))
        n += strlen(cid->valuestring);
    if (extras)
        n += data_size(extras);
    return n;
}

/* Binary data (a Raw item) becomes base64 text with "base64" appended to the
 * encoding, the stored form. */
static void normalise_binary(cJSON *m)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(m, "data");
    if (!cJSON_IsRaw(data))
        return;
    cJSON_ReplaceItemInObjectCaseSensitive(m, "data", cJSON_CreateString(data->valuestring));
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(m, "encoding");
    char *updated = cJSON_IsString(enc) && enc->valuestring[0]
                        ? sbx_sprintf("%s/base64", enc->valuestring)
                        : sbx_strdup("base64");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "encoding");
    cJSON_AddStringToObject(m, "encoding", updated ? updated : "base64");
    free(updated);
}

static const char *check_field_types(const cJSON *m)
{
    static const char *const strings[] = { "id", "name", "clientId", "encoding", "connectionId" };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, strings[i]);
        if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
            return strings[i];
    }
    const cJSON *extras = cJSON_GetObjectItemCaseSensitive(m, "extras");
    if (extras && !cJSON_IsNull(extras) && !cJSON_IsObject(extras))
        return "extras";
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(m, "data");
    if (data && (cJSON_IsBool(data) || cJSON_IsNumber(data)))
        return "data";
    return NULL;
}

/* RSL1m: a message's clientId must agree with the credentials' clientId. */
static bool check_client_id(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                            cJSON *m)
{
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(m, "clientId");
    const char *mine = p->client_id;
    bool wildcard = mine && strcmp(mine, "*") == 0;
    if (cJSON_IsString(cid)) {
        if (wildcard || (!mine && p->basic))
            return true;
        if (!mine || strcmp(mine, cid->valuestring) != 0) {
            sbx_respond_error(req, resp, 400, 40012, "Message clientId %s does not match the "
                              "credentials' clientId %s", cid->valuestring, mine ? mine : "(none)");
            return false;
        }
        return true;
    }
    if (mine && !wildcard)
        cJSON_AddStringToObject(m, "clientId", mine);
    return true;
}

/* Body -> array of message objects (a single object is wrapped). */
static cJSON *publish_body(const sbx_request *req, sbx_response *resp)
{
    sbx_format fmt = sbx_format_of_content_type(sbx_header(req, "content-type"));
    if (fmt == SBX_FMT_UNSUPPORTED) {
        sbx_respond_error(req, resp, 415, 40001, "Unsupported Content-Type");
        return NULL;
    }
    cJSON *body = req->body_len ? sbx_wire_decode_ex(req->body, req->body_len, fmt, true) : NULL;
    if (!body) {
        sbx_respond_error(req, resp, 400, 40001, "Publish body is missing or malformed");
        return NULL;
    }
    if (cJSON_IsObject(body)) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, body);
        body = arr;
    }
    if (!cJSON_IsArray(body) || cJSON_GetArraySize(body) == 0) {
        sbx_respond_error(req, resp, 400, 40001, "Publish body must be a message or a non-empty array");
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

static bool validate_messages(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                              cJSON *messages)
{
    size_t total = 0;
    cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        if (!cJSON_IsObject(m)) {
            sbx_respond_error(req, resp, 400, 40001, "Each message must be an object");
            return false;
        }
        const char *bad = check_field_types(m);
        if (bad) {
            sbx_respond_error(req, resp, 400, 40013, "Message field %s has the wrong type", bad);
            return false;
        }
        if (!check_client_id(req, resp, p, m))
            return false;
        total += message_size(m);
    }
    if (total > MAX_MESSAGE_SIZE) {
        sbx_respond_error(req, resp, 400, 40009, "Message size %zu exceeds the %d byte limit",
                          total, MAX_MESSAGE_SIZE);
        return false;
    }
    return true;
}

/* Stores one message (or finds its idempotent twin) and returns its serial. */
static const char *store_message(sbx_channel *ch, cJSON *m, const char *id_base, int index,
                                 int64_t now)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
    if (cJSON_IsString(id) && id->valuestring[0]) {
        const char *seen = sbx_map_get(&ch->message_ids, id->valuestring);
        if (seen)
            return seen;
    } else {
        char generated[96];
        snprintf(generated, sizeof generated, "%s:%d", id_base, index);
        cJSON_DeleteItemFromObjectCaseSensitive(m, "id");
        cJSON_AddStringToObject(m, "id", generated);
        id = cJSON_GetObjectItemCaseSensitive(m, "id");
    }
    char serial[64];
    snprintf(serial, sizeof serial, "%014" PRId64 "-%09" PRIu64, now, ch->next_seq);
    cJSON *stored = cJSON_Duplicate(m, true);
    normalise_binary(stored);
    cJSON_DeleteItemFromObjectCaseSensitive(stored, "timestamp");
    cJSON_AddNumberToObject(stored, "timestamp", (double)now);
    cJSON_AddStringToObject(stored, "serial", serial);
    cJSON_AddNumberToObject(stored, "action", 0); /* message.create */
    cJSON *version = cJSON_AddObjectToObject(stored, "version");
    cJSON_AddStringToObject(version, "serial", serial);
    cJSON_AddNumberToObject(version, "timestamp", (double)now);
    char *serial_copy = sbx_strdup(serial);
    if (!serial_copy || !sbx_channel_append(ch, stored, now) ||
        sbx_map_put(&ch->message_ids, id->valuestring, serial_copy) != 0) {
        free(serial_copy);
        return NULL;
    }
    return serial_copy;
}

void sbx_route_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    cJSON *messages = NULL;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_PUBLISH))
        goto done;
    const char *nack = sbx_query(req, "_forceNack");
    if (nack && strcmp(nack, "true") == 0) {
        sbx_respond_error(req, resp, 400, 40099, "Publish rejected: _forceNack requested");
        goto done;
    }
    messages = publish_body(req, resp);
    if (!messages || !validate_messages(req, resp, &p, messages))
        goto done;
    sbx_channel *ch = sbx_channel_get(p.app, name, true);
    char *id_base = sbx_random_id(12);
    int64_t now = sbx_now_ms();
    cJSON *result = cJSON_CreateObject();
    cJSON *serials = cJSON_AddArrayToObject(result, "serials");
    int index = 0;
    cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        const char *serial = ch && id_base ? store_message(ch, m, id_base, index++, now) : NULL;
        if (!serial) {
            cJSON_Delete(result);
            result = NULL;
            break;
        }
        cJSON_AddItemToArray(serials, cJSON_CreateString(serial));
    }
    free(id_base);
    if (result) {
        cJSON_AddStringToObject(result, "channel", name);
        sbx_respond_value(req, resp, 201, result);
    } else {
        sbx_respond_error(req, resp, 500, 50000, "Could not store the messages");
    }
done:
    cJSON_Delete(messages);
    sbx_principal_clear(&p);
}

/* ---- history ---- */

typedef struct {
    int64_t start, end;  /* inclusive bounds in ms */
    bool forwards;
    int64_t limit;
    int64_t cursor;      /* seq to resume from (inclusive); -1 from the start */
} history_query;

static bool parse_history(const sbx_request *req, sbx_response *resp, history_query *q)
{
    q->start = 0;
    q->end = INT64_MAX;
    q->forwards = false;
    q->limit = HISTORY_DEFAULT_LIMIT;
    q->cursor = -1;
    const char *v;
    if ((v = sbx_query(req, "start")) && *v && !sbx_parse_i64(v, &q->start))
        return sbx_respond_error(req, resp, 400, 40003, "Invalid start"), false;
    if ((v = sbx_query(req, "end")) && *v && !sbx_parse_i64(v, &q->end))
        return sbx_respond_error(req, resp, 400, 40003, "Invalid end"), false;
    if (q->start > q->end)
        return sbx_respond_error(req, resp, 400, 40003, "start must not be after end"), false;
    if ((v = sbx_query(req, "direction"))) {
        if (strcmp(v, "forwards") == 0)
            q->forwards = true;
        else if (strcmp(v, "backwards") != 0)
            return sbx_respond_error(req, resp, 400, 40003, "direction must be forwards or backwards"),
                   false;
    }
    if ((v = sbx_query(req, "limit")) && *v) {
        if (!sbx_parse_i64(v, &q->limit) || q->limit < 1 || q->limit > HISTORY_MAX_LIMIT)
            return sbx_respond_error(req, resp, 400, 40003, "limit must be 1..%d", HISTORY_MAX_LIMIT),
                   false;
    }
    if ((v = sbx_query(req, "cursor")) && *v) {
        size_t n;
        char *text = (char *)sbx_base64_decode(v, strlen(v), &n);
        int64_t seq;
        bool ok = text && strncmp(text, "seq:", 4) == 0 && sbx_parse_i64(text + 4, &seq) && seq >= 0;
        free(text);
        if (!ok)
            return sbx_respond_error(req, resp, 400, 40011, "Invalid pagination cursor"), false;
        q->cursor = seq;
    }
    return true;
}

/* A stored message as a reader in `fmt` should see it. */
static cJSON *message_for_reader(const cJSON *stored, sbx_format fmt)
{
    cJSON *m = cJSON_Duplicate(stored, true);
    if (fmt != SBX_FMT_MSGPACK)
        return m;
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(m, "encoding");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(m, "data");
    if (!cJSON_IsString(enc) || !cJSON_IsString(data))
        return m;
    size_t len = strlen(enc->valuestring);
    if (len < 6 || strcmp(enc->valuestring + len - 6, "base64") != 0 ||
        (len > 6 && enc->valuestring[len - 7] != '/'))
        return m;
    char *rest = sbx_strndup(enc->valuestring, len > 6 ? len - 7 : 0);
    cJSON_ReplaceItemInObjectCaseSensitive(m, "data", cJSON_CreateRaw(data->valuestring));
    cJSON_DeleteItemFromObjectCaseSensitive(m, "encoding");
    if (rest && *rest)
        cJSON_AddStringToObject(m, "encoding", rest);
    free(rest);
    return m;
}

static char *link_header(const history_query *q, int64_t cursor, const char *rel)
{
    char start[32] = "", end[32] = "", cur[64] = "";
    if (q->start > 0)
        snprintf(start, sizeof start, "&start=%" PRId64, q->start);
    if (q->end != INT64_MAX)
        snprintf(end, sizeof end, "&end=%" PRId64, q->end);
    if (cursor >= 0) {
        char raw[40];
        snprintf(raw, sizeof raw, "seq:%" PRId64, cursor);
        char *b64 = sbx_base64_encode((const unsigned char *)raw, strlen(raw), true);
        snprintf(cur, sizeof cur, "&cursor=%s", b64 ? b64 : "");
        free(b64);
    }
    return sbx_sprintf("<./messages?limit=%" PRId64 "&direction=%s%s%s%s>; rel=\"%s\"", q->limit,
                       q->forwards ? "forwards" : "backwards", start, end, cur, rel);
}

void sbx_route_history(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    history_query q;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_HISTORY) ||
        !parse_history(req, resp, &q)) {
        sbx_principal_clear(&p);
        return;
    }
    sbx_channel *ch = sbx_channel_get(p.app, name, false);
    sbx_format fmt = sbx_format_of_accept(sbx_header(req, "accept"));
    cJSON *items = cJSON_CreateArray();
    int64_t next = -1, count = 0;
    size_t n = ch ? ch->message_count : 0;
    /* seq equals index: messages are only ever appended. */
    int64_t i = q.cursor >= 0 ? q.cursor : (q.forwards ? 0 : (int64_t)n - 1);
    for (; i >= 0 && i < (int64_t)n; i += q.forwards ? 1 : -1) {
        const sbx_stored_message *m = &ch->messages[i];
        if (m->timestamp < q.start || m->timestamp > q.end)
            continue;
        if (count == q.limit) {
            next = i;
            break;
        }
        cJSON_AddItemToArray(items, message_for_reader(m->json, fmt));
        count++;
    }
    sbx_respond_value(req, resp, 200, items);
    char *links[3] = { link_header(&q, -1, "first"), link_header(&q, q.cursor, "current"),
                       next >= 0 ? link_header(&q, next, "next") : NULL };
    char *joined = sbx_sprintf("%s, %s%s%s", links[0] ? links[0] : "", links[1] ? links[1] : "",
                               links[2] ? ", " : "", links[2] ? links[2] : "");
    if (joined)
        sbx_response_header(resp, "link", joined);
    free(joined);
    for (int k = 0; k < 3; k++)
        free(links[k]);
    sbx_principal_clear(&p);
}
