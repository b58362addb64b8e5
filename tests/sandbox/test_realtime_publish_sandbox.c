/* Realtime publish against the sandbox (uts/realtime/integration/channels/
 * channel_publish_test.md): one client publishes, another subscribes, over JSON and
 * msgpack; string, JSON and binary payloads survive the trip (RSL4, RSL6), the
 * received connectionId is the publisher's (RTL6f), extras round-trip (RSL6a2). Also
 * echoMessages false end to end (RTL7f) and a filtered subscription (RTL22).
 * Also channel_subscribe_test.md (RTL7, RTL7a, RTL7b) and the clientId rules of
 * published messages (RTL6e, RTL6g).
 *
 * Every wait is bounded (WAIT_MS). Callbacks run on the service threads; what they
 * record is guarded by a mutex. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define WAIT_MS 10000
#define MAX_KEPT 8

/* ---- what the callbacks saw ---- */

typedef struct {
    pthread_mutex_t mu;
    int done, failed;
    int64_t last_code;         /* the last error's code */
    int count;                 /* messages delivered */
    ably_message kept[MAX_KEPT]; /* copies of the first MAX_KEPT */
} inbox;

static void inbox_init(inbox *b)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
}

static void inbox_free(inbox *b)
{
    for (int i = 0; i < b->count && i < MAX_KEPT; i++)
        ably_message_clear(&b->kept[i]);
    pthread_mutex_destroy(&b->mu);
}

static void on_message(void *ctx, const ably_message *m)
{
    inbox *b = ctx;
    pthread_mutex_lock(&b->mu);
    if (b->count < MAX_KEPT && ably_message_copy(&b->kept[b->count], m, NULL) != 0)
        ably_message_init(&b->kept[b->count]);
    b->count++;
    pthread_mutex_unlock(&b->mu);
}

static void on_result(void *ctx, const ably_error *err)
{
    inbox *b = ctx;
    pthread_mutex_lock(&b->mu);
    b->done++;
    b->failed += err != NULL;
    if (err)
        b->last_code = err->code;
    pthread_mutex_unlock(&b->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    on_result(ctx, err);
}

static int read_locked(inbox *b, const int *field) { return rt_sandbox_read_int(&b->mu, field); }

static bool wait_for(inbox *b, const int *field, int want) { return rt_sandbox_wait_int(&b->mu, field, want, WAIT_MS); }

/* ---- clients ---- */

static void wait_connected(ably_realtime *rt)
{
    assert_true(rt_sandbox_wait_state(rt, ABLY_CONN_CONNECTED, WAIT_MS));
}

/* A connected client using the key, identified as client_id when not NULL (RSA7e). */
static ably_realtime *client_as(const sandbox_env *env, bool binary, const char *client_id)
{
    return rt_sandbox_connected(env, binary, client_id);
}

static ably_realtime *client(const sandbox_env *env, bool binary, bool echo)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    o.echo_messages = echo;
    ably_realtime *rt = rt_sandbox_create(&o);
    wait_connected(rt);
    return rt;
}


/* A publisher and a subscriber on channel `name`, the subscriber attached (RTL7g). */
typedef struct {
    ably_realtime *pub, *sub;
    ably_realtime_channel *pub_ch, *sub_ch;
    inbox got, acks;
} pair;

static void pair_open(pair *p, void **state, const char *what, bool binary)
{
    sandbox_env *env = *state;
    char name[128];
    rt_sandbox_unique_name(name, sizeof name, what, binary);
    memset(p, 0, sizeof *p);
    inbox_init(&p->got);
    inbox_init(&p->acks);
    p->pub = client(env, binary, true);
    p->sub = client(env, binary, true);
    p->pub_ch = rt_sandbox_channel(p->pub, name);
    p->sub_ch = rt_sandbox_channel(p->sub, name);
    inbox attached;
    inbox_init(&attached);
    ably_realtime_channel_subscribe(p->sub_ch, NULL, on_message, &p->got, on_result, &attached);
    assert_true(wait_for(&attached, &attached.done, 1));
    assert_int_equal(attached.failed, 0);
    inbox_free(&attached);
    ably_realtime_channel_attach(p->pub_ch, on_result, &p->acks);
    assert_true(wait_for(&p->acks, &p->acks.done, 1));
    assert_int_equal(p->acks.failed, 0);
}

