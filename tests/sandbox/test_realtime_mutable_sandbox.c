/* Mutable messages and annotations over realtime against the sandbox, as seen by a
 * second connection (uts/realtime/integration/mutable_messages_test.md): update /
 * append / delete observed in order (RTL32), getMessage / getMessageVersions after two
 * updates (RTL28, RTL31), annotation publish and delete observed (RTAN1, RTAN2, RTAN4),
 * type filtering (RTAN4c) and implicit attach (RTAN4d). JSON and msgpack each time.
 * test_realtime_annotations_sandbox.c covers the single-connection round trip.
 *
 * Callbacks run on the clients' service threads; what they record is guarded by a
 * mutex and every wait is bounded. */
#include "test_rest_support.h"
#include "rt_sandbox.h"

#include <pthread.h>

#define RT_WAIT_MS 10000
#define MAX_SEEN 16

/* ---- what a connection saw ---- */

typedef struct {
    int action;
    char name[64];
    char data[64];
    char serial[96];   /* message serial, or an annotation's messageSerial */
    char type[64];     /* annotations only */
} seen;

typedef struct {
    pthread_mutex_t mu;
    seen items[MAX_SEEN];
    int count;
    int done;          /* completions (publish, attach, update, annotation publish) */
    int64_t code;      /* the last completion's error code, 0: success */
    char version_serial[96];
} rec;

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static int rec_read(rec *r, const int *field) { return rt_sandbox_read_int(&r->mu, field); }

static bool wait_at_least(rec *r, const int *field, int want)
{
    return rt_sandbox_wait_int(&r->mu, field, want, RT_WAIT_MS);
}

static void copy_data(char *out, size_t size, const ably_data *d)
{
    snprintf(out, size, "%.*s", (int)(d->bytes ? d->len : 0), d->bytes ? (const char *)d->bytes : "");
}

static void on_message(void *ctx, const ably_message *m)
{
    rec *r = ctx;
    if (m->has_action && m->action == ABLY_MESSAGE_ACTION_MESSAGE_SUMMARY)
        return; /* summaries follow annotations; these tests look at the messages */
    pthread_mutex_lock(&r->mu);
    if (r->count < MAX_SEEN) {
        seen *s = &r->items[r->count++];
        s->action = m->has_action ? (int)m->action : -1;
        snprintf(s->name, sizeof s->name, "%s", m->name ? m->name : "");
        copy_data(s->data, sizeof s->data, &m->data);
        snprintf(s->serial, sizeof s->serial, "%s", m->serial ? m->serial : "");
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_annotation(void *ctx, const ably_annotation *a)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->count < MAX_SEEN) {
        seen *s = &r->items[r->count++];
        s->action = a->has_action ? (int)a->action : -1;
        snprintf(s->name, sizeof s->name, "%s", a->name ? a->name : "");
        snprintf(s->type, sizeof s->type, "%s", a->type ? a->type : "");
        snprintf(s->serial, sizeof s->serial, "%s", a->message_serial ? a->message_serial : "");
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_done(void *ctx, const ably_error *err)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->code = err ? err->code : 0;
    r->done++;
    pthread_mutex_unlock(&r->mu);
}

static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    on_done(ctx, err);
}

static void on_updated(void *ctx, const ably_error *err, const ably_update_delete_result *res)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    snprintf(r->version_serial, sizeof r->version_serial, "%s",
             res && res->version_serial ? res->version_serial : "");
    pthread_mutex_unlock(&r->mu);
    on_done(ctx, err);
}

/* Waits for completion number `n` and asserts it succeeded. */
static void expect_done(rec *r, int n)
{
    assert_true(wait_at_least(r, &r->done, n));
    pthread_mutex_lock(&r->mu);
    int64_t code = r->code;
    pthread_mutex_unlock(&r->mu);
    assert_int_equal(code, 0);
}

