/* Realtime connect: open a connection, print each state change, close it.
 * Callbacks run on the library's service thread; main waits on a condition
 * variable for the state it needs. */
#include "example_env.h"

#include <pthread.h>
#include <time.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    ably_connection_state state;
} watcher;

/* Called on the service thread for every connection state change. */
static void on_state(void *ctx, const ably_connection_state_change *change)
{
    watcher *w = ctx;
    printf("connection: %s -> %s\n", ably_connection_state_name(change->previous),
           ably_connection_state_name(change->current));
    fflush(stdout);
    pthread_mutex_lock(&w->lock);
    w->state = change->current;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* Waits up to 10 s for `want` (or FAILED); true when reached. */
static bool wait_for(watcher *w, ably_connection_state want)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&w->lock);
    while (w->state != want && w->state != ABLY_CONN_FAILED)
        if (pthread_cond_timedwait(&w->changed, &w->lock, &deadline) != 0)
            break;
    bool ok = w->state == want;
    pthread_mutex_unlock(&w->lock);
    return ok;
}

int main(void)
{
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    opts.auto_connect = false; /* register the listener first, then connect */
    watcher w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, ABLY_CONN_INITIALIZED };
    ably_error err = { 0 };
    ably_realtime *rt = NULL;
    if (ably_realtime_create(&opts, NULL, &rt, &err) != 0)
        return example_fail("create", &err);
    ably_connection_on(rt, ABLY_CONN_EVENT_ANY, on_state, &w);
    ably_connection_connect(rt);

    int rc = 1;
    if (wait_for(&w, ABLY_CONN_CONNECTED)) {
        char *id = ably_connection_id(rt); /* a malloc'd copy */
        printf("connected: id %s\n", id ? id : "?");
        free(id);
        ably_connection_close(rt); /* graceful: wait for CLOSED before destroying */
        rc = wait_for(&w, ABLY_CONN_CLOSED) ? 0 : 1;
    } else if (ably_connection_error_reason(rt, &err) == 1) {
        example_fail("connect", &err);
    }
    ably_realtime_destroy(rt); /* no callback runs after this returns */
    return rc;
}
