/* A VCDIFF (RFC 3284) decoder for delta-compressed channel messages (PC3, VD2).
 *
 * Why our own: Debian packages no C library that decodes VCDIFF (open-vcdiff
 * is C++ and unpackaged, xdelta3 ships as a program), and what Ably sends needs
 * only the core format: the default code table and address cache, VCD_SOURCE /
 * VCD_TARGET windows, plus two open-vcdiff extensions (per-window Adler-32 and
 * an application header) that encoders may emit.
 *
 * Every length read from the delta is checked against what is left of the
 * input before use, and the result is capped (ABLY_VCDIFF_MAX_TARGET), so a
 * hostile delta can make decoding fail but never read or write out of bounds. */
#include "ably/vcdiff.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vcdiff/vcdiff_internal.h"

#define ERR_DELTA 40018 /* vcdiff decode failure (RTL18a) */
#define ERR_INTERNAL 50000

/* Header and window indicator bits (RFC 3284 4.1, 4.2; 0x04 of the window is
 * open-vcdiff's checksum, 0x04 of the header its application header). */
#define HDR_DECOMPRESS 0x01
#define HDR_CODETABLE 0x02
#define HDR_APPHEADER 0x04
#define WIN_SOURCE 0x01
#define WIN_TARGET 0x02
#define WIN_CHECKSUM 0x04

enum { INST_NOOP = 0, INST_ADD, INST_RUN, INST_COPY };

#define NEAR_SIZE 4
#define SAME_SIZE 3
#define MODE_SELF 0
#define MODE_HERE 1
#define MODE_FIRST_SAME (2 + NEAR_SIZE)

typedef struct {
    uint8_t type, size, mode;
} half_inst;

typedef struct {
    half_inst first, second;
} code_entry;

typedef struct {
    const uint8_t *p, *end;
} cursor;

/* Addresses fit 32 bits (read_varint caps them), which halves the cache that
 * every window must zero. */
typedef struct {
    uint32_t near[NEAR_SIZE];
    uint32_t same[SAME_SIZE * 256];
    unsigned next_near;
} addr_cache;

typedef struct {
    uint8_t *bytes;
    size_t len; /* decoded so far, across windows */
    size_t max;
} output;

/* ---- the default code table (RFC 3284 5.6), built once per process ---- */

static void set_entry(code_entry *e, uint8_t t1, uint8_t s1, uint8_t m1, uint8_t t2, uint8_t s2, uint8_t m2)
{
    e->first = (half_inst){t1, s1, m1};
    e->second = (half_inst){t2, s2, m2};
}

static void build_default_table(code_entry t[256])
{
    int i = 0;
    set_entry(&t[i++], INST_RUN, 0, 0, INST_NOOP, 0, 0);
    for (int size = 0; size <= 17; size++)
        set_entry(&t[i++], INST_ADD, (uint8_t)size, 0, INST_NOOP, 0, 0);
    for (int mode = 0; mode <= 8; mode++) {
        set_entry(&t[i++], INST_COPY, 0, (uint8_t)mode, INST_NOOP, 0, 0);
        for (int size = 4; size <= 18; size++)
            set_entry(&t[i++], INST_COPY, (uint8_t)size, (uint8_t)mode, INST_NOOP, 0, 0);
    }
    for (int mode = 0; mode <= 5; mode++)
        for (int add = 1; add <= 4; add++)
            for (int copy = 4; copy <= 6; copy++)
                set_entry(&t[i++], INST_ADD, (uint8_t)add, 0, INST_COPY, (uint8_t)copy, (uint8_t)mode);
    for (int mode = 6; mode <= 8; mode++)
        for (int add = 1; add <= 4; add++)
            set_entry(&t[i++], INST_ADD, (uint8_t)add, 0, INST_COPY, 4, (uint8_t)mode);
    for (int mode = 0; mode <= 8; mode++)
        set_entry(&t[i++], INST_COPY, 4, (uint8_t)mode, INST_ADD, 1, 0);
}

static code_entry default_table[256];
static pthread_once_t default_table_once = PTHREAD_ONCE_INIT;

static void init_default_table(void) { build_default_table(default_table); }

/* ---- primitives ---- */

static int fail(ably_error *err, const char *why)
{
    ably_error_set(err, ERR_DELTA, 400, "vcdiff delta decode failed: %s", why);
    return -1;
}

static bool read_byte(cursor *c, uint8_t *b)
{
    if (c->p >= c->end)
        return false;
    *b = *c->p++;
    return true;
}

/* RFC 3284 2: base-128, most significant digit first, high bit = more. We
 * accept values up to 2^32 - 1, ample for any message. */
static bool read_varint(cursor *c, size_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 5; i++) {
        uint8_t b;
        if (!read_byte(c, &b))
            return false;
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) {
            if (v > UINT32_MAX)
                return false;
            *out = (size_t)v;
            return true;
        }
    }
    return false;
}

static size_t remaining(const cursor *c) { return (size_t)(c->end - c->p); }

