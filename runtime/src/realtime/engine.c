/* The realtime connection state machine (RTN, RTB, RTC8). See engine.h.
 * Runs on the loop thread only; time comes only from the client's ably_clock. */
#include "realtime/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "ably/gen/defaults.h"
#include "ably/gen/errors.h"
#include "rest/auth_internal.h"
#include "rest/rest_internal.h"

#define ABLY_RT_PROTOCOL_VERSION "6" /* CSV2, RTN2f */

static void go_disconnected(ably_realtime *rt, const ably_error *reason, bool immediate);
static void begin_attempt(ably_realtime *rt);
static void start_connect(ably_realtime *rt);

/* ---- small helpers ---- */

int64_t ably_rt_now(ably_realtime *rt) { return ably_rest_now_ms(rt->rest); }

static const ably_client_options *opts(ably_realtime *rt) { return ably_rest_options(rt->rest); }

static int64_t rrt(ably_realtime *rt)
{
    int64_t v = opts(rt)->realtime_request_timeout_ms;
    return v > 0 ? v : ABLY_DEFAULT_REALTIME_REQUEST_TIMEOUT_MS;
}

static uint64_t rng_next(ably_realtime *rt) /* xorshift64*: jitter and shuffles need no crypto */
{
    uint64_t x = rt->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rt->rng = x;
    return x * 2685821657736338717ULL;
}

static double rng_unit(ably_realtime *rt) { return (double)(rng_next(rt) >> 11) / 9007199254740992.0; }

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? strdup(src) : NULL;
}

static bool is_token_error(const ably_error *e)
{
    return e && e->has_code && e->code >= 40140 && e->code < 40150;
}

static void make_error(ably_error *e, int code, int status, const char *msg)
{
    ably_error_init(e);
    ably_error_set(e, code, status, "%s", msg);
}

/* RTB1: initial * min((n+2)/3, 2) * jitter in [0.8, 1). */
static int64_t backoff_delay(ably_realtime *rt, int64_t initial, int n)
{
    double coeff = (double)(n + 2) / 3.0;
    if (coeff > ABLY_DEFAULT_BACKOFF_COEFFICIENT_MAX)
        coeff = ABLY_DEFAULT_BACKOFF_COEFFICIENT_MAX;
    double jitter = ABLY_DEFAULT_JITTER_COEFFICIENT_MIN +
                    rng_unit(rt) * (ABLY_DEFAULT_JITTER_COEFFICIENT_MAX - ABLY_DEFAULT_JITTER_COEFFICIENT_MIN);
    return (int64_t)((double)initial * coeff * jitter);
}

/* ---- init / free ---- */

/* RTN16f: {"connectionKey":..,"msgSerial":..,"channelSerials":{..}}; malformed keys are
 * logged and ignored (RTN16f1). */
static void parse_recovery_key(ably_realtime *rt, const char *key)
{
    cJSON *root = cJSON_Parse(key);
    cJSON *ck = root ? cJSON_GetObjectItemCaseSensitive(root, "connectionKey") : NULL;
    cJSON *ms = root ? cJSON_GetObjectItemCaseSensitive(root, "msgSerial") : NULL;
    cJSON *cs = root ? cJSON_GetObjectItemCaseSensitive(root, "channelSerials") : NULL;
    if (!cJSON_IsString(ck) || !cJSON_IsNumber(ms) || (cs && !cJSON_IsObject(cs))) {
        ably_log(rt->log, ABLY_LOG_ERROR, NULL, "recover: malformed recovery key ignored (RTN16f1)");
        cJSON_Delete(root);
        return;
    }
    rt->recover_key = strdup(ck->valuestring);
    rt->msg_serial = (int64_t)ms->valuedouble;
    cJSON *it;
    cJSON_ArrayForEach(it, cs)
    {
        if (cJSON_IsString(it))
            ably_string_map_set(&rt->recovered_channel_serials, it->string, it->valuestring);
    }
    cJSON_Delete(root);
}

static int resolve_hosts(ably_realtime *rt, ably_error *err)
{
    return ably_rest_realtime_hosts(rt->rest, &rt->primary_host, &rt->fallbacks, &rt->fallback_count, err);
}

int ably_rt_engine_init(ably_realtime *rt, ably_error *err)
{
    rt->state = ABLY_CONN_INITIALIZED;
    ably_error_init(&rt->error_reason);
    ably_buf_init(&rt->out);
    ably_buf_init(&rt->scratch);
    rt->frame_binary = opts(rt)->use_binary_protocol;
    rt->connection_state_ttl =
        rt->cfg.connection_state_ttl_ms > 0 ? rt->cfg.connection_state_ttl_ms : ABLY_DEFAULT_CONNECTION_STATE_TTL_MS;
    rt->max_message_size = opts(rt)->max_message_size > 0 ? opts(rt)->max_message_size
                                                          : ABLY_DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    rt->rng = rt->cfg.random_seed;
    if (!rt->rng && getrandom(&rt->rng, sizeof rt->rng, 0) != (ssize_t)sizeof rt->rng)
        rt->rng = (uint64_t)ably_rt_now(rt);
    rt->rng |= 1;
    if (opts(rt)->recover && *opts(rt)->recover)
        parse_recovery_key(rt, opts(rt)->recover);
    return resolve_hosts(rt, err);
}

static void queue_free(ably_rt_queue *q)
{
    for (ably_rt_pending *p = q->head, *n; p; p = n) {
        n = p->next;
        ably_protocol_message_clear(&p->pm);
        free(p);
    }
    q->head = q->tail = NULL;
}