/* Copies item i out under the lock. */
static seen item(rec *r, int i)
{
    pthread_mutex_lock(&r->mu);
    seen s = r->items[i];
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* ---- clients and channels ---- */

static ably_realtime_channel *channel(ably_realtime *rt, const char *name, uint32_t modes)
{
    ably_realtime_channel_options opts = {.modes = modes};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(rt, name, modes ? &opts : NULL, &ch, &err), 0);
    return ch;
}

static void attach(ably_realtime_channel *ch)
{
    rec r;
    rec_init(&r);
    ably_realtime_channel_attach(ch, on_done, &r);
    expect_done(&r, 1);
    pthread_mutex_destroy(&r.mu);
}

static void unique_name(char *out, size_t size, const char *what, bool binary)
{
    char tail[80];
    rest_channel_name(tail, sizeof tail, what, binary);
    snprintf(out, size, "mutable:%s", tail);
}

/* Publishes name/data on ch and returns the serial `watcher` saw for it (message
 * number `index` there). */
static void publish_and_get_serial(ably_realtime_channel *ch, const char *name, const char *data, rec *watcher,
                                   int index, char *serial, size_t size)
{
    rec r;
    rec_init(&r);
    ably_data d = ably_data_borrow(ABLY_DATA_STRING, data, strlen(data));
    ably_realtime_channel_publish(ch, name, &d, on_published, &r);
    expect_done(&r, 1);
    pthread_mutex_destroy(&r.mu);
    assert_true(wait_at_least(watcher, &watcher->count, index + 1));
    seen s = item(watcher, index);
    assert_true(s.serial[0] != '\0');
    snprintf(serial, size, "%s", s.serial);
}

/* ---- RTL32: update, append and delete observed by another connection ---- */

/* realtime/integration/RTL32/{update-message-observed-0, delete-message-observed-1,
 * append-message-observed-2, full-mutation-lifecycle-3} */
