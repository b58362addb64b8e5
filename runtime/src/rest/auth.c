/* The Auth object (RSA): auth-method choice, the token state shared by every
 * request of a client, renewal, authorize / requestToken and clientId rules.
 *
 * Locking rule: auth->mu guards the token state only while it is read or swapped.
 * It is never held across network I/O or a user callback (an authCallback that
 * calls back into the client must not deadlock). A thread that needs a token
 * while another fetches one waits on auth->fetched instead of fetching its own,
 * so concurrent renewals coalesce into one fetch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ably/gen/errors.h"
#include "crypto/crypto_internal.h"
#include "rest/auth_private.h"
#include "rest/rest_internal.h"
#include "log_internal.h"

/* ---- small helpers ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void auth_error_with_cause(ably_error *err, int code, int status, ably_error *cause, const char *fmt, ...)
{
    if (!err) {
        ably_error_clear(cause);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    ably_error_set(err, code, status, "%s", msg ? msg : "authentication failed");
    free(msg);
    if (cause && ably_error_is_set(cause)) {
        ably_error *c = malloc(sizeof *c);
        if (c) {
            *c = *cause; /* moves ownership of its contents */
            ably_error_init(cause);
            err->cause = c;
        }
    }
    if (cause)
        ably_error_clear(cause);
}

static bool is_token_error(const ably_error *e)
{
    return e && e->has_code && e->code >= 40140 && e->code < 40150;
}

static char *make_header(const char *scheme, const char *credential, bool base64)
{
    size_t clen = strlen(credential);
    size_t slen = strlen(scheme);
    size_t body = base64 ? ably_b64__encoded_len(clen) : clen;
    char *h = malloc(slen + 1 + body + 1);
    if (!h)
        return NULL;
    memcpy(h, scheme, slen);
    h[slen] = ' ';
    if (base64)
        ably_b64__encode((const uint8_t *)credential, clen, h + slen + 1);
    else
        memcpy(h + slen + 1, credential, clen + 1);
    return h;
}

/* ---- token sources ---- */

void auth_source_unref(auth_source *src)
{
    if (!src || atomic_fetch_sub(&src->refs, 1) != 1)
        return;
    if (src->key_secret) /* the secret should not linger in freed memory */
        memset(src->key_secret, 0, strlen(src->key_secret));
    free(src->key);
    free(src->key_name);
    free(src->key_secret);
    free(src->auth_url);
    ably_string_map_clear(&src->headers);
    ably_string_map_clear(&src->params);
    free(src);
}

static auth_source *source_ref(auth_source *src)
{
    atomic_fetch_add(&src->refs, 1);
    return src;
}

static int copy_map(ably_string_map *dst, const ably_string_map *src)
{
    for (size_t i = 0; src && i < src->count; i++)
        if (ably_string_map_set(dst, src->items[i].key, src->items[i].value) != 0)
            return -1;
    return 0;
}

/* Splits "keyName:keySecret" (the API key format). */
static int parse_key(auth_source *src, const char *key, ably_error *err)
{
    const char *colon = strchr(key, ':');
    if (!colon || colon == key || colon[1] == '\0' || strchr(colon + 1, ':')) {
        ably_error_set(err, ABLY_ERR_INVALID_CREDENTIALS, 401,
                       "invalid key: expected \"keyName:keySecret\"");
        return -1;
    }
    src->key = strdup(key);
    src->key_name = strndup(key, (size_t)(colon - key));
    src->key_secret = strdup(colon + 1);
    if (!src->key || !src->key_name || !src->key_secret) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    return 0;
}

