/* Server-initiated re-authentication through ably-proxy
 * (uts/realtime/integration/proxy/auth_reauth.md): the proxy injects an AUTH
 * ProtocolMessage into a live connection; the client obtains a new token and sends
 * AUTH back without leaving CONNECTED. */
#include "ably_test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_rt.h"

/* AUTH frames the client sent that carry an auth attribute. */
static int client_auth_frames(proxy_env *px)
{
    cJSON *log = proxy_env_log(px);
    if (!log)
        return -1;
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(log, "events"))
    {
        const cJSON *dir = cJSON_GetObjectItem(ev, "direction");
        const cJSON *msg = cJSON_GetObjectItem(ev, "message");
        const cJSON *action = cJSON_GetObjectItem(msg, "action");
        if (cJSON_IsString(dir) && strcmp(dir->valuestring, "client_to_server") == 0 && cJSON_IsNumber(action) &&
            action->valueint == 17 && cJSON_GetObjectItem(msg, "auth"))
            n++;
    }
    cJSON_Delete(log);
    return n;
}

static void injected_auth_reauthenticates(void **state)
{
    prt_fixture *f = *state;
    ably_client_options o;
    prt_options(&o, f);
    prt_auth auth;
    prt_auth_init(&auth, f, NULL);
    o.auth_callback = prt_jwt_callback;
    o.auth_callback_ctx = &auth;
    ably_realtime *rt = prt_realtime(&o);
    assert_non_null(rt);
    ably_connection_connect(rt);
    assert_true(prt_wait_conn(rt, ABLY_CONN_CONNECTED));
    char *original_id = ably_connection_id(rt);
    assert_non_null(original_id);
    int calls_before = prt_auth_calls(&auth);
    assert_true(calls_before >= 1);
    prt_states conn;
    prt_states_init(&conn);
    ably_connection_on(rt, ABLY_CONN_EVENT_ANY, prt_conn_listener, &conn);

    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"inject_to_client\",\"message\":{\"action\":17}}"), 200);
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (prt_auth_calls(&auth) <= calls_before && prt_now_ms() < end)
        usleep(5000);
    /* the AUTH reply follows the callback: wait for it in the log */
    while (client_auth_frames(f->px) < 1 && prt_now_ms() < end)
        usleep(20000);

    assert_int_equal(prt_auth_calls(&auth), calls_before + 1);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id = ably_connection_id(rt);
    assert_non_null(id);
    assert_string_equal(id, original_id);
    assert_int_equal(prt_states_len(&conn), (size_t)prt_states_count(&conn, ABLY_CONN_CONNECTED));
    assert_true(client_auth_frames(f->px) >= 1);
    free(id);
    free(original_id);
    prt_close(rt);
    prt_states_destroy(&conn);
    prt_auth_destroy(&auth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(injected_auth_reauthenticates, "RTN22 RTC8a"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
