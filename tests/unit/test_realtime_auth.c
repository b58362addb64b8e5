/* Authentication of the realtime connection on the mock WebSocket and the mock clock
 * (uts/realtime/unit/auth/{auth_callback_errors,connection_auth,realtime_authorize,
 * token_expiry_non_renewable}_test.md): getting a token before the transport opens,
 * authCallback failures while CONNECTING and CONNECTED (RSA4c, RSA4d), explicit
 * authorize() in every state (RTC8), tokens that cannot be renewed (RSA4a). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_realtime_channel_fixture.h"

/* ---- a scripted authCallback ---- */

typedef enum { GIVE_DETAILS = 0, GIVE_NOTHING, GIVE_OVERSIZED, GIVE_STRING } give_mode;

typedef struct {
    int calls;
    int fail_from;          /* the call number from which it fails (0: never) */
    int fail_code, fail_status;
    int64_t slow_ms;        /* moves the mock clock during each call: a slow provider */
    give_mode mode;
    const char *fixed_token; /* GIVE_STRING: this token every time */
    mock_rt *t;              /* for the state and attempts seen during the call */
    ably_connection_state state_seen;
    size_t attempts_seen;
    char client_id_seen[64];
    char auth_reply[256];    /* the server's answer to an AUTH frame (answer_auth_with) */
} auth_script;

static int scripted_auth(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                         ably_token_request *tr, ably_error *err)
{
    (void)tr;
    auth_script *s = ctx;
    s->calls++;
    if (s->t->rt)
        s->state_seen = ably_connection_get_state(s->t->rt);
    s->attempts_seen = mock_ws_attempt_count(s->t->m);
    if (params && params->client_id)
        snprintf(s->client_id_seen, sizeof s->client_id_seen, "%s", params->client_id);
    if (s->slow_ms)
        mock_http_advance(s->t->h, s->slow_ms);
    if (s->fail_from && s->calls >= s->fail_from) {
        ably_error_set(err, s->fail_code, s->fail_status, "the auth server says no");
        return -1;
    }
    switch (s->mode) {
    case GIVE_NOTHING: /* neither a string, TokenDetails nor TokenRequest (RSA4f) */
        return 0;
    case GIVE_OVERSIZED: {
        char *big = malloc(131073 + 1);
        memset(big, 'x', 131073);
        big[131073] = '\0';
        *token = big;
        return 0;
    }
    case GIVE_STRING:
        *token = strdup(s->fixed_token);
        return 0;
    default:
        break;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "token-%d", s->calls);
    td->token = strdup(buf);
    td->expires = mock_http_now(s->t->h) + 3600000;
    td->has_expires = true;
    if (params && params->client_id)
        td->client_id = strdup(params->client_id);
    return 0;
}

static void use_script(mock_rt *t, auth_script *s)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    t->o.key = NULL;
    t->o.use_binary_protocol = false;
    t->o.auth_callback = scripted_auth;
    t->o.auth_callback_ctx = s;
}

static const char *connected(const char *id, const char *key) { return mock_ws_connected_json(id, key, 15000, 120000); }

/* A client (not started) whose tokens come from the scripted authCallback *s. */
static void scripted_client(mock_rt *t, auth_script *s)
{
    mock_rt_init(t);
    use_script(t, s);
}

/* The authCallback fails from its call `from` on with this code and status. */
static void fail_from(auth_script *s, int from, int code, int status)
{
    s->fail_from = from;
    s->fail_code = code;
    s->fail_status = status;
}

/* Starts the client and connects it as connection-id / connection-key. */
static void start_connected(mock_rt *t)
{
    mock_rt_start(t, NULL);
    mock_rt_connect(t, "connection-id", "connection-key");
}


/* Every attempt is answered with CONNECTED, except the ones listed as `hold` (opened
 * only, so the client stays CONNECTING). */
typedef struct {
    int hold_attempt; /* -1: none */
    bool numbered;    /* connection-id-N / connection-key-N */
} answer_plan;

