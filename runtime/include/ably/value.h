/* Value types shared by the generated protocol structs: message payloads and
 * string/number maps.
 *
 * Ownership: a value owns everything it points to. Zero-initialised values are
 * empty and valid. `ably_data_clear` / `ably_string_map_clear` /
 * `ably_number_map_clear` free the contents and leave the value empty.
 * Thread safety: no shared state; one value per thread at a time.
 */
#ifndef ABLY_VALUE_H
#define ABLY_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What an ably_data holds. */
typedef enum {
    ABLY_DATA_NONE = 0, /* absent */
    ABLY_DATA_STRING,   /* UTF-8 text (TM2d) */
    ABLY_DATA_BINARY,   /* raw bytes */
    ABLY_DATA_JSON      /* JSON text of an object or array */
} ably_data_type;

/* A message payload (TM2d, TP3e). `bytes` is malloc'd and always followed by a NUL
 * byte (also for BINARY, for safety), so STRING and JSON can be used as C strings;
 * `len` excludes that NUL. */
typedef struct {
    ably_data_type type;
    char *bytes;
    size_t len;
} ably_data;

/* Sets *d to a copy of the `len` bytes at `bytes` (freeing its old contents).
 * Returns 0, or -1 when out of memory (then *d is left empty). */
int ably_data_set(ably_data *d, ably_data_type type, const void *bytes, size_t len);
void ably_data_clear(ably_data *d);

/* An ordered map of string keys to string values (e.g. ErrorInfo.detail, TI6).
 * Keys are unique; order is insertion order, which the encoders keep. */
typedef struct {
    char *key;
    char *value;
} ably_string_pair;
typedef struct {
    ably_string_pair *items;
    size_t count;
    size_t cap;
} ably_string_map;

/* The value for `key`, or NULL. */
const char *ably_string_map_get(const ably_string_map *m, const char *key);
/* Copies key and value in, replacing any value already under `key`. 0 or -1 (no memory). */
int ably_string_map_set(ably_string_map *m, const char *key, const char *value);
void ably_string_map_clear(ably_string_map *m);

/* An ordered map of string keys to numbers. */
typedef struct {
    char *key;
    double value;
} ably_number_pair;
typedef struct {
    ably_number_pair *items;
    size_t count;
    size_t cap;
} ably_number_map;

/* Stores the value for `key` in *out and returns true, or returns false. */
bool ably_number_map_get(const ably_number_map *m, const char *key, double *out);
int ably_number_map_set(ably_number_map *m, const char *key, double value);
void ably_number_map_clear(ably_number_map *m);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_VALUE_H */
