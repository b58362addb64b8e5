/* ChannelOptions (TB) and the channels collection (RSN3, RSN4) of the REST
 * client, with keys from Crypto.generateRandomKey (RSE2). Ports the cases of
 * uts/rest/unit/channels_collection.md and rest_channel_attributes.md that the
 * other channel tests do not name. */
#include <stdlib.h>
#include <string.h>

#include "ably/ably.h"
#include "ably_test.h"
#include "mock_http.h"

typedef struct {
    mock_http *m;
    ably_rest *rest;
    ably_error err;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = mock_http_new();
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = "app.key:secret";
    o.use_binary_protocol = false;
    mock_http_install(f->m, &o);
    assert_int_equal(ably_rest_create(&o, &f->rest, &f->err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ably_rest_destroy(f->rest);
    mock_http_free(f->m);
    ably_error_clear(&f->err);
    free(f);
    return 0;
}

/* RSE2, RSE2a, RSE2b: a random key of the default length (256 bits) makes
 * cipher params; TB1, TB2, TB2b1: those params, as ChannelOptions, make the
 * channel encrypt what it publishes. */
static void channel_options_with_cipher_params(void **state)
{
    fx *f = *state;
    uint8_t key[32];
    assert_int_equal(ably_crypto_generate_random_key(0, key, sizeof key, &f->err), 0);
    ably_cipher_param_options po = {.key = key, .key_len = sizeof key};
    ably_cipher_params params;
    assert_int_equal(ably_crypto_get_default_params(&po, &params, &f->err), 0);
    assert_int_equal(params.key_length, 256);
    ably_rest_channel_options opts = {.cipher = &params};
    ably_rest_channel *ch;
    assert_int_equal(ably_rest_channels_get(f->rest, "secret", &opts, &ch, &f->err), 0);
    assert_true(ably_rest_channel_is_encrypted(ch));
    ably_data d = {0};
    assert_int_equal(ably_data_set(&d, ABLY_DATA_STRING, "plain text", 10), 0);
    mock_http_queue_json(f->m, 201, "{}");
    assert_int_equal(ably_rest_channel_publish(ch, "n", &d, NULL, &f->err), 0);
    ably_data_clear(&d);
    const mock_request *r = mock_http_request(f->m, 0);
    assert_non_null(r->body.data);
    assert_null(strstr(r->body.data, "plain text"));
    assert_non_null(strstr(r->body.data, "cipher+aes-256-cbc"));
    /* no options: no encryption */
    ably_rest_channel *clear;
    assert_int_equal(ably_rest_channels_get(f->rest, "clear", NULL, &clear, &f->err), 0);
    assert_false(ably_rest_channel_is_encrypted(clear));
}

/* RSN3: get returns the one channel of that name, creating it on first use;
 * RSN4: release drops it, and a later get makes a fresh one. */
static void channels_get_and_release(void **state)
{
    fx *f = *state;
    ably_rest_channel *a, *b;
    assert_false(ably_rest_channels_exists(f->rest, "c"));
    assert_int_equal(ably_rest_channels_get(f->rest, "c", NULL, &a, &f->err), 0);
    assert_int_equal(ably_rest_channels_get(f->rest, "c", NULL, &b, &f->err), 0);
    assert_ptr_equal(a, b);
    assert_string_equal(ably_rest_channel_name(a), "c");
    assert_true(ably_rest_channels_exists(f->rest, "c"));
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 1);
    ably_rest_channels_release(f->rest, "c");
    assert_false(ably_rest_channels_exists(f->rest, "c"));
    assert_int_equal(ably_rest_channels_foreach(f->rest, NULL, NULL), 0);
    ably_rest_channels_release(f->rest, "c"); /* releasing again is harmless */
    assert_int_equal(ably_rest_channels_get(f->rest, "c", NULL, &a, &f->err), 0);
    assert_true(ably_rest_channels_exists(f->rest, "c"));
}

int main(void)
{
#define T(fn, ids) ABLY_TEST_SETUP_TEARDOWN(fn, ids, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(channel_options_with_cipher_params, "RSE2 RSE2a RSE2b TB1 TB2 TB2b1"),
        T(channels_get_and_release, "RSN3 RSN4"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
