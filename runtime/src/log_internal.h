/* Library logging (RSC2–RSC4, TO3b, TO3c). Not public API.
 *
 * Each client owns one ably_logger, a copy of its log options. Calls below the
 * configured level cost one comparison: use ably_log_enabled before building an
 * expensive context. Thread safe: the logger is read-only after init.
 */
#ifndef ABLY_LOG_INTERNAL_H
#define ABLY_LOG_INTERNAL_H

#include "ably/error.h"
#include "ably/options.h"

typedef struct {
    ably_log_level level;
    ably_log_handler handler; /* NULL: stderr */
    void *ctx;
} ably_logger;

void ably_logger_init(ably_logger *lg, const ably_client_options *opts);

static inline bool ably_log_enabled(const ably_logger *lg, ably_log_level level)
{
    return lg && level != ABLY_LOG_NONE && level <= lg->level;
}

/* Logs a printf-formatted line with an optional context (NULL: empty). */
void ably_log(const ably_logger *lg, ably_log_level level, const ably_string_map *context, const char *fmt, ...)
    ABLY_PRINTF(4, 5);

/* Logs "<what>: <error with its TI5 help URL>" at `level`, with the error's code,
 * statusCode and requestId in the context. */
void ably_log_error_info(const ably_logger *lg, ably_log_level level, const char *what, const ably_error *e);

const char *ably_log_level_name(ably_log_level level);

#endif /* ABLY_LOG_INTERNAL_H */
