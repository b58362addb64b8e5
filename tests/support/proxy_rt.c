#include "proxy_rt.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PRT_POLL_US 5000

int64_t prt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *prt_unique(const char *prefix)
{
    static int seq;
    char buf[160];
    snprintf(buf, sizeof buf, "%s-%d-%d-%lld", prefix, (int)getpid(), ++seq, (long long)prt_now_ms());
    return strdup(buf);
}

/* ---- fixture ---- */

int prt_group_setup_with(void **state, const char *sandbox_bin, const char *upstream)
{
    prt_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    f->sbx = sandbox_env_setup_with(sandbox_bin, upstream);
    if (f->sbx)
        f->px = proxy_env_start(sandbox_bin, f->sbx);
    return f->sbx && f->px ? 0 : -1;
}

int prt_group_teardown(void **state)
{
    prt_fixture *f = *state;
    if (!f)
        return 0;
    int px_status = proxy_env_stop(f->px);
    int sbx_status = sandbox_env_teardown(f->sbx);
    free(f);
    return px_status == 0 && sbx_status == 0 ? 0 : -1;
}

int prt_test_setup(void **state)
{
    prt_fixture *f = *state;
    if (!f || !f->px)
        return -1;
    return proxy_env_clear_rules(f->px) == 200 && proxy_env_clear_log(f->px) == 200 ? 0 : -1;
}

/* ---- auth ---- */

static void b64url(const unsigned char *in, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

char *prt_make_jwt(const prt_fixture *f, const char *client_id)
{
    const sandbox_key *k = sandbox_env_key(f->sbx, 0);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char header[256], claims[512], cid[160] = "", h64[400], c64[800], sig64[64];
    snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->key_name);
    if (client_id)
        snprintf(cid, sizeof cid, ",\"x-ably-clientId\":\"%s\"", client_id);
    snprintf(claims, sizeof claims, "{\"iat\":%lld,\"exp\":%lld,\"x-ably-capability\":\"{\\\"*\\\":[\\\"*\\\"]}\"%s}",
             (long long)tv.tv_sec - 10, (long long)tv.tv_sec + 3600, cid);
    b64url((const unsigned char *)header, strlen(header), h64);
    b64url((const unsigned char *)claims, strlen(claims), c64);
    size_t cap = strlen(h64) + strlen(c64) + sizeof sig64 + 3;
    char *jwt = malloc(cap);
    if (!jwt)
        return NULL;
    snprintf(jwt, cap, "%s.%s", h64, c64);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), k->key_secret, (int)strlen(k->key_secret), (const unsigned char *)jwt, strlen(jwt), mac,
         &mac_len);
    b64url(mac, mac_len, sig64);
    strcat(jwt, ".");
    strcat(jwt, sig64);
    return jwt;
}

/* A REST client on the sandbox itself (not through the proxy) with key 0. */
static ably_rest *direct_rest(const prt_fixture *f)
{
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(f->sbx, 0)->key_str;
    o.endpoint = f->sbx->host;
    o.tls = f->sbx->tls;
    if (f->sbx->tls)
        o.tls_port = f->sbx->port;
    else
        o.port = f->sbx->port;
    o.log_level = ABLY_LOG_NONE;
    ably_rest *rest = NULL;
    ably_error err;
    ably_error_init(&err);
    if (ably_rest_create(&o, &rest, &err) != 0)
        rest = NULL;
    ably_error_clear(&err);
    return rest;
}

static int request_token_details(const prt_fixture *f, ably_token_details *out, ably_error *err)
{
    ably_rest *rest = direct_rest(f);
    if (!rest) {
        ably_error_set(err, 40170, 401, "could not create the token client");
        return -1;
    }
    int rc = ably_auth_request_token(ably_rest_auth(rest), NULL, NULL, out, err);
    ably_rest_destroy(rest);
    return rc;
}

char *prt_request_token(const prt_fixture *f)
{
    ably_token_details td;
    ably_token_details_init(&td);
    ably_error err;
    ably_error_init(&err);
    char *token = NULL;
    if (request_token_details(f, &td, &err) == 0 && td.token)
        token = strdup(td.token);
    ably_token_details_clear(&td);
    ably_error_clear(&err);
    return token;
}

void prt_auth_init(prt_auth *a, const prt_fixture *f, const char *client_id)
{
    memset(a, 0, sizeof *a);
    a->f = f;
    a->client_id = client_id;
    pthread_mutex_init(&a->mu, NULL);
}

void prt_auth_destroy(prt_auth *a) { pthread_mutex_destroy(&a->mu); }

int prt_auth_calls(prt_auth *a)
{
    pthread_mutex_lock(&a->mu);
    int n = a->calls;
    pthread_mutex_unlock(&a->mu);
    return n;
}

static void count_call(prt_auth *a)
{
    pthread_mutex_lock(&a->mu);
    a->calls++;
    pthread_mutex_unlock(&a->mu);
}

int prt_jwt_callback(void *ctx, const ably_token_params *params, char **token, ably_token_details *details,
                     ably_token_request *request, ably_error *err)
{
    (void)params, (void)details, (void)request, (void)err;
    prt_auth *a = ctx;
    count_call(a);
    *token = prt_make_jwt(a->f, a->client_id);
    return *token ? 0 : -1;
}

