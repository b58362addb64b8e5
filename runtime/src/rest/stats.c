/* Stats helpers (TS12). */
#include <stddef.h>
#include <stdint.h>
#include "ably/rest.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly `n` digits at *p into *out and advances. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

int ably_stats_interval_time(const ably_stats *stats, int64_t *out_ms)
{
    if (!stats || !stats->interval_id || !out_ms)
        return -1;
    const char *p = stats->interval_id;
    int y, mo, d = 1, h = 0, mi = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo))
        return -1;
    /* Each finer part is optional, but only in order: -dd, :hh, :mm. */
    if (*p == '-') {
        if (++p, digits(&p, 2, &d))
            return -1;
        if (*p == ':' && (++p, digits(&p, 2, &h)))
            return -1;
        if (*p == ':' && (++p, digits(&p, 2, &mi)))
            return -1;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
        return -1;
    *out_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000;
    return 0;
}
