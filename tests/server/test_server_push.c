/* ably-sandbox push admin routes: /push/publish, /push/deviceRegistrations,
 * /push/channelSubscriptions, /push/channels. */
#include "test_server_http.h"

/* keys[0] full access; keys[1] push-admin on pushenabled:admin:*, push-subscribe on
 * pushenabled:*; keys[3] subscribe only (test-app-setup.json). */
static srv_resp call(const sandbox_env *env, const char *method, const char *path, const char *json, size_t k)
{
    srv_req r = {.method = method, .path = path, .userpwd = srv_key(env, k)};
    if (json) {
        r.content_type = "application/json";
        r.body = json;
    }
    return srv_do(env, &r);
}

static void expect_status(const sandbox_env *env, const char *method, const char *path, const char *json, size_t k,
                          long status)
{
    srv_resp r = call(env, method, path, json, k);
    assert_int_equal(r.status, status);
    srv_resp_free(&r);
}

static void expect_error(const sandbox_env *env, const char *method, const char *path, const char *json, size_t k,
                         long status, int code)
{
    srv_resp r = call(env, method, path, json, k);
    assert_ably_error(&r, status, code);
    srv_resp_free(&r);
}

/* The body of a GET as JSON (the caller deletes), asserting 200. */
static cJSON *get_json(const sandbox_env *env, const char *path, size_t k, srv_resp *keep)
{
    return srv_get_json(env, path, k, keep);
}

static char *device_json(const char *id, const char *client_id, const char *token)
{
    char *s = malloc(512);
    snprintf(s, 512,
             "{\"id\":\"%s\",\"clientId\":\"%s\",\"platform\":\"ios\",\"formFactor\":\"phone\","
             "\"metadata\":{\"model\":\"x\"},\"deviceSecret\":\"sec\","
             "\"push\":{\"recipient\":{\"transportType\":\"apns\",\"deviceToken\":\"%s\"}}}",
             id, client_id, token);
    return s;
}

static void put_device(const sandbox_env *env, const char *id, const char *client_id, const char *token)
{
    char path[256];
    snprintf(path, sizeof path, "/push/deviceRegistrations/%s", id);
    char *body = device_json(id, client_id, token);
    expect_status(env, "PUT", path, body, 0, 200);
    free(body);
}

static void publish_validation(void **state)
{
    sandbox_env *env = *state;
    const char *note = ",\"notification\":{\"title\":\"t\"}}";
    char body[256];
    snprintf(body, sizeof body, "{\"recipient\":{\"clientId\":\"bob\"}%s", note);
    expect_status(env, "POST", "/push/publish", body, 0, 201);
    snprintf(body, sizeof body, "{\"recipient\":{\"transportType\":\"apns\",\"deviceToken\":\"t\"}%s", note);
    expect_status(env, "POST", "/push/publish", body, 0, 201);
    snprintf(body, sizeof body, "{\"recipient\":{}%s", note);
    expect_error(env, "POST", "/push/publish", body, 0, 400, 40000);
    snprintf(body, sizeof body, "{\"recipient\":{\"transportType\":\"pigeon\"}%s", note);
    expect_error(env, "POST", "/push/publish", body, 0, 400, 40000);
    expect_error(env, "POST", "/push/publish", "{\"recipient\":{\"clientId\":\"bob\"}}", 0, 400, 40000);
    snprintf(body, sizeof body, "{\"recipient\":{\"clientId\":\"bob\"}%s", note);
    expect_error(env, "POST", "/push/publish", body, 3, 401, 40160);
    /* push-admin on a namespace is enough for app-level push admin. */
    expect_status(env, "POST", "/push/publish", body, 1, 201);
}

