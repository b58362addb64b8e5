/* Rules: parsing the uts-proxy JSON rule shape, and first-match evaluation
 * with `count` (fire on the Nth occurrence only) and `times` (retire after
 * N firings). */
#include "px.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    px_match_type type;
} match_names[] = {
    { "ws_connect", PX_M_WS_CONNECT },
    { "ws_frame_to_client", PX_M_FRAME_TO_CLIENT },
    { "ws_frame_to_server", PX_M_FRAME_TO_SERVER },
    { "http_request", PX_M_HTTP_REQUEST },
    { "delay_after_ws_connect", PX_M_DELAY_AFTER_WS_CONNECT },
};

static const struct {
    const char *name;
    px_action_type type;
} action_names[] = {
    { "passthrough", PX_A_PASSTHROUGH },
    { "refuse_connection", PX_A_REFUSE },
    { "accept_and_close", PX_A_ACCEPT_AND_CLOSE },
    { "disconnect", PX_A_DISCONNECT },
    { "close", PX_A_CLOSE },
    { "suppress", PX_A_SUPPRESS },
    { "delay", PX_A_DELAY },
    { "inject_to_client", PX_A_INJECT },
    { "inject_to_client_and_close", PX_A_INJECT_AND_CLOSE },
    { "replace", PX_A_REPLACE },
    { "suppress_onwards", PX_A_SUPPRESS_ONWARDS },
    { "http_respond", PX_A_HTTP_RESPOND },
    { "http_delay", PX_A_HTTP_DELAY },
    { "http_drop", PX_A_HTTP_DROP },
    { "http_replace_response", PX_A_HTTP_REPLACE_RESPONSE },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t int_field(const cJSON *o, const char *name, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static char *dup_or_null(const char *s) { return s ? px_xstrdup(s) : NULL; }

static int parse_match(px_rule *r, const cJSON *m, const char **err)
{
    const char *type = str_field(m, "type");
    size_t i;
    for (i = 0; type && i < N_OF(match_names); i++)
        if (strcmp(type, match_names[i].name) == 0)
            break;
    if (!type || i == N_OF(match_names)) {
        *err = "match.type missing or unknown";
        return -1;
    }
    r->match = match_names[i].type;
    r->count = (int)int_field(m, "count", 0);
    r->delay_ms = int_field(m, "delayMs", 0);
    r->action_num = -1;
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(m, "action");
    if (action) {
        if (!cJSON_IsString(action)) { /* uts-proxy rejects numbers: mirror it */
            *err = "match.action must be a string (an action name or a numeric string)";
            return -1;
        }
        r->action_num = px_action_parse(action->valuestring);
        if (r->action_num < 0) {
            *err = "match.action is not a known protocol action";
            return -1;
        }
    }
    r->channel = dup_or_null(str_field(m, "channel"));
    r->method = dup_or_null(str_field(m, "method"));
    r->path_contains = dup_or_null(str_field(m, "pathContains"));
    r->query_contains = cJSON_GetObjectItemCaseSensitive(m, "queryContains");
    if (r->match == PX_M_DELAY_AFTER_WS_CONNECT && r->delay_ms <= 0) {
        *err = "delay_after_ws_connect needs delayMs > 0";
        return -1;
    }
    return 0;
}

static int parse_action(px_rule *r, const cJSON *a, const char **err)
{
    const char *type = str_field(a, "type");
    size_t i;
    for (i = 0; type && i < N_OF(action_names); i++)
        if (strcmp(type, action_names[i].name) == 0)
            break;
    if (!type || i == N_OF(action_names)) {
        *err = "action.type missing or unknown";
        return -1;
    }
    r->action = action_names[i].type;
    r->action_delay_ms = int_field(a, "delayMs", 0);
    r->close_code = (int)int_field(a, "closeCode", 1000);
    r->status = (int)int_field(a, "status", 500);
    r->message = cJSON_GetObjectItemCaseSensitive(a, "message");
    r->body = cJSON_GetObjectItemCaseSensitive(a, "body");
    r->headers = cJSON_GetObjectItemCaseSensitive(a, "headers");
    bool needs_message = r->action == PX_A_INJECT || r->action == PX_A_INJECT_AND_CLOSE || r->action == PX_A_REPLACE;
    if (needs_message && !cJSON_IsObject(r->message)) {
        *err = "action.message (a ProtocolMessage object) is required";
        return -1;
    }
    if (r->status < 100 || r->status > 599) {
        *err = "action.status must be an HTTP status";
        return -1;
    }
    return 0;
}

px_rule *px_rule_parse(const cJSON *json, unsigned id, const char **err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(json, "match");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "action");
    if (!cJSON_IsObject(m) || !cJSON_IsObject(a)) {
        *err = "a rule needs match and action objects";
        return NULL;
    }
    px_rule *r = px_xcalloc(1, sizeof *r);
    r->id = id;
    r->json = cJSON_Duplicate(json, true);
    /* Borrowed pointers must point into our own copy. */
    m = cJSON_GetObjectItemCaseSensitive(r->json, "match");
    a = cJSON_GetObjectItemCaseSensitive(r->json, "action");
    if (parse_match(r, m, err) != 0 || parse_action(r, a, err) != 0) {
        px_rule_free(r);
        return NULL;
    }
    r->times = (int)int_field(json, "times", 0);
    int64_t duration = int_field(json, "durationMs", 0);
    r->expires_at = duration > 0 ? px_now_ms() + duration : 0;
    const char *comment = str_field(json, "comment");
    char fallback[32];
    snprintf(fallback, sizeof fallback, "rule-%u", id);
    r->label = px_xstrdup(comment ? comment : fallback);
    return r;
}

void px_rule_free(px_rule *r)
{
    if (!r)
        return;
    free(r->label);
    free(r->channel);
    free(r->method);
    free(r->path_contains);
    cJSON_Delete(r->json);
    free(r);
}

static bool query_matches(const cJSON *want, const cJSON *query)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        const cJSON *have = cJSON_GetObjectItemCaseSensitive(query, w->string);
        if (!cJSON_IsString(have))
            return false;
        if (cJSON_IsString(w) && strcmp(w->valuestring, "*") != 0 && strcmp(w->valuestring, have->valuestring) != 0)
            return false;
    }
    return true;
}

