/* REST publish and history: publish three messages on a channel, then read them
 * back, oldest first. Every REST call blocks until Ably answers. */
#include "example_env.h"

int main(void)
{
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    ably_error err = { 0 };
    ably_rest *rest = NULL;
    if (ably_rest_create(&opts, &rest, &err) != 0) /* no I/O yet: just validates options */
        return example_fail("create", &err);

    /* The channel belongs to the client: never free it. */
    ably_rest_channel *channel = NULL;
    if (ably_rest_channels_get(rest, "examples:rest", NULL, &channel, &err) != 0)
        return example_fail("channels_get", &err);

    const char *words[] = { "one", "two", "three" };
    for (int i = 0; i < 3; i++) {
        /* ably_data_borrow: the library reads the bytes during the call only. */
        ably_data data = ably_data_borrow(ABLY_DATA_STRING, words[i], strlen(words[i]));
        if (ably_rest_channel_publish(channel, "count", &data, NULL, &err) != 0)
            return example_fail("publish", &err);
    }

    ably_history_params params = { .direction = "forwards", .limit = 10 };
    ably_paginated_result *page = NULL;
    if (ably_rest_channel_history(channel, &params, &page, &err) != 0)
        return example_fail("history", &err);
    size_t n = 0;
    const ably_message *msgs = ably_paginated_result_messages(page, &n);
    for (size_t i = 0; i < n; i++)
        printf("history: %s %.*s\n", msgs[i].name, (int)msgs[i].data.len, msgs[i].data.bytes);
    ably_paginated_result_free(page); /* pages before the client */
    ably_rest_destroy(rest);
    return n >= 3 ? 0 : 1;
}
