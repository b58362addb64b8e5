/* Realtime publish / subscribe: subscribe to a channel (which attaches it),
 * publish a message on the same connection and wait until it comes back.
 * Callbacks run on the library's service thread; main waits on a condvar. */
#include "example_env.h"

#include "ably/realtime_channel.h"

#include <pthread.h>
#include <time.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool received;
    bool acked;
    bool failed;
} progress;

static void update(progress *p, bool *flag)
{
    pthread_mutex_lock(&p->lock);
    *flag = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

/* A message arrived: valid only during this call, so copy what you keep. */
static void on_message(void *ctx, const ably_message *m)
{
    printf("received: %s %.*s\n", m->name ? m->name : "", (int)m->data.len, m->data.bytes);
    fflush(stdout);
    progress *p = ctx;
    update(p, &p->received);
}

/* The server's ACK (err NULL) or NACK for our publish. */
static void on_published(void *ctx, const ably_error *err, const ably_publish_result *res)
{
    (void)res;
    progress *p = ctx;
    printf("publish %s\n", err ? "failed" : "acknowledged");
    fflush(stdout);
    update(p, err ? &p->failed : &p->acked);
}

typedef struct {
    ably_realtime_channel *channel;
    progress *progress;
} attach_ctx;

/* Attached: now publish, so that our own message is delivered back to us (a
 * message reaching the server before the ATTACH would not be). */
static void on_attached(void *ctx, const ably_error *err)
{
    attach_ctx *a = ctx;
    if (err) {
        update(a->progress, &a->progress->failed);
        return;
    }
    ably_data data = ably_data_borrow(ABLY_DATA_STRING, "hello realtime", 14);
    ably_realtime_channel_publish(a->channel, "greeting", &data, on_published, a->progress);
}

int main(void)
{
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    progress p = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false };
    ably_error err = { 0 };
    ably_realtime *rt = NULL;
    ably_realtime_channel *ch = NULL;
    if (ably_realtime_create(&opts, NULL, &rt, &err) != 0) /* autoConnect: connecting now */
        return example_fail("create", &err);
    if (ably_realtime_channels_get(rt, "examples:realtime", NULL, &ch, &err) != 0)
        return example_fail("channels_get", &err);

    attach_ctx actx = { ch, &p };
    ably_realtime_channel_subscribe(ch, NULL, on_message, &p, on_attached, &actx); /* attaches */

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&p.lock);
    while (!(p.received && p.acked) && !p.failed)
        if (pthread_cond_timedwait(&p.changed, &p.lock, &deadline) != 0)
            break;
    bool ok = p.received && p.acked;
    pthread_mutex_unlock(&p.lock);
    ably_realtime_destroy(rt); /* no callback runs after this returns */
    return ok ? 0 : 1;
}
