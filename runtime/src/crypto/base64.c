/* Table-driven base64, lenient on the alphabet (see crypto_internal.h). */
#include "crypto/crypto_internal.h"

#define XX 0xFF
/* Maps a character to its 6-bit value; both '+'/'-' give 62 and '/'/'_' 63. */
static const uint8_t b64_value[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,  62, XX,  62, XX,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, XX, XX, XX, XX, XX, XX,
    XX,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, XX, XX, XX, XX,  63,
    XX,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool ably_b64__decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t padded_len = len;
    while (len > 0 && len + 2 > padded_len && s[len - 1] == '=')
        len--;
    /* Padding, when present, must complete the last quad. */
    if (len != padded_len && padded_len % 4 != 0)
        return false;
    if (len % 4 == 1)
        return false;

    size_t o = 0, i = 0;
    /* Every quad is read in full before its three bytes are written, and the
     * write cursor trails the read cursor, which keeps in-place use safe. */
    for (; i + 4 <= len; i += 4) {
        uint8_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        uint8_t c = b64_value[s[i + 2]], d = b64_value[s[i + 3]];
        if ((a | b | c | d) & 0xC0)
            return false;
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    size_t rem = len - i;
    if (rem >= 2) {
        uint8_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        uint8_t c = rem == 3 ? b64_value[s[i + 2]] : 0;
        if ((a | b | c) & 0xC0)
            return false;
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6);
        out[o++] = (uint8_t)(v >> 16);
        if (rem == 3)
            out[o++] = (uint8_t)(v >> 8);
    }
    *out_len = o;
    return true;
}

/* Re-encodes the `groups` whole 3-byte groups at the start of buf back into
 * their 4 characters each, last group first: group j's text lands at 4j,
 * never below bytes of a group still to be read. */
static void restore_groups(char *buf, size_t groups)
{
    uint8_t *b = (uint8_t *)buf;
    while (groups-- > 0) {
        size_t j = groups;
        uint32_t v = ((uint32_t)b[3 * j] << 16) | ((uint32_t)b[3 * j + 1] << 8) | b[3 * j + 2];
        buf[4 * j] = b64_alphabet[(v >> 18) & 63];
        buf[4 * j + 1] = b64_alphabet[(v >> 12) & 63];
        buf[4 * j + 2] = b64_alphabet[(v >> 6) & 63];
        buf[4 * j + 3] = b64_alphabet[v & 63];
    }
}

bool ably_b64__decode_in_place(char *buf, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t n = len;
    while (n > 0 && n + 2 > len && s[n - 1] == '=')
        n--;
    if ((n != len && len % 4 != 0) || n % 4 == 1)
        return false; /* checked before anything is written */
    /* One pass; on the (rare) invalid character, undo what was written so
     * the caller still holds the text it received. */
    size_t o = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        uint8_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        uint8_t c = b64_value[s[i + 2]], d = b64_value[s[i + 3]];
        if ((a | b | c | d) & 0xC0) {
            restore_groups(buf, o / 3);
            return false;
        }
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | d;
        buf[o++] = (char)(uint8_t)(v >> 16);
        buf[o++] = (char)(uint8_t)(v >> 8);
        buf[o++] = (char)(uint8_t)v;
    }
    size_t tail = 0;
    if (!ably_b64__decode(buf + i, len - i, (uint8_t *)buf + o, &tail)) {
        restore_groups(buf, o / 3);
        return false;
    }
    *out_len = o + tail;
    return true;
}

void ably_b64__encode(const uint8_t *in, size_t len, char *out)
{
    size_t i = 0;
    char *p = out;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        *p++ = b64_alphabet[(v >> 18) & 63];
        *p++ = b64_alphabet[(v >> 12) & 63];
        *p++ = b64_alphabet[(v >> 6) & 63];
        *p++ = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        *p++ = b64_alphabet[(v >> 18) & 63];
        *p++ = b64_alphabet[(v >> 12) & 63];
        *p++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = '\0';
}
