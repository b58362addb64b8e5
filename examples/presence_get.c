/* Presence over REST: list the members present on a channel. The sandbox's test
 * app has members on "persisted:presence_fixtures"; pass another channel name as
 * the first argument to look elsewhere. */
#include "example_env.h"

static const char *action_name(ably_presence_action a)
{
    return a == ABLY_PRESENCE_ACTION_PRESENT ? "present" : a == ABLY_PRESENCE_ACTION_ENTER ? "enter" : "other";
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "persisted:presence_fixtures";
    ably_client_options opts;
    if (example_options(&opts) != 0)
        return 2;
    ably_error err = { 0 };
    ably_rest *rest = NULL;
    ably_rest_channel *channel = NULL;
    if (ably_rest_create(&opts, &rest, &err) != 0)
        return example_fail("create", &err);
    if (ably_rest_channels_get(rest, name, NULL, &channel, &err) != 0)
        return example_fail("channels_get", &err);

    /* The presence object lives inside the channel. Data is decoded (JSON
     * text stays text; encrypted data would need the channel's cipher). */
    ably_paginated_result *page = NULL;
    if (ably_rest_presence_get(ably_rest_channel_presence(channel), NULL, &page, &err) != 0)
        return example_fail("presence get", &err);
    size_t n = 0;
    const ably_presence_message *members = ably_paginated_result_presence_messages(page, &n);
    for (size_t i = 0; i < n; i++)
        printf("member: %s (%s)\n", members[i].client_id ? members[i].client_id : "?",
               action_name(members[i].action));
    printf("%zu member(s) on %s\n", n, name);
    ably_paginated_result_free(page);
    ably_rest_destroy(rest);
    return 0;
}
