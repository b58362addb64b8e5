/* The message payload pipeline (RSL4, RSL5, RSL6, TM3, TP4, TM6, TP5), shared
 * by REST and Realtime, for Message and PresenceMessage alike.
 *
 * An `encoding` is a '/'-separated list of the transforms applied to `data`,
 * first applied leftmost (RSL4b): "json/utf-8/cipher+aes-128-cbc/base64" was
 * JSON text, taken as UTF-8 bytes, encrypted, then base64'd.
 *
 * Division of labour with the codec (ably/codec.h): the codec owns the
 * transport step. Its JSON encoder base64s BINARY data and appends "base64";
 * its decoders leave data exactly as on the wire. So encoding here never adds
 * "base64", while decoding does undo it.
 *
 * Both directions work in place on the caller's ably_data (whose `bytes` must
 * be malloc'd, as value.h requires) and `encoding` (a malloc'd string or
 * NULL): they may realloc or free either, and own nothing afterwards.
 * Decoding never allocates (every step shrinks the data or keeps its size);
 * encoding allocates the new encoding string and, to encrypt, grows `bytes`
 * once with realloc.
 *
 * Thread safety: no shared state; a cipher must not be used by two threads at
 * once (see ably/crypto.h).
 */
#ifndef ABLY_PAYLOAD_H
#define ABLY_PAYLOAD_H

#include <stddef.h>

#include "ably/codec.h"
#include "ably/crypto.h"
#include "ably/error.h"
#include "ably/gen/types.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Outbound (RSL4, RSL5). Prepares `data` for the codec:
 *  - NONE: untouched (RSL4a: an empty payload is allowed);
 *  - STRING: sent as is (RSL4c2, RSL4d2);
 *  - JSON: its text must be valid JSON; becomes STRING with step "json"
 *    (RSL4c3, RSL4d3);
 *  - BINARY: sent as is; msgpack carries bin, the JSON codec base64s it (RSL4c1,
 *    RSL4d1);
 *  - with a cipher (RSL5a): STRING (and JSON text) gain step "utf-8", then the
 *    bytes are encrypted and gain the cipher's step, e.g. "cipher+aes-256-cbc";
 *    data becomes BINARY (IV + ciphertext).
 * New steps are joined with '/' after any encoding already present. `format`
 * is the transport the codec will use; no step here depends on it today (the
 * codec owns base64), but callers pass it so that can change without an API
 * break. Fails with 40013 (status 400) for an unknown data type or invalid JSON
 * text, leaving data and encoding as they were. Returns 0 or -1. */
int ably_payload_encode(ably_data *data, char **encoding, ably_cipher *cipher, ably_format format,
                        ably_error *err);

/* Inbound (RSL6). Undoes the steps of *encoding from the last one backwards:
 *  - "base64": text to BINARY;
 *  - "utf-8": BINARY must be valid UTF-8, becomes STRING;
 *  - "json": the text (STRING, or BINARY holding UTF-8) must be valid JSON,
 *    becomes JSON (its text, as value.h stores JSON);
 *  - "cipher+aes-<128|256>-cbc": decrypted with `cipher`, which must exist and
 *    match the algorithm and key length named.
 * Each consumed step is removed; a fully decoded payload has *encoding NULL.
 * When a step is unknown or fails (RSL6b), decoding stops there: data stays as
 * decoded so far and *encoding keeps the steps not undone, so the message can
 * still be delivered. The return is then -1 with err describing the step, for
 * the caller to log: 40013 for an unknown encoding, bad base64 / UTF-8 / JSON,
 * a missing or mismatched cipher, or a payload that does not decrypt; 40019
 * for "vcdiff": a delta needs its channel's previous payload, so only a
 * realtime channel applies it (RTL19, ably/vcdiff.h).
 * Returns 0 when everything was undone. */
int ably_payload_decode(ably_data *data, char **encoding, ably_cipher *cipher, ably_error *err);

/* TM3 / TP4 fromEncoded: decodes (and decrypts, given a cipher) one already
 * deserialized message in place, as ably_payload_decode does for its data and
 * encoding; residual steps stay in `encoding` (RSL6b). Returns 0 or -1. */
int ably_message_from_encoded(ably_message *m, ably_cipher *cipher, ably_error *err);
int ably_presence_message_from_encoded(ably_presence_message *m, ably_cipher *cipher, ably_error *err);
/* TAN3: the same for an Annotation (its data and encoding follow RSL4, TAN2f1). */
int ably_annotation_from_encoded(ably_annotation *a, ably_cipher *cipher, ably_error *err);

/* fromEncodedArray: decodes every item, even after a failure (each message is
 * still delivered, RSL6b). Returns 0, or -1 with err holding the first failure. */
int ably_messages_from_encoded(ably_message *items, size_t count, ably_cipher *cipher, ably_error *err);
int ably_presence_messages_from_encoded(ably_presence_message *items, size_t count, ably_cipher *cipher,
                                        ably_error *err);
int ably_annotations_from_encoded(ably_annotation *items, size_t count, ably_cipher *cipher, ably_error *err);

/* TM6: the size that counts against maxMessageSize (TO3l8, RSL1i): the sum of
 * the lengths of name, data, clientId and extras (its JSON text). Strings are
 * counted in UTF-8 bytes; JSON data by its text; binary in raw bytes, never
 * its base64 form; absent values count zero. Call it on the message as the
 * user gave it, before ably_payload_encode. */
size_t ably_message_size(const ably_message *m);

/* TP5: the same rule for a PresenceMessage (which has no name). */
size_t ably_presence_message_size(const ably_presence_message *m);

#ifdef __cplusplus
}
#endif

#endif
