/* The payload pipeline: RSL4 / RSL5 on the way out, RSL6 on the way in.
 * See ably/payload.h for the contract. */
#include "ably/payload.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_internal.h"
#include "payload/payload_internal.h"
#include "ably/vcdiff.h"

#define ERR_BAD_PAYLOAD 40013 /* invalid_data_or_encoding */
#define ERR_NO_PLUGIN 40019   /* missing_plugin */
#define ERR_INTERNAL 50000

/* ---- outbound ---------------------------------------------------------------- */

/* Appends "/step" (or "step" when empty) to the fixed buffer of new steps. */
static void add_step(char *steps, size_t *len, const char *step)
{
    size_t n = strlen(step);
    if (*len)
        steps[(*len)++] = '/';
    memcpy(steps + *len, step, n);
    *len += n;
    steps[*len] = '\0';
}

/* A malloc'd "<old>/<steps>" (or just steps when there is no old encoding). */
static char *joined_encoding(const char *old, const char *steps, size_t steps_len)
{
    size_t old_len = old ? strlen(old) : 0;
    char *out = malloc(old_len + 1 + steps_len + 1);
    if (!out)
        return NULL;
    char *p = out;
    if (old_len) {
        memcpy(p, old, old_len);
        p += old_len;
        *p++ = '/';
    }
    memcpy(p, steps, steps_len + 1);
    return out;
}

/* Replaces data's plaintext with IV + ciphertext, growing the buffer once and
 * encrypting in place behind the IV. */
static int encrypt_data(ably_data *data, ably_cipher *cipher, ably_error *err)
{
    size_t plain_len = data->len;
    size_t total = ably_cipher_encrypted_length(plain_len);
    char *bytes = realloc(data->bytes, total + 1);
    if (!bytes)
        return ably_error_set(err, ERR_INTERNAL, 500, "out of memory encrypting payload"), -1;
    data->bytes = bytes;
    memmove(bytes + ABLY_CRYPTO_IV_LENGTH, bytes, plain_len);
    size_t n = 0;
    if (ably_cipher_encrypt(cipher, (uint8_t *)bytes + ABLY_CRYPTO_IV_LENGTH, plain_len, (uint8_t *)bytes,
                            &n, err) != 0)
        return -1;
    bytes[n] = '\0';
    data->len = n;
    data->type = ABLY_DATA_BINARY;
    return 0;
}

int ably_payload_encode(ably_data *data, char **encoding, ably_cipher *cipher, ably_format format,
                        ably_error *err)
{
    (void)format; /* the codec owns the transport step (base64 for JSON) */
    switch (data->type) {
    case ABLY_DATA_NONE:
        return 0;
    case ABLY_DATA_STRING:
    case ABLY_DATA_BINARY:
        break;
    case ABLY_DATA_JSON:
        if (!ably_payload__json_valid(data->bytes, data->len, ABLY_CODEC_MAX_DEPTH))
            return ably_error_set(err, ERR_BAD_PAYLOAD, 400, "message data is not valid JSON"), -1;
        break;
    default:
        return ably_error_set(err, ERR_BAD_PAYLOAD, 400,
                              "unsupported message data type %d: use string, binary or JSON",
                              (int)data->type), -1;
    }

    char steps[64];
    size_t steps_len = 0;
    steps[0] = '\0';
    if (data->type == ABLY_DATA_JSON)
        add_step(steps, &steps_len, "json");
    if (cipher) {
        if (data->type != ABLY_DATA_BINARY)
            add_step(steps, &steps_len, "utf-8");
        add_step(steps, &steps_len, ably_cipher_encoding(cipher));
    }
    if (steps_len == 0)
        return 0; /* plain string or binary: nothing to record */

    /* Build the new encoding first: once the data is encrypted, failing to
     * record that would leave a payload nobody could decode. */
    char *joined = joined_encoding(*encoding, steps, steps_len);
    if (!joined)
        return ably_error_set(err, ERR_INTERNAL, 500, "out of memory encoding payload"), -1;
    if (cipher) {
        if (encrypt_data(data, cipher, err) != 0) {
            free(joined);
            return -1;
        }
    } else {
        data->type = ABLY_DATA_STRING; /* JSON goes as its text (RSL4c3, RSL4d3) */
    }
    free(*encoding);
    *encoding = joined;
    return 0;
}

/* ---- inbound ------------------------------------------------------------------ */

static bool step_is(const char *step, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len == n && memcmp(step, name, n) == 0;
}

static int step_error(ably_error *err, int code, const char *step, size_t len, const char *why)
{
    ably_error_set(err, code, 400, "could not decode the \"%.*s\" encoding of a message payload: %s",
                   (int)len, step, why);
    return -1;
}

static int undo_base64(ably_data *data, const char *step, size_t step_len, ably_error *err)
{
    if (data->type != ABLY_DATA_STRING && data->type != ABLY_DATA_BINARY)
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the data is not text");
    size_t n = 0;
    if (!ably_b64__decode_in_place(data->bytes, data->len, &n))
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the data is not valid base64");
    data->bytes[n] = '\0';
    data->len = n;
    data->type = ABLY_DATA_BINARY;
    return 0;
}

