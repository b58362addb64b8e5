/* ProtocolMessage (TR): the action numbers, the flag bits, and decoding a frame that
 * carries every attribute, from JSON and from msgpack. The msgpack frame is built from
 * the same JSON document by a small converter of our own, so both decoders see one frame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <msgpack.h>

#include "ably/ably.h"
#include "ably_test.h"

/* TR2: the action values, in order from zero. */
static void actions_are_numbered_in_order(void **state)
{
    (void)state;
    static const char *const names[] = {"HEARTBEAT", "ACK", "NACK", "CONNECT", "CONNECTED", "DISCONNECT",
                                        "DISCONNECTED", "CLOSE", "CLOSED", "ERROR", "ATTACH", "ATTACHED",
                                        "DETACH", "DETACHED", "PRESENCE", "MESSAGE", "SYNC", "AUTH",
                                        "ACTIVATE", "OBJECT", "OBJECT_SYNC", "ANNOTATION"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
        assert_string_equal(ably_protocol_message_action_name((ably_protocol_message_action)i), names[i]);
        ably_protocol_message_action a;
        assert_true(ably_protocol_message_action_from_name(names[i], &a));
        assert_int_equal((int)a, i);
    }
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_ACTION_HEARTBEAT, 0);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_ACTION_MESSAGE, 15);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_ACTION_ANNOTATION, 21);
    assert_null(ably_protocol_message_action_name((ably_protocol_message_action)22));
}

/* TR3: flag n is set when flags & 2^n is nonzero; each flag has its spec bit. */
static void flags_have_their_bits(void **state)
{
    (void)state;
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE, 1u << 0);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG, 1u << 1);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED, 1u << 2);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_TRANSIENT, 1u << 4);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_ATTACH_RESUME, 1u << 5);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_HAS_OBJECTS, 1u << 7);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE, 1u << 16);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH, 1u << 17);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE, 1u << 18);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE, 1u << 19);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH, 1u << 21);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE, 1u << 22);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE, 1u << 24);
    assert_int_equal(ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH, 1u << 25);
    /* The channel modes a client asks for are the same bits (TB2d, RTL4l). */
    assert_int_equal(ABLY_CHANNEL_MODE_PRESENCE, ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE);
    assert_int_equal(ABLY_CHANNEL_MODE_SUBSCRIBE, ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE);
    assert_int_equal(ABLY_CHANNEL_MODE_ANNOTATION_SUBSCRIBE, ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE);
    assert_int_equal(ABLY_CHANNEL_MODE_OBJECT_PUBLISH, ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH);
    /* TR3v, TR3nu: bits 20 and 23 are reserved: no flag and no mode uses them. */
    const uint32_t reserved = (1u << 20) | (1u << 23);
    const uint32_t all = ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG |
                         ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED | ABLY_PROTOCOL_MESSAGE_FLAG_TRANSIENT |
                         ABLY_PROTOCOL_MESSAGE_FLAG_ATTACH_RESUME | ABLY_PROTOCOL_MESSAGE_FLAG_HAS_OBJECTS |
                         ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE | ABLY_PROTOCOL_MESSAGE_FLAG_PUBLISH |
                         ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE |
                         ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE |
                         ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH |
                         ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE |
                         ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE | ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH;
    assert_int_equal(all & reserved, 0);
    assert_int_equal(ABLY_CHANNEL_MODES_ALL & reserved, 0);
}

/* A frame with every ProtocolMessage attribute (TR4), flags HAS_BACKLOG | TRANSIENT |
 * HAS_OBJECTS | PRESENCE | PRESENCE_SUBSCRIBE | the reserved bit 20. */
static const char FULL_FRAME[] =
    "{\"action\":11,\"id\":\"conn-1:7\",\"auth\":{\"accessToken\":\"tok-abc\"},"
    "\"channel\":\"chan\",\"channelSerial\":\"cs-9\",\"connectionId\":\"conn-1\","
    "\"connectionDetails\":{\"clientId\":\"cid\",\"connectionKey\":\"key-1\",\"maxMessageSize\":65536,"
    "\"maxFrameSize\":524288,\"maxInboundRate\":250,\"connectionStateTtl\":120000,\"serverId\":\"srv-1\","
    "\"maxIdleInterval\":15000,\"objectsGCGracePeriod\":86400000,\"siteCode\":\"site-a\"},"
    "\"count\":3,\"error\":{\"code\":40160,\"statusCode\":401,\"message\":\"denied\"},"
    "\"flags\":1638546,\"msgSerial\":7,"
    "\"messages\":[{\"name\":\"m1\",\"data\":\"hello\"}],"
    "\"presence\":[{\"action\":2,\"clientId\":\"p-client\",\"data\":\"here\"},"
    "{\"action\":4,\"clientId\":\"q-client\"}],"
    "\"annotations\":[{\"type\":\"reaction\",\"messageSerial\":\"ms-1\"}],"
    "\"timestamp\":1700000000123,\"params\":{\"rewind\":\"1\",\"delta\":\"vcdiff\"},"
    "\"state\":[{\"objectId\":\"o1\"}],"
    "\"res\":[{\"serials\":[\"s1\",null]}]}";