int prt_token_callback(void *ctx, const ably_token_params *params, char **token, ably_token_details *details,
                       ably_token_request *request, ably_error *err)
{
    (void)params, (void)token, (void)request;
    prt_auth *a = ctx;
    count_call(a);
    return request_token_details(a->f, details, err);
}

/* ---- clients ---- */

void prt_options(ably_client_options *o, const prt_fixture *f)
{
    ably_client_options_init(o);
    o->endpoint = "127.0.0.1";
    o->port = f->px->port;
    o->tls = false;
    o->use_binary_protocol = false;
    o->auto_connect = false;
    o->log_level = ABLY_LOG_NONE;
}

ably_realtime *prt_realtime(const ably_client_options *o)
{
    ably_realtime *rt = NULL;
    ably_error err;
    ably_error_init(&err);
    if (ably_realtime_create(o, NULL, &rt, &err) != 0) {
        fprintf(stderr, "ably_realtime_create: %lld %s\n", (long long)err.code, err.message ? err.message : "");
        rt = NULL;
    }
    ably_error_clear(&err);
    return rt;
}

ably_realtime *prt_jwt_realtime(ably_client_options *o, prt_auth *auth, const prt_fixture *f,
                                const char *client_id)
{
    prt_auth_init(auth, f, client_id);
    o->auth_callback = prt_jwt_callback;
    o->auth_callback_ctx = auth;
    return prt_realtime(o);
}

bool prt_client_new(prt_client *c, const prt_fixture *f, ably_client_options *o, const char *client_id)
{
    ably_client_options defaults;
    if (!o) {
        prt_options(&defaults, f);
        o = &defaults;
    }
    prt_states_init(&c->conn);
    prt_auth_init(&c->auth, f, client_id);
    if (!o->auth_callback)
        o->auth_callback = prt_jwt_callback;
    o->auth_callback_ctx = &c->auth;
    c->rt = prt_realtime(o);
    if (!c->rt)
        return false;
    ably_connection_on(c->rt, ABLY_CONN_EVENT_ANY, prt_conn_listener, &c->conn);
    return true;
}

bool prt_client_connect(prt_client *c)
{
    ably_connection_connect(c->rt);
    return prt_wait_conn(c->rt, ABLY_CONN_CONNECTED);
}

void prt_client_free(prt_client *c)
{
    prt_close(c->rt);
    c->rt = NULL;
    prt_states_destroy(&c->conn);
    prt_auth_destroy(&c->auth);
}

void prt_close(ably_realtime *rt)
{
    if (!rt)
        return;
    ably_connection_state s = ably_connection_get_state(rt);
    if (s != ABLY_CONN_FAILED && s != ABLY_CONN_CLOSED && s != ABLY_CONN_INITIALIZED) {
        ably_connection_close(rt);
        prt_wait_conn(rt, ABLY_CONN_CLOSED);
    }
    ably_realtime_destroy(rt);
}

ably_realtime_channel *prt_channel(ably_realtime *rt, const char *name)
{
    ably_realtime_channel *ch = NULL;
    ably_error err;
    ably_error_init(&err);
    if (ably_realtime_channels_get(rt, name, NULL, &ch, &err) != 0)
        ch = NULL;
    ably_error_clear(&err);
    return ch;
}

/* ---- printf-style proxy control ---- */

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text)
        vsnprintf(text, (size_t)n + 1, fmt, ap);
    return text;
}

/* Formats the text and hands it to `send`; its status, -1 when out of memory. */
static int send_formatted(proxy_env *px, int (*send)(proxy_env *, const char *), const char *fmt, va_list ap)
{
    char *text = vformat(fmt, ap);
    int status = text ? send(px, text) : -1;
    free(text);
    return status;
}

int prt_add_rules(proxy_env *px, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = send_formatted(px, proxy_env_add_rules, fmt, ap);
    va_end(ap);
    return status;
}

int prt_act(proxy_env *px, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = send_formatted(px, proxy_env_action, fmt, ap);
    va_end(ap);
    return status;
}

/* ---- recorders ---- */

