/* The internal EventEmitter (RTE) that backs connection, channel, presence and
 * annotation listeners: on/once/off and a listener set fixed for each emit (RTE6a). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "realtime/emitter.h"

enum { EV_A = 1, EV_B = 2 };

/* What one listener saw, plus an optional action it performs when called. */
typedef struct rec rec;
struct rec {
    int calls;
    int last_event;
    ably_emitter *em;
    void (*action)(rec *self);
    uint64_t target;   /* a listener id the action works on */
    rec *added;        /* a record the action registers a new listener for */
};

typedef void (*rec_fn)(rec *r, int event);

static void on_event(rec *r, int event)
{
    r->calls++;
    r->last_event = event;
    if (r->action)
        r->action(r);
}

static void invoke_rec(ably_generic_fn fn, void *ctx, const void *arg)
{
    ((rec_fn)fn)(ctx, *(const int *)arg);
}

static uint64_t on(ably_emitter *em, int event, rec *r) { return ably_emitter_add(em, event, (ably_generic_fn)on_event, r, false); }
static uint64_t once(ably_emitter *em, int event, rec *r) { return ably_emitter_add(em, event, (ably_generic_fn)on_event, r, true); }

static void emit(ably_emitter *em, int event)
{
    ably_emitter_emit(em, event, invoke_rec, &event);
}

/* RTE1 RTE3 RTE4 RTE5: named and "any" listeners, repeated registration, once, off. */
static void on_once_off(void **state)
{
    (void)state;
    ably_emitter em;
    ably_emitter_init(&em);
    rec a = {0}, any = {0}, twice = {0}, one = {0};
    uint64_t id_a = on(&em, EV_A, &a);
    on(&em, ABLY_EMITTER_ANY, &any);
    on(&em, EV_B, &twice);
    on(&em, EV_B, &twice); /* registered twice: called twice per event */
    once(&em, ABLY_EMITTER_ANY, &one);

    emit(&em, EV_A);
    assert_int_equal(a.calls, 1);
    assert_int_equal(any.calls, 1);
    assert_int_equal(twice.calls, 0);
    assert_int_equal(one.calls, 1);
    assert_int_equal(one.last_event, EV_A);

    emit(&em, EV_B);
    assert_int_equal(a.calls, 1);
    assert_int_equal(any.calls, 2);
    assert_int_equal(any.last_event, EV_B);
    assert_int_equal(twice.calls, 2);
    assert_int_equal(one.calls, 1); /* once: gone after the first event */

    assert_true(ably_emitter_remove(&em, id_a));
    assert_false(ably_emitter_remove(&em, id_a)); /* already gone */
    ably_emitter_remove_event(&em, EV_B);
    emit(&em, EV_A);
    emit(&em, EV_B);
    assert_int_equal(a.calls, 1);
    assert_int_equal(twice.calls, 2);
    assert_int_equal(any.calls, 4); /* removing EV_B listeners leaves "any" ones */

    ably_emitter_remove_event(&em, ABLY_EMITTER_ANY); /* off(): everything */
    emit(&em, EV_A);
    assert_int_equal(any.calls, 4);
    ably_emitter_free(&em);
}

static void add_listener_action(rec *self) { on(self->em, ABLY_EMITTER_ANY, self->added); }

/* RTE6a: a listener registered during an emit is not called by that emit. */
static void listener_added_during_emit_waits(void **state)
{
    (void)state;
    ably_emitter em;
    ably_emitter_init(&em);
    rec late = {0};
    rec adder = {.em = &em, .action = add_listener_action, .added = &late};
    once(&em, EV_A, &adder);
    emit(&em, EV_A);
    assert_int_equal(adder.calls, 1);
    assert_int_equal(late.calls, 0);
    emit(&em, EV_A);
    assert_int_equal(late.calls, 1);
    ably_emitter_free(&em);
}

