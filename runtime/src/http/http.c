/* Transport-neutral pieces: responses and the system clock. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ably/transport.h"

void ably_http_response_init(ably_http_response *res)
{
    memset(res, 0, sizeof *res);
}

void ably_http_response_clear(ably_http_response *res)
{
    ably_string_map_clear(&res->headers);
    ably_buf_free(&res->body);
    free(res->detail);
    ably_http_response_init(res);
}

static int64_t system_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const ably_clock system_clock = {system_now_ms, NULL};

const ably_clock *ably_clock_system(void)
{
    return &system_clock;
}
