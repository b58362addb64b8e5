#include "sbx_store.h"
#include "sbx_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_KEY_CAPABILITY "{\"*\":[\"*\"]}"

static const sbx_store_hooks *store_hooks;

void sbx_store_set_hooks(const sbx_store_hooks *hooks)
{
    store_hooks = hooks;
}

static void channel_free(void *p)
{
    sbx_channel *ch = p;
    if (!ch)
        return;
    if (ch->rt && store_hooks && store_hooks->channel_freed)
        store_hooks->channel_freed(ch);
    for (size_t i = 0; i < ch->message_count; i++) {
        ably_message_clear(&ch->messages[i].msg);
        ably_free_array(&ably_message_desc, ch->messages[i].versions, ch->messages[i].version_count);
    }
    free(ch->messages);
    sbx_map_destroy(&ch->message_ids);
    cJSON_Delete(ch->presence);
    cJSON_Delete(ch->presence_history);
    cJSON_Delete(ch->annotations);
    free(ch->name);
    free(ch);
}

static void key_clear(sbx_key *k)
{
    free(k->id);
    free(k->name);
    free(k->secret);
    free(k->capability);
    sbx_cap_clear(&k->cap);
}

static void app_free(void *p)
{
    sbx_app *app = p;
    if (!app)
        return;
    for (size_t i = 0; i < app->key_count; i++)
        key_clear(&app->keys[i]);
    free(app->keys);
    cJSON_Delete(app->namespaces);
    cJSON_Delete(app->limits);
    cJSON_Delete(app->stats);
    cJSON_Delete(app->push_devices);
    cJSON_Delete(app->push_subscriptions);
    cJSON_Delete(app->push_published);
    sbx_map_destroy(&app->channels);
    sbx_map_destroy(&app->nonces);
    free(app->id);
    free(app);
}

static void token_free(void *p)
{
    sbx_token *t = p;
    if (!t)
        return;
    free(t->token);
    free(t->capability);
    sbx_cap_clear(&t->cap);
    free(t->client_id);
    free(t);
}

void sbx_store_init(sbx_store *s)
{
    sbx_map_init(&s->apps, app_free);
    sbx_map_init(&s->tokens, token_free);
}

void sbx_store_destroy(sbx_store *s)
{
    sbx_map_destroy(&s->tokens);
    sbx_map_destroy(&s->apps);
}

static int key_setup(sbx_app *app, sbx_key *k, const cJSON *spec, const char **why)
{
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(spec, "capability");
    const char *cap_text = DEFAULT_KEY_CAPABILITY;
    if (cJSON_IsString(cap))
        cap_text = cap->valuestring;
    else if (cJSON_IsObject(cap))
        return (*why = "key capability must be a JSON string"), -1;
    if (sbx_cap_parse(cap_text, &k->cap, why) != 0)
        return -1;
    k->app = app;
    k->revocable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "revocableTokens"));
    k->id = sbx_random_id(6);
    k->secret = sbx_random_id(24);
    k->name = k->id ? sbx_sprintf("%s.%s", app->id, k->id) : NULL;
    k->capability = sbx_cap_to_json(&k->cap);
    if (!k->id || !k->secret || !k->name || !k->capability)
        return (*why = "out of memory"), -1;
    return 0;
}

static int app_add_keys(sbx_app *app, const cJSON *keys, const char **why)
{
    static const char empty_spec_text[] = "{}";
    cJSON *empty = NULL;
    size_t n = cJSON_IsArray(keys) ? (size_t)cJSON_GetArraySize(keys) : 0;
    if (keys && !cJSON_IsArray(keys))
        return (*why = "keys must be an array"), -1;
    size_t total = n ? n : 1;
    app->keys = calloc(total, sizeof *app->keys);
    if (!app->keys)
        return (*why = "out of memory"), -1;
    if (n == 0)
        empty = cJSON_Parse(empty_spec_text);
    for (size_t i = 0; i < total; i++) {
        const cJSON *spec = n ? cJSON_GetArrayItem(keys, (int)i) : empty;
        if (!cJSON_IsObject(spec)) {
            *why = "each key must be an object";
            cJSON_Delete(empty);
            return -1;
        }
        app->key_count = i + 1;
        if (key_setup(app, &app->keys[i], spec, why) != 0) {
            cJSON_Delete(empty);
            return -1;
        }
    }
    cJSON_Delete(empty);
    return 0;
}

/* Presence fixtures become present members (as if each had entered on its own
 * connection when the app was created), data and encoding kept as posted:
 * one member's data is ciphertext, and clients decode it themselves. */
