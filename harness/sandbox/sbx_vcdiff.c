/* VCDIFF encoder for the sandbox: see sbx_vcdiff.h. */
#include "sbx_vcdiff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MATCH 4
#define CODE_ADD 1   /* default table: ADD, size follows as a varint */
#define CODE_COPY0 19 /* default table: COPY mode SELF, size follows */

typedef struct {
    uint8_t *b;
    size_t len, cap;
    bool oom;
} vbuf;

static void put(vbuf *v, const void *p, size_t n)
{
    if (v->oom || n == 0)
        return;
    if (v->len + n > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        while (cap < v->len + n)
            cap *= 2;
        uint8_t *b = realloc(v->b, cap);
        if (!b) {
            v->oom = true;
            return;
        }
        v->b = b;
        v->cap = cap;
    }
    memcpy(v->b + v->len, p, n);
    v->len += n;
}

static void put_byte(vbuf *v, uint8_t b) { put(v, &b, 1); }

static size_t varint_len(size_t x)
{
    size_t n = 1;
    while (x >>= 7)
        n++;
    return n;
}

/* RFC 3284 2: base 128, most significant digit first. */
static void put_varint(vbuf *v, size_t x)
{
    uint8_t tmp[10];
    size_t n = varint_len(x);
    for (size_t i = n; i-- > 0;) {
        tmp[i] = (uint8_t)((x & 0x7f) | (i == n - 1 ? 0 : 0x80));
        x >>= 7;
    }
    put(v, tmp, n);
}

static uint32_t hash4(const uint8_t *p, unsigned bits)
{
    uint32_t x = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (x * 2654435761u) >> (32 - bits);
}

typedef struct {
    vbuf data, inst, addr;
} sections;

static void emit_add(sections *s, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    put_byte(&s->inst, CODE_ADD);
    put_varint(&s->inst, n);
    put(&s->data, p, n);
}

static void emit_copy(sections *s, size_t addr, size_t n)
{
    put_byte(&s->inst, CODE_COPY0);
    put_varint(&s->inst, n);
    put_varint(&s->addr, addr);
}

/* Finds matches of target in base through a table of the last base position
 * seen for each 4-byte hash. */
static void encode_body(sections *s, const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len)
{
    unsigned bits = 10;
    while (bits < 20 && ((size_t)1 << bits) < base_len)
        bits++;
    size_t slots = (size_t)1 << bits;
    int64_t *table = NULL;
    if (base_len >= MIN_MATCH && (table = malloc(slots * sizeof *table)) != NULL) {
        for (size_t i = 0; i < slots; i++)
            table[i] = -1;
        for (size_t i = 0; i + MIN_MATCH <= base_len; i++)
            table[hash4(base + i, bits)] = (int64_t)i;
    }
    size_t pending = 0, i = 0;
    while (i < target_len) {
        size_t len = 0, at = 0;
        if (table && i + MIN_MATCH <= target_len) {
            int64_t cand = table[hash4(target + i, bits)];
            if (cand >= 0) {
                at = (size_t)cand;
                while (at + len < base_len && i + len < target_len && base[at + len] == target[i + len])
                    len++;
            }
        }
        if (len >= MIN_MATCH) {
            emit_add(s, target + pending, i - pending);
            emit_copy(s, at, len);
            i += len;
            pending = i;
        } else {
            i++;
        }
    }
    emit_add(s, target + pending, target_len - pending);
    free(table);
}

uint8_t *sbx_vcdiff_encode(const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len,
                           size_t *out_len)
{
    sections s;
    memset(&s, 0, sizeof s);
    encode_body(&s, base, base_len, target, target_len);
    vbuf out;
    memset(&out, 0, sizeof out);
    static const uint8_t magic[5] = {0xD6, 0xC3, 0xC4, 0x00, 0x00}; /* header, no indicator bits */
    put(&out, magic, sizeof magic);
    put_byte(&out, base_len ? 0x01 : 0x00); /* VCD_SOURCE: the whole base */
    if (base_len) {
        put_varint(&out, base_len);
        put_varint(&out, 0);
    }
    size_t enc_len = varint_len(target_len) + 1 + varint_len(s.data.len) + varint_len(s.inst.len) +
                     varint_len(s.addr.len) + s.data.len + s.inst.len + s.addr.len;
    put_varint(&out, enc_len);
    put_varint(&out, target_len);
    put_byte(&out, 0); /* Delta_Indicator: no compression */
    put_varint(&out, s.data.len);
    put_varint(&out, s.inst.len);
    put_varint(&out, s.addr.len);
    put(&out, s.data.b, s.data.len);
    put(&out, s.inst.b, s.inst.len);
    put(&out, s.addr.b, s.addr.len);
    bool oom = out.oom || s.data.oom || s.inst.oom || s.addr.oom;
    free(s.data.b);
    free(s.inst.b);
    free(s.addr.b);
    if (oom) {
        free(out.b);
        return NULL;
    }
    *out_len = out.len;
    return out.b;
}