static void answer_attempt(void *ctx, mock_ws *m, size_t i)
{
    answer_plan *p = ctx;
    if ((int)i == p->hold_attempt) {
        mock_ws_respond_success(m, i, NULL);
        return;
    }
    char id[32], key[32];
    snprintf(id, sizeof id, p->numbered ? "connection-id-%zu" : "connection-id", i + 1);
    snprintf(key, sizeof key, p->numbered ? "connection-key-%zu" : "connection-key", i + 1);
    mock_ws_respond_success(m, i, connected(id, key));
}

/* The connection's errorReason: code, status and the cause's code (0 when absent). */
typedef struct {
    int64_t code, status, cause_code, cause_status;
} reason_seen;

static reason_seen error_reason(mock_rt *t)
{
    reason_seen r = {0};
    ably_error e = {0};
    if (ably_connection_error_reason(t->rt, &e) == 1) {
        r.code = e.code;
        r.status = e.status_code;
        if (e.cause) {
            r.cause_code = e.cause->code;
            r.cause_status = e.cause->status_code;
        }
    }
    ably_error_clear(&e);
    return r;
}

/* Asserts the connection's errorReason code and status; returns it for more checks. */
static reason_seen assert_reason(mock_rt *t, int64_t code, int64_t status)
{
    reason_seen r = error_reason(t);
    assert_int_equal(r.code, code);
    assert_int_equal(r.status, status);
    return r;
}

static size_t count_changes_to(const mock_ws_changes *rec, ably_connection_state s)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->count; i++)
        if (rec->items[i].event == (ably_connection_event)s)
            n++;
    return n;
}

static const mock_ws_change *first_change_to(const mock_ws_changes *rec, ably_connection_state s)
{
    for (size_t i = 0; i < rec->count; i++)
        if (rec->items[i].event == (ably_connection_event)s)
            return &rec->items[i];
    return NULL;
}

static size_t state_transitions(const mock_ws_changes *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->count; i++)
        if (rec->items[i].previous != rec->items[i].current)
            n++;
    return n;
}

typedef struct {
    int calls;
    char token[256];
    int64_t code;
} authz_result;

static void on_authorized(void *ctx, const ably_token_details *td, const ably_error *err)
{
    authz_result *r = ctx;
    r->calls++;
    if (td && td->token)
        snprintf(r->token, sizeof r->token, "%s", td->token);
    r->code = err ? err->code : 0;
}

/* RSA4c, RSA4d: connect() ends in `state` without opening a transport, with errorReason
 * 80019 and `status`; returns that reason for more checks. */
static reason_seen connect_fails_before_any_attempt(mock_rt *t, ably_connection_state state, int64_t status)
{
    mock_rt_start_connecting(t);
    assert_int_equal(mock_rt_state(t), state);
    assert_int_equal(mock_ws_attempt_count(t->m), 0);
    return assert_reason(t, 80019, status);
}

/* Calls authorize() with default params into *a (zeroed first) and pumps. */
static void authorize_and_pump(mock_rt *t, authz_result *a)
{
    *a = (authz_result){0};
    ably_realtime_authorize(t->rt, NULL, NULL, on_authorized, a);
    mock_ws_pump(t->m, t->rt);
}

/* ---- getting the token before connecting (connection_auth_test.md) ---- */

static void token_obtained_before_the_websocket_opens(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    start_connected(&t);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.attempts_seen, 0);              /* before any attempt */
    assert_int_equal(s.state_seen, ABLY_CONN_CONNECTING); /* RTN27b: obtaining a token is CONNECTING */
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "token-1");
    assert_null(mock_ws_query(t.m, 0, "key"));
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void callback_error_prevents_the_connection_attempt(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 1, 40000, 400);
    mock_rt_start_connecting(&t);
    ably_connection_state st = mock_rt_state(&t);
    assert_true(st == ABLY_CONN_DISCONNECTED || st == ABLY_CONN_FAILED);
    assert_int_equal(mock_ws_attempt_count(t.m), 0);
    reason_seen r = error_reason(&t);
    assert_true(r.status == 401 || r.code == 40170);
    mock_rt_free(&t);
}