void ably_rt_engine_free(ably_realtime *rt)
{
    queue_free(&rt->pending);
    queue_free(&rt->queued);
    for (ably_rt_ping_req *p = rt->pings, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    for (ably_rt_authz *a = rt->authz, *n; a; a = n) {
        n = a->next;
        ably_token_details_clear(&a->token);
        free(a);
    }
    ably_error_clear(&rt->error_reason);
    free(rt->connection_id);
    free(rt->connection_key);
    free(rt->recover_key);
    free(rt->server_id);
    ably_string_map_clear(&rt->recovered_channel_serials);
    ably_buf_free(&rt->out);
    ably_buf_free(&rt->scratch);
    ably_rest_realtime_hosts_free(rt->primary_host, rt->fallbacks, rt->fallback_count);
    rt->primary_host = NULL;
    rt->fallbacks = NULL;
    rt->fallback_count = 0;
}

/* ---- state changes (RTN4, TA) ---- */

static void invoke_conn_listener(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((ably_connection_listener)fn)(ctx, arg);
}

static void set_error_reason(ably_realtime *rt, const ably_error *reason)
{
    ably_error_clear(&rt->error_reason);
    rt->has_error_reason = false;
    if (reason && ably_error_copy(&rt->error_reason, reason, NULL) == 0)
        rt->has_error_reason = true;
}

static void emit_change(ably_realtime *rt, ably_connection_state prev, ably_connection_event ev,
                        const ably_error *reason, int64_t retry_in)
{
    ably_connection_state_change ch = {
        .previous = prev,
        .current = rt->state,
        .event = ev,
        .reason = reason,
        .retry_in_ms = retry_in >= 0 ? retry_in : 0,
        .has_retry_in = retry_in >= 0,
    };
    if (rt->hooks.on_connection_state)
        rt->hooks.on_connection_state(rt->hooks.ctx, rt, &ch);
    ably_emitter_emit(&rt->conn_emitter, (int)ev, invoke_conn_listener, &ch);
}

static void fail_pings(ably_realtime *rt, const ably_error *why, bool deferred_only);
static void fail_queue(ably_realtime *rt, ably_rt_queue *q, const ably_error *why);
static void fail_authz(ably_realtime *rt, const ably_error *why);
static void flush_on_connected(ably_realtime *rt, bool resumed);
static void send_deferred_pings(ably_realtime *rt);

/* Moves to `state`, records reason as errorReason (RTN25; a CONNECTED without error
 * clears it), updates the mirror and emits. retry_in < 0: none. */
static void set_state(ably_realtime *rt, ably_connection_state state, const ably_error *reason, int64_t retry_in)
{
    ably_connection_state prev = rt->state;
    if (prev == state)
        return; /* RTN4h: never the same state twice */
    rt->state = state;
    if (reason || state == ABLY_CONN_CONNECTED)
        set_error_reason(rt, reason);
    if (state == ABLY_CONN_CLOSED || state == ABLY_CONN_FAILED)
        rt->t_retry = rt->t_suspend = 0; /* no more attempts, so nothing to suspend */
    if (state == ABLY_CONN_CLOSED || state == ABLY_CONN_CLOSING || state == ABLY_CONN_FAILED) {
        /* RTN8d, RTN9d. Not SUSPENDED: from there the next attempt still resumes (RTN14h). */
        set_str(&rt->connection_id, NULL);
        set_str(&rt->connection_key, NULL);
        rt->was_connected = false;
    }
    ably_log(rt->log, ABLY_LOG_INFO, NULL, "connection: %s -> %s", ably_connection_state_name(prev),
             ably_connection_state_name(state));
    if (state == ABLY_CONN_CONNECTED) /* RTN17e: REST follows a connection on a fallback host */
        ably_rest_pin_realtime_host(rt->rest, rt->current_host != rt->primary_host ? rt->current_host : NULL);
    else if (prev == ABLY_CONN_CONNECTED)
        ably_rest_pin_realtime_host(rt->rest, NULL);
    ably_rt_publish_mirror(rt);

    ably_error fallback;
    const ably_error *why = reason;
    if (!why && (state == ABLY_CONN_SUSPENDED || state == ABLY_CONN_CLOSED || state == ABLY_CONN_FAILED ||
                 state == ABLY_CONN_CLOSING)) {
        make_error(&fallback, state == ABLY_CONN_SUSPENDED ? ABLY_ERR_CONNECTION_SUSPENDED
                              : state == ABLY_CONN_FAILED  ? ABLY_ERR_CONNECTION_FAILED
                                                           : ABLY_ERR_CONNECTION_CLOSED,
                   state == ABLY_CONN_FAILED ? 400 : 0,
                   state == ABLY_CONN_SUSPENDED ? "connection suspended" : state == ABLY_CONN_FAILED
                                                                               ? "connection failed"
                                                                               : "connection closed");
        why = &fallback;
    } else {
        ably_error_init(&fallback);
    }
    /* Outstanding operations fail on the states that end them (RTN7e, RTN13b, RTC8b1). */
    if (state == ABLY_CONN_SUSPENDED || state == ABLY_CONN_CLOSED || state == ABLY_CONN_FAILED) {
        fail_queue(rt, &rt->pending, why);
        fail_queue(rt, &rt->queued, why);
        fail_authz(rt, why);
    }
    if (state == ABLY_CONN_DISCONNECTED && !opts(rt)->queue_messages) { /* RTN7d */
        fail_queue(rt, &rt->pending, why ? why : reason);
        fail_queue(rt, &rt->queued, why ? why : reason);
    }
    if (state == ABLY_CONN_SUSPENDED || state == ABLY_CONN_CLOSED || state == ABLY_CONN_FAILED ||
        state == ABLY_CONN_CLOSING)
        fail_pings(rt, why, false);
    if (state == ABLY_CONN_CONNECTED)
        send_deferred_pings(rt);
    emit_change(rt, prev, (ably_connection_event)state, reason, retry_in);
    ably_error_clear(&fallback);
}

/* ---- transport ---- */

static void drop_transport(ably_realtime *rt)
{
    if (rt->conn && rt->ws)
        rt->wst->close(rt->ws, rt->conn);
    rt->conn = 0;
    rt->transport_open = false;
    rt->t_connect = rt->t_idle = 0;
}

static int send_frame(ably_realtime *rt, const ably_protocol_message *pm)
{
    if (!rt->conn || !rt->transport_open)
        return -1;
    ably_error err;
    ably_error_init(&err);
    int rc = rt->frame_binary ? ably_protocol_message_to_msgpack(pm, &rt->out, &err)
                              : ably_protocol_message_to_json(pm, &rt->out, &err);
    if (rc != 0) {
        ably_log_error_info(rt->log, ABLY_LOG_ERROR, "realtime: encoding a frame failed", &err);
        ably_error_clear(&err);
        return -1;
    }
    return rt->wst->send(rt->ws, rt->conn, rt->out.data, rt->out.len, rt->frame_binary);
}

static int send_action(ably_realtime *rt, ably_protocol_message_action action)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = action;
    pm.has_action = true;
    return send_frame(rt, &pm);
}

int ably_rt_send(ably_realtime *rt, const ably_protocol_message *pm)
{
    if (rt->state != ABLY_CONN_CONNECTED)
        return -1;
    return send_frame(rt, pm);
}

/* ---- connect URL (RTN2, RTN15b, RTN16k, RTC1f) ---- */

static void add_param(ably_buf *b, bool *first, const char *k, const char *v)
{
    ably_buf_append_str(b, *first ? "?" : "&");
    *first = false;
    ably_url_encode_append(b, k);
    ably_buf_append_str(b, "=");
    ably_url_encode_append(b, v);
}

static bool overridden(ably_realtime *rt, const char *k)
{
    const ably_string_map *tp = opts(rt)->transport_params;
    return tp && ably_string_map_get(tp, k) != NULL;
}