static void pack_json(msgpack_packer *pk, const cJSON *n)
{
    if (cJSON_IsObject(n)) {
        msgpack_pack_map(pk, (size_t)cJSON_GetArraySize(n));
        for (const cJSON *c = n->child; c; c = c->next) {
            msgpack_pack_str_with_body(pk, c->string, strlen(c->string));
            pack_json(pk, c);
        }
    } else if (cJSON_IsArray(n)) {
        msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(n));
        for (const cJSON *c = n->child; c; c = c->next)
            pack_json(pk, c);
    } else if (cJSON_IsString(n)) {
        msgpack_pack_str_with_body(pk, n->valuestring, strlen(n->valuestring));
    } else if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;
        if (d == floor(d))
            msgpack_pack_int64(pk, (int64_t)d);
        else
            msgpack_pack_double(pk, d);
    } else if (cJSON_IsBool(n)) {
        cJSON_IsTrue(n) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    } else {
        msgpack_pack_nil(pk);
    }
}

static void assert_full_frame(const ably_protocol_message *pm)
{
    assert_true(pm->has_action);
    assert_int_equal(pm->action, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACHED);                 /* TR4a */
    assert_string_equal(pm->id, "conn-1:7");                                              /* TR4n */
    assert_non_null(pm->auth);                                                            /* TR4p */
    assert_string_equal(pm->auth->access_token, "tok-abc");
    assert_string_equal(pm->channel, "chan");                                             /* TR4b */
    assert_string_equal(pm->channel_serial, "cs-9");                                      /* TR4c */
    assert_string_equal(pm->connection_id, "conn-1");                                     /* TR4d */
    assert_non_null(pm->connection_details);                                              /* TR4o */
    assert_string_equal(pm->connection_details->client_id, "cid");
    assert_string_equal(pm->connection_details->connection_key, "key-1");
    assert_int_equal(pm->connection_details->max_message_size, 65536);                  /* CD2a-c */
    const ably_connection_details *cd = pm->connection_details;                          /* CD2d-j */
    assert_true(cd->has_max_frame_size && cd->max_frame_size == 524288);
    assert_true(cd->has_max_inbound_rate && cd->max_inbound_rate == 250);
    assert_true(cd->has_connection_state_ttl && cd->connection_state_ttl == 120000);
    assert_string_equal(cd->server_id, "srv-1");
    assert_true(cd->has_max_idle_interval && cd->max_idle_interval == 15000);
    assert_true(cd->has_objects_gc_grace_period && cd->objects_gc_grace_period == 86400000);
    assert_string_equal(cd->site_code, "site-a");
    assert_true(pm->has_count);                                                           /* TR4g */
    assert_int_equal(pm->count, 3);
    assert_non_null(pm->error);                                                           /* TR4h */
    assert_int_equal(pm->error->code, 40160);
    assert_int_equal(pm->error->status_code, 401);
    assert_true(pm->has_flags);                                                           /* TR4i */
    int64_t f = pm->flags;
    assert_true(f & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG);                              /* TR3b */
    assert_true(f & ABLY_PROTOCOL_MESSAGE_FLAG_TRANSIENT);                                /* TR3e */
    assert_true(f & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_OBJECTS);                              /* TR3h */
    assert_true(f & ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE);                                 /* TR3q */
    assert_true(f & ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE);                       /* TR3t */
    assert_true(f & (1 << 20));                  /* TR3v: a reserved bit is kept, not rejected */
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_HAS_PRESENCE);
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_RESUMED);
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE);                       /* TR3u */
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH);                      /* TR3w */
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE);                    /* TR3x */
    assert_false(f & (1 << 23));                                                          /* TR3nu */
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE);                        /* TR3y */
    assert_false(f & ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH);                          /* TR3z */
    assert_true(pm->has_msg_serial);                                                      /* TR4j */
    assert_int_equal(pm->msg_serial, 7);
    assert_int_equal(pm->messages_count, 1);                                              /* TR4k */
    assert_string_equal(pm->messages[0].name, "m1");
    assert_int_equal(pm->presence_count, 2);                                              /* TR4l */
    assert_int_equal(pm->presence[0].action, ABLY_PRESENCE_ACTION_ENTER);
    assert_string_equal(pm->presence[0].client_id, "p-client");
    assert_int_equal(pm->presence[0].data.type, ABLY_DATA_STRING);
    assert_int_equal(pm->presence[1].action, ABLY_PRESENCE_ACTION_UPDATE);
    assert_string_equal(pm->presence[1].client_id, "q-client");
    assert_int_equal(pm->annotations_count, 1);
    assert_string_equal(pm->annotations[0].type, "reaction");
    assert_true(pm->has_timestamp);                                                       /* TR4m */
    assert_true(pm->timestamp == INT64_C(1700000000123));
    assert_string_equal(ably_string_map_get(&pm->params, "rewind"), "1");                 /* TR4q */
    assert_string_equal(ably_string_map_get(&pm->params, "delta"), "vcdiff");
    assert_non_null(pm->state);                                                           /* TR4r */
    cJSON *state = cJSON_Parse(pm->state);
    assert_true(cJSON_IsArray(state));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(state, 0), "objectId")->valuestring,
                        "o1");
    cJSON_Delete(state);
    assert_int_equal(pm->res_count, 1);                                                   /* TR4s */
    assert_int_equal(pm->res[0].serials_count, 2);
    assert_string_equal(pm->res[0].serials[0], "s1");
    assert_null(pm->res[0].serials[1]);
}

