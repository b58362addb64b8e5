/* revokeTokens (RSA17): POST /keys/{keyName}/revokeTokens with Basic auth.
 *
 * Body: {"targets": ["type:value", ...], "issuedBefore": ms?, "allowReauthMargin": bool?}
 * in the client's format. The reply is a BatchResult envelope
 * {successCount, failureCount, results} (protocol >= 3); a bare array of results
 * (older servers) is accepted too and counted here.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <msgpack.h>

#include "ably/gen/errors.h"
#include "rest/auth_private.h"
#include "rest/rest_internal.h"

static char *target_string(const ably_token_revocation_target_specifier *t)
{
    char *s = NULL;
    if (asprintf(&s, "%s:%s", t->type ? t->type : "", t->value ? t->value : "") < 0)
        return NULL;
    return s;
}

static int body_json(const ably_token_revocation_target_specifier *targets, size_t n,
                     const ably_revoke_tokens_options *o, ably_buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "targets");
    bool ok = root && arr;
    for (size_t i = 0; ok && i < n; i++) {
        char *s = target_string(&targets[i]);
        cJSON *item = s ? cJSON_CreateString(s) : NULL;
        free(s);
        ok = item && cJSON_AddItemToArray(arr, item);
    }
    if (ok && o && o->has_issued_before)
        ok = cJSON_AddNumberToObject(root, "issuedBefore", (double)o->issued_before) != NULL;
    if (ok && o && o->has_allow_reauth_margin)
        ok = cJSON_AddBoolToObject(root, "allowReauthMargin", o->allow_reauth_margin) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    ok = text && ably_buf_append_str(out, text) == 0;
    free(text);
    return ok ? 0 : -1;
}

static int buf_write(void *data, const char *bytes, size_t len)
{
    return ably_buf_append(data, bytes, len);
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t len = strlen(s);
    return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, s, len);
}

static int body_msgpack(const ably_token_revocation_target_specifier *targets, size_t n,
                        const ably_revoke_tokens_options *o, ably_buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    bool ib = o && o->has_issued_before, arm = o && o->has_allow_reauth_margin;
    if (msgpack_pack_map(&pk, 1 + ib + arm) || pack_str(&pk, "targets") || msgpack_pack_array(&pk, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *s = target_string(&targets[i]);
        int bad = !s || pack_str(&pk, s);
        free(s);
        if (bad)
            return -1;
    }
    if (ib && (pack_str(&pk, "issuedBefore") || msgpack_pack_int64(&pk, o->issued_before)))
        return -1;
    if (arm && (pack_str(&pk, "allowReauthMargin") ||
                (o->allow_reauth_margin ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk))))
        return -1;
    return 0;
}

static bool body_is_array(const ably_rest_reply *reply)
{
    if (!reply->body.len)
        return false;
    unsigned char c = (unsigned char)reply->body.data[0];
    if (reply->format == ABLY_FORMAT_MSGPACK)
        return (c & 0xf0) == 0x90 || c == 0xdc || c == 0xdd;
    for (size_t i = 0; i < reply->body.len; i++) {
        c = (unsigned char)reply->body.data[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return c == '[';
    }
    return false;
}

static int decode_result(const ably_rest_reply *reply, ably_token_revocation_batch_result *out, ably_error *err)
{
    const char *data = reply->body.data ? reply->body.data : "";
    if (!body_is_array(reply))
        return ably_decode(&ably_token_revocation_batch_result_desc, reply->format, data, reply->body.len, out,
                           err);
    void *items = NULL;
    size_t count = 0;
    if (ably_decode_array(&ably_token_revocation_outcome_desc, reply->format, data, reply->body.len, &items,
                          &count, err) != 0)
        return -1;
    out->results = items;
    out->results_count = count;
    int64_t failures = 0;
    for (size_t i = 0; i < count; i++)
        failures += out->results[i].error != NULL;
    out->failure_count = failures;
    out->has_failure_count = true;
    out->success_count = (int64_t)count - failures;
    out->has_success_count = true;
    return 0;
}

static int key_name_of(ably_auth *auth, ably_buf *path, ably_error *err)
{
    pthread_mutex_lock(&auth->mu);
    int rc = 0;
    if (auth->token_auth || !auth->src->key_name) {
        ably_error_set(err, ABLY_ERR_OPERATION_REQUIRES_BASIC_AUTHENTICATION, 401,
                       "revokeTokens needs Basic auth with the key; this client uses token auth (RSA17d)");
        rc = -1;
    } else if (ably_buf_append_str(path, "/keys/") || auth_percent_encode(path, auth->src->key_name) ||
               ably_buf_append_str(path, "/revokeTokens")) {
        ably_error_set(err, 40000, 500, "out of memory");
        rc = -1;
    }
    pthread_mutex_unlock(&auth->mu);
    return rc;
}

int ably_rest_revoke_tokens(ably_rest *rest, const ably_token_revocation_target_specifier *targets,
                            size_t target_count, const ably_revoke_tokens_options *options,
                            ably_token_revocation_batch_result *out, ably_error *err)
{
    ably_auth *auth = ably_rest_auth_state(rest);
    ably_buf path, body;
    ably_buf_init(&path);
    ably_buf_init(&body);
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = -1;
    if (key_name_of(auth, &path, err) != 0)
        goto done;
    if (!target_count) {
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "revokeTokens needs at least one target");
        goto done;
    }
    bool msgpack = ably_rest_format(rest) == ABLY_FORMAT_MSGPACK;
    if ((msgpack ? body_msgpack : body_json)(targets, target_count, options, &body) != 0) {
        ably_error_set(err, 40000, 500, "out of memory");
        goto done;
    }
    ably_rest_call call = {
        .method = "POST",
        .path = path.data,
        .body = body.data,
        .body_len = body.len,
        .authenticated = true,
    };
    if (ably_rest_perform(rest, &call, &reply, err) != 0)
        goto done;
    ably_token_revocation_batch_result result;
    ably_token_revocation_batch_result_init(&result);
    if (decode_result(&reply, &result, err) != 0) {
        ably_token_revocation_batch_result_clear(&result);
        goto done;
    }
    ably_token_revocation_batch_result_clear(out);
    *out = result;
    rc = 0;
done:
    ably_rest_reply_clear(&reply);
    ably_buf_free(&path);
    ably_buf_free(&body);
    return rc;
}