static void mutation_lifecycle(bool binary, const sandbox_env *env)
{
    char name[128];
    unique_name(name, sizeof name, "rt-lifecycle", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, NULL), *b = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *ch_a = channel(a, name, 0), *ch_b = channel(b, name, 0);
    attach(ch_b);
    rec got;
    rec_init(&got);
    ably_realtime_channel_subscribe(ch_b, NULL, on_message, &got, NULL, NULL);
    attach(ch_a);

    char serial[96];
    publish_and_get_serial(ch_a, "lifecycle", "v1", &got, 0, serial, sizeof serial);

    rec ops;
    rec_init(&ops);
    ably_message m;
    ably_message_init(&m);
    m.serial = serial;
    m.name = "lifecycle";
    m.data = ably_data_borrow(ABLY_DATA_STRING, "v2", 2);
    ably_message_operation edit = {.description = "edit 1"};
    ably_realtime_channel_update_message(ch_a, &m, &edit, NULL, on_updated, &ops);
    expect_done(&ops, 1);
    pthread_mutex_lock(&ops.mu);
    assert_true(ops.version_serial[0] != '\0'); /* RTL32d */
    ops.version_serial[0] = '\0';
    pthread_mutex_unlock(&ops.mu);
    assert_true(wait_at_least(&got, &got.count, 2));

    ably_message app;
    ably_message_init(&app);
    app.serial = serial;
    app.data = ably_data_borrow(ABLY_DATA_STRING, "reply-data", 10);
    ably_message_operation reply = {.description = "thread reply"};
    ably_realtime_channel_append_message(ch_a, &app, &reply, NULL, on_updated, &ops);
    expect_done(&ops, 2);
    pthread_mutex_lock(&ops.mu);
    assert_true(ops.version_serial[0] != '\0');
    ops.version_serial[0] = '\0';
    pthread_mutex_unlock(&ops.mu);
    assert_true(wait_at_least(&got, &got.count, 3));

    ably_message del;
    ably_message_init(&del);
    del.serial = serial;
    ably_realtime_channel_delete_message(ch_a, &del, NULL, NULL, on_updated, &ops);
    expect_done(&ops, 3);
    pthread_mutex_lock(&ops.mu);
    assert_true(ops.version_serial[0] != '\0');
    pthread_mutex_unlock(&ops.mu);
    assert_true(wait_at_least(&got, &got.count, 4));

    assert_int_equal(rec_read(&got, &got.count), 4);
    seen s = item(&got, 0);
    assert_int_equal(s.action, ABLY_MESSAGE_ACTION_MESSAGE_CREATE);
    assert_string_equal(s.name, "lifecycle");
    assert_string_equal(s.data, "v1");
    s = item(&got, 1);
    assert_int_equal(s.action, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
    assert_string_equal(s.name, "lifecycle");
    assert_string_equal(s.data, "v2");
    assert_string_equal(s.serial, serial);
    s = item(&got, 2);
    assert_int_equal(s.action, ABLY_MESSAGE_ACTION_MESSAGE_APPEND);
    assert_string_equal(s.data, "reply-data");
    assert_string_equal(s.serial, serial);
    s = item(&got, 3);
    assert_int_equal(s.action, ABLY_MESSAGE_ACTION_MESSAGE_DELETE);
    assert_string_equal(s.serial, serial);

    ably_realtime_destroy(a);
    ably_realtime_destroy(b);
    pthread_mutex_destroy(&got.mu);
    pthread_mutex_destroy(&ops.mu);
}

static void mutations_observed(void **state)
{
    mutation_lifecycle(false, *state);
    mutation_lifecycle(true, *state);
}

/* ---- RTL28, RTL31 after two realtime updates ---- */

/* realtime/integration/RTL28/get-message-and-versions-0 */
static void get_message_and_versions(bool binary, const sandbox_env *env)
{
    char name[128];
    unique_name(name, sizeof name, "rt-get-versions", binary);
    ably_realtime *rt = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *ch = channel(rt, name, 0);
    attach(ch);
    rec got;
    rec_init(&got);
    ably_realtime_channel_subscribe(ch, NULL, on_message, &got, NULL, NULL);
    char serial[96];
    publish_and_get_serial(ch, "versioned", "v1", &got, 0, serial, sizeof serial);

    rec ops;
    rec_init(&ops);
    static const char *const datas[] = {"v2", "v3"};
    static const char *const why[] = {"first edit", "second edit"};
    for (int i = 0; i < 2; i++) {
        ably_message m;
        ably_message_init(&m);
        m.serial = serial;
        m.data = ably_data_borrow(ABLY_DATA_STRING, datas[i], 2);
        ably_message_operation op = {.description = why[i]};
        ably_realtime_channel_update_message(ch, &m, &op, NULL, on_updated, &ops);
        expect_done(&ops, i + 1);
    }

    /* The store may lag: poll until the second update shows (errors mean "not yet"). */
    ably_message latest;
    ably_message_init(&latest);
    bool found = false;
    for (int64_t end = rt_sandbox_now_ms() + RT_WAIT_MS; !found && rt_sandbox_now_ms() < end;) {
        ably_error err = {0};
        if (ably_realtime_channel_get_message(ch, serial, &latest, &err) == 0 &&
            latest.action == ABLY_MESSAGE_ACTION_MESSAGE_UPDATE && latest.data.bytes &&
            latest.data.len == 2 && memcmp(latest.data.bytes, "v3", 2) == 0)
            found = true;
        else {
            ably_message_clear(&latest);
            ably_message_init(&latest);
            usleep(100000);
        }
        ably_error_clear(&err);
    }
    assert_true(found);
    assert_string_equal(latest.serial, serial);
    ably_message_clear(&latest);

    ably_paginated_result *page = NULL;
    size_t n = 0;
    const ably_message *items = NULL;
    for (int64_t end = rt_sandbox_now_ms() + RT_WAIT_MS; n < 3 && rt_sandbox_now_ms() < end;) {
        ably_error err = {0};
        ably_paginated_result_free(page);
        page = NULL;
        n = 0;
        if (ably_realtime_channel_get_message_versions(ch, serial, NULL, &page, &err) == 0)
            items = ably_paginated_result_messages(page, &n);
        if (n < 3)
            usleep(100000);
        ably_error_clear(&err);
    }
    assert_true(n >= 3); /* the original and two updates */
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].serial, serial);
    ably_paginated_result_free(page);

    ably_realtime_destroy(rt);
    pthread_mutex_destroy(&got.mu);
    pthread_mutex_destroy(&ops.mu);
}

