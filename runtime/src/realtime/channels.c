/* The realtime channels collection (RTS), the engine hooks that route channel frames,
 * connection state changes and timers to channels, and the public channel calls that
 * post commands to the loop. The per-channel state machine is channel.c. */
#include <stdlib.h>
#include <string.h>

#include "ably/gen/defaults.h"
#include "ably/gen/errors.h"
#include "codec/internal.h"
#include "realtime/channels_internal.h"
#include "rest/rest_internal.h"

ably_rt_channels *ably_rt_channels_of(ably_realtime *rt) { return rt->hooks.ctx; }

int64_t ably_ch_request_timeout(ably_realtime_channel *ch)
{
    int64_t v = ably_rest_options(ch->rt->rest)->realtime_request_timeout_ms;
    return v > 0 ? v : ABLY_DEFAULT_REALTIME_REQUEST_TIMEOUT_MS;
}

static double rng_unit(ably_rt_channels *chs) /* xorshift64*: jitter needs no crypto */
{
    uint64_t x = chs->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    chs->rng = x;
    return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* RTL13b with RTB1: channelRetryTimeout * min((n+2)/3, 2) * jitter in [0.8, 1). */
int64_t ably_ch_retry_delay(ably_realtime_channel *ch)
{
    int64_t initial = ably_rest_options(ch->rt->rest)->channel_retry_timeout_ms;
    if (initial <= 0)
        initial = ABLY_DEFAULT_CHANNEL_RETRY_TIMEOUT_MS;
    double coeff = (double)(++ch->retry_count + 2) / 3.0;
    if (coeff > ABLY_DEFAULT_BACKOFF_COEFFICIENT_MAX)
        coeff = ABLY_DEFAULT_BACKOFF_COEFFICIENT_MAX;
    double jitter = ABLY_DEFAULT_JITTER_COEFFICIENT_MIN +
                    rng_unit(ch->chs) * (ABLY_DEFAULT_JITTER_COEFFICIENT_MAX - ABLY_DEFAULT_JITTER_COEFFICIENT_MIN);
    return (int64_t)((double)initial * coeff * jitter);
}

int ably_ch_send(ably_realtime_channel *ch, ably_protocol_message *pm)
{
    pm->channel = ch->name; /* borrowed for the send */
    int rc = ably_rt_send(ch->rt, pm);
    pm->channel = NULL;
    return rc;
}

/* ---- lookup ---- */

static ably_realtime_channel *find_locked(ably_rt_channels *chs, const char *name, size_t *index)
{
    for (size_t i = 0; i < chs->count; i++)
        if (strcmp(chs->items[i]->name, name) == 0) {
            if (index)
                *index = i;
            return chs->items[i];
        }
    return NULL;
}

/* A snapshot of the channel list for iterating on the loop without the lock. Channels
 * are freed only on the loop thread, so the pointers stay valid meanwhile. */
static ably_realtime_channel **snapshot(ably_rt_channels *chs, size_t *n)
{
    pthread_mutex_lock(&chs->mu);
    *n = chs->count;
    ably_realtime_channel **copy = *n ? malloc(*n * sizeof *copy) : NULL;
    if (copy)
        memcpy(copy, chs->items, *n * sizeof *copy);
    else
        *n = 0;
    pthread_mutex_unlock(&chs->mu);
    return copy;
}

/* ---- engine hooks (loop thread) ---- */

static void hook_channel_message(void *ctx, ably_realtime *rt, ably_protocol_message *pm)
{
    (void)rt;
    ably_rt_channels *chs = ctx;
    if (!pm->channel)
        return;
    pthread_mutex_lock(&chs->mu);
    ably_realtime_channel *ch = find_locked(chs, pm->channel, NULL);
    pthread_mutex_unlock(&chs->mu);
    if (ch)
        ably_ch_on_frame(ch, pm); /* frames for unknown (released) channels are dropped */
}

static void hook_connection_state(void *ctx, ably_realtime *rt, const ably_connection_state_change *change)
{
    (void)rt;
    size_t n;
    ably_realtime_channel **list = snapshot(ctx, &n);
    for (size_t i = 0; i < n; i++)
        ably_ch_on_connection(list[i], change);
    free(list);
}

static void hook_append_serials(void *ctx, ably_buf *out)
{
    ably_rt_channels *chs = ctx;
    bool first = true;
    pthread_mutex_lock(&chs->mu);
    for (size_t i = 0; i < chs->count; i++) {
        ably_realtime_channel *ch = chs->items[i];
        if (!ch->pub_channel_serial)
            continue;
        ably_buf_append_str(out, first ? "" : ",");
        first = false;
        /* names and serials: JSON strings (escaping only what can occur in them) */
        ably_buf_append_str(out, "\"");
        for (const char *p = ch->name; *p; p++) {
            if (*p == '"' || *p == '\\')
                ably_buf_append_str(out, "\\");
            ably_buf_append(out, p, 1);
        }
        ably_buf_append_str(out, "\":\"");
        ably_buf_append_str(out, ch->pub_channel_serial);
        ably_buf_append_str(out, "\"");
    }
    pthread_mutex_unlock(&chs->mu);
}

static int64_t min_nz(int64_t a, int64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

static int64_t hook_next_deadline(void *ctx)
{
    ably_rt_channels *chs = ctx;
    int64_t d = 0;
    pthread_mutex_lock(&chs->mu); /* loop thread: the list only changes under mu */
    for (size_t i = 0; i < chs->count; i++)
        d = min_nz(d, ably_ch_next_deadline(chs->items[i]));
    pthread_mutex_unlock(&chs->mu);
    return d;
}

static void hook_fire_timers(void *ctx, ably_realtime *rt, int64_t now)
{
    (void)rt;
    size_t n;
    ably_realtime_channel **list = snapshot(ctx, &n);
    for (size_t i = 0; i < n; i++)
        ably_ch_fire_timers(list[i], now);
    free(list);
}

typedef struct ably_rt_publish_req ably_rt_publish_req;
void ably_rt_publish_reqs_free(ably_rt_channels *chs); /* channel.c */

static void hook_destroy(void *ctx)
{
    ably_rt_channels *chs = ctx;
    for (size_t i = 0; i < chs->count; i++)
        ably_ch_free(chs->items[i]);
    free(chs->items);
    ably_rt_publish_reqs_free(chs);
    pthread_mutex_destroy(&chs->mu);
    free(chs);
}

/* RTN16j: every channel named in the recovery key exists from the start, with its
 * channelSerial (RTL15b), left INITIALIZED for the application to attach (RTN16i).
 * Runs at create time, before the loop starts, so the fields are written directly. */
static void instantiate_recovered_channels(ably_realtime *rt)
{
    const ably_string_map *serials = &rt->recovered_channel_serials;
    for (size_t i = 0; i < serials->count; i++) {
        ably_realtime_channel *ch = NULL;
        ably_error err;
        ably_error_init(&err);
        const char *serial = serials->items[i].value;
        if (ably_realtime_channels_get(rt, serials->items[i].key, NULL, &ch, &err) != 0 || !serial) {
            ably_log_error_info(rt->log, ABLY_LOG_WARN, "recover: a channel of the recovery key was skipped", &err);
            ably_error_clear(&err);
            continue;
        }
        free(ch->channel_serial);
        free(ch->pub_channel_serial);
        ch->channel_serial = strdup(serial);
        ch->pub_channel_serial = strdup(serial);
    }
}

int ably_rt_channels_install(ably_realtime *rt, ably_error *err)
{
    ably_rt_channels *chs = calloc(1, sizeof *chs);
    if (!chs) {
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        return -1;
    }
    chs->rt = rt;
    chs->rng = (rt->rng ^ 0x9e3779b97f4a7c15ULL) | 1;
    pthread_mutex_init(&chs->mu, NULL);
    rt->hooks = (ably_rt_channel_hooks){
        .on_channel_message = hook_channel_message,
        .on_connection_state = hook_connection_state,
        .append_channel_serials = hook_append_serials,
        .destroy = hook_destroy,
        .next_deadline = hook_next_deadline,
        .fire_timers = hook_fire_timers,
        .ctx = chs,
    };
    instantiate_recovered_channels(rt);
    return 0;
}

/* ---- the collection (any thread) ---- */

static bool same_params(const ably_string_map *a, const ably_string_map *b)
{
    size_t na = a ? a->count : 0, nb = b ? b->count : 0;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        const char *v = ably_string_map_get(b, a->items[i].key);
        const char *w = a->items[i].value;
        if (!v || !w || strcmp(v, w) != 0)
            return false;
    }
    return true;
}

typedef struct {
    ably_realtime_channel *ch;
    ably_realtime_channel_options opts; /* cipher / params point into the copies below */
    ably_cipher_params cipher;
    bool has_cipher;
    ably_string_map params;
    bool has_params;
    ably_channel_result_fn cb;
    void *ctx;
} set_options_cmd;

static void set_options_cmd_free(void *arg)
{
    set_options_cmd *c = arg;
    ably_string_map_clear(&c->params);
    free(c);
}

void ably_ch_set_options(ably_realtime_channel *ch, const ably_realtime_channel_options *o, ably_channel_result_fn cb,
                         void *ctx); /* channel.c */

static void run_set_options(ably_realtime *rt, void *arg)
{
    (void)rt;
    set_options_cmd *c = arg;
    ably_ch_set_options(c->ch, &c->opts, c->cb, c->ctx);
    set_options_cmd_free(c);
}

static int post_set_options(ably_realtime_channel *ch, const ably_realtime_channel_options *o,
                            ably_channel_result_fn cb, void *ctx)
{
    set_options_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->ch = ch;
    c->opts = o ? *o : (ably_realtime_channel_options){0};
    if (o && o->cipher) {
        c->cipher = *o->cipher; /* the key bytes are inline in the params */
        c->opts.cipher = &c->cipher;
    }
    if (o && o->params) {
        for (size_t i = 0; i < o->params->count; i++)
            ably_string_map_set(&c->params, o->params->items[i].key, o->params->items[i].value);
        c->opts.params = &c->params;
    }
    c->cb = cb;
    c->ctx = ctx;
    return ably_rt_post(ch->rt, run_set_options, set_options_cmd_free, c);
}

int ably_realtime_channels_get(ably_realtime *rt, const char *name, const ably_realtime_channel_options *opts,
                               ably_realtime_channel **out, ably_error *err)
{
    *out = NULL;
    if (!name || !*name) {
        ably_error_set(err, ABLY_ERR_INVALID_CHANNEL_NAME, 400, "a channel name must not be empty");
        return -1;
    }
    ably_rt_channels *chs = ably_rt_channels_of(rt);
    pthread_mutex_lock(&chs->mu);
    ably_realtime_channel *ch = find_locked(chs, name, NULL);
    if (ch) {
        /* params / modes are written on the loop under mu too (set_options) */
        bool reattach = opts && (!same_params(opts->params, &ch->params) || opts->modes != ch->req_modes) &&
                        (ch->pub_state == ABLY_CHANNEL_ATTACHED || ch->pub_state == ABLY_CHANNEL_ATTACHING);
        pthread_mutex_unlock(&chs->mu);
        if (reattach) {
            ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400,
                           "these options would reattach the channel: use ably_realtime_channel_set_options (RTS3c1)");
            return -1;
        }
        if (opts && post_set_options(ch, opts, NULL, NULL) != 0) { /* RTS3c */
            ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
            return -1;
        }
        *out = ch;
        return 0;
    }
    pthread_mutex_unlock(&chs->mu);
    ably_realtime_channel *fresh = ably_ch_new(chs, name, opts, err);
    if (!fresh)
        return -1;
    pthread_mutex_lock(&chs->mu);
    ch = find_locked(chs, name, NULL); /* another thread may have won the race */
    if (!ch && chs->count == chs->cap) {
        size_t cap = chs->cap ? chs->cap * 2 : 8;
        ably_realtime_channel **grown = realloc(chs->items, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&chs->mu);
            ably_ch_free(fresh);
            ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
            return -1;
        }
        chs->items = grown;
        chs->cap = cap;
    }
    if (!ch) {
        chs->items[chs->count++] = fresh;
        ch = fresh;
        fresh = NULL;
    }
    pthread_mutex_unlock(&chs->mu);
    if (fresh)
        ably_ch_free(fresh);
    *out = ch;
    return 0;
}

