/* POST /keys/{keyName}/revokeTokens (RSA17g, TRS2, TRF2).
 *
 * Body {targets: ["type:value", ...], issuedBefore?, allowReauthMargin?}.
 * Only Basic auth with that very key (40162 with a token, 40133 with another
 * key), and only on keys created with revocableTokens (40163). Each target
 * gets its own result: "clientId:<id>" marks every token that key issued to
 * that clientId at or before issuedBefore as revoked (later requests get
 * 401/40141); "revocationKey:<k>" is accepted (tokens here carry no
 * revocation key, so it matches none); any other type fails with 40000.
 *
 * Simplification: revocation takes effect at once; appliesAt still reports
 * now + 30 s when allowReauthMargin is set, as the service does. */
#include "sbx_auth.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

#define REAUTH_MARGIN_MS 30000

static int revoke_client_id(sbx_store *store, const sbx_key *key, const char *client_id, int64_t before)
{
    int n = 0;
    size_t b;
    for (sbx_map_node *node = sbx_map_first(&store->tokens, &b); node; node = sbx_map_next(&store->tokens, node, &b)) {
        sbx_token *t = node->value;
        if (t->key == key && t->client_id && strcmp(t->client_id, client_id) == 0 && t->issued <= before) {
            t->revoked = true;
            n++;
        }
    }
    return n;
}

static cJSON *revoke_target(sbx_server *srv, const sbx_key *key, const char *target, int64_t before,
                            int64_t applies_at, bool *ok)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "target", target);
    const char *colon = strchr(target, ':');
    size_t type_len = colon ? (size_t)(colon - target) : 0;
    *ok = colon && colon[1] &&
          ((type_len == 8 && strncmp(target, "clientId", 8) == 0) ||
           (type_len == 13 && strncmp(target, "revocationKey", 13) == 0));
    if (!*ok) {
        cJSON_AddItemToObject(r, "error", sbx_error_json(400, 40000, "Invalid token revocation target"));
        return r;
    }
    if (type_len == 8)
        revoke_client_id(srv->store, key, colon + 1, before);
    cJSON_AddNumberToObject(r, "issuedBefore", (double)before);
    cJSON_AddNumberToObject(r, "appliesAt", (double)applies_at);
    return r;
}

static bool check_caller(const sbx_request *req, sbx_response *resp, const sbx_principal *p)
{
    const char *key_name = req->params[0];
    if (!p->basic)
        return sbx_respond_error(req, resp, 401, 40162, "Token revocation requires Basic (key) auth"), false;
    if (strcmp(p->key->name, key_name) != 0)
        return sbx_respond_error(req, resp, 401, 40133, "Revoking tokens of %s needs that key", key_name), false;
    if (!p->key->revocable)
        return sbx_respond_error(req, resp, 401, 40163, "Token revocation is not enabled for this key"), false;
    return true;
}

void sbx_route_revoke_tokens(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    cJSON *body = NULL;
    if (!sbx_require_auth(srv, req, resp, &p) || !check_caller(req, resp, &p) ||
        !(body = sbx_request_body(req, resp)))
        goto done;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(body, "targets");
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(body, "issuedBefore");
    const cJSON *margin = cJSON_GetObjectItemCaseSensitive(body, "allowReauthMargin");
    int64_t now = sbx_now_ms();
    if (!cJSON_IsArray(targets) || cJSON_GetArraySize(targets) == 0) {
        sbx_respond_error(req, resp, 400, 40003, "targets must be a non-empty array of \"type:value\"");
        goto done;
    }
    if (before && (!cJSON_IsNumber(before) || before->valuedouble < 0)) {
        sbx_respond_error(req, resp, 400, 40003, "issuedBefore must be a timestamp in ms");
        goto done;
    }
    if (margin && !cJSON_IsBool(margin)) {
        sbx_respond_error(req, resp, 400, 40003, "allowReauthMargin must be a boolean");
        goto done;
    }
    int64_t issued_before = before ? (int64_t)before->valuedouble : now;
    int64_t applies_at = now + (cJSON_IsTrue(margin) ? REAUTH_MARGIN_MS : 0);
    cJSON *results = cJSON_CreateArray();
    int ok_count = 0, failed = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, targets) {
        bool ok = false;
        if (cJSON_IsString(t))
            cJSON_AddItemToArray(results, revoke_target(srv, p.key, t->valuestring, issued_before, applies_at, &ok));
        else
            cJSON_AddItemToArray(results, revoke_target(srv, p.key, "", issued_before, applies_at, &ok));
        ok ? ok_count++ : failed++;
    }
    sbx_respond_batch(req, resp, 201, results, ok_count, failed);
done:
    cJSON_Delete(body);
    sbx_principal_clear(&p);
}