static auth_source *source_new(const char *key, ably_auth_callback cb, void *cb_ctx, const char *url,
                               const char *method, const ably_string_map *headers,
                               const ably_string_map *params, ably_error *err)
{
    auth_source *src = calloc(1, sizeof *src);
    if (!src) {
        ably_error_set(err, 40000, 500, "out of memory");
        return NULL;
    }
    atomic_init(&src->refs, 1);
    if (method && strcasecmp(method, "GET") != 0 && strcasecmp(method, "POST") != 0) {
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400,
                       "authMethod must be GET or POST, not \"%s\"", method);
        goto fail;
    }
    if (key && parse_key(src, key, err) != 0)
        goto fail;
    src->callback = cb;
    src->callback_ctx = cb_ctx;
    src->auth_post = method && strcasecmp(method, "POST") == 0;
    if ((url && !(src->auth_url = strdup(url))) || copy_map(&src->headers, headers) != 0 ||
        copy_map(&src->params, params) != 0) {
        ably_error_set(err, 40000, 500, "out of memory");
        goto fail;
    }
    return src;
fail:
    auth_source_unref(src);
    return NULL;
}

static bool source_can_renew(const auth_source *src)
{
    return src->key || src->callback || src->auth_url;
}

/* ---- clientId rules (RSA7, RSA12, RSA15) ---- */

static bool client_id_compatible(const char *configured, const char *token_client_id)
{
    /* RSA15a/b: a wildcard or absent token clientId is compatible with any. */
    return !configured || !token_client_id || strcmp(token_client_id, "*") == 0 ||
           strcmp(configured, token_client_id) == 0;
}

static int check_client_id(const ably_auth *auth, const ably_token_details *td, ably_error *err)
{
    if (client_id_compatible(auth->configured_client_id, td->client_id))
        return 0;
    ably_error_set(err, ABLY_ERR_INCOMPATIBLE_CREDENTIALS, 401,
                   "incompatible clientId: the token is for \"%s\" but the client is \"%s\" (RSA15)",
                   td->client_id, auth->configured_client_id);
    return -1;
}

/* Keeps `id` alive until ably_auth_free, once per distinct value. Takes ownership. */
static void retire_client_id(ably_auth *auth, char *id)
{
    if (!id)
        return;
    for (size_t i = 0; i < auth->retired_count; i++)
        if (strcmp(auth->retired_ids[i], id) == 0) {
            free(id);
            return;
        }
    char **grown = realloc(auth->retired_ids, (auth->retired_count + 1) * sizeof *grown);
    if (!grown) {
        /* Cannot keep it: leak rather than risk a dangling pointer in a caller. */
        return;
    }
    auth->retired_ids = grown;
    auth->retired_ids[auth->retired_count++] = id;
}

/* ---- the token state (call with auth->mu held) ---- */

static void drop_token(ably_auth *auth)
{
    if (!auth->has_token)
        return;
    retire_client_id(auth, auth->token.client_id);
    auth->token.client_id = NULL;
    ably_token_details_clear(&auth->token);
    free(auth->bearer_header);
    auth->bearer_header = NULL;
    auth->has_token = false;
}

/* Moves *td into the state (td is left empty). */
static int install_token(ably_auth *auth, ably_token_details *td, ably_error *err)
{
    char *header = make_header("Bearer", td->token, false);
    if (!header) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    drop_token(auth);
    auth->token = *td;
    ably_token_details_init(td);
    auth->bearer_header = header;
    auth->has_token = true;
    return 0;
}

/* Ably's time given the local time (read before taking the lock: the clock is
 * pluggable and must not run under it). Call with the lock held. */
static int64_t server_now_locked(const ably_auth *auth, int64_t local_now)
{
    return local_now + (auth->has_time_offset ? auth->time_offset_ms : 0);
}

/* RSA4b1: a token with an expiry that has passed (by Ably's clock as far as we know
 * it) is not used. Renewable tokens get a margin; a token that cannot be renewed is
 * used until it is certainly expired. Call with the lock held. */
static bool token_expired(const ably_auth *auth, bool renewable, int64_t local_now)
{
    if (!auth->token.has_expires)
        return false;
    int64_t margin = renewable ? ABLY_AUTH_EXPIRY_MARGIN_MS : 0;
    return auth->token.expires <= server_now_locked(auth, local_now) + margin;
}

/* ---- creation ---- */

