/* Encoded ProtocolMessage frames, shared between subscribers. */
#include "rt_internal.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

rt_frame *rt_frame_encode(const ably_protocol_message *pm, sbx_format fmt)
{
    rt_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    ably_buf b;
    ably_buf_init(&b);
    static const unsigned char headroom[LWS_PRE];
    ably_format af = fmt == SBX_FMT_MSGPACK ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON;
    /* Encode after LWS_PRE bytes of headroom, so lws_write needs no copy. */
    if (ably_buf_append(&b, headroom, LWS_PRE) != 0 ||
        ably_encode_append(&ably_protocol_message_desc, af, pm, &b, NULL) != 0) {
        ably_buf_free(&b);
        free(f);
        return NULL;
    }
    size_t total;
    f->data = (unsigned char *)ably_buf_detach(&b, &total);
    f->len = total - LWS_PRE;
    f->binary = fmt == SBX_FMT_MSGPACK;
    f->refs = 1;
    return f;
}

void rt_frame_release(rt_frame *f)
{
    if (f && --f->refs == 0) {
        free(f->data);
        free(f);
    }
}

void rt_presence_binary_for_msgpack(ably_presence_message *pm)
{
    if (pm->data.type != ABLY_DATA_STRING || !pm->encoding)
        return;
    size_t len = strlen(pm->encoding);
    if (len < 6 || strcmp(pm->encoding + len - 6, "base64") != 0 ||
        (len > 6 && pm->encoding[len - 7] != '/'))
        return;
    size_t n;
    unsigned char *bytes = sbx_base64_decode(pm->data.bytes, pm->data.len, &n);
    if (!bytes)
        return;
    free(pm->data.bytes);
    pm->data.type = ABLY_DATA_BINARY;
    pm->data.bytes = (char *)bytes;
    pm->data.len = n;
    if (len > 6) {
        pm->encoding[len - 7] = '\0';
    } else {
        free(pm->encoding);
        pm->encoding = NULL;
    }
}