static int undo_utf8(ably_data *data, const char *step, size_t step_len, ably_error *err)
{
    if (data->type == ABLY_DATA_STRING || data->type == ABLY_DATA_JSON)
        return 0; /* already text (a transport may have delivered it as a string) */
    if (data->type != ABLY_DATA_BINARY || !ably_payload__utf8_valid(data->bytes, data->len))
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the data is not valid UTF-8");
    data->type = ABLY_DATA_STRING;
    return 0;
}

static int undo_json(ably_data *data, const char *step, size_t step_len, ably_error *err)
{
    if (data->type == ABLY_DATA_JSON)
        return 0;
    if (data->type != ABLY_DATA_STRING && data->type != ABLY_DATA_BINARY)
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the data is not text");
    /* BINARY here is UTF-8 text from an earlier base64 step; the validator
     * checks the UTF-8 of its strings, and JSON outside strings is ASCII. */
    if (!ably_payload__json_valid(data->bytes, data->len, ABLY_CODEC_MAX_DEPTH))
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the data is not valid JSON");
    data->type = ABLY_DATA_JSON;
    return 0;
}

static int undo_cipher(ably_data *data, const char *step, size_t step_len, ably_cipher *cipher,
                       ably_error *err)
{
    if (!cipher)
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len,
                          "the payload is encrypted but no cipher is configured for the channel");
    if (!step_is(step, step_len, ably_cipher_encoding(cipher))) {
        ably_error_set(err, ERR_BAD_PAYLOAD, 400,
                       "could not decode the \"%.*s\" encoding of a message payload: the channel "
                       "cipher is %s", (int)step_len, step, ably_cipher_encoding(cipher) + 7);
        return -1;
    }
    if (data->type != ABLY_DATA_BINARY)
        return step_error(err, ERR_BAD_PAYLOAD, step, step_len, "the encrypted data is not binary");
    size_t n = 0;
    ably_error why;
    memset(&why, 0, sizeof why);
    if (ably_cipher_decrypt(cipher, (uint8_t *)data->bytes, data->len, &n, &why) != 0) {
        step_error(err, (int)why.code, step, step_len, why.message ? why.message : "decryption failed");
        ably_error_clear(&why);
        return -1;
    }
    data->bytes[n] = '\0';
    data->len = n;
    return 0;
}

/* ---- vcdiff (RTL19, PC3) ---- */

#define ERR_DELTA 40018 /* vcdiff decode failure (RTL18a) */

void ably_payload__delta_clear(ably_payload_delta *d)
{
    free(d->base);
    d->base = NULL;
    d->base_len = d->base_cap = 0;
    d->has_base = false;
}

/* Copies the data into the base buffer, reusing it when big enough. */
static int store_base(ably_payload_delta *d, const ably_data *data, ably_error *err)
{
    size_t n = data->type == ABLY_DATA_NONE ? 0 : data->len;
    if (n > d->base_cap || !d->base) {
        unsigned char *b = realloc(d->base, n + 1);
        if (!b) {
            d->has_base = false;
            return ably_error_set(err, ERR_INTERNAL, 500, "out of memory storing a delta base"), -1;
        }
        d->base = b;
        d->base_cap = n;
    }
    if (n)
        memcpy(d->base, data->bytes, n);
    d->base_len = n;
    d->has_base = true;
    return 0;
}

static int undo_vcdiff(ably_data *data, const char *step, size_t step_len, ably_payload_delta *d, ably_error *err)
{
    if (!d || !d->decoder)
        return step_error(err, ERR_NO_PLUGIN, step, step_len, "no vcdiff decoder plugin is configured (PC3)");
    if (!d->has_base)
        return step_error(err, ERR_DELTA, step, step_len, "no base payload to apply the delta to");
    if (data->type != ABLY_DATA_STRING && data->type != ABLY_DATA_BINARY)
        return step_error(err, ERR_DELTA, step, step_len, "the delta is not binary");
    uint8_t *out = NULL;
    size_t out_len = 0;
    ably_error why;
    ably_error_init(&why);
    if (d->decoder->decode(d->decoder->ctx, (const uint8_t *)data->bytes, data->len, d->base, d->base_len, &out,
                           &out_len, &why) != 0 || !out) {
        step_error(err, ERR_DELTA, step, step_len, why.message ? why.message : "the delta did not apply");
        ably_error_clear(&why);
        free(out);
        return -1;
    }
    ably_error_clear(&why);
    free(data->bytes);
    data->bytes = (char *)out;
    data->len = out_len;
    data->type = ABLY_DATA_BINARY;
    ably_data base_view = *data;
    return store_base(d, &base_view, err); /* RTL19c: the direct result is the new base */
}

static int undo_step(ably_data *data, const char *step, size_t len, ably_cipher *cipher, ably_payload_delta *d,
                     ably_error *err)
{
    if (step_is(step, len, "vcdiff"))
        return undo_vcdiff(data, step, len, d, err);

    if (step_is(step, len, "base64"))
        return undo_base64(data, step, len, err);
    if (step_is(step, len, "utf-8"))
        return undo_utf8(data, step, len, err);
    if (step_is(step, len, "json"))
        return undo_json(data, step, len, err);
    if (len > 7 && memcmp(step, "cipher+", 7) == 0)
        return undo_cipher(data, step, len, cipher, err);
    return step_error(err, ERR_BAD_PAYLOAD, step, len, "unknown encoding");
}

