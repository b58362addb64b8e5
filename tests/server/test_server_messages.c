/* ably-sandbox publish and history: POST/GET /channels/{channel}/messages. */
#include "test_server_http.h"

static srv_resp publish(const sandbox_env *env, const char *channel, const char *json, const char *query)
{
    char path[512];
    snprintf(path, sizeof path, "/channels/%s/messages%s", channel, query ? query : "");
    return srv_post_json(env, path, json, sandbox_env_key(env, 0)->key_str);
}

static cJSON *history(const sandbox_env *env, const char *channel, const char *query, srv_resp *keep)
{
    char path[512];
    snprintf(path, sizeof path, "/channels/%s/messages%s", channel, query ? query : "");
    cJSON *items = srv_get_json(env, path, 0, keep);
    assert_true(cJSON_IsArray(items));
    return items;
}

static const char *item_name(const cJSON *items, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(items, i), "name")->valuestring;
}

static void publish_returns_unique_serials(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("serials");
    srv_resp r = publish(env, ch, "{\"name\":\"event1\",\"data\":\"data1\"}", NULL);
    assert_int_equal(r.status, 201);
    cJSON *res = srv_json(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "serials")), 1);
    cJSON_Delete(res);
    srv_resp_free(&r);
    r = publish(env, ch, "[{\"name\":\"e2\"},{\"name\":\"e3\"},{\"name\":\"e4\"}]", NULL);
    res = srv_json(&r);
    const cJSON *serials = cJSON_GetObjectItem(res, "serials");
    assert_int_equal(cJSON_GetArraySize(serials), 3);
    for (int i = 0; i < 3; i++) {
        const char *s = cJSON_GetArrayItem(serials, i)->valuestring;
        assert_true(strlen(s) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(s, cJSON_GetArrayItem(serials, j)->valuestring);
    }
    cJSON_Delete(res);
    srv_resp_free(&r);
}

static void history_returns_messages_newest_first(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("history");
    srv_resp r = publish(env, ch, "{\"name\":\"event1\",\"data\":\"data1\"}", NULL);
    srv_resp_free(&r);
    r = publish(env, ch, "{\"name\":\"event2\",\"data\":\"data2\"}", NULL);
    srv_resp_free(&r);
    r = publish(env, ch, "{\"name\":\"event3\",\"data\":{\"key\":\"value\"}}", NULL);
    srv_resp_free(&r);
    cJSON *items = history(env, ch, NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 3);
    assert_string_equal(item_name(items, 0), "event3");
    assert_string_equal(item_name(items, 2), "event1");
    const cJSON *first = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "data"), "key")->valuestring, "value");
    for (int i = 0; i < 3; i++) {
        const cJSON *m = cJSON_GetArrayItem(items, i);
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "timestamp")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(m, "id")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(m, "serial")));
    }
    cJSON_Delete(items);
    items = history(env, ch, "?direction=forwards", NULL);
    assert_string_equal(item_name(items, 0), "event1");
    assert_string_equal(item_name(items, 2), "event3");
    cJSON_Delete(items);
}

static void history_of_empty_channel_has_no_next(void **state)
{
    sandbox_env *env = *state;
    srv_resp r;
    cJSON *items = history(env, srv_unique_channel("empty"), NULL, &r);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    char link[1024];
    assert_true(srv_header(&r, "link", link, sizeof link));
    assert_non_null(strstr(link, "rel=\"first\""));
    assert_null(strstr(link, "rel=\"next\""));
    cJSON_Delete(items);
    srv_resp_free(&r);
}

