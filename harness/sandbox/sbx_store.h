/* The sandbox's in-memory state: apps, their keys, issued tokens, channels
 * and what each channel holds. Apps are isolated from each other: every
 * lookup goes through the app, and tokens/keys name their app.
 *
 * Ownership: the store owns every object reachable from it; pointers handed
 * out stay valid until the owning app is deleted or the store destroyed.
 * Not thread-safe: only the lws service thread touches it. */
#ifndef SBX_STORE_H
#define SBX_STORE_H

#include "sbx_capability.h"
#include "sbx_map.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct sbx_app;

typedef struct sbx_key {
    char *id;            /* keyId */
    char *name;          /* "appId.keyId" */
    char *secret;
    char *capability;    /* canonical JSON text */
    sbx_capability cap;
    bool revocable;      /* revocableTokens */
    struct sbx_app *app;
} sbx_key;

typedef struct sbx_token {
    char *token;         /* the token string clients send */
    sbx_key *key;        /* key that issued it */
    int64_t issued;
    int64_t expires;
    char *capability;    /* canonical JSON text */
    sbx_capability cap;
    char *client_id;     /* NULL when anonymous; "*" for wildcard */
    bool revoked;
} sbx_token;

/* A message as stored: a wire-neutral JSON object (binary data held as base64
 * with "base64" appended to its encoding) plus what history needs. */
typedef struct {
    cJSON *json;         /* owned */
    int64_t timestamp;
    uint64_t seq;        /* position in the channel */
} sbx_stored_message;

typedef struct sbx_channel {
    char *name;
    sbx_stored_message *messages; /* in publish order */
    size_t message_count, message_cap;
    sbx_map message_ids;          /* id -> serial (owned string), for idempotent publish */
    uint64_t next_seq;
    cJSON *presence;              /* array of PresenceMessage objects (fixtures, later members) */
} sbx_channel;

typedef struct sbx_app {
    char *id;
    int64_t created;
    sbx_key *keys;
    size_t key_count;
    cJSON *namespaces;            /* array as posted, owned */
    cJSON *limits;                /* object as posted or NULL, owned */
    sbx_map channels;             /* name -> sbx_channel* (owned) */
    sbx_map nonces;               /* "keyName\nnonce" -> expiry (boxed int64) */
} sbx_app;

typedef struct sbx_store {
    sbx_map apps;                 /* appId -> sbx_app* (owned) */
    sbx_map tokens;               /* token -> sbx_token* (owned) */
} sbx_store;

void sbx_store_init(sbx_store *s);
void sbx_store_destroy(sbx_store *s);

/* Creates an app from a POST /apps body (the test-app-setup shape).
 * Returns NULL and sets *why on an invalid spec. */
sbx_app *sbx_app_create(sbx_store *s, const cJSON *spec, const char **why);
sbx_app *sbx_app_find(sbx_store *s, const char *app_id);
/* Deletes the app, its channels and every token its keys issued. */
void sbx_app_delete(sbx_store *s, sbx_app *app);

/* "appId.keyId" -> key, or NULL. */
sbx_key *sbx_key_find(sbx_store *s, const char *key_name);

/* The channel, created empty on first use when `create` is true. */
sbx_channel *sbx_channel_get(sbx_app *app, const char *name, bool create);

/* Records a TokenRequest nonce; false if it was already used (and is still
 * inside the replay window). */
bool sbx_nonce_record(sbx_app *app, const char *key_name, const char *nonce, int64_t expires);

/* Issues a token (store keeps it). Takes ownership of `cap`. */
sbx_token *sbx_token_issue(sbx_store *s, sbx_key *key, int64_t ttl, sbx_capability *cap,
                           const char *client_id);
sbx_token *sbx_token_find(sbx_store *s, const char *token);

/* Appends a message (takes ownership of json) and returns it. */
sbx_stored_message *sbx_channel_append(sbx_channel *ch, cJSON *json, int64_t timestamp);

#endif