/* TR1 TR4: one frame with every attribute decodes the same from JSON and msgpack. */
static void decodes_every_attribute(void **state)
{
    (void)state;
    ably_error err = {0};
    ably_protocol_message from_json, from_msgpack;
    assert_int_equal(ably_protocol_message_from_json(&from_json, FULL_FRAME, strlen(FULL_FRAME), &err), 0);
    assert_full_frame(&from_json);

    cJSON *doc = cJSON_Parse(FULL_FRAME);
    assert_non_null(doc);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_json(&pk, doc);
    cJSON_Delete(doc);
    assert_int_equal(ably_protocol_message_from_msgpack(&from_msgpack, sb.data, sb.size, &err), 0);
    msgpack_sbuffer_destroy(&sb);
    assert_full_frame(&from_msgpack);
    assert_true(ably_protocol_message_equal(&from_json, &from_msgpack));

    ably_protocol_message_clear(&from_json);
    ably_protocol_message_clear(&from_msgpack);
    ably_error_clear(&err);
}

/* The complementary flags: HAS_PRESENCE, RESUMED and the subscribe/publish bits that the
 * full frame leaves clear, each tested on its own through both decoders. */
static void each_flag_decodes_on_its_own(void **state)
{
    (void)state;
    static const uint32_t bits[] = {
        ABLY_PROTOCOL_MESSAGE_FLAG_HAS_BACKLOG,          ABLY_PROTOCOL_MESSAGE_FLAG_TRANSIENT,
        ABLY_PROTOCOL_MESSAGE_FLAG_HAS_OBJECTS,          ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE,
        ABLY_PROTOCOL_MESSAGE_FLAG_MESSAGE_SUBSCRIBE,    ABLY_PROTOCOL_MESSAGE_FLAG_PRESENCE_SUBSCRIBE,
        ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_PUBLISH,   ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE,
        ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_SUBSCRIBE,     ABLY_PROTOCOL_MESSAGE_FLAG_OBJECT_PUBLISH,
        1u << 20,                                        1u << 23,
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"action\":11,\"flags\":%u}", bits[i]);
        ably_protocol_message pm;
        assert_int_equal(ably_protocol_message_from_json(&pm, json, strlen(json), NULL), 0);
        assert_true(pm.has_flags);
        assert_true((uint64_t)pm.flags == bits[i]);
        ably_buf buf;
        ably_buf_init(&buf);
        ably_protocol_message back;
        assert_int_equal(ably_protocol_message_to_msgpack(&pm, &buf, NULL), 0);
        assert_int_equal(ably_protocol_message_from_msgpack(&back, buf.data, buf.len, NULL), 0);
        assert_true((uint64_t)back.flags == bits[i]);
        ably_protocol_message_clear(&back);
        ably_protocol_message_clear(&pm);
        ably_buf_free(&buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(actions_are_numbered_in_order, "TR2"),
        ABLY_TEST(flags_have_their_bits,
                  "TR3 TR3b TR3e TR3f TR3h TR3q TR3t TR3u TR3v TR3w TR3x TR3y TR3z TR3\xce\xbd"),
        ABLY_TEST(decodes_every_attribute,
                  "TR1 TR4 TR4a TR4b TR4c TR4d TR4g TR4h TR4i TR4j TR4k TR4l TR4m TR4n TR4o TR4p TR4q TR4r TR4s "
                  "TR3b TR3e TR3h TR3q TR3t TR3v CD1 CD2 CD2a CD2b CD2c CD2d CD2e CD2f CD2g CD2h CD2i CD2j"),
        ABLY_TEST(each_flag_decodes_on_its_own, "TR3 TR4i TR3b TR3e TR3h TR3q TR3t TR3u TR3v TR3w TR3x TR3y TR3z "
                                                "TR3\xce\xbd"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
