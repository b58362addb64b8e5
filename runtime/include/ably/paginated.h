/* Paginated results (TG) and HTTP paginated responses (HP).
 *
 * A page holds its items as one contiguous array of a generated type (e.g.
 * ably_stats for stats(), ably_message for history()), together with the type's
 * descriptor. Links to the first, current and next pages come from the reply's
 * Link header (TG4); fetching one is a new blocking request.
 *
 * Pages returned by ably_rest_request (RSC19) are HttpPaginatedResponses (HP): they
 * also carry the HTTP status, success flag, error code/message and headers, and
 * their items are JSON texts (one `const char *` per item; a msgpack body is
 * converted), with ably_paginated_result_type() returning NULL.
 *
 * Ownership: every page is owned by the caller and released with
 * ably_paginated_result_free; items and strings returned by accessors belong to
 * the page. A page borrows its client: free pages before destroying the client.
 * Thread safety: a page is read-only after creation, so accessors may be used from
 * several threads; next/first/current do blocking I/O and are as thread safe as
 * the client.
 */
#ifndef ABLY_PAGINATED_H
#define ABLY_PAGINATED_H

#include <stdbool.h>
#include <stddef.h>

#include "ably/descriptor.h"
#include "ably/gen/types.h"
#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ably_paginated_result ably_paginated_result;

/* The items (TG3): a contiguous array of *count values of ably_paginated_result_type(r),
 * or, for request() responses, an array of *count `const char *` JSON texts.
 * NULL when the page is empty. */
const void *ably_paginated_result_items(const ably_paginated_result *r, size_t *count);
const ably_type_desc *ably_paginated_result_type(const ably_paginated_result *r);

/* Typed helpers: the items when they have that type, else NULL with *count = 0. */
const ably_stats *ably_paginated_result_stats(const ably_paginated_result *r, size_t *count);
const char *const *ably_paginated_result_json_items(const ably_paginated_result *r, size_t *count);

bool ably_paginated_result_has_next(const ably_paginated_result *r); /* TG6 */
bool ably_paginated_result_is_last(const ably_paginated_result *r);  /* TG7 */

/* Fetch the next / first / current page (TG4, TG5). On success *out is a new page
 * (the caller frees it) and 0 is returned; *out is NULL for next() when there is
 * no next page (TG4). -1 with *err on failure. */
int ably_paginated_result_next(const ably_paginated_result *r, ably_paginated_result **out, ably_error *err);
int ably_paginated_result_first(const ably_paginated_result *r, ably_paginated_result **out, ably_error *err);
int ably_paginated_result_current(const ably_paginated_result *r, ably_paginated_result **out,
                                  ably_error *err);

/* ---- HttpPaginatedResponse (HP) ---- */
int ably_paginated_result_status_code(const ably_paginated_result *r);        /* HP4 */
bool ably_paginated_result_success(const ably_paginated_result *r);           /* HP5: 2xx */
int ably_paginated_result_error_code(const ably_paginated_result *r);         /* HP6: 0 when none */
const char *ably_paginated_result_error_message(const ably_paginated_result *r); /* HP7: NULL when none */
const ably_string_map *ably_paginated_result_headers(const ably_paginated_result *r); /* HP8, lower-cased names */

/* NULL-safe. */
void ably_paginated_result_free(ably_paginated_result *r);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_PAGINATED_H */
