/* Realtime interop with the official JavaScript SDK (issue 6): a libably realtime
 * client ("c-peer") and an ably-js Realtime client ("js-peer", driven by
 * harness/interop/realtime_peer.mjs) on the same channels of the sandbox.
 *
 * Each side publishes a string, binary data, a JSON object and a JSON array,
 * on a plain channel and on channels encrypted with AES-128 and AES-256 (the same
 * key on both sides), and enters, updates and leaves presence with data; each
 * side must receive exactly what the other sent, decoded. The two runs cross the
 * wire formats (C JSON with JS msgpack, then the reverse).
 *
 * Order (no two-way pipe needed): C attaches and subscribes; node starts (popen,
 * settings in its environment), attaches, subscribes, enters and prints a ready
 * line; C then publishes, enters, updates and leaves; node waits for all of that,
 * publishes its own, updates, leaves, and prints what it received. C's callbacks
 * run on the library's service thread while the test thread reads node's stdout.
 * A missing node or node_modules is a failure, not a skip: run
 * `npm ci --prefix harness/interop` in set-up. */
#include "interop_support.h"

#include <cjson/cJSON.h>
#include <pthread.h>

#ifndef ABLY_SOURCE_DIR
#define ABLY_SOURCE_DIR "."
#endif
#define SCRIPT ABLY_SOURCE_DIR "/harness/interop/realtime_peer.mjs"
#define ABLY_PACKAGE ABLY_SOURCE_DIR "/harness/interop/node_modules/ably/package.json"
#define NODE_TIMEOUT_S "60"
#define WAIT_MS 20000
#define C_PEER "c-peer"
#define JS_PEER "js-peer"
#define CHANNELS 3
#define MAX_EVENTS 16

static const char ARRAY[] = "[1,\"two\",{\"three\":3},[false]]";
static const char *const NAMES[4] = { "string", "binary", "object", "array" };

static cipher_case CASES[CHANNELS] = { { "plain", 0, "", { 0 } },
                                       { "aes128", 128, "", { 0 } },
                                       { "aes256", 256, "", { 0 } } };

/* What one channel of the C client received from the JS peer (service thread
 * writes, test thread reads, under mu). */
typedef struct {
    pthread_mutex_t *mu;
    char *msg_name[MAX_EVENTS];
    ably_data msg_data[MAX_EVENTS];
    char *msg_encoding[MAX_EVENTS];
    size_t msg_count;
    ably_presence_action pres_action[MAX_EVENTS];
    ably_data pres_data[MAX_EVENTS];
    char *pres_encoding[MAX_EVENTS];
    size_t pres_count;
} inbox;

/* ---- the C client's listeners (service thread) ---- */

static void on_message(void *ctx, const ably_message *m)
{
    inbox *in = ctx;
    if (!m->client_id || strcmp(m->client_id, JS_PEER) != 0)
        return; /* our own echo */
    pthread_mutex_lock(in->mu);
    if (in->msg_count < MAX_EVENTS) {
        size_t i = in->msg_count++;
        in->msg_name[i] = m->name ? strdup(m->name) : NULL;
        ably_data_set(&in->msg_data[i], m->data.type, m->data.bytes, m->data.len);
        in->msg_encoding[i] = m->encoding ? strdup(m->encoding) : NULL;
    }
    pthread_mutex_unlock(in->mu);
}

static void on_presence(void *ctx, const ably_presence_message *m)
{
    inbox *in = ctx;
    if (!m->client_id || strcmp(m->client_id, JS_PEER) != 0)
        return;
    pthread_mutex_lock(in->mu);
    if (in->pres_count < MAX_EVENTS) {
        size_t i = in->pres_count++;
        in->pres_action[i] = m->action;
        ably_data_set(&in->pres_data[i], m->data.type, m->data.bytes, m->data.len);
        in->pres_encoding[i] = m->encoding ? strdup(m->encoding) : NULL;
    }
    pthread_mutex_unlock(in->mu);
}

static void inbox_free(inbox *in)
{
    for (size_t i = 0; i < in->msg_count; i++) {
        free(in->msg_name[i]);
        free(in->msg_encoding[i]);
        ably_data_clear(&in->msg_data[i]);
    }
    for (size_t i = 0; i < in->pres_count; i++) {
        free(in->pres_encoding[i]);
        ably_data_clear(&in->pres_data[i]);
    }
}

/* Counts completions of attach / presence / publish calls (service thread). */
typedef struct {
    pthread_mutex_t mu;
    int done, failed;
    char first_error[200];
} tally;

