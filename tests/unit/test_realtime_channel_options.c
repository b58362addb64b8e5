/* Realtime channel options and derived channels (TB2-TB4, RTS3b, RTS3c, RTS3c1, RTS5,
 * DO2a, RTL16) on the mock WebSocket
 * (uts/realtime/unit/channels/channel_options.md). */
#include "test_realtime_channel_fixture.h"

/* A client that never connects (autoConnect false), for the options-only cases. */
static void start_offline(chan_fx *f)
{
    fx_init(f);
    fx_start(f);
}

static ably_realtime_channel_options_copy options_of(ably_realtime_channel *ch)
{
    ably_realtime_channel_options_copy c;
    assert_int_equal(ably_realtime_channel_get_options(ch, &c), 0);
    return c;
}

static unsigned mode_count(uint32_t modes) { return (unsigned)__builtin_popcount(modes); }

/* ---- TB2, TB4: the attributes and their defaults ---- */

static void default_options_have_nothing_and_attach_on_subscribe(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel_options o = {0}; /* RealtimeChannelOptions() */
    assert_null(o.cipher);
    assert_null(o.params);
    assert_int_equal(o.modes, 0);
    ably_realtime_channel *ch = fx_channel(&f, "tb2-defaults", &o);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_false(c.has_cipher);
    assert_int_equal(c.params.count, 0);
    assert_int_equal(c.modes, 0);
    assert_true(c.attach_on_subscribe); /* TB4: defaults to true */
    ably_realtime_channel_options_copy_clear(&c);
    /* no options at all behave the same */
    c = options_of(fx_channel(&f, "tb2-none", NULL));
    assert_true(c.attach_on_subscribe);
    assert_false(c.has_cipher);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

static void attach_on_subscribe_can_be_turned_off(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel_options on = {0}, off = {.no_attach_on_subscribe = true};
    ably_realtime_channel_options_copy c1 = options_of(fx_channel(&f, "tb4-on", &on));
    ably_realtime_channel_options_copy c2 = options_of(fx_channel(&f, "tb4-off", &off));
    assert_true(c1.attach_on_subscribe);
    assert_false(c2.attach_on_subscribe);
    ably_realtime_channel_options_copy_clear(&c1);
    ably_realtime_channel_options_copy_clear(&c2);
    fx_free(&f);
}

static void options_with_params(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_string_map_set(&params, "delta", "vcdiff");
    ably_realtime_channel_options o = {.params = &params};
    ably_realtime_channel *ch = fx_channel(&f, "tb2c", &o);
    ably_string_map_clear(&params); /* the channel keeps its own copy */
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_string_equal(ably_string_map_get(&c.params, "rewind"), "1");
    assert_string_equal(ably_string_map_get(&c.params, "delta"), "vcdiff");
    assert_int_equal(c.params.count, 2);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

static void options_with_modes(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_PUBLISH | ABLY_CHANNEL_MODE_SUBSCRIBE};
    ably_realtime_channel_options_copy c = options_of(fx_channel(&f, "tb2d", &o));
    assert_true(c.modes & ABLY_CHANNEL_MODE_PUBLISH);
    assert_true(c.modes & ABLY_CHANNEL_MODE_SUBSCRIBE);
    assert_int_equal(mode_count(c.modes), 2);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

/* ---- TB3: withCipherKey ---- */

static void with_cipher_key_makes_aes_256_options(void **state)
{
    (void)state;
    ably_cipher_params params;
    ably_realtime_channel_options o;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channel_options_with_cipher_key("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
                                                                   &params, &o, &err),
                     0);
    assert_non_null(o.cipher);
    assert_ptr_equal(o.cipher, &params);
    assert_string_equal(o.cipher->algorithm, "aes");
    assert_int_equal(o.cipher->key_length, 256);
    assert_null(o.params);
    assert_int_equal(o.modes, 0);
    assert_false(o.no_attach_on_subscribe);
    /* the options work on a channel */
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel_options_copy c = options_of(fx_channel(&f, "tb3", &o));
    assert_true(c.has_cipher);
    assert_int_equal(c.cipher.key_length, 256);
    assert_memory_equal(c.cipher.key, "01234567890123456789012345678901", 32);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
    /* a key that is not one */
    assert_int_equal(ably_realtime_channel_options_with_cipher_key("c2hvcnQ=", &params, &o, &err), -1);
    assert_int_equal(err.code, 40003);
    ably_error_clear(&err);
}

/* ---- RTS3b, RTS3c, RTS3c1 ---- */

static void get_sets_options_on_a_new_channel(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_realtime_channel_options o = {.params = &params, .modes = ABLY_CHANNEL_MODE_SUBSCRIBE};
    ably_realtime_channel *ch = fx_channel(&f, "test-RTS3b", &o);
    ably_string_map_clear(&params);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_string_equal(ably_string_map_get(&c.params, "rewind"), "1");
    assert_true(c.modes & ABLY_CHANNEL_MODE_SUBSCRIBE);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

static void get_updates_options_of_an_existing_channel(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel_options initial = {.no_attach_on_subscribe = true};
    ably_realtime_channel *ch = fx_channel(&f, "test-RTS3c", &initial);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_false(c.attach_on_subscribe);
    ably_realtime_channel_options_copy_clear(&c);

    ably_cipher_params key;
    ably_realtime_channel_options updated;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channel_options_with_cipher_key("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
                                                                   &key, &updated, &err),
                     0);
    updated.no_attach_on_subscribe = false; /* attachOnSubscribe: true */
    ably_realtime_channel *same = fx_channel(&f, "test-RTS3c", &updated);
    fx_pump(&f); /* the options are applied on the loop */
    assert_ptr_equal(same, ch);
    c = options_of(ch);
    assert_true(c.has_cipher);
    assert_true(c.attach_on_subscribe);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

static void get_fails_when_params_would_reattach_an_attached_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "test-RTS3c1", NULL);
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_realtime_channel_options o = {.params = &params};
    ably_realtime_channel *again = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(f.t.rt, "test-RTS3c1", &o, &again, &err), -1);
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
    ably_string_map_clear(&params);
    fx_pump(&f);
    ably_realtime_channel_options_copy c = options_of(ch); /* unchanged */
    assert_int_equal(c.params.count, 0);
    ably_realtime_channel_options_copy_clear(&c);
    assert_int_equal(mock_ws_count_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH), 1);
    fx_free(&f);
}

