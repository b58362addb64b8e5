/* The realtime client shell: creation, the command queue, the service thread or the
 * application-driven service call, the getters' mirror and the public API wrappers.
 * The state machine itself is engine.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "realtime/engine.h"
#include "rest/auth_internal.h"
#include "rest/rest_internal.h"

/* Longest a service call waits for I/O when no timer is due sooner: bounds how late a
 * clock jump (or a test's fake clock) is noticed by the thread. */
#define ABLY_RT_MAX_WAIT_MS 250

/* ---- names ---- */

static const char *const state_names[] = {"initialized", "connecting", "connected", "disconnected",
                                          "suspended",   "closing",    "closed",    "failed"};

const char *ably_connection_state_name(ably_connection_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

const char *ably_connection_event_name(ably_connection_event e)
{
    if (e == ABLY_CONN_EVENT_UPDATE)
        return "update";
    return ably_connection_state_name((ably_connection_state)e);
}

/* ---- the mirror ---- */

void ably_rt_publish_mirror(ably_realtime *rt)
{
    char *id = rt->connection_id ? strdup(rt->connection_id) : NULL;
    char *key = rt->connection_key ? strdup(rt->connection_key) : NULL;
    ably_error e;
    ably_error_init(&e);
    bool has = rt->has_error_reason && ably_error_copy(&e, &rt->error_reason, NULL) == 0;
    pthread_mutex_lock(&rt->pub_mu);
    char *old_id = rt->pub_id, *old_key = rt->pub_key;
    ably_error old_e = rt->pub_error;
    rt->pub_state = rt->state;
    rt->pub_id = id;
    rt->pub_key = key;
    rt->pub_error = e;
    rt->pub_has_error = has;
    rt->pub_msg_serial = rt->msg_serial;
    pthread_mutex_unlock(&rt->pub_mu);
    free(old_id);
    free(old_key);
    ably_error_clear(&old_e);
}

ably_connection_state ably_connection_get_state(ably_realtime *rt)
{
    pthread_mutex_lock(&rt->pub_mu);
    ably_connection_state s = rt->pub_state;
    pthread_mutex_unlock(&rt->pub_mu);
    return s;
}

static char *dup_locked(ably_realtime *rt, char *const *field)
{
    pthread_mutex_lock(&rt->pub_mu);
    char *out = *field ? strdup(*field) : NULL;
    pthread_mutex_unlock(&rt->pub_mu);
    return out;
}

char *ably_connection_id(ably_realtime *rt) { return dup_locked(rt, &rt->pub_id); }
char *ably_connection_key(ably_realtime *rt) { return dup_locked(rt, &rt->pub_key); }

int ably_connection_error_reason(ably_realtime *rt, ably_error *out)
{
    pthread_mutex_lock(&rt->pub_mu);
    int rc = rt->pub_has_error && ably_error_copy(out, &rt->pub_error, NULL) == 0 ? 1 : 0;
    pthread_mutex_unlock(&rt->pub_mu);
    return rc;
}

/* JSON string literal of s. */
static void append_json_string(ably_buf *b, const char *s)
{
    ably_buf_append_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            ably_buf_append(b, esc, 2);
        } else if (*p < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            ably_buf_append(b, esc, 6);
        } else {
            ably_buf_append(b, p, 1);
        }
    }
    ably_buf_append_str(b, "\"");
}

