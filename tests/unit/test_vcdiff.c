/* The VCDIFF decoder (VD2a, PC3): hand-built RFC 3284 deltas, round trips
 * through the sandbox's encoder, and hostile input that must fail cleanly. */
#include <stdlib.h>
#include <string.h>

#include "ably_test.h"
#include "ably/vcdiff.h"
#include "vcdiff/vcdiff_internal.h"

/* The sandbox encoder is libc-only: compile it in to round-trip against it. */
#include "../../harness/sandbox/sbx_vcdiff.c"

static const uint8_t MAGIC[] = {0xD6, 0xC3, 0xC4, 0x00, 0x00};

/* Assembles header + one window from its sections (sizes < 128 each). */
static size_t build_delta(uint8_t *out, uint8_t win_ind, size_t src_len, size_t src_pos, size_t target_len,
                          const uint8_t *data, size_t data_len, const uint8_t *inst, size_t inst_len,
                          const uint8_t *addr, size_t addr_len)
{
    size_t n = 0;
    memcpy(out, MAGIC, sizeof MAGIC);
    n += sizeof MAGIC;
    out[n++] = win_ind;
    if (win_ind & 3) {
        out[n++] = (uint8_t)src_len;
        out[n++] = (uint8_t)src_pos;
    }
    out[n++] = (uint8_t)(1 + 1 + 3 + data_len + inst_len + addr_len); /* delta encoding length */
    out[n++] = (uint8_t)target_len;
    out[n++] = 0;
    out[n++] = (uint8_t)data_len;
    out[n++] = (uint8_t)inst_len;
    out[n++] = (uint8_t)addr_len;
    memcpy(out + n, data, data_len);
    n += data_len;
    memcpy(out + n, inst, inst_len);
    n += inst_len;
    if (addr_len)
        memcpy(out + n, addr, addr_len);
    return n + addr_len;
}

static void expect_decodes(const uint8_t *delta, size_t len, const char *base, const char *want)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    ably_error err;
    ably_error_init(&err);
    int rc = ably_vcdiff_decode(delta, len, (const uint8_t *)base, base ? strlen(base) : 0, &out, &out_len, &err);
    if (rc != 0)
        fail_msg("decode failed: %s", err.message ? err.message : "?");
    assert_int_equal(out_len, strlen(want));
    assert_memory_equal(out, want, out_len);
    assert_int_equal(out[out_len], 0); /* NUL-terminated for text results */
    free(out);
    ably_error_clear(&err);
}

static void expect_fails(const uint8_t *delta, size_t len, const uint8_t *base, size_t base_len)
{
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 7;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_vcdiff__decode_capped(delta, len, base, base_len, 1 << 20, &out, &out_len, &err), -1);
    assert_null(out);
    assert_int_equal(out_len, 0);
    assert_int_equal(err.code, 40018);
    ably_error_clear(&err);
}

/* ADD only, no source (RFC 3284 default code table entries 1..18). */
static void add_without_source(void **state)
{
    (void)state;
    uint8_t d[64];
    const uint8_t data[] = "hello";
    const uint8_t inst[] = {6}; /* ADD size 5 */
    size_t n = build_delta(d, 0, 0, 0, 5, data, 5, inst, 1, NULL, 0);
    expect_decodes(d, n, NULL, "hello");
}

/* COPY from the source with every address mode family: SELF, HERE, NEAR, SAME,
 * ADD+COPY combined codes and a RUN. */
static void copy_modes_and_run(void **state)
{
    (void)state;
    const char *base = "abcdefghijklmnop"; /* 16 bytes */
    uint8_t d[96];
    /* Build explicitly:
     *  1. COPY size 4 mode SELF addr 0            -> "abcd"     code 19+1+0 = 20, addr varint 0
     *  2. ADD 2 "XY"                              -> "XY"       code 3
     *  3. COPY size 4 mode HERE, here=16+6=22, value 14 -> addr 8 "ijkl"  code 36
     *  4. COPY size 4 mode NEAR0 (mode 2): near[0]=0 (first copy), +4 -> "efgh" code 16*2+20 = 52
     *  5. COPY size 4 mode SAME0 (mode 6): same[8 % 768]=8 byte 8 -> "ijkl" code 16*6+20 = 116
     *  6. RUN size 3 of 'z' (code 0, size varint 3)
     *  7. ADD1+COPY4 mode SELF (code 163): ADD "Q", COPY addr 12 -> "Qmnop"  */
    const uint8_t data[] = {'X', 'Y', 'z', 'Q'};
    const uint8_t inst[] = {20, 3, 36, 52, 116, 0, 3, 163};
    const uint8_t addr[] = {0, 14, 4, 8, 12};
    size_t n = build_delta(d, 0x01, 16, 0, 4 + 2 + 4 + 4 + 4 + 3 + 5, data, sizeof data, inst, sizeof inst, addr,
                           sizeof addr);
    expect_decodes(d, n, base, "abcdXYijklefghijklzzzQmnop");
}