/* Publishes one message, waits for its ACK and for the subscriber to get it. */
static const ably_message *pair_round_trip(pair *p, const ably_message *m)
{
    ably_realtime_channel_publish_messages(p->pub_ch, m, 1, on_published, &p->acks);
    assert_true(wait_for(&p->acks, &p->acks.done, 2));
    assert_int_equal(p->acks.failed, 0);
    assert_true(wait_for(&p->got, &p->got.count, 1));
    usleep(100000); /* nothing more should follow */
    assert_int_equal(read_locked(&p->got, &p->got.count), 1);
    return &p->got.kept[0];
}

static void pair_close(pair *p)
{
    ably_realtime_destroy(p->pub);
    ably_realtime_destroy(p->sub);
    inbox_free(&p->got);
    inbox_free(&p->acks);
}

static ably_message named(const char *name, ably_data data)
{
    ably_message m;
    ably_message_init(&m);
    m.name = (char *)(uintptr_t)name;
    m.data = data;
    return m;
}

/* ---- RTL6 with RSL4d2, RSL4d3, RSL4d1 ---- */

static void string_round_trip(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-string", binary);
    ably_message m = named("string-event", ably_data_borrow(ABLY_DATA_STRING, "hello world", 11));
    const ably_message *got = pair_round_trip(&p, &m);
    assert_string_equal(got->name, "string-event");
    assert_int_equal(got->data.type, ABLY_DATA_STRING);
    assert_int_equal(got->data.len, 11);
    assert_memory_equal(got->data.bytes, "hello world", 11);
    pair_close(&p);
}

static void json_round_trip(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-json", binary);
    const char *json = "{\"key\":\"value\",\"nested\":{\"count\":42},\"list\":[1,2,3]}";
    ably_message m = named("json-event", ably_data_borrow(ABLY_DATA_JSON, json, strlen(json)));
    const ably_message *got = pair_round_trip(&p, &m);
    assert_string_equal(got->name, "json-event");
    assert_int_equal(got->data.type, ABLY_DATA_JSON);
    cJSON *root = cJSON_ParseWithLength(got->data.bytes, got->data.len);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "key")->valuestring, "value");
    const cJSON *nested = cJSON_GetObjectItemCaseSensitive(root, "nested");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(nested, "count")->valueint, 42);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "list");
    assert_int_equal(cJSON_GetArraySize(list), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cJSON_GetArrayItem(list, i)->valueint, i + 1);
    cJSON_Delete(root);
    pair_close(&p);
}

static void binary_round_trip(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-binary", binary);
    static const unsigned char bytes[] = {0, 1, 2, 255, 128, 64};
    ably_message m = named("binary-event", ably_data_borrow(ABLY_DATA_BINARY, bytes, sizeof bytes));
    const ably_message *got = pair_round_trip(&p, &m);
    assert_string_equal(got->name, "binary-event");
    assert_int_equal(got->data.type, ABLY_DATA_BINARY);
    assert_int_equal(got->data.len, sizeof bytes);
    assert_memory_equal(got->data.bytes, bytes, sizeof bytes);
    pair_close(&p);
}

/* ---- RTL6f ---- */

static void connection_id_is_the_publishers(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-connid", binary);
    char *pub_id = ably_connection_id(p.pub), *sub_id = ably_connection_id(p.sub);
    assert_non_null(pub_id);
    assert_non_null(sub_id);
    ably_message m = named("connid-test", ably_data_borrow(ABLY_DATA_STRING, "data", 4));
    const ably_message *got = pair_round_trip(&p, &m);
    assert_non_null(got->connection_id);
    assert_string_equal(got->connection_id, pub_id);
    assert_string_not_equal(got->connection_id, sub_id);
    free(pub_id);
    free(sub_id);
    pair_close(&p);
}

/* ---- RSL6a2 ---- */