static bool is_loopback_host(const char *h)
{
    return h && (strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
                 strcmp(h, "[::1]") == 0);
}

static int copy_default_params(ably_auth *auth, const ably_token_params *p, ably_error *err)
{
    if (p && ably_token_params_copy(&auth->defaults, p, err) != 0)
        return -1;
    auth->defaults.has_timestamp = false; /* TK2d: never a default */
    auth->defaults.timestamp = 0;
    free(auth->defaults.nonce); /* a nonce is single-use by nature */
    auth->defaults.nonce = NULL;
    return 0;
}

static int set_initial_token(ably_auth *auth, const ably_client_options *opts, ably_error *err)
{
    ably_token_details td;
    ably_token_details_init(&td);
    if (opts->token_details) {
        if (ably_token_details_copy(&td, opts->token_details, err) != 0)
            return -1;
    } else if (opts->token) {
        if (!(td.token = strdup(opts->token))) { /* RSA16b: only the token is known */
            ably_error_set(err, 40000, 500, "out of memory");
            return -1;
        }
    } else {
        return 0;
    }
    if (!td.token || !*td.token) {
        ably_token_details_clear(&td);
        ably_error_set(err, ABLY_ERR_INVALID_CREDENTIALS, 401, "tokenDetails has no token");
        return -1;
    }
    int rc = check_client_id(auth, &td, err);
    if (rc == 0)
        rc = install_token(auth, &td, err);
    ably_token_details_clear(&td);
    return rc;
}

static int choose_method(ably_auth *auth, const ably_client_options *opts, ably_error *err)
{
    /* RSA4: token auth when asked for or when anything token-ish is given. */
    auth->token_auth = opts->use_token_auth || opts->token || opts->token_details || opts->auth_callback ||
                       opts->auth_url;
    auth->basic_exposed = !opts->tls && !is_loopback_host(opts->endpoint) && !is_loopback_host(opts->rest_host);
    if (!auth->token_auth) {
        if (!auth->src->key) {
            ably_error_set(err, ABLY_ERR_NO_VALID_AUTHENTICATION_METHOD_PROVIDED, 401,
                           "no means of authentication: give a key, token, tokenDetails, authCallback "
                           "or authUrl");
            return -1;
        }
        /* RSA1: Basic auth sends the key itself, so never in clear text. Loopback
         * hosts (a local sandbox) are exempt: nothing leaves the machine. */
        if (auth->basic_exposed) {
            ably_error_set(err, ABLY_ERR_INVALID_USE_OF_BASIC_AUTH_OVER_NON_TLS_TRANSPORT, 401,
                           "Basic auth over plain HTTP would expose the key: enable tls or use token auth");
            return -1;
        }
        return 0;
    }
    /* RSA14: token auth needs a token or a way to get one. */
    if (!opts->token && !opts->token_details && !source_can_renew(auth->src)) {
        ably_error_set(err, ABLY_ERR_NO_VALID_AUTHENTICATION_METHOD_PROVIDED, 401,
                       "token auth was requested but there is no token and no key, authCallback or "
                       "authUrl to get one");
        return -1;
    }
    return 0;
}

