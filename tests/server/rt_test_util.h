/* Helpers shared by the test_server_realtime_*.c files (on top of rt_client.h). */
#ifndef TEST_RT_TEST_UTIL_H
#define TEST_RT_TEST_UTIL_H

#include "rt_client.h"
#include "test_server_http.h"

#define ACT(name) ABLY_PROTOCOL_MESSAGE_ACTION_##name
#define WAIT 3000

/* Connects with key 0 (plus an extra query) and consumes CONNECTED; the
 * connectionId is copied into id_out when given (cap 64). */
static inline rt_client *rtu_connect(const sandbox_env *env, size_t key, const char *extra, bool msgpack,
                                     char *id_out)
{
    char q[1024];
    snprintf(q, sizeof q, "key=%s%s%s", sandbox_env_key(env, key)->key_str, extra ? "&" : "",
             extra ? extra : "");
    rt_client *c = rtc_connect(env, q, msgpack);
    assert_non_null(c);
    ably_protocol_message *pm = rtc_expect(c, ACT(CONNECTED), WAIT);
    assert_non_null(pm);
    if (id_out)
        snprintf(id_out, 64, "%s", pm->connection_id);
    rtc_free(pm);
    return c;
}

/* Sends ATTACH (optionally with flags) and returns the ATTACHED (or ERROR). */
static inline ably_protocol_message *rtu_attach(rt_client *c, const char *channel, int64_t flags)
{
    ably_protocol_message pm;
    ably_protocol_message_init(&pm);
    pm.action = ACT(ATTACH);
    pm.has_action = true;
    pm.channel = (char *)channel;
    if (flags) {
        pm.flags = flags;
        pm.has_flags = true;
    }
    rtc_send(c, &pm);
    for (int64_t end = rtc_now_ms() + WAIT; rtc_now_ms() < end;) {
        ably_protocol_message *got = rtc_take(c, ACT(ATTACHED));
        if (!got)
            got = rtc_take(c, ACT(ERROR));
        if (got)
            return got;
        lws_service(c->ctx, 0);
    }
    return NULL;
}

static inline void rtu_attach_ok(rt_client *c, const char *channel)
{
    ably_protocol_message *pm = rtu_attach(c, channel, 0);
    assert_non_null(pm);
    assert_int_equal(pm->action, ACT(ATTACHED));
    rtc_free(pm);
}

/* Publishes one message {name, data} with msgSerial over JSON text. */
static inline void rtu_publish_json(rt_client *c, const char *channel, int serial, const char *name,
                                    const char *data)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"action\":15,\"channel\":\"%s\",\"msgSerial\":%d,\"messages\":[{\"name\":\"%s\",\"data\":\"%s\"}]}",
             channel, serial, name, data);
    rtc_send_json(c, buf);
}

#endif
