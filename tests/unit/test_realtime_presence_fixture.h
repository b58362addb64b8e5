/* Shared fixture for the realtime presence operation tests (uts/realtime/unit/presence/
 * realtime_presence_*.md): the channel fixture plus a server stub for PRESENCE frames
 * that ACKs or NACKs them and, like Ably, echoes them back to the sending connection
 * (which is what fills the RTP17 local member map). Header-only, like the channel
 * fixture it builds on. */
#ifndef TEST_REALTIME_PRESENCE_FIXTURE_H
#define TEST_REALTIME_PRESENCE_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf; include this header first */
#endif

#include "test_realtime_channel_fixture.h"

typedef enum { PX_ACK, PX_NACK, PX_SILENT } px_reply;

typedef struct {
    chan_fx f;                 /* first: a px_fx is also a chan_fx */
    px_reply reply;            /* answer to every PRESENCE frame */
    int64_t nack_code, nack_status;
    bool echo;                 /* send each PresenceMessage back as a PRESENCE event */
    const char *echo_client;   /* clientId of echoed messages sent without one */
    const char *conn_id;       /* the current connection's id (echoes carry it) */
    const char *after_attached; /* a server frame (e.g. SYNC) sent right after ATTACHED */
    int attach_count;
} px_fx;

/* The echo of one sent PresenceMessage as the server would publish it (connectionId,
 * id "connId:msgSerial:index", timestamp), sent on `attempt`. */
static inline void px_echo(px_fx *x, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    for (size_t i = 0; i < pm->presence_count; i++) {
        ably_presence_message e;
        assert_int_equal(ably_presence_message_copy(&e, &pm->presence[i], NULL), 0);
        if (!e.client_id && x->echo_client)
            e.client_id = strdup(x->echo_client);
        free(e.connection_id);
        e.connection_id = strdup(x->conn_id);
        free(e.id);
        assert_true(asprintf(&e.id, "%s:%lld:%zu", x->conn_id, (long long)pm->msg_serial, i) > 0);
        e.timestamp = mock_http_now(x->f.t.h);
        e.has_timestamp = true;
        ably_buf body;
        ably_buf_init(&body);
        assert_int_equal(ably_presence_message_to_json(&e, &body, NULL), 0);
        char *frame = NULL;
        assert_true(asprintf(&frame, "{\"action\":14,\"channel\":\"%s\",\"connectionId\":\"%s\",\"presence\":[%s]}",
                             pm->channel, x->conn_id, body.data) > 0);
        mock_ws_send(m, attempt, frame);
        free(frame);
        ably_buf_free(&body);
        ably_presence_message_clear(&e);
    }
}

static inline void px_on_client_frame(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    px_fx *x = ctx;
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH) {
        x->attach_count++;
        fx_on_client_frame(&x->f, m, attempt, pm);
        if (x->f.auto_attach && x->after_attached)
            mock_ws_send(m, attempt, x->after_attached);
        return;
    }
    if (pm->action != ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE) {
        fx_on_client_frame(&x->f, m, attempt, pm);
        return;
    }
    char frame[512];
    if (x->reply == PX_ACK) {
        snprintf(frame, sizeof frame, "{\"action\":1,\"msgSerial\":%lld,\"count\":1}", (long long)pm->msg_serial);
        mock_ws_send(m, attempt, frame);
        if (x->echo)
            px_echo(x, m, attempt, pm);
    } else if (x->reply == PX_NACK) {
        snprintf(frame, sizeof frame,
                 "{\"action\":2,\"msgSerial\":%lld,\"count\":1,\"error\":{\"code\":%lld,\"statusCode\":%lld,"
                 "\"message\":\"refused\"}}",
                 (long long)pm->msg_serial, (long long)x->nack_code, (long long)x->nack_status);
        mock_ws_send(m, attempt, frame);
    }
}

/* fx_init plus the presence stub (ACK, no echo, connection "conn-1"). */
static inline void px_init(px_fx *x)
{
    memset(x, 0, sizeof *x);
    fx_init(&x->f);
    x->conn_id = "conn-1";
    mock_ws_on_message(x->f.t.m, px_on_client_frame, x);
}

/* Starts the client with `client_id` (may be NULL) and connects as conn-1. */
static inline void px_start(px_fx *x, const char *client_id)
{
    x->f.t.o.client_id = client_id;
    fx_start(&x->f);
    fx_connect(&x->f);
}

/* Drops the transport and answers the reconnection attempt as connection `conn_id`
 * (a new id: the connection was not resumed, so channels reattach). */
static inline void px_reconnect(px_fx *x, const char *conn_id)
{
    size_t before = mock_ws_attempt_count(x->f.t.m);
    mock_ws_simulate_disconnect(x->f.t.m, mock_rt_last_attempt(&x->f.t));
    fx_pump(&x->f);
    for (int i = 0; i < 200 && mock_ws_attempt_count(x->f.t.m) == before; i++)
        fx_advance(&x->f, 100);
    size_t n = mock_ws_attempt_count(x->f.t.m);
    assert_true(n > before);
    x->conn_id = conn_id;
    mock_ws_respond_success(x->f.t.m, n - 1, mock_ws_connected_json(conn_id, "key-2", 15000, 120000));
    fx_pump(&x->f);
    assert_int_equal(mock_rt_state(&x->f.t), ABLY_CONN_CONNECTED);
}

