/* Allocation-free UTF-8 and JSON validation for the payload pipeline. The
 * pipeline keeps JSON payloads as text, so it only needs to know the text is
 * sound: a full parse (tree + allocations) per message would be wasted. */
#include "payload/payload_internal.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence starting at p (p[0] >= 0x80), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t avail)
{
    uint8_t c = p[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

bool ably_payload__utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        /* ASCII fast path, eight bytes at a time */
        while (end - p >= 8) {
            uint64_t w;
            __builtin_memcpy(&w, p, 8);
            if (w & 0x8080808080808080ULL)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_seq(p, (size_t)(end - p));
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/* ---- JSON ------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    int depth_left;
} json_cursor;

static bool json_value(json_cursor *c);

static void skip_ws(json_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool is_digit(uint8_t ch) { return ch >= '0' && ch <= '9'; }

static bool is_hex(uint8_t ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool literal(json_cursor *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (c->p[i] != (uint8_t)word[i])
            return false;
    c->p += n;
    return true;
}

/* True for bytes a JSON string cannot pass over unexamined: the quote, the
 * backslash, control characters and the start of multi-byte UTF-8. */
static bool string_special(uint8_t ch) { return ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x80; }

/* Eight bytes at a time: true when none of w's bytes is special. */
static bool plain_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    /* classic "has zero byte" / "has byte < n" tricks; high bytes fail too */
    uint64_t has_quote = (quote - ones) & ~quote & highs;
    uint64_t has_slash = (slash - ones) & ~slash & highs;
    uint64_t has_ctrl = (w - ones * 0x20) & ~w & highs;
    return ((has_quote | has_slash | has_ctrl) | (w & highs)) == 0;
}

static bool json_string(json_cursor *c)
{
    c->p++; /* opening quote */
    while (c->p < c->end) {
        while (c->end - c->p >= 8) {
            uint64_t w;
            __builtin_memcpy(&w, c->p, 8);
            if (!plain_word(w))
                break;
            c->p += 8;
        }
        while (c->p < c->end && !string_special(*c->p))
            c->p++;
        if (c->p >= c->end)
            break;
        uint8_t ch = *c->p;
        if (ch == '"') {
            c->p++;
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (c->end - c->p < 2)
                return false;
            uint8_t e = c->p[1];
            if (e == 'u') {
                if (c->end - c->p < 6)
                    return false;
                for (int i = 2; i < 6; i++)
                    if (!is_hex(c->p[i]))
                        return false;
                c->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                c->p += 2;
            } else
                return false;
        } else if (ch < 0x80) {
            c->p++;
        } else {
            size_t n = utf8_seq(c->p, (size_t)(c->end - c->p));
            if (n == 0)
                return false;
            c->p += n;
        }
    }
    return false;
}

static bool digits(json_cursor *c)
{
    const uint8_t *start = c->p;
    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    return c->p > start;
}

static bool json_number(json_cursor *c)
{
    if (*c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return false;
    if (*c->p == '0')
        c->p++;
    else if (!digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!digits(c))
            return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return false;
    }
    return true;
}

/* Members or elements between brackets; `object` selects "key": value pairs. */
static bool json_container(json_cursor *c, bool object)
{
    uint8_t close = object ? '}' : ']';
    if (--c->depth_left < 0)
        return false;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth_left++;
        return true;
    }
    for (;;) {
        if (object) {
            skip_ws(c);
            if (c->p >= c->end || *c->p != '"' || !json_string(c))
                return false;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':')
                return false;
            c->p++;
        }
        if (!json_value(c))
            return false;
        skip_ws(c);
        if (c->p >= c->end)
            return false;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != close)
            return false;
        c->p++;
        c->depth_left++;
        return true;
    }
}

static bool json_value(json_cursor *c)
{
    skip_ws(c);
    if (c->p >= c->end)
        return false;
    switch (*c->p) {
    case '{': return json_container(c, true);
    case '[': return json_container(c, false);
    case '"': return json_string(c);
    case 't': return literal(c, "true", 4);
    case 'f': return literal(c, "false", 5);
    case 'n': return literal(c, "null", 4);
    default:
        return (*c->p == '-' || is_digit(*c->p)) && json_number(c);
    }
}

bool ably_payload__json_valid(const char *s, size_t len, int max_depth)
{
    json_cursor c = {(const uint8_t *)s, (const uint8_t *)s + len, max_depth};
    if (!json_value(&c))
        return false;
    skip_ws(&c);
    return c.p == c.end;
}