static void device_lifecycle(void **state)
{
    sandbox_env *env = *state;
    put_device(env, "dev-a", "client-a", "token-1");
    cJSON *d = get_json(env, "/push/deviceRegistrations/dev-a", 0, NULL);
    assert_string_equal(cJSON_GetObjectItem(d, "clientId")->valuestring, "client-a");
    assert_string_equal(cJSON_GetObjectItem(d, "platform")->valuestring, "ios");
    const cJSON *push = cJSON_GetObjectItem(d, "push");
    assert_string_equal(cJSON_GetObjectItem(push, "state")->valuestring, "ACTIVE");
    assert_null(cJSON_GetObjectItem(d, "deviceSecret"));
    cJSON_Delete(d);

    put_device(env, "dev-a", "client-a", "token-2"); /* an update replaces */
    d = get_json(env, "/push/deviceRegistrations/dev-a", 0, NULL);
    const cJSON *recipient = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "push"), "recipient");
    assert_string_equal(cJSON_GetObjectItem(recipient, "deviceToken")->valuestring, "token-2");
    cJSON_Delete(d);

    /* ids with a slash and a space travel percent-encoded */
    char *body = device_json("dev/with space", "client-a", "t");
    expect_status(env, "PUT", "/push/deviceRegistrations/dev%2Fwith%20space", body, 0, 200);
    free(body);
    d = get_json(env, "/push/deviceRegistrations/dev%2Fwith%20space", 0, NULL);
    assert_string_equal(cJSON_GetObjectItem(d, "id")->valuestring, "dev/with space");
    cJSON_Delete(d);

    expect_status(env, "DELETE", "/push/deviceRegistrations/dev-a", NULL, 0, 204);
    expect_error(env, "GET", "/push/deviceRegistrations/dev-a", NULL, 0, 404, 40400);
    expect_status(env, "DELETE", "/push/deviceRegistrations/dev-a", NULL, 0, 204); /* unknown: still fine */
    expect_status(env, "DELETE", "/push/deviceRegistrations?clientId=client-a", NULL, 0, 204);
    cJSON *items = get_json(env, "/push/deviceRegistrations?clientId=client-a", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);
}

static void device_list_filters_and_pages(void **state)
{
    sandbox_env *env = *state;
    put_device(env, "list-1", "list-client", "t1");
    put_device(env, "list-2", "list-client", "t2");
    put_device(env, "list-3", "list-client", "t3");
    put_device(env, "list-4", "other-client", "t4");
    cJSON *items = get_json(env, "/push/deviceRegistrations?deviceId=list-4", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(items->child, "clientId")->valuestring, "other-client");
    cJSON_Delete(items);

    srv_resp r;
    items = get_json(env, "/push/deviceRegistrations?clientId=list-client&limit=2", 0, &r);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    cJSON_Delete(items);
    char link[1024];
    assert_true(srv_header(&r, "link", link, sizeof link));
    srv_resp_free(&r);
    const char *next = strstr(link, "rel=\"next\"");
    assert_non_null(next);
    /* the href of the next link: "<./deviceRegistrations?...>" just before it */
    const char *lt = next;
    while (lt > link && *lt != '<')
        lt--;
    char path[512];
    snprintf(path, sizeof path, "/push/%.*s", (int)(strchr(lt, '>') - lt - 3), lt + 3);
    items = get_json(env, path, 0, &r);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(items->child, "id")->valuestring, "list-3");
    cJSON_Delete(items);
    assert_true(srv_header(&r, "link", link, sizeof link));
    assert_null(strstr(link, "rel=\"next\""));
    srv_resp_free(&r);

    expect_status(env, "DELETE", "/push/deviceRegistrations?clientId=list-client", NULL, 0, 204);
    expect_status(env, "DELETE", "/push/deviceRegistrations?deviceId=list-4", NULL, 0, 204);
    items = get_json(env, "/push/deviceRegistrations?deviceId=list-4", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);
}

static void device_validation_and_capability(void **state)
{
    sandbox_env *env = *state;
    const char *path = "/push/deviceRegistrations/v-1";
    expect_error(env, "PUT", path,
                 "{\"id\":\"v-1\",\"platform\":\"palm\",\"formFactor\":\"phone\","
                 "\"push\":{\"recipient\":{\"transportType\":\"apns\"}}}",
                 0, 400, 40000);
    expect_error(env, "PUT", path,
                 "{\"id\":\"v-1\",\"platform\":\"ios\",\"push\":{\"recipient\":{\"transportType\":\"apns\"}}}", 0,
                 400, 40000);
    expect_error(env, "PUT", path, "{\"id\":\"v-1\",\"platform\":\"ios\",\"formFactor\":\"phone\"}", 0, 400, 40000);
    expect_error(env, "PUT", path,
                 "{\"id\":\"other\",\"platform\":\"ios\",\"formFactor\":\"phone\","
                 "\"push\":{\"recipient\":{\"transportType\":\"apns\"}}}",
                 0, 400, 40000);
    char *ok = device_json("v-1", "c", "t");
    expect_error(env, "PUT", path, ok, 3, 401, 40160);
    expect_error(env, "GET", "/push/deviceRegistrations", NULL, 3, 401, 40160);
    expect_status(env, "PUT", path, ok, 1, 200); /* keys[1] has push-admin */
    free(ok);
    expect_status(env, "DELETE", path, NULL, 1, 204);
    expect_error(env, "GET", "/push/deviceRegistrations?limit=0", NULL, 0, 400, 40003);
}

