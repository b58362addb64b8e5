/* ably-sandbox annotations: POST/GET /channels/{ch}/messages/{serial}/annotations,
 * POST /channels/{ch}/annotations, summaries folded into the message, and the
 * realtime fan-out (ANNOTATION frames and MESSAGE_SUMMARY messages). */
#include "rt_test_util.h"

static srv_resp annotate(const sandbox_env *env, const char *channel, const char *serial, const char *body,
                         size_t key_index)
{
    char path[300];
    snprintf(path, sizeof path, "/channels/%s/messages/%s/annotations", channel, serial);
    return srv_post_json(env, path, body, srv_key(env, key_index));
}

static cJSON *latest_message(const sandbox_env *env, const char *channel)
{
    char path[256];
    snprintf(path, sizeof path, "/channels/%s/messages?limit=1", channel);
    srv_resp r = srv_get(env, path, srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *items = srv_json(&r);
    srv_resp_free(&r);
    cJSON *m = cJSON_DetachItemFromArray(items, 0);
    cJSON_Delete(items);
    assert_non_null(m);
    return m;
}

static void publish_list_and_summary(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("mutable:ann");
    char serial[64];
    srv_publish_serial(env, ch, serial, sizeof serial);
    srv_resp r = annotate(env, ch, serial,
                          "[{\"action\":0,\"type\":\"reaction:distinct.v1\",\"name\":\"like\",\"clientId\":\"a\"}]", 0);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "[{\"action\":0,\"type\":\"reaction:distinct.v1\",\"name\":\"like\",\"clientId\":\"b\"}]", 0);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "[{\"action\":0,\"type\":\"reaction:distinct.v1\",\"name\":\"wow\",\"clientId\":\"a\"}]", 0);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "[{\"action\":1,\"type\":\"reaction:distinct.v1\",\"name\":\"wow\",\"clientId\":\"a\"}]",
                 0);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);

    char path[300];
    snprintf(path, sizeof path, "/channels/%s/messages/%s/annotations?limit=3", ch, serial);
    r = srv_get(env, path, srv_key(env, 0));
    assert_int_equal(r.status, 200);
    cJSON *items = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(items), 3); /* paged: 4 stored */
    const cJSON *first = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(first, "type")->valuestring, "reaction:distinct.v1");
    assert_string_equal(cJSON_GetObjectItem(first, "messageSerial")->valuestring, serial);
    assert_string_equal(cJSON_GetObjectItem(first, "clientId")->valuestring, "a");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(first, "id")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(first, "serial")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(first, "timestamp")));
    assert_int_equal(cJSON_GetObjectItem(first, "action")->valueint, 0);
    cJSON_Delete(items);
    char link[1024];
    assert_true(srv_header(&r, "link", link, sizeof link));
    assert_non_null(strstr(link, "rel=\"next\""));
    srv_resp_free(&r);

    cJSON *m = latest_message(env, ch);
    const cJSON *summary = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "annotations"), "summary");
    assert_non_null(summary);
    const cJSON *t = cJSON_GetObjectItem(summary, "reaction:distinct.v1");
    assert_non_null(t);
    const cJSON *like = cJSON_GetObjectItem(t, "like");
    assert_int_equal(cJSON_GetObjectItem(like, "total")->valueint, 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(like, "clientIds")), 2);
    assert_null(cJSON_GetObjectItem(t, "wow")); /* created then deleted */
    cJSON_Delete(m);
}

static void serial_in_body_route(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("mutable:ann");
    char serial[64], path[300], body[300];
    srv_publish_serial(env, ch, serial, sizeof serial);
    snprintf(path, sizeof path, "/channels/%s/annotations", ch);
    snprintf(body, sizeof body, "[{\"action\":0,\"type\":\"flag.v1\",\"messageSerial\":\"%s\",\"clientId\":\"x\"}]", serial);
    srv_resp r = srv_post_json(env, path, body, srv_key(env, 0));
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    cJSON *m = latest_message(env, ch);
    const cJSON *flag = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "annotations"), "summary"),
                                            "flag.v1");
    assert_non_null(flag);
    assert_int_equal(cJSON_GetObjectItem(flag, "total")->valueint, 1);
    cJSON_Delete(m);
}

