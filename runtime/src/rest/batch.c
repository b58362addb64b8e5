/* Batch operations on the client: batchPublish (RSC22) and batchPresence (RSC24),
 * with their BatchResult shapes (BAR2, BPR2, BPF2, BGR2, BGF2).
 *
 * The server answers a versioned client with BatchResult envelopes
 * ({successCount, failureCount, results}); older servers (and some test doubles)
 * answer with bare per-channel results. Both are accepted and normalised into
 * envelopes, counting successes and failures when the server did not. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "codec/internal.h"
#include "rest/channel_internal.h"

static int invalid(ably_error *err, const char *what)
{
    ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "%s", what);
    return -1;
}

/* ---- normalising replies ---- */

static bool is_envelope(const cJSON *node)
{
    return cJSON_IsObject(node) && (cJSON_HasObjectItem(node, "results") || cJSON_HasObjectItem(node, "successCount"));
}

/* Moves `outcomes` (an array, consumed) into a new {"results": outcomes} object. */
static cJSON *envelope_of(cJSON *outcomes)
{
    cJSON *env = cJSON_CreateObject();
    if (!env || !cJSON_AddItemToObject(env, "results", outcomes)) {
        cJSON_Delete(env);
        cJSON_Delete(outcomes);
        return NULL;
    }
    return env;
}

/* Bare per-channel outcomes of a batch publish, shared out among the specs in
 * order, each taking as many as it has channels (all to one when that does not add up). */
static cJSON *publish_envelopes(cJSON *outcomes, const ably_batch_publish_spec *specs, size_t count)
{
    size_t expected = 0;
    for (size_t i = 0; i < count; i++)
        expected += specs[i].channels_count;
    cJSON *out = cJSON_CreateArray();
    if (!out)
        return NULL;
    if ((size_t)cJSON_GetArraySize(outcomes) != expected) {
        cJSON_AddItemToArray(out, envelope_of(cJSON_Duplicate(outcomes, true)));
        return out;
    }
    cJSON *item = outcomes->child;
    for (size_t i = 0; i < count; i++) {
        cJSON *group = cJSON_CreateArray();
        for (size_t c = 0; c < specs[i].channels_count && item; c++, item = item->next)
            cJSON_AddItemToArray(group, cJSON_Duplicate(item, true));
        cJSON_AddItemToArray(out, envelope_of(group));
    }
    return out;
}

/* The reply as an array of BatchResult envelopes (JSON), or NULL when it has no known shape. */
static cJSON *normalise_publish_reply(const cJSON *root, const ably_batch_publish_spec *specs, size_t count)
{
    if (is_envelope(root)) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_Duplicate(root, true));
        return arr;
    }
    if (cJSON_IsObject(root) && cJSON_HasObjectItem(root, "channel")) { /* one bare outcome */
        cJSON *one = cJSON_CreateArray();
        cJSON_AddItemToArray(one, cJSON_Duplicate(root, true));
        cJSON *out = publish_envelopes(one, specs, count);
        cJSON_Delete(one);
        return out;
    }
    if (!cJSON_IsArray(root))
        return NULL;
    if (!root->child || is_envelope(root->child))
        return cJSON_Duplicate(root, true);
    return publish_envelopes((cJSON *)root, specs, count);
}

/* BAR2a, BAR2b: counted from the outcomes when the server left them out. */
#define FILL_COUNTS(r)                                                      \
    do {                                                                    \
        if (!(r)->has_success_count || !(r)->has_failure_count) {           \
            int64_t ok_ = 0, bad_ = 0;                                      \
            for (size_t k_ = 0; k_ < (r)->results_count; k_++)              \
                (r)->results[k_].error ? bad_++ : ok_++;                    \
            (r)->success_count = ok_;                                       \
            (r)->failure_count = bad_;                                      \
            (r)->has_success_count = (r)->has_failure_count = true;         \
        }                                                                   \
    } while (0)