static void subscriptions_and_channels(void **state)
{
    sandbox_env *env = *state;
    put_device(env, "sub-dev", "sub-client", "t");
    expect_status(env, "POST", "/push/channelSubscriptions",
                  "{\"channel\":\"pushenabled:s1\",\"deviceId\":\"sub-dev\"}", 0, 201);
    expect_status(env, "POST", "/push/channelSubscriptions",
                  "{\"channel\":\"pushenabled:s1\",\"deviceId\":\"sub-dev\"}", 0, 201); /* idempotent */
    expect_status(env, "POST", "/push/channelSubscriptions",
                  "{\"channel\":\"pushenabled:s2\",\"clientId\":\"sub-client\"}", 0, 201);
    cJSON *items = get_json(env, "/push/channelSubscriptions?channel=pushenabled:s1", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(cJSON_GetObjectItem(items->child, "deviceId")->valuestring, "sub-dev");
    cJSON_Delete(items);
    /* concatFilters: either the device or the client */
    items = get_json(env, "/push/channelSubscriptions?deviceId=sub-dev&clientId=sub-client&concatFilters=true", 0,
                     NULL);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    cJSON_Delete(items);
    items = get_json(env, "/push/channelSubscriptions?deviceId=sub-dev&clientId=sub-client", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);

    items = get_json(env, "/push/channels", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 2);
    assert_string_equal(cJSON_GetArrayItem(items, 0)->valuestring, "pushenabled:s1");
    assert_string_equal(cJSON_GetArrayItem(items, 1)->valuestring, "pushenabled:s2");
    cJSON_Delete(items);
    items = get_json(env, "/push/channels?limit=1&cursor=1", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_string_equal(items->child->valuestring, "pushenabled:s2");
    cJSON_Delete(items);

    /* removing the device drops its subscriptions */
    expect_status(env, "DELETE", "/push/deviceRegistrations/sub-dev", NULL, 0, 204);
    items = get_json(env, "/push/channelSubscriptions?channel=pushenabled:s1", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);
    expect_status(env, "DELETE", "/push/channelSubscriptions?channel=pushenabled:s2&clientId=sub-client", NULL, 0,
                  204);
    expect_status(env, "DELETE", "/push/channelSubscriptions?clientId=nobody", NULL, 0, 204);
    items = get_json(env, "/push/channels", 0, NULL);
    assert_int_equal(cJSON_GetArraySize(items), 0);
    cJSON_Delete(items);
}

static void subscription_validation_and_capability(void **state)
{
    sandbox_env *env = *state;
    const char *path = "/push/channelSubscriptions";
    expect_error(env, "POST", path, "{\"channel\":\"pushenabled:x\",\"deviceId\":\"d\",\"clientId\":\"c\"}", 0, 400,
                 40000);
    expect_error(env, "POST", path, "{\"channel\":\"pushenabled:x\"}", 0, 400, 40000);
    expect_error(env, "POST", path, "{\"clientId\":\"c\"}", 0, 400, 40000);
    expect_error(env, "POST", path, "{\"channel\":\"pushenabled:x\",\"deviceId\":\"unregistered\"}", 0, 400, 40000);
    /* keys[1]: push-admin only under pushenabled:admin:* */
    expect_status(env, "POST", path, "{\"channel\":\"pushenabled:admin:x\",\"clientId\":\"c\"}", 1, 201);
    expect_error(env, "POST", path, "{\"channel\":\"other\",\"clientId\":\"c\"}", 1, 401, 40160);
    expect_error(env, "POST", path, "{\"channel\":\"pushenabled:admin:x\",\"clientId\":\"c\"}", 3, 401, 40160);
    expect_error(env, "GET", "/push/channels", NULL, 3, 401, 40160);
    expect_status(env, "DELETE", "/push/channelSubscriptions?channel=pushenabled:admin:x", NULL, 1, 204);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(publish_validation, "RSH1a"),
        ABLY_TEST(device_lifecycle, "RSH1b1 RSH1b3 RSH1b4 RSH1b5 PCD2 PCD3 PCD6 PCP3 PCP4"),
        ABLY_TEST(device_list_filters_and_pages, "RSH1b2 RSH1b5"),
        ABLY_TEST(device_validation_and_capability, "RSH1b3 PCD4 PCD6"),
        ABLY_TEST(subscriptions_and_channels, "RSH1c1 RSH1c2 RSH1c3 RSH1c4 RSH1c5 PCS2 PCS3 PCS4"),
        ABLY_TEST(subscription_validation_and_capability, "RSH1c3 PCS1"),
    };
    return cmocka_run_group_tests(tests, sandbox_env_group_setup, sandbox_env_group_teardown);
}
