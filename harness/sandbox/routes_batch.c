/* POST /messages: batch publish (RSC22, BSP2, BPR2, BPF2), and the BatchResult
 * helpers every batch route shares.
 *
 * The body is one BatchPublishSpec or an array of them, decoded with the
 * generated codec; the answer is always an array with one BatchResult per
 * spec (RSC22b: the REST API never unwraps a single spec). Each channel
 * succeeds or fails on its own: a channel the credentials may not publish to
 * gets a BatchPublishFailureResult with 40160, the others are published. */
#include "sbx_auth.h"
#include "sbx_capability.h"
#include "sbx_routes.h"
#include "sbx_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *sbx_error_json(int status, int code, const char *message)
{
    cJSON *e = cJSON_CreateObject();
    char href[64];
    snprintf(href, sizeof href, "https://help.ably.io/error/%d", code);
    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddNumberToObject(e, "statusCode", status);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "href", href);
    return e;
}

static bool versioned_client(const sbx_request *req)
{
    const char *v = sbx_header(req, "x-ably-version");
    return v && atoi(v) >= 2;
}

void sbx_respond_batch(const sbx_request *req, sbx_response *resp, int status, cJSON *results,
                       int success_count, int failure_count)
{
    if (versioned_client(req)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "successCount", success_count);
        cJSON_AddNumberToObject(o, "failureCount", failure_count);
        cJSON_AddItemToObject(o, "results", results);
        sbx_respond_value(req, resp, status, o);
    } else if (failure_count == 0) {
        sbx_respond_value(req, resp, status, results);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "error", sbx_error_json(400, 40020, "Batched response includes errors"));
        cJSON_AddItemToObject(o, "batchResponse", results);
        sbx_respond_value(req, resp, 400, o);
        sbx_response_header(resp, "x-ably-errorcode", "40020");
        sbx_response_header(resp, "x-ably-errormessage", "Batched response includes errors");
    }
}

/* ---- batch publish ---- */

static int decode_specs(const sbx_request *req, sbx_response *resp, ably_batch_publish_spec **specs,
                        size_t *count)
{
    *specs = NULL;
    *count = 0;
    sbx_format fmt = sbx_format_of_content_type(sbx_header(req, "content-type"));
    if (fmt == SBX_FMT_UNSUPPORTED)
        return sbx_respond_error(req, resp, 415, 40001, "Unsupported Content-Type"), -1;
    if (!req->body_len)
        return sbx_respond_error(req, resp, 400, 40001, "Batch publish body is missing"), -1;
    ably_format af = fmt == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    unsigned char first = (unsigned char)req->body[0];
    size_t skip = 0;
    while (af == ABLY_FORMAT_JSON && skip < req->body_len && strchr(" \t\r\n", req->body[skip]))
        first = (unsigned char)req->body[++skip];
    bool array = af == ABLY_FORMAT_JSON ? first == '[' : ((first & 0xf0) == 0x90 || first == 0xdc || first == 0xdd);
    ably_error err;
    ably_error_init(&err);
    int rc;
    if (array) {
        void *items = NULL;
        rc = ably_decode_array(&ably_batch_publish_spec_desc, af, req->body, req->body_len, &items, count, &err);
        *specs = items;
    } else {
        *specs = calloc(1, sizeof **specs);
        rc = *specs ? ably_decode(&ably_batch_publish_spec_desc, af, req->body, req->body_len, *specs, &err) : -1;
        *count = rc == 0;
        if (rc != 0) {
            free(*specs);
            *specs = NULL;
        }
    }
    if (rc != 0)
        sbx_respond_error(req, resp, 400, 40001, "Invalid batch publish body: %s",
                          err.message ? err.message : "malformed");
    ably_error_clear(&err);
    if (rc == 0 && *count == 0) {
        sbx_respond_error(req, resp, 400, 40001, "Batch publish needs at least one spec");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < *count; i++) {
        if ((*specs)[i].channels_count == 0 || (*specs)[i].messages_count == 0) {
            sbx_respond_error(req, resp, 400, 40003, "Each batch spec needs channels and messages");
            rc = -1;
        }
    }
    if (rc != 0) {
        ably_free_array(&ably_batch_publish_spec_desc, *specs, *count);
        *specs = NULL;
        *count = 0;
    }
    return rc;
}