/* The credentials for the URL: key=, or accessToken= (fetching a token when needed). */
static int credentials(ably_realtime *rt, char **name, char **value, ably_error *err)
{
    ably_auth *auth = ably_rest_auth_state(rt->rest);
    char *header = NULL;
    if (ably_auth_authorization(auth, &header, err) != 0)
        return -1;
    bool basic = strncmp(header, "Basic ", 6) == 0;
    free(header);
    if (basic) {
        *name = strdup("key");
        *value = strdup(opts(rt)->key ? opts(rt)->key : "");
        return 0;
    }
    ably_token_details td;
    ably_token_details_init(&td);
    int rc = ably_auth_get_token_details(auth, &td, err);
    if (rc != 1 || !td.token) {
        ably_token_details_clear(&td);
        if (!ably_error_is_set(err))
            ably_error_set(err, ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED, 401, "no token available");
        return -1;
    }
    *name = strdup("accessToken");
    *value = strdup(td.token);
    ably_token_details_clear(&td);
    return 0;
}

static int build_url(ably_realtime *rt, const char *host, const char *cred_name, const char *cred_value,
                     ably_ws_connect_params *p)
{
    const ably_client_options *o = opts(rt);
    ably_buf *b = &rt->scratch;
    ably_buf_reset(b);
    bool tls = o->tls;
    int port = tls ? (o->tls_port ? o->tls_port : 443) : (o->port ? o->port : 80);
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", port);
    ably_buf_append_str(b, tls ? "wss://" : "ws://");
    ably_buf_append_str(b, host);
    ably_buf_append_str(b, ":");
    ably_buf_append_str(b, portbuf);
    size_t path_at = b->len;
    ably_buf_append_str(b, "/");
    bool first = true;
    if (!overridden(rt, cred_name))
        add_param(b, &first, cred_name, cred_value);
    const struct {
        const char *k, *v;
    } std[] = {
        {"format", rt->frame_binary ? "msgpack" : "json"},                /* RTN2a */
        {"echo", o->echo_messages ? "true" : "false"},                      /* RTN2b */
        {"v", ABLY_RT_PROTOCOL_VERSION},                                    /* RTN2f */
        {"heartbeats", rt->wst->observes_ping_frames ? "false" : "true"},  /* RTN23b */
        {"clientId", o->client_id},                                         /* RTN2d */
        {"resume", rt->was_connected ? rt->connection_key : NULL},          /* RTN15b1 */
        {"recover", !rt->was_connected ? rt->recover_key : NULL},           /* RTN16k */
        {"agent", NULL},                                                    /* RSC7d, below */
    };
    for (size_t i = 0; i < sizeof std / sizeof std[0]; i++) {
        const char *v = std[i].v;
        if (strcmp(std[i].k, "agent") == 0)
            v = ably_rest_agent(rt->rest);
        if (v && !overridden(rt, std[i].k))
            add_param(b, &first, std[i].k, v);
    }
    const ably_string_map *tp = o->transport_params; /* RTC1f, RTC1f1: they win */
    for (size_t i = 0; tp && i < tp->count; i++)
        add_param(b, &first, tp->items[i].key, tp->items[i].value ? tp->items[i].value : "");
    p->url = b->data;
    p->host = host;
    p->port = port;
    p->tls = tls;
    p->path = b->data + path_at;
    p->binary = rt->frame_binary;
    return 0;
}

/* ---- connecting (RTN11, RTN14, RTN17) ---- */

static void shuffle_fallbacks(ably_realtime *rt)
{
    for (size_t i = rt->fallback_count; i > 1; i--) {
        size_t j = (size_t)(rng_next(rt) % i);
        char *t = rt->fallbacks[i - 1];
        rt->fallbacks[i - 1] = rt->fallbacks[j];
        rt->fallbacks[j] = t;
    }
}

/* Begins a connection cycle: primary host first (RTN17i). */
static void start_connect(ably_realtime *rt)
{
    rt->t_retry = 0;
    rt->current_host = rt->primary_host;
    rt->fallback_next = 0;
    shuffle_fallbacks(rt); /* RTN17j: random order */
    set_state(rt, ABLY_CONN_CONNECTING, NULL, -1);
    begin_attempt(rt);
}

/* The error behind a failed attempt to get a token: the auth module reports
 * authCallback / authUrl failures as 40170 with the underlying error as cause. */
static const ably_error *auth_underlying(const ably_error *err)
{
    return err->has_code && err->code == ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK && err->cause ? err->cause : err;
}

/* RSA4d: the means of authentication answered 403. */
static bool auth_forbidden(const ably_error *err)
{
    const ably_error *u = auth_underlying(err);
    return (err->has_status_code && err->status_code == 403) || (u->has_status_code && u->status_code == 403);
}

/* RSA4c, RSA4d: 80019 with `status` and a copy of the underlying error as cause. */
static void wrap_auth_error(ably_error *out, const ably_error *err, int status)
{
    make_error(out, ABLY_ERR_TOKEN_REQUEST_FAILED, status,
               status == 403 ? "the authentication provider refused the client (403)"
                             : "obtaining a token from the authentication provider failed");
    ably_error *cause = calloc(1, sizeof *cause);
    if (cause && ably_error_copy(cause, auth_underlying(err), NULL) == 0)
        out->cause = cause;
    else
        free(cause);
}

/* RSA4d, RSA4d1: a 403 from the means of authentication fails the connection,
 * whatever the state. */
static void fail_forbidden(ably_realtime *rt, const ably_error *err)
{
    ably_error e;
    wrap_auth_error(&e, err, 403);
    drop_transport(rt);
    rt->t_retry = rt->t_suspend = 0;
    set_state(rt, ABLY_CONN_FAILED, &e, -1);
    ably_error_clear(&e);
}

/* Getting a token for a connection attempt failed. */
static void fail_on_auth_error(ably_realtime *rt, const ably_error *err)
{
    /* RSA4a2: no means to renew; RSA15c: an incompatible clientId. Both final. */
    if (err->has_code &&
        (err->code == ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED || err->code == ABLY_ERR_INCOMPATIBLE_CREDENTIALS)) {
        drop_transport(rt);
        set_state(rt, ABLY_CONN_FAILED, err, -1);
        return;
    }
    if (auth_forbidden(err)) {
        fail_forbidden(rt, err);
        return;
    }
    ably_error e; /* RSA4c2: an unsuccessful attempt (RTN14) */
    wrap_auth_error(&e, err, 401);
    go_disconnected(rt, &e, false);
    ably_error_clear(&e);
}

/* RSA4c: a token that took longer than realtimeRequestTimeout to come is a failed
 * attempt. The authCallback runs on the loop thread, so this is found afterwards. */
