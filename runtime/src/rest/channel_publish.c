/* RestChannel#publish (RSL1): payload encoding (RSL4, RSL5) on shallow copies of
 * the caller's messages, the size limit (RSL1i), idempotent ids (RSL1k) and the
 * publish result (RSL1n). Also the inbound decoding hooks (RSL6, RSP5).
 *
 * Hot path: a plain string or binary message is never copied; only what the
 * payload step changes (a JSON type, an encryption) is allocated. The request
 * body is encoded straight into a buffer the channel keeps for reuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ably/gen/defaults.h"
#include "ably/gen/errors.h"
#include "ably/payload.h"
#include "rest/channel_internal.h"

enum { OWN_DATA = 1, OWN_ENCODING = 2 };

/* Longest id: 12 base characters, ':', up to 20 digits, NUL. */
#define ID_SLOT 40

void ably_random_id_base(char out[13])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[9];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    for (; got < sizeof raw; got++) /* only before the entropy pool is seeded */
        raw[got] = (unsigned char)rand();
    for (int i = 0, o = 0; i < 9; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    out[12] = '\0';
}

int ably_check_message_size(ably_rest *rest, const ably_message *messages, size_t count, ably_error *err)
{
    int64_t max = ably_rest_options(rest)->max_message_size;
    if (max <= 0)
        max = ABLY_DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += ably_message_size(&messages[i]);
    if ((int64_t)total <= max)
        return 0;
    ably_error_set(err, ABLY_ERR_MAX_MESSAGE_SIZE_EXCEEDED, 400,
                   "message size %zu bytes exceeds the maximum of %lld bytes (maxMessageSize)", total,
                   (long long)max);
    return -1;
}

/* Encodes one payload in place on the shallow copy `m`, allocating only what changes. */
static int encode_payload(ably_message *m, unsigned char *owns, ably_cipher *cipher, ably_format format,
                          ably_error *err)
{
    bool plain = m->data.type == ABLY_DATA_NONE || m->data.type == ABLY_DATA_STRING ||
                 m->data.type == ABLY_DATA_BINARY;
    if (plain && (!cipher || m->data.type == ABLY_DATA_NONE))
        return 0; /* sent exactly as given: nothing to copy */
    char *encoding = NULL;
    if (m->encoding && !(encoding = strdup(m->encoding)))
        return ably_oom(err);
    ably_data data = m->data; /* borrowed unless encryption needs its own bytes */
    if (cipher && m->data.type != ABLY_DATA_NONE) {
        data.bytes = malloc(m->data.len + 1);
        if (!data.bytes) {
            free(encoding);
            return ably_oom(err);
        }
        memcpy(data.bytes, m->data.bytes, m->data.len);
        data.bytes[m->data.len] = '\0';
    }
    if (ably_payload_encode(&data, &encoding, cipher, format, err) != 0) {
        if (data.bytes != m->data.bytes)
            free(data.bytes);
        free(encoding);
        return -1;
    }
    if (data.bytes != m->data.bytes)
        *owns |= OWN_DATA;
    m->data = data;
    m->encoding = encoding;
    *owns |= OWN_ENCODING;
    return 0;
}

/* RSL1k1: ids only when every message lacks one (RSL1k2, RSL1k3 keep the given ones). */
static bool needs_ids(const ably_message *messages, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (messages[i].id && messages[i].id[0])
            return false;
    return count > 0;
}