int ably_auth_new(ably_rest *rest, const ably_client_options *opts, ably_auth **out, ably_error *err)
{
    *out = NULL;
    if (opts->client_id && strcmp(opts->client_id, "*") == 0) {
        ably_error_set(err, ABLY_ERR_INVALID_CLIENT_ID, 400,
                       "clientId \"*\" is reserved for wildcard tokens and cannot be a client's identity (RSA7c)");
        return -1;
    }
    ably_auth *auth = calloc(1, sizeof *auth);
    if (!auth) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    auth->rest = rest;
    ably_logger_init(&auth->log, opts);
    pthread_mutex_init(&auth->mu, NULL);
    pthread_cond_init(&auth->fetched, NULL);
    ably_token_params_init(&auth->defaults);
    ably_token_details_init(&auth->token);

    auth->src = source_new(opts->key, opts->auth_callback, opts->auth_callback_ctx, opts->auth_url,
                           opts->auth_method, opts->auth_headers, opts->auth_params, err);
    if (!auth->src || choose_method(auth, opts, err) != 0 ||
        copy_default_params(auth, opts->default_token_params, err) != 0)
        goto fail;
    if (opts->client_id) {
        /* RSA7a4: ClientOptions.clientId wins over defaultTokenParams.clientId. */
        free(auth->defaults.client_id);
        auth->configured_client_id = strdup(opts->client_id);
        auth->defaults.client_id = strdup(opts->client_id);
        if (!auth->configured_client_id || !auth->defaults.client_id) {
            ably_error_set(err, 40000, 500, "out of memory");
            goto fail;
        }
    }
    if (auth->src->key && !(auth->basic_header = make_header("Basic", auth->src->key, true))) {
        ably_error_set(err, 40000, 500, "out of memory");
        goto fail;
    }
    if (set_initial_token(auth, opts, err) != 0)
        goto fail;
    if (auth->has_token && !source_can_renew(auth->src)) {
        /* RSA4a1: say so now, not only when the token is eventually refused. */
        ably_error note;
        ably_error_init(&note);
        ably_error_set(&note, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 401,
                       "no means to renew the token is provided: no key, authCallback or authUrl");
        ably_log_error_info(&auth->log, ABLY_LOG_INFO, "auth", &note);
        ably_error_clear(&note);
    }
    *out = auth;
    return 0;
fail:
    ably_auth_free(auth);
    return -1;
}

void ably_auth_free(ably_auth *auth)
{
    if (!auth)
        return;
    drop_token(auth);
    auth_source_unref(auth->src);
    ably_token_params_clear(&auth->defaults);
    free(auth->configured_client_id);
    free(auth->connection_client_id);
    free(auth->basic_header);
    for (size_t i = 0; i < auth->retired_count; i++)
        free(auth->retired_ids[i]);
    free(auth->retired_ids);
    pthread_cond_destroy(&auth->fetched);
    pthread_mutex_destroy(&auth->mu);
    free(auth);
}

/* ---- time (RSA9d, RSA10k) ---- */

int auth_server_time(ably_auth *auth, bool query_time, int64_t *out, ably_error *err)
{
    pthread_mutex_lock(&auth->mu);
    bool known = auth->has_time_offset;
    pthread_mutex_unlock(&auth->mu);
    if (query_time && !known) {
        int64_t server;
        if (ably_rest_time(auth->rest, &server, err) != 0)
            return -1;
        int64_t offset = server - ably_rest_now_ms(auth->rest);
        pthread_mutex_lock(&auth->mu);
        auth->time_offset_ms = offset;
        auth->has_time_offset = true;
        pthread_mutex_unlock(&auth->mu);
    }
    int64_t local = ably_rest_now_ms(auth->rest);
    pthread_mutex_lock(&auth->mu);
    *out = server_now_locked(auth, local);
    pthread_mutex_unlock(&auth->mu);
    return 0;
}

/* ---- obtaining tokens (no lock held) ---- */

static int token_too_big(const char *token, ably_error *err)
{
    if (strlen(token) <= ABLY_AUTH_MAX_TOKEN_BYTES)
        return 0;
    ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                   "the token is longer than 128 KiB, which is an invalid format (RSA4f)");
    return -1;
}