static void remove_target_action(rec *self) { ably_emitter_remove(self->em, self->target); }
static void remove_all_action(rec *self) { ably_emitter_remove_event(self->em, ABLY_EMITTER_ANY); }

/* RTE6a: listeners removed by a listener during an emit are still called by that emit,
 * and not by the next. Covers removal by id and removal of everything, for on and once. */
static void listener_removed_during_emit_is_still_called(void **state)
{
    (void)state;
    ably_emitter em;
    ably_emitter_init(&em);
    rec victim = {0}, once_victim = {0};
    rec remover = {.em = &em, .action = remove_target_action};
    on(&em, EV_A, &remover);
    remover.target = on(&em, EV_A, &victim);
    emit(&em, EV_A);
    assert_int_equal(remover.calls, 1);
    assert_int_equal(victim.calls, 1); /* removed during this emit, still called */
    emit(&em, EV_A);
    assert_int_equal(remover.calls, 2);
    assert_int_equal(victim.calls, 1); /* and gone for the next */

    ably_emitter_remove_event(&em, ABLY_EMITTER_ANY);
    rec wiper = {.em = &em, .action = remove_all_action};
    on(&em, ABLY_EMITTER_ANY, &wiper);
    once(&em, EV_B, &once_victim);
    emit(&em, EV_B);
    assert_int_equal(wiper.calls, 1);
    assert_int_equal(once_victim.calls, 1);
    emit(&em, EV_B);
    assert_int_equal(wiper.calls, 1);
    assert_int_equal(once_victim.calls, 1);
    ably_emitter_free(&em);
}

/* A nested emit started after the removal does skip the removed listener, while the
 * outer emit that was running at the removal still calls it (RTE6a, per invocation). */
static void emit_action(rec *self)
{
    remove_target_action(self);
    self->action = NULL; /* nest once */
    emit(self->em, EV_B);
}

static void nested_emit_sees_removal(void **state)
{
    (void)state;
    ably_emitter em;
    ably_emitter_init(&em);
    rec victim = {0};
    rec nester = {.em = &em, .action = emit_action};
    on(&em, ABLY_EMITTER_ANY, &nester);
    nester.target = on(&em, ABLY_EMITTER_ANY, &victim);
    emit(&em, EV_A);
    assert_int_equal(nester.calls, 2);  /* outer EV_A and nested EV_B */
    assert_int_equal(victim.calls, 1);  /* only by the outer emit */
    assert_int_equal(victim.last_event, EV_A);
    ably_emitter_free(&em);
}

/* Removal from another thread (not by a listener) is final at once, so its caller may
 * free the listener's context when the call returns. */
typedef struct {
    ably_emitter *em;
    uint64_t id;
} remote_remove;

static void *remove_on_thread(void *arg)
{
    remote_remove *r = arg;
    ably_emitter_remove(r->em, r->id);
    return NULL;
}

static remote_remove remote;

static void remove_from_other_thread_action(rec *self)
{
    (void)self;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, remove_on_thread, &remote), 0);
    pthread_join(t, NULL);
}

static void removal_from_another_thread_is_immediate(void **state)
{
    (void)state;
    ably_emitter em;
    ably_emitter_init(&em);
    rec victim = {0};
    rec trigger = {.em = &em, .action = remove_from_other_thread_action};
    on(&em, EV_A, &trigger);
    remote = (remote_remove){&em, on(&em, EV_A, &victim)};
    emit(&em, EV_A);
    assert_int_equal(trigger.calls, 1);
    assert_int_equal(victim.calls, 0);
    ably_emitter_free(&em);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(on_once_off, "RTE1 RTE3 RTE4 RTE5"),
        ABLY_TEST(listener_added_during_emit_waits, "RTE6 RTE6a"),
        ABLY_TEST(listener_removed_during_emit_is_still_called, "RTE6 RTE6a"),
        ABLY_TEST(nested_emit_sees_removal, "RTE6a"),
        ABLY_TEST(removal_from_another_thread_is_immediate, "RTE5"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
