/* POST /channels/{channel}/messages (RSL1) and GET .../messages (RSL2).
 *
 * Bodies go through the generated ably_message codec both ways. Messages are
 * stored as ably_message with binary payloads held as ABLY_DATA_BINARY
 * (base64 text a JSON client sent with a trailing "base64" encoding step is
 * decoded on the way in), so each reader's codec produces its own form: bin
 * for msgpack, base64 with "/base64" appended to the encoding for JSON. */
#include "rt_realtime.h"
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

/* ---- decoding ---- */

static bool body_is_array(const char *body, size_t len, sbx_format fmt)
{
    if (fmt == SBX_FMT_MSGPACK) {
        unsigned char b = len ? (unsigned char)body[0] : 0;
        return (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
    }
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c == '[';
    }
    return false;
}

int sbx_decode_messages(const sbx_request *req, sbx_response *resp, ably_message **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sbx_format fmt = sbx_format_of_content_type(sbx_header(req, "content-type"));
    if (fmt == SBX_FMT_UNSUPPORTED) {
        sbx_respond_error(req, resp, 415, 40001, "Unsupported Content-Type");
        return -1;
    }
    if (!req->body_len) {
        sbx_respond_error(req, resp, 400, 40001, "Publish body is missing");
        return -1;
    }
    ably_format af = fmt == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    ably_error err;
    ably_error_init(&err);
    int rc;
    if (body_is_array(req->body, req->body_len, fmt)) {
        void *items = NULL;
        rc = ably_decode_array(&ably_message_desc, af, req->body, req->body_len, &items, count, &err);
        *out = items;
    } else {
        *out = calloc(1, sizeof **out);
        rc = *out ? ably_decode(&ably_message_desc, af, req->body, req->body_len, *out, &err) : -1;
        *count = rc == 0 ? 1 : 0;
        if (rc != 0) {
            free(*out);
            *out = NULL;
        }
    }
    if (rc != 0) {
        /* A field of the wrong type is 40013 (invalid message); anything
         * else (not JSON / msgpack, not a message) is 40001. */
        bool field = err.message && strncmp(err.message, "Message.", 8) == 0;
        sbx_respond_error(req, resp, 400, field ? 40013 : 40001, "Invalid publish body: %s",
                          err.message ? err.message : "malformed");
    } else if (*count == 0) {
        sbx_respond_error(req, resp, 400, 40001, "Publish body must be a message or a non-empty array");
        rc = -1;
    }
    ably_error_clear(&err);
    return rc;
}

/* ---- validation ---- */

static size_t data_size(const ably_data *d)
{
    return d->type == ABLY_DATA_NONE ? 0 : d->len;
}

/* TO3l8: name + data + clientId + extras. */
static size_t message_size(const ably_message *m)
{
    size_t n = data_size(&m->data);
    if (m->name)
        n += strlen(m->name);
    if (m->client_id)
        n += strlen(m->client_id);
    if (m->extras)
        n += strlen(m->extras);
    return n;
}

/* RSL1m: a message's clientId must agree with the credentials' clientId. */
static bool check_client_id(const sbx_principal *p, ably_message *m, sbx_check_error *e)
{
    const char *mine = p->client_id;
    bool wildcard = mine && strcmp(mine, "*") == 0;
    if (m->client_id) {
        if (wildcard || (!mine && p->basic))
            return true;
        if (!mine || strcmp(mine, m->client_id) != 0) {
            e->status = 400;
            e->code = 40012;
            snprintf(e->message, sizeof e->message, "Message clientId %s does not match the "
                     "credentials' clientId %s", m->client_id, mine ? mine : "(none)");
            return false;
        }
        return true;
    }
    if (mine && !wildcard)
        m->client_id = sbx_strdup(mine);
    return true;
}

static bool extras_is_object(const char *extras)
{
    while (extras && (*extras == ' ' || *extras == '\n' || *extras == '\t' || *extras == '\r'))
        extras++;
    return !extras || *extras == '{';
}

bool sbx_check_messages(const sbx_principal *p, ably_message *messages, size_t count, sbx_check_error *e)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!extras_is_object(messages[i].extras)) {
            *e = (sbx_check_error){ 400, 40013, "Message field extras must be an object" };
            return false;
        }
        if (!check_client_id(p, &messages[i], e))
            return false;
        total += message_size(&messages[i]);
    }
    if (total > MAX_MESSAGE_SIZE) {
        e->status = 400;
        e->code = 40009;
        snprintf(e->message, sizeof e->message, "Message size %zu exceeds the %d byte limit", total,
                 MAX_MESSAGE_SIZE);
        return false;
    }
    return true;
}

bool sbx_validate_messages(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                           ably_message *messages, size_t count)
{
    sbx_check_error e;
    if (sbx_check_messages(p, messages, count, &e))
        return true;
    sbx_respond_error(req, resp, e.status, e.code, "%s", e.message);
    return false;
}