/* ---- derived channels (RTS5) ---- */

/* Splits `name` into an optional "[?params]" qualifier (its "?params" part, kept) and the
 * channel name proper; -1 when the name has another qualifier or nothing after it. */
static int split_qualifier(const char *name, const char **params, size_t *params_len, const char **base)
{
    *params = "";
    *params_len = 0;
    *base = name;
    if (name[0] == '[') {
        const char *close = strchr(name, ']');
        if (!close || name[1] != '?')
            return -1; /* e.g. "[meta]x": a derived option cannot combine with it */
        *params = name + 1;
        *params_len = (size_t)(close - name - 1);
        *base = close + 1;
    }
    return **base ? 0 : -1;
}

/* "[filter=<base64>?k=v&...]base" (RTS5a1, RTS5a2). */
static int derived_name(const char *name, const char *filter, const ably_string_map *params, ably_buf *out)
{
    const char *kept, *base;
    size_t kept_len;
    if (split_qualifier(name, &kept, &kept_len, &base) != 0)
        return -1;
    size_t n = strlen(filter);
    char *b64 = malloc(codec_base64_len(n) + 1);
    if (!b64)
        return -2;
    codec_base64_encode((const unsigned char *)filter, n, b64);
    b64[codec_base64_len(n)] = '\0';
    int rc = ably_buf_append_str(out, "[filter=") | ably_buf_append_str(out, b64) | ably_buf_append(out, kept, kept_len);
    free(b64);
    for (size_t i = 0; params && i < params->count; i++) {
        rc |= ably_buf_append_str(out, i == 0 && kept_len == 0 ? "?" : "&");
        rc |= ably_url_encode_append(out, params->items[i].key) | ably_buf_append_str(out, "=");
        rc |= ably_url_encode_append(out, params->items[i].value ? params->items[i].value : "");
    }
    rc |= ably_buf_append_str(out, "]") | ably_buf_append_str(out, base);
    return rc ? -2 : 0;
}