static void annotation_denials(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("mutable:ann");
    char serial[64];
    srv_publish_serial(env, ch, serial, sizeof serial);
    srv_resp r = annotate(env, ch, serial, "[{\"action\":0,\"name\":\"like\"}]", 0); /* no type */
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "[{\"type\":\"t.v1\"}]", 0); /* no action */
    assert_ably_error(&r, 400, 40003);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "{\"action\":0,\"type\":\"t.v1\"}", 0); /* not an array */
    assert_ably_error(&r, 400, 40001);
    srv_resp_free(&r);
    r = annotate(env, ch, "00000000000001-000000009", "[{\"action\":0,\"type\":\"t.v1\"}]", 0);
    assert_ably_error(&r, 404, 40400);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "[{\"action\":0,\"type\":\"t.v1\"}]", 3); /* subscribe only */
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    r = annotate(env, ch, serial, "not json", 0);
    assert_ably_error(&r, 400, 40001);
    srv_resp_free(&r);
    /* srv_unique_channel reuses its buffer: `ch` is not used below */
    const char *plain = srv_unique_channel("plain-ann");
    srv_publish_serial(env, plain, serial, sizeof serial);
    r = annotate(env, plain, serial, "[{\"action\":0,\"type\":\"t.v1\"}]", 0); /* not mutable */
    assert_ably_error(&r, 400, 93002);
    srv_resp_free(&r);
}

static void post_one(const sandbox_env *env, const char *ch, const char *serial, int action, const char *type,
                     const char *name, const char *client_id, int count)
{
    char body[400];
    snprintf(body, sizeof body,
             "[{\"action\":%d,\"type\":\"%s\",\"name\":\"%s\",\"clientId\":\"%s\",\"count\":%d}]", action, type,
             name, client_id, count);
    srv_resp r = annotate(env, ch, serial, body, 0);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
}

static void summary_aggregations(void **state)
{
    sandbox_env *env = *state;
    char ch[128], serial[64];
    snprintf(ch, sizeof ch, "%s", srv_unique_channel("mutable:agg"));
    srv_publish_serial(env, ch, serial, sizeof serial);
    post_one(env, ch, serial, 0, "vote:unique.v1", "yes", "a", 1);
    post_one(env, ch, serial, 0, "vote:unique.v1", "no", "a", 1); /* a moves to "no" */
    post_one(env, ch, serial, 0, "vote:unique.v1", "yes", "b", 1);
    post_one(env, ch, serial, 0, "stars:multiple.v1", "star", "a", 2);
    post_one(env, ch, serial, 0, "stars:multiple.v1", "star", "b", 1);
    post_one(env, ch, serial, 0, "views:total.v1", "", "a", 1);
    post_one(env, ch, serial, 0, "views:total.v1", "", "b", 1);
    post_one(env, ch, serial, 0, "seen:flag.v1", "", "a", 1);
    post_one(env, ch, serial, 1, "seen:flag.v1", "", "a", 1); /* deleted again */
    cJSON *m = latest_message(env, ch);
    const cJSON *summary = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "annotations"), "summary");
    const cJSON *vote = cJSON_GetObjectItem(summary, "vote:unique.v1");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(vote, "yes"), "total")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(vote, "no"), "total")->valueint, 1);
    const cJSON *star = cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "stars:multiple.v1"), "star");
    assert_int_equal(cJSON_GetObjectItem(star, "total")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(star, "clientIds"), "a")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "views:total.v1"), "total")->valueint, 2);
    const cJSON *seen = cJSON_GetObjectItem(summary, "seen:flag.v1");
    assert_int_equal(cJSON_GetObjectItem(seen, "total")->valueint, 0);
    cJSON_Delete(m);
}

static void realtime_fan_out(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("mutable:ann");
    char serial[64];
    srv_publish_serial(env, ch, serial, sizeof serial);
    rt_client *raw = rtu_connect(env, 0, NULL, false, NULL);
    rt_client *plain = rtu_connect(env, 0, NULL, true, NULL);
    ably_protocol_message *att = rtu_attach(raw, ch, ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE);
    assert_non_null(att);
    assert_true(att->flags & ABLY_PROTOCOL_MESSAGE_FLAG_ANNOTATION_SUBSCRIBE);
    rtc_free(att);
    rtu_attach_ok(plain, ch); /* default modes: SUBSCRIBE, no ANNOTATION_SUBSCRIBE */
    srv_resp r = annotate(env, ch, serial, "[{\"action\":0,\"type\":\"reaction:distinct.v1\",\"name\":\"like\",\"clientId\":\"z\"}]", 0);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    ably_protocol_message *pm = rtc_expect(raw, ACT(ANNOTATION), WAIT);
    assert_non_null(pm);
    assert_string_equal(pm->channel, ch);
    assert_int_equal(pm->annotations_count, 1);
    assert_string_equal(pm->annotations[0].type, "reaction:distinct.v1");
    assert_string_equal(pm->annotations[0].message_serial, serial);
    rtc_free(pm);
    pm = rtc_expect(plain, ACT(MESSAGE), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->messages_count, 1);
    assert_int_equal(pm->messages[0].action, ABLY_MESSAGE_ACTION_MESSAGE_SUMMARY);
    assert_string_equal(pm->messages[0].serial, serial);
    assert_non_null(pm->messages[0].annotations);
    assert_non_null(strstr(pm->messages[0].annotations->summary, "\"like\""));
    rtc_free(pm);
    rtc_pump(plain, 100);
    assert_null(rtc_take(plain, ACT(ANNOTATION))); /* mode not held */
    rtc_destroy(raw);
    rtc_destroy(plain);
}

