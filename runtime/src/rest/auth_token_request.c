/* Signed TokenRequests (RSA9) and their exchange for a token (RSA8a).
 *
 * The mac is HMAC-SHA256, keyed with the key secret, over the canonical text
 *   keyName\n ttl\n capability\n clientId\n timestamp\n nonce\n
 * where an absent field contributes an empty line, integers are plain decimal and
 * the capability is the exact text sent (hence canonicalised first, so two
 * spellings of one capability sign alike).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "ably/gen/errors.h"
#include "crypto/crypto_internal.h"
#include "rest/auth_private.h"
#include "rest/rest_internal.h"

/* ---- capability canonicalisation ---- */

static int cmp_item_names(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static int cmp_item_values(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->valuestring, y->valuestring);
}

/* Re-links the children of `node` in sorted order (by name or by string value). */
static int sort_children(cJSON *node, int (*cmp)(const void *, const void *))
{
    size_t n = (size_t)cJSON_GetArraySize(node);
    if (n < 2)
        return 0;
    cJSON **items = malloc(n * sizeof *items);
    if (!items)
        return -1;
    size_t i = 0;
    for (cJSON *c = node->child; c; c = c->next)
        items[i++] = c;
    qsort(items, n, sizeof *items, cmp);
    for (i = 0; i < n; i++) {
        items[i]->prev = i ? items[i - 1] : items[n - 1]; /* cJSON: head->prev is the tail */
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    node->child = items[0];
    free(items);
    return 0;
}

static bool capability_shape_ok(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return false;
    for (const cJSON *res = root->child; res; res = res->next) {
        if (!cJSON_IsArray(res))
            return false;
        for (const cJSON *op = res->child; op; op = op->next)
            if (!cJSON_IsString(op))
                return false;
    }
    return true;
}

int auth_canonical_capability(const char *capability, char **out, ably_error *err)
{
    *out = NULL;
    cJSON *root = cJSON_Parse(capability);
    if (!root || !capability_shape_ok(root)) {
        cJSON_Delete(root);
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400,
                       "capability must be a JSON object mapping resources to arrays of operations");
        return -1;
    }
    int rc = sort_children(root, cmp_item_names);
    for (cJSON *res = root->child; rc == 0 && res; res = res->next)
        rc = sort_children(res, cmp_item_values);
    if (rc == 0)
        *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!*out) {
        ably_error_set(err, 40000, 500, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- signing ---- */

char *auth_hmac_base64(const char *secret, const char *text, size_t text_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, text_len, mac, &mac_len))
        return NULL;
    char *b64 = malloc(ably_b64__encoded_len(mac_len) + 1);
    if (b64)
        ably_b64__encode(mac, mac_len, b64);
    return b64;
}

/* RSA9c: 16 random bytes from libsodium's CSPRNG as 32 hex characters. */
static char *new_nonce(void)
{
    if (ably_crypto__ensure_sodium() != 0)
        return NULL;
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char *hex = malloc(sizeof raw * 2 + 1);
    if (hex)
        sodium_bin2hex(hex, sizeof raw * 2 + 1, raw, sizeof raw);
    return hex;
}

static int append_line(ably_buf *b, const char *s)
{
    return (s ? ably_buf_append_str(b, s) : 0) || ably_buf_append(b, "\n", 1);
}

static int append_int_line(ably_buf *b, bool present, int64_t v)
{
    char num[32] = "";
    if (present)
        snprintf(num, sizeof num, "%" PRId64, v);
    return append_line(b, num);
}

static int sign(ably_token_request *tr, const char *secret, ably_error *err)
{
    ably_buf text;
    ably_buf_init(&text);
    int bad = append_line(&text, tr->key_name) || append_int_line(&text, tr->has_ttl, tr->ttl) ||
              append_line(&text, tr->capability) || append_line(&text, tr->client_id) ||
              append_int_line(&text, tr->has_timestamp, tr->timestamp) || append_line(&text, tr->nonce);
    if (!bad)
        tr->mac = auth_hmac_base64(secret, text.data, text.len);
    ably_buf_free(&text);
    if (bad || !tr->mac) {
        ably_error_set(err, 40000, 500, "could not compute the TokenRequest mac");
        return -1;
    }
    return 0;
}

static int fill_fields(ably_auth *auth, const auth_source *src, const ably_token_params *p, bool query_time,
                       ably_token_request *tr, ably_error *err)
{
    if (!(tr->key_name = strdup(src->key_name)))
        goto oom;
    if (p->has_ttl) { /* RSA5: absent stays absent, the server applies 60 minutes */
        tr->ttl = p->ttl;
        tr->has_ttl = true;
    }
    if (p->capability && auth_canonical_capability(p->capability, &tr->capability, err) != 0)
        return -1; /* RSA6: absent stays absent, the server applies the key's */
    if (p->client_id && !(tr->client_id = strdup(p->client_id)))
        goto oom;
    if (p->has_timestamp) {
        tr->timestamp = p->timestamp;
    } else if (auth_server_time(auth, query_time, &tr->timestamp, err) != 0) {
        return -1;
    }
    tr->has_timestamp = true;
    if (!(tr->nonce = p->nonce ? strdup(p->nonce) : new_nonce()))
        goto oom;
    return 0;
oom:
    ably_error_set(err, 40000, 500, "out of memory");
    return -1;
}

int auth_sign_token_request(ably_auth *auth, const auth_source *src, const ably_token_params *params,
                            bool query_time, ably_token_request *out, ably_error *err)
{
    if (!src->key) {
        ably_error_set(err, ABLY_ERR_INVALID_CREDENTIALS, 401,
                       "a TokenRequest can only be signed with a key, and none was given");
        return -1;
    }
    ably_token_request tr;
    ably_token_request_init(&tr);
    if (fill_fields(auth, src, params, query_time, &tr, err) != 0 || sign(&tr, src->key_secret, err) != 0) {
        ably_token_request_clear(&tr);
        return -1;
    }
    ably_token_request_clear(out);
    *out = tr;
    return 0;
}

/* ---- exchange (RSA8a) ---- */

int auth_exchange_token_request(ably_auth *auth, const ably_token_request *tr, ably_token_details *out,
                                ably_error *err)
{
    ably_buf path, body;
    ably_buf_init(&path);
    ably_buf_init(&body);
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = -1;
    if (ably_buf_append_str(&path, "/keys/") || auth_percent_encode(&path, tr->key_name) ||
        ably_buf_append_str(&path, "/requestToken")) {
        ably_error_set(err, 40000, 500, "out of memory");
        goto done;
    }
    if (ably_encode(&ably_token_request_desc, ably_rest_format(auth->rest), tr, &body, err) != 0)
        goto done;
    ably_rest_call call = {
        .method = "POST",
        .path = path.data,
        .body = body.data,
        .body_len = body.len,
        .authenticated = false, /* the mac is the credential */
    };
    if (ably_rest_perform(auth->rest, &call, &reply, err) != 0)
        goto done;
    ably_token_details td;
    ably_token_details_init(&td);
    if (ably_decode(&ably_token_details_desc, reply.format, reply.body.data, reply.body.len, &td, err) != 0)
        goto done;
    ably_token_details_clear(out);
    *out = td;
    rc = 0;
done:
    ably_rest_reply_clear(&reply);
    ably_buf_free(&path);
    ably_buf_free(&body);
    return rc;
}