static void extras_round_trip(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "pushenabled:publish-extras", binary);
    ably_message m = named("extras-test", ably_data_borrow(ABLY_DATA_STRING, "payload", 7));
    m.extras = "{\"push\":{\"notification\":{\"title\":\"Testing\"}}}";
    const ably_message *got = pair_round_trip(&p, &m);
    assert_non_null(got->extras);
    cJSON *root = cJSON_Parse(got->extras);
    const cJSON *push = cJSON_GetObjectItemCaseSensitive(root, "push");
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(push, "notification");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(note, "title");
    assert_true(cJSON_IsString(title));
    assert_string_equal(title->valuestring, "Testing");
    cJSON_Delete(root);
    pair_close(&p);
}

/* ---- RTL7f: echoMessages false, end to end ---- */

static void own_messages_not_echoed(void **state, bool binary)
{
    sandbox_env *env = *state;
    char name[128];
    rt_sandbox_unique_name(name, sizeof name, "no-echo", binary);
    ably_realtime *self = client(env, binary, false), *other = client(env, binary, true);
    ably_realtime_channel *self_ch = rt_sandbox_channel(self, name), *other_ch = rt_sandbox_channel(other, name);
    inbox got, acks;
    inbox_init(&got);
    inbox_init(&acks);
    ably_realtime_channel_subscribe(self_ch, NULL, on_message, &got, on_result, &acks);
    ably_realtime_channel_attach(other_ch, on_result, &acks);
    assert_true(wait_for(&acks, &acks.done, 2));
    ably_data echo = ably_data_borrow(ABLY_DATA_STRING, "from-self", 9);
    ably_realtime_channel_publish(self_ch, "echo", &echo, on_published, &acks);
    assert_true(wait_for(&acks, &acks.done, 3));
    ably_data remote = ably_data_borrow(ABLY_DATA_STRING, "from-other", 10);
    ably_realtime_channel_publish(other_ch, "remote", &remote, on_published, &acks);
    assert_true(wait_for(&acks, &acks.done, 4));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_for(&got, &got.count, 1));
    usleep(200000);
    assert_int_equal(read_locked(&got, &got.count), 1);
    assert_string_equal(got.kept[0].name, "remote");
    assert_memory_equal(got.kept[0].data.bytes, "from-other", 10);
    ably_realtime_destroy(self);
    ably_realtime_destroy(other);
    inbox_free(&got);
    inbox_free(&acks);
}

/* ---- RTL22: a filtered subscription on live traffic ---- */

static void filtered_subscription_sees_only_matches(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-filter", binary);
    inbox replies;
    inbox_init(&replies);
    ably_message_filter filter = {.ref_type = "com.ably.reply", .name = "comment"};
    assert_true(ably_realtime_channel_subscribe_filter(p.sub_ch, &filter, on_message, &replies, NULL, NULL) != 0);
    ably_message msgs[3] = {
        named("comment", ably_data_borrow(ABLY_DATA_STRING, "reply", 5)),
        named("comment", ably_data_borrow(ABLY_DATA_STRING, "plain", 5)),
        named("other", ably_data_borrow(ABLY_DATA_STRING, "other-reply", 11)),
    };
    msgs[0].extras = "{\"ref\":{\"timeserial\":\"abc@1700000000000-0\",\"type\":\"com.ably.reply\"}}";
    msgs[2].extras = msgs[0].extras;
    ably_realtime_channel_publish_messages(p.pub_ch, msgs, 3, on_published, &p.acks);
    assert_true(wait_for(&p.acks, &p.acks.done, 2));
    assert_int_equal(p.acks.failed, 0);
    assert_true(wait_for(&p.got, &p.got.count, 3)); /* the unfiltered listener sees all three */
    usleep(100000);
    assert_int_equal(read_locked(&replies, &replies.count), 1);
    assert_memory_equal(replies.kept[0].data.bytes, "reply", 5);
    pair_close(&p); /* the client goes first: its listeners point at `replies` */
    inbox_free(&replies);
}

/* ---- RTL6e1, RTL6g: the clientId of published messages ---- */

