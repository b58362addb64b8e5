/* A thread-safe EventEmitter (RTE) shared by the connection and, later, channels and
 * presence. Not public API.
 *
 * Listeners are stored type-erased (fn as a generic function pointer); the owner
 * passes an `invoke` function at emit time that casts fn back to its real type, so no
 * call ever goes through a mismatched function type.
 *
 * Locking: one mutex guards the listener list; it is never held while a listener
 * runs. Registration and removal may happen from any thread, also from inside a
 * listener. Emission happens on the loop thread only (one emitter is never emitted
 * concurrently from two threads).
 */
#ifndef ABLY_RT_EMITTER_H
#define ABLY_RT_EMITTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ably_generic_fn)(void);

#define ABLY_EMITTER_ANY (-1)

typedef struct {
    uint64_t id;
    int event;            /* ABLY_EMITTER_ANY: every event */
    ably_generic_fn fn;
    void *ctx;
    bool once;
    bool removed;
    uint64_t removed_seq; /* 0: gone for every emit; else the emitter's removal_seq at removal (RTE6a) */
    void (*free_ctx)(void *ctx); /* owned ctx: freed once the entry is dropped */
} ably_listener;

typedef struct {
    pthread_mutex_t mu;
    ably_listener *items;
    size_t count, cap;
    uint64_t next_id;
    int emitting;          /* nesting depth; removal only marks while > 0 */
    pthread_t emit_thread; /* the thread running the emission, while emitting > 0 */
    uint64_t removal_seq;  /* counts removals made by listeners during an emission */
} ably_emitter;

/* Calls fn (cast back to its real type) with ctx and the event argument. */
typedef void (*ably_emitter_invoke)(ably_generic_fn fn, void *ctx, const void *arg);

void ably_emitter_init(ably_emitter *em);
void ably_emitter_free(ably_emitter *em);
/* Returns the new listener's id (> 0), or 0 when out of memory. */
uint64_t ably_emitter_add(ably_emitter *em, int event, ably_generic_fn fn, void *ctx, bool once);
/* Like ably_emitter_add, but ctx belongs to the emitter: free_ctx(ctx) runs when the
 * listener is dropped, which only happens while no emission is running (so never
 * under a listener's feet), or from ably_emitter_free. On failure ctx is freed. */
uint64_t ably_emitter_add_owned(ably_emitter *em, int event, ably_generic_fn fn, void *ctx,
                                void (*free_ctx)(void *ctx));
/* Returns true when the listener was registered and had not yet been removed (or fired,
 * for a once listener). */
bool ably_emitter_remove(ably_emitter *em, uint64_t id);
/* Removes listeners registered exactly for `event` (ABLY_EMITTER_ANY: all of them). */
void ably_emitter_remove_event(ably_emitter *em, int event);
/* Removes every listener with this fn and ctx (for internal cleanups). */
void ably_emitter_remove_fn(ably_emitter *em, ably_generic_fn fn, void *ctx);
/* Delivers `arg` to the listeners of `event` and of "any" registered before this call.
 * The set is fixed when the call starts (RTE6a): listeners added by a listener wait for
 * the next emission, and listeners that a listener removes (on the emitting thread) are
 * still called by this one. A removal from another thread takes effect at once, so a
 * caller may free a listener's ctx as soon as its removal returns. */
void ably_emitter_emit(ably_emitter *em, int event, ably_emitter_invoke invoke, const void *arg);

#endif