/* Whether enc has a step named `name`. */
static bool has_step(const char *enc, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = enc; (p = strstr(p, name)) != NULL; p += n)
        if ((p == enc || p[-1] == '/') && (p[n] == '\0' || p[n] == '/'))
            return true;
    return false;
}

/* Whether the last (outermost) step of enc[0..len) is `name`. */
static bool last_step_is(const char *enc, size_t len, const char *name)
{
    size_t start = len;
    while (start > 0 && enc[start - 1] != '/')
        start--;
    return step_is(enc + start, len - start, name);
}

int ably_payload__decode_delta(ably_data *data, char **encoding, ably_cipher *cipher, ably_payload_delta *d,
                               ably_error *err)
{
    char *enc = *encoding;
    size_t end = enc ? strlen(enc) : 0; /* enc[0..end) are the steps still applied */
    /* RTL19b: a base stored as received, unless an outermost base64 (RTL19a)
     * or vcdiff (RTL19c) step stores it on the way. */
    bool has_vcdiff = d && enc && has_step(enc, "vcdiff");
    bool base_later = end && (has_vcdiff || last_step_is(enc, end, "base64"));
    if (d && d->track && !base_later && store_base(d, data, err) != 0)
        return -1;
    if (!enc)
        return 0;
    if (data->type == ABLY_DATA_NONE)
        return 0; /* nothing to decode; keep the encoding as received */

    int rc = 0;
    bool outermost = true;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && enc[start - 1] != '/')
            start--;
        if (undo_step(data, enc + start, end - start, cipher, d, err) != 0) {
            rc = -1;
            break;
        }
        if (outermost && d && d->track && !has_vcdiff && step_is(enc + start, end - start, "base64") &&
            store_base(d, data, err) != 0) { /* RTL19a */
            rc = -1;
            end = start > 0 ? start - 1 : 0;
            break;
        }
        outermost = false;
        end = start > 0 ? start - 1 : 0;
    }
    if (end == 0 && rc == 0) {
        free(enc);
        *encoding = NULL;
    } else {
        enc[end] = '\0'; /* RSL6b: the residual steps stay for the application */
    }
    return rc;
}

int ably_payload_decode(ably_data *data, char **encoding, ably_cipher *cipher, ably_error *err)
{
    return ably_payload__decode_delta(data, encoding, cipher, NULL, err);
}

/* ---- fromEncoded (TM3, TP4) ------------------------------------------------------ */

int ably_message_from_encoded(ably_message *m, ably_cipher *cipher, ably_error *err)
{
    return ably_payload_decode(&m->data, &m->encoding, cipher, err);
}

int ably_presence_message_from_encoded(ably_presence_message *m, ably_cipher *cipher, ably_error *err)
{
    return ably_payload_decode(&m->data, &m->encoding, cipher, err);
}

int ably_annotation_from_encoded(ably_annotation *a, ably_cipher *cipher, ably_error *err)
{
    return ably_payload_decode(&a->data, &a->encoding, cipher, err);
}

/* Decodes each item; the first error goes to err, later ones are dropped. */
#define DECODE_ALL(items, count, cipher, err)                                         \
    do {                                                                              \
        int rc_ = 0;                                                                  \
        for (size_t i_ = 0; i_ < (count); i_++) {                                     \
            ably_error one_;                                                          \
            memset(&one_, 0, sizeof one_);                                            \
            if (ably_payload_decode(&(items)[i_].data, &(items)[i_].encoding, (cipher), \
                                    rc_ == 0 ? (err) : &one_) != 0)                   \
                rc_ = -1;                                                             \
            ably_error_clear(&one_);                                                  \
        }                                                                             \
        return rc_;                                                                   \
    } while (0)

int ably_messages_from_encoded(ably_message *items, size_t count, ably_cipher *cipher, ably_error *err)
{
    DECODE_ALL(items, count, cipher, err);
}

int ably_presence_messages_from_encoded(ably_presence_message *items, size_t count, ably_cipher *cipher,
                                        ably_error *err)
{
    DECODE_ALL(items, count, cipher, err);
}

int ably_annotations_from_encoded(ably_annotation *items, size_t count, ably_cipher *cipher, ably_error *err)
{
    DECODE_ALL(items, count, cipher, err);
}

/* ---- size (TM6, TP5) -------------------------------------------------------------- */

static size_t str_size(const char *s) { return s ? strlen(s) : 0; }

static size_t data_size(const ably_data *d)
{
    return d->type == ABLY_DATA_NONE ? 0 : d->len;
}

size_t ably_message_size(const ably_message *m)
{
    return str_size(m->name) + data_size(&m->data) + str_size(m->client_id) + str_size(m->extras);
}

size_t ably_presence_message_size(const ably_presence_message *m)
{
    return data_size(&m->data) + str_size(m->client_id) + str_size(m->extras);
}
