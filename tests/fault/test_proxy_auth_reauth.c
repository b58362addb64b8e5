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

static void count_with_auth(void *ctx, const cJSON *msg, int connects_before)
{
    (void)connects_before;
    *(int *)ctx += cJSON_GetObjectItem(msg, "auth") != NULL;
}

/* AUTH frames the client sent that carry an auth attribute. */
static int client_auth_frames(proxy_env *px)
{
    int n = 0;
    return prt_each_frame(px, true, 17, NULL, false, count_with_auth, &n) < 0 ? -1 : n;
}

static void injected_auth_reauthenticates(void **state)
{
    prt_fixture *f = *state;
    prt_client c;
    assert_true(prt_client_new(&c, f, NULL, NULL));
    ably_realtime *rt = c.rt;
    prt_auth *auth = &c.auth;
    assert_true(prt_client_connect(&c));
    char *original_id = ably_connection_id(rt);
    assert_non_null(original_id);
    int calls_before = prt_auth_calls(auth);
    assert_true(calls_before >= 1);
    /* from here on only the changes the re-authentication makes */
    prt_states *conn = &c.conn;
    assert_true(prt_states_wait(conn, ABLY_CONN_CONNECTED, 1)); /* delivered in order: nothing older is left */
    prt_states_clear(conn);

    assert_int_equal(proxy_env_action(f->px, "{\"type\":\"inject_to_client\",\"message\":{\"action\":17}}"), 200);
    int64_t end = prt_now_ms() + PRT_WAIT_MS;
    while (prt_auth_calls(auth) <= calls_before && prt_now_ms() < end)
        usleep(5000);
    /* the AUTH reply follows the callback: wait for it in the log */
    while (client_auth_frames(f->px) < 1 && prt_now_ms() < end)
        usleep(20000);

    assert_int_equal(prt_auth_calls(auth), calls_before + 1);
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id = ably_connection_id(rt);
    assert_non_null(id);
    assert_string_equal(id, original_id);
    assert_int_equal(prt_states_len(conn), (size_t)prt_states_count(conn, ABLY_CONN_CONNECTED));
    assert_true(client_auth_frames(f->px) >= 1);
    free(id);
    free(original_id);
    prt_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(injected_auth_reauthenticates, "RTN22 RTC8a"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
