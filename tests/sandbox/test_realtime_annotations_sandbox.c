/* Realtime annotations and mutable messages against the sandbox (uts/realtime/
 * integration/mutable_messages_test.md, RTAN, RTL28, RTL32): the real lws transport and
 * the service thread (THREAD mode), JSON and msgpack, on the app's "mutable" namespace.
 * Callbacks run on the service thread; what they record is guarded by a mutex. */
#include "ably_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "rt_sandbox.h"

#define RT_WAIT_MS 10000

typedef struct {
    pthread_mutex_t mu;
    int done;            /* completions seen */
    int64_t code;        /* last completion's error code (0: success) */
    char serial[96];     /* publish serial / version serial */
    int annotations;
    char ann_type[64];
    char ann_serial[96];
    int summaries, updates;
    char summary[512];
    char updated_data[64];
} rec;

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static bool wait_count(rec *r, const int *field, int want)
{
    return rt_sandbox_wait_int(&r->mu, field, want, RT_WAIT_MS);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->code = err ? err->code : 0;
    if (res && res->serials_count && res->serials[0])
        snprintf(r->serial, sizeof r->serial, "%s", res->serials[0]);
    r->done++;
    pthread_mutex_unlock(&r->mu);
}

static void on_result(void *ctx, const ably_error *err)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->code = err ? err->code : 0;
    r->done++;
    pthread_mutex_unlock(&r->mu);
}

static void on_updated(void *ctx, const ably_error *err, const ably_update_delete_result *res)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->code = err ? err->code : 0;
    snprintf(r->serial, sizeof r->serial, "%s", res && res->version_serial ? res->version_serial : "");
    r->done++;
    pthread_mutex_unlock(&r->mu);
}

static void on_annotation(void *ctx, const ably_annotation *a)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    snprintf(r->ann_type, sizeof r->ann_type, "%s", a->type ? a->type : "");
    snprintf(r->ann_serial, sizeof r->ann_serial, "%s", a->message_serial ? a->message_serial : "");
    r->annotations++;
    pthread_mutex_unlock(&r->mu);
}

static void on_message(void *ctx, const ably_message *m)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (m->has_action && m->action == ABLY_MESSAGE_ACTION_MESSAGE_SUMMARY) {
        snprintf(r->summary, sizeof r->summary, "%s",
                 m->annotations && m->annotations->summary ? m->annotations->summary : "");
        r->summaries++;
    } else if (m->has_action && m->action == ABLY_MESSAGE_ACTION_MESSAGE_UPDATE) {
        snprintf(r->updated_data, sizeof r->updated_data, "%.*s", (int)m->data.len,
                 m->data.bytes ? (const char *)m->data.bytes : "");
        r->updates++;
    }
    pthread_mutex_unlock(&r->mu);
}

/* A client aimed at the sandbox; it connects on its own (autoConnect). */
static ably_realtime *make_client(const sandbox_env *env, bool binary)
{
    ably_client_options o;
    rt_sandbox_options(&o, env, binary);
    return rt_sandbox_create(&o);
}