static int reply_tree(const ably_rest_reply *reply, cJSON **root, ably_error *err)
{
    ably_buf json;
    ably_buf_init(&json);
    *root = NULL;
    if (ably_rest_reply_json(reply, &json, err) == 0)
        *root = json.len ? codec_json_parse_text(json.data, json.len) : NULL;
    ably_buf_free(&json);
    if (*root)
        return 0;
    if (!ably_error_is_set(err))
        ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "batch: unreadable reply");
    return -1;
}

/* ---- batchPublish (RSC22) ---- */

static int validate_specs(const ably_batch_publish_spec *specs, size_t count, ably_error *err)
{
    if (!specs || !count)
        return invalid(err, "batchPublish: at least one BatchPublishSpec is required");
    for (size_t i = 0; i < count; i++) {
        if (!specs[i].channels_count || !specs[i].channels)
            return invalid(err, "batchPublish: every BatchPublishSpec needs at least one channel (BSP2a)");
        if (!specs[i].messages_count || !specs[i].messages)
            return invalid(err, "batchPublish: every BatchPublishSpec needs at least one message (BSP2b)");
        for (size_t c = 0; c < specs[i].channels_count; c++)
            if (!specs[i].channels[c] || !*specs[i].channels[c])
                return invalid(err, "batchPublish: channel names must not be empty");
    }
    return 0;
}

/* Encodes the specs with their messages encoded per RSL4 and, when idempotent,
 * ids per RSL1k1 for each spec separately (RSC22d). */
static int encode_specs(ably_rest *rest, const ably_batch_publish_spec *specs, size_t count, ably_buf *body,
                        ably_error *err)
{
    ably_format format = ably_rest_format(rest);
    bool idempotent = ably_rest_options(rest)->idempotent_rest_publishing;
    ably_outbound *prepared = calloc(count, sizeof *prepared);
    ably_batch_publish_spec *copies = malloc(count * sizeof *copies);
    int rc = prepared && copies ? 0 : ably_oom(err);
    size_t done = 0;
    for (; rc == 0 && done < count; done++) {
        rc = ably_outbound_prepare(&prepared[done], specs[done].messages, specs[done].messages_count, NULL,
                                   idempotent, format, err);
        if (rc == 0) {
            copies[done] = specs[done];
            copies[done].messages = prepared[done].items;
        }
    }
    if (rc == 0)
        rc = ably_encode_array(&ably_batch_publish_spec_desc, format, copies, count, body, err);
    for (size_t i = 0; prepared && i < count; i++)
        if (prepared[i].items) /* a failed prepare clears itself */
            ably_outbound_clear(&prepared[i]);
    free(prepared);
    free(copies);
    return rc;
}

static int read_publish_results(const ably_rest_reply *reply, const ably_batch_publish_spec *specs, size_t count,
                                ably_batch_publish_result **results, size_t *results_count, ably_error *err)
{
    cJSON *root;
    if (reply_tree(reply, &root, err) != 0)
        return -1;
    cJSON *norm = normalise_publish_reply(root, specs, count);
    cJSON_Delete(root);
    if (!norm)
        return ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "batchPublish: unexpected reply"), -1;
    void *items = NULL;
    size_t n = 0;
    int rc = ably_decode_json_node_array(&ably_batch_publish_result_desc, norm, &items, &n, err);
    cJSON_Delete(norm);
    if (rc != 0)
        return -1;
    ably_batch_publish_result *r = items;
    for (size_t i = 0; i < n; i++)
        FILL_COUNTS(&r[i]);
    *results = r;
    *results_count = n;
    return 0;
}

