/* Encryption: publish on a channel with a cipher, read it back decrypted, and
 * show what a client without the key sees (ciphertext, still encoded). */
#include "example_env.h"

int main(void)
{
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    ably_error err = { 0 };

    /* A random 256-bit key; share it with every client that must read. */
    uint8_t key[32];
    ably_cipher_params cipher;
    ably_cipher_param_options cipher_opts = { .key = key, .key_len = sizeof key };
    if (ably_crypto_generate_random_key(256, key, sizeof key, &err) != 0 ||
        ably_crypto_get_default_params(&cipher_opts, &cipher, &err) != 0)
        return example_fail("cipher params", &err);

    ably_rest *rest = NULL;
    if (ably_rest_create(&opts, &rest, &err) != 0)
        return example_fail("create", &err);
    ably_rest_channel_options ch_opts = { .cipher = &cipher }; /* copied by the channel */
    ably_rest_channel *secret = NULL;
    if (ably_rest_channels_get(rest, "examples:encrypted", &ch_opts, &secret, &err) != 0)
        return example_fail("channels_get", &err);

    const char *text = "the eagle has landed";
    ably_data data = ably_data_borrow(ABLY_DATA_STRING, text, strlen(text));
    if (ably_rest_channel_publish(secret, "secret", &data, NULL, &err) != 0)
        return example_fail("publish", &err);

    /* History through the same channel is decrypted with its cipher. */
    ably_history_params params = { .limit = 1 };
    ably_paginated_result *page = NULL;
    if (ably_rest_channel_history(secret, &params, &page, &err) != 0)
        return example_fail("history", &err);
    size_t n = 0;
    const ably_message *m = ably_paginated_result_messages(page, &n);
    int rc = n == 1 && m[0].data.len == strlen(text) && memcmp(m[0].data.bytes, text, m[0].data.len) == 0 ? 0 : 1;
    if (n == 1)
        printf("decrypted: %.*s\n", (int)m[0].data.len, m[0].data.bytes);
    ably_paginated_result_free(page);

    /* A second client without the cipher gets the raw payload: the encoding
     * names the cipher step it could not undo (the message is still delivered). */
    ably_client_options plain_opts = opts;
    plain_opts.log_level = ABLY_LOG_NONE; /* it will log that it cannot decrypt */
    ably_rest *other = NULL;
    ably_rest_channel *plain = NULL;
    if (ably_rest_create(&plain_opts, &other, &err) != 0 ||
        ably_rest_channels_get(other, "examples:encrypted", NULL, &plain, &err) != 0 ||
        ably_rest_channel_history(plain, &params, &page, &err) != 0)
        return example_fail("history without the key", &err);
    m = ably_paginated_result_messages(page, &n);
    if (n == 1)
        printf("without the key: %zu bytes, encoding %s\n", m[0].data.len, m[0].encoding ? m[0].encoding : "none");
    ably_paginated_result_free(page);
    ably_rest_destroy(other);
    ably_rest_destroy(rest);
    return rc;
}
