/* Transport loss noticed from the connection itself, through ably-proxy
 * (uts/realtime/integration/proxy/heartbeat.md): the proxy closes the WebSocket two
 * seconds after it opens; the client goes DISCONNECTED and resumes. */
#include "ably_test.h"

#include <stdlib.h>

#include "proxy_rt.h"

static void closed_transport_reconnects_with_resume(void **state)
{
    prt_fixture *f = *state;
    assert_int_equal(proxy_env_add_rules(f->px, "[{\"match\":{\"type\":\"delay_after_ws_connect\",\"delayMs\":2000},"
                                                "\"action\":{\"type\":\"close\"},\"times\":1}]"),
                     200);
    prt_client c;
    assert_true(prt_client_new(&c, f, NULL, NULL));
    ably_realtime *rt = c.rt;
    prt_states *conn = &c.conn;
    assert_true(prt_client_connect(&c));
    char *first_id = ably_connection_id(rt);
    assert_non_null(first_id);

    assert_true(prt_states_wait(conn, ABLY_CONN_DISCONNECTED, 1));
    assert_true(prt_states_wait(conn, ABLY_CONN_CONNECTED, 2));
    assert_int_equal(ably_connection_get_state(rt), ABLY_CONN_CONNECTED);
    char *id = ably_connection_id(rt), *key = ably_connection_key(rt);
    assert_non_null(id);
    assert_non_null(key);
    const int seq[] = {ABLY_CONN_CONNECTING, ABLY_CONN_CONNECTED, ABLY_CONN_DISCONNECTED, ABLY_CONN_CONNECTING,
                       ABLY_CONN_CONNECTED};
    assert_true(prt_states_in_order(conn, seq, 5));
    assert_true(proxy_env_count(f->px, "ws_connect", NULL, NULL) >= 2);
    char *resume = prt_connect_param(f->px, 1, "resume");
    assert_non_null(resume); /* RTN15c: the second transport resumes */
    char *heartbeats = prt_connect_param(f->px, 0, "heartbeats");
    assert_non_null(heartbeats); /* the heartbeats parameter is on the real URL */
    free(heartbeats);
    free(resume);
    free(first_id);
    free(id);
    free(key);
    prt_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PRT_TEST(closed_transport_reconnects_with_resume, "RTN23a"),
    };
    return cmocka_run_group_tests(tests, prt_group_setup, prt_group_teardown);
}