/* Publishes a message with `client_id` (may be NULL) from the pair's publisher and
 * checks the subscriber received clientId `want`. */
static void expect_received_client_id(pair *p, const char *client_id, const char *want)
{
    ably_message m = named("cid", ably_data_borrow(ABLY_DATA_STRING, "x", 1));
    m.client_id = (char *)(uintptr_t)client_id;
    const ably_message *got = pair_round_trip(p, &m);
    assert_non_null(got->client_id);
    assert_string_equal(got->client_id, want);
}

/* Replaces the pair's publisher with one identified as `client_id`. */
static void publish_as(pair *p, void **state, bool binary, const char *client_id)
{
    ably_realtime_destroy(p->pub);
    p->pub = client_as(*state, binary, client_id);
    p->pub_ch = rt_sandbox_channel(p->pub, ably_realtime_channel_name(p->sub_ch));
}

static void unidentified_client_publishes_any_client_id(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-cid-any", binary);
    expect_received_client_id(&p, "explicit-client", "explicit-client"); /* RTL6e1 */
    pair_close(&p);
}

static void identified_client_id_applied_by_server(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-cid-none", binary);
    publish_as(&p, state, binary, "me");
    expect_received_client_id(&p, NULL, "me"); /* RTL6g1b */
    pair_close(&p);
}

static void identified_client_publishes_own_client_id(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-cid-own", binary);
    publish_as(&p, state, binary, "me");
    expect_received_client_id(&p, "me", "me"); /* RTL6g2 */
    pair_close(&p);
}

static void identified_client_refuses_foreign_client_id(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-cid-foreign", binary);
    publish_as(&p, state, binary, "me");
    ably_message m = named("cid", ably_data_borrow(ABLY_DATA_STRING, "x", 1));
    m.client_id = "someone-else";
    ably_realtime_channel_publish_messages(p.pub_ch, &m, 1, on_published, &p.acks);
    assert_true(wait_for(&p.acks, &p.acks.done, 2));
    assert_int_equal(p.acks.failed, 1);
    assert_int_equal(p.acks.last_code, 40012);
    /* the connection and the channel stay available */
    assert_int_equal(ably_connection_get_state(p.pub), ABLY_CONN_CONNECTED);
    m.client_id = NULL;
    ably_realtime_channel_publish_messages(p.pub_ch, &m, 1, on_published, &p.acks);
    assert_true(wait_for(&p.acks, &p.acks.done, 3));
    assert_int_equal(p.acks.failed, 1);
    assert_true(wait_for(&p.got, &p.got.count, 1));
    usleep(100000);
    assert_int_equal(read_locked(&p.got, &p.got.count), 1); /* only the accepted one */
    assert_string_equal(p.got.kept[0].client_id, "me");
    pair_close(&p);
}

/* RTL6g4: a token client's identity comes from its token. A signed TokenRequest for
 * "tok-client" from the authCallback; nothing is known before the first auth. */
static int token_for_tok_client(void *ctx, const ably_token_params *params, char **token,
                                ably_token_details *details, ably_token_request *request, ably_error *err)
{
    (void)params;
    (void)token;
    (void)details;
    ably_token_params tp;
    ably_token_params_init(&tp);
    tp.client_id = "tok-client";
    return ably_auth_create_token_request(ably_rest_auth(ctx), &tp, NULL, request, err);
}

