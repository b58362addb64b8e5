/* The generated client defaults (generated/include/ably/gen/defaults.h, from
 * spec/defaults.yaml), checked against the values the features spec states. */
#include "ably_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ably/gen/defaults.h"

static void retry_timeouts(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_DISCONNECTED_RETRY_TIMEOUT_MS, 15000); /* TO3l1 */
    assert_int_equal(ABLY_DEFAULT_SUSPENDED_RETRY_TIMEOUT_MS, 30000);    /* TO3l2 */
    assert_int_equal(ABLY_DEFAULT_CHANNEL_RETRY_TIMEOUT_MS, 15000);      /* TO3l7 */
    assert_int_equal(ABLY_DEFAULT_FALLBACK_RETRY_TIMEOUT_MS, 600000);    /* TO3l10 */
    assert_int_equal(ABLY_DEFAULT_CONNECTION_STATE_TTL_MS, 120000);      /* DF1a */
}

static void request_timeouts_and_retry_limits(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_HTTP_OPEN_TIMEOUT_MS, 4000);          /* TO3l3 */
    assert_int_equal(ABLY_DEFAULT_HTTP_REQUEST_TIMEOUT_MS, 10000);      /* TO3l4 */
    assert_int_equal(ABLY_DEFAULT_REALTIME_REQUEST_TIMEOUT_MS, 10000);  /* TO3l11 */
    assert_int_equal(ABLY_DEFAULT_HTTP_MAX_RETRY_COUNT, 3);             /* TO3l5 */
    assert_int_equal(ABLY_DEFAULT_HTTP_MAX_RETRY_DURATION_MS, 15000);   /* TO3l6 */
}

static void size_limits(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_MAX_MESSAGE_SIZE_BYTES, 65536); /* TO3l8 */
    assert_int_equal(ABLY_DEFAULT_MAX_FRAME_SIZE_BYTES, 524288);  /* TO3l9 */
}

static void primary_domain(void **state)
{
    (void)state;
    assert_string_equal(ABLY_DEFAULT_PRIMARY_DOMAIN, "main.realtime.ably.net");
    assert_string_equal(ABLY_DEFAULT_NONPROD_ENDPOINT_PREFIX, "nonprod:");
    assert_string_equal(ABLY_DEFAULT_PRODUCTION_DOMAIN_SUFFIX, ".realtime.ably.net");
    assert_string_equal(ABLY_DEFAULT_NONPROD_DOMAIN_SUFFIX, ".realtime.ably-nonprod.net");
}

static void default_fallback_domains(void **state)
{
    (void)state;
    static const char *const expected[] = {
        "main.a.fallback.ably-realtime.com", "main.b.fallback.ably-realtime.com",
        "main.c.fallback.ably-realtime.com", "main.d.fallback.ably-realtime.com",
        "main.e.fallback.ably-realtime.com",
    };
    assert_int_equal(ABLY_DEFAULT_FALLBACK_DOMAINS_COUNT, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(ably_default_fallback_domains[i], expected[i]);
    /* The initializer macro builds the same list, for callers that want their own copy. */
    static const char *const copy[] = ABLY_DEFAULT_FALLBACK_DOMAINS_INIT;
    assert_int_equal(sizeof copy / sizeof copy[0], 5);
    assert_string_equal(copy[4], expected[4]);
}

/* A routing policy's fallbacks are [id].<letter><suffix>; for the default policy "main" this
 * must rebuild exactly the default list, so the two data sets cannot drift apart. */
static void routing_policy_fallbacks_agree_with_defaults(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_FALLBACK_DOMAIN_LETTERS_COUNT, ABLY_DEFAULT_FALLBACK_DOMAINS_COUNT);
    for (size_t i = 0; i < ABLY_DEFAULT_FALLBACK_DOMAIN_LETTERS_COUNT; i++) {
        char host[128];
        int n = snprintf(host, sizeof host, "main.%s%s", ably_default_fallback_domain_letters[i],
                         ABLY_DEFAULT_FALLBACK_DOMAIN_SUFFIX);
        assert_true(n > 0 && (size_t)n < sizeof host);
        assert_string_equal(host, ably_default_fallback_domains[i]);
    }
    assert_string_equal(ABLY_DEFAULT_NONPROD_FALLBACK_DOMAIN_SUFFIX, ".fallback.ably-realtime-nonprod.com");
}

