/* Response helpers: values in the negotiated format, Ably errors, logging. */
#include "sbx_server.h"
#include "sbx_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbx_response_header(sbx_response *resp, const char *name, const char *value)
{
    sbx_pair *grown = realloc(resp->headers, (resp->header_count + 1) * sizeof *grown);
    if (!grown)
        return;
    resp->headers = grown;
    grown[resp->header_count].name = sbx_strdup(name);
    grown[resp->header_count].value = sbx_strdup(value);
    resp->header_count++;
}

void sbx_response_clear(sbx_response *resp)
{
    free(resp->body);
    for (size_t i = 0; i < resp->header_count; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    memset(resp, 0, sizeof *resp);
}

static void set_body(sbx_response *resp, int status, const char *type, char *body, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = type;
    resp->body = body;
    resp->body_len = len;
}

void sbx_respond_value(const sbx_request *req, sbx_response *resp, int status, cJSON *value)
{
    sbx_format fmt = sbx_format_of_accept(sbx_header(req, "accept"));
    size_t len = 0;
    char *body = value ? sbx_wire_encode(value, fmt, &len) : NULL;
    cJSON_Delete(value);
    if (!body) {
        set_body(resp, 500, SBX_MIME_JSON,
                 sbx_strdup("{\"error\":{\"code\":50000,\"statusCode\":500,"
                            "\"message\":\"Could not encode the response\"}}"),
                 0);
        resp->body_len = strlen(resp->body);
        return;
    }
    set_body(resp, status, sbx_format_mime(fmt), body, len);
}

void sbx_respond_empty(sbx_response *resp, int status)
{
    set_body(resp, status, NULL, NULL, 0);
}

/* Header values must stay on one line and reasonably short. */
static void header_safe_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] == '\r' || src[i] == '\n') ? ' ' : src[i];
    dst[i] = '\0';
}

void sbx_respond_error(const sbx_request *req, sbx_response *resp, int status, int code,
                       const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddNumberToObject(err, "code", code);
    cJSON_AddNumberToObject(err, "statusCode", status);
    cJSON_AddStringToObject(err, "message", message);
    char href[64];
    snprintf(href, sizeof href, "https://help.ably.io/error/%d", code);
    cJSON_AddStringToObject(err, "href", href);
    sbx_respond_value(req, resp, status, root);

    char code_text[16], safe[512];
    snprintf(code_text, sizeof code_text, "%d", code);
    header_safe_copy(safe, sizeof safe, message);
    sbx_response_header(resp, "x-ably-errorcode", code_text);
    sbx_response_header(resp, "x-ably-errormessage", safe);
}

cJSON *sbx_request_body(const sbx_request *req, sbx_response *resp)
{
    sbx_format fmt = sbx_format_of_content_type(sbx_header(req, "content-type"));
    if (fmt == SBX_FMT_UNSUPPORTED) {
        sbx_respond_error(req, resp, 415, 40001, "Unsupported Content-Type; use %s or %s",
                          SBX_MIME_JSON, SBX_MIME_MSGPACK);
        return NULL;
    }
    if (req->body_len == 0) {
        sbx_respond_error(req, resp, 400, 40001, "Request body is required");
        return NULL;
    }
    cJSON *v = sbx_wire_decode(req->body, req->body_len, fmt);
    if (!v)
        sbx_respond_error(req, resp, 400, 40001, "Request body is not valid %s",
                          fmt == SBX_FMT_MSGPACK ? "msgpack" : "JSON");
    return v;
}

void sbx_log(const sbx_server *srv, int level, const char *fmt, ...)
{
    if (srv && level > srv->log_level)
        return;
    static const char *const names[] = { "error", "warn", "info", "debug" };
    fprintf(stderr, "ably-sandbox %s: ", names[level < 0 ? 0 : level > 3 ? 3 : level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