/* ---- storing ---- */

/* Base64 text with a trailing "base64" step becomes binary, the stored form. */
static void normalise_binary(ably_message *m)
{
    if (m->data.type != ABLY_DATA_STRING || !m->encoding)
        return;
    size_t len = strlen(m->encoding);
    if (len < 6 || strcmp(m->encoding + len - 6, "base64") != 0 ||
        (len > 6 && m->encoding[len - 7] != '/'))
        return;
    size_t n;
    unsigned char *bytes = sbx_base64_decode(m->data.bytes, m->data.len, &n);
    if (!bytes)
        return; /* not base64 after all: keep it as sent */
    free(m->data.bytes);
    m->data.type = ABLY_DATA_BINARY;
    m->data.bytes = (char *)bytes;
    m->data.len = n;
    if (len > 6) {
        m->encoding[len - 7] = '\0';
    } else {
        free(m->encoding);
        m->encoding = NULL;
    }
}

static void format_serial(char *out, size_t cap, int64_t now, uint64_t seq)
{
    snprintf(out, cap, "%014" PRId64 "-%09" PRIu64, now, seq);
}

const char *sbx_store_message(sbx_channel *ch, ably_message *m, const char *id_base, int index,
                              int64_t now)
{
    if (m->id && m->id[0]) {
        const char *seen = sbx_map_get(&ch->message_ids, m->id);
        if (seen)
            return seen;
    } else {
        free(m->id);
        m->id = sbx_sprintf("%s:%d", id_base, index);
    }
    char serial[64];
    format_serial(serial, sizeof serial, now, ch->next_seq);
    ably_message stored;
    if (!m->id || ably_message_copy(&stored, m, NULL) != 0)
        return NULL;
    normalise_binary(&stored);
    stored.timestamp = now;
    stored.has_timestamp = true;
    free(stored.serial);
    stored.serial = sbx_strdup(serial);
    stored.action = ABLY_MESSAGE_ACTION_MESSAGE_CREATE;
    stored.has_action = true;
    ably_message_version_clear(stored.version);
    free(stored.version);
    stored.version = calloc(1, sizeof *stored.version);
    char *serial_copy = sbx_strdup(serial);
    if (!stored.serial || !stored.version || !serial_copy) {
        ably_message_clear(&stored);
        free(serial_copy);
        return NULL;
    }
    ably_message_version_init(stored.version);
    stored.version->serial = sbx_strdup(serial);
    stored.version->timestamp = now;
    stored.version->has_timestamp = true;
    if (!sbx_channel_append(ch, &stored, now) ||
        sbx_map_put(&ch->message_ids, m->id, serial_copy) != 0) {
        free(serial_copy);
        return NULL;
    }
    return serial_copy;
}

void sbx_route_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    ably_message *messages = NULL;
    size_t count = 0;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_PUBLISH))
        goto done;
    const char *nack = sbx_query(req, "_forceNack");
    if (nack && strcmp(nack, "true") == 0) {
        sbx_respond_error(req, resp, 400, 40099, "Publish rejected: _forceNack requested");
        goto done;
    }
    if (sbx_decode_messages(req, resp, &messages, &count) != 0 ||
        !sbx_validate_messages(req, resp, &p, messages, count))
        goto done;
    sbx_channel *ch = sbx_channel_get(p.app, name, true);
    char *id_base = sbx_random_id(12);
    int64_t now = sbx_now_ms();
    cJSON *result = cJSON_CreateObject();
    cJSON *serials = cJSON_AddArrayToObject(result, "serials");
    for (size_t i = 0; i < count; i++) {
        const char *serial = ch && id_base ? sbx_store_message(ch, &messages[i], id_base, (int)i, now) : NULL;
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
    ably_free_array(&ably_message_desc, messages, count);
    sbx_principal_clear(&p);
}

/* ---- encoding ---- */

/* A msgpack array header for n items. */
static int msgpack_array_header(ably_buf *b, size_t n)
{
    unsigned char h[5];
    size_t len;
    if (n < 16) {
        h[0] = (unsigned char)(0x90 | n);
        len = 1;
    } else if (n <= 0xffff) {
        h[0] = 0xdc;
        h[1] = (unsigned char)(n >> 8);
        h[2] = (unsigned char)n;
        len = 3;
    } else {
        h[0] = 0xdd;
        for (int i = 0; i < 4; i++)
            h[1 + i] = (unsigned char)(n >> (24 - 8 * i));
        len = 5;
    }
    return ably_buf_append(b, h, len);
}

