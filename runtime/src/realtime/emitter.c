/* EventEmitter (RTE): see emitter.h. */
#include "realtime/emitter.h"

#include <stdlib.h>
#include <string.h>

void ably_emitter_init(ably_emitter *em)
{
    memset(em, 0, sizeof *em);
    pthread_mutex_init(&em->mu, NULL);
    em->next_id = 1;
}

void ably_emitter_free(ably_emitter *em)
{
    for (size_t i = 0; i < em->count; i++)
        if (em->items[i].free_ctx)
            em->items[i].free_ctx(em->items[i].ctx);
    free(em->items);
    em->items = NULL;
    em->count = em->cap = 0;
    pthread_mutex_destroy(&em->mu);
}

static uint64_t add_listener(ably_emitter *em, int event, ably_generic_fn fn, void *ctx, bool once,
                             void (*free_ctx)(void *ctx))
{
    if (!fn)
        return 0;
    pthread_mutex_lock(&em->mu);
    if (em->count == em->cap) {
        size_t cap = em->cap ? em->cap * 2 : 4;
        ably_listener *grown = realloc(em->items, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&em->mu);
            return 0;
        }
        em->items = grown;
        em->cap = cap;
    }
    uint64_t id = em->next_id++;
    em->items[em->count++] = (ably_listener){id, event, fn, ctx, once, false, 0, free_ctx};
    pthread_mutex_unlock(&em->mu);
    return id;
}

uint64_t ably_emitter_add(ably_emitter *em, int event, ably_generic_fn fn, void *ctx, bool once)
{
    return add_listener(em, event, fn, ctx, once, NULL);
}

uint64_t ably_emitter_add_owned(ably_emitter *em, int event, ably_generic_fn fn, void *ctx,
                                void (*free_ctx)(void *ctx))
{
    uint64_t id = add_listener(em, event, fn, ctx, false, free_ctx);
    if (!id && free_ctx)
        free_ctx(ctx);
    return id;
}

/* Marks a listener removed. A removal made by a listener while this thread emits is
 * stamped, so the running emission still calls it (RTE6a); any other removal is final. */
static void mark_removed_locked(ably_emitter *em, ably_listener *l)
{
    if (l->removed)
        return;
    l->removed = true;
    bool by_listener = em->emitting && pthread_equal(em->emit_thread, pthread_self());
    l->removed_seq = by_listener ? ++em->removal_seq : 0;
}

/* Whether an emission that started when removal_seq was `start` must skip l. */
static bool skipped_by(const ably_listener *l, uint64_t start)
{
    return l->removed && (l->removed_seq == 0 || l->removed_seq <= start);
}

/* Drops removed entries; only when no emission is walking the array by index. */
static void compact_locked(ably_emitter *em)
{
    if (em->emitting)
        return;
    size_t w = 0;
    for (size_t r = 0; r < em->count; r++)
        if (!em->items[r].removed)
            em->items[w++] = em->items[r];
        else if (em->items[r].free_ctx)
            em->items[r].free_ctx(em->items[r].ctx); /* plain free: no user code under the lock */
    em->count = w;
}

bool ably_emitter_remove(ably_emitter *em, uint64_t id)
{
    bool live = false;
    pthread_mutex_lock(&em->mu);
    for (size_t i = 0; i < em->count; i++)
        if (em->items[i].id == id) {
            live |= !em->items[i].removed;
            mark_removed_locked(em, &em->items[i]);
        }
    compact_locked(em);
    pthread_mutex_unlock(&em->mu);
    return live;
}

void ably_emitter_remove_event(ably_emitter *em, int event)
{
    pthread_mutex_lock(&em->mu);
    for (size_t i = 0; i < em->count; i++)
        if (event == ABLY_EMITTER_ANY || em->items[i].event == event)
            mark_removed_locked(em, &em->items[i]);
    compact_locked(em);
    pthread_mutex_unlock(&em->mu);
}

void ably_emitter_remove_fn(ably_emitter *em, ably_generic_fn fn, void *ctx)
{
    pthread_mutex_lock(&em->mu);
    for (size_t i = 0; i < em->count; i++)
        if (em->items[i].fn == fn && em->items[i].ctx == ctx)
            mark_removed_locked(em, &em->items[i]);
    compact_locked(em);
    pthread_mutex_unlock(&em->mu);
}

void ably_emitter_emit(ably_emitter *em, int event, ably_emitter_invoke invoke, const void *arg)
{
    pthread_mutex_lock(&em->mu);
    em->emitting++;
    em->emit_thread = pthread_self(); /* emission is loop-thread only, so nesting keeps it */
    uint64_t start = em->removal_seq;
    size_t n = em->count; /* listeners added from now on wait for the next event */
    for (size_t i = 0; i < n; i++) {
        ably_listener *l = &em->items[i];
        if (skipped_by(l, start) || (l->event != ABLY_EMITTER_ANY && l->event != event))
            continue;
        if (l->once) { /* fired: no later or nested emission calls it again */
            l->removed = true;
            l->removed_seq = 0;
        }
        ably_generic_fn fn = l->fn;
        void *ctx = l->ctx;
        pthread_mutex_unlock(&em->mu);
        invoke(fn, ctx, arg);
        pthread_mutex_lock(&em->mu);
    }
    em->emitting--;
    compact_locked(em);
    pthread_mutex_unlock(&em->mu);
}