static int credentials_in_time(ably_realtime *rt, char **cn, char **cv, ably_error *err)
{
    int64_t started = ably_rt_now(rt);
    if (credentials(rt, cn, cv, err) != 0)
        return -1;
    if (ably_rt_now(rt) - started <= rrt(rt))
        return 0;
    free(*cn);
    free(*cv);
    *cn = *cv = NULL;
    ably_error_set(err, ABLY_ERR_ERROR_FROM_CLIENT_TOKEN_CALLBACK, 401,
                   "timed out waiting for a token (realtimeRequestTimeout)");
    return -1;
}

/* One attempt to the current host. */
static void begin_attempt(ably_realtime *rt)
{
    drop_transport(rt);
    char *cn = NULL, *cv = NULL;
    ably_error err;
    ably_error_init(&err);
    if (credentials_in_time(rt, &cn, &cv, &err) != 0) {
        fail_on_auth_error(rt, &err);
        ably_error_clear(&err);
        return;
    }
    ably_ws_connect_params p;
    build_url(rt, rt->current_host, cn, cv, &p);
    free(cn);
    free(cv);
    rt->conn = ++rt->next_conn;
    rt->transport_open = false;
    rt->t_connect = ably_rt_now(rt) + rrt(rt); /* RTN14c */
    ably_log(rt->log, ABLY_LOG_DEBUG, NULL, "connection: opening %s", p.url);
    if (rt->wst->open(rt->ws, rt->conn, &p) != 0) {
        rt->conn = 0;
        ably_error_set(&err, ABLY_ERR_CONNECTION_FAILED, 0, "could not open a WebSocket");
        go_disconnected(rt, &err, false);
        ably_error_clear(&err);
    }
}

/* RTN17j: is the internet up? Asks the REC3 URL: connectivityCheckUrl (REC3b), else
 * the default (REC3a). */
static bool connectivity_ok(ably_realtime *rt)
{
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    ably_error err;
    ably_error_init(&err);
    const char *url = opts(rt)->connectivity_check_url ? opts(rt)->connectivity_check_url
                                                       : ABLY_DEFAULT_CONNECTIVITY_CHECK_URL;
    int rc = ably_rest_fetch_url(rt->rest, "GET", url, NULL, NULL, NULL, 0, NULL, &reply, &err);
    bool ok = rc == 0 && reply.status == 200 && reply.body.data &&
              strstr(reply.body.data, ABLY_DEFAULT_CONNECTIVITY_CHECK_BODY) != NULL;
    ably_rest_reply_clear(&reply);
    ably_error_clear(&err);
    return ok;
}

/* A connection attempt failed before CONNECTED. `fallback` says whether the failure
 * qualifies for another host (RTN17f). */
static void attempt_failed(ably_realtime *rt, const ably_error *reason, bool fallback)
{
    drop_transport(rt);
    if (rt->state == ABLY_CONN_CLOSING) { /* RTN12f: the attempt we were waiting on failed */
        set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
        return;
    }
    if (fallback && rt->fallback_next < rt->fallback_count) {
        if (rt->fallback_next > 0 || connectivity_ok(rt)) {
            rt->current_host = rt->fallbacks[rt->fallback_next++];
            ably_log(rt->log, ABLY_LOG_INFO, NULL, "connection: trying fallback host %s", rt->current_host);
            begin_attempt(rt);
            return;
        }
    }
    go_disconnected(rt, reason, false);
}

static void go_suspended(ably_realtime *rt, const ably_error *reason)
{
    drop_transport(rt);
    rt->t_suspend = 0;
    int64_t wait = opts(rt)->suspended_retry_timeout_ms > 0 ? opts(rt)->suspended_retry_timeout_ms
                                                             : ABLY_DEFAULT_SUSPENDED_RETRY_TIMEOUT_MS;
    ably_error e;
    make_error(&e, ABLY_ERR_CONNECTION_SUSPENDED, 0, "connection to server unavailable; suspended");
    rt->t_retry = ably_rt_now(rt) + wait; /* RTN14e, RTN14f */
    if (rt->state == ABLY_CONN_SUSPENDED) {
        ably_error_clear(&e);
        return;
    }
    set_state(rt, ABLY_CONN_SUSPENDED, reason ? reason : &e, wait);
    ably_error_clear(&e);
}

/* Not connected and not trying: DISCONNECTED with a retry timer (RTN14d, RTB1), or
 * SUSPENDED once connectionStateTtl has passed (RTN14e). `immediate`: reconnect at once
 * (RTN15a, RTN15h3). */
static void go_disconnected(ably_realtime *rt, const ably_error *reason, bool immediate)
{
    drop_transport(rt);
    if (rt->state == ABLY_CONN_CLOSING) {
        set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
        return;
    }
    int64_t now = ably_rt_now(rt);
    if (!rt->disconnected_at)
        rt->disconnected_at = now;
    if (rt->state == ABLY_CONN_SUSPENDED || now - rt->disconnected_at >= rt->connection_state_ttl) {
        go_suspended(rt, NULL);
        return;
    }
    int64_t initial = opts(rt)->disconnected_retry_timeout_ms > 0 ? opts(rt)->disconnected_retry_timeout_ms
                                                                  : ABLY_DEFAULT_DISCONNECTED_RETRY_TIMEOUT_MS;
    int64_t wait = immediate ? 0 : backoff_delay(rt, initial, ++rt->retry_count);
    rt->t_suspend = rt->disconnected_at + rt->connection_state_ttl;
    ably_error e;
    make_error(&e, ABLY_ERR_CONNECTION_DISCONNECTED, 0, "connection disconnected");
    set_state(rt, ABLY_CONN_DISCONNECTED, reason ? reason : &e, wait);
    ably_error_clear(&e);
    if (rt->state != ABLY_CONN_DISCONNECTED) /* a listener's queued command cannot run yet; defensive */
        return;
    if (immediate)
        start_connect(rt);
    else
        rt->t_retry = now + wait;
}

void ably_rt_connect(ably_realtime *rt)
{
    switch (rt->state) {
    case ABLY_CONN_CONNECTING:
    case ABLY_CONN_CONNECTED: /* RTN11e */
        return;
    case ABLY_CONN_CLOSING: /* RTN11b: forget the old transport */
        drop_transport(rt);
        rt->t_close = 0;
        break;
    case ABLY_CONN_CLOSED:
    case ABLY_CONN_FAILED: /* RTN11d */
        set_error_reason(rt, NULL);
        rt->msg_serial = 0;
        rt->disconnected_at = 0;
        rt->retry_count = 0;
        break;
    case ABLY_CONN_SUSPENDED:
    case ABLY_CONN_DISCONNECTED: /* RTN11c */
        break;
    default:
        break;
    }
    rt->token_renewed = false;
    rt->t_retry = rt->t_suspend = 0;
    start_connect(rt);
}