static void get_message_after_realtime_updates(void **state)
{
    get_message_and_versions(false, *state);
    get_message_and_versions(true, *state);
}

/* ---- annotations seen by another connection ---- */

#define ALL_MODES                                                                                     \
    (ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE | ABLY_CHANNEL_MODE_ANNOTATION_PUBLISH | \
     ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE)
#define WATCH_MODES (ABLY_CHANNEL_MODE_SUBSCRIBE | ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE)

static void annotate(ably_realtime_annotations *an, const char *serial, const char *type, const char *name,
                     bool remove, rec *ops, int n)
{
    ably_annotation a;
    ably_annotation_init(&a);
    a.type = (char *)(uintptr_t)type; /* borrowed for the call, which copies it */
    a.name = (char *)(uintptr_t)name;
    if (remove)
        ably_realtime_annotations_delete(an, serial, &a, on_done, ops);
    else
        ably_realtime_annotations_publish(an, serial, &a, on_done, ops);
    expect_done(ops, n);
}

/* realtime/integration/RTAN1/annotation-publish-delete-0 */
static void annotation_publish_and_delete(bool binary, const sandbox_env *env)
{
    char name[128];
    unique_name(name, sizeof name, "rt-annotations", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, NULL), *b = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *ch_a = channel(a, name, ALL_MODES), *ch_b = channel(b, name, WATCH_MODES);
    attach(ch_b);
    rec anns, msgs, ops;
    rec_init(&anns);
    rec_init(&msgs);
    rec_init(&ops);
    ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch_b), NULL, on_annotation, &anns, NULL,
                                        NULL);
    ably_realtime_channel_subscribe(ch_a, NULL, on_message, &msgs, NULL, NULL);
    attach(ch_a);
    char serial[96];
    publish_and_get_serial(ch_a, "annotatable", "content", &msgs, 0, serial, sizeof serial);

    ably_realtime_annotations *an = ably_realtime_channel_annotations(ch_a);
    annotate(an, serial, "com.ably.reactions", "like", false, &ops, 1);
    assert_true(wait_at_least(&anns, &anns.count, 1));
    annotate(an, serial, "com.ably.reactions", "like", true, &ops, 2);
    assert_true(wait_at_least(&anns, &anns.count, 2));

    assert_int_equal(rec_read(&anns, &anns.count), 2);
    for (int i = 0; i < 2; i++) {
        seen s = item(&anns, i);
        assert_int_equal(s.action, i == 0 ? ABLY_ANNOTATION_ACTION_ANNOTATION_CREATE
                                          : ABLY_ANNOTATION_ACTION_ANNOTATION_DELETE);
        assert_string_equal(s.type, "com.ably.reactions");
        assert_string_equal(s.name, "like");
        assert_string_equal(s.serial, serial);
    }
    ably_realtime_destroy(a);
    ably_realtime_destroy(b);
    pthread_mutex_destroy(&anns.mu);
    pthread_mutex_destroy(&msgs.mu);
    pthread_mutex_destroy(&ops.mu);
}

static void annotations_observed(void **state)
{
    annotation_publish_and_delete(false, *state);
    annotation_publish_and_delete(true, *state);
}

