/* A string-keyed hash map (separate chaining). Keys are copied and owned by
 * the map; values are owned by the caller unless a free function is given,
 * in which case the map frees them on remove/destroy. Not thread-safe: the
 * sandbox runs everything on the lws service thread. */
#ifndef SBX_MAP_H
#define SBX_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sbx_map_node {
    struct sbx_map_node *next;
    char *key;
    void *value;
} sbx_map_node;

typedef struct {
    sbx_map_node **buckets;
    size_t bucket_count;
    size_t count;
    void (*free_value)(void *);
} sbx_map;

void sbx_map_init(sbx_map *m, void (*free_value)(void *));
void sbx_map_destroy(sbx_map *m);
void *sbx_map_get(const sbx_map *m, const char *key);
/* Inserts or replaces (freeing the old value if the map owns values).
 * Returns -1 on allocation failure. */
int sbx_map_put(sbx_map *m, const char *key, void *value);
/* Removes the entry; frees the value if the map owns values. */
bool sbx_map_remove(sbx_map *m, const char *key);

/* Iteration: for (sbx_map_node *n = sbx_map_first(m, &i); n; n = sbx_map_next(m, n, &i)) */
sbx_map_node *sbx_map_first(const sbx_map *m, size_t *bucket);
sbx_map_node *sbx_map_next(const sbx_map *m, sbx_map_node *node, size_t *bucket);

#endif