static void connectivity_check(void **state)
{
    (void)state;
    assert_string_equal(ABLY_DEFAULT_CONNECTIVITY_CHECK_URL,
                        "https://internet-up.ably-realtime.com/is-the-internet-up.txt");
    assert_string_equal(ABLY_DEFAULT_CONNECTIVITY_CHECK_BODY, "yes");
}

static void ports(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_PORT, 80);      /* TO3k4 */
    assert_int_equal(ABLY_DEFAULT_TLS_PORT, 443); /* TO3k5 */
}

static void boolean_options(void **state)
{
    (void)state;
    assert_true(ABLY_DEFAULT_TLS);                         /* TO3d */
    assert_true(ABLY_DEFAULT_AUTO_CONNECT);                /* TO3e */
    assert_true(ABLY_DEFAULT_USE_BINARY_PROTOCOL);         /* TO3f */
    assert_true(ABLY_DEFAULT_QUEUE_MESSAGES);              /* TO3g */
    assert_true(ABLY_DEFAULT_ECHO_MESSAGES);               /* TO3h */
    assert_true(ABLY_DEFAULT_IDEMPOTENT_REST_PUBLISHING);  /* TO3n */
    assert_false(ABLY_DEFAULT_ADD_REQUEST_IDS);            /* TO3p */
    assert_false(ABLY_DEFAULT_STRICT_MODE);                /* TO3r */
    assert_false(ABLY_DEFAULT_QUERY_TIME);                 /* TO3j10 */
    assert_true(ABLY_DEFAULT_ATTACH_ON_SUBSCRIBE);         /* TB4 */
    assert_string_equal(ABLY_DEFAULT_AUTH_METHOD, "GET");  /* TO3j7 */
}

static void backoff_and_jitter(void **state)
{
    (void)state;
    assert_true(ABLY_DEFAULT_BACKOFF_COEFFICIENT_MAX == 2.0);
    assert_true(ABLY_DEFAULT_JITTER_COEFFICIENT_MIN == 0.8);
    assert_true(ABLY_DEFAULT_JITTER_COEFFICIENT_MAX == 1.0);
}

static void server_side_defaults(void **state)
{
    (void)state;
    assert_int_equal(ABLY_DEFAULT_TOKEN_TTL_MS, 60 * 60 * 1000); /* TK2a: 60 minutes */
    assert_string_equal(ABLY_DEFAULT_TOKEN_CAPABILITY, "{\"*\":[\"*\"]}");
    assert_int_equal(ABLY_DEFAULT_HISTORY_LIMIT, 100);
    assert_int_equal(ABLY_DEFAULT_HISTORY_LIMIT_MAX, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(retry_timeouts, "TO3l1 TO3l2 TO3l7 TO3l10 DF1a"),
        ABLY_TEST(request_timeouts_and_retry_limits, "TO3l3 TO3l4 TO3l11 TO3l5 TO3l6"),
        ABLY_TEST(size_limits, "TO3l8 TO3l9"),
        ABLY_TEST(primary_domain, "REC1a REC1b3 REC1b4"),
        ABLY_TEST(default_fallback_domains, "REC2c1"),
        ABLY_TEST(routing_policy_fallbacks_agree_with_defaults, "REC2c1 REC2c3 REC2c4"),
        ABLY_TEST(connectivity_check, "REC3a RTN17j"),
        ABLY_TEST(ports, "TO3k4 TO3k5"),
        ABLY_TEST(boolean_options, "TO3d TO3e TO3f TO3g TO3h TO3n TO3p TO3r TO3j10 TO3j7 TB4"),
        ABLY_TEST(backoff_and_jitter, "RTB1a RTB1b"),
        ABLY_TEST(server_side_defaults, "TK2a RSA9f RSL2b3"),
    };
    return cmocka_run_group_tests_name("defaults", tests, NULL, NULL);
}