static void get_fails_when_modes_would_reattach_an_attaching_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init(&f);
    f.auto_attach = false;
    fx_start(&f);
    fx_connect(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTS3c1-attaching", NULL);
    ably_realtime_channel_attach(ch, NULL, NULL);
    fx_pump(&f);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHING);
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_SUBSCRIBE};
    ably_realtime_channel *again = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get(f.t.rt, "test-RTS3c1-attaching", &o, &again, &err), -1);
    assert_int_equal(err.code, 40000);
    ably_error_clear(&err);
    fx_free(&f);
}

/* ---- RTL16 ---- */

static void set_options_updates_the_options(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_realtime_channel *ch = fx_channel(&f, "test-RTL16", NULL);
    ably_string_map params = {0};
    ably_string_map_set(&params, "delta", "vcdiff");
    ably_realtime_channel_options o = {.params = &params, .no_attach_on_subscribe = true};
    op_result r = {0};
    ably_realtime_channel_set_options(ch, &o, fx_on_result, &r);
    ably_string_map_clear(&params);
    fx_pump(&f);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, 0);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_string_equal(ably_string_map_get(&c.params, "delta"), "vcdiff");
    assert_false(c.attach_on_subscribe);
    ably_realtime_channel_options_copy_clear(&c);
    fx_free(&f);
}

static void set_options_with_params_reattaches_an_attached_channel(void **state)
{
    (void)state;
    chan_fx f;
    fx_init_connected(&f);
    ably_realtime_channel *ch = fx_attached(&f, "test-RTL16a", NULL);
    fx_changes rec;
    fx_record(ch, &rec);
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_realtime_channel_options o = {.params = &params};
    op_result r = {0};
    ably_realtime_channel_set_options(ch, &o, fx_on_result, &r);
    ably_string_map_clear(&params);
    fx_pump(&f);
    assert_int_equal(r.calls, 1); /* completes with the reattach */
    assert_int_equal(r.code, 0);
    bool saw_attaching = false;
    for (size_t i = 0; i < rec.count; i++)
        saw_attaching |= rec.items[i].current == ABLY_CHANNEL_ATTACHING;
    assert_true(saw_attaching);
    assert_int_equal(ably_realtime_channel_state(ch), ABLY_CHANNEL_ATTACHED);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_string_equal(ably_string_map_get(&c.params, "rewind"), "1");
    ably_realtime_channel_options_copy_clear(&c);
    const ably_protocol_message *a = mock_ws_last_sent(f.t.m, ABLY_PROTOCOL_MESSAGE_ACTION_ATTACH);
    assert_string_equal(ably_string_map_get(&a->params, "rewind"), "1");
    fx_free(&f);
}

/* ---- RTS5, DO2a: derived channels ---- */

static void derive_options_hold_the_filter(void **state)
{
    (void)state;
    /* The filter attribute is the JMESPath text the derived channel is named with. */
    chan_fx f;
    start_offline(&f);
    ably_derive_options d = {.filter = "name == 'event' && data.count > 10"};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "do2a", &d, NULL, &ch, &err), 0);
    assert_string_equal(ably_realtime_channel_name(ch),
                        "[filter=bmFtZSA9PSAnZXZlbnQnICYmIGRhdGEuY291bnQgPiAxMA==]do2a");
    fx_free(&f);
}

static void get_derived_names_the_channel_with_the_filter(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_derive_options d = {.filter = "name == 'foo'"};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "test-RTS5a", &d, NULL, &ch, &err), 0);
    const char *name = ably_realtime_channel_name(ch);
    assert_int_equal(strncmp(name, "[filter=", 8), 0);
    const char *tail = "]test-RTS5a";
    assert_string_equal(name + strlen(name) - strlen(tail), tail);
    assert_true(ably_realtime_channels_exists(f.t.rt, name));
    fx_free(&f);
}

