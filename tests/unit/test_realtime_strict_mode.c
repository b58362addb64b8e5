/* strictMode (TO3r) on the mock WebSocket: with it, subscribe on a channel attached
 * without the SUBSCRIBE mode fails with 90009 (RTL7i1) and presence get without
 * PRESENCE_SUBSCRIBE fails with 91008 (RTP11f1); without it both succeed and the
 * failure is logged at ERROR with a hint about strictMode (TO3r2). */
#include "test_realtime_presence_fixture.h"

typedef struct {
    int calls;
    int64_t code;
    int64_t status;
} strict_result;

static void on_strict_result(void *ctx, const ably_error *err)
{
    strict_result *r = ctx;
    r->calls++;
    r->code = err ? err->code : 0;
    r->status = err ? err->status_code : 0;
}

typedef struct {
    int messages;
} strict_msgs;

static void on_strict_msg(void *ctx, const ably_message *m)
{
    (void)m;
    ((strict_msgs *)ctx)->messages++;
}

typedef struct {
    int errors;      /* ERROR lines about a missing mode */
    int with_hint;   /* ... that mention strictMode */
} strict_logs;

static void on_strict_log(void *ctx, ably_log_level level, const char *line, const ably_string_map *context)
{
    (void)context;
    strict_logs *l = ctx;
    if (level != ABLY_LOG_ERROR || !strstr(line, "mode"))
        return;
    __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
    if (strstr(line, "strictMode"))
        __atomic_fetch_add(&l->with_hint, 1, __ATOMIC_RELAXED);
}

/* Connected; channels attach with `flags` (granted modes); strict as given. */
static void start(px_fx *x, bool strict, int64_t flags, strict_logs *logs)
{
    px_init(x);
    x->f.t.o.strict_mode = strict;
    x->f.t.o.log_handler = on_strict_log;
    x->f.t.o.log_handler_ctx = logs;
    x->f.attached_flags = flags;
    px_start(x, NULL);
}

static void strict_subscribe_fails_without_subscribe_mode(void **state)
{
    (void)state;
    px_fx x;
    strict_logs logs = {0};
    start(&x, true, ABLY_CHANNEL_MODE_PUBLISH, &logs);
    ably_realtime_channel *ch = fx_channel(&x.f, "s", NULL);
    strict_result r = {0};
    strict_msgs got = {0};
    assert_true(ably_realtime_channel_subscribe(ch, NULL, on_strict_msg, &got, on_strict_result, &r) != 0);
    fx_pump(&x.f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED); /* the attach itself worked */
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 90009);
    assert_int_equal(r.status, 400);
    /* RTL7g: the listener stays registered despite the failure */
    fx_server(&x.f, "{\"action\":15,\"channel\":\"s\",\"messages\":[{\"id\":\"m:0\",\"name\":\"n\",\"data\":\"d\"}]}");
    assert_int_equal(got.messages, 1);
    /* already ATTACHED: the check runs at once */
    strict_result again = {0};
    ably_realtime_channel_subscribe(ch, "n", on_strict_msg, &got, on_strict_result, &again);
    fx_pump(&x.f);
    assert_int_equal(again.calls, 1);
    assert_int_equal(again.code, 90009);
    fx_free(&x.f);
}

static void strict_subscribe_succeeds_with_subscribe_mode(void **state)
{
    (void)state;
    px_fx x;
    strict_logs logs = {0};
    start(&x, true, ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE, &logs);
    ably_realtime_channel *ch = fx_channel(&x.f, "s", NULL);
    strict_result r = {0};
    strict_msgs got = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_strict_msg, &got, on_strict_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(logs.errors, 0);
    fx_free(&x.f);
}

/* The strict check wraps the subscribe's callback: destroying the client while the
 * attach is pending (or before the loop took the subscribe) frees that wrapper
 * without calling back (the sanitizer build checks for the leak). */
static void strict_subscribe_pending_when_destroyed(void **state)
{
    (void)state;
    for (int pumped = 0; pumped < 2; pumped++) {
        px_fx x;
        strict_logs logs = {0};
        start(&x, true, ABLY_CHANNEL_MODE_PUBLISH, &logs);
        x.f.auto_attach = false; /* the ATTACH stays unanswered */
        ably_realtime_channel *ch = fx_channel(&x.f, "s", NULL);
        strict_result r = {0};
        strict_msgs got = {0};
        ably_realtime_channel_subscribe(ch, NULL, on_strict_msg, &got, on_strict_result, &r);
        if (pumped) {
            fx_pump(&x.f);
            assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
        }
        fx_free(&x.f);
        assert_int_equal(r.calls, 0); /* never after destroy */
    }
}