static void callback_params_carry_the_client_id(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    t.o.client_id = "my-client-id";
    start_connected(&t);
    assert_string_equal(s.client_id_seen, "my-client-id");
    mock_rt_free(&t);
}

static void a_valid_token_is_reused_by_the_next_connection(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    start_connected(&t);
    mock_rt_close(&t);
    mock_rt_connect(&t, "connection-id", "connection-key");
    assert_int_equal(s.calls, 1);
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-1");
    mock_rt_free(&t);
}

/* ---- authCallback failures (auth_callback_errors_test.md) ---- */

static void callback_error_while_connecting_disconnects_with_80019(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 1, 50000, 500);
    reason_seen r = connect_fails_before_any_attempt(&t, ABLY_CONN_DISCONNECTED, 401);
    assert_int_equal(r.cause_code, 50000);
    const mock_ws_change *d = first_change_to(&t.rec, ABLY_CONN_DISCONNECTED);
    assert_non_null(d);
    assert_true(d->has_reason);
    assert_int_equal(d->reason_code, 80019);
    mock_rt_free(&t);
}

static void slow_callback_times_out_while_connecting(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    s.slow_ms = 11000; /* the token comes after realtimeRequestTimeout */
    t.o.realtime_request_timeout_ms = 10000;
    connect_fails_before_any_attempt(&t, ABLY_CONN_DISCONNECTED, 401);
    mock_rt_free(&t);
}

static void callback_error_while_connected_changes_nothing(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 2, 50000, 500); /* the first token is fine, the renewal fails */
    start_connected(&t);
    t.rec.count = 0;
    mock_rt_send(&t, 0, "{\"action\":17}"); /* RTN22: Ably asks for a new token */
    assert_int_equal(s.calls, 2);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(t.rec.count, 0);
    assert_int_equal(error_reason(&t).code, 0);
    mock_rt_free(&t);
}

static void callback_403_while_connecting_fails(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 1, 40300, 403);
    reason_seen r = connect_fails_before_any_attempt(&t, ABLY_CONN_FAILED, 403);
    assert_int_equal(r.cause_code, 40300);
    assert_int_equal(r.cause_status, 403);
    assert_int_equal(count_changes_to(&t.rec, ABLY_CONN_FAILED), 1);
    const mock_ws_change *f = first_change_to(&t.rec, ABLY_CONN_FAILED);
    assert_int_equal(f->reason_code, 80019);
    assert_int_equal(f->reason_status, 403);
    assert_int_equal(count_changes_to(&t.rec, ABLY_CONN_DISCONNECTED), 0);
    mock_ws_advance(t.m, t.h, t.rt, 300000); /* and stays FAILED */
    assert_int_equal(mock_ws_attempt_count(t.m), 0);
    assert_int_equal(s.calls, 1);
    mock_rt_free(&t);
}

static void callback_403_on_server_reauth_fails(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 2, 40300, 403);
    start_connected(&t);
    mock_rt_send(&t, 0, "{\"action\":17}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    reason_seen r = assert_reason(&t, 80019, 403);
    assert_int_equal(r.cause_code, 40300);
    assert_null(ably_connection_id(t.rt));
    mock_rt_free(&t);
}

static void callback_403_on_explicit_authorize_fails(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 2, 40300, 403);
    start_connected(&t);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_true(a.code != 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_reason(&t, 80019, 403);
    mock_rt_free(&t);
}