static void count_result(tally *t, const ably_error *err)
{
    pthread_mutex_lock(&t->mu);
    t->done++;
    if (err) {
        if (!t->failed)
            snprintf(t->first_error, sizeof t->first_error, "%lld %s", (long long)err->code,
                     err->message ? err->message : "");
        t->failed++;
    }
    pthread_mutex_unlock(&t->mu);
}

static void on_result(void *ctx, const ably_error *err)
{
    count_result(ctx, err);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    count_result(ctx, err);
}

/* Waits until `want` results are in; fails on a timeout or an error. */
static void tally_wait(tally *t, int want, const char *what)
{
    int64_t end = rt_sandbox_now_ms() + WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&t->mu);
        int done = t->done, failed = t->failed;
        char first[200];
        memcpy(first, t->first_error, sizeof first);
        pthread_mutex_unlock(&t->mu);
        if (failed)
            fail_msg("%s failed: %s", what, first);
        if (done >= want)
            return;
        if (rt_sandbox_now_ms() > end)
            fail_msg("%s: %d of %d results after %d ms", what, done, want, WAIT_MS);
        rest_sleep_ms(5);
    }
}

/* ---- node ---- */

typedef struct {
    FILE *pipe;
} node_peer;

static void set_node_env(const sandbox_env *env, bool binary, const char *channels)
{
    interop_set_sandbox_env(env, binary ? "msgpack" : "json");
    interop_set_payload_env();
    setenv("INTEROP_CHANNELS", channels, 1);
    setenv("INTEROP_PEER", C_PEER, 1);
    setenv("INTEROP_ARRAY", ARRAY, 1);
}

/* One line of node's stdout, parsed (caller deletes); fails with the exit status
 * when node ends first. */
static cJSON *read_node_line(node_peer *n, const char *what)
{
    char line[65536];
    if (!fgets(line, sizeof line, n->pipe)) {
        int status = pclose(n->pipe);
        n->pipe = NULL;
        fail_msg("node ended (status %d) before printing %s; its stderr is above", status, what);
    }
    cJSON *doc = cJSON_Parse(line);
    if (!doc)
        fail_msg("node printed something other than JSON for %s: %s", what, line);
    return doc;
}

/* ---- checks ---- */

static void check_c_data(const ably_data *d, const char *encoding, size_t which, const char *what)
{
    if (encoding)
        fail_msg("%s: encoding left over: %s", what, encoding);
    switch (which) {
    case 0:
        assert_int_equal(d->type, ABLY_DATA_STRING);
        assert_string_equal(d->bytes, TEXT);
        break;
    case 1:
        assert_int_equal(d->type, ABLY_DATA_BINARY);
        assert_int_equal(d->len, sizeof BYTES);
        assert_memory_equal(d->bytes, BYTES, sizeof BYTES);
        break;
    default: {
        assert_int_equal(d->type, ABLY_DATA_JSON);
        cJSON *want = cJSON_Parse(which == 2 ? OBJECT : ARRAY), *got = cJSON_Parse(d->bytes);
        if (!cJSON_Compare(want, got, true))
            fail_msg("%s: JSON %s, want %s", what, d->bytes, which == 2 ? OBJECT : ARRAY);
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
    }
}

/* What C got from JS on one channel: the four payloads in order; presence enter
 * {"from":"js"}, update with the text, leave with the bytes. */
static void check_c_inbox(inbox *in, const char *label)
{
    int64_t end = rt_sandbox_now_ms() + WAIT_MS;
    for (;;) {
        pthread_mutex_lock(in->mu);
        bool complete = in->msg_count >= 4 && in->pres_count >= 3;
        pthread_mutex_unlock(in->mu);
        if (complete)
            break;
        if (rt_sandbox_now_ms() > end)
            fail_msg("%s: C received %zu messages and %zu presence events from JS, want 4 and 3", label,
                     in->msg_count, in->pres_count);
        rest_sleep_ms(5);
    }
    pthread_mutex_lock(in->mu);
    assert_int_equal(in->msg_count, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(in->msg_name[i], NAMES[i]);
        check_c_data(&in->msg_data[i], in->msg_encoding[i], i, label);
    }
    assert_int_equal(in->pres_count, 3);
    assert_int_equal(in->pres_action[0], ABLY_PRESENCE_ACTION_ENTER);
    assert_int_equal(in->pres_action[1], ABLY_PRESENCE_ACTION_UPDATE);
    assert_int_equal(in->pres_action[2], ABLY_PRESENCE_ACTION_LEAVE);
    assert_int_equal(in->pres_data[0].type, ABLY_DATA_JSON);
    cJSON *enter = cJSON_Parse(in->pres_data[0].bytes);
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(enter, "from");
    assert_true(cJSON_IsString(from) && strcmp(from->valuestring, "js") == 0);
    cJSON_Delete(enter);
    check_c_data(&in->pres_data[1], in->pres_encoding[1], 0, label);
    check_c_data(&in->pres_data[2], in->pres_encoding[2], 1, label);
    pthread_mutex_unlock(in->mu);
}

/* One described item of node's output: {kind, value, encoding}; `which` as in check_c_data. */
static void check_js_item(const cJSON *item, size_t which, const char *label)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(item, "kind");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "value");
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(item, "encoding")))
        fail_msg("%s: JS left an encoding", label);
    assert_true(cJSON_IsString(kind));
    if (which == 0) {
        assert_string_equal(kind->valuestring, "string");
        assert_string_equal(value->valuestring, TEXT);
    } else if (which == 1) {
        char body_hex[2 * sizeof BYTES + 1];
        interop_hex(BYTES, sizeof BYTES, body_hex);
        assert_string_equal(kind->valuestring, "binary");
        assert_string_equal(value->valuestring, body_hex);
    } else {
        assert_string_equal(kind->valuestring, "json");
        cJSON *want = cJSON_Parse(which == 2 ? OBJECT : ARRAY);
        assert_true(cJSON_Compare(value, want, true));
        cJSON_Delete(want);
    }
}

