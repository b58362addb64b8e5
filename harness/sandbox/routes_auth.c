/* POST /keys/{keyName}/requestToken (RSA8, TE, TK): exchanges a signed
 * TokenRequest (no auth needed) or TokenParams with Basic auth for a token. */
#include "sbx_auth.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TTL_MS 3600000LL
#define MAX_TTL_MS 86400000LL
#define TIMESTAMP_WINDOW_MS 120000LL /* signed requests: within 2 minutes */
#define MIN_NONCE_LEN 16

/* A field of the request body as the text that was signed: strings as they
 * are, integers in decimal, absent as "". False when it has the wrong type. */
static bool field_text(const cJSON *body, const char *name, bool integer, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return true;
    if (integer && cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)) {
        snprintf(out, cap, "%" PRId64, (int64_t)v->valuedouble);
        return true;
    }
    if (integer && cJSON_IsString(v)) { /* some SDKs send numbers as strings */
        int64_t n;
        if (!sbx_parse_i64(v->valuestring, &n))
            return false;
        snprintf(out, cap, "%" PRId64, n);
        return true;
    }
    if (!integer && cJSON_IsString(v)) {
        snprintf(out, cap, "%s", v->valuestring);
        return strlen(v->valuestring) < cap;
    }
    return false;
}

typedef struct {
    char ttl[32], capability[4096], client_id[512], timestamp[32], nonce[256], mac[128];
} token_fields;

static bool read_fields(const cJSON *body, token_fields *f, const char **bad)
{
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(body, "capability");
    if (cJSON_IsObject(cap)) { /* tolerate an object: sign/compare its text */
        char *text = cJSON_PrintUnformatted(cap);
        snprintf(f->capability, sizeof f->capability, "%s", text ? text : "");
        cJSON_free(text);
    } else if (!field_text(body, "capability", false, f->capability, sizeof f->capability)) {
        return (*bad = "capability"), false;
    }
    if (!field_text(body, "ttl", true, f->ttl, sizeof f->ttl))
        return (*bad = "ttl"), false;
    if (!field_text(body, "clientId", false, f->client_id, sizeof f->client_id))
        return (*bad = "clientId"), false;
    if (!field_text(body, "timestamp", true, f->timestamp, sizeof f->timestamp))
        return (*bad = "timestamp"), false;
    if (!field_text(body, "nonce", false, f->nonce, sizeof f->nonce))
        return (*bad = "nonce"), false;
    if (!field_text(body, "mac", false, f->mac, sizeof f->mac))
        return (*bad = "mac"), false;
    return true;
}

/* Checks MAC, timestamp window and nonce reuse of a signed request. */
static bool verify_signed(const sbx_request *req, sbx_response *resp, sbx_key *key,
                          const token_fields *f)
{
    int64_t ts;
    if (!sbx_parse_i64(f->timestamp, &ts)) {
        sbx_respond_error(req, resp, 400, 40003, "Signed TokenRequest needs a timestamp");
        return false;
    }
    if (strlen(f->nonce) < MIN_NONCE_LEN) {
        sbx_respond_error(req, resp, 400, 40003, "TokenRequest nonce must be at least %d characters",
                          MIN_NONCE_LEN);
        return false;
    }
    char *mac = sbx_token_request_mac(key->secret, key->name, f->ttl, f->capability, f->client_id,
                                      f->timestamp, f->nonce);
    bool ok = mac && sbx_secure_streq(mac, f->mac);
    free(mac);
    if (!ok) {
        sbx_respond_error(req, resp, 401, 40101, "Invalid mac in TokenRequest");
        return false;
    }
    int64_t now = sbx_now_ms();
    if (ts < now - TIMESTAMP_WINDOW_MS || ts > now + TIMESTAMP_WINDOW_MS) {
        sbx_respond_error(req, resp, 401, 40104, "TokenRequest timestamp outside permitted window");
        return false;
    }
    if (!sbx_nonce_record(key->app, key->name, f->nonce, now + 2 * TIMESTAMP_WINDOW_MS)) {
        sbx_respond_error(req, resp, 401, 40105, "TokenRequest nonce already used");
        return false;
    }
    return true;
}

