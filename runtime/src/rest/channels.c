/* The REST channels collection (RSN) and the channel object: name (RSL9),
 * options (RSL7, TB2), status (RSL8), presence / annotations attributes, and the
 * helpers the other channel modules share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/errors.h"
#include "codec/internal.h"
#include "rest/channel_internal.h"

/* A chained hash table keyed by channel name, guarded by one mutex. */
struct ably_rest_channels {
    pthread_mutex_t lock;
    ably_rest_channel **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
};

/* Creating the collection of any client is rare (once per client): one global
 * lock for it keeps ably_rest_create untouched. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

int ably_oom(ably_error *err)
{
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory");
    return -1;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct ably_rest_channels *collection(ably_rest *rest)
{
    pthread_mutex_lock(&create_lock);
    struct ably_rest_channels *c = rest->channels;
    if (!c && (c = calloc(1, sizeof *c)) != NULL) {
        c->bucket_count = 16;
        if (!(c->buckets = calloc(c->bucket_count, sizeof *c->buckets))) {
            free(c);
            c = NULL;
        } else {
            pthread_mutex_init(&c->lock, NULL);
            rest->channels = c;
        }
    }
    pthread_mutex_unlock(&create_lock);
    return c;
}

/* Looks the collection up without creating it (exists, release). */
static struct ably_rest_channels *existing_collection(ably_rest *rest)
{
    pthread_mutex_lock(&create_lock);
    struct ably_rest_channels *c = rest->channels;
    pthread_mutex_unlock(&create_lock);
    return c;
}

static ably_rest_channel **find_slot(struct ably_rest_channels *c, const char *name)
{
    ably_rest_channel **slot = &c->buckets[hash_name(name) & (c->bucket_count - 1)];
    while (*slot && strcmp((*slot)->name, name) != 0)
        slot = &(*slot)->next;
    return slot;
}