/* What JS got from C on one channel: the four payloads in order; presence enter
 * with the object, update with the array, leave with the text. */
static void check_js_view(const cJSON *channel, const char *label)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(channel, "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 4);
    for (int i = 0; i < 4; i++) {
        const cJSON *m = cJSON_GetArrayItem(msgs, i);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring, NAMES[i]);
        check_js_item(m, (size_t)i, label);
    }
    const cJSON *pres = cJSON_GetObjectItemCaseSensitive(channel, "presence");
    assert_int_equal(cJSON_GetArraySize(pres), 3);
    static const char *const ACTIONS[3] = { "enter", "update", "leave" };
    static const size_t DATA[3] = { 2, 3, 0 };
    for (int i = 0; i < 3; i++) {
        const cJSON *p = cJSON_GetArrayItem(pres, i);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "action")->valuestring, ACTIONS[i]);
        check_js_item(p, DATA[i], label);
    }
}

/* The encrypted channels really are encrypted on the wire: read without the key,
 * every message (C's and JS's) still carries its cipher step. */
static void check_ciphertext(const sandbox_env *env, const char *name, const cipher_case *c)
{
    ably_rest *rest = rest_with_key(env, 0, false);
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    REST_OK(ably_rest_channels_get(rest, name, NULL, &ch, &err), &err);
    size_t n = 0;
    ably_paginated_result *page = rest_wait_history(ch, NULL, 8, &n);
    const ably_message *m = ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 8);
    char step[32];
    snprintf(step, sizeof step, "cipher+aes-%d-cbc", c->bits);
    for (size_t i = 0; i < n; i++)
        if (!m[i].encoding || !strstr(m[i].encoding, step))
            fail_msg("%s: message %zu (%s) has encoding %s, want %s", c->label, i, m[i].client_id,
                     m[i].encoding ? m[i].encoding : "(none)", step);
    ably_paginated_result_free(page);
    ably_rest_destroy(rest);
}

/* Everything on the channel went out after C attached: history holds all eight
 * messages, history untilAttach (fromSerial = attachSerial) none of them. */
static void check_history_until_attach(ably_realtime_channel *ch)
{
    ably_paginated_result *page = NULL;
    ably_error err = {0};
    size_t n = 0;
    REST_OK(ably_realtime_channel_history(ch, NULL, false, &page, &err), &err);
    ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 8);
    ably_paginated_result_free(page);
    page = NULL;
    REST_OK(ably_realtime_channel_history(ch, NULL, true, &page, &err), &err);
    ably_paginated_result_messages(page, &n);
    assert_int_equal(n, 0);
    ably_paginated_result_free(page);
}

/* ---- the scenario ---- */

static ably_realtime *c_client(const sandbox_env *env, bool binary)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    o.client_id = C_PEER;
    o.realtime_request_timeout_ms = 10000;
    return rt_sandbox_create(&o);
}

static ably_data borrowed(size_t which)
{
    switch (which) {
    case 0:
        return ably_data_borrow(ABLY_DATA_STRING, TEXT, strlen(TEXT));
    case 1:
        return ably_data_borrow(ABLY_DATA_BINARY, BYTES, sizeof BYTES);
    case 2:
        return ably_data_borrow(ABLY_DATA_JSON, OBJECT, strlen(OBJECT));
    default:
        return ably_data_borrow(ABLY_DATA_JSON, ARRAY, strlen(ARRAY));
    }
}