static void history_paginates_with_link_headers(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("pages");
    char chan[128];
    snprintf(chan, sizeof chan, "%s", ch);
    for (int i = 1; i <= 10; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"name\":\"event-%d\",\"data\":\"%d\"}", i, i);
        srv_resp r = publish(env, chan, body, NULL);
        assert_int_equal(r.status, 201);
        srv_resp_free(&r);
    }
    srv_resp r;
    cJSON *items = history(env, chan, "?limit=4", &r);
    assert_int_equal(cJSON_GetArraySize(items), 4);
    assert_string_equal(item_name(items, 0), "event-10");
    assert_string_equal(item_name(items, 3), "event-7");
    cJSON_Delete(items);
    int pages = 1, total = 4;
    char link[2048];
    while (srv_header(&r, "link", link, sizeof link) && strstr(link, "rel=\"next\"")) {
        /* the next link is "<./messages?QUERY>; rel=\"next\"": the same path with QUERY */
        char *next = strstr(link, "rel=\"next\"");
        char *open = next;
        while (open > link && *open != '<')
            open--;
        char *q = strchr(open, '?');
        char *close = strchr(open, '>');
        assert_non_null(q);
        *close = '\0';
        assert_true(strncmp(open, "<./messages?", 12) == 0);
        srv_resp_free(&r);
        items = history(env, chan, q, &r);
        total += cJSON_GetArraySize(items);
        if (++pages == 3)
            assert_string_equal(item_name(items, 1), "event-1");
        cJSON_Delete(items);
        assert_true(pages <= 3);
    }
    srv_resp_free(&r);
    assert_int_equal(pages, 3);
    assert_int_equal(total, 10);
}

static void history_filters_by_time_and_validates_params(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("timerange");
    srv_resp r = publish(env, ch, "{\"name\":\"early\"}", NULL);
    srv_resp_free(&r);
    usleep(30000);
    r = publish(env, ch, "{\"name\":\"late\"}", NULL);
    srv_resp_free(&r);
    cJSON *all = history(env, ch, NULL, NULL);
    double late_ts = cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "timestamp")->valuedouble;
    double early_ts = cJSON_GetObjectItem(cJSON_GetArrayItem(all, 1), "timestamp")->valuedouble;
    cJSON_Delete(all);
    char q[128];
    snprintf(q, sizeof q, "?start=%.0f&end=%.0f", early_ts - 1000, (early_ts + late_ts) / 2);
    cJSON *items = history(env, ch, q, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(item_name(items, 0), "early");
    cJSON_Delete(items);
    snprintf(q, sizeof q, "?start=%.0f", late_ts);
    items = history(env, ch, q, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(item_name(items, 0), "late");
    cJSON_Delete(items);

    const char *bad[] = { "?limit=1001", "?limit=0", "?limit=abc", "?direction=sideways",
                          "?start=10&end=5", "?cursor=!!", NULL };
    for (int i = 0; bad[i]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/channels/%s/messages%s", ch, bad[i]);
        r = srv_get(env, path, sandbox_env_key(env, 0)->key_str);
        assert_int_equal(r.status, 400);
        int code = srv_error_code(&r);
        assert_true(code == 40003 || code == 40011);
        srv_resp_free(&r);
    }
}

static void client_supplied_ids_are_idempotent(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("idempotent");
    char chan[128];
    snprintf(chan, sizeof chan, "%s", ch);
    char first_serial[64] = "";
    for (int i = 1; i <= 3; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"id\":\"fixed-id\",\"name\":\"event\",\"data\":\"data-%d\"}", i);
        srv_resp r = publish(env, chan, body, NULL);
        assert_int_equal(r.status, 201);
        cJSON *res = srv_json(&r);
        const char *serial = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "serials"), 0)->valuestring;
        if (i == 1)
            snprintf(first_serial, sizeof first_serial, "%s", serial);
        else
            assert_string_equal(serial, first_serial);
        cJSON_Delete(res);
        srv_resp_free(&r);
    }
    cJSON *items = history(env, chan, NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    const cJSON *m = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(m, "id")->valuestring, "fixed-id");
    assert_string_equal(cJSON_GetObjectItem(m, "data")->valuestring, "data-1");
    cJSON_Delete(items);
}

static void force_nack_is_rejected_with_40099(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = publish(env, srv_unique_channel("nack"), "{\"name\":\"e\"}", "?_forceNack=true");
    assert_ably_error(&r, 400, 40099);
    srv_resp_free(&r);
}

static void oversized_message_is_rejected_with_40009(void **state)
{
    sandbox_env *env = *state;
    size_t n = 65536 + 10;
    char *body = malloc(n + 64);
    int off = sprintf(body, "{\"name\":\"big\",\"data\":\"");
    memset(body + off, 'x', n);
    strcpy(body + off + n, "\"}");
    srv_resp r = publish(env, srv_unique_channel("big"), body, NULL);
    assert_ably_error(&r, 400, 40009);
    srv_resp_free(&r);
    free(body);
}