int ably_realtime_channels_get_derived(ably_realtime *rt, const char *name, const ably_derive_options *derive,
                                       const ably_realtime_channel_options *opts, ably_realtime_channel **out,
                                       ably_error *err)
{
    *out = NULL;
    if (!name || !*name || !derive || !derive->filter) {
        ably_error_set(err, ABLY_ERR_INVALID_CHANNEL_NAME, 400, "getDerived needs a channel name and a filter");
        return -1;
    }
    ably_buf full;
    ably_buf_init(&full);
    int rc = derived_name(name, derive->filter, opts ? opts->params : NULL, &full);
    if (rc == -1)
        ably_error_set(err, ABLY_ERR_INVALID_CHANNEL_NAME, 400,
                       "cannot derive a channel from \"%s\": it has a qualifier other than [?params]", name);
    else if (rc != 0)
        ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    else
        rc = ably_realtime_channels_get(rt, full.data, opts, out, err);
    ably_buf_free(&full);
    return rc;
}

bool ably_realtime_channels_exists(ably_realtime *rt, const char *name)
{
    ably_rt_channels *chs = ably_rt_channels_of(rt);
    pthread_mutex_lock(&chs->mu);
    bool found = name && find_locked(chs, name, NULL) != NULL;
    pthread_mutex_unlock(&chs->mu);
    return found;
}