void ably_rt_close(ably_realtime *rt)
{
    switch (rt->state) {
    case ABLY_CONN_CONNECTED: /* RTN12a */
        send_action(rt, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE);
        rt->t_close = ably_rt_now(rt) + rrt(rt); /* RTN12b */
        rt->t_idle = 0;
        set_state(rt, ABLY_CONN_CLOSING, NULL, -1);
        return;
    case ABLY_CONN_CONNECTING: /* RTN12f */
        rt->t_close = ably_rt_now(rt) + rrt(rt);
        set_state(rt, ABLY_CONN_CLOSING, NULL, -1);
        return;
    case ABLY_CONN_INITIALIZED:
    case ABLY_CONN_DISCONNECTED:
    case ABLY_CONN_SUSPENDED: /* RTN12d */
        drop_transport(rt);
        rt->t_retry = rt->t_suspend = 0;
        set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
        return;
    default:
        return;
    }
}

/* ---- incoming frames ---- */

static void apply_details(ably_realtime *rt, const ably_protocol_message *pm)
{
    const ably_connection_details *d = pm->connection_details;
    if (!d)
        return;
    if (d->connection_key) /* RTN15e */
        set_str(&rt->connection_key, d->connection_key);
    if (d->has_max_idle_interval) /* RTN21 */
        rt->max_idle_interval = d->max_idle_interval;
    if (d->has_connection_state_ttl)
        rt->connection_state_ttl = d->connection_state_ttl;
    if (d->has_max_message_size)
        rt->max_message_size = d->max_message_size;
    if (d->server_id)
        set_str(&rt->server_id, d->server_id);
    ably_auth_set_connection_client_id(ably_rest_auth_state(rt->rest), d->client_id); /* RTC4a, RSA7b3 */
}

static void arm_idle(ably_realtime *rt)
{
    rt->t_idle = rt->max_idle_interval > 0 ? ably_rt_now(rt) + rt->max_idle_interval + rrt(rt) : 0; /* RTN23a */
}

static void complete_authz(ably_realtime *rt)
{
    ably_rt_authz *list = rt->authz;
    rt->authz = NULL;
    while (list) {
        ably_rt_authz *a = list;
        list = a->next;
        if (a->cb)
            a->cb(a->ctx, &a->token, NULL);
        ably_token_details_clear(&a->token);
        free(a);
    }
}

static void on_connected(ably_realtime *rt, ably_protocol_message *pm)
{
    apply_details(rt, pm);
    arm_idle(rt);
    if (rt->state == ABLY_CONN_CONNECTED) { /* RTN24: UPDATE only */
        if (pm->connection_id)
            set_str(&rt->connection_id, pm->connection_id);
        if (pm->error)
            set_error_reason(rt, pm->error);
        ably_rt_publish_mirror(rt);
        emit_change(rt, ABLY_CONN_CONNECTED, ABLY_CONN_EVENT_UPDATE, pm->error, -1);
        complete_authz(rt);
        return;
    }
    bool closing = rt->state == ABLY_CONN_CLOSING;
    bool resumed = rt->connection_id && pm->connection_id && strcmp(rt->connection_id, pm->connection_id) == 0;
    /* RTN15c7: a resume that got a new id; RTN16f/RTN16l: a recover answered with an
     * error (the recovery key carries no id to compare). Either way a new connection. */
    bool recovered = !rt->was_connected && rt->recover_key && !pm->error;
    if (!resumed && !recovered && (rt->was_connected || rt->recover_key))
        rt->msg_serial = 0;
    set_str(&rt->connection_id, pm->connection_id);
    set_str(&rt->recover_key, NULL); /* RTN16k: only ever once */
    if (pm->connection_details && pm->connection_details->connection_key)
        set_str(&rt->connection_key, pm->connection_details->connection_key);
    rt->was_connected = rt->connection_key != NULL;
    rt->retry_count = 0;
    rt->disconnected_at = 0;
    rt->token_renewed = false;
    rt->t_connect = rt->t_suspend = rt->t_retry = 0;
    if (closing) { /* RTN12f: now close it properly; no id or key while CLOSING (RTN8d, RTN9d) */
        set_str(&rt->connection_id, NULL);
        set_str(&rt->connection_key, NULL);
        rt->was_connected = false;
        rt->t_idle = 0;
        send_action(rt, ABLY_PROTOCOL_MESSAGE_ACTION_CLOSE);
        rt->t_close = ably_rt_now(rt) + rrt(rt);
        return;
    }
    flush_on_connected(rt, resumed);
    set_state(rt, ABLY_CONN_CONNECTED, pm->error, -1);
    complete_authz(rt);
}

/* A token error from the server while connecting or connected (RTN14b, RTN15h, RTN15c5). */
static void on_token_error(ably_realtime *rt, const ably_error *server_err, bool was_connected_now)
{
    drop_transport(rt);
    ably_error err;
    ably_error_init(&err);
    if (rt->token_renewed) { /* RTN14b: a second token error in this cycle */
        go_disconnected(rt, server_err, false);
        return;
    }
    ably_auth *auth = ably_rest_auth_state(rt->rest);
    bool can_renew = ably_auth_can_renew(auth);
    if (rt->state == ABLY_CONN_CONNECTED && can_renew) { /* RTN15h2i: briefly DISCONNECTED, */
        rt->disconnected_at = ably_rt_now(rt);
        set_state(rt, ABLY_CONN_DISCONNECTED, server_err, 0);
    }
    if (rt->state != ABLY_CONN_CONNECTING && can_renew) /* then CONNECTING while renewing (RTN27b) */
        set_state(rt, ABLY_CONN_CONNECTING, NULL, -1);
    int renewed = ably_auth_handle_token_error(auth, server_err, &err);
    if (renewed == 1) {
        rt->token_renewed = true;
        if (rt->state != ABLY_CONN_CONNECTING)
            set_state(rt, ABLY_CONN_CONNECTING, NULL, -1);
        begin_attempt(rt);
    } else if (err.has_code && err.code == ABLY_ERR_TOKEN_RENEWAL_NOT_CONFIGURED) {
        /* RTN15h1 reports the server's error; RSA4a2 (while connecting) the 40171. */
        set_state(rt, ABLY_CONN_FAILED, was_connected_now ? server_err : &err, -1);
    } else if (rt->state == ABLY_CONN_CONNECTING) {
        fail_on_auth_error(rt, &err); /* RSA4c2, RSA4d */
    } else {
        go_disconnected(rt, &err, false);
    }
    ably_error_clear(&err);
}