void prt_states_init(prt_states *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

void prt_states_destroy(prt_states *s) { pthread_mutex_destroy(&s->mu); }

void prt_states_clear(prt_states *s)
{
    pthread_mutex_lock(&s->mu);
    s->n = 0;
    pthread_mutex_unlock(&s->mu);
}

size_t prt_states_len(prt_states *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int prt_states_count(prt_states *s, int state)
{
    pthread_mutex_lock(&s->mu);
    int c = 0;
    for (size_t i = 0; i < s->n; i++)
        c += s->states[i] == state;
    pthread_mutex_unlock(&s->mu);
    return c;
}

bool prt_states_in_order(prt_states *s, const int *seq, size_t n)
{
    pthread_mutex_lock(&s->mu);
    size_t j = 0;
    for (size_t i = 0; i < s->n && j < n; i++)
        if (s->states[i] == seq[j])
            j++;
    pthread_mutex_unlock(&s->mu);
    return j == n;
}

bool prt_states_wait(prt_states *s, int state, int times)
{
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (prt_states_count(s, state) < times) {
        if (prt_now_ms() > end)
            return false;
        usleep(PRT_POLL_US);
    }
    return true;
}

static void record(prt_states *s, int previous, int state, int event, bool resumed, const ably_error *reason)
{
    pthread_mutex_lock(&s->mu);
    if (s->n < PRT_MAX_STATES) {
        size_t i = s->n++;
        s->states[i] = state;
        s->previous[i] = previous;
        s->events[i] = event;
        s->resumed[i] = resumed;
        s->codes[i] = reason ? reason->code : 0;
        s->statuses[i] = reason ? reason->status_code : 0;
        snprintf(s->messages[i], sizeof s->messages[i], "%s", reason && reason->message ? reason->message : "");
    }
    pthread_mutex_unlock(&s->mu);
}

void prt_conn_listener(void *ctx, const ably_connection_state_change *c)
{
    record(ctx, (int)c->previous, (int)c->current, (int)c->event, false, c->reason);
}

void prt_channel_listener(void *ctx, const ably_channel_state_change *c)
{
    record(ctx, (int)c->previous, (int)c->current, (int)c->event, c->resumed, c->reason);
}

void prt_result_init(prt_result *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

void prt_result_destroy(prt_result *r) { pthread_mutex_destroy(&r->mu); }

void prt_result_fn(void *ctx, const ably_error *err)
{
    prt_result *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->done++;
    if (err) {
        r->failed = true;
        r->code = err->code;
        r->status = err->status_code;
    }
    pthread_mutex_unlock(&r->mu);
}

void prt_publish_fn(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    prt_result_fn(ctx, err);
}

bool prt_result_wait(prt_result *r)
{
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        int done = r->done;
        pthread_mutex_unlock(&r->mu);
        if (done)
            return true;
        if (prt_now_ms() > end)
            return false;
        usleep(PRT_POLL_US);
    }
}

/* ---- waits ---- */

bool prt_wait_conn(ably_realtime *rt, ably_connection_state want)
{
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (ably_connection_get_state(rt) != want) {
        if (prt_now_ms() > end) {
            fprintf(stderr, "timed out waiting for connection %s (is %s)\n", ably_connection_state_name(want),
                    ably_connection_state_name(ably_connection_get_state(rt)));
            return false;
        }
        usleep(PRT_POLL_US);
    }
    return true;
}

bool prt_wait_channel(ably_realtime_channel *ch, ably_channel_state want)
{
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (ably_realtime_channel_state(ch) != want) {
        if (prt_now_ms() > end) {
            fprintf(stderr, "timed out waiting for channel %s (is %s)\n", ably_channel_state_name(want),
                    ably_channel_state_name(ably_realtime_channel_state(ch)));
            return false;
        }
        usleep(PRT_POLL_US);
    }
    return true;
}

bool prt_attach(ably_realtime_channel *ch)
{
    prt_result r;
    prt_result_init(&r);
    ably_realtime_channel_attach(ch, prt_result_fn, &r);
    bool ok = prt_result_wait(&r) && !r.failed;
    prt_result_destroy(&r);
    return ok;
}

/* ---- the proxy log ---- */

static bool str_field_is(const cJSON *o, const char *name, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

int prt_each_frame(proxy_env *px, bool to_server, int action, const char *channel, bool rule_matched,
                   prt_frame_fn fn, void *ctx)
{
    cJSON *log = proxy_env_log(px);
    if (!log)
        return -1;
    int n = 0, connects = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(log, "events"))
    {
        if (str_field_is(ev, "type", "ws_connect"))
            connects++;
        if (!str_field_is(ev, "type", "ws_frame") ||
            !str_field_is(ev, "direction", to_server ? "client_to_server" : "server_to_client"))
            continue;
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ev, "message");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(msg, "action");
        if (action >= 0 && !(cJSON_IsNumber(a) && a->valueint == action))
            continue;
        if (channel && !str_field_is(msg, "channel", channel))
            continue;
        if (rule_matched && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "ruleMatched")))
            continue;
        if (fn)
            fn(ctx, msg, connects);
        n++;
    }
    cJSON_Delete(log);
    return n;
}

int prt_count_frames(proxy_env *px, bool to_server, int action, const char *channel, bool rule_matched)
{
    return prt_each_frame(px, to_server, action, channel, rule_matched, NULL, NULL);
}

char *prt_connect_param(proxy_env *px, int index, const char *param)
{
    cJSON *log = proxy_env_log(px);
    if (!log)
        return NULL;
    const cJSON *connects[256];
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(log, "events"))
    {
        if (str_field_is(ev, "type", "ws_connect") && n < 256)
            connects[n++] = ev;
    }
    int i = index < 0 ? n + index : index;
    char *out = NULL;
    if (i >= 0 && i < n) {
        const cJSON *v =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(connects[i], "queryParams"), param);
        if (cJSON_IsString(v))
            out = strdup(v->valuestring);
    }
    cJSON_Delete(log);
    return out;
}
