/* Codec benchmark: encode and decode of a typical realtime frame (a MESSAGE
 * ProtocolMessage carrying one Message) in JSON and msgpack. Prints ns/op and
 * allocations/op. Run: build/bench/bench_codec [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "ably/ably.h"

static size_t allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n) { allocs++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { allocs++; return __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { allocs++; return __real_realloc(p, n); }
void __wrap_free(void *p) { __real_free(p); }
char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void *counting_malloc(size_t n) { allocs++; return __real_malloc(n); }

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void build_frame(ably_protocol_message *pm)
{
    ably_protocol_message_init(pm);
    pm->action = ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE;
    pm->has_action = true;
    pm->channel = strdup("persisted:bench-channel");
    pm->channel_serial = strdup("108uyjJgABTs6f58383461:1");
    pm->connection_id = strdup("ErFBYa1dz3");
    pm->id = strdup("ErFBYa1dz3:0");
    pm->msg_serial = 41;
    pm->has_msg_serial = true;
    pm->timestamp = 1712345678901;
    pm->has_timestamp = true;
    pm->messages = calloc(1, sizeof *pm->messages);
    pm->messages_count = 1;
    ably_message *m = &pm->messages[0];
    m->id = strdup("ErFBYa1dz3:0:0");
    m->name = strdup("greeting");
    m->client_id = strdup("user-1234");
    m->connection_id = strdup("ErFBYa1dz3");
    m->timestamp = 1712345678901;
    m->has_timestamp = true;
    const char *text = "{\"text\":\"hello, world - a typical chat-sized payload of about one hundred bytes\",\"n\":1}";
    ably_data_set(&m->data, ABLY_DATA_STRING, text, strlen(text));
    m->encoding = strdup("json");
}

typedef struct {
    const char *name;
    double ns;
    double allocs;
} result;

static result run(const char *name, ably_format fmt, int decode, const ably_protocol_message *pm, int iters)
{
    ably_buf buf;
    ably_buf_init(&buf);
    ably_encode(&ably_protocol_message_desc, fmt, pm, &buf, NULL); /* warm the buffer */
    ably_protocol_message out;
    size_t a0 = allocs;
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        if (decode) {
            if (ably_decode(&ably_protocol_message_desc, fmt, buf.data, buf.len, &out, NULL) != 0)
                abort();
            ably_protocol_message_clear(&out);
        } else if (ably_encode(&ably_protocol_message_desc, fmt, pm, &buf, NULL) != 0) {
            abort();
        }
    }
    double t1 = now_ns();
    result r = {name, (t1 - t0) / iters, (double)(allocs - a0) / iters};
    printf("%-16s %8.0f ns/op %6.1f allocs/op  (%zu bytes)\n", name, r.ns, r.allocs, buf.len);
    ably_buf_free(&buf);
    return r;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 200000;
    cJSON_Hooks hooks = {counting_malloc, __real_free};
    cJSON_InitHooks(&hooks);
    ably_protocol_message pm;
    build_frame(&pm);
    printf("ProtocolMessage(MESSAGE) with one Message, %d iterations\n", iters);
    run("json encode", ABLY_FORMAT_JSON, 0, &pm, iters);
    run("json decode", ABLY_FORMAT_JSON, 1, &pm, iters);
    run("msgpack encode", ABLY_FORMAT_MSGPACK, 0, &pm, iters);
    run("msgpack decode", ABLY_FORMAT_MSGPACK, 1, &pm, iters);
    ably_protocol_message_clear(&pm);
    return 0;
}
