/* Route matching: method + path pattern, with named segment parameters. */
#include "sbx_server.h"
#include "sbx_util.h"

#include <stdlib.h>
#include <string.h>

const char *sbx_query(const sbx_request *req, const char *name)
{
    for (size_t i = 0; i < req->query_count; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

const char *sbx_header(const sbx_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static void pairs_free(sbx_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
}

void sbx_request_clear(sbx_request *req)
{
    free(req->path);
    pairs_free(req->query, req->query_count);
    pairs_free(req->headers, req->header_count);
    free(req->body);
    free(req->route_buf);
    memset(req, 0, sizeof *req);
}

/* Segment cursor helpers: a segment runs to the next '/' or the end. */
static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Recursive matcher over pattern and path (both without the leading '/').
 * Writes parameter boundaries as offsets into `path`. */
static bool match_from(const char *pat, const char *path, const char *base, size_t *starts,
                       size_t *ends, size_t *count)
{
    if (!*pat)
        return !*path;
    size_t plen = seg_len(pat);
    const char *pat_next = pat[plen] ? pat + plen + 1 : pat + plen;
    bool is_param = pat[0] == '{' && pat[plen - 1] == '}';
    bool greedy = is_param && plen >= 3 && pat[plen - 2] == '+';
    if (!is_param) {
        size_t slen = seg_len(path);
        if (slen != plen || strncmp(pat, path, plen) != 0)
            return false;
        const char *path_next = path[slen] ? path + slen + 1 : path + slen;
        if (!path[slen] != !pat[plen])
            return false;
        return match_from(pat_next, path_next, base, starts, ends, count);
    }
    if (*count >= SBX_MAX_ROUTE_PARAMS || !*path)
        return false;
    size_t idx = (*count)++;
    starts[idx] = (size_t)(path - base);
    /* A parameter takes one segment, or for {x+} as many as still lets the
     * rest match (longest first). */
    size_t take = seg_len(path);
    if (greedy)
        take = strlen(path);
    for (;;) {
        if (take > 0) {
            const char *after = path + take;
            bool path_done = !*after;
            bool pat_done = !*pat_next;
            if (path_done == pat_done || (!path_done && *after == '/')) {
                ends[idx] = (size_t)(after - base);
                const char *path_next = path_done ? after : after + 1;
                if (!(pat_done && !path_done) &&
                    match_from(pat_next, path_next, base, starts, ends, count))
                    return true;
            }
        }
        if (!greedy || take == 0)
            break;
        /* Shrink to the previous '/' boundary. */
        do
            take--;
        while (take > 0 && path[take] != '/');
    }
    (*count)--;
    return false;
}

bool sbx_route_match(const char *pattern, const char *path, char **buf, const char **params,
                     size_t *count)
{
    *buf = NULL;
    *count = 0;
    if (*pattern == '/')
        pattern++;
    if (*path == '/')
        path++;
    size_t starts[SBX_MAX_ROUTE_PARAMS], ends[SBX_MAX_ROUTE_PARAMS], n = 0;
    if (!match_from(pattern, path, path, starts, ends, &n))
        return false;
    /* Copy each parameter into one buffer, NUL-separated. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ends[i] - starts[i] + 1;
    char *out = malloc(total ? total : 1);
    if (!out)
        return false;
    char *w = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = ends[i] - starts[i];
        memcpy(w, path + starts[i], l);
        w[l] = '\0';
        params[i] = w;
        w += l + 1;
    }
    *buf = out;
    *count = n;
    return true;
}

void sbx_dispatch(sbx_server *srv, sbx_request *req, sbx_response *resp)
{
    bool path_known = false;
    for (const sbx_route *r = sbx_routes; r->pattern; r++) {
        char *buf;
        const char *params[SBX_MAX_ROUTE_PARAMS];
        size_t n;
        if (!sbx_route_match(r->pattern, req->path, &buf, params, &n))
            continue;
        if (r->method != req->method) {
            path_known = true;
            free(buf);
            continue;
        }
        free(req->route_buf);
        req->route_buf = buf;
        memcpy(req->params, params, n * sizeof *params);
        req->param_count = n;
        r->handler(srv, req, resp);
        return;
    }
    if (path_known)
        sbx_respond_error(req, resp, 405, 40500, "Method not allowed for %s", req->path);
    else
        sbx_respond_error(req, resp, 404, 40400, "No route for %s", req->path);
}