static void drop_released(void *arg) { ably_ch_free(arg); }

static void run_release(ably_realtime *rt, void *arg)
{
    (void)rt;
    ably_ch_release(arg);
}

void ably_realtime_channels_release(ably_realtime *rt, const char *name)
{
    ably_rt_channels *chs = ably_rt_channels_of(rt);
    size_t i;
    pthread_mutex_lock(&chs->mu);
    ably_realtime_channel *ch = name ? find_locked(chs, name, &i) : NULL;
    if (ch) {
        memmove(&chs->items[i], &chs->items[i + 1], (chs->count - i - 1) * sizeof *chs->items);
        chs->count--;
    }
    pthread_mutex_unlock(&chs->mu);
    if (ch) /* on out of memory (or destroy first) the drop function frees it without the detach */
        ably_rt_post(rt, run_release, drop_released, ch);
}

size_t ably_realtime_channels_foreach(ably_realtime *rt, ably_realtime_channel_visitor fn, void *ctx)
{
    ably_rt_channels *chs = ably_rt_channels_of(rt);
    pthread_mutex_lock(&chs->mu);
    size_t n = chs->count;
    for (size_t i = 0; fn && i < n; i++)
        fn(ctx, chs->items[i]);
    pthread_mutex_unlock(&chs->mu);
    return n;
}