int ably_rest_batch_publish(ably_rest *rest, const ably_batch_publish_spec *specs, size_t count,
                            ably_batch_publish_result **results, size_t *results_count, ably_error *err)
{
    *results = NULL;
    *results_count = 0;
    if (validate_specs(specs, count, err) != 0)
        return -1;
    ably_buf body;
    ably_buf_init(&body);
    int rc = encode_specs(rest, specs, count, &body, err);
    if (rc == 0) {
        ably_rest_call call = {.method = "POST", .path = "/messages", .body = body.data, .body_len = body.len,
                               .authenticated = true}; /* RSC22c */
        ably_rest_reply reply;
        ably_rest_reply_init(&reply);
        rc = ably_rest_perform(rest, &call, &reply, err);
        if (rc == 0)
            rc = read_publish_results(&reply, specs, count, results, results_count, err);
        ably_rest_reply_clear(&reply);
    }
    ably_buf_free(&body);
    return rc;
}

void ably_batch_publish_results_free(ably_batch_publish_result *results, size_t count)
{
    ably_free_array(&ably_batch_publish_result_desc, results, count);
}

/* ---- batchPresence (RSC24) ---- */

/* Whether the body is a single object (a map), which the typed decoder can read directly. */
static bool body_is_object(const ably_rest_reply *reply)
{
    const unsigned char *p = (const unsigned char *)reply->body.data;
    size_t n = reply->body.len, i = 0;
    if (reply->format == ABLY_FORMAT_MSGPACK)
        return n && ((p[0] & 0xf0) == 0x80 || p[0] == 0xde || p[0] == 0xdf);
    while (i < n && strchr(" \t\r\n", p[i]))
        i++;
    return i < n && p[i] == '{';
}

static int read_presence_result(const ably_rest_reply *reply, ably_batch_presence_result *out, ably_error *err)
{
    if (body_is_object(reply)) /* the envelope: decoded as is, msgpack binary kept */
        return ably_decode(&ably_batch_presence_result_desc, reply->format, reply->body.data, reply->body.len, out,
                           err);
    cJSON *root;
    if (reply_tree(reply, &root, err) != 0)
        return -1;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "batchPresence: unexpected reply"), -1;
    }
    cJSON *env = envelope_of(root); /* bare per-channel results */
    int rc = env ? ably_decode_json_node(&ably_batch_presence_result_desc, env, out, err) : ably_oom(err);
    cJSON_Delete(env);
    return rc;
}

/* RSP5 for every member of every channel; failures are logged, not fatal (RSL6b). */
static void decode_members(ably_rest *rest, ably_batch_presence_result *r)
{
    for (size_t i = 0; i < r->results_count; i++) {
        ably_batch_presence_outcome *o = &r->results[i];
        ably_error e = {0};
        if (ably_presence_messages_from_encoded(o->presence, o->presence_count, NULL, &e) != 0)
            ably_channel_log_decode_failure(rest, o->channel ? o->channel : "?", &e);
        ably_error_clear(&e);
    }
}

int ably_rest_batch_presence(ably_rest *rest, const char *const *channels, size_t count,
                             ably_batch_presence_result *out, ably_error *err)
{
    if (!channels || !count)
        return invalid(err, "batchPresence: at least one channel is required");
    ably_buf joined;
    ably_buf_init(&joined);
    for (size_t i = 0; i < count; i++) {
        if (!channels[i] || !*channels[i]) {
            ably_buf_free(&joined);
            return invalid(err, "batchPresence: channel names must not be empty");
        }
        if ((i && ably_buf_append_str(&joined, ",")) || ably_buf_append_str(&joined, channels[i])) {
            ably_buf_free(&joined);
            return ably_oom(err);
        }
    }
    ably_string_map query = {0};
    int rc = ably_string_map_set(&query, "channels", joined.data) ? ably_oom(err) : 0;
    ably_buf_free(&joined);
    if (rc == 0) {
        ably_rest_call call = {.method = "GET", .path = "/presence", .query = &query, .authenticated = true};
        ably_rest_reply reply;
        ably_rest_reply_init(&reply);
        rc = ably_rest_perform(rest, &call, &reply, err);
        if (rc == 0)
            rc = read_presence_result(&reply, out, err);
        if (rc == 0) {
            FILL_COUNTS(out);
            decode_members(rest, out);
        }
        ably_rest_reply_clear(&reply);
    }
    ably_string_map_clear(&query);
    return rc;
}
