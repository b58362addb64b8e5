/* ably_buf: the growable output buffer every encoder writes into. */
#include <stdlib.h>
#include <string.h>

#include "ably/codec.h"

void ably_buf_init(ably_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ably_buf_reset(ably_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ably_buf_free(ably_buf *b)
{
    free(b->data);
    ably_buf_init(b);
}

int ably_buf_reserve(ably_buf *b, size_t extra)
{
    /* +1 keeps room for the NUL that follows the bytes. */
    if (extra > SIZE_MAX / 2 - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ably_buf_append(ably_buf *b, const void *bytes, size_t len)
{
    if (ably_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ably_buf_append_str(ably_buf *b, const char *s)
{
    return ably_buf_append(b, s, strlen(s));
}

char *ably_buf_detach(ably_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    ably_buf_init(b);
    return p;
}