static void realtime_annotation_and_update_frames(void **state)
{
    sandbox_env *env = *state;
    char ch[128], serial[64], frame[1024];
    snprintf(ch, sizeof ch, "%s", srv_unique_channel("mutable:rt"));
    srv_publish_serial(env, ch, serial, sizeof serial);
    rt_client *c = rtu_connect(env, 0, NULL, false, NULL);
    rtu_attach_ok(c, ch);
    snprintf(frame, sizeof frame,
             "{\"action\":21,\"channel\":\"%s\",\"msgSerial\":0,\"annotations\":[{\"action\":0,"
             "\"type\":\"flag.v1\",\"messageSerial\":\"%s\",\"clientId\":\"q\"}]}",
             ch, serial);
    rtc_send_json(c, frame);
    ably_protocol_message *pm = rtc_expect(c, ACT(ACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->msg_serial, 0);
    rtc_free(pm);
    pm = rtc_expect(c, ACT(MESSAGE), WAIT); /* the summary */
    assert_non_null(pm);
    assert_int_equal(pm->messages[0].action, ABLY_MESSAGE_ACTION_MESSAGE_SUMMARY);
    assert_non_null(strstr(pm->messages[0].annotations->summary, "flag.v1"));
    rtc_free(pm);

    snprintf(frame, sizeof frame,
             "{\"action\":15,\"channel\":\"%s\",\"msgSerial\":1,\"messages\":[{\"action\":1,"
             "\"serial\":\"%s\",\"data\":\"v2\"}]}",
             ch, serial);
    rtc_send_json(c, frame);
    pm = rtc_expect(c, ACT(ACK), WAIT);
    assert_non_null(pm);
    assert_int_equal(pm->msg_serial, 1);
    assert_int_equal(pm->res_count, 1);
    assert_int_equal(pm->res[0].serials_count, 1);
    assert_string_not_equal(pm->res[0].serials[0], serial); /* the new version's */
    rtc_free(pm);
    pm = rtc_expect(c, ACT(MESSAGE), WAIT); /* the new version, fanned out */
    assert_non_null(pm);
    assert_int_equal(pm->messages[0].action, ABLY_MESSAGE_ACTION_MESSAGE_UPDATE);
    assert_string_equal(pm->messages[0].serial, serial);
    assert_memory_equal(pm->messages[0].data.bytes, "v2", 2);
    rtc_free(pm);
    rtc_destroy(c);

    rt_client *denied = rtu_connect(env, 3, NULL, false, NULL); /* {"*":["subscribe"]} */
    snprintf(frame, sizeof frame,
             "{\"action\":21,\"channel\":\"%s\",\"msgSerial\":0,\"annotations\":[{\"action\":0,"
             "\"type\":\"flag.v1\",\"messageSerial\":\"%s\"}]}",
             ch, serial);
    rtc_send_json(denied, frame);
    pm = rtc_expect(denied, ACT(NACK), WAIT);
    assert_non_null(pm);
    assert_non_null(pm->error);
    assert_int_equal(pm->error->code, 40160);
    rtc_free(pm);
    rtc_destroy(denied);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_list_and_summary, "RSAN1c RSAN1c6 RSAN2a RSAN3b RSAN3c TM8a"),
        ABLY_TEST(serial_in_body_route, "RSAN1c2 TM8a"),
        ABLY_TEST(annotation_denials, "RSAN1a3"),
        ABLY_TEST(summary_aggregations, "TM8a TM8a1"),
        ABLY_TEST(realtime_fan_out, "RTAN4b TM2u"),
        ABLY_TEST(realtime_annotation_and_update_frames, "RTAN1c RTL32b RTL32d"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