/* Unsigned requests must come with Basic auth for the same key. */
static bool verify_unsigned(sbx_server *srv, const sbx_request *req, sbx_response *resp,
                            const sbx_key *key)
{
    sbx_principal p;
    bool ok = sbx_require_auth(srv, req, resp, &p);
    if (ok && !p.basic) {
        sbx_respond_error(req, resp, 401, 40162, "An unsigned TokenRequest requires Basic auth");
        ok = false;
    } else if (ok && p.key != key) {
        sbx_respond_error(req, resp, 401, 40101, "Basic auth key does not match %s", key->name);
        ok = false;
    }
    sbx_principal_clear(&p);
    return ok;
}

static bool resolve_ttl(const sbx_request *req, sbx_response *resp, const char *text, int64_t *ttl)
{
    *ttl = DEFAULT_TTL_MS;
    if (!*text)
        return true;
    if (!sbx_parse_i64(text, ttl) || *ttl < 0) {
        sbx_respond_error(req, resp, 400, 40003, "Invalid ttl");
        return false;
    }
    if (*ttl == 0)
        *ttl = DEFAULT_TTL_MS;
    if (*ttl > MAX_TTL_MS) {
        sbx_respond_error(req, resp, 400, 40003, "ttl exceeds the maximum of %lld ms",
                          (long long)MAX_TTL_MS);
        return false;
    }
    return true;
}

/* Requested capability (or the key's) intersected with the key's. */
static bool resolve_capability(const sbx_request *req, sbx_response *resp, const sbx_key *key,
                               const char *text, sbx_capability *out)
{
    sbx_capability requested;
    const char *why = NULL;
    if (!*text)
        text = key->capability;
    if (sbx_cap_parse(text, &requested, &why) != 0) {
        sbx_respond_error(req, resp, 400, 40000, "Invalid capability: %s", why);
        return false;
    }
    int rc = sbx_cap_intersect(&requested, &key->cap, out);
    sbx_cap_clear(&requested);
    if (rc != 0 || out->count == 0) {
        sbx_cap_clear(out);
        sbx_respond_error(req, resp, 401, 40160, "Requested capability is not permitted by key %s",
                          key->name);
        return false;
    }
    return true;
}

static cJSON *token_details_json(const sbx_token *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "token", t->token);
    cJSON_AddStringToObject(o, "keyName", t->key->name);
    cJSON_AddNumberToObject(o, "issued", (double)t->issued);
    cJSON_AddNumberToObject(o, "expires", (double)t->expires);
    cJSON_AddStringToObject(o, "capability", t->capability);
    if (t->client_id)
        cJSON_AddStringToObject(o, "clientId", t->client_id);
    return o;
}

static void issue(sbx_server *srv, const sbx_request *req, sbx_response *resp, sbx_key *key,
                  const cJSON *body)
{
    token_fields f;
    const char *bad = NULL;
    if (!read_fields(body, &f, &bad)) {
        sbx_respond_error(req, resp, 400, 40003, "TokenRequest field %s has the wrong type", bad);
        return;
    }
    const cJSON *body_key = cJSON_GetObjectItemCaseSensitive(body, "keyName");
    if (cJSON_IsString(body_key) && strcmp(body_key->valuestring, key->name) != 0) {
        sbx_respond_error(req, resp, 401, 40101, "TokenRequest keyName does not match the URL");
        return;
    }
    bool ok = f.mac[0] ? verify_signed(req, resp, key, &f) : verify_unsigned(srv, req, resp, key);
    int64_t ttl;
    sbx_capability cap;
    if (!ok || !resolve_ttl(req, resp, f.ttl, &ttl) ||
        !resolve_capability(req, resp, key, f.capability, &cap))
        return;
    sbx_token *t = sbx_token_issue(srv->store, key, ttl, &cap, f.client_id[0] ? f.client_id : NULL);
    if (!t) {
        sbx_respond_error(req, resp, 500, 50000, "Could not issue a token");
        return;
    }
    sbx_respond_value(req, resp, 200, token_details_json(t));
}

void sbx_route_request_token(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_key *key = sbx_key_find(srv->store, req->params[0]);
    if (!key) {
        sbx_respond_error(req, resp, 404, 40400, "No such key: %s", req->params[0]);
        return;
    }
    cJSON *body = sbx_request_body(req, resp);
    if (!body)
        return;
    if (!cJSON_IsObject(body))
        sbx_respond_error(req, resp, 400, 40001, "TokenRequest must be an object");
    else
        issue(srv, req, resp, key, body);
    cJSON_Delete(body);
}