char *ably_connection_create_recovery_key(ably_realtime *rt)
{
    pthread_mutex_lock(&rt->pub_mu);
    ably_connection_state s = rt->pub_state;
    char *key = rt->pub_key ? strdup(rt->pub_key) : NULL;
    int64_t serial = rt->pub_msg_serial;
    pthread_mutex_unlock(&rt->pub_mu);
    if (!key || s == ABLY_CONN_CLOSED || s == ABLY_CONN_CLOSING || s == ABLY_CONN_FAILED ||
        s == ABLY_CONN_SUSPENDED) { /* RTN16g2 */
        free(key);
        return NULL;
    }
    ably_buf b;
    ably_buf_init(&b);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)serial);
    ably_buf_append_str(&b, "{\"connectionKey\":");
    append_json_string(&b, key);
    ably_buf_append_str(&b, ",\"msgSerial\":");
    ably_buf_append_str(&b, num);
    ably_buf_append_str(&b, ",\"channelSerials\":{");
    if (rt->hooks.append_channel_serials)
        rt->hooks.append_channel_serials(rt->hooks.ctx, &b);
    ably_buf_append_str(&b, "}}");
    free(key);
    return ably_buf_detach(&b, NULL);
}

/* ---- the command queue ---- */

int ably_rt_post(ably_realtime *rt, void (*run)(ably_realtime *, void *), void (*drop)(void *), void *arg)
{
    ably_rt_cmd *c = malloc(sizeof *c);
    if (!c) {
        if (drop)
            drop(arg);
        return -1;
    }
    *c = (ably_rt_cmd){run, drop, arg, NULL};
    pthread_mutex_lock(&rt->cmd_mu);
    if (rt->cmd_tail)
        rt->cmd_tail->next = c;
    else
        rt->cmd_head = c;
    rt->cmd_tail = c;
    pthread_mutex_unlock(&rt->cmd_mu);
    if (rt->ws && rt->wst->wake)
        rt->wst->wake(rt->ws);
    return 0;
}

/* Runs the queued commands, including those queued by the commands' own callbacks. */
static bool run_commands(ably_realtime *rt)
{
    bool any = false;
    for (;;) {
        pthread_mutex_lock(&rt->cmd_mu);
        ably_rt_cmd *c = rt->cmd_head;
        if (c) {
            rt->cmd_head = c->next;
            if (!rt->cmd_head)
                rt->cmd_tail = NULL;
        }
        pthread_mutex_unlock(&rt->cmd_mu);
        if (!c)
            return any;
        any = true;
        c->run(rt, c->arg);
        free(c);
    }
}

static bool commands_pending(ably_realtime *rt)
{
    pthread_mutex_lock(&rt->cmd_mu);
    bool any = rt->cmd_head != NULL;
    pthread_mutex_unlock(&rt->cmd_mu);
    return any;
}

static void drop_commands(ably_realtime *rt)
{
    pthread_mutex_lock(&rt->cmd_mu);
    ably_rt_cmd *c = rt->cmd_head;
    rt->cmd_head = rt->cmd_tail = NULL;
    pthread_mutex_unlock(&rt->cmd_mu);
    while (c) {
        ably_rt_cmd *n = c->next;
        if (c->drop)
            c->drop(c->arg);
        free(c);
        c = n;
    }
}

/* ---- one turn of the loop ---- */

static int wait_budget(ably_realtime *rt, int timeout_ms)
{
    int64_t d = ably_rt_next_deadline(rt);
    int64_t wait = timeout_ms;
    if (d) {
        int64_t until = d - ably_rt_now(rt);
        if (until < wait)
            wait = until < 0 ? 0 : until;
    }
    return (int)wait;
}

static void service_once(ably_realtime *rt, int timeout_ms)
{
    run_commands(rt);
    int wait = commands_pending(rt) ? 0 : wait_budget(rt, timeout_ms);
    rt->wst->service(rt->ws, wait);
    run_commands(rt);
    ably_rt_fire_timers(rt);
    run_commands(rt);
}

static void *service_thread(void *arg)
{
    ably_realtime *rt = arg;
    for (;;) {
        pthread_mutex_lock(&rt->cmd_mu);
        bool stop = rt->stop;
        pthread_mutex_unlock(&rt->cmd_mu);
        if (stop)
            break;
        service_once(rt, ABLY_RT_MAX_WAIT_MS);
    }
    return NULL;
}