/* RSA8d: the callback gives a token string, a TokenDetails or a TokenRequest. */
static int token_from_callback(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                               ably_token_details *out, ably_error *err)
{
    char *token = NULL;
    ably_token_details td;
    ably_token_request tr;
    ably_error cerr;
    ably_token_details_init(&td);
    ably_token_request_init(&tr);
    ably_error_init(&cerr);
    int rc = -1;
    if (src->callback(src->callback_ctx, params, &token, &td, &tr, &cerr) != 0) {
        char *why = cerr.message ? strdup(cerr.message) : NULL;
        auth_error_with_cause(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401, &cerr,
                              "authCallback failed: %s", why ? why : "no reason given");
        free(why);
        goto done;
    }
    if (token) {
        if (token_too_big(token, err) != 0 || !*token) {
            if (!*token)
                ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                               "authCallback returned an empty token");
            goto done;
        }
        ably_token_details_clear(out);
        out->token = token;
        token = NULL;
        rc = 0;
    } else if (td.token) {
        if (token_too_big(td.token, err) != 0)
            goto done;
        ably_token_details_clear(out);
        *out = td;
        ably_token_details_init(&td);
        rc = 0;
    } else if (tr.key_name) {
        rc = auth_exchange_token_request(auth, &tr, out, err); /* Ably's errors pass through */
    } else {
        ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                       "authCallback returned neither a token, a TokenDetails nor a TokenRequest (RSA4f)");
    }
done:
    free(token);
    ably_token_details_clear(&td);
    ably_token_request_clear(&tr);
    ably_error_clear(&cerr);
    return rc;
}

/* RSA8: from the first means available, in the order of RSA10e. */
static int fetch_token(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                       bool query_time, ably_token_details *out, ably_error *err)
{
    if (src->callback)
        return token_from_callback(auth, src, params, out, err);
    if (src->auth_url)
        return auth_fetch_from_url(auth, src, params, out, err);
    if (src->key) {
        ably_token_request tr;
        ably_token_request_init(&tr);
        int rc = auth_sign_token_request(auth, src, params, query_time, &tr, err);
        if (rc == 0)
            rc = auth_exchange_token_request(auth, &tr, out, err);
        ably_token_request_clear(&tr);
        return rc;
    }
    ably_error_set(err, ABLY_ERR_NO_VALID_AUTHENTICATION_METHOD_PROVIDED, 401,
                   "no key, authCallback or authUrl to obtain a token with");
    return -1;
}

/* The params a token is requested with: explicit ones or the stored defaults, with
 * the client's clientId when they carry none (RSA7d, RSA10h). Takes the lock. */
static int effective_params(ably_auth *auth, const ably_token_params *explicit_params, ably_token_params *out,
                            ably_error *err)
{
    ably_token_params_init(out);
    pthread_mutex_lock(&auth->mu);
    int rc = ably_token_params_copy(out, explicit_params ? explicit_params : &auth->defaults, err);
    if (rc == 0 && !out->client_id && auth->configured_client_id &&
        !(out->client_id = strdup(auth->configured_client_id))) {
        ably_error_set(err, 40000, 500, "out of memory");
        rc = -1;
    }
    pthread_mutex_unlock(&auth->mu);
    return rc;
}

/* The source to use for a call given explicit AuthOptions (or NULL: the stored one).
 * Returns an owned reference. The client's key is kept when the options have none. */
static auth_source *effective_source(ably_auth *auth, const ably_auth_options *o, ably_error *err)
{
    pthread_mutex_lock(&auth->mu);
    auth_source *cur = source_ref(auth->src);
    pthread_mutex_unlock(&auth->mu);
    if (!o)
        return cur;
    auth_source *src = source_new(o->key ? o->key : cur->key, o->auth_callback, o->auth_callback_ctx,
                                  o->auth_url, o->auth_method, o->auth_headers, o->auth_params, err);
    auth_source_unref(cur);
    return src;
}

/* ---- the pipeline interface (auth_internal.h) ---- */

static int dup_header(const char *h, char **out, ably_error *err)
{
    if (!(*out = strdup(h))) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    return 0;
}

/* Fetches a token with the stored source and defaults and installs it. Called with
 * the lock held and auth->fetching just set by the caller; returns with the lock
 * held and fetching cleared (waiters woken). */