static void callback_giving_no_token_is_an_invalid_format(void **state)
{
    (void)state;
    for (int oversized = 0; oversized < 2; oversized++) {
        mock_rt t;
        auth_script s;
        scripted_client(&t, &s);
        s.mode = oversized ? GIVE_OVERSIZED : GIVE_NOTHING; /* > 128 KiB, or nothing usable */
        connect_fails_before_any_attempt(&t, ABLY_CONN_DISCONNECTED, 401);
        mock_rt_free(&t);
    }
}

static void failed_token_renewal_after_a_token_error_is_80019(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    fail_from(&s, 2, 50000, 500);
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_DISCONNECTED);
    reason_seen r = assert_reason(&t, 80019, 401);
    assert_int_equal(r.cause_code, 50000);
    mock_rt_free(&t);
}

/* ---- authorize() (realtime_authorize.md) ---- */

static void answer_auth_with_connected(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    const char *reply = ctx;
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_AUTH)
        mock_ws_send(m, attempt, reply);
}

/* The server answers the next AUTH frames with CONNECTED(id, key). */
static void answer_auth_with(mock_rt *t, auth_script *s, const char *id, const char *key)
{
    snprintf(s->auth_reply, sizeof s->auth_reply, "%s", connected(id, key));
    mock_ws_on_message(t->m, answer_auth_with_connected, s->auth_reply);
}

static void authorize_when_connected_sends_auth(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    start_connected(&t);
    t.rec.count = 0;
    answer_auth_with(&t, &s, "connection-id", "connection-key-2");
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(s.calls, 2);
    assert_int_equal(mock_ws_count_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH), 1);
    const ably_protocol_message *auth = mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH);
    assert_non_null(auth->auth);
    assert_string_equal(auth->auth->access_token, "token-2");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_string_equal(a.token, "token-2");
    assert_int_equal(state_transitions(&t.rec), 0);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_free(&t);
}

static void reauth_with_ably_token_and_jwt(void **state)
{
    (void)state;
    static const char *const tokens[] = {
        "xVLyHw.DVG8QKnB6qSp1jUW0iwOQjrAM_ln1uDAa9YzxJZbWik", /* an Ably token */
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImFwcElkLmtleUlkIn0."
        "eyJ4LWFibHktY2FwYWJpbGl0eSI6IntcIipcIjpbXCIqXCJdfSJ9.c2lnbmF0dXJl", /* a JWT */
    };
    for (size_t i = 0; i < 2; i++) {
        mock_rt t;
        auth_script s;
        scripted_client(&t, &s);
        s.mode = GIVE_STRING;
        s.fixed_token = tokens[i];
        start_connected(&t);
        assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), tokens[i]);
        answer_auth_with(&t, &s, "connection-id", "connection-key-2");
        authz_result a;
        authorize_and_pump(&t, &a);
        const ably_protocol_message *auth = mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH);
        assert_non_null(auth);
        assert_string_equal(auth->auth->access_token, tokens[i]);
        assert_int_equal(a.calls, 1);
        assert_int_equal(a.code, 0);
        assert_string_equal(a.token, tokens[i]);
        assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
        mock_rt_free(&t);
    }
}

typedef struct {
    int updates, connected;
} update_count;

static void count_update(void *ctx, const ably_connection_state_change *c)
{
    update_count *u = ctx;
    if (c->event == ABLY_CONN_EVENT_UPDATE) {
        assert_int_equal(c->previous, ABLY_CONN_CONNECTED);
        assert_int_equal(c->current, ABLY_CONN_CONNECTED);
        u->updates++;
    } else if (c->event == ABLY_CONN_EVENT_CONNECTED) {
        u->connected++;
    }
}