static void on_disconnected_msg(ably_realtime *rt, const ably_protocol_message *pm)
{
    if (is_token_error(pm->error)) {
        on_token_error(rt, pm->error, rt->state == ABLY_CONN_CONNECTED);
        return;
    }
    if (rt->state == ABLY_CONN_CONNECTED) { /* RTN15h3 */
        rt->disconnected_at = ably_rt_now(rt);
        go_disconnected(rt, pm->error, true);
        return;
    }
    bool server_5xx = pm->error && pm->error->has_status_code && pm->error->status_code >= 500 &&
                      pm->error->status_code <= 504; /* RTN17f1 */
    attempt_failed(rt, pm->error, server_5xx);
}

static void on_error_msg(ably_realtime *rt, ably_protocol_message *pm)
{
    if (pm->channel && *pm->channel) {
        if (rt->hooks.on_channel_message)
            rt->hooks.on_channel_message(rt->hooks.ctx, rt, pm);
        return;
    }
    if (is_token_error(pm->error) && rt->state != ABLY_CONN_CONNECTED) { /* RTN14b, RTN15c5 */
        on_token_error(rt, pm->error, false);
        return;
    }
    /* RTN14g, RTN15j, RTN15c4: fatal */
    drop_transport(rt);
    ably_error e;
    make_error(&e, ABLY_ERR_CONNECTION_FAILED, 400, "connection failed");
    set_state(rt, ABLY_CONN_FAILED, pm->error ? pm->error : &e, -1);
    ably_error_clear(&e);
    ably_error fail;
    make_error(&fail, ABLY_ERR_CONNECTION_FAILED, 400, "connection failed");
    fail_authz(rt, pm->error ? pm->error : &fail);
    ably_error_clear(&fail);
}

static void resolve_acks(ably_realtime *rt, const ably_protocol_message *pm, bool ack)
{
    int64_t first = pm->has_msg_serial ? pm->msg_serial : 0;
    int64_t count = pm->has_count ? pm->count : 1;
    /* Built only when a callback needs it: an ACK (the common case) allocates nothing. */
    ably_error nack;
    ably_error_init(&nack);
    bool nack_made = false;
    while (rt->pending.head) {
        ably_rt_pending *p = rt->pending.head;
        int64_t serial = p->pm.msg_serial;
        if (serial >= first + count)
            break;
        rt->pending.head = p->next;
        if (!rt->pending.head)
            rt->pending.tail = NULL;
        bool in_range = serial >= first; /* earlier ones were lost: they are resent on resume */
        if (p->cb && !(in_range && (ack || pm->error)) && !nack_made) {
            make_error(&nack, ABLY_ERR_INTERNAL_ERROR, 500, "message rejected by the server (NACK)");
            nack_made = true;
        }
        if (in_range && p->cb) {
            if (ack)
                p->cb(p->ctx, NULL, pm, (size_t)(serial - first));
            else
                p->cb(p->ctx, pm->error ? pm->error : &nack, pm, (size_t)(serial - first));
        } else if (p->cb) {
            p->cb(p->ctx, &nack, NULL, 0);
        }
        ably_protocol_message_clear(&p->pm);
        free(p);
    }
    ably_error_clear(&nack);
}

static void on_heartbeat(ably_realtime *rt, const ably_protocol_message *pm)
{
    if (!pm->id)
        return; /* RTN13e: only a matching id answers a ping */
    for (ably_rt_ping_req **pp = &rt->pings; *pp; pp = &(*pp)->next) {
        ably_rt_ping_req *p = *pp;
        if (p->sent_at && strcmp(p->id, pm->id) == 0) {
            *pp = p->next;
            int64_t rtt = ably_rt_now(rt) - p->sent_at;
            if (p->cb)
                p->cb(p->ctx, rtt, NULL);
            free(p);
            return;
        }
    }
}

/* RTN22: Ably asks for a new token. */
static void on_auth_request(ably_realtime *rt)
{
    ably_token_details td;
    ably_token_details_init(&td);
    ably_error err;
    ably_error_init(&err);
    if (ably_auth_authorize(ably_rest_auth_state(rt->rest), NULL, NULL, &td, &err) == 0 && td.token) {
        ably_protocol_message pm;
        ably_protocol_message_init(&pm);
        pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_AUTH;
        pm.has_action = true;
        ably_auth_details ad = {.access_token = td.token};
        pm.auth = &ad;
        send_frame(rt, &pm);
    } else if (auth_forbidden(&err)) {
        fail_forbidden(rt, &err); /* RSA4d1 */
    } else { /* RSA4c3: stay CONNECTED; the token in use is still valid */
        ably_log_error_info(rt->log, ABLY_LOG_WARN, "re-authentication requested by Ably failed", &err);
    }
    ably_token_details_clear(&td);
    ably_error_clear(&err);
}

static bool is_channel_action(ably_protocol_message_action a)
{
    switch (a) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_ATTACHED:
    case ABLY_PROTOCOL_MESSAGE_ACTION_DETACHED:
    case ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE:
    case ABLY_PROTOCOL_MESSAGE_ACTION_PRESENCE:
    case ABLY_PROTOCOL_MESSAGE_ACTION_SYNC:
    case ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION:
    case ABLY_PROTOCOL_MESSAGE_ACTION_OBJECT:
    case ABLY_PROTOCOL_MESSAGE_ACTION_OBJECT_SYNC:
        return true;
    default:
        return false;
    }
}

