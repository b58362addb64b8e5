/* Delta-compressed channels end to end against the sandbox (uts/realtime/
 * integration/delta_decoding_test.md): the sandbox sends vcdiff deltas to
 * channels attached with params delta=vcdiff; the client decodes them with the
 * library's decoder (PC3), over JSON and msgpack, and recovers from decode
 * failures (RTL18). Callbacks run on the service thread: what they record is
 * guarded by a mutex. Every wait is bounded. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define WAIT_MS 10000
#define N_DATA 5

static const char *const test_data[N_DATA] = {
    "{\"foo\":\"bar\",\"count\":1,\"status\":\"active\"}",
    "{\"foo\":\"bar\",\"count\":2,\"status\":\"active\"}",
    "{\"foo\":\"bar\",\"count\":2,\"status\":\"inactive\"}",
    "{\"foo\":\"bar\",\"count\":3,\"status\":\"inactive\"}",
    "{\"foo\":\"bar\",\"count\":3,\"status\":\"active\"}",
};

/* ---- what the service thread records ---- */

typedef struct {
    pthread_mutex_t mu;
    int decodes;
    bool fail_decodes;
    int received;
    char names[32][8];
    ably_data data[32];
    int attaching;
    int64_t attaching_code; /* of the first ATTACHING */
    int acks, nacks;
} rec;

static int counting_decode(void *ctx, const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len,
                           uint8_t **out, size_t *out_len, ably_error *err)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->decodes++;
    bool fail = r->fail_decodes;
    pthread_mutex_unlock(&r->mu);
    if (fail) {
        *out = NULL;
        ably_error_set(err, 40000, 400, "failing decoder");
        return -1;
    }
    return ably_vcdiff_decode(delta, delta_len, base, base_len, out, out_len, err);
}

static void on_msg(void *ctx, const ably_message *m)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->received < 32) {
        snprintf(r->names[r->received], sizeof r->names[0], "%s", m->name ? m->name : "");
        ably_data_set(&r->data[r->received], m->data.type, m->data.bytes, m->data.len);
        r->received++;
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_change(void *ctx, const ably_channel_state_change *c)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (c->current == ABLY_CHANNEL_ATTACHING && c->previous == ABLY_CHANNEL_ATTACHED) {
        if (!r->attaching++)
            r->attaching_code = c->reason ? c->reason->code : 0;
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (err && err->code)
        r->nacks++;
    else
        r->acks++;
    pthread_mutex_unlock(&r->mu);
}

static int get_int(rec *r, const int *field) { return rt_sandbox_read_int(&r->mu, field); }

static bool wait_int(rec *r, const int *field, int at_least)
{
    return rt_sandbox_wait_int(&r->mu, field, at_least, WAIT_MS);
}

static void rec_free(rec *r)
{
    for (int i = 0; i < 32; i++)
        ably_data_clear(&r->data[i]);
    pthread_mutex_destroy(&r->mu);
}

/* Index of the first message named `name` received, or -1 (caller holds no lock). */
static int find_name(rec *r, const char *name)
{
    int at = -1;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->received && at < 0; i++)
        if (strcmp(r->names[i], name) == 0)
            at = i;
    pthread_mutex_unlock(&r->mu);
    return at;
}

/* ---- client and channel ---- */

typedef struct {
    rec r;
    ably_vcdiff_decoder plugin;
    ably_realtime *rt;
    ably_realtime_channel *ch;
    ably_string_map params;
} delta_client;

