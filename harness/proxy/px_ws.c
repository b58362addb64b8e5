/* WebSocket framing (RFC 6455) and the ProtocolMessage view of a frame.
 * The proxy strips Sec-WebSocket-Extensions from the upgrade, so frames
 * are never compressed and every payload is a whole ProtocolMessage. */
#include "px.h"

#include <ably/codec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int px_ws_parse(const uint8_t *buf, size_t len, px_ws_frame *f)
{
    if (len < 2)
        return 0;
    memset(f, 0, sizeof *f);
    f->fin = (buf[0] & 0x80) != 0;
    f->opcode = buf[0] & 0x0f;
    if (buf[0] & 0x70) /* RSV bits: no extension was negotiated */
        return -1;
    f->masked = (buf[1] & 0x80) != 0;
    uint64_t n = buf[1] & 0x7f;
    size_t pos = 2;
    if (n == 126) {
        if (len < 4)
            return 0;
        n = ((uint64_t)buf[2] << 8) | buf[3];
        pos = 4;
    } else if (n == 127) {
        if (len < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | buf[2 + i];
        pos = 10;
    }
    if (n > (64u << 20)) /* far beyond any Ably frame */
        return -1;
    if (f->masked) {
        if (len < pos + 4)
            return 0;
        memcpy(f->mask, buf + pos, 4);
        pos += 4;
    }
    f->header_len = pos;
    f->payload_len = n;
    return len >= pos + n ? 1 : 0;
}

void px_ws_unmask(uint8_t *payload, size_t n, const uint8_t mask[4])
{
    for (size_t i = 0; i < n; i++)
        payload[i] ^= mask[i & 3];
}

void px_ws_write(px_buf *out, int opcode, const void *payload, size_t n, bool mask)
{
    uint8_t head[14];
    size_t h = 0;
    head[h++] = (uint8_t)(0x80 | opcode);
    uint8_t mbit = mask ? 0x80 : 0;
    if (n < 126) {
        head[h++] = (uint8_t)(mbit | n);
    } else if (n <= 0xffff) {
        head[h++] = mbit | 126;
        head[h++] = (uint8_t)(n >> 8);
        head[h++] = (uint8_t)n;
    } else {
        head[h++] = mbit | 127;
        for (int i = 7; i >= 0; i--)
            head[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    uint8_t key[4] = { 0 };
    if (mask) {
        RAND_bytes(key, 4);
        memcpy(head + h, key, 4);
        h += 4;
    }
    px_buf_append(out, head, h);
    if (n == 0)
        return;
    size_t start = out->len;
    px_buf_append(out, payload, n);
    if (mask)
        px_ws_unmask((uint8_t *)out->data + start, n, key);
}

void px_ws_write_close(px_buf *out, int code, bool mask)
{
    uint8_t body[2] = { (uint8_t)(code >> 8), (uint8_t)code };
    px_ws_write(out, PX_WS_CLOSE, body, code > 0 ? 2 : 0, mask);
}

void px_ws_accept(const char *key, char out[64])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char joined[256];
    unsigned char digest[SHA_DIGEST_LENGTH];
    int n = snprintf(joined, sizeof joined, "%s%s", key, guid);
    SHA1((const unsigned char *)joined, (size_t)n, digest);
    EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

static const char *const action_names[] = {
    "HEARTBEAT", "ACK",      "NACK",   "CONNECT",  "CONNECTED", "DISCONNECT", "DISCONNECTED", "CLOSE",
    "CLOSED",    "ERROR",    "ATTACH", "ATTACHED", "DETACH",    "DETACHED",   "PRESENCE",     "MESSAGE",
    "SYNC",      "AUTH",     "ACTIVATE", "OBJECT", "OBJECT_SYNC", "ANNOTATION",
};
#define ACTION_COUNT (int)(sizeof action_names / sizeof action_names[0])

const char *px_action_name(int action)
{
    return action >= 0 && action < ACTION_COUNT ? action_names[action] : NULL;
}

int px_action_parse(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n >= 0 && n < 256 ? (int)n : -1;
    for (int i = 0; i < ACTION_COUNT; i++)
        if (strcasecmp(s, action_names[i]) == 0)
            return i;
    return -1;
}

/* Fallback for JSON the generated codec rejects: read the two fields the
 * rules need straight from the tree. */
static void inspect_tree(const cJSON *json, int *action, char **channel)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "action");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(json, "channel");
    *action = cJSON_IsNumber(a) ? a->valueint : -1;
    *channel = cJSON_IsString(c) ? px_xstrdup(c->valuestring) : NULL;
}

void px_pm_inspect(const void *payload, size_t n, bool msgpack, int *action, char **channel, cJSON **json)
{
    ably_protocol_message pm;
    ably_error err;
    ably_protocol_message_init(&pm);
    ably_error_init(&err);
    *action = -1;
    *channel = NULL;
    *json = NULL;
    int rc = msgpack ? ably_protocol_message_from_msgpack(&pm, payload, n, &err)
                     : ably_protocol_message_from_json(&pm, payload, n, &err);
    if (rc == 0) {
        *action = pm.has_action ? (int)pm.action : -1;
        *channel = pm.channel ? px_xstrdup(pm.channel) : NULL;
    }
    if (!msgpack) {
        *json = cJSON_ParseWithLength(payload, n);
        if (rc != 0 && *json)
            inspect_tree(*json, action, channel);
    } else if (rc == 0) { /* the log shows msgpack frames as JSON */
        ably_buf text;
        ably_buf_init(&text);
        ably_error_clear(&err);
        if (ably_protocol_message_to_json(&pm, &text, &err) == 0)
            *json = cJSON_ParseWithLength(text.data, text.len);
        ably_buf_free(&text);
    }
    ably_protocol_message_clear(&pm);
    ably_error_clear(&err);
}

int px_pm_encode(const cJSON *msg, bool msgpack, px_buf *out)
{
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return -1;
    if (!msgpack) {
        px_buf_append(out, text, strlen(text));
        free(text);
        return 0;
    }
    ably_protocol_message pm;
    ably_error err;
    ably_buf packed;
    ably_protocol_message_init(&pm);
    ably_error_init(&err);
    ably_buf_init(&packed);
    int rc = ably_protocol_message_from_json(&pm, text, strlen(text), &err);
    if (rc == 0) {
        ably_error_clear(&err);
        rc = ably_protocol_message_to_msgpack(&pm, &packed, &err);
    }
    if (rc == 0)
        px_buf_append(out, packed.data, packed.len);
    ably_buf_free(&packed);
    ably_protocol_message_clear(&pm);
    ably_error_clear(&err);
    free(text);
    return rc == 0 ? 0 : -1;
}