/* Publishes one spec's messages to one channel: a success or failure result. */
static cJSON *publish_to_channel(const sbx_principal *p, const char *channel,
                                 const ably_batch_publish_spec *spec, bool *ok)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "channel", channel);
    *ok = false;
    if (!sbx_cap_permits(p->cap, channel, SBX_OP_PUBLISH)) {
        cJSON_AddItemToObject(r, "error", sbx_error_json(401, 40160, "Operation not permitted"));
        return r;
    }
    ably_message *copy = NULL;
    size_t n = spec->messages_count;
    sbx_check_error e;
    copy = calloc(n, sizeof *copy);
    for (size_t i = 0; copy && i < n; i++) {
        if (ably_message_copy(&copy[i], &spec->messages[i], NULL) != 0) {
            ably_free_array(&ably_message_desc, copy, i);
            copy = NULL;
        }
    }
    if (!copy) {
        cJSON_AddItemToObject(r, "error", sbx_error_json(500, 50000, "Out of memory"));
        return r;
    }
    if (!sbx_check_messages(p, copy, n, &e)) {
        cJSON_AddItemToObject(r, "error", sbx_error_json(e.status, e.code, e.message));
        ably_free_array(&ably_message_desc, copy, n);
        return r;
    }
    sbx_channel *ch = sbx_channel_get(p->app, channel, true);
    char *id_base = sbx_random_id(12);
    int64_t now = sbx_now_ms();
    cJSON *serials = cJSON_CreateArray();
    bool stored = ch && id_base;
    for (size_t i = 0; stored && i < n; i++) {
        const char *serial = sbx_store_message(ch, &copy[i], id_base, (int)i, now);
        stored = serial != NULL;
        if (stored)
            cJSON_AddItemToArray(serials, cJSON_CreateString(serial));
    }
    if (stored) {
        cJSON_AddStringToObject(r, "messageId", id_base);
        cJSON_AddItemToObject(r, "serials", serials);
        *ok = true;
    } else {
        cJSON_Delete(serials);
        cJSON_AddItemToObject(r, "error", sbx_error_json(500, 50000, "Could not store the messages"));
    }
    free(id_base);
    ably_free_array(&ably_message_desc, copy, n);
    return r;
}

void sbx_route_batch_publish(sbx_server *srv, const sbx_request *req, sbx_response *resp)
{
    sbx_principal p;
    ably_batch_publish_spec *specs = NULL;
    size_t count = 0;
    if (sbx_require_auth(srv, req, resp, &p) && decode_specs(req, resp, &specs, &count) == 0) {
        cJSON *out = cJSON_CreateArray();
        for (size_t s = 0; s < count; s++) {
            cJSON *results = cJSON_CreateArray();
            int ok = 0, failed = 0;
            for (size_t c = 0; c < specs[s].channels_count; c++) {
                bool success;
                cJSON_AddItemToArray(results, publish_to_channel(&p, specs[s].channels[c], &specs[s], &success));
                success ? ok++ : failed++;
            }
            cJSON *batch = cJSON_CreateObject();
            cJSON_AddNumberToObject(batch, "successCount", ok);
            cJSON_AddNumberToObject(batch, "failureCount", failed);
            cJSON_AddItemToObject(batch, "results", results);
            cJSON_AddItemToArray(out, batch);
        }
        sbx_respond_value(req, resp, 201, out);
    }
    ably_free_array(&ably_batch_publish_spec_desc, specs, count);
    sbx_principal_clear(&p);
}