/* A COPY that overlaps its own output repeats a pattern (RFC 3284 3). */
static void overlapping_copy_in_target(void **state)
{
    (void)state;
    uint8_t d[64];
    const uint8_t data[] = {'a', 'b'};
    const uint8_t inst[] = {3, 19, 10}; /* ADD 2 "ab"; COPY size 10 SELF */
    const uint8_t addr[] = {0};         /* target position 0 (no source) */
    size_t n = build_delta(d, 0, 0, 0, 12, data, 2, inst, 3, addr, 1);
    expect_decodes(d, n, NULL, "abababababab");
}

/* Two windows, the second taking the first's output as source (VCD_TARGET),
 * and an application header that must be skipped. */
static void target_window_and_app_header(void **state)
{
    (void)state;
    uint8_t d[96];
    const uint8_t data[] = "hello";
    const uint8_t inst1[] = {6};
    size_t n = build_delta(d, 0, 0, 0, 5, data, 5, inst1, 1, NULL, 0);
    /* window 2: source = target[0..5), COPY 5 SELF 0 */
    const uint8_t w2[] = {0x02, 5, 0, 1 + 1 + 3 + 0 + 2 + 1, 5, 0, 0, 2, 1, 19, 5, 0};
    memcpy(d + n, w2, sizeof w2);
    n += sizeof w2;
    expect_decodes(d, n, NULL, "hellohello");

    uint8_t h[96];
    memcpy(h, MAGIC, 4);
    h[4] = 0x04; /* VCD_APPHEADER */
    h[5] = 3;
    memcpy(h + 6, "app", 3);
    memcpy(h + 9, d + 5, n - 5);
    expect_decodes(h, n + 4, NULL, "hellohello");
}

/* The open-vcdiff Adler-32 extension: a right sum passes, a wrong one fails. */
static void window_checksum(void **state)
{
    (void)state;
    uint8_t d[64] = {0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x04, 1 + 1 + 3 + 4 + 3 + 1, 3, 0, 3, 1, 0};
    /* adler32("abc") = 0x024d0127 */
    const uint8_t rest[] = {0x02, 0x4d, 0x01, 0x27, 'a', 'b', 'c', 4};
    memcpy(d + 12, rest, sizeof rest);
    expect_decodes(d, 12 + sizeof rest, NULL, "abc");
    d[15] ^= 1;
    expect_fails(d, 12 + sizeof rest, NULL, 0);
}

static void round_trip(const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len)
{
    size_t delta_len = 0;
    uint8_t *delta = sbx_vcdiff_encode(base, base_len, target, target_len, &delta_len);
    assert_non_null(delta);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_vcdiff_decode(delta, delta_len, base, base_len, &out, &out_len, &err), 0);
    assert_int_equal(out_len, target_len);
    if (target_len)
        assert_memory_equal(out, target, target_len);
    free(out);
    free(delta);
    ably_error_clear(&err);
}

/* The sandbox encoder and this decoder agree, and similar payloads shrink. */
static void round_trips_with_sandbox_encoder(void **state)
{
    (void)state;
    const char *a = "{\"foo\":\"bar\",\"count\":1,\"status\":\"active\"}";
    const char *b = "{\"foo\":\"bar\",\"count\":2,\"status\":\"inactive\"}";
    round_trip((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b));
    round_trip(NULL, 0, (const uint8_t *)b, strlen(b));
    round_trip((const uint8_t *)a, strlen(a), NULL, 0);

    size_t big = 50000;
    uint8_t *x = malloc(big), *y = malloc(big);
    assert_non_null(x);
    assert_non_null(y);
    uint32_t s = 12345;
    for (size_t i = 0; i < big; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (uint8_t)(s >> 16);
    }
    memcpy(y, x, big);
    for (size_t i = 0; i < big; i += 997)
        y[i] ^= 0x55;
    round_trip(x, big, y, big);
    size_t delta_len = 0;
    uint8_t *delta = sbx_vcdiff_encode(x, big, y, big, &delta_len);
    assert_non_null(delta);
    assert_true(delta_len < big / 4); /* mostly COPYs */
    free(delta);
    for (int k = 0; k < 20; k++) { /* random sizes and contents */
        size_t bl = (size_t)(s % 300), tl = (size_t)((s >> 8) % 300);
        s = s * 1103515245u + 12345u;
        round_trip(x + k, bl, x + (s % 1000), tl);
        round_trip(y, bl, x, tl);
    }
    free(x);
    free(y);
}

/* Malformed input: wrong magic, unsupported features, truncation at every
 * byte, addresses past "here", sizes past the target or the cap. */
