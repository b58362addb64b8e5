/* The client's identity from the CONNECTED ProtocolMessage (RSA7b3): with a token that
 * names no clientId (a JWT from an authCallback, say), the clientId the server puts in
 * connectionDetails becomes Auth#clientId, and so the identity presence uses. */
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "mock_ws.h"

static int jwt_cb(void *ctx, const ably_token_params *params, char **token, ably_token_details *td,
                  ably_token_request *tr, ably_error *err)
{
    (void)ctx, (void)params, (void)td, (void)tr, (void)err;
    *token = strdup("opaque.jwt.token");
    return 0;
}

static void connected_client_id_becomes_the_identity(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.auth_callback = jwt_cb;
    mock_rt_start(&t, NULL);
    char *before = ably_realtime_client_id(t.rt);
    assert_null(before); /* the token string says nothing about who we are */
    ably_connection_connect(t.rt);
    mock_ws_pump(t.m, t.rt);
    mock_ws_respond_success(t.m, 0,
                            "{\"action\":4,\"connectionId\":\"c1\",\"connectionDetails\":{\"connectionKey\":\"k1\","
                            "\"clientId\":\"client-a\",\"maxIdleInterval\":15000,\"connectionStateTtl\":120000}}");
    mock_ws_pump(t.m, t.rt);
    assert_int_equal(mock_rt_state(&t), ABLY_CONN_CONNECTED);
    char *id = ably_realtime_client_id(t.rt);
    assert_non_null(id);
    assert_string_equal(id, "client-a");
    char *auth_id = ably_auth_get_client_id(ably_realtime_auth(t.rt));
    assert_non_null(auth_id);
    assert_string_equal(auth_id, "client-a");
    free(id);
    free(auth_id);
    mock_rt_free(&t);
}

static void configured_client_id_is_kept(void **state)
{
    (void)state;
    mock_rt t;
    mock_rt_init(&t);
    t.o.key = NULL;
    t.o.auth_callback = jwt_cb;
    t.o.client_id = "client-a";
    mock_rt_start_connecting(&t);
    mock_ws_respond_success(t.m, 0,
                            "{\"action\":4,\"connectionId\":\"c1\",\"connectionDetails\":{\"connectionKey\":\"k1\","
                            "\"clientId\":\"client-a\",\"maxIdleInterval\":15000,\"connectionStateTtl\":120000}}");
    mock_ws_pump(t.m, t.rt);
    char *id = ably_realtime_client_id(t.rt);
    assert_string_equal(id, "client-a");
    free(id);
    mock_rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(connected_client_id_becomes_the_identity, "RSA7b3"),
        ABLY_TEST(configured_client_id_is_kept, "RSA7b1"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