static void get_derived_base64_encodes_the_filter(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_derive_options d = {.filter = "name == 'test'"};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "test-RTS5a1", &d, NULL, &ch, &err), 0);
    assert_string_equal(ably_realtime_channel_name(ch), "[filter=bmFtZSA9PSAndGVzdCc=]test-RTS5a1");
    /* the same call gives the same channel */
    ably_realtime_channel *again = NULL;
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "test-RTS5a1", &d, NULL, &again, &err), 0);
    assert_ptr_equal(again, ch);
    fx_free(&f);
}

/* Parses "k=v&k=v" into map (no decoding needed for these values). */
static void parse_query(const char *q, size_t len, ably_string_map *map)
{
    char buf[256];
    assert_true(len < sizeof buf);
    memcpy(buf, q, len);
    buf[len] = '\0';
    for (char *save = NULL, *pair = strtok_r(buf, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        assert_non_null(eq);
        *eq = '\0';
        ably_string_map_set(map, pair, eq + 1);
    }
}

static void get_derived_puts_channel_params_in_the_qualifier(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_derive_options d = {.filter = "type == 'message'"};
    ably_string_map params = {0};
    ably_string_map_set(&params, "rewind", "1");
    ably_string_map_set(&params, "delta", "vcdiff");
    ably_realtime_channel_options o = {.params = &params};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "test-RTS5a2", &d, &o, &ch, &err), 0);
    ably_string_map_clear(&params);
    const char *name = ably_realtime_channel_name(ch);
    const char *tail = "]test-RTS5a2";
    assert_string_equal(name + strlen(name) - strlen(tail), tail);
    assert_int_equal(name[0], '[');
    const char *close = strchr(name, ']');
    const char *qualifier = name + 1;
    assert_int_equal(strncmp(qualifier, "filter=", 7), 0);
    const char *q = memchr(qualifier, '?', (size_t)(close - qualifier));
    assert_non_null(q); /* params expected in the qualifier */
    ably_string_map parsed = {0};
    parse_query(q + 1, (size_t)(close - q - 1), &parsed);
    assert_string_equal(ably_string_map_get(&parsed, "rewind"), "1");
    assert_string_equal(ably_string_map_get(&parsed, "delta"), "vcdiff");
    assert_int_equal(parsed.count, 2);
    ably_string_map_clear(&parsed);
    fx_free(&f);
}

static void get_derived_sets_the_channel_options(void **state)
{
    (void)state;
    chan_fx f;
    start_offline(&f);
    ably_derive_options d = {.filter = "true"};
    ably_realtime_channel_options o = {.modes = ABLY_CHANNEL_MODE_SUBSCRIBE, .no_attach_on_subscribe = true};
    ably_realtime_channel *ch = NULL;
    ably_error err = {0};
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "test-RTS5", &d, &o, &ch, &err), 0);
    ably_realtime_channel_options_copy c = options_of(ch);
    assert_true(c.modes & ABLY_CHANNEL_MODE_SUBSCRIBE);
    assert_false(c.attach_on_subscribe);
    ably_realtime_channel_options_copy_clear(&c);
    /* a "[?params]" qualifier on the name is kept; another qualifier is refused */
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "[?rewind=1]base", &d, NULL, &ch, &err), 0);
    assert_string_equal(ably_realtime_channel_name(ch), "[filter=dHJ1ZQ==?rewind=1]base");
    assert_int_equal(ably_realtime_channels_get_derived(f.t.rt, "[meta]base", &d, NULL, &ch, &err), -1);
    assert_int_equal(err.code, 40010);
    ably_error_clear(&err);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(default_options_have_nothing_and_attach_on_subscribe, "TB2 TB4"),
        ABLY_TEST(attach_on_subscribe_can_be_turned_off, "TB4"),
        ABLY_TEST(options_with_params, "TB2c"),
        ABLY_TEST(options_with_modes, "TB2d"),
        ABLY_TEST(with_cipher_key_makes_aes_256_options, "TB3 TB2b"),
        ABLY_TEST(get_sets_options_on_a_new_channel, "RTS3b"),
        ABLY_TEST(get_updates_options_of_an_existing_channel, "RTS3c"),
        ABLY_TEST(get_fails_when_params_would_reattach_an_attached_channel, "RTS3c1"),
        ABLY_TEST(get_fails_when_modes_would_reattach_an_attaching_channel, "RTS3c1"),
        ABLY_TEST(set_options_updates_the_options, "RTL16"),
        ABLY_TEST(set_options_with_params_reattaches_an_attached_channel, "RTL16 RTL16a"),
        ABLY_TEST(derive_options_hold_the_filter, "DO1 DO2 DO2a"),
        ABLY_TEST(get_derived_names_the_channel_with_the_filter, "RTS5a"),
        ABLY_TEST(get_derived_base64_encodes_the_filter, "RTS5a1"),
        ABLY_TEST(get_derived_puts_channel_params_in_the_qualifier, "RTS5a2"),
        ABLY_TEST(get_derived_sets_the_channel_options, "RTS5 RTS5a"),
    };
    return cmocka_run_group_tests_name("realtime_channel_options", tests, NULL, NULL);
}