static int renew_locked(ably_auth *auth, ably_error *err)
{
    auth_source *src = source_ref(auth->src);
    pthread_mutex_unlock(&auth->mu);

    ably_token_params params;
    ably_token_details td;
    ably_token_details_init(&td);
    int rc = effective_params(auth, NULL, &params, err);
    if (rc == 0)
        rc = fetch_token(auth, src, &params, false, &td, err);
    ably_token_params_clear(&params);
    auth_source_unref(src);

    pthread_mutex_lock(&auth->mu);
    if (rc == 0)
        rc = check_client_id(auth, &td, err); /* RSA15c */
    if (rc == 0)
        rc = install_token(auth, &td, err);
    ably_token_details_clear(&td);
    auth->fetching = false;
    pthread_cond_broadcast(&auth->fetched);
    return rc;
}

int ably_auth_authorization(ably_auth *auth, char **header_value, ably_error *err)
{
    *header_value = NULL;
    int64_t local_now = ably_rest_now_ms(auth->rest);
    pthread_mutex_lock(&auth->mu);
    int rc;
    if (!auth->token_auth) {
        rc = dup_header(auth->basic_header, header_value, err);
        pthread_mutex_unlock(&auth->mu);
        return rc;
    }
    for (;;) {
        bool renewable = source_can_renew(auth->src);
        if (auth->has_token && !token_expired(auth, renewable, local_now)) {
            rc = dup_header(auth->bearer_header, header_value, err);
            break;
        }
        if (!renewable) {
            ably_error_set(err, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 401,
                           "no valid token (it expired or was rejected) and no key, authCallback or authUrl "
                           "to get another (RSA4a)");
            rc = -1;
            break;
        }
        if (auth->fetching) { /* someone is already getting one: share it */
            pthread_cond_wait(&auth->fetched, &auth->mu);
            continue;
        }
        auth->fetching = true;
        rc = renew_locked(auth, err);
        if (rc == 0) /* freshly obtained: use it even if it claims to be expired */
            rc = dup_header(auth->bearer_header, header_value, err);
        break;
    }
    pthread_mutex_unlock(&auth->mu);
    return rc;
}

int ably_auth_handle_token_error(ably_auth *auth, const ably_error *server_error, ably_error *err)
{
    if (!is_token_error(server_error)) {
        if (err)
            ably_error_copy(err, server_error, NULL);
        return 0;
    }
    pthread_mutex_lock(&auth->mu);
    if (!auth->token_auth) {
        pthread_mutex_unlock(&auth->mu);
        if (err)
            ably_error_copy(err, server_error, NULL);
        return 0;
    }
    if (!source_can_renew(auth->src)) {
        drop_token(auth); /* RSA16d: known to be invalid */
        pthread_mutex_unlock(&auth->mu);
        ably_error cause;
        ably_error_init(&cause);
        ably_error_copy(&cause, server_error, NULL);
        auth_error_with_cause(err, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 401, &cause,
                              "the token was rejected and there is no key, authCallback or authUrl to renew "
                              "it (RSA4a2)");
        return 0;
    }
    int rc;
    if (auth->fetching) {
        /* A renewal is under way: its token is the fresh one this request needs. */
        while (auth->fetching)
            pthread_cond_wait(&auth->fetched, &auth->mu);
        rc = auth->has_token ? 0 : -1;
        if (rc != 0)
            ably_error_set(err, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 401, "token renewal failed");
    } else {
        ably_log_error_info(&auth->log, ABLY_LOG_INFO, "token rejected; renewing it once", server_error);
        drop_token(auth); /* RSA16d, and nobody else may use it meanwhile */
        auth->fetching = true;
        rc = renew_locked(auth, err);
    }
    pthread_mutex_unlock(&auth->mu);
    return rc == 0 ? 1 : 0;
}

bool ably_auth_can_renew(ably_auth *auth)
{
    pthread_mutex_lock(&auth->mu);
    bool can = auth->token_auth && source_can_renew(auth->src);
    pthread_mutex_unlock(&auth->mu);
    return can;
}

/* The identity in force (call with auth->mu held): configured (RSA7b1), else confirmed
 * by a realtime connection (RSA7b3), else the token's (RSA7b2, RSA7b4, RSA12a). */