static void dispatch(ably_realtime *rt, ably_protocol_message *pm)
{
    if (rt->state == ABLY_CONN_CONNECTED)
        arm_idle(rt); /* RTN23a: any frame is activity */
    if (!pm->has_action)
        return;
    switch (pm->action) {
    case ABLY_PROTOCOL_MESSAGE_ACTION_CONNECTED:
        on_connected(rt, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_DISCONNECTED:
        on_disconnected_msg(rt, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ERROR:
        on_error_msg(rt, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_CLOSED:
        if (rt->state == ABLY_CONN_CLOSING) {
            drop_transport(rt);
            rt->t_close = 0;
            set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
        }
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT:
        on_heartbeat(rt, pm);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_ACK:
    case ABLY_PROTOCOL_MESSAGE_ACTION_NACK:
        resolve_acks(rt, pm, pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_ACK);
        break;
    case ABLY_PROTOCOL_MESSAGE_ACTION_AUTH:
        if (rt->state == ABLY_CONN_CONNECTED)
            on_auth_request(rt);
        break;
    default:
        if (is_channel_action(pm->action) && rt->hooks.on_channel_message)
            rt->hooks.on_channel_message(rt->hooks.ctx, rt, pm);
        break; /* RTF1: unknown actions are ignored */
    }
}

/* ---- transport events ---- */

static void ev_open(void *engine, uint64_t conn)
{
    ably_realtime *rt = engine;
    if (conn == rt->conn)
        rt->transport_open = true;
}

static void ev_message(void *engine, uint64_t conn, const void *data, size_t len, bool binary)
{
    ably_realtime *rt = engine;
    if (conn != rt->conn)
        return;
    ably_protocol_message pm;
    ably_error err;
    ably_error_init(&err);
    int rc = binary ? ably_protocol_message_from_msgpack(&pm, data, len, &err)
                    : ably_protocol_message_from_json(&pm, data, len, &err);
    if (rc != 0) {
        ably_log_error_info(rt->log, ABLY_LOG_WARN, "realtime: undecodable frame ignored", &err);
        ably_error_clear(&err);
        return;
    }
    dispatch(rt, &pm);
    ably_protocol_message_clear(&pm);
}

static void ev_ping(void *engine, uint64_t conn)
{
    ably_realtime *rt = engine;
    if (conn == rt->conn && rt->state == ABLY_CONN_CONNECTED)
        arm_idle(rt); /* RTN23b */
}

static void ev_close(void *engine, uint64_t conn, ably_ws_close_reason why, const char *detail)
{
    ably_realtime *rt = engine;
    if (conn != rt->conn)
        return; /* an abandoned transport */
    rt->conn = 0;
    rt->transport_open = false;
    ably_error e;
    make_error(&e, ABLY_ERR_CONNECTION_DISCONNECTED, 0, detail && *detail ? detail : "transport closed");
    switch (rt->state) {
    case ABLY_CONN_CONNECTING:
        attempt_failed(rt, &e, true);
        break;
    case ABLY_CONN_CONNECTED: /* RTN15a */
        rt->disconnected_at = ably_rt_now(rt);
        go_disconnected(rt, &e, true);
        break;
    case ABLY_CONN_CLOSING: /* RTN12c */
        rt->t_close = 0;
        set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
        break;
    default:
        break;
    }
    (void)why;
    ably_error_clear(&e);
}

const ably_ws_events ably_rt_ws_events = {ev_open, ev_message, ev_ping, ev_close};

/* ---- timers ---- */

static int64_t min_nz(int64_t a, int64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

int64_t ably_rt_next_deadline(ably_realtime *rt)
{
    int64_t d = min_nz(min_nz(rt->t_connect, rt->t_retry), min_nz(rt->t_suspend, min_nz(rt->t_idle, rt->t_close)));
    for (ably_rt_ping_req *p = rt->pings; p; p = p->next)
        d = min_nz(d, p->deadline);
    if (rt->hooks.next_deadline)
        d = min_nz(d, rt->hooks.next_deadline(rt->hooks.ctx));
    return d;
}

static bool due(int64_t t, int64_t now) { return t && t <= now; }

void ably_rt_fire_timers(ably_realtime *rt)
{
    int64_t now = ably_rt_now(rt);
    if (due(rt->t_connect, now)) { /* RTN14c */
        rt->t_connect = 0;
        ably_error e;
        make_error(&e, ABLY_ERR_CONNECTION_TIMED_OUT, 0, "connection attempt timeout (no CONNECTED)");
        attempt_failed(rt, &e, true);
        ably_error_clear(&e);
    }
    if (due(rt->t_idle, now)) { /* RTN23a */
        rt->t_idle = 0;
        ably_error e;
        make_error(&e, ABLY_ERR_CONNECTION_DISCONNECTED, 0, "no activity from the server within maxIdleInterval");
        rt->disconnected_at = now;
        go_disconnected(rt, &e, true);
        ably_error_clear(&e);
    }
    if (due(rt->t_close, now)) { /* RTN12b */
        rt->t_close = 0;
        drop_transport(rt);
        set_state(rt, ABLY_CONN_CLOSED, NULL, -1);
    }
    if (due(rt->t_suspend, now) && rt->state == ABLY_CONN_DISCONNECTED) { /* RTN14e */
        rt->t_suspend = 0;
        rt->t_retry = 0;
        go_suspended(rt, NULL);
    }
    if (due(rt->t_retry, now)) {
        rt->t_retry = 0;
        if (rt->state == ABLY_CONN_DISCONNECTED || rt->state == ABLY_CONN_SUSPENDED)
            start_connect(rt);
    }
    for (ably_rt_ping_req **pp = &rt->pings; *pp;) { /* RTN13c */
        ably_rt_ping_req *p = *pp;
        if (!due(p->deadline, now)) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        ably_error e;
        make_error(&e, ABLY_ERR_TIMEOUT_ERROR, 504, "ping timeout: no HEARTBEAT answer within realtimeRequestTimeout");
        if (p->cb)
            p->cb(p->ctx, 0, &e);
        ably_error_clear(&e);
        free(p);
    }
    if (rt->hooks.fire_timers)
        rt->hooks.fire_timers(rt->hooks.ctx, rt, ably_rt_now(rt));
}

/* ---- ping (RTN13) ---- */

static void send_ping(ably_realtime *rt, ably_rt_ping_req *p)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT;
    pm.has_action = true;
    pm.id = p->id;
    p->sent_at = ably_rt_now(rt);
    p->deadline = p->sent_at + rrt(rt);
    send_frame(rt, &pm);
}

static void send_deferred_pings(ably_realtime *rt)
{
    for (ably_rt_ping_req *p = rt->pings; p; p = p->next)
        if (!p->sent_at)
            send_ping(rt, p);
}

static void fail_pings(ably_realtime *rt, const ably_error *why, bool deferred_only)
{
    ably_rt_ping_req *keep = NULL, **tail = &keep;
    ably_rt_ping_req *list = rt->pings;
    rt->pings = NULL;
    while (list) {
        ably_rt_ping_req *p = list;
        list = p->next;
        if (deferred_only && p->sent_at) {
            p->next = NULL;
            *tail = p;
            tail = &p->next;
            continue;
        }
        if (p->cb)
            p->cb(p->ctx, 0, why);
        free(p);
    }
    *tail = rt->pings; /* pings added by callbacks */
    rt->pings = keep;
}

void ably_rt_ping(ably_realtime *rt, ably_ping_callback cb, void *ctx)
{
    ably_connection_state s = rt->state;
    if (s != ABLY_CONN_CONNECTED && s != ABLY_CONN_CONNECTING && s != ABLY_CONN_DISCONNECTED) { /* RTN13b */
        ably_error e;
        make_error(&e, ABLY_ERR_CONNECTION_NOT_ESTABLISHED, 400, "ping needs a connection (RTN13b)");
        if (cb)
            cb(ctx, 0, &e);
        ably_error_clear(&e);
        return;
    }
    ably_rt_ping_req *p = calloc(1, sizeof *p);
    if (!p) {
        ably_error e;
        make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, 0, &e);
        ably_error_clear(&e);
        return;
    }
    p->cb = cb;
    p->ctx = ctx;
    snprintf(p->id, sizeof p->id, "%016llx", (unsigned long long)rng_next(rt)); /* RTN13e */
    p->next = rt->pings;
    rt->pings = p;
    if (s == ABLY_CONN_CONNECTED)
        send_ping(rt, p); /* else RTN13d: sent on CONNECTED */
}

/* ---- network changes (RTN20) ---- */

void ably_rt_network_changed(ably_realtime *rt, bool up)
{
    ably_error e;
    if (!up) {
        if (rt->state != ABLY_CONN_CONNECTED && rt->state != ABLY_CONN_CONNECTING)
            return;
        make_error(&e, ABLY_ERR_CONNECTION_DISCONNECTED, 0, "the network is unavailable");
        if (rt->state == ABLY_CONN_CONNECTED)
            rt->disconnected_at = ably_rt_now(rt);
        go_disconnected(rt, &e, false); /* RTN20a */
        ably_error_clear(&e);
        return;
    }
    if (rt->state == ABLY_CONN_DISCONNECTED || rt->state == ABLY_CONN_SUSPENDED) /* RTN20b */
        start_connect(rt);
    else if (rt->state == ABLY_CONN_CONNECTING) /* RTN20c */
        begin_attempt(rt);
}

/* ---- authorize (RTC8) ---- */

static void fail_authz(ably_realtime *rt, const ably_error *why)
{
    ably_rt_authz *list = rt->authz;
    rt->authz = NULL;
    while (list) {
        ably_rt_authz *a = list;
        list = a->next;
        if (a->cb)
            a->cb(a->ctx, NULL, why);
        ably_token_details_clear(&a->token);
        free(a);
    }
}

void ably_rt_authorize(ably_realtime *rt, const ably_token_params *params, const ably_auth_options *options,
                       ably_authorize_callback cb, void *ctx)
{
    ably_rt_authz *a = calloc(1, sizeof *a);
    ably_error err;
    ably_error_init(&err);
    if (!a) {
        make_error(&err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, NULL, &err);
        ably_error_clear(&err);
        return;
    }
    ably_token_details_init(&a->token);
    a->cb = cb;
    a->ctx = ctx;
    if (ably_auth_authorize(ably_rest_auth_state(rt->rest), params, options, &a->token, &err) != 0) {
        if (auth_forbidden(&err) && rt->state != ABLY_CONN_INITIALIZED && rt->state != ABLY_CONN_CLOSED &&
            rt->state != ABLY_CONN_FAILED)
            fail_forbidden(rt, &err); /* RSA4d1: an explicit authorize() too */
        if (cb)
            cb(ctx, NULL, &err);
        ably_error_clear(&err);
        ably_token_details_clear(&a->token);
        free(a);
        return;
    }
    a->next = rt->authz;
    rt->authz = a;
    switch (rt->state) {
    case ABLY_CONN_CONNECTED: { /* RTC8a */
        ably_protocol_message pm;
        ably_protocol_message_init(&pm);
        pm.action = ABLY_PROTOCOL_MESSAGE_ACTION_AUTH;
        pm.has_action = true;
        ably_auth_details ad = {.access_token = a->token.token};
        pm.auth = &ad;
        send_frame(rt, &pm);
        break;
    }
    case ABLY_CONN_CONNECTING: /* RTC8b */
        rt->token_renewed = false;
        begin_attempt(rt);
        break;
    default: /* RTC8c */
        ably_rt_connect(rt);
        break;
    }
}

/* ---- messages awaiting ACK (RTN7, RTN19) ---- */

static void queue_push(ably_rt_queue *q, ably_rt_pending *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
}

static void fail_queue(ably_realtime *rt, ably_rt_queue *q, const ably_error *why)
{
    (void)rt;
    ably_rt_pending *list = q->head;
    q->head = q->tail = NULL;
    while (list) {
        ably_rt_pending *p = list;
        list = p->next;
        if (p->cb)
            p->cb(p->ctx, why, NULL, 0);
        ably_protocol_message_clear(&p->pm);
        free(p);
    }
}

/* Only the msgSerial of the mirror (for createRecoveryKey): no allocation per message. */
static void publish_serial(ably_realtime *rt)
{
    pthread_mutex_lock(&rt->pub_mu);
    rt->pub_msg_serial = rt->msg_serial;
    pthread_mutex_unlock(&rt->pub_mu);
}

static void transmit(ably_realtime *rt, ably_rt_pending *p, bool keep_serial)
{
    if (!keep_serial) {
        p->pm.msg_serial = rt->msg_serial++;
        p->pm.has_msg_serial = true;
    }
    queue_push(&rt->pending, p);
    send_frame(rt, &p->pm);
}

/* On CONNECTED: resend what awaited an ACK (RTN19a; same serials after a resume, new
 * ones otherwise, RTN19a2), then the queued messages (RTL6c2). */
static void flush_on_connected(ably_realtime *rt, bool resumed)
{
    ably_rt_pending *resend = rt->pending.head, *queued = rt->queued.head;
    rt->pending.head = rt->pending.tail = NULL;
    rt->queued.head = rt->queued.tail = NULL;
    while (resend) {
        ably_rt_pending *p = resend;
        resend = p->next;
        transmit(rt, p, resumed);
    }
    while (queued) {
        ably_rt_pending *p = queued;
        queued = p->next;
        transmit(rt, p, false);
    }
    publish_serial(rt);
}

void ably_rt_send_with_ack(ably_realtime *rt, ably_protocol_message *pm, ably_rt_ack_fn cb, void *ctx)
{
    ably_rt_pending *p = calloc(1, sizeof *p);
    ably_error e;
    if (!p) {
        ably_protocol_message_clear(pm);
        make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, &e, NULL, 0);
        ably_error_clear(&e);
        return;
    }
    p->pm = *pm;
    ably_protocol_message_init(pm);
    p->cb = cb;
    p->ctx = ctx;
    switch (rt->state) {
    case ABLY_CONN_CONNECTED:
        transmit(rt, p, false);
        publish_serial(rt);
        return;
    case ABLY_CONN_INITIALIZED:
    case ABLY_CONN_CONNECTING:
    case ABLY_CONN_DISCONNECTED:
        if (opts(rt)->queue_messages) {
            queue_push(&rt->queued, p);
            return;
        }
        /* fall through */
    default:
        make_error(&e, ABLY_ERR_CONNECTION_NOT_ESTABLISHED, 400, "the connection cannot send messages now");
        if (cb)
            cb(ctx, &e, NULL, 0);
        ably_error_clear(&e);
        ably_protocol_message_clear(&p->pm);
        free(p);
    }
}
