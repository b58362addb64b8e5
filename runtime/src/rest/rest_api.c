/* RestClient calls built on the pipeline: time (RSC16), stats (RSC6), request (RSC19). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/gen/errors.h"
#include "codec/internal.h"
#include "rest/rest_core.h"

/* The time may come as [t], {"time": t} or t. */
static bool read_time(const cJSON *root, int64_t *out)
{
    const cJSON *n = root;
    if (cJSON_IsArray(root))
        n = cJSON_GetArrayItem(root, 0);
    else if (cJSON_IsObject(root))
        n = cJSON_GetObjectItemCaseSensitive(root, "time");
    if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9007199254740992.0)
        return false;
    *out = (int64_t)n->valuedouble;
    return true;
}

int ably_rest_time(ably_rest *rest, int64_t *out_ms, ably_error *err)
{
    ably_rest_call call = {.method = "GET", .path = "/time", .authenticated = false};
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    ably_buf json;
    ably_buf_init(&json);
    int rc = ably_rest_perform(rest, &call, &reply, err);
    if (rc == 0 && (rc = ably_rest_reply_json(&reply, &json, err)) == 0) {
        cJSON *root = json.len ? codec_json_parse_text(json.data, json.len) : NULL;
        if (!root || !read_time(root, out_ms)) {
            ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "unexpected /time reply");
            rc = -1;
        }
        cJSON_Delete(root);
    }
    ably_buf_free(&json);
    ably_rest_reply_clear(&reply);
    return rc;
}

static int set_int(ably_string_map *m, const char *key, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    return ably_string_map_set(m, key, num);
}

static int stats_query(const ably_stats_params *sp, ably_string_map *q, ably_error *err)
{
    if (!sp)
        return 0;
    if (sp->start && sp->end && sp->start > sp->end) { /* RSC6b1 */
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "stats: start must not be after end");
        return -1;
    }
    if (sp->limit < 0 || sp->limit > 1000) { /* RSC6b3 */
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "stats: limit must be between 1 and 1000");
        return -1;
    }
    if (sp->direction && strcmp(sp->direction, "forwards") && strcmp(sp->direction, "backwards")) {
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "stats: direction must be forwards or backwards");
        return -1;
    }
    if (sp->unit && strcmp(sp->unit, "minute") && strcmp(sp->unit, "hour") && strcmp(sp->unit, "day") &&
        strcmp(sp->unit, "month")) {
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "stats: unit must be minute, hour, day or month");
        return -1;
    }
    if ((sp->start && set_int(q, "start", sp->start)) || (sp->end && set_int(q, "end", sp->end)) ||
        (sp->direction && ably_string_map_set(q, "direction", sp->direction)) ||
        (sp->limit && set_int(q, "limit", sp->limit)) || (sp->unit && ably_string_map_set(q, "unit", sp->unit))) {
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    return 0;
}

int ably_rest_stats(ably_rest *rest, const ably_stats_params *params, ably_paginated_result **out,
                    ably_error *err)
{
    *out = NULL;
    ably_string_map query = {0};
    int rc = stats_query(params, &query, err);
    if (rc == 0) {
        ably_rest_call call = {.method = "GET", .path = "/stats", .query = &query, .authenticated = true};
        ably_paginated_kind kind = {.type = &ably_stats_desc};
        rc = ably_paginated_fetch(rest, &kind, &call, out, err);
    }
    ably_string_map_clear(&query);
    return rc;
}

static int buf_write(void *data, const char *bytes, size_t len)
{
    return ably_buf_append(data, bytes, len);
}

/* RSC19c: the JSON body, re-encoded as msgpack when that is the client's format. */
static int encode_body(ably_rest *rest, const char *body_json, ably_buf *out, ably_error *err)
{
    size_t len = strlen(body_json);
    cJSON *check = codec_json_parse_text(body_json, len);
    if (!check || !(cJSON_IsObject(check) || cJSON_IsArray(check))) {
        cJSON_Delete(check);
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "request: body must be a JSON object or array");
        return -1;
    }
    cJSON_Delete(check);
    if (ably_rest_format(rest) == ABLY_FORMAT_JSON)
        return ably_buf_append(out, body_json, len);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    if (codec_mp_pack_json_text(&pk, body_json, len) != 0) {
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "request: body could not be encoded");
        return -1;
    }
    return 0;
}

static bool valid_method(const char *m)
{
    static const char *const known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    for (size_t i = 0; m && i < sizeof known / sizeof *known; i++)
        if (strcmp(m, known[i]) == 0)
            return true;
    return false;
}

int ably_rest_request(ably_rest *rest, const char *method, const char *path, int version,
                      const ably_string_map *params, const char *body_json, const ably_string_map *headers,
                      ably_paginated_result **out, ably_error *err)
{
    *out = NULL;
    if (!valid_method(method) || !path || !*path) {
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "request: need an HTTP method and a path");
        return -1;
    }
    ably_string_map h = {0};
    ably_buf body;
    ably_buf_init(&body);
    char *slashed = NULL;
    int rc = -1;
    if (path[0] != '/') { /* "channels/x" means "/channels/x" */
        if (asprintf(&slashed, "/%s", path) < 0) {
            slashed = NULL;
            goto oom;
        }
        path = slashed;
    }
    for (size_t i = 0; headers && i < headers->count; i++) {
        /* RSC19b: authentication is always the client's own; Host follows the host (RSC15j). */
        if (!strcasecmp(headers->items[i].key, "Authorization") || !strcasecmp(headers->items[i].key, "Host"))
            continue;
        if (ably_string_map_set(&h, headers->items[i].key, headers->items[i].value))
            goto oom;
    }
    if (version > 0) { /* RSC19f1 */
        char v[16];
        snprintf(v, sizeof v, "%d", version);
        if (ably_string_map_set(&h, "X-Ably-Version", v))
            goto oom;
    }
    if (body_json && encode_body(rest, body_json, &body, err) != 0)
        goto done;
    ably_rest_call call = {
        .method = method, .path = path, .query = params, .headers = &h,
        .body = body_json ? (body.data ? body.data : "") : NULL, .body_len = body.len, .authenticated = true,
    };
    ably_paginated_kind kind = {.type = NULL};
    rc = ably_paginated_fetch(rest, &kind, &call, out, err);
    goto done;
oom:
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
done:
    free(slashed);
    ably_string_map_clear(&h);
    ably_buf_free(&body);
    return rc;
}