int ably_outbound_prepare(ably_outbound *o, const ably_message *messages, size_t count, ably_cipher *cipher,
                          bool idempotent, ably_format format, ably_error *err)
{
    memset(o, 0, sizeof *o);
    if (count == 1) {
        o->items = &o->one;
        o->owns = &o->one_owns;
    } else if (count > 1) {
        o->items = malloc(count * sizeof *o->items);
        o->owns = calloc(count, 1);
        if (!o->items || !o->owns) {
            free(o->items);
            free(o->owns);
            o->items = NULL;
            o->owns = NULL;
            return ably_oom(err);
        }
    }
    memcpy(o->items, messages, count * sizeof *o->items);
    o->count = count;
    if (idempotent && needs_ids(messages, count)) {
        if (!(o->ids = malloc(count * ID_SLOT)))
            return ably_outbound_clear(o), ably_oom(err);
        char base[13];
        ably_random_id_base(base);
        for (size_t i = 0; i < count; i++) {
            char *id = o->ids + i * ID_SLOT;
            snprintf(id, ID_SLOT, "%s:%zu", base, i);
            o->items[i].id = id;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (encode_payload(&o->items[i], &o->owns[i], cipher, format, err) != 0) {
            ably_outbound_clear(o);
            return -1;
        }
    }
    return 0;
}

void ably_outbound_clear(ably_outbound *o)
{
    for (size_t i = 0; o->owns && i < o->count; i++) {
        if (o->owns[i] & OWN_DATA)
            free(o->items[i].data.bytes);
        if (o->owns[i] & OWN_ENCODING)
            free(o->items[i].encoding);
    }
    if (o->items != &o->one) {
        free(o->items);
        free(o->owns);
    }
    free(o->ids);
    memset(o, 0, sizeof *o);
}

/* The body is always an array (RSL1b), encoded with the channel's cipher held. */
static int encode_body(ably_rest_channel *ch, const ably_message *messages, size_t count, ably_buf *body,
                       ably_error *err)
{
    ably_format format = ably_rest_format(ch->rest);
    bool idempotent = ably_rest_options(ch->rest)->idempotent_rest_publishing;
    ably_outbound o;
    pthread_mutex_lock(&ch->lock);
    int rc = ably_outbound_prepare(&o, messages, count, ch->cipher, idempotent, format, err);
    pthread_mutex_unlock(&ch->lock);
    if (rc == 0)
        rc = ably_encode_array(&ably_message_desc, format, o.items, o.count, body, err);
    ably_outbound_clear(&o);
    return rc;
}

/* RSL1n: the reply carries (a superset of) a PublishResult. A publish that the
 * server accepted is a success even if its reply cannot be read. */
static void read_publish_result(ably_rest_channel *ch, const ably_rest_reply *reply, ably_publish_result *result)
{
    if (!result || !reply->body.len)
        return;
    ably_error e = {0};
    if (ably_decode(&ably_publish_result_desc, reply->format, reply->body.data, reply->body.len, result, &e) != 0)
        ably_log_error_info(&ch->rest->log, ABLY_LOG_WARN, "publish: unreadable PublishResult", &e);
    ably_error_clear(&e);
}

int ably_rest_channel_publish_messages(ably_rest_channel *ch, const ably_message *messages, size_t count,
                                       const ably_string_map *params, ably_publish_result *result,
                                       ably_error *err)
{
    if (count && !messages) {
        ably_error_set(err, ABLY_ERR_INVALID_PARAMETER_VALUE, 400, "publish: messages missing");
        return -1;
    }
    if (ably_check_message_size(ch->rest, messages, count, err) != 0) /* RSL1i: before anything is sent */
        return -1;
    ably_buf body;
    ably_channel_take_buf(ch, &body);
    char path[1024];
    char *long_path = NULL;
    const char *p = path;
    if (ch->path_len + sizeof "/messages" <= sizeof path) {
        memcpy(path, ch->path, ch->path_len);
        memcpy(path + ch->path_len, "/messages", sizeof "/messages");
    } else if (asprintf(&long_path, "%s/messages", ch->path) < 0) {
        ably_channel_give_buf(ch, &body);
        return ably_oom(err);
    } else {
        p = long_path;
    }
    int rc = encode_body(ch, messages, count, &body, err);
    if (rc == 0) {
        /* The same body (and so the same ids) goes to every host the pipeline tries (RSL1k2). */
        ably_rest_call call = {.method = "POST", .path = p, .query = params, .body = body.data,
                               .body_len = body.len, .authenticated = true};
        ably_rest_reply reply;
        ably_rest_reply_init(&reply);
        rc = ably_rest_perform(ch->rest, &call, &reply, err);
        if (rc == 0)
            read_publish_result(ch, &reply, result);
        ably_rest_reply_clear(&reply);
    }
    free(long_path);
    ably_channel_give_buf(ch, &body);
    return rc;
}

int ably_rest_channel_publish(ably_rest_channel *ch, const char *name, const ably_data *data,
                              ably_publish_result *result, ably_error *err)
{
    ably_message m;
    memset(&m, 0, sizeof m);
    m.name = (char *)(uintptr_t)name; /* borrowed: the copy is never cleared */
    if (data)
        m.data = *data;
    return ably_rest_channel_publish_messages(ch, &m, 1, NULL, result, err);
}

/* ---- inbound (RSL6, RSP5) ---- */

/* TM2s: a received message always has a version; one the wire left out (or left
 * without serial / timestamp) takes the message's own serial and timestamp. */
static int default_message_version(ably_message *m)
{
    if (!m->version) {
        if (!(m->version = malloc(sizeof *m->version)))
            return -1;
        ably_message_version_init(m->version);
    }
    if (!m->version->serial && m->serial && !(m->version->serial = strdup(m->serial)))
        return -1; /* TM2s1 */
    if (!m->version->has_timestamp && m->has_timestamp) { /* TM2s2 */
        m->version->timestamp = m->timestamp;
        m->version->has_timestamp = true;
    }
    return 0;
}

int ably_decode_message_items(void *ctx, void *items, size_t count, ably_error *err)
{
    /* RSL6b: a payload that does not decode is still delivered */
    ably_rest_channel *ch = ctx;
    ably_error e = {0};
    pthread_mutex_lock(&ch->lock);
    int rc = ably_messages_from_encoded(items, count, ch->cipher, &e);
    pthread_mutex_unlock(&ch->lock);
    if (rc != 0)
        ably_channel_log_decode_failure(ch->rest, ch->name, &e);
    ably_error_clear(&e);
    ably_message *msgs = items;
    for (size_t i = 0; i < count; i++)
        if (default_message_version(&msgs[i]) != 0) {
            ably_error_set(err, 40000, 500, "out of memory");
            return -1;
        }
    return 0;
}

int ably_decode_presence_items(void *ctx, void *items, size_t count, ably_error *err)
{
    (void)err;
    ably_rest_channel *ch = ctx;
    ably_error e = {0};
    pthread_mutex_lock(&ch->lock);
    int rc = ably_presence_messages_from_encoded(items, count, ch->cipher, &e);
    pthread_mutex_unlock(&ch->lock);
    if (rc != 0)
        ably_channel_log_decode_failure(ch->rest, ch->name, &e);
    ably_error_clear(&e);
    return 0;
}