static const char *client_id_locked(const ably_auth *auth)
{
    const char *id = auth->configured_client_id;
    if (!id)
        id = auth->connection_client_id;
    if (!id && auth->token_auth && auth->has_token)
        id = auth->token.client_id;
    return id;
}

const char *ably_auth_client_id(ably_auth *auth)
{
    pthread_mutex_lock(&auth->mu);
    const char *id = client_id_locked(auth);
    pthread_mutex_unlock(&auth->mu);
    return id;
}

void ably_auth_set_connection_client_id(ably_auth *auth, const char *client_id)
{
    if (!client_id)
        return;
    pthread_mutex_lock(&auth->mu);
    if (!auth->connection_client_id || strcmp(auth->connection_client_id, client_id) != 0) {
        char *copy = strdup(client_id);
        if (copy) { /* on failure keep the old one: better stale than dangling */
            retire_client_id(auth, auth->connection_client_id);
            auth->connection_client_id = copy;
        }
    }
    pthread_mutex_unlock(&auth->mu);
}

/* ---- public API (ably/auth.h) ---- */

char *ably_auth_get_client_id(ably_auth *auth)
{
    pthread_mutex_lock(&auth->mu);
    char *copy = dup_or_null(client_id_locked(auth));
    pthread_mutex_unlock(&auth->mu);
    return copy;
}

int ably_auth_get_token_details(ably_auth *auth, ably_token_details *out, ably_error *err)
{
    pthread_mutex_lock(&auth->mu);
    int rc = 0;
    if (auth->token_auth && auth->has_token)
        rc = ably_token_details_copy(out, &auth->token, err) == 0 ? 1 : -1;
    pthread_mutex_unlock(&auth->mu);
    return rc;
}

int ably_auth_request_token(ably_auth *auth, const ably_token_params *params, const ably_auth_options *options,
                            ably_token_details *out, ably_error *err)
{
    auth_source *src = effective_source(auth, options, err);
    if (!src)
        return -1;
    ably_token_params p;
    int rc = effective_params(auth, params, &p, err);
    if (rc == 0)
        rc = fetch_token(auth, src, &p, options && options->query_time, out, err);
    ably_token_params_clear(&p);
    auth_source_unref(src);
    return rc;
}

int ably_auth_create_token_request(ably_auth *auth, const ably_token_params *params,
                                   const ably_auth_options *options, ably_token_request *out, ably_error *err)
{
    auth_source *src = effective_source(auth, options, err);
    if (!src)
        return -1;
    ably_token_params p;
    int rc = effective_params(auth, params, &p, err);
    if (rc == 0)
        rc = auth_sign_token_request(auth, src, &p, options && options->query_time, out, err);
    ably_token_params_clear(&p);
    auth_source_unref(src);
    return rc;
}

/* RSA10e: a token given in the options is used as-is. */
static int token_from_options(const ably_auth_options *o, ably_token_details *td, ably_error *err)
{
    if (o->token_details)
        return ably_token_details_copy(td, o->token_details, err);
    if (!(td->token = strdup(o->token))) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    return 0;
}

/* RSA10g: keep params (minus timestamp) and the source for later renewals. */
static int store_defaults(ably_auth *auth, const ably_token_params *params, auth_source *src, ably_error *err)
{
    if (params) {
        ably_token_params copy;
        ably_token_params_init(&copy);
        if (ably_token_params_copy(&copy, params, err) != 0)
            return -1;
        copy.has_timestamp = false;
        copy.timestamp = 0;
        ably_token_params_clear(&auth->defaults);
        auth->defaults = copy;
    }
    if (src) {
        auth_source_unref(auth->src);
        auth->src = source_ref(src);
        if (src->key && !auth->basic_header)
            auth->basic_header = make_header("Basic", src->key, true);
    }
    return 0;
}

/* AO2j: authorize with useTokenAuth false goes back to Basic auth with the key
 * (of the options, else the client's); the stored source becomes the key. */
