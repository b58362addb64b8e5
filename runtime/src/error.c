/* ably_error helpers (TI1, TI5). The struct itself is generated. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/error.h"

void ably_error_set(ably_error *e, int code, int status, const char *fmt, ...)
{
    if (!e)
        return;
    /* Format before clearing, so the arguments may point into *e (e.g. wrapping e->message). */
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL; /* out of memory: the code alone still says what happened */
    va_end(ap);
    ably_error_clear(e);
    e->code = code;
    e->has_code = true;
    if (status) {
        e->status_code = status;
        e->has_status_code = true;
    }
    e->message = msg;
}

bool ably_error_is_set(const ably_error *e)
{
    return e && (e->has_code || e->message);
}

size_t ably_error_format(const ably_error *e, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    if (!e)
        return 0;
    const char *msg = e->message ? e->message : "unknown error";
    char url[64];
    const char *href = e->href;
    if (!href && e->has_code) {
        snprintf(url, sizeof url, "https://help.ably.io/error/%lld", (long long)e->code);
        href = url;
    }
    /* TI5: no URL when the message already carries it. */
    if (href && strstr(msg, href))
        href = NULL;

    char head[96] = "";
    if (e->has_code && e->has_status_code)
        snprintf(head, sizeof head, " (code %lld, status %lld)", (long long)e->code, (long long)e->status_code);
    else if (e->has_code)
        snprintf(head, sizeof head, " (code %lld)", (long long)e->code);
    else if (e->has_status_code)
        snprintf(head, sizeof head, " (status %lld)", (long long)e->status_code);
    int n = href ? snprintf(out, size, "%s%s See %s", msg, head, href) : snprintf(out, size, "%s%s", msg, head);
    return n < 0 ? 0 : (size_t)n;
}
