/* Idempotent REST publishing through ably-proxy (uts/rest/integration/proxy/
 * rest_fallback.md, RSL1k4; uts/rest/unit/channel/idempotency.md for the whole of
 * RSL1k). The proxy forwards a publish to the sandbox, which stores it, then hides
 * the real answer behind a 503; the client retries with the same ids and the
 * sandbox keeps one copy. Needs the local sandbox and proxy. */
#include "ably_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ably/ably.h"
#include "proxy_rt.h"

typedef prt_fixture fixture;

/* The next publish (a POST under /channels/) reaches the sandbox, but the client
 * gets a 503 instead of its answer. */
static const char REPLACE_NEXT_PUBLISH[] =
    "[{\"match\":{\"type\":\"http_request\",\"method\":\"POST\",\"pathContains\":\"/channels/\"},"
    "\"action\":{\"type\":\"http_replace_response\",\"status\":503,\"body\":{\"error\":{\"code\":50300,"
    "\"statusCode\":503,\"message\":\"Service temporarily unavailable\"}}},\"times\":1}]";

static const char *const LOCALHOST[] = {"localhost"};

/* A JSON client through the proxy whose one fallback host is the proxy again, so
 * a retry goes back through it (as in the UTS setup). */
static ably_rest *client_through_proxy(const fixture *f)
{
    ably_client_options o;
    ably_client_options_init(&o);
    o.key = sandbox_env_key(f->sbx, 0)->key_str;
    o.endpoint = "localhost";
    o.fallback_hosts = LOCALHOST;
    o.fallback_hosts_count = 1;
    o.port = f->px->port;
    o.tls = false;
    o.use_binary_protocol = false;
    o.idempotent_rest_publishing = true;
    o.log_level = ABLY_LOG_NONE;
    ably_rest *rest = NULL;
    ably_error err = {0};
    if (ably_rest_create(&o, &rest, &err) != 0)
        fail_msg("create: %s", err.message ? err.message : "?");
    return rest;
}

/* A channel named `<prefix>-<pid>-<seconds>-<n>` on rest. */
static ably_rest_channel *unique_channel(ably_rest *rest, const char *prefix)
{
    static unsigned counter;
    char name[128];
    snprintf(name, sizeof name, "%s-%d-%lld-%u", prefix, (int)getpid(), (long long)time(NULL), counter++);
    ably_rest_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_rest_channels_get(rest, name, NULL, &ch, &err), 0);
    return ch;
}

static int posts_seen(fixture *f)
{
    int n = proxy_env_count(f->px, "http_request", "method", "POST");
    assert_true(n >= 0);
    return n;
}

/* The channel's history, oldest first, as one page (the caller frees it). */
static const ably_message *history(ably_rest_channel *ch, ably_paginated_result **page, size_t *n)
{
    ably_history_params p = {0};
    p.direction = "forwards";
    ably_error err = {0};
    if (ably_rest_channel_history(ch, &p, page, &err) != 0)
        fail_msg("history: %s", err.message ? err.message : "?");
    return ably_paginated_result_messages(*page, n);
}

static size_t count_named(const ably_message *m, size_t n, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += m[i].name && strcmp(m[i].name, name) == 0;
    return c;
}

