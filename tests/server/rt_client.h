/* A minimal WebSocket client for the realtime tests of ably-sandbox: connect
 * with a query string, send ProtocolMessages (JSON text or msgpack binary
 * frames), and wait for received ones with a timeout, so nothing hangs.
 *
 * Each client owns its own lws context and is serviced only while a test
 * waits on it (the server keeps writing into the socket meanwhile).
 * Received frames are decoded with the generated ably_protocol_message codec
 * and queued; rtc_expect takes the first one with a given action out of the
 * queue (others stay, in order). Frames it returns are the caller's: release
 * them with rtc_free. rtc_destroy drops the transport without an Ably CLOSE,
 * which is what a lost connection looks like to the server. */
#ifndef TEST_RT_CLIENT_H
#define TEST_RT_CLIENT_H

#include "ably/codec.h"
#include "sandbox_env.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rtc_tx {
    struct rtc_tx *next;
    bool binary;
    size_t len;
    unsigned char *data; /* LWS_PRE headroom + len bytes */
} rtc_tx;

typedef struct {
    struct lws_context *ctx;
    struct lws *wsi;
    bool established, closed, failed;
    bool msgpack;
    ably_protocol_message *frames; /* received, not yet taken */
    size_t count, cap;
    unsigned char *rx;
    size_t rx_len;
    rtc_tx *tx_head, *tx_tail;
    lws_sorted_usec_list_t tick;
} rt_client;

static inline int64_t rtc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void rtc_store_frame(rt_client *c, const unsigned char *data, size_t len, bool binary)
{
    ably_protocol_message pm;
    if (ably_decode(&ably_protocol_message_desc, binary ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON,
                    data, len, &pm, NULL) != 0) {
        fprintf(stderr, "rt_client: undecodable frame (%zu bytes)\n", len);
        return;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        ably_protocol_message *grown = realloc(c->frames, cap * sizeof *grown);
        if (!grown) {
            ably_protocol_message_clear(&pm);
            return;
        }
        c->frames = grown;
        c->cap = cap;
    }
    c->frames[c->count++] = pm;
}

static inline int rtc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len)
{
    rt_client *c = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->established = true;
        if (c->tx_head)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c->failed = c->closed = true;
        c->wsi = NULL;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->closed = true;
        c->wsi = NULL;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        unsigned char *grown = realloc(c->rx, c->rx_len + len + 1);
        if (!grown)
            return -1;
        memcpy(grown + c->rx_len, in, len);
        c->rx = grown;
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            rtc_store_frame(c, c->rx, c->rx_len, lws_frame_is_binary(wsi));
            c->rx_len = 0;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        rtc_tx *t = c->tx_head;
        if (!t)
            return 0;
        c->tx_head = t->next;
        if (!c->tx_head)
            c->tx_tail = NULL;
        int w = lws_write(wsi, t->data + LWS_PRE, t->len, t->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        free(t->data);
        free(t);
        if (w < 0)
            return -1;
        if (c->tx_head)
            lws_callback_on_writable(wsi);
        return 0;
    }
    default:
        return 0;
    }
}

