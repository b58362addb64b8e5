/* Token auth with an authCallback. The key stays on the "server" side (here a
 * second client standing in for your backend), which signs TokenRequests; the
 * "browser" client only ever sees tokens. */
#include "example_env.h"

/* Runs whenever the client needs a token (first request, and on expiry). ctx is
 * the backend client; its key signs the request. Fill exactly one output. */
static int auth_callback(void *ctx, const ably_token_params *params, char **token,
                         ably_token_details *token_details, ably_token_request *token_request,
                         ably_error *err)
{
    (void)token;
    (void)token_details;
    ably_rest *backend = ctx;
    /* Must not use the client asking for the token: that would wait for itself. */
    int rc = ably_auth_create_token_request(ably_rest_auth(backend), params, NULL, token_request, err);
    if (rc == 0)
        printf("authCallback: signed a token request for key %s\n", token_request->key_name);
    return rc;
}

int main(void)
{
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    ably_error err = { 0 };
    ably_rest *backend = NULL;
    if (ably_rest_create(&opts, &backend, &err) != 0)
        return example_fail("create backend", &err);

    ably_client_options client_opts = opts;
    client_opts.key = NULL; /* the token client never sees the key */
    client_opts.auth_callback = auth_callback;
    client_opts.auth_callback_ctx = backend;
    client_opts.client_id = "example-user";
    ably_rest *client = NULL;
    if (ably_rest_create(&client_opts, &client, &err) != 0)
        return example_fail("create client", &err);

    /* The first authenticated request runs the callback, exchanges the request
     * for a token and then publishes with it. */
    ably_rest_channel *channel = NULL;
    ably_data data = ably_data_borrow(ABLY_DATA_STRING, "hello with a token", 18);
    if (ably_rest_channels_get(client, "examples:token", NULL, &channel, &err) != 0 ||
        ably_rest_channel_publish(channel, "greeting", &data, NULL, &err) != 0)
        return example_fail("publish", &err);

    ably_token_details td;
    ably_token_details_init(&td);
    if (ably_auth_get_token_details(ably_rest_auth(client), &td, &err) != 1)
        return example_fail("token details", &err);
    printf("published with a token for clientId %s\n", td.client_id ? td.client_id : "?");
    ably_token_details_clear(&td);
    ably_rest_destroy(client);
    ably_rest_destroy(backend);
    return 0;
}