/* rest/proxy/RSL1k4/idempotent-retry-dedup-0 */
static void retried_publish_is_stored_once(void **state)
{
    fixture *f = *state;
    ably_rest *rest = client_through_proxy(f);
    ably_rest_channel *ch = unique_channel(rest, "test-RSL1k4-idempotent");
    ably_error err = {0};
    assert_int_equal(proxy_env_add_rules(f->px, REPLACE_NEXT_PUBLISH), 200);
    int before = posts_seen(f);

    ably_data d = ably_data_borrow(ABLY_DATA_STRING, "data", 4);
    if (ably_rest_channel_publish(ch, "test", &d, NULL, &err) != 0)
        fail_msg("publish: %s", err.message ? err.message : "?");
    assert_true(posts_seen(f) - before >= 2); /* the hidden success and the retry */

    ably_paginated_result *page = NULL;
    size_t n = 0;
    const ably_message *m = history(ch, &page, &n);
    assert_int_equal(count_named(m, n, "test"), 1);
    assert_int_equal(m[0].data.type, ABLY_DATA_STRING);
    assert_string_equal(m[0].data.bytes, "data");
    ably_paginated_result_free(page);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

/* RSL1k as a whole against the server: library ids (RSL1k1) make a batch whose
 * answer was lost publish once (RSL1k4); a client id (RSL1k2) makes two explicit
 * publishes of one message publish once (RSL1k5); and ids given in a batch are
 * kept as given (RSL1k3). */
static void idempotent_publishing_end_to_end(void **state)
{
    fixture *f = *state;
    ably_rest *rest = client_through_proxy(f);
    ably_rest_channel *ch = unique_channel(rest, "test-RSL1k-whole");
    ably_error err = {0};

    /* a batch with no ids, its first answer replaced by a 503 */
    assert_int_equal(proxy_env_add_rules(f->px, REPLACE_NEXT_PUBLISH), 200);
    ably_message batch[2];
    ably_message_init(&batch[0]);
    ably_message_init(&batch[1]);
    batch[0].name = "lib-0";
    batch[1].name = "lib-1";
    if (ably_rest_channel_publish_messages(ch, batch, 2, NULL, NULL, &err) != 0)
        fail_msg("publish: %s", err.message ? err.message : "?");

    /* one message with a client id, published twice */
    ably_message mine;
    ably_message_init(&mine);
    mine.name = "client";
    mine.id = "client-supplied-id";
    assert_int_equal(ably_rest_channel_publish_messages(ch, &mine, 1, NULL, NULL, &err), 0);
    assert_int_equal(ably_rest_channel_publish_messages(ch, &mine, 1, NULL, NULL, &err), 0);

    /* a batch with ids of its own */
    ably_message given[2];
    ably_message_init(&given[0]);
    ably_message_init(&given[1]);
    given[0].name = "given-a";
    given[0].id = "given:a";
    given[1].name = "given-b";
    given[1].id = "given:b";
    assert_int_equal(ably_rest_channel_publish_messages(ch, given, 2, NULL, NULL, &err), 0);

    ably_paginated_result *page = NULL;
    size_t n = 0;
    const ably_message *m = history(ch, &page, &n);
    assert_int_equal(n, 5);
    assert_int_equal(count_named(m, n, "lib-0"), 1);
    assert_int_equal(count_named(m, n, "lib-1"), 1);
    assert_int_equal(count_named(m, n, "client"), 1);
    char base[64];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].name, "lib-0") == 0) { /* <base>:0 and <base>:1 */
            const char *colon = strrchr(m[i].id, ':');
            assert_non_null(colon);
            assert_string_equal(colon, ":0");
            snprintf(base, sizeof base, "%.*s:1", (int)(colon - m[i].id), m[i].id);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].name, "lib-1") == 0)
            assert_string_equal(m[i].id, base);
        else if (strcmp(m[i].name, "client") == 0)
            assert_string_equal(m[i].id, "client-supplied-id");
        else if (strcmp(m[i].name, "given-a") == 0)
            assert_string_equal(m[i].id, "given:a");
        else if (strcmp(m[i].name, "given-b") == 0)
            assert_string_equal(m[i].id, "given:b");
    }
    ably_paginated_result_free(page);
    ably_error_clear(&err);
    ably_rest_destroy(rest);
}

static int setup(void **state)
{
    const char *endpoint = getenv("ABLY_TEST_ENDPOINT");
    if (endpoint && *endpoint) {
        fprintf(stderr, "proxy tests need the local ably-sandbox; ABLY_TEST_ENDPOINT is set\n");
        return -1;
    }
    return prt_group_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(retried_publish_is_stored_once, "RSL1k4"),
        ABLY_TEST(idempotent_publishing_end_to_end, "RSL1k RSL1k1 RSL1k2 RSL1k3 RSL1k4 RSL1k5"),
    };
    return cmocka_run_group_tests(tests, setup, prt_group_teardown);
}