static const struct lws_protocols rtc_protocols[] = {
    { "rt-test-client", rtc_callback, 0, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Keeps lws_service from sleeping long, so waits can time out promptly. */
static inline void rtc_tick(lws_sorted_usec_list_t *sul)
{
    rt_client *c = lws_container_of(sul, rt_client, tick);
    lws_sul_schedule(c->ctx, 0, &c->tick, rtc_tick, 10 * LWS_US_PER_MS);
}

/* Services the client until `done(c)` or the timeout; returns done(c). */
static inline bool rtc_service_until(rt_client *c, bool (*done)(rt_client *), int timeout_ms)
{
    int64_t deadline = rtc_now_ms() + timeout_ms;
    while (!done(c) && rtc_now_ms() < deadline)
        lws_service(c->ctx, 0);
    return done(c);
}

static inline bool rtc_is_open_or_failed(rt_client *c)
{
    return c->established || c->failed || c->closed;
}

static inline bool rtc_is_closed(rt_client *c)
{
    return c->closed;
}

static inline bool rtc_tx_done(rt_client *c)
{
    return !c->tx_head || c->closed;
}

static inline bool rtc_never(rt_client *c)
{
    (void)c;
    return false;
}

/* Opens ws://host:port/?<query>&format=json|msgpack. NULL when the WebSocket
 * could not be established within 5 s. */
static inline rt_client *rtc_connect(const sandbox_env *env, const char *query, bool msgpack)
{
    rt_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->msgpack = msgpack;
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.port = CONTEXT_PORT_NO_LISTEN;
    ci.protocols = rtc_protocols;
    c->ctx = lws_create_context(&ci);
    if (!c->ctx) {
        free(c);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "/?v=6&format=%s%s%s", msgpack ? "msgpack" : "json",
             query && *query ? "&" : "", query ? query : "");
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->ctx;
    i.address = env->host;
    i.port = env->port;
    i.path = path;
    i.host = env->host;
    i.origin = env->host;
    i.protocol = NULL; /* like ably-js: no subprotocol */
    i.userdata = c;
    i.pwsi = &c->wsi;
    lws_sul_schedule(c->ctx, 0, &c->tick, rtc_tick, 10 * LWS_US_PER_MS);
    if (!lws_client_connect_via_info(&i) || !rtc_service_until(c, rtc_is_open_or_failed, 5000) ||
        !c->established) {
        lws_sul_cancel(&c->tick);
        lws_context_destroy(c->ctx);
        free(c->rx);
        free(c);
        return NULL;
    }
    return c;
}

static inline void rtc_send_raw(rt_client *c, const void *data, size_t len, bool binary)
{
    rtc_tx *t = calloc(1, sizeof *t);
    t->data = malloc(LWS_PRE + len);
    memcpy(t->data + LWS_PRE, data, len);
    t->len = len;
    t->binary = binary;
    if (c->tx_tail)
        c->tx_tail->next = t;
    else
        c->tx_head = t;
    c->tx_tail = t;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    /* Flush now, so a test can wait on another client right after sending. */
    rtc_service_until(c, rtc_tx_done, 2000);
}

/* A JSON text frame, whatever the connection's format. */
static inline void rtc_send_json(rt_client *c, const char *json)
{
    rtc_send_raw(c, json, strlen(json), false);
}

/* pm in the connection's format. */
static inline void rtc_send(rt_client *c, const ably_protocol_message *pm)
{
    ably_buf b;
    ably_buf_init(&b);
    if (ably_encode(&ably_protocol_message_desc, c->msgpack ? ABLY_FORMAT_MSGPACK : ABLY_FORMAT_JSON,
                    pm, &b, NULL) == 0)
        rtc_send_raw(c, b.data, b.len, c->msgpack);
    ably_buf_free(&b);
}

static inline ably_protocol_message *rtc_take(rt_client *c, int action)
{
    for (size_t i = 0; i < c->count; i++) {
        if (action >= 0 && (!c->frames[i].has_action || (int)c->frames[i].action != action))
            continue;
        ably_protocol_message *out = malloc(sizeof *out);
        *out = c->frames[i];
        memmove(&c->frames[i], &c->frames[i + 1], (c->count - i - 1) * sizeof *c->frames);
        c->count--;
        return out;
    }
    return NULL;
}

/* The first received frame with this action (any action when < 0), waiting
 * up to timeout_ms; NULL on timeout. */
static inline ably_protocol_message *rtc_expect(rt_client *c, int action, int timeout_ms)
{
    int64_t deadline = rtc_now_ms() + timeout_ms;
    for (;;) {
        ably_protocol_message *pm = rtc_take(c, action);
        if (pm || rtc_now_ms() >= deadline)
            return pm;
        lws_service(c->ctx, 0);
    }
}

static inline void rtc_free(ably_protocol_message *pm)
{
    if (pm) {
        ably_protocol_message_clear(pm);
        free(pm);
    }
}

/* Services for a while (lets queued sends go out). */
static inline void rtc_pump(rt_client *c, int ms)
{
    rtc_service_until(c, rtc_never, ms);
}

static inline bool rtc_wait_closed(rt_client *c, int timeout_ms)
{
    return rtc_service_until(c, rtc_is_closed, timeout_ms);
}

static inline void rtc_destroy(rt_client *c)
{
    if (!c)
        return;
    lws_sul_cancel(&c->tick);
    lws_context_destroy(c->ctx);
    for (size_t i = 0; i < c->count; i++)
        ably_protocol_message_clear(&c->frames[i]);
    free(c->frames);
    while (c->tx_head) {
        rtc_tx *t = c->tx_head;
        c->tx_head = t->next;
        free(t->data);
        free(t);
    }
    free(c->rx);
    free(c);
}

#endif