static void malformed_deltas_fail_cleanly(void **state)
{
    (void)state;
    const char *base = "abcdefghijklmnop";
    const uint8_t *b = (const uint8_t *)base;
    uint8_t d[96];
    const uint8_t data[] = {'X', 'Y'};
    const uint8_t inst[] = {20, 3};
    const uint8_t addr[] = {0};
    size_t n = build_delta(d, 0x01, 16, 0, 6, data, 2, inst, 2, addr, 1);
    expect_decodes(d, n, base, "abcdXY"); /* the unmodified delta is fine */
    for (size_t cut = 0; cut < n; cut++)
        if (cut != 5) /* 5 bytes = a header with no windows: a valid, empty result */
            expect_fails(d, cut, b, 16);

    uint8_t bad[96];
    memcpy(bad, d, n);
    bad[0] = 'X'; /* magic */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[4] = 0x01; /* secondary compressor */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[5] = 0x03; /* both SOURCE and TARGET */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[6] = 17; /* source segment longer than the base */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[n - 1] = 16; /* COPY address == here */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[9] = 5; /* target length shorter than the instructions produce */
    expect_fails(bad, n, b, 16);
    memcpy(bad, d, n);
    bad[9] = 7; /* ... or longer */
    expect_fails(bad, n, b, 16);

    /* a 2^32-1 target size: refused before any allocation */
    const uint8_t huge[] = {0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x00, 10, 0x8f, 0xff, 0xff, 0xff, 0x7f, 0, 1, 2, 0, 'a', 0, 0};
    expect_fails(huge, sizeof huge, NULL, 0);
    /* varint longer than 5 digits */
    const uint8_t long_var[] = {0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    expect_fails(long_var, sizeof long_var, NULL, 0);
    /* a RUN with no data byte */
    const uint8_t run[] = {0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x00, 7, 3, 0, 0, 2, 0, 0, 3};
    expect_fails(run, sizeof run, NULL, 0);
    /* above the caller's cap */
    uint8_t *out = NULL;
    size_t out_len = 0;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(ably_vcdiff__decode_capped(d, n, b, 16, 5, &out, &out_len, &err), -1);
    assert_null(out);
    ably_error_clear(&err);
    expect_fails(NULL, 0, NULL, 0);
}

/* A bounded libFuzzer-style loop: random bytes after a valid header, and
 * random mutations of a valid delta. Nothing may crash (ASan/UBSan watch);
 * any success must respect the cap. */
static void random_input_never_crashes(void **state)
{
    (void)state;
    const char *a = "the quick brown fox jumps over the lazy dog";
    const char *t = "the quick red fox jumped over the lazy dogs!";
    size_t vlen = 0;
    uint8_t *valid = sbx_vcdiff_encode((const uint8_t *)a, strlen(a), (const uint8_t *)t, strlen(t), &vlen);
    assert_non_null(valid);
    uint32_t s = 0x9e3779b9u;
    uint8_t buf[128];
    int successes = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n;
        s = s * 1664525u + 1013904223u;
        if (iter % 2) {
            n = vlen;
            memcpy(buf, valid, vlen);
            for (int k = 0; k < 1 + (int)(s % 4); k++) {
                s = s * 1664525u + 1013904223u;
                buf[(s >> 8) % vlen] = (uint8_t)(s >> 24);
            }
            if ((s >> 4) % 5 == 0)
                n = (s >> 12) % vlen; /* and sometimes truncate */
        } else {
            n = 5 + (s >> 8) % 60;
            memcpy(buf, MAGIC, 5);
            for (size_t k = 5; k < n; k++) {
                s = s * 1664525u + 1013904223u;
                buf[k] = (uint8_t)(s >> 24);
            }
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        ably_error err;
        ably_error_init(&err);
        if (ably_vcdiff__decode_capped(buf, n, (const uint8_t *)a, strlen(a), 4096, &out, &out_len, &err) == 0) {
            assert_true(out_len <= 4096);
            successes++;
        } else {
            assert_null(out);
        }
        free(out);
        ably_error_clear(&err);
    }
    assert_true(successes > 0); /* the loop did reach real decoding */
    free(valid);
}

/* The built-in plugin object decodes through the VD2a interface. */
static void builtin_plugin_implements_interface(void **state)
{
    (void)state;
    const ably_vcdiff_decoder *dec = ably_vcdiff_builtin_decoder();
    assert_non_null(dec);
    assert_non_null(dec->decode);
    const char *base = "hello world", *want = "goodbye world";
    size_t dl = 0;
    uint8_t *delta = sbx_vcdiff_encode((const uint8_t *)base, strlen(base), (const uint8_t *)want, strlen(want), &dl);
    assert_non_null(delta);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ably_error err;
    ably_error_init(&err);
    assert_int_equal(dec->decode(dec->ctx, delta, dl, (const uint8_t *)base, strlen(base), &out, &out_len, &err), 0);
    assert_int_equal(out_len, strlen(want));
    assert_memory_equal(out, want, out_len);
    free(out);
    free(delta);
    ably_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ABLY_TEST(add_without_source, "VD2a"),
        ABLY_TEST(copy_modes_and_run, "VD2a"),
        ABLY_TEST(overlapping_copy_in_target, "VD2a"),
        ABLY_TEST(target_window_and_app_header, "VD2a"),
        ABLY_TEST(window_checksum, "VD2a"),
        ABLY_TEST(round_trips_with_sandbox_encoder, "VD2a PC3"),
        ABLY_TEST(malformed_deltas_fail_cleanly, "VD2a RTL18a"),
        ABLY_TEST(random_input_never_crashes, "VD2a"),
        ABLY_TEST(builtin_plugin_implements_interface, "VD1 VD2 VD2a PC3 PT2a"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
