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

#include "ably/codec.h"

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

/* A message as stored: the generated ably_message (binary data as
 * ABLY_DATA_BINARY, so each reader's codec picks its own form: bin for msgpack,
 * base64 + "/base64" encoding for JSON) plus what history needs. Mutable
 * messages (RSL11/14/15) keep every version, oldest first; `msg` is the latest. */
typedef struct {
    ably_message msg;    /* owned: the latest version */
    int64_t timestamp;   /* of the original publish */
    uint64_t seq;        /* position in the channel */
    ably_message *versions; /* owned, every version including the first; NULL until updated */
    size_t version_count;
} sbx_stored_message;

typedef struct sbx_channel {
    char *name;
    sbx_stored_message *messages; /* in publish order */
    size_t message_count, message_cap;
    sbx_map message_ids;          /* id -> serial (owned string), for idempotent publish */
    uint64_t next_seq;
    cJSON *presence;              /* array of PresenceMessage objects (fixtures, later members) */
    cJSON *presence_history;      /* array of PresenceMessage events, oldest first */
    cJSON *annotations;           /* array of Annotation objects, oldest first (RSAN) */
    uint64_t next_annotation_seq;
    int64_t created;              /* ms, for ChannelDetails / enumeration */
    void *rt;                     /* realtime state (rt_channel.c); freed via sbx_store_hooks */
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
    cJSON *stats;                 /* array of posted Stats records (flat entries), owned */
    cJSON *push_devices;          /* array of DeviceDetails, owned */
    cJSON *push_subscriptions;    /* array of PushChannelSubscription, owned */
    cJSON *push_published;        /* array of accepted /push/publish bodies, owned */
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

/* Realtime (rt_*.c) observes the store through these hooks, all optional:
 * message_appended runs after every sbx_channel_append (fan-out to
 * subscribers), channel_freed before a channel with ch->rt is freed,
 * app_deleting before an app goes (its connections must close). Process-wide,
 * like the store's single service thread; NULL removes them. */
typedef struct {
    void (*message_appended)(sbx_channel *ch, const sbx_stored_message *m);
    void (*channel_freed)(sbx_channel *ch);
    void (*app_deleting)(sbx_app *app);
} sbx_store_hooks;
void sbx_store_set_hooks(const sbx_store_hooks *hooks);

/* Appends a message, taking over what *msg owns (left initialised and empty),
 * and returns it; NULL when out of memory (*msg is then cleared). */
sbx_stored_message *sbx_channel_append(sbx_channel *ch, ably_message *msg, int64_t timestamp);

/* The message whose (original) serial is `serial`, or NULL. */
sbx_stored_message *sbx_channel_find_serial(sbx_channel *ch, const char *serial);

/* Records another version of a stored message (takes over *version's
 * contents) and makes it the latest. 0, or -1 when out of memory. */
int sbx_message_add_version(sbx_stored_message *m, ably_message *version);

#endif