/* ---- public channel calls (any thread): post to the loop ---- */

typedef struct {
    ably_realtime_channel *ch;
    ably_channel_result_fn cb;
    void *ctx;
} op_cmd;

void ably_ch_detach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx); /* channel.c */

static void run_attach(ably_realtime *rt, void *arg)
{
    (void)rt;
    op_cmd *c = arg;
    ably_ch_attach(c->ch, c->cb, c->ctx);
    free(c);
}

static void run_detach(ably_realtime *rt, void *arg)
{
    (void)rt;
    op_cmd *c = arg;
    ably_ch_detach(c->ch, c->cb, c->ctx);
    free(c);
}

static void post_op(ably_realtime_channel *ch, void (*run)(ably_realtime *, void *), ably_channel_result_fn cb,
                    void *ctx)
{
    op_cmd *c = malloc(sizeof *c);
    if (!c) {
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        if (cb)
            cb(ctx, &e);
        ably_error_clear(&e);
        return;
    }
    *c = (op_cmd){ch, cb, ctx};
    ably_rt_post(ch->rt, run, free, c);
}

void ably_realtime_channel_attach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    post_op(ch, run_attach, cb, ctx);
}

void ably_realtime_channel_detach(ably_realtime_channel *ch, ably_channel_result_fn cb, void *ctx)
{
    post_op(ch, run_detach, cb, ctx);
}

void ably_realtime_channel_set_options(ably_realtime_channel *ch, const ably_realtime_channel_options *opts,
                                       ably_channel_result_fn cb, void *ctx)
{
    if (post_set_options(ch, opts, cb, ctx) != 0 && cb) {
        ably_error e;
        ably_ch_make_error(&e, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
        cb(ctx, &e);
        ably_error_clear(&e);
    }
}

/* ---- options (TB3, RTS3b, RTL16) ---- */

int ably_realtime_channel_options_with_cipher_key(const char *key_base64, ably_cipher_params *cipher,
                                                  ably_realtime_channel_options *out, ably_error *err)
{
    *out = (ably_realtime_channel_options){0};
    ably_cipher_param_options po = {.key_base64 = key_base64};
    if (!key_base64 || ably_crypto_get_default_params(&po, cipher, err) != 0) {
        if (!key_base64)
            ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "withCipherKey needs a key");
        return -1;
    }
    out->cipher = cipher;
    return 0;
}

void ably_realtime_channel_options_copy_clear(ably_realtime_channel_options_copy *c)
{
    ably_string_map_clear(&c->params);
    *c = (ably_realtime_channel_options_copy){0};
}

int ably_realtime_channel_get_options(ably_realtime_channel *ch, ably_realtime_channel_options_copy *out)
{
    *out = (ably_realtime_channel_options_copy){0};
    int rc = 0;
    pthread_mutex_lock(&ch->chs->mu); /* the loop writes these under mu (channel.c) */
    const ably_cipher_params *cp = ch->cipher ? ably_cipher_get_params(ch->cipher) : NULL;
    if (cp) {
        out->has_cipher = true;
        out->cipher = *cp;
    }
    for (size_t i = 0; rc == 0 && i < ch->params.count; i++)
        rc = ably_string_map_set(&out->params, ch->params.items[i].key, ch->params.items[i].value);
    out->modes = ch->req_modes;
    out->attach_on_subscribe = ch->attach_on_subscribe;
    pthread_mutex_unlock(&ch->chs->mu);
    if (rc != 0)
        ably_realtime_channel_options_copy_clear(out);
    return rc ? -1 : 0;
}

/* ---- getters (any thread) ---- */

const char *ably_realtime_channel_name(const ably_realtime_channel *ch) { return ch->name; }

