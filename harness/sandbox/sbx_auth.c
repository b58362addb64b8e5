#include "sbx_auth.h"
#include "sbx_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(sbx_auth_error *err, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(sbx_auth_error *err, int status, int code, const char *fmt, ...)
{
    err->status = status;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void sbx_principal_clear(sbx_principal *p)
{
    sbx_cap_clear(&p->own_cap);
    free(p->own_client_id);
    memset(p, 0, sizeof *p);
}

/* "keyName:secret" -> principal. */
static int auth_key_pair(sbx_store *store, const char *pair, size_t len, sbx_principal *p,
                         sbx_auth_error *err)
{
    const char *colon = memchr(pair, ':', len);
    if (!colon)
        return fail(err, 401, 40101, "Malformed API key; expected keyName:keySecret");
    char *name = sbx_strndup(pair, (size_t)(colon - pair));
    char *secret = sbx_strndup(colon + 1, len - (size_t)(colon - pair) - 1);
    int rc = 0;
    sbx_key *key = name ? sbx_key_find(store, name) : NULL;
    if (!name || !secret)
        rc = fail(err, 500, 50000, "Out of memory");
    else if (!key)
        rc = fail(err, 401, 40400, "No such key: %s", name);
    else if (!sbx_secure_streq(key->secret, secret))
        rc = fail(err, 401, 40101, "Invalid credentials for key %s", name);
    if (rc == 0) {
        p->app = key->app;
        p->key = key;
        p->basic = true;
        p->cap = &key->cap;
    }
    free(name);
    free(secret);
    return rc;
}

static int auth_basic(sbx_store *store, const char *b64, sbx_principal *p, sbx_auth_error *err)
{
    size_t len;
    unsigned char *pair = sbx_base64_decode(b64, strlen(b64), &len);
    if (!pair)
        return fail(err, 401, 40101, "Basic credentials are not valid base64");
    int rc = auth_key_pair(store, (const char *)pair, len, p, err);
    free(pair);
    return rc;
}

static int accept_token(sbx_token *t, sbx_principal *p, sbx_auth_error *err)
{
    if (t->revoked)
        return fail(err, 401, 40141, "Token revoked");
    if (t->expires <= sbx_now_ms())
        return fail(err, 401, 40142, "Token expired");
    p->app = t->key->app;
    p->key = t->key;
    p->token = t;
    p->cap = &t->cap;
    p->client_id = t->client_id;
    p->expires = t->expires;
    return 0;
}

static bool looks_like_jwt(const char *s)
{
    const char *d1 = strchr(s, '.');
    return d1 && strchr(d1 + 1, '.') && !strchr(strchr(d1 + 1, '.') + 1, '.');
}

static cJSON *jwt_part_json(const char *part, size_t len)
{
    size_t n;
    unsigned char *raw = sbx_base64_decode(part, len, &n);
    cJSON *v = raw ? cJSON_ParseWithLength((const char *)raw, n) : NULL;
    free(raw);
    return v;
}

int sbx_auth_jwt(sbx_store *store, const char *jwt, sbx_principal *p, sbx_auth_error *err)
{
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2)
        return fail(err, 401, 40144, "Malformed JWT");
    cJSON *header = jwt_part_json(jwt, (size_t)(d1 - jwt));
    cJSON *claims = jwt_part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    int rc = 0;
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
    sbx_key *key = cJSON_IsString(kid) ? sbx_key_find(store, kid->valuestring) : NULL;
    if (!cJSON_IsObject(header) || !cJSON_IsObject(claims)) {
        rc = fail(err, 401, 40144, "JWT header or claims are not JSON");
        goto done;
    }
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0) {
        rc = fail(err, 401, 40144, "JWT must be signed with HS256");
        goto done;
    }
    if (!key) {
        rc = fail(err, 401, 40144, "JWT kid does not name a key of any app");
        goto done;
    }
    unsigned char mac[32];
    sbx_hmac_sha256(key->secret, strlen(key->secret), jwt, (size_t)(d2 - jwt), mac);
    char *expect = sbx_base64_encode(mac, sizeof mac, true);
    bool ok = expect && sbx_secure_streq(expect, d2 + 1);
    free(expect);
    if (!ok) {
        rc = fail(err, 401, 40144, "JWT signature does not verify");
        goto done;
    }
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    if (!cJSON_IsNumber(exp)) {
        rc = fail(err, 401, 40144, "JWT has no exp claim");
        goto done;
    }
    if ((int64_t)(exp->valuedouble * 1000) <= sbx_now_ms()) {
        rc = fail(err, 401, 40142, "Token expired");
        goto done;
    }
    p->expires = (int64_t)(exp->valuedouble * 1000);
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(claims, "x-ably-capability");
    if (cJSON_IsString(cap)) {
        sbx_capability requested;
        const char *why = NULL;
        if (sbx_cap_parse(cap->valuestring, &requested, &why) != 0) {
            rc = fail(err, 401, 40144, "JWT x-ably-capability: %s", why);
            goto done;
        }
        int irc = sbx_cap_intersect(&requested, &key->cap, &p->own_cap);
        sbx_cap_clear(&requested);
        if (irc != 0 || p->own_cap.count == 0) {
            rc = fail(err, 401, 40160, "JWT capability is not permitted by its key");
            goto done;
        }
        p->cap = &p->own_cap;
    } else {
        p->cap = &key->cap;
    }
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(claims, "x-ably-clientId");
    if (cJSON_IsString(cid)) {
        p->own_client_id = sbx_strdup(cid->valuestring);
        p->client_id = p->own_client_id;
    }
    p->app = key->app;
    p->key = key;