static void token_client_id_unknown_before_auth(void **state, bool binary, const char *msg_client_id)
{
    pair p;
    pair_open(&p, state, "publish-cid-token", binary);
    ably_client_options ro;
    rt_sandbox_options(&ro, *state, binary);
    ably_rest *signer = NULL;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_rest_create(&ro, &signer, &err), 0);
    ably_client_options o;
    rt_sandbox_options(&o, *state, binary);
    o.key = NULL;
    o.auth_callback = token_for_tok_client;
    o.auth_callback_ctx = signer;
    o.auto_connect = false;
    ably_realtime *tok = rt_sandbox_create(&o);
    ably_realtime_channel *ch = rt_sandbox_channel(tok, ably_realtime_channel_name(p.sub_ch));
    ably_message m = named("cid", ably_data_borrow(ABLY_DATA_STRING, "x", 1));
    m.client_id = (char *)(uintptr_t)msg_client_id;
    inbox acks;
    inbox_init(&acks);
    ably_realtime_channel_publish_messages(ch, &m, 1, on_published, &acks); /* before any auth */
    ably_connection_connect(tok);
    wait_connected(tok);
    char *known = ably_realtime_client_id(tok);
    assert_non_null(known);
    assert_string_equal(known, "tok-client");
    free(known);
    assert_true(wait_for(&acks, &acks.done, 1));
    if (strcmp(msg_client_id, "tok-client") == 0) {
        assert_int_equal(acks.failed, 0);
        assert_true(wait_for(&p.got, &p.got.count, 1));
        assert_string_equal(p.got.kept[0].client_id, "tok-client");
    } else {
        assert_int_equal(acks.failed, 1); /* the server refused it, not the library */
        assert_true(acks.last_code != 0);
        assert_int_equal(ably_connection_get_state(tok), ABLY_CONN_CONNECTED);
        m.client_id = NULL;
        ably_realtime_channel_publish_messages(ch, &m, 1, on_published, &acks);
        assert_true(wait_for(&acks, &acks.done, 2));
        assert_int_equal(acks.failed, 1);
        assert_true(wait_for(&p.got, &p.got.count, 1));
        assert_string_equal(p.got.kept[0].client_id, "tok-client");
    }
    ably_realtime_destroy(tok);
    ably_rest_destroy(signer);
    inbox_free(&acks);
    pair_close(&p);
}

static void token_client_publishes_its_client_id(void **state, bool binary)
{
    token_client_id_unknown_before_auth(state, binary, "tok-client");
}

static void token_client_foreign_client_id_refused_by_server(void **state, bool binary)
{
    token_client_id_unknown_before_auth(state, binary, "not-tok-client");
}

/* ---- RTL6b: many publishes on a few connections, every callback called ---- */

#define PUBLISHERS 3
#define PER_PUBLISHER 40

static void every_publish_callback_called(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "publish-many", binary);
    ably_realtime *more[PUBLISHERS - 1];
    ably_realtime_channel *chans[PUBLISHERS] = {p.pub_ch};
    for (int i = 0; i < PUBLISHERS - 1; i++) {
        more[i] = client(*state, binary, true);
        chans[i + 1] = rt_sandbox_channel(more[i], ably_realtime_channel_name(p.sub_ch));
    }
    inbox acks;
    inbox_init(&acks);
    char text[16];
    for (int n = 0; n < PER_PUBLISHER; n++)
        for (int i = 0; i < PUBLISHERS; i++) {
            snprintf(text, sizeof text, "%d-%d", i, n);
            ably_data d = ably_data_borrow(ABLY_DATA_STRING, text, strlen(text));
            ably_realtime_channel_publish(chans[i], "many", &d, on_published, &acks);
        }
    assert_true(wait_for(&acks, &acks.done, PUBLISHERS * PER_PUBLISHER));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_for(&p.got, &p.got.count, PUBLISHERS * PER_PUBLISHER));
    usleep(100000);
    assert_int_equal(read_locked(&acks, &acks.done), PUBLISHERS * PER_PUBLISHER); /* exactly once each */
    for (int i = 0; i < PUBLISHERS - 1; i++)
        ably_realtime_destroy(more[i]);
    inbox_free(&acks);
    pair_close(&p);
}

/* ---- channel_subscribe_test.md: RTL7a, RTL7b, RTL7 ---- */

static void publish_named(ably_realtime_channel *ch, const char *name, const char *text, inbox *acks)
{
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, text, strlen(text));
    ably_realtime_channel_publish(ch, name, &d, on_published, acks);
}

static bool kept_has_name(inbox *b, const char *name)
{
    pthread_mutex_lock(&b->mu);
    bool found = false;
    for (int i = 0; i < b->count && i < MAX_KEPT && !found; i++)
        found = b->kept[i].name && strcmp(b->kept[i].name, name) == 0;
    pthread_mutex_unlock(&b->mu);
    return found;
}