/* Connected as conn-1 (clientId `client_id`, may be NULL) with a 5 s connectionStateTtl
 * and 500 ms retries; returns channel "p", not attached. */
static inline ably_realtime_channel *px_short_ttl_client(px_fx *x, const char *client_id)
{
    px_init(x);
    x->f.t.o.client_id = client_id;
    x->f.t.o.disconnected_retry_timeout_ms = 500;
    ably_realtime_config cfg = {.connection_state_ttl_ms = 5000};
    mock_rt_start(&x->f.t, &cfg);
    ably_connection_connect(x->f.t.rt);
    fx_pump(&x->f);
    mock_ws_respond_success(x->f.t.m, 0, mock_ws_connected_json("conn-1", "key-1", 15000, 5000));
    fx_pump(&x->f);
    return fx_channel(&x->f, "p", NULL);
}

/* Drops the transport and refuses reconnection until the connection, and with it
 * channel `ch`, is SUSPENDED. */
static inline void px_suspend(px_fx *x, ably_realtime_channel *ch)
{
    mock_ws_simulate_disconnect(x->f.t.m, mock_rt_last_attempt(&x->f.t));
    fx_pump(&x->f);
    for (int i = 0; i < 40 && ably_realtime_channel_state(ch) != ABLY_CHANNEL_SUSPENDED; i++) {
        size_t n = mock_ws_attempt_count(x->f.t.m);
        mock_ws_respond_refused(x->f.t.m, n - 1);
        fx_advance(&x->f, 500);
    }
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_SUSPENDED);
}

/* The i-th PRESENCE frame the client sent from index `from` of the sent list on, or NULL. */
static inline const ably_protocol_message *px_sent_presence(px_fx *x, size_t from, size_t i)
{
    for (size_t k = from; k < mock_ws_sent_count(x->f.t.m); k++) {
        const ably_protocol_message *pm = mock_ws_sent(x->f.t.m, k);
        if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE && i-- == 0)
            return pm;
    }
    return NULL;
}

static inline size_t px_count_presence(px_fx *x, size_t from)
{
    size_t n = 0;
    while (px_sent_presence(x, from, n))
        n++;
    return n;
}

/* The data of a PresenceMessage as a C string ("" when none). */
static inline const char *px_data(const ably_presence_message *m)
{
    return m->data.type != ABLY_DATA_NONE && m->data.bytes ? m->data.bytes : "";
}

/* ---- recorders ---- */

#define PX_MAX 64

typedef struct {
    int count;
    int action[PX_MAX];
    char client[PX_MAX][32];
    char data[PX_MAX][32];
    char conn[PX_MAX][32];
    bool has_id[PX_MAX];
} px_events;

static inline void px_on_event(void *ctx, const ably_presence_message *m)
{
    px_events *r = ctx;
    if (r->count < PX_MAX) {
        int i = r->count;
        r->action[i] = (int)m->action;
        snprintf(r->client[i], sizeof r->client[0], "%s", m->client_id ? m->client_id : "");
        snprintf(r->data[i], sizeof r->data[0], "%s", px_data(m));
        snprintf(r->conn[i], sizeof r->conn[0], "%s", m->connection_id ? m->connection_id : "");
        r->has_id[i] = m->id != NULL;
    }
    r->count++;
}

/* A get() answer, copied out of the callback. */
typedef struct {
    int calls;
    int64_t code;
    size_t count;
    ably_presence_message items[PX_MAX];
} px_get;

static inline void px_on_get(void *ctx, const ably_error *err, const ably_presence_message *members, size_t count)
{
    px_get *g = ctx;
    for (size_t i = 0; i < g->count && i < PX_MAX; i++)
        ably_presence_message_clear(&g->items[i]);
    g->calls++;
    g->code = err ? err->code : 0;
    g->count = count;
    for (size_t i = 0; i < count && i < PX_MAX; i++)
        assert_int_equal(ably_presence_message_copy(&g->items[i], &members[i], NULL), 0);
}

static inline void px_get_clear(px_get *g)
{
    for (size_t i = 0; i < g->count && i < PX_MAX; i++)
        ably_presence_message_clear(&g->items[i]);
    memset(g, 0, sizeof *g);
}

/* get() answered once, successfully, with `count` members. */
static inline void px_assert_got(const px_get *g, size_t count)
{
    assert_int_equal(g->calls, 1);
    assert_int_equal(g->code, 0);
    assert_int_equal(g->count, count);
}

/* Frees the get() answer and the fixture. */
static inline void px_done(px_fx *x, px_get *g)
{
    px_get_clear(g);
    fx_free(&x->f);
}

/* The member of a get() answer with this clientId, or NULL. */
static inline const ably_presence_message *px_find(const px_get *g, const char *client_id)
{
    for (size_t i = 0; i < g->count && i < PX_MAX; i++)
        if (g->items[i].client_id && strcmp(g->items[i].client_id, client_id) == 0)
            return &g->items[i];
    return NULL;
}

#endif