static void successful_reauth_emits_update_only(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    mock_rt_start(&t, NULL);
    mock_rt_connect(&t, "connection-id-1", "connection-key-1");
    t.rec.count = 0;
    update_count u = {0};
    ably_connection_on(t.rt, ABLY_CONN_EVENT_UPDATE, count_update, &u);
    ably_connection_on(t.rt, ABLY_CONN_EVENT_CONNECTED, count_update, &u);
    answer_auth_with(&t, &s, "connection-id-2", "connection-key-2");
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(u.updates, 1);
    assert_int_equal(u.connected, 0);
    assert_int_equal(state_transitions(&t.rec), 0);
    char *id = ably_connection_id(t.rt), *key = ably_connection_key(t.rt);
    assert_string_equal(id, "connection-id-2");
    assert_string_equal(key, "connection-key-2"); /* RTN21 */
    free(id);
    free(key);
    mock_rt_free(&t);
}

static void downgrade_frames(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    (void)ctx;
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH)
        mock_ws_send(m, attempt, "{\"action\":11,\"channel\":\"private-channel\",\"flags\":0}");
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_AUTH) {
        mock_ws_send(m, attempt, connected("connection-id", "connection-key-2"));
        mock_ws_send(m, attempt,
                     "{\"action\":9,\"channel\":\"private-channel\",\"error\":{\"code\":40160,\"statusCode\":401,"
                     "\"message\":\"Channel denied access based on given capability\"}}");
    }
}

static void capability_downgrade_fails_the_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    auth_script s;
    use_script(&f.t, &s);
    mock_ws_on_message(f.t.m, downgrade_frames, NULL);
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_attached(&f, "private-channel", NULL);
    fx_changes rec;
    fx_record(ch, &rec);
    authz_result a = {0};
    ably_realtime_authorize(f.t.rt, NULL, NULL, on_authorized, &a);
    fx_pump(&f);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_FAILED);
    size_t failed = 0;
    for (size_t i = 0; i < rec.count; i++) {
        if (rec.items[i].current == ABLY_CHANNEL_FAILED) {
            failed++;
            assert_int_equal(rec.items[i].reason_code, 40160);
        }
    }
    assert_int_equal(failed, 1);
    assert_int_equal(mock_rt_state(&f.t), ABLY_CONN_CONNECTED);
    fx_free(&f);
}

static void answer_auth_with_fatal_error(void *ctx, mock_ws *m, size_t attempt, const ably_protocol_message *pm)
{
    (void)ctx;
    if (pm->action == ABLY_PROTOCOL_MESSAGE_ACTION_AUTH)
        mock_ws_send_and_close(m, attempt,
                               "{\"action\":9,\"error\":{\"code\":40012,\"statusCode\":400,\"message\":\"Incompatible clientId\"}}");
}

static void refused_reauth_fails_the_connection(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    start_connected(&t);
    t.rec.count = 0;
    mock_ws_on_message(t.m, answer_auth_with_fatal_error, NULL);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 40012);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(error_reason(&t).code, 40012);
    assert_int_equal(count_changes_to(&t.rec, ABLY_CONN_FAILED), 1);
    mock_rt_free(&t);
}

static void authorize_completes_only_after_the_server_answers(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    start_connected(&t);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_non_null(mock_ws_last_sent(t.m, ABLY_PROTOCOL_MESSAGE_ACTION_AUTH));
    assert_int_equal(a.calls, 0);
    mock_rt_send(&t, 0, connected("connection-id", "connection-key-2"));
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.token, "token-2");
    mock_rt_free(&t);
}

static void authorize_while_connecting_restarts_with_the_new_token(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    answer_plan plan = {.hold_attempt = 0};
    mock_ws_on_attempt(t.m, answer_attempt, &plan);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_string_equal(a.token, "token-2");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    assert_int_equal(s.calls, 2);
    assert_int_equal(mock_ws_attempt_count(t.m), 2);
    assert_true(mock_ws_get_attempt(t.m, 0)->client_closed); /* the first attempt was halted */
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
    mock_rt_free(&t);
}

static void fatal_error_then(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    if (i == 0) {
        mock_ws_respond_success(m, i, NULL);
        return;
    }
    mock_ws_respond_error(m, i, "{\"action\":9,\"error\":{\"code\":40101,\"statusCode\":401,\"message\":\"Invalid credentials\"}}");
}

