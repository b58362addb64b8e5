/* Shared fixture for the realtime channel and presence unit tests: the mock WebSocket
 * client (mock_rt) plus a server stub that answers ATTACH / DETACH automatically when
 * asked to, and recorders for channel events, results and messages. Header-only so
 * each test executable stays self-contained. */
#ifndef TEST_REALTIME_CHANNEL_FIXTURE_H
#define TEST_REALTIME_CHANNEL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"

typedef struct {
    mock_rt t;
    bool auto_attach;      /* answer ATTACH with ATTACHED (attached_flags) */
    bool auto_detach;      /* answer DETACH with DETACHED */
    int64_t attached_flags;
    const char *attached_serial; /* channelSerial of the ATTACHED answers */
} chan_fx;

static inline void fx_on_client_frame(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    chan_fx *f = ctx;
    char frame[512];
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH && f->auto_attach) {
        if (f->attached_serial)
            snprintf(frame, sizeof frame, "{\"action\":11,\"channel\":\"%s\",\"flags\":%lld,\"channelSerial\":\"%s\"}",
                     pm->channel, (long long)f->attached_flags, f->attached_serial);
        else
            snprintf(frame, sizeof frame, "{\"action\":11,\"channel\":\"%s\",\"flags\":%lld}", pm->channel,
                     (long long)f->attached_flags);
        mock_ws_send(m, attempt, frame);
    } else if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_DETACH && f->auto_detach) {
        snprintf(frame, sizeof frame, "{\"action\":13,\"channel\":\"%s\"}", pm->channel);
        mock_ws_send(m, attempt, frame);
    }
}

static inline void fx_init(chan_fx *f)
{
    memset(f, 0, sizeof *f);
    mock_rt_init(&f->t);
    f->auto_attach = f->auto_detach = true;
    mock_ws_on_message(f->t.m, fx_on_client_frame, f);
}

static inline void fx_start(chan_fx *f) { mock_rt_start(&f->t, NULL); }

static inline void fx_connect(chan_fx *f) { mock_rt_connect(&f->t, "conn-1", "key-1"); }

/* fx_init, fx_start and fx_connect: a connected client with the default stub. */
static inline void fx_init_connected(chan_fx *f)
{
    fx_init(f);
    fx_start(f);
    fx_connect(f);
}

static inline void fx_free(chan_fx *f) { mock_rt_free(&f->t); }

static inline void fx_pump(chan_fx *f) { mock_ws_pump(f->t.m, f->t.rt); }

static inline void fx_advance(chan_fx *f, int64_t ms) { mock_ws_advance(f->t.m, f->t.h, f->t.rt, ms); }

/* Sends a server frame on the latest attempt and pumps. */
static inline void fx_server(chan_fx *f, const char *json)
{
    mock_ws_send(f->t.m, mock_rt_last_attempt(&f->t), json);
    fx_pump(f);
}

static inline ably_realtime_channel *fx_channel(chan_fx *f, const char *name, const ably_realtime_channel_options *o)
{
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(f->t.rt, name, o, &ch, &err), 0);
    assert_non_null(ch);
    return ch;
}

/* ---- recorders ---- */

typedef struct {
    int calls;
    int64_t code; /* 0: success */
} op_result;

static inline void fx_on_result(void *ctx, const ably_error *err)
{
    op_result *r = ctx;
    r->calls++;
    r->code = err ? (err->code ? err->code : -1) : 0;
}

typedef struct {
    ably_channel_state previous, current;
    ably_channel_event event;
    int64_t reason_code;
    bool resumed;
} fx_change;

typedef struct {
    fx_change items[32];
    size_t count;
} fx_changes;

static inline void fx_on_change(void *ctx, const ably_channel_state_change *c)
{
    fx_changes *r = ctx;
    if (r->count < 32)
        r->items[r->count++] = (fx_change){c->previous, c->current, c->event, c->reason ? c->reason->code : 0,
                                           c->resumed};
}

static inline void fx_record(ably_realtime_channel *ch, fx_changes *r)
{
    memset(r, 0, sizeof *r);
    assert_true(ably_realtime_channel_on(ch, ABLY_CHANNEL_EVENT_ANY, fx_on_change, r) != 0);
}

/* Attaches and asserts ATTACHED (with auto_attach on). */
static inline void fx_attach(chan_fx *f, ably_realtime_channel *ch)
{
    op_result r = {0};
    ably_realtime_channel_attach(ch, fx_on_result, &r);
    fx_pump(f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
}

/* The server ACKs (count 1) the frame with this msgSerial; `res` is the ACK's res array
 * as JSON, or NULL for none. */
static inline void fx_ack(chan_fx *f, int64_t msg_serial, const char *res)
{
    char frame[512];
    if (res)
        snprintf(frame, sizeof frame, "{\"action\":1,\"msgSerial\":%lld,\"count\":1,\"res\":%s}",
                 (long long)msg_serial, res);
    else
        snprintf(frame, sizeof frame, "{\"action\":1,\"msgSerial\":%lld,\"count\":1}", (long long)msg_serial);
    fx_server(f, frame);
}

/* The server NACKs (count 1) the frame with this msgSerial with the error object `error`. */
static inline void fx_nack(chan_fx *f, int64_t msg_serial, const char *error)
{
    char frame[512];
    snprintf(frame, sizeof frame, "{\"action\":2,\"msgSerial\":%lld,\"count\":1,\"error\":%s}",
             (long long)msg_serial, error);
    fx_server(f, frame);
}

/* fx_channel, then fx_attach. */
static inline ably_realtime_channel *fx_attached(chan_fx *f, const char *name, const ably_realtime_channel_options *o)
{
    ably_realtime_channel *ch = fx_channel(f, name, o);
    fx_attach(f, ch);
    return ch;
}

static inline int64_t fx_channel_error(ably_realtime_channel *ch)
{
    ably_error e = {0};
    if (ably_realtime_channel_error_reason(ch, &e) != 1)
        return 0;
    int64_t code = e.code;
    ably_error_clear(&e);
    return code;
}

#endif