int sbx_encode_message_list(ably_buf *out, sbx_format fmt, const ably_message *const *items, size_t n)
{
    ably_format af = fmt == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    int rc = af == ABLY_FORMAT_MSGPACK ? msgpack_array_header(out, n) : ably_buf_append(out, "[", 1);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (af == ABLY_FORMAT_JSON && i > 0)
            rc = ably_buf_append(out, ",", 1);
        if (rc == 0)
            rc = ably_encode_append(&ably_message_desc, af, items[i], out, NULL);
    }
    if (rc == 0 && af == ABLY_FORMAT_JSON)
        rc = ably_buf_append(out, "]", 1);
    return rc;
}

void sbx_respond_encoded(const sbx_request *req, sbx_response *resp, int status, ably_buf *body)
{
    sbx_format fmt = sbx_format_of_accept(sbx_header(req, "accept"));
    size_t len = 0;
    char *bytes = ably_buf_detach(body, &len);
    free(resp->body);
    resp->status = status;
    resp->content_type = sbx_format_mime(fmt);
    resp->body = bytes;
    resp->body_len = len;
}

/* ---- history ---- */

static bool parse_history(const sbx_request *req, sbx_response *resp, sbx_history_query *q)
{
    q->start = 0;
    q->end = INT64_MAX;
    q->forwards = false;
    q->limit = HISTORY_DEFAULT_LIMIT;
    q->cursor = -1;
    q->from_serial = NULL;
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
    /* The spec names it fromSerial (RTL10b); ably-js sends from_serial. */
    if (((v = sbx_query(req, "fromSerial")) && *v) || ((v = sbx_query(req, "from_serial")) && *v)) {
        if (strspn(v, "0123456789") != strlen(v))
            return sbx_respond_error(req, resp, 400, 40003, "Invalid fromSerial"), false;
        q->from_serial = v;
    }
    return true;
}

bool sbx_parse_history_query(const sbx_request *req, sbx_response *resp, sbx_history_query *q)
{
    return parse_history(req, resp, q);
}

static char *link_header(const char *base, const sbx_history_query *q, int64_t cursor, const char *rel)
{
    char start[32] = "", end[32] = "", cur[64] = "", from[48] = "";
    if (q->from_serial)
        snprintf(from, sizeof from, "&fromSerial=%.32s", q->from_serial);
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
    return sbx_sprintf("<./%s?limit=%" PRId64 "&direction=%s%s%s%s%s>; rel=\"%s\"", base, q->limit,
                       q->forwards ? "forwards" : "backwards", start, end, from, cur, rel);
}

void sbx_history_links(sbx_response *resp, const char *base, const sbx_history_query *q, int64_t next)
{
    char *links[3] = { link_header(base, q, -1, "first"), link_header(base, q, q->cursor, "current"),
                       next >= 0 ? link_header(base, q, next, "next") : NULL };
    char *joined = sbx_sprintf("%s, %s%s%s", links[0] ? links[0] : "", links[1] ? links[1] : "",
                               links[2] ? ", " : "", links[2] ? links[2] : "");
    if (joined)
        sbx_response_header(resp, "link", joined);
    free(joined);
    for (int k = 0; k < 3; k++)
        free(links[k]);
}

void sbx_route_history(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    const char *name = req->params[0];
    sbx_principal p;
    sbx_history_query q;
    if (!sbx_require_auth(srv, req, resp, &p) ||
        !sbx_require_channel_op(req, resp, &p, name, SBX_OP_HISTORY) ||
        !parse_history(req, resp, &q)) {
        sbx_principal_clear(&p);
        return;
    }
    sbx_channel *ch = sbx_channel_get(p.app, name, false);
    sbx_format fmt = sbx_format_of_accept(sbx_header(req, "accept"));
    size_t n = ch ? ch->message_count : 0;
    if (ch && q.from_serial) { /* untilAttach: only what went out at or before that serial */
        size_t bound = rt_history_bound(ch, q.from_serial);
        if (bound < n)
            n = bound;
    }
    const ably_message **page = calloc((size_t)q.limit, sizeof *page);
    int64_t next = -1;
    size_t count = 0;
    /* seq equals index: messages are only ever appended. */
    int64_t i = q.cursor >= 0 ? q.cursor : (q.forwards ? 0 : (int64_t)n - 1);
    for (; page && i >= 0 && i < (int64_t)n; i += q.forwards ? 1 : -1) {
        const sbx_stored_message *m = &ch->messages[i];
        if (m->timestamp < q.start || m->timestamp > q.end)
            continue;
        if ((int64_t)count == q.limit) {
            next = i;
            break;
        }
        page[count++] = &m->msg;
    }
    ably_buf body;
    ably_buf_init(&body);
    if (!page || sbx_encode_message_list(&body, fmt, page, count) != 0) {
        sbx_respond_error(req, resp, 500, 50000, "Could not encode history");
    } else {
        sbx_respond_encoded(req, resp, 200, &body);
        sbx_history_links(resp, "messages", &q, next);
    }
    ably_buf_free(&body);
    free(page);
    sbx_principal_clear(&p);
}