static void restricted_key_cannot_publish_elsewhere(void **state)
{
    sandbox_env *env = *state;
    const sandbox_key *k = sandbox_env_key(env, 2);
    srv_resp r = srv_post_json(env, "/channels/forbidden-channel/messages", "{\"name\":\"e\"}", k->key_str);
    assert_ably_error(&r, 401, 40160);
    srv_resp_free(&r);
    r = srv_post_json(env, "/channels/channel2/messages", "{\"name\":\"e\"}", k->key_str);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
}

static void percent_encoded_channel_names_route(void **state)
{
    sandbox_env *env = *state;
    srv_resp r = publish(env, "with%2Fslash%20and%3Acolon", "{\"name\":\"enc\"}", NULL);
    assert_int_equal(r.status, 201);
    cJSON *res = srv_json(&r);
    assert_string_equal(cJSON_GetObjectItem(res, "channel")->valuestring, "with/slash and:colon");
    cJSON_Delete(res);
    srv_resp_free(&r);
    cJSON *items = history(env, "with%2Fslash%20and%3Acolon", NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    cJSON_Delete(items);
}

/* msgpack publish with binary data; JSON readers see base64, msgpack readers bin. */
static void msgpack_binary_round_trips(void **state)
{
    sandbox_env *env = *state;
    const char *ch = srv_unique_channel("binary");
    char chan[128];
    snprintf(chan, sizeof chan, "%s", ch);
    /* [{"name":"b","data":bin(01 02 03)}] */
    static const unsigned char body[] = { 0x91, 0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'b',
                                          0xa4, 'd', 'a', 't', 'a', 0xc4, 0x03, 0x01, 0x02, 0x03 };
    char path[256];
    snprintf(path, sizeof path, "/channels/%s/messages", chan);
    srv_req q = { .method = "POST", .path = path, .content_type = "application/x-msgpack",
                  .body = body, .body_len = sizeof body, .userpwd = sandbox_env_key(env, 0)->key_str };
    srv_resp r = srv_do(env, &q);
    assert_int_equal(r.status, 201);
    srv_resp_free(&r);
    cJSON *items = history(env, chan, NULL, NULL);
    const cJSON *m = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(m, "data")->valuestring, "AQID");
    assert_string_equal(cJSON_GetObjectItem(m, "encoding")->valuestring, "base64");
    cJSON_Delete(items);
    q.method = "GET";
    q.body = NULL;
    q.content_type = NULL;
    q.accept = "application/x-msgpack";
    r = srv_do(env, &q);
    assert_int_equal(r.status, 200);
    static const unsigned char bin[] = { 0xc4, 0x03, 0x01, 0x02, 0x03 };
    assert_non_null(memmem(r.body, r.len, bin, sizeof bin));
    assert_null(memmem(r.body, r.len, "base64", 6));
    srv_resp_free(&r);
}

static void publish_body_errors(void **state)
{
    sandbox_env *env = *state;
    const char *bodies[] = { "[]", "42", "[1]", "{\"name\":5}", "{\"data\":true}", "{\"extras\":[]}", NULL };
    for (int i = 0; bodies[i]; i++) {
        srv_resp r = publish(env, "bodies", bodies[i], NULL);
        assert_int_equal(r.status, 400);
        int code = srv_error_code(&r);
        assert_true(code == 40001 || code == 40013);
        srv_resp_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_returns_unique_serials, "RSL1n RSL1"),
        ABLY_TEST(history_returns_messages_newest_first, "RSL2a RSL2b2"),
        ABLY_TEST(history_of_empty_channel_has_no_next, "RSL2a TG1"),
        ABLY_TEST(history_paginates_with_link_headers, "RSL2b3 TG1 TG4 TG5"),
        ABLY_TEST(history_filters_by_time_and_validates_params, "RSL2b1 RSL2b3"),
        ABLY_TEST(client_supplied_ids_are_idempotent, "RSL1k5 RSL1k2"),
        ABLY_TEST(force_nack_is_rejected_with_40099, "RSL1l1"),
        ABLY_TEST(oversized_message_is_rejected_with_40009, "RSL1i TO3l8"),
        ABLY_TEST(restricted_key_cannot_publish_elsewhere, "RSL1d"),
        ABLY_TEST(percent_encoded_channel_names_route, "RSL1 RSL2"),
        ABLY_TEST(msgpack_binary_round_trips, "G1 RSL1 RSL2"),
        ABLY_TEST(publish_body_errors, "RSL1"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