static void subscribe_without_name_gets_all(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "subscribe-all", binary);
    publish_named(p.pub_ch, "event-a", "data-a", &p.acks);
    publish_named(p.pub_ch, "event-b", "data-b", &p.acks);
    publish_named(p.pub_ch, "event-c", "data-c", &p.acks);
    assert_true(wait_for(&p.acks, &p.acks.done, 4));
    assert_true(wait_for(&p.got, &p.got.count, 3));
    usleep(100000);
    assert_int_equal(read_locked(&p.got, &p.got.count), 3);
    assert_true(kept_has_name(&p.got, "event-a"));
    assert_true(kept_has_name(&p.got, "event-b"));
    assert_true(kept_has_name(&p.got, "event-c"));
    pair_close(&p);
}

static void subscribe_with_name_gets_only_matches(void **state, bool binary)
{
    pair p;
    pair_open(&p, state, "subscribe-filtered", binary); /* p.got: every message */
    inbox target;
    inbox_init(&target);
    ably_realtime_channel_subscribe(p.sub_ch, "target", on_message, &target, NULL, NULL);
    publish_named(p.pub_ch, "other", "ignored", &p.acks);
    publish_named(p.pub_ch, "target", "wanted-1", &p.acks);
    publish_named(p.pub_ch, "other", "ignored", &p.acks);
    publish_named(p.pub_ch, "target", "wanted-2", &p.acks);
    assert_true(wait_for(&p.acks, &p.acks.done, 5));
    assert_true(wait_for(&p.got, &p.got.count, 4));
    usleep(100000);
    assert_int_equal(read_locked(&p.got, &p.got.count), 4);
    assert_int_equal(read_locked(&target, &target.count), 2);
    assert_string_equal(target.kept[0].name, "target");
    assert_memory_equal(target.kept[0].data.bytes, "wanted-1", 8);
    assert_string_equal(target.kept[1].name, "target");
    assert_memory_equal(target.kept[1].data.bytes, "wanted-2", 8);
    pair_close(&p);
    inbox_free(&target);
}

static void both_clients_publish_and_receive(void **state, bool binary)
{
    char name[128];
    rt_sandbox_unique_name(name, sizeof name, "subscribe-bidir", binary);
    ably_realtime *a = client_as(*state, binary, "client-a"), *b = client_as(*state, binary, "client-b");
    ably_realtime_channel *ch_a = rt_sandbox_channel(a, name), *ch_b = rt_sandbox_channel(b, name);
    inbox got_a, got_b, acks;
    inbox_init(&got_a);
    inbox_init(&got_b);
    inbox_init(&acks);
    ably_realtime_channel_subscribe(ch_a, NULL, on_message, &got_a, on_result, &acks);
    ably_realtime_channel_subscribe(ch_b, NULL, on_message, &got_b, on_result, &acks);
    assert_true(wait_for(&acks, &acks.done, 2));
    publish_named(ch_a, "from-a", "hello from a", &acks);
    assert_true(wait_for(&acks, &acks.done, 3));
    publish_named(ch_b, "from-b", "hello from b", &acks);
    assert_true(wait_for(&acks, &acks.done, 4));
    assert_int_equal(acks.failed, 0);
    assert_true(wait_for(&got_a, &got_a.count, 2));
    assert_true(wait_for(&got_b, &got_b.count, 2));
    assert_true(kept_has_name(&got_a, "from-a")); /* its own echo */
    assert_true(kept_has_name(&got_a, "from-b"));
    assert_true(kept_has_name(&got_b, "from-a"));
    assert_true(kept_has_name(&got_b, "from-b"));
    ably_realtime_destroy(a);
    ably_realtime_destroy(b);
    inbox_free(&got_a);
    inbox_free(&got_b);
    inbox_free(&acks);
}

#define BOTH(fn)                                                                                                   \
    static void fn##_json(void **state) { fn(state, false); }                                                      \
    static void fn##_msgpack(void **state) { fn(state, true); }