int ably_realtime_service(ably_realtime *rt, int timeout_ms)
{
    if (!rt || rt->cfg.mode != ABLY_REALTIME_APP_DRIVEN)
        return -1;
    if (pthread_mutex_trylock(&rt->service_mu) != 0)
        return -1;
    service_once(rt, timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_unlock(&rt->service_mu);
    return 0;
}

int64_t ably_realtime_next_timeout_ms(ably_realtime *rt)
{
    if (!rt || rt->cfg.mode != ABLY_REALTIME_APP_DRIVEN)
        return -1; /* the engine belongs to the service thread */
    if (commands_pending(rt))
        return 0;
    if (pthread_mutex_trylock(&rt->service_mu) != 0)
        return 0;
    int64_t d = ably_rt_next_deadline(rt);
    int64_t out = d ? d - ably_rt_now(rt) : -1;
    pthread_mutex_unlock(&rt->service_mu);
    return d && out < 0 ? 0 : out;
}

/* ---- public operations: queued to the loop ---- */

static void run_connect(ably_realtime *rt, void *arg)
{
    (void)arg;
    ably_rt_connect(rt);
}

static void run_close(ably_realtime *rt, void *arg)
{
    (void)arg;
    ably_rt_close(rt);
}

void ably_connection_connect(ably_realtime *rt) { ably_rt_post(rt, run_connect, NULL, NULL); }
void ably_connection_close(ably_realtime *rt) { ably_rt_post(rt, run_close, NULL, NULL); }

typedef struct {
    ably_ping_callback cb;
    void *ctx;
} ping_cmd;

static void run_ping(ably_realtime *rt, void *arg)
{
    ping_cmd *c = arg;
    ably_rt_ping(rt, c->cb, c->ctx);
    free(c);
}

void ably_connection_ping(ably_realtime *rt, ably_ping_callback cb, void *ctx)
{
    ping_cmd *c = malloc(sizeof *c);
    if (!c)
        return;
    c->cb = cb;
    c->ctx = ctx;
    ably_rt_post(rt, run_ping, free, c);
}

static void run_net_up(ably_realtime *rt, void *arg)
{
    (void)arg;
    ably_rt_network_changed(rt, true);
}

static void run_net_down(ably_realtime *rt, void *arg)
{
    (void)arg;
    ably_rt_network_changed(rt, false);
}

void ably_realtime_network_changed(ably_realtime *rt, bool up)
{
    ably_rt_post(rt, up ? run_net_up : run_net_down, NULL, NULL);
}

typedef struct {
    ably_token_params params;
    bool has_params;
    ably_auth_options options; /* strings below are owned copies */
    bool has_options;
    char *key, *auth_url, *auth_method, *token;
    ably_string_map auth_headers, auth_params;
    ably_token_details token_details;
    bool has_token_details;
    ably_authorize_callback cb;
    void *ctx;
} authz_cmd;

static void authz_cmd_free(void *arg)
{
    authz_cmd *c = arg;
    ably_token_params_clear(&c->params);
    free(c->key);
    free(c->auth_url);
    free(c->auth_method);
    free(c->token);
    ably_string_map_clear(&c->auth_headers);
    ably_string_map_clear(&c->auth_params);
    ably_token_details_clear(&c->token_details);
    free(c);
}

static void run_authorize(ably_realtime *rt, void *arg)
{
    authz_cmd *c = arg;
    ably_rt_authorize(rt, c->has_params ? &c->params : NULL, c->has_options ? &c->options : NULL, c->cb, c->ctx);
    authz_cmd_free(c);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void copy_map(ably_string_map *dst, const ably_string_map *src)
{
    for (size_t i = 0; src && i < src->count; i++)
        ably_string_map_set(dst, src->items[i].key, src->items[i].value);
}

void ably_realtime_authorize(ably_realtime *rt, const ably_token_params *params, const ably_auth_options *options,
                             ably_authorize_callback cb, void *ctx)
{
    authz_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return;
    ably_token_params_init(&c->params);
    ably_token_details_init(&c->token_details);
    c->cb = cb;
    c->ctx = ctx;
    if (params) {
        c->has_params = true;
        ably_token_params_copy(&c->params, params, NULL);
    }
    if (options) {
        c->has_options = true;
        c->options = *options;
        c->options.key = c->key = dup_or_null(options->key);
        c->options.auth_url = c->auth_url = dup_or_null(options->auth_url);
        c->options.auth_method = c->auth_method = dup_or_null(options->auth_method);
        c->options.token = c->token = dup_or_null(options->token);
        copy_map(&c->auth_headers, options->auth_headers);
        copy_map(&c->auth_params, options->auth_params);
        c->options.auth_headers = options->auth_headers ? &c->auth_headers : NULL;
        c->options.auth_params = options->auth_params ? &c->auth_params : NULL;
        if (options->token_details) {
            c->has_token_details = ably_token_details_copy(&c->token_details, options->token_details, NULL) == 0;
            c->options.token_details = c->has_token_details ? &c->token_details : NULL;
        }
    }
    ably_rt_post(rt, run_authorize, authz_cmd_free, c);
}

/* ---- listeners ---- */

uint64_t ably_connection_on(ably_realtime *rt, ably_connection_event event, ably_connection_listener fn, void *ctx)
{
    return ably_emitter_add(&rt->conn_emitter, (int)event, (ably_generic_fn)fn, ctx, false);
}

uint64_t ably_connection_once(ably_realtime *rt, ably_connection_event event, ably_connection_listener fn,
                              void *ctx)
{
    return ably_emitter_add(&rt->conn_emitter, (int)event, (ably_generic_fn)fn, ctx, true);
}

void ably_connection_off(ably_realtime *rt, uint64_t id) { ably_emitter_remove(&rt->conn_emitter, id); }

void ably_connection_off_event(ably_realtime *rt, ably_connection_event event)
{
    ably_emitter_remove_event(&rt->conn_emitter, (int)event);
}

typedef struct {
    uint64_t id;
    ably_connection_state state;
    ably_connection_listener fn;
    void *ctx;
} when_cmd;

static void run_when_state(ably_realtime *rt, void *arg)
{
    when_cmd *c = arg;
    /* RTN26a; unless the once listener already fired (the state was entered between the
     * call and now), which would make this a second call. */
    if (rt->state == c->state && ably_emitter_remove(&rt->conn_emitter, c->id))
        c->fn(c->ctx, NULL);
    free(c);
}

uint64_t ably_connection_when_state(ably_realtime *rt, ably_connection_state state, ably_connection_listener fn,
                                    void *ctx)
{
    /* Registered as once(state) now (RTN26b); the loop checks the current state first. */
    when_cmd *c = malloc(sizeof *c);
    if (!c || !fn) {
        free(c);
        return 0;
    }
    c->id = ably_emitter_add(&rt->conn_emitter, (int)state, (ably_generic_fn)fn, ctx, true);
    c->state = state;
    c->fn = fn;
    c->ctx = ctx;
    uint64_t id = c->id;
    ably_rt_post(rt, run_when_state, free, c);
    return id;
}

/* ---- the client ---- */

void ably_realtime_connect(ably_realtime *rt) { ably_connection_connect(rt); } /* RTC15a */
void ably_realtime_close(ably_realtime *rt) { ably_connection_close(rt); }     /* RTC16a */

ably_rest *ably_realtime_rest(ably_realtime *rt) { return rt->rest; }

int ably_realtime_time(ably_realtime *rt, int64_t *out_ms, ably_error *err)
{
    return ably_rest_time(rt->rest, out_ms, err);
}

int ably_realtime_stats(ably_realtime *rt, const ably_stats_params *params, ably_paginated_result **out,
                        ably_error *err)
{
    return ably_rest_stats(rt->rest, params, out, err);
}

int ably_realtime_request(ably_realtime *rt, const char *method, const char *path, int version,
                          const ably_string_map *params, const char *body_json, const ably_string_map *headers,
                          ably_paginated_result **out, ably_error *err)
{
    return ably_rest_request(rt->rest, method, path, version, params, body_json, headers, out, err);
}

ably_auth *ably_realtime_auth(ably_realtime *rt) { return ably_rest_auth(rt->rest); }

char *ably_realtime_client_id(ably_realtime *rt)
{
    const char *id = ably_auth_client_id(ably_rest_auth_state(rt->rest));
    return id ? strdup(id) : NULL;
}

int ably_realtime_create(const ably_client_options *opts, const ably_realtime_config *cfg, ably_realtime **out,
                         ably_error *err)
{
    *out = NULL;
    ably_realtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    if (cfg)
        rt->cfg = *cfg;
    pthread_mutex_init(&rt->cmd_mu, NULL);
    pthread_mutex_init(&rt->pub_mu, NULL);
    pthread_mutex_init(&rt->service_mu, NULL);
    ably_emitter_init(&rt->conn_emitter);
    ably_error_init(&rt->pub_error);
    if (ably_rest_create(opts, &rt->rest, err) != 0)
        goto fail;
    rt->log = ably_rest_logger(rt->rest);
    rt->wst = rt->cfg.ws_transport ? rt->cfg.ws_transport : ably_ws_transport_lws();
    if (ably_rt_engine_init(rt, err) != 0)
        goto fail;
    if (ably_rt_channels_install(rt, err) != 0)
        goto fail;
    if (rt->wst->create(rt->wst->factory_ctx, &ably_rt_ws_events, rt, &rt->ws) != 0) {
        rt->ws = NULL;
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "could not create the WebSocket transport");
        goto fail;
    }
    ably_rt_publish_mirror(rt);
    if (opts->auto_connect) /* RTN3, RTC1b */
        ably_connection_connect(rt);
    if (rt->cfg.mode == ABLY_REALTIME_THREAD) {
        if (pthread_create(&rt->thread, NULL, service_thread, rt) != 0) {
            ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "could not start the service thread");
            goto fail;
        }
        rt->thread_started = true;
    }
    *out = rt;
    return 0;
fail:
    ably_realtime_destroy(rt);
    return -1;
}