/* realtime/integration/RTAN4c/annotation-type-filtering-0 */
static void annotation_type_filter(bool binary, const sandbox_env *env)
{
    char name[128];
    unique_name(name, sizeof name, "rt-ann-filter", binary);
    ably_realtime *a = rt_sandbox_connected(env, binary, NULL), *b = rt_sandbox_connected(env, binary, NULL);
    ably_realtime_channel *ch_a = channel(a, name, ALL_MODES), *ch_b = channel(b, name, WATCH_MODES);
    attach(ch_b);
    rec filtered, all, msgs, ops;
    rec_init(&filtered);
    rec_init(&all);
    rec_init(&msgs);
    rec_init(&ops);
    ably_realtime_annotations *an_b = ably_realtime_channel_annotations(ch_b);
    ably_realtime_annotations_subscribe(an_b, "com.ably.reactions", on_annotation, &filtered, NULL, NULL);
    ably_realtime_annotations_subscribe(an_b, NULL, on_annotation, &all, NULL, NULL);
    ably_realtime_channel_subscribe(ch_a, NULL, on_message, &msgs, NULL, NULL);
    attach(ch_a);
    char serial[96];
    publish_and_get_serial(ch_a, "multi-type", "content", &msgs, 0, serial, sizeof serial);

    ably_realtime_annotations *an_a = ably_realtime_channel_annotations(ch_a);
    annotate(an_a, serial, "com.ably.reactions", "like", false, &ops, 1);
    annotate(an_a, serial, "com.example.comments", "comment", false, &ops, 2);
    annotate(an_a, serial, "com.ably.reactions", "heart", false, &ops, 3);
    assert_true(wait_at_least(&all, &all.count, 3));

    assert_int_equal(rec_read(&all, &all.count), 3);
    assert_int_equal(rec_read(&filtered, &filtered.count), 2);
    seen s = item(&filtered, 0);
    assert_string_equal(s.type, "com.ably.reactions");
    assert_string_equal(s.name, "like");
    s = item(&filtered, 1);
    assert_string_equal(s.type, "com.ably.reactions");
    assert_string_equal(s.name, "heart");
    ably_realtime_destroy(a);
    ably_realtime_destroy(b);
    pthread_mutex_destroy(&filtered.mu);
    pthread_mutex_destroy(&all.mu);
    pthread_mutex_destroy(&msgs.mu);
    pthread_mutex_destroy(&ops.mu);
}

static void annotations_filtered_by_type(void **state)
{
    annotation_type_filter(false, *state);
    annotation_type_filter(true, *state);
}

/* realtime/integration/RTAN4d/annotation-implicit-attach-0 */
static void annotation_subscribe_attaches(void **state)
{
    for (int binary = 0; binary < 2; binary++) {
        char name[128];
        unique_name(name, sizeof name, "rt-ann-implicit-attach", binary);
        ably_realtime *rt = rt_sandbox_connected(*state, binary, NULL);
        ably_realtime_channel *ch = channel(rt, name, ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE);
        assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_INITIALIZED);
        rec anns;
        rec_init(&anns);
        ably_realtime_annotations_subscribe(ably_realtime_channel_annotations(ch), NULL, on_annotation, &anns, NULL,
                                            NULL);
        assert_true(rt_sandbox_wait_channel(ch, ABLY_CHANNEL_ATTACHED, RT_WAIT_MS));
        ably_realtime_destroy(rt);
        pthread_mutex_destroy(&anns.mu);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(mutations_observed, "RTL32 RTL32b RTL32b1 RTL32d"),
        ABLY_TEST(get_message_after_realtime_updates, "RTL28 RTL31"),
        ABLY_TEST(annotations_observed, "RTAN1 RTAN1c RTAN2 RTAN2a RTAN4 RTAN4b"),
        ABLY_TEST(annotations_filtered_by_type, "RTAN4 RTAN4c"),
        ABLY_TEST(annotation_subscribe_attaches, "RTAN4d"),
    };
    return cmocka_run_group_tests(tests, rest_group_setup, rest_group_teardown);
}