static void authorize_while_connecting_fails_when_the_connection_fails(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    mock_ws_on_attempt(t.m, fatal_error_then, NULL);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTING);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 40101);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    mock_rt_free(&t);
}

static void authorize_from_initialized_connects(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    answer_plan plan = {.hold_attempt = -1};
    mock_ws_on_attempt(t.m, answer_attempt, &plan);
    mock_rt_start(&t, NULL);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_INITIALIZED);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.token, "token-1");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 2));
    assert_string_equal(mock_ws_query(t.m, 0, "accessToken"), "token-1");
    mock_rt_free(&t);
}

static void fatal_first_then_connected(void *ctx, mock_ws *m, size_t i)
{
    (void)ctx;
    if (i == 0)
        mock_ws_respond_error(m, i, "{\"action\":9,\"error\":{\"code\":40101,\"statusCode\":401,\"message\":\"Invalid credentials\"}}");
    else
        mock_ws_respond_success(m, i, connected("connection-id", "connection-key"));
}

static void authorize_from_failed_connects(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    mock_ws_on_attempt(t.m, fatal_first_then_connected, NULL);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    t.rec.count = 0;
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.token, "token-2");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    static const ably_connection_event seq[] = {ABLY_CONN_EVENT_CONNECTING, ABLY_CONN_EVENT_CONNECTED};
    assert_true(mock_ws_changes_contain(&t.rec, seq, 2));
    assert_string_equal(mock_ws_query(t.m, 1, "accessToken"), "token-2");
    mock_rt_free(&t);
}

static void authorize_from_closed_connects(void **state)
{
    (void)state;
    mock_rt t;
    auth_script s;
    scripted_client(&t, &s);
    answer_plan plan = {.hold_attempt = -1, .numbered = true};
    mock_ws_on_attempt(t.m, answer_attempt, &plan);
    mock_rt_start_connecting(&t);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    mock_rt_close(&t);
    authz_result a;
    authorize_and_pump(&t, &a);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.token, "token-2");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    char *id = ably_connection_id(t.rt);
    assert_string_equal(id, "connection-id-2");
    free(id);
    mock_rt_free(&t);
}

/* ---- tokens that cannot be renewed (token_expiry_non_renewable_test.md) ---- */

typedef struct {
    int lines_with_40171;
} log_seen;

static void count_40171(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    log_seen *seen = ctx;
    if (level == ABLY_LOG_INFO && strstr(line, "40171") && strstr(line, "help.ably.io/error/40171"))
        seen->lines_with_40171++;
}

static void non_renewable_token_is_logged_at_creation(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    log_seen seen = {0};
    t.o.key = NULL;
    t.o.token = "some-token";
    t.o.log_level = ABLY_LOG_INFO;
    t.o.log_handler = count_40171;
    t.o.log_handler_ctx = &seen;
    mock_rt_start(&t, NULL);
    assert_int_equal(seen.lines_with_40171, 1);
    mock_rt_free(&t);
}

static void token_error_with_non_renewable_token_fails_without_retry(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.token = "some-token";
    mock_rt_start_connecting(&t);
    mock_rt_refuse_with(&t, 0, "{\"action\":9,\"error\":{\"code\":40142,\"statusCode\":401,\"message\":\"Token expired\"}}");
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_FAILED);
    assert_int_equal(error_reason(&t).code, 40171);
    mock_ws_advance(t.m, t.h, t.rt, 300000);
    assert_int_equal(mock_ws_attempt_count(t.m), 1); /* no retry */
    mock_rt_free(&t);
}