static void annotate_update_and_read_back(const sandbox_env *env, bool binary)
{
    ably_realtime *rt = make_client(env, binary);
    char name[96];
    rt_sandbox_unique_name(name, sizeof name, "mutable:rt-ann", binary);
    ably_realtime_channel_options opts = {
        .modes = ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE | ABLY_CHANNEL_MODE_ANNOTATION_PUBLISH |
                 ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(rt, name, &opts, &ch, &err), 0);
    rec r;
    rec_init(&r);
    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch);
    assert_true(ably_realtime_annotations_subscribe(an, "reaction:distinct.v1", on_annotation, &r, on_result, &r) != 0);
    assert_true(wait_count(&r, &r.done, 1)); /* attached */
    assert_int_equal(r.code, 0);
    assert_true(ably_realtime_channel_subscribe(ch, NULL, on_message, &r, NULL, NULL) != 0);

    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "original", 8);
    ably_realtime_channel_publish(ch, "greeting", &d, on_published, &r);
    assert_true(wait_count(&r, &r.done, 2));
    assert_int_equal(r.code, 0);
    char serial[96];
    pthread_mutex_lock(&r.mu);
    snprintf(serial, sizeof serial, "%s", r.serial);
    pthread_mutex_unlock(&r.mu);
    assert_true(strlen(serial) > 0);

    /* RTAN1: publish over the connection, ACKed; RTAN4b: delivered back (ANNOTATION_SUBSCRIBE) */
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = "reaction:distinct.v1";
    a.name = "like";
    a.client_id = "rt-user"; /* distinct.v1 counts identified clients */
    ably_realtime_annotations_publish(an, serial, &a, on_result, &r);
    assert_true(wait_count(&r, &r.done, 3));
    assert_int_equal(r.code, 0);
    assert_true(wait_count(&r, &r.annotations, 1));
    assert_true(wait_count(&r, &r.summaries, 1));
    pthread_mutex_lock(&r.mu);
    assert_string_equal(r.ann_type, "reaction:distinct.v1");
    assert_string_equal(r.ann_serial, serial);
    if (!strstr(r.summary, "\"like\""))
        fprintf(stderr, "summary: [%s]\n", r.summary);
    assert_non_null(strstr(r.summary, "\"like\""));
    pthread_mutex_unlock(&r.mu);

    /* RTAN3: the same annotation through REST */
    ably_paginated_result *page = NULL;
    assert_int_equal(ably_realtime_annotations_get(an, serial, NULL, &page, &err), 0);
    size_t n = 0;
    const ably_annotation *items = ably_paginated_result_annotations(page, &n);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].name, "like");
    ably_paginated_result_free(page);

    /* RTL32: update over the connection; the ACK carries the version serial */
    ably_message upd;
    ably_message_init(&upd);
    upd.serial = serial;
    upd.data = ably_data_borrow(ABLY_DATA_STRING, "edited", 6);
    ably_message_operation op = {.description = "typo"};
    ably_realtime_channel_update_message(ch, &upd, &op, NULL, on_updated, &r);
    assert_true(wait_count(&r, &r.done, 4));
    assert_int_equal(r.code, 0);
    pthread_mutex_lock(&r.mu);
    assert_true(strlen(r.serial) > 0);
    pthread_mutex_unlock(&r.mu);
    assert_true(wait_count(&r, &r.updates, 1));
    pthread_mutex_lock(&r.mu);
    assert_string_equal(r.updated_data, "edited");
    pthread_mutex_unlock(&r.mu);

    /* RTL28: the latest version through REST */
    ably_message got;
    ably_message_init(&got);
    assert_int_equal(ably_realtime_channel_get_message(ch, serial, &got, &err), 0);
    assert_int_equal(got.action, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
    assert_string_equal(got.data.bytes, "edited");
    assert_non_null(got.version);
    assert_string_equal(got.version->description, "typo");
    ably_message_clear(&got);
    /* RTL31: both versions */
    assert_int_equal(ably_realtime_channel_get_message_versions(ch, serial, NULL, &page, &err), 0);
    size_t versions = 0;
    assert_non_null(ably_paginated_result_messages(page, &versions));
    assert_int_equal(versions, 2);
    ably_paginated_result_free(page);

    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&r.mu);
}

static void annotations_and_updates_json(void **state)
{
    annotate_update_and_read_back(*state, false);
}

static void annotations_and_updates_msgpack(void **state)
{
    annotate_update_and_read_back(*state, true);
}

static int setup(void **state) { return sandbox_env_group_setup(state); }
static int teardown(void **state) { return sandbox_env_group_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(annotations_and_updates_json, "RTAN1 RTAN3 RTAN4b RTL28 RTL31 RTL32 RTL32d"),
        ABLY_TEST(annotations_and_updates_msgpack, "RTAN1 RTAN4b RTL32 TM2u"),
    };
    return cmocka_run_group_tests_name("sandbox_realtime_annotations", tests, setup, teardown);
}