/* Splits the next n bytes of c off as their own cursor. */
static bool take(cursor *c, size_t n, cursor *part)
{
    if (n > remaining(c))
        return false;
    part->p = c->p;
    part->end = c->p + n;
    c->p += n;
    return true;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n) {
        size_t chunk = n < 5552 ? n : 5552; /* the most bytes before b can overflow */
        n -= chunk;
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

/* ---- addresses (RFC 3284 5.1–5.4) ---- */

static void cache_update(addr_cache *ac, size_t addr)
{
    ac->near[ac->next_near] = (uint32_t)addr;
    ac->next_near = (ac->next_near + 1) % NEAR_SIZE;
    ac->same[addr % (SAME_SIZE * 256)] = (uint32_t)addr;
}

/* Decodes a COPY address in `mode` at position `here`; it must lie before here. */
static bool decode_addr(addr_cache *ac, cursor *addrs, size_t here, uint8_t mode, size_t *out)
{
    size_t v, addr;
    if (mode == MODE_SELF) {
        if (!read_varint(addrs, &addr))
            return false;
    } else if (mode == MODE_HERE) {
        if (!read_varint(addrs, &v) || v > here)
            return false;
        addr = here - v;
    } else if (mode < MODE_FIRST_SAME) {
        if (!read_varint(addrs, &v))
            return false;
        addr = (size_t)ac->near[mode - 2] + v; /* both < 2^32: no wrap */
    } else {
        uint8_t b;
        if (!read_byte(addrs, &b))
            return false;
        addr = ac->same[(size_t)(mode - MODE_FIRST_SAME) * 256 + b];
    }
    if (addr >= here || addr > UINT32_MAX)
        return false;
    cache_update(ac, addr);
    *out = addr;
    return true;
}

/* ---- windows (RFC 3284 4.2, 4.3) ---- */

typedef struct {
    const uint8_t *src; /* the source segment */
    size_t src_len;
    uint8_t *target;    /* this window's output */
    size_t target_len;
    size_t pos;         /* bytes of target decoded */
    cursor data, inst, addrs;
    addr_cache cache;
} window;

static bool exec_copy(window *w, size_t size, uint8_t mode)
{
    size_t addr;
    if (!decode_addr(&w->cache, &w->addrs, w->src_len + w->pos, mode, &addr))
        return false;
    uint8_t *dst = w->target + w->pos;
    if (addr + size <= w->src_len) {
        memcpy(dst, w->src + addr, size);
    } else if (addr >= w->src_len && addr - w->src_len + size <= w->pos) {
        memcpy(dst, w->target + (addr - w->src_len), size);
    } else { /* spans source and target, or overlaps itself (a run): byte by byte */
        for (size_t k = 0; k < size; k++) {
            size_t a = addr + k;
            dst[k] = a < w->src_len ? w->src[a] : w->target[a - w->src_len];
        }
    }
    return true;
}

static bool exec_half(window *w, const half_inst *h)
{
    if (h->type == INST_NOOP)
        return true;
    size_t size = h->size;
    if (size == 0 && !read_varint(&w->inst, &size))
        return false;
    if (size > w->target_len - w->pos)
        return false;
    switch (h->type) {
    case INST_ADD:
        if (size > remaining(&w->data))
            return false;
        memcpy(w->target + w->pos, w->data.p, size);
        w->data.p += size;
        break;
    case INST_RUN: {
        uint8_t b;
        if (!read_byte(&w->data, &b))
            return false;
        memset(w->target + w->pos, b, size);
        break;
    }
    default:
        if (!exec_copy(w, size, h->mode))
            return false;
        break;
    }
    w->pos += size;
    return true;
}

static bool run_instructions(window *w, const code_entry *table)
{
    uint8_t idx;
    while (read_byte(&w->inst, &idx))
        if (!exec_half(w, &table[idx].first) || !exec_half(w, &table[idx].second))
            return false;
    /* every section must be used up exactly, and the target filled */
    return w->pos == w->target_len && remaining(&w->data) == 0 && remaining(&w->addrs) == 0;
}

static bool grow_output(output *o, size_t extra)
{
    uint8_t *b = realloc(o->bytes, o->len + extra + 1);
    if (!b)
        return false;
    o->bytes = b;
    return true;
}

/* Reads the source segment of a window: from the base (VCD_SOURCE) or from
 * the output of earlier windows (VCD_TARGET); offsets only, as the output
 * buffer may still move. */
static int read_source(cursor *c, uint8_t ind, size_t base_len, const output *o, size_t *pos, size_t *len,
                       ably_error *err)
{
    *pos = *len = 0;
    if (!(ind & (WIN_SOURCE | WIN_TARGET)))
        return 0;
    if (!read_varint(c, len) || !read_varint(c, pos))
        return fail(err, "truncated source segment");
    size_t avail = (ind & WIN_SOURCE) ? base_len : o->len;
    if (*pos > avail || *len > avail - *pos)
        return fail(err, "source segment outside the base");
    return 0;
}

static int decode_window(cursor *c, const uint8_t *base, size_t base_len, output *o, const code_entry *table,
                         ably_error *err)
{
    uint8_t ind;
    if (!read_byte(c, &ind))
        return fail(err, "truncated window");
    if ((ind & ~(WIN_SOURCE | WIN_TARGET | WIN_CHECKSUM)) || (ind & WIN_SOURCE && ind & WIN_TARGET))
        return fail(err, "bad window indicator");
    size_t src_pos, src_len, enc_len, target_len, data_len, inst_len, addr_len;
    if (read_source(c, ind, base_len, o, &src_pos, &src_len, err) != 0)
        return -1;
    cursor enc;
    if (!read_varint(c, &enc_len) || !take(c, enc_len, &enc))
        return fail(err, "truncated delta encoding");
    uint8_t delta_ind;
    if (!read_varint(&enc, &target_len) || !read_byte(&enc, &delta_ind) || !read_varint(&enc, &data_len) ||
        !read_varint(&enc, &inst_len) || !read_varint(&enc, &addr_len))
        return fail(err, "truncated window header");
    if (delta_ind != 0)
        return fail(err, "compressed sections are not supported");
    if (target_len > o->max - o->len)
        return fail(err, "target too large");
    uint32_t want_sum = 0;
    if (ind & WIN_CHECKSUM) {
        cursor sum;
        if (!take(&enc, 4, &sum))
            return fail(err, "truncated checksum");
        want_sum = (uint32_t)sum.p[0] << 24 | (uint32_t)sum.p[1] << 16 | (uint32_t)sum.p[2] << 8 | sum.p[3];
    }
    window w;
    memset(&w, 0, sizeof w);
    if (!take(&enc, data_len, &w.data) || !take(&enc, inst_len, &w.inst) || !take(&enc, addr_len, &w.addrs) ||
        remaining(&enc) != 0)
        return fail(err, "section lengths do not match the window");
    if (!grow_output(o, target_len)) {
        ably_error_set(err, ERR_INTERNAL, 500, "out of memory decoding a vcdiff delta");
        return -1;
    }
    w.src = (ind & WIN_SOURCE) ? base + src_pos : o->bytes + src_pos;
    w.src_len = src_len;
    w.target = o->bytes + o->len;
    w.target_len = target_len;
    if (!run_instructions(&w, table))
        return fail(err, "invalid instructions");
    if ((ind & WIN_CHECKSUM) && adler32(w.target, target_len) != want_sum)
        return fail(err, "checksum mismatch");
    o->len += target_len;
    return 0;
}

static int read_header(cursor *c, ably_error *err)
{
    static const uint8_t magic[4] = {0xD6, 0xC3, 0xC4, 0x00};
    if (remaining(c) < 5 || memcmp(c->p, magic, 4) != 0)
        return fail(err, "not a VCDIFF delta");
    c->p += 4;
    uint8_t ind = *c->p++;
    if (ind & (HDR_DECOMPRESS | HDR_CODETABLE))
        return fail(err, "secondary compression and custom code tables are not supported");
    if (ind & ~HDR_APPHEADER)
        return fail(err, "bad header indicator");
    if (ind & HDR_APPHEADER) {
        size_t n;
        cursor skipped;
        if (!read_varint(c, &n) || !take(c, n, &skipped))
            return fail(err, "truncated application header");
    }
    return 0;
}

int ably_vcdiff__decode_capped(const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len,
                               size_t max_out, uint8_t **out, size_t *out_len, ably_error *err)
{
    static const uint8_t empty[1];
    *out = NULL;
    *out_len = 0;
    if (!delta)
        return fail(err, "no delta");
    if (!base) { /* never offset a NULL pointer, even by zero */
        base = empty;
        base_len = 0;
    }
    cursor c = {delta, delta + delta_len};
    if (read_header(&c, err) != 0)
        return -1;
    pthread_once(&default_table_once, init_default_table);
    const code_entry *table = default_table;
    output o = {NULL, 0, max_out};
    if (!grow_output(&o, 0)) {
        ably_error_set(err, ERR_INTERNAL, 500, "out of memory decoding a vcdiff delta");
        return -1;
    }
    while (remaining(&c) > 0) {
        if (decode_window(&c, base, base_len, &o, table, err) != 0) {
            free(o.bytes);
            return -1;
        }
    }
    o.bytes[o.len] = '\0';
    *out = o.bytes;
    *out_len = o.len;
    return 0;
}

int ably_vcdiff_decode(const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len, uint8_t **out,
                       size_t *out_len, ably_error *err)
{
    return ably_vcdiff__decode_capped(delta, delta_len, base, base_len, ABLY_VCDIFF_MAX_TARGET, out, out_len, err);
}

static int builtin_decode(void *ctx, const uint8_t *delta, size_t delta_len, const uint8_t *base, size_t base_len,
                          uint8_t **out, size_t *out_len, ably_error *err)
{
    (void)ctx;
    return ably_vcdiff_decode(delta, delta_len, base, base_len, out, out_len, err);
}

static const ably_vcdiff_decoder builtin = {builtin_decode, NULL};

const ably_vcdiff_decoder *ably_vcdiff_builtin_decoder(void) { return &builtin; }
