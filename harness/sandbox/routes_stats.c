/* POST /stats (the test-fixture endpoint SDK suites use) and GET /stats
 * (RSC6, TS12) in the flat `entries` form of ably-common's app-stats.json.
 *
 * POST takes one record or an array. A record is {intervalId, entries} (flat
 * dotted keys) or the nested form older suites post ({intervalId, inbound:
 * {realtime: {messages: {count: 50}}}, ...}), which is flattened: message
 * sections (all, inbound, outbound, persisted, processed) get the
 * "messages." prefix the flat schema uses, other sections keep their names.
 * Records are kept per minute (an intervalId without minutes means :00) and
 * summed when posted twice.
 *
 * GET rolls minutes up to `unit` (minute, hour, day, month), filters by the
 * interval start (`start` / `end`, ms, inclusive), orders by `direction`
 * (backwards by default) and pages with `limit` (100, max 1000) and a cursor. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif
#include "sbx_auth.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATS_DEFAULT_LIMIT 100
#define STATS_MAX_LIMIT 1000

typedef enum { UNIT_MINUTE, UNIT_HOUR, UNIT_DAY, UNIT_MONTH } stats_unit;
static const char *const unit_names[] = { "minute", "hour", "day", "month" };

/* "yyyy-mm-dd:hh:mm" (or a prefix down to "yyyy-mm") -> ms of its start. */
static bool parse_interval(const char *id, int64_t *ms)
{
    int y = 0, mo = 0, d = 1, h = 0, mi = 0;
    int n = sscanf(id, "%4d-%2d-%2d:%2d:%2d", &y, &mo, &d, &h, &mi);
    if (n < 2 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59)
        return false;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

static void interval_id(int64_t ms, stats_unit unit, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const fmts[] = { "%Y-%m-%d:%H:%M", "%Y-%m-%d:%H", "%Y-%m-%d", "%Y-%m" };
    strftime(out, cap, fmts[unit], &tm);
}

static int64_t unit_start(int64_t ms, stats_unit unit)
{
    char id[32];
    interval_id(ms, unit, id, sizeof id);
    int64_t start = ms;
    parse_interval(id, &start);
    return start;
}

/* Adds every number under `node` into `entries` as dotted keys. */
static void flatten(cJSON *entries, const cJSON *node, const char *prefix)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, node) {
        char *key = prefix ? sbx_sprintf("%s.%s", prefix, c->string) : sbx_strdup(c->string);
        if (!key)
            continue;
        if (cJSON_IsObject(c)) {
            flatten(entries, c, key);
        } else if (cJSON_IsNumber(c)) {
            cJSON *have = cJSON_GetObjectItemCaseSensitive(entries, key);
            if (cJSON_IsNumber(have))
                cJSON_SetNumberValue(have, have->valuedouble + c->valuedouble);
            else
                cJSON_AddNumberToObject(entries, key, c->valuedouble);
        }
        free(key);
    }
}

static bool is_message_section(const char *name)
{
    static const char *const sections[] = { "all", "inbound", "outbound", "persisted", "processed" };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (strcmp(name, sections[i]) == 0)
            return true;
    return false;
}

static void add_record_entries(cJSON *entries, const cJSON *record)
{
    const cJSON *flat = cJSON_GetObjectItemCaseSensitive(record, "entries");
    if (cJSON_IsObject(flat)) {
        flatten(entries, flat, NULL);
        return;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, record) {
        if (!cJSON_IsObject(c))
            continue;
        char *prefix = is_message_section(c->string) ? sbx_sprintf("messages.%s", c->string) : sbx_strdup(c->string);
        if (prefix)
            flatten(entries, c, prefix);
        free(prefix);
    }
}

/* The stored minute for `ms`, created in time order when absent. */
static cJSON *minute_slot(cJSON *stats, int64_t ms)
{
    int index = 0;
    cJSON *s;
    cJSON_ArrayForEach(s, stats) {
        int64_t t = (int64_t)cJSON_GetObjectItemCaseSensitive(s, "t")->valuedouble;
        if (t == ms)
            return s;
        if (t > ms)
            break;
        index++;
    }
    char id[32];
    interval_id(ms, UNIT_MINUTE, id, sizeof id);
    cJSON *slot = cJSON_CreateObject();
    cJSON_AddNumberToObject(slot, "t", (double)ms);
    cJSON_AddStringToObject(slot, "intervalId", id);
    cJSON_AddObjectToObject(slot, "entries");
    cJSON_InsertItemInArray(stats, index, slot);
    return slot;
}

void sbx_route_stats_post(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    cJSON *body = NULL;
    if (!sbx_require_auth(srv, req, resp, &p))
        goto done;
    if (!sbx_cap_permits_app_wide(p.cap, SBX_OP_STATS)) {
        sbx_respond_error(req, resp, 401, 40160, "Posting stats needs the stats capability");
        goto done;
    }
    if (!(body = sbx_request_body(req, resp)))
        goto done;
    if (cJSON_IsObject(body)) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, body);
        body = arr;
    }
    const cJSON *r;
    int64_t ms;
    cJSON_ArrayForEach(r, body) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "intervalId");
        if (!cJSON_IsObject(r) || !cJSON_IsString(id) || !parse_interval(id->valuestring, &ms)) {
            sbx_respond_error(req, resp, 400, 40003, "Each stats record needs an intervalId yyyy-mm-dd:hh:mm");
            goto done;
        }
    }
    cJSON_ArrayForEach(r, body) {
        parse_interval(cJSON_GetObjectItemCaseSensitive(r, "intervalId")->valuestring, &ms);
        cJSON *slot = minute_slot(p.app->stats, ms);
        add_record_entries(cJSON_GetObjectItemCaseSensitive(slot, "entries"), r);
    }
    sbx_respond_value(req, resp, 201, cJSON_CreateObject());