static void start(delta_client *d, const sandbox_env *env, bool binary, bool plugin, bool delta_param,
                  const char *channel)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->r.mu, NULL);
    d->plugin = (ably_vcdiff_decoder){counting_decode, &d->r};
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    if (plugin)
        o.vcdiff_decoder = &d->plugin;
    d->rt = rt_sandbox_create(&o);
    ably_error err;
    ably_error_init(&err);
    ably_realtime_channel_options co = {0};
    if (delta_param) {
        ably_string_map_set(&d->params, "delta", "vcdiff");
        co.params = &d->params;
    }
    assert_int_equal(ably_realtime_channels_get(d->rt, channel, &co, &d->ch, &err), 0);
    ably_error_clear(&err);
    ably_realtime_channel_on(d->ch, ABLY_CHANNEL_EVENT_ANY, on_change, &d->r);
    ably_realtime_channel_subscribe(d->ch, NULL, on_msg, &d->r, NULL, NULL); /* attaches (RTL7g) */
    assert_true(rt_sandbox_wait_channel(d->ch, ABLY_CHANNEL_ATTACHED, WAIT_MS));
}

static void stop(delta_client *d)
{
    ably_realtime_destroy(d->rt);
    ably_string_map_clear(&d->params);
    rec_free(&d->r);
}

/* Publishes payload i under the name "i", waiting for its ACK. */
static void publish(delta_client *d, int i, ably_data_type type, const void *bytes, size_t len)
{
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    int before = get_int(&d->r, &d->r.acks) + get_int(&d->r, &d->r.nacks);
    ably_data data = ably_data_borrow(type, bytes, len);
    ably_realtime_channel_publish(d->ch, name, &data, on_published, &d->r);
    int64_t end = rt_sandbox_now_ms() + WAIT_MS;
    while (get_int(&d->r, &d->r.acks) + get_int(&d->r, &d->r.nacks) == before && rt_sandbox_now_ms() < end)
        usleep(1000);
    assert_int_equal(get_int(&d->r, &d->r.nacks), 0);
}

static void assert_received(delta_client *d, int i, const void *bytes, size_t len)
{
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    int at = find_name(&d->r, name);
    assert_true(at >= 0);
    pthread_mutex_lock(&d->r.mu);
    assert_int_equal(d->r.data[at].len, len);
    assert_memory_equal(d->r.data[at].bytes, bytes, len);
    pthread_mutex_unlock(&d->r.mu);
}

static bool wait_all_names(delta_client *d, int n)
{
    int64_t end = rt_sandbox_now_ms() + WAIT_MS * 2;
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", i);
        while (find_name(&d->r, name) < 0) {
            if (rt_sandbox_now_ms() > end)
                return false;
            usleep(2000);
        }
    }
    return true;
}

/* ---- tests ---- */

/* PC3: every message arrives intact; all but the first were deltas. */
static void decodes_deltas_end_to_end(void **state, bool binary)
{
    delta_client d;
    start(&d, *state, binary, true, true, binary ? "delta-PC3-mp" : "delta-PC3-json");
    for (int i = 0; i < N_DATA; i++)
        publish(&d, i, ABLY_DATA_JSON, test_data[i], strlen(test_data[i]));
    assert_true(wait_int(&d.r, &d.r.received, N_DATA));
    for (int i = 0; i < N_DATA; i++) {
        assert_received(&d, i, test_data[i], strlen(test_data[i]));
        assert_int_equal(d.r.data[i].type, ABLY_DATA_JSON);
    }
    assert_int_equal(get_int(&d.r, &d.r.decodes), N_DATA - 1);
    assert_int_equal(get_int(&d.r, &d.r.attaching), 0);
    stop(&d);
}
static void decodes_deltas_json(void **state) { decodes_deltas_end_to_end(state, false); }
static void decodes_deltas_msgpack(void **state) { decodes_deltas_end_to_end(state, true); }

/* PC3: without the channel param the server sends whole messages. */
static void no_deltas_without_param(void **state)
{
    delta_client d;
    start(&d, *state, false, true, false, "delta-no-param");
    for (int i = 0; i < N_DATA; i++)
        publish(&d, i, ABLY_DATA_JSON, test_data[i], strlen(test_data[i]));
    assert_true(wait_int(&d.r, &d.r.received, N_DATA));
    for (int i = 0; i < N_DATA; i++)
        assert_received(&d, i, test_data[i], strlen(test_data[i]));
    assert_int_equal(get_int(&d.r, &d.r.decodes), 0);
    stop(&d);
}

