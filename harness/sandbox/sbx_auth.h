/* Who is making a request, and what they may do.
 *
 * Credentials, in order of precedence:
 *   Authorization: Basic base64(keyName:secret)
 *   Authorization: Bearer <token>     token = an Ably token as issued, the same
 *                                      base64-encoded (ably-js does that), or a JWT
 *   ?key=keyName:secret               (query form of Basic)
 *   ?accessToken=<token> / ?access_token=<token>
 * With Basic auth, X-Ably-ClientId (base64) names the client (RSA7e2).
 *
 * Errors (status / code): no credentials 401/40101; unknown key 401/40400;
 * wrong secret 401/40101; unrecognised token 401/40140; bad JWT 401/40144;
 * expired 401/40142; revoked 401/40141. */
#ifndef SBX_AUTH_H
#define SBX_AUTH_H

#include "sbx_server.h"
#include "sbx_store.h"

typedef struct {
    sbx_app *app;
    sbx_key *key;                /* Basic: the key; token/JWT: the issuing key */
    sbx_token *token;            /* Ably token, or NULL */
    bool basic;
    const sbx_capability *cap;   /* effective capability */
    const char *client_id;       /* NULL anonymous, "*" wildcard */
    int64_t expires;             /* token or JWT expiry, ms since the epoch; 0: never (Basic) */
    /* owned storage for JWT / header-derived values */
    sbx_capability own_cap;
    char *own_client_id;
} sbx_principal;

typedef struct {
    int status;
    int code;
    char message[256];
} sbx_auth_error;

/* Fills *p from the request's credentials; 0 on success, -1 with *err set.
 * Clear *p with sbx_principal_clear in both cases. */
int sbx_authenticate(sbx_server *srv, const sbx_request *req, sbx_principal *p, sbx_auth_error *err);
void sbx_principal_clear(sbx_principal *p);

/* Handler conveniences: authenticate or answer the error; false when answered. */
bool sbx_require_auth(sbx_server *srv, const sbx_request *req, sbx_response *resp, sbx_principal *p);
/* Checks one operation on a channel; answers 401/40160 when denied. */
bool sbx_require_channel_op(const sbx_request *req, sbx_response *resp, const sbx_principal *p,
                            const char *channel, uint32_t op);

/* Verifies a JWT (HS256, kid = keyName, x-ably-capability, x-ably-clientId).
 * Exposed for tests. */
int sbx_auth_jwt(sbx_store *store, const char *jwt, sbx_principal *p, sbx_auth_error *err);

/* The signed-TokenRequest MAC: base64(HMAC-SHA256(secret, canonical text)).
 * Empty strings stand for absent fields. Caller frees. */
char *sbx_token_request_mac(const char *secret, const char *key_name, const char *ttl,
                            const char *capability, const char *client_id,
                            const char *timestamp, const char *nonce);

#endif