ably_channel_state ably_realtime_channel_state(ably_realtime_channel *ch)
{
    pthread_mutex_lock(&ch->chs->mu);
    ably_channel_state s = ch->pub_state;
    pthread_mutex_unlock(&ch->chs->mu);
    return s;
}

int ably_realtime_channel_error_reason(ably_realtime_channel *ch, ably_error *out)
{
    pthread_mutex_lock(&ch->chs->mu);
    int rc = ch->pub_has_error && ably_error_copy(out, &ch->pub_error, NULL) == 0 ? 1 : 0;
    pthread_mutex_unlock(&ch->chs->mu);
    return rc;
}

uint32_t ably_realtime_channel_modes(ably_realtime_channel *ch)
{
    pthread_mutex_lock(&ch->chs->mu);
    uint32_t m = ch->pub_modes;
    pthread_mutex_unlock(&ch->chs->mu);
    return m;
}

static char *dup_locked(ably_realtime_channel *ch, const char *const *field)
{
    pthread_mutex_lock(&ch->chs->mu);
    char *out = *field ? strdup(*field) : NULL;
    pthread_mutex_unlock(&ch->chs->mu);
    return out;
}

char *ably_realtime_channel_attach_serial(ably_realtime_channel *ch)
{
    return dup_locked(ch, (const char *const *)&ch->pub_attach_serial);
}

char *ably_realtime_channel_serial(ably_realtime_channel *ch)
{
    return dup_locked(ch, (const char *const *)&ch->pub_channel_serial);
}

char *ably_realtime_channel_param(ably_realtime_channel *ch, const char *key)
{
    pthread_mutex_lock(&ch->chs->mu);
    const char *v = key ? ably_string_map_get(&ch->pub_params, key) : NULL;
    char *out = v ? strdup(v) : NULL;
    pthread_mutex_unlock(&ch->chs->mu);
    return out;
}

/* ---- state listeners ---- */

uint64_t ably_realtime_channel_on(ably_realtime_channel *ch, ably_channel_event event, ably_channel_listener fn,
                                  void *ctx)
{
    return ably_emitter_add(&ch->state_em, (int)event, (ably_generic_fn)fn, ctx, false);
}

uint64_t ably_realtime_channel_once(ably_realtime_channel *ch, ably_channel_event event, ably_channel_listener fn,
                                    void *ctx)
{
    return ably_emitter_add(&ch->state_em, (int)event, (ably_generic_fn)fn, ctx, true);
}

void ably_realtime_channel_off(ably_realtime_channel *ch, uint64_t id) { ably_emitter_remove(&ch->state_em, id); }

typedef struct {
    ably_realtime_channel *ch;
    uint64_t id;
    ably_channel_state state;
    ably_channel_listener fn;
    void *ctx;
} when_state_cmd;

static void run_when_state(ably_realtime *rt, void *arg)
{
    (void)rt;
    when_state_cmd *c = arg;
    /* RTL25a; unless the once listener fired meanwhile (the state was entered between
     * the call and now): then fn has had its one call. */
    if (c->ch->state == c->state && ably_emitter_remove(&c->ch->state_em, c->id))
        c->fn(c->ctx, NULL);
    free(c);
}

uint64_t ably_realtime_channel_when_state(ably_realtime_channel *ch, ably_channel_state state,
                                          ably_channel_listener fn, void *ctx)
{
    when_state_cmd *c = fn ? malloc(sizeof *c) : NULL;
    if (!c)
        return 0;
    /* once(state) now (RTL25b), so no entry into the state can be missed; the loop then
     * checks whether the channel is already there. */
    *c = (when_state_cmd){ch, ably_emitter_add(&ch->state_em, (int)state, (ably_generic_fn)fn, ctx, true), state,
                          fn, ctx};
    uint64_t id = c->id;
    if (!id) {
        free(c);
        return 0;
    }
    if (ably_rt_post(ch->rt, run_when_state, free, c) != 0) { /* c is freed */
        ably_emitter_remove(&ch->state_em, id);
        return 0;
    }
    return id;
}

void ably_realtime_channel_off_event(ably_realtime_channel *ch, ably_channel_event event)
{
    ably_emitter_remove_event(&ch->state_em, (int)event);
}
