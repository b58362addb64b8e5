/* Tokens from an authUrl (RSA8c).
 *
 * GET: the URL's own query is kept, except names that authParams or TokenParams
 * also set, which they override (RSA8c1c); TokenParams override authParams
 * (RSA8c2). POST: the same merged params go form-encoded in the body (RSA8c1b).
 * authHeaders go as headers either way. The reply's Content-Type says what came
 * back: text/plain or application/jwt is a token string, application/json a
 * TokenDetails (it has "token") or a TokenRequest (to exchange at Ably). Anything
 * else is an invalid format (RSA4f), reported like every authUrl failure as 40170
 * with the underlying error as cause (RSA4e).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ably/gen/errors.h"
#include "rest/auth_private.h"
#include "rest/rest_internal.h"

int auth_percent_encode(ably_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            if (ably_buf_append(b, p, 1))
                return -1;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (ably_buf_append(b, e, 3))
                return -1;
        }
    }
    return 0;
}

int auth_token_params_to_map(const ably_token_params *p, ably_string_map *m)
{
    char num[32];
    if (p->has_ttl) {
        snprintf(num, sizeof num, "%" PRId64, p->ttl);
        if (ably_string_map_set(m, "ttl", num))
            return -1;
    }
    if (p->capability && ably_string_map_set(m, "capability", p->capability))
        return -1;
    if (p->client_id && ably_string_map_set(m, "clientId", p->client_id))
        return -1;
    if (p->has_timestamp) {
        snprintf(num, sizeof num, "%" PRId64, p->timestamp);
        if (ably_string_map_set(m, "timestamp", num))
            return -1;
    }
    if (p->nonce && ably_string_map_set(m, "nonce", p->nonce))
        return -1;
    return 0;
}

static int hex_value(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Decodes a percent-encoded query name (form style: '+' is a space). */
static char *decode_name(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Writes url without the query pairs whose names `params` also has (RSA8c1c). */
static int url_without_overridden(const char *url, const ably_string_map *params, ably_buf *out)
{
    const char *q = strchr(url, '?');
    const char *frag = strchr(url, '#');
    if (frag && q && frag < q)
        q = NULL;
    if (!q)
        return ably_buf_append(out, url, frag ? (size_t)(frag - url) : strlen(url));
    if (ably_buf_append(out, url, (size_t)(q - url)))
        return -1;
    const char *end = frag && frag > q ? frag : url + strlen(url);
    bool first = true;
    for (const char *p = q + 1; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        size_t name_len = (size_t)((eq ? eq : pair_end) - p);
        if (pair_end > p) {
            char *name = decode_name(p, name_len);
            if (!name)
                return -1;
            bool overridden = ably_string_map_get(params, name) != NULL;
            free(name);
            if (!overridden && (ably_buf_append(out, first ? "?" : "&", 1) ||
                                ably_buf_append(out, p, (size_t)(pair_end - p))))
                return -1;
            if (!overridden)
                first = false;
        }
        p = amp ? amp + 1 : end;
    }
    return 0;
}

static int form_encode(const ably_string_map *m, ably_buf *out)
{
    for (size_t i = 0; i < m->count; i++)
        if ((i && ably_buf_append(out, "&", 1)) || auth_percent_encode(out, m->items[i].key) ||
            ably_buf_append(out, "=", 1) || auth_percent_encode(out, m->items[i].value))
            return -1;
    return 0;
}

/* The media type of a Content-Type value, lower-cased, without parameters. */
static void media_type(const char *ct, char *out, size_t size)
{
    size_t n = 0;
    while (ct && *ct == ' ')
        ct++;
    for (; ct && *ct && *ct != ';' && *ct != ' ' && n + 1 < size; ct++)
        out[n++] = (char)tolower((unsigned char)*ct);
    out[n] = '\0';
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* JSON: a TokenDetails when it has "token", else a TokenRequest to exchange (AO2b). */
static int token_from_json(ably_auth *auth, const char *body, size_t len, ably_token_details *out,
                           bool *exchanged, ably_error *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                       "authUrl returned JSON that is neither a TokenDetails nor a TokenRequest");
        return -1;
    }
    bool is_details = cJSON_HasObjectItem(root, "token");
    int rc;
    if (is_details) {
        ably_token_details td;
        ably_token_details_init(&td);
        rc = ably_decode_json_node(&ably_token_details_desc, root, &td, err);
        if (rc == 0) {
            ably_token_details_clear(out);
            *out = td;
        }
    } else {
        ably_token_request tr;
        ably_token_request_init(&tr);
        rc = ably_decode_json_node(&ably_token_request_desc, root, &tr, err);
        if (rc == 0) {
            *exchanged = true;
            rc = auth_exchange_token_request(auth, &tr, out, err);
        }
        ably_token_request_clear(&tr);
    }
    cJSON_Delete(root);
    return rc;
}

