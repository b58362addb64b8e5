/* POST /apps (no auth) and DELETE /apps/{appId} (Basic auth with one of the
 * app's keys): the sandbox test-app API. */
#include "sbx_auth.h"
#include "sbx_routes.h"
#include "sbx_store.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

#define ACCOUNT_ID "sandbox"

static cJSON *key_json(const sbx_app *app, const sbx_key *k)
{
    cJSON *o = cJSON_CreateObject();
    char *scope = sbx_sprintf("app:%s", app->id);
    char *key_str = sbx_sprintf("%s:%s", k->name, k->secret);
    cJSON_AddStringToObject(o, "id", k->id);
    cJSON_AddStringToObject(o, "value", k->secret);
    cJSON_AddStringToObject(o, "keyName", k->name);
    cJSON_AddStringToObject(o, "keySecret", k->secret);
    cJSON_AddStringToObject(o, "keyStr", key_str ? key_str : "");
    cJSON_AddStringToObject(o, "scopeId", scope ? scope : "");
    cJSON_AddNumberToObject(o, "status", 0);
    cJSON_AddNumberToObject(o, "type", 0);
    cJSON_AddNumberToObject(o, "created", (double)app->created);
    cJSON_AddNumberToObject(o, "modified", (double)app->created);
    cJSON_AddStringToObject(o, "capability", k->capability);
    cJSON_AddBoolToObject(o, "privileged", false);
    cJSON_AddBoolToObject(o, "revocableTokens", k->revocable);
    free(scope);
    free(key_str);
    return o;
}

static cJSON *app_json(const sbx_app *app, const cJSON *spec)
{
    cJSON *o = cJSON_CreateObject();
    char *id = sbx_sprintf("%s:%s", ACCOUNT_ID, app->id);
    cJSON_AddNumberToObject(o, "status", 1);
    cJSON_AddNumberToObject(o, "created", (double)app->created);
    cJSON_AddNumberToObject(o, "modified", (double)app->created);
    cJSON_AddBoolToObject(o, "tlsOnly", false);
    cJSON_AddStringToObject(o, "labels", "autodelete");
    cJSON_AddStringToObject(o, "id", id ? id : "");
    cJSON_AddStringToObject(o, "appId", app->id);
    cJSON_AddStringToObject(o, "accountId", ACCOUNT_ID);
    free(id);
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    for (size_t i = 0; i < app->key_count; i++)
        cJSON_AddItemToArray(keys, key_json(app, &app->keys[i]));
    cJSON *ns = cJSON_Duplicate(app->namespaces, true);
    const cJSON *n;
    cJSON_ArrayForEach(n, ns) {
        if (cJSON_IsObject(n)) {
            cJSON_AddNumberToObject((cJSON *)n, "created", (double)app->created);
            cJSON_AddNumberToObject((cJSON *)n, "modified", (double)app->created);
        }
    }
    cJSON_AddItemToObject(o, "namespaces", ns);
    const cJSON *channels = cJSON_GetObjectItemCaseSensitive(spec, "channels");
    cJSON_AddItemToObject(o, "channels", cJSON_IsArray(channels) ? cJSON_Duplicate(channels, true)
                                                                 : cJSON_CreateArray());
    if (app->limits)
        cJSON_AddItemToObject(o, "limits", cJSON_Duplicate(app->limits, true));
    return o;
}

void sbx_route_post_apps(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    cJSON *spec = sbx_request_body(req, resp);
    if (!spec)
        return;
    /* test-app-setup.json wraps the body in "post_apps"; accept it either way. */
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(spec, "post_apps");
    if (!cJSON_IsObject(body))
        body = spec;
    const char *why = NULL;
    sbx_app *app = sbx_app_create(srv->store, body, &why);
    if (!app) {
        sbx_respond_error(req, resp, 400, 40000, "Invalid app spec: %s", why ? why : "?");
    } else {
        sbx_log(srv, 2, "created app %s with %zu keys", app->id, app->key_count);
        sbx_respond_value(req, resp, 201, app_json(app, body));
    }
    cJSON_Delete(spec);
}

void sbx_route_delete_app(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    if (!sbx_require_auth(srv, req, resp, &p)) {
        sbx_principal_clear(&p);
        return;
    }
    const char *app_id = req->params[0];
    if (!p.basic)
        sbx_respond_error(req, resp, 401, 40162, "Deleting an app requires Basic auth");
    else if (strcmp(p.app->id, app_id) != 0)
        sbx_respond_error(req, resp, 401, 40101, "Key does not belong to app %s", app_id);
    else {
        sbx_log(srv, 2, "deleted app %s", app_id);
        sbx_app_delete(srv->store, p.app);
        sbx_respond_empty(resp, 204);
    }
    sbx_principal_clear(&p);
}