void ably_realtime_destroy(ably_realtime *rt)
{
    if (!rt)
        return;
    if (rt->thread_started && pthread_equal(pthread_self(), rt->thread)) {
        /* From a callback: joining ourselves would deadlock. Refuse loudly instead. */
        ably_log(rt->log, ABLY_LOG_ERROR, NULL, "ably_realtime_destroy called from a callback; ignored");
        return;
    }
    if (rt->thread_started) {
        pthread_mutex_lock(&rt->cmd_mu);
        rt->stop = true;
        pthread_mutex_unlock(&rt->cmd_mu);
        if (rt->ws && rt->wst->wake)
            rt->wst->wake(rt->ws);
        pthread_join(rt->thread, NULL);
    }
    drop_commands(rt);
    if (rt->ws) {
        if (rt->conn)
            rt->wst->close(rt->ws, rt->conn);
        rt->wst->destroy(rt->ws);
    }
    if (rt->hooks.destroy)
        rt->hooks.destroy(rt->hooks.ctx);
    if (rt->rest)
        ably_rt_engine_free(rt);
    ably_rest_destroy(rt->rest);
    ably_emitter_free(&rt->conn_emitter);
    free(rt->pub_id);
    free(rt->pub_key);
    ably_error_clear(&rt->pub_error);
    pthread_mutex_destroy(&rt->cmd_mu);
    pthread_mutex_destroy(&rt->pub_mu);
    pthread_mutex_destroy(&rt->service_mu);
    free(rt);
}