/* RSA4c, RSA4d with an authUrl: its failures are handled like the authCallback's. */
static void auth_url_failures_while_connecting(void **state)
{
    (void)state;
    static const struct {
        int http_status;
        ably_connection_state state;
        int64_t code, status;
    } cases[] = {
        {500, ABLY_CONN_DISCONNECTED, 80019, 401}, /* RSA4c2 */
        {403, ABLY_CONN_FAILED, 80019, 403},       /* RSA4d: an HTTP 403 */
    };
    for (size_t i = 0; i < 2; i++) {
        mock_rt t;
        mock_rt_init(&t);
        t.o.key = NULL;
        t.o.auth_url = "https://auth.example.com/token";
        mock_rt_start(&t, NULL);
        mock_http_queue_json(t.h, cases[i].http_status, "{\"error\":{\"message\":\"no\"}}");
        ably_connection_connect(t.rt);
        mock_ws_pump(t.m, t.rt);
        assert_int_equal(mock_http_count(t.h), 1);
        assert_non_null(strstr(mock_http_request(t.h, 0)->url, "auth.example.com"));
        assert_int_equal(mock_ws_attempt_count(t.m), 0);
        assert_int_equal(mock_rt_state(&t), cases[i].state);
        reason_seen r = assert_reason(&t, cases[i].code, cases[i].status);
        assert_true(r.cause_code != 0 || r.cause_status != 0);
        mock_rt_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(token_obtained_before_the_websocket_opens, "RTN2e RTN27b RSA4"),
        ABLY_TEST(callback_error_prevents_the_connection_attempt, "RTN27b RSA4c RSA4c2"),
        ABLY_TEST(callback_params_carry_the_client_id, "RTN2e"),
        ABLY_TEST(a_valid_token_is_reused_by_the_next_connection, "RTN2e"),
        ABLY_TEST(callback_error_while_connecting_disconnects_with_80019, "RSA4c RSA4c1 RSA4c2 RTN25"),
        ABLY_TEST(slow_callback_times_out_while_connecting, "RSA4c RSA4c2"),
        ABLY_TEST(callback_error_while_connected_changes_nothing, "RSA4c RSA4c3 RTN22"),
        ABLY_TEST(callback_403_while_connecting_fails, "RSA4d RTN25"),
        ABLY_TEST(callback_403_on_server_reauth_fails, "RSA4d RSA4d1 RTN22"),
        ABLY_TEST(callback_403_on_explicit_authorize_fails, "RSA4d RSA4d1"),
        ABLY_TEST(callback_giving_no_token_is_an_invalid_format, "RSA4f RSA4c RSA4c2"),
        ABLY_TEST(failed_token_renewal_after_a_token_error_is_80019, "RSA4c RSA4c2 RTN14b"),
        ABLY_TEST(auth_url_failures_while_connecting, "RSA4c RSA4c2 RSA4d"),
        ABLY_TEST(authorize_when_connected_sends_auth, "RTC8 RTC8a"),
        ABLY_TEST(reauth_with_ably_token_and_jwt, "RTC8a4 RTC8a"),
        ABLY_TEST(successful_reauth_emits_update_only, "RTC8a1 RTN24 RTN21"),
        ABLY_TEST(capability_downgrade_fails_the_channel, "RTC8a1"),
        ABLY_TEST(refused_reauth_fails_the_connection, "RTC8a2"),
        ABLY_TEST(authorize_completes_only_after_the_server_answers, "RTC8a3"),
        ABLY_TEST(authorize_while_connecting_restarts_with_the_new_token, "RTC8b RTC8b1"),
        ABLY_TEST(authorize_while_connecting_fails_when_the_connection_fails, "RTC8b RTC8b1"),
        ABLY_TEST(authorize_from_initialized_connects, "RTC8c"),
        ABLY_TEST(authorize_from_failed_connects, "RTC8c"),
        ABLY_TEST(authorize_from_closed_connects, "RTC8c"),
        ABLY_TEST(non_renewable_token_is_logged_at_creation, "RSA4a RSA4a1"),
        ABLY_TEST(token_error_with_non_renewable_token_fails_without_retry, "RSA4a RSA4a2"),
    };
    return cmocka_run_group_tests_name("realtime_auth", tests, NULL, NULL);
}
