/* A small HTTP/1.1 message parser: enough to find where each request and
 * response ends (Content-Length, chunked, or EOF), so the proxy can apply a
 * rule per request on a keep-alive connection. Bodies stay in the buffer. */
#include "px.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEAD 65536

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

static int parse_start_line(const char *line, size_t n, bool response, px_http_msg *m)
{
    char copy[4200];
    if (n >= sizeof copy)
        return -1;
    memcpy(copy, line, n);
    copy[n] = '\0';
    if (response) {
        if (sscanf(copy, "HTTP/1.%d %d", &m->minor, &m->status) != 2)
            return -1;
        return 0;
    }
    char *sp1 = strchr(copy, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - copy) >= sizeof m->method ||
        (size_t)(sp2 - sp1 - 1) >= sizeof m->target || sscanf(sp2 + 1, "HTTP/1.%d", &m->minor) != 1)
        return -1;
    memcpy(m->method, copy, (size_t)(sp1 - copy));
    m->method[sp1 - copy] = '\0';
    memcpy(m->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    m->target[sp2 - sp1 - 1] = '\0';
    return 0;
}

static int parse_header_line(const char *buf, const char *line, size_t n, px_http_msg *m)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line || m->nheaders == PX_MAX_HEADERS)
        return -1;
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    px_header *h = &m->headers[m->nheaders++];
    h->name = (size_t)(line - buf);
    h->name_len = (size_t)(colon - line);
    h->value = (size_t)(v - buf);
    h->value_len = (size_t)(end - v);
    return 0;
}

/* Length of a chunked body at p, or 0 when incomplete, -1 when malformed. */
static long chunked_length(const char *p, const char *end)
{
    const char *start = p;
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol)
            return 0;
        char *stop;
        unsigned long size = strtoul(p, &stop, 16);
        if (stop == p)
            return -1;
        p = eol + 2;
        if (size == 0) { /* trailers, then a blank line */
            for (;;) {
                eol = find_crlf(p, end);
                if (!eol)
                    return 0;
                bool blank = eol == p;
                p = eol + 2;
                if (blank)
                    return (long)(p - start);
            }
        }
        if ((size_t)(end - p) < size + 2)
            return 0;
        p += size + 2;
    }
}

static bool body_forbidden(const px_http_msg *m, bool response, bool head_request)
{
    return response && (head_request || m->status / 100 == 1 || m->status == 204 || m->status == 304);
}

int px_http_parse(const char *buf, size_t len, bool response, bool head_request, bool eof, px_http_msg *m)
{
    memset(m, 0, sizeof *m);
    const char *end = buf + len, *p = buf;
    const char *eol = find_crlf(p, end);
    if (!eol)
        return len > MAX_HEAD ? -1 : 0;
    if (parse_start_line(p, (size_t)(eol - p), response, m) != 0)
        return -1;
    p = eol + 2;
    for (;;) {
        eol = find_crlf(p, end);
        if (!eol)
            return len > MAX_HEAD ? -1 : 0;
        if (eol == p)
            break;
        if (parse_header_line(buf, p, (size_t)(eol - p), m) != 0)
            return -1;
        p = eol + 2;
    }
    m->head_len = (size_t)(eol + 2 - buf);
    char value[64];
    if (px_http_header_has_token(buf, m, "transfer-encoding", "chunked")) {
        m->chunked = true;
    } else if (px_http_header(buf, m, "content-length", value, sizeof value)) {
        m->has_length = true;
        m->total_len = m->head_len + (size_t)strtoull(value, NULL, 10);
    }
    if (body_forbidden(m, response, head_request) || (!response && !m->chunked && !m->has_length)) {
        m->total_len = m->head_len;
        return 1;
    }
    if (m->chunked) {
        long n = chunked_length(buf + m->head_len, end);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        m->total_len = m->head_len + (size_t)n;
        return 1;
    }
    if (m->has_length)
        return len >= m->total_len ? 1 : 0;
    if (!eof) /* delimited by the connection closing */
        return 0;
    m->total_len = len;
    return 1;
}

bool px_http_header_is(const char *buf, const px_http_msg *m, size_t i, const char *name)
{
    return m->headers[i].name_len == strlen(name) &&
           strncasecmp(buf + m->headers[i].name, name, m->headers[i].name_len) == 0;
}

bool px_http_header(const char *buf, const px_http_msg *m, const char *name, char *out, size_t cap)
{
    for (size_t i = 0; i < m->nheaders; i++) {
        if (!px_http_header_is(buf, m, i, name))
            continue;
        size_t n = m->headers[i].value_len < cap - 1 ? m->headers[i].value_len : cap - 1;
        memcpy(out, buf + m->headers[i].value, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

bool px_http_header_has_token(const char *buf, const px_http_msg *m, const char *name, const char *token)
{
    size_t tlen = strlen(token);
    for (size_t i = 0; i < m->nheaders; i++) {
        if (!px_http_header_is(buf, m, i, name))
            continue;
        const char *v = buf + m->headers[i].value, *end = v + m->headers[i].value_len;
        while (v < end) {
            while (v < end && (*v == ' ' || *v == ','))
                v++;
            const char *tok = v;
            while (v < end && *v != ',')
                v++;
            const char *tend = v;
            while (tend > tok && tend[-1] == ' ')
                tend--;
            if ((size_t)(tend - tok) == tlen && strncasecmp(tok, token, tlen) == 0)
                return true;
        }
    }
    return false;
}

const char *px_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

static int hexval(int c)
{
    if (isdigit(c))
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *out = px_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

cJSON *px_http_query(const char *target)
{
    cJSON *q = cJSON_CreateObject();
    const char *p = strchr(target, '?');
    if (!p)
        return q;
    p++;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        if (klen > 0) {
            char *k = url_decode(p, klen);
            char *v = eq ? url_decode(eq + 1, n - klen - 1) : px_xstrdup("");
            cJSON_DeleteItemFromObjectCaseSensitive(q, k);
            cJSON_AddStringToObject(q, k, v);
            free(k);
            free(v);
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return q;
}