/* RTL19b: dissimilar binary payloads go whole and each becomes the base. */
static void dissimilar_binary_payloads(void **state)
{
    delta_client d;
    start(&d, *state, true, true, true, "delta-dissimilar");
    static uint8_t payloads[N_DATA][1024];
    uint32_t s = 2463534242u;
    for (int i = 0; i < N_DATA; i++)
        for (size_t k = 0; k < sizeof payloads[i]; k++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            payloads[i][k] = (uint8_t)s;
        }
    for (int i = 0; i < N_DATA; i++)
        publish(&d, i, ABLY_DATA_BINARY, payloads[i], sizeof payloads[i]);
    assert_true(wait_int(&d.r, &d.r.received, N_DATA));
    for (int i = 0; i < N_DATA; i++)
        assert_received(&d, i, payloads[i], sizeof payloads[i]);
    assert_int_equal(get_int(&d.r, &d.r.attaching), 0);
    stop(&d);
}

/* RTL18, RTL18c: a decoder that always fails: the channel reattaches with
 * 40018 from the last good channelSerial, and every message still arrives
 * (resent whole after each reattach). */
static void recovers_from_decode_failures(void **state, bool binary)
{
    delta_client d;
    start(&d, *state, binary, true, true, binary ? "delta-recovery-mp" : "delta-recovery-json");
    d.r.fail_decodes = true; /* set before any message: nothing races it */
    for (int i = 0; i < N_DATA; i++)
        publish(&d, i, ABLY_DATA_JSON, test_data[i], strlen(test_data[i]));
    assert_true(wait_all_names(&d, N_DATA));
    for (int i = 0; i < N_DATA; i++)
        assert_received(&d, i, test_data[i], strlen(test_data[i]));
    assert_true(get_int(&d.r, &d.r.attaching) >= 1);
    pthread_mutex_lock(&d.r.mu);
    assert_int_equal(d.r.attaching_code, 40018);
    pthread_mutex_unlock(&d.r.mu);
    stop(&d);
}
static void recovers_json(void **state) { recovers_from_decode_failures(state, false); }
static void recovers_msgpack(void **state) { recovers_from_decode_failures(state, true); }

/* PC3: a delta with no plugin fails the channel with 40019. */
static void no_plugin_fails_channel(void **state)
{
    delta_client d;
    start(&d, *state, false, false, true, "delta-no-plugin");
    publish(&d, 0, ABLY_DATA_JSON, test_data[0], strlen(test_data[0]));
    ably_data data = ably_data_borrow(ABLY_DATA_JSON, test_data[1], strlen(test_data[1]));
    ably_realtime_channel_publish(d.ch, "1", &data, NULL, NULL); /* the ACK may race the FAILED */
    int64_t end = rt_sandbox_now_ms() + WAIT_MS;
    while (ably_realtime_channel_state(d.ch) != ABLY_CHANNEL_FAILED && rt_sandbox_now_ms() < end)
        usleep(2000);
    assert_int_equal(ably_realtime_channel_state(d.ch), ABLY_CHANNEL_FAILED);
    ably_error e;
    ably_error_init(&e);
    assert_int_equal(ably_realtime_channel_error_reason(d.ch, &e), 1);
    assert_int_equal(e.code, 40019);
    ably_error_clear(&e);
    stop(&d);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(decodes_deltas_json, "PC3 PC3a RTL19 RTL19b RTL19c RTL20 VD2a"),
        ABLY_TEST(decodes_deltas_msgpack, "PC3 PC3a RTL19 RTL19b RTL19c RTL20 VD2a"),
        ABLY_TEST(no_deltas_without_param, "PC3"),
        ABLY_TEST(dissimilar_binary_payloads, "RTL19b"),
        ABLY_TEST(recovers_json, "RTL18 RTL18b RTL18c"),
        ABLY_TEST(recovers_msgpack, "RTL18 RTL18b RTL18c"),
        ABLY_TEST(no_plugin_fails_channel, "PC3"),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