BOTH(string_round_trip)
BOTH(json_round_trip)
BOTH(binary_round_trip)
BOTH(connection_id_is_the_publishers)
BOTH(extras_round_trip)
BOTH(own_messages_not_echoed)
BOTH(filtered_subscription_sees_only_matches)
BOTH(every_publish_callback_called)
BOTH(subscribe_without_name_gets_all)
BOTH(subscribe_with_name_gets_only_matches)
BOTH(both_clients_publish_and_receive)
BOTH(unidentified_client_publishes_any_client_id)
BOTH(identified_client_id_applied_by_server)
BOTH(identified_client_publishes_own_client_id)
BOTH(identified_client_refuses_foreign_client_id)
BOTH(token_client_publishes_its_client_id)
BOTH(token_client_foreign_client_id_refused_by_server)

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(string_round_trip_json, "RTL6 RSL4d2"),
        ABLY_TEST(string_round_trip_msgpack, "RTL6 RSL4d2"),
        ABLY_TEST(json_round_trip_json, "RTL6 RSL4d3"),
        ABLY_TEST(json_round_trip_msgpack, "RTL6 RSL4d3"),
        ABLY_TEST(binary_round_trip_json, "RTL6 RSL4d1 RSL6a"),
        ABLY_TEST(binary_round_trip_msgpack, "RTL6 RSL4d1 RSL6a"),
        ABLY_TEST(connection_id_is_the_publishers_json, "RTL6f"),
        ABLY_TEST(connection_id_is_the_publishers_msgpack, "RTL6f"),
        ABLY_TEST(extras_round_trip_json, "RSL6a2"),
        ABLY_TEST(extras_round_trip_msgpack, "RSL6a2"),
        ABLY_TEST(own_messages_not_echoed_json, "RTL7f"),
        ABLY_TEST(own_messages_not_echoed_msgpack, "RTL7f"),
        ABLY_TEST(filtered_subscription_sees_only_matches_json, "RTL22 RTL22a RTL22c"),
        ABLY_TEST(filtered_subscription_sees_only_matches_msgpack, "RTL22 RTL22a RTL22c"),
        ABLY_TEST(subscribe_without_name_gets_all_json, "RTL7 RTL7a"),
        ABLY_TEST(subscribe_without_name_gets_all_msgpack, "RTL7 RTL7a"),
        ABLY_TEST(subscribe_with_name_gets_only_matches_json, "RTL7b"),
        ABLY_TEST(subscribe_with_name_gets_only_matches_msgpack, "RTL7b"),
        ABLY_TEST(both_clients_publish_and_receive_json, "RTL7"),
        ABLY_TEST(both_clients_publish_and_receive_msgpack, "RTL7"),
        ABLY_TEST(every_publish_callback_called_json, "RTL6b"),
        ABLY_TEST(every_publish_callback_called_msgpack, "RTL6b"),
        ABLY_TEST(unidentified_client_publishes_any_client_id_json, "RTL6e RTL6e1"),
        ABLY_TEST(unidentified_client_publishes_any_client_id_msgpack, "RTL6e RTL6e1"),
        ABLY_TEST(identified_client_id_applied_by_server_json, "RTL6g1 RTL6g1a RTL6g1b"),
        ABLY_TEST(identified_client_id_applied_by_server_msgpack, "RTL6g1 RTL6g1a RTL6g1b"),
        ABLY_TEST(identified_client_publishes_own_client_id_json, "RTL6g2"),
        ABLY_TEST(identified_client_publishes_own_client_id_msgpack, "RTL6g2"),
        ABLY_TEST(identified_client_refuses_foreign_client_id_json, "RTL6g RTL6g3"),
        ABLY_TEST(identified_client_refuses_foreign_client_id_msgpack, "RTL6g RTL6g3"),
        ABLY_TEST(token_client_publishes_its_client_id_json, "RTL6g4"),
        ABLY_TEST(token_client_publishes_its_client_id_msgpack, "RTL6g4"),
        ABLY_TEST(token_client_foreign_client_id_refused_by_server_json, "RTL6g4"),
        ABLY_TEST(token_client_foreign_client_id_refused_by_server_msgpack, "RTL6g4"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