static int switch_to_basic(ably_auth *auth, auth_source *src, ably_error *err)
{
    if (!src->key) {
        ably_error_set(err, ABLY_ERR_INVALID_CREDENTIALS, 401,
                       "authorize with useTokenAuth false needs a key for Basic auth");
        auth_source_unref(src);
        return -1;
    }
    if (auth->basic_exposed) { /* RSA1, as at create */
        ably_error_set(err, ABLY_ERR_INVALID_USE_OF_BASIC_AUTH_OVER_NON_TLS_TRANSPORT, 401,
                       "Basic auth over plain HTTP would expose the key: enable tls or use token auth");
        auth_source_unref(src);
        return -1;
    }
    char *basic = make_header("Basic", src->key, true);
    if (!basic) {
        ably_error_set(err, 40000, 500, "out of memory");
        auth_source_unref(src);
        return -1;
    }
    pthread_mutex_lock(&auth->mu);
    while (auth->fetching)
        pthread_cond_wait(&auth->fetched, &auth->mu);
    free(auth->basic_header);
    auth->basic_header = basic;
    auth_source_unref(auth->src);
    auth->src = src; /* takes our reference */
    drop_token(auth);
    auth->token_auth = false;
    pthread_mutex_unlock(&auth->mu);
    return 0;
}

int ably_auth_authorize(ably_auth *auth, const ably_token_params *params, const ably_auth_options *options,
                        ably_token_details *out, ably_error *err)
{
    auth_source *src = effective_source(auth, options, err);
    if (!src)
        return -1;
    if (options && options->has_use_token_auth && !options->use_token_auth)
        return switch_to_basic(auth, src, err);
    ably_token_params p;
    ably_token_details td;
    ably_token_details_init(&td);
    int rc = effective_params(auth, params, &p, err);

    /* Take the fetch slot so requests needing a token wait for this one. */
    pthread_mutex_lock(&auth->mu);
    while (auth->fetching)
        pthread_cond_wait(&auth->fetched, &auth->mu);
    auth->fetching = true;
    pthread_mutex_unlock(&auth->mu);

    if (rc == 0 && options && options->query_time) {
        int64_t ignored;
        pthread_mutex_lock(&auth->mu);
        auth->has_time_offset = false; /* RSA10k: measure once per authorize asking for it */
        pthread_mutex_unlock(&auth->mu);
        rc = auth_server_time(auth, true, &ignored, err);
    }
    if (rc == 0) {
        if (options && (options->token || options->token_details))
            rc = token_from_options(options, &td, err);
        else
            rc = fetch_token(auth, src, &p, false, &td, err);
    }

    pthread_mutex_lock(&auth->mu);
    if (rc == 0 && !td.token) {
        ably_error_set(err, ABLY_ERR_INVALID_CREDENTIALS, 401, "tokenDetails has no token");
        rc = -1;
    }
    if (rc == 0)
        rc = check_client_id(auth, &td, err); /* RSA15c */
    if (rc == 0)
        rc = store_defaults(auth, params, options ? src : NULL, err);
    if (rc == 0 && out)
        rc = ably_token_details_copy(out, &td, err);
    if (rc == 0)
        rc = install_token(auth, &td, err);
    if (rc == 0)
        auth->token_auth = true; /* RSA10a */
    auth->fetching = false;
    pthread_cond_broadcast(&auth->fetched);
    pthread_mutex_unlock(&auth->mu);

    ably_token_details_clear(&td);
    ably_token_params_clear(&p);
    auth_source_unref(src);
    return rc;
}

int ably_auth_authorise(ably_auth *auth, const ably_token_params *params, const ably_auth_options *options,
                        ably_token_details *out, ably_error *err)
{
    ably_log(ably_rest_logger(auth->rest), ABLY_LOG_WARN, NULL,
             "authorise is deprecated and will be removed in v1.0; use authorize instead (RSA10l)");
    return ably_auth_authorize(auth, params, options, out, err);
}
