/* Logging: level filter, formatting, and the default stderr sink. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log_internal.h"

void ably_logger_init(ably_logger *lg, const ably_client_options *opts)
{
    lg->level = opts->log_level;
    lg->handler = opts->log_handler;
    lg->ctx = opts->log_handler_ctx;
}

const char *ably_log_level_name(ably_log_level level)
{
    switch (level) {
    case ABLY_LOG_ERROR: return "error";
    case ABLY_LOG_WARN: return "warn";
    case ABLY_LOG_INFO: return "info";
    case ABLY_LOG_DEBUG: return "debug";
    case ABLY_LOG_VERBOSE: return "verbose";
    default: return "none";
    }
}

static void emit(const ably_logger *lg, ably_log_level level, const ably_string_map *context, const char *line)
{
    static const ably_string_map empty = {0};
    if (!context)
        context = &empty;
    if (lg->handler) {
        lg->handler(lg->ctx, level, line, context);
        return;
    }
    /* Default sink (RSC2): one line per event on stderr, context appended. */
    flockfile(stderr);
    fprintf(stderr, "[ably %s] %s", ably_log_level_name(level), line);
    for (size_t i = 0; i < context->count; i++)
        fprintf(stderr, "%s%s=%s", i ? " " : " {", context->items[i].key, context->items[i].value);
    fputs(context->count ? "}\n" : "\n", stderr);
    funlockfile(stderr);
}

void ably_log(const ably_logger *lg, ably_log_level level, const ably_string_map *context, const char *fmt, ...)
{
    if (!ably_log_enabled(lg, level))
        return;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        emit(lg, level, context, small);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    emit(lg, level, context, big);
    free(big);
}

void ably_log_error_info(const ably_logger *lg, ably_log_level level, const char *what, const ably_error *e)
{
    if (!ably_log_enabled(lg, level))
        return;
    char text[512];
    size_t need = ably_error_format(e, text, sizeof text);
    char *big = NULL;
    if (need >= sizeof text && (big = malloc(need + 1)) != NULL)
        ably_error_format(e, big, need + 1);
    ably_string_map ctx = {0};
    char num[32];
    if (e && e->has_code) {
        snprintf(num, sizeof num, "%lld", (long long)e->code);
        ably_string_map_set(&ctx, "code", num);
    }
    if (e && e->has_status_code) {
        snprintf(num, sizeof num, "%lld", (long long)e->status_code);
        ably_string_map_set(&ctx, "statusCode", num);
    }
    if (e && e->request_id)
        ably_string_map_set(&ctx, "requestId", e->request_id);
    ably_log(lg, level, &ctx, "%s: %s", what, big ? big : text);
    ably_string_map_clear(&ctx);
    free(big);
}