static bool base_matches(const px_rule *r, const px_event *ev)
{
    if (r->match != ev->type)
        return false;
    switch (r->match) {
    case PX_M_FRAME_TO_CLIENT:
    case PX_M_FRAME_TO_SERVER:
        if (r->action_num >= 0 && r->action_num != ev->action)
            return false;
        return !r->channel || (ev->channel && strcmp(r->channel, ev->channel) == 0);
    case PX_M_HTTP_REQUEST:
        if (r->method && strcasecmp(r->method, ev->method) != 0)
            return false;
        return !r->path_contains || strstr(ev->path, r->path_contains);
    case PX_M_WS_CONNECT:
        return !r->query_contains || query_matches(r->query_contains, ev->query);
    case PX_M_DELAY_AFTER_WS_CONNECT:
        return true;
    }
    return false;
}

static bool spent(const px_rule *r, int64_t now)
{
    return (r->times > 0 && r->fired >= r->times) || (r->expires_at && now >= r->expires_at);
}

px_rule *px_rules_match(px_rule *head, const px_event *ev, int64_t now)
{
    for (px_rule *r = head; r; r = r->next) {
        if (spent(r, now) || !base_matches(r, ev))
            continue;
        r->seen++;
        if (r->count > 0 && r->seen != r->count)
            continue;
        r->fired++;
        return r;
    }
    return NULL;
}

void px_rules_reap(px_rule **head, int64_t now)
{
    while (*head) {
        if (spent(*head, now)) {
            px_rule *dead = *head;
            *head = dead->next;
            px_rule_free(dead);
        } else {
            head = &(*head)->next;
        }
    }
}

size_t px_rules_count(const px_rule *head)
{
    size_t n = 0;
    for (; head; head = head->next)
        n++;
    return n;
}