static int fixture_presence(sbx_channel *ch, const cJSON *members, int64_t now)
{
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members) {
        if (!cJSON_IsObject(m))
            continue;
        char conn[32], id[48];
        snprintf(conn, sizeof conn, "fixture%d", i);
        snprintf(id, sizeof id, "%s:0:0", conn);
        cJSON *member = cJSON_Duplicate(m, true);
        if (!member)
            return -1;
        if (!cJSON_HasObjectItem(member, "connectionId"))
            cJSON_AddStringToObject(member, "connectionId", conn);
        if (!cJSON_HasObjectItem(member, "id"))
            cJSON_AddStringToObject(member, "id", id);
        if (!cJSON_HasObjectItem(member, "timestamp"))
            cJSON_AddNumberToObject(member, "timestamp", (double)now);
        cJSON_DeleteItemFromObjectCaseSensitive(member, "action");
        cJSON_AddNumberToObject(member, "action", 1); /* present */
        cJSON *event = cJSON_Duplicate(member, true);
        if (!event) {
            cJSON_Delete(member);
            return -1;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(event, "action", cJSON_CreateNumber(2)); /* enter */
        cJSON_AddItemToArray(ch->presence, member);
        cJSON_AddItemToArray(ch->presence_history, event);
        i++;
    }
    return 0;
}

static int app_add_channels(sbx_app *app, const cJSON *channels, const char **why)
{
    if (!channels)
        return 0;
    if (!cJSON_IsArray(channels))
        return (*why = "channels must be an array"), -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, channels) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        if (!cJSON_IsString(name) || !name->valuestring[0])
            return (*why = "each channel needs a name"), -1;
        sbx_channel *ch = sbx_channel_get(app, name->valuestring, true);
        if (!ch)
            return (*why = "out of memory"), -1;
        const cJSON *presence = cJSON_GetObjectItemCaseSensitive(c, "presence");
        if (cJSON_IsArray(presence) && fixture_presence(ch, presence, app->created) != 0)
            return (*why = "out of memory"), -1;
    }
    return 0;
}

sbx_app *sbx_app_create(sbx_store *s, const cJSON *spec, const char **why)
{
    if (!cJSON_IsObject(spec))
        return (*why = "app spec must be a JSON object"), NULL;
    sbx_app *app = calloc(1, sizeof *app);
    if (!app)
        return (*why = "out of memory"), NULL;
    sbx_map_init(&app->channels, channel_free);
    sbx_map_init(&app->nonces, free);
    app->created = sbx_now_ms();
    do {
        free(app->id);
        app->id = sbx_random_id(6);
    } while (app->id && sbx_map_get(&s->apps, app->id));
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(spec, "namespaces");
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(spec, "limits");
    app->namespaces = cJSON_IsArray(ns) ? cJSON_Duplicate(ns, true) : cJSON_CreateArray();
    app->limits = cJSON_IsObject(limits) ? cJSON_Duplicate(limits, true) : NULL;
    app->stats = cJSON_CreateArray();
    app->push_devices = cJSON_CreateArray();
    app->push_subscriptions = cJSON_CreateArray();
    app->push_published = cJSON_CreateArray();
    if (!app->id || !app->namespaces || !app->stats || !app->push_devices ||
        !app->push_subscriptions || !app->push_published) {
        *why = "out of memory";
        goto fail;
    }
    if (app_add_keys(app, cJSON_GetObjectItemCaseSensitive(spec, "keys"), why) != 0 ||
        app_add_channels(app, cJSON_GetObjectItemCaseSensitive(spec, "channels"), why) != 0)
        goto fail;
    if (sbx_map_put(&s->apps, app->id, app) != 0) {
        *why = "out of memory";
        goto fail;
    }
    return app;
fail:
    app_free(app);
    return NULL;
}

sbx_app *sbx_app_find(sbx_store *s, const char *app_id)
{
    return app_id ? sbx_map_get(&s->apps, app_id) : NULL;
}

void sbx_app_delete(sbx_store *s, sbx_app *app)
{
    if (store_hooks && store_hooks->app_deleting)
        store_hooks->app_deleting(app);
    /* Collect this app's tokens first: removing while iterating is unsafe. */
    char **doomed = calloc(s->tokens.count + 1, sizeof *doomed);
    size_t n = 0, b;
    for (sbx_map_node *node = sbx_map_first(&s->tokens, &b); doomed && node;
         node = sbx_map_next(&s->tokens, node, &b)) {
        sbx_token *t = node->value;
        if (t->key->app == app)
            doomed[n++] = node->key;
    }
    /* Keys belong to the nodes: copy before removal frees them. */
    for (size_t i = 0; i < n; i++) {
        char *k = strdup(doomed[i]);
        if (k) {
            sbx_map_remove(&s->tokens, k);
            free(k);
        }
    }
    free(doomed);
    sbx_map_remove(&s->apps, app->id);
}

sbx_key *sbx_key_find(sbx_store *s, const char *key_name)
{
    const char *dot = key_name ? strchr(key_name, '.') : NULL;
    if (!dot)
        return NULL;
    char app_id[64];
    size_t len = (size_t)(dot - key_name);
    if (len == 0 || len >= sizeof app_id)
        return NULL;
    memcpy(app_id, key_name, len);
    app_id[len] = '\0';
    sbx_app *app = sbx_app_find(s, app_id);
    for (size_t i = 0; app && i < app->key_count; i++)
        if (strcmp(app->keys[i].name, key_name) == 0)
            return &app->keys[i];
    return NULL;
}