static void grow(struct ably_rest_channels *c)
{
    size_t n = c->bucket_count * 2;
    ably_rest_channel **b = calloc(n, sizeof *b);
    if (!b)
        return; /* keep the longer chains; still correct */
    for (size_t i = 0; i < c->bucket_count; i++) {
        for (ably_rest_channel *ch = c->buckets[i], *next; ch; ch = next) {
            next = ch->next;
            size_t k = hash_name(ch->name) & (n - 1);
            ch->next = b[k];
            b[k] = ch;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->bucket_count = n;
}

static void channel_free(ably_rest_channel *ch)
{
    if (!ch)
        return;
    ably_cipher_free(ch->cipher);
    ably_buf_free(&ch->spare);
    pthread_mutex_destroy(&ch->lock);
    free(ch->name);
    free(ch->path);
    free(ch);
}

void ably_rest_channels_free(struct ably_rest_channels *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->bucket_count; i++)
        for (ably_rest_channel *ch = c->buckets[i], *next; ch; ch = next) {
            next = ch->next;
            channel_free(ch);
        }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static bool valid_name(const char *name)
{
    return name && *name && codec_utf8_valid(name, strlen(name));
}

static ably_rest_channel *channel_new(ably_rest *rest, const char *name)
{
    ably_rest_channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ably_buf path;
    ably_buf_init(&path);
    if (!(ch->name = strdup(name)) || ably_buf_append_str(&path, "/channels/") ||
        ably_url_encode_append(&path, name)) {
        ably_buf_free(&path);
        free(ch->name);
        free(ch);
        return NULL;
    }
    ch->path = ably_buf_detach(&path, &ch->path_len);
    ch->rest = rest;
    ch->presence.channel = ch;
    ch->annotations.channel = ch;
    ably_buf_init(&ch->spare);
    pthread_mutex_init(&ch->lock, NULL);
    return ch;
}

int ably_rest_channels_get(ably_rest *rest, const char *name, const ably_rest_channel_options *opts,
                           ably_rest_channel **out, ably_error *err)
{
    *out = NULL;
    if (!valid_name(name)) {
        ably_error_set(err, ABLY_ERR_INVALID_CHANNEL_NAME, 400, "channel name must be a non-empty UTF-8 string");
        return -1;
    }
    struct ably_rest_channels *c = collection(rest);
    if (!c)
        return ably_oom(err);
    /* Build the cipher before taking the collection lock: it may fail. */
    ably_cipher *cipher = NULL;
    if (opts && opts->cipher && !(cipher = ably_cipher_new(opts->cipher, err)))
        return -1;
    pthread_mutex_lock(&c->lock);
    ably_rest_channel **slot = find_slot(c, name);
    ably_rest_channel *ch = *slot;
    if (!ch) {
        if (!(ch = channel_new(rest, name))) {
            pthread_mutex_unlock(&c->lock);
            ably_cipher_free(cipher);
            return ably_oom(err);
        }
        *slot = ch;
        if (++c->count > c->bucket_count)
            grow(c);
    }
    if (opts) { /* RSN3b, RSN3c */
        pthread_mutex_lock(&ch->lock);
        ably_cipher *old = ch->cipher;
        ch->cipher = cipher;
        pthread_mutex_unlock(&ch->lock);
        ably_cipher_free(old);
    }
    pthread_mutex_unlock(&c->lock);
    *out = ch;
    return 0;
}

bool ably_rest_channels_exists(ably_rest *rest, const char *name)
{
    struct ably_rest_channels *c = existing_collection(rest);
    if (!c || !name)
        return false;
    pthread_mutex_lock(&c->lock);
    bool found = *find_slot(c, name) != NULL;
    pthread_mutex_unlock(&c->lock);
    return found;
}

void ably_rest_channels_release(ably_rest *rest, const char *name)
{
    struct ably_rest_channels *c = existing_collection(rest);
    if (!c || !name)
        return; /* RSN4b */
    pthread_mutex_lock(&c->lock);
    ably_rest_channel **slot = find_slot(c, name);
    ably_rest_channel *ch = *slot;
    if (ch) {
        *slot = ch->next;
        c->count--;
    }
    pthread_mutex_unlock(&c->lock);
    channel_free(ch);
}

size_t ably_rest_channels_foreach(ably_rest *rest, ably_rest_channel_visitor fn, void *ctx)
{
    struct ably_rest_channels *c = existing_collection(rest);
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    size_t n = c->count;
    for (size_t i = 0; fn && i < c->bucket_count; i++)
        for (ably_rest_channel *ch = c->buckets[i]; ch; ch = ch->next)
            fn(ctx, ch);
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* ---- the channel ---- */

const char *ably_rest_channel_name(const ably_rest_channel *ch) { return ch->name; }
ably_rest_presence *ably_rest_channel_presence(ably_rest_channel *ch) { return &ch->presence; }
ably_rest_annotations *ably_rest_channel_annotations(ably_rest_channel *ch) { return &ch->annotations; }

bool ably_rest_channel_is_encrypted(const ably_rest_channel *ch)
{
    pthread_mutex_lock((pthread_mutex_t *)&ch->lock);
    bool on = ch->cipher != NULL;
    pthread_mutex_unlock((pthread_mutex_t *)&ch->lock);
    return on;
}

int ably_rest_channel_set_options(ably_rest_channel *ch, const ably_rest_channel_options *opts, ably_error *err)
{
    ably_cipher *cipher = NULL;
    if (opts && opts->cipher && !(cipher = ably_cipher_new(opts->cipher, err)))
        return -1;
    pthread_mutex_lock(&ch->lock);
    ably_cipher *old = ch->cipher;
    ch->cipher = cipher;
    pthread_mutex_unlock(&ch->lock);
    ably_cipher_free(old);
    return 0;
}

int ably_rest_channel_status(ably_rest_channel *ch, ably_channel_details *out, ably_error *err)
{
    ably_rest_call call = {.method = "GET", .path = ch->path, .authenticated = true};
    ably_rest_reply reply;
    ably_rest_reply_init(&reply);
    int rc = ably_rest_perform(ch->rest, &call, &reply, err);
    if (rc == 0)
        rc = ably_decode(&ably_channel_details_desc, reply.format, reply.body.data ? reply.body.data : "",
                         reply.body.len, out, err);
    ably_rest_reply_clear(&reply);
    return rc;
}

/* ---- shared helpers ---- */

int ably_channel_path(const ably_rest_channel *ch, const char *serial, const char *suffix, ably_buf *out)
{
    ably_buf_reset(out);
    if (ably_buf_append(out, ch->path, ch->path_len))
        return -1;
    if (serial && (ably_buf_append_str(out, "/messages/") || ably_url_encode_append(out, serial)))
        return -1;
    return suffix ? ably_buf_append_str(out, suffix) : 0;
}

void ably_channel_take_buf(ably_rest_channel *ch, ably_buf *out)
{
    pthread_mutex_lock(&ch->lock);
    if (!ch->spare_in_use) {
        ch->spare_in_use = true;
        *out = ch->spare;
        ably_buf_init(&ch->spare);
    } else {
        ably_buf_init(out);
    }
    pthread_mutex_unlock(&ch->lock);
    ably_buf_reset(out);
}

void ably_channel_give_buf(ably_rest_channel *ch, ably_buf *buf)
{
    pthread_mutex_lock(&ch->lock);
    /* Keep the larger of the two, so the next publish need not grow it. */
    if (!ch->spare_in_use || buf->cap > ch->spare.cap) {
        ably_buf_free(&ch->spare);
        ch->spare = *buf;
        ably_buf_init(buf);
    }
    ch->spare_in_use = false;
    pthread_mutex_unlock(&ch->lock);
    ably_buf_free(buf);
}

static int set_int(ably_string_map *m, const char *key, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    return ably_string_map_set(m, key, num);
}

int ably_history_query(const ably_history_params *p, ably_string_map *q, ably_error *err)
{
    if (!p)
        return 0;
    const char *bad = NULL;
    if (p->start < 0 || p->end < 0)
        bad = "start and end must not be negative";
    else if (p->start && p->end && p->start > p->end) /* RSL2b1, RSP4b1 */
        bad = "start must not be after end";
    else if (p->limit < 0 || p->limit > 1000) /* RSL2b3, RSP4b3 */
        bad = "limit must be between 1 and 1000";
    else if (p->direction && strcmp(p->direction, "forwards") && strcmp(p->direction, "backwards"))
        bad = "direction must be forwards or backwards"; /* RSL2b2, RSP4b2 */
    if (bad) {
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "history: %s", bad);
        return -1;
    }
    if ((p->start && set_int(q, "start", p->start)) || (p->end && set_int(q, "end", p->end)) ||
        (p->direction && ably_string_map_set(q, "direction", p->direction)) ||
        (p->limit && set_int(q, "limit", p->limit)))
        return ably_oom(err);
    return 0;
}

void ably_channel_log_decode_failure(ably_rest *rest, const char *channel, const ably_error *e)
{
    char what[256];
    snprintf(what, sizeof what, "could not decode a payload on channel %s; delivered with its encoding", channel);
    ably_log_error_info(&rest->log, ABLY_LOG_ERROR, what, e);
}