done:
    cJSON_Delete(header);
    cJSON_Delete(claims);
    return rc;
}

static int auth_token(sbx_store *store, const char *text, sbx_principal *p, sbx_auth_error *err)
{
    sbx_token *t = sbx_token_find(store, text);
    if (t)
        return accept_token(t, p, err);
    if (looks_like_jwt(text))
        return sbx_auth_jwt(store, text, p, err);
    /* ably-js sends base64(token) */
    size_t n;
    char *decoded = (char *)sbx_base64_decode(text, strlen(text), &n);
    int rc;
    if (decoded && strlen(decoded) == n && (t = sbx_token_find(store, decoded)))
        rc = accept_token(t, p, err);
    else if (decoded && strlen(decoded) == n && looks_like_jwt(decoded))
        rc = sbx_auth_jwt(store, decoded, p, err);
    else
        rc = fail(err, 401, 40140, "Token not recognised");
    free(decoded);
    return rc;
}

/* X-Ably-ClientId (base64) with Basic auth identifies the client (RSA7e2). */
static int apply_header_client_id(const sbx_request *req, sbx_principal *p, sbx_auth_error *err)
{
    const char *h = sbx_header(req, "x-ably-clientid");
    if (!h || !p->basic)
        return 0;
    size_t n;
    char *cid = (char *)sbx_base64_decode(h, strlen(h), &n);
    if (!cid || strlen(cid) != n || n == 0) {
        free(cid);
        return fail(err, 400, 40012, "X-Ably-ClientId is not a valid base64 client id");
    }
    p->own_client_id = cid;
    p->client_id = cid;
    return 0;
}

int sbx_authenticate(sbx_server *srv, const sbx_request *req, sbx_principal *p, sbx_auth_error *err)
{
    memset(p, 0, sizeof *p);
    const char *authz = sbx_header(req, "authorization");
    const char *qkey = sbx_query(req, "key");
    const char *qtok = sbx_query(req, "accessToken");
    if (!qtok)
        qtok = sbx_query(req, "access_token");
    int rc;
    if (authz && strncasecmp(authz, "Basic ", 6) == 0)
        rc = auth_basic(srv->store, authz + 6, p, err);
    else if (authz && strncasecmp(authz, "Bearer ", 7) == 0)
        rc = auth_token(srv->store, authz + 7, p, err);
    else if (authz)
        rc = fail(err, 401, 40101, "Unsupported Authorization scheme");
    else if (qkey)
        rc = auth_key_pair(srv->store, qkey, strlen(qkey), p, err);
    else if (qtok)
        rc = auth_token(srv->store, qtok, p, err);
    else
        rc = fail(err, 401, 40101, "No authentication credentials provided");
    if (rc == 0)
        rc = apply_header_client_id(req, p, err);
    return rc;
}

bool sbx_require_auth(sbx_server *srv, const sbx_request *req, sbx_response *resp, sbx_principal *p)
{
    sbx_auth_error err;
    if (sbx_authenticate(srv, req, p, &err) == 0)
        return true;
    sbx_respond_error(req, resp, err.status, err.code, "%s", err.message);
    if (err.status == 401)
        sbx_response_header(resp, "www-authenticate", "Basic realm=\"ably\", Bearer realm=\"ably\"");
    return false;
}

bool sbx_require_channel_op(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                            const char *channel, uint32_t op)
{
    if (sbx_cap_permits(p->cap, channel, op))
        return true;
    sbx_respond_error(req, resp, 401, 40160, "Action not permitted on channel %s", channel);
    return false;
}

char *sbx_token_request_mac(const char *secret, const char *key_name, const char *ttl,
                            const char *capability, const char *client_id,
                            const char *timestamp, const char *nonce)
{
    char *text = sbx_sprintf("%s\n%s\n%s\n%s\n%s\n%s\n", key_name, ttl, capability, client_id,
                             timestamp, nonce);
    if (!text)
        return NULL;
    unsigned char mac[32];
    sbx_hmac_sha256(secret, strlen(secret), text, strlen(text), mac);
    free(text);
    return sbx_base64_encode(mac, sizeof mac, false);
}