sbx_channel *sbx_channel_get(sbx_app *app, const char *name, bool create)
{
    sbx_channel *ch = sbx_map_get(&app->channels, name);
    if (ch || !create)
        return ch;
    ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    sbx_map_init(&ch->message_ids, free);
    ch->name = strdup(name);
    ch->presence = cJSON_CreateArray();
    ch->presence_history = cJSON_CreateArray();
    ch->annotations = cJSON_CreateArray();
    ch->created = sbx_now_ms();
    if (!ch->name || !ch->presence || !ch->presence_history || !ch->annotations ||
        sbx_map_put(&app->channels, name, ch) != 0) {
        channel_free(ch);
        return NULL;
    }
    return ch;
}

bool sbx_nonce_record(sbx_app *app, const char *key_name, const char *nonce, int64_t expires)
{
    char *k = sbx_sprintf("%s\n%s", key_name, nonce);
    if (!k)
        return false;
    int64_t *seen = sbx_map_get(&app->nonces, k);
    bool fresh = !seen || *seen < sbx_now_ms();
    if (fresh) {
        int64_t *box = malloc(sizeof *box);
        if (box) {
            *box = expires;
            if (sbx_map_put(&app->nonces, k, box) != 0)
                free(box);
        }
    }
    free(k);
    return fresh;
}

sbx_token *sbx_token_issue(sbx_store *s, sbx_key *key, int64_t ttl, sbx_capability *cap,
                           const char *client_id)
{
    sbx_token *t = calloc(1, sizeof *t);
    if (!t) {
        sbx_cap_clear(cap);
        return NULL;
    }
    t->cap = *cap;
    cap->entries = NULL;
    cap->count = 0;
    t->key = key;
    t->issued = sbx_now_ms();
    t->expires = t->issued + ttl;
    char *rnd = sbx_random_id(40);
    t->token = rnd ? sbx_sprintf("%s.%s", key->app->id, rnd) : NULL;
    free(rnd);
    t->capability = sbx_cap_to_json(&t->cap);
    t->client_id = sbx_strdup(client_id);
    if (!t->token || !t->capability || (client_id && !t->client_id) ||
        sbx_map_put(&s->tokens, t->token, t) != 0) {
        token_free(t);
        return NULL;
    }
    return t;
}

sbx_token *sbx_token_find(sbx_store *s, const char *token)
{
    return token ? sbx_map_get(&s->tokens, token) : NULL;
}

sbx_stored_message *sbx_channel_append(sbx_channel *ch, ably_message *msg, int64_t timestamp)
{
    if (ch->message_count == ch->message_cap) {
        size_t cap = ch->message_cap ? ch->message_cap * 2 : 16;
        sbx_stored_message *grown = realloc(ch->messages, cap * sizeof *grown);
        if (!grown) {
            ably_message_clear(msg);
            return NULL;
        }
        ch->messages = grown;
        ch->message_cap = cap;
    }
    sbx_stored_message *m = &ch->messages[ch->message_count++];
    m->msg = *msg; /* move */
    ably_message_init(msg);
    m->timestamp = timestamp;
    m->seq = ch->next_seq++;
    m->versions = NULL;
    m->version_count = 0;
    if (store_hooks && store_hooks->message_appended)
        store_hooks->message_appended(ch, m);
    return m;
}

sbx_stored_message *sbx_channel_find_serial(sbx_channel *ch, const char *serial)
{
    /* Serials are "<timestamp>-<seq>" and seq is the index (append-only), so
     * parse rather than search; then confirm the whole serial. */
    const char *dash = serial ? strrchr(serial, '-') : NULL;
    int64_t seq;
    if (!ch || !dash || !sbx_parse_i64(dash + 1, &seq) || seq < 0 || (uint64_t)seq >= ch->message_count)
        return NULL;
    sbx_stored_message *m = &ch->messages[seq];
    /* Every version keeps the original serial (TM2r); version.serial moves. */
    return m->msg.serial && strcmp(m->msg.serial, serial) == 0 ? m : NULL;
}

int sbx_message_add_version(sbx_stored_message *m, ably_message *version)
{
    size_t have = m->versions ? m->version_count : 1;
    ably_message *grown = realloc(m->versions, (have + 1) * sizeof *grown);
    if (!grown) {
        ably_message_clear(version);
        return -1;
    }
    if (!m->versions) {
        /* The first version is the original publish: keep a copy of it. */
        if (ably_message_copy(&grown[0], &m->msg, NULL) != 0) {
            m->versions = grown; /* keep the allocation owned; count stays 0 */
            m->version_count = 0;
            ably_message_clear(version);
            return -1;
        }
    }
    m->versions = grown;
    grown[have] = *version; /* move */
    ably_message_init(version);
    m->version_count = have + 1;
    ably_message_clear(&m->msg);
    return ably_message_copy(&m->msg, &grown[have], NULL);
}