done:
    cJSON_Delete(body);
    sbx_principal_clear(&p);
}

/* Minutes rolled up to `unit`: array of {t, intervalId, unit, entries}, oldest first. */
static cJSON *roll_up(const cJSON *stats, stats_unit unit, const char *app_id)
{
    cJSON *out = cJSON_CreateArray();
    cJSON *current = NULL;
    int64_t current_t = -1;
    const cJSON *s;
    cJSON_ArrayForEach(s, stats) {
        int64_t t = unit_start((int64_t)cJSON_GetObjectItemCaseSensitive(s, "t")->valuedouble, unit);
        if (!current || t != current_t) {
            char id[32];
            interval_id(t, unit, id, sizeof id);
            current = cJSON_CreateObject();
            current_t = t;
            cJSON_AddNumberToObject(current, "t", (double)t);
            cJSON_AddStringToObject(current, "intervalId", id);
            cJSON_AddStringToObject(current, "unit", unit_names[unit]);
            cJSON_AddStringToObject(current, "appId", app_id);
            cJSON_AddStringToObject(current, "schema", "https://schemas.ably.com/json/app-stats-0.0.5.json");
            cJSON_AddObjectToObject(current, "entries");
            cJSON_AddItemToArray(out, current);
        }
        flatten(cJSON_GetObjectItemCaseSensitive(current, "entries"), cJSON_GetObjectItemCaseSensitive(s, "entries"),
                NULL);
    }
    return out;
}

static bool parse_unit(const sbx_request *req, sbx_response *resp, stats_unit *unit)
{
    const char *v = sbx_query(req, "unit");
    *unit = UNIT_MINUTE;
    if (!v || !*v)
        return true;
    for (int i = 0; i < 4; i++)
        if (strcmp(v, unit_names[i]) == 0)
            return (*unit = (stats_unit)i), true;
    sbx_respond_error(req, resp, 400, 40003, "unit must be minute, hour, day or month");
    return false;
}

static char *stats_link(stats_unit unit, const sbx_history_query *q, int64_t cursor, const char *rel)
{
    char extra[96] = "", cur[64] = "";
    if (q->start > 0 || q->end != INT64_MAX)
        snprintf(extra, sizeof extra, "&start=%" PRId64 "&end=%" PRId64, q->start, q->end);
    if (cursor >= 0) {
        char raw[40];
        snprintf(raw, sizeof raw, "seq:%" PRId64, cursor);
        char *b64 = sbx_base64_encode((const unsigned char *)raw, strlen(raw), true);
        snprintf(cur, sizeof cur, "&cursor=%s", b64 ? b64 : "");
        free(b64);
    }
    return sbx_sprintf("<./stats?unit=%s&limit=%" PRId64 "&direction=%s%s%s>; rel=\"%s\"", unit_names[unit],
                       q->limit, q->forwards ? "forwards" : "backwards", extra, cur, rel);
}

void sbx_route_stats_get(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    sbx_history_query q;
    stats_unit unit;
    if (!sbx_require_auth(srv, req, resp, &p))
        goto done;
    if (!sbx_cap_permits_app_wide(p.cap, SBX_OP_STATS)) {
        sbx_respond_error(req, resp, 401, 40160, "Stats need the stats capability on all channels");
        goto done;
    }
    if (!sbx_parse_history_query(req, resp, &q) || !parse_unit(req, resp, &unit))
        goto done;
    cJSON *rolled = roll_up(p.app->stats, unit, p.app->id);
    int64_t n = cJSON_GetArraySize(rolled), next = -1, count = 0;
    cJSON *items = cJSON_CreateArray();
    int64_t i = q.cursor >= 0 ? q.cursor : (q.forwards ? 0 : n - 1);
    for (; i >= 0 && i < n; i += q.forwards ? 1 : -1) {
        const cJSON *e = cJSON_GetArrayItem(rolled, (int)i);
        int64_t t = (int64_t)cJSON_GetObjectItemCaseSensitive(e, "t")->valuedouble;
        if (t < unit_start(q.start, unit) || t > q.end)
            continue;
        if (count == q.limit) {
            next = i;
            break;
        }
        cJSON *copy = cJSON_Duplicate(e, true);
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "t");
        cJSON_AddItemToArray(items, copy);
        count++;
    }
    cJSON_Delete(rolled);
    sbx_respond_value(req, resp, 200, items);
    char *links[3] = { stats_link(unit, &q, -1, "first"), stats_link(unit, &q, q.cursor, "current"),
                       next >= 0 ? stats_link(unit, &q, next, "next") : NULL };
    char *header = sbx_sprintf("%s, %s%s%s", links[0] ? links[0] : "", links[1] ? links[1] : "",
                               links[2] ? ", " : "", links[2] ? links[2] : "");
    if (header)
        sbx_response_header(resp, "link", header);
    free(header);
    for (int k = 0; k < 3; k++)
        free(links[k]);
done:
    sbx_principal_clear(&p);
}