static int token_from_reply(ably_auth *auth, const ably_rest_reply *reply, ably_token_details *out,
                            bool *exchanged, ably_error *err)
{
    const char *body = reply->body.data ? reply->body.data : "";
    size_t len = reply->body.len;
    if (len > ABLY_AUTH_MAX_TOKEN_BYTES) {
        ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                       "authUrl returned more than 128 KiB, which is an invalid format (RSA4f)");
        return -1;
    }
    char type[64];
    media_type(ably_string_map_get(&reply->headers, "content-type"), type, sizeof type);
    trim(&body, &len);
    if (!*type) /* no Content-Type at all: judge by the look of it */
        strcpy(type, len && body[0] == '{' ? "application/json" : "text/plain");
    if (strcmp(type, "application/json") == 0)
        return token_from_json(auth, body, len, out, exchanged, err);
    if (strcmp(type, "text/plain") != 0 && strcmp(type, "application/jwt") != 0) {
        ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                       "authUrl returned Content-Type \"%s\"; expected text/plain, application/jwt or "
                       "application/json (RSA4f)", type);
        return -1;
    }
    if (!len) {
        ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401, "authUrl returned an empty token");
        return -1;
    }
    char *token = strndup(body, len);
    if (!token) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    ably_token_details_clear(out);
    out->token = token;
    return 0;
}

int auth_fetch_from_url(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                        ably_token_details *out, ably_error *err)
{
    ably_string_map merged = {0};
    ably_buf url, form;
    ably_buf_init(&url);
    ably_buf_init(&form);
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    ably_error cause;
    ably_error_init(&cause);
    int rc = -1;

    /* authParams first, then TokenParams over them (RSA8c2). */
    bool oom = false;
    for (size_t i = 0; i < src->params.count && !oom; i++)
        oom = ably_string_map_set(&merged, src->params.items[i].key, src->params.items[i].value) != 0;
    if (oom || auth_token_params_to_map(params, &merged) != 0)
        goto out_of_memory;
    if (src->auth_post) {
        if (ably_buf_append_str(&url, src->auth_url) || form_encode(&merged, &form))
            goto out_of_memory;
        rc = ably_rest_fetch_url(auth->rest, "POST", url.data, NULL, &src->headers, form.data ? form.data : "",
                                 form.len, "application/x-www-form-urlencoded", &reply, &cause);
    } else {
        if (url_without_overridden(src->auth_url, &merged, &url))
            goto out_of_memory;
        rc = ably_rest_fetch_url(auth->rest, "GET", url.data, &merged, &src->headers, NULL, 0, NULL, &reply,
                                 &cause);
    }
    bool exchanged = false;
    if (rc == 0)
        rc = token_from_reply(auth, &reply, out, &exchanged, &cause);
    if (rc != 0 && exchanged) {
        /* Ably's own verdict on the TokenRequest is reported as it is (RSA4e). */
        if (err) {
            ably_error_clear(err);
            *err = cause;
            ably_error_init(&cause);
        }
    } else if (rc != 0) {
        char *why = cause.message ? strdup(cause.message) : NULL;
        auth_error_with_cause(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401, &cause,
                              "authUrl request failed: %s", why ? why : "no reason given");
        free(why);
    }
    goto done;
out_of_memory:
    ably_error_set(err, 40000, 500, "out of memory");
    rc = -1;
done:
    ably_error_clear(&cause);
    ably_rest_reply_clear(&reply);
    ably_string_map_clear(&merged);
    ably_buf_free(&url);
    ably_buf_free(&form);
    return rc;
}