/* RTL7i2 with TO3r2: not strict, the subscribe succeeds and an ERROR line names the
 * error and says strictMode would make it fail. */
static void lenient_subscribe_logs_error_with_hint(void **state)
{
    (void)state;
    px_fx x;
    strict_logs logs = {0};
    start(&x, false, ABLY_CHANNEL_MODE_PUBLISH, &logs);
    ably_realtime_channel *ch = fx_channel(&x.f, "s", NULL);
    strict_result r = {0};
    strict_msgs got = {0};
    ably_realtime_channel_subscribe(ch, NULL, on_strict_msg, &got, on_strict_result, &r);
    fx_pump(&x.f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(__atomic_load_n(&logs.errors, __ATOMIC_RELAXED), 1);
    assert_int_equal(__atomic_load_n(&logs.with_hint, __ATOMIC_RELAXED), 1);
    fx_free(&x.f);
}

/* A get on channel "p" once attached with `flags`; the answer in *g, the log lines in *logs. */
static void get_when_attached(bool strict, int64_t flags, strict_logs *logs, px_get *g)
{
    px_fx x;
    start(&x, strict, flags, logs);
    ably_realtime_channel *ch = fx_channel(&x.f, "p", NULL);
    fx_attach(&x.f, ch);
    ably_realtime_presence_get(ably_realtime_channel_presence(ch), false, NULL, NULL, px_on_get, g);
    fx_pump(&x.f);
    fx_free(&x.f);
}

#define NO_PRESENCE_SUBSCRIBE (ABLY_CHANNEL_MODE_SUBSCRIBE | ABLY_CHANNEL_MODE_PRESENCE)

static void strict_get_fails_without_presence_subscribe_mode(void **state)
{
    (void)state;
    strict_logs logs = {0};
    px_get g = {0};
    get_when_attached(true, NO_PRESENCE_SUBSCRIBE, &logs, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 91008);
    assert_int_equal(g.count, 0);
    px_get_clear(&g);
}

static void strict_get_succeeds_with_presence_subscribe_mode(void **state)
{
    (void)state;
    strict_logs logs = {0};
    px_get g = {0};
    get_when_attached(true, NO_PRESENCE_SUBSCRIBE | ABLY_CHANNEL_MODE_PRESENCE_SUBSCRIBE, &logs, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 0);
    assert_int_equal(logs.errors, 0);
    px_get_clear(&g);
}

/* RTP11f2 with TO3r2: not strict, get answers (here: nobody) and logs the error. */
static void lenient_get_logs_error_with_hint(void **state)
{
    (void)state;
    strict_logs logs = {0};
    px_get g = {0};
    get_when_attached(false, NO_PRESENCE_SUBSCRIBE, &logs, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, 0);
    assert_int_equal(logs.errors, 1);
    assert_int_equal(logs.with_hint, 1);
    px_get_clear(&g);
}

static void strict_mode_defaults_to_false(void **state)
{
    (void)state;
    ably_client_options o;
    ably_client_options_init(&o);
    assert_false(o.strict_mode);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(strict_mode_defaults_to_false, "TO3r"),
        ABLY_TEST(strict_subscribe_fails_without_subscribe_mode, "TO3r TO3r1 RTL7i RTL7i1 RTL7g"),
        ABLY_TEST(strict_subscribe_succeeds_with_subscribe_mode, "TO3r1 RTL7i"),
        ABLY_TEST(strict_subscribe_pending_when_destroyed, "TO3r1"),
        ABLY_TEST(lenient_subscribe_logs_error_with_hint, "TO3r2 RTL7i2"),
        ABLY_TEST(strict_get_fails_without_presence_subscribe_mode, "TO3r TO3r1 RTP11f RTP11f1"),
        ABLY_TEST(strict_get_succeeds_with_presence_subscribe_mode, "TO3r1 RTP11f"),
        ABLY_TEST(lenient_get_logs_error_with_hint, "TO3r2 RTP11f2"),
    };
    return cmocka_run_group_tests_name("realtime_strict_mode", tests, NULL, NULL);
}