static void c_publishes_and_presence(ably_realtime_channel *chans[CHANNELS])
{
    tally t = { .mu = PTHREAD_MUTEX_INITIALIZER };
    for (size_t c = 0; c < CHANNELS; c++) {
        ably_message m[4];
        for (size_t i = 0; i < 4; i++) {
            ably_message_init(&m[i]);
            m[i].name = (char *)NAMES[i];
            m[i].data = borrowed(i);
        }
        ably_realtime_channel_publish_messages(chans[c], m, 4, on_published, &t);
        ably_realtime_presence *p = ably_realtime_channel_presence(chans[c]);
        ably_data enter = borrowed(2), update = borrowed(3), leave = borrowed(0);
        ably_realtime_presence_enter(p, &enter, on_result, &t);
        ably_realtime_presence_update(p, &update, on_result, &t);
        ably_realtime_presence_leave(p, &leave, on_result, &t);
    }
    tally_wait(&t, 4 * CHANNELS, "C publish / enter / update / leave");
}

static void run_pair(const sandbox_env *env, bool c_binary)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    inbox in[CHANNELS];
    memset(in, 0, sizeof in);
    char names[CHANNELS][128], list[800] = "";
    ably_realtime *rt = c_client(env, c_binary);
    ably_realtime_channel *chans[CHANNELS];
    tally attached = { .mu = PTHREAD_MUTEX_INITIALIZER };
    for (size_t c = 0; c < CHANNELS; c++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "rt-c-js-%s", CASES[c].label);
        rest_channel_name(names[c], sizeof names[c], prefix, c_binary);
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s%s%s", c ? "," : "", names[c], CASES[c].bits ? "|" : "",
                 CASES[c].key_b64);
        ably_realtime_channel_options o = { .cipher = CASES[c].bits ? &CASES[c].params : NULL };
        ably_error err = {0};
        REST_OK(ably_realtime_channels_get(rt, names[c], &o, &chans[c], &err), &err);
        in[c].mu = &mu;
        ably_realtime_channel_subscribe(chans[c], NULL, on_message, &in[c], on_result, &attached);
        ably_realtime_presence_subscribe(ably_realtime_channel_presence(chans[c]), -1, on_presence, &in[c], NULL,
                                         NULL);
    }
    tally_wait(&attached, CHANNELS, "C attach");

    set_node_env(env, !c_binary, list);
    node_peer n = { popen("timeout " NODE_TIMEOUT_S " node '" SCRIPT "'", "r") };
    assert_non_null(n.pipe);
    cJSON *ready = read_node_line(&n, "its ready line");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ready, "ready")));
    cJSON_Delete(ready);

    c_publishes_and_presence(chans);
    cJSON *doc = read_node_line(&n, "what it received");
    int status = pclose(n.pipe);
    if (status != 0)
        fail_msg("node exited with status %d after its report", status);
    const cJSON *js_chans = cJSON_GetObjectItemCaseSensitive(doc, "channels");
    assert_int_equal(cJSON_GetArraySize(js_chans), CHANNELS);
    for (size_t c = 0; c < CHANNELS; c++) {
        char label[96];
        snprintf(label, sizeof label, "%s, C %s / JS %s", CASES[c].label, c_binary ? "msgpack" : "json",
                 c_binary ? "json" : "msgpack");
        const cJSON *jc = cJSON_GetArrayItem(js_chans, (int)c);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(jc, "channel")->valuestring, names[c]);
        check_js_view(jc, label);
        check_c_inbox(&in[c], label);
        if (CASES[c].bits)
            check_ciphertext(env, names[c], &CASES[c]);
    }
    cJSON_Delete(doc);
    check_history_until_attach(chans[0]);
    ably_realtime_destroy(rt); /* no callback runs after this: the inboxes are ours again */
    for (size_t c = 0; c < CHANNELS; c++)
        inbox_free(&in[c]);
}

static void c_json_js_msgpack(void **state)
{
    interop_require_node(ABLY_PACKAGE);
    interop_prepare_ciphers(CASES, CHANNELS);
    run_pair(*state, false);
}

static void c_msgpack_js_json(void **state)
{
    interop_require_node(ABLY_PACKAGE);
    interop_prepare_ciphers(CASES, CHANNELS);
    run_pair(*state, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(c_json_js_msgpack, "RTL6 RTL7 RSL4a RSL5a RSL5b RSL6a RSE1 RTP6 RTP8 RTP9 RTP10 TP3e RTL10b"),
        ABLY_TEST(c_msgpack_js_json, "RTL6 RTL7 RSL4a RSL5a RSL5b RSL6a RSE1 RTP6 RTP8 RTP9 RTP10 TP3e RTL10b"),
    };
    return cmocka_run_group_tests_name("sandbox_interop_realtime_js", tests, rest_group_setup,
                                       rest_group_teardown);
}
